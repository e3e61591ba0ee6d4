/*
 * pg-wal-tail - every change from PostgreSQL logical replication
 * (pgoutput), one JSON line each.  See pg-wal-tail(1).
 *
 * main() parses the command line, then runs the phases in order:
 * connect, publication and slot, initial snapshot, streaming.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "metrics.h"
#include "opts.h"
#include "progress.h"
#include "sig.h"
#include "tail.h"

#define DEFAULT_STATUS_INTERVAL_US INT64_C(10000000)
#define DEFAULT_RETRIES 5
#define DEFAULT_FETCH_SIZE 1000
#define DEFAULT_CHUNK_SIZE 1024

static void
usage(void)
{
	printf("pg-wal-tail writes every change of PostgreSQL logical replication (pgoutput)\n"
		   "as one JSON line.\n\n"
		   "Usage: pg-wal-tail [-d CONNINFO] -S SLOT -P PUBLICATION [OPTION]...\n"
		   "       pg-wal-tail -c FILE [OPTION]...\n\n"
		   "Connection:\n"
		   "  -d, --dbname=CONNINFO      connection string or URI (default: PG* variables)\n"
		   "  -c, --connector-config=FILE  take unset options from a Debezium PostgreSQL\n"
		   "                             connector JSON file\n"
		   "\nSlot and publication:\n"
		   "  -S, --slot=NAME            logical replication slot (pgoutput)\n"
		   "  -P, --publication=NAME     publication to stream\n"
		   "      --create-slot          create the slot if it does not exist, or take its\n"
		   "                             unacknowledged snapshot again\n"
		   "      --temporary-slot       use a new temporary slot, gone at exit\n"
		   "      --drop-slot            drop the slot, then exit\n"
		   "  -t, --table=SCHEMA.TABLE   create the publication for these tables if missing\n"
		   "                             (repeatable)\n"
		   "\nWhat to write:\n"
		   "      --snapshot=MODE        initial, never, initial-only or incremental (default:\n"
		   "                             initial for a new slot, never for an existing one)\n"
		   "      --start-lsn=LSN        start streaming at LSN (default: the slot's position)\n"
		   "      --end-lsn=LSN|now      stop after the transactions up to LSN, exit 0\n"
		   "      --streaming            receive large transactions while in progress\n"
		   "                             (protocol 2), kept in temporary files\n"
		   "\nDelivery:\n"
		   "      --ack-file=FILE        confirm only what FILE's \"pos\" line acknowledges\n"
		   "  -s, --status-interval=SECONDS  status updates to the server (default %lld)\n"
		   "      --heartbeat=SECONDS    advance the slot while the tables are idle (default off)\n"
		   "      --heartbeat-message    also write a heartbeat message into the WAL\n"
		   "      --retries=N            reconnect attempts after a lost connection (default %d)\n"
		   "      --fetch-size=ROWS      snapshot rows per FETCH (default %d)\n"
		   "\nIncremental snapshots:\n"
		   "      --signal-table=SCHEMA.TABLE  take signals from rows inserted into this table\n"
		   "      --signal-file=FILE     take signals from FILE or FIFO, one JSON per line\n"
		   "      --chunk-size=ROWS      rows per incremental snapshot chunk (default %d)\n"
		   "  -k, --key-columns=SPEC     read these tables in chunks of these columns:\n"
		   "                             \"schema.table:col,...;...\" (message.key.columns)\n"
		   "      --state-file=FILE      keep what is left of incremental snapshots in FILE,\n"
		   "                             to resume them after a restart\n"
		   "\nMonitoring:\n"
		   "      --metrics-file=FILE    write metrics to FILE (Prometheus text) every second\n"
		   "      --progress=SECONDS     snapshot progress on stderr every SECONDS when it is\n"
		   "                             not a terminal, 0 for none (default %g)\n"
		   "\nOther:\n"
		   "  -v, --verbose              report progress on stderr\n"
		   "  -h, --help                 show this help, then exit\n"
		   "  -V, --version              output version information, then exit\n",
		   (long long) (DEFAULT_STATUS_INTERVAL_US / 1000000), DEFAULT_RETRIES, DEFAULT_FETCH_SIZE,
		   DEFAULT_CHUNK_SIZE, PROGRESS_DEFAULT_INTERVAL);
}

static uint64_t
parse_lsn(const char *option, const char *value)
{
	uint64_t lsn;

	if (!lsn_parse(value, strlen(value), &lsn))
		usage_error("invalid value \"%s\" for option %s: must be an LSN such as 0/16B3748", value,
					option);
	return lsn;
}

enum {
	OPT_CREATE_SLOT = 256,
	OPT_TEMPORARY_SLOT,
	OPT_DROP_SLOT,
	OPT_SNAPSHOT,
	OPT_START_LSN,
	OPT_END_LSN,
	OPT_ACK_FILE,
	OPT_HEARTBEAT,
	OPT_HEARTBEAT_MESSAGE,
	OPT_RETRIES,
	OPT_FETCH_SIZE,
	OPT_STREAMING,
	OPT_METRICS_FILE,
	OPT_PROGRESS,
	OPT_SIGNAL_TABLE,
	OPT_SIGNAL_FILE,
	OPT_CHUNK_SIZE,
	OPT_STATE_FILE
};

static void
parse_args(int argc, char **argv, struct tail_opts *o)
{
	static const struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"connector-config", required_argument, NULL, 'c'},
		{"slot", required_argument, NULL, 'S'},
		{"publication", required_argument, NULL, 'P'},
		{"create-slot", no_argument, NULL, OPT_CREATE_SLOT},
		{"temporary-slot", no_argument, NULL, OPT_TEMPORARY_SLOT},
		{"drop-slot", no_argument, NULL, OPT_DROP_SLOT},
		{"table", required_argument, NULL, 't'},
		{"snapshot", required_argument, NULL, OPT_SNAPSHOT},
		{"start-lsn", required_argument, NULL, OPT_START_LSN},
		{"end-lsn", required_argument, NULL, OPT_END_LSN},
		{"ack-file", required_argument, NULL, OPT_ACK_FILE},
		{"status-interval", required_argument, NULL, 's'},
		{"heartbeat", required_argument, NULL, OPT_HEARTBEAT},
		{"heartbeat-message", no_argument, NULL, OPT_HEARTBEAT_MESSAGE},
		{"retries", required_argument, NULL, OPT_RETRIES},
		{"fetch-size", required_argument, NULL, OPT_FETCH_SIZE},
		{"streaming", no_argument, NULL, OPT_STREAMING},
		{"signal-table", required_argument, NULL, OPT_SIGNAL_TABLE},
		{"signal-file", required_argument, NULL, OPT_SIGNAL_FILE},
		{"chunk-size", required_argument, NULL, OPT_CHUNK_SIZE},
		{"key-columns", required_argument, NULL, 'k'},
		{"state-file", required_argument, NULL, OPT_STATE_FILE},
		{"metrics-file", required_argument, NULL, OPT_METRICS_FILE},
		{"progress", required_argument, NULL, OPT_PROGRESS},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	static const char *const snapshot_modes[] = {"initial", "never", "initial-only", "incremental",
												 NULL};
	int c;
	int verbose = 0;
	const char *config = NULL;
	char err[256];

	while ((c = getopt_long(argc, argv, "d:c:S:P:t:s:k:vhV", long_options, NULL)) != -1) {
		switch (c) {
			case 'd': o->conninfo = pg_conninfo_take(optarg); break;
			case 'c': config = optarg; break;
			case 'S': o->slot = optarg; break;
			case 'P': o->publication = optarg; break;
			case 't':
				o->tables = xrealloc(o->tables, (size_t) (o->ntables + 1) * sizeof *o->tables);
				o->tables[o->ntables++] = optarg;
				break;
			case OPT_CREATE_SLOT: o->create_slot = true; break;
			case OPT_TEMPORARY_SLOT: o->temporary_slot = true; break;
			case OPT_DROP_SLOT: o->drop_slot = true; break;
			case OPT_SNAPSHOT:
				o->snapshot = (enum snap_mode) opt_choice("--snapshot", optarg, snapshot_modes);
				break;
			case OPT_START_LSN: o->start_lsn = parse_lsn("--start-lsn", optarg); break;
			case OPT_END_LSN:
				if (strcmp(optarg, "now") == 0)
					o->end_now = true;
				else
					o->end_lsn = parse_lsn("--end-lsn", optarg);
				break;
			case OPT_ACK_FILE: o->ack_file = optarg; break;
			case 's':
				o->status_interval_us =
					(int64_t) (opt_double("--status-interval", optarg, 0.01, 3600) * 1e6);
				break;
			case OPT_HEARTBEAT:
				o->heartbeat_us = (int64_t) (opt_double("--heartbeat", optarg, 0, 86400) * 1e6);
				break;
			case OPT_HEARTBEAT_MESSAGE: o->heartbeat_message = true; break;
			case OPT_STREAMING: o->streaming = true; break;
			case OPT_RETRIES: o->retries = (int) opt_int("--retries", optarg, 0, 1000); break;
			case OPT_FETCH_SIZE:
				o->fetch_size = (int) opt_int("--fetch-size", optarg, 1, 1000000);
				break;
			case OPT_METRICS_FILE: o->metrics_file = optarg; break;
			case OPT_SIGNAL_TABLE: o->signal_table = optarg; break;
			case OPT_SIGNAL_FILE: o->signal_file = optarg; break;
			case OPT_STATE_FILE: o->state_file = optarg; break;
			case 'k': o->key_columns = optarg; break;
			case OPT_CHUNK_SIZE:
				o->chunk_size = (int) opt_int("--chunk-size", optarg, 1, 1000000);
				break;
			case OPT_PROGRESS: o->progress = opt_double("--progress", optarg, 0, 86400); break;
			case 'v': verbose++; break;
			case 'h': usage(); opt_exit_printed();
			case 'V': opt_version();
			default: usage_error("invalid option");
		}
	}
	opt_no_operands(argc, argv);
	log_set_verbosity(verbose);
	if (config)
		tail_opts_from_connector(o, config);
	if (o->status_interval_us < 0)
		o->status_interval_us = DEFAULT_STATUS_INTERVAL_US;
	if (o->heartbeat_us < 0)
		o->heartbeat_us = 0;
	if (o->fetch_size < 0)
		o->fetch_size = DEFAULT_FETCH_SIZE;
	if (o->chunk_size < 0)
		o->chunk_size = DEFAULT_CHUNK_SIZE;
	if (o->key_columns && !keycols_parse(&o->keycols, o->key_columns, err, sizeof err))
		usage_error("invalid value for --key-columns: %s", err);
	if (o->slot == NULL)
		usage_error("no slot given: use -S NAME");
	if (o->publication == NULL && !o->drop_slot)
		usage_error("no publication given: use -P NAME");
	if (o->drop_slot && (o->create_slot || o->temporary_slot))
		usage_error("--drop-slot cannot be combined with --create-slot or --temporary-slot");
	if (o->snapshot == SNAP_INCREMENTAL && o->state_file == NULL)
		usage_error("--snapshot incremental needs --state-file FILE");
	if (o->state_file && o->ack_file == NULL)
		usage_error("--state-file needs --ack-file: only downstream's acknowledgements "
					"tell where to resume");
	if (o->heartbeat_message && o->heartbeat_us == 0)
		usage_error("--heartbeat-message needs --heartbeat SECONDS");
}

int
main(int argc, char **argv)
{
	struct tail_opts o = {0};
	struct tail t;
	int status;

	log_init(argv[0]);
	o.snapshot = SNAP_DEFAULT;
	o.status_interval_us = -1; /* unset: the -c file or the default */
	o.heartbeat_us = -1;
	o.retries = DEFAULT_RETRIES;
	o.fetch_size = -1;
	o.chunk_size = -1;
	o.progress = PROGRESS_DEFAULT_INTERVAL;
	parse_args(argc, argv, &o);

	sig_setup();
	tail_init(&t, &o);
	tail_metrics(&t);
	tail_connect(&t);
	if (o.drop_slot) {
		tail_drop_slot(&t);
		status = 0;
	} else {
		tail_setup(&t);
		tail_snapshot(&t);
		status = o.snapshot == SNAP_ONLY ? 0 : tail_stream(&t);
	}
	metrics_close();
	tail_close(&t);
	free(o.tables);
	keycols_free(&o.keycols);
	tail_opts_free_connector(&o);
	return status;
}
