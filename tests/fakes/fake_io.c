/*
 * Host MMIO door over register files, and a fake VT-d unit built on it.
 * The unit follows QEMU 10's intel-iommu where the spec leaves room
 * (docs/platform.md): synchronous queue, one FRCD, CFI ignored.
 */
#include <stdlib.h>
#include <string.h>
#include "kernel/hw/io.h"
#include "kernel/hw/mem.h"
#include "iommu/vtd_regs.h"
#include "tests/fakes/fake_io.h"

#define FAKE_IO_REGIONS         32
#define FAKE_IO_HOOKS           64

struct io_region {
	u64 pa;
	u64 size;
	u8 *regs;
	struct { u32 off; fake_io_hook fn; void *ctx; } hooks[FAKE_IO_HOOKS];
	unsigned nr_hooks;
	fake_io_read_hook read_fn;      /* before every door read, when set */
	void *read_ctx;
};

static struct io_region regions[FAKE_IO_REGIONS];
static unsigned nr_regions;
static unsigned nr_units;       /* fake VT-d units, below */
struct fake_io_write fake_io_log[FAKE_IO_LOG_MAX];
unsigned fake_io_nr;
unsigned fake_io_map_calls;

struct io_region *fake_io_add(u64 pa, u64 size)
{
	if (nr_regions == FAKE_IO_REGIONS)
		abort();
	struct io_region *r = &regions[nr_regions++];
	memset(r, 0, sizeof(*r));
	r->pa = pa;
	r->size = size;
	r->regs = calloc(1, size);
	if (!r->regs)
		abort();
	return r;
}

void fake_io_on_write(struct io_region *r, u32 off, fake_io_hook hook, void *ctx)
{
	for (unsigned i = 0; i < r->nr_hooks; i++)
		if (r->hooks[i].off == off) {           /* a test's hook replaces the fake's own */
			r->hooks[i].fn = hook;
			r->hooks[i].ctx = ctx;
			return;
		}
	if (r->nr_hooks == FAKE_IO_HOOKS)
		abort();
	r->hooks[r->nr_hooks].off = off;
	r->hooks[r->nr_hooks].fn = hook;
	r->hooks[r->nr_hooks].ctx = ctx;
	r->nr_hooks++;
}

void fake_io_reset(void)
{
	for (unsigned i = 0; i < nr_regions; i++)
		free(regions[i].regs);
	nr_regions = 0;
	nr_units = 0;
	fake_io_nr = 0;
	fake_io_map_calls = 0;
}

static void check_off(const struct io_region *r, u32 off, unsigned width)
{
	/* A register access outside the file is a driver bug: fail loudly. */
	if (!r || off + width > r->size || off % width)
		abort();
}

u32 fake_io_get32(const struct io_region *r, u32 off)
{
	u32 v;
	check_off(r, off, 4);
	memcpy(&v, r->regs + off, 4);
	return v;
}

u64 fake_io_get64(const struct io_region *r, u32 off)
{
	u64 v;
	check_off(r, off, 8);
	memcpy(&v, r->regs + off, 8);
	return v;
}

void fake_io_set32(struct io_region *r, u32 off, u32 val)
{
	check_off(r, off, 4);
	memcpy(r->regs + off, &val, 4);
}

void fake_io_set64(struct io_region *r, u32 off, u64 val)
{
	check_off(r, off, 8);
	memcpy(r->regs + off, &val, 8);
}

unsigned fake_io_writes_to(u64 base, u32 off)
{
	unsigned n = 0;
	for (unsigned i = 0; i < fake_io_nr; i++)
		n += fake_io_log[i].base == base && fake_io_log[i].off == off;
	return n;
}

/* ---- the door ------------------------------------------------------------ */

struct io_region *io_map(u64 pa, u64 size, const char *name)
{
	(void)name;
	fake_io_map_calls++;
	for (unsigned i = 0; i < nr_regions; i++)
		if (regions[i].pa == pa && size && size <= regions[i].size)
			return &regions[i];
	return NULL;
}

void fake_io_on_read(struct io_region *r, fake_io_read_hook hook, void *ctx)
{
	r->read_fn = hook;
	r->read_ctx = ctx;
}

/* Lets a read hook update the register file before a door read. */
static void before_read(const struct io_region *r, u32 off, unsigned width)
{
	check_off(r, off, width);
	if (r->read_fn)
		r->read_fn((struct io_region *)r, off, width, r->read_ctx);
}

