/*
 * VT-d invalidation (§6.5): the invalidation queue (§6.5.2) with a wait
 * descriptor whose status write is polled, or, when ECAP.QI = 0, the
 * Context Command and IOTLB registers (§6.5.1). One request at a time, each
 * complete before the call returns; no completion interrupts (a wait never
 * carries IF, and never SW and IF together: QEMU aborts on that).
 * Device-TLB and interrupt-entry invalidation are not used yet.
 */
#include "iommu/vtd_qi.h"
#include "iommu/vtd_unit.h"
#include "iommu/vtd_regs.h"
#include "iommu/vtd_hw.h"
#include "iommu/vtd_desc.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/io.h"
#include "kernel/hw/mem.h"
#include "kernel/wait.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"

/* The queue errors a submit can meet (§11.4.7.1). */
#define FSTS_QI_ERRORS          (VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE)

int vtd_qi_init(struct vtd_unit *u)
{
	struct vtd_qi *q = &u->qi;
	int ret;

	q->on = false;
	if (!u->caps.qi)
		return 0;
	if (!q->queue) {
		/* Page 0: the queue (256 descriptors, QS = 0); page 1: the status word. */
		u64 pa;
		if (page_alloc_pages(2, PAGE_SIZE, &pa))
			return -HV_ENOMEM;
		q->queue = phys_to_virt(pa, 2 * PAGE_SIZE);
		if (!q->queue) {
			page_free(pa, 2);
			return -HV_ENOMEM;
		}
		q->queue_pa = pa;
		q->status_pa = pa + PAGE_SIZE;
		q->status = (volatile u32 *)((u8 *)q->queue + PAGE_SIZE);
	}
	memset(q->queue, 0, 2 * PAGE_SIZE);
	q->tail = 0;
	/* SPEC: IQT is 0 and IQA set before QIE; the head resets to 0 on enable. */
	io_write64(u->regs, VTD_IQT_REG, 0);
	io_write64(u->regs, VTD_IQA_REG, (q->queue_pa & VTD_IQA_IQA) | FIELD_PREP(VTD_IQA_QS, 0));
	if ((ret = vtd_unit_gcmd(u, VTD_GCMD_QIE, true)))
		return ret;
	q->on = true;
	return 0;
}

struct qi_wait { const struct vtd_unit *u; u32 token; };

static bool qi_done(void *arg)
{
	const struct qi_wait *w = arg;
	return *w->u->qi.status == w->token ||
	       (io_read32(w->u->regs, VTD_FSTS_REG) & FSTS_QI_ERRORS);
}

static bool is_wait_sw_if(const struct vtd_desc *d)
{
	return vtd_desc_type(d) == VTD_DESC_WAIT && (d->lo & VTD_WAIT_LO_SW) && (d->lo & VTD_WAIT_LO_IF);
}

/*
 * An invalidation queue error stops the unit at the bad descriptor (IQH).
 * Replace it with the batch's own wait descriptor, clear IQE and ring the
 * tail again (QEMU resumes only on an IQT write), so the queue drains.
 */
static int queue_error(struct vtd_unit *u, const struct vtd_desc *wait, struct qi_wait *w)
{
	struct vtd_qi *q = &u->qi;
	u32 fsts = io_read32(u->regs, VTD_FSTS_REG);
	u32 head = (u32)FIELD_GET(VTD_IQ_QH_QT, io_read64(u->regs, VTD_IQH_REG)) % VTD_QI_ENTRIES;

	if (fsts & VTD_FSTS_IQE) {
		log_write(LOG_ERR, u->name, "invalidation queue error at descriptor %u (lo=0x%016llx hi=0x%016llx); skipped",
			  head, (unsigned long long)q->queue[head].lo, (unsigned long long)q->queue[head].hi);
		q->queue[head] = *wait;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	} else {
		log_write(LOG_ERR, u->name, "invalidation %s error (FSTS=0x%08x)",
			  (fsts & VTD_FSTS_ITE) ? "time-out" : "completion", fsts);
	}
	io_write32(u->regs, VTD_FSTS_REG, fsts & FSTS_QI_ERRORS);
	io_write64(u->regs, VTD_IQT_REG, FIELD_PREP(VTD_IQ_QH_QT, q->tail));
	wait_until(qi_done, w, VTD_HW_TIMEOUT_US);
	return -HV_EIO;
}

