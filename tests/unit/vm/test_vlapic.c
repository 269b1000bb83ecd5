/*
 * Host tests for vm/dev/vlapic.c: the guest's local APIC through its
 * x2APIC MSRs and xAPIC page, IA32_APIC_BASE transitions, IRR/ISR/TPR
 * priority and EOI, the ICR (self, other CPUs, illegal vectors) and the
 * three timer modes against the fake clock (tests/fakes/fake_hw.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "vm/dev/vlapic.h"
#include "kernel/tsc.h"
#include "kernel/err.h"
#include "tests/fakes/fake_hw.h"

#define MSR(off)        (X2APIC_MSR_FIRST + ((off) >> 4))
#define X2_ON           (APIC_BASE_DEFAULT | APIC_BASE_EN | APIC_BASE_EXTD)

static struct vlapic l;
static unsigned notified;
static struct { u32 from, dest, lo; } ipis[8];
static unsigned nr_ipis;

static void notify(void *ctx)
{
	assert_ptr_equal(ctx, &l);
	notified++;
}

static int ipi(void *ctx, u32 from, u32 dest, u32 lo)
{
	assert_ptr_equal(ctx, &l);
	assert_true(nr_ipis < 8);
	ipis[nr_ipis].from = from;
	ipis[nr_ipis].dest = dest;
	ipis[nr_ipis++].lo = lo;
	return dest == 7 ? 1 : -HV_ENOENT;         /* reached one vCPU, or dropped */
}

static int setup(void **state)
{
	(void)state;
	fake_hw_reset();
	fake_time_step_ns = 0;
	fake_tsc_step = 0;
	tsc_set_khz(1000000);           /* 1 GHz: one TSC tick per ns */
	notified = nr_ipis = 0;
	l.notify = notify;
	l.ipi = ipi;
	l.ctx = &l;
	vlapic_reset(&l, 3, true, true);
	return 0;
}

static u64 rd(u32 off)
{
	u64 v = ~0ULL;
	assert_int_equal(vlapic_msr_read(&l, MSR(off), &v), 0);
	return v;
}

static void wr(u32 off, u64 v)
{
	assert_int_equal(vlapic_msr_write(&l, MSR(off), v), 0);
}

static void x2apic_enabled(void)
{
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_APIC_BASE, X2_ON), 0);
	wr(LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff);
}

static void reset_is_xapic_at_default_base_with_lvts_masked(void **state)
{
	(void)state;
	u64 base;
	assert_int_equal(vlapic_msr_read(&l, MSR_IA32_APIC_BASE, &base), 0);
	assert_int_equal(base, APIC_BASE_DEFAULT | APIC_BASE_EN | APIC_BASE_BSP);
	assert_int_equal(vlapic_mode(&l), VLAPIC_XAPIC);
	u32 v;
	assert_int_equal(vlapic_mmio_read(&l, APIC_BASE_DEFAULT + LAPIC_ID, 4, &v), 0);
	assert_int_equal(v, 3u << 24);
	assert_int_equal(vlapic_mmio_read(&l, APIC_BASE_DEFAULT + LAPIC_LVT_TIMER, 4, &v), 0);
	assert_int_equal(v, LVT_MASKED);
	assert_int_equal(vlapic_mmio_read(&l, APIC_BASE_DEFAULT + LAPIC_VERSION, 4, &v), 0);
	assert_int_equal(v, LAPIC_VERSION_VALUE);
	/* x2APIC registers are not there in xAPIC mode: #GP. */
	u64 q;
	assert_int_equal(vlapic_msr_read(&l, MSR(LAPIC_ID), &q), -HV_EINVAL);
}

