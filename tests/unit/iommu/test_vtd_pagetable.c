/*
 * Second-stage table builder (iommu/vtd_pagetable.c) over fake physical
 * memory at 0x80000000 with the real page allocator on top: AGAW choice,
 * levels, superpage choice, permissions, reserved bits, cache flushes for
 * a non-coherent unit, superpage splits, refusals, and the entry encoders.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "iommu/vtd_pagetable.h"
#include "iommu/iommu.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "kernel/memmap.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_log.h"
#include "tests/fakes/fake_mem.h"
#include "tests/fakes/fake_ram.h"

#define MEM_SIZE        (16 * MiB)
#define RW              (IOMMU_READ | IOMMU_WRITE)
#define R_W             (VTD_SSPTE_R | VTD_SSPTE_W)
#define ALL_SLLPS       (VTD_SLLPS_2M | VTD_SLLPS_1G)


/* Fake RAM of pages pages at FAKE_MEM_BASE, all of it given to the page allocator. */
static void mem_setup(u64 pages)
{
	fake_ram_init(FAKE_MEM_BASE, pages * PAGE_SIZE);
	fake_hw_reset();
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(log_set_levels("info,vtd:debug"), 0);
	fake_log_capture();
	mem_setup(MEM_SIZE / PAGE_SIZE);
	return 0;
}

static u64 *table(u64 pa)
{
	u64 *t = phys_to_virt(pa, PAGE_SIZE);
	assert_non_null(t);
	return t;
}

/* The entry for iova at level (top level = pt->levels), walking down non-leaf entries. */
static u64 entry_at(const struct pt *pt, u64 iova, unsigned level)
{
	u64 pa = pt->root_pa;

	for (unsigned l = pt->levels;; l--) {
		u64 e = table(pa)[VTD_LEVEL_INDEX(iova, l)];
		if (l == level)
			return e;
		assert_true(e & R_W);
		assert_false(e & VTD_SSPTE_PS);
		pa = e & VTD_SSPTE_ADDR;
	}
}

static unsigned present_in(u64 table_pa)
{
	unsigned n = 0;
	for (unsigned i = 0; i < VTD_SSPT_ENTRIES; i++)
		n += !!(table(table_pa)[i] & R_W);
	return n;
}

/*
 * Checks every present entry under the table at pa: non-leaf entries are
 * R|W|ADDR only; leaves carry R/W, PS above level 1, SNP exactly when
 * snoop, an address aligned to their size, and nothing else. Counts leaves.
 */
static void check_tree(u64 pa, unsigned level, bool snoop, u64 leaves[4])
{
	for (unsigned i = 0; i < VTD_SSPT_ENTRIES; i++) {
		u64 e = table(pa)[i];

		if (!e)
			continue;
		assert_true(e & R_W);
		if (level > 1 && !(e & VTD_SSPTE_PS)) {
			assert_true((e & ~(R_W | VTD_SSPTE_ADDR)) == 0);
			assert_true((e & R_W) == R_W);
			check_tree(e & VTD_SSPTE_ADDR, level - 1, snoop, leaves);
			continue;
		}
		u64 allowed = R_W | VTD_SSPTE_ADDR | (level > 1 ? VTD_SSPTE_PS : 0) |
			      (snoop ? VTD_SSPTE_SNP : 0);
		assert_true((e & ~allowed) == 0);
		assert_true(!!(e & VTD_SSPTE_SNP) == snoop);
		assert_true(level <= 3);
		assert_true(IS_ALIGNED(e & VTD_SSPTE_ADDR, 1ULL << VTD_LEVEL_SHIFT(level)));
		leaves[level]++;
	}
}

