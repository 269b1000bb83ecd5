/*
 * Portable NVMe queue and command code (pci/nvme.h). Spec references are to
 * the NVM Express Base Specification 2.0c: 3.5.1 (controller
 * initialisation), 4.1 (queues, doorbells, phase tag), 5 (admin commands).
 * Freestanding and allocation-free: Sluice and the test guests link it.
 */
#include "pci/nvme.h"
#include "kernel/err.h"
#include "kernel/lib.h"

#define NVME_TO_UNIT_US         500000  /* CAP.TO counts 500 ms */

static u32 rd32(const struct nvme_ctrl *c, u32 off) { return c->io->rd32(c->io->ctx, off); }
static void wr32(const struct nvme_ctrl *c, u32 off, u32 v) { c->io->wr32(c->io->ctx, off, v); }
static u64 now(const struct nvme_ctrl *c) { return c->io->now_us(c->io->ctx); }

void nvme_queue_init(struct nvme_queue *q, u16 qid, u16 depth, void *sq, u64 sq_bus, void *cq, u64 cq_bus)
{
	memset(q, 0, sizeof(*q));
	q->qid = qid;
	q->depth = depth;
	q->sq = sq;
	q->cq = cq;
	q->sq_bus = sq_bus;
	q->cq_bus = cq_bus;
	q->phase = 1;           /* the first pass through the CQ carries phase 1 (4.1) */
}

/* Waits until CSTS.RDY == want; a fatal status ends it early. */
static int wait_ready(struct nvme_ctrl *c, bool want)
{
	u64 start = now(c);
	for (;;) {
		u32 csts = rd32(c, NVME_REG_CSTS);
		if (csts == 0xffffffff)
			return -HV_ENODEV;
		if (want && (csts & NVME_CSTS_CFS))
			return -HV_EIO;
		if (!!(csts & NVME_CSTS_RDY) == want)
			return 0;
		if (now(c) - start > c->timeout_us)
			return -HV_ETIMEDOUT;
	}
}

int nvme_disable(struct nvme_ctrl *c)
{
	u32 cc = rd32(c, NVME_REG_CC);
	if (cc & NVME_CC_EN)
		wr32(c, NVME_REG_CC, cc & ~(u32)NVME_CC_EN);
	return wait_ready(c, false);
}

int nvme_enable(struct nvme_ctrl *c, const struct nvme_io *io, struct nvme_queue *admin, u32 cmd_timeout_us)
{
	c->io = io;
	c->cap = io->rd64(io->ctx, NVME_REG_CAP);
	if (c->cap == ~0ULL)
		return -HV_ENODEV;
	if (!(c->cap & NVME_CAP_CSS_NVM) || FIELD_GET(NVME_CAP_MPSMIN, c->cap) != 0)
		return -HV_ENOTSUP;
	c->db_stride = 4u << FIELD_GET(NVME_CAP_DSTRD, c->cap);
	c->timeout_us = (u32)MAX(FIELD_GET(NVME_CAP_TO, c->cap), 1) * NVME_TO_UNIT_US;
	c->cmd_timeout_us = cmd_timeout_us;
	u32 mqes = (u32)FIELD_GET(NVME_CAP_MQES, c->cap) + 1;
	if (admin->depth < 2 || admin->depth > mqes || admin->depth > 4096)
		return -HV_EINVAL;
	/* 3.5.1: disable, wait for RDY = 0, set the admin queue, enable, wait for RDY = 1. */
	int ret = nvme_disable(c);
	if (ret)
		return ret;
	c->admin = *admin;
	wr32(c, NVME_REG_AQA, (u32)(FIELD_PREP(NVME_AQA_ASQS, admin->depth - 1) |
				    FIELD_PREP(NVME_AQA_ACQS, admin->depth - 1)));
	io->wr64(io->ctx, NVME_REG_ASQ, admin->sq_bus);
	io->wr64(io->ctx, NVME_REG_ACQ, admin->cq_bus);
	wr32(c, NVME_REG_CC, (u32)(NVME_CC_EN | FIELD_PREP(NVME_CC_IOSQES, 6) | FIELD_PREP(NVME_CC_IOCQES, 4)));
	return wait_ready(c, true);
}

