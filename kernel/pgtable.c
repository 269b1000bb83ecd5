/*
 * The one 4-level radix page-table builder (kernel/pgtable.h). The walk is
 * the same for every format: 4 KiB tables of 512 entries, 9 bits of the
 * address per level, level 1 maps 4 KiB, level 2 2 MiB, level 3 1 GiB.
 * Only the entry encoding differs:
 *  - X86/NPT (Intel SDM vol 3 4.5, AMD APM vol 2 5.3 and 15.25.5): P bit 0,
 *    R/W bit 1, U/S bit 2 (set at every level for NPT: nested walks are user
 *    accesses), PWT bit 3 and PCD bit 4 for uncached leaves, PS bit 7 in
 *    2 MiB/1 GiB leaves. NX (bit 63) is never set: it is reserved unless
 *    EFER.NXE, which a guest (X86) or the host (NPT) may not have.
 *  - EPT (SDM vol 3 29.3.2): R/W/X bits 0-2, memory type bits 5:3 in leaves
 *    (6 = WB, 0 = UC), large page bit 7; tables get R|W|X.
 *  - VT-d second stage (VT-d spec 9.8): R bit 0, W bit 1, PS bit 7, SNP bit
 *    11 in leaves when asked; tables get R|W.
 * Entries hold addresses as the walker sees them (host physical for NPT,
 * EPT and VT-d, guest physical for a guest's own tables): the builder
 * reaches a table only through pt->mem->va.
 */
#include "kernel/pgtable.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
#include "kernel/hw/cpu.h"

#define PT_ENTRIES              512
#define PT_ADDR_MASK            GENMASK_ULL(51, 12)
#define PT_PA_LIMIT             BIT_ULL(52)

#define X86_P                   BIT_ULL(0)
#define X86_RW                  BIT_ULL(1)
#define X86_US                  BIT_ULL(2)
#define X86_PWT                 BIT_ULL(3)
#define X86_PCD                 BIT_ULL(4)
#define X86_PS                  BIT_ULL(7)
#define EPT_R                   BIT_ULL(0)
#define EPT_W                   BIT_ULL(1)
#define EPT_X                   BIT_ULL(2)
#define EPT_MT_WB               (6ULL << 3)
#define EPT_MT_UC               (0ULL << 3)
#define EPT_LARGE               BIT_ULL(7)
#define VTD_R                   BIT_ULL(0)
#define VTD_W                   BIT_ULL(1)
#define VTD_PS                  BIT_ULL(7)
#define VTD_SNP                 BIT_ULL(11)

/* ---- table memory from the page allocator ---- */

static void *host_alloc(void *ctx, u64 *pa)
{
	(void)ctx;
	return page_alloc_zeroed(1, pa);
}

static void host_free(void *ctx, u64 pa)
{
	(void)ctx;
	page_free(pa, 1);
}

static void *host_va(void *ctx, u64 pa)
{
	(void)ctx;
	return phys_to_virt(pa, PAGE_SIZE);
}

const struct pt_mem pt_mem_host = { .alloc = host_alloc, .free = host_free, .va = host_va };

/* ---- entries ---- */

static u64 level_size(unsigned level)
{
	return BIT_ULL(PAGE_SHIFT + 9 * (level - 1));
}

static unsigned index_of(u64 va, unsigned level)
{
	return (unsigned)((va >> (PAGE_SHIFT + 9 * (level - 1))) & (PT_ENTRIES - 1));
}

static bool present(const struct pt *pt, u64 e)
{
	switch (pt->fmt) {
	case PT_FMT_X86:
	case PT_FMT_NPT: return e & X86_P;
	case PT_FMT_EPT: return e & (EPT_R | EPT_W | EPT_X);
	case PT_FMT_VTD: return e & (VTD_R | VTD_W);
	}
	return false;
}

/* Bit 7 means "maps a page" at levels 2 and 3 in every format. */
static bool is_leaf(u64 e, unsigned level)
{
	return level == 1 || (e & X86_PS);
}

