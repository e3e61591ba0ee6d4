#!/usr/bin/env bats
# Exactly once while partitions change hands: members of one consumer group
# killed, restarted and added while records flow, and two pg-apply fed the
# same records. The sink table has no primary key, so a record applied twice
# is a second row; each record's id is unique, so a lost one is a missing id.
bats_require_minimum_version 1.5.0
load ../test_helper/common

setup_file() {
	stack_up
}

teardown_file() {
	stack_down
}

setup() {
	T=$(unique_name topic)
	G=$(unique_name group)
	TBL=$(unique_name tbl)
	D=$BATS_TEST_TMPDIR
	B=$WALPIPE_BROKERS
	OFF=$(unique_name off)
	psql_rep "create table $TBL (id bigint, note text)"
}

teardown() {
	local pid
	for pid in ${MEMBERS:-} ${BG:-}; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}

# gen FROM TO: record lines with ids FROM..TO, a flat Connect struct each.
gen() {
	awk -v from="$1" -v to="$2" -v t="$T" 'BEGIN {
		s = "{\"type\":\"struct\",\"optional\":false,\"fields\":[{\"type\":\"int64\",\"optional\":false,\"field\":\"id\"}"
		for (i = from; i <= to; i++)
			printf "{\"topic\":\"%s\",\"key\":{\"schema\":%s]},\"payload\":{\"id\":%d}},\"value\":{\"schema\":%s,{\"type\":\"string\",\"optional\":true,\"field\":\"note\"}]},\"payload\":{\"id\":%d,\"note\":\"r%d\"}}}\n", t, s, i, s, i, i
	}'
}

rows() { psql_rep "select count(*) || ' ' || count(distinct id) from $TBL"; }
rows_are() { [[ $(rows) == "$1" ]]; }

# member NAME: kafka-sub -G | pg-apply in a session of its own; its pid in M.
# Commits every 3 s, as Kafka Connect commits every offset.flush.interval.ms:
# a member that dies has applied more than the group committed.
member() {
	setsid bash -c "exec 3>&-; kafka-sub -b '$B' -G '$G' -t '$T' -X session.timeout.ms=6000 \
			-X heartbeat.interval.ms=500 --ack-file '$D/$1.ack' --ack-interval 3000 |
		pg-apply -d '$WALPIPE_REPLICA' -t '$TBL' -b 200 --ack-file '$D/$1.ack'" \
		2>>"$D/$1.log" 3>&- &
	M=$!
	MEMBERS="${MEMBERS:-} $M"
}

# The group's committed offsets, "PARTITION OFFSET" per line, every 0.3 s.
watch_commits() {
	setsid bash -c "exec 3>&-; while :; do
		kafka-sub -b '$B' --lag -G '$G' -t '$T' 2>/dev/null | awk '\$2 ~ /^[0-9]+$/ && \$3 != \"-\" {print \$2, \$3}'
		sleep 0.3
	done" >"$D/commits" 3>&- &
	BG="${BG:-} $!"
}

# No partition's committed offset ever went down.
commits_monotonic() {
	awk '{ if (($1 in last) && $2 < last[$1]) { print "partition " $1 ": " last[$1] " then " $2; bad = 1 }
		last[$1] = $2 } END { exit bad }' "$D/commits"
}

@test "two pg-apply fed the same records apply each record once" {
	run -0 timeout 60 kafka-pub -b "$B" --create-topic "$T" --partitions 4
	gen 1 6000 | timeout 60 kafka-pub -b "$B"
	timeout 60 kafka-sub -b "$B" -t "$T" -e >"$D/records"
	[ "$(wc -l <"$D/records")" -eq 6000 ]
	# Both start at once on a new offsets table: both create it.
	timeout 120 pg-apply -d "$WALPIPE_REPLICA" -t "$TBL" -b 100 --offsets-table "$OFF" \
		<"$D/records" 2>"$D/a.log" 3>&- &
	local a=$!
	timeout 120 pg-apply -d "$WALPIPE_REPLICA" -t "$TBL" -b 100 --offsets-table "$OFF" \
		<"$D/records" 2>"$D/b.log" 3>&- &
	local b=$!
	wait "$a" || fail "first pg-apply exited $?: $(cat "$D/a.log")"
	wait "$b" || fail "second pg-apply exited $?: $(cat "$D/b.log")"
	run rows
	assert_output "6000 6000"
	# Each partition's stored position is its last offset.
	run psql_rep "select string_agg(position, ',' order by source) from $OFF where source like '$T/%'"
	assert_output "$(jq -rs --arg t "$T" 'group_by(.partition) | map(max_by(.offset).offset | tostring) | join(",")' "$D/records")"
}

