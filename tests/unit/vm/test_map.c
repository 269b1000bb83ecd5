/*
 * Host tests for vm/part/map.c: the machine map's lines from a config of
 * three partitions on six CPUs (a: CPU 1 and VF 1 of the NVMe PF 01:00.0;
 * b: CPUs 2-3, VF 2 with ATS on; c: no guest, the edu function 00:03.0
 * and an RMRR identity region), two remapping units behind a fake
 * iommu_ops, and the fault lines; then the same lines in the log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "vm/part/map.h"
#include "kernel/err.h"
#include "tests/fakes/fake_log.h"

#define PF      0x0100u                 /* 01:00.0 */
#define VF1     0x0101u
#define VF2     0x0102u
#define EDU     0x0018u                 /* 00:03.0 */

static struct sluice_cfg cfg;
static struct partition_set ps;

/* Two units: vtd0 translates bus 0, vtd1 bus 1; vtd1 is on with translation. */
static int unit_info(unsigned i, struct iommu_unit_info *u)
{
	if (i >= 2)
		return -HV_ENOENT;
	memset(u, 0, sizeof(*u));
	strcpy(u->name, i ? "vtd1" : "vtd0");
	u->base = i ? 0xfed91000ULL : 0xfed90000ULL;
	u->up = true;
	u->translation = i == 1;
	return 0;
}

static int unit_index(u32 sbdf)
{
	return sbdf == 0x0200u ? -HV_ENODEV : (int)((sbdf >> 8) & 0xff);
}

static const struct iommu_ops ops = { .name = "fake", .unit_info = unit_info, .unit_index = unit_index };

/* The lines a sink received. */
static struct {
	char line[MAP_FAULTS_KEPT + 8][2 * MAP_LINE_MAX];      /* a kept fault is its map line and its reason */
	unsigned n;
} got;

static void collect(void *ctx, const char *text)
{
	(void)ctx;
	assert_true(got.n < ARRAY_SIZE(got.line));
	assert_true(strlen(text) < sizeof(got.line[0]));
	strcpy(got.line[got.n++], text);
}

static const struct map_sink sink = { collect, NULL };

static unsigned count(const char *needle)
{
	unsigned n = 0;
	for (unsigned i = 0; i < got.n; i++)
		n += strstr(got.line[i], needle) != NULL;
	return n;
}

static void region(struct partition_cfg *d, u64 gpa, u64 hpa, u64 size, u32 prot, bool rmrr)
{
	d->regions[d->nr_regions++] = (struct part_region){ .gpa = gpa, .hpa = hpa, .size = size, .prot = prot,
							     .rmrr = rmrr };
}

static int setup(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(&ps, 0, sizeof(ps));
	memset(&got, 0, sizeof(got));
	fake_log_capture();
	cfg.nr = 3;
	struct partition_cfg *a = &cfg.d[0], *b = &cfg.d[1], *c = &cfg.d[2];
	strcpy(a->name, "a");
	a->guest = true;
	a->nr_cpus = 1;
	a->cpus[0] = 1;
	region(a, 0, 0x1200000, 0x1000000, IOMMU_READ | IOMMU_WRITE, false);
	a->devices[a->nr_devices++] = (struct part_device){ .sbdf = VF1, .vfn = 1, .pf_sbdf = PF };
	a->iommu_ops = &ops;
	strcpy(b->name, "b");
	b->guest = true;
	b->nr_cpus = 2;
	b->cpus[0] = 2;
	b->cpus[1] = 3;
	region(b, 0, 0x2200000, 0x1000000, IOMMU_READ | IOMMU_WRITE, false);
	region(b, 0x10000000, 0x5000000, 0x200000, IOMMU_READ, false);
	b->devices[b->nr_devices++] = (struct part_device){ .sbdf = VF2, .vfn = 2, .pf_sbdf = PF, .ats = true,
							    .ats_on = true };
	b->iommu_ops = &ops;
	strcpy(c->name, "c");
	region(c, 0x10000000, 0x10000000, 0x100000, IOMMU_READ | IOMMU_WRITE, false);
	region(c, 0xe0000, 0xe0000, 0x10000, IOMMU_READ | IOMMU_WRITE, true);
	c->devices[c->nr_devices++] = (struct part_device){ .sbdf = EDU };
	c->iommu_ops = &ops;
	ps.nr = 2;
	ps.cfg = &cfg;
	ps.p[0].cfg = a;
	ps.p[0].set = &ps;
	ps.p[0].state = PART_RUNNING;
	ps.p[1].cfg = b;
	ps.p[1].set = &ps;
	ps.p[1].state = PART_IDLE;
	return 0;
}

static struct map_machine machine(void)
{
	return (struct map_machine){ .nr_cpus = 6, .boot_cpu = 0, .cpus_online = 0x1f, .cfg = &cfg, .ps = &ps,
				     .iommu = &ops };
}

