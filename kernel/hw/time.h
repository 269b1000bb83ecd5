/* Door: a monotonic clock for bounded waits (TSC natively, a fake in tests). */
#ifndef KERNEL_HW_TIME_H
#define KERNEL_HW_TIME_H
#include "kernel/types.h"

/* Nanoseconds since an arbitrary point; monotonic. */
u64 time_now_ns(void);

#endif
