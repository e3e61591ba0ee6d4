#!/usr/bin/env bats
# Going past one consumer: a topic with two partitions and two members of
# one consumer group, each a kafka-sub | pg-apply of its own. Keys are
# partitioned like the Java client does, so each key stays in order.
bats_require_minimum_version 1.5.0
load ../test_helper/common
load pipeline

setup_file() {
	stack_up
	pipelines_init
	kafka_topic_create "$TOPIC" 2
	start_source
	wait_slot_active
	SINK=sink1 start_sink
	SINK=sink2 start_sink
	# Both members hold a partition before any record flows; else the first
	# may apply everything before the second joins, and rightly so.
	wait_until 60 kafka_group_assigned "$GROUP" 2
}

teardown_file() { pipelines_down; }

@test "two partitions, two sink members: the replica equals the source" {
	psql_src "insert into public.source_table (name) select 'p' || g from generate_series(1, 2000) g" \
		"update public.source_table set name = 'q' || id where id % 3 = 0" \
		"delete from public.source_table where id % 5 = 0"
	wait_tables_equal 90
}

@test "both partitions carried records and both members applied some" {
	run bash -c "kafka-sub -b '$WALPIPE_BROKERS' -t '$TOPIC' -o beginning -e | jq -r .partition | sort -u | paste -sd,"
	assert_output "0,1"
	run grep -h '^offset ' "$STATE/sink1.ack" "$STATE/sink2.ack"
	assert_success
	[ "$(echo "$output" | awk '{print $3}' | sort -u | wc -l)" -eq 2 ]
}
