#!/usr/bin/env bats
# DDL racing DML: a change is described as its table was when the change
# was written, whatever DDL committed before pg-wal-tail decodes it.  Each
# test commits the DML and the DDL (in the DML's transaction and in the
# next one) before pg-wal-tail starts, so decoding always sees the later
# catalog: the deterministic form of the race.  The change lines and the
# records cdc-envelope makes of them must hold the columns, types and
# values as of the DML.
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
	OUT=$BATS_TEST_TMPDIR/out
}

teardown() {
	[[ ! -s $BATS_TEST_TMPDIR/stderr ]] || sed 's/^/# stderr: /' "$BATS_TEST_TMPDIR/stderr"
}

# new_table COLUMNS: table $T (COLUMNS) in publication $PUB, slot $SLOT.
new_table() {
	psql_src "CREATE TABLE $T ($1)" "CREATE PUBLICATION $PUB FOR TABLE $T"
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --create-slot \
		--snapshot never --end-lsn now
}

# decode: every change so far into $OUT, and its records into $OUT.rec.
decode() {
	timeout 60 pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --end-lsn now \
		>"$OUT" 2>>"$BATS_TEST_TMPDIR/stderr"
	cdc-envelope -p pfx --no-tombstones <"$OUT" >"$OUT.rec" 2>>"$BATS_TEST_TMPDIR/stderr"
}

# cols N: name, type, oid and typmod of each column of change line N.
cols() {
	jq -c --argjson n "$1" 'select(input_line_number == $n) | .columns |
		map([.name, .type, .oid, .typmod])' "$OUT"
}

# after N: the after row of change line N.
after() {
	jq -c --argjson n "$1" 'select(input_line_number == $n) | .after' "$OUT"
}

