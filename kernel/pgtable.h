/*
 * One page-table builder for every 4-level x86-style radix table Sluice
 * writes: the CPU side of a partition (AMD nested paging, Intel EPT), the
 * device side (VT-d second-stage, VT-d spec 9.8) and the guest's own
 * identity-mapped long-mode tables (elf64 entry). The formats share the
 * walk (9 bits per level, 4 KiB tables, 2 MiB / 1 GiB leaves) and differ
 * only in how an entry is encoded. Portable core: table memory comes from
 * a struct pt_mem (the page allocator, or guest memory, or a test fake).
 * No locking: the caller serialises changes to one table and invalidates
 * whatever caches it (TLB, IOTLB) after unmapping.
 */
#ifndef KERNEL_PGTABLE_H
#define KERNEL_PGTABLE_H
#include "kernel/types.h"

enum pt_format {
	PT_FMT_X86,     /* long-mode paging, supervisor (a guest's own tables, Intel SDM vol 3 4.5) */
	PT_FMT_NPT,     /* AMD nested paging: long-mode entries with U=1 at every level (APM vol 2 15.25.5) */
	PT_FMT_EPT,     /* Intel EPT: R/W/X bits, memory type in leaves (SDM vol 3 29.3.2) */
	PT_FMT_VTD,     /* VT-d second-stage: R/W, SNP optional (VT-d 9.8) */
};

/* prot bits for pt_map (IOMMU_READ/IOMMU_WRITE are bits 0 and 1 too). */
#define PT_READ                 BIT_ULL(0)
#define PT_WRITE                BIT_ULL(1)
#define PT_EXEC                 BIT_ULL(2)      /* X86/NPT: NX clear; EPT: X; VT-d: ignored */
#define PT_UNCACHED             BIT_ULL(3)      /* device memory: X86/NPT PCD|PWT, EPT type UC; VT-d: ignored */

/* Leaf sizes a table may use besides 4 KiB. */
#define PT_LARGE_2M             BIT_ULL(0)
#define PT_LARGE_1G             BIT_ULL(1)

/* Where tables live. alloc gives one zeroed 4 KiB table and the address entries hold for it. */
struct pt_mem {
	void *(*alloc)(void *ctx, u64 *pa);     /* NULL: out of memory */
	void (*free)(void *ctx, u64 pa);
	void *(*va)(void *ctx, u64 pa);         /* the table at pa, for walks */
	void *ctx;
};
/* Tables from the page allocator, reached through phys_to_virt. */
extern const struct pt_mem pt_mem_host;

struct pt {
	enum pt_format fmt;
	unsigned levels;        /* 3 (39-bit) or 4 (48-bit) */
	u32 large;              /* PT_LARGE_* allowed */
	bool flush;             /* the walker does not snoop caches: flush every entry written */
	bool snoop;             /* VT-d: set SNP in leaves */
	u64 root_pa;
	u64 tables;             /* table pages held, root included */
	const struct pt_mem *mem;
};

/* Allocates the root. Returns 0, -HV_EINVAL (levels not 3 or 4) or -HV_ENOMEM. */
int pt_init(struct pt *pt, enum pt_format fmt, unsigned levels, u32 large, const struct pt_mem *mem);
/*
 * Maps [va, va + size) to [pa, ...) with prot, largest leaves first where
 * alignment and pt->large allow. Returns 0, -HV_EINVAL (unaligned, zero
 * size, no PT_READ/PT_WRITE, wraps), -HV_ERANGE (va past the table's
 * width, pa past 52 bits), -HV_EEXIST (some page already mapped: nothing
 * changed) or -HV_ENOMEM (nothing stays mapped).
 */
int pt_map(struct pt *pt, u64 va, u64 pa, u64 size, u32 prot);
/* Removes every mapping in the range, splitting superpages that straddle it. 0 or -HV_E*. */
int pt_unmap(struct pt *pt, u64 va, u64 size);
/*
 * Software walk: the page holding va. Returns 0 with *pa (of va itself),
 * *prot and *page_size (any of them may be NULL), or -HV_ENOENT.
 */
int pt_lookup(const struct pt *pt, u64 va, u64 *pa, u32 *prot, u64 *page_size);
/* Frees every table (nothing may walk them any more). */
void pt_destroy(struct pt *pt);

#endif
