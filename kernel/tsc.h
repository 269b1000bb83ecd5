/*
 * TSC-based time: the TSC's rate from CPUID 0x15/0x16 where the CPU states
 * it, else measured against the HPET's main counter, else against the PIT;
 * and ticks -> nanoseconds.
 */
#ifndef KERNEL_TSC_H
#define KERNEL_TSC_H
#include "kernel/types.h"

/* Nanoseconds for a TSC value, at the calibrated rate (1 GHz until calibrated). */
u64 tsc_ns(u64 ticks);
/* Calibrated rate in kHz; 0 until a calibration succeeded. */
u64 tsc_khz(void);
struct tsc_calib {
	u64 khz;                /* median of the windows */
	unsigned agree;         /* windows within 10% of the median */
	unsigned rounds;
};

/*
 * Measures the TSC against PIT channel 2 (mode 0, 1.193182 MHz) over
 * rounds windows of ms milliseconds and keeps the median, filling *c.
 * Returns 0 and sets the rate used by tsc_ns(); -HV_ETIMEDOUT when the PIT
 * never signals (no PIT); -HV_ERANGE when the median is not plausible
 * (< 10 MHz or > 100 GHz); -HV_EBUSY when no majority of windows lies within
 * 10% of the median (the measurement was disturbed: an SMI, or a busy
 * emulator host). The rate changes only on 0.
 */
int tsc_calibrate(unsigned ms, unsigned rounds, struct tsc_calib *c);
/*
 * Another clock to measure the TSC against (the HPET: kernel/hpet.h):
 * window() puts in *ticks the TSC ticks while the clock counts ms
 * milliseconds, or returns an error (-HV_ETIMEDOUT: the clock is dead).
 */
struct tsc_clock {
	int (*window)(const void *ctx, unsigned ms, u64 *ticks);
	const void *ctx;
};
/* tsc_calibrate() against clk; returns as tsc_calibrate(), and window()'s errors. */
int tsc_calibrate_against(const struct tsc_clock *clk, unsigned ms, unsigned rounds, struct tsc_calib *c);

/* What CPUID says of the TSC (Intel SDM vol. 3, §19.7.3 "Determining the Processor Base Frequency"). */
struct tsc_cpuid {
	u32 max_leaf;           /* CPUID.0:EAX */
	u32 den, num;           /* CPUID.15H:EAX, EBX: TSC / crystal = num / den */
	u32 crystal_hz;         /* CPUID.15H:ECX, 0: not enumerated */
	u32 base_mhz;           /* CPUID.16H:EAX[15:0], processor base frequency */
};

enum tsc_source {
	TSC_SRC_NONE = 0,
	TSC_SRC_CPUID_CRYSTAL,  /* CPUID 0x15: crystal x num / den */
	TSC_SRC_CPUID_BASE,     /* CPUID 0x15 ratio without a crystal: the 0x16 base frequency */
	TSC_SRC_HPET,
	TSC_SRC_PIT,
};

/* Fills *l from the CPUID door (leaves past max_leaf read as 0). */
void tsc_cpuid_read(struct tsc_cpuid *l);
/*
 * The TSC rate in kHz that the leaves l give, and which way (*src), or 0
 * with *src TSC_SRC_NONE when they give none: leaf 0x15 absent or its ratio
 * 0, crystal 0 without a 0x16 base frequency, or a result outside 10 MHz to
 * 100 GHz.
 */
u64 tsc_khz_from_cpuid(const struct tsc_cpuid *l, enum tsc_source *src);

struct tsc_boot {
	enum tsc_source src;    /* the source in force, TSC_SRC_NONE when none worked */
	struct tsc_cpuid leaves;
	u64 cpuid_khz;          /* the rate CPUID states, 0 when none */
	enum tsc_source cpuid_src;
	enum tsc_source check_src;      /* the clock CPUID's rate was checked against, NONE when none answered */
	u64 check_khz;          /* what that clock measured (0 when the check was disturbed) */
	bool cpuid_refused;     /* the check disagreed by more than 10%: the measured rate is in force */
	struct tsc_calib c;     /* HPET or PIT: the last attempt */
	unsigned attempts;      /* HPET or PIT: attempts made (1 to 3) */
	bool disturbed;         /* the last attempt was disturbed; its median is used */
	int hpet_err;           /* why the HPET gave no rate (0: used, or not tried: -HV_ENODEV without one) */
	int pit_err;            /* why the PIT gave no rate (0: used, or not tried) */
};
/*
 * The boot's calibration: CPUID 0x15/0x16, else the HPET (hpet, NULL when
 * there is none), else the PIT. CPUID's rate is checked with one attempt
 * against the HPET, else the PIT, when either answers, and refused for the
 * measured one when they differ by more than 10% (an emulator's CPUID may
 * state a nominal rate its TSC does not run at). Against a clock it measures with 5 windows
 * of 10 ms, then 7 of 20 ms, then 9 of 50 ms while the measurement is
 * disturbed (-HV_EBUSY); the last one's plausible median is used anyway
 * (disturbed set: a rough rate beats none). Returns 0 with the rate set and
 * *b saying how, or -HV_ENODEV when no source gave a rate (*b says why each
 * failed; the rate is unchanged).
 */
int tsc_calibrate_boot(const struct tsc_clock *hpet, struct tsc_boot *b);
/* Installs a rate directly (host tests, or a known-good source). */
void tsc_set_khz(u64 khz);

#endif
