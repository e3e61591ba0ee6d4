#!/usr/bin/env bats
# cdc-envelope: change lines in, Debezium-compatible record lines out.
# A pure filter, so no PostgreSQL or Kafka is needed: the inputs are
# hand-written change lines in tests/fixtures/cdc-envelope/.
bats_require_minimum_version 1.5.0
load test_helper/common

FIX="$REPO/tests/fixtures/cdc-envelope"
SEED_CONF="$REPO/tests/fixtures/seed"
# The sample Kafka message of the reference document (Debezium 2.7.3's
# value for the seed's INSERT), kept verbatim as data.
SEED_MESSAGE="$FIX/seed-message.json"
PREFIX=postgres_server.connect_test_db

# The envelope's processing time is the only thing that varies between runs.
normalize() {
	sed -E -e 's/("op":"[cudrt]"),"ts_ms":[0-9]+,"ts_us":[0-9]+,"ts_ns":[0-9]+/\1,"ts_ms":0,"ts_us":0,"ts_ns":0/g' \
		-e 's/"op":"m","ts_ms":[0-9]+/"op":"m","ts_ms":0/g'
}

# The raw bytes of the value schema of a record line / of a Kafka value.
record_value_schema() { sed -n 's/^.*"value":{"schema":\(.*\),"payload":{"before".*$/\1/p'; }
kafka_value_schema() { sed -n 's/^{"schema":\(.*\),"payload":{"before".*$/\1/p'; }

@test "seed: the value schema equals Debezium 2.7.3's byte for byte" {
	kafka_value_schema <"$SEED_MESSAGE" >"$BATS_TEST_TMPDIR/want"
	[ -s "$BATS_TEST_TMPDIR/want" ] || fail "no sample message in the seed text"
	cdc-envelope -p "$PREFIX" <"$FIX/seed-insert.in" | record_value_schema >"$BATS_TEST_TMPDIR/got"
	run cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	assert_success
}

@test "seed: the payload equals Debezium 2.7.3's but for time, LSN, txId, sequence, version" {
	local strip='del(.source.ts_ms, .source.ts_us, .source.ts_ns, .ts_ms, .ts_us, .ts_ns,
		.source.lsn, .source.txId, .source.sequence, .source.version)'
	jq -cS ".payload | $strip" <"$SEED_MESSAGE" >"$BATS_TEST_TMPDIR/want"
	cdc-envelope -p "$PREFIX" <"$FIX/seed-insert.in" |
		jq -cS ".value.payload | $strip" >"$BATS_TEST_TMPDIR/got"
	run diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	assert_success
	# The source block in Debezium's key order, and the fields the line fixes.
	run bash -c "cdc-envelope -p $PREFIX <'$FIX/seed-insert.in' | grep -o '\"source\":{[^}]*}'"
	assert_output '"source":{"version":"2.7.3.Final","connector":"postgresql","name":"postgres_server.connect_test_db","ts_ms":1756284839282,"snapshot":"false","db":"connect_test_db","sequence":"[null,\"26863936\"]","ts_us":1756284839282114,"ts_ns":1756284839282114000,"schema":"public","table":"source_table","txId":780,"lsn":26863936,"xmin":null}'
}

@test "seed: the key is the primary key struct" {
	run bash -c "cdc-envelope -p $PREFIX <'$FIX/seed-insert.in' | jq -c .key"
	assert_output '{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"default":0,"field":"id"}],"optional":false,"name":"postgres_server.connect_test_db.public.source_table.Key"},"payload":{"id":8}}'
}

@test "reference table: inserts, update, delete and tombstone match the expected records" {
	cdc-envelope -p "$PREFIX" <"$FIX/reference.in" | normalize >"$BATS_TEST_TMPDIR/got"
	run diff "$FIX/reference.out" "$BATS_TEST_TMPDIR/got"
	assert_success
}

@test "reference table: key change, truncate and unchanged TOAST with --skipped-operations none" {
	cdc-envelope -p "$PREFIX" --skipped-operations none <"$FIX/more.in" |
		normalize >"$BATS_TEST_TMPDIR/got"
	run diff "$FIX/more.out" "$BATS_TEST_TMPDIR/got"
	assert_success
}

@test "truncates are skipped by default, like skipped.operations=t" {
	run -0 bash -c "cdc-envelope -p $PREFIX <'$FIX/more.in' | jq -r 'select(.value) | .value.payload.op'"
	assert_output $'d\nc\nu'
}

@test "a delete gives delete + tombstone; only the tombstone carries pos" {
	run -0 bash -c "sed -n 7p '$FIX/reference.in' | cdc-envelope -p $PREFIX | jq -c '[.value.payload.op, has(\"pos\")]'"
	assert_output $'["d",false]\n[null,true]'
	run -0 bash -c "sed -n 7p '$FIX/reference.in' | cdc-envelope -p $PREFIX | tail -n1 | jq -c '[.value, .pos, .key.payload]'"
	assert_output '[null,"0/16B3E48:1",{"id":4}]'
}

@test "a key change gives delete + tombstone + create, pos on the create only" {
	run -0 bash -c "sed -n 1p '$FIX/more.in' | cdc-envelope -p $PREFIX | jq -c '[.key.payload.id, (.value.payload.op // null), .pos]'"
	assert_output $'[3,"d",null]\n[3,null,null]\n[30,"c","0/16B3F48:1"]'
	run -0 bash -c "sed -n 1p '$FIX/more.in' | cdc-envelope -p $PREFIX | jq -c .headers"
	assert_output $'{"__debezium.newkey":"{\\"id\\":30}"}\n{"__debezium.newkey":"{\\"id\\":30}"}\n{"__debezium.oldkey":"{\\"id\\":3}"}'
}

@test "--no-tombstones: a delete is one record" {
	run -0 bash -c "sed -n 7p '$FIX/reference.in' | cdc-envelope -p $PREFIX --no-tombstones | jq -c '[.value.payload.op, .pos]'"
	assert_output '["d","0/16B3E48:1"]'
}

@test "--no-schemas: key and value are the payloads alone" {
	run -0 bash -c "cdc-envelope -p $PREFIX --no-schemas <'$FIX/seed-insert.in' | jq -c '[.key, (.value | keys)]'"
	assert_output '[{"id":8},["after","before","op","source","transaction","ts_ms","ts_ns","ts_us"]]'
}

