/*
 * kafkautil.h - thin librdkafka helpers shared by kafka-pub and kafka-sub:
 * -X key=value and -F file configuration, kcat-style.
 *
 * Nothing here exits; errors come back in errbuf.
 */
#ifndef WALPIPE_KAFKAUTIL_H
#define WALPIPE_KAFKAUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <librdkafka/rdkafka.h>

/* Sets one property; "topic." prefixed keys go to the default topic conf. */
bool		kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *val,
						   char *errbuf, size_t errsize);

/* Parses "key=value" and sets it. */
bool		kafka_conf_set_kv(rd_kafka_conf_t *conf, const char *kv,
							  char *errbuf, size_t errsize);

/* Reads a Java-style properties file (key=value, '#' comments). */
bool		kafka_conf_file(rd_kafka_conf_t *conf, const char *path,
							char *errbuf, size_t errsize);

#endif
