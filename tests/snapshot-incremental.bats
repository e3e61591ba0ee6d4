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
	PIPE= WRITER= APPLY_ARGS= ENV_ARGS=
}

teardown() {
	[[ ! -s $ERR ]] || grep -v 'progress:' "$ERR" | sed 's/^/# stderr: /' | tail -40
	touch "$STOP"
	[[ -z $WRITER ]] || wait "$WRITER" 2>/dev/null || true
	[[ -z $PIPE ]] || { kill -TERM -- "-$PIPE" 2>/dev/null || kill -TERM "$PIPE"; wait "$PIPE"; } 2>/dev/null || true
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
		cdc-envelope --prefix inc ${ENV_ARGS:-} |
		pg-apply -d '$WALPIPE_REPLICA' --table-format '\${source.table}' --insert-mode upsert \
			--delete --pk-mode record_key --auto-create --offsets-table public.${SLOT}_offsets \
			--ack-file '$ACK' ${APPLY_ARGS:-}" 2>>"$ERR" 3>&- &
	PIPE=$!
	set +m
	wait_until 30 slot_active
}

# tail_start ARGS...: pg-wal-tail alone in the background ($PIPE), its
# changes into $BATS_TEST_TMPDIR/out, signals from $SIG; returns once its
# slot is active.
tail_start() {
	pg-wal-tail -v -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --signal-file "$SIG" "$@" \
		>"$BATS_TEST_TMPDIR/out" 2>>"$ERR" 3>&- &
	PIPE=$!
	wait_until 30 slot_active
}

# pipe_stop: SIGTERM to $PIPE, which must then exit 0.
pipe_stop() {
	kill -TERM "$PIPE"
	wait "$PIPE"
	PIPE=
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

@test "incremental snapshot of 200,000 rows under writes, chunks of 1,000: replica equals source" {
	inc_under_writes 200000 1000
}

@test "incremental snapshot of 200,000 rows under writes, chunks of 10,000: replica equals source" {
	inc_under_writes 200000 10000
}

@test "incremental snapshot of 200,000 rows under writes, chunks of 1: replica equals source" {
	inc_under_writes 200000 1
}

# paused_at TABLE: the rows of TABLE the replica has, twice 1 s apart, equal.
replica_count() {
	psql_rep "SELECT count(*) FROM $1" 2>/dev/null || echo 0
}

@test "pause-snapshot holds the snapshot after its chunk, resume-snapshot goes on, stop-snapshot ends it" {
	local a b
	inc_table 20000
	inc_start --chunk-size 10
	snapshot_of "$T"
	wait_until 30 bash -c "[ \$(psql -X -At '$WALPIPE_REPLICA' -c 'SELECT count(*) FROM $T' 2>/dev/null || echo 0) -ge 200 ]"
	signal pause-snapshot '{}'
	wait_until 10 grep -q 'incremental snapshots paused' "$ERR"
	sleep 1
	a=$(replica_count "$T")
	sleep 1.5
	b=$(replica_count "$T")
	assert_equal "$b" "$a"
	assert [ "$a" -lt 20000 ]
	# Streaming goes on while paused.
	psql_src "UPDATE $T SET v = 5 WHERE id = 19999"
	wait_until 20 bash -c "[ \"\$(psql -X -At '$WALPIPE_REPLICA' -c 'SELECT v FROM $T WHERE id = 19999')\" = 5 ]"
	signal resume-snapshot '{}'
	wait_until 20 bash -c "[ \$(psql -X -At '$WALPIPE_REPLICA' -c 'SELECT count(*) FROM $T') -gt $((b + 1)) ]"
	signal stop-snapshot "{\"data-collections\":[\"public.$T\"],\"type\":\"incremental\"}"
	wait_until 10 grep -q "incremental snapshot of \"public.$T\" stopped after" "$ERR"
	sleep 1
	a=$(replica_count "$T")
	sleep 1.5
	assert_equal "$(replica_count "$T")" "$a"
	assert [ "$a" -lt 20000 ]
	# Once stopped, a new signal takes the table from the start, to the end.
	snapshot_of "$T"
	wait_until 120 finished "$T"
	caught_up
	assert_equal "$(rows_of psql_rep)" "$(rows_of psql_src)"
}

@test "a table without a primary key, a missing table, a bad line, a bad condition: a warning each; the stream goes on" {
	local nopk=${T}_nopk
	inc_table 10
	psql_src "CREATE TABLE $nopk (id int, v int)" "ALTER PUBLICATION $PUB ADD TABLE $nopk"
	inc_start --signal-table "public.${T}_nosig"
	grep -q "signal table \"public.${T}_nosig\" is not in publication" "$ERR"
	snapshot_of "$nopk"
	wait_until 10 grep -q "table \"public.$nopk\" has no primary key" "$ERR"
	signal execute-snapshot '{"data-collections":["public.no_such_table"]}'
	wait_until 10 grep -q 'table "public.no_such_table" is not in publication' "$ERR"
	echo 'not json' >>"$SIG"
	wait_until 10 grep -q 'is not a signal' "$ERR"
	local cond="{\"data-collection\":\"public.$T\",\"filter\":\"no_such_column = 1\"}"
	signal execute-snapshot "{\"data-collections\":[\"public.$T\"],\"additional-conditions\":[$cond]}"
	wait_until 10 grep -q 'condition "no_such_column = 1": column "no_such_column" does not exist' "$ERR"
	psql_src "UPDATE $T SET v = 3 WHERE id = 1"
	wait_until 20 bash -c "[ \"\$(psql -X -At '$WALPIPE_REPLICA' -c 'SELECT v FROM $T WHERE id = 1')\" = 3 ]"
	kill -0 "$PIPE"
}

@test "composite keys of text, uuid and int: every row, in key order, under writes" {
	psql_src "CREATE TABLE $T (a text, b uuid, c int, v int NOT NULL, PRIMARY KEY (a, b, c))" \
		"INSERT INTO $T SELECT 'k' || (g % 7) || chr(200 + g % 50), md5(g::text)::uuid, g % 3, g
			FROM generate_series(1, 3000) g" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --create-slot --snapshot never --end-lsn now
	inc_start --chunk-size 100
	snapshot_of "$T"
	for i in 1 2 3 4 5 6 7 8; do
		psql_src "UPDATE $T SET v = -v WHERE v % 10 = $i" "DELETE FROM $T WHERE v % 37 = $i"
	done
	wait_until 60 finished "$T"
	caught_up
	sum() { "$1" "SELECT count(*) || ' ' || md5(string_agg(a || b || c || ':' || v, ',' ORDER BY a, b, c)) FROM $T"; }
	assert_equal "$(sum psql_rep)" "$(sum psql_src)"
}

@test "a table added to the running pipeline by ALTER PUBLICATION and a row in the signal table" {
	local added=${T}_added sigt=${T}_signal
	inc_table 10
	psql_src "CREATE TABLE $sigt (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)" \
		"ALTER PUBLICATION $PUB ADD TABLE $sigt" \
		"CREATE TABLE $added (id int PRIMARY KEY, v int NOT NULL, pad text)" \
		"INSERT INTO $added SELECT g, g, 'a' FROM generate_series(1, 5000) g"
	inc_start --signal-table "public.$sigt"
	psql_src "UPDATE $T SET v = 1 WHERE id = 1"
	psql_src "ALTER PUBLICATION $PUB ADD TABLE $added" \
		"INSERT INTO $sigt VALUES ('add-1', 'execute-snapshot',
			'{\"data-collections\": [\"public.$added\"], \"type\": \"incremental\"}')"
	psql_src "UPDATE $added SET v = 0 WHERE id <= 100" "DELETE FROM $added WHERE id > 4900"
	wait_until 60 finished "$added"
	caught_up
	assert_equal "$(rows_of psql_rep "$added")" "$(rows_of psql_src "$added")"
	grep -q 'signal "add-1": execute-snapshot' "$ERR"
}

