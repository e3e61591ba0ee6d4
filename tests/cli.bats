#!/usr/bin/env bats
# The command-line contract every command keeps (STYLE rules 5, 6, 18):
# --help and --version on stdout with exit 0 and a silent stderr, an unknown
# option on stderr with exit 64 and a hint, a man page that lints and names
# every option --help shows.
bats_require_minimum_version 1.5.0
load test_helper/common

COMMANDS=(pg-wal-tail cdc-envelope kafka-pub kafka-sub pg-apply pg-verify)
SCRIPTS=(walpipe-run walpipe-ctl)

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

@test "--help and --version into a full disk: exit 74 with one line on stderr, scripts too" {
	local c
	for c in "${COMMANDS[@]}" "${SCRIPTS[@]}"; do
		run -74 --separate-stderr bash -c '"$0" --help >/dev/full' "$c"
		[[ $stderr == "$c: error: could not write to standard output"* ]] || fail "$c: $stderr"
		assert_equal "${#stderr_lines[@]}" 1
	done
	for c in "${COMMANDS[@]}"; do
		run -74 --separate-stderr bash -c '"$0" --version >/dev/full' "$c"
		[[ $stderr == "$c: error: could not write to standard output"* ]] || fail "$c: $stderr"
		assert_equal "${#stderr_lines[@]}" 1
	done
	for c in "${COMMANDS[@]}" "${SCRIPTS[@]}"; do
		grep -A1 '^\.It 74' "$REPO/man/man1/$c.1" >/dev/null || fail "$c(1) does not list exit status 74"
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
	for m in "$REPO"/man/man1/*.1 "$REPO"/man/man5/*.5 "$REPO"/man/man7/*.7; do
		run mandoc -T lint -W warning "$m"
		assert_success
	done
}

@test "each command and script has a man page that names every option of --help" {
	for c in "${COMMANDS[@]}" "${SCRIPTS[@]}"; do
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

@test "-F: an unreadable file exits 66, a property librdkafka refuses 78, the same on -X 64" {
	printf '# comment\nno.such.property=1\n' >"$BATS_TEST_TMPDIR/bad.properties"
	for c in kafka-pub kafka-sub; do
		run -66 --separate-stderr "$c" -b 127.0.0.1:1 -F "$BATS_TEST_TMPDIR/missing" -t x
		[[ $stderr == *missing* ]] || fail "$c: $stderr"
		run -78 --separate-stderr "$c" -b 127.0.0.1:1 -F "$BATS_TEST_TMPDIR/bad.properties" -t x
		[[ $stderr == *"bad.properties:2:"*no.such.property* ]] || fail "$c: $stderr"
		run -64 --separate-stderr "$c" -b 127.0.0.1:1 -X no.such.property=1 -t x
	done
}

@test "every example command line in the man pages and README uses real options, scripts too" {
	run --separate-stderr "$REPO/tests/test_helper/example-options"
	assert_success
	assert_output ''
}

@test "make install puts a man page beside every program, and walpipe(7)" {
	make -s -C "$REPO" install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/usr >/dev/null
	for p in "$BATS_TEST_TMPDIR"/root/usr/bin/*; do
		assert [ -f "$BATS_TEST_TMPDIR/root/usr/share/man/man1/${p##*/}.1" ]
	done
	assert [ -f "$BATS_TEST_TMPDIR/root/usr/share/man/man7/walpipe.7" ]
	make -s -C "$REPO" uninstall DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/usr
	run find "$BATS_TEST_TMPDIR/root" -type f
	assert_output ''
}

@test "--help looks the same everywhere: what it does, Usage, option groups, Other last" {
	for c in "${COMMANDS[@]}" "${SCRIPTS[@]}"; do
		run -0 "$c" --help
		para1=$(awk -v RS= 'NR == 1' <<<"$output")
		para2=$(awk -v RS= 'NR == 2' <<<"$output")
		[[ $para1 == "$c "* ]] || fail "$c: the help does not start by saying what $c does: $para1"
		[[ $para2 == "Usage: $c "* ]] || fail "$c: the usage is not the second paragraph: $para2"
		[[ $output == *$'\nOther:\n'*'  -h, --help '* ]] || fail "$c: no Other group with --help"
	done
}

