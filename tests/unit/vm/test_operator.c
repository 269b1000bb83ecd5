/*
 * The operator's commands (vm/part/operator.c) run through the console's
 * runner: lspci's owners, partitions' memory map, walk's arguments, and
 * park/restart/remap turned into requests for the partition's BSP (its
 * CPU kicked, the console busy until the request is done), refused for
 * names that do not exist or partitions that do not run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "vm/part/operator.h"
#include "vm/part/partition.h"
#include "vm/part/limits.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "tests/unit/pci/pci_topo.h"
#include "tests/fakes/fake_hw.h"

static struct partition_cfg d[2];
static struct partition_set ps;
static struct operator op;
static struct console_env env;
static u32 kicks[4];
static struct { u32 sbdf; u64 iova; bool write; unsigned calls; } walked;
static unsigned units_logged, counters_logged;
static const char *input;

/* Doubles for what the commands call beyond this test's sources. */
void smp_kick(u32 index)
{
	kicks[index]++;
}

void partition_log_counters(struct partition *p)
{
	(void)p;
	counters_logged++;
}

u64 iommu_domain_faults(const struct iommu_domain *dom)
{
	(void)dom;
	return 3;
}

void iommu_domain_fault_counts(const struct iommu_domain *dom, u64 *logged, u64 *suppressed)
{
	(void)dom;
	*logged = 2;
	*suppressed = 1;
}

static int fake_walk(u32 sbdf, u64 iova, bool write)
{
	walked.sbdf = sbdf;
	walked.iova = iova;
	walked.write = write;
	walked.calls++;
	return 0;
}

static void fake_log_units(void)
{
	units_logged++;
}

static const struct iommu_ops iommu = { .name = "fake", .walk = fake_walk, .log_units = fake_log_units };

static int fake_getc(void)
{
	return *input ? (u8)*input++ : -1;
}

static int setup(void **state)
{
	(void)state;
	topo_reset();
	fake_hw_reset();
	memset(kicks, 0, sizeof(kicks));
	memset(&walked, 0, sizeof(walked));
	units_logged = counters_logged = 0;
	memset(d, 0, sizeof(d));
	memset(&ps, 0, sizeof(ps));
	topo_ep(S(0, 3, 0), 0x1234, 0x11e8, 0);
	topo_ep(S(0, 4, 0), 0x1234, 0x11e8, 0);
	assert_int_equal(pci_scan(), 2);
	for (u32 i = 0; i < 2; i++) {
		strcpy(d[i].name, i ? "p2" : "p1");
		strcpy(d[i].image, "spin");
		d[i].guest = true;
		d[i].nr_cpus = 1;
		d[i].cpus[0] = i + 1;
		d[i].nr_regions = 1;
		d[i].regions[0] = (struct part_region){ .gpa = 0, .hpa = 0x400000 + i * 0x800000, .size = 0x800000,
							 .prot = IOMMU_READ | IOMMU_WRITE };
		d[i].nr_devices = 1;
		d[i].devices[0].sbdf = S(0, 3 + i, 0);
		d[i].dma_fault_limit = 100;
		ps.p[i].cfg = &d[i];
		ps.p[i].nr_vcpus = 1;
		ps.p[i].state = PART_RUNNING;
		ps.p[i].started = true;
	}
	ps.nr = 2;
	op = (struct operator){ .ps = &ps, .iommu = &iommu, .dmar = NULL, .attached = NULL, .draining = NULL };
	operator_console_env(&env, &op, fake_getc);
	fake_log_capture();
	return 0;
}

static void lspci_names_each_functions_owner(void **state)
{
	(void)state;
	console_exec(&env, "lspci");
	assert_true(fake_log_has("INFO console: lspci: 00:03.0 Ethernet controller [0200]: Device [1234:11e8]\n"
				 "c0 INFO console: lspci: \tIOMMU group: 1\n"
				 "c0 INFO console: lspci: \tPartition: p1\n"
				 "c0 INFO console: lspci: 00:04.0 Ethernet controller [0200]: Device [1234:11e8]\n"
				 "c0 INFO console: lspci: \tIOMMU group: 2\n"
				 "c0 INFO console: lspci: \tPartition: p2\n"));
	d[1].nr_devices = 0;
	console_exec(&env, "lspci");
	assert_true(fake_log_has("lspci: \tIOMMU group: 2\nc0 INFO console: lspci: \tPartition: none\n"));
	console_exec(&env, "lspci now");
	assert_true(fake_log_has("WARN console: usage: lspci\n"));
}

