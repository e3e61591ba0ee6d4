#!/usr/bin/env bats
# The command-line contract every command keeps (STYLE rules 5, 6, 18):
# --help and --version on stdout with exit 0 and a silent stderr, an unknown
# option on stderr with exit 64 and a hint, a man page that lints and names
# every option --help shows.
bats_require_minimum_version 1.5.0
load test_helper/common

COMMANDS=(pg-wal-tail cdc-envelope kafka-pub kafka-sub pg-apply pg-verify)

@test "--help: usage on stdout, exit 0, nothing on stderr" {
	for c in "${COMMANDS[@]}"; do
		run -0 --separate-stderr "$c" --help
		assert [ -n "$output" ]
		assert [ -z "$stderr" ]
		[[ $output == *"Usage: $c"* ]] || fail "$c --help has no usage line"
	done
}

@test "--version: one line naming the command, exit 0" {
	for c in "${COMMANDS[@]}"; do
		run -0 --separate-stderr "$c" --version
		assert_output --regexp "^$c \\(walpipe\\) [0-9]+\\.[0-9]+\\.[0-9]+$"
		assert [ -z "$stderr" ]
	done
}

@test "an unknown option: exit 64, message and hint on stderr, stdout empty" {
	for c in "${COMMANDS[@]}"; do
		run -64 --separate-stderr "$c" --no-such-option
		assert [ -z "$output" ]
		[[ $stderr == *"Try \"$c --help\" for more information."* ]] || fail "$c: no hint: $stderr"
	done
}

@test "every man page passes mandoc's lint" {
	for m in "$REPO"/man/man1/*.1 "$REPO"/man/man5/*.5; do
		run mandoc -T lint -W warning "$m"
		assert_success
	done
}

@test "each command has a man page that names every option of --help" {
	for c in "${COMMANDS[@]}"; do
		page="$REPO/man/man1/$c.1"
		assert [ -f "$page" ]
		text=$(mandoc -T utf8 "$page" | col -b)
		for opt in $("$c" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
			[[ $text == *"$opt"* ]] || fail "$c: $opt is in --help but not in $c(1)"
		done
	done
}

@test "the man page SYNOPSIS names the command" {
	for c in "${COMMANDS[@]}"; do
		run bash -c "mandoc -T utf8 '$REPO/man/man1/$c.1' | col -b | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p'"
		assert_output --partial "$c"
	done
}