static void apic_base_follows_the_mode_transitions_of_the_sdm(void **state)
{
	(void)state;
	/* xAPIC -> x2APIC is allowed, x2APIC -> xAPIC is not; EXTD without EN is not a mode. */
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_APIC_BASE, X2_ON), 0);
	assert_int_equal(vlapic_mode(&l), VLAPIC_X2APIC);
	assert_int_equal(rd(LAPIC_ID), 3);
	assert_int_equal(rd(LAPIC_LDR), 1u << 3);
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_APIC_BASE, APIC_BASE_DEFAULT | APIC_BASE_EN), -HV_EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_APIC_BASE, APIC_BASE_DEFAULT | APIC_BASE_EXTD), -HV_EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_APIC_BASE, APIC_BASE_DEFAULT), 0);
	assert_int_equal(vlapic_mode(&l), VLAPIC_DISABLED);
	assert_int_equal(vlapic_accept(&l, 0x40), -HV_EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_APIC_BASE, X2_ON), -HV_EINVAL);
	/* Back to xAPIC at a new base: the page moves. */
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_APIC_BASE, 0xfed00000ULL | APIC_BASE_EN), 0);
	assert_true(vlapic_mmio_claims(&l, 0xfed00020ULL));
	assert_false(vlapic_mmio_claims(&l, APIC_BASE_DEFAULT + 0x20));
	/* Reserved bits are #GP. */
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_APIC_BASE, 0xfed00000ULL | APIC_BASE_EN | 1), -HV_EINVAL);
}

/* The virtual-APIC page's 32-bit word at an xAPIC offset, as the CPU sees it. */
static u32 *vpage(u8 *page, u32 off)
{
	return (u32 *)(void *)(page + off);
}

/*
 * Virtual-interrupt delivery: vectors move to VIRR at entry, and what the
 * "CPU" does meanwhile (deliver: VIRR to VISR; EOI: clear VISR) comes
 * back as injected and EOIs at the exit.
 */
static void vid_sync_counts_deliveries_and_eois_done_without_exits(void **state)
{
	(void)state;
	static u8 page[4096];
	x2apic_enabled();
	assert_int_equal(vlapic_accept(&l, 0x51), 0);
	assert_int_equal(vlapic_accept(&l, 0x32), 0);
	/* RVI is the highest pending, SVI 0 with nothing in service; the IRR is empty while the guest runs. */
	assert_int_equal(vlapic_vid_enter(&l, page), 0x0051);
	assert_int_equal(*vpage(page, LAPIC_IRR0 + 0x20), 1u << (0x51 % 32));
	assert_int_equal(*vpage(page, LAPIC_IRR0 + 0x10), 1u << (0x32 % 32));
	assert_int_equal(vlapic_pending(&l), -1);
	/* The CPU delivers 0x51 (VIRR to VISR); 0x32 waits behind it. */
	*vpage(page, LAPIC_IRR0 + 0x20) = 0;
	*vpage(page, LAPIC_ISR0 + 0x20) = 1u << (0x51 % 32);
	vlapic_vid_exit(&l, page);
	assert_int_equal(l.injected, 1);
	assert_int_equal(l.eois, 0);
	assert_int_equal(rd(LAPIC_ISR0 + 0x20), 1u << (0x51 % 32));
	assert_int_equal(rd(LAPIC_IRR0 + 0x10), 1u << (0x32 % 32));
	assert_int_equal(*vpage(page, LAPIC_IRR0 + 0x10), 0);
	/* A second exit-side sync without an entry changes nothing, whatever the page holds by then. */
	*vpage(page, LAPIC_ISR0 + 0x20) = 0xdead;
	vlapic_vid_exit(&l, page);
	assert_int_equal(l.injected, 1);
	assert_int_equal(l.eois, 0);
	assert_int_equal(rd(LAPIC_IRR0 + 0x10), 1u << (0x32 % 32));
	assert_int_equal(rd(LAPIC_ISR0 + 0x20), 1u << (0x51 % 32));
	/* Next entry: SVI 0x51, RVI 0x32. The guest EOIs 0x51, then 0x32 is delivered and EOI'd too. */
	assert_int_equal(vlapic_vid_enter(&l, page), 0x5132);
	assert_int_equal(*vpage(page, LAPIC_ISR0 + 0x20), 1u << (0x51 % 32));
	*vpage(page, LAPIC_ISR0 + 0x20) = 0;
	*vpage(page, LAPIC_IRR0 + 0x10) = 0;
	vlapic_vid_exit(&l, page);
	assert_int_equal(l.injected, 2);
	assert_int_equal(l.eois, 2);
	assert_int_equal(rd(LAPIC_ISR0 + 0x20), 0);
	assert_int_equal(vlapic_pending(&l), -1);
	/* An EOI the vlapic took (the xAPIC page, an exit) reaches VISR at the next entry. */
	assert_int_equal(vlapic_accept(&l, 0x40), 0);
	assert_int_equal(vlapic_vid_enter(&l, page), 0x0040);
	*vpage(page, LAPIC_IRR0 + 0x40 / 32 * 0x10) = 0;
	*vpage(page, LAPIC_ISR0 + 0x40 / 32 * 0x10) = 1u << (0x40 % 32);
	vlapic_vid_exit(&l, page);
	assert_int_equal(vlapic_msr_write(&l, MSR(LAPIC_EOI), 0), 0);
	assert_int_equal(l.eois, 3);
	assert_int_equal(vlapic_vid_enter(&l, page), 0);
	assert_int_equal(*vpage(page, LAPIC_ISR0 + 0x20), 0);
	vlapic_vid_exit(&l, page);
	assert_int_equal(l.eois, 3);
	assert_int_equal(l.injected, 3);
	/* A software-disabled APIC keeps its vectors in the IRR: nothing for the CPU to deliver. */
	assert_int_equal(vlapic_accept(&l, 0x60), 0);
	assert_int_equal(vlapic_msr_write(&l, MSR(LAPIC_SVR), 0xff), 0);
	assert_int_equal(vlapic_vid_enter(&l, page), 0);
	assert_int_equal(*vpage(page, LAPIC_IRR0 + 0x30), 0);
	vlapic_vid_exit(&l, page);
	assert_int_equal(rd(LAPIC_IRR0 + 0x30), 1u << (0x60 % 32));
	assert_int_equal(l.injected, 3);
}

