/*
 * A guest CPU's local APIC (vm/dev/vlapic.h): one register file reached
 * two ways (xAPIC MMIO, x2APIC MSRs), the timer kept as a deadline on the
 * real clock, and the IRR shared with other CPUs through atomics. LINT0
 * passes an 8259A's INTR in ExtINT mode (vlapic_extint_passes, the caller
 * delivers it); no other LINT0/LINT1 or thermal sources (their LVTs are
 * stored, never fire), no
 * logical destinations (the ICR's physical ID and shorthands only), no
 * level-triggered interrupts (TMR stays 0).
 * Spec: Intel SDM Vol. 3A chapter 11.
 */
#include "vm/dev/vlapic.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/tsc.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/time.h"

/* LVT slot for an offset, or -1: CMCI sits apart at 0x2f0, the rest 0x320-0x370. */
static int lvt_slot(u32 off)
{
	if (off == LAPIC_LVT_CMCI)
		return 0;
	if (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR)
		return (int)((off - LAPIC_LVT_TIMER) >> 4) + 1;
	return -1;
}

/* Writable LVT bits (§11.5.1 Figure 11-8): vector and mask; delivery mode, polarity, trigger where they exist. */
static u32 lvt_mask(u32 off)
{
	if (off == LAPIC_LVT_TIMER)
		return (u32)(LVT_VECTOR | LVT_MASKED | LVT_TIMER_MODE);
	if (off == LAPIC_LVT_ERROR)
		return (u32)(LVT_VECTOR | LVT_MASKED);
	if (off == LAPIC_LVT_LINT0 || off == LAPIC_LVT_LINT1)
		return 0x1a7ffu;
	return 0x107ffu;
}

void vlapic_reset(struct vlapic *l, u32 id, bool bsp, bool has_tsc_deadline)
{
	int (*ipi)(void *, u32, u32, u32) = l->ipi;
	void (*notify)(void *) = l->notify;
	void *ctx = l->ctx;

	memset(l, 0, sizeof(*l));
	l->ipi = ipi;
	l->notify = notify;
	l->ctx = ctx;
	l->id = id;
	l->has_tsc_deadline = has_tsc_deadline;
	l->base = APIC_BASE_DEFAULT | APIC_BASE_EN | (bsp ? APIC_BASE_BSP : 0);
	l->svr = 0xff;
	l->dfr = 0xffffffffu;
	for (u32 i = 0; i < VLAPIC_NR_LVT; i++)
		l->lvt[i] = (u32)LVT_MASKED;
}

void vlapic_virtual_wire(struct vlapic *l)
{
	l->svr = 0xff | (u32)LAPIC_SVR_ENABLE;
	l->lvt[lvt_slot(LAPIC_LVT_LINT0)] = (u32)(FIELD_PREP(LVT_DM, LVT_DM_EXTINT) | LVT_TRIGGER_LEVEL);
	l->lvt[lvt_slot(LAPIC_LVT_LINT1)] = (u32)(FIELD_PREP(LVT_DM, LVT_DM_NMI) | LVT_TRIGGER_LEVEL);
}

bool vlapic_extint_passes(const struct vlapic *l)
{
	u32 lint0 = l->lvt[lvt_slot(LAPIC_LVT_LINT0)];

	if (vlapic_mode(l) == VLAPIC_DISABLED)
		return true;
	return !(lint0 & LVT_MASKED) && FIELD_GET(LVT_DM, lint0) == LVT_DM_EXTINT;
}

enum vlapic_mode vlapic_mode(const struct vlapic *l)
{
	if (!(l->base & APIC_BASE_EN))
		return VLAPIC_DISABLED;
	return (l->base & APIC_BASE_EXTD) ? VLAPIC_X2APIC : VLAPIC_XAPIC;
}

/* ---- priorities, IRR, ISR (§11.8) ---- */

