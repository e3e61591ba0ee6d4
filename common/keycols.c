/*
 * keycols.c - message.key.columns; see keycols.h.
 */
#include "keycols.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Adds the comma-separated columns of list to k. */
static void
add_cols(struct keycols *k, char *list)
{
	char *save = NULL, *col;

	for (col = strtok_r(list, ",", &save); col; col = strtok_r(NULL, ",", &save)) {
		col = str_trim(col);
		if (*col == '\0')
			continue;
		k->cols = xrealloc(k->cols, (size_t) (k->ncols + 1) * sizeof *k->cols);
		k->cols[k->ncols++] = xstrdup(col);
	}
}

bool
keycols_parse(struct keycols_list *l, const char *spec, char *errbuf, size_t errsize)
{
	char *copy = xstrdup(spec), *save = NULL, *entry;
	bool ok = true;

	for (entry = strtok_r(copy, ";", &save); ok && entry; entry = strtok_r(NULL, ";", &save)) {
		char *colon;
		struct keycols *k;

		entry = str_trim(entry);
		if (*entry == '\0')
			continue;
		colon = strrchr(entry, ':');
		if (colon == NULL || colon == entry || strchr(entry, '.') == NULL) {
			snprintf(errbuf, errsize, "\"%s\" is not schema.table:column[,column...]", entry);
			ok = false;
			break;
		}
		*colon = '\0';
		l->v = xrealloc(l->v, (size_t) (l->n + 1) * sizeof *l->v);
		k = &l->v[l->n++];
		k->table = xstrdup(str_trim(entry));
		k->cols = NULL;
		k->ncols = 0;
		add_cols(k, colon + 1);
		if (k->ncols == 0) {
			snprintf(errbuf, errsize, "no key columns for \"%s\"", k->table);
			ok = false;
		}
	}
	free(copy);
	return ok;
}

const struct keycols *
keycols_find(const struct keycols_list *l, const char *table)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->v[i].table, table) == 0)
			return &l->v[i];
	return NULL;
}

void
keycols_free(struct keycols_list *l)
{
	for (int i = 0; i < l->n; i++) {
		for (int j = 0; j < l->v[i].ncols; j++)
			free(l->v[i].cols[j]);
		free(l->v[i].cols);
		free(l->v[i].table);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
