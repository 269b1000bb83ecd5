/*
 * A partition's vCPU and its local APIC (vm/dev/vlapic.h): the APIC set up
 * with the vCPU, the vector injected before each entry when the guest can
 * take it (else the interrupt window asked for), the wake-up test of a
 * vCPU halted with interrupts on, the ICR's IPIs handed to the partition,
 * an 8259A's interrupt (vm/part/legacy.c) delivered through LINT0 as
 * ExtINT, the paravirtual EOI word updated around each entry (paravirt =
 * pv-eoi), and the LAPIC hypercall that measures exits per timer tick.
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
#include "kernel/smp.h"

#define CPUID_1_ECX_TSC_DEADLINE        BIT_ULL(24)

/* The vlapic's hooks get the part_vcpu: its partition for IPIs, its CPU for wake-ups. */
static int lapic_ipi(void *ctx, u32 from, u32 dest, u32 icr_lo)
{
	struct part_vcpu *pv = ctx;
	return partition_ipi(pv->v.part, from, dest, icr_lo);
}

/* A vector became pending for pv, maybe from another CPU: its CPU leaves the guest or its halt. */
static void lapic_notify(void *ctx)
{
	const struct part_vcpu *pv = ctx;
	const struct cpu *me = smp_this_cpu();
	if (!me || me->index != pv->v.cpu)
		smp_kick(pv->v.cpu);
}

void partition_lapic_init(struct partition *p, struct part_vcpu *pv)
{
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	pv->lapic.ipi = lapic_ipi;
	pv->lapic.notify = lapic_notify;
	pv->lapic.ctx = pv;
	vlapic_reset(&pv->lapic, (u32)(pv - p->vcpus), pv == &p->vcpus[0], r.ecx & CPUID_1_ECX_TSC_DEADLINE);
	pv->halted = false;
	pv->window = false;
	pv->nmi_window = false;
	__atomic_store_n(&pv->nmi_pending, 0, __ATOMIC_RELEASE);
	p->lapic_marked = false;
}

void partition_tpr_from_guest(struct partition *p, struct vcpu *v)
{
	struct part_vcpu *pv = partition_vcpu_of(p, v);
	u8 cr8 = pv && p->ops && p->ops->tpr_get ? p->ops->tpr_get(v) : 0;

	/* CR8 holds the class only: a TPR whose class it still shows keeps its low bits. */
	if (pv && p->ops && p->ops->tpr_get && (cr8 >> 4) != (pv->lapic.tpr >> 4))
		pv->lapic.tpr = cr8 & 0xf0;
	/* Vectors the CPU delivered and EOIs the guest did without an exit, back in the vlapic. */
	u8 *page = pv && p->ops && p->ops->vid_page ? p->ops->vid_page(v) : NULL;
	if (page)
		vlapic_vid_exit(&pv->lapic, page);
	/* An EOI the guest signalled in its paravirtual EOI word, before anything reads the ISR. */
	if (pv)
		vlapic_pv_eoi_from_guest(&pv->lapic);
}

/* The earlier of two deadlines, 0 meaning none. */
static u64 earliest(u64 a, u64 b)
{
	return !a ? b : !b ? a : MIN(a, b);
}

