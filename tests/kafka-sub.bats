#!/usr/bin/env bats
# kafka-sub: Kafka records to record lines, against the stack's KRaft
# broker, with kcat as the independent writer and reader.
bats_require_minimum_version 1.5.0
load test_helper/common

setup_file() { stack_up; }
teardown_file() { stack_down; }

setup() {
	T=$(unique_name sub)
	G=$(unique_name grp)
	B=$WALPIPE_BROKERS
}

# kput TOPIC [kcat args]: kcat -P of stdin, key<TAB>value per line.
kput() {
	local t=$1
	shift
	timeout 30 kcat -b "$B" -P -t "$t" -K $'\t' "$@"
}

# kdump TOPIC: kcat's view of every record (partition, timestamp, key, value,
# headers, lengths) as hex.
kdump() {
	timeout 30 kcat -b "$B" -C -t "$1" -e -q -f '%p|%T|%k|%s|%h|%K|%S\n' | od -An -tx1 -v
}

# produce_n TOPIC N: N small JSON records with keys 1..N.
produce_n() {
	seq 1 "$2" | awk '{printf "%d\t{\"i\":%d}\n", $1, $1}' | kput "$1"
}

# lines_at_least FILE N: FILE has N lines or more.
lines_at_least() {
	(($(wc -l <"$1") >= $2))
}

# committed TOPIC GROUP: the group's committed offset of partition 0, or "-".
committed() {
	kafka-sub -b "$B" --lag -G "$2" -t "$1" | awk 'NR == 2 {print $3}'
}