static void agaw_follows_sagaw_and_mgaw(void **state)
{
	static const struct { u32 sagaw, mgaw; int ret; unsigned levels; } rows[] = {
		{ 0x06, 48, 0, 4 },             /* QEMU: 39+48, MGAW 48 */
		{ 0x06, 39, 0, 3 },             /* QEMU aw-bits=39 */
		{ 0x06, 36, 0, 3 },
		{ 0x06, 57, 0, 4 },             /* more than the builder does: 48 */
		{ 0x0c, 57, 0, 4 },             /* 48+57 (5-level capable) */
		{ 0x02, 48, 0, 3 },             /* only 39 bits: the rest is unreachable */
		{ 0x04, 39, 0, 4 },             /* only 48 bits, though MGAW needs 39 */
		{ 0x08, 57, -HV_ENOTSUP, 0 },   /* 57-bit only */
		{ 0x01, 30, -HV_ENOTSUP, 0 },   /* 30-bit only (pre-rev 3) */
		{ 0x00, 48, -HV_ENOTSUP, 0 },
		{ 0x06, 29, -HV_EINVAL, 0 },
		{ 0x06, 65, -HV_EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		unsigned levels = 0;
		int ret = vtd_pt_agaw(rows[i].sagaw, rows[i].mgaw, &levels);

		if (ret != rows[i].ret || (ret == 0 && levels != rows[i].levels))
			fail_msg("sagaw 0x%x mgaw %u: %d/%u levels, want %d/%u", rows[i].sagaw,
				 rows[i].mgaw, ret, levels, rows[i].ret, rows[i].levels);
	}
}

static void init_takes_a_cleared_root_from_the_allocator(void **state)
{
	struct pt pt;
	u64 free_before = page_alloc_free_pages();

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 2, 0, true, false), -HV_EINVAL);
	assert_int_equal(vtd_pt_init(&pt, 5, 0, true, false), -HV_EINVAL);
	memset(table(FAKE_MEM_BASE), 0xff, PAGE_SIZE);          /* garbage where the root will be */
	assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, true, false), 0);
	assert_true(pt.root_pa >= FAKE_MEM_BASE && IS_ALIGNED(pt.root_pa, PAGE_SIZE));
	assert_int_equal(pt.levels, 4);
	assert_int_equal(pt.tables, 1);
	assert_int_equal(present_in(pt.root_pa), 0);
	for (unsigned i = 0; i < VTD_SSPT_ENTRIES; i++)
		assert_true(table(pt.root_pa)[i] == 0);
	assert_true(page_alloc_free_pages() == free_before - 1);
	pt_destroy(&pt);
	assert_true(page_alloc_free_pages() == free_before);
}

static void map_4k_page_walks_four_levels(void **state)
{
	struct pt pt;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, true, false), 0);
	assert_int_equal(pt_map(&pt, 0x10000, 0x50010000, PAGE_SIZE, RW), 0);
	assert_int_equal(pt.tables, 4);
	assert_true(entry_at(&pt, 0x10000, 1) == (0x50010000 | R_W));
	assert_int_equal(present_in(pt.root_pa), 1);
	/* L4[0], L3[0], L2[0] point down with R and W; L1[0x10] is the page. */
	assert_true((entry_at(&pt, 0x10000, 4) & ~VTD_SSPTE_ADDR) == R_W);
	assert_true((entry_at(&pt, 0x10000, 2) & ~VTD_SSPTE_ADDR) == R_W);
	pt_destroy(&pt);
}

static void map_with_3_levels_starts_at_l3(void **state)
{
	struct pt pt;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 3, 0, true, false), 0);
	assert_int_equal(pt_map(&pt, 0x7fc0000000ULL, 0x50000000, 2 * PAGE_SIZE, RW), 0);
	assert_int_equal(pt.tables, 3);
	/* 0x7fc0000000: L3[0x1ff], L2[0], L1[0] and L1[1]. */
	assert_true(table(pt.root_pa)[0x1ff] & R_W);
	assert_true(entry_at(&pt, 0x7fc0000000ULL, 1) == (0x50000000 | R_W));
	assert_true(entry_at(&pt, 0x7fc0001000ULL, 1) == (0x50001000 | R_W));
	pt_destroy(&pt);
}

