/*
 * The one bounded wait: every hardware wait in Sluice goes through
 * wait_until() and comes back with -HV_ETIMEDOUT instead of hanging.
 */
#ifndef KERNEL_WAIT_H
#define KERNEL_WAIT_H
#include "kernel/types.h"

/*
 * Polls cond(arg) until it returns true or timeout_us microseconds pass on
 * the monotonic clock. cond is always evaluated once more after the deadline,
 * so a condition that became true just in time is not reported as a timeout.
 * Returns 0 or -HV_ETIMEDOUT.
 */
int wait_until(bool (*cond)(void *arg), void *arg, u64 timeout_us);
/* Busy-waits us microseconds. */
void udelay(u64 us);

#endif
