#!/usr/bin/env bats
# --metrics-file of each command and walpipe-ctl metrics: the Prometheus
# text format (tests/promcheck, and Prometheus's promtool), written atomically while the
# command runs and a last time at exit, with the values the run implies.
bats_require_minimum_version 1.5.0
load test_helper/common

setup_file() {
	PROMTOOL=$("$REPO/scripts/promtool-fetch")
	export PROMTOOL
	stack_up
}

teardown_file() {
	stack_down
}

setup() {
	T=$(unique_name t)
	SLOT=$(unique_name s)
	PUB=$(unique_name p)
	M=$BATS_TEST_TMPDIR/metrics.prom
}

teardown() {
	[[ -z ${PID:-} ]] || { kill -KILL "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; } || true
	psql_src "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
		WHERE slot_name = '$SLOT' AND NOT active" >/dev/null 2>&1 || true
}

# valid FILE: both checkers accept FILE.
valid() {
	run "$REPO/tests/promcheck" "$1"
	assert_success || { cat "$1"; return 1; }
	run "$PROMTOOL" check metrics <"$1"
	assert_success || { cat "$1"; return 1; }
}

# value FILE NAME [LABELS]: the value of series walpipe_NAME{command=..[,LABELS]}.
value() {
	awk -v n="walpipe_$2{" -v l="${3:-}" '
		index($0, n) == 1 && (l == "" ? $1 ~ /^[^,]*}$/ : index($1, "," l "}")) { print $2; exit }' "$1"
}

@test "promcheck refuses what the text format forbids" {
	printf '# HELP walpipe_a_total A count.\n# TYPE walpipe_a_total counter\nwalpipe_a_total{command="x"} 1\n' >"$M"
	valid "$M"
	for bad in 'walpipe_b{command="x"} 1' '# TYPE c gauge\nc{a=1} 1' '# TYPE c gauge\nc 1.2.3' \
		'# TYPE c gauge\nc 1\nc 2' '# TYPE c counter\nc 1' '# TYPE 1c gauge\n1c 1' \
		'# TYPE c gauge\nc{a="1",a="2"} 1' '# TYPE c gauge\nc 1\n# TYPE d gauge\nd 1\nc{a="x"} 1'; do
		printf "$bad\n" >"$M"
		run -1 "$REPO/tests/promcheck" "$M"
	done
}

@test "pg-wal-tail: snapshot and stream counted, file valid, rewritten while running" {
	psql_src "CREATE TABLE $T (id int PRIMARY KEY, v text)" \
		"INSERT INTO $T SELECT g, 'x' FROM generate_series(1, 500) g" "ANALYZE $T" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --create-slot --fetch-size 100 \
		--metrics-file "$M" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	PID=$!
	wait_until 20 test -s "$M"
	psql_src "INSERT INTO $T SELECT g, 'y' FROM generate_series(501, 510) g"
	wait_until 20 bash -c "grep -q '^walpipe_records_out_total{command=\"pg-wal-tail\"} 510\$' '$M'"
	valid "$M"
	assert_equal "$(value "$M" snapshot_rows)" 500
	assert_equal "$(value "$M" snapshot_rows_estimated)" 500
	[ "$(value "$M" records_in_total)" -ge 12 ] # Begin, Relation, 10 Inserts, Commit
	[ "$(value "$M" bytes_out_total)" -eq "$(wc -c <"$BATS_TEST_TMPDIR/out")" ]
	commit=$(value "$M" last_source_commit_timestamp_seconds)
	now=$(date +%s)
	(( ${commit%.*} <= now && ${commit%.*} > now - 60 ))
	[ "$(value "$M" last_position_lsn)" -gt 0 ]
	kill -TERM "$PID"
	wait "$PID"
	PID=
	valid "$M"
	[ ! -e "$M.tmp" ]
}

