#!/usr/bin/env bats
# A malformed line between two commands stops the pipeline with a clear
# error naming the line, and loses nothing: the slot has not confirmed
# what was not delivered, so a clean rerun brings the replica up to date.
bats_require_minimum_version 1.5.0
load ../test_helper/common
load pipeline

setup_file() {
	stack_up
	pipelines_init
}

teardown_file() {
	stack_down
}

@test "a malformed line stops the pipeline with exit 65 and a message naming the line" {
	psql_src "select pg_create_logical_replication_slot('$SLOT', 'pgoutput')"
	psql_src "insert into public.source_table (name) select 'r' || g from generate_series(1, 20) g"
	end=$(psql_src "select pg_current_wal_lsn()")
	run --separate-stderr bash -o pipefail -c "
		pg-wal-tail -d \"\$WALPIPE_SOURCE\" --slot $SLOT --publication $PUB --end-lsn $end \
			--ack-file $STATE/ack |
		awk 'NR == 7 { print \"{not json\" } { print }' |
		cdc-envelope --prefix $PREFIX |
		pg-apply -d \"\$WALPIPE_REPLICA\" --table-format target_table --insert-mode upsert \
			--delete --pk-mode record_key --auto-create --ack-file $STATE/ack"
	assert_failure
	[[ $stderr == *"cdc-envelope: error: line 7: "* ]] || fail "no line number: $stderr"
}

@test "after the failure a clean run loses nothing" {
	end=$(psql_src "select pg_current_wal_lsn()")
	run bash -o pipefail -c "
		pg-wal-tail -d \"\$WALPIPE_SOURCE\" --slot $SLOT --publication $PUB --end-lsn $end \
			--ack-file $STATE/ack |
		cdc-envelope --prefix $PREFIX |
		pg-apply -d \"\$WALPIPE_REPLICA\" --table-format target_table --insert-mode upsert \
			--delete --pk-mode record_key --auto-create --ack-file $STATE/ack"
	assert_success
	wait_tables_equal 10
}