u8 io_read8(const struct io_region *r, u32 off)
{
	before_read(r, off, 1);
	return r->regs[off];
}

u32 io_read32(const struct io_region *r, u32 off)
{
	before_read(r, off, 4);
	return fake_io_get32(r, off);
}

u64 io_read64(const struct io_region *r, u32 off)
{
	before_read(r, off, 8);
	return fake_io_get64(r, off);
}

static void do_write(struct io_region *r, u32 off, u64 val, unsigned width)
{
	check_off(r, off, width);
	if (fake_io_nr < FAKE_IO_LOG_MAX)
		fake_io_log[fake_io_nr++] = (struct fake_io_write){ r->pa, off, val, (u8)width };
	for (unsigned i = 0; i < r->nr_hooks; i++) {
		if (r->hooks[i].off == off) {
			r->hooks[i].fn(r, off, val, width, r->hooks[i].ctx);
			return;
		}
	}
	memcpy(r->regs + off, &val, width);
}

void io_write8(const struct io_region *r, u32 off, u8 val)
{
	do_write((struct io_region *)r, off, val, 1);
}

void io_write32(const struct io_region *r, u32 off, u32 val)
{
	do_write((struct io_region *)r, off, val, 4);
}

void io_write64(const struct io_region *r, u32 off, u64 val)
{
	do_write((struct io_region *)r, off, val, 8);
}

/* ---- a fake VT-d unit ------------------------------------------------------ */

#define FAKE_VTD_MAX            12      /* a two-socket server's units and more */

/* Descriptor fields, decoded here independently of iommu/vtd_hw.h. */
#define D_TYPE(lo)              ((lo) & 0xf)
#define D_G(lo)                 (((lo) >> 4) & 3)
#define D_DID(lo)               ((u16)((lo) >> 16))
#define D_SID(lo)               ((u16)((lo) >> 32))
#define D_WAIT_IF               BIT_ULL(4)
#define D_WAIT_SW               BIT_ULL(5)

static struct fake_vtd units[FAKE_VTD_MAX];
/* Per unit model state the tests need not see. */
static struct { u32 fro, nfr, iro, next_frcd; } st[FAKE_VTD_MAX];

static unsigned idx(const struct fake_vtd *v)
{
	return (unsigned)(v - units);
}

static void event(struct fake_vtd *v, struct fake_vtd_event e)
{
	if (v->nr_events < FAKE_VTD_EVENTS_MAX)
		v->ev[v->nr_events++] = e;
}

static u32 gsts(struct fake_vtd *v)
{
	return fake_io_get32(v->r, VTD_GSTS_REG);
}

/* Moves the GSTS bits in mask to on, except the dead ones. */
static void gsts_set(struct fake_vtd *v, u32 mask, bool on)
{
	u32 s = gsts(v);
	mask &= ~v->dead_gsts;
	fake_io_set32(v->r, VTD_GSTS_REG, on ? s | mask : s & ~mask);
}

static void ce_snapshot(struct fake_vtd *v, u16 sid, struct fake_vtd_event *e)
{
	const u64 *re = phys_to_virt(v->root_pa + (sid >> 8) * 16ULL, 16);
	if (!v->root_pa || !re || !(re[0] & 1))
		return;
	const u64 *ce = phys_to_virt((re[0] & ~0xfffULL) + (sid & 0xff) * 16ULL, 16);
	if (ce) {
		e->ce_lo = ce[0];
		e->ce_hi = ce[1];
	}
}

