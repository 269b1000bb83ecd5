/*
 * Host tests for kernel/smp.c: the CPU list from the MADT, the INIT-SIPI-SIPI
 * sequence per AP (SDM 9.4.4.1), an AP that never answers (logged, left
 * out, sent back to wait-for-SIPI), and smp_run_on()'s refusals. The APIC
 * and the trampoline door are fakes: an AP "reaches C" when the fake SIPI
 * marks its struct cpu idle, as smp_ap_main() would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "kernel/smp.h"
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/err.h"
#include "kernel/page_alloc.h"
#include "kernel/memmap.h"
#include "kernel/hw/smp.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_log.h"

#define TRAMPOLINE      0x9e000ULL

/* ---- fake local APIC: records every IPI ---- */
enum ipi_kind { IPI_INIT, IPI_SIPI, IPI_FIXED };
static struct { enum ipi_kind kind; u32 dest; u8 vector; } ipis[64];
static unsigned nr_ipis;
static u32 my_apic_id;
static u64 deaf_apic_ids;       /* APs that never reach C */
static u32 sipis_before_answer = 1;
static struct cpu *prepared;    /* smp_hw_ap_prepare's current AP */
static struct cpu *current;

u32 apic_id(void) { return my_apic_id; }
int apic_ap_enable(void) { return 0; }

static void record(enum ipi_kind k, u32 dest, u8 vector)
{
	assert_true(nr_ipis < 64);
	ipis[nr_ipis].kind = k;
	ipis[nr_ipis].dest = dest;
	ipis[nr_ipis].vector = vector;
	nr_ipis++;
}

static unsigned count(enum ipi_kind k, u32 dest)
{
	unsigned n = 0;
	for (unsigned i = 0; i < nr_ipis; i++)
		n += ipis[i].kind == k && ipis[i].dest == dest;
	return n;
}

int apic_send_init(u32 dest) { record(IPI_INIT, dest, 0); return 0; }
static u64 reset_apic_ids;      /* CPUs an INIT reset: they take no interrupt until started again */

/* A kick reaches a CPU that takes interrupts: its handler runs there, as the wake vector's does. */
int apic_send_ipi(u32 dest, u8 vector)
{
	record(IPI_FIXED, dest, vector);
	for (u32 i = 0; vector == SMP_WAKE_VECTOR && i < smp_nr_cpus(); i++) {
		struct cpu *c = smp_cpu(i);
		if (c && c->apic_id == dest && !(reset_apic_ids & BIT_ULL(dest)))
			c->kicks_taken++;
	}
	return 0;
}

int apic_send_startup(u32 dest, u8 page)
{
	record(IPI_SIPI, dest, page);
	assert_non_null(prepared);
	assert_int_equal(prepared->apic_id, dest);
	if (!(deaf_apic_ids & BIT_ULL(dest)) && count(IPI_SIPI, dest) >= sipis_before_answer)
		prepared->state = CPU_IDLE;
	return 0;
}

/* ---- fake trampoline door ---- */
int smp_hw_ap_prepare(u64 low_pa, struct cpu *c)
{
	assert_int_equal(low_pa, TRAMPOLINE);
	assert_true(c->stack_top != 0);
	prepared = c;
	return (int)(low_pa >> 12);
}

void smp_hw_cpu_setup(struct cpu *c) { current = c; }
struct cpu *smp_hw_this_cpu(void) { return current; }
void cpu_halt_until_irq(void) { }

static struct acpi_info madt;

static void work(void *arg) { (void)arg; }

static void add_cpu(u32 apic, bool enabled, bool online_capable)
{
	struct acpi_cpu *c = &madt.cpus[madt.nr_cpus++];
	c->apic_id = apic;
	c->enabled = enabled;
	c->online_capable = online_capable;
}

static int setup(void **state)
{
	static struct memmap mm;
	(void)state;
	fake_hw_reset();
	fake_time_step_ns = 1000;
	memset(&madt, 0, sizeof(madt));
	memset(ipis, 0, sizeof(ipis));
	nr_ipis = 0;
	my_apic_id = 0;
	deaf_apic_ids = 0;
	reset_apic_ids = 0;
	sipis_before_answer = 1;
	prepared = NULL;
	current = NULL;
	/* Stacks come from the allocator: give it 16 MiB of RAM. */
	mm.nr = 1;
	mm.e[0] = (struct boot_mmap_entry){ .base = 0x1000000, .size = 16 * MiB, .type = BOOT_MEM_USABLE };
	assert_int_equal(page_alloc_init(&mm), 0);
	fake_log_capture();
	return 0;
}

