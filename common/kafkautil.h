/*
 * kafkautil.h - thin librdkafka helpers shared by kafka-pub and kafka-sub:
 * -X key=value and -F file configuration, kcat-style; logging through the
 * walpipe logger; waiting for a broker; Kafka errors as exit statuses.
 *
 * Errors come back in errbuf, except in the two functions that set up a
 * command and exit on failure, as their comments say: kafka_conf_new()
 * and kafka_conf_option().
 */
#ifndef WALPIPE_KAFKAUTIL_H
#define WALPIPE_KAFKAUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

/* Sets one property; "topic." prefixed keys go to the default topic conf. */
bool kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *val, char *errbuf,
					size_t errsize);

/* Parses "key=value" and sets it. */
bool kafka_conf_set_kv(rd_kafka_conf_t *conf, const char *kv, char *errbuf, size_t errsize);

/*
 * Reads a Java-style properties file (key=value, '#' comments).  Returns
 * 0, or with errbuf filled EX_NOINPUT if the file cannot be read and
 * EX_CONFIG for a property librdkafka refuses (as for a connector file).
 */
int kafka_conf_file(rd_kafka_conf_t *conf, const char *path, char *errbuf, size_t errsize);

/*
 * A new configuration holding the command's defaults (n key/value pairs),
 * with librdkafka's messages sent through the logger.  Exits EX_SOFTWARE
 * if librdkafka refuses a default: that is a bug, not a user's mistake.
 */
rd_kafka_conf_t *kafka_conf_new(const char *const (*defaults)[2], size_t n);

/*
 * The command-line options every Kafka command shares: -b BROKERS,
 * -X key=value and -F FILE.  Returns false if opt is none of them.  Like
 * any option parser here, it exits on a bad value: EX_USAGE, or
 * kafka_conf_file()'s status for -F.
 */
bool kafka_conf_option(rd_kafka_conf_t *conf, int opt, char *arg);

/* True if conf names brokers (bootstrap.servers) or a mock cluster. */
bool kafka_conf_has_brokers(rd_kafka_conf_t *conf);

/*
 * Routes librdkafka's log lines and (non-fatal) errors to the walpipe
 * logger at info level, so that a broker restart does not flood stderr
 * unless -v is given; fatal errors are logged as errors.
 */
void kafka_conf_logging(rd_kafka_conf_t *conf);

/*
 * Waits up to timeout_ms for broker metadata (the cluster is reachable).
 * Returns 0, or with errbuf filled EX_NOPERM as soon as a broker refuses
 * the login (SASL), EX_TEMPFAIL when the time is up.  Needs the logging
 * of kafka_conf_logging(), whose error callback notes a refused login.
 */
int kafka_wait_brokers(rd_kafka_t *rk, int timeout_ms, char *errbuf, size_t errsize);

/*
 * The sysexits.h status for a Kafka error: EX_TEMPFAIL for transport and
 * time-outs, EX_DATAERR for a record the broker refuses, EX_UNAVAILABLE
 * for unknown topics and authorization, EX_NOPERM for a refused login
 * (SASL authentication), EX_SOFTWARE otherwise.
 */
int kafka_err_status(rd_kafka_resp_err_t err);

#endif
