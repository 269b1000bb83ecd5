/*
 * Host tests for vm/part/limits.c: when the boot CPU asks a partition to stop
 * (its own time limit, the run's), that it asks once, kicks again and
 * gives up after the grace; and the DMA fault limit counted per device,
 * across drain passes, acting exactly at N. Two partitions: p1 on CPU 1
 * with two edu devices, p2 on CPU 2 with one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "vm/part/limits.h"
#include "vm/part/partition.h"
#include "kernel/err.h"
#include "pci/pci_hw.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_log.h"
#include "tests/fakes/fake_pci.h"

#define EDU_A           ((0u << 8) | (3u << 3))
#define EDU_B           ((0u << 8) | (4u << 3))
#define EDU_C           ((0u << 8) | (5u << 3))
#define MS              1000000ULL
#define T0              (5000 * MS)     /* when the partitions started */

/* Two distinct IOMMU domains: only their addresses matter. */
static char iommu_dom[2];
#define DOM1            ((struct iommu_domain *)&iommu_dom[0])
#define DOM2            ((struct iommu_domain *)&iommu_dom[1])

static struct partition_cfg d[2];
static struct partition_set ps;
static u32 kicks[4];

void smp_kick(u32 index)
{
	kicks[index]++;
}

static struct fake_fn *edu(u32 sbdf)
{
	struct fake_fn *f = fake_pci_add(sbdf, 0x1234, 0x11e8, 0x00ff00, 0);
	fake_pci_w16(f, PCI_COMMAND, PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	fake_pci_set_wmask(f, PCI_COMMAND, 2, 0x7);
	return f;
}

static int setup(void **state)
{
	(void)state;
	fake_hw_reset();
	fake_pci_reset();
	fake_log_capture();
	memset(kicks, 0, sizeof(kicks));
	memset(d, 0, sizeof(d));
	memset(&ps, 0, sizeof(ps));
	strcpy(d[0].name, "p1");
	d[0].nr_cpus = 1;
	d[0].cpus[0] = 1;
	d[0].nr_devices = 2;
	d[0].devices[0].sbdf = EDU_A;
	d[0].devices[1].sbdf = EDU_B;
	d[0].iommu = DOM1;
	strcpy(d[1].name, "p2");
	d[1].nr_cpus = 1;
	d[1].cpus[0] = 2;
	d[1].nr_devices = 1;
	d[1].devices[0].sbdf = EDU_C;
	d[1].iommu = DOM2;
	edu(EDU_A);
	edu(EDU_B);
	edu(EDU_C);
	ps.nr = 2;
	for (u32 i = 0; i < 2; i++) {
		ps.p[i].cfg = &d[i];
		ps.p[i].state = PART_RUNNING;
		ps.p[i].started = true;
		ps.p[i].start_ns = T0;
	}
	u32 p1_devs[] = { EDU_A, EDU_B };
	assert_int_equal(vpci_init(&ps.p[0].vpci, p1_devs, 2, 0xb0000000ULL, 0xff), 0);
	partition_limits_set(&ps);
	return 0;
}

static bool master_on(u32 sbdf)
{
	return fake_pci_r16(fake_pci_find(sbdf), PCI_COMMAND) & PCI_COMMAND_MASTER;
}

static void a_time_limit_is_due_from_the_partitions_start(void **state)
{
	(void)state;
	struct partition *p = &ps.p[0];
	d[0].time_limit_ms = 2000;
	assert_int_equal(partition_limit_due(p, T0 + 1999 * MS, 0), PART_STOP_NONE);
	assert_int_equal(partition_limit_due(p, T0 + 2000 * MS, 0), PART_STOP_TIME_LIMIT);
	/* p2 has no limit of its own. */
	assert_int_equal(partition_limit_due(&ps.p[1], T0 + 3600000 * MS, 0), PART_STOP_NONE);
	/* Only a partition that runs and was not asked yet. */
	p->state = PART_EXITED;
	assert_int_equal(partition_limit_due(p, T0 + 3000 * MS, 0), PART_STOP_NONE);
	p->state = PART_RUNNING;
	p->done = true;
	assert_int_equal(partition_limit_due(p, T0 + 3000 * MS, 0), PART_STOP_NONE);
	p->done = false;
	assert_true(partition_request_stop(p, PART_STOP_DMA_FAULTS, T0));
	assert_int_equal(partition_limit_due(p, T0 + 3000 * MS, 0), PART_STOP_NONE);
}

static void the_runs_limit_stops_every_partition_its_own_first(void **state)
{
	(void)state;
	u64 run_end = T0 + 10000 * MS;
	d[0].time_limit_ms = 20000;
	assert_int_equal(partition_limit_due(&ps.p[0], run_end - 1, run_end), PART_STOP_NONE);
	assert_int_equal(partition_limit_due(&ps.p[0], run_end, run_end), PART_STOP_RUN_LIMIT);
	assert_int_equal(partition_limit_due(&ps.p[1], run_end, run_end), PART_STOP_RUN_LIMIT);
	/* Both due: the partition's own limit is the reason it is stopped. */
	d[0].time_limit_ms = 10000;
	assert_int_equal(partition_limit_due(&ps.p[0], run_end, run_end), PART_STOP_TIME_LIMIT);
}

static void the_first_request_wins_and_kicks_the_partitions_cpu(void **state)
{
	(void)state;
	struct partition *p = &ps.p[1];
	assert_int_equal(partition_stop_pending(p), PART_STOP_NONE);
	assert_true(partition_request_stop(p, PART_STOP_TIME_LIMIT, T0));
	assert_int_equal(kicks[2], 1);
	assert_false(partition_request_stop(p, PART_STOP_DMA_FAULTS, T0 + MS));
	assert_int_equal(partition_stop_pending(p), PART_STOP_TIME_LIMIT);
	assert_int_equal(p->stop_request_ns, T0);
	assert_int_equal(kicks[2], 1);
}

static void a_poll_with_nothing_due_does_nothing(void **state)
{
	(void)state;
	d[1].time_limit_ms = 1000;
	ps.p[1].state = PART_EXITED;            /* ended: its limit no longer matters */
	assert_int_equal(partition_limits_poll(&ps, T0 + 5000 * MS, 0), 0);
	assert_int_equal(partition_stop_pending(&ps.p[0]), PART_STOP_NONE);
	assert_int_equal(partition_stop_pending(&ps.p[1]), PART_STOP_NONE);
	assert_int_equal(kicks[1] + kicks[2], 0);
}

static void a_poll_asks_once_kicks_again_then_gives_up(void **state)
{
	(void)state;
	d[0].time_limit_ms = 2000;
	assert_int_equal(partition_limits_poll(&ps, T0 + 1000 * MS, 0), 0);
	assert_int_equal(kicks[1], 0);
	assert_int_equal(partition_limits_poll(&ps, T0 + 2003 * MS, 0), 0);
	assert_int_equal(kicks[1], 1);
	assert_int_equal(partition_stop_pending(&ps.p[0]), PART_STOP_TIME_LIMIT);
	assert_true(fake_log_has("INFO part: p1: time limit 2s reached after 2003 ms: asking CPU 1 to stop it"));
	/* Still running at the next look: kicked again (a kick may land while its CPU is in Sluice), asked once. */
	assert_int_equal(partition_limits_poll(&ps, T0 + 2013 * MS, 0), 0);
	assert_int_equal(kicks[1], 2);
	assert_int_equal(fake_log_count("asking CPU 1"), 1);
	assert_int_equal(kicks[2], 0);
	/* Past the grace: the run ends without it. */
	assert_int_equal(partition_limits_poll(&ps, T0 + (2003 + LIMITS_STOP_GRACE_MS) * MS, 0), -HV_ETIMEDOUT);
	assert_true(fake_log_has("ERR  part: p1: still running 2000 ms after it was asked to stop; the run ends without it"));
	/* Once it has ended nothing more is asked or kicked. */
	ps.p[0].state = PART_STOPPED;
	ps.p[0].done = true;
	u32 before = kicks[1];
	assert_int_equal(partition_limits_poll(&ps, T0 + 9000 * MS, 0), 0);
	assert_int_equal(kicks[1], before);
}

/* A stop asked (by the fault interrupt) after the poll read the clock has waited no time at all. */
static void a_stop_asked_after_the_polls_clock_is_not_overdue(void **state)
{
	(void)state;
	assert_true(partition_request_stop(&ps.p[0], PART_STOP_DMA_FAULTS, T0 + 5000 * MS));
	assert_int_equal(partition_limits_poll(&ps, T0 + 4999 * MS, 0), 0);
	assert_false(fake_log_has("still running"));
	assert_int_equal(partition_limits_poll(&ps, T0 + (5000 + LIMITS_STOP_GRACE_MS) * MS, 0), -HV_ETIMEDOUT);
}

static void the_run_limit_asks_every_running_partition(void **state)
{
	(void)state;
	ps.p[1].state = PART_HALTED;
	assert_int_equal(partition_limits_poll(&ps, T0 + 60000 * MS, T0 + 60000 * MS), 0);
	assert_int_equal(partition_stop_pending(&ps.p[0]), PART_STOP_RUN_LIMIT);
	assert_int_equal(partition_stop_pending(&ps.p[1]), PART_STOP_NONE);
	assert_int_equal(kicks[1], 1);
	assert_int_equal(kicks[2], 0);
	assert_true(fake_log_has("p1: the run's time limit reached (command line time-limit=) after 60000 ms"));
}

static void quit_asks_every_running_partition_to_stop(void **state)
{
	(void)state;
	ps.p[1].state = PART_HALTED;
	assert_int_equal(partitions_request_quit(&ps, T0 + MS), 1);
	assert_int_equal(partition_stop_pending(&ps.p[0]), PART_STOP_QUIT);
	assert_int_equal(partition_stop_pending(&ps.p[1]), PART_STOP_NONE);
	assert_int_equal(kicks[1], 1);
	assert_true(fake_log_has("part: quit: asking 1 running partition(s) to stop\n"));
	char t[96];
	partition_stop_text(&ps.p[0], PART_STOP_QUIT, t, sizeof(t));
	assert_string_equal(t, "stopped by the operator (console quit)");
}

static void an_operators_request_waits_for_its_bsp_one_at_a_time(void **state)
{
	(void)state;
	struct partition *p = &ps.p[0];
	u64 gpa = 1;
	assert_int_equal(partition_op_pending(p, &gpa), PART_OP_NONE);
	assert_int_equal(partition_request_op(p, PART_OP_REMAP, 0x200000), 0);
	assert_int_equal(kicks[1], 1);
	assert_int_equal(partition_request_op(p, PART_OP_PARK, 0), -HV_EBUSY);   /* the first is not done */
	assert_int_equal(partition_op_pending(p, &gpa), PART_OP_REMAP);
	assert_int_equal(gpa, 0x200000);
	assert_int_equal(partition_op_pending(p, &gpa), PART_OP_REMAP);          /* still asked until done */
	partition_op_done(p);
	assert_int_equal(partition_op_pending(p, &gpa), PART_OP_NONE);
	assert_int_equal(partition_request_op(p, PART_OP_RESTART, 0), 0);
	assert_int_equal(kicks[1], 2);
	partition_op_done(p);
	/* Not running, or asked to stop: refused, nothing kicked. */
	assert_true(partition_request_stop(p, PART_STOP_QUIT, T0));
	assert_int_equal(partition_request_op(p, PART_OP_PARK, 0), -HV_EPERM);
	ps.p[1].state = PART_PARKED;
	assert_int_equal(partition_request_op(&ps.p[1], PART_OP_PARK, 0), -HV_EPERM);
	assert_int_equal(kicks[2], 0);
}

static void stop_texts_say_why(void **state)
{
	(void)state;
	char t[128];
	d[0].time_limit_ms = 1500;
	partition_stop_text(&ps.p[0], PART_STOP_TIME_LIMIT, t, sizeof(t));
	assert_string_equal(t, "time limit 1500ms reached");
	/* Whether that end was expected is the end check's (test_expect.c), not the text's. */
	d[0].expect = PART_EXPECT_TIME_LIMIT;
	partition_stop_text(&ps.p[0], PART_STOP_TIME_LIMIT, t, sizeof(t));
	assert_string_equal(t, "time limit 1500ms reached");
	partition_stop_text(&ps.p[0], PART_STOP_RUN_LIMIT, t, sizeof(t));
	assert_string_equal(t, "the run's time limit reached (command line time-limit=)");
	d[0].dma_fault_limit = 20;
	ps.p[0].fault_sbdf = EDU_B;
	partition_stop_text(&ps.p[0], PART_STOP_DMA_FAULTS, t, sizeof(t));
	assert_string_equal(t, "device 00:04.0 reached its DMA fault limit (dma-fault-limit = 20)");
}

static void the_limit_is_reached_exactly_once_at_n(void **state)
{
	(void)state;
	u64 count = 0;
	for (u32 i = 1; i < 5; i++)
		assert_false(dma_fault_limit_reached(&count, 5));
	assert_true(dma_fault_limit_reached(&count, 5));
	for (u32 i = 0; i < 100; i++)
		assert_false(dma_fault_limit_reached(&count, 5));
	assert_int_equal(count, 105);
	/* 0: no limit; the faults are still counted. */
	count = 0;
	for (u32 i = 0; i < 100; i++)
		assert_false(dma_fault_limit_reached(&count, 0));
	assert_int_equal(count, 100);
	/* 1: the first fault. */
	count = 0;
	assert_true(dma_fault_limit_reached(&count, 1));
}

/* Faults of p1's two devices and p2's, interleaved as drain passes would deliver them. */
static void faults_are_counted_per_device_across_drain_passes(void **state)
{
	(void)state;
	d[0].dma_fault_limit = 3;
	d[1].dma_fault_limit = 3;
	/* Pass 1: A, B, C; pass 2: A, B; nobody at 3 yet for B and C. */
	partition_dma_fault(DOM1, EDU_A);
	partition_dma_fault(DOM1, EDU_B);
	partition_dma_fault(DOM2, EDU_C);
	partition_dma_fault(DOM1, EDU_A);
	partition_dma_fault(DOM1, EDU_B);
	assert_true(master_on(EDU_A));
	assert_int_equal(partition_stop_pending(&ps.p[0]), PART_STOP_NONE);
	assert_int_equal(kicks[1], 0);
	/* Pass 3: A's third fault is its limit: A stops, B does not, p1 is asked to stop. */
	partition_dma_fault(DOM1, EDU_A);
	assert_false(master_on(EDU_A));
	assert_true(master_on(EDU_B));
	assert_true(master_on(EDU_C));
	assert_int_equal(partition_stop_pending(&ps.p[0]), PART_STOP_DMA_FAULTS);
	assert_int_equal(ps.p[0].fault_sbdf, EDU_A);
	assert_int_equal(kicks[1], 1);
	assert_true(fake_log_has("WARN p1: device 00:03.0: 3 DMA faults (dma-fault-limit = 3): bus mastering off (command 0x0002)"));
	/* The guest cannot turn A's bus mastering on again; B's it still can. */
	vpci_write(&ps.p[0].vpci, EDU_A, PCI_COMMAND, 2, PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	assert_false(master_on(EDU_A));
	vpci_write(&ps.p[0].vpci, EDU_B, PCI_COMMAND, 2, PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	assert_true(master_on(EDU_B));
	assert_int_equal(ps.p[0].dev_faults[0], 3);
	assert_int_equal(ps.p[0].dev_faults[1], 2);
	assert_int_equal(ps.p[1].dev_faults[0], 1);
	/* More faults from A (DMA in flight) are counted, nothing is asked again. */
	partition_dma_fault(DOM1, EDU_A);
	assert_int_equal(ps.p[0].dev_faults[0], 4);
	assert_int_equal(kicks[1], 1);
	assert_int_equal(fake_log_count("bus mastering off"), 1);
	/* B reaches the limit too: its bus mastering goes off, p1's request stays A's. */
	partition_dma_fault(DOM1, EDU_B);
	assert_false(master_on(EDU_B));
	assert_int_equal(ps.p[0].fault_sbdf, EDU_A);
	assert_int_equal(kicks[1], 1);
	/* p2 is untouched. */
	assert_int_equal(partition_stop_pending(&ps.p[1]), PART_STOP_NONE);
	assert_int_equal(kicks[2], 0);
}

/* The watchdog kicks only a running partition that made no exit since its last look, outside an I/O loop. */
static void the_watchdog_kicks_only_quiet_partitions(void **state)
{
	(void)state;
	struct partition *p = &ps.p[0];
	p->io_loop_start = ~0ULL;
	assert_false(partition_watchdog_quiet(p, 5));   /* 0 -> 5 exits: alive */
	assert_true(partition_watchdog_quiet(p, 5));    /* none since: kick it */
	assert_false(partition_watchdog_quiet(p, 6));
	p->io_loop_start = 6;                           /* a marked I/O loop: its exits are counted */
	assert_false(partition_watchdog_quiet(p, 6));
	p->io_loop_start = ~0ULL;
	assert_true(partition_watchdog_quiet(p, 6));
	p->state = PART_PARKED;
	assert_false(partition_watchdog_quiet(p, 6));
	p->state = PART_RUNNING;
	p->done = true;
	assert_false(partition_watchdog_quiet(p, 6));
	p->done = false;
	p->started = false;
	assert_false(partition_watchdog_quiet(p, 6));
}

static void faults_of_unknown_domains_or_with_no_limit_change_nothing(void **state)
{
	(void)state;
	char other;
	d[0].dma_fault_limit = 1;
	partition_dma_fault((struct iommu_domain *)&other, EDU_A);
	assert_int_equal(ps.p[0].dev_faults[0], 0);
	assert_true(master_on(EDU_A));
	/* A requester of the domain that is none of its devices: nothing to stop. */
	partition_dma_fault(DOM1, EDU_C);
	assert_int_equal(partition_stop_pending(&ps.p[0]), PART_STOP_NONE);
	d[1].dma_fault_limit = 0;
	for (u32 i = 0; i < 1000; i++)
		partition_dma_fault(DOM2, EDU_C);
	assert_true(master_on(EDU_C));
	assert_int_equal(ps.p[1].dev_faults[0], 1000);
	assert_int_equal(partition_stop_pending(&ps.p[1]), PART_STOP_NONE);
	/* A partition that already ended: the device still stops, no request. */
	ps.p[0].state = PART_PARKED;
	partition_dma_fault(DOM1, EDU_A);
	assert_false(master_on(EDU_A));
	assert_int_equal(partition_stop_pending(&ps.p[0]), PART_STOP_NONE);
	assert_int_equal(kicks[1], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(a_time_limit_is_due_from_the_partitions_start, setup),
		cmocka_unit_test_setup(the_runs_limit_stops_every_partition_its_own_first, setup),
		cmocka_unit_test_setup(the_first_request_wins_and_kicks_the_partitions_cpu, setup),
		cmocka_unit_test_setup(a_poll_with_nothing_due_does_nothing, setup),
		cmocka_unit_test_setup(a_poll_asks_once_kicks_again_then_gives_up, setup),
		cmocka_unit_test_setup(the_run_limit_asks_every_running_partition, setup),
		cmocka_unit_test_setup(stop_texts_say_why, setup),
		cmocka_unit_test_setup(quit_asks_every_running_partition_to_stop, setup),
		cmocka_unit_test_setup(an_operators_request_waits_for_its_bsp_one_at_a_time, setup),
		cmocka_unit_test_setup(the_limit_is_reached_exactly_once_at_n, setup),
		cmocka_unit_test_setup(faults_are_counted_per_device_across_drain_passes, setup),
		cmocka_unit_test_setup(faults_of_unknown_domains_or_with_no_limit_change_nothing, setup),
		cmocka_unit_test_setup(the_watchdog_kicks_only_quiet_partitions, setup),
		cmocka_unit_test_setup(a_stop_asked_after_the_polls_clock_is_not_overdue, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
