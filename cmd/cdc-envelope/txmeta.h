/*
 * txmeta.h - transaction metadata (provide.transaction.metadata): the
 * BEGIN and END records on <prefix>.transaction, the per-table counts,
 * and the transaction ids of the events.
 */
#ifndef CDC_ENVELOPE_TXMETA_H
#define CDC_ENVELOPE_TXMETA_H

#include "change.h"
#include "state.h"

/*
 * Counts one data event of table t, writing the BEGIN record first when
 * it opens a transaction: *total and *coll_order get its orders.
 */
void tx_event(struct env *e, struct table *t, const struct change *ch, int64_t *total,
			  int64_t *coll_order, struct buf *out);

/* Appends the quoted transaction id at lsn: "xid:LSN". */
void put_tx_id(struct env *e, uint64_t lsn, struct buf *out);

#endif
