/*
 * types.h - what a change line says about a column's type (pg-wal-tail(1),
 * "CHANGE LINES": type, domain, enum), from the type's OID, resolved so
 * that DDL run after a change cannot alter how the change is described.
 *
 * Built-in types (OIDs below 10000, which PostgreSQL never reassigns) come
 * from a table compiled in.  Any other type is read from the catalog once,
 * when first seen, and the answer is kept for the life of the process; a
 * pgoutput Type message, which names a type as it was at that point of the
 * WAL, renames the entry.  Enum labels and domains are as the catalog had
 * them when the type was first seen.  A type already dropped when first seen keeps the
 * name its Type message gave, and its values are written as text.
 */
#ifndef PGWT_TYPES_H
#define PGWT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* Built-in type OIDs whose values become JSON literals (format.c). */
#define BOOLOID 16
#define INT8OID 20
#define INT2OID 21
#define INT4OID 23
#define OIDOID 26
#define FLOAT4OID 700
#define FLOAT8OID 701

struct pgtype {
	uint32_t oid;
	char *name;			 /* pg_type.typname; for a domain its base type's */
	char *domain;		 /* the domain's name, or NULL */
	char *enum_json;	 /* enum labels as a compact JSON array, or NULL */
	uint32_t basetype;	 /* the OID under any domains, else oid */
	struct pgtype *next; /* hash chain */
};

/* Types by OID, owning them.  Zeroed memory is an empty cache. */
struct typecache {
	struct pgtype *slots[64];
};

/* The name of built-in type oid, or NULL if oid is not one. */
const char *type_builtin_name(uint32_t oid);

/*
 * The type with OID oid, read from the catalog on conn if not known yet.
 * Returns NULL only if the catalog could not be read, with errbuf filled
 * and sqlstate (6 bytes) set to the error's SQLSTATE or "".
 */
const struct pgtype *types_get(struct typecache *c, PGconn *conn, uint32_t oid, char *errbuf,
							   size_t errsize, char *sqlstate);

/*
 * A Type message: the type oid was named name at this point of the WAL
 * (for a domain, name is its base type's, as pgoutput sends it).
 * Resolves the type as types_get() does, then takes the name.  Returns
 * false as types_get() does.
 */
bool types_seen(struct typecache *c, PGconn *conn, uint32_t oid, const char *name, size_t namelen,
				char *errbuf, size_t errsize, char *sqlstate);

void types_free(struct typecache *c);

#endif
