/*
 * Second-stage page tables (VT-d §9.8 "Second-Stage Paging Entries"), 3 or 4
 * levels of 512 entries, with 2 MiB / 1 GiB leaves where CAP.SLLPS allows,
 * and the root (§9.1) and legacy context (§9.3) entry encoders. Tables come
 * from the page allocator and are written through the direct map. This file
 * never talks to the unit: invalidation after a change is the caller's.
 */
#define LOG_SUBSYS "vtd"
#include "iommu/vtd_pagetable.h"
#include "iommu/iommu.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/mem.h"

#define PA_LIMIT                BIT_ULL(52)     /* ADDR is bits 51:12 */
#define PERMS                   (VTD_SSPTE_R | VTD_SSPTE_W)
#define ENTRY_SIZE              sizeof(u64)

struct map_stats { u64 leaves[4]; };    /* [1] 4K, [2] 2M, [3] 1G */

/*
 * Entries are stored with release semantics: whatever the table holds
 * below an entry (a child table's contents) is written before the entry,
 * for a coherent unit as much as for the flushes below.
 */
static void entry_set(u64 *e, u64 v)
{
	__atomic_store_n(e, v, __ATOMIC_RELEASE);
}

/* Makes [va, va+len) visible to a unit that does not snoop (ECAP.C = 0). */
static void flush(const struct vtd_pt *pt, const void *va, size_t len)
{
	if (!pt->coherent && len)
		cpu_flush_range(va, len);
}

static u64 *table_va(u64 pa)
{
	return phys_to_virt(pa, VTD_TABLE_SIZE);
}

static bool is_leaf(u64 e, unsigned level)
{
	return level == 1 || (e & VTD_SSPTE_PS);
}

/* A cleared page for a table. Returns 0, *pa and *va, or -HV_ENOMEM. */
static int table_alloc(struct vtd_pt *pt, u64 *pa, u64 **va)
{
	int ret = page_alloc_pages(1, PAGE_SIZE, pa);

	if (ret < 0)
		return -HV_ENOMEM;
	*va = table_va(*pa);
	if (!*va) {             /* the allocator handed out a page outside the direct map */
		page_free(*pa, 1);
		return -HV_ENOMEM;
	}
	memset(*va, 0, VTD_TABLE_SIZE);
	pt->tables++;
	return 0;
}

static bool superpage_ok(const struct vtd_pt *pt, unsigned level)
{
	return (level == 2 && (pt->sllps & VTD_SLLPS_2M)) ||
	       (level == 3 && (pt->sllps & VTD_SLLPS_1G));
}

int vtd_pt_agaw(u32 sagaw, u32 mgaw_bits, unsigned *levels)
{
	static const unsigned aw[] = { VTD_AW_39, VTD_AW_48 };  /* what the builder does */
	unsigned want, i;

	if (mgaw_bits < 30 || mgaw_bits > 64)
		return -HV_EINVAL;
	want = MIN(mgaw_bits, VTD_AW_BITS(VTD_AW_48));
	for (i = 0; i < ARRAY_SIZE(aw); i++)
		if ((sagaw & BIT_ULL(aw[i])) && VTD_AW_BITS(aw[i]) >= want) {
			*levels = VTD_AW_LEVELS(aw[i]);
			return 0;
		}
	for (i = ARRAY_SIZE(aw); i-- > 0;)
		if (sagaw & BIT_ULL(aw[i])) {
			*levels = VTD_AW_LEVELS(aw[i]);
			return 0;
		}
	return -HV_ENOTSUP;
}

int vtd_pt_init(struct vtd_pt *pt, unsigned levels, u32 sllps, bool coherent, bool snoop)
{
	u64 *root;
	int ret;

	if (levels != 3 && levels != 4)
		return -HV_EINVAL;
	pt->levels = levels;
	/*
	 * Superpage support is nested (2M, then 1G); a 1G bit without 2M is
	 * not used, so a split of a 1G page always has 2M pages to go to.
	 */
	pt->sllps = sllps & VTD_SLLPS_2M ? sllps & (VTD_SLLPS_2M | VTD_SLLPS_1G) : 0;
	pt->coherent = coherent;
	pt->snoop = snoop;
	pt->tables = 0;
	ret = table_alloc(pt, &pt->root_pa, &root);
	if (ret < 0)
		return ret;
	flush(pt, root, VTD_TABLE_SIZE);
	return 0;
}

/* True when some leaf in [iova, end) of the table at level is present. */
static bool range_mapped(u64 *tbl, unsigned level, u64 iova, u64 end)
{
	u64 span = 1ULL << VTD_LEVEL_SHIFT(level);

	for (unsigned i = VTD_LEVEL_INDEX(iova, level); iova < end; i++) {
		u64 next = MIN(ALIGN_DOWN(iova, span) + span, end);
		u64 e = tbl[i];

		if (e & PERMS) {
			if (is_leaf(e, level))
				return true;
			if (range_mapped(table_va(e & VTD_SSPTE_ADDR), level - 1, iova, next))
				return true;
		}
		iova = next;
	}
	return false;
}

