/*
 * Second-stage page tables for one VT-d domain (VT-d §9.8), built in memory
 * from the page allocator, plus encoders for the entries that point at them
 * (root entry §9.1, legacy context entry §9.3). No locking and no
 * invalidation: the caller serialises changes to one table and invalidates
 * the IOTLB (iommu/vtd_desc.h) after vtd_pt_unmap and, with CAP.CM, after
 * vtd_pt_map.
 */
#ifndef IOMMU_VTD_PAGETABLE_H
#define IOMMU_VTD_PAGETABLE_H
#include "kernel/types.h"
#include "iommu/vtd_hw.h"

/* CAP.SLLPS values: which superpages second-stage leaves may use. */
#define VTD_SLLPS_2M            BIT_ULL(0)
#define VTD_SLLPS_1G            BIT_ULL(1)

struct vtd_pt {
	u64 root_pa;            /* top-level table, for SSPTPTR */
	unsigned levels;        /* 3 (39-bit AGAW) or 4 (48-bit) */
	u32 sllps;              /* VTD_SLLPS_* the unit supports */
	bool coherent;          /* ECAP.C: the unit snoops CPU caches on walks */
	bool snoop;             /* set SNP in leaves (ECAP.SC, and wanted) */
	u64 tables;             /* table pages held, root included */
};

/*
 * Chooses the table depth for a unit from CAP.SAGAW (the field's value,
 * bit n = AW n) and its MGAW in bits (CAP.MGAW + 1). Rule: aim at
 * min(MGAW, 48) bits, the most the builder does; take the smallest
 * supported AGAW of 39 or 48 bits that covers it, else the largest
 * supported one below it (the rest is unreachable and vtd_pt_map refuses
 * it). QEMU (SAGAW 39+48, MGAW 48) gets 4 levels; MGAW 39 gets 3.
 * Returns 0 and *levels, -HV_EINVAL (MGAW outside 30-64) or -HV_ENOTSUP
 * (neither 39 nor 48 bits supported, e.g. a 57-bit-only unit).
 */
int vtd_pt_agaw(u32 sagaw, u32 mgaw_bits, unsigned *levels);

/*
 * Allocates and clears the top-level table. Returns 0 or -HV_EINVAL
 * (levels not 3 or 4), -HV_ENOMEM.
 */
int vtd_pt_init(struct vtd_pt *pt, unsigned levels, u32 sllps, bool coherent, bool snoop);
/*
 * Maps [iova, iova + size) to [hpa, ...) with prot (IOMMU_READ and/or
 * IOMMU_WRITE, iommu/iommu.h), using 1 GiB and 2 MiB leaves where sllps
 * allows and iova, hpa and the remaining size are aligned to them. Every
 * entry is visible to the unit (flushed when !coherent) before an entry
 * pointing to it is written. Returns 0, -HV_EINVAL (unaligned, zero size,
 * bad prot, wraps), -HV_ERANGE (iova past the AGAW, hpa past 52 bits),
 * -HV_EEXIST (some page of the range is already mapped: nothing changed)
 * or -HV_ENOMEM (nothing stays mapped; tables allocated stay in the tree).
 */
int vtd_pt_map(struct vtd_pt *pt, u64 iova, u64 hpa, u64 size, u32 prot);
/*
 * Removes every mapping in [iova, iova + size); pages not mapped are
 * skipped. A superpage partly inside the range is split first into the next
 * smaller pages. Tables are kept (until vtd_pt_destroy), so a table the
 * unit may still cache is never reused. Returns 0, -HV_EINVAL, -HV_ERANGE
 * or -HV_ENOMEM (a split failed: the range is partly unmapped).
 */
int vtd_pt_unmap(struct vtd_pt *pt, u64 iova, u64 size);
/* Frees every table. The unit must no longer use them (context entries cleared, invalidated). */
void vtd_pt_destroy(struct vtd_pt *pt);

/*
 * A root entry pointing at the context table at ctp_pa, present. The entry
 * is one meaningful 64-bit word: store hi, then lo. Returns 0 or -HV_EINVAL
 * (ctp_pa not page-aligned or past 52 bits).
 */
int vtd_re_encode(struct vtd_root_entry *re, u64 ctp_pa);
/*
 * A legacy-mode context entry for domain did walking levels (3 or 4) of
 * the second-stage table at sspt_pa, translation type tt (VTD_TT_*), with P
 * clear: the driver stores hi, then lo | VTD_CE_LO_P, so the unit never sees
 * a present entry with stale fields. Returns 0 or -HV_EINVAL.
 */
int vtd_ce_encode(struct vtd_context_entry *ce, u64 sspt_pa, unsigned levels, u16 did, u8 tt);

#endif
