/* TSC-based time: calibration against the PIT, and ticks -> nanoseconds. */
#ifndef KERNEL_TSC_H
#define KERNEL_TSC_H
#include "kernel/types.h"

/* Nanoseconds for a TSC value, at the calibrated rate (1 GHz until calibrated). */
u64 tsc_ns(u64 ticks);
/* Calibrated rate in kHz; 0 until tsc_calibrate() succeeded. */
u64 tsc_khz(void);
/*
 * Measures the TSC against PIT channel 2 (mode 0, 1.193182 MHz) over
 * rounds windows of ms milliseconds and keeps the median. Returns 0, or
 * -HV_ETIMEDOUT when the PIT never signals (no PIT), -HV_ERANGE when the
 * result is not plausible (< 10 MHz or > 100 GHz) or no majority of rounds
 * lies within 10% of the median. Sets the rate used by tsc_ns() only on success.
 */
int tsc_calibrate(unsigned ms, unsigned rounds);
/* Installs a rate directly (host tests, or a known-good source). */
void tsc_set_khz(u64 khz);

#endif
