/*
 * VT-d invalidation: the invalidation queue (§6.5.2) when ECAP.QI says the
 * unit has one, the Context Command and IOTLB registers (§6.5.1) when it
 * does not. Callers ask for an invalidation by scope; the unit's mode picks
 * the path. Every request completes before the call returns.
 */
#ifndef IOMMU_VTD_QI_H
#define IOMMU_VTD_QI_H
#include "kernel/types.h"
#include "iommu/vtd_desc.h"

struct vtd_unit;

#define VTD_QI_ENTRIES          256     /* one page of 128-bit descriptors: IQA.QS = 0 */
#define VTD_QI_BATCH_MAX        16      /* descriptors per submit, the wait excluded */

struct vtd_qi {
	bool on;                        /* queued; false: register-based */
	u64 queue_pa;
	struct vtd_desc *queue;
	u32 tail;                       /* next free slot */
	u64 status_pa;                  /* wait descriptors write token here */
	volatile u32 *status;
	u32 token;                      /* last token handed out; never 0 */
};

/*
 * Sets up the queue when ECAP.QI = 1: allocates it and the status word,
 * writes IQT = 0 and IQA, then enables QIE through GCMD. With ECAP.QI = 0,
 * selects register-based invalidation. Returns 0, -HV_ENOMEM, or
 * -HV_ETIMEDOUT when QIES never confirms (the unit must be left off).
 */
int vtd_qi_init(struct vtd_unit *u);
/*
 * Appends n descriptors and one wait descriptor (SW, status write of a fresh
 * token), moves IQT, and polls the status word with the bounded wait.
 * Refuses (-HV_EINVAL) any wait descriptor with SW and IF both set. Returns
 * 0, -HV_EIO when the unit reported an invalidation queue error (logged,
 * queue resumed), -HV_ETIMEDOUT, or -HV_ENODEV when the queue is off.
 */
int vtd_qi_submit(struct vtd_unit *u, const struct vtd_desc *d, unsigned n);

/* Context-cache invalidation: everything; one domain; one source ID in did. */
int vtd_inv_context_global(struct vtd_unit *u);
int vtd_inv_context_domain(struct vtd_unit *u, u16 did);
int vtd_inv_context_device(struct vtd_unit *u, u16 did, u16 sid);
/* IOTLB invalidation: everything; one domain. */
int vtd_inv_iotlb_global(struct vtd_unit *u);
int vtd_inv_iotlb_domain(struct vtd_unit *u, u16 did);
/*
 * IOTLB invalidation of [iova, iova+size) in did: one page-selective request
 * with the smallest address mask whose aligned block covers the range, when
 * CAP.PSI is set and the mask fits CAP.MAMV; domain-selective otherwise.
 */
int vtd_inv_iotlb_range(struct vtd_unit *u, u16 did, u64 iova, u64 size);
/* The address mask vtd_inv_iotlb_range would use, or -1 for domain-selective. */
int vtd_inv_psi_mask(u64 iova, u64 size, u32 mamv, u64 *base);

#endif
