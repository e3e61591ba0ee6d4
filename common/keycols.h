/*
 * keycols.h - Debezium's message.key.columns: the columns that stand for
 * a table's key, "schema.table:c1,c2;schema.table2:c3".  cdc-envelope -k
 * keys its records by them; pg-wal-tail -k reads incremental snapshots in
 * chunks of them.  This module owns the spec's syntax and how a table
 * finds its entry (its schema.table name, exactly).
 */
#ifndef WALPIPE_KEYCOLS_H
#define WALPIPE_KEYCOLS_H

#include <stdbool.h>
#include <stddef.h>

/* One table ("schema.table") and its key columns, in key order. */
struct keycols {
	char *table;
	char **cols;
	int ncols;
};

struct keycols_list {
	struct keycols *v;
	int n;
};

/*
 * Appends the entries of spec to l.  False, with errbuf, for an entry
 * that is not schema.table:column[,column...]; l keeps what came before.
 */
bool keycols_parse(struct keycols_list *l, const char *spec, char *errbuf, size_t errsize);
/* The entry of table ("schema.table"), or NULL. */
const struct keycols *keycols_find(const struct keycols_list *l, const char *table);
void keycols_free(struct keycols_list *l);

#endif
