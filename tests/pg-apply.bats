#!/usr/bin/env bats
# pg-apply: Debezium records applied to the replica server of a stack.
bats_require_minimum_version 1.5.0
load test_helper/common

F="$REPO/tests/fixtures/pg-apply"
TOPIC=postgres_server.connect_test_db.public.source_table

setup_file() {
	stack_up
}

teardown_file() {
	stack_down
}

# Every test gets its own destination table and offsets table.
setup() {
	T=$(unique_name t)
	OFF=$(unique_name off)
}

apply() {
	timeout 120 pg-apply -d "$WALPIPE_REPLICA" --offsets-table "$OFF" "$@" 3>&-
}

# The seed's sink settings as flags.
seed_flags=(-m upsert -k record_key --pk-fields id --delete --auto-create --schema-evolution basic)

@test "pg-apply --help and --version: stdout, exit 0, nothing on stderr" {
	run -0 --separate-stderr pg-apply --help
	[[ $output == "pg-apply "*$'\n\n'"Usage: pg-apply"* ]]
	[ -z "$stderr" ]
	run -0 --separate-stderr pg-apply --version
	[[ $output == "pg-apply (walpipe) "* ]]
	[ -z "$stderr" ]
}

@test "pg-apply: unknown option and bad values exit 64 with a hint" {
	run -64 --separate-stderr pg-apply --no-such-option
	[[ $stderr == *'Try "pg-apply --help"'* ]]
	run -64 --separate-stderr pg-apply --insert-mode sideways
	[[ $stderr == *'--insert-mode'* ]]
	run -64 --separate-stderr pg-apply -m upsert
	[[ $stderr == *'needs a primary key'* ]]
	run -64 --separate-stderr pg-apply --batch-size 0
}

@test "every option in --help is in the man page" {
	local opt
	for opt in $(pg-apply --help | grep -o -- '--[a-z-]*' | sort -u); do
		grep -q -- "${opt#--}" "$REPO/man/man1/pg-apply.1" || {
			echo "missing in man page: $opt"
			return 1
		}
	done
}

@test "seed scenario: insert, update, delete and tombstone, after each the replica equals the source" {
	sed -n 1p "$F/seed-kafka.ndjson" | apply "${seed_flags[@]}" -t "$T"
	run -0 psql_rep "SELECT id, name FROM $T"
	assert_output "1|test1"
	sed -n 2p "$F/seed-kafka.ndjson" | apply "${seed_flags[@]}" -t "$T"
	run -0 psql_rep "SELECT id, name FROM $T"
	assert_output "1|test2"
	sed -n 3,4p "$F/seed-kafka.ndjson" | apply "${seed_flags[@]}" -t "$T"
	run -0 psql_rep "SELECT count(*) FROM $T"
	assert_output 0
	# The table Debezium's sink would create.
	run -0 psql_rep "SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable || ' ' ||
		coalesce(column_default, '-'), ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_name = '$T'"
	assert_output "id integer NO 0, name text YES -"
	run -0 psql_rep "SELECT a.attname FROM pg_index i JOIN pg_attribute a
		ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
		WHERE i.indrelid = '$T'::regclass AND i.indisprimary"
	assert_output id
}

@test "offsets table and ack file: a rerun applies nothing twice" {
	apply "${seed_flags[@]}" -t "$T" --ack-file "$BATS_TEST_TMPDIR/ack" <"$F/seed-kafka.ndjson"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output "offset $TOPIC 0 4"
	run -0 psql_rep "SELECT source, position FROM $OFF"
	assert_output "$TOPIC/0|3"
	# Replaying the first two records must not bring id 1 back.
	run -0 --separate-stderr apply "${seed_flags[@]}" -t "$T" -v <"$F/seed-kafka.ndjson"
	[[ $stderr == *"applied 0 changes, skipped 4 already applied"* ]]
	run -0 psql_rep "SELECT count(*) FROM $T"
	assert_output 0
}

@test "records delivered twice within one run are applied once" {
	cat "$F/seed-kafka.ndjson" <(sed -n 1,2p "$F/seed-kafka.ndjson") >"$BATS_TEST_TMPDIR/twice"
	run -0 --separate-stderr apply "${seed_flags[@]}" -t "$T" -v <"$BATS_TEST_TMPDIR/twice"
	[[ $stderr == *"applied 3 changes, skipped 2 already applied"* ]]
	run -0 psql_rep "SELECT count(*) FROM $T"
	assert_output 0
}

@test "an ack file it may not write (read-only directory): exit 77 after the commit, a rerun skips it" {
	D=$(mktemp -d /tmp/papply-ro.XXXXXX)
	chmod 555 "$D"
	# root writes anyway: run as an ordinary user when root.
	as() { if ((EUID == 0)); then runuser -u walpipe -- "$@"; else "$@"; fi; }
	run --separate-stderr as timeout 120 "$(command -v pg-apply)" -d "$WALPIPE_REPLICA" --offsets-table "$OFF" \
		"${seed_flags[@]}" -t "$T" --ack-file "$D/ack" <"$F/seed-pos.ndjson"
	rmdir "$D"
	assert_equal "$status" 77
	[[ $stderr == *"could not write acknowledgement file \"$D/ack\": Permission denied"* ]] || fail "$stderr"
	run -0 psql_rep "SELECT position FROM $OFF WHERE source = 'pos'"
	assert_output "0/199EAF8:1"
}

@test "a slow ack file write holds up no row: each is applied when it comes" {
	cc -shared -fPIC -o "$BATS_TEST_TMPDIR/slowfsync.so" "$REPO/tests/fixtures/preload/slowfsync.c"
	psql_rep "CREATE TABLE $T (id int PRIMARY KEY, name text,
		arrived timestamptz NOT NULL DEFAULT clock_timestamp())"
	# Every ack file write takes two fsyncs of a second each; a record
	# comes every 0.3 s, its name the time it was written.
	{
		for i in 1 2 3 4 5 6; do
			head -n 1 "$F/seed-kafka.ndjson" |
				jq -c --argjson i "$i" --arg now "$(date +%s%3N)" \
					'.offset = $i | .key.payload.id = $i | .value.payload.after = {id: $i, name: $now}'
			sleep 0.3
		done
	} | SLOW_FSYNC_MS=1000 LD_PRELOAD="$BATS_TEST_TMPDIR/slowfsync.so" \
		apply -m upsert -k record_key --pk-fields id -t "$T" --ack-file "$BATS_TEST_TMPDIR/ack"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output "offset $TOPIC 0 7"
	# Applied soon after written, not after the two seconds of a write in the way.
	run -0 psql_rep "SELECT count(*), max(extract(epoch FROM arrived) * 1000 - name::bigint)::int FROM $T"
	IFS='|' read -r n max <<<"$output"
	assert_equal "$n" 6
	((max < 1000)) || fail "a row waited $max ms"
}

@test "records with pos: a delete's record rides with its tombstone's pos" {
	apply "${seed_flags[@]}" -t "$T" --ack-file "$BATS_TEST_TMPDIR/ack" <"$F/seed-pos.ndjson"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output "pos 0/199EAF8:1"
	run -0 psql_rep "SELECT position FROM $OFF WHERE source = 'pos'"
	assert_output "0/199EAF8:1"
	run -0 psql_rep "SELECT count(*) FROM $T"
	assert_output 0
	# Input ending inside a change: the delete waits for its pos, and a
	# rerun that already has the change skips the delete too.
	psql_rep "INSERT INTO $T VALUES (1, 'again')"
	run -0 --separate-stderr bash -c "sed -n 3,4p '$F/seed-pos.ndjson' |
		timeout 60 pg-apply -v -d '$WALPIPE_REPLICA' --offsets-table '$OFF' ${seed_flags[*]} -t '$T'"
	[[ $stderr == *"applied 0 changes, skipped 2 already applied"* ]]
	run -0 psql_rep "SELECT name FROM $T"
	assert_output again
	# Left out, but never in silence: a second pipeline from another slot
	# sharing the offsets table would lose its changes here.
	run -0 --separate-stderr apply "${seed_flags[@]}" -t "$T" <"$F/seed-pos.ndjson"
	run grep -c "leaving out changes from position .* applied before (offsets table $OFF); if a second pipeline from another slot writes to that table, give each its own --offsets-table" <<<"$stderr"
	assert_output 1
}

