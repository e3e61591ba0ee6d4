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
	int			i,
				n = 0;

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
	int			i,
				n = 0;

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
	int			i;

	for (i = 0; i < sh->nkeys; i++) {
		buf_puts(q, i ? " AND " : " WHERE ");
		buf_printf(q, "%s.", l);
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
		buf_printf(q, "=%s.", r);
		quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
	}
}

/* Single statements */

/*
 * The statement for one op in a->sql, its parameters in params (room for
 * shape->ncols); returns the number of parameters, or -1 if there is
 * nothing to do.
 */
int
build_one(struct applier *a, struct batch *b, const struct op *op, const char **params)
{
	const struct shape *sh = op->shape;
	const struct val *v = &b->vals[op->vals];
	struct buf *q = &a->sql;
	int			n = 0,
				i;

	buf_reset(q);
	if (op->kind == OPK_TRUNCATE) {
		if (!op->table->exists)
			return -1;			/* nothing to empty */
		buf_printf(q, "TRUNCATE TABLE %s", op->table->qname);
		return 0;
	}
	if (op->kind == OPK_DELETE) {
		buf_printf(q, "DELETE FROM %s", op->table->qname);
		for (i = 0; i < sh->nkeys; i++) {
			buf_puts(q, i ? " AND " : " WHERE ");
			quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
			buf_printf(q, "=$%d", ++n);
			params[n - 1] = v[i].len >= 0 ? b->data.data + v[i].off : NULL;
		}
	} else if (a->s->insert_mode == INSERT_UPDATE) {
		buf_printf(q, "UPDATE %s", op->table->qname);
		for (i = sh->nkeys; i < sh->ncols; i++) {
			if (v[i].len == VAL_UNAVAILABLE)
				continue;
			buf_puts(q, n ? "," : " SET ");
			quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
			buf_printf(q, "=$%d", ++n);
			params[n - 1] = v[i].len >= 0 ? b->data.data + v[i].off : NULL;
		}
		if (n == 0)
			return -1;			/* nothing to change */
		for (i = 0; i < sh->nkeys; i++) {
			buf_puts(q, i ? " AND " : " WHERE ");
			quote_ident(q, sh->cols[i].name, sh->cols[i].namelen);
			buf_printf(q, "=$%d", ++n);
			params[n - 1] = v[i].len >= 0 ? b->data.data + v[i].off : NULL;
		}
	} else {
		buf_printf(q, "INSERT INTO %s (", op->table->qname);
		put_cols(q, sh, 0, sh->ncols, "", v);
		buf_puts(q, ") VALUES (");
		for (i = 0; i < sh->ncols; i++) {
			if (v[i].len == VAL_UNAVAILABLE)
				continue;
			buf_printf(q, n ? ",$%d" : "$%d", n + 1);
			params[n++] = v[i].len >= 0 ? b->data.data + v[i].off : NULL;
		}
		buf_putc(q, ')');
		if (a->s->insert_mode == INSERT_UPSERT) {
			buf_puts(q, " ON CONFLICT (");
			put_cols(q, sh, 0, sh->nkeys, "", NULL);
			buf_puts(q, ") DO ");
			buf_puts(q, "UPDATE");
			if (!put_set(q, sh, "EXCLUDED", v)) {
				q->len -= 6;
				buf_puts(q, "NOTHING");
			}
		}
	}
	buf_cstr(q);
	return n;
}

bool
exec_one(struct applier *a, struct batch *b, const struct op *op, char *errbuf, size_t errsize)
{
	const char **params = xmalloc((size_t) (op->shape ? op->shape->ncols : 0) * sizeof *params + 1);
	int			n = build_one(a, b, op, params);
	bool		ok = n < 0 || run_params(a, a->sql.data, n, params, errbuf, errsize);

	free(params);
	return ok;
}
