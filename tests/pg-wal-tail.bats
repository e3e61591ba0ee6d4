#!/usr/bin/env bats
# pg-wal-tail against a real PostgreSQL 15: every pgoutput message type,
# every built-in type, the snapshot under concurrent writes, confirmation
# through --ack-file across a kill -9, an interrupted snapshot taken again,
# and each documented error.
bats_require_minimum_version 1.5.0
load test_helper/common

setup_file() {
	stack_up
	psql_src "CREATE EXTENSION IF NOT EXISTS hstore"
}

teardown_file() {
	stack_down
}

setup() {
	T=$(unique_name t)
	SLOT=$(unique_name s)
	PUB=$(unique_name p)
	OUT=$BATS_TEST_TMPDIR/out
}

teardown() {
	[[ ! -s $BATS_TEST_TMPDIR/stderr ]] || sed 's/^/# stderr: /' "$BATS_TEST_TMPDIR/stderr"
	[[ -z ${PID:-} ]] || { kill -KILL "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; } || true
	psql_src "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
		WHERE slot_name = '$SLOT' AND NOT active" >/dev/null 2>&1 || true
}

# pwt ARGS...: pg-wal-tail on the source, bounded in time.
pwt() {
	timeout 60 pg-wal-tail -d "$WALPIPE_SOURCE" "$@"
}

# A table $T (id, name) in publication $PUB and a new slot $SLOT.
new_table() {
	psql_src "CREATE TABLE $T (id int PRIMARY KEY, name varchar(10))" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	pwt -S "$SLOT" -P "$PUB" --create-slot --snapshot never --end-lsn now
}

# pwt_bg ARGS...: pg-wal-tail in the background, its pid in $PID (teardown
# kills it); no timeout wrapper, so signals reach it.
pwt_bg() {
	pg-wal-tail -v -d "$WALPIPE_SOURCE" "$@" 2>>"$BATS_TEST_TMPDIR/stderr" 3>&- &
	PID=$!
}

# stop_bg: SIGTERM to the background pg-wal-tail; it must exit 0.
stop_bg() {
	local st=0
	kill -TERM "$PID"
	wait "$PID" || st=$?
	PID=
	assert_equal "$st" 0
}

# The slot's confirmed position as a number, for comparisons.
confirmed() {
	psql_src "SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots WHERE slot_name = '$SLOT'"
}

# For wait_until, which runs its command again each time.
lines_ge() { [ "$(wc -l <"$1")" -ge "$2" ]; }
confirmed_gt() { [ "$(confirmed)" -gt "$1" ]; }
confirmed_ge() { [ "$(confirmed)" -ge "$1" ]; }
slot_active() {
	[ "$(psql_src "SELECT active FROM pg_replication_slots WHERE slot_name = '$SLOT'")" = t ]
}

lsn_num() {
	psql_src "SELECT '$1'::pg_lsn - '0/0'"
}

@test "no slot, bad snapshot mode, bad LSN: usage errors, exit 64" {
	run -64 --separate-stderr pg-wal-tail -P p
	assert [ -z "$output" ]
	[[ $stderr == *"no slot given"*'Try "pg-wal-tail --help"'* ]] || fail "$stderr"
	run -64 --separate-stderr pg-wal-tail -S s -P p --snapshot sometimes
	[[ $stderr == *"--snapshot"* ]] || fail "$stderr"
	run -64 --separate-stderr pg-wal-tail -S s -P p --end-lsn 12
	[[ $stderr == *"--end-lsn"* ]] || fail "$stderr"
}

@test "reference scenario: inserts, update, delete become c, u, d lines in order" {
	new_table
	psql_src "INSERT INTO $T VALUES (1, 'test1')" "INSERT INTO $T VALUES (2, 'test2')" \
		"INSERT INTO $T VALUES (3, 'test3')" "INSERT INTO $T VALUES (4, 'test4')" \
		"INSERT INTO $T VALUES (5, 'test5')" "UPDATE $T SET name = 'test4' WHERE id = 2" \
		"DELETE FROM $T WHERE id = 4"
	pwt -S "$SLOT" -P "$PUB" --end-lsn now >"$OUT"
	run -0 jq -r '[.op, .before.id // "-", .after.id // "-", .after.name // "-"] | join(" ")' "$OUT"
	assert_output "$(printf '%s\n' 'c - 1 test1' 'c - 2 test2' 'c - 3 test3' 'c - 4 test4' \
		'c - 5 test5' 'u - 2 test4' 'd 4 - -')"
	# Keys in the documented order, every line self-contained.
	run -0 jq -r 'keys_unsorted | join(",")' "$OUT"
	assert_line --index 0 "pos,lsn,commit_lsn,xid,ts_us,db,schema,table,op,columns,before,after"
	run -0 jq -ce '.columns' <(head -n1 "$OUT")
	assert_output '[{"name":"id","type":"int4","oid":23,"typmod":-1,"key":1,"optional":false,"default":null},{"name":"name","type":"varchar","oid":1043,"typmod":14,"key":0,"optional":true,"default":null}]'
	run -0 jq -se 'map(.db == "connect_test_db" and .schema == "public" and (.ts_us > 1600000000000000)) | all' "$OUT"
	# pos strictly increasing: one transaction per statement, seq 1.
	run -0 jq -r '.pos' "$OUT"
	assert [ "$(sort -u <<<"$output" | wc -l)" -eq 7 ]
	[[ ${lines[0]} == */*:1 ]] || fail "${lines[0]}"
	# Without --ack-file the written and flushed lines were confirmed.
	last=$(tail -n1 "$OUT" | jq -r .commit_lsn)
	assert [ "$(confirmed)" -gt "$(lsn_num "$last")" ]
}

@test "one transaction: pos COMMIT:1..N, one commit_lsn and xid" {
	new_table
	psql_src "BEGIN; INSERT INTO $T VALUES (1, 'a'); INSERT INTO $T VALUES (2, 'b');
		UPDATE $T SET name = 'c'; COMMIT"
	pwt -S "$SLOT" -P "$PUB" --end-lsn now >"$OUT"
	run -0 jq -sc 'map(.pos | split(":")[1]) ' "$OUT"
	assert_output '["1","2","3","4"]'
	run -0 jq -sce '(map(.commit_lsn) | unique | length == 1) and (map(.xid) | unique | length == 1)' "$OUT"
}

@test "update and delete under REPLICA IDENTITY FULL carry the old row" {
	new_table
	psql_src "ALTER TABLE $T REPLICA IDENTITY FULL" "INSERT INTO $T VALUES (1, 'a')" \
		"UPDATE $T SET name = 'b'" "DELETE FROM $T"
	pwt -S "$SLOT" -P "$PUB" --end-lsn now >"$OUT"
	run -0 jq -c '[.op, .before, .after]' "$OUT"
	assert_output "$(printf '%s\n' '["c",null,{"id":1,"name":"a"}]' \
		'["u",{"id":1,"name":"a"},{"id":1,"name":"b"}]' '["d",{"id":1,"name":"b"},null]')"
}

@test "key change under the default identity: before holds the old key only" {
	new_table
	psql_src "INSERT INTO $T VALUES (1, 'a')" "UPDATE $T SET id = 2" "UPDATE $T SET name = 'x'"
	pwt -S "$SLOT" -P "$PUB" --end-lsn now >"$OUT"
	run -0 jq -c '[.op, .before, .after]' "$OUT"
	assert_output "$(printf '%s\n' '["c",null,{"id":1,"name":"a"}]' \
		'["u",{"id":1},{"id":2,"name":"a"}]' '["u",null,{"id":2,"name":"x"}]')"
}

@test "an unchanged TOASTed value is {\"toast\":\"unchanged\"}, never null" {
	psql_src "CREATE TABLE $T (id int PRIMARY KEY, big text, other int)" \
		"ALTER TABLE $T ALTER big SET STORAGE EXTERNAL" "CREATE PUBLICATION $PUB FOR TABLE $T"
	pwt -S "$SLOT" -P "$PUB" --create-slot --snapshot never --end-lsn now
	psql_src "INSERT INTO $T VALUES (1, repeat('x', 10000), 1)" "UPDATE $T SET other = 2" \
		"UPDATE $T SET big = NULL"
	pwt -S "$SLOT" -P "$PUB" --end-lsn now >"$OUT"
	run -0 jq -c '[.op, (.after.big | if type == "string" then length else . end), .after.other]' "$OUT"
	assert_output "$(printf '%s\n' '["c",10000,1]' '["u",{"toast":"unchanged"},2]' '["u",null,2]')"
}

@test "truncate: one t line per table; messages: op m, transactional or not" {
	psql_src "CREATE TABLE ${T}_a (id int PRIMARY KEY)" "CREATE TABLE ${T}_b (id int PRIMARY KEY)" \
		"CREATE PUBLICATION $PUB FOR TABLE ${T}_a, ${T}_b"
	pwt -S "$SLOT" -P "$PUB" --create-slot --snapshot never --end-lsn now
	psql_src "INSERT INTO ${T}_a VALUES (1)" "TRUNCATE ${T}_a, ${T}_b" \
		"SELECT 1 FROM pg_logical_emit_message(true, 'tx', 'hello')" \
		"SELECT 1 FROM pg_logical_emit_message(false, 'nontx', '\\x00ff'::bytea)" \
		"INSERT INTO ${T}_a VALUES (2)"
	pwt -S "$SLOT" -P "$PUB" --end-lsn now >"$OUT"
	run -0 jq -c '[.op, .table, .message]' "$OUT"
	assert_output "$(printf '%s\n' "[\"c\",\"${T}_a\",null]" "[\"t\",\"${T}_a\",null]" \
		"[\"t\",\"${T}_b\",null]" '["m",null,{"prefix":"tx","content":"aGVsbG8=","transactional":true}]' \
		'["m",null,{"prefix":"nontx","content":"AP8=","transactional":false}]' \
		"[\"c\",\"${T}_a\",null]")"
	run -0 jq -sce 'map(.pos) as $p | [range(1; $p | length)] | map($p[. - 1] != $p[.]) | all' "$OUT"
	run -0 jq -sce '.[1].pos | endswith(":1")' "$OUT"
	run -0 jq -sce '.[2].pos | endswith(":2")' "$OUT"
}

@test "every built-in type, edge values included, streamed and in the snapshot" {
	psql_src "CREATE TYPE ${T}_mood AS ENUM ('sad', 'ok', 'happy')" \
		"CREATE DOMAIN ${T}_posint AS int4 CHECK (VALUE > 0)" \
		"CREATE TYPE ${T}_pair AS (a int, b text)" \
		"CREATE TABLE $T (id int PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, o oid, f4 float4,
		 f8 float8, n numeric, n52 numeric(5,2), m money, c char(3), vc varchar(10), t text, ba bytea,
		 d date, tm time, ttz timetz, ts timestamp, tstz timestamptz(3), iv interval, u uuid, j json,
		 jb jsonb, x xml, ip inet, cid cidr, mac macaddr, bt bit(3), vb varbit, ai int4[], at text[],
		 e ${T}_mood, dom ${T}_posint, comp ${T}_pair, r int4range, tsv tsvector, h hstore)" \
		"COMMENT ON COLUMN $T.t IS 'free \"text\"'" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	pwt -S "$SLOT" -P "$PUB" --create-slot --snapshot never --end-lsn now
	psql_src "INSERT INTO $T VALUES (1, true, -32768, 2147483647, 9223372036854775807, 4294967295,
		 1.5, 0.1, 12345678901234567890.123456789, 123.45, 12.34, 'ab', 'héllo',
		 E'tab\\there \"q\" \\\\ \\u263A 😀 \\x01', '\\x00ff', '2024-02-29', '23:59:59.999999',
		 '12:00:00+05:30', '2024-01-01 00:00:00.5', '2024-01-01 12:00:00.123+02',
		 '1 year 2 mons 3 days 04:05:06.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": [1, 2]}',
		 '{\"b\": {\"c\": null}}', '<a>x</a>', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',
		 B'101', B'1101', '{{1,NULL},{3,4}}', '{\"a b\",NULL,\"c\\\"d\"}', 'happy', 7, ROW(1, 'x y'),
		 '[1,10)', 'a fat cat', 'k=>v, \"a b\"=>NULL')" \
		"INSERT INTO $T (id, b, f4, f8, n, d, ts, tstz, iv, i2, i8) VALUES (2, false, 'NaN',
		 '-Infinity', 'NaN', '-infinity', 'infinity', '-infinity', '-178000000 years', 32767,
		 -9223372036854775808)" \
		"INSERT INTO $T (id, f4, f8, n) VALUES (3, 'Infinity', 1e308, 1e1000)" \
		"INSERT INTO $T (id) VALUES (4)"
	pwt -S "$SLOT" -P "$PUB" --end-lsn now >"$OUT"
	sed 's/.*"after"://; s/}$//' "$OUT" >"$BATS_TEST_TMPDIR/after"
	cat >"$BATS_TEST_TMPDIR/want" <<'JSON'
{"id":1,"b":true,"i2":-32768,"i4":2147483647,"i8":9223372036854775807,"o":4294967295,"f4":1.5,"f8":0.1,"n":"12345678901234567890.123456789","n52":"123.45","m":"$12.34","c":"ab ","vc":"héllo","t":"tab\there \"q\" \\ ☺ 😀 \u0001","ba":"\\x00ff","d":"2024-02-29","tm":"23:59:59.999999","ttz":"12:00:00+05:30","ts":"2024-01-01 00:00:00.5","tstz":"2024-01-01 10:00:00.123+00","iv":"1 year 2 mons 3 days 04:05:06.5","u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","j":"{\"a\": [1, 2]}","jb":"{\"b\": {\"c\": null}}","x":"<a>x</a>","ip":"192.168.0.1/24","cid":"10.0.0.0/8","mac":"08:00:2b:01:02:03","bt":"101","vb":"1101","ai":"{{1,NULL},{3,4}}","at":"{\"a b\",NULL,\"c\\\"d\"}","e":"happy","dom":7,"comp":"(1,\"x y\")","r":"[1,10)","tsv":"'a' 'cat' 'fat'","h":"\"k\"=>\"v\", \"a b\"=>NULL"}
{"id":2,"b":false,"i2":32767,"i4":null,"i8":-9223372036854775808,"o":null,"f4":"NaN","f8":"-Infinity","n":"NaN","n52":null,"m":null,"c":null,"vc":null,"t":null,"ba":null,"d":"-infinity","tm":null,"ttz":null,"ts":"infinity","tstz":"-infinity","iv":"-178000000 years","u":null,"j":null,"jb":null,"x":null,"ip":null,"cid":null,"mac":null,"bt":null,"vb":null,"ai":null,"at":null,"e":null,"dom":null,"comp":null,"r":null,"tsv":null,"h":null}
{"id":3,"b":null,"i2":null,"i4":null,"i8":null,"o":null,"f4":"Infinity","f8":1e+308,"n":"10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000","n52":null,"m":null,"c":null,"vc":null,"t":null,"ba":null,"d":null,"tm":null,"ttz":null,"ts":null,"tstz":null,"iv":null,"u":null,"j":null,"jb":null,"x":null,"ip":null,"cid":null,"mac":null,"bt":null,"vb":null,"ai":null,"at":null,"e":null,"dom":null,"comp":null,"r":null,"tsv":null,"h":null}
{"id":4,"b":null,"i2":null,"i4":null,"i8":null,"o":null,"f4":null,"f8":null,"n":null,"n52":null,"m":null,"c":null,"vc":null,"t":null,"ba":null,"d":null,"tm":null,"ttz":null,"ts":null,"tstz":null,"iv":null,"u":null,"j":null,"jb":null,"x":null,"ip":null,"cid":null,"mac":null,"bt":null,"vb":null,"ai":null,"at":null,"e":null,"dom":null,"comp":null,"r":null,"tsv":null,"h":null}
JSON
	run -0 diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/after"
	# Column descriptions: typmods, domains, enums, comments, arrays.
	run -0 jq -c '.columns[] | select(.name | test("^(n52|vc|tstz|bt|t|ai|e|dom)$"))
		| [.name, .type, .typmod, .domain, .enum, .comment]' <(head -n1 "$OUT")
	assert_output "$(printf '%s\n' '["n52","numeric",327686,null,null,null]' \
		'["vc","varchar",14,null,null,null]' '["t","text",-1,null,null,"free \"text\""]' \
		'["tstz","timestamptz",3,null,null,null]' '["bt","bit",3,null,null,null]' \
		'["ai","_int4",-1,null,null,null]' "[\"e\",\"${T}_mood\",-1,null,[\"sad\",\"ok\",\"happy\"],null]" \
		"[\"dom\",\"int4\",-1,\"${T}_posint\",null,null]")"
	# The snapshot writes the same values as the stream.
	SLOT2=$(unique_name s)
	pwt -S "$SLOT2" -P "$PUB" --temporary-slot --snapshot initial-only >"$OUT.snap"
	sed 's/.*"after"://; s/}$//' "$OUT.snap" | sort >"$BATS_TEST_TMPDIR/snap"
	run -0 diff <(sort "$BATS_TEST_TMPDIR/want") "$BATS_TEST_TMPDIR/snap"
}

@test "snapshot: op r with Debezium's markers, then the stream from the consistent point" {
	psql_src "CREATE TABLE ${T}_a (id int PRIMARY KEY)" "CREATE TABLE ${T}_b (id int PRIMARY KEY)" \
		"INSERT INTO ${T}_a SELECT generate_series(1, 3)" "INSERT INTO ${T}_b SELECT generate_series(1, 3)" \
		"CREATE PUBLICATION $PUB FOR TABLE ${T}_a, ${T}_b"
	pwt -S "$SLOT" -P "$PUB" --create-slot --fetch-size 2 --end-lsn now >"$OUT"
	run -0 jq -r '[.op, .table, .after.id, .snapshot] | join(" ")' "$OUT"
	assert_output "$(printf '%s\n' "r ${T}_a 1 first" "r ${T}_a 2 true" \
		"r ${T}_a 3 last_in_data_collection" "r ${T}_b 1 first_in_data_collection" \
		"r ${T}_b 2 true" "r ${T}_b 3 last")"
	run -0 jq -r 'keys_unsorted[8:10] | join(",")' <(head -n1 "$OUT")
	assert_output "op,snapshot"
	psql_src "INSERT INTO ${T}_a VALUES (4)"
	pwt -S "$SLOT" -P "$PUB" --end-lsn now >"$OUT.2"
	run -0 jq -c '[.op, .after.id, has("snapshot")]' "$OUT.2"
	assert_output '["c",4,false]'
	run -0 jq -rn --arg a "$(tail -n1 "$OUT" | jq -r .pos)" --arg b "$(jq -r .pos "$OUT.2")" \
		'($a | split(":")) as $x | ($b | split(":")) as $y | $x[0] != $y[0]'
}

@test "snapshot under concurrent writes: no row missed, none twice" {
	psql_src "CREATE TABLE $T (id int PRIMARY KEY, v int)" \
		"INSERT INTO $T SELECT g, 0 FROM generate_series(1, 3000) g" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	# A writer inserts and updates one row per transaction meanwhile.
	(for i in $(seq 3001 3400); do
		echo "INSERT INTO $T VALUES ($i, 0); UPDATE $T SET v = v + 1 WHERE id = $((i - 3000));"
	done | psql -X -q "$WALPIPE_SOURCE" >/dev/null) 3>&- &
	WRITER=$!
	sleep 0.3
	pwt_bg -S "$SLOT" -P "$PUB" --create-slot --fetch-size 100 >"$OUT"
	wait "$WRITER"
	psql_src "INSERT INTO $T VALUES (0, -1)"
	wait_until 30 grep -q '"after":{"id":0,' "$OUT"
	stop_bg
	# Replaying the lines gives the table as it is.
	run -0 jq -sr 'reduce .[] as $l ({}; if $l.op == "d" then del(.[$l.before.id | tostring])
		else .[$l.after.id | tostring] = $l.after.v end) | to_entries | map("\(.key) \(.value)")
		| .[]' "$OUT"
	got=$(sort -n <<<"$output")
	want=$(psql_src "SELECT id || ' ' || v FROM $T ORDER BY id")
	assert [ "$got" = "$want" ]
	# Each row once in the snapshot, each insert once in the stream.
	run -0 jq -sr '[.[] | select(.op == "r" or .op == "c") | .after.id] | (length == (unique | length))' "$OUT"
	assert_output true
	run -0 jq -sr 'map(select(.op == "r")) | length' "$OUT"
	assert [ "$output" -ge 3000 ]
}

@test "--ack-file: confirm only what downstream acknowledged; kill -9 loses nothing" {
	new_table
	ACK=$BATS_TEST_TMPDIR/ack
	pwt_bg -S "$SLOT" -P "$PUB" --ack-file "$ACK" --status-interval 0.2 >"$OUT"
	start=$(confirmed)
	for i in 1 2 3 4; do psql_src "INSERT INTO $T VALUES ($i, 'r$i')"; done
	wait_until 20 lines_ge "$OUT" 4
	sleep 1
	# Nothing acknowledged: the slot has not moved.
	assert [ "$(confirmed)" -eq "$start" ]
	# Downstream acknowledges the second change.
	printf 'pos %s\n' "$(sed -n 2p "$OUT" | jq -r .pos)" >"$ACK"
	c2=$(lsn_num "$(sed -n 2p "$OUT" | jq -r .commit_lsn)")
	c3=$(lsn_num "$(sed -n 3p "$OUT" | jq -r .commit_lsn)")
	wait_until 20 confirmed_gt "$c2"
	assert [ "$(confirmed)" -le "$c3" ]
	kill -KILL "$PID"
	wait "$PID" || true
	PID=
	psql_src "INSERT INTO $T VALUES (5, 'r5')"
	# Restarted: the server resends 3 and 4; 1 and 2 were acknowledged.
	pwt -S "$SLOT" -P "$PUB" --ack-file "$ACK" --end-lsn now >"$OUT.2"
	run -0 jq -r '.after.id' "$OUT.2"
	assert_output "$(printf '%s\n' 3 4 5)"
	# The ack file still says 2: nothing beyond it is confirmed.
	assert [ "$(confirmed)" -le "$c3" ]
}

@test "--ack-file: a transaction is confirmed only when its last change is acknowledged" {
	new_table
	ACK=$BATS_TEST_TMPDIR/ack
	psql_src "BEGIN; INSERT INTO $T VALUES (1, 'a'); INSERT INTO $T VALUES (2, 'b'); COMMIT"
	pwt_bg -S "$SLOT" -P "$PUB" --ack-file "$ACK" --status-interval 0.2 >"$OUT"
	start=$(confirmed)
	wait_until 20 lines_ge "$OUT" 2
	printf 'pos %s\n' "$(sed -n 1p "$OUT" | jq -r .pos)" >"$ACK"
	sleep 1
	assert [ "$(confirmed)" -eq "$start" ]
	printf 'pos %s\n' "$(sed -n 2p "$OUT" | jq -r .pos)" >"$ACK"
	wait_until 20 confirmed_gt "$start"
	stop_bg
}

@test "missing publication: exit 69 and a one-line error" {
	new_table
	run -69 --separate-stderr pwt -S "$SLOT" -P nosuchpub
	assert_equal "$stderr" 'pg-wal-tail: error: publication "nosuchpub" does not exist (create it, or name its tables with -t)'
}

@test "-t creates the publication for the given tables" {
	psql_src "CREATE TABLE $T (id int PRIMARY KEY)"
	run -0 pwt -S "$SLOT" -P "$PUB" -t "public.$T" --create-slot --snapshot never --end-lsn now
	run -0 psql_src "SELECT tablename FROM pg_publication_tables WHERE pubname = '$PUB'"
	assert_output "$T"
}

@test "missing slot without --create-slot: exit 69" {
	new_table
	run -69 --separate-stderr pwt -S nosuchslot -P "$PUB"
	assert_equal "$stderr" 'pg-wal-tail: error: replication slot "nosuchslot" does not exist (use --create-slot)'
}

@test "a slot active elsewhere: exit 69" {
	new_table
	pwt_bg -S "$SLOT" -P "$PUB" >/dev/null
	wait_until 20 slot_active
	run -69 --separate-stderr pwt -S "$SLOT" -P "$PUB"
	[[ $stderr == "pg-wal-tail: error: replication slot \"$SLOT\" is active for PID "* ]] || fail "$stderr"
	[[ $stderr != *$'\n'* ]] || fail "more than one line: $stderr"
}

@test "a role without the REPLICATION attribute or a wrong password: exit 77, password never printed" {
	psql_src "DO \$\$ BEGIN CREATE ROLE testuser LOGIN PASSWORD 'sekrit99';
		EXCEPTION WHEN duplicate_object THEN NULL; END \$\$"
	conn="host=127.0.0.1 port=$WALPIPE_SOURCE_PORT user=testuser password=sekrit99 dbname=connect_test_db"
	run -77 --separate-stderr timeout 60 pg-wal-tail -d "$conn" -S "$SLOT" -P dbz_publication
	[[ $stderr == "pg-wal-tail: error: "* ]] || fail "$stderr"
	[[ $stderr != *sekrit99* ]] || fail "password printed: $stderr"
	run -77 --separate-stderr timeout 60 pg-wal-tail -d "${conn/sekrit99/wrong77}" -S "$SLOT" -P dbz_publication
	[[ $stderr == *"password authentication failed"* ]] || fail "$stderr"
	[[ $stderr != *wrong77* ]] || fail "password printed: $stderr"
}

@test "a failed login is no temporary failure: exit 77 for a wrong, missing or URI password, an unknown role" {
	base="host=127.0.0.1 port=$WALPIPE_SOURCE_PORT dbname=connect_test_db"
	for conn in "$base user=postgres password=wrong77" "$base user=postgres" "$base user=nobody password=x" \
		"postgresql://postgres:wrong77@127.0.0.1:$WALPIPE_SOURCE_PORT/connect_test_db"; do
		run -77 --separate-stderr timeout 60 pg-wal-tail -d "$conn" -S "$SLOT" -P dbz_publication
		[[ $stderr == "pg-wal-tail: error: could not connect"* ]] || fail "$conn: $stderr"
		[[ $stderr != *wrong77* ]] || fail "password printed: $stderr"
	done
}

@test "a malformed connection string: exit 64, nothing tried" {
	for conn in "bogus=1" "host='127.0.0.1 user=postgres" "sslmode=sideways"; do
		run -64 --separate-stderr timeout 60 pg-wal-tail -d "$conn" -S "$SLOT" -P dbz_publication
		[[ $stderr == "pg-wal-tail: error: invalid connection string: "* ]] || fail "$conn: $stderr"
	done
}

# cmdline_of PID: the process's arguments, NULs as spaces.
cmdline_of() { tr '\0' ' ' <"/proc/$1/cmdline"; }

@test "the -d password is not in /proc/PID/cmdline (key=value, URI, sslpassword)" {
	new_table
	uri="postgresql://postgres:postgrespass@127.0.0.1:$WALPIPE_SOURCE_PORT/connect_test_db?password=postgrespass"
	# sslpassword, the client key's passphrase, is a secret too (unused
	# without SSL, but read).
	for conn in "$WALPIPE_SOURCE" "$uri" "$WALPIPE_SOURCE sslpassword=postgrespass"; do
		# Not under timeout(1), whose own arguments would hold the password.
		pg-wal-tail -d "$conn" -S "$SLOT" -P "$PUB" >/dev/null 2>"$BATS_TEST_TMPDIR/stderr" 3>&- &
		PID=$!
		wait_until 20 bash -c "[[ \$(psql -X -At '$WALPIPE_SOURCE' -c \"SELECT active FROM pg_replication_slots WHERE slot_name = '$SLOT'\") == t ]]"
		args=$(cmdline_of "$PID")
		[[ $args != *postgrespass* ]] || fail "password visible: $args"
		[[ $args == *"127.0.0.1"*"connect_test_db"* ]] || fail "the rest is not readable: $args"
		kill -TERM "$PID"
		wait "$PID" || true
		PID=
	done
}

@test "an unreachable server: exit 75" {
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	run -75 --separate-stderr pg-wal-tail -d "host=127.0.0.1 port=$port user=postgres" -S s -P p
	[[ $stderr == "pg-wal-tail: error: could not connect"* ]] || fail "$stderr"
}

@test "connection errors are one line; a role at its connection limit is temporary: exit 75" {
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	# libpq adds a hint line, and a line per host tried.
	run -75 --separate-stderr pg-wal-tail -d "host=127.0.0.1,127.0.0.1 port=$port,$port user=postgres" -S s -P p
	[[ $stderr == "pg-wal-tail: error: could not connect"*"Connection refused; connection to server at"* ]] ||
		fail "$stderr"
	[[ $stderr != *$'\n'* ]] || fail "more than one line: $stderr"
	# Too many connections for the role (53300, as "too many clients"):
	# a retry may succeed once others have gone.
	psql_src "DO \$\$ BEGIN CREATE ROLE testuser LOGIN PASSWORD 'sekrit99';
		EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" "ALTER ROLE testuser REPLICATION CONNECTION LIMIT 0"
	conn="host=127.0.0.1 port=$WALPIPE_SOURCE_PORT user=testuser password=sekrit99 dbname=connect_test_db"
	run --separate-stderr timeout 60 pg-wal-tail -d "$conn" -S "$SLOT" -P dbz_publication
	psql_src "ALTER ROLE testuser NOREPLICATION CONNECTION LIMIT -1"
	assert_equal "$status" 75
	[[ $stderr == *'too many connections for role "testuser"'* ]] || fail "$stderr"
}

@test "wal_level not logical: exit 78" {
	D=$(mktemp -d /tmp/pwt-walrep.XXXXXX)
	((EUID != 0)) || chown walpipe "$D"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	as() { if ((EUID == 0)); then runuser -u walpipe -- "$@"; else "$@"; fi; }
	bindir=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
	[[ -x $bindir/initdb ]] || bindir=/usr/lib/postgresql/15/bin
	as "$bindir/initdb" -D "$D/data" -U postgres --auth=trust >/dev/null
	as "$bindir/pg_ctl" -D "$D/data" -o "-p $port -k $D -c listen_addresses=127.0.0.1 -c wal_level=replica -c fsync=off" \
		-l "$D/log" -w start >/dev/null 3>&-
	run --separate-stderr pg-wal-tail -d "host=127.0.0.1 port=$port user=postgres dbname=postgres" -S s -P p
	as "$bindir/pg_ctl" -D "$D/data" -m immediate stop >/dev/null
	rm -rf "$D"
	assert_equal "$status" 78
	[[ $stderr == *'wal_level is "replica"'* ]] || fail "$stderr"
}

@test "a closed stdout: exit 74, nothing confirmed beyond what was written" {
	new_table
	start=$(confirmed)
	psql_src "INSERT INTO $T SELECT g, 'x' FROM generate_series(1, 20000) g"
	run bash -c "set -o pipefail; timeout 60 pg-wal-tail -d '$WALPIPE_SOURCE' -S '$SLOT' -P '$PUB' --end-lsn now | head -n1 >/dev/null"
	assert_equal "$status" 74
	assert [ "$(confirmed)" -eq "$start" ]
}

@test "SIGTERM: flush, final status update, exit 0" {
	new_table
	pwt_bg -S "$SLOT" -P "$PUB" --status-interval 3600 >"$OUT"
	start=$(confirmed)
	psql_src "INSERT INTO $T VALUES (1, 'a')"
	wait_until 20 test -s "$OUT"
	stop_bg
	assert [ "$(confirmed)" -gt "$start" ]
}

@test "--temporary-slot and --drop-slot" {
	new_table
	run -0 pwt -S "${SLOT}_tmp" -P "$PUB" --temporary-slot --snapshot never --end-lsn now
	run -0 psql_src "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '${SLOT}_tmp'"
	assert_output 0
	run -0 pwt -S "$SLOT" --drop-slot
	run -0 psql_src "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$SLOT'"
	assert_output 0
	run -69 pwt -S "$SLOT" --drop-slot
}

@test "--start-lsn and --end-lsn bound the stream" {
	new_table
	psql_src "INSERT INTO $T VALUES (1, 'a')"
	mid=$(psql_src "SELECT pg_current_wal_lsn()")
	psql_src "INSERT INTO $T VALUES (2, 'b')"
	run -0 pwt -S "$SLOT" -P "$PUB" --end-lsn "$mid"
	assert_equal "$(jq -r .after.id <<<"$output")" 1
	run -0 pwt -S "$SLOT" -P "$PUB" --end-lsn now
	assert_equal "$(jq -r .after.id <<<"$output")" 2
}

@test "--heartbeat: the slot advances while only other tables write" {
	new_table
	psql_src "CREATE TABLE ${T}_other (id int)"
	pwt_bg -S "$SLOT" -P "$PUB" --heartbeat 0.3 --heartbeat-message --status-interval 0.2 >"$OUT"
	psql_src "INSERT INTO ${T}_other SELECT generate_series(1, 1000)"
	after=$(lsn_num "$(psql_src "SELECT pg_current_wal_lsn()")")
	wait_until 20 confirmed_ge "$after"
	# The heartbeat messages are not written as changes.
	assert [ ! -s "$OUT" ]
}

@test "a lost connection: reconnect and resume from the slot" {
	new_table
	pwt_bg -S "$SLOT" -P "$PUB" --status-interval 0.2 >"$OUT"
	psql_src "INSERT INTO $T VALUES (1, 'a')"
	wait_until 20 lines_ge "$OUT" 1
	psql_src "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '$SLOT'" >/dev/null
	psql_src "INSERT INTO $T VALUES (2, 'b')"
	wait_until 30 lines_ge "$OUT" 2
	stop_bg
	run -0 jq -r .after.id "$OUT"
	assert_output "$(printf '%s\n' 1 2)"
	grep -q reconnecting "$BATS_TEST_TMPDIR/stderr"
}

@test "--streaming: in-progress transactions spilled, committed ones written, aborted ones not" {
	new_table
	psql_src "BEGIN; INSERT INTO $T SELECT g, 'x' FROM generate_series(1, 5000) g; SAVEPOINT s1;
		INSERT INTO $T SELECT g, 'aborted' FROM generate_series(10001, 11000) g; ROLLBACK TO s1;
		INSERT INTO $T VALUES (5001, 'after'); COMMIT" \
		"BEGIN; INSERT INTO $T SELECT g, 'rolledback' FROM generate_series(20001, 25000) g; ROLLBACK" \
		"INSERT INTO $T VALUES (0, 'marker')"
	# A small logical_decoding_work_mem makes the server stream them.
	TMPDIR=$BATS_TEST_TMPDIR timeout 60 pg-wal-tail \
		-d "$WALPIPE_SOURCE options='-c logical_decoding_work_mem=64kB'" \
		-S "$SLOT" -P "$PUB" --streaming --end-lsn now >"$OUT"
	run -0 psql_src "SELECT stream_txns FROM pg_stat_replication_slots WHERE slot_name = '$SLOT'"
	assert [ "$output" -ge 2 ]
	run -0 jq -sc '[length, (map(.after.id) | sort | .[0], .[-1]), (map(.commit_lsn) | unique | length),
		.[5000].pos[-5:], .[5000].after.name, .[5001].after.name]' "$OUT"
	assert_output '[5002,0,5001,2,":5001","after","marker"]'
	# The temporary files are gone.
	run -0 find "$BATS_TEST_TMPDIR" -name 'pg-wal-tail.*'
	assert_output ''
}

@test "a schema change: the new Relation message refreshes the columns" {
	new_table
	psql_src "INSERT INTO $T VALUES (1, 'a')" \
		"ALTER TABLE $T ADD COLUMN n numeric(5,2) NOT NULL DEFAULT 1.5" \
		"COMMENT ON COLUMN $T.n IS 'added'" "INSERT INTO $T VALUES (2, 'b', 2.25)"
	pwt -S "$SLOT" -P "$PUB" --end-lsn now >"$OUT"
	run -0 jq -c '.columns | map(.name)' "$OUT"
	assert_output "$(printf '%s\n' '["id","name"]' '["id","name","n"]')"
	run -0 jq -c '.columns[2] // empty' "$OUT"
	assert_output '{"name":"n","type":"numeric","oid":1700,"typmod":327686,"key":0,"optional":false,"default":"1.5","comment":"added"}'
	run -0 jq -c '.after' "$OUT"
	assert_output "$(printf '%s\n' '{"id":1,"name":"a"}' '{"id":2,"name":"b","n":"2.25"}')"
}

@test "a change with a replication origin (Origin message) is written like any other" {
	new_table
	O=$(unique_name o)
	psql_src "SELECT 1 FROM pg_replication_origin_create('$O')" \
		"SELECT 1 FROM pg_replication_origin_session_setup('$O');
		 BEGIN; SELECT 1 FROM pg_replication_origin_xact_setup('0/1234', now());
		 INSERT INTO $T VALUES (1, 'o'); COMMIT;
		 SELECT pg_replication_origin_session_reset()" >/dev/null
	pwt -S "$SLOT" -P "$PUB" --end-lsn now >"$OUT"
	psql_src "SELECT pg_replication_origin_drop('$O')"
	run -0 jq -c '[.op, .after]' "$OUT"
	assert_output '["c",{"id":1,"name":"o"}]'
}

@test "connection from a URI, PG* variables and a password file" {
	new_table
	psql_src "INSERT INTO $T VALUES (1, 'u')"
	printf '127.0.0.1:%s:*:postgres:postgrespass\n' "$WALPIPE_SOURCE_PORT" >"$HOME/.pgpass"
	chmod 600 "$HOME/.pgpass"
	PGHOST=127.0.0.1 PGUSER=postgres run -0 --separate-stderr timeout 60 pg-wal-tail \
		-d "postgresql://:$WALPIPE_SOURCE_PORT/connect_test_db" -S "$SLOT" -P "$PUB" --end-lsn now
	assert_equal "$(jq -r .after.name <<<"$output")" u
	rm "$HOME/.pgpass"
}

@test "a snapshot asked of an existing slot: exit 69" {
	new_table
	run -69 --separate-stderr pwt -S "$SLOT" -P "$PUB" --snapshot initial
	[[ $stderr == *"a consistent snapshot needs a new slot"* ]] || fail "$stderr"
}

@test "-c: settings from a Debezium connector file, the command line wins" {
	psql_src "CREATE TABLE $T (id int PRIMARY KEY, name varchar(10))" "INSERT INTO $T VALUES (1, 'snap')"
	cat >"$BATS_TEST_TMPDIR/conn.json" <<JSON
{"name": "postgres-source-connector", "config": {
  "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
  "database.hostname": "127.0.0.1", "database.port": "$WALPIPE_SOURCE_PORT",
  "database.user": "postgres", "database.password": "postgrespass",
  "database.dbname": "connect_test_db", "plugin.name": "pgoutput",
  "slot.name": "$SLOT", "publication.name": "$PUB", "table.include.list": "public.$T",
  "status.update.interval.ms": "200", "topic.prefix": "postgres_server.connect_test_db"}}
JSON
	run -0 --separate-stderr timeout 60 pg-wal-tail -c "$BATS_TEST_TMPDIR/conn.json" --create-slot --end-lsn now
	# The only row of the only table is the last, as Debezium 2.7.3 marks it.
	assert_equal "$(jq -c '[.op, .table, .after.name, .snapshot]' <<<"$output")" "[\"r\",\"$T\",\"snap\",\"last\"]"
	run -0 psql_src "SELECT tablename FROM pg_publication_tables WHERE pubname = '$PUB'"
	assert_output "$T"
	psql_src "INSERT INTO $T VALUES (2, 'stream')"
	run -0 --separate-stderr timeout 60 pg-wal-tail -c "$BATS_TEST_TMPDIR/conn.json" --end-lsn now
	assert_equal "$(jq -c '[.op, .after.name]' <<<"$output")" '["c","stream"]'
	# The command line wins over the file.
	run -69 --separate-stderr timeout 60 pg-wal-tail -c "$BATS_TEST_TMPDIR/conn.json" -S nosuchslot
	[[ $stderr == *'"nosuchslot" does not exist'* ]] || fail "$stderr"
	sed -i 's/"pgoutput"/"decoderbufs"/' "$BATS_TEST_TMPDIR/conn.json"
	run -78 --separate-stderr pg-wal-tail -c "$BATS_TEST_TMPDIR/conn.json"
	[[ $stderr == *'plugin.name'*'only pgoutput'* ]] || fail "$stderr"
	run -66 --separate-stderr pg-wal-tail -c "$BATS_TEST_TMPDIR/nosuch.json"
}

@test "a server restart: reconnect with backoff, nothing lost, nothing twice" {
	new_table
	pwt_bg -S "$SLOT" -P "$PUB" --status-interval 0.2 --retries 8 >"$OUT"
	psql_src "INSERT INTO $T VALUES (1, 'a')"
	wait_until 20 lines_ge "$OUT" 1
	"$REPO/scripts/stack" stop-pg main 2>/dev/null
	"$REPO/scripts/stack" start-pg main 2>/dev/null
	psql_src "INSERT INTO $T VALUES (2, 'b')"
	wait_until 60 lines_ge "$OUT" 2
	stop_bg
	run -0 jq -r .after.id "$OUT"
	assert_output "$(printf '%s\n' 1 2)"
}

# An interrupted snapshot: a table $T of N rows and a direct pipeline
# pg-wal-tail | cdc-envelope | pg-apply to the replica through the ack
# file $ACK, interrupted once downstream has applied part of the snapshot,
# then run again; the replica must end with exactly the source's rows.

# snap_table N: the table, its publication and the ack file's name.
snap_table() {
	psql_src "CREATE TABLE $T (id int PRIMARY KEY, v int NOT NULL, pad text)" \
		"INSERT INTO $T SELECT g, 0, repeat('x', 40) FROM generate_series(1, $1) g" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	ACK=$BATS_TEST_TMPDIR/ack
}

# snap_pipeline [kafka]: the pipeline's command line, the same for every
# run (and walpipe-run); with kafka, to the topic snap.public.$T through
# kafka-pub instead of to the replica.
snap_pipeline() {
	printf '%s' "pg-wal-tail -d '$WALPIPE_SOURCE' -S $SLOT -P $PUB --create-slot \
		--ack-file '$ACK' --fetch-size 50 --status-interval 0.2 --end-lsn now |
		cdc-envelope --prefix snap | "
	if [[ ${1:-} == kafka ]]; then
		printf '%s' "kafka-pub -b $WALPIPE_BROKERS --ack-file '$ACK'"
	else
		printf '%s' "$(snap_apply) --ack-file '$ACK'"
	fi
}

snap_apply() {
	printf '%s' "pg-apply -d '$WALPIPE_REPLICA' --table-format $T --insert-mode upsert --delete \
		--pk-mode record_key --auto-create --offsets-table public.${T}_offsets"
}

# Count and ordered checksum of $T on one side (psql_src or psql_rep).
snap_rows() {
	"$1" "SELECT count(*) || ' ' || md5(string_agg(id || ':' || v || ':' || coalesce(pad, '~'),
		',' ORDER BY id)) FROM $T"
}

# Changes after the slot's consistent point: updates, deletes (of rows the
# first attempt applied too), inserts.
snap_workload() {
	psql_src "UPDATE $T SET v = v + 1 WHERE id % 100 = 0" "DELETE FROM $T WHERE id % 97 = 0" \
		"INSERT INTO $T SELECT g, 1, 'new' FROM generate_series($1 + 1, $1 + 500) g"
}

# The snapshot's ordinary connection (the walsender is the other one).
snap_backend() {
	psql_src "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'pg-wal-tail' AND backend_type = 'client backend'" >/dev/null
}

# snap_interrupt HOW [kafka]: run the pipeline, stop pg-wal-tail
# mid-snapshot (TERM, KILL or backend), change the source, run the same
# pipeline again (with kafka, then the topic to the replica).
snap_interrupt() {
	local n=100000 pipe pwt
	snap_table "$n"
	bash -c "set -o pipefail; $(snap_pipeline "${2:-}")" 2>>"$BATS_TEST_TMPDIR/stderr" 3>&- &
	pipe=$!
	wait_until 60 test -s "$ACK"
	pwt=$(pgrep -P "$pipe" -x pg-wal-tail)
	case $1 in
	TERM | KILL) kill -"$1" "$pwt" ;;
	backend) snap_backend ;;
	esac
	wait "$pipe" || true
	# The first run delivered part of the snapshot only.
	if [[ ${2:-} == kafka ]]; then
		[[ $(cat "$ACK") == "pos "*:* ]] || fail "acknowledged: $(cat "$ACK")"
	else
		assert [ "$(psql_rep "SELECT count(*) FROM $T")" -lt "$n" ]
	fi
	snap_workload "$n"
	run -0 timeout 120 bash -c "set -o pipefail; $(snap_pipeline "${2:-}")"
	if [[ ${2:-} == kafka ]]; then
		run -0 timeout 120 bash -c "set -o pipefail; kafka-sub -b $WALPIPE_BROKERS \
			-t snap.public.$T -o beginning -e | $(snap_apply)"
	fi
	assert_equal "$(snap_rows psql_rep)" "$(snap_rows psql_src)"
}

@test "snapshot interrupted by SIGTERM: the same command again takes it again, every row arrives" {
	snap_interrupt TERM
}

@test "snapshot interrupted by SIGKILL: the same command again takes it again, every row arrives" {
	snap_interrupt KILL
}

@test "snapshot interrupted by pg_terminate_backend: exit 75, then every row arrives" {
	snap_interrupt backend
}

@test "snapshot interrupted by SIGKILL before kafka-pub: taken again, the topic has every row" {
	snap_interrupt KILL kafka
}

@test "snapshot interrupted under walpipe-run: the restart takes it again, done with every row" {
	local n=100000 runner st=0
	snap_table "$n"
	walpipe-run -n snap -s "$BATS_TEST_TMPDIR" --max-delay 1 -- "$(snap_pipeline)" \
		2>>"$BATS_TEST_TMPDIR/stderr" 3>&- &
	runner=$!
	wait_until 60 test -s "$ACK"
	snap_workload "$n"
	snap_backend
	wait_until 120 bash -c "! kill -0 $runner 2>/dev/null"
	wait "$runner" || st=$?
	assert_equal "$st" 0
	grep -q 'exited with status 75; restart 1' "$BATS_TEST_TMPDIR/stderr" ||
		fail "the pipeline was not interrupted: $(cat "$BATS_TEST_TMPDIR/stderr")"
	assert_equal "$(snap_rows psql_rep)" "$(snap_rows psql_src)"
}

@test "a table rewritten during the snapshot: its rows are not lost" {
	local st=0 alter
	psql_src "CREATE TABLE ${T}_a (id int PRIMARY KEY, pad text)" \
		"INSERT INTO ${T}_a SELECT g, repeat('x', 100) FROM generate_series(1, 100000) g" \
		"CREATE TABLE ${T}_b (id int PRIMARY KEY, v int)" \
		"INSERT INTO ${T}_b SELECT g, g FROM generate_series(1, 1000) g" \
		"CREATE PUBLICATION $PUB FOR TABLE ${T}_a, ${T}_b"
	ACK=$BATS_TEST_TMPDIR/ack
	# A rewrite of b while a is read would leave b empty to the snapshot,
	# and a rewrite is no change in the stream: b waits for the snapshot.
	pwt_bg -S "$SLOT" -P "$PUB" --create-slot --ack-file "$ACK" --fetch-size 50 --end-lsn now >"$OUT"
	wait_until 30 test -s "$OUT"
	psql_src "ALTER TABLE ${T}_b ALTER COLUMN v TYPE bigint" &
	alter=$!
	wait "$PID" || st=$?
	PID=
	wait "$alter"
	assert_equal "$st" 0
	assert_equal "$(jq -r 'select(.op == "r") | .table' "$OUT" | sort | uniq -c | awk '{print $2, $1}' | paste -sd' ')" \
		"${T}_a 100000 ${T}_b 1000"
	# Rewritten in the moment between a retake's snapshot and its lock (here
	# by a transaction that holds its lock across it): refused, 75; taken
	# again, every row.
	psql -X -q -v ON_ERROR_STOP=1 "$WALPIPE_SOURCE" \
		-c "BEGIN" -c "ALTER TABLE ${T}_b ALTER COLUMN v TYPE int" -c "SELECT pg_sleep(3)" -c "COMMIT" &
	alter=$!
	sleep 1
	run -75 --separate-stderr pwt -S "$SLOT" -P "$PUB" --create-slot --ack-file "$ACK" --end-lsn now
	wait "$alter"
	[[ $stderr == *"snapshot: table ${T}_b was rewritten as the snapshot began"* ]] || fail "$stderr"
	run -0 --separate-stderr pwt -S "$SLOT" -P "$PUB" --create-slot --ack-file "$ACK" --end-lsn now
	assert_equal "$(jq -r 'select(.op == "r") | .table' <<<"$output" | sort | uniq -c | awk '{print $2, $1}' | paste -sd' ')" \
		"${T}_a 100000 ${T}_b 1000"
}

@test "an ack file from an earlier slot: refused before a slot is created, so nothing is skipped" {
	local n=20000 p
	psql_src "CREATE TABLE $T (id int PRIMARY KEY)" "INSERT INTO $T SELECT generate_series(1, $n)" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	ACK=$BATS_TEST_TMPDIR/ack
	# A position below the new slot's start (an earlier slot of this
	# server): a snapshot stopped before downstream acknowledged a row would
	# pass for complete on the next run.
	printf 'pos 0/100:3\n' >"$ACK"
	run -64 --separate-stderr pwt -S "$SLOT" -P "$PUB" --create-slot --ack-file "$ACK" --end-lsn now
	[[ $stderr == *"\"$ACK\" acknowledges 0/100:3, but replication slot \"$SLOT\" does not exist yet"* ]] ||
		fail "$stderr"
	assert_equal "$(psql_src "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$SLOT'")" 0
	# A position above it (a rebuilt server) would skip its changes, with a
	# temporary slot too.
	printf 'pos FFF/0\n' >"$ACK"
	run -64 pwt -S "$SLOT" -P "$PUB" --create-slot --ack-file "$ACK" --end-lsn now
	run -64 pwt -S "$SLOT" -P "$PUB" --temporary-slot --ack-file "$ACK" --end-lsn now
	# Removed as asked: a snapshot stopped before any acknowledgement is
	# taken again in full.
	rm "$ACK"
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --create-slot --ack-file "$ACK" \
		--fetch-size 50 >"$OUT" &
	p=$!
	wait_until 30 test -s "$OUT"
	kill -9 "$p"
	wait "$p" || true
	run -0 --separate-stderr pwt -S "$SLOT" -P "$PUB" --create-slot --ack-file "$ACK" --end-lsn now
	[[ $stderr == *'taking the snapshot again'* ]] || fail "$stderr"
	assert_equal "$(jq -r 'select(.op == "r") | .after.id' <<<"$output" | sort -n | uniq | wc -l)" "$n"
}

@test "an existing slot's snapshot: retaken unless acknowledged complete, refused when unprovable" {
	psql_src "CREATE TABLE $T (id int PRIMARY KEY)" "INSERT INTO $T SELECT generate_series(1, 3)" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	ACK=$BATS_TEST_TMPDIR/ack
	pwt -S "$SLOT" -P "$PUB" --create-slot --end-lsn now >"$OUT"
	# The last row's pos is the snapshot's end: the commit LSN alone.
	run -0 jq -r .pos "$OUT"
	[[ ${lines[0]} == *:1 && ${lines[1]} == *:2 && ${lines[2]} != *:* ]] || fail "$output"
	# Without an ack file nothing shows that the snapshot is complete.
	run -64 --separate-stderr pwt -S "$SLOT" -P "$PUB" --create-slot --end-lsn now
	[[ $stderr == *'without --ack-file nothing shows that its snapshot is complete'* ]] || fail "$stderr"
	# Downstream acknowledged a row inside it: refused without --create-slot...
	printf 'pos %s\n' "$(head -n1 "$OUT" | jq -r .pos)" >"$ACK"
	run -64 --separate-stderr pwt -S "$SLOT" -P "$PUB" --ack-file "$ACK" --end-lsn now
	[[ $stderr == *"acknowledges $(head -n1 "$OUT" | jq -r .pos), inside it"* ]] || fail "$stderr"
	# ... streamed without it on request ...
	psql_src "INSERT INTO $T VALUES (4)"
	run -0 pwt -S "$SLOT" -P "$PUB" --ack-file "$ACK" --snapshot never --end-lsn now
	assert_equal "$(jq -c '[.op, .after.id]' <<<"$output")" '["c",4]'
	# ... and taken again with it, numbered above the first attempt, then
	# the changes since the slot's position replayed.
	run -0 --separate-stderr pwt -S "$SLOT" -P "$PUB" --create-slot --ack-file "$ACK" --end-lsn now
	[[ $stderr == *'taking the snapshot again'* ]] || fail "$stderr"
	retake=$output
	assert_equal "$(jq -c '[.op, .after.id]' <<<"$retake" | paste -sd' ')" \
		'["r",1] ["r",2] ["r",3] ["r",4] ["c",4]'
	run -0 jq -rn --arg a "$(head -n1 "$OUT" | jq -r .pos)" --arg b "$(head -n1 <<<"$retake" | jq -r .pos)" \
		'($a | split(":")) as $x | ($b | split(":")) as $y | $x[0] == $y[0] and ($y[1] | tonumber) > ($x[1] | tonumber)'
	assert_output true
	# The end acknowledged: the snapshot is complete, the slot streams.
	printf 'pos %s\n' "$(sed -n 4p <<<"$retake" | jq -r .pos)" >"$ACK"
	psql_src "INSERT INTO $T VALUES (5)"
	run -0 pwt -S "$SLOT" -P "$PUB" --create-slot --ack-file "$ACK" --end-lsn now
	assert_equal "$(jq -c '[.op, .after.id]' <<<"$output" | paste -sd' ')" '["c",4] ["c",5]'
}

# conn_file [KEY VALUE]...: a source connector file for $SLOT, $PUB and $T
# with these keys added, in $BATS_TEST_TMPDIR/conn.json.
conn_file() {
	local extra=""
	while (($#)); do extra+=", \"$1\": \"$2\""; shift 2; done
	cat >"$BATS_TEST_TMPDIR/conn.json" <<JSON
{"name": "c", "config": {"connector.class": "io.debezium.connector.postgresql.PostgresConnector",
  "database.hostname": "127.0.0.1", "database.port": "$WALPIPE_SOURCE_PORT",
  "database.user": "postgres", "database.password": "postgrespass",
  "database.dbname": "connect_test_db", "plugin.name": "pgoutput",
  "slot.name": "$SLOT", "publication.name": "$PUB", "table.include.list": "public.$T",
  "topic.prefix": "p"$extra}}
JSON
}

@test "-c: snapshot.mode when_needed: a snapshot for a new slot, none for an existing one; snapshot.fetch.size" {
	psql_src "CREATE TABLE $T (id int PRIMARY KEY, name varchar(10))" "INSERT INTO $T VALUES (1, 'snap')"
	conn_file snapshot.mode when_needed snapshot.fetch.size 0
	run -78 --separate-stderr timeout 60 pg-wal-tail -c "$BATS_TEST_TMPDIR/conn.json" --create-slot --end-lsn now
	[[ $stderr == *'snapshot.fetch.size'* ]] || fail "$stderr"
	conn_file snapshot.mode when_needed snapshot.fetch.size 1
	run -0 --separate-stderr timeout 60 pg-wal-tail -c "$BATS_TEST_TMPDIR/conn.json" --create-slot --end-lsn now
	assert_equal "$(jq -c '[.op, .after.name]' <<<"$output")" '["r","snap"]'
	psql_src "INSERT INTO $T VALUES (2, 'stream')"
	run -0 --separate-stderr timeout 60 pg-wal-tail -c "$BATS_TEST_TMPDIR/conn.json" --end-lsn now
	assert_equal "$(jq -c '[.op, .after.name]' <<<"$output")" '["c","stream"]'
}

@test "-c: cdc-envelope's and Kafka Connect's keys are accepted; an unknown or a sink key exits 78 naming it" {
	new_table
	conn_file column.exclude.list public.t.c column.mask.with.3.chars public.t.d tasks.max 1 \
		transforms unwrap transforms.unwrap.type io.debezium.transforms.ExtractNewRecordState \
		schema.history.internal.kafka.topic h snapshot.mode never
	psql_src "INSERT INTO $T VALUES (1, 'a')"
	run -0 --separate-stderr timeout 60 pg-wal-tail -c "$BATS_TEST_TMPDIR/conn.json" --end-lsn now
	assert_equal "$(jq -c '[.op, .after.name]' <<<"$output")" '["c","a"]'
	local k
	for k in no.such.key connection.url column.propagate.source.type; do
		conn_file "$k" x
		run -78 --separate-stderr pg-wal-tail -c "$BATS_TEST_TMPDIR/conn.json" --end-lsn now
		assert_output ''
		[[ $stderr == *"connector setting \"$k\" is not supported"* ]] || fail "$k: $stderr"
	done
}
