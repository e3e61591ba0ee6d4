/*
 * convtime.c - date, time, timestamp and interval conversions of
 * Debezium's PostgresValueConverter and its java.sql readings, from
 * PostgreSQL's text output.  See convtime.h for the contract.
 */
#include "convtime.h"

#include <stdio.h>
#include <string.h>

#include "dbzvocab.h"
#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY (INT64_C(86400) * US_PER_SEC)

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* *acc = *acc * m + a, false on int64 overflow (absurd dates and intervals). */
static bool
mul_add(int64_t *acc, int64_t m, int64_t a)
{
	int64_t r;

	return !__builtin_mul_overflow(*acc, m, &r) && !__builtin_add_overflow(r, a, acc);
}

/* Reads an unsigned decimal number of at least min digits at s[*i]. */
static bool
read_uint(const char *s, size_t n, size_t *i, size_t min, int64_t *v)
{
	size_t start = *i;

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

static bool
parse_date_part(const char *s, size_t n, size_t *i, int64_t *days)
{
	int64_t y, m, d;

	if (!read_uint(s, n, i, 4, &y) || !expect(s, n, i, '-') || !read_uint(s, n, i, 2, &m) ||
		!expect(s, n, i, '-') || !read_uint(s, n, i, 2, &d) || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	/* " BC" ends the value; year 1 BC is year 0 of the proleptic calendar. */
	if (n >= 3 && memcmp(s + n - 3, " BC", 3) == 0)
		y = 1 - y;
	*days = dbz_days_from_civil(y, (int) m, (int) d);
	return true;
}

/* HH:MM:SS[.ffffff] -> microseconds. */
static bool
parse_time_part(const char *s, size_t n, size_t *i, int64_t *us)
{
	int64_t h, mi, se, frac = 0;
	size_t digits = 0;

	if (!read_uint(s, n, i, 2, &h) || !expect(s, n, i, ':') || !read_uint(s, n, i, 2, &mi) ||
		!expect(s, n, i, ':') || !read_uint(s, n, i, 2, &se))
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
	int sign;
	int64_t h, m = 0, sec = 0;

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
	size_t i = 0;

	return parse_date_part(s, n, &i, days) && at_end(s, n, i);
}

bool
conv_time(const char *s, size_t n, int64_t *us)
{
	size_t i = 0;

	return parse_time_part(s, n, &i, us) && i == n && *us <= US_PER_DAY;
}

/* HH:MM:SS[.fraction without trailing zeros], ISO_LOCAL_TIME style. */
static void
put_time_of_day(struct buf *out, int64_t us, int fixed_digits)
{
	int64_t secs = us / US_PER_SEC, frac = us % US_PER_SEC;
	char f[8];
	int nd = 6;

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
	size_t i = 0;
	int64_t us, off;

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
	size_t i = 0;
	int64_t days, t;

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
	int64_t secs, frac;

	if (!parse_timestamp(s, n, &secs, &frac))
		return false;
	*us = secs;
	return mul_add(us, US_PER_SEC, frac);
}

bool
conv_timestamp_java(const char *s, size_t n, int64_t *us)
{
	int64_t secs, frac;
	uint64_t sum;

	if (!parse_timestamp(s, n, &secs, &frac))
		return false;
	if (__builtin_mul_overflow(secs, US_PER_SEC, us))
		*us = secs < 0 ? INT64_MIN : INT64_MAX;
	sum = (uint64_t) *us + (uint64_t) frac; /* Java's long addition wraps */
	memcpy(us, &sum, sizeof *us);
	return true;
}

bool
conv_date_array_elem(const char *s, size_t n, int64_t *days)
{
	int64_t y;
	int m, d;

	if (!conv_date(s, n, days))
		return false;
	dbz_civil_from_days(*days, &y, &m, &d);
	if (y <= 0)
		*days = dbz_days_from_civil(1 - y, m, d);
	else if (dbz_in_cutover_gap(*days))
		*days += 10;
	return true;
}

bool
conv_timestamp_array_elem(const char *s, size_t n, int64_t *us)
{
	int64_t days, y;
	int m, d;

	if (!conv_timestamp(s, n, us))
		return false;
	days = *us / US_PER_DAY - (*us % US_PER_DAY < 0);
	if (days >= DBZ_GREGORIAN_START)
		return true;
	dbz_civil_from_days(days, &y, &m, &d);
	*us += (dbz_days_from_julian(y, m, d) - days) * US_PER_DAY;
	return true;
}

static bool tstz_fields(const char *s, size_t n, int precision, bool java_fields, struct buf *out);

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
	size_t i = 0;
	int64_t days, t, off, secs, y;
	int m, d;

	if ((n == 8 && memcmp(s, "infinity", 8) == 0) || (n == 9 && memcmp(s, "-infinity", 9) == 0)) {
		json_put_str(out, s, n);
		return true;
	}
	if (!parse_date_part(s, n, &i, &days) || !expect(s, n, &i, ' ') ||
		!parse_time_part(s, n, &i, &t) || !parse_offset(s, n, &i, &off) || !at_end(s, n, i))
		return false;
	/* In seconds: microseconds since the epoch overflow past year 294247. */
	secs = days * 86400 + t / US_PER_SEC - off;
	days = secs / 86400 - (secs % 86400 < 0);
	t = (secs - days * 86400) * US_PER_SEC + t % US_PER_SEC;
	if (java_fields && dbz_in_cutover_gap(days))
		days += 10;
	dbz_civil_from_days(days, &y, &m, &d);
	if (java_fields && y <= 0)
		y = 1 - y;
	buf_putc(out, '"');
	if (y > 9999)
		buf_printf(out, "+%lld", (long long) y);
	else if (y < 0)
		buf_printf(out, "-%04lld", (long long) -y);
	else
		buf_printf(out, "%04lld", (long long) y);
	buf_printf(out, "-%02d-%02dT", m, d);
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
	size_t i = 0;

	memset(iv, 0, sizeof *iv);
	while (i < n) {
		int sign = 1;
		int64_t v;
		size_t w;

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
			int64_t t;

			i = w;
			if (!parse_time_part(s, n, &i, &t)) {
				/* Hours may have more than two digits ("100:00:00"). */
				int64_t h, mi, se;

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
	double nd, ns;

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
conv_interval_iso(const char *s, size_t n, struct buf *out)
{
	struct pg_interval iv;
	char sec[40];
	size_t k;

	if (!conv_interval_parts(s, n, &iv))
		return false;
	/* At most six fraction digits: %.6f is the exact decimal, trailing zeros stripped. */
	snprintf(sec, sizeof sec, "%.6f", iv.seconds);
	k = strlen(sec);
	while (sec[k - 1] == '0')
		sec[--k] = '\0';
	if (sec[k - 1] == '.')
		sec[--k] = '\0';
	if (strcmp(sec, "-0") == 0)
		strcpy(sec, "0");
	buf_printf(out, "\"P%lldY%lldM%lldDT%lldH%lldM%sS\"", (long long) iv.years,
			   (long long) iv.months, (long long) iv.days, (long long) iv.hours,
			   (long long) iv.minutes, sec);
	return true;
}
