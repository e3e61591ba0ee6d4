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

/*
 * Describes relation oid.  With m (a decoded Relation message) the
 * columns are the message's, enriched by the catalog; without it they are
 * the table's published columns (not dropped, not generated), for the
 * snapshot.  Returns a new rel, or NULL with errbuf filled (*sqlstate
 * points into a static copy of the error's SQLSTATE, "" if none).
 */
struct rel *catalog_rel(PGconn *conn, uint32_t oid, const struct pgo_msg *m,
						char *errbuf, size_t errsize, char *sqlstate);

#endif