/* Highest set bit of a 256-bit register, or -1. */
static int highest(const u32 *reg)
{
	for (int i = 7; i >= 0; i--) {
		u32 w = __atomic_load_n(&reg[i], __ATOMIC_ACQUIRE);
		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

/* §11.8.3.1: PPR is TPR when its class is at least the highest in service's, else that class. */
static u32 ppr(const struct vlapic *l)
{
	int isrv = highest(l->isr);
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;
	return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

int vlapic_accept(struct vlapic *l, u8 vector)
{
	if (vlapic_mode(l) == VLAPIC_DISABLED)
		return -HV_EINVAL;
	if (vector < 16) {
		__atomic_fetch_or(&l->esr_pending, (u32)ESR_RECV_ILLEGAL, __ATOMIC_RELAXED);
		return -HV_EINVAL;
	}
	u32 bit = 1u << (vector % 32);
	u32 old = __atomic_fetch_or(&l->irr[vector / 32], bit, __ATOMIC_ACQ_REL);
	__atomic_fetch_add(&l->accepts, 1, __ATOMIC_RELAXED);
	if (!(old & bit) && l->notify)
		l->notify(l->ctx);
	return 0;
}

int vlapic_pending(const struct vlapic *l)
{
	if (vlapic_mode(l) == VLAPIC_DISABLED || !(l->svr & LAPIC_SVR_ENABLE))
		return -1;
	int v = highest(l->irr);
	if (v < 0 || ((u32)v & 0xf0) <= (ppr(l) & 0xf0))
		return -1;
	return v;
}

void vlapic_ack(struct vlapic *l, u8 vector)
{
	u32 bit = 1u << (vector % 32);
	__atomic_fetch_and(&l->irr[vector / 32], ~bit, __ATOMIC_ACQ_REL);
	l->isr[vector / 32] |= bit;
	l->injected++;
}

/* A 32-bit word of the virtual-APIC page at an xAPIC offset (SDM Vol. 3C 30.1.1). */
static u32 *vreg(u8 *page, u32 off)
{
	return (u32 *)(void *)(page + off);
}

/* Set bits in w (the kernel is built without POPCNT, and libgcc is not linked). */
static u32 nr_bits(u32 w)
{
	u32 n = 0;
	for (; w; w &= w - 1)
		n++;
	return n;
}

u16 vlapic_vid_enter(struct vlapic *l, u8 *page)
{
	bool on = vlapic_mode(l) != VLAPIC_DISABLED && (l->svr & LAPIC_SVR_ENABLE);

	for (u32 i = 0; i < 8; i++) {
		u32 bits = on ? __atomic_exchange_n(&l->irr[i], 0, __ATOMIC_ACQ_REL) : 0;
		l->vid_irr[i] = bits;
		*vreg(page, LAPIC_IRR0 + i * 0x10) = bits;
		*vreg(page, LAPIC_ISR0 + i * 0x10) = l->isr[i];
	}
	l->vid_in = true;
	int rvi = highest(l->vid_irr), svi = highest(l->isr);
	return (u16)((svi < 0 ? 0 : svi) << 8 | (rvi < 0 ? 0 : rvi));
}

void vlapic_vid_exit(struct vlapic *l, u8 *page)
{
	if (!l->vid_in)
		return;
	l->vid_in = false;
	for (u32 i = 0; i < 8; i++) {
		u32 *virr = vreg(page, LAPIC_IRR0 + i * 0x10), *visr = vreg(page, LAPIC_ISR0 + i * 0x10);
		u32 left = *virr & l->vid_irr[i], delivered = l->vid_irr[i] & ~*virr;
		u32 isr = *visr;
		l->injected += nr_bits(delivered);
		l->eois += nr_bits((l->isr[i] | delivered) & ~isr);
		l->isr[i] = isr;
		if (left)
			__atomic_fetch_or(&l->irr[i], left, __ATOMIC_ACQ_REL);
		l->vid_irr[i] = 0;
		*virr = 0;
	}
}

/* §11.8.5: EOI clears the highest in-service bit. */
static void eoi(struct vlapic *l)
{
	int v = highest(l->isr);
	l->eois++;
	if (v >= 0)
		l->isr[v / 32] &= ~(1u << (v % 32));
}

/* ---- paravirtual EOI (KVM's guest ABI, vlapic.h) ---- */

int vlapic_pv_eoi_msr_write(struct vlapic *l, u64 val, u32 *word)
{
	if ((val & KVM_PV_EOI_EN_RSVD) || ((val & KVM_PV_EOI_EN_ENABLE) && !word))
		return -HV_EINVAL;
	vlapic_pv_eoi_from_guest(l);    /* a bit still out belongs to the old word */
	l->pv_eoi_msr = val;
	l->pv_eoi_word = (val & KVM_PV_EOI_EN_ENABLE) ? word : NULL;
	return 0;
}

void vlapic_pv_eoi_from_guest(struct vlapic *l)
{
	if (!l->pv_eoi_set)
		return;
	l->pv_eoi_set = false;
	/* SPEC: msr.rst: the guest tests and clears the bit in one instruction, so this is exact. */
	u32 old = __atomic_fetch_and(l->pv_eoi_word, ~(u32)KVM_PV_EOI_PENDING, __ATOMIC_ACQ_REL);
	if (old & KVM_PV_EOI_PENDING)
		return;                 /* unused: the guest's EOI is still to come, written */
	l->pv_eois++;
	eoi(l);
}

void vlapic_pv_eoi_to_guest(struct vlapic *l)
{
	u32 in_service = 0;

	if (!l->pv_eoi_word || l->pv_eoi_set || l->vid_in)
		return;
	for (u32 i = 0; i < 8; i++)
		in_service += nr_bits(l->isr[i]);
	int v = highest(l->isr);
	/*
	 * One vector in service: the guest's next EOI is that one's. An IRR
	 * bit would be let in by that EOI, which without an exit nobody does;
	 * a level-triggered vector's EOI must reach its source.
	 */
	if (in_service != 1 || highest(l->irr) >= 0 || (l->tmr[v / 32] & (1u << (v % 32))))
		return;
	__atomic_fetch_or(l->pv_eoi_word, (u32)KVM_PV_EOI_PENDING, __ATOMIC_ACQ_REL);
	l->pv_eoi_set = true;
}

/* ---- the timer (§11.5.4) ---- */

static u32 timer_mode(const struct vlapic *l)
{
	u32 m = (u32)FIELD_GET(LVT_TIMER_MODE, l->lvt[1]);
	return m == TIMER_TSC_DEADLINE && !l->has_tsc_deadline ? TIMER_ONESHOT : m;
}

/* Figure 11-10: bits 3 and 1:0 give 2^(n+1), 0b111 divides by 1. */
static u64 divider(const struct vlapic *l)
{
	u32 n = (l->timer_div & 3) | ((l->timer_div >> 1) & 4);
	return n == 7 ? 1 : 2ULL << n;
}

static u64 counts_ns(const struct vlapic *l, u64 counts)
{
	return counts * divider(l) * (1000000000ULL / VLAPIC_TIMER_HZ);
}

/* A write to the initial count (re)starts the count; 0 stops it. */
static void timer_load(struct vlapic *l, u64 now)
{
	l->timer_period_ns = counts_ns(l, l->timer_init);
	l->timer_start_ns = now;
	l->timer_deadline_ns = l->timer_init ? now + l->timer_period_ns : 0;
}

static u32 timer_current(const struct vlapic *l, u64 now)
{
	if (timer_mode(l) == TIMER_TSC_DEADLINE || !l->timer_deadline_ns || now >= l->timer_deadline_ns)
		return 0;
	return (u32)((l->timer_deadline_ns - now) / counts_ns(l, 1));
}

static void tsc_deadline_set(struct vlapic *l, u64 tsc, u64 now)
{
	l->tsc_deadline = tsc;
	if (!tsc) {
		l->timer_deadline_ns = 0;
		return;
	}
	u64 tsc_now = rdtsc();
	/* SPEC: a deadline already in the past fires at once (§11.5.4.1); 0 would mean disarmed. */
	l->timer_deadline_ns = tsc > tsc_now ? now + tsc_ns(tsc - tsc_now) : now;
	if (!l->timer_deadline_ns)
		l->timer_deadline_ns = 1;
}

u64 vlapic_poll(struct vlapic *l, u64 now)
{
	u64 d = l->timer_deadline_ns;

	if (!d || now < d)
		return d;
	u32 lvt = l->lvt[1];
	if (!(lvt & LVT_MASKED) && vlapic_mode(l) != VLAPIC_DISABLED) {
		l->ticks++;
		vlapic_accept(l, (u8)FIELD_GET(LVT_VECTOR, lvt));
	}
	if (timer_mode(l) == TIMER_PERIODIC && l->timer_period_ns) {
		/* Periods missed while the vCPU did not look are one tick, as a late real APIC's IRR bit is. */
		u64 missed = (now - d) / l->timer_period_ns;
		l->timer_deadline_ns = d + (missed + 1) * l->timer_period_ns;
	} else {
		l->timer_deadline_ns = 0;
		if (timer_mode(l) == TIMER_TSC_DEADLINE)
			l->tsc_deadline = 0;
	}
	return l->timer_deadline_ns;
}

/* ---- the ICR (§11.6.1) ---- */

/* One IPI the guest sends: to itself here, anything else to the partition (l->ipi). */
static void send_ipi(struct vlapic *l, u32 lo, u32 dest)
{
	u32 dm = (u32)FIELD_GET(ICR_DM, lo), sh = (u32)FIELD_GET(ICR_SHORTHAND, lo);
	u8 vector = (u8)FIELD_GET(ICR_VECTOR, lo);
	bool self = sh == ICR_SH_SELF || sh == ICR_SH_ALL || (sh == ICR_SH_NONE && dest == l->id);
	bool others = sh == ICR_SH_ALL || sh == ICR_SH_OTHERS || (sh == ICR_SH_NONE && dest != l->id);

	if ((dm == ICR_DM_FIXED || dm == ICR_DM_LOWEST) && vector < 16) {
		l->esr_pending |= (u32)ESR_SEND_ILLEGAL;
		return;
	}
	if (self && (dm == ICR_DM_FIXED || dm == ICR_DM_LOWEST)) {
		l->self_ipis++;
		vlapic_accept(l, vector);
	}
	/* An NMI to itself has no vector to accept here: it goes through the partition like any other. */
	if (self && dm == ICR_DM_NMI) {
		l->self_ipis++;
		if (!l->ipi || l->ipi(l->ctx, l->id, l->id, lo & ~(u32)ICR_SHORTHAND) < 0)
			l->ipis_failed++;
	}
	if (!others)
		return;
	l->ipis_sent++;
	if (!l->ipi || l->ipi(l->ctx, l->id, sh == ICR_SH_NONE ? dest : 0xffffffffu, lo & ~(u32)ICR_SHORTHAND) < 0)
		l->ipis_failed++;
}

/* ---- registers, by xAPIC offset ---- */

static int reg_read(struct vlapic *l, u32 off, bool x2, u64 now, u64 *val)
{
	int slot = lvt_slot(off);

	if (slot >= 0) {
		*val = l->lvt[slot];
		return 0;
	}
	if (off >= LAPIC_ISR0 && off < LAPIC_IRR0 + 0x80) {
		const u32 *reg = off < LAPIC_TMR0 ? l->isr : off < LAPIC_IRR0 ? l->tmr : l->irr;
		*val = __atomic_load_n(&reg[(off >> 4) & 7], __ATOMIC_ACQUIRE);
		return 0;
	}
	switch (off) {
	case LAPIC_ID: *val = x2 ? l->id : l->id << 24; return 0;
	case LAPIC_VERSION: *val = LAPIC_VERSION_VALUE; return 0;
	case LAPIC_TPR: *val = l->tpr; return 0;
	case LAPIC_PPR: *val = ppr(l); return 0;
	case LAPIC_LDR:
		/* §11.12.10.2: in x2APIC mode the logical ID is derived from the x2APIC ID. */
		*val = x2 ? ((l->id >> 4) << 16) | (1u << (l->id & 0xf)) : l->ldr;
		return 0;
	case LAPIC_DFR:
		if (x2)
			return -HV_EINVAL;
		*val = l->dfr;
		return 0;
	case LAPIC_SVR: *val = l->svr; return 0;
	case LAPIC_ESR: *val = l->esr; return 0;
	case LAPIC_ICR_LO: *val = x2 ? (u64)l->icr_hi << 32 | l->icr_lo : l->icr_lo; return 0;
	case LAPIC_ICR_HI:
		if (x2)
			return -HV_EINVAL;
		*val = l->icr_hi;
		return 0;
	case LAPIC_TIMER_INIT: *val = l->timer_init; return 0;
	case LAPIC_TIMER_CUR: *val = timer_current(l, now); return 0;
	case LAPIC_TIMER_DIV: *val = l->timer_div; return 0;
	default:
		return -HV_EINVAL;
	}
}

static int reg_write(struct vlapic *l, u32 off, bool x2, u64 now, u64 val)
{
	int slot = lvt_slot(off);
	u32 v = (u32)val;

	if (slot >= 0) {
		if (!(l->svr & LAPIC_SVR_ENABLE))
			v |= (u32)LVT_MASKED;   /* §11.4.7.2: LVT masks stay set while software-disabled */
		u32 old_mode = timer_mode(l);
		l->lvt[slot] = v & lvt_mask(off);
		/* §11.5.4.1: switching into or out of TSC-deadline mode disarms the timer. */
		if (off == LAPIC_LVT_TIMER && old_mode != timer_mode(l) &&
		    (old_mode == TIMER_TSC_DEADLINE || timer_mode(l) == TIMER_TSC_DEADLINE)) {
			l->timer_deadline_ns = 0;
			l->tsc_deadline = 0;
			l->timer_init = 0;
		}
		return 0;
	}
	switch (off) {
	case LAPIC_ID:
		if (x2)
			return -HV_EINVAL;      /* read-only in x2APIC mode */
		return 0;                       /* xAPIC: kept, as Sluice routes by the ID it gave */
	case LAPIC_TPR: l->tpr = v & 0xff; return 0;
	case LAPIC_EOI:
		if (x2 && v)
			return -HV_EINVAL;      /* §11.12.1.2: a non-zero x2APIC EOI raises #GP */
		eoi(l);
		return 0;
	case LAPIC_LDR:
		if (x2)
			return -HV_EINVAL;
		l->ldr = v & 0xff000000u;
		return 0;
	case LAPIC_DFR:
		if (x2)
			return -HV_EINVAL;
		l->dfr = v | 0x0fffffffu;
		return 0;
	case LAPIC_SVR:
		l->svr = v & 0x13ffu;
		if (!(v & LAPIC_SVR_ENABLE))
			for (u32 i = 0; i < VLAPIC_NR_LVT; i++)
				l->lvt[i] |= (u32)LVT_MASKED;
		return 0;
	case LAPIC_ESR:
		if (x2 && v)
			return -HV_EINVAL;
		l->esr = __atomic_exchange_n(&l->esr_pending, 0, __ATOMIC_RELAXED);
		return 0;
	case LAPIC_ICR_LO:
		if (x2) {
			l->icr_hi = (u32)(val >> 32);
			l->icr_lo = v & ~(1u << 12);
			send_ipi(l, l->icr_lo, l->icr_hi);
		} else {
			l->icr_lo = v & ~(1u << 12);    /* delivery status: always idle */
			send_ipi(l, l->icr_lo, l->icr_hi >> 24);
		}
		return 0;
	case LAPIC_ICR_HI:
		if (x2)
			return -HV_EINVAL;
		l->icr_hi = v & 0xff000000u;
		return 0;
	case LAPIC_TIMER_INIT:
		if (timer_mode(l) == TIMER_TSC_DEADLINE)
			return 0;               /* §11.5.4.1: ignored in TSC-deadline mode */
		l->timer_init = v;
		timer_load(l, now);
		return 0;
	case LAPIC_TIMER_DIV:
		l->timer_div = v & 0xb;
		return 0;
	case LAPIC_SELF_IPI:
		if (!x2)
			return -HV_EINVAL;
		l->self_ipis++;
		vlapic_accept(l, (u8)v);
		return 0;
	case LAPIC_VERSION:
	case LAPIC_PPR:
	case LAPIC_TIMER_CUR:
		if (x2)
			return -HV_EINVAL;      /* read-only: #GP in x2APIC mode, ignored in xAPIC */
		return 0;
	default:
		if (off >= LAPIC_ISR0 && off < LAPIC_IRR0 + 0x80 && !x2)
			return 0;
		return -HV_EINVAL;
	}
}

/* ---- MSRs ---- */

bool vlapic_msr_claims(u32 msr)
{
	return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE ||
	       (msr >= X2APIC_MSR_FIRST && msr <= X2APIC_MSR_LAST);
}

/* §11.12.5 Figure 11-27: the transitions between modes that do not raise #GP. */
static int base_write(struct vlapic *l, u64 val)
{
	u64 keep = APIC_BASE_ADDR | APIC_BASE_EN | APIC_BASE_EXTD;
	enum vlapic_mode from = vlapic_mode(l);
	u64 newbase = (val & keep) | (l->base & APIC_BASE_BSP);

	if ((val & ~(keep | APIC_BASE_BSP)) || (val & APIC_BASE_ADDR) >> 36)
		return -HV_EINVAL;              /* reserved bits, or above a 36-bit physical address */
	struct vlapic probe = { .base = newbase };
	enum vlapic_mode to = vlapic_mode(&probe);
	if ((val & APIC_BASE_EXTD) && !(val & APIC_BASE_EN))
		return -HV_EINVAL;
	if ((from == VLAPIC_X2APIC && to == VLAPIC_XAPIC) || (from == VLAPIC_DISABLED && to == VLAPIC_X2APIC))
		return -HV_EINVAL;
	if (to == VLAPIC_DISABLED && from != VLAPIC_DISABLED) {
		/* §11.4.3: disabling resets the APIC (the ID and the base stay); Sluice's counters go on. */
		struct vlapic keep_counts = *l;
		vlapic_reset(l, l->id, l->base & APIC_BASE_BSP, l->has_tsc_deadline);
		l->injected = keep_counts.injected;
		l->eois = keep_counts.eois;
		l->ticks = keep_counts.ticks;
		l->self_ipis = keep_counts.self_ipis;
		l->ipis_sent = keep_counts.ipis_sent;
		l->ipis_failed = keep_counts.ipis_failed;
		l->accepts = keep_counts.accepts;
		/* The paravirtual EOI MSR is not an APIC register: it stays (its bit was taken back at this exit). */
		l->pv_eoi_msr = keep_counts.pv_eoi_msr;
		l->pv_eoi_word = keep_counts.pv_eoi_word;
		l->pv_eois = keep_counts.pv_eois;
	}
	l->base = newbase;
	return 0;
}

int vlapic_msr_read(struct vlapic *l, u32 msr, u64 *val)
{
	if (msr == MSR_IA32_APIC_BASE) {
		*val = l->base;
		return 0;
	}
	if (msr == MSR_IA32_TSC_DEADLINE) {
		if (!l->has_tsc_deadline)
			return -HV_EINVAL;
		*val = timer_mode(l) == TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
		return 0;
	}
	u32 off = (msr - X2APIC_MSR_FIRST) << 4;
	if (vlapic_mode(l) != VLAPIC_X2APIC || off == LAPIC_EOI || off == LAPIC_SELF_IPI)
		return -HV_EINVAL;              /* write-only, or not in x2APIC mode */
	return reg_read(l, off, true, time_now_ns(), val);
}

int vlapic_msr_write(struct vlapic *l, u32 msr, u64 val)
{
	if (msr == MSR_IA32_APIC_BASE)
		return base_write(l, val);
	if (msr == MSR_IA32_TSC_DEADLINE) {
		if (!l->has_tsc_deadline)
			return -HV_EINVAL;
		/* §11.5.4.1: writes count only in TSC-deadline mode. */
		if (timer_mode(l) == TIMER_TSC_DEADLINE)
			tsc_deadline_set(l, val, time_now_ns());
		return 0;
	}
	u32 off = (msr - X2APIC_MSR_FIRST) << 4;
	if (vlapic_mode(l) != VLAPIC_X2APIC)
		return -HV_EINVAL;
	if (off != LAPIC_ICR_LO && (val >> 32))
		return -HV_EINVAL;              /* only the ICR is 64 bits wide */
	return reg_write(l, off, true, time_now_ns(), val);
}

/* ---- xAPIC MMIO ---- */

bool vlapic_mmio_claims(const struct vlapic *l, u64 gpa)
{
	u64 base = l->base & APIC_BASE_ADDR;
	return vlapic_mode(l) == VLAPIC_XAPIC && gpa >= base && gpa < base + PAGE_SIZE;
}

int vlapic_mmio_read(struct vlapic *l, u64 gpa, u32 size, u32 *val)
{
	u32 off = (u32)(gpa - (l->base & APIC_BASE_ADDR));
	u64 v = 0;

	if (!vlapic_mmio_claims(l, gpa) || size != 4 || (off & 0xf))
		return -HV_EINVAL;
	if (reg_read(l, off, false, time_now_ns(), &v))
		v = 0;                          /* a reserved offset reads 0 */
	*val = (u32)v;
	return 0;
}

int vlapic_mmio_write(struct vlapic *l, u64 gpa, u32 size, u32 val)
{
	u32 off = (u32)(gpa - (l->base & APIC_BASE_ADDR));

	if (!vlapic_mmio_claims(l, gpa) || size != 4 || (off & 0xf))
		return -HV_EINVAL;
	if (reg_write(l, off, false, time_now_ns(), val))
		l->esr_pending |= (u32)ESR_ILLEGAL_REG;
	return 0;
}
