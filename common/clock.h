/*
 * clock.h - the clocks the commands read: one place for which clock means
 * what.
 *
 *   clock_mono_ms    CLOCK_MONOTONIC, for timeouts and intervals
 *   clock_coarse_ms  CLOCK_MONOTONIC_COARSE, as cheap as a memory read, for
 *                    checks made on every pass of a hot loop (metrics,
 *                    progress), where a few milliseconds do not matter
 *   clock_wall_us    CLOCK_REALTIME in microseconds since the Unix epoch, for
 *                    times that go into records and files
 *   clock_wall_ns    the same in nanoseconds, for records that carry
 *                    ms, us and ns of one reading (ts_ms, ts_us, ts_ns)
 */
#ifndef WALPIPE_CLOCK_H
#define WALPIPE_CLOCK_H

#include <stdint.h>

int64_t clock_mono_ms(void);
int64_t clock_mono_us(void);
int64_t clock_coarse_ms(void);
int64_t clock_wall_us(void);
int64_t clock_wall_ns(void);

#endif