@test "a signal table in a schema with a dot and capitals in its name" {
	local sch="Sig.${T}" added=${T}_added
	inc_table 10
	psql_src "CREATE SCHEMA \"$sch\"" \
		"CREATE TABLE \"$sch\".dbz_signal (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)" \
		"ALTER PUBLICATION $PUB ADD TABLE \"$sch\".dbz_signal" \
		"CREATE TABLE $added (id int PRIMARY KEY, v int NOT NULL, pad text)" \
		"INSERT INTO $added SELECT g, g, 'a' FROM generate_series(1, 50) g" \
		"ALTER PUBLICATION $PUB ADD TABLE $added"
	inc_start --signal-table "$sch.dbz_signal"
	psql_src "INSERT INTO \"$sch\".dbz_signal VALUES ('dot-1', 'execute-snapshot',
		'{\"data-collections\": [\"public.$added\"]}')"
	wait_until 60 finished "$added"
	caught_up
	assert_equal "$(rows_of psql_rep "$added")" "$(rows_of psql_src "$added")"
}

@test "a FIFO as the signal file: signals as they are written; incremental rows carry snapshot \"incremental\"" {
	inc_table 50
	SIG=$BATS_TEST_TMPDIR/fifo
	mkfifo "$SIG"
	tail_start
	snapshot_of "$T"
	wait_until 30 finished "$T"
	pipe_stop
	run -0 jq -sc '[.[] | select(.op == "r")] | [length, (map(.snapshot) | unique), (map(.after.id) == ([range(1; 51)]))]' \
		"$BATS_TEST_TMPDIR/out"
	assert_output '[50,["incremental"],true]'
	# As Debezium writes incremental reads: no transaction id, no LSN.
	run -0 bash -c "cdc-envelope --prefix inc <'$BATS_TEST_TMPDIR/out' | jq -c 'select(.value.payload.op == \"r\") | .value.payload.source | [.snapshot, .txId, .lsn]' | sort -u"
	assert_output '["incremental",null,null]'
}

@test "-c: signal.data.collection and incremental.snapshot.chunk.size; a bad chunk size exits 78" {
	local sigt=${T}_signal conf=$BATS_TEST_TMPDIR/conn.json
	inc_table 30
	psql_src "CREATE TABLE $sigt (id text PRIMARY KEY, type text NOT NULL, data text)" \
		"ALTER PUBLICATION $PUB ADD TABLE $sigt"
	conf_with() {
		cat >"$conf" <<JSON
{"name": "c", "config": {"connector.class": "io.debezium.connector.postgresql.PostgresConnector",
  "database.hostname": "127.0.0.1", "database.port": "$WALPIPE_SOURCE_PORT",
  "database.user": "postgres", "database.password": "postgrespass",
  "database.dbname": "connect_test_db", "plugin.name": "pgoutput", "slot.name": "$SLOT",
  "publication.name": "$PUB", "topic.prefix": "p",
  "signal.data.collection": "public.$sigt", "incremental.snapshot.chunk.size": "$1"}}
JSON
	}
	conf_with 0
	run -78 --separate-stderr pg-wal-tail -c "$conf" --end-lsn now
	[[ $stderr == *'incremental.snapshot.chunk.size'* ]] || fail "$stderr"
	conf_with 7
	pg-wal-tail -v -c "$conf" >"$BATS_TEST_TMPDIR/out" 2>>"$ERR" 3>&- &
	PIPE=$!
	wait_until 30 slot_active
	psql_src "INSERT INTO $sigt VALUES ('c1', 'execute-snapshot', '{\"data-collections\":[\"public.$T\"]}')"
	wait_until 30 finished "$T"
	grep -q "incremental snapshot of \"public.$T\" started (chunks of 7)" "$ERR"
	pipe_stop
	run -0 jq -s '[.[] | select(.op == "r")] | length' "$BATS_TEST_TMPDIR/out"
	assert_output 30
}