static void map_uses_the_largest_aligned_pages_sllps_allows(void **state)
{
	struct pt pt;
	u64 leaves[4] = { 0 };

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, true, false), 0);
	/* 1 GiB + 2 MiB + 4 KiB, all aligned: one leaf of each size. */
	assert_int_equal(pt_map(&pt, 0x40000000, 0xc0000000, GiB + 2 * MiB + PAGE_SIZE, RW), 0);
	assert_true(entry_at(&pt, 0x40000000, 3) == (0xc0000000 | R_W | VTD_SSPTE_PS));
	assert_true(entry_at(&pt, 0x80000000, 2) == (0x100000000ULL | R_W | VTD_SSPTE_PS));
	assert_true(entry_at(&pt, 0x80200000, 1) == (0x100200000ULL | R_W));
	check_tree(pt.root_pa, 4, false, leaves);
	assert_true(leaves[3] == 1 && leaves[2] == 1 && leaves[1] == 1);
	pt_destroy(&pt);
}

static void map_without_sllps_uses_4k_pages_only(void **state)
{
	static const struct { u32 sllps; u64 l3, l2, l1; } rows[] = {
		{ 0, 0, 0, 512 * 512 + 512 },
		{ VTD_SLLPS_2M, 0, 513, 0 },
		{ VTD_SLLPS_1G, 0, 0, 512 * 512 + 512 },        /* 1G without 2M is not used */
		{ ALL_SLLPS, 1, 1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct pt pt;
		u64 leaves[4] = { 0 };

		mem_setup(MEM_SIZE / PAGE_SIZE);
		assert_int_equal(vtd_pt_init(&pt, 4, rows[i].sllps, true, false), 0);
		assert_int_equal(pt_map(&pt, GiB, 3 * GiB, GiB + 2 * MiB, RW), 0);
		check_tree(pt.root_pa, 4, false, leaves);
		if (leaves[3] != rows[i].l3 || leaves[2] != rows[i].l2 || leaves[1] != rows[i].l1)
			fail_msg("sllps 0x%x: %llu/%llu/%llu leaves", rows[i].sllps,
				 (unsigned long long)leaves[3], (unsigned long long)leaves[2],
				 (unsigned long long)leaves[1]);
		pt_destroy(&pt);
	}
}

static void misaligned_addresses_get_smaller_pages(void **state)
{
	struct pt pt;
	u64 leaves[4] = { 0 };

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, true, false), 0);
	/* hpa 4 KiB off a 2 MiB boundary: no 2 MiB leaf fits. */
	assert_int_equal(pt_map(&pt, 0x200000, 0x50201000, 2 * MiB, RW), 0);
	/* iova 2 MiB aligned but only 2 MiB - 4 KiB long. */
	assert_int_equal(pt_map(&pt, 0x600000, 0x50600000, 2 * MiB - PAGE_SIZE, RW), 0);
	/* Both aligned to 2 MiB but not to 1 GiB: 2 MiB leaves for a 1 GiB range. */
	assert_int_equal(pt_map(&pt, 0x40200000, 0x80200000, GiB, RW), 0);
	check_tree(pt.root_pa, 4, false, leaves);
	assert_true(leaves[3] == 0 && leaves[2] == 512 && leaves[1] == 512 + 511);
	assert_false(entry_at(&pt, 0x200000, 2) & VTD_SSPTE_PS);
	assert_true(entry_at(&pt, 0x201000, 1) == (0x50202000 | R_W));
	pt_destroy(&pt);
}