@test "sequence holds the previous transaction's commit LSN" {
	run -0 bash -c "head -n2 '$FIX/reference.in' | cdc-envelope -p $PREFIX | jq -r .value.payload.source.sequence"
	assert_output $'[null,"23803904"]\n["23803976","23804160"]'
}

@test "a bad line: records of earlier lines, then 'line N:' and exit 65" {
	{ head -n2 "$FIX/reference.in"; echo '{"pos":"0/1:1","op":'; sed -n 3p "$FIX/reference.in"; } >"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr cdc-envelope -p "$PREFIX" <"$BATS_TEST_TMPDIR/in"
	assert_equal "${#lines[@]}" 2
	[[ $stderr == "cdc-envelope: error: line 3: "* ]] || fail "stderr: $stderr"
}

@test "a line that is not a change: exit 65 naming the line" {
	run -65 --separate-stderr cdc-envelope -p "$PREFIX" <<<'{"pos":"0/1:1"}'
	[[ $stderr == *"line 1: missing or invalid \"op\""* ]] || fail "stderr: $stderr"
}

@test "a closed stdout: exit 74" {
	for _ in $(seq 2000); do cat "$FIX/reference.in"; done >"$BATS_TEST_TMPDIR/in"
	run bash -c "cdc-envelope -p $PREFIX <'$BATS_TEST_TMPDIR/in' | head -c 10 >/dev/null; exit \${PIPESTATUS[0]}"
	assert_equal "$status" 74
}

@test "output is flushed when no more input is ready" {
	local out="$BATS_TEST_TMPDIR/out"
	{ cat "$FIX/seed-insert.in"; sleep 5; } | cdc-envelope -p "$PREFIX" >"$out" 3>&- &
	wait_until 3 test -s "$out"
	run jq -r .key.payload.id "$out"
	assert_output 8
	kill %1 2>/dev/null || true
	wait || true
}

@test "without a prefix: exit 64" {
	run -64 --separate-stderr cdc-envelope <"$FIX/seed-insert.in"
	[[ $stderr == *'Try "cdc-envelope --help"'* ]] || fail "stderr: $stderr"
}

# Conformance: one fixture per type (types/NAME.line, the expected field
# schema of column "v" in NAME.schema, its payload value in NAME.value, both
# compared as text; OMITTED = Debezium 2.7 has no schema for the type).
@test "types: every type's field schema and value match Debezium's mapping" {
	local n line out schema value bad=0
	for line in "$FIX"/types/*.line; do
		n=${line%.line}
		out=$(cdc-envelope -p p <"$line" 2>"$BATS_TEST_TMPDIR/err") || {
			echo "${n##*/}: exit $?: $(cat "$BATS_TEST_TMPDIR/err")"
			bad=1
			continue
		}
		schema=$(<"$n.schema")
		value=$(<"$n.value")
		if [[ $schema == OMITTED ]]; then
			[[ $out == *'"after":{"id":1},'* && $out != *'"field":"v"'* ]] ||
				{ echo "${n##*/}: column not left out"; bad=1; }
			grep -q 'has no Debezium schema: left out' "$BATS_TEST_TMPDIR/err" ||
				{ echo "${n##*/}: no warning"; bad=1; }
			continue
		fi
		[[ $out == *"$schema"* ]] || { echo "${n##*/}: schema differs"; bad=1; }
		[[ $out == *"\"after\":{\"id\":1,\"v\":$value},"* ]] ||
			{ echo "${n##*/}: value differs: $(grep -o '"after":{"id":1,"v":.\{0,60\}' <<<"$out")"; bad=1; }
	done
	[[ $bad == 0 ]]
}

@test "types: a column without a Debezium schema warns once" {
	run -0 --separate-stderr bash -c "cat '$FIX/types/omitted-box.line' '$FIX/types/omitted-box.line' | cdc-envelope -p p"
	assert_equal "$(grep -c 'left out' <<<"$stderr")" 1
}

@test "-c: the seed's source connector JSON gives the same records as --prefix" {
	cdc-envelope -p "$PREFIX" <"$FIX/reference.in" | normalize >"$BATS_TEST_TMPDIR/flags"
	cdc-envelope -c "$SEED_CONF/postgresdb-source-connector.json" <"$FIX/reference.in" |
		normalize >"$BATS_TEST_TMPDIR/file"
	run cmp "$BATS_TEST_TMPDIR/flags" "$BATS_TEST_TMPDIR/file"
	assert_success
}

@test "-c: table.include.list lets only public.source_table pass" {
	run -0 bash -c "cat '$FIX/other-table.in' '$FIX/seed-insert.in' | cdc-envelope -c '$SEED_CONF/postgresdb-source-connector.json' | jq -r .topic"
	assert_output "$PREFIX.public.source_table"
	run -0 bash -c "cdc-envelope -p $PREFIX <'$FIX/other-table.in' | jq -r .topic"
	assert_output "$PREFIX.public.other_table"
}

@test "-c: a file without topic.prefix: exit 64" {
	echo '{"config": {"database.dbname": "db"}}' >"$BATS_TEST_TMPDIR/c.json"
	run -64 --separate-stderr cdc-envelope -c "$BATS_TEST_TMPDIR/c.json" <"$FIX/seed-insert.in"
	[[ $stderr == *"topic.prefix"* ]] || fail "stderr: $stderr"
}

@test "-c: the sink connector's JSON is refused, naming its first sink key: exit 78" {
	run -78 --separate-stderr cdc-envelope -c "$SEED_CONF/postgresdb-sink-connector.json" <"$FIX/seed-insert.in"
	[[ $stderr == *'connector setting "connection.url" is not supported'* ]] || fail "stderr: $stderr"
}

@test "-c: a missing file: exit 66" {
	run -66 --separate-stderr cdc-envelope -c "$BATS_TEST_TMPDIR/none.json" </dev/null
}