static void pending_respects_tpr_and_in_service_priority(void **state)
{
	(void)state;
	x2apic_enabled();
	assert_int_equal(vlapic_pending(&l), -1);
	assert_int_equal(vlapic_accept(&l, 0x51), 0);
	assert_int_equal(vlapic_accept(&l, 0x32), 0);
	assert_int_equal(notified, 2);
	assert_int_equal(vlapic_accept(&l, 0x51), 0);
	assert_int_equal(notified, 2);          /* already pending: no second wake-up */
	assert_int_equal(vlapic_pending(&l), 0x51);
	vlapic_ack(&l, 0x51);
	assert_int_equal(rd(LAPIC_ISR0 + 0x20), 1u << (0x51 % 32));
	/* 0x32's class is below the in-service 0x51's: held until EOI. */
	assert_int_equal(vlapic_pending(&l), -1);
	assert_int_equal(rd(LAPIC_PPR), 0x50);
	wr(LAPIC_EOI, 0);
	assert_int_equal(vlapic_pending(&l), 0x32);
	/* A TPR of class 3 holds it too. */
	wr(LAPIC_TPR, 0x30);
	assert_int_equal(vlapic_pending(&l), -1);
	wr(LAPIC_TPR, 0x20);
	assert_int_equal(vlapic_pending(&l), 0x32);
	assert_int_equal(l.injected, 1);
	assert_int_equal(l.eois, 1);
	/* A non-zero EOI write is #GP in x2APIC mode. */
	assert_int_equal(vlapic_msr_write(&l, MSR(LAPIC_EOI), 1), -HV_EINVAL);
	/* So is a read of the write-only EOI. */
	u64 q;
	assert_int_equal(vlapic_msr_read(&l, MSR(LAPIC_EOI), &q), -HV_EINVAL);
}

static void software_disabled_apic_delivers_nothing(void **state)
{
	(void)state;
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_APIC_BASE, X2_ON), 0);
	assert_int_equal(vlapic_accept(&l, 0x40), 0);
	assert_int_equal(vlapic_pending(&l), -1);
	wr(LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff);
	assert_int_equal(vlapic_pending(&l), 0x40);
}