@test "-c reads the seed's Debezium sink connector configuration" {
	jq --arg url "jdbc:postgresql://127.0.0.1:$WALPIPE_REPLICA_PORT/connect_test_db" \
		--arg t "$T" '.config["connection.url"] = $url | .config["table.name.format"] = $t' \
		"$F/postgresdb-sink-connector.json" >"$BATS_TEST_TMPDIR/sink.json"
	# No -d: the connection comes from connection.url and the credentials.
	sed -n 1,2p "$F/seed-kafka.ndjson" |
		timeout 60 pg-apply -c "$BATS_TEST_TMPDIR/sink.json" --offsets-table "$OFF" 3>&-
	run -0 psql_rep "SELECT id, name FROM $T"
	assert_output "1|test2"
	sed -n 3,4p "$F/seed-kafka.ndjson" |
		timeout 60 pg-apply -c "$BATS_TEST_TMPDIR/sink.json" --offsets-table "$OFF" 3>&-
	run -0 psql_rep "SELECT count(*) FROM $T"
	assert_output 0
	# 3.x names, bare config, explicit flags win.
	jq '.config | del(.["table.name.format"]) | .["collection.name.format"] = "${source.table}_x"' \
		"$BATS_TEST_TMPDIR/sink.json" >"$BATS_TEST_TMPDIR/bare.json"
	sed -n 1p "$F/seed-kafka.ndjson" |
		timeout 60 pg-apply -c "$BATS_TEST_TMPDIR/bare.json" --offsets-table "${OFF}2" -t "${T}_flag" 3>&-
	run -0 psql_rep "SELECT name FROM ${T}_flag"
	assert_output test1
	sed -n 1p "$F/seed-kafka.ndjson" |
		timeout 60 pg-apply -c "$BATS_TEST_TMPDIR/bare.json" --offsets-table "${OFF}3" 3>&-
	run -0 psql_rep "SELECT name FROM source_table_x"
	assert_output test1
	run -66 --separate-stderr pg-apply -c "$BATS_TEST_TMPDIR/missing.json"
}

@test "every Connect type becomes the documented column type and value" {
	apply "${seed_flags[@]}" -t "$T" <"$F/types.ndjson"
	run -0 psql_rep "SELECT column_name || ' ' || format_type(atttypid, atttypmod)
		FROM information_schema.columns JOIN pg_attribute ON attrelid = '$T'::regclass
		AND attname = column_name WHERE table_name = '$T' ORDER BY ordinal_position"
	assert_output - <<-'EOF'
		id integer
		c_bool boolean
		c_int2 smallint
		c_int8 bigint
		c_real real
		c_double double precision
		c_text text
		c_bytea bytea
		c_dec numeric(5,2)
		c_dec_neg numeric(5,2)
		c_vsd numeric
		c_money numeric
		c_date date
		c_time time without time zone
		c_time_ms time without time zone
		c_ts timestamp(6) without time zone
		c_ts_ms timestamp(6) without time zone
		c_tstz timestamp with time zone
		c_timetz time with time zone
		c_interval interval
		c_json json
		c_uuid uuid
		c_xml xml
		c_enum text
		c_bits bit varying(24)
		c_int_arr integer[]
		c_text_arr text[]
		c_point point
		c_ts_inf timestamp(6) without time zone
		c_date_bc date
		c_null text
		c_map json
		Mixed Case "q" text
	EOF
	run -0 psql_rep "SET TimeZone = UTC; SELECT concat_ws(' | ', c_bool, c_int2, c_int8, c_real, c_double,
		c_bytea, c_dec, c_dec_neg, c_vsd, c_money, c_date, c_time, c_time_ms, c_ts, c_ts_ms,
		c_tstz, c_timetz, c_interval, c_json, c_uuid, c_xml, c_enum, c_bits, c_int_arr,
		c_text_arr, c_point, c_ts_inf, c_date_bc, coalesce(c_null, 'NULL'), c_map,
		\"Mixed Case \"\"q\"\"\") FROM $T"
	assert_output 't | 32767 | 9223372036854775807 | 3.5 | 4.44 | \x010203 | 123.45 | -1.00 | 10.1111 | 1234.11 | 2016-11-04 | 13:51:30 | 13:51:30.123 | 2016-11-04 13:51:30.123456 | 2016-11-04 13:51:30.123 | 2016-11-04 11:51:30.123456+00 | 11:51:30.123789+00 | 10303:05:06.78 | {"bar": "baz"} | a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 | <foo>bar</foo> | b | 000000110000001000000001 | {1,2,3} | {a,"b c","q\"",NULL} | (1,2.5) | infinity | 0001-01-01 BC | NULL | {"k":"v"} | mc'
	run -0 psql_rep "SELECT c_text = E'h\u00e9llo\ttab \"q\" \\\\ back\nline' FROM $T"
	assert_output t
}

@test "an unchanged-TOAST placeholder never overwrites the stored value" {
	apply "${seed_flags[@]}" -t "$T" <"$F/types.ndjson"
	apply "${seed_flags[@]}" -t "$T" <"$F/types-toast.ndjson"
	run -0 psql_rep "SELECT concat_ws(' | ', c_int2, c_bytea, c_json, c_text_arr, c_int_arr, c_xml,
		c_text LIKE 'h_llo%') FROM $T"
	assert_output '7 | \x010203 | {"bar": "baz"} | {a,"b c","q\"",NULL} | {1,2,3} | <foo>bar</foo> | t'
	run -0 psql_rep "SELECT count(*) FROM $T WHERE c_text LIKE '%unavailable%'"
	assert_output 0
}

@test "schema evolution adds a column; without it the record is refused" {
	sed -n 1p "$F/seed-kafka.ndjson" | apply "${seed_flags[@]}" -t "$T"
	# The source gained "extra" (int64, optional): a new value schema.
	sed -n 2p "$F/seed-kafka.ndjson" |
		sed 's/{"type":"string","optional":true,"field":"name"}/&,{"type":"int64","optional":true,"field":"extra"}/g;
			s/"after":{"id":1,"name":"test2"}/"after":{"id":1,"name":"test2","extra":42}/; s/"offset":1/"offset":5/' \
		>"$BATS_TEST_TMPDIR/evolved"
	run -65 --separate-stderr apply -m upsert -k record_key -t "$T" <"$BATS_TEST_TMPDIR/evolved"
	[[ $stderr == *"topic \"$TOPIC\" partition 0 offset 5: "*'has no column "extra"'* ]]
	apply "${seed_flags[@]}" -t "$T" <"$BATS_TEST_TMPDIR/evolved"
	run -0 psql_rep "SELECT id, name, extra FROM $T"
	assert_output "1|test2|42"
	# Old records (no "extra") still apply and never drop it.
	sed -n 2p "$F/seed-kafka.ndjson" | sed 's/"offset":1/"offset":6/; s/test2/test3/' |
		apply "${seed_flags[@]}" -t "$T"
	run -0 psql_rep "SELECT id, name, extra FROM $T"
	assert_output "1|test3|42"
}

@test "primary key from the value (record_value): upsert, and delete by before" {
	sed -n 1,2p "$F/seed-kafka.ndjson" |
		apply -m upsert -k record_value --pk-fields id --delete --auto-create -t "$T"
	run -0 psql_rep "SELECT id, name FROM $T"
	assert_output "1|test2"
	sed -n 3,4p "$F/seed-kafka.ndjson" |
		apply -m upsert -k record_value --pk-fields id --delete --auto-create -t "$T"
	run -0 psql_rep "SELECT count(*) FROM $T"
	assert_output 0
}

@test "insert mode update changes existing rows only" {
	psql_rep "CREATE TABLE $T (id integer PRIMARY KEY, name text)" "INSERT INTO $T VALUES (1, 'old')"
	sed -n 2p "$F/seed-kafka.ndjson" | apply -m update -k record_key -t "$T"
	sed -n 2p "$F/seed-kafka.ndjson" | sed 's/"offset":1/"offset":2/; s/"id":1/"id":9/g' |
		apply -m update -k record_key -t "$T"
	run -0 psql_rep "SELECT id, name FROM $T"
	assert_output "1|test2"
}

