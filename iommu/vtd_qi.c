/*
 * VT-d invalidation (§6.5): the invalidation queue (§6.5.2) with a wait
 * descriptor whose status write is polled, or, when ECAP.QI = 0, the
 * Context Command and IOTLB registers (§6.5.1). One request at a time, each
 * complete before the call returns; no completion interrupts (a wait never
 * carries IF, and never SW and IF together: QEMU aborts on that).
 * Device-TLB invalidation follows the IOTLB's in one batch (vtd_inv_batch);
 * the interrupt entry cache is invalidated globally when interrupt
 * remapping is set up (iommu/vtd_ir.c).
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
#include "kernel/fmt.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/pci_cfg.h"

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
		log_write(LOG_ERR, u->name, "invalidation queue error at descriptor %u (lo=0x%016llx hi=0x%016llx, IQEI %u); skipped",
			  head, (unsigned long long)q->queue[head].lo, (unsigned long long)q->queue[head].hi,
			  (unsigned)FIELD_GET(VTD_IQERCD_IQEI, io_read64(u->regs, VTD_IQERCD_REG)));
		q->queue[head] = *wait;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	} else if (fsts & VTD_FSTS_ITE) {
		/*
		 * VT-d §6.5.2.10: a device did not complete a device-TLB
		 * invalidation in time. The unit aborted the waits still
		 * pending (this batch's never writes its status) and fetches
		 * again from IQH once ITE is cleared. The caller contains the
		 * devices of the batch: this one is not retried.
		 */
		u16 sid = (u16)FIELD_GET(VTD_IQERCD_ITESID, io_read64(u->regs, VTD_IQERCD_REG));
		if (sid)
			log_write(LOG_ERR, u->name, "invalidation time-out (ITE): " BDF_FMT " did not answer its device-TLB invalidation (IQERCD ITESID; FSTS=0x%08x); the batch's wait is aborted",
				  BDF_ARGS(sid), fsts);
		else
			log_write(LOG_ERR, u->name, "invalidation time-out (ITE): a device did not answer its device-TLB invalidation (the unit recorded no ITESID; FSTS=0x%08x); the batch's wait is aborted",
				  fsts);
		io_write32(u->regs, VTD_FSTS_REG, VTD_FSTS_ITE);
		io_write64(u->regs, VTD_IQT_REG, FIELD_PREP(VTD_IQ_QH_QT, q->tail));
		return -HV_ETIMEDOUT;
	} else {
		log_write(LOG_ERR, u->name, "invalidation completion error (FSTS=0x%08x)", fsts);
	}
	io_write32(u->regs, VTD_FSTS_REG, fsts & FSTS_QI_ERRORS);
	io_write64(u->regs, VTD_IQT_REG, FIELD_PREP(VTD_IQ_QH_QT, q->tail));
	wait_until(qi_done, w, VTD_HW_TIMEOUT_US);
	return -HV_EIO;
}

void vtd_inv_stats_add(struct vtd_inv_stats *s, const struct vtd_desc *d, unsigned n, u64 ticks)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned t = vtd_desc_type(&d[i]);
		s->desc[t < VTD_INV_KINDS ? t : 0]++;
	}
	s->desc[VTD_DESC_WAIT]++;
	if (!s->waits || ticks < s->wait_min)
		s->wait_min = ticks;
	if (ticks > s->wait_max)
		s->wait_max = ticks;
	s->waits++;
	s->sample[s->nr_samples++ % VTD_INV_SAMPLES] = ticks > 0xffffffffULL ? 0xffffffffu : (u32)ticks;
}

