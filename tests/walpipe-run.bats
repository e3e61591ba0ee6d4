#!/usr/bin/env bats
# walpipe-run, the supervisor: restarts a failed pipeline with backoff,
# ends on success or on a failure a restart cannot cure, stops on SIGTERM.
bats_require_minimum_version 1.5.0
load test_helper/common

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "a failing pipeline is restarted until it succeeds" {
	cat >flaky <<'SH'
n=$(($(cat count 2>/dev/null || echo 0) + 1)); echo $n >count
[ $n -ge 3 ] || exit 75
SH
	run --separate-stderr walpipe-run -n flaky -s . --max-delay 1 -- 'bash flaky | cat'
	assert_success
	assert_equal "$(cat count)" 3
	assert_equal "$(sed -n 's/^restarts=//p' flaky.status)" 2
	assert_equal "$(sed -n 's/^state=//p' flaky.status)" done
	[[ $stderr == *'exited with status 75; restart 1 in 1s'* ]]
}

@test "the pipeline's status is the last command's that failed (pipefail)" {
	run --separate-stderr walpipe-run -n p -s . -- 'exit 65 | cat'
	assert_failure 65
}

@test "bad input, bad usage, unreadable files, refused logins and bad configuration are not retried" {
	# (want, not status: run sets $status.)
	for want in 64 65 66 77 78; do
		# Bounded: a runner that retries would never end.
		run --separate-stderr timeout 20 walpipe-run -n p -s . --max-delay 1 -- "exit $want"
		assert_failure "$want"
		[[ $stderr == *"not restarting"* ]] || fail "$want: $stderr"
		assert_equal "$(sed -n 's/^state=//p' p.status)" failed
	done
}

@test "SIGTERM stops the whole pipeline and exits 0" {
	walpipe-run -n s -s . -- 'sleep 300 | sleep 301' 3>&- &
	runner=$!
	wait_until 10 grep -q '^state=running' s.status
	pid=$(sed -n 's/^pid=//p' s.status)
	kill -TERM "$runner"
	wait "$runner"
	assert_equal "$(sed -n 's/^state=//p' s.status)" stopped
	# Every process of the pipeline's session is gone (or about to be reaped).
	wait_until 10 bash -c "! pgrep -s $pid >/dev/null || ! ps -o stat= -s $pid | grep -qv Z"
}

@test "usage errors exit 64" {
	run --separate-stderr walpipe-run --bogus
	assert_failure 64
	[[ $stderr == *'Try "walpipe-run --help"'* ]]
	run -0 walpipe-run --help
	assert_output --partial "Usage: walpipe-run"
}

@test "the systemd example does not restart what walpipe-run gives up on" {
	want=$(sed -n 's/^\t\([0-9][0-9 |]*\))$/\1/p' "$REPO/scripts/walpipe-run" | tr -d '|' | tr -s ' ')
	assert_equal "$want" "64 65 66 77 78"
	run -0 sed -n 's/^RestartPreventExitStatus=//p' "$REPO/examples/walpipe-source.service"
	assert_output "$want"
}

@test "SIGTERM: the runner ends after the commands have finished their stop, and keeps their status" {
	cat >slowstop <<'SH'
trap 'sleep 2; echo done >stopped; exit 75' TERM
while :; do sleep 0.1; done
SH
	walpipe-run -n s -s . -- 'bash slowstop' 3>&- &
	runner=$!
	wait_until 10 grep -q '^state=running' s.status
	pid=$(sed -n 's/^pid=//p' s.status)
	sleep 0.5
	kill -TERM "$runner"
	wait "$runner" || fail "walpipe-run exited $?"
	# Not a moment later: a supervisor that kills what is left after the
	# runner exits would cut a stop short.
	assert_equal "$(cat stopped)" done
	run pgrep -s "$pid"
	assert_failure
	assert_equal "$(sed -n 's/^state=//p' s.status)" stopped
	assert_equal "$(sed -n 's/^last_exit=//p' s.status)" 75
}