@test "long runs go in bulk: upserts collapsed per key, updates, deletes" {
	"$F/gen-records" 300 inserts >"$BATS_TEST_TMPDIR/ins"
	# The same keys again, later (their pos in the next "segment").
	sed 's/,"name":"n\([0-9]*\)"}/,"name":"v\1"}/; s/"pos":"0\//"pos":"1\//' \
		"$BATS_TEST_TMPDIR/ins" >"$BATS_TEST_TMPDIR/upd"
	# One batch, one run of 600 upserts, each key twice: the last one wins.
	cat "$BATS_TEST_TMPDIR/ins" "$BATS_TEST_TMPDIR/upd" >"$BATS_TEST_TMPDIR/both"
	run -0 --separate-stderr apply "${seed_flags[@]}" -t "$T" --offsets-table "${OFF}a" -v -v \
		<"$BATS_TEST_TMPDIR/both"
	[[ $stderr == *"MERGE INTO \"$T\" AS d USING pg_temp."* ]]
	[[ $stderr != *"retrying change by change"* ]]
	run -0 psql_rep "SELECT count(*), count(*) FILTER (WHERE name = 'v' || id) FROM $T"
	assert_output "300|300"
	jq -c 'select(.value.payload.after.id <= 100) | .value.payload.op = "d" |
		.value.payload.before = .value.payload.after | .value.payload.after = null' \
		"$BATS_TEST_TMPDIR/ins" >"$BATS_TEST_TMPDIR/del"
	run -0 --separate-stderr apply "${seed_flags[@]}" -t "$T" --offsets-table "${OFF}b" -v -v \
		<"$BATS_TEST_TMPDIR/del"
	[[ $stderr == *"DELETE FROM \"$T\" AS d USING pg_temp."* ]]
	run -0 psql_rep "SELECT count(*), min(id) FROM $T"
	assert_output "200|101"
	run -0 --separate-stderr apply -m update -k record_key -t "$T" --offsets-table "${OFF}c" -v -v \
		<"$BATS_TEST_TMPDIR/ins"
	[[ $stderr == *"UPDATE \"$T\" AS d SET"* ]]
	run -0 psql_rep "SELECT count(*) FROM $T WHERE name = 'n' || id"
	assert_output 200
}

# Feeds pg-apply (seed flags, batches of 100, every statement on stderr
# into $BATS_TEST_TMPDIR/err) through a fifo: start_fed ARGS..., then
# feed FILE to write lines, stop_fed to close the input and wait.
start_fed() {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	pg-apply -d "$WALPIPE_REPLICA" --offsets-table "$OFF" "${seed_flags[@]}" -t "$T" -b 100 \
		-v -v "$@" <"$BATS_TEST_TMPDIR/fifo" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	fed_pid=$!
	exec 5>"$BATS_TEST_TMPDIR/fifo"
}
feed() { cat "$1" >&5; }
stop_fed() {
	exec 5>&-
	wait "$fed_pid"
}
rows_are() { [[ $(psql_rep "$1") == "$2" ]]; }

@test "a table altered between batches: its temporary table is made again, no value goes through the old type" {
	psql_rep "CREATE TABLE $T (id integer PRIMARY KEY, name numeric(6,2))"
	"$F/gen-records" 100 inserts | jq -c '.value.payload.after.name = "1.5"' >"$BATS_TEST_TMPDIR/a"
	"$F/gen-records" 100 inserts | jq -c '.value.payload.after.name = "1.2345" |
		.pos |= sub("^0/"; "1/")' >"$BATS_TEST_TMPDIR/b"
	start_fed
	feed "$BATS_TEST_TMPDIR/a"
	wait_until 20 rows_are "SELECT count(*) FROM $T WHERE name = 1.5" 100
	# A wider scale: numeric(6,2) would round 1.2345 to 1.23.
	psql_rep "ALTER TABLE $T ALTER name TYPE numeric(10,4)"
	feed "$BATS_TEST_TMPDIR/b"
	stop_fed
	run -0 psql_rep "SELECT name, count(*) FROM $T GROUP BY name"
	assert_output "1.2345|100"
	run -0 grep -c "MERGE INTO" "$BATS_TEST_TMPDIR/err"
	assert_output 3
	run -0 grep -c "was altered: its temporary table is out of date, applying the batch again" \
		"$BATS_TEST_TMPDIR/err"
	assert_output 1
	run -1 grep "retrying change by change" "$BATS_TEST_TMPDIR/err"
}

@test "a table altered while a batch waits for its offsets row: caught, whatever the default isolation" {
	psql_rep "CREATE TABLE $T (id integer PRIMARY KEY, name timestamp(3))"
	"$F/gen-records" 100 inserts | jq -c '.value.payload.after.name = "2026-01-02 03:04:05"' \
		>"$BATS_TEST_TMPDIR/a"
	"$F/gen-records" 100 inserts | jq -c '.value.payload.after.name = "2026-01-02 03:04:05.123456" |
		.pos |= sub("^0/"; "1/")' >"$BATS_TEST_TMPDIR/b"
	PGOPTIONS='-c default_transaction_isolation=repeatable\ read' start_fed
	feed "$BATS_TEST_TMPDIR/a"
	wait_until 20 rows_are "SELECT count(*) FROM $T" 100
	# The offsets row held while the table is altered (more precision, no
	# rewrite): the next batch begins, waits for the row, and goes on once
	# the change is committed; timestamp(3) would round the microseconds.
	psql_rep "BEGIN" "SELECT 1 FROM $OFF FOR UPDATE" \
		"ALTER TABLE $T ALTER name TYPE timestamp(6)" "SELECT pg_sleep(2)" "COMMIT" >/dev/null 3>&- &
	alter_pid=$!
	sleep 0.5
	feed "$BATS_TEST_TMPDIR/b"
	wait "$alter_pid"
	stop_fed
	run -0 psql_rep "SELECT name, count(*) FROM $T GROUP BY name"
	assert_output "2026-01-02 03:04:05.123456|100"
}

@test "after a batch that failed in bulk, the next one goes in bulk again" {
	psql_rep "CREATE TABLE $T (id integer PRIMARY KEY, name text CHECK (name <> 'bad'))"
	"$F/gen-records" 200 inserts >"$BATS_TEST_TMPDIR/all"
	jq -c 'if .value.payload.after.id == 50 then .value.payload.after.name = "bad" else . end' \
		"$BATS_TEST_TMPDIR/all" | head -n 100 >"$BATS_TEST_TMPDIR/a"
	tail -n 100 "$BATS_TEST_TMPDIR/all" >"$BATS_TEST_TMPDIR/b"
	start_fed --errors skip
	feed "$BATS_TEST_TMPDIR/a"
	wait_until 20 rows_are "SELECT count(*) FROM $T" 99
	feed "$BATS_TEST_TMPDIR/b"
	stop_fed
	run -0 psql_rep "SELECT count(*), count(*) FILTER (WHERE name = 'n' || id) FROM $T"
	assert_output "199|199"
	run -0 grep -c "retrying change by change" "$BATS_TEST_TMPDIR/err"
	assert_output 1
	# The second batch goes in bulk from its temporary table (by ON
	# CONFLICT: a MERGE that failed once is not tried again).
	run -0 sh -c "sed -n '/retrying change by change/,\$p' '$BATS_TEST_TMPDIR/err' |
		grep -c ') SELECT .* FROM pg_temp\.'"
	assert_output 1
}

@test "a connection lost between bulk batches: the new session makes what it needs again" {
	"$F/gen-records" 200 inserts >"$BATS_TEST_TMPDIR/all"
	head -n 100 "$BATS_TEST_TMPDIR/all" >"$BATS_TEST_TMPDIR/a"
	tail -n 100 "$BATS_TEST_TMPDIR/all" >"$BATS_TEST_TMPDIR/b"
	start_fed
	feed "$BATS_TEST_TMPDIR/a"
	wait_until 20 rows_are "SELECT count(*) FROM $T" 100
	psql_rep "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'pg-apply' AND query LIKE '%$OFF%'"
	feed "$BATS_TEST_TMPDIR/b"
	stop_fed
	run -0 psql_rep "SELECT count(*), count(*) FILTER (WHERE name = 'n' || id) FROM $T"
	assert_output "200|200"
	grep -q 'reconnected to' "$BATS_TEST_TMPDIR/err"
	run -1 grep "retrying change by change" "$BATS_TEST_TMPDIR/err"
	run -0 grep -c "PREPARE pg_apply_check" "$BATS_TEST_TMPDIR/err"
	assert_output 2
}

# Changes to keys 1..100 again and again, as record lines with rising pos:
# write PREFIX SELECT (the names PREFIX || id) and del SELECT, SELECT a jq
# condition on the id.
same_key_input() {
	"$F/gen-records" 100 inserts >"$BATS_TEST_TMPDIR/ins"
	write() {
		jq -c --arg p "$1" "select(.value.payload.after.id | $2) |
			.value.payload.after.name = \$p + (.value.payload.after.id | tostring)" \
			"$BATS_TEST_TMPDIR/ins"
	}
	del() {
		jq -c "select(.value.payload.after.id | $1) | .value.payload.op = \"d\" |
			.value.payload.before = .value.payload.after | .value.payload.after = null" \
			"$BATS_TEST_TMPDIR/ins"
	}
	{
		write a true				# bulk: insert
		del true					# bulk: delete
		write b true				# bulk: insert again after the delete ...
		write c '. <= 50'			# ... and update, in the same run: last wins
		del '. == 60'				# single statements: delete, insert
		write e '. == 60'
		del '. == 70'
		write f '. == 80'			# update twice: last wins
		write g '. == 80'
		del '. > 90'				# short runs: delete, then insert some again
		write h '. >= 95'
		del '. <= 70'				# bulk: delete, then insert again
		write k '. <= 70'
	} | jq -c '.pos = "1/\(input_line_number):1"'
}

