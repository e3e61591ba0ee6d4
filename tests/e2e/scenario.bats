#!/usr/bin/env bats
# The reference scenario through Kafka with the operators' tools: the
# seed's DML, a column added mid-stream, a malformed line between two
# commands, and a restart that resumes where the pipelines stopped.
bats_require_minimum_version 1.5.0
load ../test_helper/common
load pipeline

setup_file() { pipelines_up; }
teardown_file() { pipelines_down; }

@test "the seed's inserts, update and delete reach target_table" {
	for n in 1 2 3 4 5; do psql_src "insert into public.source_table (name) values ('test$n')"; done
	psql_src "update public.source_table set name='test4' where id=2" \
		"delete from public.source_table where id=4"
	wait_tables_equal 60
	run psql_rep "select id, name from public.target_table order by id"
	assert_output $'1|test1\n2|test4\n3|test3\n5|test5'
}

@test "the topic holds the seed's messages: 5 creates, 1 update, 1 delete, 1 tombstone" {
	run bash -c "kafka-sub -b '$WALPIPE_BROKERS' -t '$TOPIC' -o beginning -e |
		jq -r 'if .value == null then \"tombstone\" else .value.payload.op end' | sort | uniq -c | awk '{print \$2 \"=\" \$1}' | paste -sd' '"
	assert_success
	assert_output "c=5 d=1 tombstone=1 u=1"
}

@test "ALTER TABLE ADD COLUMN on the source mid-stream reaches target_table" {
	psql_src "alter table public.source_table add column note text" \
		"insert into public.source_table (name, note) values ('test6', 'added')"
	wait_until 60 bash -c "[[ \$(psql -XAtc \"select note from public.target_table where name = 'test6'\" \"\$WALPIPE_REPLICA\" 2>/dev/null) == added ]]"
	psql_src "alter table public.source_table drop column note"
}

@test "a killed pipeline resumes from its acknowledgements: nothing lost" {
	kill -KILL -- "-$(pipeline_pid source)"
	kill -KILL -- "-$(pipeline_pid sink)"
	psql_src "insert into public.source_table (name) select 'k' || g from generate_series(1, 500) g" \
		"delete from public.source_table where id % 7 = 0"
	wait_tables_equal 90
}

@test "walpipe-ctl status: pipelines running, slot active, no lag, positions applied" {
	psql_src "insert into public.source_table (name) values ('status')"
	wait_tables_equal 60
	status() {
		walpipe-ctl status --state-dir "$STATE" --slot "$SLOT" --topic "$TOPIC" --group "$GROUP" -J |
			jq -e '([.pipelines[].state] | unique) == ["running"] and .slot.active and
				.slot.lag_bytes >= 0 and ([.topic[].lag] | add) == 0 and (.applied | length) >= 1'
	}
	wait_until 30 status
	run -0 walpipe-ctl status --state-dir "$STATE" --slot "$SLOT" --topic "$TOPIC" --group "$GROUP"
	assert_line --regexp "^slot $SLOT: active \(pid [0-9]+\), confirmed [0-9A-F]+/[0-9A-F]+, lag [0-9]+ bytes"
	assert_line --regexp "^topic $TOPIC partition 0: end offset [0-9]+, committed [0-9]+, lag 0$"
	assert_line --regexp "^pipeline sink: running, pid [0-9]+, restarts [0-9]+"
}

@test "walpipe-ctl remove: slot, topic and offsets table are gone" {
	stop_pipelines
	run -0 walpipe-ctl remove --slot "$SLOT" --topic "$TOPIC"
	assert_equal "$(psql_src "select count(*) from pg_replication_slots where slot_name = '$SLOT'")" 0
	assert_equal "$(psql_rep "select to_regclass('public.walpipe_offsets') is null")" t
	wait_until 30 bash -c "! kafka-sub -b '$WALPIPE_BROKERS' -L -J | jq -e '.topics[] | select(.topic == \"$TOPIC\")' >/dev/null"
}
