#!/usr/bin/env bats
# pg-verify: a source table against its replica, on a real stack.
bats_require_minimum_version 1.5.0
load test_helper/common

setup_file() { stack_up; }
teardown_file() { stack_down; }

setup() {
	T=$(unique_name t)
}

verify() { pg-verify -d "$WALPIPE_SOURCE" -r "$WALPIPE_REPLICA" --recheck-delay 0.2 "$@"; }

# Copies table $1 of the source to the replica as the pipeline would:
# pg-wal-tail's snapshot through cdc-envelope into pg-apply, which
# creates the target from the Connect schema.
replicate() {
	local slot pub
	slot=$(unique_name s) pub=$(unique_name p)
	psql_src "CREATE PUBLICATION $pub FOR TABLE $1"
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$slot" -P "$pub" --temporary-slot --snapshot initial-only |
		cdc-envelope -p verify |
		pg-apply -d "$WALPIPE_REPLICA" --table-format "${2:-$1}" --insert-mode upsert \
			--pk-mode record_key --auto-create --schema-evolution basic
}

@test "a replica pg-apply made from every common type verifies clean" {
	psql_src "CREATE TYPE ${T}_mood AS ENUM ('sad', 'ok')" \
		"CREATE DOMAIN ${T}_pos AS integer CHECK (VALUE > 0)" \
		"CREATE TABLE $T (id bigint PRIMARY KEY, i2 smallint, i4 integer, f4 real, f8 float8,
			n numeric(12,3), nv numeric, b boolean, t text, vc varchar(20), c char(6),
			d date, tm time, tz timetz, ts timestamp(3), tstz timestamptz, iv interval,
			u uuid, j json, jb jsonb, ba bytea, m ${T}_mood, dm ${T}_pos, mo money,
			ai integer[], at text[], bits bit(4), vb varbit, x xml, pt point)" \
		"INSERT INTO $T VALUES
			(1, -32768, 2147483647, 1.5, 0.1, 123456789.123, 1.50, true, 'it''s', 'v', 'ab',
			 '2024-02-29', '23:59:59.999999', '12:00+05:30', '2020-01-01 10:11:12.345',
			 '1999-12-31 23:59:59.5+02', '1 year 2 mons 3 days 04:05:06.7', gen_random_uuid(),
			 '{\"a\": [1, 2]}', '{\"b\": null}', '\\x00ff', 'ok', 7, 12.34,
			 '{1,NULL,3}', '{\"a b\",c}', B'1010', B'101', '<a>x</a>', '(1.5,2)'),
			(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
			 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
			 NULL, NULL, NULL),
			(3, 0, 0, '-Infinity', 'NaN', 0, -0.000001, false, '', '', '', '1970-01-01',
			 '00:00', '00:00+00', '1970-01-01', '1970-01-01 00:00+00', '-1 day', gen_random_uuid(),
			 '[]', '{}', '', 'sad', 1, -1, '{}', '{}', B'0000', B'1', '<b/>', '(0,0)')"
	replicate "public.$T" "$T"
	run -0 --separate-stderr verify -t "public.$T:$T"
	assert_output ""
	[[ $stderr == *"3 rows, 3 on the replica, 0 differ"* ]] || fail "summary: $stderr"
}

@test "a changed, a missing and an extra row: one line each, exit 1" {
	for db in "$WALPIPE_SOURCE" "$WALPIPE_REPLICA"; do
		psql -X -q -v ON_ERROR_STOP=1 "$db" \
			-c "CREATE TABLE $T (id integer PRIMARY KEY, v text)" \
			-c "INSERT INTO $T SELECT g, 'v' || g FROM generate_series(1, 30000) g"
	done
	psql_rep "UPDATE $T SET v = 'changed' WHERE id = 17" "DELETE FROM $T WHERE id = 20000" \
		"INSERT INTO $T VALUES (40000, 'extra')"
	run -1 --separate-stderr verify -t "public.$T" --chunk-rows 1000
	assert_output - <<-EOF
		{"table":"public.$T","target":"public.$T","key":{"id":17},"kind":"differs"}
		{"table":"public.$T","target":"public.$T","key":{"id":20000},"kind":"missing"}
		{"table":"public.$T","target":"public.$T","key":{"id":40000},"kind":"extra"}
	EOF
	[[ $stderr == *"30000 rows, 30000 on the replica, 3 differ (1 missing, 1 extra, 1 differ)"* ]] ||
		fail "summary: $stderr"
	# The same tables, equal again.
	psql_rep "UPDATE $T SET v = 'v17' WHERE id = 17" "INSERT INTO $T VALUES (20000, 'v20000')" \
		"DELETE FROM $T WHERE id = 40000"
	run -0 verify -t "public.$T" --chunk-rows 1000 -q
	assert_output ""
}

