/*
 * Host tests for kernel/page_alloc.c. Free ranges are checked exactly,
 * through page_alloc_print's debug lines, after each kind of change:
 * init from a map, first-fit and aligned allocation, fixed allocation,
 * reserve, free with merging, and a full range table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "kernel/page_alloc.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "tests/fakes/fake_log.h"

#define RAW(s, e, t)    { .base = (s), .size = (e) - (s), .type = (t) }

struct want { u64 start, end; };

static struct memmap map;

/* Normalises the raw entries into map and starts the allocator from it. */
static void init_from(const struct boot_mmap_entry *in, u32 n)
{
	assert_int_equal(memmap_normalise(in, n, &map, NULL), 0);
	assert_int_equal(page_alloc_init(&map), 0);
}
#define INIT(...) do { \
		static const struct boot_mmap_entry in_[] = { __VA_ARGS__ }; \
		init_from(in_, ARRAY_SIZE(in_)); \
	} while (0)

/* Fails unless the free ranges are exactly w[0..n), as page_alloc_print tells. */
static void assert_free(const struct want *w, u32 n)
{
	static char expect[1 << 16];
	size_t len = 0;
	u64 pages = 0;

	for (u32 i = 0; i < n; i++) {
		u64 np = (w[i].end - w[i].start) / PAGE_SIZE;
		len += (size_t)snprintf(expect + len, sizeof(expect) - len,
			"c0 DBG  mem: free [0x%016lx-0x%016lx] %lu pages\n", w[i].start,
			w[i].end - 1, np);
		pages += np;
	}
	snprintf(expect + len, sizeof(expect) - len,
		 "c0 DBG  mem: free: %u ranges, %lu pages (%lu MiB)\n", n, pages, pages / 256);
	fake_log_capture();
	page_alloc_print();
	assert_string_equal(fake_log_text(), expect);
	assert_true(page_alloc_free_pages() == pages);
}
#define ASSERT_FREE(...) do { \
		static const struct want w_[] = { __VA_ARGS__ }; \
		assert_free(w_, ARRAY_SIZE(w_)); \
	} while (0)
#define ASSERT_NOTHING_FREE()   assert_free(NULL, 0)

static int setup(void **state __unused)
{
	assert_int_equal(log_set_levels("info,mem:debug"), 0);
	fake_log_capture();
	return 0;
}

static void init_frees_only_the_whole_usable_pages_of_the_map(void **state __unused)
{
	INIT(RAW(0x0000000000, 0x000009fc00, BOOT_MEM_USABLE),
	     RAW(0x000009fc00, 0x00000a0000, BOOT_MEM_RESERVED),
	     RAW(0x00000f0000, 0x0000100000, BOOT_MEM_RESERVED),
	     RAW(0x0000100000, 0x007ffe0000, BOOT_MEM_USABLE),
	     RAW(0x007ffe0000, 0x0080000000, BOOT_MEM_RESERVED),
	     RAW(0x00b0000000, 0x00c0000000, BOOT_MEM_RESERVED),
	     RAW(0x00fed1c000, 0x00fed20000, BOOT_MEM_RESERVED),
	     RAW(0x00fffc0000, 0x0100000000, BOOT_MEM_RESERVED),
	     RAW(0x0100000000, 0x0180000000, BOOT_MEM_USABLE),
	     RAW(0x0020000000, 0x0020100000, BOOT_MEM_ACPI));
	ASSERT_FREE({ 0x0, 0x9f000 }, { 0x100000, 0x20000000 }, { 0x20100000, 0x7ffe0000 },
		    { 0x100000000, 0x180000000 });
}

static void init_starts_over_each_time(void **state __unused)
{
	u64 pa;

	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_pages(4, PAGE_SIZE, &pa), 0);
	assert_int_equal(page_alloc_init(&map), 0);
	ASSERT_FREE({ 0x100000, 0x200000 });
}

static void init_with_no_usable_ram_leaves_nothing_to_allocate(void **state __unused)
{
	u64 pa = 0x1234;

	INIT(RAW(0xf0000, 0x100000, BOOT_MEM_RESERVED),
	     RAW(0x100000, 0x100fff, BOOT_MEM_USABLE));
	ASSERT_NOTHING_FREE();
	assert_int_equal(page_alloc_pages(1, PAGE_SIZE, &pa), -HV_ENOMEM);
	assert_true(pa == 0x1234);
}

