/* The few libc pieces the kernel needs; on the host build libc provides them. */
#ifndef KERNEL_LIB_H
#define KERNEL_LIB_H
#include "kernel/types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* Copies at most size-1 chars and always terminates (when size > 0); returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t size);
/*
 * Parses an unsigned number: decimal, 0x hex, with an optional K/M/G suffix
 * when suffixes is true. Returns 0 and *out, or -HV_EINVAL / -HV_ERANGE.
 * The whole of [s, s+n) must be the number, with at least one digit
 * ("0x" and "0x_" are not numbers; '_' may group hex digits).
 */
int str_to_u64(const char *s, size_t n, bool suffixes, u64 *out);
/* Decimal digits only (no 0x, no suffix): the whole of [s, s+n). 0, -HV_EINVAL or -HV_ERANGE. */
int str_to_dec(const char *s, size_t n, u64 *out);
/* a and b equal when ASCII letters are folded to lower case. */
bool str_eq_nocase(const char *a, const char *b);
/* [a, a+alen) and [b, b+blen) share a byte; no end is computed, so a range at 2^64 cannot wrap. */
static inline bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a >= b ? alen && a - b < blen : blen && b - a < alen;
}
/*
 * Parses "[SSSS:]BB:DD.F" (hex; the whole of [s, s+n)) into an SBDF
 * (kernel/hw/pci_cfg.h). Returns true on success. The config file, the
 * sriov= word and the console share it.
 */
bool pci_sbdf_parse(const char *s, size_t n, u32 *sbdf);

#endif
