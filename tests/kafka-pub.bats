#!/usr/bin/env bats
# kafka-pub: record lines to Kafka, against the stack's KRaft broker, with
# kcat as the independent reader; librdkafka's mock cluster for errors a
# real broker cannot be made to return.
bats_require_minimum_version 1.5.0
load test_helper/common

setup_file() { stack_up; }
teardown_file() { stack_down; }

setup() {
	T=$(unique_name pub)
	B=$WALPIPE_BROKERS
}

# kdump TOPIC: every record as "partition key value headers", kcat's view.
kdump() {
	timeout 30 kcat -b "$B" -C -t "$1" -e -q -f '%p|%k|%s|%h\n'
}

# Java's murmur2 partition of a key (Utils.murmur2, toPositive, % n).
java_partition() {
	python3 - "$1" "$2" <<-'PY'
	import sys
	data = sys.argv[1].encode(); n = int(sys.argv[2])
	m, M = 0x5bd1e995, 0xffffffff
	h = (0x9747b28c ^ len(data)) & M
	for i in range(len(data) // 4):
	    k = int.from_bytes(data[4 * i:4 * i + 4], "little")
	    k = (k * m) & M; k ^= k >> 24; k = (k * m) & M
	    h = ((h * m) & M) ^ k
	t = len(data) & ~3; rem = len(data) & 3
	if rem == 3: h ^= data[t + 2] << 16
	if rem >= 2: h ^= data[t + 1] << 8
	if rem >= 1: h ^= data[t]; h = (h * m) & M
	h ^= h >> 13; h = (h * m) & M; h ^= h >> 15
	print((h & 0x7fffffff) % n)
	PY
}

@test "records reach the broker byte for byte: JSON, null, text, base64, headers" {
	printf '%s\n' \
		'{"topic":"'"$T"'","key":{"id":1},"value":{"a":"x y","n":1.50},"headers":{"h1":"v1","h2":"é"}}' \
		'{"key":{"id":1},"value":null}' \
		'{"key":"plain \"text\"","key_encoding":"text","value":"AAEC/w==","value_encoding":"base64"}' \
		'{"key":null,"value":[1, 2,  3]}' >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 kafka-pub -b "$B" -t "$T" <"$BATS_TEST_TMPDIR/in"
	run -0 kdump "$T"
	assert_line -n 0 '0|{"id":1}|{"a":"x y","n":1.50}|h1=v1,h2=é'
	assert_line -n 1 '0|{"id":1}||'
	assert_line -n 3 '0||[1,2,3]|'
	run -0 bash -c "timeout 30 kcat -b '$B' -C -t '$T' -o 2 -c 1 -q -f '%k|%s' | od -An -tx1 | tr -d ' \n'"
	assert_output "$(printf 'plain "text"|' | od -An -tx1 | tr -d ' \n')000102ff"
	# A tombstone has no value bytes at all, as kcat's -Z shows.
	run -0 bash -c "timeout 30 kcat -b '$B' -C -t '$T' -o 1 -c 1 -q -Z -f '%S'"
	assert_output -- '-1'
}

# log_codecs TOPIC: the codecs of the record batches of partition 0 on
# the broker, as Kafka's own DumpLogSegments reads its log.
log_codecs() {
	local libs
	libs=$("$REPO/scripts/kafka-fetch") || return
	java -cp "$libs/*" -Dlog4j.configuration=file:/dev/null kafka.tools.DumpLogSegments \
		--files "$WALPIPE_STACK_DIR/kafka/data/$1-0/00000000000000000000.log" 2>/dev/null |
		grep -o 'compresscodec: [a-z0-9]*' | sort -u
}

# log_batches TOPIC: the number of record batches of partition 0 on the broker.
log_batches() {
	local libs
	libs=$("$REPO/scripts/kafka-fetch") || return
	java -cp "$libs/*" -Dlog4j.configuration=file:/dev/null kafka.tools.DumpLogSegments \
		--files "$WALPIPE_STACK_DIR/kafka/data/$1-0/00000000000000000000.log" 2>/dev/null |
		grep -c 'baseOffset:'
}

# records N: N record lines in $BATS_TEST_TMPDIR/in, with a repeated
# part like the schema cdc-envelope writes; key|value of each in
# $BATS_TEST_TMPDIR/want.
records() {
	local i pad
	pad=$(printf 'struct-field-%.0s' {1..40})
	for ((i = 1; i <= $1; i++)); do
		echo "{\"key\":{\"id\":$i},\"value\":{\"schema\":\"$pad\",\"payload\":{\"id\":$i}}}"
	done >"$BATS_TEST_TMPDIR/in"
	jq -r '"\(.key | tojson)|\(.value | tojson)"' "$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/want"
}

@test "batches are lz4 by default, and kcat and Kafka's console consumer read them" {
	records 50
	run -0 timeout 60 kafka-pub -b "$B" -t "$T" <"$BATS_TEST_TMPDIR/in"
	run -0 log_codecs "$T"
	assert_output 'compresscodec: lz4'
	run -0 bash -c "timeout 30 kcat -b '$B' -C -t '$T' -e -q -f '%k|%s\n'"
	assert_equal "$output" "$(cat "$BATS_TEST_TMPDIR/want")"
	libs=$("$REPO/scripts/kafka-fetch")
	run -0 --separate-stderr timeout 60 java -cp "$libs/*" -Dlog4j.configuration=file:/dev/null \
		org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$B" --topic "$T" \
		--from-beginning --max-messages 50 --property print.key=true --property key.separator='|'
	assert_equal "$output" "$(cat "$BATS_TEST_TMPDIR/want")"
}

@test "-X compression.type=none sends the batches as they are" {
	records 50
	run -0 timeout 60 kafka-pub -b "$B" -t "$T" -X compression.type=none <"$BATS_TEST_TMPDIR/in"
	run -0 log_codecs "$T"
	assert_output 'compresscodec: none'
	run -0 bash -c "timeout 30 kcat -b '$B' -C -t '$T' -e -q -f '%k|%s\n'"
	assert_equal "$output" "$(cat "$BATS_TEST_TMPDIR/want")"
}

@test "keys are partitioned like the Java client (murmur2)" {
	run -0 timeout 60 kafka-pub -b "$B" --create-topic "$T" --partitions 4
	for k in 1 2 3 42 '"abc"' '{"id":7}'; do
		echo "{\"key\":$k,\"value\":1}"
	done >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 kafka-pub -b "$B" -t "$T" <"$BATS_TEST_TMPDIR/in"
	run -0 kdump "$T"
	for line in "${lines[@]}"; do
		IFS='|' read -r p k _ <<<"$line"
		assert_equal "$p" "$(java_partition "$k" 4)"
	done
	assert_equal "${#lines[@]}" 6
}

@test "--ack-file holds the last pos acknowledged; records without pos do not move it" {
	printf '%s\n' \
		'{"key":1,"value":1,"pos":"0/16B3748:1"}' \
		'{"key":2,"value":null,"pos":"0/16B3748:2"}' \
		'{"key":3,"value":3}' |
	run -0 timeout 60 kafka-pub -b "$B" -t "$T" --ack-file "$BATS_TEST_TMPDIR/ack"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output 'pos 0/16B3748:2'
}

@test "an ack file it may not write (read-only directory): exit 77, which no retry cures" {
	D=$(mktemp -d /tmp/kpub-ro.XXXXXX)
	chmod 555 "$D"
	# root writes anyway: run as an ordinary user when root.
	as() { if ((EUID == 0)); then runuser -u walpipe -- "$@"; else "$@"; fi; }
	printf '%s\n' '{"key":1,"value":1,"pos":"0/16B3748:1"}' >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr as timeout 60 "$(command -v kafka-pub)" -b "$B" -t "$T" --ack-file "$D/ack" \
		<"$BATS_TEST_TMPDIR/in"
	rmdir "$D"
	assert_equal "$status" 77
	[[ $stderr == *"could not write acknowledgement file \"$D/ack\": Permission denied"* ]] || fail "$stderr"
}

@test "a malformed line: exit 65 naming it, earlier records acknowledged" {
	printf '%s\n' '{"key":1,"value":1,"pos":"0/10:1"}' '{"key":2,"value":' '{"key":3,"value":3}' >"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr timeout 60 kafka-pub -b "$B" -t "$T" --ack-file "$BATS_TEST_TMPDIR/ack" <"$BATS_TEST_TMPDIR/in"
	assert_equal "$stderr" 'kafka-pub: error: line 2: column 18: unexpected end of input'
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output 'pos 0/10:1'
	run -0 kdump "$T"
	assert_output '0|1|1|'
}

@test "a line without topic and no -t: exit 65 naming the line" {
	echo '{"key":1,"value":1}' >"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr timeout 60 kafka-pub -b "$B" <"$BATS_TEST_TMPDIR/in"
	assert_equal "$stderr" 'kafka-pub: error: line 1: record has no "topic" and no -t TOPIC was given'
}

@test "-T sends every record to -t, whatever its topic" {
	echo '{"topic":"elsewhere","key":1,"value":1}' >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 kafka-pub -b "$B" -t "$T" -T <"$BATS_TEST_TMPDIR/in"
	run -0 kdump "$T"
	assert_output '0|1|1|'
}

@test "line partition and -p choose the partition; a missing one is exit 69" {
	run -0 timeout 60 kafka-pub -b "$B" --create-topic "$T" --partitions 3
	printf '%s\n' '{"key":1,"value":1,"partition":2}' '{"key":1,"value":2}' >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 kafka-pub -b "$B" -t "$T" -p 1 <"$BATS_TEST_TMPDIR/in"
	run -0 bash -c "kcat -b '$B' -C -t '$T' -e -q -f '%p %s\n' | sort"
	assert_output $'1 2\n2 1'
	echo '{"key":1,"value":1,"partition":7}' >"$BATS_TEST_TMPDIR/in"
	run -69 --separate-stderr timeout 60 kafka-pub -b "$B" -t "$T" <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *'line 1: '*'partition'* ]] || fail "$stderr"
}