# words PAGE: the SYNOPSIS of a man page, and usage_words CMD: the usage of
# --help, each as one line of words.
synopsis_words() { mandoc -T utf8 "$1" | col -b | sed -n '/^SYNOPSIS/,/^[A-Z]/{/^[A-Z]/d;p}' | xargs -0 echo | tr -s ' \t\n' '   ' | sed 's/ $//'; }
usage_words() { "$1" --help | awk -v RS= 'NR == 2' | sed 's/^Usage://' | tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'; }

@test "the usage of --help is the man page's SYNOPSIS, word for word" {
	for c in "${COMMANDS[@]}" "${SCRIPTS[@]}"; do
		assert_equal "$(usage_words "$c")" "$(synopsis_words "$REPO/man/man1/$c.1" | sed 's/^ //')"
	done
}

# conn_files DIR: a source and a sink connector file whose booleans are
# written in the cases Kafka Connect accepts, naming a server nothing listens on.
conn_files() {
	cat >"$1/source.json" <<-'JSON'
	{"name": "s", "config": {"database.hostname": "127.0.0.1", "database.port": "1",
	 "database.dbname": "x", "topic.prefix": "p", "tombstones.on.delete": "TRUE",
	 "provide.transaction.metadata": "False", "include.schema.comments": "fAlSe",
	 "key.converter.schemas.enable": "False", "value.converter.schemas.enable": "TRUE"}}
	JSON
	cat >"$1/sink.json" <<-'JSON'
	{"name": "k", "config": {"connection.url": "jdbc:postgresql://127.0.0.1:1/x",
	 "delete.enabled": "TRUE", "truncate.enabled": "False", "auto.create": "true",
	 "quote.identifiers": "FALSE", "primary.key.mode": "record_key",
	 "key.converter.schemas.enable": "False"}}
	JSON
}

@test "-c: TRUE and False are booleans in every command that reads a connector file" {
	conn_files "$BATS_TEST_TMPDIR"
	# The file is taken; the run then fails on the server, which is not there.
	run -75 --separate-stderr pg-wal-tail -c "$BATS_TEST_TMPDIR/source.json" --retries 0 --end-lsn now
	[[ $stderr == *"could not connect"* ]] || fail "pg-wal-tail: $stderr"
	run -0 --separate-stderr bash -c "sed -n 1p '$REPO/tests/fixtures/cdc-envelope/seed-insert.in' |
		cdc-envelope -c '$BATS_TEST_TMPDIR/source.json' | jq -c '[.key.schema, .value.schema.name]'"
	assert_output '[null,"p.public.source_table.Envelope"]'
	run -75 --separate-stderr pg-apply -c "$BATS_TEST_TMPDIR/sink.json" </dev/null
	[[ $stderr == *"could not connect"* ]] || fail "pg-apply: $stderr"
	run -75 --separate-stderr pg-verify -c "$BATS_TEST_TMPDIR/sink.json" -d "host=127.0.0.1 port=1" -t public.t
	[[ $stderr == *"could not connect"* ]] || fail "pg-verify: $stderr"
	# Any other word is not a boolean, in every command.
	sed -i 's/"TRUE"/"yes"/' "$BATS_TEST_TMPDIR/source.json" "$BATS_TEST_TMPDIR/sink.json"
	run -78 --separate-stderr pg-wal-tail -c "$BATS_TEST_TMPDIR/source.json" --end-lsn now
	[[ $stderr == *tombstones.on.delete*yes* ]] || fail "pg-wal-tail: $stderr"
	run -78 --separate-stderr cdc-envelope -c "$BATS_TEST_TMPDIR/source.json" </dev/null
	[[ $stderr == *tombstones.on.delete*yes* ]] || fail "cdc-envelope: $stderr"
	for c in pg-apply pg-verify; do
		run -78 --separate-stderr "$c" -c "$BATS_TEST_TMPDIR/sink.json" -d "host=127.0.0.1 port=1" -t t </dev/null
		[[ $stderr == *delete.enabled*yes* ]] || fail "$c: $stderr"
	done
}

@test "-c: a missing or unreadable connector file exits 66 in every command, naming it" {
	mkdir "$BATS_TEST_TMPDIR/dir.json"
	for f in missing.json dir.json; do
		run -66 --separate-stderr pg-wal-tail -c "$BATS_TEST_TMPDIR/$f" --end-lsn now
		[[ $stderr == *"$f"* ]] || fail "pg-wal-tail: $stderr"
		run -66 --separate-stderr cdc-envelope -c "$BATS_TEST_TMPDIR/$f" </dev/null
		[[ $stderr == *"$f"* ]] || fail "cdc-envelope: $stderr"
		run -66 --separate-stderr pg-apply -c "$BATS_TEST_TMPDIR/$f" </dev/null
		[[ $stderr == *"$f"* ]] || fail "pg-apply: $stderr"
		run -66 --separate-stderr pg-verify -c "$BATS_TEST_TMPDIR/$f" -d "host=127.0.0.1 port=1" -t public.t
		[[ $stderr == *"$f"* ]] || fail "pg-verify: $stderr"
	done
	for c in pg-wal-tail cdc-envelope pg-apply pg-verify; do
		grep -A3 '^\.It 66$' "$REPO/man/man1/$c.1" | grep -q 'cannot be' || fail "$c(1) does not document 66"
	done
}
