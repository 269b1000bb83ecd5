/*
 * VT-d second-stage page tables (VT-d §9.8) as kernel/pgtable.c builds them
 * in its PT_FMT_VTD format: the table depth from CAP.SAGAW/MGAW, superpages
 * from CAP.SLLPS, cache flushing for a unit that does not snoop (ECAP.C = 0);
 * and the root (§9.1) and legacy context (§9.3) entry encoders. This file
 * never talks to the unit: invalidation after a change is the caller's.
 */
#include "iommu/vtd_pagetable.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/mem.h"

#define PA_LIMIT                BIT_ULL(52)     /* ADDR is bits 51:12 */

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

int vtd_pt_init(struct pt *pt, unsigned levels, u32 sllps, bool coherent, bool snoop)
{
	/*
	 * Superpage support is nested (2M, then 1G); a 1G bit without 2M is
	 * not used, so a split of a 1G page always has 2M pages to go to.
	 */
	u32 large = (sllps & VTD_SLLPS_2M) ? PT_LARGE_2M | ((sllps & VTD_SLLPS_1G) ? PT_LARGE_1G : 0) : 0;
	int ret = pt_init(pt, PT_FMT_VTD, levels, large, &pt_mem_host);
	if (ret)
		return ret;
	pt->snoop = snoop;
	pt->flush = !coherent;
	if (pt->flush)          /* the root was cleared before the flag was set */
		cpu_flush_range(phys_to_virt(pt->root_pa, VTD_TABLE_SIZE), VTD_TABLE_SIZE);
	return 0;
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