@test "--create-topic with configs and --delete-topic" {
	run -0 timeout 60 kafka-pub -b "$B" --create-topic "$T" --partitions 2 \
		--replication-factor 1 --topic-config cleanup.policy=compact --topic-config retention.ms=3600000
	run -0 bash -c "kcat -b '$B' -L -t '$T' | grep -c 'partition [01],'"
	assert_output 2
	run -69 --separate-stderr timeout 60 kafka-pub -b "$B" --create-topic "$T"
	[[ $stderr == *"could not create topic \"$T\""* ]] || fail "$stderr"
	run -0 timeout 60 kafka-pub -b "$B" --delete-topic "$T"
	wait_until 20 bash -c "! kcat -b '$B' -L -t '$T' 2>&1 | grep -q 'partition 0,'"
}

@test "no broker: exit 75 after --connect-timeout" {
	echo '{"key":1,"value":1}' >"$BATS_TEST_TMPDIR/in"
	run -75 --separate-stderr timeout 30 kafka-pub -b 127.0.0.1:9 -t "$T" --connect-timeout 2 <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *'no Kafka broker reachable within 2000 ms'* ]] || fail "$stderr"
}

@test "SIGTERM: stop reading, deliver what is in flight, write the ack, exit 0" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	kafka-pub -b "$B" -t "$T" --ack-file "$BATS_TEST_TMPDIR/ack" <"$BATS_TEST_TMPDIR/in" 3>&- &
	pid=$!
	exec 4>"$BATS_TEST_TMPDIR/in"
	printf '%s\n' '{"key":1,"value":1,"pos":"0/20:1"}' '{"key":2,"value":2,"pos":"0/20:2"}' >&4
	wait_until 20 grep -q 'pos 0/20:2' "$BATS_TEST_TMPDIR/ack"
	kill -TERM "$pid"
	run -0 timeout 20 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.1; done"
	wait "$pid" || fail "kafka-pub exited $?"
	exec 4>&-
	run -0 kdump "$T"
	assert_equal "${#lines[@]}" 2
}

