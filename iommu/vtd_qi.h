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
#include "kernel/spinlock.h"

struct vtd_caps;

struct vtd_unit;

#define VTD_QI_ENTRIES          256     /* one page of 128-bit descriptors: IQA.QS = 0 */
#define VTD_QI_BATCH_MAX        16      /* descriptors per submit, the wait excluded */
#define VTD_DOMAIN_ATS_MAX      8       /* ATS functions per domain and unit */
/*
 * How long a batch with device-TLB invalidations may take before Sluice
 * gives up on it: 1 s by default (Xen's choice; PCIe lets a device take up
 * to 90 s, which no partition should stall the others for). Set from
 * [sluice] devtlb-timeout-ms.
 */
#define VTD_DEVTLB_TIMEOUT_US   1000000
extern u32 vtd_devtlb_timeout_us;

/* Invalidation counters (issue 7): per unit, and per domain for the batches made for it. */
#define VTD_INV_KINDS           6       /* by descriptor type 0-5: -, context, IOTLB, device-TLB, IEC, wait */
#define VTD_INV_SAMPLES         64      /* the last wait times kept for the median */
struct vtd_inv_stats {
	u64 desc[VTD_INV_KINDS];
	u64 waits, timeouts;
	u64 wait_min, wait_max;         /* TSC ticks from tail write to status write */
	u32 sample[VTD_INV_SAMPLES];
	u32 nr_samples;                 /* ever taken; the last VTD_INV_SAMPLES are kept */
};
/* Counts n descriptors, the wait descriptor that ended them, and that wait's ticks. */
void vtd_inv_stats_add(struct vtd_inv_stats *s, const struct vtd_desc *d, unsigned n, u64 ticks);
/* The median of the kept wait times (0 with none). */
u64 vtd_inv_stats_median(const struct vtd_inv_stats *s);
/* "iotlb 3, devtlb 2, iec 0, wait 2; 2 waits of 1200/1800/2400 TSC ticks (min/median/max)" */
void vtd_inv_stats_format(const struct vtd_inv_stats *s, char *buf, size_t len);

/* One ATS function of a domain, as its device-TLB invalidations name it. */
struct vtd_ats_dev {
	u16 sid, pfsid;
	u8 qdepth;                      /* 1-32 */
};

struct vtd_qi {
	bool on;                        /* queued; false: register-based */
	u64 queue_pa;
	struct vtd_desc *queue;
	u32 tail;                       /* next free slot */
	u64 status_pa;                  /* wait descriptors write token here */
	volatile u32 *status;
	u32 token;                      /* last token handed out; never 0 */
	struct vtd_inv_stats stats;     /* everything this unit's queue ran */
	struct spinlock lock;           /* one submit at a time: partitions remap from their own CPUs */
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
/* vtd_qi_submit, counted in *also (a domain's counters) as well as the unit's. */
int vtd_qi_submit_counted(struct vtd_unit *u, const struct vtd_desc *d, unsigned n, struct vtd_inv_stats *also);

/*
 * The one sequence after a change that removes or narrows mappings of did
 * (VT-d §6.5.2.5, §6.5.2.6): first the IOTLB, page-selective with the
 * smallest address mask covering [iova, iova + size) when CAP.PSI and
 * CAP.MAMV allow, else domain-selective; then one device-TLB invalidation
 * per ATS function in dev (its source ID; the PF's in PFSID when ECAP.DIT;
 * its queue depth; the same range, by the size bit, or everything past
 * 2^52 pages); the caller's wait is the one vtd_qi_submit appends. IOTLB
 * before device-TLB, always: a device refilling its ATC from an IOTLB not
 * yet clean would cache the stale translation again. Fills out with at
 * most max descriptors; returns how many, or -HV_EINVAL (more than max).
 */
int vtd_inv_batch(const struct vtd_caps *c, u16 did, u64 iova, u64 size, const struct vtd_ats_dev *dev,
		  unsigned n, struct vtd_desc *out, unsigned max);
/*
 * Runs vtd_inv_batch's sequence on u through its queue, in as few
 * submits (each ended by one wait) as VTD_QI_BATCH_MAX allows, counted
 * in *also too. Without ATS functions and without a queue it falls back
 * to vtd_inv_iotlb_range. Returns 0 or the first error: -HV_ETIMEDOUT
 * when a device did not answer (FSTS.ITE, recovered: the queue runs on)
 * or the wait passed vtd_devtlb_timeout_us; the caller contains the ATS
 * functions of the batch.
 */
int vtd_inv_range_ats(struct vtd_unit *u, u16 did, u64 iova, u64 size, const struct vtd_ats_dev *dev,
		      unsigned n, struct vtd_inv_stats *also);
/* Test-only: leave the device-TLB step out (host tests show a stale ATC then). Never set by Sluice. */
extern bool vtd_inv_test_skip_devtlb;

/* Context-cache invalidation: everything; one domain; one source ID in did. */
int vtd_inv_context_global(struct vtd_unit *u);
int vtd_inv_context_device(struct vtd_unit *u, u16 did, u16 sid);
/*
 * Interrupt entry cache invalidation of every entry (§6.5.2.7, G = 0),
 * through the queue only: the spec gives the IEC no register interface,
 * and a unit with ECAP.IR has ECAP.QI. 0, -HV_ENODEV (queue off) or a
 * vtd_qi_submit error.
 */
int vtd_inv_iec_global(struct vtd_unit *u);
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
