/*
 * pg-wal-tail.c - unit tests for pg-wal-tail's pure parts: the pgoutput
 * decoder, value conversion and change lines, the confirm queue, the
 * built-in types.
 */
#include <stdlib.h>
#include <string.h>

#include "../../cmd/pg-wal-tail/ackq.h"
#include "buf.h"
#include "../../cmd/pg-wal-tail/decode.h"
#include "../../cmd/pg-wal-tail/format.h"
#include "../../cmd/pg-wal-tail/keyset.h"
#include "../../cmd/pg-wal-tail/spill.h"
#include "../../cmd/pg-wal-tail/types.h"
#include "tap.h"

/* A message under construction, big-endian like the wire. */
struct msg {
	unsigned char b[4096];
	size_t n;
};

static void
u8(struct msg *m, unsigned v)
{
	m->b[m->n++] = (unsigned char) v;
}

static void
u16(struct msg *m, unsigned v)
{
	u8(m, v >> 8);
	u8(m, v);
}

static void
u32(struct msg *m, uint32_t v)
{
	u16(m, v >> 16);
	u16(m, v & 0xffff);
}

static void
u64(struct msg *m, uint64_t v)
{
	u32(m, (uint32_t) (v >> 32));
	u32(m, (uint32_t) v);
}

static void
str(struct msg *m, const char *s)
{
	memcpy(m->b + m->n, s, strlen(s) + 1);
	m->n += strlen(s) + 1;
}

static void
text(struct msg *m, const char *s)
{
	u8(m, 't');
	u32(m, (uint32_t) strlen(s));
	memcpy(m->b + m->n, s, strlen(s));
	m->n += strlen(s);
}

static void
relation_msg(struct msg *m)
{
	m->n = 0;
	u8(m, 'R');
	u32(m, 16385);
	str(m, "public");
	str(m, "source_table");
	u8(m, 'd');
	u16(m, 2);
	u8(m, 1);
	str(m, "id");
	u32(m, 23);
	u32(m, (uint32_t) -1);
	u8(m, 0);
	str(m, "name");
	u32(m, 1043);
	u32(m, 14);
}