static u64 table_entry(const struct pt *pt, u64 pa)
{
	switch (pt->fmt) {
	case PT_FMT_X86: return pa | X86_P | X86_RW;
	case PT_FMT_NPT: return pa | X86_P | X86_RW | X86_US;
	case PT_FMT_EPT: return pa | EPT_R | EPT_W | EPT_X;
	case PT_FMT_VTD: return pa | VTD_R | VTD_W;
	}
	return 0;
}

static u64 leaf_entry(const struct pt *pt, unsigned level, u64 pa, u32 prot)
{
	bool large = level > 1;
	u64 e = pa;

	switch (pt->fmt) {
	case PT_FMT_X86:
	case PT_FMT_NPT:
		e |= X86_P | ((prot & PT_WRITE) ? X86_RW : 0) | (pt->fmt == PT_FMT_NPT ? X86_US : 0);
		e |= (prot & PT_UNCACHED) ? X86_PWT | X86_PCD : 0;
		e |= large ? X86_PS : 0;
		break;
	case PT_FMT_EPT:
		e |= ((prot & PT_READ) ? EPT_R : 0) | ((prot & PT_WRITE) ? EPT_W : 0) | ((prot & PT_EXEC) ? EPT_X : 0);
		e |= (prot & PT_UNCACHED) ? EPT_MT_UC : EPT_MT_WB;
		e |= large ? EPT_LARGE : 0;
		break;
	case PT_FMT_VTD:
		e |= ((prot & PT_READ) ? VTD_R : 0) | ((prot & PT_WRITE) ? VTD_W : 0);
		e |= large ? VTD_PS : 0;
		e |= pt->snoop ? VTD_SNP : 0;
		break;
	}
	return e;
}

/* What a leaf allows, back in PT_* bits. */
static u32 leaf_prot(const struct pt *pt, u64 e)
{
	switch (pt->fmt) {
	case PT_FMT_X86:
	case PT_FMT_NPT:
		return PT_READ | PT_EXEC | ((e & X86_RW) ? PT_WRITE : 0) | ((e & X86_PCD) ? PT_UNCACHED : 0);
	case PT_FMT_EPT:
		return ((e & EPT_R) ? PT_READ : 0) | ((e & EPT_W) ? PT_WRITE : 0) | ((e & EPT_X) ? PT_EXEC : 0) |
		       ((e & GENMASK_ULL(5, 3)) == EPT_MT_UC ? PT_UNCACHED : 0);
	case PT_FMT_VTD:
		return ((e & VTD_R) ? PT_READ : 0) | ((e & VTD_W) ? PT_WRITE : 0);
	}
	return 0;
}

/* The PT_* bits a leaf of this format keeps (for a split to copy). */
static u32 leaf_prot_for_split(const struct pt *pt, u64 e)
{
	u32 p = leaf_prot(pt, e);
	if (pt->fmt == PT_FMT_X86 || pt->fmt == PT_FMT_NPT)
		p &= ~(u32)PT_EXEC;
	return p;
}

static void entry_set(const struct pt *pt, u64 *e, u64 v)
{
	__atomic_store_n(e, v, __ATOMIC_RELEASE);
	if (pt->flush)
		cpu_flush_range(e, sizeof(*e));
}

/*
 * Leaves written one after another in one table are flushed as one range
 * (a non-snooping walker needs them in memory, not one clflush per entry).
 */
struct dirty { u64 *first, *last; };

static void dirty_flush(const struct pt *pt, struct dirty *d)
{
	if (pt->flush && d->first)
		cpu_flush_range(d->first, (size_t)(d->last - d->first + 1) * sizeof(u64));
	d->first = d->last = NULL;
}

static void leaf_set(const struct pt *pt, struct dirty *d, u64 *e, u64 v)
{
	__atomic_store_n(e, v, __ATOMIC_RELEASE);
	if (!pt->flush)
		return;
	if (d->last && e == d->last + 1) {
		d->last = e;
		return;
	}
	dirty_flush(pt, d);
	d->first = d->last = e;
}

