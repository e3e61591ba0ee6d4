/*
 * kafkautil.c - configuration passthrough, logging, the start-up broker
 * check and the mapping of Kafka errors to exit statuses.
 */
#include "kafkautil.h"
#include "clock.h"
#include "buf.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

bool
kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *val, char *errbuf,
			   size_t errsize)
{
	char msg[256];

	if (rd_kafka_conf_set(conf, key, val, msg, sizeof msg) != RD_KAFKA_CONF_OK) {
		snprintf(errbuf, errsize, "invalid Kafka property \"%.200s\": %s", key, msg);
		return false;
	}
	return true;
}

bool
kafka_conf_set_kv(rd_kafka_conf_t *conf, const char *kv, char *errbuf, size_t errsize)
{
	const char *eq = strchr(kv, '=');
	char *key;
	bool ok;

	if (eq == NULL || eq == kv) {
		snprintf(errbuf, errsize, "invalid Kafka property \"%s\": expected key=value", kv);
		return false;
	}
	key = xstrndup(kv, (size_t) (eq - kv));
	ok = kafka_conf_set(conf, key, eq + 1, errbuf, errsize);
	free(key);
	return ok;
}

int
kafka_conf_file(rd_kafka_conf_t *conf, const char *path, char *errbuf, size_t errsize)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int lineno = 0;

	if (f == NULL) {
		snprintf(errbuf, errsize, "could not open \"%s\": %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	while (fgets(line, sizeof line, f)) {
		char *s = str_trim(line);
		char msg[512];

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		if (!kafka_conf_set_kv(conf, s, msg, sizeof msg)) {
			snprintf(errbuf, errsize, "%s:%d: %s", path, lineno, msg);
			fclose(f);
			return EX_CONFIG;
		}
	}
	fclose(f);
	return 0;
}

bool
kafka_conf_has_brokers(rd_kafka_conf_t *conf)
{
	char val[1024];
	size_t len = sizeof val;

	if (rd_kafka_conf_get(conf, "bootstrap.servers", val, &len) == RD_KAFKA_CONF_OK &&
		val[0] != '\0')
		return true;
	len = sizeof val;
	return rd_kafka_conf_get(conf, "test.mock.num.brokers", val, &len) == RD_KAFKA_CONF_OK &&
		strcmp(val, "0") != 0;
}

static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	if (level <= 3)
		log_info("kafka: %s: %s", fac, buf);
	else
		log_debug("kafka: %s: %s", fac, buf);
}

/*
 * The last refused login, for kafka_wait_brokers(): librdkafka reports it
 * only to the error callback, which runs in the thread that polls.
 */
static char auth_error[512];

static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION)
		snprintf(auth_error, sizeof auth_error, "%s", reason);
	if (err == RD_KAFKA_RESP_ERR__FATAL)
		log_error("kafka: %s", reason);
	else
		log_info("kafka: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t) err), reason);
}

void
kafka_conf_logging(rd_kafka_conf_t *conf)
{
	rd_kafka_conf_set_log_cb(conf, log_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
}

int
kafka_wait_brokers(rd_kafka_t *rk, int timeout_ms, char *errbuf, size_t errsize)
{
	const struct rd_kafka_metadata *md = NULL;
	int64_t deadline = clock_mono_ms() + timeout_ms;
	rd_kafka_resp_err_t err;

	/*
	 * A metadata request for no topic needs one live broker.  It can fail
	 * early (all brokers down) while the time is not up: ask again.
	 */
	for (;;) {
		int64_t left = deadline - clock_mono_ms();

		/* In slices, so that a refused login ends the wait at once. */
		err = rd_kafka_metadata(rk, 0, NULL, &md, left > 1000 ? 1000 : left > 0 ? (int) left : 1);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			rd_kafka_metadata_destroy(md);
			return 0;
		}
		rd_kafka_poll(rk, 100);
		if (auth_error[0]) {
			snprintf(errbuf, errsize, "Kafka broker refused the login: %s", auth_error);
			return EX_NOPERM;
		}
		if (clock_mono_ms() >= deadline)
			break;
	}
	snprintf(errbuf, errsize, "no Kafka broker reachable within %d ms: %s", timeout_ms,
			 rd_kafka_err2str(err));
	return EX_TEMPFAIL;
}

int
kafka_err_status(rd_kafka_resp_err_t err)
{
	switch (err) {
		case RD_KAFKA_RESP_ERR__TRANSPORT:
		case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
		case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
		case RD_KAFKA_RESP_ERR__TIMED_OUT:
		case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
		case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
		case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
		case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
		case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
		case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
		case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
		case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
		case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
		case RD_KAFKA_RESP_ERR__FATAL:
		case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
		case RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID:
		case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
		case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT: return EX_TEMPFAIL;
		case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
		case RD_KAFKA_RESP_ERR_INVALID_RECORD:
		case RD_KAFKA_RESP_ERR_INVALID_MSG:
		case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
		case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS: return EX_DATAERR;
		case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
		case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
		case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
		case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
		case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
		case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
		case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
		case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
		case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
		case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
		case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
		case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
		case RD_KAFKA_RESP_ERR_POLICY_VIOLATION: return EX_UNAVAILABLE;
		case RD_KAFKA_RESP_ERR__AUTHENTICATION:
		case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED: return EX_NOPERM;
		default: return EX_SOFTWARE;
	}
}

rd_kafka_conf_t *
kafka_conf_new(const char *const (*defaults)[2], size_t n)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errbuf[1024];
	size_t i;

	for (i = 0; i < n; i++)
		if (!kafka_conf_set(conf, defaults[i][0], defaults[i][1], errbuf, sizeof errbuf))
			fatal(EX_SOFTWARE, "%s", errbuf);
	kafka_conf_logging(conf);
	return conf;
}

/*
 * Overwrites the value of a -X secret (sasl.password, ssl.key.password,
 * sasl.oauthbearer.client.secret, the private key ssl.key.pem, and
 * sasl.oauthbearer.config, which may hold a client secret) with 'x's
 * once librdkafka has a copy, so that ps and /proc/PID/cmdline do not
 * show it.
 */
static void
hide_secret(char *kv)
{
	char *eq = strchr(kv, '=');
	size_t n = eq ? (size_t) (eq - kv) : 0;

	if (eq &&
		((n >= 8 && memcmp(eq - 8, "password", 8) == 0) ||
		 (n >= 6 && memcmp(eq - 6, "secret", 6) == 0) ||
		 (n == 11 && memcmp(kv, "ssl.key.pem", 11) == 0) ||
		 (n == 23 && memcmp(kv, "sasl.oauthbearer.config", 23) == 0)))
		memset(eq + 1, 'x', strlen(eq + 1));
}

bool
kafka_conf_option(rd_kafka_conf_t *conf, int opt, char *arg)
{
	char errbuf[1024];
	int status;

	switch (opt) {
		case 'b':
			if (!kafka_conf_set(conf, "bootstrap.servers", arg, errbuf, sizeof errbuf))
				usage_error("%s", errbuf);
			return true;
		case 'X':
			if (!kafka_conf_set_kv(conf, arg, errbuf, sizeof errbuf))
				usage_error("%s", errbuf);
			hide_secret(arg);
			return true;
		case 'F':
			if ((status = kafka_conf_file(conf, arg, errbuf, sizeof errbuf)) != 0)
				fatal(status, "%s", errbuf);
			return true;
		default: return false;
	}
}