static void three_level_table_puts_1g_leaves_in_its_root(void **state)
{
	struct pt pt;
	u64 pa, size;
	u32 prot;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 3, ALL_SLLPS, true, true), 0);
	assert_int_equal(pt_map(&pt, GiB, 2 * GiB, GiB, IOMMU_READ), 0);
	/* The root of a 39-bit table is the L3: the 1 GiB leaf sits in it, PS and SNP set. */
	assert_int_equal(pt.tables, 1);
	assert_true(table(pt.root_pa)[1] == (2 * GiB | VTD_SSPTE_R | VTD_SSPTE_PS | VTD_SSPTE_SNP));
	assert_int_equal(pt_lookup(&pt, GiB + 0x12345, &pa, &prot, &size), 0);
	assert_true(pa == 2 * GiB + 0x12345 && size == GiB && prot == IOMMU_READ);
	/* A hole splits it into 2 MiB leaves and one table of 4 KiB ones, SNP kept. */
	assert_int_equal(pt_unmap(&pt, GiB + 0x201000, PAGE_SIZE), 0);
	assert_int_equal(pt.tables, 3);
	assert_true(entry_at(&pt, GiB, 2) == (2 * GiB | VTD_SSPTE_R | VTD_SSPTE_PS | VTD_SSPTE_SNP));
	assert_true(entry_at(&pt, GiB + 0x202000, 1) ==
		    ((2 * GiB + 0x202000) | VTD_SSPTE_R | VTD_SSPTE_SNP));
	assert_int_equal(pt_lookup(&pt, GiB + 0x201000, NULL, NULL, NULL), -HV_ENOENT);
	assert_int_equal(pt_lookup(&pt, 1ULL << 39, NULL, NULL, NULL), -HV_ENOENT);
	pt_destroy(&pt);
}

static void three_level_non_coherent_map_flushes_two_tables_and_three_entries(void **state)
{
	struct pt pt;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 3, ALL_SLLPS, false, false), 0);
	fake_hw_reset();
	assert_int_equal(pt_map(&pt, 0x10000, 0x50010000, PAGE_SIZE, RW), 0);
	/* New L2 and L1 flushed cleared, then L3[0], L2[0] and the leaf as written. */
	assert_int_equal(fake_flushes, 5);
	assert_true(fake_flushed_bytes == 2 * PAGE_SIZE + 3 * 8);
	pt_destroy(&pt);
}

static void sllps_without_1g_keeps_ps_out_of_l3(void **state)
{
	struct pt pt;
	u64 size;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 4, VTD_SLLPS_2M, true, false), 0);
	/* 1 GiB aligned on both sides, but CAP.SLLPS has no 1 GiB: an L2 of 2 MiB leaves. */
	assert_int_equal(pt_map(&pt, GiB, 3 * GiB, GiB, RW), 0);
	assert_false(entry_at(&pt, GiB, 3) & VTD_SSPTE_PS);
	assert_int_equal(present_in(entry_at(&pt, GiB, 3) & VTD_SSPTE_ADDR), 512);
	assert_true(entry_at(&pt, 2 * GiB - 2 * MiB, 2) == ((4 * GiB - 2 * MiB) | R_W | VTD_SSPTE_PS));
	assert_int_equal(pt_lookup(&pt, GiB + 5 * MiB, NULL, NULL, &size), 0);
	assert_true(size == 2 * MiB);
	/* A hole splits only the 2 MiB page around it. */
	assert_int_equal(pt_unmap(&pt, GiB + 0x401000, PAGE_SIZE), 0);
	assert_int_equal(pt.tables, 4);
	assert_true(entry_at(&pt, GiB + 0x200000, 2) == ((3 * GiB + 0x200000) | R_W | VTD_SSPTE_PS));
	assert_true(entry_at(&pt, GiB + 0x400000, 1) == ((3 * GiB + 0x400000) | R_W));
	pt_destroy(&pt);
}

static void leaves_carry_the_permissions_asked_for(void **state)
{
	struct pt pt;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, true, false), 0);
	assert_int_equal(pt_map(&pt, 0x20000000, 0x20000000, PAGE_SIZE, IOMMU_READ), 0);
	assert_int_equal(pt_map(&pt, 0x20001000, 0x20001000, PAGE_SIZE, IOMMU_WRITE), 0);
	assert_int_equal(pt_map(&pt, 0x20200000, 0x20200000, 2 * MiB, IOMMU_READ), 0);
	assert_true(entry_at(&pt, 0x20000000, 1) == (0x20000000 | VTD_SSPTE_R));
	assert_true(entry_at(&pt, 0x20001000, 1) == (0x20001000 | VTD_SSPTE_W));
	assert_true(entry_at(&pt, 0x20200000, 2) == (0x20200000 | VTD_SSPTE_R | VTD_SSPTE_PS));
	/* The entries above a read-only leaf still have R and W: the leaf decides. */
	assert_true((entry_at(&pt, 0x20000000, 2) & R_W) == R_W);
	pt_destroy(&pt);
}

