/*
 * lapic-timer: the local APIC Sluice gives its CPU, from inside. An IDT
 * gate counts timer ticks; the timer runs periodic in x2APIC mode over an
 * interval timed with the TSC, one-shot with HLT between ticks, in
 * TSC-deadline mode where CPUID.1:ECX[24] offers it, and periodic again
 * in xAPIC mode (MMIO at 0xfee00000). Each phase is one marked interval
 * (SLUICE_HC_LAPIC): Sluice logs its exits per tick. The timer counts at
 * 100 MHz before its divider (docs/architecture.md).
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/irq.h"

const char guest_name[] = "lapic-timer";

#define TIMER_VECTOR            0x40
#define LAPIC_HZ                100000000ULL
#define PERIOD_US               2000
#define INTERVAL_MS             200
#define ONESHOTS                20
#define ONESHOT_US              2000
#define XAPIC                   0xfee00000ULL
#define MSR_APIC_BASE           0x1b
#define MSR_TSC_DEADLINE        0x6e0
#define X2(off)                 (0x800 + ((off) >> 4))
#define REG_ID                  0x020
#define REG_VERSION             0x030
#define REG_EOI                 0x0b0
#define REG_SVR                 0x0f0
#define REG_LVT_TIMER           0x320
#define REG_TIMER_INIT          0x380
#define REG_TIMER_CUR           0x390
#define REG_TIMER_DIV           0x3e0
#define LVT_PERIODIC            (1u << 17)
#define LVT_TSC_DEADLINE        (2u << 17)
#define LVT_MASKED              (1u << 16)

static volatile uint64_t ticks;
static volatile bool x2apic;

static void apic_write(uint32_t off, uint32_t v)
{
	if (x2apic)
		wrmsr(X2(off), v);
	else
		*(volatile uint32_t *)(uintptr_t)(XAPIC + off) = v;
}

static uint32_t apic_read(uint32_t off)
{
	return x2apic ? (uint32_t)rdmsr(X2(off)) : *(volatile uint32_t *)(uintptr_t)(XAPIC + off);
}

/* The timer gate's handler (lib/irq.h). */
static void timer_tick(void)
{
	ticks++;
	apic_write(REG_EOI, 0);
}

static uint64_t tsc_khz;

static uint64_t us_tsc(uint64_t us)
{
	return us * tsc_khz / 1000;
}

/* A periodic timer over INTERVAL_MS of TSC time, the guest busy; returns the ticks counted. */
static uint64_t periodic(const char *mode)
{
	apic_write(REG_TIMER_DIV, 0xb);         /* divide by 1 */
	apic_write(REG_LVT_TIMER, LVT_PERIODIC | TIMER_VECTOR);
	sluice_hypercall(SLUICE_HC_LAPIC, 0, 0, 0);
	ticks = 0;
	uint64_t t0 = rdtsc();
	apic_write(REG_TIMER_INIT, (uint32_t)(LAPIC_HZ / 1000000 * PERIOD_US));
	__asm__ volatile("sti" ::: "memory");
	while (rdtsc() - t0 < us_tsc(INTERVAL_MS * 1000ULL))
		;
	apic_write(REG_TIMER_INIT, 0);
	uint64_t n = ticks, us = (rdtsc() - t0) * 1000 / tsc_khz;
	/* With interrupts still on: a tick that was pending is taken at this exit, not in the next phase. */
	long exits = sluice_hypercall(SLUICE_HC_LAPIC, 1, n, 0);
	__asm__ volatile("cli" ::: "memory");
	uint64_t want = us / PERIOD_US;
	gprintf("lapic-timer: %s periodic %u us: %llu ticks in %llu us (TSC), %ld VM exits\n", mode, PERIOD_US,
		(unsigned long long)n, (unsigned long long)us, exits);
	/*
	 * Never more ticks than periods; fewer when the vCPU was late by more
	 * than a period (an emulator on a busy host): missed periods are one
	 * tick, as on a real APIC. At least a tenth says the timer runs (a CI
	 * host with two cores shared by parallel boots gave a fifth: 23 of 105).
	 */
	verdict(n >= want / 10 && n <= want + 2, "%s periodic timer: %llu ticks in %llu us, at most %llu", mode,
		(unsigned long long)n, (unsigned long long)us, (unsigned long long)want);
	return n;
}

