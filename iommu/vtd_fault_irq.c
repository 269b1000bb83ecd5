/*
 * Draining a VT-d unit's primary fault log (§7 "Primary Fault Logging"):
 * FSTS, then each of the NFR+1 fault recording registers at CAP.FRO from
 * FSTS.FRI round, one decoded line per fault (iommu/vtd_fault.c), F and PFO
 * written 1 to clear. Repeated faults from one source ID are rate-limited.
 * Interrupt remapping faults (0x20-0x27) take the same path: one record
 * format, one owner by source ID, one rate limit.
 * This is the fault interrupt's work (iommu_ops.fault_event on the vector
 * route_faults chose), and also runs when polled (iommu_ops.poll_faults).
 */
#include "iommu/vtd_unit.h"
#include "iommu/vtd_regs.h"
#include "iommu/vtd_hw.h"
#include "iommu/vtd_fault.h"
#include "kernel/hw/io.h"
#include "kernel/hw/time.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/hw/pci_cfg.h"
#include "iommu/iommu.h"

static void log_suppressed(const struct vtd_unit *u, struct vtd_fault_source *s)
{
	log_write(LOG_WARN, u->name, "dma faults from sid=" BDF_FMT ": %u more suppressed", BDF_ARGS(s->sid), s->suppressed);
	s->suppressed = 0;
}

/* The rate-limit slot of sid: its own, a free one, or the oldest one reused. */
static struct vtd_fault_source *source(struct vtd_unit *u, u16 sid, u64 now)
{
	struct vtd_fault_source *s = NULL, *oldest = &u->fsrc[0];

	for (unsigned i = 0; i < VTD_FAULT_SOURCES && !s; i++) {
		struct vtd_fault_source *f = &u->fsrc[i];
		if (f->used && f->sid == sid)
			s = f;
		else if (!f->used || (oldest->used && f->window_ns < oldest->window_ns))
			oldest = f;
	}
	if (!s) {
		s = oldest;
		if (s->used && s->suppressed)
			log_suppressed(u, s);
		s->used = true;
		s->sid = sid;
		s->logged = 0;
		s->window_ns = now;
	}
	if (now - s->window_ns >= VTD_FAULT_WINDOW_NS) {
		if (s->suppressed)
			log_suppressed(u, s);
		s->logged = 0;
		s->window_ns = now;
	}
	return s;
}

void (*iommu_fault_logged)(const struct iommu_fault_note *n);

static void report(struct vtd_unit *u, u64 lo, u64 hi, vtd_fault_owner_fn owner)
{
	struct vtd_fault f;
	struct vtd_fault_owner o = { NULL, NULL, NULL, NULL, NULL };

	vtd_frcd_decode(lo, hi, &f);
	if (owner)
		owner(u, f.sid, &o);
	/* An interrupt remapping fault is the device's fault like any other: same owner, same counter, same limit. */
	if (o.counter)
		(*o.counter)++;
	if (VTD_FR_IS_IR(f.reason)) {
		u->ir_faults++;
		if (o.ir_counter)
			(*o.ir_counter)++;
	}
	struct vtd_fault_source *s = source(u, f.sid, time_now_ns());
	if (s->logged >= VTD_FAULT_BURST) {
		s->suppressed++;
		if (o.suppressed)
			(*o.suppressed)++;
		return;
	}
	s->logged++;
	if (o.logged)
		(*o.logged)++;
	vtd_fault_log(&f, u->name, o.name);
	if (iommu_fault_logged) {
		const struct iommu_fault_note n = {
			.unit = u->name, .sbdf = (u32)u->segment << 16 | f.sid,
			.interrupt = VTD_FR_IS_IR(f.reason), .write = f.write,
			.addr = VTD_FR_IS_IR(f.reason) ? f.ir_index : f.addr, .reason = f.reason,
			.why = vtd_fault_reason_text(f.reason), .owner = o.name,
		};
		iommu_fault_logged(&n);
	}
}

/* One pass over the fault recording registers and PFO, as FSTS read fsts shows them. */
static unsigned drain_once(struct vtd_unit *u, u32 fsts, vtd_fault_owner_fn owner)
{
	unsigned n = 0;

	if (fsts & VTD_FSTS_PPF) {
		u32 i = (u32)FIELD_GET(VTD_FSTS_FRI, fsts) % u->caps.nfr;
		for (u32 k = 0; k < u->caps.nfr; k++, i = (i + 1) % u->caps.nfr) {
			u32 off = u->caps.fro + i * VTD_FRCD_SIZE;
			u64 hi = io_read64(u->regs, off + VTD_FRCD_HI_OFF);
			if (!(hi & VTD_FRCD_HI_F))
				continue;
			u64 lo = io_read64(u->regs, off + VTD_FRCD_LO_OFF);
			/* Free the slot first so the unit can record the next fault. */
			io_write32(u->regs, off + VTD_FRCD_F_DW_OFF, VTD_FRCD_F_DW);
			report(u, lo, hi, owner);
			n++;
		}
	}
	/*
	 * PPF is read-only and falls with the last F. PFO must be cleared or
	 * nothing more is recorded; the faults it stands for are lost.
	 */
	if (fsts & VTD_FSTS_PFO) {
		u->overflows++;
		log_write(LOG_ERR, u->name, "fault log overflow: later faults were not recorded (FSTS=0x%08x)", fsts);
		io_write32(u->regs, VTD_FSTS_REG, VTD_FSTS_PFO);
	}
	return n;
}

/*
 * A unit raises no new fault event while PPF or PFO is still set (VT-d
 * 7.3.1; QEMU does the same), so a fault that lands or overflows while
 * the records are being read would stay unreported, and with PFO set
 * nothing more is recorded at all. FSTS is read again after each pass
 * until neither is left (bounded: a device faulting without pause cannot
 * hold the CPU here).
 */
unsigned vtd_unit_drain_faults(struct vtd_unit *u, vtd_fault_owner_fn owner)
{
	unsigned n = 0;

	for (u32 round = 0; round < VTD_FAULT_DRAIN_ROUNDS; round++) {
		u32 fsts = io_read32(u->regs, VTD_FSTS_REG);
		if (!(fsts & (VTD_FSTS_PPF | VTD_FSTS_PFO)))
			break;
		n += drain_once(u, fsts, owner);
	}
	u->faults += n;
	return n;
}

void vtd_unit_fault_summary(struct vtd_unit *u, bool all)
{
	u64 now = time_now_ns();

	for (unsigned i = 0; i < VTD_FAULT_SOURCES; i++) {
		struct vtd_fault_source *s = &u->fsrc[i];
		if (s->used && s->suppressed && (all || now - s->window_ns >= VTD_FAULT_WINDOW_NS))
			log_suppressed(u, s);
	}
}
