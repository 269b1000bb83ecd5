/*
 * Second-stage page tables for one VT-d domain (VT-d §9.8), built by the
 * one page-table builder (kernel/pgtable.h), plus encoders for the entries
 * that point at them (root entry §9.1, legacy context entry §9.3). No
 * locking and no invalidation: the caller serialises changes to one table
 * and invalidates the IOTLB (iommu/vtd_desc.h) after pt_unmap and, with
 * CAP.CM, after pt_map.
 */
#ifndef IOMMU_VTD_PAGETABLE_H
#define IOMMU_VTD_PAGETABLE_H
#include "kernel/types.h"
#include "iommu/vtd_hw.h"
#include "kernel/pgtable.h"

/* CAP.SLLPS values: which superpages second-stage leaves may use. */
#define VTD_SLLPS_2M            BIT_ULL(0)
#define VTD_SLLPS_1G            BIT_ULL(1)


/*
 * Chooses the table depth for a unit from CAP.SAGAW (the field's value,
 * bit n = AW n) and its MGAW in bits (CAP.MGAW + 1). Rule: aim at
 * min(MGAW, 48) bits, the most the builder does; take the smallest
 * supported AGAW of 39 or 48 bits that covers it, else the largest
 * supported one below it (the rest is unreachable: pt_map refuses
 * it). QEMU (SAGAW 39+48, MGAW 48) gets 4 levels; MGAW 39 gets 3.
 * Returns 0 and *levels, -HV_EINVAL (MGAW outside 30-64) or -HV_ENOTSUP
 * (neither 39 nor 48 bits supported, e.g. a 57-bit-only unit).
 */
int vtd_pt_agaw(u32 sagaw, u32 mgaw_bits, unsigned *levels);

/*
 * A second-stage table for a unit (kernel/pgtable.h, PT_FMT_VTD): levels
 * (3 or 4, from vtd_pt_agaw), 2 MiB / 1 GiB leaves as CAP.SLLPS allows
 * (1 GiB only with 2 MiB), every entry flushed when the unit does not snoop
 * (!coherent, ECAP.C = 0) before an entry pointing to it is written, SNP in
 * leaves when snoop. Mapped, unmapped and freed with pt_map, pt_unmap and
 * pt_destroy (prot: IOMMU_READ/IOMMU_WRITE are PT_READ/PT_WRITE). Returns
 * 0, -HV_EINVAL (levels not 3 or 4) or -HV_ENOMEM.
 */
int vtd_pt_init(struct pt *pt, unsigned levels, u32 sllps, bool coherent, bool snoop);

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