# tail_pid: the pid of this test's pg-wal-tail (found by its slot), if running.
tail_pid() {
	local pid
	for pid in $(pgrep -x pg-wal-tail); do
		grep -qz -- "$SLOT" "/proc/$pid/cmdline" 2>/dev/null && { echo "$pid"; return 0; }
	done
	return 1
}
tail_running() { tail_pid >/dev/null; }

@test "--snapshot incremental: kill -9 five times under walpipe-run resumes at the acknowledged chunk; every row, copied once" {
	local n=${WALPIPE_RESUME_ROWS:-500000} runner st=0 kills=0 copied pid
	psql_src "CREATE TABLE $T (id int PRIMARY KEY, v int NOT NULL, pad text)" \
		"INSERT INTO $T SELECT g, 0, repeat('x', 40) FROM generate_series(1, $n) g" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	local counts=$BATS_TEST_TMPDIR/counts
	walpipe-run -n inc -s "$BATS_TEST_TMPDIR" --max-delay 1 -- "pg-wal-tail -v -d '$WALPIPE_SOURCE' \
		-S $SLOT -P $PUB --create-slot --snapshot incremental --state-file '$BATS_TEST_TMPDIR/state' \
		--chunk-size 32 --ack-file '$ACK' --status-interval 0.2 --progress 0 |
		tee >(trap '' TERM INT; grep -c '\"snapshot\":\"incremental\"' >>'$counts') |
		cdc-envelope --prefix inc |
		pg-apply -d '$WALPIPE_REPLICA' -t $T --insert-mode upsert --delete --pk-mode record_key \
			--auto-create --offsets-table public.${SLOT}_offsets --ack-file '$ACK'" \
		2>>"$ERR" 3>&- &
	runner=$!
	PIPE=
	while ((kills < 5)); do
		wait_until 30 tail_running
		# Short enough that five kills come before the snapshot ends on a
		# quiet machine too.
		sleep "0.$((RANDOM % 4 + 1))"
		grep -q 'incremental snapshots complete' "$ERR" && break
		pid=$(tail_pid)
		kill -KILL "$pid"
		wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"
		kills=$((kills + 1))
		# Changes between the runs: updates, deletes, inserts.
		psql_src "UPDATE $T SET v = v + 1 WHERE id % 1000 = $kills" \
			"DELETE FROM $T WHERE id % 997 = $kills" \
			"INSERT INTO $T VALUES ($n + $kills, 1, 'new')"
	done
	assert_equal "$kills" 5
	wait_until 300 grep -q 'incremental snapshots complete' "$ERR"
	caught_up
	kill -TERM "$runner"
	wait "$runner" || st=$?
	assert_equal "$st" 0
	assert_equal "$(rows_of psql_rep)" "$(rows_of psql_src)"
	copied=$(awk '{ s += $1 } END { print s }' "$counts")
	echo "# rows copied in total: $copied for $n rows, $kills kills" >&3
	assert [ "$copied" -lt $((n * 12 / 10)) ]
	assert [ "$copied" -ge "$((n - 5 * 997))" ]
}

@test "--snapshot incremental needs --state-file and --ack-file; a state file of another slot is refused" {
	inc_table 5
	run -64 --separate-stderr pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --snapshot incremental
	[[ $stderr == *'--snapshot incremental needs --state-file'* ]] || fail "$stderr"
	run -64 --separate-stderr pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" \
		--state-file "$BATS_TEST_TMPDIR/state"
	[[ $stderr == *'--state-file needs --ack-file'* ]] || fail "$stderr"
	# An existing slot whose state file is missing: what is left cannot be told.
	run -64 --separate-stderr pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" \
		--snapshot incremental --state-file "$BATS_TEST_TMPDIR/state" --ack-file "$ACK" --end-lsn now
	[[ $stderr == *'what is left of its incremental snapshot cannot be told'* ]] || fail "$stderr"
	# A state file whose lines are all after what the ack file acknowledges.
	echo '{"pos":"FF/0:1","todo":[]}' >"$BATS_TEST_TMPDIR/state"
	echo 'pos 0/1:1' >"$ACK"
	run -64 --separate-stderr pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" \
		--snapshot incremental --state-file "$BATS_TEST_TMPDIR/state" --ack-file "$ACK" --end-lsn now
	[[ $stderr == *'belongs to another slot'* ]] || fail "$stderr"
	# An emptied state file says nothing of another slot: it cannot tell what is left.
	: >"$BATS_TEST_TMPDIR/state"
	run -64 --separate-stderr pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" \
		--snapshot incremental --state-file "$BATS_TEST_TMPDIR/state" --ack-file "$ACK" --end-lsn now
	[[ $stderr == *"state file \"$BATS_TEST_TMPDIR/state\" of replication slot \"$SLOT\" has no complete line"* ]] ||
		fail "$stderr"
	# A new slot whose publication has a table without a primary key.
	psql_src "CREATE TABLE ${T}_nopk (v int)" "ALTER PUBLICATION $PUB ADD TABLE ${T}_nopk"
	rm -f "$ACK" "$BATS_TEST_TMPDIR/state"
	run -64 --separate-stderr pg-wal-tail -d "$WALPIPE_SOURCE" -S "${SLOT}_2" -P "$PUB" --create-slot \
		--snapshot incremental --state-file "$BATS_TEST_TMPDIR/state" --ack-file "$ACK" --end-lsn now
	[[ $stderr == *"table \"public.${T}_nopk\" has no primary key"* ]] || fail "$stderr"
	[ -z "$(psql_src "SELECT 1 FROM pg_replication_slots WHERE slot_name = '${SLOT}_2'")" ]
}