static void
test_decode(void)
{
	struct pgo_msg d;
	struct msg m = {{0}, 0};
	char err[256];
	size_t full, cut;
	bool all_fail = true;

	pgo_msg_init(&d);

	u8(&m, 'B');
	u64(&m, 0x16B3748);
	u64(&m, 1000);
	u32(&m, 780);
	ok(pgo_decode(m.b, m.n, false, &d, err, sizeof err) && d.type == PGO_BEGIN &&
		   d.lsn == 0x16B3748 && d.ts == 1000 && d.xid == 780,
	   "Begin");

	m.n = 0;
	u8(&m, 'C');
	u8(&m, 0);
	u64(&m, 0x16B3748);
	u64(&m, 0x16B3778);
	u64(&m, 1000);
	ok(pgo_decode(m.b, m.n, false, &d, err, sizeof err) && d.type == PGO_COMMIT &&
		   d.lsn == 0x16B3748 && d.end_lsn == 0x16B3778,
	   "Commit");

	relation_msg(&m);
	ok(pgo_decode(m.b, m.n, false, &d, err, sizeof err) && d.type == PGO_RELATION &&
		   d.relid == 16385 && d.ncols == 2 && d.cols[0].flags == 1 && d.cols[1].typoid == 1043 &&
		   d.cols[1].typmod == 14 && d.relname.n == 12 &&
		   memcmp(d.relname.p, "source_table", 12) == 0,
	   "Relation");

	/* Every strict prefix of a valid message is an error, never a crash. */
	full = m.n;
	for (cut = 0; cut < full; cut++)
		if (pgo_decode(m.b, cut, false, &d, err, sizeof err))
			all_fail = false;
	ok(all_fail, "every truncation of a Relation message is rejected");
	ok(strstr(err, "malformed pgoutput Relation message") != NULL, "error names the message: %s",
	   err);

	m.n = 0;
	u8(&m, 'U');
	u32(&m, 16385);
	u8(&m, 'O');
	u16(&m, 2);
	text(&m, "2");
	u8(&m, 'n');
	u8(&m, 'N');
	u16(&m, 2);
	text(&m, "2");
	u8(&m, 'u');
	ok(pgo_decode(m.b, m.n, false, &d, err, sizeof err) && d.type == PGO_UPDATE &&
		   d.oldkind == 'O' && d.oldtup.ncols == 2 && d.oldtup.vals[1].kind == PGO_NULL &&
		   d.newtup.vals[1].kind == PGO_TOAST && d.newtup.vals[0].n == 1,
	   "Update with old tuple");

	m.n = 0;
	u8(&m, 'I');
	u32(&m, 5); /* xid: streamed */
	u32(&m, 16385);
	u8(&m, 'N');
	u16(&m, 1);
	text(&m, "x");
	ok(pgo_decode(m.b, m.n, true, &d, err, sizeof err) && d.has_xid && d.xid == 5,
	   "Insert inside a streamed transaction carries the xid");
	ok(!pgo_decode(m.b, m.n, false, &d, err, sizeof err),
	   "same bytes outside a stream are malformed");

	m.n = 0;
	u8(&m, 'T');
	u32(&m, 2);
	u8(&m, 1);
	u32(&m, 1);
	u32(&m, 2);
	ok(pgo_decode(m.b, m.n, false, &d, err, sizeof err) && d.nrelids == 2 && d.relids[1] == 2 &&
		   d.flags == 1,
	   "Truncate");
	m.b[4] = 200; /* relation count beyond the message */
	ok(!pgo_decode(m.b, m.n, false, &d, err, sizeof err), "Truncate with a bad count is rejected");

	m.n = 0;
	u8(&m, 'M');
	u8(&m, 1);
	u64(&m, 42);
	str(&m, "pfx");
	u32(&m, 3);
	u8(&m, 0);
	u8(&m, 'a');
	u8(&m, 0xff);
	ok(pgo_decode(m.b, m.n, false, &d, err, sizeof err) && d.type == PGO_MESSAGE &&
		   d.content_len == 3 && d.content[2] == 0xff && d.lsn == 42,
	   "Message with binary content");

	m.n = 0;
	u8(&m, 'Z');
	ok(!pgo_decode(m.b, m.n, false, &d, err, sizeof err) && strstr(err, "unknown message type"),
	   "unknown type: %s", err);
	ok(!pgo_decode(m.b, 0, false, &d, err, sizeof err), "empty message");

	m.n = 0;
	u8(&m, 'D');
	u32(&m, 1);
	u8(&m, 'K');
	u16(&m, 65535);
	ok(!pgo_decode(m.b, m.n, false, &d, err, sizeof err), "huge column count is rejected");

	m.n = 0;
	u8(&m, 'E');
	u8(&m, 0);
	ok(!pgo_decode(m.b, m.n, false, &d, err, sizeof err) && strstr(err, "trailing"),
	   "trailing bytes are rejected");
	pgo_msg_free(&d);
}

