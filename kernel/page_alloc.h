/*
 * Physical page allocator. It holds free page ranges (not per-page state), so
 * it never touches the memory it manages and runs unchanged in host tests.
 * Only usable RAM from the normalised map enters it; the kernel image, boot
 * modules, boot information and low memory are reserved before the first
 * allocation. Firmware-reserved, ACPI, NVS, MMIO and bad ranges never enter.
 */
#ifndef KERNEL_PAGE_ALLOC_H
#define KERNEL_PAGE_ALLOC_H
#include "kernel/types.h"
#include "kernel/memmap.h"

#define PAGE_ALLOC_RANGES_MAX   1024

/* Starts over with every usable range of m as free. Returns 0 or -HV_ENOMEM. */
int page_alloc_init(const struct memmap *m);
/*
 * Removes [pa, pa+size) (rounded outward to pages) from the free ranges,
 * whatever part of it is free. why names it in debug output. Returns 0 or
 * -HV_ENOMEM when the range table is full.
 */
int page_alloc_reserve(u64 pa, u64 size, const char *why);
/*
 * Allocates npages contiguous pages aligned to align bytes (a power of two,
 * at least PAGE_SIZE), lowest address first. Returns 0 and *pa, -HV_EINVAL
 * or -HV_ENOMEM.
 */
int page_alloc_pages(u64 npages, u64 align, u64 *pa);
/*
 * Allocates exactly [pa, pa + npages pages). Returns 0, -HV_EINVAL (pa not
 * page-aligned, zero pages, wraps) or -HV_EBUSY when any page of it is not free.
 */
int page_alloc_fixed(u64 pa, u64 npages);
/*
 * Returns pages to the free ranges. -HV_EINVAL if any of them is already
 * free, -HV_ENOMEM when the range table is full.
 */
int page_free(u64 pa, u64 npages);
/* npages page-aligned pages, zeroed through the direct map (kernel/page_zero.c): the VA, *pa; NULL when none. */
void *page_alloc_zeroed(u64 npages, u64 *pa);
u64 page_alloc_free_pages(void);
/* True when every page of [pa, pa+size) is free. */
bool page_alloc_is_free(u64 pa, u64 size);
/* Logs the free ranges under subsystem "mem" (debug level). */
void page_alloc_print(void);

#endif
