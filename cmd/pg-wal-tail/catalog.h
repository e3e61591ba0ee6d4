/*
 * catalog.h - relation descriptions from the system catalog, on the
 * ordinary (non-replication) connection.
 */
#ifndef PGWT_CATALOG_H
#define PGWT_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "decode.h"
#include "format.h"
#include "types.h"

/*
 * Describes relation oid.  With m (a decoded Relation message) the
 * columns, their names, types, typmods and key flags are the message's,
 * as at that point of the WAL; the catalog adds NOT NULL, defaults,
 * primary-key ordinals and comments to the columns it still has unchanged.
 * Without m they are the table's published columns (not dropped, not
 * generated), for the snapshot.  Types resolve through types.  Returns a
 * new rel, or NULL with errbuf filled and sqlstate (6 bytes) set to the
 * error's SQLSTATE, "" if none.
 */
struct rel *catalog_rel(PGconn *conn, struct typecache *types, uint32_t oid,
						const struct pgo_msg *m, char *errbuf, size_t errsize, char *sqlstate);

#endif
