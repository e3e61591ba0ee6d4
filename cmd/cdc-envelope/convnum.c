/*
 * convnum.c - number conversions of Debezium's PostgresValueConverter,
 * from PostgreSQL's text output.  See convnum.h for the contract.
 */
#include "convnum.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool
conv_is_special_number(const char *s, size_t n)
{
	return (n == 3 && memcmp(s, "NaN", 3) == 0) || (n == 8 && memcmp(s, "Infinity", 8) == 0) ||
		(n == 9 && memcmp(s, "-Infinity", 9) == 0);
}

/*
 * Writes 0.DIG x 10^point in Java's Double.toString() layout: "d.dddEn"
 * outside [1e-3, 1e7), plain decimal inside, always at least one digit
 * after the point.
 */
static void
put_java_digits(const char *dig, size_t nd, int point, bool neg, struct buf *out)
{
	size_t i;

	if (neg)
		buf_putc(out, '-');
	if (nd == 0) {
		buf_puts(out, "0.0");
		return;
	}
	if (point - 1 >= -3 && point - 1 < 7) {
		if (point <= 0) {
			buf_puts(out, "0.");
			for (i = 0; i < (size_t) -point; i++)
				buf_putc(out, '0');
			buf_put(out, dig, nd);
		} else {
			for (i = 0; i < (size_t) point; i++)
				buf_putc(out, i < nd ? dig[i] : '0');
			buf_putc(out, '.');
			if (nd > (size_t) point)
				buf_put(out, dig + point, nd - (size_t) point);
			else
				buf_putc(out, '0');
		}
	} else {
		buf_putc(out, dig[0]);
		buf_putc(out, '.');
		if (nd > 1)
			buf_put(out, dig + 1, nd - 1);
		else
			buf_putc(out, '0');
		buf_printf(out, "E%d", point - 1);
	}
}

/*
 * Java's Double.toString()/Float.toString() of a decimal number text:
 * the text is checked, read as a double (a float when single), and
 * written with JDK 17's digits (javadtoa.c).
 */
bool
conv_java_float(const char *s, size_t n, bool single, struct buf *out)
{
	char dig[64];
	size_t nd = 0, i = 0;
	int point = 0, /* value = 0.DIG x 10^point */
		e10 = 0, esign = 1;
	bool neg = false, seen_point = false, any = false;

	if (conv_is_special_number(s, n)) {
		json_put_str(out, s, n);
		return true;
	}
	if (i < n && s[i] == '-')
		neg = true, i++;
	for (; i < n && (is_digit(s[i]) || s[i] == '.'); i++) {
		if (s[i] == '.') {
			if (seen_point)
				return false;
			seen_point = true;
			continue;
		}
		any = true;
		if (nd == 0 && s[i] == '0') {
			if (seen_point)
				point--;
			continue;
		}
		if (nd == sizeof dig)
			return false;
		dig[nd++] = s[i];
		if (!seen_point)
			point++;
	}
	if (!any)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			esign = s[i++] == '-' ? -1 : 1;
		if (i == n)
			return false;
		for (; i < n && is_digit(s[i]); i++)
			if (e10 < 100000)
				e10 = e10 * 10 + (s[i] - '0');
	}
	if (i != n)
		return false;
	while (nd > 0 && dig[nd - 1] == '0')
		nd--;
	point += esign * e10;
	if (nd > 0) {
		/* The text is valid: Java's digits of the number it reads as. */
		char txt[128];
		double d;

		if (n >= sizeof txt)
			return false;
		memcpy(txt, s, n);
		txt[n] = '\0';
		d = single ? (double) strtof(txt, NULL) : strtod(txt, NULL);
		if (!conv_java_digits(d, single, dig, &nd, &point))
			return false;
	}
	put_java_digits(dig, nd, point, neg, out);
	return true;
}