static void extint_passes_only_in_virtual_wire_mode_or_with_the_apic_off(void **state)
{
	u32 v = 0;
	(void)state;
	/* At reset LINT0 is masked (§11.4.7.1): an 8259A's INTR does not get through. */
	assert_false(vlapic_extint_passes(&l));
	vlapic_virtual_wire(&l);
	assert_true(vlapic_extint_passes(&l));
	assert_int_equal(vlapic_mmio_read(&l, APIC_BASE_DEFAULT + LAPIC_LVT_LINT0, 4, &v), 0);
	assert_int_equal(v, 0x8700);
	assert_int_equal(vlapic_mmio_read(&l, APIC_BASE_DEFAULT + LAPIC_LVT_LINT1, 4, &v), 0);
	assert_int_equal(v, 0x8400);
	assert_int_equal(vlapic_mmio_read(&l, APIC_BASE_DEFAULT + LAPIC_SVR, 4, &v), 0);
	assert_int_equal(v, 0x1ff);
	/* LINT0 in fixed mode, or masked, does not pass ExtINT. */
	assert_int_equal(vlapic_mmio_write(&l, APIC_BASE_DEFAULT + LAPIC_LVT_LINT0, 4, 0x30), 0);
	assert_false(vlapic_extint_passes(&l));
	assert_int_equal(vlapic_mmio_write(&l, APIC_BASE_DEFAULT + LAPIC_LVT_LINT0, 4, 0x10700), 0);
	assert_false(vlapic_extint_passes(&l));
	/* Software-disabled: every LVT masked, so nothing passes. */
	assert_int_equal(vlapic_mmio_write(&l, APIC_BASE_DEFAULT + LAPIC_LVT_LINT0, 4, 0x700), 0);
	assert_true(vlapic_extint_passes(&l));
	assert_int_equal(vlapic_mmio_write(&l, APIC_BASE_DEFAULT + LAPIC_SVR, 4, 0xff), 0);
	assert_false(vlapic_extint_passes(&l));
	/* Globally disabled (§11.4.3): LINT0 is the plain INTR pin. */
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_APIC_BASE, APIC_BASE_DEFAULT), 0);
	assert_true(vlapic_extint_passes(&l));
}

static void illegal_vectors_set_esr_bits_on_the_next_write(void **state)
{
	(void)state;
	x2apic_enabled();
	assert_int_equal(vlapic_accept(&l, 3), -HV_EINVAL);
	wr(LAPIC_ICR_LO, 0x5);                  /* fixed, vector 5, to ID 0 */
	assert_int_equal(rd(LAPIC_ESR), 0);     /* latched only by a write */
	wr(LAPIC_ESR, 0);
	assert_int_equal(rd(LAPIC_ESR), ESR_SEND_ILLEGAL | ESR_RECV_ILLEGAL);
	assert_int_equal(nr_ipis, 0);
}

static void icr_self_ipi_is_delivered_and_others_handed_on(void **state)
{
	(void)state;
	x2apic_enabled();
	wr(LAPIC_ICR_LO, (u64)3 << 32 | 0x61);          /* fixed 0x61 to its own ID */
	assert_int_equal(vlapic_pending(&l), 0x61);
	wr(LAPIC_SELF_IPI, 0x62);
	assert_int_equal(vlapic_pending(&l), 0x62);
	assert_int_equal(l.self_ipis, 2);
	wr(LAPIC_ICR_LO, (u64)7 << 32 | 0x70);          /* to ID 7: the partition's business */
	wr(LAPIC_ICR_LO, (u64)9 << 32 | 0x4500);        /* INIT to ID 9: refused there */
	wr(LAPIC_ICR_LO, (u64)ICR_SH_OTHERS << 18 | 0x71);
	assert_int_equal(nr_ipis, 3);
	assert_int_equal(ipis[0].from, 3);
	assert_int_equal(ipis[0].dest, 7);
	assert_int_equal(ipis[0].lo, 0x70);
	assert_int_equal(ipis[1].dest, 9);
	assert_int_equal(FIELD_GET(ICR_DM, ipis[1].lo), ICR_DM_INIT);
	assert_int_equal(ipis[2].dest, 0xffffffffu);
	assert_int_equal(l.ipis_sent, 3);
	assert_int_equal(l.ipis_failed, 2);
	assert_int_equal(rd(LAPIC_ICR_LO), (u64)ICR_SH_OTHERS << 18 | 0x71);
	assert_int_equal(vlapic_pending(&l), 0x62);     /* the others' vector is not its own */
}

