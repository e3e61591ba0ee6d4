/*
 * convert.h - pg-apply's side of the Connect vocabulary (dbzvocab.h): the
 * Connect schema of a field turned into the PostgreSQL column type that
 * holds it, and a Connect value into that type's text input form.  The
 * mapping follows the Debezium JDBC sink's PostgreSQL dialect except where
 * that loses information (see pg-apply(1), TYPES).  Nothing here exits or
 * logs; errors are returned in the caller's errbuf.
 */
#ifndef PGAPPLY_CONVERT_H
#define PGAPPLY_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"

enum ckind {
	CK_BOOL,
	CK_INT,
	CK_FLOAT,
	CK_STRING,
	CK_BYTES,
	CK_DECIMAL,
	CK_VSDECIMAL,
	CK_DATE,
	CK_TIME_MS,
	CK_TIME_US,
	CK_TIME_NS,
	CK_TS_MS,
	CK_TS_US,
	CK_TS_NS,
	CK_DURATION_US,
	CK_BITS,
	CK_POINT,
	CK_GEOMETRY,
	CK_ARRAY,
	CK_JSON,
	CK_ISO_TS
};

struct ctype {
	enum ckind kind;
	int scale;			/* Decimal */
	int precision;		/* Decimal; 0 = not given */
	long bits;			/* Bits length */
	char pgtype[48];	/* the column type pg-apply creates */
	struct ctype *elem; /* arrays: the element type (owned) */
};

enum conv_result { CONV_OK, CONV_NULL, CONV_UNAVAILABLE, CONV_ERROR };

/*
 * Reads the Connect schema of one field (a validated object slice) into
 * t.  false with errbuf filled if the type is unknown or malformed.
 */
bool ctype_parse(struct json_slice schema, struct ctype *t, char *errbuf, size_t errsize);
void ctype_free(struct ctype *t);

/*
 * Appends the PostgreSQL text input form of the JSON value v of type t to
 * out.  CONV_NULL and CONV_UNAVAILABLE append nothing; CONV_ERROR fills
 * errbuf.
 */
enum conv_result conv_value(const struct ctype *t, struct json_slice v, struct buf *out,
							char *errbuf, size_t errsize);

/* Decimal: the two's complement big-endian unscaled value at scale, as text. */
bool decimal_from_bytes(const unsigned char *p, size_t n, int scale, struct buf *out);
/* COPY text format escaping of one field. */
void copy_escape(struct buf *out, const char *p, size_t n);

/*
 * convtime.c: conv_value() of the dates, times, timestamps and durations;
 * CONV_ERROR with what was expected instead in *what.
 */
enum conv_result conv_temporal(const struct ctype *t, struct json_slice v, struct buf *out,
							   const char **what);
/*
 * Days since 1970-01-01, microseconds since midnight and since the epoch
 * in PostgreSQL's input form, years before 1 AD as "N BC".
 */
void date_from_days(int64_t days, struct buf *out);
void time_from_us(int64_t us, struct buf *out);
void timestamp_from_us(int64_t us, struct buf *out);

#endif
