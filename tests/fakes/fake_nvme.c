/* Fake NVMe subsystem (tests/fakes/fake_nvme.h). */
#include "tests/fakes/fake_nvme.h"
#include "kernel/err.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *(*fake_nvme_bus)(u64 a);

static void *bus(u64 a) { return fake_nvme_bus ? fake_nvme_bus(a) : (void *)(uintptr_t)a; }

static void trace(struct fake_nvme_subsys *s, const char *fmt, unsigned a, unsigned b, unsigned c)
{
	size_t n = strlen(s->trace);
	snprintf(s->trace + n, sizeof(s->trace) - n, fmt, a, b, c);
}

/* ---- admin commands ---- */

static u16 identify(struct fake_nvme_ctrl *c, const struct nvme_sqe *e)
{
	struct fake_nvme_subsys *s = c->sub;
	u8 *d = bus(e->prp1);
	u8 cns = e->cdw10 & 0xff;

	memset(d, 0, NVME_PAGE_SIZE);
	switch (cns) {
	case NVME_CNS_CTRL: {
		u16 oacs = s->no_virt_mgmt ? NVME_OACS_NS_MGMT : NVME_OACS_NS_MGMT | NVME_OACS_VIRT_MGMT;
		memcpy(d + NVME_ID_CTRL_CNTLID, &c->cntlid, 2);
		memcpy(d + NVME_ID_CTRL_OACS, &oacs, 2);
		memcpy(d + NVME_ID_CTRL_NN, &s->nn, 4);
		return 0;
	}
	case NVME_CNS_PRIMARY_CAPS: {
		u32 assigned_q = 0, assigned_i = 0;
		for (u32 k = 1; k <= FAKE_NVME_MAX_SEC; k++) {
			assigned_q += s->sec[k].nvq;
			assigned_i += s->sec[k].nvi;
		}
		memcpy(d + NVME_PRI_VQFRT, &s->vq_total, 4);
		memcpy(d + NVME_PRI_VQRFA, &assigned_q, 4);
		memcpy(d + NVME_PRI_VQRFAP, &s->vq_primary, 2);
		memcpy(d + NVME_PRI_VQFRSM, &s->vq_sec_max, 2);
		memcpy(d + NVME_PRI_VIFRT, &s->vi_total, 4);
		memcpy(d + NVME_PRI_VIRFA, &assigned_i, 4);
		memcpy(d + NVME_PRI_VIRFAP, &s->vi_primary, 2);
		return 0;
	}
	case NVME_CNS_SECONDARY_LIST: {
		struct nvme_sec_ctrl *l = (struct nvme_sec_ctrl *)(d + 32);
		d[0] = (u8)s->total_vfs;
		for (u16 k = 1; k <= s->total_vfs; k++) {
			l[k - 1].scid = k;
			l[k - 1].pcid = 0;
			l[k - 1].vfn = k;
			l[k - 1].scs = s->sec[k].online;
			l[k - 1].nvq = s->sec[k].nvq;
			l[k - 1].nvi = s->sec[k].nvi;
		}
		return 0;
	}
	case NVME_CNS_NS_ALLOCATED:
	case NVME_CNS_NS:
		if (!e->nsid || e->nsid > s->nn || !s->ns[e->nsid].nsze)
			return NVME_SC_INVALID_NS;
		if (cns == NVME_CNS_NS && !s->ns[e->nsid].attached[c->cntlid])
			return 0;       /* inactive: zeros */
		memcpy(d + NVME_ID_NS_NSZE, &s->ns[e->nsid].nsze, 8);
		d[NVME_ID_NS_LBAF0 + 2] = 9;    /* 512-byte blocks */
		return 0;
	case NVME_CNS_NS_CTRL_LIST: {
		u16 n = 0;
		if (!e->nsid || e->nsid > s->nn)
			return NVME_SC_INVALID_NS;
		for (u16 k = 0; k <= FAKE_NVME_MAX_SEC; k++)
			if (s->ns[e->nsid].attached[k]) {
				memcpy(d + 2 + 2 * n, &k, 2);
				n++;
			}
		memcpy(d, &n, 2);
		return 0;
	}
	}
	return NVME_SC_INVALID_FIELD;
}