static void xapic_mmio_sends_to_the_icr_high_destination(void **state)
{
	(void)state;
	u32 v;
	assert_int_equal(vlapic_mmio_write(&l, APIC_BASE_DEFAULT + LAPIC_SVR, 4, LAPIC_SVR_ENABLE | 0xff), 0);
	assert_int_equal(vlapic_mmio_write(&l, APIC_BASE_DEFAULT + LAPIC_ICR_HI, 4, 7u << 24), 0);
	assert_int_equal(vlapic_mmio_write(&l, APIC_BASE_DEFAULT + LAPIC_ICR_LO, 4, 0x55), 0);
	assert_int_equal(nr_ipis, 1);
	assert_int_equal(ipis[0].dest, 7);
	assert_int_equal(vlapic_mmio_read(&l, APIC_BASE_DEFAULT + LAPIC_ICR_LO, 4, &v), 0);
	assert_int_equal(v & (1u << 12), 0);    /* delivery status idle */
	/* Only aligned 32-bit accesses are registers. */
	assert_int_equal(vlapic_mmio_read(&l, APIC_BASE_DEFAULT + LAPIC_ID, 1, &v), -HV_EINVAL);
	assert_int_equal(vlapic_mmio_read(&l, APIC_BASE_DEFAULT + LAPIC_ID + 4, 4, &v), -HV_EINVAL);
	/* The self-IPI register is x2APIC only; a reserved offset reads 0 and a write there sets ESR bit 7. */
	assert_int_equal(vlapic_mmio_read(&l, APIC_BASE_DEFAULT + 0x3f0, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vlapic_mmio_write(&l, APIC_BASE_DEFAULT + 0x3f0, 4, 0x40), 0);
	assert_int_equal(vlapic_mmio_write(&l, APIC_BASE_DEFAULT + LAPIC_ESR, 4, 0), 0);
	assert_int_equal(vlapic_mmio_read(&l, APIC_BASE_DEFAULT + LAPIC_ESR, 4, &v), 0);
	assert_int_equal(v, ESR_ILLEGAL_REG);
	assert_int_equal(vlapic_pending(&l), -1);
}

static void oneshot_timer_fires_once_at_its_count(void **state)
{
	(void)state;
	x2apic_enabled();
	fake_time_ns = 1000;
	wr(LAPIC_TIMER_DIV, 0xb);                       /* divide by 1: 10 ns per count */
	wr(LAPIC_LVT_TIMER, 0x40);
	wr(LAPIC_TIMER_INIT, 1000);                     /* 10 us */
	assert_int_equal(vlapic_poll(&l, 1000), 11000);
	fake_time_ns = 6000;
	assert_int_equal(rd(LAPIC_TIMER_CUR), 500);
	assert_int_equal(vlapic_poll(&l, 10999), 11000);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_int_equal(vlapic_poll(&l, 11000), 0);
	assert_int_equal(vlapic_pending(&l), 0x40);
	assert_int_equal(l.ticks, 1);
	assert_int_equal(vlapic_poll(&l, 50000), 0);
	assert_int_equal(l.ticks, 1);
	fake_time_ns = 50000;
	assert_int_equal(rd(LAPIC_TIMER_CUR), 0);
}

static void periodic_timer_reloads_and_coalesces_missed_periods(void **state)
{
	(void)state;
	x2apic_enabled();
	wr(LAPIC_TIMER_DIV, 0x3);                       /* divide by 16: 160 ns per count */
	wr(LAPIC_LVT_TIMER, (u64)TIMER_PERIODIC << 17 | 0x41);
	wr(LAPIC_TIMER_INIT, 100);                      /* 16 us */
	assert_int_equal(vlapic_poll(&l, 0), 16000);
	assert_int_equal(vlapic_poll(&l, 16000), 32000);
	vlapic_ack(&l, 0x41);
	wr(LAPIC_EOI, 0);
	/* Three periods late: one tick, the next deadline stays on the grid. */
	assert_int_equal(vlapic_poll(&l, 80001), 96000);
	assert_int_equal(l.ticks, 2);
	assert_int_equal(vlapic_pending(&l), 0x41);
	/* Masked: the period goes on, no vector. */
	wr(LAPIC_LVT_TIMER, (u64)TIMER_PERIODIC << 17 | LVT_MASKED | 0x41);
	vlapic_ack(&l, 0x41);
	wr(LAPIC_EOI, 0);
	assert_int_equal(vlapic_poll(&l, 96000), 112000);
	assert_int_equal(vlapic_pending(&l), -1);
	/* Initial count 0 stops it. */
	wr(LAPIC_TIMER_INIT, 0);
	assert_int_equal(vlapic_poll(&l, 200000), 0);
}

static void tsc_deadline_timer_fires_at_the_tsc_value(void **state)
{
	(void)state;
	x2apic_enabled();
	fake_time_ns = 5000;
	fake_tsc = 2000;
	wr(LAPIC_LVT_TIMER, (u64)TIMER_TSC_DEADLINE << 17 | 0x42);
	wr(LAPIC_TIMER_INIT, 5);                        /* ignored in this mode */
	assert_int_equal(vlapic_poll(&l, 5000), 0);
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_TSC_DEADLINE, 12000), 0);
	/* 10000 TSC ticks at 1 GHz after now. */
	assert_int_equal(vlapic_poll(&l, 5000), 15000);
	u64 d;
	assert_int_equal(vlapic_msr_read(&l, MSR_IA32_TSC_DEADLINE, &d), 0);
	assert_int_equal(d, 12000);
	assert_int_equal(vlapic_poll(&l, 15000), 0);
	assert_int_equal(vlapic_pending(&l), 0x42);
	assert_int_equal(vlapic_msr_read(&l, MSR_IA32_TSC_DEADLINE, &d), 0);
	assert_int_equal(d, 0);
	/* A deadline in the past fires at the next look; 0 disarms. */
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_TSC_DEADLINE, 100), 0);
	assert_int_equal(vlapic_poll(&l, 5000), 0);
	assert_int_equal(l.ticks, 2);
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_TSC_DEADLINE, 90000), 0);
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_TSC_DEADLINE, 0), 0);
	assert_int_equal(vlapic_poll(&l, 1000000), 0);
	/* Leaving TSC-deadline mode disarms. */
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_TSC_DEADLINE, 90000), 0);
	wr(LAPIC_LVT_TIMER, 0x42);
	assert_int_equal(vlapic_poll(&l, 1000000), 0);
}

