#!/usr/bin/env bats
# The first run on a fresh machine: make demo and make check install what
# is missing and only then ask pkg-config, so a machine without
# librdkafka-dev builds on the first try.
#
# Each test builds a scratch copy of the repository whose pkg-config
# search path starts empty; its scripts/deps is replaced by a stand-in that
# "installs" the libraries by linking the real .pc files into that path,
# as apt-get would. A Makefile that asked pkg-config while it was parsed,
# before deps ran, would compile without the headers and fail.
bats_require_minimum_version 1.5.0
load test_helper/common

setup() {
	scratch=$BATS_TEST_TMPDIR/clone
	mkdir -p "$scratch" "$BATS_TEST_TMPDIR/pc"
	(cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 cp --parents -t "$scratch" 2>/dev/null) || true
	# The real search path, asked before it is emptied.
	real_pc=$(pkg-config --variable pc_path pkg-config)
	cat >"$scratch/scripts/deps" <<-EOF
		#!/usr/bin/env bash
		# deps stand-in: the packages arrive now, as apt-get would bring them.
		IFS=: read -ra dirs <<<"$real_pc"
		for d in "\${dirs[@]}"; do
			[[ -d \$d ]] && ln -sf "\$d"/*.pc "$BATS_TEST_TMPDIR/pc/" 2>/dev/null
		done
		exit 0
	EOF
	export PKG_CONFIG_LIBDIR=$BATS_TEST_TMPDIR/pc PKG_CONFIG_PATH=
	unset MAKEFLAGS MFLAGS MAKELEVEL
}

@test "make all before deps: stops at once, naming make deps" {
	run -2 make -C "$scratch" all
	assert_output --partial "run 'make deps'"
	refute_output --partial "No such file"
}

@test "make demo on a machine without the libraries: deps first, then the build" {
	printf '#!/bin/sh\necho demo ran\n' >"$scratch/scripts/demo"
	run -0 make -C "$scratch" -j2 demo
	assert_output --partial "demo ran"
	[ -x "$scratch/bin/pg-wal-tail" ] || fail "no pg-wal-tail built"
	"$scratch/bin/pg-wal-tail" --version
}

@test "make check on a machine without the libraries: deps first, then the build" {
	printf '#!/bin/sh\necho tests ran\n' >"$scratch/tests/run"
	run -0 make -C "$scratch" -j2 check
	assert_output --partial "tests ran"
	[ -x "$scratch/bin/pg-apply" ] || fail "no pg-apply built"
	[ -x "$scratch/build/unit/common" ] || fail "no unit tests built"
}

@test "make format-check: passes on sources make format wrote, fails naming a file that strays; make check runs it before the tests" {
	make -C "$scratch" -s format
	run -0 make -C "$scratch" -s format-check
	for f in cmd/pg-apply/main.c common/buf.c tests/unit/common.c fuzz/record.c; do
		cp "$scratch/$f" "$BATS_TEST_TMPDIR/saved"
		printf 'static int  stray_spaces ( void ){return 0;}\n' >>"$scratch/$f"
		run -2 --separate-stderr make -C "$scratch" -s format-check
		[[ $stderr == *"$f"* ]] || fail "$f: $stderr"
		cp "$BATS_TEST_TMPDIR/saved" "$scratch/$f"
	done
	make -C "$scratch" -s deps
	# The format check before the tests, and the tests last, so that the
	# run ends with their tally.
	run -0 bash -c "make -C '$scratch' -n --no-print-directory check | grep -v '^make'"
	[[ $output == *"clang-format --dry-run -Werror "*tests/run* ]] || fail "no format-check before the tests: $output"
	[[ ${lines[-1]} == *tests/run ]] || fail "make check does not end with the tests: $output"
}