static void partitions_shows_the_memory_map_and_counters(void **state)
{
	(void)state;
	ps.p[1].state = PART_PARKED;
	strcpy(ps.p[1].why, "parked by the operator (console park)");
	console_exec(&env, "partitions");
	assert_true(fake_log_has("INFO map: partition name=p1 state=running cpus=1 regions=1 devices=1 restarts=0\n"));
	assert_true(fake_log_has("INFO map: region part=p1 gpa=0x0000000000000000 hpa=0x0000000000400000 size=0x800000 perm=rw rmrr=no\n"));
	assert_true(fake_log_has("INFO map: device bdf=00:03.0 kind=fn ats=off part=p1 unit=none\n"));
	assert_true(fake_log_has("INFO map: partition name=p2 state=parked cpus=2 regions=1 devices=1 restarts=0\n"));
	assert_true(fake_log_has("INFO console: p2: parked: parked by the operator (console park)\n"));
	assert_false(fake_log_has("console: p1: running"));     /* no reason: no line */
	assert_int_equal(counters_logged, 2);
	/* map: the whole machine, the same lines with the CPUs first. */
	op.map = (struct map_machine){ .nr_cpus = 3, .boot_cpu = 0, .cpus_online = 7, .ps = &ps };
	console_exec(&env, "map");
	assert_true(fake_log_has("INFO map: cpu id=0 online=yes owner=sluice\n"));
}

static void walk_checks_its_words_before_the_iommu_sees_them(void **state)
{
	(void)state;
	console_exec(&env, "walk 00:03.0 0x1000 w");
	console_exec(&env, "iommu walk 00:04.0 4096 r");
	assert_int_equal(walked.calls, 2);
	assert_int_equal(walked.sbdf, S(0, 4, 0));
	assert_false(walked.write);
	console_exec(&env, "walk 00:03.0 0x1000 x");
	console_exec(&env, "walk 0:3 0x1000 r");
	console_exec(&env, "walk 00:03.0 zz r");
	assert_int_equal(walked.calls, 2);
	assert_int_equal(fake_log_count("WARN console: usage: walk [SSSS:]BB:DD.F IOVA r|w\n"), 3);
	op.iommu = NULL;
	console_exec(&env, "walk 00:03.0 0x1000 r");
	assert_true(fake_log_has("no IOMMU is translating: nothing to walk"));
	console_exec(&env, "units");
	assert_true(fake_log_has("no IOMMU came up"));
	console_exec(&env, "dmar");
	assert_true(fake_log_has("no DMAR table"));
	assert_int_equal(units_logged, 0);
}

static void park_is_asked_of_the_partitions_own_cpu(void **state)
{
	(void)state;
	input = "park p2\nrestart p1\n";
	struct console c;
	console_open(&c, &env);
	assert_false(console_poll(&c));
	/* park asked, CPU 2 kicked; restart not read while the park is not done. */
	assert_true(fake_log_has("console: p2: asking CPU 2 to park it\n"));
	u64 gpa;
	assert_int_equal(partition_op_pending(&ps.p[1], &gpa), PART_OP_PARK);
	assert_int_equal(partition_op_pending(&ps.p[0], &gpa), PART_OP_NONE);
	assert_string_equal(input, "restart p1\n");
	assert_false(console_poll(&c));
	assert_true(kicks[2] >= 2);     /* kicked again while busy */
	partition_op_done(&ps.p[1]);
	assert_false(console_poll(&c));
	assert_int_equal(partition_op_pending(&ps.p[0], &gpa), PART_OP_RESTART);
	assert_true(kicks[1] >= 1);
}