static u32 sq_doorbell(const struct nvme_ctrl *c, u16 qid)
{
	return NVME_REG_DBS + (2u * qid) * c->db_stride;
}

static u32 cq_doorbell(const struct nvme_ctrl *c, u16 qid)
{
	return NVME_REG_DBS + (2u * qid + 1) * c->db_stride;
}

int nvme_submit(struct nvme_ctrl *c, struct nvme_queue *q, const struct nvme_sqe *cmd)
{
	u16 next = (u16)((q->sq_tail + 1) % q->depth);
	/* Full when the tail would meet the head: one slot stays empty (4.1.3). */
	if (q->submitted - q->completed >= (u64)q->depth - 1)
		return -HV_EBUSY;
	struct nvme_sqe s = *cmd;
	s.cid = q->next_cid++;
	memcpy((void *)&q->sq[q->sq_tail], &s, sizeof(s));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);        /* the entry before the doorbell */
	q->sq_tail = next;
	wr32(c, sq_doorbell(c, q->qid), q->sq_tail);
	q->submitted++;
	return s.cid;
}

struct nvme_result nvme_wait(struct nvme_ctrl *c, struct nvme_queue *q, u16 cid)
{
	struct nvme_result r = { .err = -HV_ETIMEDOUT };
	u64 start = now(c);

	for (;;) {
		volatile struct nvme_cqe *e = &q->cq[q->cq_head];
		u16 st = e->status;
		if ((st & NVME_CQE_PHASE) != q->phase) {
			if (now(c) - start > c->cmd_timeout_us)
				return r;
			continue;
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);        /* the entry after its phase bit */
		u16 got = e->cid;
		u32 dw0 = e->dw0;
		q->cq_head = (u16)((q->cq_head + 1) % q->depth);
		if (q->cq_head == 0)
			q->phase ^= 1;
		q->completed++;
		wr32(c, cq_doorbell(c, q->qid), q->cq_head);
		if (got == cid) {
			r.err = 0;
			r.status = (u16)FIELD_GET(NVME_CQE_SF, st) & (NVME_STATUS_SC | NVME_STATUS_SCT);
			r.dw0 = dw0;
			return r;
		}
	}
}

struct nvme_result nvme_exec(struct nvme_ctrl *c, struct nvme_queue *q, const struct nvme_sqe *cmd)
{
	int cid = nvme_submit(c, q, cmd);
	if (cid < 0)
		return (struct nvme_result){ .err = cid };
	return nvme_wait(c, q, (u16)cid);
}

void nvme_cmd_identify(struct nvme_sqe *s, u8 cns, u32 nsid, u16 cntid, u64 prp)
{
	memset(s, 0, sizeof(*s));
	s->opc = NVME_ADM_IDENTIFY;
	s->nsid = nsid;
	s->prp1 = prp;
	s->cdw10 = cns | (u32)cntid << 16;
}

void nvme_cmd_create_cq(struct nvme_sqe *s, u16 qid, u16 depth, u64 bus)
{
	memset(s, 0, sizeof(*s));
	s->opc = NVME_ADM_CREATE_CQ;
	s->prp1 = bus;
	s->cdw10 = qid | (u32)(depth - 1) << 16;
	s->cdw11 = 1;           /* physically contiguous, interrupts off: completions are polled */
}

void nvme_cmd_create_sq(struct nvme_sqe *s, u16 qid, u16 depth, u64 bus, u16 cqid)
{
	memset(s, 0, sizeof(*s));
	s->opc = NVME_ADM_CREATE_SQ;
	s->prp1 = bus;
	s->cdw10 = qid | (u32)(depth - 1) << 16;
	s->cdw11 = 1 | (u32)cqid << 16;         /* physically contiguous, priority ignored */
}

void nvme_cmd_rw(struct nvme_sqe *s, bool write, u32 nsid, u64 slba, u16 nblocks, u64 prp1, u64 prp2)
{
	memset(s, 0, sizeof(*s));
	s->opc = write ? NVME_CMD_WRITE : NVME_CMD_READ;
	s->nsid = nsid;
	s->prp1 = prp1;
	s->prp2 = prp2;
	s->cdw10 = (u32)slba;
	s->cdw11 = (u32)(slba >> 32);
	s->cdw12 = (u32)(nblocks - 1);          /* 0-based */
}