static void tsc_deadline_msr_is_gp_without_the_cpuid_bit(void **state)
{
	(void)state;
	vlapic_reset(&l, 3, true, false);
	x2apic_enabled();
	u64 d;
	assert_int_equal(vlapic_msr_read(&l, MSR_IA32_TSC_DEADLINE, &d), -HV_EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_TSC_DEADLINE, 1), -HV_EINVAL);
	/* The mode reads back as written but the timer counts as one-shot. */
	wr(LAPIC_TIMER_DIV, 0xb);
	wr(LAPIC_LVT_TIMER, (u64)TIMER_TSC_DEADLINE << 17 | 0x42);
	wr(LAPIC_TIMER_INIT, 10);
	assert_int_equal(vlapic_poll(&l, 0), 100);
}

/* ---- paravirtual EOI (KVM's MSR_KVM_PV_EOI_EN) ---- */

static u32 pv_word;

/* x2APIC on and enabled, paravirtual EOI on at pv_word, vector injected as the partition does (pending, then ack). */
static void pv_eoi_on_and_inject(u8 vector)
{
	x2apic_enabled();
	pv_word = 0;
	assert_int_equal(vlapic_pv_eoi_msr_write(&l, 0x1000 | KVM_PV_EOI_EN_ENABLE, &pv_word), 0);
	assert_int_equal(vlapic_accept(&l, vector), 0);
	assert_int_equal(vlapic_pending(&l), vector);
	vlapic_ack(&l, vector);
}

