#!/usr/bin/env bats
# Crash safety: a workload of 50,000 mixed inserts, updates and deletes in
# 500 transactions runs while every part of both pipelines in turn -
# pg-wal-tail, cdc-envelope, kafka-pub, the broker, kafka-sub, pg-apply,
# the source and the replica server - is killed with SIGKILL at a random
# moment and restarted. At the end the replica equals the source.
bats_require_minimum_version 1.5.0
load ../test_helper/common
load pipeline

setup_file() { pipelines_up; }
teardown_file() { pipelines_down; }

# One transaction of the workload: 60 inserts, 25 updates, 15 deletes.
tx_sql() {
	cat <<SQL
begin;
insert into public.source_table (name) select 'i$1.' || g from generate_series(1, 60) g;
update public.source_table set name = 'u$1' where id in (select id from public.source_table order by random() limit 25);
delete from public.source_table where id in (select id from public.source_table order by random() limit 15);
commit;
SQL
}

# workload N: N transactions, each retried until the source takes it (the
# source itself is killed on the way).
workload() {
	local t
	for ((t = 1; t <= $1; t++)); do
		until tx_sql "$t" | psql -X -q -v ON_ERROR_STOP=1 "$WALPIPE_SOURCE" >/dev/null 2>&1; do
			sleep 0.3
		done
	done
}

# kill_part PART: SIGKILL one part; servers are started again at once, the
# pipelines by walpipe-run. A command is killed once it runs again after the
# previous kill (its pipeline may still be restarting).
kill_part() {
	case $1 in
	broker) scripts_stack kill-broker && scripts_stack start-broker ;;
	source) scripts_stack kill-pg main && scripts_stack start-pg main ;;
	replica) scripts_stack kill-pg replica && scripts_stack start-pg replica ;;
	pg-wal-tail | cdc-envelope | kafka-pub) kill_command source "$1" ;;
	kafka-sub | pg-apply) kill_command sink "$1" ;;
	esac
}

kill_command() {
	wait_until 30 running "$1" "$2" && pkill -KILL -s "$(pipeline_pid "$1")" -x "$2"
}

running() {
	local sid
	sid=$(pipeline_pid "$1")
	[[ -n $sid ]] && pgrep -s "$sid" -x "$2" >/dev/null
}

scripts_stack() { "$REPO/scripts/stack" "$@" >/dev/null 2>&1; }

@test "kill -9 of every part in turn during 50,000 changes loses nothing" {
	workload 500 3>&- &
	load_pid=$!
	for part in pg-wal-tail cdc-envelope kafka-pub broker kafka-sub pg-apply source replica; do
		sleep "$((RANDOM % 3 + 1)).$((RANDOM % 10))"
		echo "# killing $part" >&3
		kill_part "$part" || fail "could not kill $part"
	done
	wait "$load_pid"
	changes=$(psql_src "select count(*) from public.source_table")
	echo "# workload done, $changes rows on the source" >&3
	wait_tables_equal 240
	# Every kill of a command really hit one: each cost its pipeline a restart.
	source_restarts=$(sed -n 's/^restarts=//p' "$STATE/source.status")
	sink_restarts=$(sed -n 's/^restarts=//p' "$STATE/sink.status")
	echo "# restarts: source $source_restarts, sink $sink_restarts" >&3
	[ "$source_restarts" -ge 3 ] && [ "$sink_restarts" -ge 2 ]
}