static void
test_values(void)
{
	struct buf b = BUF_INIT;
	struct pgo_val v;
	static const struct {
		uint32_t type;
		const char *in;
		const char *out;
	} cases[] = {
		{16, "t", "true"},
		{16, "f", "false"},
		{23, "-42", "-42"},
		{20, "9223372036854775807", "9223372036854775807"},
		{26, "4294967295", "4294967295"},
		{701, "1.5e+300", "1.5e+300"},
		{701, "NaN", "\"NaN\""},
		{700, "-Infinity", "\"-Infinity\""},
		{701, "-0", "-0"},
		{1700, "123.450", "\"123.450\""},
		{25, "a\"b\n\x01", "\"a\\\"b\\n\\u0001\""},
		{17, "\\x0102", "\"\\\\x0102\""},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_reset(&b);
		v.kind = PGO_TEXT;
		v.p = cases[i].in;
		v.n = strlen(cases[i].in);
		fmt_value(&b, cases[i].type, &v);
		ok_str(b.data, b.len, cases[i].out, "value of type %u: %s", cases[i].type, cases[i].out);
	}
	buf_reset(&b);
	v.kind = PGO_TOAST;
	fmt_value(&b, 25, &v);
	v.kind = PGO_NULL;
	fmt_value(&b, 25, &v);
	ok_str(b.data, b.len, "{\"toast\":\"unchanged\"}null", "unchanged TOAST differs from NULL");
	ok(!is_json_number("01", 2) && !is_json_number("1.", 2) && !is_json_number("", 0) &&
		   is_json_number("0.5e-3", 6) && !is_json_number("Infinity", 8),
	   "is_json_number");
	buf_free(&b);
}

static void
test_change_line(void)
{
	struct colinfo id = {"int4", NULL, 1, false, "nextval('source_table_id_seq'::regclass)",
						 NULL,	 NULL, 23};
	struct colinfo name = {"varchar", NULL, 0, true, NULL, NULL, NULL, 1043};
	struct rel *r = rel_new(16385, "public", 6, "source_table", 12);
	struct pgo_val vals[2] = {{PGO_TEXT, "1", 1}, {PGO_TEXT, "test1", 5}};
	struct pgo_tuple tup = {2, 2, vals};
	struct change_hdr h = {0x16B3748, 1, 0x16B3700, 780, 1756284839282114, "\"connect_test_db\""};
	struct buf b = BUF_INIT;
	char err[256];
	struct relcache c;

	rel_add_col(r, "id", 2, 23, -1, true, &id);
	rel_add_col(r, "name", 4, 1043, 14, false, &name);
	rel_finish(r);
	ok(fmt_change(&b, &h, r, 'c', NULL, NULL, false, &tup, err, sizeof err), "insert line");
	ok_str(
		b.data, b.len,
		"{\"pos\":\"0/16B3748:1\",\"lsn\":\"0/16B3700\",\"commit_lsn\":\"0/16B3748\",\"xid\":780,"
		"\"ts_us\":1756284839282114,\"db\":\"connect_test_db\",\"schema\":\"public\","
		"\"table\":\"source_table\",\"op\":\"c\",\"columns\":[{\"name\":\"id\",\"type\":\"int4\","
		"\"oid\":23,\"typmod\":-1,\"key\":1,\"optional\":false,"
		"\"default\":\"nextval('source_table_id_seq'::regclass)\"},{\"name\":\"name\","
		"\"type\":\"varchar\",\"oid\":1043,\"typmod\":14,\"key\":0,\"optional\":true,"
		"\"default\":null}],\"before\":null,\"after\":{\"id\":1,\"name\":\"test1\"}}",
		"the brief's example line");
	buf_reset(&b);
	ok(fmt_change(&b, &h, r, 'd', NULL, &tup, true, NULL, err, sizeof err) &&
		   strstr(b.data, "\"before\":{\"id\":1},\"after\":null}") != NULL,
	   "delete under REPLICA IDENTITY DEFAULT: key columns only");
	tup.ncols = 1;
	buf_reset(&b);
	ok(!fmt_change(&b, &h, r, 'c', NULL, NULL, false, &tup, err, sizeof err) && b.len == 0,
	   "a tuple that does not fit the relation is an error: %s", err);
	buf_reset(&b);
	fmt_message(&b, &h, "p", 1, (const unsigned char *) "hi", 2, false);
	ok(strstr(b.data,
			  "\"op\":\"m\",\"message\":{\"prefix\":\"p\",\"content\":\"aGk=\","
			  "\"transactional\":false}}") != NULL,
	   "message line");

	memset(&c, 0, sizeof c);
	relcache_put(&c, r);
	ok(relcache_get(&c, 16385) == r && relcache_get(&c, 16385 + 256) == NULL, "relcache get");
	r = rel_new(16385, "public", 6, "t2", 2);
	rel_finish(r);
	relcache_put(&c, r);
	ok(relcache_get(&c, 16385) == r, "relcache replaces an entry");
	relcache_free(&c);
	buf_free(&b);
}

