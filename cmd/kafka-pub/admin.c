/*
 * admin.c - topic creation and deletion through the Admin API, for what
 * the reference scenario does with kafka-topics.sh.
 */
#include "pub.h"
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "kafkautil.h"
#include "log.h"

/* Waits for the admin result event of type want; NULL after timeout. */
static rd_kafka_event_t *
wait_result(rd_kafka_queue_t *q, rd_kafka_event_type_t want, int timeout_ms)
{
	int64_t deadline = clock_mono_ms() + timeout_ms + 1000;

	while (clock_mono_ms() < deadline) {
		rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);

		if (ev == NULL)
			continue;
		if (rd_kafka_event_type(ev) == want)
			return ev;
		rd_kafka_event_destroy(ev);
	}
	return NULL;
}

/* Checks the per-topic results; returns an exit status. */
static int
check_results(const rd_kafka_topic_result_t **res, size_t n, const char *what)
{
	size_t i;
	int status = 0;

	for (i = 0; i < n; i++) {
		rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
		const char *msg = rd_kafka_topic_result_error_string(res[i]);

		if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
			continue;
		log_error("could not %s topic \"%s\": %s", what, rd_kafka_topic_result_name(res[i]),
				  msg ? msg : rd_kafka_err2str(err));
		status = kafka_err_status(err);
	}
	return status;
}

static int
event_status(rd_kafka_event_t *ev, const char *what, const char *name)
{
	if (ev == NULL) {
		log_error("could not %s topic \"%s\": no answer from the cluster", what, name);
		return EX_TEMPFAIL;
	}
	if (rd_kafka_event_error(ev)) {
		log_error("could not %s topic \"%s\": %s", what, name, rd_kafka_event_error_string(ev));
		return kafka_err_status(rd_kafka_event_error(ev));
	}
	return 0;
}

/* Options for one admin request that gives up after timeout_ms. */
static rd_kafka_AdminOptions_t *
admin_options(rd_kafka_t *rk, rd_kafka_admin_op_t op, int timeout_ms)
{
	rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, op);
	char errstr[512];

	/* Only out-of-range timeouts fail here; ours are range-checked options. */
	rd_kafka_AdminOptions_set_operation_timeout(opt, timeout_ms, errstr, sizeof errstr);
	rd_kafka_AdminOptions_set_request_timeout(opt, timeout_ms, errstr, sizeof errstr);
	return opt;
}

int
admin_create_topic(rd_kafka_t *rk, const char *name, int partitions, int replication,
				   char **configs, int nconfigs, int timeout_ms)
{
	char errstr[512];
	rd_kafka_NewTopic_t *nt;
	rd_kafka_AdminOptions_t *opt;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	int i, status;

	nt = rd_kafka_NewTopic_new(name, partitions, replication, errstr, sizeof errstr);
	if (nt == NULL) {
		log_error("could not create topic \"%s\": %s", name, errstr);
		rd_kafka_queue_destroy(q);
		return EX_USAGE;
	}
	for (i = 0; i < nconfigs; i++) {
		char *eq = strchr(configs[i], '=');

		*eq = '\0';
		rd_kafka_NewTopic_set_config(nt, configs[i], eq + 1);
		*eq = '=';
	}
	opt = admin_options(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms);
	rd_kafka_CreateTopics(rk, &nt, 1, opt, q);
	ev = wait_result(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT, timeout_ms);
	status = event_status(ev, "create", name);
	if (status == 0) {
		size_t n;
		const rd_kafka_topic_result_t **res =
			rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);

		status = check_results(res, n, "create");
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	return status;
}

int
admin_delete_topic(rd_kafka_t *rk, const char *name, int timeout_ms)
{
	rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(name);
	rd_kafka_AdminOptions_t *opt;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_event_t *ev;
	int status;

	opt = admin_options(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout_ms);
	rd_kafka_DeleteTopics(rk, &dt, 1, opt, q);
	ev = wait_result(q, RD_KAFKA_EVENT_DELETETOPICS_RESULT, timeout_ms);
	status = event_status(ev, "delete", name);
	if (status == 0) {
		size_t n;
		const rd_kafka_topic_result_t **res =
			rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);

		status = check_results(res, n, "delete");
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_DeleteTopic_destroy(dt);
	rd_kafka_queue_destroy(q);
	return status;
}