static void a_request_its_partition_never_takes_is_dropped(void **state)
{
	(void)state;
	assert_int_equal(console_exec(&env, "remap p1 0x0"), 0);
	u64 gpa = 1;
	assert_int_equal(partition_op_pending(&ps.p[0], &gpa), PART_OP_REMAP);
	assert_int_equal(gpa, 0);
	ps.p[0].state = PART_PARKED;            /* parked by a fault meanwhile; its thread ends */
	ps.p[0].done = true;
	assert_false(env.busy(env.ctx));
	assert_int_equal(partition_op_pending(&ps.p[0], &gpa), PART_OP_NONE);
	assert_true(fake_log_has("WARN console: p1: ended (parked) before it took the request\n"));
}

static void bad_names_and_stopped_partitions_are_refused(void **state)
{
	(void)state;
	u64 gpa;
	console_exec(&env, "park p9");
	assert_true(fake_log_has("WARN console: no partition named 'p9' (partitions lists them)\n"));
	console_exec(&env, "remap p1 nowhere");
	assert_true(fake_log_has("WARN console: usage: remap NAME GPA\n"));
	console_exec(&env, "restart");
	assert_true(fake_log_has("WARN console: usage: restart NAME\n"));
	ps.p[1].state = PART_PARKED;
	console_exec(&env, "restart p2");
	assert_true(fake_log_has("WARN console: p2 is parked, not running: nothing to restart\n"));
	ps.p[0].nr_vcpus = 2;
	console_exec(&env, "restart p1");
	assert_true(fake_log_has("WARN console: p1 has 2 vCPUs: restart is for one-vCPU partitions\n"));
	d[0].on_fault = FAULT_STOP;
	console_exec(&env, "park p1");
	assert_true(fake_log_has("WARN console: p1 has on-fault = stop: parking it would stop the machine"));
	assert_int_equal(partition_op_pending(&ps.p[0], &gpa), PART_OP_NONE);
	assert_int_equal(partition_op_pending(&ps.p[1], &gpa), PART_OP_NONE);
	assert_int_equal(kicks[1] + kicks[2], 0);
}

static void faults_counts_per_partition_and_device(void **state)
{
	(void)state;
	d[0].iommu = (struct iommu_domain *)&d[0];      /* any non-NULL domain: the counts are the test's */
	ps.p[0].dev_faults[0] = 3;
	const struct iommu_fault_note f = { .unit = "vtd0", .sbdf = S(0, 3, 0), .write = true, .addr = 0x20000000,
					    .reason = 0x05, .why = "lack of write permission", .owner = "p1" };
	map_log_fault(&f);
	console_exec(&env, "faults");
	assert_true(fake_log_has("fault(s) logged since start-up, oldest first:"));
	assert_true(fake_log_has("console: faults: fault unit=vtd0 bdf=00:03.0 kind=dma dir=write addr=0x0000000020000000 reason=0x05 owner=p1: lack of write permission\n"));
	assert_true(fake_log_has("console: faults: p1: 3 raised, 2 logged, 1 suppressed\n"));
	assert_true(fake_log_has("console: faults: p1: device 00:03.0: 3 (dma-fault-limit 100)\n"));
	assert_false(fake_log_has("faults: p2"));       /* no IOMMU domain */
}

static void console_name_sends_what_is_typed_until_ctrl_bracket(void **state)
{
	(void)state;
	struct console c;
	vuart_init(&ps.p[0].uart, 0x3f8, NULL, NULL);
	input = "console p1\nhi\r\x1dlspci x\n";
	console_open(&c, &env);
	assert_false(console_poll(&c));
	assert_true(fake_log_has("console: attached to p1's COM1: what you type goes to its guest; Ctrl-] comes back\n"));
	const char *want = "hi\r";
	for (const char *w = want; *w; w++)
		assert_int_equal(vuart_in(&ps.p[0].uart, 0x3f8), (u8)*w);
	assert_int_equal(vuart_in(&ps.p[0].uart, 0x3f8 + 5) & 1, 0);     /* nothing more: Ctrl-] was not passed */
	assert_true(fake_log_has("console: back from p1's COM1 (Ctrl-]), 0 typed byte(s) dropped\n"));
	assert_null(op.attached);
	assert_false(console_poll(&c));                 /* its guest has read everything: commands again */
	assert_true(fake_log_has("WARN console: usage: lspci\n"));
	assert_null(op.draining);
	/* Its partition ends while attached: the next byte is a command's again. */
	input = "console p1\n";
	assert_false(console_poll(&c));
	ps.p[0].state = PART_EXITED;
	input = "faults\n";
	assert_false(console_poll(&c));
	assert_true(fake_log_has("back from p1's COM1 (it ended)"));
	assert_true(fake_log_has("console: > faults\n"));
	console_exec(&env, "console p1");
	assert_true(fake_log_has("WARN console: p1 is exited, not running: no guest to type to\n"));
	console_exec(&env, "console");
	assert_true(fake_log_has("WARN console: usage: console NAME\n"));
}

