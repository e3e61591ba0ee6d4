#!/usr/bin/env bats
# The stack everything else runs on: two PostgreSQL servers set up as in the
# reference scenario and a Kafka broker, started by scripts/stack.
bats_require_minimum_version 1.5.0
load test_helper/common

setup_file() { stack_up; }
teardown_file() { stack_down; }

@test "both servers have connect_test_db, source_table, dbz_publication and wal_level=logical" {
	for conn in "$WALPIPE_SOURCE" "$WALPIPE_REPLICA"; do
		run -0 _psql "$conn" "SHOW wal_level" \
			"SELECT current_database()" \
			"SELECT to_regclass('public.source_table')" \
			"SELECT pubname || ':' || tablename FROM pg_publication_tables"
		assert_output $'logical\nconnect_test_db\nsource_table\ndbz_publication:source_table'
	done
}

@test "each server takes a write and reads it back, over TCP with md5 passwords" {
	run -0 psql_src "INSERT INTO source_table (name) VALUES ('on-main') RETURNING name"
	assert_output on-main
	run -0 psql_rep "INSERT INTO source_table (name) VALUES ('on-replica')" \
		"SELECT string_agg(name, ',') FROM source_table"
	assert_output on-replica
	run -0 psql_src "SELECT string_agg(name, ',') FROM source_table"
	assert_output on-main

	run -0 psql_src "SELECT DISTINCT auth_method FROM pg_hba_file_rules"
	assert_output md5
	run ! psql -X -w "${WALPIPE_SOURCE/password=postgrespass/password=wrong}" -c "SELECT 1"
	assert_output --partial 'password authentication failed'
}

@test "a message goes through the broker and comes back byte for byte" {
	topic=$(unique_name stack)
	printf 'k\x01 \xc3\xa9' >"$BATS_TEST_TMPDIR/key"
	printf '{"a":1}\ttab \xff end' >"$BATS_TEST_TMPDIR/value"
	cat "$BATS_TEST_TMPDIR/key" <(printf '\x1f') "$BATS_TEST_TMPDIR/value" |
		kcat -b "$WALPIPE_BROKERS" -P -t "$topic" -K $'\x1f' -D $'\x1e'
	for part in key:%k value:%s; do
		kcat -b "$WALPIPE_BROKERS" -C -t "$topic" -o beginning -c 1 -e \
			-f "${part#*:}" >"$BATS_TEST_TMPDIR/got" 2>/dev/null
		cmp "$BATS_TEST_TMPDIR/${part%:*}" "$BATS_TEST_TMPDIR/got"
	done
}

@test "kafka_topic_create makes a topic with the partitions asked for" {
	topic=$(unique_name stack)
	kafka_topic_create "$topic" 3
	run -0 kcat -b "$WALPIPE_BROKERS" -L -t "$topic"
	assert_output --partial "topic \"$topic\" with 3 partitions:"
}

@test "stack status reports both servers and the broker up" {
	run -0 "$REPO/scripts/stack" status
	assert_line --regexp "^main +up +127\.0\.0\.1:$WALPIPE_SOURCE_PORT +pid [0-9]+$"
	assert_line --regexp "^replica +up +127\.0\.0\.1:$WALPIPE_REPLICA_PORT +pid [0-9]+$"
	assert_line --regexp "^broker +up +$WALPIPE_BROKERS +pid [0-9]+$"
	run -0 "$REPO/scripts/stack" env
	assert_line "export WALPIPE_BROKERS=$WALPIPE_BROKERS"
}

@test "a second stack runs beside the first on its own ports and dir" {
	run -0 --separate-stderr env -u WALPIPE_STACK_DIR "$REPO/scripts/stack" up
	second=$output
	dir=$(eval "$second"; echo "$WALPIPE_STACK_DIR")
	ports=$(eval "$second"
		echo "$WALPIPE_SOURCE_PORT $WALPIPE_REPLICA_PORT ${WALPIPE_BROKERS#*:}")
	run bash -c 'eval "$1"; psql -X -At -w "$WALPIPE_REPLICA" -c "SELECT 1"' _ "$second"
	"$REPO/scripts/stack" down "$dir"

	assert_output 1
	[ "$dir" != "$WALPIPE_STACK_DIR" ] && [ ! -e "$dir" ]
	for p in $WALPIPE_SOURCE_PORT $WALPIPE_REPLICA_PORT ${WALPIPE_BROKERS#*:}; do
		[[ " $ports " != *" $p "* ]]
	done
	run -0 psql_src "SELECT 1"
}

# Last, so that it can check what teardown_file would otherwise leave.
@test "stack down stops everything it started and removes its dir" {
	pids=$(cat "$WALPIPE_STACK_DIR/kafka/pid")
	for c in main replica; do
		pids+=" $(head -n 1 "$WALPIPE_STACK_DIR/$c/postmaster.pid")"
	done
	run -0 "$REPO/scripts/stack" down
	[ ! -e "$WALPIPE_STACK_DIR" ]
	for pid in $pids; do
		run ps -o stat= -p "$pid"     # a zombie is gone, only not yet reaped
		[[ -z $output || $output == Z* ]]
	done
	run -0 "$REPO/scripts/stack" down
}