static void hook_gcmd(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	struct fake_vtd *v = ctx;
	u32 cmd = (u32)val, old = gsts(v);
	(void)r; (void)off; (void)width;

	if (v->on_gcmd)
		v->on_gcmd(v, cmd);
	event(v, (struct fake_vtd_event){ .kind = FV_GCMD, .a = cmd });
	/* Persistent bits: status follows command when it changes. */
	if ((cmd ^ old) & VTD_GCMD_TE)
		gsts_set(v, VTD_GSTS_TES, cmd & VTD_GCMD_TE);
	if ((cmd ^ old) & VTD_GCMD_IRE)
		gsts_set(v, VTD_GSTS_IRES, cmd & VTD_GCMD_IRE);
	if ((cmd ^ old) & VTD_GCMD_QIE) {
		if (cmd & VTD_GCMD_QIE) {
			u64 iqa = fake_io_get64(v->r, VTD_IQA_REG);
			v->iq_pa = iqa & VTD_IQA_IQA;
			v->iq_entries = 256u << FIELD_GET(VTD_IQA_QS, iqa);
		}
		fake_io_set64(v->r, VTD_IQH_REG, 0);
		gsts_set(v, VTD_GSTS_QIES, cmd & VTD_GCMD_QIE);
	}
	/* One-shot commands. CFI is ignored, as in QEMU: CFIS never sets. */
	if (cmd & VTD_GCMD_SRTP) {
		gsts_set(v, VTD_GSTS_RTPS, false);
		if (!(v->dead_gsts & VTD_GSTS_RTPS))
			v->root_pa = fake_io_get64(v->r, VTD_RTADDR_REG) & VTD_RTADDR_RTA;
		gsts_set(v, VTD_GSTS_RTPS, true);
	}
	if (cmd & VTD_GCMD_SIRTP) {
		/* As SRTP: status clears, the pointer is latched, status sets. */
		gsts_set(v, VTD_GSTS_IRTPS, false);
		if (!(v->dead_gsts & VTD_GSTS_IRTPS))
			v->irta = fake_io_get64(v->r, VTD_IRTA_REG);
		gsts_set(v, VTD_GSTS_IRTPS, true);
	}
	if (cmd & VTD_GCMD_WBF) {
		/* WBFS is set while the flush runs; a dead unit never finishes. */
		u32 s = gsts(v) | VTD_GSTS_WBFS;
		if (!(v->dead_gsts & VTD_GSTS_WBFS))
			s &= ~VTD_GSTS_WBFS;
		fake_io_set32(v->r, VTD_GSTS_REG, s);
	}
}

static void hook_ccmd(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	struct fake_vtd *v = ctx;
	(void)r; (void)width;

	/* Register-based invalidation is refused while the queue is on (QEMU too). */
	if (!(val & VTD_CCMD_ICC) || v->dead_inv_regs || (gsts(v) & VTD_GSTS_QIES)) {
		fake_io_set64(v->r, off, val);
		return;
	}
	struct fake_vtd_event e = {
		.kind = FV_CC, .a = FIELD_GET(VTD_CCMD_CIRG, val),
		.did = (u16)FIELD_GET(VTD_CCMD_DID, val), .sid = (u16)FIELD_GET(VTD_CCMD_SID, val),
	};
	if (e.a == VTD_CCMD_G_DEVICE)
		ce_snapshot(v, e.sid, &e);
	event(v, e);
	fake_io_set64(v->r, off, (val & ~(VTD_CCMD_ICC | VTD_CCMD_CAIG)) |
		      FIELD_PREP(VTD_CCMD_CAIG, e.a));
}

static void hook_iotlb(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	struct fake_vtd *v = ctx;
	(void)r; (void)width;

	if (!(val & VTD_IOTLB_IVT) || v->dead_inv_regs || (gsts(v) & VTD_GSTS_QIES)) {
		fake_io_set64(v->r, off, val);
		return;
	}
	u64 iva = fake_io_get64(v->r, off - VTD_IOTLB_OFF + VTD_IVA_OFF);
	struct fake_vtd_event e = {
		.kind = FV_IOTLB, .a = FIELD_GET(VTD_IOTLB_IIRG, val),
		.did = (u16)FIELD_GET(VTD_IOTLB_DID, val),
	};
	if (e.a == VTD_IOTLB_IIRG_PAGE) {
		e.addr = iva & VTD_IVA_ADDR;
		e.am = (u8)FIELD_GET(VTD_IVA_AM, iva);
	}
	event(v, e);
	fake_io_set64(v->r, off, (val & ~(VTD_IOTLB_IVT | VTD_IOTLB_IAIG)) |
		      FIELD_PREP(VTD_IOTLB_IAIG, e.a));
}

static void queue_error(struct fake_vtd *v)
{
	fake_io_set32(v->r, VTD_FSTS_REG, fake_io_get32(v->r, VTD_FSTS_REG) | VTD_FSTS_IQE);
}