static void map_lists_cpus_units_partitions_regions_and_functions_in_order(void **state)
{
	(void)state;
	const struct map_machine m = machine();
	static const char *const want[] = {
		"cpu id=0 online=yes owner=sluice",
		"cpu id=1 online=yes owner=a",
		"cpu id=2 online=yes owner=b",
		"cpu id=3 online=yes owner=b",
		"cpu id=4 online=yes owner=none",
		"cpu id=5 online=no owner=none",
		"unit name=vtd0 base=0x00000000fed90000 segment=0 up=yes translation=off",
		"unit name=vtd1 base=0x00000000fed91000 segment=0 up=yes translation=on",
		"partition name=a state=running cpus=1 regions=1 devices=1 restarts=0",
		"region part=a gpa=0x0000000000000000 hpa=0x0000000001200000 size=0x1000000 perm=rw rmrr=no",
		"device bdf=01:00.1 kind=vf pf=01:00.0 vf=1 ats=off part=a unit=vtd1",
		"partition name=b state=ready cpus=2,3 regions=2 devices=1 restarts=0",
		"region part=b gpa=0x0000000000000000 hpa=0x0000000002200000 size=0x1000000 perm=rw rmrr=no",
		"region part=b gpa=0x0000000010000000 hpa=0x0000000005000000 size=0x200000 perm=r rmrr=no",
		"device bdf=01:00.2 kind=vf pf=01:00.0 vf=2 ats=on part=b unit=vtd1",
		"partition name=c state=dma-only cpus=none regions=2 devices=1 restarts=0",
		"region part=c gpa=0x0000000010000000 hpa=0x0000000010000000 size=0x100000 perm=rw rmrr=no",
		"region part=c gpa=0x00000000000e0000 hpa=0x00000000000e0000 size=0x10000 perm=rw rmrr=yes",
		"device bdf=00:03.0 kind=fn ats=off part=c unit=vtd0",
		"device bdf=01:00.0 kind=pf vfs=2 ats=off part=sluice unit=vtd1",
	};

	map_describe(&m, &sink);
	assert_int_equal(got.n, ARRAY_SIZE(want));
	for (unsigned i = 0; i < got.n; i++)
		assert_string_equal(got.line[i], want[i]);
}

static void map_names_a_pf_a_partition_owns_as_its_own_not_sluices(void **state)
{
	(void)state;
	const struct map_machine m = machine();
	struct partition_cfg *c = &cfg.d[2];

	c->devices[c->nr_devices++] = (struct part_device){ .sbdf = PF };
	map_describe(&m, &sink);
	assert_int_equal(count("device bdf=01:00.0 kind=pf vfs=2 ats=off part=c unit=vtd1"), 1);
	assert_int_equal(count("part=sluice"), 0);
	assert_int_equal(count("device "), 4);
}

static void map_without_an_iommu_has_no_units_and_no_unit_for_a_function(void **state)
{
	(void)state;
	struct map_machine m = machine();

	m.iommu = NULL;
	for (u32 i = 0; i < cfg.nr; i++)
		cfg.d[i].iommu_ops = NULL;
	map_describe(&m, &sink);
	assert_int_equal(count("unit name="), 0);
	assert_int_equal(count("unit=none"), 4);
	assert_int_equal(count("unit=vtd"), 0);
}

static void map_says_unit_none_for_a_function_no_unit_translates(void **state)
{
	(void)state;
	cfg.d[2].devices[0].sbdf = 0x0200u;
	map_describe_partition(&cfg, &cfg.d[2], NULL, &sink);
	assert_int_equal(got.n, 4);
	assert_string_equal(got.line[3], "device bdf=02:00.0 kind=fn ats=off part=c unit=none");
}

static void partition_lines_follow_its_state_and_restarts(void **state)
{
	(void)state;
	struct partition *p = &ps.p[0];

	p->state = PART_PARKED;
	p->restarts = 2;
	cfg.d[0].regions[0].hpa = 0x7400000;
	map_describe_partition(&cfg, p->cfg, p, &sink);
	assert_int_equal(got.n, 3);
	assert_string_equal(got.line[0], "partition name=a state=parked cpus=1 regions=1 devices=1 restarts=2");
	assert_string_equal(got.line[1],
			    "region part=a gpa=0x0000000000000000 hpa=0x0000000007400000 size=0x1000000 perm=rw rmrr=no");
}

static void partition_without_the_config_calls_no_function_a_pf(void **state)
{
	(void)state;
	struct partition_cfg *c = &cfg.d[2];

	c->devices[0].sbdf = PF;
	map_describe_partition(NULL, c, NULL, &sink);
	assert_int_equal(count("device bdf=01:00.0 kind=fn"), 1);
	map_describe_partition(&cfg, c, NULL, &sink);
	assert_int_equal(count("device bdf=01:00.0 kind=pf vfs=2"), 1);
}

static void a_guest_partition_not_built_or_failed_says_so(void **state)
{
	(void)state;
	const struct map_machine m = { .nr_cpus = 2, .cfg = &cfg, .ps = NULL };

	cfg.d[2].failed = true;
	map_describe(&m, &sink);
	assert_int_equal(count("partition name=a state=not-built"), 1);
	assert_int_equal(count("partition name=c state=failed"), 1);
	assert_int_equal(count("cpu id=1 online=no owner=a"), 1);
}