static u16 virt_mgmt(struct fake_nvme_ctrl *c, const struct nvme_sqe *e)
{
	struct fake_nvme_subsys *s = c->sub;
	u8 act = e->cdw10 & 0xf, rt = (e->cdw10 >> 8) & 7;
	u16 id = (u16)(e->cdw10 >> 16), nr = (u16)e->cdw11;

	trace(s, "vm:%u:%u:%u ", act, id, nr);
	if (s->no_virt_mgmt || c->cntlid != 0)
		return NVME_SC_INVALID_OPCODE;
	if (rt > NVME_VM_RT_VI)
		return NVME_SC_INVALID_RES_ID;
	if (act == NVME_VM_ACT_PRIMARY_FLEX) {
		if (id != 0)
			return NVME_SC_INVALID_CTRL_ID;
		if (rt == NVME_VM_RT_VQ)
			s->vq_primary_next = nr;
		else
			s->vi_primary_next = nr;
		return 0;
	}
	if (!id || id > s->total_vfs)
		return NVME_SC_INVALID_CTRL_ID;
	switch (act) {
	case NVME_VM_ACT_SECONDARY_OFFLINE:
		s->sec[id].online = false;
		return 0;
	case NVME_VM_ACT_SECONDARY_ASSIGN: {
		if (s->sec[id].online)
			return NVME_SC_INVALID_SEC_CTRL_STATE;
		u32 used = rt == NVME_VM_RT_VQ ? s->vq_primary : s->vi_primary;
		for (u32 k = 1; k <= FAKE_NVME_MAX_SEC; k++)
			if (k != id)
				used += rt == NVME_VM_RT_VQ ? s->sec[k].nvq : s->sec[k].nvi;
		if (used + nr > (rt == NVME_VM_RT_VQ ? s->vq_total : s->vi_total) ||
		    (rt == NVME_VM_RT_VQ && s->vq_sec_max && nr > s->vq_sec_max))
			return NVME_SC_INVALID_NR_CTRL_RES;
		if (rt == NVME_VM_RT_VQ)
			s->sec[id].nvq = nr;
		else
			s->sec[id].nvi = nr;
		return 0;
	}
	case NVME_VM_ACT_SECONDARY_ONLINE:
		if (id > s->vfs_enabled || s->sec[id].nvq < 2 || s->sec[id].nvi < 1)
			return NVME_SC_INVALID_SEC_CTRL_STATE;
		s->sec[id].online = true;
		return 0;
	}
	return NVME_SC_INVALID_FIELD;
}

static u16 ns_attach(struct fake_nvme_ctrl *c, const struct nvme_sqe *e)
{
	struct fake_nvme_subsys *s = c->sub;
	const u8 *d = bus(e->prp1);
	u16 n, id;
	bool attach = (e->cdw10 & 0xf) == NVME_NS_ATTACH;

	trace(s, "ns:%u:%u:%u ", attach, e->nsid, 0);
	if (!e->nsid || e->nsid > s->nn || !s->ns[e->nsid].nsze)
		return NVME_SC_INVALID_NS;
	memcpy(&n, d, 2);
	for (u16 i = 0; i < n; i++) {
		memcpy(&id, d + 2 + 2 * i, 2);
		if (id > FAKE_NVME_MAX_SEC)
			return NVME_SC_INVALID_CTRL_ID;
		if (attach && s->ns[e->nsid].attached[id])
			return NVME_SC_NS_ALREADY_ATTACHED;
		if (!attach && !s->ns[e->nsid].attached[id])
			return NVME_SC_NS_NOT_ATTACHED;
		s->ns[e->nsid].attached[id] = attach;
	}
	return 0;
}

