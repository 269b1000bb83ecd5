/*
 * Zeroed pages from the allocator, reached through the direct map: what
 * page tables, IOMMU structures and VMCBs are built in. Kept apart from
 * kernel/page_alloc.c, which never touches the memory it hands out.
 */
#include "kernel/page_alloc.h"
#include "kernel/lib.h"
#include "kernel/hw/mem.h"

void *page_alloc_zeroed(u64 npages, u64 *pa)
{
	if (page_alloc_pages(npages, PAGE_SIZE, pa))
		return NULL;
	void *va = phys_to_virt(*pa, npages * PAGE_SIZE);
	if (!va) {              /* the allocator handed out a page outside the direct map */
		page_free(*pa, npages);
		return NULL;
	}
	memset(va, 0, npages * PAGE_SIZE);
	return va;
}
