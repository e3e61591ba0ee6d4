# pipeline.bash: the reference pipelines for the end-to-end tests.
#
#   pipelines_up / pipelines_down
#                             a stack with both reference pipelines running,
#                             for setup_file; and its end, for teardown_file
#   pipelines_init            names for this file: SLOT, PUB (dbz_publication),
#                             PREFIX, TOPIC, GROUP, and the state dir STATE
#   start_source [ARGS...]    pg-wal-tail | cdc-envelope | kafka-pub under
#                             walpipe-run, in the background (ARGS go to
#                             pg-wal-tail)
#   start_sink [ARGS...]      kafka-sub | pg-apply under walpipe-run (ARGS go
#                             to pg-apply); SINK=NAME runs another member of
#                             the same consumer group
#   stop_pipelines            SIGTERM both runners and wait for them
#   tables_equal              source_table and target_table hold the same rows
#   wait_tables_equal SECONDS
#   pipeline_pid NAME         the pid (= session id) of a running pipeline
#   wait_slot_active          the source pipeline's slot is in use

pipelines_init() {
	SLOT=$(unique_name slot)
	PUB=dbz_publication
	PREFIX=postgres_server.connect_test_db
	TOPIC=$PREFIX.public.source_table
	GROUP=$(unique_name group)
	STATE=$BATS_FILE_TMPDIR/state
	mkdir -p "$STATE"
	export SLOT PUB PREFIX TOPIC GROUP STATE
}

start_source() {
	local extra=${*:+ $*}
	walpipe-run -n source -s "$STATE" --max-delay 2 -- \
		"pg-wal-tail -d \"\$WALPIPE_SOURCE\" --slot $SLOT --publication $PUB --create-slot \
			--ack-file $STATE/source.ack$extra |
		 cdc-envelope --prefix $PREFIX |
		 kafka-pub -b \$WALPIPE_BROKERS --ack-file $STATE/source.ack" \
		2>>"$STATE/source.log" 3>&- &
	export SOURCE_RUNNER=$!
}

start_sink() {
	local extra=${*:+ $*} name=${SINK:-sink}
	walpipe-run -n "$name" -s "$STATE" --max-delay 2 -- \
		"kafka-sub -b \$WALPIPE_BROKERS -G $GROUP -t $TOPIC -X auto.offset.reset=earliest \
			--ack-file $STATE/$name.ack |
		 pg-apply -d \"\$WALPIPE_REPLICA\" --table-format target_table --insert-mode upsert \
			--delete --pk-mode record_key --schema-evolution basic --auto-create \
			--ack-file $STATE/$name.ack$extra" \
		2>>"$STATE/$name.log" 3>&- &
	export SINK_RUNNER="${SINK_RUNNER:-} $!"
}

# The runners' pids are exported: tests run in processes of their own.
stop_pipelines() {
	local p
	for p in ${SOURCE_RUNNER:-} ${SINK_RUNNER:-}; do kill -TERM "$p" 2>/dev/null || true; done
	for p in ${SOURCE_RUNNER:-} ${SINK_RUNNER:-}; do
		wait_until 60 bash -c "! kill -0 $p 2>/dev/null" || true
		wait "$p" 2>/dev/null || true
	done
	export SOURCE_RUNNER= SINK_RUNNER=
}

pipeline_pid() {
	sed -n 's/^pid=//p' "$STATE/$1.status" 2>/dev/null
}

# pg-verify is the oracle: every row and value of source_table, as
# pg-apply maps it, equals target_table's.
tables_equal() {
	pg-verify -d "$WALPIPE_SOURCE" -r "$WALPIPE_REPLICA" -t public.source_table:target_table \
		--recheck 0 -q >/dev/null 2>&1
}

wait_tables_equal() {
	wait_until "$1" tables_equal || {
		pg-verify -d "$WALPIPE_SOURCE" -r "$WALPIPE_REPLICA" -t public.source_table:target_table \
			--recheck 0 2>&1 | head -n 20 >&2
		tail -n 20 "$STATE"/*.log >&2
		return 1
	}
}

wait_slot_active() {
	wait_until 30 _slot_active
}

_slot_active() {
	[[ $(_psql "$WALPIPE_SOURCE" "select active from pg_replication_slots where slot_name = '$SLOT'") == t ]]
}

pipelines_up() {
	stack_up
	pipelines_init
	start_source
	start_sink
	wait_slot_active
}

pipelines_down() {
	stop_pipelines
	stack_down
}