@test "-c: a bare config object; its settings apply and explicit flags win" {
	run -0 bash -c "sed -n 7p '$FIX/reference.in' | cdc-envelope -c '$FIX/bare-config.json' | jq -c '[.topic, .key, (.value.op // .value.status), .value.source.db]'"
	assert_output $'["bare.transaction",{"id":"786:23805440"},"BEGIN",null]\n["bare.public.source_table",{"name":null},"d","renamed_db"]\n["bare.transaction",{"id":"786:23805512"},"END",null]'
	run -0 bash -c "sed -n 1p '$FIX/reference.in' | cdc-envelope -c '$FIX/bare-config.json' --prefix flag -d flagdb -k public.source_table:id | jq -c 'select(.value.op) | [.topic, .key, .value.source.db]'"
	assert_output '["flag.public.source_table",{"id":1},"flagdb"]'
}

@test "--key-columns replaces the primary key" {
	run -0 bash -c "cdc-envelope -p $PREFIX -k 'public.source_table:name,id' <'$FIX/seed-insert.in' | jq -c .key"
	assert_output '{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"field":"name"},{"type":"int32","optional":false,"default":0,"field":"id"}],"optional":false,"name":"postgres_server.connect_test_db.public.source_table.Key"},"payload":{"name":"test1","id":8}}'
	run -65 --separate-stderr cdc-envelope -p "$PREFIX" -k 'public.source_table:nope' <"$FIX/seed-insert.in"
	[[ $stderr == *'line 1: key column "nope"'* ]] || fail "stderr: $stderr"
}

@test "a table without a key: null key, and the tombstone all the same" {
	sed -e 's/"key":1/"key":0/' "$FIX/reference.in" >"$BATS_TEST_TMPDIR/in"
	run -0 bash -c "sed -n 7p '$BATS_TEST_TMPDIR/in' | cdc-envelope -p $PREFIX | jq -c '[.key, .value.payload.op, .pos]'"
	assert_output $'[null,"d",null]\n[null,null,"0/16B3E48:1"]'
}

@test "--unwrap: the row alone, with the Value schema" {
	run -0 bash -c "cdc-envelope -p $PREFIX --unwrap <'$FIX/seed-insert.in' | jq -c .value"
	assert_output '{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"default":0,"field":"id"},{"type":"string","optional":true,"field":"name"}],"optional":false,"name":"postgres_server.connect_test_db.public.source_table.Value"},"payload":{"id":8,"name":"test1"}}'
}

@test "--unwrap-delete: drop, tombstone, rewrite" {
	run -0 bash -c "sed -n 7p '$FIX/reference.in' | cdc-envelope -p $PREFIX --unwrap"
	assert_output ''
	run -0 bash -c "sed -n 7p '$FIX/reference.in' | cdc-envelope -p $PREFIX --unwrap --unwrap-delete tombstone | jq -c '[.key.payload, .value.schema.name, .value.payload, .pos]'"
	assert_output '[{"id":4},"postgres_server.connect_test_db.public.source_table.Value",null,"0/16B3E48:1"]'
	run -0 bash -c "sed -n 7p '$FIX/reference.in' | cdc-envelope -p $PREFIX --no-schemas --unwrap --unwrap-delete tombstone | jq -c '[.key, .value, .value_encoding]'"
	assert_output '[{"id":4},"null","text"]'
	run -0 bash -c "sed -n '1p;7p' '$FIX/reference.in' | cdc-envelope -p $PREFIX --no-schemas --unwrap --unwrap-delete rewrite | jq -c .value"
	assert_output $'{"id":1,"name":"test1","__deleted":"false"}\n{"id":4,"name":null,"__deleted":"true"}'
}

@test "--transaction-metadata: BEGIN, events with their transaction block, END" {
	{ head -n1 "$FIX/reference.in"; head -n1 "$FIX/reference.in" | sed 's/:1"/:2"/; s/"id":1,/"id":6,/'; } >"$BATS_TEST_TMPDIR/in"
	run -0 bash -c "cdc-envelope -p $PREFIX --no-schemas --transaction-metadata <'$BATS_TEST_TMPDIR/in' | jq -c '[.topic, .value.status // .value.op, .value.transaction // .value.event_count, .value.data_collections]'"
	assert_output - <<-'OUT'
	["postgres_server.connect_test_db.transaction","BEGIN",null,null]
	["postgres_server.connect_test_db.public.source_table","c",{"id":"780:23803904","total_order":1,"data_collection_order":1},null]
	["postgres_server.connect_test_db.public.source_table","c",{"id":"780:23803904","total_order":2,"data_collection_order":2},null]
	["postgres_server.connect_test_db.transaction","END",2,[{"data_collection":"public.source_table","event_count":2}]]
	OUT
}

@test "a logical decoding message goes to PREFIX.message" {
	cdc-envelope -p "$PREFIX" <"$FIX/message.in" | normalize >"$BATS_TEST_TMPDIR/got"
	run diff "$FIX/message.out" "$BATS_TEST_TMPDIR/got"
	assert_success
	run -0 bash -c "cdc-envelope -p $PREFIX --skipped-operations m <'$FIX/message.in'"
	assert_output ''
}

@test "snapshot reads carry their snapshot marker" {
	run -0 bash -c "cdc-envelope -p $PREFIX <'$FIX/snapshot.in' | jq -c '[.value.payload.op, .value.payload.source.snapshot]'"
	assert_output '["r","first"]'
}

@test "--topic-template routes records; schema names stay" {
	run -0 bash -c "cdc-envelope -p $PREFIX --topic-template 'cdc.\${table}' <'$FIX/seed-insert.in' | jq -r '[.topic, .value.schema.name] | join(\" \")'"
	assert_output "cdc.source_table $PREFIX.public.source_table.Envelope"
}

@test "--source-version changes source.version" {
	run -0 bash -c "cdc-envelope -p $PREFIX --source-version 2.7.4.Final <'$FIX/seed-insert.in' | jq -r .value.payload.source.version"
	assert_output 2.7.4.Final
}