void
conv_java_double(double d, struct buf *out)
{
	char tmp[40];
	int prec;

	if (isnan(d)) {
		buf_puts(out, "\"NaN\"");
		return;
	}
	if (isinf(d)) {
		buf_puts(out, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
		return;
	}
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	(void) conv_java_float(tmp, strlen(tmp), false, out);
}

/* A numeric or money text split into sign and digit strings. */
struct number {
	bool neg;
	struct buf ip; /* the integer digits */
	struct buf fp; /* the fraction digits */
};

/*
 * Parses numeric or money text into num (money's '$' and ',' skipped);
 * false if it is no number.  number_free() it either way.
 */
static bool
number_split(const char *s, size_t n, struct number *num)
{
	size_t i = 0;
	bool frac = false, any = false;

	num->neg = false;
	num->ip = num->fp = (struct buf) BUF_INIT;
	if (i < n && s[i] == '-')
		num->neg = true, i++;
	else if (i < n && s[i] == '+')
		i++;
	for (; i < n; i++) {
		char c = s[i];

		if (c == '$' || c == ',')
			continue;
		if (c == '.' && !frac) {
			frac = true;
			continue;
		}
		if (!is_digit(c))
			return false;
		buf_putc(frac ? &num->fp : &num->ip, c);
		any = true;
	}
	return any;
}

static void
number_free(struct number *num)
{
	buf_free(&num->ip);
	buf_free(&num->fp);
}

/*
 * Appends base64 of the two's complement big-endian minimal bytes of the
 * decimal integer digits[0..nd) (what BigInteger.toByteArray() returns).
 */
static void
put_twos(const char *digits, size_t nd, bool neg, struct buf *out)
{
	size_t cap = nd / 2 + 2, len = 1, i, j, top;
	unsigned char *m = xcalloc(cap, 1);
	unsigned char *be;

	for (i = 0; i < nd; i++) {
		unsigned carry = (unsigned) (digits[i] - '0');

		for (j = 0; j < len; j++) {
			unsigned v = m[j] * 10u + carry;

			m[j] = (unsigned char) (v & 0xff);
			carry = v >> 8;
		}
		if (carry)
			m[len++] = (unsigned char) carry;
	}
	len++; /* room for the sign */
	if (neg) {
		unsigned carry = 1;

		for (j = 0; j < len; j++) {
			unsigned v = (unsigned) (unsigned char) ~m[j] + carry;

			m[j] = (unsigned char) (v & 0xff);
			carry = v >> 8;
		}
	}
	top = len - 1;
	while (top > 0 &&
		   ((m[top] == 0x00 && !(m[top - 1] & 0x80)) || (m[top] == 0xff && (m[top - 1] & 0x80))))
		top--;
	be = xmalloc(top + 1);
	for (j = 0; j <= top; j++)
		be[j] = m[top - j];
	buf_putc(out, '"');
	base64_put(out, be, top + 1);
	buf_putc(out, '"');
	free(be);
	free(m);
}

/* Adds one unit in the last place of the digit string (for rounding up). */
static void
increment_digits(struct buf *d)
{
	size_t i = d->len;

	while (i > 0) {
		i--;
		if (d->data[i] != '9') {
			d->data[i]++;
			return;
		}
		d->data[i] = '0';
	}
	buf_putc(d, '0');
	memmove(d->data + 1, d->data, d->len - 1);
	d->data[0] = '1';
}

bool
conv_decimal(const char *s, size_t n, int scale, struct buf *out)
{
	struct number num;
	bool ok = number_split(s, n, &num);

	if (ok) {
		struct buf *fp = &num.fp;
		bool round_up = fp->len > (size_t) scale && fp->data[scale] >= '5';

		if (fp->len > (size_t) scale)
			fp->len = (size_t) scale;
		while (fp->len < (size_t) scale)
			buf_putc(fp, '0');
		if (fp->len > 0)
			buf_put(&num.ip, fp->data, fp->len);
		if (round_up)
			increment_digits(&num.ip);
		put_twos(num.ip.data, num.ip.len, num.neg, out);
	}
	number_free(&num);
	return ok;
}

bool
conv_varscale(const char *s, size_t n, struct buf *out)
{
	struct number num;
	bool ok = number_split(s, n, &num);

	if (ok) {
		while (num.fp.len > 0 && num.fp.data[num.fp.len - 1] == '0')
			num.fp.len--;
		buf_printf(out, "{\"scale\":%zu,\"value\":", num.fp.len);
		if (num.fp.len > 0)
			buf_put(&num.ip, num.fp.data, num.fp.len);
		put_twos(num.ip.data, num.ip.len, num.neg, out);
		buf_putc(out, '}');
	}
	number_free(&num);
	return ok;
}

bool
conv_money_plain(const char *s, size_t n, struct buf *out)
{
	struct number num;
	bool ok = number_split(s, n, &num);

	if (ok) {
		if (num.neg)
			buf_putc(out, '-');
		buf_put(out, num.ip.data, num.ip.len);
		if (num.fp.len > 0) {
			buf_putc(out, '.');
			buf_put(out, num.fp.data, num.fp.len);
		}
	}
	number_free(&num);
	return ok;
}

bool
conv_numeric_double(const char *s, size_t n, struct buf *out)
{
	struct buf plain = BUF_INIT;
	char *end;
	double d;
	bool ok;

	if (conv_is_special_number(s, n)) {
		json_put_str(out, s, n);
		return true;
	}
	ok = conv_money_plain(s, n, &plain);
	if (ok) {
		d = strtod(buf_cstr(&plain), &end);
		ok = *end == '\0';
		if (ok)
			conv_java_double(d, out);
	}
	buf_free(&plain);
	return ok;
}