@test "composite text keys: collations may differ between the servers" {
	psql_src "CREATE TABLE $T (a text COLLATE \"en_US\", b integer, v text, PRIMARY KEY (a, b))" \
		"INSERT INTO $T SELECT chr(65 + g % 26) || chr(97 + g % 7) || g, g % 3, 'x' FROM generate_series(1, 5000) g" 2>/dev/null ||
		psql_src "CREATE TABLE $T (a text, b integer, v text, PRIMARY KEY (a, b))" \
			"INSERT INTO $T SELECT chr(65 + g % 26) || chr(97 + g % 7) || g, g % 3, 'x' FROM generate_series(1, 5000) g"
	psql_rep "CREATE TABLE $T (a text COLLATE \"C\", b bigint, v text, PRIMARY KEY (a, b))"
	psql_src "COPY $T TO STDOUT" | psql_rep "COPY $T FROM STDIN"
	run -0 verify -t "public.$T" --chunk-rows 100 -q
	assert_output ""
	psql_rep "DELETE FROM $T WHERE a = 'Ze25' AND b = 1" "UPDATE $T SET v = 'y' WHERE a = 'Af26'"
	run -1 verify -t "public.$T" --chunk-rows 100 -q
	assert_output - <<-EOF
		{"table":"public.$T","target":"public.$T","key":{"a":"Af26","b":2},"kind":"differs"}
		{"table":"public.$T","target":"public.$T","key":{"a":"Ze25","b":1},"kind":"missing"}
	EOF
}

@test "--repair: its change lines through cdc-envelope and pg-apply make the replica equal" {
	psql_src "CREATE TYPE ${T}_m AS ENUM ('a', 'b')" \
		"CREATE TABLE $T (id int, k text, v text, m ${T}_m, n numeric(6,2), PRIMARY KEY (id, k))" \
		"INSERT INTO $T SELECT g, 'k' || g, 'v' || g, 'a', g / 3.0 FROM generate_series(1, 3000) g"
	replicate "public.$T" "$T"
	psql_rep "DELETE FROM $T WHERE id = 5" "UPDATE $T SET v = 'bad', m = 'b' WHERE id = 7" \
		"INSERT INTO $T VALUES (5000, 'x', 'extra', 'a', 1)"
	# The sink's stored position is past what the repair's lines carry.
	run -1 verify -t "public.$T:$T" -q
	assert_line --partial '"key":{"id":5,"k":"k5"},"kind":"missing"'
	verify -t "public.$T:$T" -q --repair >"$BATS_TEST_TMPDIR/repair" || [[ $? == 1 ]]
	run jq -r .op "$BATS_TEST_TMPDIR/repair"
	assert_output $'r\nd\nr'
	cdc-envelope -p verify <"$BATS_TEST_TMPDIR/repair" |
		pg-apply -d "$WALPIPE_REPLICA" --table-format "$T" --insert-mode upsert --pk-mode record_key \
			--delete --no-positions
	run -0 verify -t "public.$T:$T" -q
	assert_output ""
	# A target the replica does not have cannot be repaired key by key.
	run -65 --separate-stderr verify -t "public.$T:${T}_none" --repair
	[[ $stderr == *"no such table"* ]] || fail "$stderr"
}

@test "a difference the replica catches up on within the recheck is not reported" {
	for db in "$WALPIPE_SOURCE" "$WALPIPE_REPLICA"; do
		psql -X -q -v ON_ERROR_STOP=1 "$db" -c "CREATE TABLE $T (id integer PRIMARY KEY, v text)" \
			-c "INSERT INTO $T SELECT g, 'v' FROM generate_series(1, 100) g"
	done
	psql_src "UPDATE $T SET v = 'new' WHERE id = 5"
	(sleep 1; psql_rep "UPDATE $T SET v = 'new' WHERE id = 5") 3>&- &
	run -0 --separate-stderr pg-verify -d "$WALPIPE_SOURCE" -r "$WALPIPE_REPLICA" -t "public.$T" \
		--recheck 5 --recheck-delay 0.5 -v
	wait
	assert_output ""
	[[ $stderr == *"1 keys differ; checking again"* ]] || fail "no recheck: $stderr"
	# Without a recheck the lag shows.
	psql_src "UPDATE $T SET v = 'newer' WHERE id = 6"
	run -1 pg-verify -d "$WALPIPE_SOURCE" -r "$WALPIPE_REPLICA" -t "public.$T" --recheck 0 -q
	assert_output "{\"table\":\"public.$T\",\"target\":\"public.$T\",\"key\":{\"id\":6},\"kind\":\"differs\"}"
}

