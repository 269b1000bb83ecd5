/*
 * Host tests for vm/part/remap.c (partition_remap): the order that keeps a
 * moving region safe from devices (IOMMU unmap and its invalidation wait
 * before the copy, the new pages mapped only once copied, the old pages
 * zeroed and freed only at the end), the nested table and TLB switched,
 * and the refusals and failures that leave everything where it was; the
 * stop's unmap of every region and the restart's unmap, zero, map.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/part/partition.h"
#include "iommu/iommu.h"
#include "kernel/page_alloc.h"
#include "kernel/pgtable.h"
#include "kernel/hw/mem.h"
#include "kernel/err.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_log.h"
#include "tests/fakes/fake_mem.h"
#include "tests/fakes/fake_ram.h"

#define RAM_SIZE        (16 * MiB)
#define GPA             0x200000ULL
#define SIZE            0x10000ULL
#define PATTERN         0xa5

static struct partition_cfg cfg;
static struct partition part;
static u64 old_hpa;

/* The IOMMU as the remap sees it, with what the memory held at each call. */
static struct {
	int unmap_ret, map_ret;
	unsigned unmaps, maps, flushes;
	bool old_intact_at_unmap;       /* the old pages still hold the data when the devices lose them */
	bool new_copied_at_map;         /* the new pages hold it before any device may reach them */
	bool old_intact_at_map;
	u64 map_hpa;
	bool zero_at_map;               /* partition_memory_reset: the pages go back zeroed */
	char order[16];
} io;

