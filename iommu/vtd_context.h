/*
 * Legacy-mode root and context tables of one VT-d unit (§9.1, §9.3): which
 * domain, and so which second-stage table, a source ID's DMA goes through.
 * A device with no present context entry has its DMA blocked and faulted.
 */
#ifndef IOMMU_VTD_CONTEXT_H
#define IOMMU_VTD_CONTEXT_H
#include "kernel/types.h"
#include "iommu/vtd_hw.h"

struct vtd_unit;
struct pt;

/* Allocates the unit's root table, every entry not present. 0 or -HV_ENOMEM. */
int vtd_ctx_root_init(struct vtd_unit *u);
/*
 * Points source ID sid at domain did, whose second-stage
 * table is pt, with translation type tt (VTD_TT_UNTRANSLATED, or
 * VTD_TT_DEVTLB for an ATS function on a unit with ECAP.DT). The entry is written hi first and P last, flushed when the
 * unit does not snoop, then the context-cache entry of sid (DID 0 under
 * CAP.CM, where not-present entries are cached with that tag) and the
 * domain's IOTLB are invalidated. A present entry for another domain is
 * first taken through not-present (and invalidated) so the unit never sees
 * a mix. Allocates the bus's context table on first use. Returns 0,
 * -HV_EINVAL, -HV_ENOMEM, or an invalidation error.
 */
int vtd_ctx_attach(struct vtd_unit *u, u16 sid, u16 did, const struct pt *pt, u8 tt);
/*
 * Makes sid's context entry not present (P cleared first), then invalidates
 * its context-cache entry and the old domain's IOTLB. Returns 0, -HV_ENOENT
 * (not present) or an invalidation error.
 */
int vtd_ctx_detach(struct vtd_unit *u, u16 sid);
/* Copies sid's context entry to *ce; false when it is not present. */
bool vtd_ctx_lookup(const struct vtd_unit *u, u16 sid, struct vtd_context_entry *ce);

#endif