static void cpu_list_from_madt(void **state)
{
	(void)state;
	add_cpu(0, true, false);
	add_cpu(2, true, false);
	add_cpu(4, false, false);       /* disabled, not online-capable: absent */
	add_cpu(6, false, true);        /* online-capable: listed, offline until started */
	my_apic_id = 2;
	assert_int_equal(smp_init(&madt), 4);
	assert_int_equal(smp_boot_cpu(), 1);
	assert_ptr_equal(smp_this_cpu(), smp_cpu(1));
	assert_true(smp_cpu(1)->bsp);
	assert_int_equal(smp_cpu(1)->state, CPU_IDLE);
	assert_int_equal(smp_cpu(0)->state, CPU_OFFLINE);
	assert_null(smp_cpu(2));
	assert_int_equal(smp_cpu(3)->apic_id, 6);
	assert_null(smp_cpu(4));
	assert_ptr_equal(smp_cpu(3)->self, smp_cpu(3));
}

static void boot_cpu_not_listed(void **state)
{
	(void)state;
	add_cpu(1, true, false);
	my_apic_id = 7;
	assert_int_equal(smp_init(&madt), 2);
	assert_int_equal(smp_boot_cpu(), 1);
	assert_int_equal(smp_cpu(1)->apic_id, 7);
	assert_true(fake_log_has("not in the MADT"));
}

static void too_many_cpus(void **state)
{
	(void)state;
	for (u32 i = 0; i < SMP_MAX_CPUS + 3; i++)
		add_cpu(i, true, false);
	assert_int_equal(smp_init(&madt), SMP_MAX_CPUS);
	assert_true(fake_log_has("Sluice keeps the first 16"));
}

static void init_sipi_sequence(void **state)
{
	(void)state;
	add_cpu(0, true, false);
	add_cpu(1, true, false);
	add_cpu(3, true, false);
	smp_init(&madt);
	/* Each AP answers the first SIPI: no second one. */
	assert_int_equal(smp_start_aps(TRAMPOLINE), 3);
	assert_int_equal(ipis[0].kind, IPI_INIT);
	assert_int_equal(ipis[0].dest, 1);
	assert_int_equal(ipis[1].kind, IPI_SIPI);
	assert_int_equal(ipis[1].vector, TRAMPOLINE >> 12);
	assert_int_equal(count(IPI_SIPI, 1), 1);
	assert_int_equal(count(IPI_INIT, 0), 0);        /* never the boot CPU */
	assert_true(fake_log_has("smp: CPU 0: APIC ID 0, boot CPU"));
	assert_true(fake_log_has("smp: CPU 2: APIC ID 3 online"));
	assert_true(fake_log_has("smp: 3 of 3 CPUs online"));
}

/* An AP an INIT reset under its work: it stops answering kicks, and a restart brings it back idle. */
static void reset_cpu_does_not_answer_and_is_restarted(void **state)
{
	(void)state;
	add_cpu(0, true, false);
	add_cpu(2, true, false);
	smp_init(&madt);
	assert_int_equal(smp_start_aps(TRAMPOLINE), 2);
	struct cpu *c = smp_cpu(1);
	u64 stack = c->stack_top;
	c->state = CPU_BUSY;
	c->fn = work;
	assert_int_equal(smp_cpu_answers(1, 1000), 0);
	reset_apic_ids = BIT_ULL(2);
	assert_int_equal(smp_cpu_answers(1, 1000), -HV_ETIMEDOUT);
	unsigned inits = count(IPI_INIT, 2), sipis = count(IPI_SIPI, 2);
	assert_int_equal(smp_cpu_restart(1), 0);
	reset_apic_ids = 0;
	assert_int_equal(count(IPI_INIT, 2), inits + 1);
	assert_int_equal(count(IPI_SIPI, 2), sipis + 1);
	assert_int_equal(c->state, CPU_IDLE);
	assert_null(c->fn);
	assert_int_equal(c->stack_top, stack);          /* the same stack, nothing allocated */
	assert_true(fake_log_has("WARN smp: CPU 1: APIC ID 2 restarted, back in Sluice's idle loop"));
	assert_int_equal(smp_cpu_answers(1, 1000), 0);
	/* The boot CPU is never restarted; nor is an AP that never answers. */
	assert_int_equal(smp_cpu_restart(0), -HV_ENODEV);
	deaf_apic_ids = BIT_ULL(2);
	assert_int_equal(smp_cpu_restart(1), -HV_ETIMEDOUT);
	assert_int_equal(c->state, CPU_OFFLINE);
	assert_true(fake_log_has("ERR  smp: CPU 1: APIC ID 2 did not restart"));
	assert_int_equal(smp_cpu_answers(1, 1000), -HV_ENODEV);
}