static u16 create_queue(struct fake_nvme_ctrl *c, const struct nvme_sqe *e, bool sq)
{
	u16 qid = e->cdw10 & 0xffff, depth = (u16)((e->cdw10 >> 16) + 1);
	if (!qid || qid >= FAKE_NVME_MAX_Q)
		return NVME_SC_INVALID_QID;
	struct fake_nvme_q *q = &c->q[qid];
	if (sq) {
		u16 cqid = (u16)(e->cdw11 >> 16);
		if (cqid >= FAKE_NVME_MAX_Q || !c->q[cqid].cq_live)
			return NVME_SC_INVALID_QID;
		q->sq = e->prp1;
		q->cqid = cqid;
		q->sq_head = 0;
		q->sq_live = true;
	} else {
		q->cq = e->prp1;
		q->cq_tail = 0;
		q->phase = 1;
		q->cq_live = true;
	}
	q->depth = depth;
	return 0;
}

static u16 rw(struct fake_nvme_ctrl *c, const struct nvme_sqe *e)
{
	struct fake_nvme_subsys *s = c->sub;
	u64 slba = e->cdw10 | (u64)e->cdw11 << 32;
	u32 nlb = (e->cdw12 & 0xffff) + 1;

	if (!e->nsid || e->nsid > s->nn || !s->ns[e->nsid].attached[c->cntlid])
		return NVME_SC_INVALID_NS;
	if (slba + nlb > s->ns[e->nsid].nsze)
		return NVME_SC_LBA_RANGE;
	if ((u64)nlb * FAKE_NVME_LBA > 2 * NVME_PAGE_SIZE)
		return NVME_SC_INVALID_FIELD;
	u8 *disk = s->ns[e->nsid].data + slba * FAKE_NVME_LBA;
	u64 len = (u64)nlb * FAKE_NVME_LBA, first = MIN(len, NVME_PAGE_SIZE - (e->prp1 & (NVME_PAGE_SIZE - 1)));
	if (e->opc == NVME_CMD_WRITE) {
		memcpy(disk, bus(e->prp1), first);
		if (len > first)
			memcpy(disk + first, bus(e->prp2), len - first);
	} else {
		memcpy(bus(e->prp1), disk, first);
		if (len > first)
			memcpy(bus(e->prp2), disk + first, len - first);
	}
	return 0;
}

static u16 execute(struct fake_nvme_ctrl *c, u16 qid, const struct nvme_sqe *e)
{
	c->commands++;
	if (qid)
		return e->opc == NVME_CMD_READ || e->opc == NVME_CMD_WRITE ? rw(c, e) : NVME_SC_INVALID_OPCODE;
	switch (e->opc) {
	case NVME_ADM_IDENTIFY: return identify(c, e);
	case NVME_ADM_VIRT_MGMT: return virt_mgmt(c, e);
	case NVME_ADM_NS_ATTACH: return ns_attach(c, e);
	case NVME_ADM_CREATE_CQ: return create_queue(c, e, false);
	case NVME_ADM_CREATE_SQ: return create_queue(c, e, true);
	}
	return NVME_SC_INVALID_OPCODE;
}

static void run_sq(struct fake_nvme_ctrl *c, u16 qid, u16 tail)
{
	struct fake_nvme_q *q = &c->q[qid];
	struct fake_nvme_q *cq = &c->q[q->cqid];

	while (q->sq_head != tail) {
		const struct nvme_sqe *e = (const struct nvme_sqe *)bus(q->sq) + q->sq_head;
		q->sq_head = (u16)((q->sq_head + 1) % q->depth);
		u16 sf = execute(c, qid, e);
		struct nvme_cqe *r = (struct nvme_cqe *)bus(cq->cq) + cq->cq_tail;
		r->dw0 = 0;
		r->sqhd = q->sq_head;
		r->sqid = qid;
		r->cid = e->cid;
		r->status = (u16)(sf << 1 | cq->phase);
		cq->cq_tail = (u16)((cq->cq_tail + 1) % cq->depth);
		if (!cq->cq_tail)
			cq->phase ^= 1;
	}
}

/* ---- registers ---- */

static u32 rd32(void *ctx, u32 off)
{
	struct fake_nvme_ctrl *c = ctx;
	switch (off) {
	case NVME_REG_CC: return c->cc;
	case NVME_REG_CSTS: return c->csts;
	case NVME_REG_AQA: return c->aqa;
	}
	return 0;
}

static u64 rd64(void *ctx, u32 off)
{
	(void)ctx;
	if (off == NVME_REG_CAP)        /* MQES 2047, TO 1 (500 ms), DSTRD 0, CSS NVM */
		return 2047 | 1ULL << 24 | NVME_CAP_CSS_NVM;
	return 0;
}