static u64 leaf_entry(const struct vtd_pt *pt, unsigned level, u64 hpa, u32 prot)
{
	u64 e = hpa | (prot & IOMMU_READ ? VTD_SSPTE_R : 0) |
		(prot & IOMMU_WRITE ? VTD_SSPTE_W : 0);

	if (level > 1)
		e |= VTD_SSPTE_PS;
	if (pt->snoop)
		e |= VTD_SSPTE_SNP;
	return e;
}

/*
 * Maps [iova, end) -> hpa in the table tbl at level. A table made here is
 * filled completely, flushed as a whole, and only then linked into its
 * parent; the entries written into an existing table are flushed as one
 * run (first to last written) before returning. fresh: tbl itself is new
 * and the caller flushes all of it. Returns 0 or -HV_ENOMEM (what was
 * written so far stays linked, for the caller to clear).
 */
static int map_level(struct vtd_pt *pt, u64 *tbl, unsigned level, u64 iova, u64 end,
		     u64 hpa, u32 prot, bool fresh, struct map_stats *st)
{
	u64 span = 1ULL << VTD_LEVEL_SHIFT(level);
	unsigned i = VTD_LEVEL_INDEX(iova, level), lo = VTD_SSPT_ENTRIES, hi = 0;
	int ret = 0;

	for (; iova < end; i++) {
		u64 next = MIN(ALIGN_DOWN(iova, span) + span, end);
		u64 *e = &tbl[i];

		if (level == 1 || (!(*e & PERMS) && superpage_ok(pt, level) && next - iova == span &&
				   IS_ALIGNED(iova, span) && IS_ALIGNED(hpa, span))) {
			entry_set(e, leaf_entry(pt, level, hpa, prot));
			lo = MIN(lo, i);
			hi = MAX(hi, i);
			st->leaves[level]++;
		} else {
			u64 child_pa;
			u64 *child;
			bool made = !(*e & PERMS);

			if (made) {
				ret = table_alloc(pt, &child_pa, &child);
				if (ret < 0)
					break;
			} else {
				child_pa = *e & VTD_SSPTE_ADDR;
				child = table_va(child_pa);
			}
			ret = map_level(pt, child, level - 1, iova, next, hpa, prot, made, st);
			if (made) {
				/* The whole new table, zeroes and entries, before the pointer. */
				flush(pt, child, VTD_TABLE_SIZE);
				/* R and W on every non-leaf entry: the leaf decides. */
				entry_set(e, child_pa | PERMS);
				lo = MIN(lo, i);
				hi = MAX(hi, i);
			}
			if (ret < 0)
				break;
		}
		hpa += next - iova;
		iova = next;
	}
	if (!fresh && lo <= hi)
		flush(pt, &tbl[lo], (hi - lo + 1) * ENTRY_SIZE);
	return ret;
}

static int check_range(const struct vtd_pt *pt, u64 iova, u64 size)
{
	if (!size || !IS_ALIGNED(iova, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) ||
	    iova + size < iova)
		return -HV_EINVAL;
	if (iova + size > BIT_ULL(VTD_LEVELS_BITS(pt->levels)))
		return -HV_ERANGE;
	return 0;
}

/*
 * DMA path step 4: the partition's memory becomes the device's view. With
 * 4 levels, IOVA bits 47:39, 38:30, 29:21 and 20:12 index L4, L3, L2 and
 * L1: the worked example's IOVA 0x1000_0000 is L4[0] -> L3[0] -> L2[0x80]
 * -> L1[0]. Its 1 MiB there becomes 256 4 KiB leaves; 2 MiB aligned on both
 * sides would be one L2 leaf (PS), 1 GiB one L3 leaf.
 */
int vtd_pt_map(struct vtd_pt *pt, u64 iova, u64 hpa, u64 size, u32 prot)
{
	struct map_stats st = { { 0 } };
	u64 *root = table_va(pt->root_pa);
	int ret = check_range(pt, iova, size);

	if (ret < 0)
		return ret;
	if (!IS_ALIGNED(hpa, PAGE_SIZE) || !prot || (prot & ~(IOMMU_READ | IOMMU_WRITE)))
		return -HV_EINVAL;
	if (hpa + size > PA_LIMIT || hpa + size < hpa)
		return -HV_ERANGE;
	if (range_mapped(root, pt->levels, iova, iova + size))
		return -HV_EEXIST;
	ret = map_level(pt, root, pt->levels, iova, iova + size, hpa, prot, false, &st);
	if (ret < 0) {
		/* The range was empty before: clearing all of it splits nothing. */
		vtd_pt_unmap(pt, iova, size);
		return ret;
	}
	log_dbg("map iova 0x%016llx -> hpa 0x%016llx size 0x%llx %s%s: %llu x 1G, %llu x 2M, %llu x 4K",
		(unsigned long long)iova, (unsigned long long)hpa, (unsigned long long)size,
		prot & IOMMU_READ ? "r" : "-", prot & IOMMU_WRITE ? "w" : "-",
		(unsigned long long)st.leaves[3], (unsigned long long)st.leaves[2],
		(unsigned long long)st.leaves[1]);
	return 0;
}