static void pv_eoi_bit_is_set_for_a_lone_vector_and_clearing_it_is_the_eoi(void **state)
{
	(void)state;
	pv_eoi_on_and_inject(0x31);
	vlapic_pv_eoi_to_guest(&l);
	assert_int_equal(pv_word, KVM_PV_EOI_PENDING);
	/* The guest's handler clears the bit instead of writing EOI; the next exit does the EOI. */
	pv_word = 0;
	assert_int_equal(rd(LAPIC_ISR0 + 0x10), 1u << 17);     /* still in service until that exit */
	vlapic_pv_eoi_from_guest(&l);
	assert_int_equal(rd(LAPIC_ISR0 + 0x10), 0);
	assert_int_equal(l.eois, 1);
	assert_int_equal(l.pv_eois, 1);
	/* Nothing in service: the bit stays clear, and a second exit does no second EOI. */
	vlapic_pv_eoi_to_guest(&l);
	assert_int_equal(pv_word, 0);
	vlapic_pv_eoi_from_guest(&l);
	assert_int_equal(l.eois, 1);
}

static void pv_eoi_bit_stays_clear_when_the_eoi_must_be_seen(void **state)
{
	(void)state;
	/* Another vector waits in the IRR (below the one in service): its EOI lets it in. */
	pv_eoi_on_and_inject(0x51);
	assert_int_equal(vlapic_accept(&l, 0x41), 0);
	vlapic_pv_eoi_to_guest(&l);
	assert_int_equal(pv_word, 0);
	/* Two in service (a nested interrupt): the next EOI is the inner one's only. */
	assert_int_equal(vlapic_accept(&l, 0x61), 0);
	vlapic_ack(&l, 0x61);
	assert_int_equal(vlapic_pending(&l), -1);
	/* 0x41 withdrawn from the IRR, so that only the second rule holds the bit back. */
	__atomic_and_fetch(&l.irr[0x41 / 32], ~(1u << (0x41 % 32)), __ATOMIC_RELAXED);
	vlapic_pv_eoi_to_guest(&l);
	assert_int_equal(pv_word, 0);
	/* After the written EOI of 0x61 one is left in service: the bit may be set again. */
	wr(LAPIC_EOI, 0);
	vlapic_pv_eoi_to_guest(&l);
	assert_int_equal(pv_word, KVM_PV_EOI_PENDING);
	vlapic_pv_eoi_from_guest(&l);
	/* A level-triggered vector in service (TMR set): its EOI has to reach its source. */
	setup(NULL);
	pv_eoi_on_and_inject(0x71);
	l.tmr[0x71 / 32] |= 1u << (0x71 % 32);
	vlapic_pv_eoi_to_guest(&l);
	assert_int_equal(pv_word, 0);
	/* Virtual-interrupt delivery: the CPU does EOIs without exits already. */
	l.tmr[0x71 / 32] = 0;
	u8 page[4096] = { 0 };
	vlapic_vid_enter(&l, page);
	vlapic_pv_eoi_to_guest(&l);
	assert_int_equal(pv_word, 0);
	vlapic_vid_exit(&l, page);
}

static void pv_eoi_guest_that_writes_eoi_anyway_ends_the_vector_once(void **state)
{
	(void)state;
	pv_eoi_on_and_inject(0x31);
	vlapic_pv_eoi_to_guest(&l);
	assert_int_equal(pv_word, KVM_PV_EOI_PENDING);
	/* The guest ignores the bit and writes EOI: the exit takes the bit back first. */
	vlapic_pv_eoi_from_guest(&l);
	assert_int_equal(pv_word, 0);
	assert_int_equal(l.eois, 0);
	wr(LAPIC_EOI, 0);
	assert_int_equal(l.eois, 1);
	assert_int_equal(l.pv_eois, 0);
	assert_int_equal(rd(LAPIC_ISR0 + 0x10), 0);
	/* A vector accepted while the bit was out goes in once the EOI is done. */
	assert_int_equal(vlapic_accept(&l, 0x21), 0);
	assert_int_equal(vlapic_pending(&l), 0x21);
}

