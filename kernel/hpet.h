/*
 * The HPET's main counter as a clock to measure the TSC against (Sluice
 * uses no HPET comparator and gives partitions no HPET).
 */
#ifndef KERNEL_HPET_H
#define KERNEL_HPET_H
#include "kernel/types.h"

struct io_region;

struct hpet {
	struct io_region *regs;
	u64 pa;
	u64 period_fs;          /* femtoseconds per main counter tick */
	bool counter64;         /* the main counter is 64 bits wide (else 32, wrapping) */
	bool enabled_here;      /* the counter was stopped and Sluice started it */
};

/*
 * The timer block's address from the ACPI HPET table t[len]. Returns 0 and
 * *pa; -HV_EINVAL for a table too short or not HPET; -HV_ENOTSUP when the
 * block is not in system memory or sits at 0.
 */
int hpet_table_parse(const u8 *t, u32 len, u64 *pa);
/*
 * Maps the timer block at pa, reads its tick period and counter width, and
 * starts the main counter when it is stopped (it is left running). Returns
 * 0; -HV_ERANGE when it cannot be mapped; -HV_ENODEV when GCAP_ID reads
 * all-ones or a period of 0 or above the specification's 100 ns.
 */
int hpet_open(u64 pa, struct hpet *h);
/* The main counter (a 32-bit one in the low half). */
u64 hpet_counter(const struct hpet *h);
/*
 * A window for tsc_calibrate_against() (kernel/tsc.h), ctx an opened struct
 * hpet: the TSC ticks while the main counter counts ms milliseconds.
 * Returns 0; -HV_ETIMEDOUT when the counter stops moving.
 */
int hpet_tsc_window(const void *ctx, unsigned ms, u64 *ticks);

#endif
