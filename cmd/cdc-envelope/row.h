/*
 * row.h - the values of one row as Debezium writes them: the members of a
 * row object matched to the table's columns, each value converted (or its
 * default, its TOAST placeholder, its mask), the key's values and the
 * unsupported values Debezium writes as null.
 */
#ifndef CDC_ENVELOPE_ROW_H
#define CDC_ENVELOPE_ROW_H

#include "state.h"

/* The text of a string or number slice; escaped strings are decoded into e->scratch. */
void slice_text(struct env *e, struct json_slice v, const char **s, size_t *n);

/*
 * Matches the members of a row object to the table's columns: vals[i] is
 * column i's value, n == 0 when absent.  False with the message reported.
 */
bool index_row(struct env *e, const struct table *t, struct json_slice row, const char *what,
			   struct json_slice *vals);

/*
 * Appends the row payload of vals (NULL: null), with "__deleted" when
 * deleted is not NULL.  False with the message reported.
 */
bool put_row(struct env *e, const struct table *t, const struct json_slice *vals,
			 const char *deleted, struct buf *out);
/* The key payload (the key columns of vals), then the whole key with its schema. */
bool put_key_payload(struct env *e, const struct table *t, const struct json_slice *vals,
					 struct buf *out);
bool put_key(struct env *e, const struct table *t, const struct json_slice *vals, struct buf *out);

/* The unavailable.value.placeholder of col, for an unchanged TOASTed value. */
void put_toast(const struct col *col, struct buf *out);

/* True if the key columns of two indexed rows hold different values. */
bool key_changed(const struct table *t, const struct json_slice *a, const struct json_slice *b);

#endif