@test "progress of an incremental snapshot: rows done and estimated on stderr and in the metrics file" {
	local m=$BATS_TEST_TMPDIR/metrics.prom
	inc_table 100000
	psql_src "ANALYZE $T"
	pg-wal-tail -v -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --signal-file "$SIG" --chunk-size 100 \
		--metrics-file "$m" --progress 0.01 >/dev/null 2>>"$ERR" 3>&- &
	PIPE=$!
	wait_until 30 slot_active
	snapshot_of "$T"
	wait_until 10 grep -q "incremental snapshot of \"public.$T\" started" "$ERR"
	signal pause-snapshot '{}'
	wait_until 10 grep -q 'incremental snapshots paused' "$ERR"
	sleep 1.5
	metric() { sed -n "s/^walpipe_$1{command=\"pg-wal-tail\"} //p" "$m"; }
	assert_equal "$(metric incremental_snapshot_rows_estimated)" 100000
	assert_equal "$(metric incremental_snapshot_tables)" 1
	assert [ "$(metric incremental_snapshot_rows)" -gt 0 ]
	assert [ "$(metric incremental_snapshot_rows)" -lt 100000 ]
	signal resume-snapshot '{}'
	wait_until 30 finished "$T"
	sleep 1.5
	assert_equal "$(metric incremental_snapshot_tables)" 0
	assert_equal "$(metric snapshot_rows)" 100000
	grep -q "progress: public.$T.*rows" "$ERR" || fail "no progress line: $(grep progress "$ERR" | head -3)"
}

@test "a reader that falls behind: the next chunk waits for the rows before to be read, then all arrive" {
	local m=$BATS_TEST_TMPDIR/metrics.prom out=$BATS_TEST_TMPDIR/out
	inc_table 20000
	pg-wal-tail -v -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --signal-file "$SIG" --chunk-size 10 \
		--metrics-file "$m" --progress 0 2>>"$ERR" 3>&- | { sleep 4; cat >"$out"; } &
	PIPE=$!
	wait_until 30 slot_active
	snapshot_of "$T"
	sleep 3
	# Without waiting it would write on until the pipe was full (64 KiB)
	# and then block.  It writes the next chunk (10 rows, about 4 KiB)
	# only while at most 16 KiB are unread.
	run -0 sed -n 's/^walpipe_bytes_out_total{command="pg-wal-tail"} //p' "$m"
	assert [ "$output" -gt 0 ]
	assert [ "$output" -le $((16384 + 8192)) ]
	wait_until 60 grep -q "incremental snapshot of \"public.$T\": 20000 rows" "$ERR"
	kill -TERM "$(pgrep -f -- "-S $SLOT ")"
	wait "$PIPE"
	PIPE=
	run -0 jq -s 'map(select(.table == "'"$T"'")) | length' "$out"
	assert_output 20000
}

@test "additional-conditions: only the rows of the filter are read" {
	inc_table 100
	tail_start --chunk-size 7
	local cond="{\"data-collection\":\"public.$T\",\"filter\":\"id % 3 = 0 AND id > 50\"}"
	signal execute-snapshot "{\"data-collections\":[\"public.$T\"],\"type\":\"INCREMENTAL\",\"additional-conditions\":[$cond]}"
	wait_until 30 finished "$T"
	grep -q "incremental snapshot of \"public.$T\" queued where id % 3 = 0 AND id > 50" "$ERR"
	pipe_stop
	run -0 jq -sc '[.[] | select(.op == "r") | .after.id]' "$BATS_TEST_TMPDIR/out"
	assert_output "$(seq 51 100 | awk '$1 % 3 == 0' | jq -sc .)"
}

@test "--state-file: a stopped snapshot stays stopped after a restart, an unfinished one resumes" {
	local state=$BATS_TEST_TMPDIR/state other=${T}_b
	inc_table 100000
	psql_src "CREATE TABLE $other (id int PRIMARY KEY, v int NOT NULL, pad text)" \
		"INSERT INTO $other SELECT g, 0, 'b' FROM generate_series(1, 100000) g" \
		"ALTER PUBLICATION $PUB ADD TABLE $other"
	run_tail() {
		: >"$ERR"
		pg-wal-tail -v -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --signal-file "$SIG" --chunk-size 10 \
			--state-file "$state" --ack-file "$ACK" >>"$BATS_TEST_TMPDIR/out" 2>>"$ERR" 3>&- &
		PIPE=$!
		wait_until 30 slot_active
	}
	# stop_tail: SIGTERM, and downstream acknowledges everything written.
	stop_tail() {
		pipe_stop
		echo "pos $(tail -n 1 "$BATS_TEST_TMPDIR/out" | jq -r .pos)" >"$ACK"
	}
	run_tail
	snapshot_of "$T"
	wait_until 10 grep -q "incremental snapshot of \"public.$T\" started" "$ERR"
	signal stop-snapshot "{\"data-collections\":[\"public.$T\"]}"
	wait_until 10 grep -q "incremental snapshot of \"public.$T\" stopped" "$ERR"
	stop_tail
	run_tail
	snapshot_of "$other"
	wait_until 10 grep -q "incremental snapshot of \"public.$other\" started" "$ERR"
	signal pause-snapshot '{}'
	wait_until 10 grep -q 'incremental snapshots paused' "$ERR"
	run -1 grep -q "incremental snapshot of \"public.$T\" started" "$ERR"
	stop_tail
	run_tail
	wait_until 60 finished "$other"
	grep -q 'resuming incremental snapshots' "$ERR"
	run -1 grep -q "incremental snapshot of \"public.$T\" started" "$ERR"
	stop_tail
	# Every row of the unfinished table, across the runs; not all of the stopped one.
	run -0 jq -s --arg t "$other" '[.[] | select(.op == "r" and .table == $t) | .after.id] | unique | length' \
		"$BATS_TEST_TMPDIR/out"
	assert_output 100000
	run -0 jq -s --arg t "$T" '[.[] | select(.op == "r" and .table == $t)] | length < 100000' \
		"$BATS_TEST_TMPDIR/out"
	assert_output true
}

