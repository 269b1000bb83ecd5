/*
 * VT-d invalidation descriptors (§6.5.2.1 context-cache, §6.5.2.3 IOTLB,
 * §6.5.2.5 device-TLB, §6.5.2.7 interrupt entry cache, §6.5.2.8 wait),
 * 128-bit legacy form only; bits not named here stay zero (reserved).
 * Submitting them and waiting for completion is iommu/vtd_qi.c's job.
 */
#include "iommu/vtd_desc.h"
#include "iommu/vtd_hw.h"
#include "kernel/err.h"

static void set(struct vtd_desc *d, unsigned type, u64 lo, u64 hi)
{
	d->lo = FIELD_PREP(VTD_DESC_LO_TYPE, type) | lo;
	d->hi = hi;
}

unsigned vtd_desc_type(const struct vtd_desc *d)
{
	return (unsigned)(FIELD_GET(VTD_DESC_LO_TYPE_HI, d->lo) << 4 |
			  FIELD_GET(VTD_DESC_LO_TYPE, d->lo));
}

void vtd_desc_cc_global(struct vtd_desc *d)
{
	set(d, VTD_DESC_CC, FIELD_PREP(VTD_CC_LO_G, VTD_CC_G_GLOBAL), 0);
}

void vtd_desc_cc_domain(struct vtd_desc *d, u16 did)
{
	set(d, VTD_DESC_CC, FIELD_PREP(VTD_CC_LO_G, VTD_CC_G_DOMAIN) |
	    FIELD_PREP(VTD_CC_LO_DID, did), 0);
}

int vtd_desc_cc_device(struct vtd_desc *d, u16 did, u16 sid, u8 fm)
{
	if (fm > 3)
		return -HV_EINVAL;
	set(d, VTD_DESC_CC, FIELD_PREP(VTD_CC_LO_G, VTD_CC_G_DEVICE) |
	    FIELD_PREP(VTD_CC_LO_DID, did) | FIELD_PREP(VTD_CC_LO_SID, sid) |
	    FIELD_PREP(VTD_CC_LO_FM, fm), 0);
	return 0;
}

static u64 drain(bool dr, bool dw)
{
	return (dr ? VTD_IOTLB_LO_DR : 0) | (dw ? VTD_IOTLB_LO_DW : 0);
}

void vtd_desc_iotlb_global(struct vtd_desc *d, bool dr, bool dw)
{
	set(d, VTD_DESC_IOTLB, FIELD_PREP(VTD_IOTLB_LO_G, VTD_IOTLB_G_GLOBAL) | drain(dr, dw), 0);
}

void vtd_desc_iotlb_domain(struct vtd_desc *d, u16 did, bool dr, bool dw)
{
	set(d, VTD_DESC_IOTLB, FIELD_PREP(VTD_IOTLB_LO_G, VTD_IOTLB_G_DOMAIN) |
	    FIELD_PREP(VTD_IOTLB_LO_DID, did) | drain(dr, dw), 0);
}

int vtd_desc_iotlb_page(struct vtd_desc *d, u16 did, u64 addr, u8 am, bool ih,
			bool dr, bool dw)
{
	/* SPEC: the address must be aligned to the 2^AM pages it names. */
	if (am > 51 || !IS_ALIGNED(addr, PAGE_SIZE << am))
		return -HV_EINVAL;
	set(d, VTD_DESC_IOTLB, FIELD_PREP(VTD_IOTLB_LO_G, VTD_IOTLB_G_PAGE) |
	    FIELD_PREP(VTD_IOTLB_LO_DID, did) | drain(dr, dw),
	    (addr & VTD_IOTLB_HI_ADDR) | FIELD_PREP(VTD_IOTLB_HI_AM, am) |
	    (ih ? VTD_IOTLB_HI_IH : 0));
	return 0;
}

int vtd_desc_devtlb(struct vtd_desc *d, u16 sid, u16 pfsid, bool dit, u8 qdepth,
		    u64 addr, unsigned order)
{
	u64 lo, hi;

	if (qdepth > 32 || order > 52)
		return -HV_EINVAL;
	if (order < 52 && !IS_ALIGNED(addr, PAGE_SIZE << order))
		return -HV_EINVAL;
	/* The field holds 0-31; a depth of 32 is 0, as in the ATS capability. */
	lo = FIELD_PREP(VTD_DEVTLB_LO_SID, sid) | FIELD_PREP(VTD_DEVTLB_LO_MIP, qdepth & 0x1f);
	if (dit)
		lo |= FIELD_PREP(VTD_DEVTLB_LO_PFSID_LO, pfsid & 0xf) |
		      FIELD_PREP(VTD_DEVTLB_LO_PFSID_HI, pfsid >> 4);
	if (order == 0) {
		hi = addr & VTD_DEVTLB_HI_ADDR;
	} else if (order == 52) {
		/* S=1 with every ADDR bit but 63 set: the whole address space. */
		hi = (VTD_DEVTLB_HI_ADDR & ~BIT_ULL(63)) | VTD_DEVTLB_HI_S;
	} else {
		/*
		 * SPEC: with S=1 the lowest clear ADDR bit at or above bit 12
		 * gives the size: bit 12 + k clear below k ones means
		 * 2^(k+1) pages. So 2^order pages set bits 12..12+order-2.
		 */
		hi = (addr & VTD_DEVTLB_HI_ADDR) |
		     (GENMASK_ULL(12 + order - 1, 12) & ~BIT_ULL(12 + order - 1)) |
		     VTD_DEVTLB_HI_S;
	}
	set(d, VTD_DESC_DEVTLB, lo, hi);
	return 0;
}

void vtd_desc_iec_global(struct vtd_desc *d)
{
	set(d, VTD_DESC_IEC, 0, 0);
}

int vtd_desc_iec_index(struct vtd_desc *d, u16 index, u8 im)
{
	if (im > 16 || !IS_ALIGNED(index, 1ULL << im))
		return -HV_EINVAL;
	set(d, VTD_DESC_IEC, VTD_IEC_LO_G | FIELD_PREP(VTD_IEC_LO_IM, im) |
	    FIELD_PREP(VTD_IEC_LO_IIDX, index), 0);
	return 0;
}

int vtd_desc_wait(struct vtd_desc *d, bool sw, bool iflag, bool fn, u64 status_pa,
		  u32 status_data)
{
	/* QEMU asserts on SW and IF together; one completion signal per wait. */
	if (sw && iflag)
		return -HV_EINVAL;
	if (sw ? !IS_ALIGNED(status_pa, 4) : (status_pa || status_data))
		return -HV_EINVAL;
	set(d, VTD_DESC_WAIT, (iflag ? VTD_WAIT_LO_IF : 0) | (sw ? VTD_WAIT_LO_SW : 0) |
	    (fn ? VTD_WAIT_LO_FN : 0) | FIELD_PREP(VTD_WAIT_LO_STATDATA, status_data),
	    status_pa & VTD_WAIT_HI_STATADDR);
	return 0;
}