/*
 * Replaces the superpage leaf *e at level by a new table of 512 leaves of
 * the next size down with the same attributes, built and flushed before
 * the entry is rewritten. Returns 0 or -HV_ENOMEM (*e unchanged).
 */
static int split(struct vtd_pt *pt, u64 *e, unsigned level)
{
	u64 old = *e, base = old & VTD_SSPTE_ADDR, attr = old & ~(VTD_SSPTE_ADDR | VTD_SSPTE_PS);
	u64 step = 1ULL << VTD_LEVEL_SHIFT(level - 1), child_pa;
	u64 *child;
	int ret = table_alloc(pt, &child_pa, &child);

	if (ret < 0)
		return ret;
	for (unsigned i = 0; i < VTD_SSPT_ENTRIES; i++)
		child[i] = (base + i * step) | attr | (level - 1 > 1 ? VTD_SSPTE_PS : 0);
	flush(pt, child, VTD_TABLE_SIZE);
	entry_set(e, child_pa | PERMS);
	return 0;
}

/* Clears the leaves of [iova, end) in tbl at level; flushes what it changed. */
static int unmap_level(struct vtd_pt *pt, u64 *tbl, unsigned level, u64 iova, u64 end)
{
	u64 span = 1ULL << VTD_LEVEL_SHIFT(level);
	unsigned i = VTD_LEVEL_INDEX(iova, level), lo = VTD_SSPT_ENTRIES, hi = 0;
	int ret = 0;

	for (; iova < end; i++) {
		u64 next = MIN(ALIGN_DOWN(iova, span) + span, end);
		u64 *e = &tbl[i];

		if (*e & PERMS) {
			if (is_leaf(*e, level) && next - iova == span) {
				entry_set(e, 0);
				lo = MIN(lo, i);
				hi = MAX(hi, i);
			} else {
				if (is_leaf(*e, level)) {
					ret = split(pt, e, level);
					if (ret < 0)
						break;
					lo = MIN(lo, i);
					hi = MAX(hi, i);
				}
				ret = unmap_level(pt, table_va(*e & VTD_SSPTE_ADDR), level - 1, iova, next);
				if (ret < 0)
					break;
			}
		}
		iova = next;
	}
	if (lo <= hi)
		flush(pt, &tbl[lo], (hi - lo + 1) * ENTRY_SIZE);
	return ret;
}

int vtd_pt_unmap(struct vtd_pt *pt, u64 iova, u64 size)
{
	int ret = check_range(pt, iova, size);

	if (ret < 0)
		return ret;
	ret = unmap_level(pt, table_va(pt->root_pa), pt->levels, iova, iova + size);
	log_dbg("unmap iova 0x%016llx size 0x%llx%s", (unsigned long long)iova,
		(unsigned long long)size, ret < 0 ? " (incomplete: no memory for a split)" : "");
	return ret;
}

static void free_level(struct vtd_pt *pt, u64 pa, unsigned level)
{
	u64 *tbl = table_va(pa);

	for (unsigned i = 0; level > 1 && i < VTD_SSPT_ENTRIES; i++)
		if ((tbl[i] & PERMS) && !is_leaf(tbl[i], level))
			free_level(pt, tbl[i] & VTD_SSPTE_ADDR, level - 1);
	page_free(pa, 1);
	pt->tables--;
}

void vtd_pt_destroy(struct vtd_pt *pt)
{
	if (!pt->root_pa)
		return;
	free_level(pt, pt->root_pa, pt->levels);
	pt->root_pa = 0;
}

int vtd_re_encode(struct vtd_root_entry *re, u64 ctp_pa)
{
	if (!IS_ALIGNED(ctp_pa, VTD_TABLE_SIZE) || ctp_pa >= PA_LIMIT)
		return -HV_EINVAL;
	re->hi = 0;
	re->lo = ctp_pa | VTD_RE_LO_P;
	return 0;
}

int vtd_ce_encode(struct vtd_context_entry *ce, u64 sspt_pa, unsigned levels, u16 did, u8 tt)
{
	if (levels < 3 || levels > 5 || tt > VTD_TT_PASSTHROUGH ||
	    !IS_ALIGNED(sspt_pa, VTD_TABLE_SIZE) || sspt_pa >= PA_LIMIT)
		return -HV_EINVAL;
	/* SPEC: with TT = pass-through SSPTPTR is ignored; AW still must be supported. */
	ce->lo = sspt_pa | FIELD_PREP(VTD_CE_LO_TT, tt);
	ce->hi = FIELD_PREP(VTD_CE_HI_AW, levels - 2) | FIELD_PREP(VTD_CE_HI_DID, did);
	return 0;
}