@test "additional-conditions: a condition is one WHERE clause; a second statement in it is refused, never run" {
	inc_table 20
	psql_src "CREATE TABLE ${T}_victim (id int)"
	inc_start
	local cond="{\"data-collection\":\"public.$T\",\"filter\":\"id < 5); DROP TABLE ${T}_victim; SELECT (1\"}"
	signal execute-snapshot "{\"data-collections\":[\"public.$T\"],\"additional-conditions\":[$cond]}"
	wait_until 10 grep -q "condition \"id < 5); DROP TABLE ${T}_victim; SELECT (1\": .*multiple commands" "$ERR"
	run -0 psql_src "SELECT count(*) FROM pg_catalog.pg_class WHERE relname = '${T}_victim'"
	assert_output 1
	run -1 grep -q "incremental snapshot of \"public.$T\" queued" "$ERR"
	kill -0 "$PIPE"
}

@test "a table dropped or renamed during its snapshot: the snapshot of a renamed one goes on, of a dropped one ends; the stream goes on" {
	local other=${T}_other renamed=${T}_renamed
	inc_table 200000
	psql_src "CREATE TABLE $other (id int PRIMARY KEY, v int NOT NULL, pad text)" \
		"INSERT INTO $other SELECT g, 1, 'o' FROM generate_series(1, 200000) g" \
		"ALTER PUBLICATION $PUB ADD TABLE $other"
	inc_start --chunk-size 10
	signal execute-snapshot "{\"data-collections\":[\"public.$other\",\"public.$T\"]}"
	wait_until 30 bash -c "[ \$(psql -X -At '$WALPIPE_REPLICA' -c 'SELECT count(*) FROM $other' 2>/dev/null || echo 0) -ge 100 ]"
	psql_src "ALTER TABLE $other RENAME TO $renamed"
	wait_until 120 grep -q "incremental snapshot of \"public.$renamed\": [0-9]* rows" "$ERR"
	wait_until 30 bash -c "[ \$(psql -X -At '$WALPIPE_REPLICA' -c 'SELECT count(*) FROM $T' 2>/dev/null || echo 0) -ge 100 ]"
	psql_src "DROP TABLE $T"
	wait_until 30 grep -q "incremental snapshot of \"public.$T\": the table was dropped" "$ERR"
	psql_src "UPDATE $renamed SET v = 2 WHERE id = 200000"
	caught_up
	kill -0 "$PIPE"
	# Every row of the renamed table: downstream, under its old name until
	# the rename, its new name after.
	assert_equal "$(psql_rep "SELECT count(DISTINCT id) FROM (SELECT id FROM $other
		UNION ALL SELECT id FROM $renamed) u")" 200000
	assert_equal "$(psql_rep "SELECT v FROM $renamed WHERE id = 200000")" 2
}

@test "--state-file of a publication of many tables stays small: lines downstream acknowledged are dropped as the snapshot goes" {
	local state=$BATS_TEST_TMPDIR/state i sql=()
	psql_src "CREATE PUBLICATION $PUB"
	for i in $(seq 1 150); do
		sql+=("CREATE TABLE ${T}_$i (id int PRIMARY KEY, v int)"
			"INSERT INTO ${T}_$i SELECT g, g FROM generate_series(1, 20) g"
			"ALTER PUBLICATION $PUB ADD TABLE ${T}_$i")
	done
	psql_src "${sql[@]}"
	inc_start --create-slot --snapshot incremental --state-file "'$state'" --chunk-size 1
	wait_until 300 grep -q 'incremental snapshots complete' "$ERR"
	caught_up
	assert_equal "$(psql_rep "SELECT count(*) FROM ${T}_150")" 20
	# 3,150 chunks, each line naming up to 150 tables: about 14 MB if every
	# line were kept.
	run -0 stat -c %s "$state"
	assert [ "$output" -lt 2000000 ]
	# A restart resumes from the smaller file: nothing left to read.
	kill -TERM -- "-$PIPE"
	wait "$PIPE" || true
	: >"$ERR"
	inc_start --snapshot incremental --state-file "'$state'" --chunk-size 1
	psql_src "UPDATE ${T}_1 SET v = 0 WHERE id = 1"
	caught_up
	assert_equal "$(psql_rep "SELECT v FROM ${T}_1 WHERE id = 1")" 0
	# At most the last table is looked at again, past its last key.
	run -0 grep -c 'snapshot of .* started' "$ERR"
	assert [ "$output" -le 1 ]
	run -1 grep -q "snapshot of \"public.${T}_1[0-4]\?[0-9]\?\" started" "$ERR"
}

@test "--state-file in use by another pg-wal-tail is refused (69) and left as it is" {
	local state=$BATS_TEST_TMPDIR/state before
	inc_table 200000
	inc_start --chunk-size 10 --state-file "'$state'"
	snapshot_of "$T"
	wait_until 10 grep -q "incremental snapshot of \"public.$T\" started" "$ERR"
	before=$(stat -c %i "$state")
	run -69 --separate-stderr pg-wal-tail -d "$WALPIPE_SOURCE" -S "${SLOT}_2" -P "$PUB" --create-slot \
		--snapshot never --state-file "$state" --ack-file "$BATS_TEST_TMPDIR/ack2" --end-lsn now
	[[ $stderr == *"state file \"$state\" is in use by another pg-wal-tail"* ]] || fail "$stderr"
	assert_equal "$(stat -c %i "$state")" "$before"
	grep -q "public.$T" "$state"
	[ -z "$(psql_src "SELECT 1 FROM pg_replication_slots WHERE slot_name = '${SLOT}_2'")" ]
	kill -0 "$PIPE"
}

@test "a column added during a table's snapshot: the rows read after it carry it" {
	inc_table 200000
	APPLY_ARGS='--schema-evolution basic'
	inc_start --chunk-size 10
	snapshot_of "$T"
	wait_until 30 bash -c "[ \$(psql -X -At '$WALPIPE_REPLICA' -c 'SELECT count(*) FROM $T' 2>/dev/null || echo 0) -ge 100 ]"
	psql_src "ALTER TABLE $T ADD COLUMN w int DEFAULT (random() * 1000)::int"
	psql_src "UPDATE $T SET v = 1 WHERE id = 1"
	wait_until 120 finished "$T"
	caught_up
	# The rows read before the column came get it from no change: only
	# those read after it can be checked.
	w_of() {
		"$1" "SELECT count(*) || ' ' || md5(string_agg(id || ':' || coalesce(w, -1), ',' ORDER BY id))
			FROM $T WHERE id > 100000"
	}
	assert_equal "$(w_of psql_rep)" "$(w_of psql_src)"
	assert_equal "$(rows_of psql_rep)" "$(rows_of psql_src)"
}

