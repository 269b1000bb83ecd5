/*
 * Native memory door. Sluice runs identity-mapped: boot/mb2_entry.asm maps
 * the first BOOT_MAP_GIB GiB with 2 MiB pages, so a physical address below
 * that is its own virtual address. Memory above it is not reachable (and
 * vm/main.c keeps it out of the allocator).
 */
#include "kernel/hw/mem.h"
#include "kernel/direct_map.h"

void *phys_to_virt(u64 pa, u64 len)
{
	if (pa >= DIRECT_MAP_END || len > DIRECT_MAP_END - pa)
		return NULL;
	return (void *)(uintptr_t)pa;
}

u64 virt_to_phys(const void *va)
{
	return (u64)(uintptr_t)va;
}