@test "--decimal double and string, --time-precision connect" {
	local t="$FIX/types"
	run -0 bash -c "cdc-envelope -p p --decimal double <'$t/numeric-p-s.line' | jq -c '[.value.schema.fields[1].fields[1].type, .value.payload.after.v]'"
	assert_output '["double",123.45]'
	run -0 bash -c "cdc-envelope -p p --decimal string <'$t/numeric-variable.line' | jq -c '[.value.schema.fields[1].fields[1].type, .value.payload.after.v]'"
	assert_output '["string","10.1111"]'
	run -0 bash -c "cdc-envelope -p p --decimal string <'$t/money.line' | jq -c .value.payload.after.v"
	assert_output '"1234.11"'
	run -0 bash -c "cdc-envelope -p p --time-precision connect <'$t/timestamp.line' | jq -c '[.value.schema.fields[1].fields[1].name, .value.payload.after.v]'"
	assert_output '["org.apache.kafka.connect.data.Timestamp",1478267490123]'
	run -0 bash -c "cdc-envelope -p p --time-precision connect <'$t/time.line' | jq -c '[.value.schema.fields[1].fields[1].name, .value.payload.after.v]'"
	assert_output '["org.apache.kafka.connect.data.Time",49890000]'
}

@test "--decimal precise: NaN is null with a hint, or refused with --on-unsupported-value=fail" {
	sed 's/"123.45"/"NaN"/' "$FIX/types/numeric-p-s.line" >"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr cdc-envelope -p p --on-unsupported-value=fail <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *"--decimal double or string"* ]] || fail "stderr: $stderr"
	run -0 --separate-stderr cdc-envelope -p p <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *"--decimal double or string"* ]] || fail "stderr: $stderr"
	run -0 bash -c "cdc-envelope -p p <'$BATS_TEST_TMPDIR/in' 2>/dev/null | jq -c .value.payload.after.v"
	assert_output 'null'
	run -0 bash -c "cdc-envelope -p p --decimal double <'$BATS_TEST_TMPDIR/in' | jq -c .value.payload.after.v"
	assert_output '"NaN"'
}

@test "a changed column list (ALTER TABLE) rebuilds the schema" {
	sed 's/"typmod":14/"typmod":54/; s/"optional":true,"default":null}/"optional":true,"default":null},{"name":"extra","type":"int8","oid":20,"typmod":-1,"key":0,"optional":true,"default":"42"}/; s/"name":"test1"}/"name":"test1","extra":7}/' \
		"$FIX/seed-insert.in" >"$BATS_TEST_TMPDIR/altered"
	run -0 bash -c "cat '$FIX/seed-insert.in' '$BATS_TEST_TMPDIR/altered' '$FIX/seed-insert.in' | cdc-envelope -p $PREFIX | jq -c '[.value.schema.fields[1].fields[-1], .value.payload.after]'"
	assert_output - <<-'OUT'
	[{"type":"string","optional":true,"field":"name"},{"id":8,"name":"test1"}]
	[{"type":"int64","optional":true,"default":42,"field":"extra"},{"id":8,"name":"test1","extra":7}]
	[{"type":"string","optional":true,"field":"name"},{"id":8,"name":"test1"}]
	OUT
}

@test "schema defaults as PostgresDefaultValueConverter parses them; null becomes the default" {
	run -0 bash -c "cdc-envelope -p p <'$FIX/defaults.in' | sed -n 's/^.*\"payload\":{\"before\":null,\(\"after\":.*\),\"source\".*$/\\1/p'"
	assert_output '"after":{"id":1,"big":9223372036854775807,"i":1,"neg":-5,"s":"abc","nul":null,"b":false,"n":"AMg=","ts":"1970-01-01T00:00:00.000000Z","u":"00000000-0000-0000-0000-000000000000","dom":null,"j":"{}","d":0,"m":"ok","by":null}'
	run -0 bash -c "cdc-envelope -p p <'$FIX/defaults.in' | jq -c '[.value.schema.fields[1].fields[] | .default]'"
	assert_output '[0,9223372036854776000,42,-5,"abc",null,true,"AJY=","1970-01-01T00:00:00.000000Z","00000000-0000-0000-0000-000000000000",null,"{}",0,"ok",null]'
}

@test "SIGTERM: the records so far are out, exit 0" {
	local out="$BATS_TEST_TMPDIR/out" pid st=0
	mkfifo "$BATS_TEST_TMPDIR/in"
	cdc-envelope -p "$PREFIX" <"$BATS_TEST_TMPDIR/in" >"$out" 3>&- &
	pid=$!
	exec 4>"$BATS_TEST_TMPDIR/in"
	cat "$FIX/seed-insert.in" >&4
	wait_until 3 test -s "$out"
	kill -TERM "$pid"
	wait "$pid" || st=$?
	exec 4>&-
	assert_equal "$st" 0
	run jq -r .key.payload.id "$out"
	assert_output 8
}

# Captured from pg-wal-tail on PostgreSQL 15: a table with a column of every
# type, insert, update, key change, delete, message and truncate.
@test "pg-wal-tail's own output for every type converts as expected" {
	cdc-envelope -p pfx --skipped-operations none <"$FIX/pg-wal-tail-types.in" 2>"$BATS_TEST_TMPDIR/err" |
		normalize >"$BATS_TEST_TMPDIR/got"
	run diff "$FIX/pg-wal-tail-types.out" "$BATS_TEST_TMPDIR/got"
	assert_success
	run grep -c 'has no Debezium schema: left out' "$BATS_TEST_TMPDIR/err"
	assert_output 5
}