/* Processes one descriptor; false stops the queue with IQE. */
static bool process(struct fake_vtd *v, u64 lo, u64 hi)
{
	u64 mamv = FIELD_GET(VTD_CAP_MAMV, fake_io_get64(v->r, VTD_CAP_REG));
	struct fake_vtd_event e = { .queued = true };

	if (lo & GENMASK_ULL(11, 9))            /* type bits 11:9 belong to newer types */
		return false;
	switch (D_TYPE(lo)) {
	case 1:
		if (hi || !D_G(lo))
			return false;
		e.kind = FV_CC;
		e.a = D_G(lo);
		e.did = D_DID(lo);
		e.sid = D_SID(lo);
		if (e.a == 3)
			ce_snapshot(v, e.sid, &e);
		break;
	case 2:
		if (!D_G(lo) || (hi & GENMASK_ULL(11, 7)))
			return false;
		e.kind = FV_IOTLB;
		e.a = D_G(lo);
		e.did = D_DID(lo);
		if (e.a == 3) {
			e.addr = hi & ~0xfffULL;
			e.am = hi & 0x3f;
			if (e.am > mamv || (e.addr >> 12) & ((1ULL << e.am) - 1))
				return false;
		}
		break;
	case 3: {
		/* VT-d §6.5.2.5; S=1: the lowest clear ADDR bit from 12 gives 2^(k+1) pages. */
		e.kind = FV_DEVTLB;
		e.sid = (u16)(lo >> 32);
		e.a = ((lo >> 12) & 0xf) | ((lo >> 52) << 4) | (((lo >> 16) & 0x1f) << 16);
		u64 addr = hi & ~0xfffULL;
		if (hi & 1) {
			unsigned k = 0;
			while (k < 52 && ((addr >> (12 + k)) & 1))
				k++;
			e.am = (u8)(k >= 51 ? 52 : k + 1);
			e.addr = e.am == 52 ? 0 : addr & ~((1ULL << (12 + e.am)) - 1);
		} else {
			e.am = 0;
			e.addr = addr;
		}
		if (v->devtlb_hang && e.sid == v->devtlb_hang_sid) {
			event(v, e);
			fake_io_set32(v->r, VTD_FSTS_REG, fake_io_get32(v->r, VTD_FSTS_REG) | VTD_FSTS_ITE);
			if (v->record_itesid)   /* a VT-d 3.0 unit names the late device in IQERCD */
				fake_io_set64(v->r, VTD_IQERCD_REG, (u64)e.sid << 32);
			v->dead_qi = true;      /* stopped until ITE is cleared (hook_fsts) */
			v->ite_stopped = true;
			return true;
		}
		if (v->on_devtlb)
			v->on_devtlb(v, e.sid, e.addr, e.am, v->devtlb_ctx);
		break;
	}
	case 4:
		/* VT-d §6.5.2.7: G bit 4, IM 31:27, IIDX 47:32; the upper half reserved. */
		if (hi || (lo & (GENMASK_ULL(26, 5) | GENMASK_ULL(63, 48))))
			return false;
		e.kind = FV_IEC;
		e.a = (lo >> 4) & 1;
		e.am = (u8)((lo >> 27) & 0x1f);
		e.addr = (lo >> 32) & 0xffff;
		break;
	case 5: {
		e.kind = FV_WAIT;
		e.a = lo & (D_WAIT_IF | D_WAIT_SW);
		if ((lo & D_WAIT_SW) && (lo & D_WAIT_IF)) {
			/* QEMU 10 asserts here; the machine is gone. */
			v->sw_if_seen = true;
			v->dead_qi = true;
			event(v, e);
			return true;
		}
		if (lo & D_WAIT_SW) {
			u32 *status = phys_to_virt(hi & ~3ULL, 4);
			if (!status)
				return false;
			*status = (u32)(lo >> 32);
		} else if (!(lo & D_WAIT_IF)) {
			return false;           /* QEMU: "invalid wait desc" */
		}
		break;
	}
	default:
		return false;
	}
	event(v, e);
	return true;
}