static void allocation_is_first_fit_from_the_lowest_address(void **state __unused)
{
	u64 a, b, c;

	INIT(RAW(0x300000, 0x400000, BOOT_MEM_USABLE), RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_pages(1, PAGE_SIZE, &a), 0);
	assert_int_equal(page_alloc_pages(2, PAGE_SIZE, &b), 0);
	assert_int_equal(page_alloc_pages(1, PAGE_SIZE, &c), 0);
	assert_true(a == 0x100000);
	assert_true(b == 0x101000);
	assert_true(c == 0x103000);
	ASSERT_FREE({ 0x104000, 0x200000 }, { 0x300000, 0x400000 });
}

static void allocation_skips_ranges_too_small_for_the_run(void **state __unused)
{
	u64 pa;

	INIT(RAW(0x1000, 0x4000, BOOT_MEM_USABLE), RAW(0x10000, 0x20000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_pages(4, PAGE_SIZE, &pa), 0);
	assert_true(pa == 0x10000);
	ASSERT_FREE({ 0x1000, 0x4000 }, { 0x14000, 0x20000 });
}

static void allocation_honours_2mib_alignment_and_keeps_the_skipped_head_free(void **state __unused)
{
	u64 pa;

	INIT(RAW(0x101000, 0x800000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_pages(1, 2 * MiB, &pa), 0);
	assert_true(pa == 0x200000);
	assert_int_equal(page_alloc_pages(512, 2 * MiB, &pa), 0);
	assert_true(pa == 0x400000);
	ASSERT_FREE({ 0x101000, 0x200000 }, { 0x201000, 0x400000 }, { 0x600000, 0x800000 });
	assert_int_equal(page_alloc_pages(1, PAGE_SIZE, &pa), 0);
	assert_true(pa == 0x101000);
}

static void alignment_no_range_can_satisfy_gives_enomem(void **state __unused)
{
	u64 pa;

	INIT(RAW(0x201000, 0x5ff000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_pages(512, 2 * MiB, &pa), -HV_ENOMEM);
	assert_int_equal(page_alloc_pages(1, GiB, &pa), -HV_ENOMEM);
	ASSERT_FREE({ 0x201000, 0x5ff000 });
}

static void allocation_rejects_zero_pages_and_bad_alignment(void **state __unused)
{
	u64 pa;

	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_pages(0, PAGE_SIZE, &pa), -HV_EINVAL);
	assert_int_equal(page_alloc_pages(1, 0, &pa), -HV_EINVAL);
	assert_int_equal(page_alloc_pages(1, 512, &pa), -HV_EINVAL);
	assert_int_equal(page_alloc_pages(1, 0x3000, &pa), -HV_EINVAL);
	assert_int_equal(page_alloc_pages(~0ULL, PAGE_SIZE, &pa), -HV_EINVAL);
	assert_int_equal(page_alloc_pages(1, PAGE_SIZE, NULL), -HV_EINVAL);
	ASSERT_FREE({ 0x100000, 0x200000 });
}

static void exhaustion_gives_enomem_and_changes_nothing(void **state __unused)
{
	u64 pa, n = 0;

	INIT(RAW(0x100000, 0x110000, BOOT_MEM_USABLE), RAW(0x200000, 0x208000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_pages(25, PAGE_SIZE, &pa), -HV_ENOMEM);
	assert_true(page_alloc_free_pages() == 24);
	while (page_alloc_pages(1, PAGE_SIZE, &pa) == 0)
		n++;
	assert_true(n == 24);
	assert_true(pa == 0x207000);
	assert_int_equal(page_alloc_pages(1, PAGE_SIZE, &pa), -HV_ENOMEM);
	ASSERT_NOTHING_FREE();
}

static void fixed_allocation_of_free_pages_succeeds(void **state __unused)
{
	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_fixed(0x180000, 16), 0);
	assert_int_equal(page_alloc_fixed(0x100000, 1), 0);
	assert_int_equal(page_alloc_fixed(0x1ff000, 1), 0);
	ASSERT_FREE({ 0x101000, 0x180000 }, { 0x190000, 0x1ff000 });
}

static void fixed_allocation_fails_when_one_page_is_reserved(void **state __unused)
{
	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_reserve(0x10f000, 0x1000, "test"), 0);
	assert_int_equal(page_alloc_fixed(0x100000, 16), -HV_EBUSY);
	assert_int_equal(page_alloc_fixed(0x10f000, 1), -HV_EBUSY);
	ASSERT_FREE({ 0x100000, 0x10f000 }, { 0x110000, 0x200000 });
}

static void fixed_allocation_partly_over_reserved_memory_is_busy(void **state __unused)
{
	INIT(RAW(0x000000, 0x09fc00, BOOT_MEM_USABLE), RAW(0x09fc00, 0x0a0000, BOOT_MEM_RESERVED),
	     RAW(0x0f0000, 0x100000, BOOT_MEM_RESERVED), RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_fixed(0x9e000, 2), -HV_EBUSY);      /* last page is the EBDA's */
	assert_int_equal(page_alloc_fixed(0xff000, 2), -HV_EBUSY);      /* starts in BIOS ROM */
	assert_int_equal(page_alloc_fixed(0x80000, 0x100), -HV_EBUSY);  /* spans the hole */
	assert_int_equal(page_alloc_fixed(0x9e000, 1), 0);
	ASSERT_FREE({ 0x0, 0x9e000 }, { 0x100000, 0x200000 });
}

static void fixed_allocation_of_allocated_pages_is_busy(void **state __unused)
{
	u64 pa;

	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_pages(2, PAGE_SIZE, &pa), 0);
	assert_int_equal(page_alloc_fixed(pa + PAGE_SIZE, 2), -HV_EBUSY);
	assert_int_equal(page_alloc_fixed(0x300000, 1), -HV_EBUSY);     /* never was RAM */
	ASSERT_FREE({ 0x102000, 0x200000 });
}

