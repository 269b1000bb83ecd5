/*
 * Host tests for vm/config/partition_cfg.c: host memory claimed (fixed and chosen,
 * zeroed, given back on failure), the order of IOMMU calls, a failing
 * partition undone while the others go on, iommu = off programming
 * nothing, and the lookups the demonstrations use.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/config/partition_cfg.h"
#include "kernel/err.h"
#include "tests/unit/vm/vm_fixture.h"

static int setup(void **state)
{
	(void)state;
	vm_fixture_reset();
	return 0;
}

static void memory_is_claimed_exactly_or_where_it_fits_and_zeroed(void **state)
{
	(void)state;
	u8 *p1 = phys_to_virt(0x90000000, 1 * MiB), *p2 = phys_to_virt(0xa0000000, 1 * MiB);
	memset(p1, 0xff, 1 * MiB);
	memset(p2, 0xff, 1 * MiB);
	u64 free_before = page_alloc_free_pages();
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), &fake_iommu_ops), 0);
	assert_true(page_alloc_free_pages() == free_before - 2 * 256 - 1);
	assert_false(page_alloc_is_free(0x90000000, PAGE_SIZE));
	assert_false(page_alloc_is_free(0xa00ff000, PAGE_SIZE));
	const struct part_region *ro = &vm_set.d[0].regions[1];
	assert_true(ro->claimed && IS_ALIGNED(ro->hpa, PAGE_SIZE));
	assert_false(page_alloc_is_free(ro->hpa, PAGE_SIZE));
	/* A partition never sees what its memory held before. */
	for (u64 i = 0; i < 1 * MiB; i++)
		if (p1[i] || p2[i])
			fail_msg("byte 0x%llx not zeroed", (unsigned long long)i);
	assert_true(fake_log_has("INFO part: p2: memory gpa [0x0000000090000000-0x00000000900fffff] -> hpa [0x00000000a0000000-0x00000000a00fffff] rw\n"));
	assert_true(fake_log_has("INFO part: p1: memory gpa [0x00000000b0000000-0x00000000b0000fff] -> hpa"));
	assert_true(fake_log_has("] r (hpa chosen by Sluice)\n"));
	sluice_cfg_release(&vm_set);
	assert_true(page_alloc_free_pages() == free_before);
	assert_false(ro->claimed);
}

static void chosen_memory_is_2m_aligned_when_the_region_allows(void **state)
{
	(void)state;
	assert_int_equal(vm_setup("[partition \"p1\"]\nmemory = gpa=0x200000 size=2M\n"
				  "memory = gpa=0x1000 size=4K\n", &fake_iommu_ops), 0);
	assert_true(IS_ALIGNED(vm_set.d[0].regions[0].hpa, 2 * MiB));
	assert_true(vm_set.d[0].regions[0].hpa >= RAM0 + 0x100000);
}

/* The largest leaf the region's GPA and size allow, no larger than asked. */
static void region_alignment_follows_the_largest_leaf(void **state)
{
	(void)state;
	static const struct { u64 gpa, size, max, want; } t[] = {
		{ 0, GiB, GiB, GiB },
		{ GiB, 3 * GiB, GiB, GiB },
		{ 0, GiB, GiB / 2, 2 * MiB },                   /* the next try after 1 GiB found no room */
		{ 0, GiB + 2 * MiB, GiB, 2 * MiB },
		{ 2 * MiB, GiB, GiB, 2 * MiB },
		{ 0x200000, 2 * MiB, 2 * MiB, 2 * MiB },
		{ 0x200000, 2 * MiB, MiB, PAGE_SIZE },
		{ 0x1000, 2 * MiB, GiB, PAGE_SIZE },
		{ 0, 0x3000, GiB, PAGE_SIZE },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++)
		assert_int_equal(part_region_align(t[i].gpa, t[i].size, t[i].max), t[i].want);
}

/* No 2 MiB-aligned room left: the region still gets memory, page-aligned. */
static void chosen_memory_falls_back_to_smaller_alignment(void **state)
{
	(void)state;
	/* One page taken in each 2 MiB-aligned run of free memory: 2 MiB still fit, at a page boundary. */
	static const u64 taken[] = { 0x80300000, 0x90000000, 0x90300000, 0xa0000000, 0xa0300000 };
	for (unsigned i = 0; i < ARRAY_SIZE(taken); i++)
		assert_int_equal(page_alloc_fixed(taken[i], 1), 0);
	assert_int_equal(vm_setup("[partition \"p1\"]\nmemory = gpa=0x200000 size=2M\n", &fake_iommu_ops), 0);
	const struct part_region *r = &vm_set.d[0].regions[0];
	assert_true(r->claimed);
	assert_false(IS_ALIGNED(r->hpa, 2 * MiB));
}