@test "SIGTERM with the broker down: exit 75 within the stop timeout, the ack stops before what is undelivered" {
	local st=0 ms
	mkfifo "$BATS_TEST_TMPDIR/in"
	kafka-pub -b "$B" -t "$T" --ack-file "$BATS_TEST_TMPDIR/ack" <"$BATS_TEST_TMPDIR/in" \
		2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	exec 4>"$BATS_TEST_TMPDIR/in"
	printf '%s\n' '{"key":1,"value":1,"pos":"0/40:1"}' '{"key":2,"value":2,"pos":"0/40:2"}' >&4
	wait_until 20 grep -q 'pos 0/40:2' "$BATS_TEST_TMPDIR/ack"
	"$REPO/scripts/stack" stop-broker
	printf '%s\n' '{"key":3,"value":3,"pos":"0/40:3"}' '{"key":4,"value":4,"pos":"0/40:4"}' >&4
	sleep 1
	# The default --stop-timeout is 5 s.
	term_within_broker_down "$pid" 15
	wait "$pid" || st=$?
	exec 4>&-
	"$REPO/scripts/stack" start-broker
	((ms >= 4000 && ms < 10000)) || fail "exit after $ms ms"
	assert_equal "$st" 75
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output "pos 0/40:2"
	run -0 cat "$BATS_TEST_TMPDIR/err"
	assert_output --partial "stopped with 2 records not acknowledged"
}

@test "--stop-timeout 0: SIGTERM with the broker down ends at once" {
	local st=0
	mkfifo "$BATS_TEST_TMPDIR/in"
	kafka-pub -b "$B" -t "$T" --stop-timeout 0 <"$BATS_TEST_TMPDIR/in" 2>/dev/null 3>&- &
	pid=$!
	exec 4>"$BATS_TEST_TMPDIR/in"
	printf '%s\n' '{"key":1,"value":1}' >&4
	wait_until 20 bash -c "[[ \$(kcat -b '$B' -C -t '$T' -e -q -f '%k\n' | wc -l) == 1 ]]"
	"$REPO/scripts/stack" stop-broker
	printf '%s\n' '{"key":2,"value":2}' >&4
	sleep 0.5
	kill -TERM "$pid"
	timeout 3 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.1; done" || {
		kill -KILL "$pid"
		"$REPO/scripts/stack" start-broker
		fail "kafka-pub still runs 3 s after SIGTERM"
	}
	wait "$pid" || st=$?
	exec 4>&-
	"$REPO/scripts/stack" start-broker
	assert_equal "$st" 75
}

@test "a pause in the input sends the records at once, whatever linger.ms" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	kafka-pub -b "$B" -t "$T" -X linger.ms=60000 --ack-file "$BATS_TEST_TMPDIR/ack" \
		<"$BATS_TEST_TMPDIR/in" 3>&- &
	pid=$!
	exec 4>"$BATS_TEST_TMPDIR/in"
	printf '%s\n' '{"key":1,"value":1,"pos":"0/30:1"}' >&4
	wait_until 10 grep -q 'pos 0/30:1' "$BATS_TEST_TMPDIR/ack"
	printf '%s\n' '{"key":2,"value":2,"pos":"0/30:2"}' >&4
	wait_until 10 grep -q 'pos 0/30:2' "$BATS_TEST_TMPDIR/ack"
	exec 4>&-
	wait "$pid" || fail "kafka-pub exited $?"
}

