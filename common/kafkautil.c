/*
 * kafkautil.c - configuration passthrough.
 */
#include "kafkautil.h"
#include "buf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *val,
			   char *errbuf, size_t errsize)
{
	char		msg[512];

	if (rd_kafka_conf_set(conf, key, val, msg, sizeof msg) != RD_KAFKA_CONF_OK) {
		snprintf(errbuf, errsize, "invalid Kafka property \"%s\": %s", key, msg);
		return false;
	}
	return true;
}

bool
kafka_conf_set_kv(rd_kafka_conf_t *conf, const char *kv, char *errbuf, size_t errsize)
{
	const char *eq = strchr(kv, '=');
	char	   *key;
	bool		ok;

	if (eq == NULL || eq == kv) {
		snprintf(errbuf, errsize, "invalid Kafka property \"%s\": expected key=value", kv);
		return false;
	}
	key = xstrndup(kv, (size_t) (eq - kv));
	ok = kafka_conf_set(conf, key, eq + 1, errbuf, errsize);
	free(key);
	return ok;
}

static char *
trim(char *s)
{
	char	   *e;

	while (isspace((unsigned char) *s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char) e[-1]))
		*--e = '\0';
	return s;
}

bool
kafka_conf_file(rd_kafka_conf_t *conf, const char *path, char *errbuf, size_t errsize)
{
	FILE	   *f = fopen(path, "r");
	char		line[4096];
	int			lineno = 0;

	if (f == NULL) {
		snprintf(errbuf, errsize, "could not open \"%s\": %s", path, strerror(errno));
		return false;
	}
	while (fgets(line, sizeof line, f)) {
		char	   *s = trim(line);
		char		msg[512];

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		if (!kafka_conf_set_kv(conf, s, msg, sizeof msg)) {
			snprintf(errbuf, errsize, "%s:%d: %s", path, lineno, msg);
			fclose(f);
			return false;
		}
	}
	fclose(f);
	return true;
}
