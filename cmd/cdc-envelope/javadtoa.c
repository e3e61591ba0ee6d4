/*
 * javadtoa.c - the digits of Java's Double.toString() and Float.toString()
 * as JDK 17 computes them (jdk.internal.math.FloatingDecimal, dtoa()):
 * Debezium 2.7.3 writes floats through them, and they are not always the
 * shortest digits that read back as the same number (a whole number below
 * 2^63 keeps its own digits; a power of two gets a narrower interval).
 * The same three paths as the JDK (int, long, big integer), with its
 * overflow behaviour, so that the last digit comes out the same.
 */
#include "convnum.h"

#include <math.h>
#include <string.h>

#define EXP_SHIFT 52
#define FRACT_HOB (UINT64_C(1) << EXP_SHIFT)
#define MAXLIMB 48 /* 1536 bits: B, S and M of any double */

/* Bits of 5^i, i < 27 (N_5_BITS). */
static const int n5bits[] = {0,	 3,	 5,	 7,	 10, 12, 14, 17, 19, 21, 24, 26, 28, 31,
							 33, 35, 38, 40, 42, 45, 47, 49, 52, 54, 56, 59, 61};

/* insignificantDigitsForPow2() */
static const int insignificant[] = {0,	0,	0,	0,	1,	1,	1,	2,	2,	2,	3,	3,	3,	3,	4,	4,
									4,	5,	5,	5,	6,	6,	6,	6,	7,	7,	7,	8,	8,	8,	9,	9,
									9,	9,	10, 10, 10, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 14,
									14, 14, 15, 15, 15, 15, 16, 16, 16, 17, 17, 17, 18, 18, 18, 19};

struct jdigits {
	char d[32];
	int n;
	int dec_exp; /* value = 0.d x 10^dec_exp */
};

static uint64_t
pow5(int i)
{
	uint64_t r = 1;

	while (i-- > 0)
		r *= 5;
	return r;
}

typedef unsigned __int128 u128;

static u128
pow5_128(int i)
{
	u128 r = 1;

	while (i-- > 0)
		r *= 5;
	return r;
}

/* q = b / s (< 10, so by subtraction: no 128-bit division), b = 10 * (b % s). */
static int
quorem128(u128 *b, u128 s)
{
	int q = 0;

	while (*b >= s) {
		*b -= s;
		q++;
	}
	*b *= 10;
	return q;
}

/* ---- a small unsigned big integer, little-endian 32-bit limbs ---- */

struct big {
	uint32_t w[MAXLIMB];
	int n;
};

static void
big_set(struct big *a, uint64_t v)
{
	a->n = 0;
	while (v) {
		a->w[a->n++] = (uint32_t) v;
		v >>= 32;
	}
}

static void
big_mul_small(struct big *a, uint32_t m)
{
	uint64_t carry = 0;

	for (int i = 0; i < a->n; i++) {
		uint64_t v = (uint64_t) a->w[i] * m + carry;

		a->w[i] = (uint32_t) v;
		carry = v >> 32;
	}
	if (carry && a->n < MAXLIMB)
		a->w[a->n++] = (uint32_t) carry;
}

static void
big_shl(struct big *a, int s)
{
	int limbs = s / 32, bits = s % 32;

	if (a->n == 0)
		return;
	if (bits) {
		uint32_t carry = 0;

		for (int i = 0; i < a->n; i++) {
			uint32_t v = a->w[i];

			a->w[i] = v << bits | carry;
			carry = v >> (32 - bits);
		}
		if (carry && a->n < MAXLIMB)
			a->w[a->n++] = carry;
	}
	if (limbs) {
		int n = a->n + limbs > MAXLIMB ? MAXLIMB - limbs : a->n;

		memmove(a->w + limbs, a->w, (size_t) n * sizeof a->w[0]);
		memset(a->w, 0, (size_t) limbs * sizeof a->w[0]);
		a->n = n + limbs;
	}
}

/* v * 5^p5 * 2^p2 */
static void
big_pow52(struct big *a, uint64_t v, int p5, int p2)
{
	big_set(a, v);
	for (; p5 >= 13; p5 -= 13)
		big_mul_small(a, 1220703125u); /* 5^13 */
	if (p5 > 0)
		big_mul_small(a, (uint32_t) pow5(p5));
	big_shl(a, p2);
}