# The JSON layer against the real thing: Kafka 3.7.0's JsonConverter (the
# Kafka Debezium 2.7 is built on) reads each key and value and writes it
# again; the bytes must not change.  (A float NaN is left out: the
# converter reads the string "NaN" back as 0.0, though it writes NaN as
# "NaN" itself.)
@test "keys and values are byte for byte what Kafka Connect's JsonConverter writes" {
	local d="$BATS_TEST_TMPDIR/jc" in="$BATS_TEST_TMPDIR/in"
	mkdir -p "$d"
	run timeout 300 mvn -q -B -f "$FIX/jsonconverter/pom.xml" dependency:build-classpath \
		-Dmdep.outputFile="$d/cp"
	assert_success
	run timeout 120 javac -d "$d" -cp "$(<"$d/cp")" "$FIX/jsonconverter/RoundTrip.java"
	assert_success
	{
		cat "$FIX"/{reference,more,message,defaults,snapshot,pg-wal-tail-types}.in
		for f in "$FIX"/types/*.line; do [[ $f == *float8-nan* ]] || cat "$f"; done
	} >"$in"
	{
		cdc-envelope -p pfx --skipped-operations none --transaction-metadata <"$in"
		cdc-envelope -p pfx --decimal double --time-precision connect <"$in"
		cdc-envelope -p pfx --decimal string <"$in"
		cdc-envelope -p pfx --unwrap --unwrap-delete rewrite <"$in"
		cdc-envelope -p pfx --unwrap --unwrap-delete tombstone <"$in"
	} 2>/dev/null >"$d/records"
	run timeout 120 java -cp "$(<"$d/cp"):$d" RoundTrip <"$d/records"
	assert_output --regexp '^[0-9]{3,} keys/values checked, 0 differ$'
}

# The real thing: Debezium 2.7.3's own records for changes pg-wal-tail also
# captured (tests/fixtures/cdc-envelope/debezium-2.7.3/README).  Every key,
# value and header must be identical, byte for byte, but for the envelope's
# processing time.
@test "a real Debezium 2.7.3 capture is reproduced byte for byte" {
	local d="$FIX/debezium-2.7.3"
	cdc-envelope -p pfx --skipped-operations none <"$d/changes.in" 2>/dev/null |
		normalize | sed -e 's/,"pos":"[^"]*"}$/}/' >"$BATS_TEST_TMPDIR/got"
	run diff "$d/records.out" "$BATS_TEST_TMPDIR/got"
	assert_success
}

@test "a real Debezium 2.7.3 capture with transaction metadata is reproduced byte for byte" {
	local d="$FIX/debezium-2.7.3"
	cdc-envelope -p pfx --transaction-metadata <"$d/tx-changes.in" 2>/dev/null |
		normalize | sed -e 's/,"pos":"[^"]*"}$/}/' >"$BATS_TEST_TMPDIR/got"
	run diff "$d/tx-records.out" "$BATS_TEST_TMPDIR/got"
	assert_success
}

@test "a real ExtractNewRecordState capture is reproduced byte for byte, each delete mode" {
	local d="$FIX/debezium-2.7.3" m
	for m in drop tombstone rewrite; do
		cdc-envelope -p pfx --skipped-operations none --unwrap --unwrap-delete "$m" \
			<"$d/unwrap-changes.in" 2>/dev/null |
			sed -e 's/,"pos":"[^"]*"}$/}/' >"$BATS_TEST_TMPDIR/got"
		run diff "$d/unwrap-$m.out" "$BATS_TEST_TMPDIR/got"
		assert_success
	done
}

@test "--include-schema-comments: a column comment becomes the field's doc" {
	run -0 bash -c "cdc-envelope -p p <'$FIX/pg-wal-tail-types.in' 2>/dev/null | head -n1 | jq -c '.value.schema.fields[1].fields[] | select(.field == \"t\")'"
	assert_output '{"type":"string","optional":true,"field":"t"}'
	run -0 bash -c "cdc-envelope -p p --include-schema-comments <'$FIX/pg-wal-tail-types.in' 2>/dev/null | head -n1 | jq -c '.value.schema.fields[1].fields[] | select(.field == \"t\")'"
	assert_output '{"type":"string","optional":true,"doc":"a comment","field":"t"}'
}

# Connector keys, each honoured or refused (cdc-envelope(1), CONNECTOR
# SETTINGS).  The keys/ captures are Debezium 2.7.3's own records for the
# connector files next to them (README there).
keys_capture() {
	local d="$FIX/debezium-2.7.3/keys"
	cdc-envelope -c "$d/$1.json" <"$d/${2:-changes.in}" 2>/dev/null |
		normalize | sed -e 's/,"pos":"[^"]*"}$/}/' >"$BATS_TEST_TMPDIR/got"
	run diff "$d/$1.out" "$BATS_TEST_TMPDIR/got"
	assert_success
}

@test "-c: column exclude, mask, SHA-256 hash, truncate, interval string, binary hex, hstore map, money digits, no tombstones, table and schema exclude: Debezium's bytes" {
	keys_capture masked
}

@test "-c: schema.include.list and binary.handling.mode base64: Debezium's bytes" {
	keys_capture schema-include
}

@test "-c: table.include.list and a column.exclude.list expression: Debezium's bytes" {
	keys_capture table-include
}

@test "-c: table.include.list expressions, column.include.list, the v2 hash cut to varchar(n), base64-url-safe: Debezium's bytes" {
	keys_capture include include-changes.in
}

# Debezium 2.7.3 refuses these files: "The 'column.exclude.list' value is
# invalid: "column.include.list" is already specified" (and so for tables
# and schemas), checked with the capture harness of debezium-2.7.3/.
@test "-c: an include and an exclude list of one kind together exit 78, as Debezium refuses them" {
	local k
	for k in schema table column; do
		printf '{"topic.prefix": "pfx", "%s.include.list": "a", "%s.exclude.list": "b"}\n' "$k" "$k" \
			>"$BATS_TEST_TMPDIR/c.json"
		run -78 --separate-stderr cdc-envelope -c "$BATS_TEST_TMPDIR/c.json" <"$FIX/debezium-2.7.3-odd/changes.in"
		assert_equal "$output" ""
		assert_equal "$stderr" "cdc-envelope: error: $BATS_TEST_TMPDIR/c.json: connector settings $k.include.list and $k.exclude.list: only one of them can be set"
	done
	run -78 pg-wal-tail -c "$BATS_TEST_TMPDIR/c.json" --end-lsn now
}

@test "-c: an unknown key exits 78 naming it, before any output" {
	echo '{"config": {"topic.prefix": "p", "column.propagate.source.type": ".*"}}' >"$BATS_TEST_TMPDIR/c.json"
	run -78 --separate-stderr cdc-envelope -c "$BATS_TEST_TMPDIR/c.json" <"$FIX/seed-insert.in"
	assert_output ''
	[[ $stderr == *'connector setting "column.propagate.source.type" is not supported'* ]] || fail "$stderr"
	echo '{"config": {"topic.prefix": "p", "no.such.key": "1"}}' >"$BATS_TEST_TMPDIR/c.json"
	run -78 --separate-stderr cdc-envelope -c "$BATS_TEST_TMPDIR/c.json" <"$FIX/seed-insert.in"
	[[ $stderr == *'"no.such.key"'* ]] || fail "$stderr"
}

@test "-c: Kafka Connect's own keys and pg-wal-tail's are accepted and change nothing" {
	cat >"$BATS_TEST_TMPDIR/c.json" <<'JSON'
{"name": "n", "config": {"topic.prefix": "postgres_server.connect_test_db",
  "connector.class": "io.debezium.connector.postgresql.PostgresConnector", "tasks.max": "1",
  "key.converter": "org.apache.kafka.connect.json.JsonConverter",
  "value.converter.replace.null.with.default": "true", "errors.log.enable": "true", "errors.max.retries": "-1",
  "schema.history.internal.kafka.topic": "h", "offset.flush.interval.ms": "1000",
  "slot.name": "s", "publication.name": "p", "snapshot.mode": "when_needed",
  "heartbeat.interval.ms": "1000", "plugin.name": "pgoutput"}}
JSON
	cdc-envelope -p postgres_server.connect_test_db <"$FIX/reference.in" | normalize >"$BATS_TEST_TMPDIR/flags"
	cdc-envelope -c "$BATS_TEST_TMPDIR/c.json" <"$FIX/reference.in" | normalize >"$BATS_TEST_TMPDIR/file"
	run cmp "$BATS_TEST_TMPDIR/flags" "$BATS_TEST_TMPDIR/file"
	assert_success
}

@test "-c: a value the key cannot take, another converter or another transform: exit 78" {
	local bad
	for bad in '"binary.handling.mode": "raw"' '"interval.handling.mode": "iso"' \
		'"decimal.handling.mode": "exact"' '"snapshot.mode": "always"' '"tombstones.on.delete": "yes"' \
		'"column.mask.with.3.chars": "a(b"' \
		'"column.mask.hash.MD5.with.salt.x": "public.t.c"' \
		'"value.converter": "io.confluent.connect.avro.AvroConverter"' \
		'"transforms": "r", "transforms.r.type": "org.apache.kafka.connect.transforms.RegexRouter"' \
		'"transforms": "u", "transforms.u.type": "io.debezium.transforms.ExtractNewRecordState", "transforms.u.add.fields": "op"'; do
		echo "{\"topic.prefix\": \"p\", $bad}" >"$BATS_TEST_TMPDIR/c.json"
		run -78 --separate-stderr cdc-envelope -c "$BATS_TEST_TMPDIR/c.json" </dev/null
		[[ $stderr == *'connector setting'* ]] || fail "$bad: $stderr"
	done
}

@test "-c: transforms of ExtractNewRecordState are --unwrap, with its delete mode: Debezium's bytes" {
	local d="$FIX/debezium-2.7.3" m
	for m in drop tombstone rewrite; do
		cat >"$BATS_TEST_TMPDIR/c.json" <<JSON
{"topic.prefix": "pfx", "skipped.operations": "none", "transforms": "unwrap",
 "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
 "transforms.unwrap.delete.tombstone.handling.mode": "$m"}
JSON
		cdc-envelope -c "$BATS_TEST_TMPDIR/c.json" <"$d/unwrap-changes.in" 2>/dev/null |
			sed -e 's/,"pos":"[^"]*"}$/}/' >"$BATS_TEST_TMPDIR/got"
		run diff "$d/unwrap-$m.out" "$BATS_TEST_TMPDIR/got"
		assert_success
	done
}

@test "-c: column.include.list, the v2 hash and base64-url-safe" {
	cat >"$BATS_TEST_TMPDIR/c.json" <<'JSON'
{"topic.prefix": "pfx", "column.include.list": "PUBLIC\\.KT\\.(id|email|b)",
 "column.mask.hash.v2.SHA-256.with.salt.salty": "public.kt.email",
 "binary.handling.mode": "base64-url-safe"}
JSON
	run -0 bash -c "head -n1 '$FIX/debezium-2.7.3/keys/changes.in' | cdc-envelope -c '$BATS_TEST_TMPDIR/c.json' | jq -c '[.value.payload.after, [.value.schema.fields[1].fields[] | .type]]'"
	# sha256("salty" + "alice@example.com"); base64 of 00 ff 10 fe with - and _
	assert_output "[{\"id\":1,\"email\":\"$(printf 'saltyalice@example.com' | sha256sum | cut -c1-64)\",\"b\":\"AP8Q_g==\"},[\"int32\",\"string\",\"string\"]]"
}

@test "-c: column.truncate counts UTF-16 units; a mask replaces null too" {
	cat >"$BATS_TEST_TMPDIR/c.json" <<'JSON'
{"topic.prefix": "pfx", "column.truncate.to.2.chars": "public.kt.email",
 "column.mask.with.3.chars": "public.kt.name"}
JSON
	run -0 bash -c "sed -n 2,3p '$FIX/debezium-2.7.3/keys/changes.in' | cdc-envelope -c '$BATS_TEST_TMPDIR/c.json' | jq -c '.value.payload.after | [.name, .email]'"
	assert_output $'["***",null]\n["***","ü€"]'
}

# Expected: Java's MessageDigest SHA-256 over "salt" and the String as an
# ObjectOutputStream writes it (a TC_LONGSTRING past 65535 bytes, surrogate
# pairs in modified UTF-8), computed with Java 17.
@test "-c: column.mask.hash hashes long strings and non-BMP characters as Java serializes them" {
	local d="$FIX/debezium-2.7.3/keys" v
	echo '{"topic.prefix": "p", "column.mask.hash.SHA-256.with.salt.salt": "public.kt.email"}' >"$BATS_TEST_TMPDIR/c.json"
	for v in "$(printf 'x%.0s' {1..70000})" 'é😀z' '' "$(printf 'a%.0s' {1..65535})" "$(printf 'ü%.0s' {1..40000})"; do
		head -n1 "$d/changes.in" | jq -c --arg v "$v" '.after.email = $v'
	done >"$BATS_TEST_TMPDIR/in"
	run -0 bash -c "cdc-envelope -c '$BATS_TEST_TMPDIR/c.json' <'$BATS_TEST_TMPDIR/in' | jq -r .value.payload.after.email"
	assert_output "7fab0c0461220b8c55bbb93baf32883ff3a4680ded26e5063b3e5aa09c98a713
d1348fb7ab5de3a0612b7ea7139afe4dec4fb7ae54a9bcc572854b735145c1d9
5b3d6ca0412baec5bd29469bcf15b3d11a89841fb2aaed6509e63dd51531bbb0
c05919b180a41bfeb1cd9dd096a1e95a811388ba6f5f034e4b4780a0e79664ec
7959f08919430c61dfaaa6650ee000b1cdd2301062bd195aed245431e9946a2e"
}

# Edge values: Debezium 2.7.3's own records and pg-wal-tail's lines for the
# same WAL (tests/fixtures/cdc-envelope/debezium-2.7.3-edge/README).
@test "a real Debezium 2.7.3 capture of edge values is reproduced byte for byte" {
	local d="$FIX/debezium-2.7.3-edge"
	cdc-envelope -p pfx --skipped-operations none <"$d/changes.in" 2>"$BATS_TEST_TMPDIR/err" |
		normalize | sed -e 's/,"pos":"[^"]*"}$/}/' >"$BATS_TEST_TMPDIR/got"
	run diff "$d/records.out" "$BATS_TEST_TMPDIR/got"
	assert_success
	assert_equal "$(wc -l <"$d/records.out")" 38
}

# Odd values of every type, captured the same way
# (tests/fixtures/cdc-envelope/debezium-2.7.3-odd/README).
@test "a real Debezium 2.7.3 capture of odd values of every type is reproduced byte for byte" {
	local d="$FIX/debezium-2.7.3-odd"
	cdc-envelope -p pfx --skipped-operations none <"$d/changes.in" 2>"$BATS_TEST_TMPDIR/err" |
		normalize | sed -e 's/,"pos":"[^"]*"}$/}/' >"$BATS_TEST_TMPDIR/got"
	run diff "$d/records.out" "$BATS_TEST_TMPDIR/got"
	assert_success
	assert_equal "$(wc -l <"$d/records.out")" 76
	run grep -c 'cannot convert\|as Debezium does' "$BATS_TEST_TMPDIR/err"
	assert_output 6
	run grep -F 'column "public"."odd"."a_b": {NULL,10} is a bit array: written as null, as Debezium does' "$BATS_TEST_TMPDIR/err"
	assert_success
}

# The same changes with odd column lists, masks and truncations:
# mapped, keyed and split (.json/.properties).
@test "-c: masks and truncations of every type, and key columns left out or masked: Debezium's bytes" {
	local d="$FIX/debezium-2.7.3-odd" k
	for k in mapped keyed split; do
		cdc-envelope -c "$d/$k.json" <"$d/$k-changes.in" 2>/dev/null |
			normalize | sed -e 's/,"pos":"[^"]*"}$/}/' >"$BATS_TEST_TMPDIR/got"
		run diff "$d/$k-records.out" "$BATS_TEST_TMPDIR/got"
		assert_success
		assert_equal "$(wc -l <"$d/$k-records.out")" 76
	done
}

@test "edge values: one warning per column that holds a value Debezium cannot convert" {
	run -0 bash -c "cdc-envelope -p pfx <'$FIX/debezium-2.7.3-edge/changes.in' 2>&1 >/dev/null | grep -v 'has no Debezium schema'"
	assert_equal "${#lines[@]}" 7
	assert_line --index 0 'cdc-envelope: warning: column "public"."edge"."a2": {{1,2},{3,4}} is a multidimensional array: written as [null,null], as Debezium does'
	assert_line --partial 'column "public"."edge"."iv": 178000000 years is an interval past the range of int64 microseconds: written as 9223372036854775807'
	assert_line --partial 'column "public"."edge"."n": NaN is NaN or Infinity as a decimal'
	assert_line --partial 'column "public"."edge"."ts": 294276-12-31 23:59:59.999999 is a timestamp past the range of int64 microseconds: written as -9223372036853775810'
}

@test "--on-unsupported-value=fail: the first such value stops with exit 65, naming the column" {
	run -65 --separate-stderr cdc-envelope -p pfx --on-unsupported-value=fail \
		<"$FIX/debezium-2.7.3-edge/changes.in"
	assert_equal "${#lines[@]}" 0
	[[ $stderr == *'line 1: column "public"."edge"."a2": {{1,2},{3,4}} is a multidimensional array, which Debezium cannot convert'* ]] ||
		fail "stderr: $stderr"
	run -64 --separate-stderr cdc-envelope -p pfx --on-unsupported-value=maybe </dev/null
}

# Snapshot rows: each slot has its own snapshot position and read time, and
# two values stay different on purpose (snapshot-differences.sed).
snapshot_position() {
	sed -E -e 's/"ts_ms":[0-9]+,"snapshot"/"ts_ms":0,"snapshot"/' \
		-e 's/"sequence":"\[null,\\"[0-9]+\\"\]","ts_us":[0-9]+,"ts_ns":[0-9]+/"sequence":"[null,\\"0\\"]","ts_us":0,"ts_ns":0/' \
		-e 's/"txId":[0-9]+,"lsn":[0-9]+,"xmin"/"txId":0,"lsn":0,"xmin"/'
}

@test "a real Debezium 2.7.3 snapshot is reproduced byte for byte: order, markers, values" {
	local d="$FIX/debezium-2.7.3-edge"
	sed -E -f "$d/snapshot-differences.sed" "$d/snapshot-records.out" | snapshot_position >"$BATS_TEST_TMPDIR/want"
	cdc-envelope -p pfx <"$d/snapshot-changes.in" | normalize | snapshot_position |
		sed -e 's/,"pos":"[^"]*"}$/}/' >"$BATS_TEST_TMPDIR/got"
	run diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	assert_success
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/want")" 6
	run grep -c '"snapshot":"last_in_data_collection","db":"connect_test_db","sequence":"\[null,\\"0\\"\]","ts_us":0,"ts_ns":0,"schema":"public","table":"s_a"' "$BATS_TEST_TMPDIR/got"
	assert_output 1
}

# Floats against the JDK itself: Debezium writes them through Java's
# Double.toString()/Float.toString(), whose digits on JDK 17 are not always
# the shortest.  Each number goes in with 17 (float: 9) significant digits,
# which read back as the same number, and must come out as Java wrote it.
@test "floats and doubles have the digits of this JDK's Double.toString and Float.toString" {
	local d="$BATS_TEST_TMPDIR/jf" t
	mkdir -p "$d"
	run timeout 120 javac -d "$d" "$FIX/javafloat/Floats.java"
	assert_success
	java -cp "$d" Floats 20000 "$RANDOM" >"$d/java"
	for t in d:float8 f:float4; do
		sed -n "s/^${t%%:*} //p" "$d/java" >"$d/want"
		awk -v p="$([[ $t == d:* ]] && echo 17 || echo 9)" '{ printf "%.*g\n", p, $1 }' "$d/want" |
			sed -e 's/.*/{"id":1,"v":&}/' | sed -e "s/^/$(sed -e 's/"after".*//' -e "s/\"float8\",\"oid\":701/\"${t#*:}\",\"oid\":0/" \
			"$FIX/types/float8.line" | sed -e 's/[&/\]/\\&/g')\"after\":/" -e 's/$/}/' >"$d/in"
		cdc-envelope -p p --no-schemas <"$d/in" | sed -e 's/^.*"after":{"id":1,"v":\([^}]*\)}.*$/\1/' >"$d/got"
		run diff "$d/want" "$d/got"
		assert_success
		[ "$(wc -l <"$d/want")" -gt 15000 ]
	done
}