static void fixed_allocation_rejects_unaligned_empty_or_wrapping_runs(void **state __unused)
{
	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_fixed(0x100800, 1), -HV_EINVAL);
	assert_int_equal(page_alloc_fixed(0x100000, 0), -HV_EINVAL);
	assert_int_equal(page_alloc_fixed(0xfffffffffffff000ULL, 2), -HV_EINVAL);
	assert_int_equal(page_alloc_fixed(0x100000, ~0ULL >> 12), -HV_EINVAL);
	ASSERT_FREE({ 0x100000, 0x200000 });
}

static void reserve_in_the_middle_splits_a_range(void **state __unused)
{
	INIT(RAW(0x100000, 0x800000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_reserve(0x400000, 0x100000, "test"), 0);
	ASSERT_FREE({ 0x100000, 0x400000 }, { 0x500000, 0x800000 });
	assert_false(page_alloc_is_free(0x400000, PAGE_SIZE));
	assert_false(page_alloc_is_free(0x4ff000, PAGE_SIZE));
	assert_true(page_alloc_is_free(0x3ff000, PAGE_SIZE));
	assert_true(page_alloc_is_free(0x500000, PAGE_SIZE));
}

static void reserve_rounds_outward_to_whole_pages(void **state __unused)
{
	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_reserve(0x150800, 0x1000, "test"), 0);     /* touches 2 pages */
	assert_int_equal(page_alloc_reserve(0x160fff, 1, "test"), 0);
	assert_int_equal(page_alloc_reserve(0x170000, 0, "test"), 0);          /* no pages */
	ASSERT_FREE({ 0x100000, 0x150000 }, { 0x152000, 0x160000 }, { 0x161000, 0x200000 });
}

static void reserve_across_several_ranges_removes_every_overlap(void **state __unused)
{
	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE), RAW(0x300000, 0x400000, BOOT_MEM_USABLE),
	     RAW(0x500000, 0x600000, BOOT_MEM_USABLE), RAW(0x700000, 0x800000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_reserve(0x180000, 0x480000, "test"), 0);
	ASSERT_FREE({ 0x100000, 0x180000 }, { 0x700000, 0x800000 });
	assert_int_equal(page_alloc_reserve(0x0, 0x100000000, "test"), 0);
	ASSERT_NOTHING_FREE();
}

static void reserve_of_memory_that_is_not_free_changes_nothing(void **state __unused)
{
	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_reserve(0xf0000, 0x10000, "bios"), 0);
	assert_int_equal(page_alloc_reserve(0xfee00000, 0x1000, "lapic"), 0);
	assert_int_equal(page_alloc_reserve(0xfffffffffffff800ULL, 0x1000, "wraps"), 0);
	ASSERT_FREE({ 0x100000, 0x200000 });
}

static void reserve_logs_what_it_reserved_and_why(void **state __unused)
{
	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	fake_log_capture();
	assert_int_equal(page_alloc_reserve(0x100800, 0x2345, "kernel"), 0);
	assert_string_equal(fake_log_text(),
			    "c0 DBG  mem: reserve [0x0000000000100000-0x0000000000102fff] kernel\n");
}

static bool overlaps(u64 pa, u64 size, u64 start, u64 end)
{
	return pa < end && start < pa + size;
}

