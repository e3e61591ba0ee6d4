#!/usr/bin/env bats
# Bash completion (completions/walpipe.bash): options read from each
# command's --help, choices and file names for option values.
bats_require_minimum_version 1.5.0
load test_helper/common

setup() {
	source "$REPO/completions/walpipe.bash"
}

# comp WORD...: complete the last WORD of the command line WORD...; the
# candidates, one a line, sorted.
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	_walpipe
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

@test "each command and walpipe-ctl are bound to the completion" {
	for c in pg-wal-tail cdc-envelope kafka-pub kafka-sub pg-apply walpipe-ctl; do
		run -0 complete -p "$c"
		assert_output "complete -F _walpipe $c"
	done
}

@test "long options come from --help, a value's '=' included" {
	run comp pg-wal-tail --cre
	assert_output --create-slot
	run comp pg-wal-tail --metr
	assert_output --metrics-file=
	run comp kafka-sub --pro
	assert_output $'--progress=\n--property='
	run comp pg-apply --pk
	assert_output $'--pk-fields=\n--pk-mode='
	# Every option of the option parser is offered.
	for c in pg-wal-tail cdc-envelope kafka-pub kafka-sub pg-apply; do
		run comp "$c" --
		for o in --help --version --verbose --metrics-file=; do
			assert_line "$o"
		done
	done
}

@test "choices and file names as option values" {
	run comp pg-wal-tail --snapshot init
	assert_output $'initial\ninitial-only'
	run comp pg-wal-tail --snapshot = n
	assert_output never
	run comp pg-apply -m up
	assert_output $'update\nupsert'
	cd "$BATS_TEST_TMPDIR"
	touch metrics.prom other
	run comp kafka-pub --metrics-file met
	assert_output metrics.prom
	run comp walpipe-ctl me
	assert_output metrics
}

@test "make install puts it where bash-completion loads it, once per command" {
	run -0 make -C "$REPO" --no-print-directory install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/usr
	for c in pg-wal-tail cdc-envelope kafka-pub kafka-sub pg-apply walpipe-ctl; do
		cmp "$REPO/completions/walpipe.bash" "$BATS_TEST_TMPDIR/root/usr/share/bash-completion/completions/$c"
	done
	# Every man page, whatever its section.
	for m in "$REPO"/man/man*/*.[1-9]; do
		[ -f "$BATS_TEST_TMPDIR/root/usr/share/man/$(basename "$(dirname "$m")")/$(basename "$m")" ]
	done
}
