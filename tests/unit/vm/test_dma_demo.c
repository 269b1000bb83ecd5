/*
 * Host tests for vm/demo/dma_demo.c: both stages on the fixture machine, whose
 * fake edus DMA through the fake IOMMU of vm_fixture.h. The verdicts must
 * follow what the memory shows: stage 0 passes only when the overwrite
 * happened, stage 1 only when each write landed in its own partition and
 * the forbidden ones faulted and changed nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/demo/dma_demo.h"
#include "kernel/check.h"
#include "kernel/err.h"
#include "tests/unit/vm/vm_fixture.h"

static u32 passed0, failed0;

static int setup(void **state)
{
	(void)state;
	vm_fixture_reset();
	passed0 = check_passed();
	failed0 = check_failed();
	return 0;
}

static u32 passed(void) { return check_passed() - passed0; }
static u32 failed(void) { return check_failed() - failed0; }

static u32 pattern_at(u64 hpa, u32 n)
{
	const u8 *p = phys_to_virt(hpa, DEMO_LEN);
	u32 found = 0;
	for (u32 i = 0; i < DEMO_LEN; i++)
		found += p[i] == dma_demo_pattern(n, i);
	return found;
}

static void must_log(const char *needle)
{
	if (!fake_log_has(needle))
		fail_msg("wanted '%s' in:\n%s", needle, fake_log_text());
}

static void patterns_differ_from_each_other_and_the_canaries(void **state)
{
	(void)state;
	for (u32 i = 0; i < DEMO_LEN; i++)
		for (u32 n = 1; n <= 2; n++) {
			assert_int_not_equal(dma_demo_pattern(n, i), dma_demo_pattern(3 - n, i));
			assert_int_not_equal(dma_demo_pattern(n, i), DEMO_CANARY);
			assert_int_not_equal(dma_demo_pattern(n, i), DEMO_GUARD_BYTE);
		}
	assert_int_equal(dma_demo_pattern(1, 0), 0x40);
	assert_int_equal(dma_demo_pattern(2, 0x7f), 0xbf);
}

static void stage0_shows_another_partitions_canary_overwritten(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(WORKED_EXAMPLE("off"), NULL), 0);
	u64 free_before = page_alloc_free_pages();
	dma_demo_run(&vm_set, NULL);
	assert_int_equal(failed(), 0);
	assert_int_equal(passed(), 1);
	/* EP2 (p2) wrote its GPA; it landed in p1's memory, and p2's own stayed canary. */
	assert_int_equal(pattern_at(0x90000000, 2), DEMO_LEN);
	const u8 *own = phys_to_virt(0xa0000000, DEMO_LEN);
	for (u32 i = 0; i < DEMO_LEN; i++)
		assert_int_equal(own[i], DEMO_CANARY);
	must_log("WARN demo: stage 0: iommu = off: a bus address is a host physical address");
	must_log("INFO demo: | p2        | 00:04.0 | 0x0000000090000000 | 0x0000000090000000 | 0x80  | p1             |");
	must_log("INFO demo: | p2        | 00:04.0 | 0x0000000090000000 | 0x00000000a0000000 | 0x00  | p2             |");
	must_log("WARN demo: stage 0: EP2 of p2 overwrote p1's canary at HPA 0x0000000090000000-0x000000009000007f");
	must_log("INFO check: pass stage 0: hazard shown: EP2 of p2 overwrote p1's canary at HPA 0x0000000090000000");
	/* Borrowed guard pages went back. */
	assert_true(page_alloc_free_pages() == free_before);
}

static void stage0_fails_when_the_write_does_not_land(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(WORKED_EXAMPLE("off"), NULL), 0);
	fio.isolate_when_off = true;    /* something blocks DMA after all */
	dma_demo_run(&vm_set, NULL);
	assert_int_equal(failed(), 1);
	must_log("ERR  check: FAIL stage 0: hazard shown");
	/* Its own load was blocked too: the check reports a pattern-less memory. */
	assert_int_equal(pattern_at(0x90000000, 2), 0);
}