static void
test_ackq(void)
{
	struct ackq q;
	struct pos ack;

	ackq_init(&q, 100);
	ackq_push(&q, 200, 210, 3);
	ackq_push(&q, 300, 310, 0);
	ackq_push(&q, 400, 410, 0);
	ackq_push(&q, 500, 510, 2);
	ok(q.len == 3, "empty transactions in a row are merged");
	ack = (struct pos){200, 2};
	ok(ackq_release(&q, ack) == 100, "an ack inside a transaction confirms nothing of it");
	ack = (struct pos){200, 3};
	ok(ackq_release(&q, ack) == 410,
	   "an ack of the last change confirms it and the empty ones after");
	ack = (struct pos){500, 1};
	ok(ackq_release(&q, ack) == 410, "partial ack of the next one: no change");
	ack = (struct pos){600, 0};
	ok(ackq_release(&q, ack) == 510 && ackq_empty(&q), "a later ack covers everything");
	ackq_push(&q, 50, 60, 1);
	ok(ackq_empty(&q), "already confirmed transactions are not queued");
	ackq_push(&q, 600, 610, 1);
	ackq_push(&q, 600, 610, 1);
	ok(q.len == 1, "a transaction resent after a reconnect is queued once");
	ackq_release_all(&q);
	ackq_push(&q, 700, 710, 1);
	ackq_push(&q, 800, 810, 0);
	ok(ackq_release_all(&q) == 810, "release_all");
	ackq_free(&q);

	ackq_init(&q, 0);
	for (int i = 1; i <= 1000; i++)
		ackq_push(&q, (uint64_t) i * 10, (uint64_t) i * 10 + 5, 1);
	ack = (struct pos){5000, 1};
	ok(ackq_release(&q, ack) == 5005 && q.len == 500, "queue grows and wraps");
	ackq_free(&q);
}

static void
test_spill(void)
{
	struct spill *list = NULL;
	struct spill *s;
	struct buf msg = BUF_INIT;
	char err[256];
	uint64_t lsn;
	int n = 0;
	bool order = true;

	s = spill_get(&list, 900, true, err, sizeof err);
	ok(s != NULL && spill_get(&list, 900, false, err, sizeof err) == s, "spill per xid");
	ok(spill_get(&list, 901, false, err, sizeof err) == NULL, "no spill for an unknown xid");
	spill_append(s, 900, 10, (const unsigned char *) "a", 1, err, sizeof err);
	spill_append(s, 905, 20, (const unsigned char *) "bb", 2, err, sizeof err);
	spill_append(s, 906, 30, (const unsigned char *) "ccc", 3, err, sizeof err);
	spill_append(s, 900, 40, (const unsigned char *) "", 0, err, sizeof err);
	ok(spill_abort_sub(s, 906, err, sizeof err), "subtransaction abort");
	spill_append(s, 900, 50, (const unsigned char *) "dddd", 4, err, sizeof err);
	ok(spill_rewind(s), "rewind");
	while (spill_next(s, &lsn, &msg) == 1) {
		n++;
		order = order && lsn == (uint64_t) (n == 3 ? 50 : n * 10) &&
			msg.len == (n == 3 ? 4 : (size_t) n);
	}
	ok(n == 3 && order, "replay: the aborted subtransaction and what followed it are gone (%d)", n);
	spill_free(&list, s);
	ok(list == NULL, "spill freed");
	buf_free(&msg);
}