int vtd_qi_submit(struct vtd_unit *u, const struct vtd_desc *d, unsigned n)
{
	struct vtd_qi *q = &u->qi;
	struct vtd_desc wait;
	int ret;

	if (!q->on)
		return -HV_ENODEV;
	if (n > VTD_QI_BATCH_MAX)
		return -HV_EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (is_wait_sw_if(&d[i])) {
			log_write(LOG_ERR, u->name, "refusing a wait descriptor with both Status Write and Interrupt Flag set");
			return -HV_EINVAL;
		}
	}
	if (++q->token == 0)
		q->token = 1;
	struct qi_wait w = { u, q->token };
	if ((ret = vtd_desc_wait(&wait, true, false, false, q->status_pa, w.token)))
		return ret;
	*q->status = 0;
	for (unsigned i = 0; i <= n; i++) {
		q->queue[q->tail] = i < n ? d[i] : wait;
		q->tail = (q->tail + 1) % VTD_QI_ENTRIES;
	}
	/* The descriptors are in memory before the tail that exposes them moves. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	io_write64(u->regs, VTD_IQT_REG, FIELD_PREP(VTD_IQ_QH_QT, q->tail));

	ret = wait_until(qi_done, &w, VTD_HW_TIMEOUT_US);
	if (io_read32(u->regs, VTD_FSTS_REG) & FSTS_QI_ERRORS)
		return queue_error(u, &wait, &w);
	if (ret) {
		log_write(LOG_ERR, u->name, "invalidation wait not completed within %u us (IQH=0x%llx IQT=0x%llx)",
			  VTD_HW_TIMEOUT_US, (unsigned long long)io_read64(u->regs, VTD_IQH_REG),
			  (unsigned long long)io_read64(u->regs, VTD_IQT_REG));
		return ret;
	}
	return 0;
}

/* ---- register-based invalidation (ECAP.QI = 0) ----------------------------- */

struct reg_idle { const struct vtd_unit *u; u32 off; u64 busy; };

static bool reg_idle(void *arg)
{
	const struct reg_idle *r = arg;
	return !(io_read64(r->u->regs, r->off) & r->busy);
}

/* Writes a command register and waits for its busy bit to clear; 0, -HV_ETIMEDOUT or -HV_EIO. */
static int reg_command(struct vtd_unit *u, u32 off, u64 cmd, u64 busy, u64 actual, const char *what)
{
	struct reg_idle r = { u, off, busy };

	/* SPEC: one register-based request at a time: the previous one must be done. */
	if (wait_until(reg_idle, &r, VTD_HW_TIMEOUT_US) == 0) {
		io_write64(u->regs, off, cmd | busy);
		if (wait_until(reg_idle, &r, VTD_HW_TIMEOUT_US) == 0) {
			if (FIELD_GET(actual, io_read64(u->regs, off)))
				return 0;
			log_write(LOG_ERR, u->name, "%s invalidation refused by the unit (0x%016llx)", what,
				  (unsigned long long)io_read64(u->regs, off));
			return -HV_EIO;
		}
	}
	log_write(LOG_ERR, u->name, "%s invalidation not completed within %u us (0x%016llx)", what,
		  VTD_HW_TIMEOUT_US, (unsigned long long)io_read64(u->regs, off));
	return -HV_ETIMEDOUT;
}

static int ccmd(struct vtd_unit *u, unsigned g, u16 did, u16 sid)
{
	u64 cmd = FIELD_PREP(VTD_CCMD_CIRG, g) | FIELD_PREP(VTD_CCMD_DID, did) |
		  FIELD_PREP(VTD_CCMD_SID, sid);
	return reg_command(u, VTD_CCMD_REG, cmd, VTD_CCMD_ICC, VTD_CCMD_CAIG, "context-cache");
}