static void reserved_kernel_and_module_ranges_are_never_returned(void **state __unused)
{
	u64 pa, pages = 0;

	INIT(RAW(0x000000, 0x09fc00, BOOT_MEM_USABLE), RAW(0x100000, 0x4000000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_reserve(0x0, MiB, "low memory"), 0);
	assert_int_equal(page_alloc_reserve(0x100000, 0x2345a, "kernel"), 0);
	assert_int_equal(page_alloc_reserve(0x800800, 0xff800, "initrd"), 0);
	ASSERT_FREE({ 0x124000, 0x800000 }, { 0x900000, 0x4000000 });

	for (; page_alloc_pages(1, 2 * MiB, &pa) == 0; pages++)
		assert_true(!overlaps(pa, PAGE_SIZE, 0, 0x124000) &&
			    !overlaps(pa, PAGE_SIZE, 0x800000, 0x900000));
	while (page_alloc_pages(1, PAGE_SIZE, &pa) == 0) {
		assert_false(overlaps(pa, PAGE_SIZE, 0, 0x124000));
		assert_false(overlaps(pa, PAGE_SIZE, 0x800000, 0x900000));
		pages++;
	}
	assert_true(pages == (0x4000000 - 0x100000) / PAGE_SIZE - 0x24 - 0x100);
	assert_int_equal(page_alloc_fixed(0x100000, 1), -HV_EBUSY);
}

/* Reserving every other page of one range fills the table after 1023 cuts. */
static void fill_range_table(void)
{
	INIT(RAW(0x0, GiB, BOOT_MEM_USABLE));
	for (u64 i = 0; i < PAGE_ALLOC_RANGES_MAX - 1; i++)
		assert_int_equal(page_alloc_reserve(0x1000 + i * 0x2000, PAGE_SIZE, "cut"), 0);
}

static void full_range_table_gives_enomem_and_changes_nothing(void **state __unused)
{
	u64 pa = 0;

	fill_range_table();
	u64 pages = page_alloc_free_pages();
	assert_int_equal(page_alloc_reserve(0x900000, PAGE_SIZE, "one too many"), -HV_ENOMEM);
	assert_int_equal(page_alloc_fixed(0x900000, 1), -HV_ENOMEM);
	assert_int_equal(page_alloc_pages(2, 4 * MiB, &pa), -HV_ENOMEM);
	assert_int_equal(page_free(0x80000000, 1), -HV_ENOMEM);
	assert_true(page_alloc_free_pages() == pages);
	/* Trimming the end of a range or taking a whole one needs no new slot. */
	assert_int_equal(page_alloc_reserve(0x7fe000, PAGE_SIZE, "edge"), 0);
	assert_int_equal(page_alloc_pages(1, PAGE_SIZE, &pa), 0);
	assert_true(pa == 0);
	assert_true(page_alloc_free_pages() == pages - 2);
}

static void free_merges_with_both_neighbours(void **state __unused)
{
	u64 a, b, c;

	INIT(RAW(0x100000, 0x104000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_pages(1, PAGE_SIZE, &a), 0);
	assert_int_equal(page_alloc_pages(1, PAGE_SIZE, &b), 0);
	assert_int_equal(page_alloc_pages(1, PAGE_SIZE, &c), 0);
	ASSERT_FREE({ 0x103000, 0x104000 });
	assert_int_equal(page_free(a, 1), 0);
	ASSERT_FREE({ 0x100000, 0x101000 }, { 0x103000, 0x104000 });
	assert_int_equal(page_free(c, 1), 0);
	ASSERT_FREE({ 0x100000, 0x101000 }, { 0x102000, 0x104000 });
	assert_int_equal(page_free(b, 1), 0);
	ASSERT_FREE({ 0x100000, 0x104000 });
}

static void double_free_is_detected(void **state __unused)
{
	u64 pa;

	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_pages(4, PAGE_SIZE, &pa), 0);
	assert_int_equal(page_free(pa, 4), 0);
	assert_int_equal(page_free(pa, 4), -HV_EINVAL);
	assert_int_equal(page_alloc_pages(4, PAGE_SIZE, &pa), 0);
	assert_int_equal(page_free(pa + 2 * PAGE_SIZE, 4), -HV_EINVAL); /* runs into free pages */
	assert_int_equal(page_free(pa, 2), 0);
	assert_int_equal(page_free(pa + PAGE_SIZE, 2), -HV_EINVAL);     /* starts in free pages */
	ASSERT_FREE({ 0x100000, 0x102000 }, { 0x104000, 0x200000 });
}

static void free_rejects_unaligned_empty_or_wrapping_runs(void **state __unused)
{
	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_fixed(0x100000, 1), 0);
	assert_int_equal(page_free(0x100800, 1), -HV_EINVAL);
	assert_int_equal(page_free(0x100000, 0), -HV_EINVAL);
	assert_int_equal(page_free(0xfffffffffffff000ULL, 1), -HV_EINVAL);
	ASSERT_FREE({ 0x101000, 0x200000 });
}

