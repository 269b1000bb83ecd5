/* The calibrated TSC rate (kernel/tsc.h) for host tests that link no calibration. */
#ifndef TESTS_FAKES_FAKE_TSC_H
#define TESTS_FAKES_FAKE_TSC_H
#include "kernel/types.h"

/* What tsc_khz() returns; 3 GHz until a test sets it. */
extern u64 fake_tsc_khz;

#endif
