/*
 * Encoders for the 128-bit VT-d invalidation descriptors (VT-d §6.5.2):
 * context-cache, IOTLB, device-TLB, interrupt entry cache and wait. They
 * only fill a struct vtd_desc; iommu/vtd_qi.c puts it in the queue. No
 * capability checks here (PSI, MAMV, DRD/DWD, DIT): the driver decides what
 * to ask for, the encoders refuse only what no unit could accept.
 */
#ifndef IOMMU_VTD_DESC_H
#define IOMMU_VTD_DESC_H
#include "kernel/types.h"

struct vtd_desc { u64 lo, hi; };
_Static_assert(sizeof(struct vtd_desc) == 16, "§6.5.2 128-bit descriptor");

/* The 7-bit descriptor type (bits 11:9 and 3:0), for error reports. */
unsigned vtd_desc_type(const struct vtd_desc *d);

/* Context-cache invalidation: every entry, one domain's, or one device's in one domain. */
void vtd_desc_cc_global(struct vtd_desc *d);
void vtd_desc_cc_domain(struct vtd_desc *d, u16 did);
/*
 * fm is the Function Mask: which SID function bits are ignored, 0 none,
 * 1 bit 2, 2 bits 2:1, 3 bits 2:0 (every function of the device).
 * Returns 0 or -HV_EINVAL (fm > 3).
 */
int vtd_desc_cc_device(struct vtd_desc *d, u16 did, u16 sid, u8 fm);

/*
 * IOTLB invalidation. dr/dw ask the unit to drain reads/writes first; pass
 * them only when CAP.DRD/CAP.DWD are set.
 */
void vtd_desc_iotlb_global(struct vtd_desc *d, bool dr, bool dw);
void vtd_desc_iotlb_domain(struct vtd_desc *d, u16 did, bool dr, bool dw);
/*
 * Page-selective: 2^am pages from addr (aligned to that size), am at most
 * CAP.MAMV (the caller's check). ih: only leaf entries changed, so cached
 * non-leaf entries may stay. Returns 0 or -HV_EINVAL (addr not aligned to
 * 2^am pages, am > 51).
 */
int vtd_desc_iotlb_page(struct vtd_desc *d, u16 did, u64 addr, u8 am, bool ih,
			bool dr, bool dw);

/*
 * Device-TLB (ATS) invalidation of 2^order pages from addr (aligned to that
 * size) in the device sid. qdepth is the ATS capability's Invalidate Queue
 * Depth as a count, 1-32 (0 is read as 32, as in the capability). pfsid is
 * the PF's source-id for a VF (the device's own otherwise) and is encoded
 * only when dit (ECAP.DIT); without DIT the field is reserved. order 52
 * invalidates everything. Returns 0 or -HV_EINVAL.
 */
#define VTD_DEVTLB_ALL_ORDER    52      /* vtd_desc_devtlb's order for "every page" */
int vtd_desc_devtlb(struct vtd_desc *d, u16 sid, u16 pfsid, bool dit, u8 qdepth,
		    u64 addr, unsigned order);

/* Interrupt entry cache: all entries, or 2^im entries from index (aligned). */
void vtd_desc_iec_global(struct vtd_desc *d);
int vtd_desc_iec_index(struct vtd_desc *d, u16 index, u8 im);

/*
 * Invalidation wait. With sw, the unit writes status_data (32 bits) to
 * status_pa (4-byte aligned) when every earlier descriptor has completed;
 * with iflag it raises the completion event instead; fn fences later
 * descriptors. Returns 0 or -HV_EINVAL: both sw and iflag (QEMU aborts on
 * that), status_pa unaligned, or a status given without sw.
 */
int vtd_desc_wait(struct vtd_desc *d, bool sw, bool iflag, bool fn, u64 status_pa,
		  u32 status_data);

#endif
