/* TSC-based time: calibration against the PIT, and ticks -> nanoseconds. */
#ifndef KERNEL_TSC_H
#define KERNEL_TSC_H
#include "kernel/types.h"

/* Nanoseconds for a TSC value, at the calibrated rate (1 GHz until calibrated). */
u64 tsc_ns(u64 ticks);
/* Calibrated rate in kHz; 0 until tsc_calibrate() succeeded. */
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
 * The boot policy: calibrate with 5 windows of 10 ms, then 7 of 20 ms, then
 * 9 of 50 ms while the measurement is disturbed (-HV_EBUSY); if the last
 * one is still disturbed its plausible median is used anyway (a rough rate
 * beats none) and 1 is returned so the caller can warn. Returns 0, 1, or the
 * error of the last attempt (-HV_ETIMEDOUT, -HV_ERANGE). *c is the last attempt.
 */
int tsc_calibrate_boot(struct tsc_calib *c, unsigned *attempts);
/* Installs a rate directly (host tests, or a known-good source). */
void tsc_set_khz(u64 khz);

#endif