@test "the five commands of both pipelines: counts agree from source to sink" {
	local topic=pfx.public.$T d=$BATS_TEST_TMPDIR
	psql_src "CREATE TABLE $T (id int PRIMARY KEY, v text)" "CREATE PUBLICATION $PUB FOR TABLE $T"
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --create-slot --snapshot never --end-lsn now
	psql_src "INSERT INTO $T SELECT g, 'x' FROM generate_series(1, 20) g" "DELETE FROM $T WHERE id = 7"
	run -0 bash -c "set -o pipefail
		timeout 60 pg-wal-tail -d \"\$WALPIPE_SOURCE\" -S $SLOT -P $PUB --end-lsn now --metrics-file $d/tail.prom |
		timeout 60 cdc-envelope --prefix pfx --metrics-file $d/env.prom |
		timeout 60 kafka-pub -b \"\$WALPIPE_BROKERS\" --metrics-file $d/pub.prom"
	run -0 bash -c "set -o pipefail
		timeout 60 kafka-sub -b \"\$WALPIPE_BROKERS\" -t $topic -o beginning -e --metrics-file $d/sub.prom |
		timeout 60 pg-apply -d \"\$WALPIPE_REPLICA\" --table-format $T --insert-mode upsert --delete \
			--pk-mode record_key --auto-create --metrics-file $d/apply.prom"
	for f in tail env pub sub apply; do
		valid "$d/$f.prom"
		grep -q "{command=\"$(sed -n 's/.*{command="\([^"]*\)".*/\1/p' "$d/$f.prom" | head -1)\"" "$d/$f.prom"
	done
	assert_equal "$(value "$d/tail.prom" records_out_total)" 21
	assert_equal "$(value "$d/env.prom" records_in_total)" 21
	assert_equal "$(value "$d/env.prom" records_out_total)" 22 # 20 c, 1 d and its tombstone
	assert_equal "$(value "$d/env.prom" skipped_total)" 0
	assert_equal "$(value "$d/env.prom" bytes_in_total)" "$(value "$d/tail.prom" bytes_out_total)"
	assert_equal "$(value "$d/pub.prom" records_in_total)" 22
	assert_equal "$(value "$d/pub.prom" records_out_total)" 22
	assert_equal "$(value "$d/pub.prom" delivery_errors_total)" 0
	assert_equal "$(value "$d/pub.prom" queue_messages)" 0
	assert_equal "$(value "$d/pub.prom" bytes_in_total)" "$(value "$d/env.prom" bytes_out_total)"
	assert_equal "$(value "$d/sub.prom" records_in_total)" 22
	assert_equal "$(value "$d/sub.prom" consumer_lag_messages "topic=\"$topic\",partition=\"0\"")" 0
	assert_equal "$(value "$d/sub.prom" position_offset "topic=\"$topic\",partition=\"0\"")" 22
	assert_equal "$(value "$d/apply.prom" records_in_total)" 22
	assert_equal "$(value "$d/apply.prom" rejected_total)" 0
	assert_equal "$(value "$d/apply.prom" applied_offset "topic=\"$topic\",partition=\"0\"")" 22
	lsn=$(value "$d/tail.prom" last_position_lsn)
	assert_equal "$(value "$d/env.prom" last_position_lsn)" "$lsn"
	(( lsn > 0 && lsn <= $(psql_src "SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots
		WHERE slot_name = '$SLOT'") ))
	# A collector that merges the files refuses one name with two HELP texts.
	run bash -c "cat $d/*.prom | grep '^# HELP' | sort -u | awk '{print \$3}' | uniq -d"
	assert_output ''
	run psql_rep "SELECT count(*) FROM $T"
	assert_output 19
}

@test "walpipe-ctl metrics: one page for the deployment, valid, with slot, group and sink" {
	local topic=pfx.public.$T group=$(unique_name g) d=$BATS_TEST_TMPDIR
	psql_src "CREATE TABLE $T (id int PRIMARY KEY, v text)" "CREATE PUBLICATION $PUB FOR TABLE $T"
	pg-wal-tail -d "$WALPIPE_SOURCE" -S "$SLOT" -P "$PUB" --create-slot --snapshot never --end-lsn now
	psql_src "INSERT INTO $T SELECT g, 'x' FROM generate_series(1, 5) g"
	run -0 bash -c "set -o pipefail
		timeout 60 pg-wal-tail -d \"\$WALPIPE_SOURCE\" -S $SLOT -P $PUB --end-lsn now |
		timeout 60 cdc-envelope --prefix pfx | timeout 60 kafka-pub -b \"\$WALPIPE_BROKERS\""
	run -0 bash -c "set -o pipefail
		timeout 60 kafka-sub -b \"\$WALPIPE_BROKERS\" -G $group -t $topic -X auto.offset.reset=earliest -e |
		timeout 60 pg-apply -d \"\$WALPIPE_REPLICA\" --table-format $T --insert-mode upsert \
			--pk-mode record_key --auto-create"
	psql_src "INSERT INTO $T VALUES (6, 'behind')" # the slot is now behind
	run -0 walpipe-ctl metrics --source "$WALPIPE_SOURCE" --slot "$SLOT" --brokers "$WALPIPE_BROKERS" \
		--topic "$topic" --group "$group" --replica "$WALPIPE_REPLICA"
	printf '%s\n' "$output" >"$M"
	valid "$M"
	for part in source broker replica; do
		assert_equal "$(value "$M" ctl_up "part=\"$part\"")" 1
	done
	assert_equal "$(value "$M" slot_active "slot=\"$SLOT\"")" 0
	(( $(value "$M" slot_lag_bytes "slot=\"$SLOT\"") > 0 ))
	value "$M" slot_lag_seconds "slot=\"$SLOT\"" | grep -Eq '^[0-9.]+$'
	assert_equal "$(value "$M" topic_end_offset "topic=\"$topic\",partition=\"0\"")" 5
	assert_equal "$(value "$M" consumer_group_lag_messages \
		"group=\"$group\",topic=\"$topic\",partition=\"0\"")" 0
	age=$(value "$M" applied_position_age_seconds "source=\"$topic/0\"")
	[[ $age =~ ^[0-9.e+-]+$ ]] && (( ${age%.*} < 120 )) || fail "age \"$age\" in $output"
	# A part that does not answer is down, and the page stays valid.
	run -0 --separate-stderr walpipe-ctl metrics --source "$WALPIPE_SOURCE" --slot "$SLOT" \
		--replica "postgresql://127.0.0.1:1/none?connect_timeout=2"
	printf '%s\n' "$output" >"$M"
	valid "$M"
	assert_equal "$(value "$M" ctl_up 'part="source"')" 1
	assert_equal "$(value "$M" ctl_up 'part="replica"')" 0
}

@test "WALPIPE_METRICS_LABELS: a value with a newline, a quote and a backslash stays one valid line" {
	run -0 timeout 60 kafka-pub -b "$WALPIPE_BROKERS" --create-topic "$T"
	echo "{\"topic\":\"$T\",\"value\":\"v\"}" | timeout 60 kafka-pub -b "$WALPIPE_BROKERS"
	WALPIPE_METRICS_LABELS=$'site=a"b\\c\nd' run -0 timeout 60 kafka-sub -b "$WALPIPE_BROKERS" \
		-t "$T" -e --metrics-file "$M"
	valid "$M"
	grep -qF 'walpipe_records_in_total{command="kafka-sub",site="a\"b\\c\nd"} 1' "$M"
}