static void pv_eoi_disable_takes_the_bit_back_and_sets_it_no_more(void **state)
{
	(void)state;
	pv_eoi_on_and_inject(0x31);
	vlapic_pv_eoi_to_guest(&l);
	assert_int_equal(pv_word, KVM_PV_EOI_PENDING);
	/* Linux writes 0 when a CPU goes offline: the bit it left set is taken back, the EOI stays the guest's. */
	assert_int_equal(vlapic_pv_eoi_msr_write(&l, 0, NULL), 0);
	assert_int_equal(pv_word, 0);
	assert_int_equal(l.eois, 0);
	assert_int_equal(l.pv_eoi_msr, 0);
	vlapic_pv_eoi_to_guest(&l);
	assert_int_equal(pv_word, 0);
	/* The MSR survives the APIC's global disable (it is not an APIC register), not a reset. */
	assert_int_equal(vlapic_pv_eoi_msr_write(&l, 0x2000 | KVM_PV_EOI_EN_ENABLE, &pv_word), 0);
	assert_int_equal(vlapic_msr_write(&l, MSR_IA32_APIC_BASE, APIC_BASE_DEFAULT), 0);
	assert_int_equal(l.pv_eoi_msr, 0x2001);
	vlapic_reset(&l, 3, true, true);
	assert_int_equal(l.pv_eoi_msr, 0);
}

static void pv_eoi_msr_refuses_the_reserved_bit_and_a_missing_word(void **state)
{
	(void)state;
	x2apic_enabled();
	assert_int_equal(vlapic_pv_eoi_msr_write(&l, 0x1002 | KVM_PV_EOI_EN_ENABLE, &pv_word), -HV_EINVAL);
	assert_int_equal(vlapic_pv_eoi_msr_write(&l, 0x1000 | KVM_PV_EOI_EN_ENABLE, NULL), -HV_EINVAL);
	assert_int_equal(l.pv_eoi_msr, 0);
	assert_null(l.pv_eoi_word);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(reset_is_xapic_at_default_base_with_lvts_masked, setup),
		cmocka_unit_test_setup(apic_base_follows_the_mode_transitions_of_the_sdm, setup),
		cmocka_unit_test_setup(pending_respects_tpr_and_in_service_priority, setup),
		cmocka_unit_test_setup(extint_passes_only_in_virtual_wire_mode_or_with_the_apic_off, setup),
		cmocka_unit_test_setup(vid_sync_counts_deliveries_and_eois_done_without_exits, setup),
		cmocka_unit_test_setup(software_disabled_apic_delivers_nothing, setup),
		cmocka_unit_test_setup(illegal_vectors_set_esr_bits_on_the_next_write, setup),
		cmocka_unit_test_setup(icr_self_ipi_is_delivered_and_others_handed_on, setup),
		cmocka_unit_test_setup(xapic_mmio_sends_to_the_icr_high_destination, setup),
		cmocka_unit_test_setup(oneshot_timer_fires_once_at_its_count, setup),
		cmocka_unit_test_setup(periodic_timer_reloads_and_coalesces_missed_periods, setup),
		cmocka_unit_test_setup(tsc_deadline_timer_fires_at_the_tsc_value, setup),
		cmocka_unit_test_setup(tsc_deadline_msr_is_gp_without_the_cpuid_bit, setup),
		cmocka_unit_test_setup(pv_eoi_bit_is_set_for_a_lone_vector_and_clearing_it_is_the_eoi, setup),
		cmocka_unit_test_setup(pv_eoi_bit_stays_clear_when_the_eoi_must_be_seen, setup),
		cmocka_unit_test_setup(pv_eoi_guest_that_writes_eoi_anyway_ends_the_vector_once, setup),
		cmocka_unit_test_setup(pv_eoi_disable_takes_the_bit_back_and_sets_it_no_more, setup),
		cmocka_unit_test_setup(pv_eoi_msr_refuses_the_reserved_bit_and_a_missing_word, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