static void second_sipi_when_needed(void **state)
{
	(void)state;
	add_cpu(0, true, false);
	add_cpu(5, true, false);
	smp_init(&madt);
	sipis_before_answer = 2;
	assert_int_equal(smp_start_aps(TRAMPOLINE), 2);
	assert_int_equal(count(IPI_SIPI, 5), 2);
	assert_int_equal(count(IPI_INIT, 5), 1);
}

static void deaf_ap_left_out(void **state)
{
	(void)state;
	add_cpu(0, true, false);
	add_cpu(1, true, false);
	add_cpu(2, true, false);
	smp_init(&madt);
	deaf_apic_ids = BIT_ULL(1);
	assert_int_equal(smp_start_aps(TRAMPOLINE), 2);
	assert_int_equal(smp_cpu(1)->state, CPU_OFFLINE);
	assert_int_equal(smp_cpu(2)->state, CPU_IDLE);
	assert_int_equal(count(IPI_SIPI, 1), 2);
	assert_int_equal(count(IPI_INIT, 1), 2);        /* start, then back to wait-for-SIPI */
	assert_true(fake_log_has("smp: CPU 1: APIC ID 1 did not start (no answer within 1000 ms); left out"));
	assert_true(fake_log_has("smp: 2 of 3 CPUs online"));
	/* Nothing can be run on it, and a kick sends nothing. */
	assert_int_equal(smp_run_on(1, work, NULL), -HV_ENODEV);
	unsigned before = nr_ipis;
	smp_kick(1);
	assert_int_equal(nr_ipis, before);
}

static void run_on_rules(void **state)
{
	(void)state;
	add_cpu(0, true, false);
	add_cpu(9, true, false);
	smp_init(&madt);
	assert_int_equal(smp_start_aps(TRAMPOLINE), 2);
	assert_int_equal(smp_run_on(5, work, NULL), -HV_ENOENT);
	assert_int_equal(smp_run_on(0, work, NULL), -HV_ENODEV);       /* the boot CPU keeps its services */
	unsigned before = nr_ipis;
	int arg;
	assert_int_equal(smp_run_on(1, work, &arg), 0);
	assert_ptr_equal(smp_cpu(1)->fn, work);
	assert_ptr_equal(smp_cpu(1)->arg, &arg);
	assert_int_equal(nr_ipis, before + 1);
	assert_int_equal(ipis[before].kind, IPI_FIXED);
	assert_int_equal(ipis[before].dest, 9);
	assert_int_equal(ipis[before].vector, SMP_WAKE_VECTOR);
	assert_int_equal(smp_run_on(1, work, NULL), -HV_EBUSY);
	smp_cpu(1)->fn = NULL;
	smp_cpu(1)->state = CPU_BUSY;
	assert_int_equal(smp_run_on(1, work, NULL), -HV_EBUSY);
}

static bool after_three(void *arg)
{
	int *n = arg;
	return ++*n >= 3;
}

static void wait_until_rechecks(void **state)
{
	(void)state;
	int n = 0;
	fake_irq_on = true;
	smp_wait_until(after_three, &n);
	assert_int_equal(n, 3);
	assert_true(fake_irq_on);       /* interrupts as they were */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(cpu_list_from_madt, setup),
		cmocka_unit_test_setup(boot_cpu_not_listed, setup),
		cmocka_unit_test_setup(too_many_cpus, setup),
		cmocka_unit_test_setup(init_sipi_sequence, setup),
		cmocka_unit_test_setup(reset_cpu_does_not_answer_and_is_restarted, setup),
		cmocka_unit_test_setup(second_sipi_when_needed, setup),
		cmocka_unit_test_setup(deaf_ap_left_out, setup),
		cmocka_unit_test_setup(run_on_rules, setup),
		cmocka_unit_test_setup(wait_until_rechecks, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