@test "a steady input, a line every millisecond, leaves in full batches, not one per line" {
	run -0 timeout 60 kafka-pub -b "$B" --create-topic "$T"
	# A writer like cdc-envelope in a pipeline: its pipe is empty for a
	# moment between two lines, but never for 2 ms until it stops.
	python3 -c '
import sys, time
for i in range(1, 401):
    sys.stdout.write("{\"key\":%d,\"value\":{\"i\":%d}}\n" % (i, i))
    sys.stdout.flush()
    time.sleep(0.001)
' | timeout 60 kafka-pub -b "$B" -t "$T"
	run -0 bash -c "timeout 30 kcat -b '$B' -C -t '$T' -e -q -f '%k\n' | wc -l"
	assert_output 400
	# Sent at every empty read, that was a batch per round trip to the
	# broker: 50 and more.
	run -0 log_batches "$T"
	((output < 20)) || fail "400 records in $output batches"
}

@test "a slow ack file write holds up no record: each goes out when it comes" {
	cc -shared -fPIC -o "$BATS_TEST_TMPDIR/slowfsync.so" "$REPO/tests/fixtures/preload/slowfsync.c"
	# Every ack file write takes two fsyncs of a second each; a record
	# comes every 0.3 s, its value the time it was written, and each
	# moves the position.
	{
		for i in 1 2 3 4 5 6; do
			echo "{\"key\":$i,\"value\":$(date +%s%3N),\"pos\":\"0/40:$i\"}"
			sleep 0.3
		done
	} | SLOW_FSYNC_MS=1000 LD_PRELOAD="$BATS_TEST_TMPDIR/slowfsync.so" \
		timeout 60 kafka-pub -b "$B" -t "$T" --ack-file "$BATS_TEST_TMPDIR/ack" --ack-interval 0
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output 'pos 0/40:6'
	# Produced (the record timestamp) soon after written, not after the
	# two seconds of a write in the way.
	run -0 bash -c "timeout 30 kcat -b '$B' -C -t '$T' -e -q -f '%T %s\n' |
		awk '{ d = \$1 - \$2; if (d > max) max = d } END { print NR, max }'"
	read -r n max <<<"$output"
	assert_equal "$n" 6
	((max < 1000)) || fail "a record waited $max ms"
}

@test "broker restarted in the middle: nothing lost, nothing doubled" {
	n=300
	{
		for ((i = 1; i <= n; i++)); do
			echo "{\"key\":$i,\"value\":{\"i\":$i},\"pos\":\"0/30:$i\"}"
			((i % 10)) || sleep 0.1
		done
	} | kafka-pub -b "$B" -t "$T" --ack-file "$BATS_TEST_TMPDIR/ack" 3>&- &
	pid=$!
	wait_until 30 test -s "$BATS_TEST_TMPDIR/ack"
	"$REPO/scripts/stack" stop-broker
	sleep 1
	"$REPO/scripts/stack" start-broker
	wait "$pid" || fail "kafka-pub exited $?"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output "pos 0/30:$n"
	run -0 bash -c "kcat -b '$B' -C -t '$T' -e -q -f '%k\n' | sort -n | uniq | wc -l"
	assert_output "$n"
	run -0 bash -c "kcat -b '$B' -C -t '$T' -e -q -f '%k\n' | wc -l"
	assert_output "$n"
}

@test "broker killed (SIGKILL) and restarted: nothing lost, nothing doubled" {
	n=300
	{
		for ((i = 1; i <= n; i++)); do
			echo "{\"key\":$i,\"value\":{\"i\":$i},\"pos\":\"0/31:$i\"}"
			((i % 10)) || sleep 0.1
		done
	} | kafka-pub -b "$B" -t "$T" --ack-file "$BATS_TEST_TMPDIR/ack" 3>&- &
	pid=$!
	wait_until 30 test -s "$BATS_TEST_TMPDIR/ack"
	"$REPO/scripts/stack" kill-broker
	sleep 1
	"$REPO/scripts/stack" start-broker
	wait "$pid" || fail "kafka-pub exited $?"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output "pos 0/31:$n"
	run -0 bash -c "kcat -b '$B' -C -t '$T' -e -q -f '%k\n' | sort -n | uniq -c | awk '\$1 != 1' | wc -l"
	assert_output 0
	run -0 bash -c "kcat -b '$B' -C -t '$T' -e -q -f '%k\n' | wc -l"
	assert_output "$n"
}

@test "mock cluster: retriable produce errors are retried, every record acked once" {
	# 6 NOT_LEADER_FOR_PARTITION, 7 REQUEST_TIMED_OUT: retriable.
	seq 1 50 | sed 's/.*/{"key":&,"value":&,"pos":"0\/40:&"}/' >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 kafka-pub -b unused:9092 -X test.mock.num.brokers=3 -t "$T" \
		--mock-errors 6,7,6 --ack-file "$BATS_TEST_TMPDIR/ack" <"$BATS_TEST_TMPDIR/in"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output 'pos 0/40:50'
}

