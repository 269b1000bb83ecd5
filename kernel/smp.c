/*
 * The CPUs of the machine (kernel/smp.h): the MADT's list, AP start-up by
 * INIT-SIPI-SIPI, the idle loop that runs posted work, and the wake-up IPI.
 * Spec: Intel SDM Vol. 3A section 9.4.4.1 (typical AP start-up: INIT,
 * 10 ms, SIPI, 200 us, SIPI), 11.6.1 (ICR); ACPI 6.5 section 5.2.12 (MADT).
 */
#define LOG_SUBSYS "smp"
#include "kernel/smp.h"
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "kernel/wait.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/mem.h"
#include "kernel/hw/smp.h"

#define INIT_DELAY_US           10000   /* SDM 9.4.4.1: 10 ms after INIT */
#define SIPI_DELAY_US           200     /* and 200 us after each SIPI */
/*
 * How long an AP gets to reach C. A real CPU takes microseconds; an
 * emulator's vCPU thread on a host with two cores busy with parallel
 * boots once took more than 100 ms. The wait ends at the answer, so
 * only a CPU that never answers costs the whole second.
 */
#define AP_ANSWER_US            1000000

static struct cpu cpus[SMP_MAX_CPUS];
static u32 nr_cpus, boot_index;
static u64 trampoline;          /* where smp_start_aps put the AP trampoline */

int smp_init(const struct acpi_info *acpi)
{
	u32 me = apic_id();

	nr_cpus = 0;
	boot_index = 0;
	for (u32 i = 0; i < acpi->nr_cpus; i++) {
		if (nr_cpus == SMP_MAX_CPUS) {
			log_warn("MADT lists %u CPUs; Sluice keeps the first %u", acpi->nr_cpus, SMP_MAX_CPUS);
			break;
		}
		struct cpu *c = &cpus[nr_cpus];
		c->self = c;
		c->index = nr_cpus;
		c->apic_id = acpi->cpus[i].apic_id;
		c->bsp = c->apic_id == me;
		c->state = acpi->cpus[i].enabled || acpi->cpus[i].online_capable ? CPU_OFFLINE : CPU_ABSENT;
		if (c->bsp) {
			c->state = CPU_IDLE;
			boot_index = nr_cpus;
		}
		nr_cpus++;
	}
	if (!nr_cpus || !cpus[boot_index].bsp) {
		/* No MADT, or one without the running CPU: Sluice still runs, on it alone. */
		log_warn("the boot CPU (APIC ID %u) is not in the MADT; running on it alone", me);
		boot_index = nr_cpus < SMP_MAX_CPUS ? nr_cpus : SMP_MAX_CPUS - 1;
		struct cpu *c = &cpus[boot_index];
		*c = (struct cpu){ .self = c, .index = boot_index, .apic_id = me, .bsp = true, .state = CPU_IDLE };
		nr_cpus = boot_index + 1;
	}
	smp_hw_cpu_setup(&cpus[boot_index]);
	return (int)nr_cpus;
}

struct cpu *smp_this_cpu(void)
{
	return smp_hw_this_cpu();
}

unsigned smp_this_index(void)
{
	const struct cpu *c = smp_this_cpu();
	return c ? c->index : 0;
}

struct cpu *smp_cpu(u32 index)
{
	if (index >= nr_cpus || cpus[index].state == CPU_ABSENT)
		return NULL;
	return &cpus[index];
}

u32 smp_nr_cpus(void)
{
	return nr_cpus;
}

u32 smp_boot_cpu(void)
{
	return boot_index;
}

static bool cpu_answered(void *arg)
{
	const struct cpu *c = arg;
	return c->state == CPU_IDLE;
}

/* INIT, SIPI, SIPI; then the AP has AP_ANSWER_US to reach smp_ap_main(). */
static int start_one(struct cpu *c, u64 trampoline_pa)
{
	u64 stack;
	int ret;
	/* A restart (smp_cpu_restart) reuses the stack: nothing on it is wanted any more. */
	if (!c->stack_top) {
		ret = page_alloc_pages(SMP_STACK_SIZE / PAGE_SIZE, PAGE_SIZE, &stack);
		if (ret)
			return ret;
		c->stack_top = (u64)(uintptr_t)phys_to_virt(stack, SMP_STACK_SIZE) + SMP_STACK_SIZE;
	}
	int vector = smp_hw_ap_prepare(trampoline_pa, c);
	if (vector < 0)
		return vector;
	ret = apic_send_init(c->apic_id);
	if (ret)
		return ret;
	udelay(INIT_DELAY_US);
	for (int i = 0; i < 2 && c->state != CPU_IDLE; i++) {
		ret = apic_send_startup(c->apic_id, (u8)vector);
		if (ret)
			return ret;
		udelay(SIPI_DELAY_US);
	}
	ret = wait_until(cpu_answered, c, AP_ANSWER_US);
	if (ret) {
		/* Back to wait-for-SIPI, so a late start cannot take the next AP's stack. */
		apic_send_init(c->apic_id);
	}
	return ret;
}