/* partition_intr_prepare without the paravirtual EOI word's update. */
static u64 intr_prepare(struct partition *p, struct part_vcpu *pv, u64 now)
{
	struct vcpu *v = &pv->v;
	bool ext;
	u64 next = vlapic_poll(&pv->lapic, now);
	next = earliest(next, partition_legacy_poll(p, pv, now, &ext));
	int vec = vlapic_pending(&pv->lapic);

	if (p->ops->tpr_set)
		p->ops->tpr_set(v, (u8)pv->lapic.tpr);
	/* An NMI first (SDM vol 3 6.9: it outranks maskable interrupts); a vector then waits for the window. */
	if (__atomic_load_n(&pv->nmi_pending, __ATOMIC_ACQUIRE) && p->ops->nmi_ready) {
		bool ready = p->ops->nmi_ready(v);
		if (ready) {
			__atomic_store_n(&pv->nmi_pending, 0, __ATOMIC_RELEASE);
			p->ops->nmi_inject(v);
			pv->nmis++;
			pv->halted = false;
		}
		if (ready == pv->nmi_window) {
			p->ops->nmi_window(v, !ready);
			pv->nmi_window = !ready;
		}
	} else if (pv->nmi_window) {
		p->ops->nmi_window(v, false);
		pv->nmi_window = false;
	}
	u8 *page = p->ops->vid_page ? p->ops->vid_page(v) : NULL;
	if (page) {
		/* Virtual-interrupt delivery: the CPU delivers when the guest can take it, no window needed. */
		if (vec >= 0)
			pv->halted = false;
		p->ops->vid_status(v, vlapic_vid_enter(&pv->lapic, page));
		vec = -1;       /* the CPU delivers the APIC's vectors; an 8259A's still goes through injection */
	}

	if (vec < 0 && !ext) {
		if (pv->window) {
			p->ops->intr_window(v, false);
			pv->window = false;
		}
		return next;
	}
	if (p->ops->intr_ready(v)) {
		/*
		 * The APIC's vector first; an ExtINT bypasses its IRR, ISR and
		 * PPR (SDM vol 3 11.8.1): the 8259A's acknowledge cycle gives the
		 * vector, and it needs no APIC EOI.
		 */
		u8 vector = vec >= 0 ? (u8)vec : partition_legacy_ack(p);
		if (vec >= 0)
			vlapic_ack(&pv->lapic, vector);
		p->ops->intr_inject(v, vector);
		pv->halted = false;
		if (pv->window) {
			p->ops->intr_window(v, false);
			pv->window = false;
		}
	} else if (!pv->window) {
		p->ops->intr_window(v, true);
		pv->window = true;
	}
	return next;
}

u64 partition_intr_prepare(struct partition *p, struct part_vcpu *pv, u64 now)
{
	u64 next = intr_prepare(p, pv, now);
	/* After the injection: the vector now in service may be ended without an exit. */
	vlapic_pv_eoi_to_guest(&pv->lapic);
	return next;
}

bool partition_halt_over(struct partition *p, struct part_vcpu *pv)
{
	bool ext;

	if (p->state != PART_RUNNING || partition_stop_pending(p) != PART_STOP_NONE)
		return true;
	if (pv == &p->vcpus[0] && __atomic_load_n(&p->op_request, __ATOMIC_ACQUIRE) != PART_OP_NONE)
		return true;            /* the operator's request is taken at the exit this wake-up makes */
	vlapic_poll(&pv->lapic, time_now_ns());
	partition_legacy_poll(p, pv, time_now_ns(), &ext);
	return ext || vlapic_pending(&pv->lapic) >= 0 || __atomic_load_n(&pv->nmi_pending, __ATOMIC_ACQUIRE);
}

u64 partition_timer_deadline(struct partition *p, struct part_vcpu *pv)
{
	bool ext;
	u64 now = time_now_ns();

	return earliest(vlapic_poll(&pv->lapic, now), partition_legacy_poll(p, pv, now, &ext));
}

bool partition_halt_wakeable(struct partition *p, struct part_vcpu *pv)
{
	if (partition_halt_over(p, pv) || partition_timer_deadline(p, pv))
		return true;                    /* a vector or NMI already, its APIC timer or the PIT armed */
	if (p->irq_enabled)
		return true;                    /* a device's MSI may come */
	for (u32 i = 0; i < p->nr_vcpus; i++)
		if (&p->vcpus[i] != pv && p->vcpus[i].state == PART_VCPU_RUNNING)
			return true;            /* another of its CPUs may send an IPI */
	return false;
}

/*
 * SLUICE_HC_LAPIC (vm/part/guest_abi.h): 0 marks the start of a timed
 * interval; 1 with the ticks the guest's handler counted ends it and logs
 * the exits per tick from Sluice's own counters; 2 gives the TSC rate.
 */
s64 partition_hc_lapic(struct partition *p, struct vcpu *v, u64 what, u64 guest_ticks)
{
	const struct part_vcpu *pv = partition_vcpu_of(p, v);
	const struct vlapic *l = &(pv ? pv : &p->vcpus[0])->lapic;
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