static u64 *table_va(const struct pt *pt, u64 pa)
{
	return pt->mem->va(pt->mem->ctx, pa);
}

/* A cleared table; flushed as it is when visible, else the caller flushes it once filled. */
static int table_alloc(struct pt *pt, u64 *pa, bool visible)
{
	void *va = pt->mem->alloc(pt->mem->ctx, pa);
	if (!va)
		return -HV_ENOMEM;
	if (pt->flush && visible)
		cpu_flush_range(va, PAGE_SIZE);
	pt->tables++;
	return 0;
}

static bool large_ok(const struct pt *pt, unsigned level)
{
	return (level == 2 && (pt->large & PT_LARGE_2M)) || (level == 3 && (pt->large & PT_LARGE_1G));
}

int pt_init(struct pt *pt, enum pt_format fmt, unsigned levels, u32 large, const struct pt_mem *mem)
{
	if ((levels != 3 && levels != 4) || !mem || fmt > PT_FMT_VTD)
		return -HV_EINVAL;
	memset(pt, 0, sizeof(*pt));
	pt->fmt = fmt;
	pt->levels = levels;
	pt->large = large;
	pt->mem = mem;
	return table_alloc(pt, &pt->root_pa, true);
}

/* ---- map ---- */

static bool range_mapped(const struct pt *pt, u64 tpa, unsigned level, u64 va, u64 end)
{
	const u64 *tbl = table_va(pt, tpa);
	u64 sz = level_size(level);

	for (u64 a = va; a < end; a = ALIGN_DOWN(a, sz) + sz) {
		u64 e = tbl[index_of(a, level)];
		if (!present(pt, e))
			continue;
		if (is_leaf(e, level))
			return true;
		if (range_mapped(pt, e & PT_ADDR_MASK, level - 1, a, MIN(end, ALIGN_DOWN(a, sz) + sz)))
			return true;
		if (ALIGN_DOWN(a, sz) + sz < a)
			break;  /* wrapped at the top */
	}
	return false;
}

static int map_level(struct pt *pt, u64 tpa, unsigned level, u64 va, u64 end, u64 pa, u32 prot)
{
	u64 *tbl = table_va(pt, tpa);
	u64 sz = level_size(level);
	struct dirty d = { 0 };
	int ret = 0;

	while (va < end && !ret) {
		u64 next = MIN(end, ALIGN_DOWN(va, sz) + sz);
		u64 *e = &tbl[index_of(va, level)];
		if (level == 1 || (large_ok(pt, level) && IS_ALIGNED(va, sz) && IS_ALIGNED(pa, sz) &&
				   next - va == sz && !present(pt, *e))) {
			leaf_set(pt, &d, e, leaf_entry(pt, level, pa, prot));
		} else {
			dirty_flush(pt, &d);
			if (!present(pt, *e)) {
				u64 npa;
				ret = table_alloc(pt, &npa, true);
				if (ret)
					break;
				entry_set(pt, e, table_entry(pt, npa));
			}
			ret = map_level(pt, *e & PT_ADDR_MASK, level - 1, va, next, pa, prot);
		}
		pa += next - va;
		va = next;
	}
	dirty_flush(pt, &d);
	return ret;
}

static int check_range(const struct pt *pt, u64 va, u64 size)
{
	if (!size || !IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) || va + size < va)
		return -HV_EINVAL;
	if (va + size > BIT_ULL(PAGE_SHIFT + 9 * pt->levels))
		return -HV_ERANGE;
	return 0;
}

