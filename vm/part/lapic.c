/*
 * A partition's vCPU and its local APIC (vm/dev/vlapic.h): the APIC set up
 * with the vCPU, the vector injected before each entry when the guest can
 * take it (else the interrupt window asked for), the wake-up test of a
 * vCPU halted with interrupts on, the ICR's IPIs handed to the partition,
 * and the LAPIC hypercall that measures exits per timer tick.
 * Vendor-neutral: the back end injects (struct virt_ops intr_*).
 */
#include "vm/part/partition.h"
#include "vm/part/limits.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/tsc.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/time.h"

#define CPUID_1_ECX_TSC_DEADLINE        BIT_ULL(24)

static int lapic_ipi(void *ctx, u32 from, u32 dest, u32 icr_lo)
{
	return partition_ipi(ctx, from, dest, icr_lo);
}

/*
 * Until the partition starts other vCPUs (guest SMP), every IPI that is
 * not a self-IPI leaves the partition: counted and dropped, the first one
 * logged.
 */
__attribute__((weak)) int partition_ipi(struct partition *p, u32 from, u32 dest_apic_id, u32 icr_lo)
{
	if (p->ipis_dropped++ == 0)
		log_write(LOG_WARN, p->cfg->name, "IPI from APIC ID %u to APIC ID 0x%x (ICR 0x%08x) dropped: not a CPU of this partition (further ones counted)",
			  from, dest_apic_id, icr_lo);
	return -HV_ENOENT;
}

void partition_lapic_init(struct partition *p)
{
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	p->lapic.ipi = lapic_ipi;
	p->lapic.ctx = p;
	vlapic_reset(&p->lapic, p->vcpu.cpu, true, r.ecx & CPUID_1_ECX_TSC_DEADLINE);
	p->halted = false;
	p->lapic_marked = false;
}

void partition_tpr_from_guest(struct partition *p, struct vcpu *v)
{
	u8 cr8 = p->ops && p->ops->tpr_get ? p->ops->tpr_get(v) : 0;

	/* CR8 holds the class only: a TPR whose class it still shows keeps its low bits. */
	if (p->ops && p->ops->tpr_get && (cr8 >> 4) != (p->lapic.tpr >> 4))
		p->lapic.tpr = cr8 & 0xf0;
}

u64 partition_intr_prepare(struct partition *p, struct vcpu *v, u64 now)
{
	u64 next = vlapic_poll(&p->lapic, now);
	int vec = vlapic_pending(&p->lapic);

	if (p->ops->tpr_set)
		p->ops->tpr_set(v, (u8)p->lapic.tpr);

	if (vec < 0) {
		if (p->window) {
			p->ops->intr_window(v, false);
			p->window = false;
		}
		return next;
	}
	if (p->ops->intr_ready(v)) {
		vlapic_ack(&p->lapic, (u8)vec);
		p->ops->intr_inject(v, (u8)vec);
		p->halted = false;
		if (p->window) {
			p->ops->intr_window(v, false);
			p->window = false;
		}
	} else if (!p->window) {
		p->ops->intr_window(v, true);
		p->window = true;
	}
	return next;
}

bool partition_halt_over(struct partition *p)
{
	if (p->state != PART_RUNNING || partition_stop_pending(p) != PART_STOP_NONE)
		return true;
	vlapic_poll(&p->lapic, time_now_ns());
	return vlapic_pending(&p->lapic) >= 0;
}

/*
 * SLUICE_HC_LAPIC (vm/part/guest_abi.h): 0 marks the start of a timed
 * interval; 1 with the ticks the guest's handler counted ends it and logs
 * the exits per tick from Sluice's own counters; 2 gives the TSC rate.
 */
s64 partition_hc_lapic(struct partition *p, u64 what, u64 guest_ticks)
{
	const struct vlapic *l = &p->lapic;
	u64 exits = partition_total_exits(p);

	if (what == 2)
		return (s64)tsc_khz();
	if (what == 0) {
		p->lapic_marked = true;
		p->lapic_mark_ns = time_now_ns();
		p->lapic_mark_exits = exits;
		p->lapic_mark_ticks = l->ticks;
		p->lapic_mark_injected = l->injected;
		p->lapic_mark_eois = l->eois;
		return 0;
	}
	if (what != 1 || !p->lapic_marked)
		return -SLUICE_HC_EINVAL;
	u64 us = (time_now_ns() - p->lapic_mark_ns) / 1000;
	u64 ticks = l->ticks - p->lapic_mark_ticks;
	u64 n = exits - 1 - p->lapic_mark_exits;        /* without this hypercall's own exit */
	p->lapic_marked = false;
	vuart_flush(&p->uart);
	log_write(LOG_INFO, p->cfg->name, "lapic timer: %llu ticks in %llu us, %llu counted by the guest, %llu interrupts injected, %llu EOIs, %llu VM exits, %llu.%02llu exits per tick",
		  (unsigned long long)ticks, (unsigned long long)us, (unsigned long long)guest_ticks,
		  (unsigned long long)(l->injected - p->lapic_mark_injected), (unsigned long long)(l->eois - p->lapic_mark_eois),
		  (unsigned long long)n, (unsigned long long)(ticks ? n / ticks : 0),
		  (unsigned long long)(ticks ? n * 100 / ticks % 100 : 0));
	return (s64)n;
}