@test "mock cluster: a permanent delivery error is exit 65 naming the line" {
	# 10 MESSAGE_TOO_LARGE: the broker refuses the record for good.
	echo '{"key":1,"value":1,"pos":"0/50:1"}' >"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr timeout 60 kafka-pub -b unused:9092 -X test.mock.num.brokers=3 \
		-t "$T" --mock-errors 10 --ack-file "$BATS_TEST_TMPDIR/ack" <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *'line 1: delivery to topic "'"$T"'" failed: '* ]] || fail "$stderr"
	assert [ ! -e "$BATS_TEST_TMPDIR/ack" ]
}

@test "mock cluster: a record waiting for room after a failed delivery is not sent (a rerun sends it once)" {
	# A queue of one record: the second waits for room while the first
	# fails for good.  Sent anyway, it would be sent again by the next run.
	printf '%s\n' '{"key":1,"value":1,"pos":"0/50:1"}' '{"key":2,"value":2,"pos":"0/50:2"}' \
		>"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr timeout 60 kafka-pub -v -b unused:9092 -X test.mock.num.brokers=3 \
		-t "$T" --mock-errors 10 -X queue.buffering.max.messages=1 <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *'line 1: delivery to topic "'"$T"'" failed: '* ]] || fail "$stderr"
	[[ $stderr == *'stopped with 2 records not acknowledged'* ]] || fail "$stderr"
	[[ $stderr == *'kafka-pub: info: 0 records delivered'* ]] || fail "$stderr"
}

# memcheck SECONDS CMD...: CMD within SECONDS under valgrind's memcheck,
# whose errors are exit 99; a build with ASan (make SANITIZE=1 check)
# checks itself.
memcheck() {
	if ldd "$(command -v "$2")" | grep -q libasan; then
		timeout "$1" "${@:2}"
	else
		timeout "$1" valgrind -q --error-exitcode=99 --leak-check=no "$(command -v "$2")" "${@:3}"
	fi
}

@test "mock cluster: a failed record, then delivered ones: each input buffer let go once (memcheck)" {
	# The first produce request fails for good; the records delivered after
	# it stay tracked behind it, and their buffers must not be let go twice.
	seq 1 300 | sed 's/.*/{"key":&,"value":{"v":&},"pos":"0\/50:&"}/' >"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr memcheck 120 kafka-pub -b unused:9092 \
		-X test.mock.num.brokers=3 -t "$T" --mock-errors 10 <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *'delivery to topic "'"$T"'" failed: '* ]] || fail "$stderr"
	[[ $stderr != *'Invalid '* && $stderr != *'AddressSanitizer'* ]] || fail "$stderr"
}

@test "a full producer queue applies backpressure, drops nothing and does not wait for linger.ms" {
	seq 1 2000 | sed 's/.*/{"key":&,"value":&,"pos":"0\/70:&"}/' >"$BATS_TEST_TMPDIR/in"
	SECONDS=0
	run -0 timeout 60 kafka-pub -b "$B" -t "$T" -X queue.buffering.max.messages=10 \
		--ack-file "$BATS_TEST_TMPDIR/ack" <"$BATS_TEST_TMPDIR/in"
	# Ten records fill the queue long before a batch: waiting for
	# linger.ms (100) each time, 2,000 records took 20 s.
	((SECONDS < 10)) || fail "2000 records took $SECONDS s"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output 'pos 0/70:2000'
	run -0 bash -c "kcat -b '$B' -C -t '$T' -e -q -f '%k\n' | sort -n | uniq | wc -l"
	assert_output 2000
}

# assert_stalled_rss_below KB: kafka-pub sends $BATS_TEST_TMPDIR/in to a
# topic that never appears, so every record read stays queued until
# message.timeout.ms (exit 75); its peak RSS must stay below KB.
assert_stalled_rss_below() {
	run -75 /usr/bin/time -f '%M' -o "$BATS_TEST_TMPDIR/rss" \
		timeout 120 kafka-pub -b "$B" -t "$T" -X allow.auto.create.topics=false \
		-X message.timeout.ms=3000 <"$BATS_TEST_TMPDIR/in"
	(($(tail -1 "$BATS_TEST_TMPDIR/rss") < $1)) || fail "peak RSS $(cat "$BATS_TEST_TMPDIR/rss") KB"
}

@test "the producer queue bounds memory: 60 MB of records for a stalled topic held in 40 MB" {
	python3 -c '
import sys
v = "x" * 2400
for i in range(1, 25001):
    sys.stdout.write("{\"key\":%d,\"value\":{\"v\":\"%s\"}}\n" % (i, v))
' >"$BATS_TEST_TMPDIR/in"
	# A queue of 64 MiB held 73 MB.
	assert_stalled_rss_below 40000
}

@test "keys and headers count in the producer queue: 72 MB of them for a stalled topic held in 40 MB" {
	python3 -c '
import sys
b = "x" * 60000
for i in range(1, 601):
    sys.stdout.write("{\"key\":\"%d%s\",\"key_encoding\":\"text\",\"value\":1}\n" % (i, b))
    sys.stdout.write("{\"key\":%d,\"value\":1,\"headers\":{\"h\":\"%s\"}}\n" % (i, b))
' >"$BATS_TEST_TMPDIR/in"
	# librdkafka bounds its queue by the values alone: these records, with
	# values of one byte, took 140 MB.
	assert_stalled_rss_below 40000
	# With a queue of 300 KB they all go, in order.
	run -0 timeout 60 kafka-pub -b "$B" -t "$T" -X queue.buffering.max.kbytes=300 \
		<"$BATS_TEST_TMPDIR/in"
	run -0 bash -c "timeout 30 kcat -b '$B' -C -t '$T' -e -q -f '%S %k\n' | cut -c1-10 | sort -u | wc -l"
	assert_output 1200
}

