# common.bash: loaded by every bats file (load test_helper/common).
#
# Puts the built commands ($REPO/bin) first on PATH, gives each file a private
# HOME, loads bats-support and bats-assert, and provides:
#
#   stack_up / stack_down       start a stack for the file (setup_file) and
#                               stop it (teardown_file); see scripts/stack
#   psql_src SQL... / psql_rep SQL...
#                               run SQL on the source / the replica, unaligned
#                               and tuples only, without command tags; stops
#                               at the first error
#   kafka_topic_create NAME [PARTITIONS]
#                               create a topic and wait until it has a leader
#   unique_name PREFIX          a fresh name, valid as a PostgreSQL identifier,
#                               a replication slot name and a Kafka topic
#   kafka_group_assigned GROUP N
#                               the group is stable with N members, each
#                               holding a partition
#   wait_until SECONDS CMD...   run CMD every 0.2 s until it succeeds; fail
#                               after SECONDS
#   term_within_broker_down PID SECONDS
#                               SIGTERM a command whose broker is down; fail
#                               unless it exits within SECONDS
#
# PostgreSQL and Kafka are never optional: make check installs and starts
# them, so a test that cannot reach them fails instead of skipping.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export REPO
# make SANITIZE=1 check runs the sanitized build from its own directory.
export PATH="${WALPIPE_BIN:-$REPO/bin}:$REPO/scripts:$PATH"

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

# The Kafka jars stay in the real cache; everything else gets a HOME of its
# own, and inherited connection settings cannot leak into a test.
export WALPIPE_CACHE=${WALPIPE_CACHE:-$HOME/.cache/walpipe}
export HOME="$BATS_FILE_TMPDIR/home"
mkdir -p "$HOME"
unset PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE \
	PGSERVICEFILE PGPASSFILE PGOPTIONS PGAPPNAME

# stack_up: start a fresh stack and export its WALPIPE_* variables. Without
# fsync (a crash of a process loses nothing; a crash of the machine is not
# tested) and with room for several replication slots.
stack_up() {
	local out
	unset WALPIPE_STACK_DIR
	export WALPIPE_FAST=${WALPIPE_FAST:-1}
	export WALPIPE_PG_EXTRA_CONF=${WALPIPE_PG_EXTRA_CONF-$'max_replication_slots = 10\nmax_wal_senders = 10'}
	out=$("$REPO/scripts/stack" up) || return
	eval "$out"
}

# stack_down: stop the stack stack_up started; harmless if it is down.
stack_down() {
	[[ -z ${WALPIPE_STACK_DIR:-} ]] || "$REPO/scripts/stack" down "$WALPIPE_STACK_DIR"
}

psql_src() { _psql "$WALPIPE_SOURCE" "$@"; }
psql_rep() { _psql "$WALPIPE_REPLICA" "$@"; }
_psql() {
	local conn=$1 sql args=()
	shift
	for sql; do args+=(-c "$sql"); done
	psql -X -q -At -v ON_ERROR_STOP=1 "$conn" "${args[@]}"
}

# kafka_topic_create NAME [PARTITIONS]: topics are also created on first use
# (the broker auto-creates them with one partition); this is for more
# partitions or for a topic that must exist before anyone produces. It runs
# the broker's own TopicCommand, which takes a JVM start, about 2 s.
kafka_topic_create() {
	local libs out
	libs=$("$REPO/scripts/kafka-fetch") || return
	out=$(java -cp "$libs/*" -Dlog4j.configuration=file:/dev/null \
		org.apache.kafka.tools.TopicCommand --bootstrap-server "$WALPIPE_BROKERS" \
		--create --topic "$1" --partitions "${2:-1}" \
		--replication-factor 1 2>&1) || {
		echo "$out" >&2
		return 1
	}
	wait_until 30 _kafka_topic_ready "$1" "${2:-1}"
}

# kafka_group_assigned GROUP N: true when the consumer group is stable with
# N members that each hold a partition (Kafka's own ConsumerGroupCommand).
kafka_group_assigned() {
	local libs out
	libs=$("$REPO/scripts/kafka-fetch") || return
	out=$(java -cp "$libs/*" -Dlog4j.configuration=file:/dev/null \
		org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server "$WALPIPE_BROKERS" \
		--describe --group "$1" --members 2>/dev/null) || return
	(($(awk '$NF ~ /^[0-9]+$/ && $NF > 0' <<<"$out" | wc -l) == $2))
}

# The topic has PARTITIONS partitions, each with a leader.
_kafka_topic_ready() {
	local md
	md=$(kcat -b "$WALPIPE_BROKERS" -L -t "$1" -m 2 2>/dev/null) || return
	[[ $md == *" topic \"$1\" with $2 partitions:"* && $md != *Err* ]]
}

unique_name() {
	[[ $1 =~ ^[a-z][a-z0-9_]*$ ]] || {
		echo "unique_name: bad prefix \"$1\"" >&2
		return 1
	}
	printf '%s_%s_%s\n' "$1" "$BASHPID" "$SRANDOM"
}

wait_until() {
	local deadline
	deadline=$(($(date +%s%N) + ${1%.*} * 1000000000))
	shift
	until "$@"; do
		if (($(date +%s%N) > deadline)); then
			echo "wait_until: gave up waiting for: $*" >&2
			return 1
		fi
		sleep 0.2
	done
}

# term_within_broker_down PID SECONDS: SIGTERM PID, whose broker is down,
# and wait at most SECONDS for it to exit; on a timeout, SIGKILL it, start
# the broker again and fail.  Sets ms to the milliseconds the exit took.
term_within_broker_down() {
	local t0
	t0=$(date +%s%N)
	kill -TERM "$1"
	timeout "$2" bash -c "while kill -0 $1 2>/dev/null; do sleep 0.1; done" || {
		kill -KILL "$1"
		"$REPO/scripts/stack" start-broker
		fail "$1 still runs $2 s after SIGTERM"
	}
	ms=$((($(date +%s%N) - t0) / 1000000))
}
