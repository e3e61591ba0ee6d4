#!/usr/bin/env bats
# cdc-envelope: change lines in, Debezium-compatible record lines out.
# A pure filter, so no PostgreSQL or Kafka is needed: the inputs are
# hand-written change lines in tests/fixtures/cdc-envelope/.
bats_require_minimum_version 1.5.0
load test_helper/common

FIX="$REPO/tests/fixtures/cdc-envelope"
SEED_CONF="$REPO/tests/fixtures/seed"
# shared/ sits beside the clone ($REPO/../shared); from a git worktree,
# beside the main checkout.
SHARED=${WALPIPE_SHARED:-$REPO/../shared}
if [[ ! -d $SHARED ]]; then
	SHARED="$(cd "$REPO" && cd "$(git rev-parse --git-common-dir)/../.." && pwd)/shared"
fi
SEED_TEXT="$SHARED/seed/000_ed6cf113a4b4302f.txt"
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
	[ -r "$SEED_TEXT" ] || fail "no seed text at $SEED_TEXT"
	grep '^{"schema"' "$SEED_TEXT" | kafka_value_schema >"$BATS_TEST_TMPDIR/want"
	[ -s "$BATS_TEST_TMPDIR/want" ] || fail "no sample message in the seed text"
	cdc-envelope -p "$PREFIX" <"$FIX/seed-insert.in" | record_value_schema >"$BATS_TEST_TMPDIR/got"
	run cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	assert_success
}

@test "seed: the payload equals Debezium 2.7.3's but for time, LSN, txId, sequence, version" {
	local strip='del(.source.ts_ms, .source.ts_us, .source.ts_ns, .ts_ms, .ts_us, .ts_ns,
		.source.lsn, .source.txId, .source.sequence, .source.version)'
	grep '^{"schema"' "$SEED_TEXT" | jq -cS ".payload | $strip" >"$BATS_TEST_TMPDIR/want"
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