static void stage0_refuses_a_config_without_the_hazard(void **state)
{
	(void)state;
	assert_int_equal(vm_setup("[sluice]\niommu = off\n"
				  "[partition \"p1\"]\nmemory = gpa=0x90000000 size=1M hpa=0x90000000\ndevice = 00:03.0\n"
				  "[partition \"p2\"]\nmemory = gpa=0xa0000000 size=1M hpa=0xa0000000\ndevice = 00:04.0\n",
				  NULL), 0);
	dma_demo_run(&vm_set, NULL);
	assert_int_equal(failed(), 1);
	must_log("FAIL stage 0: p2's bus address 0x00000000a0000000 is another partition's HPA");
	assert_int_equal(fake_edus[1].transfers, 0);
}

static void stage1_lands_each_write_in_its_own_partition(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), &fake_iommu_ops), 0);
	u64 ro_hpa = vm_set.d[0].regions[1].hpa;
	u64 free_before = page_alloc_free_pages();
	dma_demo_run(&vm_set, &fake_iommu_ops);
	assert_int_equal(failed(), 0);
	assert_int_equal(passed(), 8);
	must_log("INFO demo: | p1        | 00:03.0 | 0x0000000090000000 | 0x0000000090000000 | 0x80  | p1             |");
	must_log("INFO demo: | p2        | 00:04.0 | 0x0000000090000000 | 0x00000000a0000000 | 0x80  | p2             |");
	must_log("pass stage 1: EP1's 0x80 bytes at HPA 0x0000000090000000-0x000000009000007f (p1's memory), no fault");
	must_log("pass stage 1: EP2's 0x80 bytes at HPA 0x00000000a0000000-0x00000000a000007f (p2's memory), no fault");
	/* Outside p2: the first address past its region; the fault is p2's. */
	must_log("ERR  fake-iommu: fault sid=00:04.0 dir=write addr=0x90100000 domain=p2");
	must_log("pass stage 1: EP2's write to 0x0000000090100000 outside p2 faulted (1 fault(s) counted)");
	must_log("pass stage 1: the blocked write changed nothing");
	/* The read-only page: reads pass, the write faults and leaves the canary. */
	must_log("pass stage 1: EP1 reads through the read-only mapping at 0x00000000b0000000 without a fault");
	must_log("ERR  fake-iommu: fault sid=00:03.0 dir=write addr=0xb0000000 domain=p1");
	must_log("pass stage 1: EP1's write to read-only 0x00000000b0000000 faulted");
	const u8 *ro = phys_to_virt(ro_hpa, DEMO_LEN);
	for (u32 i = 0; i < DEMO_LEN; i++)
		assert_int_equal(ro[i], DEMO_CANARY);
	/* Walks: both translations, then the two faulting ones. */
	assert_int_equal(fio.walks, 4);
	assert_int_equal(fio.walk_sbdf[0], EDU1);
	assert_int_equal(fio.walk_iova[0], 0x90000000);
	assert_int_equal(fio.walk_sbdf[1], EDU2);
	assert_int_equal(fio.walk_iova[1], 0x90000000);
	assert_int_equal(fio.walk_iova[2], 0x90100000);
	assert_int_equal(fio.walk_sbdf[3], EDU1);
	assert_int_equal(fio.walk_iova[3], 0xb0000000);
	/* p2: the write outside it and the blocked interrupt request. */
	assert_int_equal(fio.d[1].faults, 2);
	assert_int_equal(fio.d[0].faults, 1);
	assert_true(page_alloc_free_pages() == free_before);
}