same_key_expected() {
	local i
	for ((i = 1; i <= 100; i++)); do
		if ((i <= 70)); then echo "$i|k$i"
		elif ((i == 80)); then echo "$i|g$i"
		elif ((i >= 95)); then echo "$i|h$i"
		elif ((i <= 90)); then echo "$i|b$i"
		fi
	done
}

@test "one key changed again and again within a batch: the changes land in their order" {
	same_key_input >"$BATS_TEST_TMPDIR/in"
	same_key_expected >"$BATS_TEST_TMPDIR/want"
	# One batch: bulk runs merged from temporary tables, short runs pipelined.
	run -0 --separate-stderr apply "${seed_flags[@]}" -t "$T" -v -v <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *"MERGE INTO \"$T\" AS d USING pg_temp."* ]]
	[[ $stderr != *"retrying change by change"* ]]
	run -0 psql_rep "SELECT id, name FROM $T ORDER BY id"
	assert_output "$(cat "$BATS_TEST_TMPDIR/want")"
	# Batches of 150 cut the runs at other places; the rows exist already.
	psql_rep "UPDATE $T SET name = 'old'" "INSERT INTO $T SELECT g, 'old' FROM generate_series(1, 100) g ON CONFLICT DO NOTHING"
	run -0 apply "${seed_flags[@]}" -t "$T" --offsets-table "${OFF}b" -b 150 <"$BATS_TEST_TMPDIR/in"
	run -0 psql_rep "SELECT id, name FROM $T ORDER BY id"
	assert_output "$(cat "$BATS_TEST_TMPDIR/want")"
}

@test "a view over a keyed table: bulk upserts go by ON CONFLICT, which views take" {
	psql_rep "CREATE TABLE ${T}_base (id integer PRIMARY KEY, name text)" \
		"CREATE VIEW $T AS SELECT id, name FROM ${T}_base"
	"$F/gen-records" 300 inserts >"$BATS_TEST_TMPDIR/ins"
	run -0 --separate-stderr apply "${seed_flags[@]}" -t "$T" -b 100 -v -v <"$BATS_TEST_TMPDIR/ins"
	[[ $stderr == *'SELECT "id","name" FROM pg_temp.'* ]]
	[[ $stderr != *"MERGE INTO"* ]]
	[[ $stderr != *"retrying change by change"* ]]
	run -0 psql_rep "SELECT count(*), count(*) FILTER (WHERE name = 'n' || id) FROM ${T}_base"
	assert_output "300|300"
}

@test "bulk updates and deletes find their rows by the key's index, never by reading the whole table" {
	psql_rep "CREATE TABLE $T (id integer PRIMARY KEY, name text)" \
		"INSERT INTO $T SELECT g, 'x' FROM generate_series(1, 20000) g"
	"$F/gen-records" 300 inserts >"$BATS_TEST_TMPDIR/ins"
	jq -c '.value.payload.op = "d" | .value.payload.before = .value.payload.after |
		.value.payload.after = null' "$BATS_TEST_TMPDIR/ins" >"$BATS_TEST_TMPDIR/del"
	# The statistics of a session are in once it has ended.
	counted() { [[ $(psql_rep "SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables WHERE relname = '$T'") == "$1" ]]; }
	wait_until 10 counted 20000
	seq=$(psql_rep "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = '$T'")
	apply -m update -k record_key -t "$T" --offsets-table "${OFF}a" <"$BATS_TEST_TMPDIR/ins"
	apply "${seed_flags[@]}" -t "$T" --offsets-table "${OFF}b" <"$BATS_TEST_TMPDIR/del"
	wait_until 10 counted 20600
	run -0 psql_rep "SELECT seq_scan - $seq FROM pg_stat_user_tables WHERE relname = '$T'"
	assert_output 0
	run -0 psql_rep "SELECT count(*), count(*) FILTER (WHERE name = 'x') FROM $T"
	assert_output "19700|19700"
}

@test "without --auto-create a missing table is an error" {
	run -65 --separate-stderr apply -m upsert -k record_key -t "$T" <"$F/seed-kafka.ndjson"
	[[ $stderr == *"does not exist"* ]]
}

@test "deletes are skipped without --delete, tombstones always" {
	apply -m upsert -k record_key --auto-create -t "$T" <"$F/seed-kafka.ndjson"
	run -0 psql_rep "SELECT id, name FROM $T"
	assert_output "1|test2"
}

@test "truncate records empty the table with --truncate only" {
	sed -n 1p "$F/seed-kafka.ndjson" | apply "${seed_flags[@]}" -t "$T"
	# A truncate event: op t, no key, before and after null.
	sed -n 1p "$F/seed-kafka.ndjson" | jq -c '.offset = 7 | .key = null |
		.value.payload.op = "t" | .value.payload.after = null' >"$BATS_TEST_TMPDIR/trunc"
	apply "${seed_flags[@]}" -t "$T" <"$BATS_TEST_TMPDIR/trunc"
	run -0 psql_rep "SELECT count(*) FROM $T"
	assert_output 1
	jq -c '.offset = 8' "$BATS_TEST_TMPDIR/trunc" | apply "${seed_flags[@]}" --truncate -t "$T"
	run -0 psql_rep "SELECT count(*) FROM $T"
	assert_output 0
	# A table that is not there is empty already.
	jq -c '.offset = 9' "$BATS_TEST_TMPDIR/trunc" | apply "${seed_flags[@]}" --truncate -t "${T}_none"
	run -0 psql_rep "SELECT to_regclass('${T}_none') IS NULL"
	assert_output t
}

@test "identifiers are quoted: capitals, spaces, quotes, no injection" {
	local name='Odd "Name"; DROP TABLE x; --'
	psql_rep "CREATE TABLE x (i int)"
	apply "${seed_flags[@]}" -t "public.$name" <"$F/seed-kafka.ndjson"
	sed -n 1p "$F/seed-kafka.ndjson" | apply "${seed_flags[@]}" -t "public.$name" --offsets-table "${OFF}b"
	run -0 psql_rep "SELECT name FROM public.\"Odd \"\"Name\"\"; DROP TABLE x; --\""
	assert_output test1
	run -0 psql_rep "SELECT count(*) FROM x"
	# ${topic} turns dots into underscores, as Debezium does.
	sed -n 1p "$F/seed-kafka.ndjson" | apply "${seed_flags[@]}" -t '${topic}' --offsets-table "${OFF}c"
	run -0 psql_rep "SELECT name FROM postgres_server_connect_test_db_public_source_table"
	assert_output test1
}

@test "a bad record stops with 65, names it, and commits nothing of its batch" {
	{
		sed -n 1p "$F/seed-kafka.ndjson"
		sed -n 2p "$F/seed-kafka.ndjson" | sed 's/"after":{"id":1,"name":"test2"}/"after":{"id":1,"name":5}/'
	} >"$BATS_TEST_TMPDIR/bad"
	run -65 --separate-stderr apply "${seed_flags[@]}" -t "$T" <"$BATS_TEST_TMPDIR/bad"
	[[ $stderr == "pg-apply: error: topic \"$TOPIC\" partition 0 offset 1: "* ]]
	# Not even the table that the batch's first record created.
	run -0 psql_rep "SELECT to_regclass('$T') IS NULL"
	assert_output t
	run -0 psql_rep "SELECT count(*) FROM $OFF"
	assert_output 0
	# A line that is not JSON names its line number.
	run -65 --separate-stderr apply "${seed_flags[@]}" -t "$T" <<<'{"topic": nope'
	[[ $stderr == "pg-apply: error: line 1: column "* ]]
}

@test "a record the server refuses: stop names it; skip sets it aside in the dead letter file" {
	# A replica table that refuses name test2.
	psql_rep "CREATE TABLE $T (id integer PRIMARY KEY, name varchar(5) CHECK (name <> 'test2'))"
	run -65 --separate-stderr apply "${seed_flags[@]}" -t "$T" <"$F/seed-kafka.ndjson"
	[[ $stderr == *"offset 1: table $T: "*"check constraint"* ]]
	run -0 psql_rep "SELECT count(*) FROM $T"
	assert_output 0
	apply "${seed_flags[@]}" -t "$T" --errors skip --dead-letter "$BATS_TEST_TMPDIR/dead" \
		<<<"$(sed -n 1,2p "$F/seed-kafka.ndjson"; echo 'not json')"
	run -0 psql_rep "SELECT id, name FROM $T"
	assert_output "1|test1"
	run -0 jq -sc 'sort_by(.line)[] | [.line, (.record | objects | .offset) // .record,
		(.error | test("check constraint|column"))]' "$BATS_TEST_TMPDIR/dead"
	assert_output - <<-'EOF'
		[2,1,true]
		[3,"not json",true]
	EOF
	run -0 psql_rep "SELECT position FROM $OFF"
	assert_output 1
}

