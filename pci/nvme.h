/*
 * Portable NVMe queue and command code, shared by Sluice's PF driver
 * (pci/nvme_pf.c) and the guests' VF driver (tests/guests/nvme.c): the
 * controller reached through four register callbacks, queues in memory the
 * caller gives (a CPU pointer and the bus address the device uses for it),
 * polled completions with the phase bit, bounded waits on the caller's
 * clock. No allocation and no interrupts.
 */
#ifndef PCI_NVME_H
#define PCI_NVME_H
#include "kernel/types.h"
#include "pci/nvme_hw.h"

/* How the code reaches one controller's BAR0 and the time. */
struct nvme_io {
	u32 (*rd32)(void *ctx, u32 off);
	u64 (*rd64)(void *ctx, u32 off);
	void (*wr32)(void *ctx, u32 off, u32 v);
	void (*wr64)(void *ctx, u32 off, u64 v);
	u64 (*now_us)(void *ctx);       /* monotonic microseconds, for bounded waits */
	void *ctx;
};

/* One submission/completion queue pair (the admin pair is qid 0). */
struct nvme_queue {
	u16 qid;
	u16 depth;                      /* entries in each queue */
	volatile struct nvme_sqe *sq;
	volatile struct nvme_cqe *cq;
	u64 sq_bus, cq_bus;             /* what the device is given */
	u16 sq_tail, cq_head;
	u8 phase;                       /* the phase bit a new completion carries */
	u16 next_cid;
	u64 submitted, completed;
	/*
	 * An I/O CQ created with interrupts enabled on vector irq_vector - 1
	 * (NVMe Base 2.0 Create I/O Completion Queue, CDW11 IEN and IV); 0:
	 * interrupts off. Completions are polled either way.
	 */
	u16 irq_vector;
};

struct nvme_ctrl {
	const struct nvme_io *io;
	u64 cap;
	u32 db_stride;                  /* bytes between doorbells */
	u32 timeout_us;                 /* CAP.TO, for enable and disable */
	u32 cmd_timeout_us;             /* per command */
	struct nvme_queue admin;
};

/* A command's outcome: status field (0 = success), completion DW0; -HV_ETIMEDOUT when none came. */
struct nvme_result {
	int err;                        /* 0, or -HV_ETIMEDOUT */
	u16 status;                     /* SC | SCT << 8 (NVME_SC_*) */
	u32 dw0;
};

/* Sets up the pair: memory is zeroed by the caller, depth entries in each. */
void nvme_queue_init(struct nvme_queue *q, u16 qid, u16 depth, void *sq, u64 sq_bus, void *cq, u64 cq_bus);

/*
 * Resets and enables the controller with q as its admin queue (4 KiB
 * pages, 64/16-byte entries, NVM command set). Returns 0, -HV_ENODEV (CAP
 * reads all-ones), -HV_ENOTSUP (no NVM command set or 4 KiB pages),
 * -HV_EIO (controller fatal status) or -HV_ETIMEDOUT (RDY never came).
 */
int nvme_enable(struct nvme_ctrl *c, const struct nvme_io *io, struct nvme_queue *admin, u32 cmd_timeout_us);
/* Clears CC.EN and waits for RDY = 0 (bounded). 0 or -HV_ETIMEDOUT. */
int nvme_disable(struct nvme_ctrl *c);

/* Writes cmd (cid filled in) at the tail and rings the doorbell. Returns the cid, -HV_EBUSY when full. */
int nvme_submit(struct nvme_ctrl *c, struct nvme_queue *q, const struct nvme_sqe *cmd);
/* Waits for the completion of cid (bounded), consuming completions up to it and ringing the CQ doorbell. */
struct nvme_result nvme_wait(struct nvme_ctrl *c, struct nvme_queue *q, u16 cid);
/* Submit and wait. */
struct nvme_result nvme_exec(struct nvme_ctrl *c, struct nvme_queue *q, const struct nvme_sqe *cmd);

/* Command builders (the cid is set by nvme_submit). */
void nvme_cmd_identify(struct nvme_sqe *s, u8 cns, u32 nsid, u16 cntid, u64 prp);
void nvme_cmd_create_cq(struct nvme_sqe *s, u16 qid, u16 depth, u64 bus);
void nvme_cmd_create_sq(struct nvme_sqe *s, u16 qid, u16 depth, u64 bus, u16 cqid);
void nvme_cmd_rw(struct nvme_sqe *s, bool write, u32 nsid, u64 slba, u16 nblocks, u64 prp1, u64 prp2);
void nvme_cmd_virt_mgmt(struct nvme_sqe *s, u8 act, u8 rt, u16 cntlid, u16 nr);
void nvme_cmd_ns_attach(struct nvme_sqe *s, bool attach, u32 nsid, u64 prp);

/* Creates I/O queue pair q (CQ, then SQ) on the controller. 0, -HV_EIO (status logged by the caller) or -HV_ETIMEDOUT. */
int nvme_create_io_queues(struct nvme_ctrl *c, struct nvme_queue *q, struct nvme_result *r);

/*
 * The I/O run both Sluice's PF driver (make bench) and the guests' VF
 * driver do, so their figures compare like with like: n writes of one
 * page (blocks logical blocks each) at LBAs first, first + blocks, ...,
 * the data of write i made by fill(ctx, buf, i); then n reads of the same
 * LBAs, each compared with fill's data again. One command in flight.
 */
struct nvme_rw_run {
	u32 nsid, n;
	u64 first_lba;
	u16 blocks;                     /* per I/O: one page's worth */
	u8 *wbuf, *rbuf;                /* one page each, and their bus addresses */
	u64 wbus, rbus;
	void (*fill)(void *ctx, u8 *buf, u32 i);
	void *ctx;
	/* out: commands that did not complete with success, pages read back wrong */
	u32 failed, bad;
};
void nvme_rw_pages(struct nvme_ctrl *c, struct nvme_queue *q, struct nvme_rw_run *run);

/* A name for the status codes Sluice meets ("invalid secondary controller state"), else "other status". */
const char *nvme_status_name(u16 status);

#endif