@test "a signal line longer than 1 MiB in a FIFO is refused with a warning; memory stays bounded, later signals act" {
	inc_table 20
	SIG=$BATS_TEST_TMPDIR/fifo
	mkfifo "$SIG"
	tail_start
	# 8 MB without a newline, from a writer that then goes away (a FIFO is
	# read 64 KB per 0.2 s when idle: this takes up to half a minute).
	head -c 8000000 /dev/zero | tr '\0' x >"$SIG"
	wait_until 10 grep -q "signal file \"$SIG\": a line longer than 1048576 bytes: ignored" "$ERR"
	# Kept whole, the line alone would take 8 MB more than the 11 MB or so
	# pg-wal-tail needs.
	run -0 awk '/VmHWM/ { print $2 }' "/proc/$PIPE/status"
	assert [ "$output" -lt 16000 ]
	echo '"the end of the long line"' >"$SIG"
	snapshot_of "$T"
	wait_until 30 finished "$T"
	run -0 grep -c 'signal file' "$ERR"
	assert_output 1
}

# nokey_table N: $T without a primary key (id unique NOT NULL, g nullable,
# NULL in a third of the rows), REPLICA IDENTITY FULL, in publication $PUB.
nokey_table() {
	psql_src "CREATE TABLE $T (id int NOT NULL, g int, v int NOT NULL, pad text)" \
		"CREATE UNIQUE INDEX ON $T (id)" \
		"ALTER TABLE $T REPLICA IDENTITY FULL" \
		"INSERT INTO $T SELECT i, CASE WHEN i % 3 > 0 THEN i % 50 END, 0, 'x'
			FROM generate_series(1, $1) i" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --create-slot --snapshot never \
		--end-lsn now
}

nokey_rows() {
	"$1" "SELECT count(*) || ' ' || md5(string_agg(id || ':' || coalesce(g, -1) || ':' || v || ':'
		|| coalesce(pad, '~'), ',' ORDER BY id)) FROM $T"
}

@test "--key-columns: a table without a primary key, read in chunks of nullable columns under writes: replica equals source" {
	local n=3000 k=3001
	nokey_table "$n"
	ENV_ARGS="-k 'public.$T:id'"
	inc_start --chunk-size 7 -k "'public.$T:g,id'"
	(
		while [[ ! -e $STOP ]]; do
			psql -X -q -v ON_ERROR_STOP=1 "$WALPIPE_SOURCE" \
				-c "UPDATE $T SET v = v + 1 WHERE id IN (SELECT 1 + (random() * $n)::int FROM generate_series(1, 20))" \
				-c "UPDATE $T SET g = CASE WHEN g IS NULL THEN (random() * 60)::int END
					WHERE id IN (SELECT 1 + (random() * $n)::int FROM generate_series(1, 5))" \
				-c "DELETE FROM $T WHERE id IN (SELECT 1 + (random() * $n)::int FROM generate_series(1, 3))" \
				-c "INSERT INTO $T VALUES ($k, NULL, 7, 'w'), ($((k + 1)), 1, 7, 'w')" >/dev/null || exit
			k=$((k + 2))
		done
	) 3>&- &
	WRITER=$!
	sleep 0.5
	snapshot_of "$T"
	wait_until 300 finished "$T"
	touch "$STOP"
	wait "$WRITER"
	WRITER=
	caught_up
	assert_equal "$(nokey_rows psql_rep)" "$(nokey_rows psql_src)"
	run -0 grep -c "incremental snapshot of \"public.$T\" started" "$ERR"
	assert_output 1
}

@test "--key-columns: columns that may repeat, that the replica identity lacks or that are missing are refused, each with a warning" {
	inc_table 10
	psql_src "CREATE TABLE ${T}_dup (a int NOT NULL, b int)" \
		"CREATE UNIQUE INDEX ON ${T}_dup (b)" \
		"ALTER TABLE ${T}_dup REPLICA IDENTITY FULL" \
		"CREATE TABLE ${T}_ident (a int NOT NULL, b int)" \
		"CREATE UNIQUE INDEX ON ${T}_ident (a)" \
		"CREATE TABLE ${T}_nokey (a int)" \
		"ALTER PUBLICATION $PUB ADD TABLE ${T}_dup, ${T}_ident, ${T}_nokey"
	inc_start -k "'public.${T}_dup:a;public.${T}_ident:a;public.$T:id,nope'"
	snapshot_of "${T}_dup"
	wait_until 10 grep -q "the key columns --key-columns names for table \"public.${T}_dup\" may repeat" "$ERR"
	snapshot_of "${T}_ident"
	wait_until 10 grep -q "the replica identity of table \"public.${T}_ident\" does not carry the key columns.*REPLICA IDENTITY FULL" "$ERR"
	snapshot_of "$T"
	wait_until 10 grep -q "key column \"nope\" of --key-columns is not in table \"public.$T\"" "$ERR"
	snapshot_of "${T}_nokey"
	wait_until 10 grep -q "table \"public.${T}_nokey\" has no primary key: .* or of the columns --key-columns (message.key.columns) names for it" "$ERR"
	run -1 grep -q 'snapshot of .* started' "$ERR"
	kill -0 "$PIPE"
	run -64 --separate-stderr pg-wal-tail -S s -P p -k 'nodot:a'
	[[ $stderr == *'invalid value for --key-columns: "nodot:a" is not schema.table:column'* ]] || fail "$stderr"
}