@test "a last line cut short (upstream killed mid-write): what came before commits, exit 75" {
	{ sed -n 1p "$F/seed-kafka.ndjson"; sed -n 2p "$F/seed-kafka.ndjson" | head -c 1000; } \
		>"$BATS_TEST_TMPDIR/cut"
	run -75 --separate-stderr apply "${seed_flags[@]}" -t "$T" --ack-file "$BATS_TEST_TMPDIR/ack" \
		<"$BATS_TEST_TMPDIR/cut"
	run -0 psql_rep "SELECT id, name FROM $T"
	assert_output "1|test1"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output "offset $TOPIC 0 1"
	# Even a whole record is not used when its newline never came.
	run -75 --separate-stderr bash -c "sed -n 2p '$F/seed-kafka.ndjson' | tr -d '\\n' |
		timeout 60 pg-apply -d '$WALPIPE_REPLICA' --offsets-table '$OFF' ${seed_flags[*]} -t '$T'"
	run -0 psql_rep "SELECT id, name FROM $T"
	assert_output "1|test1"
}

@test "a dead letter file that cannot be written: exit 74" {
	run -74 --separate-stderr apply "${seed_flags[@]}" -t "$T" --errors skip --dead-letter /dev/full <<<'not json'
	[[ $stderr == *'dead letter'* ]]
}

# kill -9 mid-way through a big input, rerun with the same input: the
# result must equal a run that was never interrupted.
kill_and_rerun() { # MODE FLAGS...
	local mode=$1 pid stored
	shift
	"$F/gen-records" 20000 "$mode" >"$BATS_TEST_TMPDIR/in"
	apply "$@" -t "${T}_clean" --offsets-table "${OFF}_clean" <"$BATS_TEST_TMPDIR/in"
	# Fed at a bounded pace, so the kill lands while it works.
	awk '{ print } NR % 200 == 0 { fflush(); system("sleep 0.02") }' "$BATS_TEST_TMPDIR/in" |
		pg-apply -d "$WALPIPE_REPLICA" --offsets-table "$OFF" "$@" -t "$T" -b 50 3>&- &
	pid=$!
	wait_until 60 psql_rep "SELECT 1 FROM $OFF HAVING count(*) > 0" >/dev/null
	sleep 0.3
	kill -9 "$pid"
	wait "$pid" || true
	stored=$(psql_rep "SELECT count(*) FROM $T")
	echo "rows after kill: $stored"
	(( stored > 0 && stored < $(psql_rep "SELECT count(*) FROM ${T}_clean") ))
	apply "$@" -t "$T" <"$BATS_TEST_TMPDIR/in"
	run -0 psql_rep "SELECT count(*) FROM (SELECT * FROM $T EXCEPT SELECT * FROM ${T}_clean) a"
	assert_output 0
	run -0 psql_rep "SELECT count(*) FROM (SELECT * FROM ${T}_clean EXCEPT SELECT * FROM $T) a"
	assert_output 0
}

@test "kill -9 mid-way (Kafka offsets, upserts and deletes), rerun: replica equals the source" {
	kill_and_rerun kafka "${seed_flags[@]}"
	run -0 psql_rep "SELECT count(*) FROM $T"
	assert_output 16571
}

@test "kill -9 mid-way (pos, plain inserts), rerun: no change lost, none applied twice" {
	# insert mode fails on a duplicate key, so a change applied twice shows.
	kill_and_rerun inserts -m insert -k record_key --auto-create
	run -0 psql_rep "SELECT count(*), min(id), max(id) FROM $T"
	assert_output "20000|1|20000"
}

@test "kill -9 mid-way (pos, deletes riding with tombstones), rerun: replica equals the source" {
	kill_and_rerun pos "${seed_flags[@]}"
}

@test "a batch is committed as soon as no more input is waiting" {
	local fifo=$BATS_TEST_TMPDIR/fifo pid
	mkfifo "$fifo"
	pg-apply -d "$WALPIPE_REPLICA" --offsets-table "$OFF" "${seed_flags[@]}" -t "$T" -b 1000 \
		<"$fifo" 3>&- &
	pid=$!
	exec 5>"$fifo"
	sed -n 1p "$F/seed-kafka.ndjson" >&5
	wait_until 10 psql_rep "SELECT 1 FROM $T HAVING count(*) = 1"
	exec 5>&-
	wait "$pid"
}

# snapshot_mix N EVERY [FROM [KIND]]: N records of the seed's first one,
# keys and offsets FROM..FROM+N-1 (FROM 1 by default), each a row of a
# snapshot (op "r", source.snapshot KIND, default incremental) but every
# EVERY-th a streamed insert (0: none; 1: all).
snapshot_mix() {
	sed -n 1p "$F/seed-kafka.ndjson" | perl -e 'my ($n, $every, $from, $kind) = @ARGV; chomp(my $t = <STDIN>);
		for my $i ($from .. $from + $n - 1) {
			(my $l = $t) =~ s/"offset":0/"offset":$i/;
			$l =~ s/"id":1([},])/"id":$i$1/g;
			$l =~ s/"op":"c"/"op":"r"/, $l =~ s/"snapshot":"false"/"snapshot":"$kind"/
				unless $every && ($i - $from) % $every == 0;
			print "$l\n";
		}' "$1" "$2" "${3:-1}" "${4:-incremental}"
}

# batches: the sizes of the batches pg-apply -v -v committed, one a line.
batches() {
	sed -n 's/.*committed a batch of \([0-9]*\) changes.*/\1/p' "$1"
}