static void iommu_calls_come_in_partition_order_then_enable(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), &fake_iommu_ops), 0);
	char want[512];
	snprintf(want, sizeof(want),
		 "create p1;map p1 0x90000000 0x90000000 0x100000 rw;map p1 0xb0000000 0x%llx 0x1000 r;"
		 "attach p1 00:03.0;create p2;map p2 0x90000000 0xa0000000 0x100000 rw;"
		 "attach p2 00:04.0;enable;", (unsigned long long)vm_set.d[0].regions[1].hpa);
	assert_string_equal(fio.calls, want);
	assert_ptr_equal(vm_set.d[0].iommu, &fio.d[0]);
	assert_true(fake_log_has("INFO part: p1: device 00:03.0 attached (fake)\n"));
	assert_true(fake_log_has("INFO part: p2: 1 region(s) mapped, 1 device(s) attached\n"));
	assert_true(fake_log_has("INFO part: 2 partition(s) set up, iommu on\n"));
}

static void iommu_off_programs_nothing_and_says_so(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(WORKED_EXAMPLE("off"), &fake_iommu_ops), 0);
	assert_string_equal(fio.calls, "");
	assert_null(vm_set.d[0].iommu);
	assert_true(fake_log_has("WARN part: iommu = off: DMA isolation is OFF; every device can read and write all of memory\n"));
	assert_true(fake_log_has("INFO part: p2: 1 region(s), 1 device(s), no translation: bus address = HPA\n"));
	/* The memory is still the partitions': nothing else may take it. */
	assert_false(page_alloc_is_free(0xa0000000, PAGE_SIZE));
	/* And without any IOMMU at all, the same. */
	vm_fixture_reset();
	assert_int_equal(vm_setup(WORKED_EXAMPLE("off"), NULL), 0);
}

static void iommu_on_without_an_iommu_sets_nothing_up(void **state)
{
	(void)state;
	u64 free_before = page_alloc_free_pages();
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), NULL), -HV_ENODEV);
	assert_true(fake_log_has("ERR  part: iommu = on, but no IOMMU is running: 2 partition(s) not set up (iommu = off runs without isolation)\n"));
	assert_int_equal(vm_set.nr, 0);
	assert_true(page_alloc_free_pages() == free_before);
	/* No partitions, no IOMMU: nothing to complain about. */
	assert_int_equal(vm_setup("[sluice]\niommu = on\n", NULL), 0);
}

static void a_failed_attach_undoes_that_partition_only(void **state)
{
	(void)state;
	fio.fail_attach = EDU2;
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on") "device = 00:05.0\n", &fake_iommu_ops), -HV_ENOTSUP);
	const char *tail = "create p2;map p2 0x90000000 0xa0000000 0x100000 rw;attach p2 00:04.0;"
			   "unmap p2 0x90000000 0x100000;enable;";
	assert_string_equal(fio.calls + strlen(fio.calls) - strlen(tail), tail);
	assert_true(vm_set.d[1].failed);
	assert_false(vm_set.d[0].failed);
	assert_int_equal(fio.d[1].nr_maps, 0);
	assert_true(fake_log_has("ERR  part: sluice.conf:10: partition p2: assigning 0000:00:04.0 failed: "));
	assert_true(fake_log_has("part: 2 partition(s) set up, iommu on, with errors\n"));
	/* The second device of p2, attached before a later failure, is detached again. */
	vm_fixture_reset();
	fio.fail_attach = MF1;
	assert_int_equal(vm_setup("[partition \"p2\"]\nmemory = gpa=0 size=4K\ndevice = 00:05.0\ndevice = 00:05.1\n",
				  &fake_iommu_ops), -HV_ENOTSUP);
	assert_string_equal(fio.calls, "create p2;map p2 0x0 0x80100000 0x1000 rw;attach p2 00:05.0;"
			    "attach p2 00:05.1;detach p2 00:05.0;unmap p2 0x0 0x1000;enable;");
}