@test "a record larger than the queue: exit 65 naming it; a larger message.max.bytes grows the queue" {
	python3 -c 'print("{\"key\":1,\"value\":\"%s\",\"value_encoding\":\"text\"}" % ("x" * 6000000))' \
		>"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 kafka-pub -b "$B" --create-topic "$T" --topic-config max.message.bytes=20000000
	run -65 --separate-stderr timeout 60 kafka-pub -b "$B" -t "$T" -X message.max.bytes=20000000 \
		-X queue.buffering.max.kbytes=1024 <"$BATS_TEST_TMPDIR/in"
	assert_equal "$stderr" 'kafka-pub: error: line 1: a record of 6000001 bytes does not fit in the producer queue: raise queue.buffering.max.kbytes (-X)'
	run -0 timeout 60 kafka-pub -b "$B" -t "$T" -X message.max.bytes=20000000 <"$BATS_TEST_TMPDIR/in"
	run -0 bash -c "timeout 30 kcat -b '$B' -C -t '$T' -e -q -f '%S\n' -X fetch.message.max.bytes=20000000"
	assert_output 6000000
}

@test "a queue size set by -X or -F is kept, even 4096, whatever message.max.bytes" {
	python3 -c 'print("{\"key\":1,\"value\":\"%s\",\"value_encoding\":\"text\"}" % ("x" * 5000000))' \
		>"$BATS_TEST_TMPDIR/in"
	want='kafka-pub: error: line 1: a record of 5000001 bytes does not fit in the producer queue: raise queue.buffering.max.kbytes (-X)'
	run -65 --separate-stderr timeout 60 kafka-pub -b "$B" -t "$T" -X queue.buffering.max.kbytes=4096 \
		-X message.max.bytes=20000000 <"$BATS_TEST_TMPDIR/in"
	assert_equal "$stderr" "$want"
	printf '%s\n' message.max.bytes=20000000 queue.buffering.max.kbytes=4096 >"$BATS_TEST_TMPDIR/props"
	run -65 --separate-stderr timeout 60 kafka-pub -b "$B" -t "$T" -F "$BATS_TEST_TMPDIR/props" \
		<"$BATS_TEST_TMPDIR/in"
	assert_equal "$stderr" "$want"
	# Set before message.max.bytes, or by -F then -X: the same.
	printf '%s\n' queue.buffering.max.kbytes=4096 >"$BATS_TEST_TMPDIR/props"
	run -65 --separate-stderr timeout 60 kafka-pub -b "$B" -t "$T" -F "$BATS_TEST_TMPDIR/props" \
		-X message.max.bytes=20000000 <"$BATS_TEST_TMPDIR/in"
	assert_equal "$stderr" "$want"
	# A -F that is a FIFO is read once: a second read would wait forever.
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	echo client.id=fifo >"$BATS_TEST_TMPDIR/fifo" 3>&- &
	run -0 bash -c "echo '{\"key\":1,\"value\":1}' |
		timeout 20 kafka-pub -b '$B' -t '$T' -F '$BATS_TEST_TMPDIR/fifo'"
}

@test "delivery.report.only.error=true is refused: the ack file needs every report" {
	seq 1 100 | sed 's/.*/{"key":&,"value":&,"pos":"0\/70:&"}/' >"$BATS_TEST_TMPDIR/in"
	# With it, delivered records were never acknowledged: exit 70 at best.
	run -64 --separate-stderr timeout 60 kafka-pub -b "$B" -t "$T" -X delivery.report.only.error=true \
		--ack-file "$BATS_TEST_TMPDIR/ack" <"$BATS_TEST_TMPDIR/in"
	assert_equal "${stderr_lines[0]}" 'kafka-pub: error: delivery.report.only.error=true is not supported: kafka-pub needs the delivery report of every record'
	run -0 timeout 60 kafka-pub -b "$B" -t "$T" -X delivery.report.only.error=false \
		--ack-file "$BATS_TEST_TMPDIR/ack" <"$BATS_TEST_TMPDIR/in"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output 'pos 0/70:100'
}

@test "an ack file that cannot be written: exit 74" {
	echo '{"key":1,"value":1,"pos":"0/60:1"}' >"$BATS_TEST_TMPDIR/in"
	run -74 --separate-stderr timeout 60 kafka-pub -b "$B" -t "$T" \
		--ack-file "$BATS_TEST_TMPDIR/no/such/dir/ack" <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *'could not write acknowledgement file'* ]] || fail "$stderr"
}

@test "-X secrets are hidden in /proc/PID/cmdline: a private key, an OAuth config" {
	{ exec 3>&-; sleep 30; } |
		kafka-pub -b 127.0.0.1:1 -t "$T" -X ssl.key.pem=SEKRETPEM \
			-X sasl.oauthbearer.config=clientSecret=SEKRETOA -X ssl.key.password=SEKRETKP 3>&- &
	pid=$!
	wait_until 10 test -r "/proc/$pid/cmdline"
	sleep 0.5
	args=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	kill "$pid"
	wait "$pid" || true
	[[ $args != *SEKRET* ]] || fail "secret visible: $args"
	[[ $args == *"ssl.key.pem=xxxxxxxxx"* ]] || fail "$args"
}