@test "incremental snapshot rows mixed with streamed changes go in batches fitted to a short apply time" {
	snapshot_mix 30000 50 >"$BATS_TEST_TMPDIR/mix"
	apply "${seed_flags[@]}" -t "$T" -v -v <"$BATS_TEST_TMPDIR/mix" 2>"$BATS_TEST_TMPDIR/err"
	run -0 psql_rep "SELECT count(*) FROM $T"
	assert_output 30000
	# 500 at first, at most twice the last: 4 batches before one of 5000
	# could be due, then at most 5 more, on any machine; with --batch-size
	# alone it would be 6 batches of 5000.
	run -0 batches "$BATS_TEST_TMPDIR/err"
	((${#lines[@]} >= 9))
	[ "${lines[0]}" = 500 ]
}

@test "a large streamed transaction right after snapshot rows goes in whole batches" {
	# Snapshot rows mixed with changes, then 20,000 streamed changes in a
	# row, all within the 5 s that count as mixed: only the batches that
	# hold snapshot rows are short.
	{
		snapshot_mix 3000 50
		snapshot_mix 20000 1 3001
	} >"$BATS_TEST_TMPDIR/mix"
	apply "${seed_flags[@]}" -t "$T" -v -v <"$BATS_TEST_TMPDIR/mix" 2>"$BATS_TEST_TMPDIR/err"
	run -0 psql_rep "SELECT count(*) FROM $T"
	assert_output 23000
	run -0 batches "$BATS_TEST_TMPDIR/err"
	[ "${lines[0]}" = 500 ]
	run -0 grep -cx 5000 <(batches "$BATS_TEST_TMPDIR/err")
	assert [ "$output" -ge 3 ]
}

@test "incremental snapshot rows alone are fitted too; initial snapshot rows, or streamed changes, fill whole batches" {
	snapshot_mix 20000 0 >"$BATS_TEST_TMPDIR/incr"
	apply "${seed_flags[@]}" -t "$T" -v -v <"$BATS_TEST_TMPDIR/incr" 2>"$BATS_TEST_TMPDIR/err"
	run -0 batches "$BATS_TEST_TMPDIR/err"
	((${#lines[@]} >= 7))
	[ "${lines[0]}" = 500 ]
	snapshot_mix 20000 0 1 true >"$BATS_TEST_TMPDIR/snap"
	apply "${seed_flags[@]}" -t "$T" --offsets-table "${OFF}2" -v -v <"$BATS_TEST_TMPDIR/snap" \
		2>"$BATS_TEST_TMPDIR/err"
	run -0 batches "$BATS_TEST_TMPDIR/err"
	assert_output $'5000\n5000\n5000\n5000'
	snapshot_mix 20000 1 >"$BATS_TEST_TMPDIR/changes"
	apply "${seed_flags[@]}" -t "$T" --offsets-table "${OFF}3" -v -v <"$BATS_TEST_TMPDIR/changes" \
		2>"$BATS_TEST_TMPDIR/err"
	run -0 batches "$BATS_TEST_TMPDIR/err"
	assert_output $'5000\n5000\n5000\n5000'
}

@test "SIGTERM: commits what it has and exits 0" {
	local fifo=$BATS_TEST_TMPDIR/fifo pid
	mkfifo "$fifo"
	pg-apply -d "$WALPIPE_REPLICA" --offsets-table "$OFF" "${seed_flags[@]}" -t "$T" \
		<"$fifo" 3>&- &
	pid=$!
	exec 5>"$fifo"
	sed -n 1p "$F/seed-kafka.ndjson" >&5
	wait_until 10 psql_rep "SELECT 1 FROM $T HAVING count(*) = 1"
	kill -TERM "$pid"
	local status=0
	wait "$pid" || status=$?
	exec 5>&-
	[ "$status" -eq 0 ]
}

@test "a failed login: exit 77, not 75, nothing acknowledged; a malformed conninfo: exit 64" {
	base="host=127.0.0.1 port=$WALPIPE_REPLICA_PORT dbname=connect_test_db"
	for conn in "$base user=postgres password=wrong77" "$base user=postgres" "$base user=nobody password=x" \
		"postgresql://postgres:wrong77@127.0.0.1:$WALPIPE_REPLICA_PORT/connect_test_db"; do
		run -77 --separate-stderr timeout 60 pg-apply -d "$conn" "${seed_flags[@]}" -t "$T" \
			--ack-file "$BATS_TEST_TMPDIR/ack" <"$F/seed-kafka.ndjson"
		[[ $stderr == "pg-apply: error: could not connect"* ]] || fail "$conn: $stderr"
		[[ $stderr != *wrong77* ]] || fail "password printed: $stderr"
		[ ! -e "$BATS_TEST_TMPDIR/ack" ]
	done
	for conn in "bogus=1" "host='127.0.0.1 user=postgres"; do
		run -64 --separate-stderr timeout 60 pg-apply -d "$conn" -t "$T" <"$F/seed-kafka.ndjson"
		[[ $stderr == "pg-apply: error: invalid connection string: "* ]] || fail "$conn: $stderr"
	done
}

@test "walpipe-run does not restart a pipeline whose login is refused" {
	cd "$BATS_TEST_TMPDIR"
	conn="host=127.0.0.1 port=$WALPIPE_REPLICA_PORT dbname=connect_test_db user=postgres password=wrong77"
	run --separate-stderr timeout 60 walpipe-run -n sink -s . --max-delay 1 -- \
		"cat '$F/seed-kafka.ndjson' | pg-apply -d '$conn' -t '$T'"
	assert_equal "$status" 77
	assert_equal "$(sed -n 's/^restarts=//p' sink.status)" 0
	[[ $stderr == *"not restarting"* ]] || fail "$stderr"
}

@test "walpipe-ctl: a refused login exits 77, a malformed connection string 64" {
	conn="host=127.0.0.1 port=$WALPIPE_REPLICA_PORT dbname=connect_test_db user=postgres password=wrong77"
	run -77 --separate-stderr walpipe-ctl status --replica "$conn" --source "$conn"
	[[ $stderr == *"password authentication failed"* ]] || fail "$stderr"
	run -77 --separate-stderr walpipe-ctl remove --replica "$conn" --source "$conn"
	run -64 --separate-stderr walpipe-ctl status --replica=bogus=1 --source "$WALPIPE_REPLICA"
	run -0 --separate-stderr walpipe-ctl status --replica "$WALPIPE_REPLICA" --offsets-table "$OFF" -J
}

@test "the -d password is not in /proc/PID/cmdline (key=value and URI)" {
	uri="postgresql://postgres:postgrespass@127.0.0.1:$WALPIPE_REPLICA_PORT/connect_test_db?password=postgrespass"
	for conn in "$WALPIPE_REPLICA application_name=$T" "$uri&application_name=$T"; do
		# Not under timeout(1), whose own arguments would hold the password.
		pg-apply -d "$conn" --offsets-table "$OFF" -t "$T" < <(exec 3>&-; sleep 30) 3>&- &
		pid=$!
		wait_until 20 bash -c "[[ \$(psql -X -At '$WALPIPE_REPLICA' -c \"SELECT count(*) FROM pg_stat_activity WHERE application_name = '$T'\") == 1 ]]"
		args=$(tr '\0' ' ' <"/proc/$pid/cmdline")
		kill -TERM "$pid"
		wait "$pid" || true
		[[ $args != *postgrespass* ]] || fail "password visible: $args"
		[[ $args == *"127.0.0.1"*"connect_test_db"* ]] || fail "the rest is not readable: $args"
	done
}

@test "a table name format with an unknown placeholder or none at all: exit 64 at start" {
	for fmt in '${nope}' '' 'x_${source.}'; do
		run -64 --separate-stderr apply "${seed_flags[@]}" -t "$fmt" <"$F/seed-kafka.ndjson"
		[[ $stderr == *"table name format"* ]] || fail "$fmt: $stderr"
		[[ $stderr == *'Try "pg-apply --help"'* ]] || fail "$fmt: $stderr"
	done
	run -0 apply "${seed_flags[@]}" -t "${T}_\${source.table}" <"$F/seed-kafka.ndjson"
}

@test "an unreachable server: exit 75, nothing acknowledged" {
	"$REPO/scripts/stack" stop-pg replica
	run -75 --separate-stderr apply "${seed_flags[@]}" -t "$T" --ack-file "$BATS_TEST_TMPDIR/ack" \
		<"$F/seed-kafka.ndjson"
	"$REPO/scripts/stack" start-pg replica
	[[ $stderr == *"could not connect"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/ack" ]
}

@test "the server restarts mid-stream: pg-apply reconnects and loses nothing" {
	local fifo=$BATS_TEST_TMPDIR/fifo pid status=0
	mkfifo "$fifo"
	pg-apply -d "$WALPIPE_REPLICA" --offsets-table "$OFF" "${seed_flags[@]}" -t "$T" \
		--ack-file "$BATS_TEST_TMPDIR/ack" <"$fifo" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	exec 5>"$fifo"
	sed -n 1p "$F/seed-kafka.ndjson" >&5
	wait_until 10 psql_rep "SELECT 1 FROM $T HAVING count(*) = 1"
	"$REPO/scripts/stack" stop-pg replica
	sed -n 2p "$F/seed-kafka.ndjson" >&5
	sleep 1
	"$REPO/scripts/stack" start-pg replica
	wait_until 30 psql_rep "SELECT 1 FROM $T WHERE name = 'test2'"
	sed -n 3,4p "$F/seed-kafka.ndjson" >&5
	exec 5>&-
	wait "$pid" || status=$?
	cat "$BATS_TEST_TMPDIR/err"
	[ "$status" -eq 0 ]
	grep -q 'reconnected to' "$BATS_TEST_TMPDIR/err"
	run -0 psql_rep "SELECT count(*) FROM $T"
	assert_output 0
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output "offset $TOPIC 0 4"
}

# sink_conf KEY=VALUE...: the seed's sink configuration for the replica and
# table $T, with these keys set, in $BATS_TEST_TMPDIR/sink.json.
sink_conf() {
	local kv args=()
	for kv; do args+=(--arg "${kv%%=*}" "${kv#*=}"); done
	jq --arg url "jdbc:postgresql://127.0.0.1:$WALPIPE_REPLICA_PORT/connect_test_db" \
		--arg tn "$T" "${args[@]}" \
		'.config["connection.url"] = $url | .config["table.name.format"] = $tn |
		 .config += ($ARGS.named | del(.url, .tn))' \
		"$F/postgresdb-sink-connector.json" >"$BATS_TEST_TMPDIR/sink.json"
}

sink_apply() {
	timeout 60 pg-apply -c "$BATS_TEST_TMPDIR/sink.json" --offsets-table "$OFF" 3>&-
}

@test "-c: field.include.list and field.exclude.list leave value fields out" {
	sink_conf field.exclude.list=name
	sed -n 1p "$F/seed-kafka.ndjson" | sink_apply
	run -0 psql_rep "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = '$T'"
	assert_output id
	T=${T}_inc OFF=${OFF}_inc
	sink_conf field.include.list=id
	sed -n 1p "$F/seed-kafka.ndjson" | sink_apply
	run -0 psql_rep "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = '$T'"
	assert_output id
	sink_conf field.include.list=t:name
	run -78 --separate-stderr pg-apply -c "$BATS_TEST_TMPDIR/sink.json" </dev/null
	[[ $stderr == *field.include.list* ]] || fail "$stderr"
}

@test "-c: primary.key.mode=kafka keys the rows by topic, partition and offset" {
	sink_conf primary.key.mode=kafka delete.enabled=false primary.key.fields=
	sed -n 1,2p "$F/seed-kafka.ndjson" | sink_apply
	run -0 psql_rep "SELECT __connect_topic, __connect_partition, __connect_offset, id, name FROM $T ORDER BY 3"
	assert_output "$TOPIC|0|0|1|test1
$TOPIC|0|1|1|test2"
	run -0 psql_rep "SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = '$T'::regclass AND i.indisprimary"
	assert_output "__connect_topic,__connect_partition,__connect_offset"
	# Without Kafka coordinates there is no key.
	run -65 --separate-stderr bash -c "sed -n 1p '$F/seed-kafka.ndjson' | jq -c 'del(.offset)' |
		timeout 60 pg-apply -c '$BATS_TEST_TMPDIR/sink.json' --offsets-table '${OFF}2' 3>&-"
	[[ $stderr == *"primary key mode kafka"* ]] || fail "$stderr"
}

@test "-c: quote.identifiers=false folds names to lower case, true keeps them" {
	sink_conf quote.identifiers=false table.name.format="Up_$T"
	sed -n 1p "$F/seed-kafka.ndjson" | sink_apply
	run -0 psql_rep "SELECT name FROM up_$T"
	assert_output test1
	OFF=${OFF}_q
	sink_conf quote.identifiers=TRUE table.name.format="Up_$T"
	sed -n 1p "$F/seed-kafka.ndjson" | sink_apply
	run -0 psql_rep "SELECT name FROM \"Up_$T\""
	assert_output test1
}

@test "-c: every key is honoured or refused: Connect's accepted, unknown and source keys exit 78 naming them" {
	sink_conf tasks.max=1 errors.log.enable=true database.time_zone=UTC \
		key.converter=org.apache.kafka.connect.json.JsonConverter
	sed -n 1p "$F/seed-kafka.ndjson" | sink_apply
	run -0 psql_rep "SELECT name FROM $T"
	assert_output test1
	local kv
	for kv in no.such.key=1 column.exclude.list=public.t.c database.time_zone=Europe/Paris errors.tolerance=all \
		dialect.name=org.hibernate.dialect.MySQLDialect transforms=unwrap; do
		sink_conf "$kv"
		run -78 --separate-stderr pg-apply -c "$BATS_TEST_TMPDIR/sink.json" </dev/null
		[[ $stderr == *"${kv%%=*}"* ]] || fail "$kv: $stderr"
	done
}

# rec OFFSET FIELDS AFTER: the seed's first record at OFFSET, its row struct
# widened by the field schemas FIELDS (a JSON array) with the values AFTER
# (a JSON object).
rec() {
	sed -n 1p "$F/seed-kafka.ndjson" | jq -c --argjson o "$1" --argjson f "$2" --argjson v "$3" '
		.offset = $o | .value.payload.after += $v | .key.payload.id = .value.payload.after.id |
		.value.schema.fields |= map(if .field == "before" or .field == "after" then .fields += $f else . end)'
}

@test "a \\u0000 in a string is refused naming the field, never stored cut off" {
	rec 0 '[{"type":"string","optional":true,"field":"s"}]' '{"s":"abc\u0000def"}' >"$BATS_TEST_TMPDIR/nul"
	run -65 --separate-stderr apply "${seed_flags[@]}" -t "$T" <"$BATS_TEST_TMPDIR/nul"
	[[ $stderr == *'offset 0: field "s": '*'\u0000'* ]] || fail "stderr: $stderr"
	# In an array too; with --errors skip both go to the dead letter file.
	rec 1 '[{"type":"array","items":{"type":"string","optional":true},"optional":true,"field":"s"}]' \
		'{"s":["x","abc\u0000def"]}' >>"$BATS_TEST_TMPDIR/nul"
	apply "${seed_flags[@]}" -t "$T" --errors skip --dead-letter "$BATS_TEST_TMPDIR/dead" \
		<"$BATS_TEST_TMPDIR/nul"
	run -0 jq -c '[.record.offset, (.error | test("field \"s\""))]' "$BATS_TEST_TMPDIR/dead"
	assert_output $'[0,true]\n[1,true]'
	run -0 psql_rep "SELECT to_regclass('$T') IS NULL"
	assert_output t
}

@test "a topic written with JSON escapes names the table decoded" {
	sed -n 1p "$F/seed-kafka.ndjson" | sed "s/\"topic\":\"[^\"]*\"/\"topic\":\"${T}_\\\\u0074\\\\u0031\"/" |
		apply "${seed_flags[@]}"
	run -0 psql_rep "SELECT id, name FROM ${T}_t1"
	assert_output "1|test1"
	run -0 psql_rep "SELECT count(*) FROM pg_class WHERE relname LIKE '%\\%'"
	assert_output 0
}

@test "a decimal scale that is no integer, or an empty decimal: refused naming the field" {
	rec 0 '[{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"99999999999999999999"},"field":"d"}]' \
		'{"d":"AQ=="}' >"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr apply "${seed_flags[@]}" -t "$T" <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *'field "d": schema parameter "scale" is not an integer'* ]] || fail "stderr: $stderr"
	rec 0 '[{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"},"field":"d"}]' \
		'{"d":""}' >"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr apply "${seed_flags[@]}" -t "$T" <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *'field "d": expected a decimal'* ]] || fail "stderr: $stderr"
	run -0 psql_rep "SELECT to_regclass('$T') IS NULL"
	assert_output t
}

@test "the dead letter file stays JSON lines: a line that is not UTF-8 is kept in base64" {
	printf '{"topic":"x","key":"\xff\xfe"}\nnot json\n' >"$BATS_TEST_TMPDIR/in"
	apply "${seed_flags[@]}" -t "$T" --errors skip --dead-letter "$BATS_TEST_TMPDIR/dead" <"$BATS_TEST_TMPDIR/in"
	run -0 jq -c '[.line, .record, (.record_base64 // "" | @base64d | length)]' "$BATS_TEST_TMPDIR/dead"
	assert_output $'[1,null,24]\n[2,"not json",0]'
	run -0 bash -c "jq -r '.record_base64 // empty' '$BATS_TEST_TMPDIR/dead' | base64 -d | cmp - <(head -n1 '$BATS_TEST_TMPDIR/in' | tr -d '\n')"
}

@test "logical decoding messages of a real Debezium capture are skipped, and counted at -v" {
	local msg=$REPO/tests/fixtures/cdc-envelope/debezium-2.7.3/records.out
	grep '"op":"m"' "$msg" >"$BATS_TEST_TMPDIR/in"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/in")" -ge 1 ]
	run -0 --separate-stderr apply "${seed_flags[@]}" -t '${source.table}' -v <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *"skipping logical decoding messages"* ]] || fail "stderr: $stderr"
	[[ $stderr == *"applied 0 changes, skipped 0 already applied and 2 logical decoding messages"* ]] ||
		fail "stderr: $stderr"
	sed "s/\"topic\":\"pfx.message\"/\"topic\":\"$T\"/" "$BATS_TEST_TMPDIR/in" | apply "${seed_flags[@]}"
	run -0 psql_rep "SELECT to_regclass('$T') IS NULL"
	assert_output t
}

@test "BC timestamps and date infinities as Debezium writes them are stored as they were" {
	rec 0 '[{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"bc"},
		{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"y0"},
		{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"big"},
		{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"ninf"},
		{"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"dinf"},
		{"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"dninf"},
		{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"tinf"},
		{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"tninf"}]' \
		'{"bc":"-0099-02-03T04:05:06.000000Z","y0":"0000-12-30T00:00:00.5Z","big":"+21016-11-04T11:51:30.123456Z",
		"ninf":"-infinity","dinf":-2147472692,"dninf":-2147472691,
		"tinf":9223372036825200000,"tninf":-9223372036832400000}' |
		apply "${seed_flags[@]}" -t "$T"
	run -0 psql_rep "SET TimeZone = UTC; SELECT concat_ws(' | ', bc, y0, big, ninf, dinf, dninf, tinf, tninf) FROM $T"
	assert_output '0100-02-03 04:05:06+00 BC | 0001-12-30 00:00:00.5+00 BC | 21016-11-04 11:51:30.123456+00 | -infinity | infinity | -infinity | infinity | -infinity'
}

@test "millisecond timestamps keep Debezium's infinities: Timestamp and Connect Timestamp" {
	# timestamp(0) to (3) as Debezium writes +-infinity: pgjdbc's microseconds over 1000, floored.
	rec 0 '[{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"t3"},
		{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"t3n"},
		{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"tc"},
		{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"t"}]' \
		'{"t3":9223372036825200,"t3n":-9223372036832400,"tc":9223372036825200,"t":1478267490123}' |
		apply "${seed_flags[@]}" -t "$T"
	run -0 psql_rep "SELECT concat_ws(' | ', t3, t3n, tc, t) FROM $T"
	assert_output 'infinity | -infinity | infinity | 2016-11-04 13:51:30.123'
}

@test "schema evolution adds a column with the default and NOT NULL the schema states" {
	rec 0 '[]' '{}' | apply "${seed_flags[@]}" -t "$T"
	rec 1 '[{"type":"string","optional":false,"name":"io.debezium.time.ZonedTimestamp","version":1,"default":"2020-01-01T00:00:00Z","field":"c"},
		{"type":"int32","optional":false,"default":7,"field":"n"},
		{"type":"string","optional":true,"default":"it'"'"'s","field":"s"},
		{"type":"int32","optional":false,"field":"r"}]' \
		'{"id":2,"c":"2021-01-01T00:00:00Z","n":1,"s":null,"r":3}' | apply "${seed_flags[@]}" -t "$T"
	run -0 psql_rep "SET TimeZone = UTC; SELECT id, c, n, s, r FROM $T ORDER BY id"
	assert_output $'1|2020-01-01 00:00:00+00|7|it\'s|\n2|2021-01-01 00:00:00+00|1||3'
	# NOT NULL only where a default fills the rows already there.
	run -0 psql_rep "SELECT string_agg(attname || ' ' || attnotnull, ', ' ORDER BY attnum) FROM pg_attribute
		WHERE attrelid = '$T'::regclass AND attname IN ('c', 'n', 's', 'r')"
	assert_output "c true, n true, s false, r false"
}

@test "--max-line-bytes: stop names the line; skip sets the whole line aside in the dead letter file" {
	head -c 300000 /dev/zero | tr '\0' z >"$BATS_TEST_TMPDIR/z"
	{
		sed -n 1p "$F/seed-kafka.ndjson"
		sed -n 2p "$F/seed-kafka.ndjson" | jq -c --rawfile z "$BATS_TEST_TMPDIR/z" '.value.payload.after.name = $z'
		sed -n 1p "$F/seed-kafka.ndjson" |
			jq -c '.offset = 2 | .key.payload.id = 2 | .value.payload.after += {id: 2, name: "test3"}'
	} >"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr apply "${seed_flags[@]}" -t "$T" --max-line-bytes 100000 <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *"line 2: longer than 100000 bytes (see --max-line-bytes)"* ]] || fail "stderr: $stderr"
	apply "${seed_flags[@]}" -t "$T" --max-line-bytes 100000 --errors skip \
		--dead-letter "$BATS_TEST_TMPDIR/dead" <"$BATS_TEST_TMPDIR/in"
	run -0 psql_rep "SELECT id, name FROM $T ORDER BY id"
	assert_output $'1|test1\n2|test3'
	run -0 jq -c '[.line, (.error | test("longer than 100000 bytes"))]' "$BATS_TEST_TMPDIR/dead"
	assert_output '[2,true]'
	jq -r .record_base64 "$BATS_TEST_TMPDIR/dead" | base64 -d | cmp - <(sed -n 2p "$BATS_TEST_TMPDIR/in" | tr -d '\n')
	# Raised, the line applies.
	apply "${seed_flags[@]}" -t "${T}_b" --offsets-table "${OFF}_b" --max-line-bytes 1000000 \
		<"$BATS_TEST_TMPDIR/in"
	run -0 psql_rep "SELECT id, length(name) FROM ${T}_b ORDER BY id"
	assert_output $'1|300000\n2|5'
}

@test "a real Debezium 2.7.3 capture applies with the reference sink settings" {
	local dbz=$REPO/tests/fixtures/cdc-envelope/debezium-2.7.3/records.out
	# bit varying without a length (Bits length 2147483647), infinities, messages, a truncate.
	run -0 --separate-stderr apply -t "${T}_\${source.table}" -m upsert --delete -k record_key \
		--auto-create --schema-evolution basic -v <"$dbz"
	[[ $stderr == *"applied 10 changes, skipped 0 already applied and 2 logical decoding messages"* ]] ||
		fail "stderr: $stderr"
	run -0 psql_rep "SET TimeZone = UTC; SELECT id, ts, tstz, vb, format_type(atttypid, atttypmod)
		FROM ${T}_types, pg_attribute WHERE attrelid = '${T}_types'::regclass AND attname = 'vb'
		AND id IN (1, 3) ORDER BY id"
	assert_output $'1|2016-11-04 13:51:30.123456|2026-11-25 17:12:34.82089+00|101|bit varying\n3|infinity|-infinity||bit varying'
	run -0 psql_rep "SELECT string_agg(id::text, ',' ORDER BY id) FROM ${T}_types"
	assert_output "1,3,4,5,6"
}

@test "values over a megabyte go through COPY in slices, escapes and all" {
	local i
	# 2.4 MB of text with every character COPY escapes, across slice boundaries.
	for i in $(seq 300000); do printf 'a\tb\\c\nd'; done >"$BATS_TEST_TMPDIR/big"
	# 70 inserts in one batch (a bulk run), every tenth one holding the big text.
	sed -n 1p "$F/seed-kafka.ndjson" | jq -c --rawfile big "$BATS_TEST_TMPDIR/big" '
		. as $r | range(1; 71) | . as $i | $r | .offset = $i | .key.payload.id = $i |
		.value.payload.after = {id: $i, name: (if $i % 10 == 0 then $big else "n\($i)" end)}' \
		>"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr apply -m insert -k record_key --auto-create -t "$T" -v -v <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *"COPY \"$T\""* ]] || fail "no COPY: ${stderr:0:500}"
	run -0 psql_rep "SELECT count(*), count(*) FILTER (WHERE md5(name) = '$(md5sum <"$BATS_TEST_TMPDIR/big" | cut -c1-32)')
		FROM $T"
	assert_output "70|7"
}

@test "--no-positions: records at or below the stored position are applied, and none is stored" {
	local t=np_$RANDOM
	cdc-envelope -p np <"$REPO/tests/fixtures/cdc-envelope/seed-insert.in" >"$BATS_TEST_TMPDIR/rec"
	pg-apply -d "$WALPIPE_REPLICA" -t "$t" --auto-create --pk-mode record_key --insert-mode upsert \
		--offsets-table "public.${t}_off" <"$BATS_TEST_TMPDIR/rec"
	psql_rep "DELETE FROM $t"
	# Applied before: skipped by position.
	pg-apply -d "$WALPIPE_REPLICA" -t "$t" --pk-mode record_key --insert-mode upsert \
		--offsets-table "public.${t}_off" <"$BATS_TEST_TMPDIR/rec"
	run psql_rep "SELECT count(*) FROM $t"
	assert_output 0
	run psql_rep "SELECT position FROM public.${t}_off"
	local stored=$output
	pg-apply -d "$WALPIPE_REPLICA" -t "$t" --pk-mode record_key --insert-mode upsert \
		--offsets-table "public.${t}_off" --no-positions <"$BATS_TEST_TMPDIR/rec"
	run psql_rep "SELECT count(*) FROM $t"
	assert_output 1
	run psql_rep "SELECT position FROM public.${t}_off"
	assert_output "$stored"
}

# ZonedTimestamp years past 9999 ("+294276-...") and at or before 1 BC
# ("-0098-..." is 99 BC, ISO's year 0 is 1 BC), from the real Debezium 2.7.3
# (tests/fixtures/cdc-envelope/debezium-2.7.3-odd).
@test "pg-apply: timestamptz of years past 9999 and BC from real Debezium records" {
	local r="$REPO/tests/fixtures/cdc-envelope/debezium-2.7.3-odd/records.out"
	grep -E '"payload":\{"before":null,"after":\{"id":(22|23|24|69),' "$r" >"$BATS_TEST_TMPDIR/in"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/in")" 4
	run -0 apply -t "$T" "${seed_flags[@]}" <"$BATS_TEST_TMPDIR/in"
	run -0 psql_rep "SET timezone = 'UTC'" "SELECT id, tstz, a_tz FROM \"$T\" ORDER BY id"
	assert_output '22|294276-12-31 23:59:59+00|
23|1969-12-31 23:59:59.999999+00|
24|0099-06-15 12:00:00+00 BC|
69||{infinity,"2020-01-01 00:00:00.5+00","0099-06-15 12:00:00+00"}'
	printf '%s\n' '{"topic":"x","key":null,"value":{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"z"}],"optional":false},"payload":{"id":1,"z":"0000-03-04T05:06:07Z"}}}' |
		apply -t "$T" -m upsert -k record_value --pk-fields id --schema-evolution basic
	run -0 psql_rep "SET timezone = 'UTC'" "SELECT z FROM \"$T\" WHERE id = 1"
	assert_output '0001-03-04 05:06:07+00 BC'
}
