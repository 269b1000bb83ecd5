/*
 * A fake NVMe subsystem for host tests: one primary controller (the PF,
 * CNTLID 0) and secondary controllers (VFs, CNTLID = VF number), each
 * reached through a struct nvme_io, sharing namespaces. Queues and data
 * live in host memory (bus address = host pointer). It enforces the rules
 * QEMU's nvme model does: flexible resources given up by the primary take
 * effect at its next reset and only then can be assigned; a secondary is
 * assigned resources only while offline; it goes online only with its VF
 * enabled, VQ >= 2 and VI >= 1; a VF's controller does not become ready
 * while its secondary is offline; I/O only to namespaces attached to the
 * controller.
 */
#ifndef TESTS_FAKES_FAKE_NVME_H
#define TESTS_FAKES_FAKE_NVME_H
#include "kernel/types.h"
#include "pci/nvme.h"

#define FAKE_NVME_MAX_NS        4
#define FAKE_NVME_MAX_SEC       4
#define FAKE_NVME_MAX_Q         4
#define FAKE_NVME_LBA           512

struct fake_nvme_q { u64 sq, cq; u16 depth, sq_head, cq_tail, cqid; u8 phase; bool sq_live, cq_live; };

struct fake_nvme_subsys;

struct fake_nvme_ctrl {
	struct fake_nvme_subsys *sub;
	u16 cntlid;
	u32 cc, csts, aqa;
	u64 asq, acq;
	struct fake_nvme_q q[FAKE_NVME_MAX_Q];  /* [0]: admin */
	struct nvme_io io;
	u32 commands;                           /* executed */
};

struct fake_nvme_subsys {
	u32 nn;
	struct {
		u64 nsze;                       /* 0: not allocated */
		u8 *data;
		bool attached[FAKE_NVME_MAX_SEC + 1];   /* by CNTLID */
	} ns[FAKE_NVME_MAX_NS + 1];             /* by NSID */
	u32 vq_total, vi_total;
	u16 vq_sec_max;                         /* VQFRSM (0 after fake_nvme_init: not said) */
	u16 vq_primary, vi_primary;             /* in effect */
	u16 vq_primary_next, vi_primary_next;   /* after the next reset */
	u16 total_vfs, vfs_enabled;
	struct { bool online; u16 nvq, nvi; } sec[FAKE_NVME_MAX_SEC + 1];      /* by CNTLID */
	struct fake_nvme_ctrl ctrl[FAKE_NVME_MAX_SEC + 1];
	/* Every admin command as "opc:cntlid:act" words, for order checks. */
	char trace[4096];
	/* Test switches. */
	bool no_virt_mgmt;
};

/* A subsystem with nr_ns namespaces of blocks each (attached to nobody), total_vfs VFs and flexible resources. */
void fake_nvme_init(struct fake_nvme_subsys *s, u32 nr_ns, u64 blocks, u16 total_vfs, u32 vq_total, u32 vi_total);
void fake_nvme_free(struct fake_nvme_subsys *s);
/* The nvme_io for controller cntlid (0 = the PF). */
const struct nvme_io *fake_nvme_io(struct fake_nvme_subsys *s, u16 cntlid);
/* Bus address to host pointer; NULL (the default): the address is the pointer. */
extern void *(*fake_nvme_bus)(u64 a);
/* For struct nvme_pf_env.enable_vfs (ctx = the subsystem). */
int fake_nvme_enable_vfs(void *ctx, u16 n);

#endif
