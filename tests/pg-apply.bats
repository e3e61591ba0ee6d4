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
		c_bits bit(24)
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
	[[ $stderr == *'SELECT "id","name" FROM pg_temp.'* ]]
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
