#!/usr/bin/env bats
# pg-wal-tail | cdc-envelope on a real server over the edge values of
# tests/fixtures/cdc-envelope/debezium-2.7.3-edge: the pipeline keeps going,
# and gives what the real Debezium 2.7.3 gave for the same statements.
bats_require_minimum_version 1.5.0
load test_helper/common

FIX="$REPO/tests/fixtures/cdc-envelope/debezium-2.7.3-edge"

setup_file() {
	stack_up
}

teardown_file() {
	stack_down
}

# Everything that depends on the run rather than on the data: processing
# time, commit time, transaction ids and WAL positions.
positions() {
	sed -E -e 's/("op":"[cudrt]"),"ts_ms":[0-9]+,"ts_us":[0-9]+,"ts_ns":[0-9]+/\1,"ts_ms":0,"ts_us":0,"ts_ns":0/g' \
		-e 's/"name":"pfx","ts_ms":[0-9]+/"name":"pfx","ts_ms":0/' \
		-e 's/"sequence":"\[[^]]*\]","ts_us":[0-9]+,"ts_ns":[0-9]+/"sequence":"","ts_us":0,"ts_ns":0/' \
		-e 's/"txId":[0-9]+,"lsn":[0-9]+,"xmin"/"txId":0,"lsn":0,"xmin"/' \
		-e 's/,"pos":"[^"]*"}$/}/'
}

@test "every edge value goes through pg-wal-tail | cdc-envelope as Debezium 2.7.3 wrote it" {
	psql -X -q -v ON_ERROR_STOP=1 "$WALPIPE_SOURCE" -f "$FIX/schema.sql"
	psql_src "SELECT pg_create_logical_replication_slot('edge_slot', 'pgoutput')" >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 "$WALPIPE_SOURCE" -f "$FIX/dml.sql"
	run -0 --separate-stderr bash -c "set -o pipefail
		pg-wal-tail -d '$WALPIPE_SOURCE' -S edge_slot -P edge_pub --end-lsn now |
			cdc-envelope -p pfx --skipped-operations none"
	printf '%s\n' "$output" | positions >"$BATS_TEST_TMPDIR/got"
	positions <"$FIX/records.out" >"$BATS_TEST_TMPDIR/want"
	run diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	assert_success
	psql_src "SELECT pg_drop_replication_slot('edge_slot')" >/dev/null
}

@test "values Debezium itself cannot read do not stop the pipeline either" {
	local slot slot2
	slot=$(unique_name slot)
	slot2=$(unique_name slot)
	psql_src "CREATE TABLE IF NOT EXISTS more_edge (id int PRIMARY KEY, iv interval, a3 text[], ad date[])"
	psql_src "SELECT pg_create_logical_replication_slot('$slot', 'pgoutput')" \
		"SELECT pg_create_logical_replication_slot('$slot2', 'pgoutput')" >/dev/null
	psql_src "CREATE PUBLICATION more_pub FOR TABLE more_edge" \
		"INSERT INTO more_edge VALUES (1, interval '2147483647 months 2147483647 days 2562047788:00:54.775807')" \
		"INSERT INTO more_edge VALUES (2, interval '-178956970 years -8 mons -2147483647 days -2562047788:00:54.775807')" \
		"INSERT INTO more_edge VALUES (3, NULL, '{{{a}},{{b}},{{c}}}', '{{2020-01-01},{infinity}}')"
	run -0 --separate-stderr bash -c "set -o pipefail
		pg-wal-tail -d '$WALPIPE_SOURCE' -S '$slot' -P more_pub --end-lsn now |
			cdc-envelope -p pfx | grep -o '\"after\":{[^}]*}'"
	assert_equal "${#lines[@]}" 3
	# jq would round the int64s: the raw bytes.
	assert_line --index 0 '"after":{"id":1,"iv":9223372036854775807,"a3":null,"ad":null}'
	assert_line --index 1 '"after":{"id":2,"iv":-9223372036854775808,"a3":null,"ad":null}'
	assert_line --index 2 '"after":{"id":3,"iv":null,"a3":[null,null,null],"ad":[null,null]}'
	run -65 --separate-stderr bash -c "set -o pipefail
		pg-wal-tail -d '$WALPIPE_SOURCE' -S '$slot2' -P more_pub --end-lsn now |
			cdc-envelope -p pfx --on-unsupported-value=fail"
	[[ $stderr == *'column "public"."more_edge"."iv": '*'which Debezium cannot convert'* ]] || fail "stderr: $stderr"
	psql_src "SELECT pg_drop_replication_slot('$slot')" "SELECT pg_drop_replication_slot('$slot2')" >/dev/null
}

@test "the snapshot goes in table.include.list order with Debezium's markers" {
	psql -X -q -v ON_ERROR_STOP=1 "$WALPIPE_SOURCE" -f "$FIX/snapshot.sql"
	run -0 --separate-stderr bash -c "set -o pipefail
		pg-wal-tail -d '$WALPIPE_SOURCE' -S snap_slot -P snap_pub --create-slot \
			--snapshot=initial-only -t public.s_b -t public.s_a -t public.s_e -t public.s_c |
			cdc-envelope -p pfx"
	printf '%s\n' "$output" | positions >"$BATS_TEST_TMPDIR/got"
	sed -E -f "$FIX/snapshot-differences.sed" "$FIX/snapshot-records.out" | positions >"$BATS_TEST_TMPDIR/want"
	run diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	assert_success
	psql_src "SELECT pg_drop_replication_slot('snap_slot')" >/dev/null
}

@test "the very last snapshot row is last: a one-row table, and before an empty table" {
	local v tables
	for v in one-row:public.s_a empty-last:public.s_a,public.s_e; do
		psql -X -q -v ON_ERROR_STOP=1 "$WALPIPE_SOURCE" -f "$FIX/snapshot.sql"
		tables=()
		IFS=, read -ra tables <<<"${v#*:}"
		# The publication holds the tables of table.include.list only.
		psql_src "ALTER PUBLICATION snap_pub SET TABLE ${v#*:}"
		run -0 --separate-stderr bash -c "set -o pipefail
			pg-wal-tail -d '$WALPIPE_SOURCE' -S snap_slot -P snap_pub --create-slot \
				--snapshot=initial-only ${tables[*]/#/-t } | cdc-envelope -p pfx"
		printf '%s\n' "$output" | positions >"$BATS_TEST_TMPDIR/got"
		sed -E -f "$FIX/snapshot-differences.sed" "$FIX/snapshot-${v%%:*}-records.out" |
			positions >"$BATS_TEST_TMPDIR/want"
		run diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
		assert_success
		psql_src "SELECT pg_drop_replication_slot('snap_slot')" >/dev/null
	done
}