/* EP2's forged remappable-format interrupt request: blocked, one interrupt fault charged to p2. */
static void stage1_blocks_a_forged_interrupt_request(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), &fake_iommu_ops), 0);
	dma_demo_run(&vm_set, &fake_iommu_ops);
	assert_int_equal(failed(), 0);
	/* 0xFEE00000 | index 0x12 << 5 | remappable format (bit 4). */
	must_log("INFO demo: stage 1: EP2 (00:04.0, p2) told to write a remappable-format interrupt request for index 0x0012 to 0xfee00250");
	must_log("ERR  fake-iommu: interrupt fault sid=00:04.0 addr=0xfee00250 domain=p2");
	must_log("pass stage 1: EP2's interrupt request for index 0x0012 was blocked: 1 interrupt fault(s) recorded, 1 charged to p2, none to p1");
	assert_int_equal(fio.d[1].ir_faults, 1);
	assert_int_equal(fio.d[0].ir_faults, 0);
	assert_int_equal(fio.delivered, 0);
	assert_false(fake_log_has("without EP2's source ID"));
}

/* As QEMU records it: no source ID, so blocked but charged to nobody; told, and still a pass. */
static void stage1_tells_an_interrupt_fault_without_a_source_id(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), &fake_iommu_ops), 0);
	fio.ir_no_sid = true;
	dma_demo_run(&vm_set, &fake_iommu_ops);
	assert_int_equal(failed(), 0);
	must_log("WARN demo: stage 1: the interrupt fault was recorded without EP2's source ID, so no partition is charged");
	must_log("pass stage 1: EP2's interrupt request for index 0x0012 was blocked: 1 interrupt fault(s) recorded, 0 charged to p2, none to p1");
	assert_int_equal(fio.d[1].ir_faults, 0);
}

/* Without remapping the request would reach a CPU: it is not sent at all. */
static void stage1_skips_the_interrupt_window_without_remapping(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), &fake_iommu_ops), 0);
	fio.ir_off = true;
	dma_demo_run(&vm_set, &fake_iommu_ops);
	assert_int_equal(failed(), 0);
	assert_int_equal(passed(), 7);
	must_log("INFO demo: stage 1: interrupt remapping is on at 0 of 1 unit(s); the interrupt-window case is skipped");
	assert_int_equal(fio.delivered, 0);
	assert_int_equal(fio.d[1].ir_faults, 0);
}

/* A device whose DMA skips translation is caught by the memory, not trusted. */
static void stage1_catches_a_device_that_bypasses_the_iommu(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), &fake_iommu_ops), 0);
	fio.misroute = EDU2;
	dma_demo_run(&vm_set, &fake_iommu_ops);
	must_log("FAIL stage 1: EP2's 0x00 bytes at HPA 0x00000000a0000000");
	must_log("FAIL stage 1: EP2's write to 0x0000000090100000 outside p2 faulted (0 fault(s) counted)");
	must_log("FAIL stage 1: the blocked write changed nothing");
	/* Its interrupt request skipped the unit too: no fault, a failed check. */
	must_log("FAIL stage 1: EP2's interrupt request for index 0x0012 was blocked: 0 interrupt fault(s) recorded, 0 charged to p2, none to p1");
	assert_int_equal(failed(), 4);
}

static void stage1_without_a_read_only_region_skips_that_case(void **state)
{
	(void)state;
	assert_int_equal(vm_setup("[partition \"p1\"]\nmemory = gpa=0x90000000 size=1M hpa=0x90000000\ndevice = 00:03.0\n"
				  "[partition \"p2\"]\nmemory = gpa=0x90000000 size=1M hpa=0xa0000000\ndevice = 00:04.0\n",
				  &fake_iommu_ops), 0);
	dma_demo_run(&vm_set, &fake_iommu_ops);
	assert_int_equal(failed(), 0);
	assert_int_equal(passed(), 6);
	must_log("INFO demo: stage 1: no read-only region (access=r) in EP1's or EP2's partition; the write-fault case is skipped");
}