@test "a target the replica does not have, a table without a key, a wrong password" {
	psql_src "CREATE TABLE $T (id integer PRIMARY KEY)" "CREATE TABLE ${T}_nokey (v text)"
	psql_rep "CREATE TABLE ${T}_nokey (v text)"
	run -1 --separate-stderr verify -t "public.$T"
	assert_output "{\"table\":\"public.$T\",\"target\":\"public.$T\",\"kind\":\"missing-table\"}"
	run -65 --separate-stderr verify -t "public.${T}_nokey"
	[[ $stderr == *"has no primary key or replica identity index"* ]] || fail "$stderr"
	run -64 --separate-stderr verify
	[[ $stderr == *"no table to compare"* ]] || fail "$stderr"
	run -77 --separate-stderr pg-verify -d "${WALPIPE_SOURCE/password=postgrespass/password=wrong}" \
		-r "$WALPIPE_REPLICA" -t "public.$T"
	[[ $stderr == *"source"*"password authentication failed"* ]] || fail "$stderr"
}

@test "-P: every table of a publication; -c: the sink's table.name.format" {
	psql_src "CREATE TABLE $T (id integer PRIMARY KEY, v text)" "INSERT INTO $T VALUES (1, 'a')" \
		"CREATE PUBLICATION ${T}_pub FOR TABLE $T"
	psql_rep "CREATE TABLE ${T}_copy (id integer PRIMARY KEY, v text)" "INSERT INTO ${T}_copy VALUES (1, 'a')"
	cat >"$BATS_TEST_TMPDIR/sink.json" <<-EOF
		{"name": "sink", "config": {"table.name.format": "\${source.table}_copy"}}
	EOF
	run -0 --separate-stderr verify -c "$BATS_TEST_TMPDIR/sink.json" -P "${T}_pub"
	assert_output ""
	[[ $stderr == *"public.$T -> ${T}_copy: 1 rows"* ]] || fail "$stderr"
}

# The work that crosses the network grows with the differences: the three
# chunks that hold them, not the million rows.  bench/pg-verify measures
# the time against a full md5 of both tables (goal: under a fifth); here,
# on a machine shared with other work, it must at least be well under it.
@test "a million rows, three differences: three chunks read, in a fraction of a full md5 of both" {
	local sql="CREATE TABLE $T (id integer PRIMARY KEY, a text, b integer, c timestamptz, d numeric);
		INSERT INTO $T SELECT g, md5(g::text), g * 7, '2020-01-01'::timestamptz + g * interval '1 s', g / 7.0
		FROM generate_series(1, 1000000) g"
	psql_src "$sql" "ANALYZE $T" & psql_rep "$sql" "ANALYZE $T"
	wait
	psql_rep "DELETE FROM $T WHERE id = 500000" "UPDATE $T SET a = 'x' WHERE id = 123" \
		"INSERT INTO $T VALUES (2000000, 'y', 1, now(), 1)"
	local md5="SELECT md5(string_agg(t::text, '' ORDER BY id)) FROM $T t" t0 t1 t2
	t0=$(date +%s%N)
	run -1 --separate-stderr verify -t "public.$T" --recheck 0
	t1=$(date +%s%N)
	assert_output - <<-EOF
		{"table":"public.$T","target":"public.$T","key":{"id":123},"kind":"differs"}
		{"table":"public.$T","target":"public.$T","key":{"id":500000},"kind":"missing"}
		{"table":"public.$T","target":"public.$T","key":{"id":2000000},"kind":"extra"}
	EOF
	[[ $stderr =~ ([0-9]+)\ read\ row\ by\ row\ \(([0-9]+)\ rows\) ]] || fail "summary: $stderr"
	((BASH_REMATCH[1] <= 3 && BASH_REMATCH[2] < 100000)) || fail "read too much: $stderr"
	psql_src "$md5" >/dev/null
	psql_rep "$md5" >/dev/null
	t2=$(date +%s%N)
	echo "# pg-verify $(((t1 - t0) / 1000000)) ms, md5 of both $(((t2 - t1) / 1000000)) ms" >&3
	(((t1 - t0) * 2 < t2 - t1)) || fail "pg-verify took $(((t1 - t0) / 1000000)) ms, md5 $(((t2 - t1) / 1000000)) ms"
}
