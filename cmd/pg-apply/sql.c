/*
 * sql.c - the text of the statements for single changes, and the column
 * lists, SET lists and key matches the bulk statements are built from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applier.h"

/* SQL text pieces */

void
put_cols(struct buf *q, const struct shape *sh, int from, int to, const char *prefix,
		 const struct val *v)
{
	int i, n = 0;

	for (i = from; i < to; i++) {
		if (v && v[i].len == VAL_UNAVAILABLE)
			continue;
		if (n++)
			buf_putc(q, ',');
		buf_puts(q, prefix);
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
	}
}

/* "SET a=EXCLUDED.a,b=EXCLUDED.b" over the non-key columns; false if none. */
bool
put_set(struct buf *q, const struct shape *sh, const char *src, const struct val *v)
{
	int i, n = 0;

	for (i = sh->nkeys; i < sh->ncols; i++) {
		if (v && v[i].len == VAL_UNAVAILABLE)
			continue;
		buf_puts(q, n++ ? "," : " SET ");
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
		buf_printf(q, "=%s.", src);
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
	}
	return n > 0;
}

void
put_key_match(struct buf *q, const struct shape *sh, const char *l, const char *r)
{
	int i;

	for (i = 0; i < sh->nkeys; i++) {
		buf_puts(q, i ? " AND " : " WHERE ");
		buf_printf(q, "%s.", l);
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
		buf_printf(q, "=%s.", r);
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
	}
}

/*
 * "MERGE INTO target AS d USING src AS s ON keys WHEN MATCHED THEN UPDATE
 * SET ... WHEN NOT MATCHED THEN INSERT ...": an upsert without the
 * speculative insertion and row lock of ON CONFLICT.
 */
void
put_merge(struct buf *q, const char *target, const struct shape *sh, const char *src)
{
	int i;

	buf_printf(q, "MERGE INTO %s AS d USING %s AS s ON ", target, src);
	for (i = 0; i < sh->nkeys; i++) {
		buf_puts(q, i ? " AND d." : "d.");
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
		buf_puts(q, "=s.");
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
	}
	buf_puts(q, " WHEN MATCHED THEN UPDATE");
	if (!put_set(q, sh, "s", NULL))
		q->len -= strlen(" WHEN MATCHED THEN UPDATE");
	buf_puts(q, " WHEN NOT MATCHED THEN INSERT (");
	put_cols(q, sh, 0, sh->ncols, "", NULL);
	buf_puts(q, ") VALUES (");
	put_cols(q, sh, 0, sh->ncols, "s.", NULL);
	buf_putc(q, ')');
}

/* Single statements */

/* The parameter for value v: its text, or NULL for SQL NULL. */
static inline const char *
param(const struct batch *b, const struct val *v)
{
	return v->len >= 0 ? b->data.data + v->off : NULL;
}

/* " WHERE k=$N AND ..." over the key columns, their values after the n params; the new n. */
static int
put_key_params(struct buf *q, const struct shape *sh, const struct batch *b, const struct val *v,
			   const char **params, int n)
{
	int i;

	for (i = 0; i < sh->nkeys; i++) {
		buf_puts(q, i ? " AND " : " WHERE ");
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
		buf_printf(q, "=$%d", ++n);
		params[n - 1] = param(b, &v[i]);
	}
	return n;
}

void
put_on_conflict(struct buf *q, const struct shape *sh, const struct val *v)
{
	buf_puts(q, " ON CONFLICT (");
	put_cols(q, sh, 0, sh->nkeys, "", NULL);
	buf_puts(q, ") DO UPDATE");
	if (!put_set(q, sh, "EXCLUDED", v)) {
		q->len -= strlen("UPDATE");
		buf_puts(q, "NOTHING");
	}
}

static int
build_update(struct buf *q, const struct op *op, const struct batch *b, const struct val *v,
			 const char **params)
{
	const struct shape *sh = op->shape;
	int n = 0, i;

	buf_printf(q, "UPDATE %s", op->table->qname);
	for (i = sh->nkeys; i < sh->ncols; i++) {
		if (v[i].len == VAL_UNAVAILABLE)
			continue;
		buf_puts(q, n ? "," : " SET ");
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
		buf_printf(q, "=$%d", ++n);
		params[n - 1] = param(b, &v[i]);
	}
	if (n == 0)
		return -1; /* nothing to change */
	return put_key_params(q, sh, b, v, params, n);
}

static int
build_insert(struct buf *q, const struct op *op, const struct batch *b, const struct val *v,
			 const char **params, bool upsert)
{
	const struct shape *sh = op->shape;
	int n = 0, i;

	buf_printf(q, "INSERT INTO %s (", op->table->qname);
	put_cols(q, sh, 0, sh->ncols, "", v);
	buf_puts(q, ") VALUES (");
	for (i = 0; i < sh->ncols; i++) {
		if (v[i].len == VAL_UNAVAILABLE)
			continue;
		buf_printf(q, n ? ",$%d" : "$%d", n + 1);
		params[n++] = param(b, &v[i]);
	}
	buf_putc(q, ')');
	if (upsert)
		put_on_conflict(q, sh, v);
	return n;
}

/*
 * The statement for one op in a->sql, its parameters in params (room for
 * shape->ncols); returns the number of parameters, or -1 if there is
 * nothing to do.
 */
int
build_one(struct applier *a, struct batch *b, const struct op *op, const char **params)
{
	const struct val *v = &b->vals[op->vals];
	struct buf *q = &a->sql;
	int n;

	buf_reset(q);
	if (op->kind == OPK_TRUNCATE) {
		if (!op->table->exists)
			return -1; /* nothing to empty */
		buf_printf(q, "TRUNCATE TABLE %s", op->table->qname);
		n = 0;
	} else if (op->kind == OPK_DELETE) {
		buf_printf(q, "DELETE FROM %s", op->table->qname);
		n = put_key_params(q, op->shape, b, v, params, 0);
	} else if (a->s->insert_mode == INSERT_UPDATE)
		n = build_update(q, op, b, v, params);
	else
		n = build_insert(q, op, b, v, params, a->s->insert_mode == INSERT_UPSERT);
	buf_cstr(q);
	return n;
}

bool
exec_one(struct applier *a, struct batch *b, const struct op *op, char *errbuf, size_t errsize)
{
	const char **params = xmalloc((size_t) (op->shape ? op->shape->ncols : 0) * sizeof *params + 1);
	int n = build_one(a, b, op, params);
	bool ok = n < 0 || run_params(a, a->sql.data, n, params, errbuf, errsize);

	free(params);
	return ok;
}
