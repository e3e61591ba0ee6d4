#!/usr/bin/env bats
# Incremental snapshots of pg-wal-tail on a real PostgreSQL 15: tables
# read in primary-key chunks while streaming goes on, started, paused,
# resumed and stopped by signals from a file, a FIFO or a signal table,
# through the whole pipeline pg-wal-tail | cdc-envelope | pg-apply, while
# a writer updates, deletes and inserts rows: the replica must end equal
# to the source.
bats_require_minimum_version 1.5.0
load test_helper/common

setup_file() {
	stack_up
}

teardown_file() {
	stack_down
}

setup() {
	T=$(unique_name t)
	SLOT=$(unique_name s)
	PUB=$(unique_name p)
	ACK=$BATS_TEST_TMPDIR/ack
	SIG=$BATS_TEST_TMPDIR/signals
	ERR=$BATS_TEST_TMPDIR/stderr
	STOP=$BATS_TEST_TMPDIR/stop-writer
	PIPE= WRITER=
}

teardown() {
	[[ ! -s $ERR ]] || grep -v 'progress:' "$ERR" | sed 's/^/# stderr: /' | tail -40
	touch "$STOP"
	[[ -z $WRITER ]] || wait "$WRITER" 2>/dev/null || true
	[[ -z $PIPE ]] || { kill -TERM -- "-$PIPE" 2>/dev/null; wait "$PIPE" 2>/dev/null; } || true
	psql_src "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
		WHERE slot_name = '$SLOT' AND NOT active" >/dev/null 2>&1 || true
}

# inc_table N [KEYDEF]: $T with N rows (id int key, v int, pad text) in
# publication $PUB, and a slot that has streamed nothing yet.
inc_table() {
	psql_src "CREATE TABLE $T (id int PRIMARY KEY, v int NOT NULL, pad text)" \
		"INSERT INTO $T SELECT g, 0, repeat('x', 40) FROM generate_series(1, $1) g" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --create-slot --snapshot never \
		--end-lsn now
}

# inc_start ARGS...: the pipeline to the replica in the background, in a
# process group of its own ($PIPE), signals from $SIG.
inc_start() {
	set -m
	bash -c "set -o pipefail; pg-wal-tail -v -d '$WALPIPE_SOURCE' -S $SLOT -P $PUB \
		--ack-file '$ACK' --status-interval 0.2 --signal-file '$SIG' --progress 0 $* |
		cdc-envelope --prefix inc |
		pg-apply -d '$WALPIPE_REPLICA' --table-format '\${source.table}' --insert-mode upsert \
			--delete --pk-mode record_key --auto-create --offsets-table public.${SLOT}_offsets \
			--ack-file '$ACK'" 2>>"$ERR" 3>&- &
	PIPE=$!
	set +m
	wait_until 30 slot_active
}

slot_active() {
	[ "$(psql_src "SELECT active FROM pg_replication_slots WHERE slot_name = '$SLOT'")" = t ]
}

# signal TYPE DATA: one signal line into the signal file.
signal() {
	printf '{"id":"%s","type":"%s","data":%s}\n' "$(unique_name sig)" "$1" "$2" >>"$SIG"
}

snapshot_of() {
	signal execute-snapshot "{\"data-collections\":[\"public.$1\"],\"type\":\"incremental\"}"
}

# finished TABLE: the log says its incremental snapshot ended; fails the
# test at once if the pipeline has died.
finished() {
	kill -0 "$PIPE" 2>/dev/null || fail "the pipeline exited: $(tail -3 "$ERR")"
	grep -q "incremental snapshot of \"public.$1\": [0-9]* rows" "$ERR"
}

# writer N: until $STOP exists, update, delete and insert random rows of
# $T (keys 1..N and above), in small transactions.
writer() {
	local n=$1 k=$(($1 + 1))
	while [[ ! -e $STOP ]]; do
		psql -X -q -v ON_ERROR_STOP=1 "$WALPIPE_SOURCE" \
			-c "UPDATE $T SET v = v + 1 WHERE id IN (SELECT 1 + (random() * $n)::int FROM generate_series(1, 20))" \
			-c "DELETE FROM $T WHERE id IN (SELECT 1 + (random() * $n)::int FROM generate_series(1, 3))" \
			-c "INSERT INTO $T VALUES ($k, 7, 'w'), ($((k + 1)), 7, 'w') ON CONFLICT DO NOTHING" \
			-c "INSERT INTO $T SELECT 1 + (random() * $n)::int, 9, 'back' ON CONFLICT DO NOTHING" \
			-c "UPDATE $T SET v = v + 1, pad = 'u' WHERE id = $k" >/dev/null || return
		k=$((k + 2))
	done
}

# caught_up: the slot has confirmed everything written so far on the source.
caught_up() {
	local lsn
	lsn=$(psql_src "SELECT pg_current_wal_lsn()")
	psql_src "SELECT pg_logical_emit_message(false, 'test', 'sync')" >/dev/null
	wait_until 60 confirmed_ge "$lsn"
}
confirmed_ge() {
	[ "$(psql_src "SELECT confirmed_flush_lsn >= '$1' FROM pg_replication_slots
		WHERE slot_name = '$SLOT'")" = t ]
}

# Count and ordered checksum of table $2 (default $T) on one side.
rows_of() {
	"$1" "SELECT count(*) || ' ' || md5(string_agg(id || ':' || v || ':' || coalesce(pad, '~'),
		',' ORDER BY id)) FROM ${2:-$T}"
}

# inc_under_writes N CHUNK: the whole scenario.
inc_under_writes() {
	local n=$1
	inc_table "$n"
	inc_start --chunk-size "$2"
	writer "$n" 3>&- &
	WRITER=$!
	sleep 0.5
	snapshot_of "$T"
	wait_until 300 finished "$T"
	touch "$STOP"
	wait "$WRITER"
	WRITER=
	caught_up
	assert_equal "$(rows_of psql_rep)" "$(rows_of psql_src)"
	# Only the snapshot's rows and the writer's changes were written: the
	# table was read once, not again.
	run -0 grep -c "incremental snapshot of \"public.$T\" started" "$ERR"
	assert_output 1
}

@test "incremental snapshot of 20,000 rows under writes, chunks of 1,000: replica equals source" {
	inc_under_writes 20000 1000
}

@test "incremental snapshot of 50,000 rows under writes, chunks of 10,000: replica equals source" {
	inc_under_writes 50000 10000
}

@test "incremental snapshot of 300 rows under writes, chunks of 1: replica equals source" {
	inc_under_writes 300 1
}
