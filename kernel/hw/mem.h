/* Door: physical memory as the kernel sees it through its direct map. */
#ifndef KERNEL_HW_MEM_H
#define KERNEL_HW_MEM_H
#include "kernel/types.h"

/*
 * Returns a pointer through which len bytes at physical address pa can be
 * read and written, or NULL when [pa, pa+len) is not (entirely) mapped.
 * Callers that parse firmware tables must handle NULL: a table length that
 * runs past the mapping is bad input, not a crash.
 */
void *phys_to_virt(u64 pa, u64 len);
/* Inverse of phys_to_virt for memory the kernel owns. */
u64 virt_to_phys(const void *va);

#endif
