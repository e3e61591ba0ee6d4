#!/usr/bin/env bats
# The Debian package: dpkg-buildpackage -us -uc -b builds it from a scratch
# copy of the tree; it is checked with dpkg-deb (dependencies, file list)
# and unpacked with dpkg -x into a directory, never installed on this
# machine, to run a command from it.
bats_require_minimum_version 1.5.0
load test_helper/common

setup_file() {
	local src=$BATS_FILE_TMPDIR/src/walpipe
	mkdir -p "$src"
	# The tree as it is, without build products or anything git ignores.
	(cd "$REPO" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$src")
	(cd "$src" && DEB_BUILD_OPTIONS="parallel=2 noddebs" dpkg-buildpackage -us -uc -b) \
		>"$BATS_FILE_TMPDIR/build.log" 2>&1 || { tail -40 "$BATS_FILE_TMPDIR/build.log" >&3; return 1; }
	DEB=$(echo "$BATS_FILE_TMPDIR"/src/walpipe_*.deb)
	ROOT=$BATS_FILE_TMPDIR/root
	dpkg -x "$DEB" "$ROOT"
	export DEB ROOT
}

@test "dpkg-buildpackage built one walpipe package, and the tree is untouched" {
	[ -f "$DEB" ]
	run -0 dpkg-deb -f "$DEB" Package Architecture
	assert_output --regexp $'^Package: walpipe\nArchitecture: [a-z0-9]+$'
	# Nothing of the build is left in the repository itself.
	[ ! -e "$REPO/debian/walpipe" ] && [ ! -e "$REPO/debian/files" ]
}

@test "Depends names the runtime libraries, found by dpkg-shlibdeps" {
	run -0 dpkg-deb -f "$DEB" Depends
	assert_output --partial 'libc6'
	assert_output --partial 'libpq5'
	assert_output --partial 'librdkafka1'
	assert_output --partial 'jq'
}

@test "the file list: programs, man pages, completion, examples, systemd units" {
	run -0 dpkg-deb -c "$DEB"
	for f in usr/bin/pg-wal-tail usr/bin/cdc-envelope usr/bin/kafka-pub usr/bin/kafka-sub \
		usr/bin/pg-apply usr/bin/walpipe-run usr/bin/walpipe-ctl \
		usr/share/bash-completion/completions/pg-wal-tail \
		usr/share/bash-completion/completions/walpipe-ctl \
		usr/share/doc/walpipe/examples/postgresdb-source-connector.json \
		lib/systemd/system/walpipe-source.service lib/systemd/system/walpipe-sink.service; do
		assert_line --regexp " \./$f\$"
	done
	# Every page under man/, whatever its section, compressed.
	for m in "$REPO"/man/man*/*.[1-9]; do
		assert_line --regexp " \./usr/share/man/$(basename "$(dirname "$m")")/$(basename "$m")\.gz\$"
	done
}

@test "pg-wal-tail --version runs from the unpacked package" {
	run -0 --separate-stderr "$ROOT/usr/bin/pg-wal-tail" --version
	assert_output --regexp '^pg-wal-tail \(walpipe\) [0-9]+\.[0-9]+\.[0-9]+$'
	for c in cdc-envelope kafka-pub kafka-sub pg-apply; do
		run -0 "$ROOT/usr/bin/$c" --version
	done
	run -0 "$ROOT/usr/bin/walpipe-ctl" --help
}

@test "the man pages read, the units run the installed programs" {
	run -0 bash -c "zcat '$ROOT/usr/share/man/man1/pg-wal-tail.1.gz' | mandoc -T utf8 | col -b"
	assert_output --partial 'pg-wal-tail'
	assert_output --partial 'metrics-file'
	run -0 grep -h '^ExecStart=' "$ROOT"/lib/systemd/system/walpipe-*.service
	assert_output --regexp '^ExecStart=/usr/bin/walpipe-run '
	refute_output --partial /usr/local/
}