static int iotlb_reg(struct vtd_unit *u, unsigned g, u16 did, u64 iva)
{
	u64 cmd = FIELD_PREP(VTD_IOTLB_IIRG, g) | FIELD_PREP(VTD_IOTLB_DID, did) |
		  (u->caps.drd ? VTD_IOTLB_DR : 0) | (u->caps.dwd ? VTD_IOTLB_DW : 0);
	if (g == VTD_IOTLB_IIRG_PAGE)
		io_write64(u->regs, u->caps.iro + VTD_IVA_OFF, iva);
	return reg_command(u, u->caps.iro + VTD_IOTLB_OFF, cmd, VTD_IOTLB_IVT, VTD_IOTLB_IAIG, "IOTLB");
}

/* ---- by scope ------------------------------------------------------------- */

int vtd_inv_context_global(struct vtd_unit *u)
{
	struct vtd_desc d;

	log_write(LOG_DBG, u->name, "invalidate context cache: global");
	if (!u->qi.on)
		return ccmd(u, VTD_CCMD_G_GLOBAL, 0, 0);
	vtd_desc_cc_global(&d);
	return vtd_qi_submit(u, &d, 1);
}

int vtd_inv_context_domain(struct vtd_unit *u, u16 did)
{
	struct vtd_desc d;

	log_write(LOG_DBG, u->name, "invalidate context cache: domain %u", did);
	if (!u->qi.on)
		return ccmd(u, VTD_CCMD_G_DOMAIN, did, 0);
	vtd_desc_cc_domain(&d, did);
	return vtd_qi_submit(u, &d, 1);
}

int vtd_inv_context_device(struct vtd_unit *u, u16 did, u16 sid)
{
	struct vtd_desc d;

	log_write(LOG_DBG, u->name, "invalidate context cache: device %02x:%02x.%x did %u",
		  sid >> 8, (sid >> 3) & 0x1f, sid & 7, did);
	if (!u->qi.on)
		return ccmd(u, VTD_CCMD_G_DEVICE, did, sid);
	vtd_desc_cc_device(&d, did, sid, 0);
	return vtd_qi_submit(u, &d, 1);
}

int vtd_inv_iotlb_global(struct vtd_unit *u)
{
	struct vtd_desc d;

	log_write(LOG_DBG, u->name, "invalidate IOTLB: global");
	if (!u->qi.on)
		return iotlb_reg(u, VTD_IOTLB_IIRG_GLOBAL, 0, 0);
	vtd_desc_iotlb_global(&d, u->caps.drd, u->caps.dwd);
	return vtd_qi_submit(u, &d, 1);
}

int vtd_inv_iotlb_domain(struct vtd_unit *u, u16 did)
{
	struct vtd_desc d;

	log_write(LOG_DBG, u->name, "invalidate IOTLB: domain %u", did);
	if (!u->qi.on)
		return iotlb_reg(u, VTD_IOTLB_IIRG_DOMAIN, did, 0);
	vtd_desc_iotlb_domain(&d, did, u->caps.drd, u->caps.dwd);
	return vtd_qi_submit(u, &d, 1);
}

int vtd_inv_psi_mask(u64 iova, u64 size, u32 mamv, u64 *base)
{
	if (!size || iova + size - 1 < iova)
		return -1;
	u64 first = iova >> PAGE_SHIFT, last = (iova + size - 1) >> PAGE_SHIFT;
	unsigned am = 0;
	/* The smallest naturally aligned block of 2^am pages holding both ends. */
	while ((first >> am) != (last >> am))
		am++;
	if (am > mamv)
		return -1;
	*base = (first >> am) << am << PAGE_SHIFT;
	return (int)am;
}

int vtd_inv_iotlb_range(struct vtd_unit *u, u16 did, u64 iova, u64 size)
{
	struct vtd_desc d;
	u64 base;
	int am = u->caps.psi ? vtd_inv_psi_mask(iova, size, u->caps.mamv, &base) : -1;

	if (am < 0)
		return vtd_inv_iotlb_domain(u, did);
	log_write(LOG_DBG, u->name, "invalidate IOTLB: domain %u pages 0x%016llx, 2^%d of them",
		  did, (unsigned long long)base, am);
	if (!u->qi.on)
		return iotlb_reg(u, VTD_IOTLB_IIRG_PAGE, did, base | FIELD_PREP(VTD_IVA_AM, am));
	if (vtd_desc_iotlb_page(&d, did, base, (u8)am, false, u->caps.drd, u->caps.dwd))
		return -HV_EINVAL;
	return vtd_qi_submit(u, &d, 1);
}