/* Built-in types need no catalog: a NULL connection is never used. */
static void
test_types(void)
{
	static const struct {
		uint32_t oid;
		const char *name;
	} want[] = {
		{16, "bool"},		 {23, "int4"},
		{25, "text"},		 {1007, "_int4"},
		{1043, "varchar"},	 {1700, "numeric"},
		{2950, "uuid"},		 {3802, "jsonb"},
		{3904, "int4range"}, {4451, "int4multirange"},
		{0, NULL},			 {9999, NULL},
		{16384, NULL},
	};
	struct typecache c;
	const struct pgtype *ty;
	char err[256];
	char state[6];
	size_t i;
	bool all = true;

	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *got = type_builtin_name(want[i].oid);

		all = all && (want[i].name ? got && strcmp(got, want[i].name) == 0 : got == NULL);
	}
	ok(all, "built-in type names by OID, none for other OIDs");
	memset(&c, 0, sizeof c);
	ty = types_get(&c, NULL, 1700, err, sizeof err, state);
	ok(ty && strcmp(ty->name, "numeric") == 0 && ty->basetype == 1700 && !ty->domain &&
		   !ty->enum_json,
	   "a built-in type from the table");
	ok(types_get(&c, NULL, 1700, err, sizeof err, state) == ty, "kept once seen");
	ok(types_seen(&c, NULL, 1700, "decimal", 7, err, sizeof err, state) &&
		   strcmp(ty->name, "decimal") == 0,
	   "a Type message renames");
	types_free(&c);
}

/* Snapshot visibility of streamed xids and the key set of an incremental snapshot. */
static void
test_keyset(void)
{
	struct xsnap s = {0};
	struct keyset k = {0};
	struct buf a = BUF_INIT, b = BUF_INIT;

	ok(xsnap_parse(&s, "100:105:101,103"), "txid_current_snapshot() text parses");
	ok(xsnap_sees(&s, 99) && xsnap_sees(&s, 102) && xsnap_sees(&s, 104),
	   "committed below xmax and not in progress: seen");
	ok(!xsnap_sees(&s, 101) && !xsnap_sees(&s, 103) && !xsnap_sees(&s, 105) && !xsnap_sees(&s, 200),
	   "in progress or at or above xmax: not seen");
	ok(xsnap_parse(&s, "4294967290:4294967300:4294967295") && xsnap_sees(&s, 4294967294u) &&
		   !xsnap_sees(&s, 4294967295u) && !xsnap_sees(&s, 4) && xsnap_sees(&s, 2),
	   "32-bit xids across the epoch boundary");
	ok(!xsnap_parse(&s, "1:2") && !xsnap_parse(&s, "x"), "malformed snapshots are refused");
	ok(xsnap_parse(&s, "10:20:"), "an empty in-progress list parses");
	key_put(&a, "1", 1);
	key_put(&a, "ab", 2);
	key_put(&b, "1a", 2);
	key_put(&b, "b", 1);
	keyset_add(&k, 15, a.data, a.len);
	ok(keyset_index_unseen(&k, &s) == false && !keyset_has(&k, b.data, b.len) &&
		   !keyset_has(&k, a.data, a.len),
	   "a key written by a transaction the snapshot sees does not count");
	keyset_add(&k, 25, a.data, a.len);
	ok(!keyset_index_unseen(&k, &s) && keyset_has(&k, a.data, a.len) &&
		   !keyset_has(&k, b.data, b.len),
	   "a key written by one it does not see counts; values do not run together");
	keyset_prune(&k, &s);
	ok(k.nents == 1 && keyset_index_unseen(&k, &s) == false && keyset_has(&k, a.data, a.len),
	   "pruning keeps only what the snapshot did not see");
	keyset_add(&k, 30, NULL, 0);
	ok(keyset_index_unseen(&k, &s), "a truncate the snapshot did not see is reported");
	keyset_free(&k);
	xsnap_free(&s);
	buf_free(&a);
	buf_free(&b);
}

int
main(void)
{
	test_decode();
	test_values();
	test_change_line();
	test_ackq();
	test_spill();
	test_types();
	test_keyset();
	return tap_done();
}