# rec_fields N: field, type and logical name of the after struct of record N.
rec_fields() {
	jq -c --argjson n "$1" 'select(input_line_number == $n) |
		.value.schema.fields[] | select(.field == "after") | .fields |
		map([.field, .type, .name // null, .optional])' "$OUT.rec"
}

# rec_after N: the payload's after of record N.
rec_after() {
	jq -c --argjson n "$1" 'select(input_line_number == $n) | .value.payload.after' "$OUT.rec"
}

@test "drop: a column dropped after the change, in its transaction or the next, stays" {
	new_table "id int PRIMARY KEY, v int4, w1 text NOT NULL, w2 int8"
	psql_src "BEGIN" "INSERT INTO $T VALUES (1, 1, 'a', 10)" \
		"ALTER TABLE $T DROP w1" "COMMIT"
	psql_src "ALTER TABLE $T DROP w2"
	psql_src "INSERT INTO $T VALUES (2, 2)"
	decode
	run -0 cols 1
	assert_output '[["id","int4",23,-1],["v","int4",23,-1],["w1","text",25,-1],["w2","int8",20,-1]]'
	run -0 after 1
	assert_output '{"id":1,"v":1,"w1":"a","w2":10}'
	run -0 cols 2
	assert_output '[["id","int4",23,-1],["v","int4",23,-1]]'
	run -0 rec_fields 1
	assert_output '[["id","int32",null,false],["v","int32",null,true],["w1","string",null,true],["w2","int64",null,true]]'
	run -0 rec_after 1
	assert_output '{"id":1,"v":1,"w1":"a","w2":10}'
	run -0 rec_after 2
	assert_output '{"id":2,"v":2}'
}

@test "rename: a column renamed after the change keeps its old name and type" {
	new_table "id int PRIMARY KEY, a int4 NOT NULL, b numeric(5,2)"
	psql_src "BEGIN" "INSERT INTO $T VALUES (1, 1, 2.5)" \
		"ALTER TABLE $T RENAME a TO a2" "COMMIT"
	psql_src "ALTER TABLE $T RENAME b TO b2"
	psql_src "INSERT INTO $T VALUES (2, 3, 4.25)"
	decode
	run -0 cols 1
	assert_output '[["id","int4",23,-1],["a","int4",23,-1],["b","numeric",1700,327686]]'
	run -0 after 1
	assert_output '{"id":1,"a":1,"b":"2.50"}'
	run -0 cols 2
	assert_output '[["id","int4",23,-1],["a2","int4",23,-1],["b2","numeric",1700,327686]]'
	run -0 rec_fields 1
	assert_output '[["id","int32",null,false],["a","int32",null,true],["b","bytes","org.apache.kafka.connect.data.Decimal",true]]'
	run -0 rec_after 1
	assert_output '{"id":1,"a":1,"b":"APo="}'
	run -0 rec_fields 2
	assert_output '[["id","int32",null,false],["a2","int32",null,false],["b2","bytes","org.apache.kafka.connect.data.Decimal",true]]'
}

@test "type change: a column retyped after the change keeps its type and value" {
	new_table "id int PRIMARY KEY, a int4 NOT NULL DEFAULT 7, b int4"
	psql_src "BEGIN" "INSERT INTO $T VALUES (1, 1, 2)" \
		"ALTER TABLE $T ALTER a TYPE text" "COMMIT"
	psql_src "ALTER TABLE $T ALTER b TYPE varchar(5)"
	psql_src "INSERT INTO $T VALUES (2, 'x', 'y')"
	decode
	run -0 cols 1
	assert_output '[["id","int4",23,-1],["a","int4",23,-1],["b","int4",23,-1]]'
	run -0 after 1
	assert_output '{"id":1,"a":1,"b":2}'
	# NOT NULL and the default are the catalog's, by name, as Debezium reads
	# them: the default is now an expression of the new type.
	run -0 jq -c 'select(input_line_number == 1) | .columns[1] | [.optional, .default]' "$OUT"
	assert_output '[false,"7"]'
	run -0 cols 2
	assert_output '[["id","int4",23,-1],["a","text",25,-1],["b","varchar",1043,9]]'
	run -0 after 2
	assert_output '{"id":2,"a":"x","b":"y"}'
	run -0 rec_fields 1
	assert_output '[["id","int32",null,false],["a","int32",null,false],["b","int32",null,true]]'
	run -0 jq -c 'select(input_line_number == 1) | .value.schema.fields[1].fields[1].default' "$OUT.rec"
	assert_output 7
	run -0 rec_after 1
	assert_output '{"id":1,"a":1,"b":2}'
	run -0 rec_fields 2
	assert_output '[["id","int32",null,false],["a","string",null,false],["b","string",null,true]]'
}

@test "add: a column added after the change is not in it, even under a dropped column's name" {
	new_table "id int PRIMARY KEY, a int4"
	psql_src "BEGIN" "INSERT INTO $T VALUES (1, 1)" "ALTER TABLE $T DROP a" \
		"ALTER TABLE $T ADD a text" "INSERT INTO $T VALUES (2, 'x')" "COMMIT"
	psql_src "INSERT INTO $T VALUES (3, 'y')"
	psql_src "ALTER TABLE $T ADD c int4 NOT NULL DEFAULT 5" \
		"ALTER TABLE $T DROP a" "ALTER TABLE $T ADD a bool"
	decode
	run -0 cols 1
	assert_output '[["id","int4",23,-1],["a","int4",23,-1]]'
	run -0 after 1
	assert_output '{"id":1,"a":1}'
	run -0 cols 2
	assert_output '[["id","int4",23,-1],["a","text",25,-1]]'
	run -0 after 3
	assert_output '{"id":3,"a":"y"}'
	run -0 rec_fields 1
	assert_output '[["id","int32",null,false],["a","int32",null,true]]'
	run -0 rec_after 1
	assert_output '{"id":1,"a":1}'
	run -0 rec_fields 3
	assert_output '[["id","int32",null,false],["a","string",null,true]]'
	run -0 rec_after 3
	assert_output '{"id":3,"a":"y"}'
}

@test "user types: enum, domain and a type dropped after the change keep their names" {
	local mood gone dom
	mood=$(unique_name mood) gone=$(unique_name gone) dom=$(unique_name dom)
	psql_src "CREATE TYPE $mood AS ENUM ('sad', 'ok')" \
		"CREATE TYPE $gone AS ENUM ('x')" \
		"CREATE DOMAIN $dom AS int4 CHECK (VALUE > 0)"
	new_table "id int PRIMARY KEY, m $mood, g $gone, d $dom"
	psql_src "BEGIN" "INSERT INTO $T VALUES (1, 'ok', 'x', 3)" \
		"ALTER TABLE $T DROP m" "COMMIT"
	psql_src "ALTER TABLE $T DROP g, DROP d" "DROP TYPE $gone"
	decode
	run -0 jq -c '.columns[1:] | map(del(.oid))' "$OUT"
	assert_output "[{\"name\":\"m\",\"type\":\"$mood\",\"typmod\":-1,\"key\":0,\"optional\":true,\"default\":null,\"enum\":[\"sad\",\"ok\"]},{\"name\":\"g\",\"type\":\"$gone\",\"typmod\":-1,\"key\":0,\"optional\":true,\"default\":null},{\"name\":\"d\",\"type\":\"int4\",\"domain\":\"$dom\",\"typmod\":-1,\"key\":0,\"optional\":true,\"default\":null}]"
	run -0 after 1
	assert_output '{"id":1,"m":"ok","g":"x","d":3}'
	# A type gone before it was first seen has no schema: its column is
	# left out with a warning, as Debezium leaves out a type it cannot find.
	run -0 jq -c '.value.schema.fields[1].fields[1:] | map([.field, .type, .name // null])' "$OUT.rec"
	assert_output '[["m","string","io.debezium.data.Enum"],["d","int32",null]]'
	run -0 rec_after 1
	assert_output '{"id":1,"m":"ok","d":3}'
	grep -q "\"g\" of type \"$gone\" has no Debezium schema" "$BATS_TEST_TMPDIR/stderr"
	: >"$BATS_TEST_TMPDIR/stderr"
}

@test "a key column renamed after the change stays the record's key" {
	new_table "id int PRIMARY KEY, v int4"
	psql_src "INSERT INTO $T VALUES (1, 1)"
	psql_src "ALTER TABLE $T RENAME id TO id2"
	decode
	run -0 jq -c '.columns[0] | [.name, .key]' "$OUT"
	assert_output '["id",1]'
	run -0 jq -c '.key' "$OUT.rec"
	assert_output '{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"pfx.public.'"$T"'.Key"},"payload":{"id":1}}'
}

@test "under REPLICA IDENTITY FULL a renamed column is no key column" {
	new_table "id int PRIMARY KEY, v int4 NOT NULL"
	psql_src "ALTER TABLE $T REPLICA IDENTITY FULL" "INSERT INTO $T VALUES (1, 1)"
	psql_src "ALTER TABLE $T RENAME v TO v2"
	decode
	run -0 jq -c '.columns | map([.name, .type, .key, .optional])' "$OUT"
	assert_output '[["id","int4",1,false],["v","int4",0,true]]'
}

# The real thing: Debezium 2.7.3, started after the same SQL had committed
# (tests/fixtures/ddl/README).  Records equal but for source block and
# processing time, which differ from run to run.
@test "DDL after the change: the records equal Debezium 2.7.3's" {
	local fix="$REPO/tests/fixtures/ddl"
	norm() {
		jq -c 'del(.pos) | .value.payload.source = null |
			.value.payload.ts_ms = 0 | .value.payload.ts_us = 0 | .value.payload.ts_ns = 0' "$1"
	}
	psql -X -q -v ON_ERROR_STOP=1 "$WALPIPE_SOURCE" -f "$fix/setup.sql"
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P z_pub --create-slot \
		--snapshot never --end-lsn now
	psql -X -q -v ON_ERROR_STOP=1 "$WALPIPE_SOURCE" -f "$fix/changes.sql"
	timeout 60 pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P z_pub --end-lsn now >"$OUT"
	cdc-envelope -p pfx --skipped-operations none <"$OUT" >"$OUT.rec" 2>/dev/null
	norm "$fix/debezium-2.7.3.out" >"$BATS_TEST_TMPDIR/want"
	norm "$OUT.rec" >"$BATS_TEST_TMPDIR/got"
	run diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	assert_success
}