static void is_free_counts_every_page_the_range_touches(void **state __unused)
{
	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(page_alloc_fixed(0x150000, 1), 0);
	assert_true(page_alloc_is_free(0x14f000, 0x1000));
	assert_false(page_alloc_is_free(0x14f000, 0x1001));
	assert_false(page_alloc_is_free(0x14ffff, 1 + 0x1000));
	assert_true(page_alloc_is_free(0x151fff, 1));
	assert_true(page_alloc_is_free(0x100000, 0x50000));
	assert_false(page_alloc_is_free(0x100000, 0x100000));
	assert_true(page_alloc_is_free(0x150000, 0));           /* no pages: vacuously free */
}

static void is_free_is_false_outside_usable_ram_and_for_wrapping_ranges(void **state __unused)
{
	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE), RAW(0x200000, 0x300000, BOOT_MEM_RESERVED));
	assert_false(page_alloc_is_free(0x1ff000, 0x2000));
	assert_false(page_alloc_is_free(0x0, 0x1000));
	assert_false(page_alloc_is_free(0x1ff000, ~0ULL));
	assert_false(page_alloc_is_free(0xfffffffffffff800ULL, 0x10));
}

static void print_stays_quiet_unless_mem_debug_is_on(void **state __unused)
{
	INIT(RAW(0x100000, 0x200000, BOOT_MEM_USABLE));
	assert_int_equal(log_set_levels("info"), 0);
	fake_log_capture();
	page_alloc_print();
	assert_int_equal(page_alloc_reserve(0x100000, 0x1000, "quiet"), 0);
	assert_string_equal(fake_log_text(), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(init_frees_only_the_whole_usable_pages_of_the_map, setup),
		cmocka_unit_test_setup(init_starts_over_each_time, setup),
		cmocka_unit_test_setup(init_with_no_usable_ram_leaves_nothing_to_allocate, setup),
		cmocka_unit_test_setup(allocation_is_first_fit_from_the_lowest_address, setup),
		cmocka_unit_test_setup(allocation_skips_ranges_too_small_for_the_run, setup),
		cmocka_unit_test_setup(allocation_honours_2mib_alignment_and_keeps_the_skipped_head_free, setup),
		cmocka_unit_test_setup(alignment_no_range_can_satisfy_gives_enomem, setup),
		cmocka_unit_test_setup(allocation_rejects_zero_pages_and_bad_alignment, setup),
		cmocka_unit_test_setup(exhaustion_gives_enomem_and_changes_nothing, setup),
		cmocka_unit_test_setup(fixed_allocation_of_free_pages_succeeds, setup),
		cmocka_unit_test_setup(fixed_allocation_fails_when_one_page_is_reserved, setup),
		cmocka_unit_test_setup(fixed_allocation_partly_over_reserved_memory_is_busy, setup),
		cmocka_unit_test_setup(fixed_allocation_of_allocated_pages_is_busy, setup),
		cmocka_unit_test_setup(fixed_allocation_rejects_unaligned_empty_or_wrapping_runs, setup),
		cmocka_unit_test_setup(reserve_in_the_middle_splits_a_range, setup),
		cmocka_unit_test_setup(reserve_rounds_outward_to_whole_pages, setup),
		cmocka_unit_test_setup(reserve_across_several_ranges_removes_every_overlap, setup),
		cmocka_unit_test_setup(reserve_of_memory_that_is_not_free_changes_nothing, setup),
		cmocka_unit_test_setup(reserve_logs_what_it_reserved_and_why, setup),
		cmocka_unit_test_setup(reserved_kernel_and_module_ranges_are_never_returned, setup),
		cmocka_unit_test_setup(full_range_table_gives_enomem_and_changes_nothing, setup),
		cmocka_unit_test_setup(free_merges_with_both_neighbours, setup),
		cmocka_unit_test_setup(double_free_is_detected, setup),
		cmocka_unit_test_setup(free_rejects_unaligned_empty_or_wrapping_runs, setup),
		cmocka_unit_test_setup(is_free_counts_every_page_the_range_touches, setup),
		cmocka_unit_test_setup(is_free_is_false_outside_usable_ram_and_for_wrapping_ranges, setup),
		cmocka_unit_test_setup(print_stays_quiet_unless_mem_debug_is_on, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