@test "bad option values: exit 64 with the hint" {
	run -64 --separate-stderr kafka-pub -b "$B" -p x
	[[ $stderr == *'invalid value "x" for option -p'* ]] || fail "$stderr"
	run -64 --separate-stderr kafka-pub -t "$T"
	[[ $stderr == *'no brokers given'* ]] || fail "$stderr"
	run -64 --separate-stderr kafka-pub -b "$B" -X nosuch.property=1
	[[ $stderr == *'nosuch.property'* ]] || fail "$stderr"
}

@test "a broker that refuses the login (SASL): exit 77 at once, not 75; the -X password hidden" {
	sasl=(-b "$WALPIPE_BROKERS_SASL" -X security.protocol=SASL_PLAINTEXT -X sasl.mechanism=PLAIN
		-X sasl.username=walpipe)
	run -77 --separate-stderr kafka-pub "${sasl[@]}" -X sasl.password=wrong77 -t "$T" \
		<<<'{"key":null,"value":{"a":1}}'
	[[ $stderr == *"refused the login"* ]] || fail "$stderr"
	# The right password: the record arrives while -X's value is hidden.
	{ echo '{"key":null,"value":{"a":1}}'; exec 3>&-; sleep 30; } |
		kafka-pub "${sasl[@]}" -X sasl.password=walpipepass -t "$T" 3>&- &
	pid=$!
	wait_until 30 bash -c "timeout 10 kcat -b '$B' -C -t '$T' -e -q | grep -q '\"a\"'"
	args=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	kill -TERM "$pid"
	wait "$pid" || true
	[[ $args != *walpipepass* ]] || fail "password visible: $args"
	[[ $args == *"sasl.password=xxx"* ]] || fail "$args"
}

@test "--max-line-bytes: a longer line is exit 65 naming it, the records before acknowledged" {
	printf '%s\n' '{"key":1,"value":1,"pos":"0/60:1"}' \
		"{\"key\":2,\"value\":\"$(printf 'x%.0s' {1..100})\",\"pos\":\"0/60:2\"}" >"$BATS_TEST_TMPDIR/in"
	run -65 --separate-stderr timeout 60 kafka-pub -b unused:9092 -X test.mock.num.brokers=1 -t "$T" \
		--max-line-bytes 100 --ack-file "$BATS_TEST_TMPDIR/ack" <"$BATS_TEST_TMPDIR/in"
	assert_equal "$stderr" 'kafka-pub: error: line 2: longer than 100 bytes (see --max-line-bytes)'
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output 'pos 0/60:1'
	run -0 timeout 60 kafka-pub -b unused:9092 -X test.mock.num.brokers=1 -t "$T" \
		--max-line-bytes 200 --ack-file "$BATS_TEST_TMPDIR/ack" <"$BATS_TEST_TMPDIR/in"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output 'pos 0/60:2'
	run -64 --separate-stderr kafka-pub -b unused:9092 --max-line-bytes 15
	[[ $stderr == *'--max-line-bytes'* ]] || fail "$stderr"
}