void nvme_cmd_virt_mgmt(struct nvme_sqe *s, u8 act, u8 rt, u16 cntlid, u16 nr)
{
	memset(s, 0, sizeof(*s));
	s->opc = NVME_ADM_VIRT_MGMT;
	s->cdw10 = (act & 0xfu) | (u32)(rt & 7u) << 8 | (u32)cntlid << 16;
	s->cdw11 = nr;
}

void nvme_cmd_ns_attach(struct nvme_sqe *s, bool attach, u32 nsid, u64 prp)
{
	memset(s, 0, sizeof(*s));
	s->opc = NVME_ADM_NS_ATTACH;
	s->nsid = nsid;
	s->prp1 = prp;
	s->cdw10 = attach ? NVME_NS_ATTACH : NVME_NS_DETACH;
}

int nvme_create_io_queues(struct nvme_ctrl *c, struct nvme_queue *q, struct nvme_result *r)
{
	struct nvme_sqe s;

	nvme_cmd_create_cq(&s, q->qid, q->depth, q->cq_bus);
	if (q->irq_vector)
		s.cdw11 |= NVME_CQ_IEN | (u32)(q->irq_vector - 1) << 16;
	*r = nvme_exec(c, &c->admin, &s);
	if (r->err || r->status)
		return r->err ? r->err : -HV_EIO;
	nvme_cmd_create_sq(&s, q->qid, q->depth, q->sq_bus, q->qid);
	*r = nvme_exec(c, &c->admin, &s);
	if (r->err || r->status)
		return r->err ? r->err : -HV_EIO;
	return 0;
}

static bool rw_ok(struct nvme_ctrl *c, struct nvme_queue *q, const struct nvme_rw_run *run, bool write, u32 i)
{
	struct nvme_sqe s;
	nvme_cmd_rw(&s, write, run->nsid, run->first_lba + (u64)i * run->blocks, run->blocks,
		    write ? run->wbus : run->rbus, 0);
	struct nvme_result r = nvme_exec(c, q, &s);
	return !r.err && !r.status;
}

void nvme_rw_pages(struct nvme_ctrl *c, struct nvme_queue *q, struct nvme_rw_run *run)
{
	run->failed = run->bad = 0;
	for (u32 i = 0; i < run->n; i++) {
		run->fill(run->ctx, run->wbuf, i);
		run->failed += !rw_ok(c, q, run, true, i);
	}
	for (u32 i = 0; i < run->n; i++) {
		memset(run->rbuf, 0, NVME_PAGE_SIZE);
		run->failed += !rw_ok(c, q, run, false, i);
		run->fill(run->ctx, run->wbuf, i);
		run->bad += memcmp(run->wbuf, run->rbuf, NVME_PAGE_SIZE) != 0;
	}
}

const char *nvme_status_name(u16 status)
{
	switch (status) {
	case NVME_SC_SUCCESS: return "success";
	case NVME_SC_INVALID_OPCODE: return "invalid opcode";
	case NVME_SC_INVALID_FIELD: return "invalid field";
	case NVME_SC_DATA_TRANSFER_ERROR: return "data transfer error";
	case NVME_SC_INVALID_NS: return "invalid namespace";
	case NVME_SC_LBA_RANGE: return "LBA out of range";
	case NVME_SC_INVALID_QID: return "invalid queue identifier";
	case NVME_SC_INVALID_QSIZE: return "invalid queue size";
	case NVME_SC_NS_ALREADY_ATTACHED: return "namespace already attached";
	case NVME_SC_NS_NOT_ATTACHED: return "namespace not attached";
	case NVME_SC_INVALID_CTRL_ID: return "invalid controller identifier";
	case NVME_SC_INVALID_SEC_CTRL_STATE: return "invalid secondary controller state";
	case NVME_SC_INVALID_NR_CTRL_RES: return "invalid number of controller resources";
	case NVME_SC_INVALID_RES_ID: return "invalid resource identifier";
	}
	return "other status";
}