static void hook_iqt(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	struct fake_vtd *v = ctx;
	(void)r; (void)width;

	fake_io_set64(v->r, off, val);
	if (!(gsts(v) & VTD_GSTS_QIES) || v->dead_qi ||
	    (fake_io_get32(v->r, VTD_FSTS_REG) & VTD_FSTS_IQE))
		return;
	u32 tail = (u32)FIELD_GET(VTD_IQ_QH_QT, val);
	u32 head = (u32)FIELD_GET(VTD_IQ_QH_QT, fake_io_get64(v->r, VTD_IQH_REG));
	u64 *q = phys_to_virt(v->iq_pa, v->iq_entries * 16ULL);
	if (tail >= v->iq_entries || !q) {
		queue_error(v);
		return;
	}
	while (head != tail && !v->dead_qi) {
		if (!process(v, q[head * 2], q[head * 2 + 1])) {
			queue_error(v);
			break;
		}
		head = (head + 1) % v->iq_entries;
		fake_io_set64(v->r, VTD_IQH_REG, FIELD_PREP(VTD_IQ_QH_QT, head));
	}
}

static void update_ppf(struct fake_vtd *v)
{
	unsigned i = idx(v);
	bool any = false;
	for (u32 n = 0; n < st[i].nfr; n++)
		any |= !!(fake_io_get64(v->r, st[i].fro + n * 16 + 8) & BIT_ULL(63));
	u32 fsts = fake_io_get32(v->r, VTD_FSTS_REG);
	fake_io_set32(v->r, VTD_FSTS_REG, any ? fsts | VTD_FSTS_PPF : fsts & ~VTD_FSTS_PPF);
}

static void hook_fsts(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	struct fake_vtd *v = ctx;
	u32 w1c = VTD_FSTS_PFO | VTD_FSTS_AFO | VTD_FSTS_APF | VTD_FSTS_IQE |
		  VTD_FSTS_ICE | VTD_FSTS_ITE;
	(void)r; (void)width;

	fake_io_set32(v->r, off, fake_io_get32(v->r, off) & ~((u32)val & w1c));
	if (v->ite_stopped && ((u32)val & VTD_FSTS_ITE)) {
		v->ite_stopped = false;         /* fetching resumes at the next tail write */
		v->dead_qi = false;
		v->devtlb_hang = false;
	}
	/* As QEMU: IP drops once nothing that raised it is pending. */
	if (!(fake_io_get32(v->r, off) & (VTD_FSTS_PFO | VTD_FSTS_PPF | VTD_FSTS_IQE)))
		fake_io_set32(v->r, VTD_FECTL_REG, fake_io_get32(v->r, VTD_FECTL_REG) & ~VTD_FECTL_IP);
}

static void hook_fectl(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	struct fake_vtd *v = ctx;
	(void)r; (void)width;
	u32 ip = fake_io_get32(v->r, off) & VTD_FECTL_IP;
	fake_io_set32(v->r, off, ((u32)val & VTD_FECTL_IM) | ip);
}

static void hook_pmen(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	struct fake_vtd *v = ctx;
	(void)r; (void)width;
	u32 prs = fake_io_get32(v->r, off) & VTD_PMEN_PRS;
	if (!v->dead_pmen)
		prs = (val & VTD_PMEN_EPM) ? VTD_PMEN_PRS : 0;
	fake_io_set32(v->r, off, ((u32)val & VTD_PMEN_EPM) | prs);
}

static void hook_ro(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	(void)r; (void)off; (void)val; (void)width; (void)ctx;
}

/* Writes to the F dword (32 bit at +12) or the high qword (+8) of an FRCD. */
static void hook_frcd(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	struct fake_vtd *v = ctx;
	u32 hi_off = off & ~0xfu;
	(void)r;

	bool clear = width == 4 ? (val & BIT_ULL(31)) : (val & BIT_ULL(63));
	if (clear)
		fake_io_set64(v->r, hi_off + 8, fake_io_get64(v->r, hi_off + 8) & ~BIT_ULL(63));
	update_ppf(v);
}

struct fake_vtd *fake_vtd_add(u64 pa, u64 cap, u64 ecap)
{
	if (nr_units == FAKE_VTD_MAX)
		abort();
	unsigned i = nr_units++;
	struct fake_vtd *v = &units[i];
	memset(v, 0, sizeof(*v));
	st[i].fro = (u32)FIELD_GET(VTD_CAP_FRO, cap) * 16;
	st[i].nfr = (u32)FIELD_GET(VTD_CAP_NFR, cap) + 1;
	st[i].iro = (u32)FIELD_GET(VTD_ECAP_IRO, ecap) * 16;
	st[i].next_frcd = 0;
	u64 end = MAX(st[i].fro + st[i].nfr * 16ULL, st[i].iro + 16ULL);
	v->pa = pa;
	v->r = fake_io_add(pa, ALIGN_UP(MAX(end, VTD_REG_WINDOW), PAGE_SIZE));

