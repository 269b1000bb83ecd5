/*
 * selftest=irq (kernel/irq_selftest.h): inter-processor interrupts as a
 * stand-in for a device's DMA write to the MSI window 0xFEE0_0000, which
 * reaches a CPU's local APIC the same way (SDM Vol. 3A 11.6.1 ICR, 11.11
 * MSI). Each case is judged by the stray counters and the APIC's ISR.
 */
#define LOG_SUBSYS "irq"
#include "kernel/irq_selftest.h"
#include "kernel/irq_stray.h"
#include "kernel/apic.h"
#include "kernel/check.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "kernel/smp.h"
#include "kernel/wait.h"
#include "kernel/hw/cpu.h"

#define ARRIVAL_US              1000000 /* how long one IPI gets to be taken */
#define REPEATS                 (IRQ_STRAY_LOG_FIRST + 1)       /* one past the rate limit */

struct watch { u8 vector; bool init; u64 want; };

static u64 seen(const struct watch *w)
{
	return w->init ? irq_stray_inits() : irq_stray_count(w->vector);
}

static bool arrived(void *arg)
{
	const struct watch *w = arg;
	return seen(w) >= w->want;
}

/* Sends one IPI (fixed vector, NMI or INIT) and waits for the counter; returns how many arrived. */
static u64 send_and_wait(u32 apic, u8 vector, bool nmi, bool init, u32 times)
{
	struct watch w = { .vector = nmi ? IRQ_VECTOR_NMI : vector, .init = init };
	u64 before = seen(&w);
	int ret = 0;

	for (u32 i = 0; i < times && !ret; i++) {
		w.want = before + i + 1;
		ret = init ? apic_send_init(apic) : nmi ? apic_send_nmi(apic) : apic_send_ipi(apic, vector);
		if (!ret)
			ret = wait_until(arrived, &w, ARRIVAL_US);
	}
	if (ret && ret != -HV_ETIMEDOUT)
		log_err("IPI to APIC ID %u not sent: %s", apic, hv_strerror(ret));
	udelay(1000);           /* anything more that comes would be counted too */
	return seen(&w) - before;
}

static const struct { u8 vector; const char *what; } self_cases[] = {
	{ 0x30, "a vector nobody registered" },
	{ 0x11, "vector 17, #AC's: an exception would have pushed an error code" },
	{ 0x13, "vector 19, #XM's: no error code either way, told apart by the ISR" },
	{ 0x1e, "vector 30, #SX's: an exception would have pushed an error code" },
};

void irq_selftest_self(void)
{
	u32 me = apic_id();
	u64 flags = cpu_irq_save();

	log_warn("selftest: sending this CPU unexpected vectors and an NMI");
	cpu_irq_enable();
	for (u32 i = 0; i < ARRAY_SIZE(self_cases); i++) {
		u8 v = self_cases[i].vector;
		u64 n = send_and_wait(me, v, false, false, 1);
		check(n == 1 && !apic_in_service(v), "irq: self-IPI on vector 0x%02x (%s) counted %llu time(s), acknowledged, Sluice alive",
		      v, self_cases[i].what, (unsigned long long)n);
	}
	u64 n = send_and_wait(me, 0xfe, false, false, REPEATS);
	check(n == REPEATS && !apic_in_service(0xfe), "irq: %u self-IPIs on vector 0xfe counted %llu time(s), the last one past the log's rate limit",
	      REPEATS, (unsigned long long)n);
	n = send_and_wait(me, 0, true, false, 1);
	check(n == 1, "irq: NMI to this CPU counted %llu time(s), Sluice alive", (unsigned long long)n);
	cpu_irq_save();
	cpu_irq_restore(flags);
}

void irq_selftest_cpu(u32 cpu)
{
	const struct cpu *c = smp_cpu(cpu);

	if (!c) {
		check(false, "irq: CPU %u exists to be sent interrupts", cpu);
		return;
	}
	log_warn("selftest: sending CPU %u (running a guest) a fixed vector and an NMI", cpu);
	u64 n = send_and_wait(c->apic_id, 0x30, false, false, 1);
	check(n == 1, "irq: vector 0x30 to CPU %u counted %llu time(s) there, its guest runs on", cpu, (unsigned long long)n);
	n = send_and_wait(c->apic_id, 0, true, false, 1);
	check(n == 1, "irq: NMI to CPU %u counted %llu time(s) there, its guest runs on", cpu, (unsigned long long)n);
}

u64 irq_selftest_init(u32 cpu)
{
	const struct cpu *c = smp_cpu(cpu);

	if (!c)
		return 0;
	log_warn("selftest: sending CPU %u (running a guest) an INIT", cpu);
	/* The intercept and an #SX that may follow at STGI each count one. */
	return send_and_wait(c->apic_id, 0, false, true, 1);
}