@test "a stored position never moves back: a writer that started earlier applies nothing older" {
	gen 1 2 | sed 's/{"topic"/{"partition":0,"offset":0,"topic"/' >"$D/two"
	sed -n '1s/"offset":0/"offset":7/p' "$D/two" >"$D/seven"
	sed -n '2s/"offset":0/"offset":3/p' "$D/two" >"$D/three"
	# This writer has read the offsets table (empty) and waits for input.
	(wait_until 30 test -e "$D/go" && cat "$D/three") |
		pg-apply -d "$WALPIPE_REPLICA" -t "$TBL" 2>"$D/late.log" 3>&- &
	local late=$!
	wait_until 30 bash -c "[ \$(psql -X -At '$WALPIPE_REPLICA' -c \"select count(*) from pg_stat_activity where application_name = 'pg-apply' and state = 'idle'\") -ge 1 ]"
	run -0 pg-apply -d "$WALPIPE_REPLICA" -t "$TBL" <"$D/seven"
	touch "$D/go"
	wait "$late"
	run rows
	assert_output "1 1"
	run psql_rep "select position from public.walpipe_offsets where source = '$T/0'"
	assert_output 7
}

@test "group members killed, restarted and added while records flow: each record once, commits never go back" {
	local n=30000
	run -0 timeout 60 kafka-pub -b "$B" --create-topic "$T" --partitions 4
	watch_commits
	member a
	local a=$M
	member b
	# Records keep coming, without a pause, for about 12 s.
	for ((i = 0; i < 240; i++)); do
		gen $((i * n / 240 + 1)) $(((i + 1) * n / 240))
		sleep 0.05
	done 2>"$D/producer.log" 3>&- | kafka-pub -b "$B" 2>>"$D/producer.log" 3>&- &
	local producer=$!
	wait_until 60 bash -c "[ \$(psql -X -At '$WALPIPE_REPLICA' -c 'select count(*) from $TBL') -ge 5000 ]"
	# A member's consumer dies without a word, after writing records the
	# group has not committed; its pg-apply applies them and ends. The
	# other member, running since the start, takes all partitions over
	# (after session.timeout.ms); then one more joins, and the dead one
	# comes back.
	kill -KILL "$(pgrep -s "$a" -x kafka-sub)"
	sleep 9
	member c
	sleep 5
	member a
	wait "$producer"
	wait_until 120 rows_are "$n $n" || {
		rows
		tail -n 5 "$D"/*.log
		return 1
	}
	sleep 3
	run rows
	assert_output "$n $n"
	run commits_monotonic
	assert_success
	# The group ends committed at every partition's end.
	wait_until 30 bash -c "kafka-sub -b '$B' --lag -G '$G' -t '$T' | awk '\$2 ~ /^[0-9]+$/ && \$5 != 0 {exit 1}'" || {
		kafka-sub -b "$B" --lag -G "$G" -t "$T"
		cat "$D"/*.ack
		tail -n 5 "$D"/*.log
		return 1
	}
}

@test "a topic deleted and created again: its reused offsets are not left out without a word" {
	run -0 timeout 60 kafka-pub -b "$B" --create-topic "$T"
	gen 1 100 | timeout 60 kafka-pub -b "$B"
	timeout 60 kafka-sub -b "$B" -t "$T" -e | timeout 60 pg-apply -d "$WALPIPE_REPLICA" -t "$TBL" \
		--offsets-table "$OFF" 3>&-
	run -0 timeout 60 kafka-pub -b "$B" --delete-topic "$T"
	# Until the broker has deleted it, creating it fails.
	wait_until 30 bash -c "timeout 30 kafka-pub -b '$B' --create-topic '$T' 2>/dev/null"
	gen 101 150 | timeout 60 kafka-pub -b "$B"
	timeout 60 kafka-sub -b "$B" -t "$T" -e >"$D/again"
	run -0 --separate-stderr timeout 60 pg-apply -d "$WALPIPE_REPLICA" -t "$TBL" \
		--offsets-table "$OFF" <"$D/again" 3>&-
	assert_equal "$stderr" "pg-apply: warning: topic \"$T\" partition 0: leaving out offsets 0 to 99, applied before (offsets table $OFF); if the topic was deleted and created again, stop, delete its rows from that table and start again"
	# The way forward the message gives applies them.
	psql_rep "delete from $OFF where source like '$T/%'"
	run -0 timeout 60 pg-apply -d "$WALPIPE_REPLICA" -t "$TBL" --offsets-table "$OFF" <"$D/again" 3>&-
	run rows
	assert_output "150 150"
}
