/*
 * Durations as a user writes them, for time limits (sluice.conf's
 * time-limit, the command line's time-limit=): a decimal number and a unit,
 * no blank between them: `500ms`, `10s`, `2m`, `1h`. Bounded: 1 ms to
 * DURATION_MAX_MS (24 hours). Portable, host-tested.
 */
#ifndef KERNEL_DURATION_H
#define KERNEL_DURATION_H
#include "kernel/types.h"

#define DURATION_MAX_MS         (24ULL * 3600 * 1000)
#define DURATION_TEXT_MAX       16      /* "86400000ms" and the NUL fit */

/*
 * Parses [s, s+n) as a duration into *ms. Returns 0, or -HV_EINVAL (no
 * number, no unit or an unknown one, anything else in the text) or
 * -HV_ERANGE (0, or more than DURATION_MAX_MS).
 */
int duration_parse(const char *s, size_t n, u64 *ms);
/* Writes ms as the largest unit that divides it ("2m", "1500ms") into buf; returns buf. */
const char *duration_format(u64 ms, char *buf, size_t size);

#endif