u64 vtd_inv_stats_median(const struct vtd_inv_stats *s)
{
	u32 v[VTD_INV_SAMPLES];
	unsigned n = MIN(s->nr_samples, (u32)VTD_INV_SAMPLES);

	if (!n)
		return 0;
	memcpy(v, s->sample, n * sizeof(v[0]));
	for (unsigned i = 1; i < n; i++)                /* insertion sort: 64 at most */
		for (unsigned j = i; j && v[j - 1] > v[j]; j--) {
			u32 t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

void vtd_inv_stats_format(const struct vtd_inv_stats *s, char *buf, size_t len)
{
	fmt_snprintf(buf, len, "context %llu, iotlb %llu, devtlb %llu, iec %llu, wait %llu descriptors; %llu waits of %llu/%llu/%llu TSC ticks (min/median/max), %llu timed out",
		     (unsigned long long)s->desc[VTD_DESC_CC], (unsigned long long)s->desc[VTD_DESC_IOTLB],
		     (unsigned long long)s->desc[VTD_DESC_DEVTLB], (unsigned long long)s->desc[VTD_DESC_IEC],
		     (unsigned long long)s->desc[VTD_DESC_WAIT],
		     (unsigned long long)s->waits, (unsigned long long)s->wait_min,
		     (unsigned long long)vtd_inv_stats_median(s), (unsigned long long)s->wait_max,
		     (unsigned long long)s->timeouts);
}

int vtd_qi_submit(struct vtd_unit *u, const struct vtd_desc *d, unsigned n)
{
	return vtd_qi_submit_counted(u, d, n, NULL);
}

static int submit_locked(struct vtd_unit *u, const struct vtd_desc *d, unsigned n, struct vtd_inv_stats *also);

int vtd_qi_submit_counted(struct vtd_unit *u, const struct vtd_desc *d, unsigned n, struct vtd_inv_stats *also)
{
	spin_lock(&u->qi.lock);
	int ret = submit_locked(u, d, n, also);
	spin_unlock(&u->qi.lock);
	return ret;
}

static int submit_locked(struct vtd_unit *u, const struct vtd_desc *d, unsigned n, struct vtd_inv_stats *also)
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
	u64 t0 = rdtsc();
	io_write64(u->regs, VTD_IQT_REG, FIELD_PREP(VTD_IQ_QH_QT, q->tail));

	/* A device answers a device-TLB invalidation in its own time (PCIe allows up to 90 s): its own bound. */
	u32 bound = VTD_HW_TIMEOUT_US;
	for (unsigned i = 0; i < n; i++)
		if (vtd_desc_type(&d[i]) == VTD_DESC_DEVTLB)
			bound = vtd_devtlb_timeout_us;
	ret = wait_until(qi_done, &w, bound);
	u64 ticks = rdtsc() - t0;
	vtd_inv_stats_add(&q->stats, d, n, ticks);
	if (also)
		vtd_inv_stats_add(also, d, n, ticks);
	u32 fsts = io_read32(u->regs, VTD_FSTS_REG);
	if ((fsts & VTD_FSTS_ITE) || (ret && !(fsts & FSTS_QI_ERRORS))) {
		q->stats.timeouts++;
		if (also)
			also->timeouts++;
	}
	if (fsts & FSTS_QI_ERRORS)
		return queue_error(u, &wait, &w);
	if (ret) {
		log_write(LOG_ERR, u->name, "invalidation wait not completed within %u us (IQH=0x%llx IQT=0x%llx)",
			  bound, (unsigned long long)io_read64(u->regs, VTD_IQH_REG),
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

int vtd_inv_context_device(struct vtd_unit *u, u16 did, u16 sid)
{
	struct vtd_desc d;

	log_write(LOG_DBG, u->name, "invalidate context cache: device " BDF_FMT " did %u",
		  BDF_ARGS(sid), did);
	if (!u->qi.on)
		return ccmd(u, VTD_CCMD_G_DEVICE, did, sid);
	vtd_desc_cc_device(&d, did, sid, 0);
	return vtd_qi_submit(u, &d, 1);
}

int vtd_inv_iec_global(struct vtd_unit *u)
{
	struct vtd_desc d;

	log_write(LOG_DBG, u->name, "invalidate interrupt entry cache: global");
	if (!u->qi.on)
		return -HV_ENODEV;
	vtd_desc_iec_global(&d);
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

bool vtd_inv_test_skip_devtlb;
u32 vtd_devtlb_timeout_us = VTD_DEVTLB_TIMEOUT_US;

int vtd_inv_batch(const struct vtd_caps *c, u16 did, u64 iova, u64 size, const struct vtd_ats_dev *dev,
		  unsigned n, struct vtd_desc *out, unsigned max)
{
	u64 base;
	unsigned k = 0;
	int am = c->psi ? vtd_inv_psi_mask(iova, size, c->mamv, &base) : -1;

	if (max < 1 + n)
		return -HV_EINVAL;
	if (am < 0)
		vtd_desc_iotlb_domain(&out[k++], did, c->drd, c->dwd);
	else if (vtd_desc_iotlb_page(&out[k++], did, base, (u8)am, false, c->drd, c->dwd))
		return -HV_EINVAL;
	if (vtd_inv_test_skip_devtlb)
		return (int)k;
	/* The device's range: the smallest aligned block covering it, or everything. */
	int order = vtd_inv_psi_mask(iova, size, VTD_DEVTLB_ALL_ORDER - 1, &base);
	if (order < 0) {
		order = VTD_DEVTLB_ALL_ORDER;
		base = 0;
	}
	for (unsigned i = 0; i < n; i++)
		if (vtd_desc_devtlb(&out[k++], dev[i].sid, dev[i].pfsid, c->dit, dev[i].qdepth, base, (unsigned)order))
			return -HV_EINVAL;
	return (int)k;
}

int vtd_inv_range_ats(struct vtd_unit *u, u16 did, u64 iova, u64 size, const struct vtd_ats_dev *dev,
		      unsigned n, struct vtd_inv_stats *also)
{
	struct vtd_desc d[1 + VTD_DOMAIN_ATS_MAX];

	if (!u->qi.on && !n)
		return vtd_inv_iotlb_range(u, did, iova, size);
	if (!u->qi.on || n > VTD_DOMAIN_ATS_MAX)
		return -HV_EINVAL;      /* ATS is never enabled without a queue */
	int k = vtd_inv_batch(&u->caps, did, iova, size, dev, n, d, ARRAY_SIZE(d));
	if (k < 0)
		return k;
	for (int at = 0; at < k; at += VTD_QI_BATCH_MAX) {
		int ret = vtd_qi_submit_counted(u, &d[at], (unsigned)MIN(k - at, VTD_QI_BATCH_MAX), also);
		if (ret)
			return ret;
	}
	return 0;
}