# varied_records DIR: DIR/in, record lines of every size from empty to
# twice the input buffer, with values kafka-pub hands over as they are in
# the line (JSON) and values it must decode first (spaced JSON, escaped
# text, null); DIR/want, each record as kcat -f '%k|%s\n' prints it.
varied_records() {
	python3 - "$1" <<-'PY'
	import json, random, sys
	d = sys.argv[1]
	rnd = random.Random(16)
	sizes = [0, 1, 2, 100] + [rnd.choice([rnd.randrange(0, 300), rnd.randrange(0, 5000),
	         rnd.randrange(60000, 140000)]) if i % 97 == 0 else rnd.randrange(0, 5000)
	         for i in range(3000)]
	with open(d + "/in", "w") as f, open(d + "/want", "w") as w:
	    for i, n in enumerate(sizes):
	        s = "".join(rnd.choice("abcdefxyz0123 ") for _ in range(n % 61)) * (n // 61 + 1)
	        s = s[:n]
	        kind = i % 5
	        if kind <= 1:
	            v, out = json.dumps({"i": i, "s": s}, separators=(",", ":")), None
	            out = v
	        elif kind == 2:
	            v = json.dumps({"i": i, "s": s})
	            out = json.dumps({"i": i, "s": s}, separators=(",", ":"))
	        elif kind == 3:
	            v = json.dumps(s + "\u00e9\"", ensure_ascii=True) + ',"value_encoding":"text"'
	            out = s + "\u00e9\""
	        else:
	            v, out = "null", ""
	        f.write('{"key":{"i":%d},"value":%s,"pos":"0/80:%d"}\n' % (i, v, i + 1))
	        w.write('{"i":%d}|%s\n' % (i, out))
	PY
}

# dribble DIR: DIR/dribble.py copies stdin to stdout in pieces of 1 byte
# to 100 kB, pausing now and then, so that reads end anywhere in a line.
dribble() {
	cat >"$1/dribble.py" <<-'PY'
	import os, random, sys, time
	rnd, data, i = random.Random(7), sys.stdin.buffer.read(), 0
	while i < len(data):
	    n = rnd.choice([1, 7, 500, 4096, 65536, 100000])
	    os.write(1, data[i:i + n])
	    i += n
	    if rnd.random() < 0.05:
	        time.sleep(0.002)
	PY
}

@test "values go out from the input buffer intact: every size, reads ending anywhere" {
	varied_records "$BATS_TEST_TMPDIR"
	dribble "$BATS_TEST_TMPDIR"
	run -0 bash -c "set -o pipefail; python3 '$BATS_TEST_TMPDIR/dribble.py' <'$BATS_TEST_TMPDIR/in' |
		timeout 120 kafka-pub -b '$B' -t '$T' --ack-file '$BATS_TEST_TMPDIR/ack'"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output 'pos 0/80:3004'
	timeout 60 kcat -b "$B" -C -t "$T" -e -q -f '%k|%s\n' >"$BATS_TEST_TMPDIR/got"
	run -0 cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	# Again with a queue so small that reading waits for delivery reports.
	T2=$(unique_name pub)
	run -0 timeout 120 kafka-pub -b "$B" -t "$T2" -X queue.buffering.max.messages=7 \
		<"$BATS_TEST_TMPDIR/in"
	timeout 60 kcat -b "$B" -C -t "$T2" -e -q -f '%k|%s\n' >"$BATS_TEST_TMPDIR/got"
	run -0 cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
}

@test "a stalled topic holds input buffers past 64 MiB: later values are copied, all intact" {
	# One record in 30 goes to a topic that does not exist yet: it waits,
	# holding the 64 KiB input buffer it was read from, while the records
	# around it are delivered.  130,000 records make 80 MB of input, more
	# buffers than 64 MiB holds, so the later stalled records are copied.
	S=$(unique_name pubstall)
	kafka_topic_create "$T"
	python3 - "$BATS_TEST_TMPDIR" "$S" "$T" <<-'PY'
	import sys
	d, s, t = sys.argv[1:]
	with open(d + "/in", "w") as f, open(d + "/want", "w") as w:
	    for i in range(1, 130001):
	        topic = s if i % 30 == 0 else t
	        v = ("%07d" % i) * (i % 150 + 1)
	        f.write('{"topic":"%s","key":%d,"value":"%s","value_encoding":"text","pos":"0/90:%d"}\n'
	                % (topic, i, v, i))
	        w.write("%s|%d|%s\n" % (topic, i, v))
	PY
	timeout 300 kafka-pub -b "$B" -X allow.auto.create.topics=false \
		-X topic.metadata.refresh.interval.ms=1000 -X queue.buffering.max.messages=1000000 \
		--metrics-file "$BATS_TEST_TMPDIR/metrics" --ack-file "$BATS_TEST_TMPDIR/ack" \
		<"$BATS_TEST_TMPDIR/in" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	# All read, the stalled topic's records still held: now it appears.
	wait_until 120 grep -q '^walpipe_records_out_total{command="kafka-pub"} 125667$' \
		"$BATS_TEST_TMPDIR/metrics"
	run -0 grep '^walpipe_records_in_total' "$BATS_TEST_TMPDIR/metrics"
	assert_output 'walpipe_records_in_total{command="kafka-pub"} 130000'
	kafka_topic_create "$S"
	wait "$pid" || fail "exit $?: $(cat "$BATS_TEST_TMPDIR/err")"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output 'pos 0/90:130000'
	{
		timeout 60 kcat -b "$B" -C -t "$T" -e -q -f "$T|%k|%s\n"
		timeout 60 kcat -b "$B" -C -t "$S" -e -q -f "$S|%k|%s\n"
	} | sort -t'|' -k2,2n >"$BATS_TEST_TMPDIR/got"
	sort -t'|' -k2,2n "$BATS_TEST_TMPDIR/want" | cmp - "$BATS_TEST_TMPDIR/got"
}

@test "message.timeout.ms expires for a stalled topic while others flow: exit 75, the ack before it (memcheck)" {
	# Records of the topic that never appears time out; those delivered
	# after the first of them are not acknowledged, and every input buffer
	# is let go once.
	S=$(unique_name pubstall)
	kafka_topic_create "$T"
	seq 1 3000 | awk -v s="$S" -v t="$T" \
		'{ printf "{\"topic\":\"%s\",\"key\":%d,\"value\":{\"n\":%d},\"pos\":\"0/95:%d\"}\n",
		   $1 % 30 ? t : s, $1, $1, $1 }' >"$BATS_TEST_TMPDIR/in"
	run -75 --separate-stderr memcheck 180 kafka-pub -b "$B" -X allow.auto.create.topics=false \
		-X message.timeout.ms=3000 --ack-file "$BATS_TEST_TMPDIR/ack" <"$BATS_TEST_TMPDIR/in"
	[[ $stderr == *'line 30: delivery to topic "'"$S"'" failed: Local: Message timed out'* ]] ||
		fail "$stderr"
	run -0 cat "$BATS_TEST_TMPDIR/ack"
	assert_output 'pos 0/95:29'
}