static int
big_cmp(const struct big *a, const struct big *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (int i = a->n - 1; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

static void
big_add(struct big *r, const struct big *a, const struct big *b)
{
	uint64_t carry = 0;
	int n = a->n > b->n ? a->n : b->n;

	for (int i = 0; i < n; i++) {
		uint64_t v = carry + (i < a->n ? a->w[i] : 0) + (i < b->n ? b->w[i] : 0);

		r->w[i] = (uint32_t) v;
		carry = v >> 32;
	}
	r->n = n;
	if (carry && n < MAXLIMB)
		r->w[r->n++] = (uint32_t) carry;
}

/* a -= b, a >= b */
static void
big_sub(struct big *a, const struct big *b)
{
	int64_t borrow = 0;

	for (int i = 0; i < a->n; i++) {
		int64_t v = (int64_t) a->w[i] - (i < b->n ? b->w[i] : 0) - borrow;

		borrow = v < 0;
		a->w[i] = (uint32_t) (v + (borrow ? INT64_C(1) << 32 : 0));
	}
	while (a->n > 0 && a->w[a->n - 1] == 0)
		a->n--;
}

/* quoRemIteration(): q = a / s (< 10), a = 10 * (a % s). */
static int
big_quorem(struct big *a, const struct big *s)
{
	int q = 0;

	while (big_cmp(a, s) >= 0) {
		big_sub(a, s);
		q++;
	}
	big_mul_small(a, 10);
	return q;
}

/* ---- dtoa ---- */

static void
roundup(struct jdigits *o)
{
	int i = o->n - 1;

	while (i > 0 && o->d[i] == '9')
		o->d[i--] = '0';
	if (i == 0 && o->d[0] == '9') {
		o->d[0] = '1';
		o->dec_exp++;
		return;
	}
	o->d[i]++;
}

/* developLongDigits(): a whole number, its insignificant digits rounded off. */
static void
long_digits(struct jdigits *o, uint64_t v, int drop)
{
	char tmp[24];
	int n = 0;

	if (drop > 0) {
		uint64_t p10 = pow5(drop) << drop;
		uint64_t residue = v % p10;

		v /= p10;
		if (residue >= p10 >> 1)
			v++;
	}
	while (v % 10 == 0 && v > 0) {
		v /= 10;
		drop++;
	}
	while (v > 0) {
		tmp[n++] = (char) ('0' + v % 10);
		v /= 10;
	}
	o->n = n;
	for (int i = 0; i < n; i++)
		o->d[i] = tmp[n - 1 - i];
	o->dec_exp = n + drop;
}

/* estimateDecExp() */
static int
estimate_dec_exp(uint64_t fract_bits, int bin_exp)
{
	uint64_t bits = UINT64_C(0x3ff0000000000000) | (fract_bits & (FRACT_HOB - 1));
	double d2, d;

	memcpy(&d2, &bits, sizeof d2);
	d = (d2 - 1.5) * 0.289529654 + 0.176091259 + (double) bin_exp * 0.301029995663981;
	return (int) floor(d);
}

static void
dtoa(int bin_exp, uint64_t fract_bits, int nsig, struct jdigits *o)
{
	int tail_zeros = __builtin_ctzll(fract_bits), nfract = EXP_SHIFT + 1 - tail_zeros,
		ntiny = nfract - bin_exp - 1 > 0 ? nfract - bin_exp - 1 : 0, dec_exp, b2, b5, s2, s5, m2,
		m5, common, bbits, tensbits, q;
	bool low, high;
	int64_t low_diff = 0;

	o->n = 0;
	if (bin_exp <= 62 && bin_exp >= -21 && ntiny == 0 && nfract < 64) {
		int drop = bin_exp > nsig ? insignificant[bin_exp - nsig - 1] : 0;

		if (bin_exp >= EXP_SHIFT)
			fract_bits <<= bin_exp - EXP_SHIFT;
		else
			fract_bits >>= EXP_SHIFT - bin_exp;
		long_digits(o, fract_bits, drop);
		return;
	}
	dec_exp = estimate_dec_exp(fract_bits, bin_exp);
	b5 = dec_exp < 0 ? -dec_exp : 0;
	b2 = b5 + ntiny + bin_exp;
	s5 = dec_exp > 0 ? dec_exp : 0;
	s2 = s5 + ntiny;
	m5 = b5;
	m2 = b2 - nsig;
	fract_bits >>= tail_zeros;
	b2 -= nfract - 1;
	common = b2 < s2 ? b2 : s2;
	b2 -= common;
	s2 -= common;
	m2 -= common;
	if (nfract == 1)
		m2 -= 1; /* the JDK's hack for exact powers of two */
	if (m2 < 0) {
		b2 -= m2;
		s2 -= m2;
		m2 = 0;
	}
	bbits = nfract + b2 + (b5 < 27 ? n5bits[b5] : b5 * 3);
	tensbits = s2 + 1 + (s5 + 1 < 27 ? n5bits[s5 + 1] : (s5 + 1) * 3);
	if (bbits < 64 && tensbits < 64) {
		/* Java int or long arithmetic, wrapping as Java's does. */
		bool ints = bbits < 32 && tensbits < 32;
		uint64_t mask = ints ? UINT64_C(0xffffffff) : ~UINT64_C(0);
		uint64_t b = ((fract_bits * pow5(b5)) << b2) & mask, s = (pow5(s5) << s2) & mask,
				 m = (pow5(m5) << m2) & mask, tens = (s * 10) & mask;

#define SIGNED(x) (ints ? (int64_t) (int32_t) (uint32_t) (x) : (int64_t) (x))
		q = (int) (b / s);
		b = (10 * (b % s)) & mask;
		m = (m * 10) & mask;
		low = SIGNED(b) < SIGNED(m);
		high = SIGNED((b + m) & mask) > SIGNED(tens);
		if (q == 0 && !high)
			dec_exp--;
		else
			o->d[o->n++] = (char) ('0' + q);
		if (dec_exp < -3 || dec_exp >= 8)
			high = low = false;
		while (!low && !high && o->n < (int) sizeof o->d) {
			q = (int) (b / s);
			b = (10 * (b % s)) & mask;
			m = (m * 10) & mask;
			if (SIGNED(m) > 0) {
				low = SIGNED(b) < SIGNED(m);
				high = SIGNED((b + m) & mask) > SIGNED(tens);
			} else
				low = high = true;
			o->d[o->n++] = (char) ('0' + q);
		}
		low_diff = SIGNED(((b << 1) - tens) & mask);
#undef SIGNED
	} else if (bbits < 120 && tensbits < 120) {
		/* The big integer path, exact, in 128 bits when it fits. */
		u128 b = ((u128) fract_bits * pow5_128(b5)) << b2, s = pow5_128(s5) << s2,
			 m = pow5_128(m5 + 1) << (m2 + 1), tens = s * 10;

		q = quorem128(&b, s);
		low = b < m;
		high = tens <= b + m;
		if (q == 0 && !high)
			dec_exp--;
		else
			o->d[o->n++] = (char) ('0' + q);
		if (dec_exp < -3 || dec_exp >= 8)
			high = low = false;
		while (!low && !high && o->n < (int) sizeof o->d) {
			q = quorem128(&b, s);
			m *= 10;
			low = b < m;
			high = tens <= b + m;
			o->d[o->n++] = (char) ('0' + q);
		}
		if (high && low)
			low_diff = (b << 1) > tens ? 1 : (b << 1) < tens ? -1 : 0;
	} else {
		struct big bv, sv, mv, tensv, sum;

		big_pow52(&sv, 1, s5, s2);
		big_pow52(&bv, fract_bits, b5, b2);
		big_pow52(&mv, 1, m5 + 1, m2 + 1);
		big_pow52(&tensv, 1, s5 + 1, s2 + 1);
		q = big_quorem(&bv, &sv);
		low = big_cmp(&bv, &mv) < 0;
		big_add(&sum, &bv, &mv);
		high = big_cmp(&tensv, &sum) <= 0;
		if (q == 0 && !high)
			dec_exp--;
		else
			o->d[o->n++] = (char) ('0' + q);
		if (dec_exp < -3 || dec_exp >= 8)
			high = low = false;
		while (!low && !high && o->n < (int) sizeof o->d) {
			q = big_quorem(&bv, &sv);
			big_mul_small(&mv, 10);
			low = big_cmp(&bv, &mv) < 0;
			big_add(&sum, &bv, &mv);
			high = big_cmp(&tensv, &sum) <= 0;
			o->d[o->n++] = (char) ('0' + q);
		}
		if (high && low) {
			big_shl(&bv, 1);
			low_diff = big_cmp(&bv, &tensv);
		}
	}
	o->dec_exp = dec_exp + 1;
	if (high) {
		if (!low)
			roundup(o);
		else if (low_diff == 0 ? (o->d[o->n - 1] & 1) != 0 : low_diff > 0)
			roundup(o);
	}
}

bool
conv_java_digits(double v, bool single, char *digits, size_t *nd, int *point)
{
	struct jdigits o;
	uint64_t fract;
	int bin_exp, nsig;

	if (single) {
		float f = (float) v;
		uint32_t bits;

		memcpy(&bits, &f, sizeof bits);
		fract = bits & 0x7fffff;
		bin_exp = (int) (bits >> 23 & 0xff);
		if (bin_exp == 0xff || (bin_exp == 0 && fract == 0))
			return false;
		if (bin_exp == 0) {
			int shift = __builtin_clz((uint32_t) fract) - 8;

			fract <<= shift;
			bin_exp = 1 - shift;
			nsig = 32 - __builtin_clz((uint32_t) (bits & 0x7fffff));
		} else {
			fract |= 0x800000;
			nsig = 24;
		}
		bin_exp -= 127;
		fract <<= EXP_SHIFT - 23;
	} else {
		uint64_t bits;

		memcpy(&bits, &v, sizeof bits);
		fract = bits & (FRACT_HOB - 1);
		bin_exp = (int) (bits >> 52 & 0x7ff);
		if (bin_exp == 0x7ff || (bin_exp == 0 && fract == 0))
			return false;
		if (bin_exp == 0) {
			int lz = __builtin_clzll(fract), shift = lz - 11;

			fract <<= shift;
			bin_exp = 1 - shift;
			nsig = 64 - lz;
		} else {
			fract |= FRACT_HOB;
			nsig = 53;
		}
		bin_exp -= 1023;
	}
	dtoa(bin_exp, fract, nsig, &o);
	memcpy(digits, o.d, (size_t) o.n);
	*nd = (size_t) o.n;
	*point = o.dec_exp;
	return true;
}
