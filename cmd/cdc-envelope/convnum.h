/*
 * convnum.h - PostgreSQL number text to the JSON Debezium writes: Java's
 * Double.toString() and Float.toString(), Kafka Connect's Decimal, and
 * Debezium's VariableScaleDecimal; decimal.handling.mode double and
 * string.  Each function appends to out and returns false, appending
 * nothing meaningful, when the text is no number.  Nothing exits or logs.
 */
#ifndef CDC_ENVELOPE_CONVNUM_H
#define CDC_ENVELOPE_CONVNUM_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/*
 * Java's Double.toString() (Float.toString() when single) form of a
 * decimal number text.
 */
bool conv_java_float(const char *s, size_t n, bool single, struct buf *out);
/*
 * The digits JDK 17's Double.toString() (Float.toString() when single)
 * writes for v, nonzero and finite: *nd digits (at most 32) and point,
 * the value being 0.DIGITS x 10^point.  False for 0, NaN and infinities.
 */
bool conv_java_digits(double v, bool single, char *digits, size_t *nd, int *point);
/* Java's Double.toString() of a double. */
void conv_java_double(double d, struct buf *out);

/*
 * numeric text -> base64 of the two's complement big-endian unscaled value
 * at the given scale (Kafka Connect Decimal); money text ("$1,234.50",
 * "-$3.00") is accepted too.  A value that needs more fraction digits than
 * scale is rounded half up, as BigDecimal.setScale(HALF_UP) does.
 */
bool conv_decimal(const char *s, size_t n, int scale, struct buf *out);
/* numeric text -> {"scale":S,"value":"base64"} (VariableScaleDecimal). */
bool conv_varscale(const char *s, size_t n, struct buf *out);
/* numeric or money text -> Java double text. */
bool conv_numeric_double(const char *s, size_t n, struct buf *out);
/* money text -> plain decimal text, "$1,234.50" -> 1234.50 (no quotes). */
bool conv_money_plain(const char *s, size_t n, struct buf *out);
/* True for "NaN", "Infinity", "-Infinity". */
bool conv_is_special_number(const char *s, size_t n);

#endif