@test "-c message.key.columns: a table with a primary key is read in chunks of the columns it names" {
	local conf=$BATS_TEST_TMPDIR/conn.json
	psql_src "CREATE TABLE $T (id int PRIMARY KEY, code text NOT NULL UNIQUE)" \
		"INSERT INTO $T SELECT i, md5(i::text) FROM generate_series(1, 40) i" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	cat >"$conf" <<JSON
{"name": "c", "config": {"connector.class": "io.debezium.connector.postgresql.PostgresConnector",
  "database.hostname": "127.0.0.1", "database.port": "$WALPIPE_SOURCE_PORT",
  "database.user": "postgres", "database.password": "postgrespass",
  "database.dbname": "connect_test_db", "slot.name": "$SLOT", "publication.name": "$PUB",
  "topic.prefix": "p", "incremental.snapshot.chunk.size": "3",
  "message.key.columns": "public.$T:code"}}
JSON
	pg-wal-tail -c "$conf" --create-slot --snapshot never --end-lsn now
	# The key must be in the replica identity: the primary key's is not enough.
	psql_src "ALTER TABLE $T REPLICA IDENTITY FULL"
	pg-wal-tail -v -c "$conf" --signal-file "$SIG" >"$BATS_TEST_TMPDIR/out" 2>>"$ERR" 3>&- &
	PIPE=$!
	wait_until 30 slot_active
	snapshot_of "$T"
	wait_until 30 finished "$T"
	pipe_stop
	run -0 jq -sc '[.[] | select(.op == "r") | .after.code] | [length, . == sort]' "$BATS_TEST_TMPDIR/out"
	assert_output '[40,true]'
	run -0 jq -sc '[.[] | select(.op == "r") | .after.id] | . == sort' "$BATS_TEST_TMPDIR/out"
	assert_output false
}

@test "--key-columns and --state-file: a snapshot stopped inside the rows whose key is NULL resumes after the last one read" {
	local state=$BATS_TEST_TMPDIR/state
	psql_src "CREATE TABLE $T (id int NOT NULL, g int, v int NOT NULL, pad text)" \
		"CREATE UNIQUE INDEX ON $T (id)" \
		"ALTER TABLE $T REPLICA IDENTITY FULL" \
		"INSERT INTO $T SELECT i, CASE WHEN i <= 10 THEN i END, 0, 'x' FROM generate_series(1, 3000) i" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --create-slot --snapshot never --end-lsn now
	run_tail() {
		pg-wal-tail -v -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --signal-file "$SIG" --chunk-size 1 \
			-k "public.$T:g,id" --state-file "$state" --ack-file "$ACK" \
			>>"$BATS_TEST_TMPDIR/out" 2>>"$ERR" 3>&- &
		PIPE=$!
		wait_until 30 slot_active
	}
	run_tail
	snapshot_of "$T"
	wait_until 30 bash -c "[ \$(grep -c '\"op\":\"r\"' '$BATS_TEST_TMPDIR/out') -ge 50 ]"
	signal pause-snapshot '{}'
	wait_until 10 grep -q 'incremental snapshots paused' "$ERR"
	pipe_stop
	echo "pos $(tail -n 1 "$BATS_TEST_TMPDIR/out" | jq -r .pos)" >"$ACK"
	# The resume key names the NULL.
	tail -n 1 "$state" | grep -q '"after":\[null,"[0-9]*"\]' || fail "$(tail -n 1 "$state")"
	run_tail
	wait_until 60 finished "$T"
	pipe_stop
	run -0 jq -sc '[.[] | select(.op == "r") | .after.id] | [length, (unique | length)]' \
		"$BATS_TEST_TMPDIR/out"
	assert_output '[3000,3000]'
}

@test "data-collections are regular expressions of whole names: a pattern takes the publication's tables it matches, one that matches none is a warning" {
	psql_src "CREATE PUBLICATION $PUB"
	local tb
	for tb in ${T}_a1 ${T}_a2 ${T}_a10x ${T}_b ${T}_c; do
		psql_src "CREATE TABLE $tb (id int PRIMARY KEY)" \
			"INSERT INTO $tb SELECT generate_series(1, 10)" \
			"ALTER PUBLICATION $PUB ADD TABLE $tb"
	done
	# Not in the publication: a pattern never reaches it.
	psql_src "CREATE TABLE ${T}_a3 (id int PRIMARY KEY)" "INSERT INTO ${T}_a3 VALUES (1)"
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --create-slot --snapshot never --end-lsn now
	tail_start
	local cond="{\"data-collection\":\"public[.]${T}_a.*\",\"filter\":\"id <= 3\"}"
	signal execute-snapshot "{\"data-collections\":[\"public[.]${T}_a[0-9]+\",\"public.${T}_b\",\"${T}_c\",\"public[.]${T}_zz.*\",\"public.${T}_(\"],\"additional-conditions\":[$cond]}"
	wait_until 30 finished "${T}_c"
	grep -q "signal \".*\": \"public\[.\]${T}_a\[0-9\]+\" matches 2 tables" "$ERR"
	grep -q "no table of publication \"$PUB\" matches \"public\[.\]${T}_zz.\*\": ignored" "$ERR"
	grep -q "\"public.${T}_(\" is not a regular expression: ignored" "$ERR"
	# A stop-snapshot pattern stops the tables it matches (queued while paused).
	signal pause-snapshot '{}'
	signal execute-snapshot "{\"data-collections\":[\"public.${T}_b\"]}"
	signal stop-snapshot "{\"data-collections\":[\"public[.]${T}_[b-z]\"]}"
	signal resume-snapshot '{}'
	wait_until 10 grep -q "signal \".*\": resume-snapshot" "$ERR"
	sleep 1
	pipe_stop
	run -0 jq -sc '[.[] | select(.op == "r") | .table] | group_by(.) | map([.[0], length])' \
		"$BATS_TEST_TMPDIR/out"
	assert_output "[[\"${T}_a1\",3],[\"${T}_a2\",3],[\"${T}_b\",10],[\"${T}_c\",10]]"
	run -1 grep -q "snapshot of \"public.${T}_a10x\"" "$ERR"
	run -1 grep -q "snapshot of \"public.${T}_a3\"" "$ERR"
}