@test "an integer past its column's width: exit 65 naming the column" {
	local v t
	# int4 is int32, int2 int16, int8 int64: one past each end is refused.
	for t in 'int4 2147483648' 'int4 -2147483649' 'int4 99999999999' 'int2 32768' \
		'int8 9223372036854775808' 'int8 -9223372036854775809'; do
		v=${t#* }
		sed -e "s/\"type\":\"int4\"/\"type\":\"${t% *}\"/; s/\"id\":8/\"id\":$v/" "$FIX/seed-insert.in" >"$BATS_TEST_TMPDIR/in"
		run -65 --separate-stderr cdc-envelope -p "$PREFIX" <"$BATS_TEST_TMPDIR/in"
		[[ $stderr == *"line 1: column \"id\": $v is not a valid ${t% *} value"* ]] || fail "$t: $stderr"
	done
	# The ends themselves pass.
	for t in 'int4 2147483647' 'int4 -2147483648' 'int2 -32768' 'int8 -9223372036854775808'; do
		v=${t#* }
		sed -e "s/\"type\":\"int4\"/\"type\":\"${t% *}\"/; s/\"id\":8/\"id\":$v/" "$FIX/seed-insert.in" |
			cdc-envelope -p "$PREFIX" | jq -e ".value.payload.after.id == $v and .key.payload.id == $v" >/dev/null ||
			fail "$t"
	done
}

@test "a \\u0000 in a table, a column name or a -c setting is refused, never cut short" {
	sed 's/"table":"source_table"/"table":"source\\u0000x"/' "$FIX/seed-insert.in" >"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr cdc-envelope -p "$PREFIX" <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *'line 1: missing or invalid "schema" or "table"'* ]] || fail "stderr: $stderr"
	[ -z "$output" ]
	sed 's/"name":"name"/"name":"na\\u0000me"/' "$FIX/seed-insert.in" >"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr cdc-envelope -p "$PREFIX" <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *"line 1: a column's \"name\" holds \\u0000"* ]] || fail "stderr: $stderr"
	printf '{"name":"x","config":{"topic.prefix":"a\\u0000b"}}\n' >"$BATS_TEST_TMPDIR/c.json"
	run -78 --separate-stderr cdc-envelope -c "$BATS_TEST_TMPDIR/c.json" <"$FIX/seed-insert.in"
	[[ $stderr == *'setting "topic.prefix" holds \u0000'* ]] || fail "stderr: $stderr"
}

@test "--max-line-bytes: a longer line is exit 65 naming it and the option; raised, it passes" {
	local n
	{ cat "$FIX/seed-insert.in"; sed 's/"name":"test1"/"name":"'"$(printf 'y%.0s' {1..2000})"'"/' "$FIX/seed-insert.in"; } \
		>"$BATS_TEST_TMPDIR/in"
	n=$(head -n1 "$BATS_TEST_TMPDIR/in" | wc -c)
	run -65 --separate-stderr cdc-envelope -p "$PREFIX" --max-line-bytes "$n" <"$BATS_TEST_TMPDIR/in"
	assert_equal "${#lines[@]}" 1
	[[ $stderr == *"line 2: longer than $n bytes (see --max-line-bytes)"* ]] || fail "stderr: $stderr"
	run -0 cdc-envelope -p "$PREFIX" --max-line-bytes 4000 <"$BATS_TEST_TMPDIR/in"
	assert_equal "${#lines[@]}" 2
	run -0 cdc-envelope --help
	[[ $output == *"--max-line-bytes=N"*"(default 67108864)"* ]]
}

@test "a large bytea: peak memory stays under twice the change line (no copies of the value)" {
	local hex=$BATS_TEST_TMPDIR/hex kb line
	# 24 MiB of bytes, 48 MiB of hex: the change line of one bytea column.
	head -c 25165824 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$hex"
	{
		printf '%s' '{"pos":"0/1:1","lsn":"0/2","commit_lsn":"0/1","xid":1,"ts_us":1,"db":"d","schema":"public","table":"big","op":"c","columns":[{"name":"id","type":"int4","oid":23,"typmod":-1,"key":1,"optional":false,"default":null},{"name":"b","type":"bytea","oid":17,"typmod":-1,"key":0,"optional":true,"default":null}],"before":null,"after":{"id":1,"b":"\\x'
		cat "$hex"
		printf '%s\n' '"}}'
	} >"$BATS_TEST_TMPDIR/in"
	line=$(stat -c %s "$BATS_TEST_TMPDIR/in")
	kb=$(/usr/bin/time -f %M cdc-envelope -p "$PREFIX" <"$BATS_TEST_TMPDIR/in" 2>&1 >"$BATS_TEST_TMPDIR/out")
	jq -r '.value.payload.after.b' "$BATS_TEST_TMPDIR/out" | base64 -d | od -An -v -tx1 | tr -d ' \n' | cmp - "$hex"
	echo "peak ${kb} KiB for a line of $line bytes"
	# AddressSanitizer's shadow memory and quarantine are not the program's.
	if ldd "$(command -v cdc-envelope)" | grep -q libasan; then
		skip "peak memory is not measured under AddressSanitizer"
	fi
	((kb * 1024 < 2 * line))
}