static void no_reserved_bits_and_snp_only_when_snooping(void **state)
{
	(void)state;
	for (int snoop = 0; snoop <= 1; snoop++) {
		struct pt pt;
		u64 leaves[4] = { 0 };

		mem_setup(MEM_SIZE / PAGE_SIZE);
		assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, true, snoop), 0);
		assert_int_equal(pt_map(&pt, 0, 0, GiB + 2 * MiB + 3 * PAGE_SIZE, RW), 0);
		assert_int_equal(pt_map(&pt, 0xfffffff000ULL, 0xffffffff000ULL, PAGE_SIZE, IOMMU_READ), 0);
		assert_int_equal(pt_map(&pt, 0xffffffe00000ULL, 0x40000000, 2 * MiB, IOMMU_WRITE), 0);
		check_tree(pt.root_pa, 4, snoop, leaves);
		assert_true(leaves[3] == 1 && leaves[2] == 2 && leaves[1] == 4);
		pt_destroy(&pt);
	}
}

static void non_coherent_unit_gets_every_write_flushed(void **state)
{
	struct pt pt;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, false, false), 0);
	assert_int_equal(fake_flushes, 1);                      /* the cleared root */
	assert_true(fake_flushed_bytes == PAGE_SIZE);

	/*
	 * Three new tables, each flushed cleared before an entry points to it;
	 * then each entry on the way down as it is written: L4, L3, L2, the leaf.
	 */
	fake_hw_reset();
	assert_int_equal(pt_map(&pt, 0x10000, 0x50010000, PAGE_SIZE, RW), 0);
	assert_int_equal(fake_flushes, 7);
	assert_true(fake_flushed_bytes == 3 * PAGE_SIZE + 4 * 8);

	/* Into existing tables: one flush for the run of 16 new leaves. */
	fake_hw_reset();
	assert_int_equal(pt_map(&pt, 0x20000, 0x50020000, 16 * PAGE_SIZE, RW), 0);
	assert_int_equal(fake_flushes, 1);
	assert_true(fake_flushed_bytes == 16 * 8);

	/* Unmap: the cleared run. */
	fake_hw_reset();
	assert_int_equal(pt_unmap(&pt, 0x20000, 4 * PAGE_SIZE), 0);
	assert_int_equal(fake_flushes, 1);
	assert_true(fake_flushed_bytes == 4 * 8);

	/* A split: the new table whole, then the rewritten entry, then the cleared leaf. */
	assert_int_equal(pt_map(&pt, 0x40000000, 0x40000000, 2 * MiB, RW), 0);
	fake_hw_reset();
	assert_int_equal(pt_unmap(&pt, 0x40001000, PAGE_SIZE), 0);
	assert_int_equal(fake_flushes, 3);
	assert_true(fake_flushed_bytes == PAGE_SIZE + 8 + 8);
	pt_destroy(&pt);
}

static void coherent_unit_gets_no_flushes(void **state)
{
	struct pt pt;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, true, true), 0);
	assert_int_equal(pt_map(&pt, 0, 0x50000000, GiB + 4 * MiB + PAGE_SIZE, RW), 0);
	assert_int_equal(pt_unmap(&pt, 0x1000, 0x3000), 0);
	assert_int_equal(pt_unmap(&pt, 0, 8 * GiB), 0);
	pt_destroy(&pt);
	assert_int_equal(fake_flushes, 0);
}

