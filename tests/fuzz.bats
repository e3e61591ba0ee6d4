#!/usr/bin/env bats
# A short run of every libFuzzer target (make fuzz runs them longer):
# arbitrary bytes must never crash a decoder or draw a sanitizer report.
bats_require_minimum_version 1.5.0
load test_helper/common

@test "fuzz targets survive a short run" {
	targets=("$REPO"/fuzz/*.c)
	[ -e "${targets[0]}" ] || skip "no fuzz targets yet"
	run make -C "$REPO" fuzz FUZZ_SECONDS="${WALPIPE_FUZZ_SECONDS:-20}"
	assert_success
}