static void a_partition_without_an_iommu_domain_is_marked_failed(void **state)
{
	(void)state;
	fio.fail_create = "p1";
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), &fake_iommu_ops), -HV_ENOMEM);
	assert_true(vm_set.d[0].failed);
	assert_null(vm_set.d[0].iommu);
	assert_false(vm_set.d[1].failed);
	assert_non_null(strstr(fio.calls, "create p1;create p2;"));
	assert_true(fake_log_has("ERR  part: p1: no IOMMU domain (fake could not create one); its devices stay blocked\n"));
}

/* A broken config leaves every device unassigned: blocked with iommu = on, not with off. */
static void a_broken_config_blocks_all_dma_only_with_iommu_on(void **state)
{
	(void)state;
	assert_int_equal(vm_setup("[partition \"p1\"]\ndevice = 00:09.0\n", &fake_iommu_ops), -HV_EINVAL);
	assert_string_equal(fio.calls, "enable;");
	assert_int_equal(fio.nr, 0);
	memset(&fio, 0, sizeof(fio));
	assert_int_equal(vm_setup("[sluice]\niommu = off\n[partition \"p1\"]\ndevice = 00:09.0\n",
				  &fake_iommu_ops), -HV_EINVAL);
	assert_string_equal(fio.calls, "");
	assert_true(fake_log_has("WARN part: iommu = off: DMA isolation is OFF"));
}

static void no_room_for_chosen_memory_gives_back_what_was_taken(void **state)
{
	(void)state;
	u64 free_before = page_alloc_free_pages();
	assert_int_equal(vm_setup("[partition \"p1\"]\nmemory = gpa=0 size=1M hpa=0x90000000\n"
				  "memory = gpa=0x1000000 size=64M\n", &fake_iommu_ops), -HV_ENOMEM);
	assert_true(fake_log_has("ERR  part: sluice.conf:3: partition p1: no host memory for gpa [0x0000000001000000-0x0000000004ffffff]: "));
	assert_true(page_alloc_free_pages() == free_before);
	assert_string_equal(fio.calls, "enable;");
	assert_int_equal(vm_set.nr, 0);
}

static void lookups_translate_and_find_owners(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), &fake_iommu_ops), 0);
	const struct partition_cfg *p2 = &vm_set.d[1];
	assert_ptr_equal(part_region_at(p2, 0x90000000, 0x80), &p2->regions[0]);
	assert_ptr_equal(part_region_at(p2, 0x900fff80, 0x80), &p2->regions[0]);
	assert_null(part_region_at(p2, 0x900fff81, 0x80));
	assert_null(part_region_at(p2, 0x8fffff80, 0x100));
	assert_null(part_region_at(p2, 0x90100000, 1));
	assert_ptr_equal(partition_of_device(&vm_set, EDU2), &vm_set.d[1]);
	assert_null(partition_of_device(&vm_set, MF0));
	const struct part_region *r = NULL;
	assert_ptr_equal(partition_of_hpa(&vm_set, 0x900fffff, &r), &vm_set.d[0]);
	assert_ptr_equal(r, &vm_set.d[0].regions[0]);
	assert_ptr_equal(partition_of_hpa(&vm_set, 0xa0000000, NULL), &vm_set.d[1]);
	assert_null(partition_of_hpa(&vm_set, 0x90100000, NULL));
	assert_string_equal(part_access_name(IOMMU_READ), "r");
	assert_string_equal(part_access_name(IOMMU_READ | IOMMU_WRITE), "rw");
	assert_string_equal(part_access_name(0), "none");
}

/*
 * Regions at the ends of the address spaces: the top of the 48-bit GPA
 * space is accepted, set up and found; no lookup computes an end that wraps.
 */