static void unmap_splits_a_2m_page(void **state)
{
	struct pt pt;
	u64 l2;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, true, true), 0);
	assert_int_equal(pt_map(&pt, 0x10000000, 0x50000000, 2 * MiB, IOMMU_READ), 0);
	assert_int_equal(pt.tables, 3);
	assert_int_equal(pt_unmap(&pt, 0x10010000, PAGE_SIZE), 0);
	assert_int_equal(pt.tables, 4);
	l2 = entry_at(&pt, 0x10000000, 2);
	assert_false(l2 & VTD_SSPTE_PS);
	assert_true((l2 & R_W) == R_W);
	assert_int_equal(present_in(l2 & VTD_SSPTE_ADDR), 511);
	assert_true(entry_at(&pt, 0x10010000, 1) == 0);
	/* The other 511 pages keep their addresses and attributes (R, SNP). */
	assert_true(entry_at(&pt, 0x1000f000, 1) == (0x5000f000 | VTD_SSPTE_R | VTD_SSPTE_SNP));
	assert_true(entry_at(&pt, 0x101ff000, 1) == (0x501ff000 | VTD_SSPTE_R | VTD_SSPTE_SNP));
	pt_destroy(&pt);
}

static void unmap_splits_a_1g_page_down_to_4k(void **state)
{
	struct pt pt;
	u64 leaves[4] = { 0 };

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, true, false), 0);
	assert_int_equal(pt_map(&pt, GiB, 2 * GiB, GiB, RW), 0);
	assert_int_equal(pt_unmap(&pt, GiB + 0x300000, PAGE_SIZE), 0);
	check_tree(pt.root_pa, 4, false, leaves);
	assert_true(leaves[3] == 0 && leaves[2] == 511 && leaves[1] == 511);
	assert_true(entry_at(&pt, GiB + 0x400000, 2) == ((2 * GiB + 0x400000) | R_W | VTD_SSPTE_PS));
	assert_true(entry_at(&pt, GiB + 0x301000, 1) == ((2 * GiB + 0x301000) | R_W));
	assert_true(entry_at(&pt, GiB + 0x300000, 1) == 0);
	assert_int_equal(pt.tables, 4);         /* L4, L3, new L2, new L1 */
	pt_destroy(&pt);
}

static void unmap_of_a_whole_superpage_splits_nothing(void **state)
{
	struct pt pt;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, true, false), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 4 * MiB, RW), 0);
	assert_int_equal(pt_unmap(&pt, 2 * MiB, 2 * MiB), 0);
	assert_int_equal(pt.tables, 3);
	assert_true(entry_at(&pt, 2 * MiB, 2) == 0);
	assert_true(entry_at(&pt, 0, 2) == (R_W | VTD_SSPTE_PS));
	/* Unmapping what is not mapped changes nothing and is not an error. */
	assert_int_equal(pt_unmap(&pt, 2 * MiB, 2 * MiB), 0);
	assert_int_equal(pt_unmap(&pt, 16 * GiB, GiB), 0);
	assert_int_equal(pt.tables, 3);
	pt_destroy(&pt);
}

static void map_refuses_to_overwrite_a_mapping(void **state)
{
	struct pt pt;
	u64 tables;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, true, false), 0);
	assert_int_equal(pt_map(&pt, 0x10000000, 0x10000000, 2 * MiB, RW), 0);
	assert_int_equal(pt_map(&pt, 0x10400000, 0x10400000, PAGE_SIZE, RW), 0);
	tables = pt.tables;
	/* Inside the superpage, overlapping its end, and the very same 4 KiB page. */
	assert_int_equal(pt_map(&pt, 0x10001000, 0x50001000, PAGE_SIZE, RW), -HV_EEXIST);
	assert_int_equal(pt_map(&pt, 0x0fe00000, 0x50000000, 4 * MiB, RW), -HV_EEXIST);
	assert_int_equal(pt_map(&pt, 0x10300000, 0x50000000, 2 * MiB, RW), -HV_EEXIST);
	assert_true(pt.tables == tables);
	assert_true(entry_at(&pt, 0x10000000, 2) == (0x10000000 | R_W | VTD_SSPTE_PS));
	assert_true(entry_at(&pt, 0x10400000, 1) == (0x10400000 | R_W));
	/* Remapped after an unmap: into the table left behind, so with 4 KiB pages. */
	assert_int_equal(pt_unmap(&pt, 0x10400000, PAGE_SIZE), 0);
	assert_int_equal(pt_map(&pt, 0x10400000, 0x50400000, 2 * MiB, RW), 0);
	assert_true(entry_at(&pt, 0x10400000, 1) == (0x50400000 | R_W));
	pt_destroy(&pt);
}

