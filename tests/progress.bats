#!/usr/bin/env bats
# Progress of long work on stderr: pg-wal-tail's snapshot and kafka-sub's
# catch-up, as periodic log lines when stderr is not a terminal and as one
# line rewritten in place when it is (under script(1)).
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
	E=$BATS_TEST_TMPDIR/stderr
}

teardown() {
	psql_src "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
		WHERE slot_name = '$SLOT' AND NOT active" >/dev/null 2>&1 || true
}

# big_table ROWS: $T with ROWS rows of 200 bytes, analyzed, in $PUB.
big_table() {
	psql_src "CREATE TABLE $T (id int PRIMARY KEY, v text)" \
		"INSERT INTO $T SELECT g, repeat('x', 200) FROM generate_series(1, $1) g" "ANALYZE $T" \
		"CREATE PUBLICATION $PUB FOR TABLE $T"
}

# throttle BYTES: read standard input BYTES per tenth of a second, so that
# a writer blocked on the pipe takes a few seconds at an even pace.
throttle() {
	local n
	while n=$(dd bs="$1" count=1 iflag=fullblock status=none | wc -c) && ((n > 0)); do
		sleep 0.1
	done
}
export -f throttle

@test "pg-wal-tail snapshot: periodic progress lines when stderr is no terminal" {
	big_table 5000
	run -0 bash -c "set -o pipefail; timeout 60 pg-wal-tail -d \"\$WALPIPE_SOURCE\" -S $SLOT -P $PUB \
		--create-slot --snapshot initial-only --fetch-size 10 --progress 0.5 2>$E | throttle 65536"
	cat "$E"
	run grep -c '^pg-wal-tail: progress: snapshot: [0-9]* of ~5000 ([0-9]*%) rows, [0-9]* rows/s' "$E"
	(( output >= 3 )) || fail "$(cat "$E")"
	# The last line reports the whole snapshot; no terminal controls.
	run tail -n1 "$E"
	assert_output --regexp '^pg-wal-tail: progress: snapshot: 5000 of ~5000 \(100%\) rows, [0-9]+ rows/s$'
	run grep -c $'[\r\033]' "$E"
	assert_output 0
}

@test "pg-wal-tail --progress 0: no progress lines" {
	big_table 2000
	run -0 bash -c "set -o pipefail; timeout 60 pg-wal-tail -d \"\$WALPIPE_SOURCE\" -S $SLOT -P $PUB \
		--create-slot --snapshot initial-only --fetch-size 10 --progress 0 2>$E | { sleep 2; cat >/dev/null; }"
	assert [ ! -s "$E" ]
}

@test "pg-wal-tail snapshot on a terminal: one line rewritten in place, with an ETA" {
	big_table 5000
	# script(1) runs $SHELL, /bin/sh where none is set, and sh drops the
	# exported bash function throttle.
	SHELL=/bin/bash run -0 script -qec "timeout 60 pg-wal-tail -d '$WALPIPE_SOURCE' -S $SLOT -P $PUB --create-slot \
		--snapshot initial-only --fetch-size 10 | throttle 65536" "$BATS_TEST_TMPDIR/typescript"
	# Each report starts with a carriage return and clears the rest of the line.
	n=$(grep -o $'\rpg-wal-tail: progress: snapshot: [0-9]* of ~5000 ([0-9]*%) rows, [0-9]* rows/s' <<<"$output" | wc -l)
	(( n >= 3 )) || fail "$output"
	[[ $output == *", ETA "[0-9]*s$'\033[K'* ]] || fail "no ETA: $output"
	# The line ends once, after the last report (the terminal adds \r to \n).
	re=$'\r''pg-wal-tail: progress: snapshot: 5000 of ~5000 [(]100%[)] rows, [0-9]+ rows/s'$'\033''[[]K'$'\r''?$'
	[[ $output =~ $re ]] || fail "$output"
}

@test "kafka-sub catch-up: lag left per topic in periodic lines" {
	local topic=$T
	run -0 bash -c "set -o pipefail; for i in \$(seq 1 5000); do printf '{\"key\":\"k%d\",\"value\":{\"v\":\"%0200d\"}}\n' \$i \$i; done |
		kafka-pub -b \"\$WALPIPE_BROKERS\" -t $topic"
	run -0 bash -c "set -o pipefail; timeout 60 kafka-sub -b \"\$WALPIPE_BROKERS\" -t $topic -o beginning -e \
		--progress 0.3 2>$E | throttle 65536"
	cat "$E"
	run grep -c "^kafka-sub: progress: catch-up, lag $topic [0-9]*: [0-9]* of ~5000 ([0-9]*%) records, [0-9]* records/s" "$E"
	(( output >= 3 )) || fail "$(cat "$E")"
}