static bool all(u64 pa, u8 v)
{
	const u8 *p = phys_to_virt(pa, SIZE);
	for (u64 i = 0; i < SIZE; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* [iova, iova+size) is one of the partition's regions, whole. */
static const struct part_region *region_at(u64 iova, u64 size)
{
	for (u32 i = 0; i < cfg.nr_regions; i++)
		if (cfg.regions[i].gpa == iova && cfg.regions[i].size == size)
			return &cfg.regions[i];
	fail_msg("iova 0x%llx size 0x%llx is no region of the partition", (unsigned long long)iova, (unsigned long long)size);
	return NULL;
}

static int io_unmap(struct iommu_domain *d, u64 iova, u64 size)
{
	(void)d;
	region_at(iova, size);
	io.unmaps++;
	strcat(io.order, "U");
	io.old_intact_at_unmap = all(old_hpa, PATTERN);
	return io.unmap_ret;
}

/* All of them in one call (one invalidation sequence): "A" in the order, each range a whole region. */
static int io_unmap_ranges(struct iommu_domain *d, const struct iommu_range *r, unsigned n)
{
	(void)d;
	assert_int_equal(n, cfg.nr_regions);
	for (unsigned i = 0; i < n; i++)
		region_at(r[i].iova, r[i].size);
	io.unmaps++;
	strcat(io.order, "A");
	io.old_intact_at_unmap = all(old_hpa, PATTERN);
	return io.unmap_ret;
}

static int io_map(struct iommu_domain *d, u64 iova, u64 hpa, u64 size, u32 prot)
{
	(void)d;
	assert_int_equal(prot, region_at(iova, size)->prot);
	io.maps++;
	strcat(io.order, "M");
	io.map_hpa = hpa;
	io.new_copied_at_map = all(hpa, PATTERN);
	io.zero_at_map = all(hpa, 0);
	io.old_intact_at_map = all(old_hpa, PATTERN);
	return io.map_ret;
}

static void flush_tlb(struct vcpu *v)
{
	(void)v;
	io.flushes++;
	strcat(io.order, "F");
}

static const struct iommu_ops io_ops = { .name = "test", .map = io_map, .unmap = io_unmap,
					 .unmap_ranges = io_unmap_ranges };
static const struct virt_ops virt = { .name = "test", .pt_format = PT_FMT_NPT, .vcpu_flush_tlb = flush_tlb };

static int setup(void **state)
{
	(void)state;
	fake_hw_reset();
	fake_log_capture();
	fake_ram_init(FAKE_MEM_BASE, RAM_SIZE);
	memset(&io, 0, sizeof(io));
	memset(&cfg, 0, sizeof(cfg));
	memset(&part, 0, sizeof(part));
	strcpy(cfg.name, "r");
	assert_int_equal(page_alloc_pages(SIZE / PAGE_SIZE, PAGE_SIZE, &old_hpa), 0);
	memset(phys_to_virt(old_hpa, SIZE), PATTERN, SIZE);
	cfg.nr_regions = 1;
	cfg.regions[0] = (struct part_region){ .gpa = GPA, .hpa = old_hpa, .size = SIZE,
						 .prot = IOMMU_READ | IOMMU_WRITE, .claimed = true };
	cfg.iommu = (struct iommu_domain *)&cfg;        /* opaque to the remap */
	cfg.iommu_ops = &io_ops;
	part.cfg = &cfg;
	part.ops = &virt;
	assert_int_equal(pt_init(&part.npt, PT_FMT_NPT, 4, PT_LARGE_2M, &pt_mem_host), 0);
	assert_int_equal(pt_map(&part.npt, GPA, old_hpa, SIZE, partition_npt_prot(IOMMU_READ | IOMMU_WRITE)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_mem_reset();
	return 0;
}

static void remap_moves_data_in_the_safe_order(void **state)
{
	(void)state;
	u64 free_before = page_alloc_free_pages(), pa;
	u32 prot;

	assert_int_equal(partition_remap(&part, GPA), 0);
	assert_string_equal(io.order, "UMF");                   /* devices off, back on the copy, then the CPU */
	assert_true(io.old_intact_at_unmap);
	assert_true(io.new_copied_at_map);
	assert_true(io.old_intact_at_map);                      /* not freed (nor zeroed) before the map */
	u64 new_hpa = cfg.regions[0].hpa;
	assert_int_not_equal(new_hpa, old_hpa);
	assert_int_equal(io.map_hpa, new_hpa);
	assert_int_equal(pt_lookup(&part.npt, GPA + 0x1234, &pa, &prot, NULL), 0);
	assert_int_equal(pa, new_hpa + 0x1234);
	assert_true(all(new_hpa, PATTERN));
	assert_true(all(old_hpa, 0));                           /* nothing of the partition left behind */
	assert_int_equal(page_alloc_free_pages(), free_before); /* new taken, old given back */
	assert_true(fake_log_has("INFO remap: r: region gpa [0x0000000000200000-0x000000000020ffff] moved from hpa "));
}

static void refused_regions_stay(void **state)
{
	(void)state;
	u64 free_before = page_alloc_free_pages();

	assert_int_equal(partition_remap(&part, GPA + PAGE_SIZE), -HV_ENOENT);
	cfg.regions[0].hpa_fixed = true;
	assert_int_equal(partition_remap(&part, GPA), -HV_EPERM);
	assert_true(fake_log_has("WARN remap: r: region gpa 0x0000000000200000 stays: its hpa is fixed by the config (hpa=)"));
	cfg.regions[0].hpa_fixed = false;
	cfg.regions[0].rmrr = true;
	assert_int_equal(partition_remap(&part, GPA), -HV_EPERM);
	assert_int_equal(io.unmaps + io.maps + io.flushes, 0);
	assert_int_equal(cfg.regions[0].hpa, old_hpa);
	assert_int_equal(page_alloc_free_pages(), free_before);
}

/* The IOMMU could not take the region from its devices: nothing moves, nothing leaks. */
static void a_failed_unmap_leaves_the_region_where_it_was(void **state)
{
	(void)state;
	u64 free_before = page_alloc_free_pages(), pa;
	u32 prot;

	io.unmap_ret = -HV_ETIMEDOUT;
	assert_int_equal(partition_remap(&part, GPA), -HV_ETIMEDOUT);
	assert_string_equal(io.order, "U");
	assert_int_equal(cfg.regions[0].hpa, old_hpa);
	assert_true(all(old_hpa, PATTERN));
	assert_int_equal(pt_lookup(&part.npt, GPA, &pa, &prot, NULL), 0);
	assert_int_equal(pa, old_hpa);
	assert_int_equal(page_alloc_free_pages(), free_before);
}

/* Failing half way: the old pages are kept (a device might still hold them), the caller parks. */
static void a_failed_map_keeps_the_old_pages(void **state)
{
	(void)state;
	u64 free_before = page_alloc_free_pages();

	io.map_ret = -HV_ENOMEM;
	assert_int_equal(partition_remap(&part, GPA), -HV_ENOMEM);
	assert_true(all(old_hpa, PATTERN));
	assert_int_equal(io.flushes, 0);
	assert_true(page_alloc_free_pages() < free_before);     /* neither set of pages given back */
	assert_true(fake_log_has("ERR  remap: r: region gpa 0x0000000000200000: remap failed half way"));
}

/* A second region, 8 pages after the first, holding PATTERN too. */
static u64 add_second_region(void)
{
	u64 hpa;
	assert_int_equal(page_alloc_pages(SIZE / PAGE_SIZE, PAGE_SIZE, &hpa), 0);
	memset(phys_to_virt(hpa, SIZE), PATTERN, SIZE);
	cfg.regions[cfg.nr_regions++] = (struct part_region){ .gpa = GPA + 8 * SIZE, .hpa = hpa, .size = SIZE,
								.prot = IOMMU_READ, .claimed = true };
	return hpa;
}

/* Partition stop: every region leaves the IOMMU in one call, nothing else changes. */
static void stop_unmaps_every_region_and_keeps_the_memory(void **state)
{
	(void)state;
	u64 second = add_second_region();
	assert_int_equal(partition_iommu_unmap(&part), 0);
	assert_string_equal(io.order, "A");
	assert_true(all(old_hpa, PATTERN) && all(second, PATTERN));
	memset(io.order, 0, sizeof(io.order));
	io.unmap_ret = -HV_ETIMEDOUT;
	assert_int_equal(partition_iommu_unmap(&part), -HV_ETIMEDOUT);
	assert_true(fake_log_has("ERR  remap: r: its 2 region(s) not all out of the IOMMU: timed out"));
	cfg.iommu = NULL;
	memset(io.order, 0, sizeof(io.order));
	assert_int_equal(partition_iommu_unmap(&part), 0);      /* no IOMMU: nothing to do */
	assert_string_equal(io.order, "");
}

/* Restart: every region out of the IOMMU while the memory still holds the last run, back in only once zeroed. */
static void reset_unmaps_all_then_zeroes_then_maps(void **state)
{
	(void)state;
	u64 second = add_second_region();
	assert_int_equal(partition_memory_reset(&part), 0);
	assert_string_equal(io.order, "AMM");
	assert_true(io.old_intact_at_unmap);                    /* the first region still held its data */
	assert_true(io.zero_at_map);                            /* the last map saw zeroed pages */
	assert_true(all(old_hpa, 0) && all(second, 0));
	assert_int_equal(cfg.regions[0].hpa, old_hpa);          /* same pages, same nested table */
	assert_int_equal(io.map_hpa, second);
	assert_int_equal(io.flushes, 0);

	/* An unmap that fails zeroes nothing and maps nothing: the caller parks. */
	memset(phys_to_virt(old_hpa, SIZE), PATTERN, SIZE);
	memset(io.order, 0, sizeof(io.order));
	io.unmap_ret = -HV_ETIMEDOUT;
	assert_int_equal(partition_memory_reset(&part), -HV_ETIMEDOUT);
	assert_string_equal(io.order, "A");
	assert_true(all(old_hpa, PATTERN));
}

/* An RMRR's region is the firmware's: out of the IOMMU and back, never written. */
static void reset_leaves_rmrr_memory_alone(void **state)
{
	(void)state;
	cfg.regions[0].rmrr = true;
	cfg.regions[0].claimed = false;
	assert_int_equal(partition_memory_reset(&part), 0);
	assert_string_equal(io.order, "AM");
	assert_true(all(old_hpa, PATTERN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(remap_moves_data_in_the_safe_order, setup, teardown),
		cmocka_unit_test_setup_teardown(refused_regions_stay, setup, teardown),
		cmocka_unit_test_setup_teardown(a_failed_unmap_leaves_the_region_where_it_was, setup, teardown),
		cmocka_unit_test_setup_teardown(a_failed_map_keeps_the_old_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(stop_unmaps_every_region_and_keeps_the_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_unmaps_all_then_zeroes_then_maps, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_leaves_rmrr_memory_alone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