	fake_io_set32(v->r, VTD_VER_REG, 0x10);
	fake_io_set64(v->r, VTD_CAP_REG, cap);
	fake_io_set64(v->r, VTD_ECAP_REG, ecap);
	fake_io_set32(v->r, VTD_FECTL_REG, VTD_FECTL_IM);
	fake_io_on_write(v->r, VTD_VER_REG, hook_ro, v);
	fake_io_on_write(v->r, VTD_CAP_REG, hook_ro, v);
	fake_io_on_write(v->r, VTD_ECAP_REG, hook_ro, v);
	fake_io_on_write(v->r, VTD_GSTS_REG, hook_ro, v);
	fake_io_on_write(v->r, VTD_IQH_REG, hook_ro, v);
	fake_io_on_write(v->r, VTD_GCMD_REG, hook_gcmd, v);
	fake_io_on_write(v->r, VTD_CCMD_REG, hook_ccmd, v);
	fake_io_on_write(v->r, VTD_FSTS_REG, hook_fsts, v);
	fake_io_on_write(v->r, VTD_FECTL_REG, hook_fectl, v);
	fake_io_on_write(v->r, VTD_PMEN_REG, hook_pmen, v);
	fake_io_on_write(v->r, VTD_IQT_REG, hook_iqt, v);
	fake_io_on_write(v->r, st[i].iro + VTD_IOTLB_OFF, hook_iotlb, v);
	/* Hooks for up to 16 records (the register file has room for 64 hooks). */
	for (u32 n = 0; n < st[i].nfr && n < 16; n++) {
		fake_io_on_write(v->r, st[i].fro + n * 16 + VTD_FRCD_HI_OFF, hook_frcd, v);
		fake_io_on_write(v->r, st[i].fro + n * 16 + VTD_FRCD_F_DW_OFF, hook_frcd, v);
	}
	return v;
}

int fake_vtd_fault(struct fake_vtd *v, u16 sid, u64 addr, u8 reason, bool write)
{
	unsigned i = idx(v);
	u32 slot = st[i].next_frcd, off = st[i].fro + slot * 16;
	u32 fsts = fake_io_get32(v->r, VTD_FSTS_REG);
	bool was_pending = fsts & (VTD_FSTS_PFO | VTD_FSTS_PPF | VTD_FSTS_IQE);

	if (fsts & VTD_FSTS_PFO)
		return -1;              /* nothing is recorded until PFO is cleared */
	if (fake_io_get64(v->r, off + 8) & BIT_ULL(63)) {
		fake_io_set32(v->r, VTD_FSTS_REG, fsts | VTD_FSTS_PFO);
		return -1;
	}
	fake_io_set64(v->r, off, addr & ~0xfffULL);
	fake_io_set64(v->r, off + 8, BIT_ULL(63) | (write ? 0 : BIT_ULL(62)) |
		      (u64)reason << 32 | sid);
	/* FRI names the first pending record: it is set only as PPF rises. */
	if (!(fsts & VTD_FSTS_PPF))
		fsts = (fsts & ~(u32)VTD_FSTS_FRI) | VTD_FSTS_PPF | (u32)FIELD_PREP(VTD_FSTS_FRI, slot);
	fake_io_set32(v->r, VTD_FSTS_REG, fsts);
	if (!was_pending)
		fake_io_set32(v->r, VTD_FECTL_REG, fake_io_get32(v->r, VTD_FECTL_REG) | VTD_FECTL_IP);
	st[i].next_frcd = (slot + 1) % st[i].nfr;
	return (int)slot;
}

unsigned fake_vtd_count(const struct fake_vtd *v, enum fake_vtd_kind kind)
{
	unsigned n = 0;
	for (unsigned i = 0; i < v->nr_events; i++)
		n += v->ev[i].kind == kind;
	return n;
}

const struct fake_vtd_event *fake_vtd_nth(const struct fake_vtd *v, enum fake_vtd_kind kind, unsigned n)
{
	for (unsigned i = 0; i < v->nr_events; i++)
		if (v->ev[i].kind == kind && n-- == 0)
			return &v->ev[i];
	return NULL;
}

void fake_vtd_clear_events(struct fake_vtd *v)
{
	v->nr_events = 0;
}