static void the_demo_needs_two_partitions_with_an_edu(void **state)
{
	(void)state;
	assert_int_equal(vm_setup("[partition \"p1\"]\nmemory = gpa=0x90000000 size=1M hpa=0x90000000\ndevice = 00:03.0\n"
				  "[partition \"p2\"]\nmemory = gpa=0x90000000 size=4K hpa=0xa0000000\ndevice = 00:04.0\n",
				  &fake_iommu_ops), 0);
	dma_demo_run(&vm_set, &fake_iommu_ops);
	assert_int_equal(failed(), 1);
	must_log("FAIL demo: two partitions, each with an edu device and 2+ pages of rw memory (found 1)");
	/* Stage 1 without an IOMMU to show it with. */
	vm_fixture_reset();
	failed0 = check_failed();
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), &fake_iommu_ops), 0);
	dma_demo_run(&vm_set, NULL);
	assert_int_equal(failed(), 1);
	must_log("FAIL demo: stage 1 needs a running IOMMU");
}

/* An edu that never completes: a failed check naming the device, no hang. */
static void a_stuck_device_fails_its_check(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), &fake_iommu_ops), 0);
	fake_edus[0].stuck = true;
	fake_time_step_ns = 1000000;
	dma_demo_run(&vm_set, &fake_iommu_ops);
	assert_int_equal(failed(), 1);
	must_log("FAIL demo: EP1 (00:03.0) fetches its pattern from bus address 0x0000000090001000: ");
}

/* demo = dma | none is the demo's own [sluice] key, offered through the checker's hook; once, and checked. */
static void the_demo_key_is_its_own(void **state)
{
	(void)state;
	static const struct sluice_keys *const keys[] = { &dma_demo_keys, NULL };
	vm_keys = keys;
	assert_int_equal(vm_setup("[sluice]\ndemo = dma\n", NULL), 0);
	assert_true(dma_demo_asked());
	assert_int_equal(vm_setup("[sluice]\ndemo = none\n", NULL), 0);
	assert_false(dma_demo_asked());
	assert_int_equal(vm_setup("[sluice]\ndemo = dma\n", NULL), 0);
	assert_int_equal(vm_setup("# no demo\n", NULL), 0);
	assert_false(dma_demo_asked());         /* each config on its own */
	fake_log_capture();
	assert_int_equal(vm_setup("[sluice]\ndemo = all\n", NULL), -HV_EINVAL);
	must_log("sluice.conf:2: demo = all: use dma or none");
	assert_int_equal(vm_setup("[sluice]\ndemo = dma\ndemo = none\n", NULL), -HV_EINVAL);
	must_log("sluice.conf:3: demo given twice (first at line 2)");
	assert_int_equal(vm_setup("[sluice]\ndemox = dma\n", NULL), -HV_EINVAL);
	must_log("unknown key 'demox' in [sluice] (known: iommu, devtlb-timeout-ms, dma-fault-limit, unsafe-interrupts, attack-test, attack-witness, demo)");
	vm_keys = NULL;
	assert_int_equal(vm_setup("[sluice]\ndemo = dma\n", NULL), -HV_EINVAL);
	must_log("unknown key 'demo' in [sluice] (known: iommu, devtlb-timeout-ms, dma-fault-limit, unsafe-interrupts, attack-test, attack-witness)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(patterns_differ_from_each_other_and_the_canaries),
		cmocka_unit_test_setup(stage0_shows_another_partitions_canary_overwritten, setup),
		cmocka_unit_test_setup(stage0_fails_when_the_write_does_not_land, setup),
		cmocka_unit_test_setup(stage0_refuses_a_config_without_the_hazard, setup),
		cmocka_unit_test_setup(stage1_lands_each_write_in_its_own_partition, setup),
		cmocka_unit_test_setup(stage1_blocks_a_forged_interrupt_request, setup),
		cmocka_unit_test_setup(stage1_skips_the_interrupt_window_without_remapping, setup),
		cmocka_unit_test_setup(stage1_tells_an_interrupt_fault_without_a_source_id, setup),
		cmocka_unit_test_setup(stage1_catches_a_device_that_bypasses_the_iommu, setup),
		cmocka_unit_test_setup(stage1_without_a_read_only_region_skips_that_case, setup),
		cmocka_unit_test_setup(the_demo_needs_two_partitions_with_an_edu, setup),
		cmocka_unit_test_setup(a_stuck_device_fails_its_check, setup),
		cmocka_unit_test_setup(the_demo_key_is_its_own, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
