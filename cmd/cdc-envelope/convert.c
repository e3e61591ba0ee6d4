/*
 * convert.c - value conversions of Debezium's PostgresValueConverter,
 * from PostgreSQL's text output.  See convert.h for the contract.
 */
#include "convert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_SEC	INT64_C(1000000)
#define US_PER_DAY	(INT64_C(86400) * US_PER_SEC)

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* *acc = *acc * m + a, false on int64 overflow (absurd dates and intervals). */
static bool
mul_add(int64_t *acc, int64_t m, int64_t a)
{
	int64_t		r;

	return !__builtin_mul_overflow(*acc, m, &r) && !__builtin_add_overflow(r, a, acc);
}

bool
conv_is_special_number(const char *s, size_t n)
{
	return (n == 3 && memcmp(s, "NaN", 3) == 0) ||
		(n == 8 && memcmp(s, "Infinity", 8) == 0) ||
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
	size_t		i;

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
	char		dig[64];
	size_t		nd = 0,
				i = 0;
	int			point = 0,		/* value = 0.DIG x 10^point */
				e10 = 0,
				esign = 1;
	bool		neg = false,
				seen_point = false,
				any = false;

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
		char		txt[128];
		double		d;

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
	char		tmp[40];
	int			prec;

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

/*
 * Parses numeric or money text into sign and digit strings.  Money's '$'
 * and ',' are skipped.  ip/fp receive the integer and fraction digits.
 */
static bool
split_number(const char *s, size_t n, bool *neg, struct buf *ip, struct buf *fp)
{
	size_t		i = 0;
	bool		frac = false,
				any = false;

	*neg = false;
	if (i < n && s[i] == '-')
		*neg = true, i++;
	else if (i < n && s[i] == '+')
		i++;
	for (; i < n; i++) {
		char		c = s[i];

		if (c == '$' || c == ',')
			continue;
		if (c == '.' && !frac) {
			frac = true;
			continue;
		}
		if (!is_digit(c))
			return false;
		buf_putc(frac ? fp : ip, c);
		any = true;
	}
	return any;
}

/*
 * Appends base64 of the two's complement big-endian minimal bytes of the
 * decimal integer digits[0..nd) (what BigInteger.toByteArray() returns).
 */
static void
put_twos(const char *digits, size_t nd, bool neg, struct buf *out)
{
	size_t		cap = nd / 2 + 2,
				len = 1,
				i,
				j,
				top;
	unsigned char *m = xcalloc(cap, 1);
	unsigned char *be;

	for (i = 0; i < nd; i++) {
		unsigned	carry = (unsigned) (digits[i] - '0');

		for (j = 0; j < len; j++) {
			unsigned	v = m[j] * 10u + carry;

			m[j] = (unsigned char) (v & 0xff);
			carry = v >> 8;
		}
		if (carry)
			m[len++] = (unsigned char) carry;
	}
	len++;						/* room for the sign */
	if (neg) {
		unsigned	carry = 1;

		for (j = 0; j < len; j++) {
			unsigned	v = (unsigned) (unsigned char) ~m[j] + carry;

			m[j] = (unsigned char) (v & 0xff);
			carry = v >> 8;
		}
	}
	top = len - 1;
	while (top > 0 && ((m[top] == 0x00 && !(m[top - 1] & 0x80)) ||
					   (m[top] == 0xff && (m[top - 1] & 0x80))))
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
	size_t		i = d->len;

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
	struct buf	ip = BUF_INIT,
				fp = BUF_INIT;
	bool		neg,
				ok;

	ok = split_number(s, n, &neg, &ip, &fp);
	if (ok) {
		bool		round_up = fp.len > (size_t) scale && fp.data[scale] >= '5';

		if (fp.len > (size_t) scale)
			fp.len = (size_t) scale;
		while (fp.len < (size_t) scale)
			buf_putc(&fp, '0');
		if (fp.len > 0)
			buf_put(&ip, fp.data, fp.len);
		if (round_up)
			increment_digits(&ip);
		put_twos(ip.data, ip.len, neg, out);
	}
	buf_free(&ip);
	buf_free(&fp);
	return ok;
}

bool
conv_varscale(const char *s, size_t n, struct buf *out)
{
	struct buf	ip = BUF_INIT,
				fp = BUF_INIT;
	bool		neg,
				ok;

	ok = split_number(s, n, &neg, &ip, &fp);
	if (ok) {
		while (fp.len > 0 && fp.data[fp.len - 1] == '0')
			fp.len--;
		buf_printf(out, "{\"scale\":%zu,\"value\":", fp.len);
		if (fp.len > 0)
			buf_put(&ip, fp.data, fp.len);
		put_twos(ip.data, ip.len, neg, out);
		buf_putc(out, '}');
	}
	buf_free(&ip);
	buf_free(&fp);
	return ok;
}

bool
conv_money_plain(const char *s, size_t n, struct buf *out)
{
	struct buf	ip = BUF_INIT,
				fp = BUF_INIT;
	bool		neg,
				ok;

	ok = split_number(s, n, &neg, &ip, &fp);
	if (ok) {
		if (neg)
			buf_putc(out, '-');
		buf_put(out, ip.data, ip.len);
		if (fp.len > 0) {
			buf_putc(out, '.');
			buf_put(out, fp.data, fp.len);
		}
	}
	buf_free(&ip);
	buf_free(&fp);
	return ok;
}

bool
conv_numeric_double(const char *s, size_t n, struct buf *out)
{
	struct buf	plain = BUF_INIT;
	char	   *end;
	double		d;
	bool		ok;

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

/* Reads an unsigned decimal number of at least min digits at s[*i]. */
static bool
read_uint(const char *s, size_t n, size_t *i, size_t min, int64_t *v)
{
	size_t		start = *i;

	*v = 0;
	while (*i < n && is_digit(s[*i]) && *i - start < 12)
		*v = *v * 10 + (s[(*i)++] - '0');
	return *i - start >= min;
}

static bool
expect(const char *s, size_t n, size_t *i, char c)
{
	if (*i < n && s[*i] == c) {
		(*i)++;
		return true;
	}
	return false;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t		era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
	int64_t		era,
				doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static bool
parse_date_part(const char *s, size_t n, size_t *i, int64_t *days)
{
	int64_t		y,
				m,
				d;

	if (!read_uint(s, n, i, 4, &y) || !expect(s, n, i, '-') ||
		!read_uint(s, n, i, 2, &m) || !expect(s, n, i, '-') ||
		!read_uint(s, n, i, 2, &d) || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	/* " BC" ends the value; year 1 BC is year 0 of the proleptic calendar. */
	if (n >= 3 && memcmp(s + n - 3, " BC", 3) == 0)
		y = 1 - y;
	*days = days_from_civil(y, m, d);
	return true;
}

/* HH:MM:SS[.ffffff] -> microseconds. */
static bool
parse_time_part(const char *s, size_t n, size_t *i, int64_t *us)
{
	int64_t		h,
				mi,
				se,
				frac = 0;
	size_t		digits = 0;

	if (!read_uint(s, n, i, 2, &h) || !expect(s, n, i, ':') ||
		!read_uint(s, n, i, 2, &mi) || !expect(s, n, i, ':') ||
		!read_uint(s, n, i, 2, &se))
		return false;
	if (expect(s, n, i, '.')) {
		while (*i < n && is_digit(s[*i])) {
			if (digits < 6)
				frac = frac * 10 + (s[*i] - '0'), digits++;
			(*i)++;
		}
		if (digits == 0)
			return false;
		while (digits < 6)
			frac *= 10, digits++;
	}
	if (mi > 59 || se > 60)
		return false;
	*us = h;
	return mul_add(us, 60, mi) && mul_add(us, 60, se) && mul_add(us, US_PER_SEC, frac);
}

/* +HH[:MM[:SS]] or -... -> offset seconds east of UTC. */
static bool
parse_offset(const char *s, size_t n, size_t *i, int64_t *secs)
{
	int			sign;
	int64_t		h,
				m = 0,
				sec = 0;

	if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
		return false;
	sign = s[(*i)++] == '-' ? -1 : 1;
	if (!read_uint(s, n, i, 2, &h))
		return false;
	if (expect(s, n, i, ':') && !read_uint(s, n, i, 2, &m))
		return false;
	if (expect(s, n, i, ':') && !read_uint(s, n, i, 2, &sec))
		return false;
	*secs = sign * ((h * 60 + m) * 60 + sec);
	return true;
}

static bool
at_end(const char *s, size_t n, size_t i)
{
	return i == n || (n - i == 3 && memcmp(s + i, " BC", 3) == 0);
}

bool
conv_date(const char *s, size_t n, int64_t *days)
{
	size_t		i = 0;

	return parse_date_part(s, n, &i, days) && at_end(s, n, i);
}

bool
conv_time(const char *s, size_t n, int64_t *us)
{
	size_t		i = 0;

	return parse_time_part(s, n, &i, us) && i == n && *us <= US_PER_DAY;
}

/* HH:MM:SS[.fraction without trailing zeros], ISO_LOCAL_TIME style. */
static void
put_time_of_day(struct buf *out, int64_t us, int fixed_digits)
{
	int64_t		secs = us / US_PER_SEC,
				frac = us % US_PER_SEC;
	char		f[8];
	int			nd = 6;

	buf_printf(out, "%02d:%02d:%02d", (int) (secs / 3600), (int) (secs / 60 % 60),
			   (int) (secs % 60));
	snprintf(f, sizeof f, "%06d", (int) frac);
	if (fixed_digits >= 0)
		nd = fixed_digits;
	else
		while (nd > 0 && f[nd - 1] == '0')
			nd--;
	if (nd > 0) {
		buf_putc(out, '.');
		buf_put(out, f, (size_t) nd);
	}
}

bool
conv_timetz(const char *s, size_t n, struct buf *out)
{
	size_t		i = 0;
	int64_t		us,
				off;

	if (!parse_time_part(s, n, &i, &us) || !parse_offset(s, n, &i, &off) || i != n)
		return false;
	us -= off * US_PER_SEC;
	us %= US_PER_DAY;
	if (us < 0)
		us += US_PER_DAY;
	buf_putc(out, '"');
	put_time_of_day(out, us, -1);
	buf_puts(out, "Z\"");
	return true;
}

/* timestamp text -> whole seconds since the epoch (floor) and microseconds. */
static bool
parse_timestamp(const char *s, size_t n, int64_t *secs, int64_t *frac)
{
	size_t		i = 0;
	int64_t		days,
				t;

	if (!parse_date_part(s, n, &i, &days) || !expect(s, n, &i, ' ') ||
		!parse_time_part(s, n, &i, &t) || !at_end(s, n, i))
		return false;
	*secs = days * 86400 + t / US_PER_SEC;
	*frac = t % US_PER_SEC;
	return true;
}

bool
conv_timestamp(const char *s, size_t n, int64_t *us)
{
	int64_t		secs,
				frac;

	if (!parse_timestamp(s, n, &secs, &frac))
		return false;
	*us = secs;
	return mul_add(us, US_PER_SEC, frac);
}

bool
conv_timestamp_java(const char *s, size_t n, int64_t *us)
{
	int64_t		secs,
				frac;
	uint64_t	sum;

	if (!parse_timestamp(s, n, &secs, &frac))
		return false;
	if (__builtin_mul_overflow(secs, US_PER_SEC, us))
		*us = secs < 0 ? INT64_MIN : INT64_MAX;
	sum = (uint64_t) *us + (uint64_t) frac;	/* Java's long addition wraps */
	memcpy(us, &sum, sizeof *us);
	return true;
}

/* Days since the epoch of a date of the Julian calendar (astronomical years). */
static int64_t
days_from_julian(int64_t y, int64_t m, int64_t d)
{
	int64_t		a = (14 - m) / 12,
				yy = y + 4800 - a,
				mm = m + 12 * a - 3;

	/* The Julian day number, less that of 1970-01-01 (2440588). */
	return d + (153 * mm + 2) / 5 + 365 * yy + (yy >= 0 ? yy / 4 : -((3 - yy) / 4)) - 32083 -
		INT64_C(2440588);
}

bool
conv_date_array_elem(const char *s, size_t n, int64_t *days)
{
	int64_t		y,
				m,
				d;

	if (!conv_date(s, n, days))
		return false;
	civil_from_days(*days, &y, &m, &d);
	if (y <= 0)
		*days = days_from_civil(1 - y, m, d);
	else if (*days >= days_from_civil(1582, 10, 5) && *days < days_from_civil(1582, 10, 15))
		*days += 10;
	return true;
}

bool
conv_timestamp_array_elem(const char *s, size_t n, int64_t *us)
{
	int64_t		days,
				y,
				m,
				d;

	if (!conv_timestamp(s, n, us))
		return false;
	days = *us / US_PER_DAY - (*us % US_PER_DAY < 0);
	if (days >= days_from_civil(1582, 10, 15))
		return true;
	civil_from_days(days, &y, &m, &d);
	*us += (days_from_julian(y, m, d) - days) * US_PER_DAY;
	return true;
}

static bool tstz_fields(const char *s, size_t n, int precision, bool java_fields,
						struct buf *out);

bool
conv_timestamptz(const char *s, size_t n, int precision, struct buf *out)
{
	return tstz_fields(s, n, precision, false, out);
}

/*
 * An element of a timestamptz array, which reaches Debezium as a
 * java.sql.Timestamp: its fields are those of Java's Julian-Gregorian
 * calendar read back without the era (year 1 BC is 0001), the ten days
 * missing from October 1582 are skipped, and -infinity is pgjdbc's
 * DATE_NEGATIVE_INFINITY read the same way.
 */
bool
conv_timestamptz_array_elem(const char *s, size_t n, int precision, struct buf *out)
{
	if (n == 9 && memcmp(s, "-infinity", 9) == 0) {
		buf_puts(out, "\"+292269055-12-02T");
		put_time_of_day(out, INT64_C(23) * 3600 * US_PER_SEC,
						precision < 0 || precision > 6 ? 6 : precision);
		buf_puts(out, "Z\"");
		return true;
	}
	return tstz_fields(s, n, precision, true, out);
}

static bool
tstz_fields(const char *s, size_t n, int precision, bool java_fields, struct buf *out)
{
	size_t		i = 0;
	int64_t		days,
				t,
				off,
				secs,
				y,
				m,
				d;

	if ((n == 8 && memcmp(s, "infinity", 8) == 0) ||
		(n == 9 && memcmp(s, "-infinity", 9) == 0)) {
		json_put_str(out, s, n);
		return true;
	}
	if (!parse_date_part(s, n, &i, &days) || !expect(s, n, &i, ' ') ||
		!parse_time_part(s, n, &i, &t) || !parse_offset(s, n, &i, &off) ||
		!at_end(s, n, i))
		return false;
	/* In seconds: microseconds since the epoch overflow past year 294247. */
	secs = days * 86400 + t / US_PER_SEC - off;
	days = secs / 86400 - (secs % 86400 < 0);
	t = (secs - days * 86400) * US_PER_SEC + t % US_PER_SEC;
	if (java_fields && days >= days_from_civil(1582, 10, 5) &&
		days < days_from_civil(1582, 10, 15))
		days += 10;
	civil_from_days(days, &y, &m, &d);
	if (java_fields && y <= 0)
		y = 1 - y;
	buf_putc(out, '"');
	if (y > 9999)
		buf_printf(out, "+%lld", (long long) y);
	else if (y < 0)
		buf_printf(out, "-%04lld", (long long) -y);
	else
		buf_printf(out, "%04lld", (long long) y);
	buf_printf(out, "-%02d-%02dT", (int) m, (int) d);
	put_time_of_day(out, t, precision < 0 || precision > 6 ? 6 : precision);
	buf_puts(out, "Z\"");
	return true;
}

/*
 * PostgreSQL's "postgres" interval style, as pgjdbc's PGInterval reads
 * it: the components as written, the time part's sign on each of its
 * fields.
 */
bool
conv_interval_parts(const char *s, size_t n, struct pg_interval *iv)
{
	size_t		i = 0;

	memset(iv, 0, sizeof *iv);
	while (i < n) {
		int			sign = 1;
		int64_t		v;
		size_t		w;

		while (i < n && s[i] == ' ')
			i++;
		if (i == n)
			break;
		if (s[i] == '-' || s[i] == '+')
			sign = s[i++] == '-' ? -1 : 1;
		w = i;
		if (!read_uint(s, n, &i, 1, &v))
			return false;
		if (i < n && s[i] == ':') {
			int64_t		t;

			i = w;
			if (!parse_time_part(s, n, &i, &t)) {
				/* Hours may have more than two digits ("100:00:00"). */
				int64_t		h,
							mi,
							se;

				i = w;
				if (!read_uint(s, n, &i, 1, &h) || !expect(s, n, &i, ':') ||
					!read_uint(s, n, &i, 2, &mi) || !expect(s, n, &i, ':') ||
					!read_uint(s, n, &i, 2, &se))
					return false;
				t = h;
				if (!mul_add(&t, 60, mi) || !mul_add(&t, 60, se) || !mul_add(&t, US_PER_SEC, 0))
					return false;
			}
			iv->hours = sign * (t / (3600 * US_PER_SEC));
			iv->minutes = sign * (t / (60 * US_PER_SEC) % 60);
			iv->seconds = (double) (sign * (t / US_PER_SEC % 60)) +
				(double) (sign * (t % US_PER_SEC)) / 1000000.0;
			continue;
		}
		if (v > INT32_MAX || !expect(s, n, &i, ' '))
			return false;
		w = i;
		while (i < n && s[i] != ' ')
			i++;
		if (strncmp(s + w, "year", 4) == 0)
			iv->years += sign * v;
		else if (strncmp(s + w, "mon", 3) == 0)
			iv->months += sign * v;
		else if (strncmp(s + w, "day", 3) == 0)
			iv->days += sign * v;
		else
			return false;
		if (iv->years > INT32_MAX / 12 || iv->years < INT32_MIN / 12 || iv->months > INT32_MAX ||
			iv->months < INT32_MIN || iv->days > INT32_MAX || iv->days < INT32_MIN)
			return false;
	}
	return true;
}

/*
 * The interval as PGInterval reads it, then MicroDuration.durationMicros()
 * with 365.25/12 days a month, in the same double arithmetic.
 */
bool
conv_interval(const char *s, size_t n, int64_t *us)
{
	struct pg_interval iv;
	double		nd,
				ns;

	if (!conv_interval_parts(s, n, &iv))
		return false;
	/* PGInterval's int fields, then durationMicros()'s doubles. */
	nd = (double) (int32_t) (iv.years * 12 + iv.months) * (365.25 / 12.0) + (double) iv.days;
	ns = (((nd * 24 + (double) iv.hours) * 60) + (double) iv.minutes) * 60 + iv.seconds;
	ns *= 1e6;
	/* Java's (long) cast saturates. */
	if (ns >= 9223372036854775808.0)
		*us = INT64_MAX;
	else if (ns <= -9223372036854775808.0)
		*us = INT64_MIN;
	else
		*us = (int64_t) ns;
	return true;
}

bool
conv_bits(const char *s, size_t n, struct buf *out)
{
	size_t		nbytes = (n + 7) / 8,
				i;
	unsigned char *b = xcalloc(nbytes + 1, 1);

	for (i = 0; i < n; i++) {
		size_t		pos = n - 1 - i;

		if (s[i] == '1')
			b[pos / 8] |= (unsigned char) (1u << (pos % 8));
		else if (s[i] != '0') {
			free(b);
			return false;
		}
	}
	while (nbytes > 0 && b[nbytes - 1] == 0)
		nbytes--;
	buf_putc(out, '"');
	base64_put(out, b, nbytes);
	buf_putc(out, '"');
	free(b);
	return true;
}

bool
conv_bytea(const char *s, size_t n, struct buf *out)
{
	unsigned char b[3 * 1024];	/* a multiple of 3: base64 of the pieces = of the whole */
	size_t		i,
				nb,
				k = 0,
				mark = out->len;

	if (n < 2 || s[0] != '\\' || s[1] != 'x' || n % 2 != 0)
		return false;
	nb = (n - 2) / 2;
	buf_reserve(out, (nb + 2) / 3 * 4 + 2);
	buf_putc(out, '"');
	/* In pieces, so that a large value is never held twice. */
	for (i = 0; i < nb; i++) {
		int			hi = hex_digit(s[2 + 2 * i]),
					lo = hex_digit(s[3 + 2 * i]);

		if (hi < 0 || lo < 0) {
			out->len = mark;
			return false;
		}
		b[k++] = (unsigned char) (hi << 4 | lo);
		if (k == sizeof b) {
			base64_put(out, b, k);
			k = 0;
		}
	}
	base64_put(out, b, k);
	buf_putc(out, '"');
	return true;
}

int32_t
conv_java_hash(const char *s, size_t n)
{
	uint32_t	h = 0;
	size_t		i = 0;

	while (i < n) {
		unsigned char c = (unsigned char) s[i];
		uint32_t	cp;
		size_t		len;

		if (c < 0x80)
			cp = c, len = 1;
		else if (c < 0xe0)
			cp = c & 0x1f, len = 2;
		else if (c < 0xf0)
			cp = c & 0x0f, len = 3;
		else
			cp = c & 0x07, len = 4;
		for (size_t k = 1; k < len && i + k < n; k++)
			cp = cp << 6 | ((unsigned char) s[i + k] & 0x3f);
		i += len;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			h = 31 * h + (0xd800 + (cp >> 10));
			h = 31 * h + (0xdc00 + (cp & 0x3ff));
		} else
			h = 31 * h + cp;
	}
	return (int32_t) h;
}

size_t
conv_hashmap_capacity(size_t n)
{
	size_t		cap = 16;

	while (n > cap * 3 / 4)
		cap *= 2;
	return cap;
}

uint32_t
conv_hashmap_bucket(const char *s, size_t n, size_t capacity)
{
	uint32_t	h = (uint32_t) conv_java_hash(s, n);

	return (h ^ (h >> 16)) & (uint32_t) (capacity - 1);
}

struct hs_entry {
	size_t		k,
				kn,
				v,
				vn;				/* offsets into the text buffer */
	bool		null;
	uint32_t	bucket_hash;
	size_t		order;
};

static int
hs_cmp(const void *a, const void *b)
{
	const struct hs_entry *x = a,
			   *y = b;

	if (x->bucket_hash != y->bucket_hash)
		return x->bucket_hash < y->bucket_hash ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Reads one "quoted" hstore token into text; returns false if malformed. */
static bool
hs_token(const char *s, size_t n, size_t *i, struct buf *text, size_t *off, size_t *len)
{
	if (!expect(s, n, i, '"'))
		return false;
	*off = text->len;
	while (*i < n && s[*i] != '"') {
		if (s[*i] == '\\' && *i + 1 < n)
			(*i)++;
		buf_putc(text, s[(*i)++]);
	}
	*len = text->len - *off;
	return expect(s, n, i, '"');
}

bool
conv_hstore(const char *s, size_t n, struct buf *out)
{
	struct buf	text = BUF_INIT,
				json = BUF_INIT;
	struct hs_entry *e = NULL;
	size_t		ne = 0,
				cap = 0,
				i = 0,
				k,
				tabsize = 16;
	bool		ok = true;

	while (ok && i < n) {
		struct hs_entry x = {0};

		while (i < n && (s[i] == ' ' || s[i] == ','))
			i++;
		if (i == n)
			break;
		ok = hs_token(s, n, &i, &text, &x.k, &x.kn) && expect(s, n, &i, '=') &&
			expect(s, n, &i, '>');
		if (ok && n - i >= 4 && memcmp(s + i, "NULL", 4) == 0)
			x.null = true, i += 4;
		else if (ok)
			ok = hs_token(s, n, &i, &text, &x.v, &x.vn);
		if (ne == cap)
			e = xrealloc(e, (cap = cap ? cap * 2 : 8) * sizeof *e);
		x.order = ne;
		e[ne++] = x;
	}
	if (ok) {
		tabsize = conv_hashmap_capacity(ne);
		for (k = 0; k < ne; k++)
			e[k].bucket_hash = conv_hashmap_bucket(text.data + e[k].k, e[k].kn, tabsize);
		if (ne > 0)
			qsort(e, ne, sizeof *e, hs_cmp);
		buf_putc(&json, '{');
		for (k = 0; k < ne; k++) {
			if (k > 0)
				buf_putc(&json, ',');
			json_put_str_utf8(&json, text.data + e[k].k, e[k].kn);
			buf_putc(&json, ':');
			if (e[k].null)
				buf_puts(&json, "null");
			else
				json_put_str_utf8(&json, text.data + e[k].v, e[k].vn);
		}
		buf_putc(&json, '}');
		json_put_str(out, json.data, json.len);
	}
	free(e);
	buf_free(&text);
	buf_free(&json);
	return ok;
}

bool
conv_point(const char *s, size_t n, struct buf *out)
{
	unsigned char wkb[21];
	const char *comma;
	double		x,
				y;
	char	   *end;
	struct buf	tmp = BUF_INIT;
	bool		ok;

	if (n < 5 || s[0] != '(' || s[n - 1] != ')' ||
		(comma = memchr(s, ',', n)) == NULL)
		return false;
	buf_put(&tmp, s + 1, n - 2);
	x = strtod(buf_cstr(&tmp), &end);
	ok = *end == ',';
	y = strtod(end + 1, &end);
	ok = ok && *end == '\0';
	buf_free(&tmp);
	if (!ok)
		return false;
	wkb[0] = 1;					/* little endian */
	wkb[1] = 1, wkb[2] = wkb[3] = wkb[4] = 0;	/* wkbPoint */
	for (int k = 0; k < 8; k++) {
		uint64_t	bx,
					by;

		memcpy(&bx, &x, 8);
		memcpy(&by, &y, 8);
		wkb[5 + k] = (unsigned char) (bx >> (8 * k));
		wkb[13 + k] = (unsigned char) (by >> (8 * k));
	}
	buf_puts(out, "{\"x\":");
	if (!conv_java_float(s + 1, (size_t) (comma - s - 1), false, out))
		return false;
	buf_puts(out, ",\"y\":");
	if (!conv_java_float(comma + 1, (size_t) (s + n - 1 - comma - 1), false, out))
		return false;
	buf_puts(out, ",\"wkb\":\"");
	base64_put(out, wkb, sizeof wkb);
	buf_puts(out, "\",\"srid\":null}");
	return true;
}

bool
conv_array_split(const char *s, size_t n, conv_elem_fn fn, void *arg)
{
	struct buf	el = BUF_INIT;
	size_t		i = 1;
	bool		ok = true;

	if (n < 2 || s[0] != '{' || s[n - 1] != '}')
		return false;
	n--;						/* the closing brace */
	if (i == n) {
		buf_free(&el);
		return true;
	}
	while (ok) {
		buf_reset(&el);
		if (i < n && s[i] == '"') {
			i++;
			while (i < n && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				buf_putc(&el, s[i++]);
			}
			ok = i < n;
			i++;
			if (ok)
				ok = fn(arg, el.data ? el.data : "", el.len);
		} else {
			size_t		start = i;

			while (i < n && s[i] != ',')
				i++;
			if (i == start || s[start] == '{')
				ok = false;
			else if (i - start == 4 && strncasecmp(s + start, "NULL", 4) == 0)
				ok = fn(arg, NULL, 0);
			else
				ok = fn(arg, s + start, i - start);
		}
		if (!ok || i >= n)
			break;
		if (s[i] != ',')
			ok = false;
		i++;
	}
	buf_free(&el);
	return ok && i >= n;
}