static void map_refuses_addresses_past_the_agaw(void **state)
{
	struct pt pt4, pt3;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt4, 4, ALL_SLLPS, true, false), 0);
	assert_int_equal(vtd_pt_init(&pt3, 3, ALL_SLLPS, true, false), 0);
	assert_int_equal(pt_map(&pt4, 1ULL << 48, 0, PAGE_SIZE, RW), -HV_ERANGE);
	assert_int_equal(pt_map(&pt4, (1ULL << 48) - PAGE_SIZE, 0, 2 * PAGE_SIZE, RW), -HV_ERANGE);
	assert_int_equal(pt_map(&pt4, (1ULL << 48) - PAGE_SIZE, 0, PAGE_SIZE, RW), 0);
	assert_int_equal(pt_map(&pt3, 1ULL << 39, 0, PAGE_SIZE, RW), -HV_ERANGE);
	assert_int_equal(pt_map(&pt3, (1ULL << 39) - GiB, 0, GiB, RW), 0);
	assert_int_equal(pt_unmap(&pt3, 1ULL << 39, PAGE_SIZE), -HV_ERANGE);
	/* hpa past what an entry's ADDR (bits 51:12) can hold. */
	assert_int_equal(pt_map(&pt4, 0, 1ULL << 52, PAGE_SIZE, RW), -HV_ERANGE);
	pt_destroy(&pt4);
	pt_destroy(&pt3);
}

static void map_refuses_bad_arguments(void **state)
{
	struct pt pt;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, true, false), 0);
	assert_int_equal(pt_map(&pt, 0x800, 0, PAGE_SIZE, RW), -HV_EINVAL);
	assert_int_equal(pt_map(&pt, 0, 0x800, PAGE_SIZE, RW), -HV_EINVAL);
	assert_int_equal(pt_map(&pt, 0, 0, 0x800, RW), -HV_EINVAL);
	assert_int_equal(pt_map(&pt, 0, 0, 0, RW), -HV_EINVAL);
	assert_int_equal(pt_map(&pt, 0, 0, PAGE_SIZE, 0), -HV_EINVAL);
	assert_int_equal(pt_map(&pt, 0xfffffffffffff000ULL, 0, 2 * PAGE_SIZE, RW), -HV_EINVAL);
	assert_int_equal(pt_unmap(&pt, 0x800, PAGE_SIZE), -HV_EINVAL);
	assert_int_equal(pt.tables, 1);
	pt_destroy(&pt);
}

static void map_out_of_memory_leaves_nothing_mapped(void **state)
{
	struct pt pt;

	(void)state;
	mem_setup(4);           /* the root and three tables */
	assert_int_equal(vtd_pt_init(&pt, 4, 0, false, false), 0);
	/* 2 MiB + 4 KiB at 0: L3, L2 and one L1 fit, the second L1 does not. */
	assert_int_equal(pt_map(&pt, 0, 0x50000000, 2 * MiB + PAGE_SIZE, RW), -HV_ENOMEM);
	assert_int_equal(page_alloc_free_pages(), 0);
	assert_int_equal(present_in(entry_at(&pt, 0, 2) & VTD_SSPTE_ADDR), 0);
	/* What fits in the tables now held still maps. */
	assert_int_equal(pt_map(&pt, 0, 0x50000000, 2 * MiB, RW), 0);
	pt_destroy(&pt);
	assert_int_equal(page_alloc_free_pages(), 4);
}

static void destroy_returns_every_table(void **state)
{
	struct pt pt;
	u64 before = page_alloc_free_pages();

	(void)state;
	assert_int_equal(vtd_pt_init(&pt, 4, ALL_SLLPS, true, false), 0);
	assert_int_equal(pt_map(&pt, 0, 0, GiB + 2 * MiB + PAGE_SIZE, RW), 0);
	assert_int_equal(pt_map(&pt, 1ULL << 40, 0, PAGE_SIZE, RW), 0);
	assert_int_equal(pt_unmap(&pt, 0x1000, PAGE_SIZE), 0);      /* splits 1G and 2M */
	assert_true(page_alloc_free_pages() == before - pt.tables);
	pt_destroy(&pt);
	assert_true(page_alloc_free_pages() == before);
	assert_true(pt.root_pa == 0 && pt.tables == 0);
	pt_destroy(&pt);                                            /* twice is harmless */
}