/* Waits halted for the tick count to pass n; false after a TSC timeout. */
static bool hlt_until(uint64_t n, uint64_t timeout_us)
{
	uint64_t t0 = rdtsc();
	while (ticks <= n) {
		if (rdtsc() - t0 > us_tsc(timeout_us))
			return false;
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
	return true;
}

/* ONESHOTS timers, each armed by arm() for ONESHOT_US and waited for halted; each must not fire early. */
static void oneshots(const char *what, void (*arm)(void))
{
	uint64_t early = 0, late_us = 0;
	bool all = true;

	sluice_hypercall(SLUICE_HC_LAPIC, 0, 0, 0);
	ticks = 0;
	for (int i = 0; i < ONESHOTS && all; i++) {
		uint64_t t0 = rdtsc();
		arm();
		all = hlt_until((uint64_t)i, 100 * ONESHOT_US);
		uint64_t us = (rdtsc() - t0) * 1000 / tsc_khz;
		early += us + 1 < ONESHOT_US;   /* one microsecond of TSC rounding */
		late_us = us > late_us ? us : late_us;
	}
	long exits = sluice_hypercall(SLUICE_HC_LAPIC, 1, ticks, 0);
	gprintf("lapic-timer: %s %u us x %u, halted between: %llu ticks, %llu early, the latest after %llu us, %ld VM exits\n",
		what, ONESHOT_US, ONESHOTS, (unsigned long long)ticks, (unsigned long long)early,
		(unsigned long long)late_us, exits);
	verdict(all && ticks == ONESHOTS && !early, "%s timer: %u of %u fired, none early, HLT woke for each", what,
		(unsigned)ticks, ONESHOTS);
}

static void arm_oneshot(void)
{
	apic_write(REG_TIMER_INIT, (uint32_t)(LAPIC_HZ / 1000000 * ONESHOT_US));
}

static void arm_deadline(void)
{
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + us_tsc(ONESHOT_US));
}

int guest_main(const struct sluice_start_info *si)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	gprintf("lapic-timer: partition %s on CPU %u: CPUID.1 APIC %u x2APIC %u TSC-deadline %u\n", si->name, si->cpu,
		(d >> 9) & 1, (c >> 21) & 1, (c >> 24) & 1);
	if (!verdict((d >> 9) & 1 && (c >> 21) & 1, "CPUID shows a local APIC with x2APIC mode"))
		return 1;
	tsc_khz = (uint64_t)sluice_hypercall(SLUICE_HC_LAPIC, 2, 0, 0);
	if (!verdict(tsc_khz > 0, "TSC rate from Sluice: %llu kHz", (unsigned long long)tsc_khz))
		return 1;
	guest_irq_handler(TIMER_VECTOR, timer_tick);

	/* Reset state: xAPIC at 0xfee00000 (the MMIO page), software-disabled. */
	uint64_t base = rdmsr(MSR_APIC_BASE);
	uint32_t ver = apic_read(REG_VERSION), id = apic_read(REG_ID) >> 24;
	verdict(base == (XAPIC | 0x900) && (ver & 0xff) == 0x14 && id == si->cpus[0],
		"xAPIC at reset: base MSR 0x%llx, version 0x%x, ID %u", (unsigned long long)base, ver, id);

	/* x2APIC: the MSRs. */
	wrmsr(MSR_APIC_BASE, base | (1u << 10));
	x2apic = true;
	verdict(apic_read(REG_ID) == si->cpus[0], "x2APIC mode: ID %u through MSR 0x802", apic_read(REG_ID));
	apic_write(REG_SVR, 0x1ff);
	periodic("x2APIC");

	apic_write(REG_TIMER_DIV, 0xb);
	apic_write(REG_LVT_TIMER, TIMER_VECTOR);
	oneshots("x2APIC one-shot", arm_oneshot);
	verdict(apic_read(REG_TIMER_CUR) == 0, "current count 0 after the last one-shot");

	if ((c >> 24) & 1) {
		apic_write(REG_LVT_TIMER, LVT_TSC_DEADLINE | TIMER_VECTOR);
		oneshots("x2APIC TSC-deadline", arm_deadline);
	} else {
		gprintf("lapic-timer: TSC-deadline mode skipped: this CPU does not offer it (CPUID.1:ECX[24] clear)\n");
	}
	apic_write(REG_LVT_TIMER, LVT_MASKED);

	/* Back to xAPIC the only way the SDM allows: disabled first. The timer runs again through MMIO. */
	wrmsr(MSR_APIC_BASE, base & ~(3ULL << 10));
	wrmsr(MSR_APIC_BASE, base);
	x2apic = false;
	verdict((apic_read(REG_VERSION) & 0xff) == 0x14 && (apic_read(REG_SVR) & 0x100) == 0,
		"xAPIC again through disabled: MMIO answers, the APIC was reset");
	apic_write(REG_SVR, 0x1ff);
	periodic("xAPIC");
	return 0;
}