int pt_map(struct pt *pt, u64 va, u64 pa, u64 size, u32 prot)
{
	int ret = check_range(pt, va, size);
	if (ret)
		return ret;
	if (!IS_ALIGNED(pa, PAGE_SIZE) || !(prot & (PT_READ | PT_WRITE)) || pa + size < pa)
		return -HV_EINVAL;
	if (pa + size > PT_PA_LIMIT)
		return -HV_ERANGE;
	if (range_mapped(pt, pt->root_pa, pt->levels, va, va + size))
		return -HV_EEXIST;
	ret = map_level(pt, pt->root_pa, pt->levels, va, va + size, pa, prot);
	if (ret)
		pt_unmap(pt, va, size);         /* nothing stays mapped */
	return ret;
}

/* ---- unmap ---- */

/* Replaces the superpage *e at level by a table of the next smaller pages mapping the same. */
static int split(struct pt *pt, u64 *e, unsigned level)
{
	u64 npa;
	int ret = table_alloc(pt, &npa, false);
	if (ret)
		return ret;
	u64 *sub = table_va(pt, npa);
	u64 base = *e & PT_ADDR_MASK & ~(level_size(level) - 1);
	u32 prot = leaf_prot_for_split(pt, *e);
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		sub[i] = leaf_entry(pt, level - 1, base + i * level_size(level - 1), prot);
	if (pt->flush)
		cpu_flush_range(sub, PAGE_SIZE);
	entry_set(pt, e, table_entry(pt, npa));
	return 0;
}

static int unmap_level(struct pt *pt, u64 tpa, unsigned level, u64 va, u64 end)
{
	u64 *tbl = table_va(pt, tpa);
	u64 sz = level_size(level);
	struct dirty d = { 0 };
	int ret = 0;

	while (va < end && !ret) {
		u64 next = MIN(end, ALIGN_DOWN(va, sz) + sz);
		u64 *e = &tbl[index_of(va, level)];
		if (present(pt, *e)) {
			if (is_leaf(*e, level) && IS_ALIGNED(va, sz) && next - va == sz) {
				leaf_set(pt, &d, e, 0);
			} else {
				dirty_flush(pt, &d);
				if (is_leaf(*e, level))
					ret = split(pt, e, level);
				if (!ret)
					ret = unmap_level(pt, *e & PT_ADDR_MASK, level - 1, va, next);
			}
		}
		va = next;
	}
	dirty_flush(pt, &d);
	return ret;
}

int pt_unmap(struct pt *pt, u64 va, u64 size)
{
	int ret = check_range(pt, va, size);
	if (ret)
		return ret;
	return unmap_level(pt, pt->root_pa, pt->levels, va, va + size);
}

/* ---- lookup and teardown ---- */

int pt_lookup(const struct pt *pt, u64 va, u64 *pa, u32 *prot, u64 *page_size)
{
	if (va >= BIT_ULL(PAGE_SHIFT + 9 * pt->levels))
		return -HV_ENOENT;
	u64 tpa = pt->root_pa;
	for (unsigned level = pt->levels; level >= 1; level--) {
		u64 e = table_va(pt, tpa)[index_of(va, level)];
		if (!present(pt, e))
			return -HV_ENOENT;
		if (is_leaf(e, level)) {
			u64 sz = level_size(level);
			if (pa)
				*pa = (e & PT_ADDR_MASK & ~(sz - 1)) + (va & (sz - 1));
			if (prot)
				*prot = leaf_prot(pt, e);
			if (page_size)
				*page_size = sz;
			return 0;
		}
		tpa = e & PT_ADDR_MASK;
	}
	return -HV_ENOENT;
}

static void free_level(struct pt *pt, u64 tpa, unsigned level)
{
	const u64 *tbl = table_va(pt, tpa);
	for (unsigned i = 0; level > 1 && i < PT_ENTRIES; i++)
		if (present(pt, tbl[i]) && !is_leaf(tbl[i], level))
			free_level(pt, tbl[i] & PT_ADDR_MASK, level - 1);
	if (pt->mem->free)
		pt->mem->free(pt->mem->ctx, tpa);
	pt->tables--;
}

void pt_destroy(struct pt *pt)
{
	if (pt->tables)
		free_level(pt, pt->root_pa, pt->levels);
	pt->root_pa = 0;
}
