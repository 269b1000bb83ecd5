/*
 * NVMe PF provisioning: Sluice owns an SR-IOV NVMe controller's physical
 * function and turns VFs into working secondary controllers, each with its
 * own namespace, before any partition starts. Portable: the PF's registers,
 * VF enabling and DMA memory come from struct nvme_pf_env.
 * Spec: NVM Express Base Specification 2.0c section 8.26 (virtualization
 * enhancements), 5.27 (Virtualization Management), 5.23 (Namespace
 * Attachment); QEMU docs/system/devices/nvme.rst (the same order).
 */
#ifndef PCI_NVME_PF_H
#define PCI_NVME_PF_H
#include "kernel/types.h"
#include "pci/nvme.h"

#define NVME_PF_MAX_VFS         16
#define NVME_PF_VF_VQ           2       /* per secondary at least: an admin and one I/O queue pair */
#define NVME_PF_VF_VI           1       /* per secondary: one interrupt (the guests poll) */
#define NVME_PF_DMA_PAGES       4       /* admin SQ, admin CQ, two data pages */
#define NVME_PF_ADMIN_DEPTH     16
#define NVME_PF_CMD_TIMEOUT_US  2000000

struct nvme_pf_env {
	const struct nvme_io *io;       /* the PF's BAR0 */
	/* Sets NumVFs = n and VF Enable in the PF's SR-IOV capability (n = 0: disable). */
	int (*enable_vfs)(void *ctx, u16 n);
	void *ctx;
	/* NVME_PF_DMA_PAGES zeroed pages the PF may DMA to, and their bus address. */
	void *dma;
	u64 dma_bus;
	/* Writes one log line (NUL-terminated). */
	void (*log)(void *ctx, bool error, const char *line);
};

/* What a partition's VF gets: VF number (1-based) and its namespace. */
struct nvme_vf_plan {
	u16 vfn;
	u32 nsid;
};

/* What provisioning found and did, per VF. */
struct nvme_vf_state {
	u16 vfn;
	u16 scid;                       /* its secondary controller's CNTLID */
	u32 nsid;
	u64 ns_blocks;                  /* namespace size in logical blocks */
	u32 lba_size;
	bool online;
};

struct nvme_pf {
	struct nvme_ctrl ctrl;
	u16 cntlid;                     /* the primary's */
	u32 nn;                         /* namespaces the subsystem may hold */
	u16 nr_secondary;               /* secondary controllers the PF lists */
	u16 total_vfs;
	u32 vq_total, vi_total;         /* flexible resources */
	u16 vq_sec_max;                 /* VQFRSM: the most queues one secondary may hold (0: not said) */
	u16 vf_vq;                      /* queues given to each planned VF */
	u32 nr_vfs;
	struct nvme_vf_state vf[NVME_PF_MAX_VFS];
	/* The namespace attached to the primary for Sluice's own I/O (0: none). */
	u32 own_nsid, own_lba_size;
	u64 own_blocks;
};

/*
 * Checks the plan against the controller, then: takes the flexible
 * resources from the primary (and resets it when it held any), enables
 * max(vfn) VFs, assigns each planned VF's secondary controller an equal
 * share of the flexible queues (at least NVME_PF_VF_VQ, at most VQFRSM:
 * more I/O queues, e.g. a Linux poll queue, where the controller allows)
 * and NVME_PF_VF_VI interrupts, sets it online and attaches
 * its namespace to it alone; with own_nsid, that namespace is attached to
 * the primary alone (Sluice's own I/O, make bench). Logs each step; on a
 * refusal *why says what (naming the VF and namespace). Returns 0, -HV_EINVAL (plan: VF past
 * TotalVFs or the secondary list, namespace absent or given twice, too few
 * flexible resources), -HV_ENOTSUP (no Virtualization Management or
 * Namespace Management), -HV_EIO (a command failed) or -HV_ETIMEDOUT.
 */
int nvme_pf_provision(struct nvme_pf *pf, const struct nvme_pf_env *env, u16 total_vfs,
		      const struct nvme_vf_plan *plan, u32 n, u32 own_nsid, char *why, size_t why_len);
/*
 * Set by vm/main.c for the lab switch lab=vf-shared-ns (docs/labs/):
 * nvme_pf_provision() then also attaches the first planned VF's namespace
 * to every other planned VF's controller, each logged as a WARN line
 * (through env->log as "lab switch vf-shared-ns: ..."), so two partitions
 * share one disk although the IOMMU keeps their memory apart.
 */
extern bool nvme_pf_lab_shared_ns;

#endif