static void entry_encoders_follow_the_spec_layout(void **state)
{
	struct vtd_context_entry ce;
	struct vtd_root_entry re;

	(void)state;
	/* §9.1: P bit 0, CTP 63:12, upper half reserved. */
	assert_int_equal(vtd_re_encode(&re, 0x80002000), 0);
	assert_true(re.lo == 0x80002001 && re.hi == 0);
	assert_int_equal(vtd_re_encode(&re, 0x80002800), -HV_EINVAL);
	/* §9.3: TT 3:2, SSPTPTR 63:12; AW 2:0, DID 23:8; P left to the driver. */
	assert_int_equal(vtd_ce_encode(&ce, 0x80003000, 4, 1, VTD_TT_UNTRANSLATED), 0);
	assert_true(ce.lo == 0x80003000 && ce.hi == 0x102);
	assert_int_equal(vtd_ce_encode(&ce, 0x80003000, 3, 0xffff, VTD_TT_DEVTLB), 0);
	assert_true(ce.lo == 0x80003004 && ce.hi == 0xffff01);
	assert_int_equal(vtd_ce_encode(&ce, 0, 4, 2, VTD_TT_PASSTHROUGH), 0);
	assert_true(ce.lo == 0x8 && ce.hi == 0x202);
	assert_int_equal(vtd_ce_encode(&ce, 0x80003000, 2, 1, 0), -HV_EINVAL);
	assert_int_equal(vtd_ce_encode(&ce, 0x80003000, 4, 1, 3), -HV_EINVAL);
	assert_int_equal(vtd_ce_encode(&ce, 0x80003010, 4, 1, 0), -HV_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(agaw_follows_sagaw_and_mgaw, setup),
		cmocka_unit_test_setup(init_takes_a_cleared_root_from_the_allocator, setup),
		cmocka_unit_test_setup(map_4k_page_walks_four_levels, setup),
		cmocka_unit_test_setup(map_with_3_levels_starts_at_l3, setup),
		cmocka_unit_test_setup(map_uses_the_largest_aligned_pages_sllps_allows, setup),
		cmocka_unit_test_setup(map_without_sllps_uses_4k_pages_only, setup),
		cmocka_unit_test_setup(misaligned_addresses_get_smaller_pages, setup),
		cmocka_unit_test_setup(three_level_table_puts_1g_leaves_in_its_root, setup),
		cmocka_unit_test_setup(three_level_non_coherent_map_flushes_two_tables_and_three_entries, setup),
		cmocka_unit_test_setup(sllps_without_1g_keeps_ps_out_of_l3, setup),
		cmocka_unit_test_setup(leaves_carry_the_permissions_asked_for, setup),
		cmocka_unit_test_setup(no_reserved_bits_and_snp_only_when_snooping, setup),
		cmocka_unit_test_setup(non_coherent_unit_gets_every_write_flushed, setup),
		cmocka_unit_test_setup(coherent_unit_gets_no_flushes, setup),
		cmocka_unit_test_setup(unmap_splits_a_2m_page, setup),
		cmocka_unit_test_setup(unmap_splits_a_1g_page_down_to_4k, setup),
		cmocka_unit_test_setup(unmap_of_a_whole_superpage_splits_nothing, setup),
		cmocka_unit_test_setup(map_refuses_to_overwrite_a_mapping, setup),
		cmocka_unit_test_setup(map_refuses_addresses_past_the_agaw, setup),
		cmocka_unit_test_setup(map_refuses_bad_arguments, setup),
		cmocka_unit_test_setup(map_out_of_memory_leaves_nothing_mapped, setup),
		cmocka_unit_test_setup(destroy_returns_every_table, setup),
		cmocka_unit_test_setup(entry_encoders_follow_the_spec_layout, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