static void fault_lines_name_unit_function_address_reason_and_owner(void **state)
{
	(void)state;
	char buf[MAP_LINE_MAX];
	const struct iommu_fault_note dma = { .unit = "vtd0", .sbdf = VF1, .write = false, .addr = 0x1000000,
					      .reason = 0x06, .owner = "a" };
	const struct iommu_fault_note intr = { .unit = "vtd1", .sbdf = 0x10018u, .interrupt = true, .addr = 4,
					       .reason = 0x22 };

	map_fault_format(&dma, buf, sizeof(buf));
	assert_string_equal(buf, "fault unit=vtd0 bdf=01:00.1 kind=dma dir=read addr=0x0000000001000000 reason=0x06 owner=a");
	map_fault_format(&intr, buf, sizeof(buf));
	assert_string_equal(buf, "fault unit=vtd1 bdf=0001:00:03.0 kind=interrupt index=0x0004 reason=0x22 owner=none");
}

static void the_log_gets_the_same_lines_as_map_info_lines(void **state)
{
	(void)state;
	const struct map_machine m = machine();
	const struct iommu_fault_note w = { .unit = "vtd1", .sbdf = VF2, .write = true, .addr = 0x2000,
					    .reason = 0x05, .owner = "b" };

	map_describe(&m, &sink);
	map_log(&m);
	for (unsigned i = 0; i < got.n; i++)
		assert_int_equal(fake_log_count(got.line[i]), 1);
	assert_int_equal(fake_log_count("INFO map: "), got.n);
	map_log_partition(&ps.p[1]);
	assert_int_equal(fake_log_count("map: partition name=b state=ready cpus=2,3"), 2);
	assert_int_equal(fake_log_count("map: device bdf=01:00.2 kind=vf"), 2);
	map_log_fault(&w);
	assert_true(fake_log_has("INFO map: fault unit=vtd1 bdf=01:00.2 kind=dma dir=write addr=0x0000000000002000 reason=0x05 owner=b"));
}

/* The last MAP_FAULTS_KEPT faults are kept with their reasons' words, oldest first; older ones are counted. */
static void the_last_faults_are_kept_decoded(void **state)
{
	(void)state;
	for (u64 i = 0; i < MAP_FAULTS_KEPT + 8; i++) {
		const struct iommu_fault_note f = { .unit = "vtd0", .sbdf = VF1, .write = true, .addr = 0x1000 * (i + 1),
						    .reason = 0x05, .why = "lack of write permission", .owner = "a" };
		map_log_fault(&f);
	}
	map_faults_describe(&sink);
	assert_int_equal(got.n, 1 + MAP_FAULTS_KEPT);
	assert_non_null(strstr(got.line[0], "fault(s) logged since start-up, the last 32 kept, oldest first:"));
	/* The oldest kept is the ninth of this test's (earlier tests may have logged some before). */
	assert_string_equal(got.line[1], "fault unit=vtd0 bdf=01:00.1 kind=dma dir=write addr=0x0000000000009000 reason=0x05 owner=a: lack of write permission");
	assert_non_null(strstr(got.line[MAP_FAULTS_KEPT], "addr=0x0000000000028000 reason=0x05 owner=a: lack"));
}

static void part_state_names_every_state(void **state)
{
	(void)state;
	assert_string_equal(part_state_name(PART_IDLE), "ready");
	assert_string_equal(part_state_name(PART_RUNNING), "running");
	assert_string_equal(part_state_name(PART_EXITED), "exited");
	assert_string_equal(part_state_name(PART_HALTED), "halted");
	assert_string_equal(part_state_name(PART_PARKED), "parked");
	assert_string_equal(part_state_name(PART_FAILED), "failed");
	assert_string_equal(part_state_name(PART_STOPPED), "stopped");
	assert_string_equal(part_state_name((enum part_state)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(map_lists_cpus_units_partitions_regions_and_functions_in_order, setup),
		cmocka_unit_test_setup(map_names_a_pf_a_partition_owns_as_its_own_not_sluices, setup),
		cmocka_unit_test_setup(map_without_an_iommu_has_no_units_and_no_unit_for_a_function, setup),
		cmocka_unit_test_setup(map_says_unit_none_for_a_function_no_unit_translates, setup),
		cmocka_unit_test_setup(partition_lines_follow_its_state_and_restarts, setup),
		cmocka_unit_test_setup(partition_without_the_config_calls_no_function_a_pf, setup),
		cmocka_unit_test_setup(a_guest_partition_not_built_or_failed_says_so, setup),
		cmocka_unit_test_setup(fault_lines_name_unit_function_address_reason_and_owner, setup),
		cmocka_unit_test_setup(the_log_gets_the_same_lines_as_map_info_lines, setup),
		cmocka_unit_test_setup(the_last_faults_are_kept_decoded, setup),
		cmocka_unit_test_setup(part_state_names_every_state, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