@test "a blocking execute-snapshot is not supported: a warning names it, nothing is read, streaming goes on" {
	inc_table 20
	tail_start
	signal execute-snapshot "{\"data-collections\":[\"public.$T\"],\"type\":\"blocking\"}"
	wait_until 10 grep -q "snapshot type \"blocking\" is not supported, only \"incremental\", which reads the tables while streaming goes on: ignored" "$ERR"
	psql_src "UPDATE $T SET v = 4 WHERE id = 3"
	wait_until 10 grep -q '"op":"u"' "$BATS_TEST_TMPDIR/out"
	pipe_stop
	run -1 grep -q '"op":"r"' "$BATS_TEST_TMPDIR/out"
	run -1 grep -q 'snapshot of .* queued' "$ERR"
}

@test "--snapshot incremental takes a table without a primary key when --key-columns names its key" {
	local state=$BATS_TEST_TMPDIR/state
	psql_src "CREATE TABLE $T (id int NOT NULL, g int, v int NOT NULL, pad text)" \
		"CREATE UNIQUE INDEX ON $T (id)" \
		"ALTER TABLE $T REPLICA IDENTITY FULL" \
		"INSERT INTO $T SELECT i, CASE WHEN i % 2 = 0 THEN i END, 0, 'x' FROM generate_series(1, 500) i" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	pg-wal-tail -v -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --create-slot --snapshot incremental \
		--state-file "$state" --ack-file "$ACK" --chunk-size 50 -k "public.$T:g,id" \
		>"$BATS_TEST_TMPDIR/out" 2>>"$ERR" 3>&- &
	PIPE=$!
	wait_until 30 grep -q 'incremental snapshots complete' "$ERR"
	pipe_stop
	run -0 jq -sc '[.[] | select(.op == "r") | .after.id] | [length, (unique | length)]' \
		"$BATS_TEST_TMPDIR/out"
	assert_output '[500,500]'
}

@test "tables of odd names: a schema with a dot, capitals, a quote; by exact name and by pattern" {
	local sch="${T}.Sch"
	psql_src "CREATE SCHEMA \"$sch\"" \
		"CREATE TABLE \"$sch\".\"T1\" (id int PRIMARY KEY)" \
		"INSERT INTO \"$sch\".\"T1\" SELECT generate_series(1, 10)" \
		"CREATE TABLE \"${T}_q\"\"x\" (id int PRIMARY KEY)" \
		"INSERT INTO \"${T}_q\"\"x\" SELECT generate_series(1, 4)" \
		"CREATE PUBLICATION $PUB FOR TABLE \"$sch\".\"T1\", \"${T}_q\"\"x\""
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --create-slot --snapshot never --end-lsn now
	tail_start
	signal execute-snapshot "{\"data-collections\":[\"$sch.T1\"]}"
	wait_until 30 grep -q "incremental snapshot of \"$sch.T1\": 10 rows" "$ERR"
	signal execute-snapshot "{\"data-collections\":[\"${T}[.]Sch[.].*\",\"public.${T}_q\\\"x\"]}"
	wait_until 30 grep -q "incremental snapshot of \"public.${T}_q\"x\": 4 rows" "$ERR"
	pipe_stop
	run -0 jq -sc '[.[] | select(.op == "r") | [.schema, .table]] | group_by(.) | map([.[0][0], .[0][1], length])' \
		"$BATS_TEST_TMPDIR/out"
	assert_output "[[\"public\",\"${T}_q\\\"x\",4],[\"$sch\",\"T1\",20]]"
	run -1 grep -q 'not in publication' "$ERR"
}

@test "data-collections: a back-reference refers to the pattern's own group; a top-level alternation matches whole names" {
	psql_src "CREATE PUBLICATION $PUB"
	local tb
	for tb in ${T}_aa ${T}_ab ${T}_abx; do
		psql_src "CREATE TABLE $tb (id int PRIMARY KEY)" \
			"INSERT INTO $tb SELECT generate_series(1, 3)" \
			"ALTER PUBLICATION $PUB ADD TABLE $tb"
	done
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --create-slot --snapshot never --end-lsn now
	tail_start
	signal execute-snapshot "{\"data-collections\":[\"public[.]${T}_(a)\\\\1\",\"nothing|public[.]${T}_ab\"]}"
	wait_until 30 grep -q "incremental snapshots complete" "$ERR"
	pipe_stop
	run -0 jq -sc '[.[] | select(.op == "r") | .table] | group_by(.) | map([.[0], length])' \
		"$BATS_TEST_TMPDIR/out"
	assert_output "[[\"${T}_aa\",3],[\"${T}_ab\",3]]"
}

@test "a table rewritten (ALTER COLUMN TYPE) while a chunk waits for its lock: the snapshot reads every row" {
	inc_table 1000
	tail_start --chunk-size 10
	snapshot_of "$T"
	wait_until 30 bash -c "[ \$(grep -c '\"op\":\"r\"' '$BATS_TEST_TMPDIR/out') -ge 50 ]"
	signal pause-snapshot '{}'
	wait_until 10 grep -q 'incremental snapshots paused' "$ERR"
	# A reader holds the table; the rewrite queues behind it, and the next
	# chunk's read behind the rewrite.  A snapshot taken before the rewrite
	# commits would see the rewritten table empty.
	psql_src "BEGIN" "LOCK TABLE $T IN ACCESS SHARE MODE" "SELECT pg_sleep(3)" "COMMIT" >/dev/null 3>&- &
	local holder=$!
	sleep 0.5
	psql_src "ALTER TABLE $T ALTER COLUMN v TYPE bigint" 3>&- &
	local rewrite=$!
	sleep 0.5
	signal resume-snapshot '{}'
	wait "$holder"
	wait "$rewrite"
	wait_until 60 grep -q "incremental snapshot of \"public.$T\": [0-9]* rows" "$ERR"
	pipe_stop
	run -0 jq -sc '[.[] | select(.op == "r") | .after.id] | [length, (unique | length)]' \
		"$BATS_TEST_TMPDIR/out"
	assert_output '[1000,1000]'
}