static void regions_at_the_top_of_the_address_space_are_found_without_wrapping(void **state)
{
	(void)state;
	assert_int_equal(vm_setup("[partition \"top\"]\nmemory = gpa=0xffffffffe000 size=8K\n"
				  "memory = gpa=0xfef00000 size=4K\n", &fake_iommu_ops), 0);
	const struct partition_cfg *d = &vm_set.d[0];
	static const struct { u64 gpa, len; int region; } cases[] = {
		{ 0xffffffffe000, 0x2000, 0 }, { 0xfffffffff000, 0x1000, 0 }, { 0xffffffffffff, 1, 0 },
		{ 0xffffffffffff, 2, -1 }, { 0xffffffffe000, ~0ULL, -1 }, { ~0ULL, 1, -1 }, { ~0ULL - 0xfff, 0x1000, -1 },
		{ 0xfef00000, 0x1000, 1 }, { 0xfef00fff, 2, -1 }, { 0xfeefffff, 1, -1 }, { 0xfef00000, ~0ULL, -1 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct part_region *r = part_region_at(d, cases[i].gpa, cases[i].len);
		const struct part_region *want = cases[i].region < 0 ? NULL : &d->regions[cases[i].region];
		if (r != want)
			fail_msg("part_region_at(0x%llx, 0x%llx): region %ld, wanted %d",
				 (unsigned long long)cases[i].gpa, (unsigned long long)cases[i].len,
				 r ? (long)(r - d->regions) : -1L, cases[i].region);
	}
	/* Host addresses: the last byte of a region is its own; 0 and 2^64 - 1 are nobody's. */
	const struct part_region *r0 = &d->regions[0];
	assert_ptr_equal(partition_of_hpa(&vm_set, r0->hpa + r0->size - 1, NULL), d);
	assert_null(partition_of_hpa(&vm_set, ~0ULL, NULL));
	assert_null(partition_of_hpa(&vm_set, 0, NULL));
}

/*
 * A function behind a second host bridge (QEMU pxb-pcie: root bus 0x40,
 * which no bridge of bus 0 leads to) is found, grouped, assigned and
 * translated like one of bus 0.
 */
static void device_behind_a_second_host_bridge_is_assigned_like_the_others(void **state)
{
	(void)state;
	/* The root port has ACS (SV, RR, CR, UF), as QEMU's pcie-root-port. */
	topo_acs(topo_port(S(0x40, 0, 0), 4, 0x41, 0x41), 0x1d, 0);
	fake_edu_add(S(0x41, 0, 0), 0xfe200000);
	pci_reset();
	pci_add_host_bridge(0, 0x00, 0xff);
	assert_true(pci_scan() > 0);
	const struct pci_dev *edu = pci_find(S(0x41, 0, 0));
	assert_non_null(edu);
	assert_int_not_equal(edu->group, pci_find(EDU1)->group);
	assert_int_not_equal(edu->group, pci_find(S(0x40, 0, 0))->group);

	fake_log_capture();
	assert_int_equal(vm_setup("[partition \"p1\"]\nmemory = gpa=0x90000000 size=1M hpa=0x90000000\n"
				  "device = 41:00.0\n", &fake_iommu_ops), 0);
	assert_string_equal(fio.calls, "create p1;map p1 0x90000000 0x90000000 0x100000 rw;attach p1 41:00.0;enable;");
	assert_true(fake_log_has("INFO part: p1: device 41:00.0 attached (fake)\n"));
	u64 hpa = 0;
	assert_true(fio_translate(S(0x41, 0, 0), 0x90000000, 0x80, true, &hpa));
	assert_int_equal(hpa, 0x90000000);
	/* Its neighbour on bus 0 was given to nobody: its DMA goes nowhere. */
	assert_false(fio_translate(EDU1, 0x90000000, 0x80, true, &hpa));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(memory_is_claimed_exactly_or_where_it_fits_and_zeroed, setup),
		cmocka_unit_test_setup(chosen_memory_is_2m_aligned_when_the_region_allows, setup),
		cmocka_unit_test_setup(region_alignment_follows_the_largest_leaf, setup),
		cmocka_unit_test_setup(chosen_memory_falls_back_to_smaller_alignment, setup),
		cmocka_unit_test_setup(iommu_calls_come_in_partition_order_then_enable, setup),
		cmocka_unit_test_setup(iommu_off_programs_nothing_and_says_so, setup),
		cmocka_unit_test_setup(iommu_on_without_an_iommu_sets_nothing_up, setup),
		cmocka_unit_test_setup(a_failed_attach_undoes_that_partition_only, setup),
		cmocka_unit_test_setup(a_partition_without_an_iommu_domain_is_marked_failed, setup),
		cmocka_unit_test_setup(a_broken_config_blocks_all_dma_only_with_iommu_on, setup),
		cmocka_unit_test_setup(no_room_for_chosen_memory_gives_back_what_was_taken, setup),
		cmocka_unit_test_setup(lookups_translate_and_find_owners, setup),
		cmocka_unit_test_setup(regions_at_the_top_of_the_address_space_are_found_without_wrapping, setup),
		cmocka_unit_test_setup(device_behind_a_second_host_bridge_is_assigned_like_the_others, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
