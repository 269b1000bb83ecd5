/*
 * Kernel ranges that firmware holds only until ExitBootServices, staged by
 * kernel_elf.c: before the exit, checks that no destination holds anything
 * still in use after it; after the exit, copies the staged bytes into place.
 * Still in use: the page tables in CR3 (Intel SDM Vol. 3A §4.5 "4-Level
 * Paging and 5-Level Paging"), the GDT and IDT (§2.4 "Memory-Management
 * Registers"), the stack we run on, and the loader's own results (live[]).
 * Does not edit page tables: destinations keep the firmware's attributes.
 */
#include "boot/efi/loader.h"
#include "boot/efi/efi_mmap.h"

/* §4.5 paging-structure entries, all levels. */
#define PTE_P                   BIT_ULL(0)      /* present */
#define PTE_PS                  BIT_ULL(7)      /* 1 GiB / 2 MiB leaf in PDPTE / PDE */
#define PTE_ADDR                GENMASK_ULL(51, 12)
#define CR3_ADDR                GENMASK_ULL(51, 12)
#define CR4_LA57                BIT_ULL(12)     /* 5-level paging */
#define PT_ENTRIES              512
#define PT_LEVEL_PT             1               /* 4 KiB leaves only */
#define PT_LEVEL_PD             2
#define PT_LEVEL_PDPT           3
#define PT_TABLES_MAX           65536           /* 256 MiB of tables: give up */

struct desc_ptr {                               /* SGDT / SIDT image */
	u16 limit;
	u64 base;
} __packed;

static const struct kernel_move *find_move(const struct kernel_image *k, u64 pa, u64 size)
{
	u32 i;

	for (i = 0; i < k->nr_moves; i++) {
		const struct kernel_move *mv = &k->moves[i];

		if (pa < mv->dst_pa + mv->size && pa + size > mv->dst_pa)
			return mv;
	}
	return NULL;
}

static EFI_STATUS check_range(const struct kernel_image *k, u64 pa, u64 size,
			      const char *what)
{
	const struct kernel_move *mv = find_move(k, pa, size);

	if (!mv)
		return EFI_SUCCESS;
	return con_fail(EFI_ACCESS_DENIED, "kernel range 0x%016lx-0x%016lx overlaps %s at 0x%016lx-0x%016lx, needed after ExitBootServices", mv->dst_pa, mv->dst_pa + mv->size, what, pa, pa + size);
}

/*
 * Checks the table page at table_pa and, above the PT level, every table
 * its present non-leaf entries point to. *budget bounds the walk.
 */
static EFI_STATUS check_tables(const struct kernel_image *k, u64 table_pa,
			       int level, u32 *budget)
{
	const u64 *t = (const u64 *)(uintptr_t)table_pa;
	EFI_STATUS st;
	u32 i;

	if (*budget == 0)
		return con_fail(EFI_UNSUPPORTED, "more than %u page tables to check", PT_TABLES_MAX);
	(*budget)--;
	st = check_range(k, table_pa, PAGE_SIZE, "a page table");
	if (EFI_ERROR(st) || level == PT_LEVEL_PT)
		return st;
	for (i = 0; i < PT_ENTRIES; i++) {
		if (!(t[i] & PTE_P))
			continue;
		if ((level == PT_LEVEL_PD || level == PT_LEVEL_PDPT) && (t[i] & PTE_PS))
			continue;
		st = check_tables(k, t[i] & PTE_ADDR, level - 1, budget);
		if (EFI_ERROR(st))
			return st;
	}
	return EFI_SUCCESS;
}

/* The memory map descriptor holding pa: the whole stack allocation, say. */
static bool descriptor_of(u64 pa, u64 *start, u64 *size)
{
	UINTN n, key, desc_size, i;
	UINT32 version;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&n, &key, &desc_size, &version);
	bool found = false;

	if (!map)
		return false;
	for (i = 0; i < n && !found; i++) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)((u8 *)map + i * desc_size);

		if (pa >= d->PhysicalStart && pa - d->PhysicalStart < d->NumberOfPages * EFI_MMAP_PAGE_SIZE) {
			*start = d->PhysicalStart;
			*size = d->NumberOfPages * EFI_MMAP_PAGE_SIZE;
			found = true;
		}
	}
	FreePool(map);
	return found;
}

EFI_STATUS kernel_moves_check(const struct kernel_image *k,
			      const struct live_range *live, u32 nr_live)
{
	struct desc_ptr gdtr, idtr;
	u64 cr3, cr4, rsp, stack_pa, stack_size;
	u32 budget = PT_TABLES_MAX, i;
	EFI_STATUS st;

	for (i = 0; i < nr_live; i++) {
		st = check_range(k, live[i].pa, live[i].size, live[i].what);
		if (EFI_ERROR(st))
			return st;
	}
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	__asm__ volatile("sidt %0" : "=m"(idtr));
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	/* Unknown stack extent: assume 64 KiB either side of here. */
	if (!descriptor_of(rsp, &stack_pa, &stack_size)) {
		stack_pa = rsp - 64 * KiB;
		stack_size = 128 * KiB;
	}
	st = check_range(k, stack_pa, stack_size, "the stack");
	if (!EFI_ERROR(st))
		st = check_range(k, gdtr.base, (u64)gdtr.limit + 1, "the GDT");
	if (!EFI_ERROR(st))
		st = check_range(k, idtr.base, (u64)idtr.limit + 1, "the IDT");
	if (!EFI_ERROR(st))
		st = check_tables(k, cr3 & CR3_ADDR, (cr4 & CR4_LA57) ? 5 : 4, &budget);
	return st;
}

void kernel_moves_run(const struct kernel_image *k)
{
	u32 i;

	for (i = 0; i < k->nr_moves; i++)
		CopyMem((void *)(uintptr_t)k->moves[i].dst_pa,
			(const void *)(uintptr_t)k->moves[i].src_pa, k->moves[i].size);
}
