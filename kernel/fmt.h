/* printf-style formatting for the freestanding kernel (and host tests). */
#ifndef KERNEL_FMT_H
#define KERNEL_FMT_H
#include "kernel/types.h"

/*
 * C99 vsnprintf subset: flags '-' '0' '#' '+' ' ', width and precision
 * (also '*'), length hh h l ll z, conversions d i u x X o p s c %.
 * Returns the length the full output would have; writes at most size-1
 * characters plus a NUL when size > 0.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