@test "reads what kcat wrote: JSON embedded, text and binary encoded, headers" {
	printf '%s\n' '{"id":1}	{"a":"x y","n":1.50}' 'plain	not json' '"s"	null' 'k	{"a": 1}' |
		kput "$T" -H h1=v1 -H h2=é
	printf 'bin\t\x00\x01\xff\n' | kput "$T"
	run -0 --separate-stderr timeout 30 kafka-sub -b "$B" -t "$T" -e
	assert_equal "${#lines[@]}" 5
	[[ ${lines[0]} =~ ^\{\"topic\":\"$T\",\"partition\":0,\"offset\":0,\"timestamp\":[0-9]{13}, ]] ||
		fail "${lines[0]}"
	[[ ${lines[0]} == *',"key":{"id":1},"value":{"a":"x y","n":1.50},"headers":{"h1":"v1","h2":"é"}}' ]] ||
		fail "${lines[0]}"
	[[ ${lines[1]} == *',"key":"plain","key_encoding":"text","value":"not json","value_encoding":"text","headers":{"h1":"v1","h2":"é"}}' ]] ||
		fail "${lines[1]}"
	# The bytes "null" are text: as JSON they would read back as a tombstone.
	[[ ${lines[2]} == *',"key":"s","value":"null","value_encoding":"text",'* ]] || fail "${lines[2]}"
	# White space is kept byte for byte, so such JSON is text too.
	[[ ${lines[3]} == *',"key":"k","key_encoding":"text","value":"{\"a\": 1}","value_encoding":"text",'* ]] ||
		fail "${lines[3]}"
	[[ ${lines[4]} == *',"key":"bin","key_encoding":"text","value":"AAH/","value_encoding":"base64"}' ]] ||
		fail "${lines[4]}"
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -t '$T' --binary base64 -o 1 -c 1 | jq -r .value_encoding"
	assert_output base64
}

@test "kafka-sub | kafka-pub mirrors a topic byte for byte, as kcat sees it" {
	M=$(unique_name mirror)
	run -0 timeout 60 kafka-pub -b "$B" --create-topic "$T" --partitions 3
	run -0 timeout 60 kafka-pub -b "$B" --create-topic "$M" --partitions 3
	{
		printf '%s\n' '{"id":1}	{"a":"x y"}' 'plain	not json' 'k	{"a": 1}' '"s"	null' '	' 'k2	'
		printf 'bin\t\x00\x01\xff\x80\n\xc3\t\xe9\n'
		seq 1 50 | awk '{printf "%d\t{\"v\":\"%d\"}\n", $1, $1}'
	} | kput "$T" -H h=v
	# With -Z, kcat sends empty keys and values as null: a null key, a tombstone.
	printf '\t{"x":1}\nk3\t\n' | kput "$T" -Z
	run -0 bash -c "set -o pipefail; timeout 60 kafka-sub -b '$B' -t '$T' -e |
		timeout 60 kafka-pub -b '$B' -t '$M' -T"
	a=$(kdump "$T" | sort)
	b=$(kdump "$M" | sort)
	[[ -n $a ]] || fail "nothing in $T"
	assert_equal "$b" "$a"
}

@test "-c, -o OFFSET, -o -N and -o s@MS bound and place the read" {
	produce_n "$T" 10
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -t '$T' -c 3 | jq -c .key"
	assert_output $'1\n2\n3'
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -t '$T' -o 7 -e | jq -c .offset"
	assert_output $'7\n8\n9'
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -t '$T' -o -2 -e | jq -c .key"
	assert_output $'9\n10'
	ts=$(timeout 30 kafka-sub -b "$B" -t "$T" -o 5 -c 1 | jq .timestamp)
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -t '$T' -o s@$ts -c 1 | jq -c .offset"
	[[ $output -le 5 ]] || fail "s@$ts started at $output"
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -t '$T' -o s@99999999999999 -e | wc -l"
	assert_output 0
}

@test "-e ends at the last record, without the broker's wait for more" {
	produce_n "$T" 100
	# The end-of-partition event needs one more fetch, which the broker
	# holds for fetch.wait.max.ms when no record comes.
	start=$(date +%s)
	run -0 --separate-stderr timeout 60 kafka-sub -b "$B" -t "$T" -e -X fetch.wait.max.ms=20000
	assert_equal "${#lines[@]}" 100
	(($(date +%s) - start < 10)) || fail "-e took $(($(date +%s) - start)) s"
}

@test "a fetcher stopped by a full queue is woken as soon as the queue drains" {
	# 100 batches of 50, one per fetch, each over queued.min.messages:
	# librdkafka 2.0 would look again only when its thread wakes, up to a
	# second later each time (66 s in all, measured).
	seq 1 5000 | awk '{printf "%d\t{\"i\":%d}\n", $1, $1}' | kput "$T" -X batch.num.messages=50
	start=$(date +%s)
	run -0 --separate-stderr timeout 120 kafka-sub -b "$B" -t "$T" -e -X queued.min.messages=10 \
		-X max.partition.fetch.bytes=1024 -X fetch.wait.max.ms=100
	assert_equal "${#lines[@]}" 5000
	(($(date +%s) - start < 20)) || fail "the read took $(($(date +%s) - start)) s"
}

@test "group mode commits what was written, and a second run continues there" {
	produce_n "$T" 5
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -t '$T' -G '$G' -c 3 | jq -c .key"
	assert_output $'1\n2\n3'
	run -0 committed "$T" "$G"
	assert_output 3
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -t '$T' -G '$G' -e | jq -c .key"
	assert_output $'4\n5'
	run -0 committed "$T" "$G"
	assert_output 5
}

@test "a closed pipe: exit 74, and nothing unwritten is committed" {
	seq 1 3000 | awk '{printf "%d\t{\"i\":%d,\"pad\":\"%0200d\"}\n", $1, $1, 0}' | kput "$T"
	run -74 --separate-stderr bash -c "set -o pipefail
		timeout 30 kafka-sub -b '$B' -t '$T' -G '$G' -e | head -n 1 >/dev/null"
	[[ $stderr == *'could not write output: Broken pipe'* ]] || fail "$stderr"
	run -0 committed "$T" "$G"
	[[ $output == - || $output -lt 3000 ]] || fail "committed $output of 3000"
}

@test "--ack-file: only the offsets downstream acknowledged are committed" {
	produce_n "$T" 5
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -t '$T' -G '$G' -e --ack-file '$BATS_TEST_TMPDIR/ack' | wc -l"
	assert_output 5
	run -0 committed "$T" "$G"
	assert_equal "$output" -
	# Nothing was committed: the next run reads everything again.
	printf 'pos 0/1:1\noffset %s 0 2\noffset other 0 9\n' "$T" >"$BATS_TEST_TMPDIR/ack"
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -t '$T' -G '$G' -e --ack-file '$BATS_TEST_TMPDIR/ack' | wc -l"
	assert_output 5
	run -0 committed "$T" "$G"
	assert_output 2
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -t '$T' -G '$G' -e --ack-file '$BATS_TEST_TMPDIR/ack' | jq -c .key"
	assert_output $'3\n4\n5'
}

@test "--ack-file is read while running" {
	produce_n "$T" 4
	kafka-sub -b "$B" -t "$T" -G "$G" --ack-file "$BATS_TEST_TMPDIR/ack" --ack-interval 50 \
		>"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	wait_until 20 lines_at_least "$BATS_TEST_TMPDIR/out" 4
	printf 'offset %s 0 3\n' "$T" >"$BATS_TEST_TMPDIR/ack.tmp"
	mv "$BATS_TEST_TMPDIR/ack.tmp" "$BATS_TEST_TMPDIR/ack"
	wait_until 20 bash -c "[[ \$(kafka-sub -b '$B' --lag -G '$G' -t '$T' | awk 'NR == 2 {print \$3}') == 3 ]]"
	kill -TERM "$pid"
	wait "$pid" || fail "kafka-sub exited $?"
	run -0 committed "$T" "$G"
	assert_output 3
}

@test "broker restarted while consuming: nothing lost" {
	produce_n "$T" 100
	kafka-sub -b "$B" -t "$T" -G "$G" >"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	wait_until 20 lines_at_least "$BATS_TEST_TMPDIR/out" 100
	"$REPO/scripts/stack" stop-broker
	sleep 1
	"$REPO/scripts/stack" start-broker
	seq 101 200 | awk '{printf "%d\t{\"i\":%d}\n", $1, $1}' | kput "$T"
	wait_until 60 lines_at_least "$BATS_TEST_TMPDIR/out" 200
	kill -TERM "$pid"
	wait "$pid" || fail "kafka-sub exited $?"
	run -0 bash -c "jq -r .key '$BATS_TEST_TMPDIR/out' | sort -n | uniq | wc -l"
	assert_output 200
}

@test "killed (SIGKILL) in the middle: the next run starts at or before the first unwritten record" {
	seq 1 20000 | awk '{printf "%d\t{\"i\":%d,\"pad\":\"%01000d\"}\n", $1, $1, 0}' | kput "$T"
	kafka-sub -b "$B" -t "$T" -G "$G" --commit-interval 10 >"$BATS_TEST_TMPDIR/out1" 3>&- &
	pid=$!
	wait_until 30 bash -c "[[ \$(kafka-sub -b '$B' --lag -G '$G' -t '$T' | awk 'NR == 2 {print \$3}') =~ ^[0-9]+$ ]]"
	kill -KILL "$pid"
	wait "$pid" || true
	run -0 timeout 60 bash -c "kafka-sub -b '$B' -t '$T' -G '$G' -e >'$BATS_TEST_TMPDIR/out2'"
	last1=$(jq -r .key "$BATS_TEST_TMPDIR/out1" 2>/dev/null | sort -n | tail -n 1) || true
	first2=$(jq -r .key "$BATS_TEST_TMPDIR/out2" | head -n 1)
	[[ -z $first2 || $first2 -le $((${last1:-0} + 1)) ]] || fail "skipped from ${last1:-0} to $first2"
	run -0 bash -c "cat '$BATS_TEST_TMPDIR/out1' '$BATS_TEST_TMPDIR/out2' | jq -r .key 2>/dev/null | sort -n | uniq | wc -l"
	assert_output 20000
}

@test "a second group member takes partitions over: nothing lost, all committed at the end" {
	run -0 timeout 60 kafka-pub -b "$B" --create-topic "$T" --partitions 2
	produce_n "$T" 1000
	kafka-sub -b "$B" -t "$T" -G "$G" --commit-interval 50 >"$BATS_TEST_TMPDIR/a" 3>&- &
	a=$!
	wait_until 30 lines_at_least "$BATS_TEST_TMPDIR/a" 1000
	kafka-sub -b "$B" -t "$T" -G "$G" --commit-interval 50 >"$BATS_TEST_TMPDIR/b" 3>&- &
	b=$!
	for ((i = 1001; i <= 2000; i += 25)); do
		seq "$i" $((i + 24)) | awk '{printf "%d\t{\"i\":%d}\n", $1, $1}' | kput "$T"
		sleep 0.1
	done
	wait_until 60 bash -c "(( \$(cat '$BATS_TEST_TMPDIR/a' '$BATS_TEST_TMPDIR/b' | wc -l) >= 2000 ))"
	kill -TERM "$a" "$b"
	wait "$a" || fail "first member exited $?"
	wait "$b" || fail "second member exited $?"
	[[ -s $BATS_TEST_TMPDIR/b ]] || fail "the second member got no partition"
	run -0 bash -c "cat '$BATS_TEST_TMPDIR/a' '$BATS_TEST_TMPDIR/b' | jq -r .key | sort -n | uniq | wc -l"
	assert_output 2000
	run -0 bash -c "kafka-sub -b '$B' --lag -G '$G' -t '$T' -J | jq -s -c 'map(.lag)'"
	assert_output '[0,0]'
}

@test "--pretty indents records that jq still reads" {
	produce_n "$T" 2
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -t '$T' -e --pretty"
	assert_line -n 0 '{'
	assert_line '  "key": 1,'
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -t '$T' -e --pretty | jq -s -c 'map(.value)'"
	assert_output '[{"i":1},{"i":2}]'
}

@test "-L lists brokers and topics, -J as JSON; --lag per partition" {
	run -0 timeout 60 kafka-pub -b "$B" --create-topic "$T" --partitions 2
	run -0 timeout 30 kafka-sub -b "$B" -L -t "$T"
	assert_line "  topic \"$T\" with 2 partitions:"
	run -0 bash -c "timeout 30 kafka-sub -b '$B' -L -J | jq -e --arg t '$T' '.brokers[0].port > 0 and (.topics[] | select(.topic == \$t) | .partitions | length) == 2'"
	printf '1\t1\n' | kput "$T" -p 1
	run -0 bash -c "timeout 30 kafka-sub -b '$B' --lag -G '$G' -t '$T' -J | jq -s -c 'sort_by(.partition) | map([.partition, .committed, .end, .lag])'"
	assert_output '[[0,null,0,0],[1,null,1,1]]'
}

@test "no broker: exit 75 after --connect-timeout; unknown topic: exit 69" {
	run -75 --separate-stderr timeout 30 kafka-sub -b 127.0.0.1:9 -t "$T" --connect-timeout 2
	[[ $stderr == *'no Kafka broker reachable'* ]] || fail "$stderr"
	run -69 --separate-stderr timeout 30 kafka-sub -b "$B" -t "$T" -e
	[[ $stderr == *"topic \"$T\""* ]] || fail "$stderr"
}

@test "-G: SIGTERM with the broker down: exit 75 within the stop timeout, nothing committed past the ack file" {
	local st=0 ms
	produce_n "$T" 4
	kafka-sub -b "$B" -t "$T" -G "$G" --ack-file "$BATS_TEST_TMPDIR/ack" --ack-interval 50 \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	wait_until 20 lines_at_least "$BATS_TEST_TMPDIR/out" 4
	printf 'offset %s 0 2\n' "$T" >"$BATS_TEST_TMPDIR/ack.tmp"
	mv "$BATS_TEST_TMPDIR/ack.tmp" "$BATS_TEST_TMPDIR/ack"
	wait_until 20 bash -c "[[ \$(kafka-sub -b '$B' --lag -G '$G' -t '$T' | awk 'NR == 2 {print \$3}') == 2 ]]"
	"$REPO/scripts/stack" stop-broker
	# Downstream has applied one more record, but the broker cannot hear of it.
	printf 'offset %s 0 3\n' "$T" >"$BATS_TEST_TMPDIR/ack.tmp"
	mv "$BATS_TEST_TMPDIR/ack.tmp" "$BATS_TEST_TMPDIR/ack"
	sleep 1
	# The default --stop-timeout is 5 s.
	term_within_broker_down "$pid" 15
	wait "$pid" || st=$?
	"$REPO/scripts/stack" start-broker
	((ms < 10000)) || fail "exit after $ms ms"
	assert_equal "$st" 75
	run -0 cat "$BATS_TEST_TMPDIR/err"
	assert_output --partial "were not committed"
	wait_until 60 bash -c "kafka-sub -b '$B' --lag -G '$G' -t '$T' >/dev/null 2>&1"
	run -0 committed "$T" "$G"
	assert_output 2
}

@test "-G on a topic that does not exist yet waits for it, saying so; -e exits 69" {
	kafka-sub -b "$B" -t "$T" -G "$G" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	sleep 7
	kill -0 "$pid" || fail "kafka-sub exited: $(cat "$BATS_TEST_TMPDIR/err")"
	run -0 grep -c "waiting for it to be created" "$BATS_TEST_TMPDIR/err"
	((output >= 2)) || fail "said it $output times in 7 s"
	produce_n "$T" 3
	wait_until 60 lines_at_least "$BATS_TEST_TMPDIR/out" 3
	kill -TERM "$pid"
	wait "$pid" || fail "kafka-sub exited $?"
	run -0 bash -c "jq -r .key '$BATS_TEST_TMPDIR/out' | paste -sd,"
	assert_output "1,2,3"
	run -69 --separate-stderr timeout 30 kafka-sub -b "$B" -t "$(unique_name nosuch)" -G "$G" -e
}

@test "usage errors: exit 64 with the hint" {
	run -64 --separate-stderr kafka-sub -b "$B" -t "$T" --ack-file x
	[[ $stderr == *'--ack-file needs -G GROUP'* ]] || fail "$stderr"
	run -64 --separate-stderr kafka-sub -b "$B" -t "$T" -o stored
	run -64 --separate-stderr kafka-sub -b "$B" -t "$T" -o sometime
	run -64 --separate-stderr kafka-sub -b "$B"
	[[ $stderr == *'Try "kafka-sub --help"'* ]] || fail "$stderr"
}

@test "a broker that refuses the login (SASL): exit 77 at once, not 75" {
	run -77 --separate-stderr timeout 60 kafka-sub -b "$WALPIPE_BROKERS_SASL" -X security.protocol=SASL_PLAINTEXT \
		-X sasl.mechanism=PLAIN -X sasl.username=walpipe -X sasl.password=wrong77 -t "$T" -e
	[[ $stderr == *"refused the login"* ]] || fail "$stderr"
}