static void after_ctrl_bracket_the_console_waits_for_the_guest_to_read(void **state)
{
	(void)state;
	struct console c;
	vuart_init(&ps.p[0].uart, 0x3f8, NULL, NULL);
	fake_time_ns = 1000000000ULL;
	input = "console p1\nab\x1dlspci x\n";
	console_open(&c, &env);
	assert_false(console_poll(&c));
	assert_ptr_equal(op.draining, &ps.p[0]);
	assert_string_equal(input, "lspci x\n");           /* held back: "ab" not read yet */
	assert_int_equal(vuart_in(&ps.p[0].uart, 0x3f8), 'a');
	assert_false(console_poll(&c));
	assert_string_equal(input, "lspci x\n");
	assert_int_equal(vuart_in(&ps.p[0].uart, 0x3f8), 'b');
	assert_false(console_poll(&c));                 /* read: the console goes on */
	assert_true(fake_log_has("WARN console: usage: lspci\n"));
	/* A guest that never reads holds the console OPERATOR_DRAIN_MS, then one line. */
	input = "console p1\nxyz\x1d" "faults\n";
	assert_false(console_poll(&c));
	assert_string_equal(input, "faults\n");
	fake_time_ns += OPERATOR_DRAIN_MS * 1000000ULL;
	assert_false(console_poll(&c));
	assert_true(fake_log_has("WARN console: p1: its guest did not read 3 typed byte(s) within 2000 ms\n"));
	assert_true(fake_log_has("console: > faults\n"));
	assert_null(op.draining);
}

/* `wait` holds the input until the caller says the run is over (every partition ended and judged). */
static void wait_holds_input_until_the_run_is_over(void **state)
{
	(void)state;
	struct console con;
	input = "wait\nlspci\n";
	console_open(&con, &env);
	assert_false(console_poll(&con));
	assert_true(op.waiting);
	assert_true(fake_log_has("waiting for every partition to end"));
	ps.p[0].done = ps.p[1].done = true;
	assert_false(console_poll(&con));
	assert_false(fake_log_has("> lspci"));          /* held until the verdicts are out */
	op.run_over = true;
	assert_false(console_poll(&con));
	assert_true(fake_log_has("every partition has ended and been judged: reading again"));
	assert_true(fake_log_has("> lspci"));
	assert_false(op.waiting);
}

static void quit_and_exit_end_the_console(void **state)
{
	(void)state;
	assert_int_equal(console_exec(&env, "quit"), CONSOLE_QUIT);
	assert_int_equal(console_exec(&env, "exit"), CONSOLE_QUIT);
	assert_int_equal(console_exec(&env, "quit p1"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(lspci_names_each_functions_owner, setup),
		cmocka_unit_test_setup(partitions_shows_the_memory_map_and_counters, setup),
		cmocka_unit_test_setup(walk_checks_its_words_before_the_iommu_sees_them, setup),
		cmocka_unit_test_setup(park_is_asked_of_the_partitions_own_cpu, setup),
		cmocka_unit_test_setup(a_request_its_partition_never_takes_is_dropped, setup),
		cmocka_unit_test_setup(bad_names_and_stopped_partitions_are_refused, setup),
		cmocka_unit_test_setup(faults_counts_per_partition_and_device, setup),
		cmocka_unit_test_setup(console_name_sends_what_is_typed_until_ctrl_bracket, setup),
		cmocka_unit_test_setup(after_ctrl_bracket_the_console_waits_for_the_guest_to_read, setup),
		cmocka_unit_test_setup(wait_holds_input_until_the_run_is_over, setup),
		cmocka_unit_test_setup(quit_and_exit_end_the_console, setup),
	};
	return cmocka_run_group_tests_name("operator", tests, NULL, NULL);
}