static void reset(struct fake_nvme_ctrl *c)
{
	struct fake_nvme_subsys *s = c->sub;
	memset(c->q, 0, sizeof(c->q));
	c->csts = 0;
	if (c->cntlid == 0) {
		s->vq_primary = s->vq_primary_next;
		s->vi_primary = s->vi_primary_next;
		trace(s, "reset:%u:%u:%u ", s->vq_primary, s->vi_primary, 0);
	}
}

static void wr32(void *ctx, u32 off, u32 v)
{
	struct fake_nvme_ctrl *c = ctx;
	if (off == NVME_REG_CC) {
		bool was = c->cc & NVME_CC_EN, en = v & NVME_CC_EN;
		c->cc = v;
		if (was && !en)
			reset(c);
		if (!was && en) {
			if (c->cntlid && !c->sub->sec[c->cntlid].online) {
				c->csts = NVME_CSTS_CFS;        /* QEMU: a VF offline cannot start */
				return;
			}
			u16 depth = (u16)((c->aqa & 0xfff) + 1);
			c->q[0] = (struct fake_nvme_q){ .sq = c->asq, .cq = c->acq, .depth = depth, .phase = 1,
							.sq_live = true, .cq_live = true };
			c->csts = NVME_CSTS_RDY;
		}
		return;
	}
	if (off == NVME_REG_AQA) {
		c->aqa = v;
		return;
	}
	if (off >= NVME_REG_DBS && (c->csts & NVME_CSTS_RDY)) {
		u32 idx = (off - NVME_REG_DBS) / 4;
		if (!(idx & 1) && idx / 2 < FAKE_NVME_MAX_Q && c->q[idx / 2].sq_live)
			run_sq(c, (u16)(idx / 2), (u16)v);
	}
}

static void wr64(void *ctx, u32 off, u64 v)
{
	struct fake_nvme_ctrl *c = ctx;
	if (off == NVME_REG_ASQ)
		c->asq = v;
	else if (off == NVME_REG_ACQ)
		c->acq = v;
}

static u64 now_us(void *ctx)
{
	static u64 t;
	(void)ctx;
	return t += 10;
}

void fake_nvme_init(struct fake_nvme_subsys *s, u32 nr_ns, u64 blocks, u16 total_vfs, u32 vq_total, u32 vi_total)
{
	memset(s, 0, sizeof(*s));
	s->nn = nr_ns;
	for (u32 i = 1; i <= nr_ns && i <= FAKE_NVME_MAX_NS; i++) {
		s->ns[i].nsze = blocks;
		s->ns[i].data = calloc(blocks, FAKE_NVME_LBA);
	}
	s->total_vfs = total_vfs;
	s->vq_total = vq_total;
	s->vi_total = vi_total;
	/* QEMU starts with every flexible resource on the primary. */
	s->vq_primary = s->vq_primary_next = (u16)vq_total;
	s->vi_primary = s->vi_primary_next = (u16)vi_total;
	for (u16 k = 0; k <= FAKE_NVME_MAX_SEC; k++) {
		struct fake_nvme_ctrl *c = &s->ctrl[k];
		c->sub = s;
		c->cntlid = k;
		c->io = (struct nvme_io){ .rd32 = rd32, .rd64 = rd64, .wr32 = wr32, .wr64 = wr64, .now_us = now_us, .ctx = c };
	}
}

void fake_nvme_free(struct fake_nvme_subsys *s)
{
	for (u32 i = 0; i <= FAKE_NVME_MAX_NS; i++)
		free(s->ns[i].data);
}

const struct nvme_io *fake_nvme_io(struct fake_nvme_subsys *s, u16 cntlid)
{
	return &s->ctrl[cntlid].io;
}

int fake_nvme_enable_vfs(void *ctx, u16 n)
{
	struct fake_nvme_subsys *s = ctx;
	if (n > s->total_vfs)
		return -HV_EINVAL;
	s->vfs_enabled = n;
	trace(s, "vfs:%u:%u:%u ", n, 0, 0);
	return 0;
}