int smp_start_aps(u64 trampoline_pa)
{
	u32 online = 0, listed = 0;

	trampoline = trampoline_pa;
	for (u32 i = 0; i < nr_cpus; i++) {
		struct cpu *c = &cpus[i];
		if (c->state == CPU_ABSENT)
			continue;
		listed++;
		if (c->bsp) {
			log_info("CPU %u: APIC ID %u, boot CPU (Sluice's services)", i, c->apic_id);
			online++;
			continue;
		}
		int ret = start_one(c, trampoline_pa);
		if (ret) {
			c->state = CPU_OFFLINE;
			if (ret == -HV_ETIMEDOUT)
				log_err("CPU %u: APIC ID %u did not start (no answer within %u ms); left out", i, c->apic_id,
					AP_ANSWER_US / 1000);
			else
				log_err("CPU %u: APIC ID %u did not start (%s); left out", i, c->apic_id, hv_strerror(ret));
			continue;
		}
		log_info("CPU %u: APIC ID %u online", i, c->apic_id);
		online++;
	}
	log_info("%u of %u CPUs online", online, listed);
	return (int)online;
}

/* An AP's own work loop: halted until smp_run_on() posts something. */
static __noreturn void idle_loop(struct cpu *c)
{
	for (;;) {
		cpu_irq_save();
		void (*fn)(void *) = c->fn;
		if (!fn) {
			cpu_halt_until_irq();
			continue;
		}
		c->state = CPU_BUSY;
		cpu_irq_enable();
		fn(c->arg);
		cpu_irq_save();
		c->arg = NULL;
		c->fn = NULL;
		__atomic_store_n(&c->state, CPU_IDLE, __ATOMIC_RELEASE);
	}
}

void smp_ap_main(struct cpu *c)
{
	smp_hw_cpu_setup(c);
	int ret = apic_ap_enable();
	if (ret) {
		/* The boot CPU reports it as not answering. */
		cpu_halt_forever();
	}
	__atomic_store_n(&c->state, CPU_IDLE, __ATOMIC_RELEASE);
	idle_loop(c);
}

int smp_run_on(u32 index, void (*fn)(void *arg), void *arg)
{
	struct cpu *c = smp_cpu(index);

	if (!c)
		return -HV_ENOENT;
	if (c->bsp || (c->state != CPU_IDLE && c->state != CPU_BUSY))
		return -HV_ENODEV;
	if (c->state == CPU_BUSY || c->fn)
		return -HV_EBUSY;
	c->arg = arg;
	__atomic_store_n(&c->fn, fn, __ATOMIC_RELEASE);
	smp_kick(index);
	return 0;
}

void smp_kick(u32 index)
{
	const struct cpu *c = smp_cpu(index);

	if (!c || (c->state != CPU_IDLE && c->state != CPU_BUSY))
		return;
	int ret = apic_send_ipi(c->apic_id, SMP_WAKE_VECTOR);
	if (ret)
		log_warn("wake-up IPI to CPU %u (APIC ID %u) not sent: %s", index, c->apic_id, hv_strerror(ret));
}

void smp_kick_taken(void)
{
	struct cpu *c = smp_this_cpu();
	if (c)
		__atomic_add_fetch(&c->kicks_taken, 1, __ATOMIC_RELAXED);
}

struct answer { const struct cpu *c; u64 before; };

static bool kick_answered(void *arg)
{
	const struct answer *a = arg;
	return __atomic_load_n(&a->c->kicks_taken, __ATOMIC_RELAXED) != a->before;
}

int smp_cpu_answers(u32 index, u64 timeout_us)
{
	const struct cpu *c = smp_cpu(index);

	if (!c)
		return -HV_ENOENT;
	if (c->bsp || (c->state != CPU_IDLE && c->state != CPU_BUSY))
		return -HV_ENODEV;
	struct answer a = { c, __atomic_load_n(&c->kicks_taken, __ATOMIC_RELAXED) };
	smp_kick(index);
	return wait_until(kick_answered, &a, timeout_us);
}

int smp_cpu_restart(u32 index)
{
	struct cpu *c = smp_cpu(index);

	if (!c || c->bsp || !trampoline)
		return -HV_ENODEV;
	c->state = CPU_OFFLINE;
	c->fn = NULL;
	c->arg = NULL;
	c->vm = NULL;
	int ret = start_one(c, trampoline);
	if (ret) {
		c->state = CPU_OFFLINE;
		log_err("CPU %u: APIC ID %u did not restart (%s); left out", index, c->apic_id, hv_strerror(ret));
		return ret;
	}
	log_warn("CPU %u: APIC ID %u restarted, back in Sluice's idle loop", index, c->apic_id);
	return 0;
}

void smp_wait_until(bool (*done)(void *arg), void *arg)
{
	u64 flags = cpu_irq_save();
	while (!done(arg))
		cpu_halt_until_irq();
	cpu_irq_restore(flags);
}
