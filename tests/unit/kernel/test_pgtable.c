/*
 * Host tests for kernel/pgtable.c: the exact entry bits of each format
 * (X86, NPT, EPT, VT-d) for tables and 4 KiB / 2 MiB / 1 GiB leaves, the
 * choice of leaf size, range errors, -HV_EEXIST changing nothing, unmap
 * splitting superpages, lookups, and table memory whose addresses are not
 * host addresses (a guest's own tables).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "kernel/pgtable.h"
#include "kernel/err.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_ram.h"

#define RAM     0x40000000ULL

static int setup(void **state)
{
	(void)state;
	fake_hw_reset();
	fake_ram_init(RAM, 8 * MiB);
	return 0;
}

/* The entry for va at level (4 = PML4 ... 1 = PTE). */
static u64 entry(const struct pt *pt, u64 va, unsigned level)
{
	u64 tpa = pt->root_pa;
	for (unsigned l = pt->levels; ; l--) {
		u64 e = ((u64 *)phys_to_virt(tpa, PAGE_SIZE))[(va >> (12 + 9 * (l - 1))) & 511];
		if (l == level)
			return e;
		tpa = e & GENMASK_ULL(51, 12);
	}
}

static void npt_and_x86_bits(void **state)
{
	(void)state;
	struct pt pt;
	assert_int_equal(pt_init(&pt, PT_FMT_NPT, 4, PT_LARGE_2M | PT_LARGE_1G, &pt_mem_host), 0);
	assert_int_equal(pt_map(&pt, 0x1000, 0x90001000, 0x1000, PT_READ | PT_EXEC), 0);
	assert_int_equal(pt_map(&pt, 0x200000, 0x90200000, 0x200000, PT_READ | PT_WRITE | PT_EXEC), 0);
	assert_int_equal(pt_map(&pt, 0x40000000, 0x80000000, 0x40000000, PT_READ | PT_WRITE | PT_UNCACHED), 0);
	assert_int_equal(entry(&pt, 0x1000, 4) & 0xfff, 0x007);         /* table: P|RW|US */
	assert_int_equal(entry(&pt, 0x1000, 1), 0x90001000 | 0x005);    /* 4K read-only: P|US */
	assert_int_equal(entry(&pt, 0x200000, 2), 0x90200000 | 0x087);  /* 2M: P|RW|US|PS */
	assert_int_equal(entry(&pt, 0x40000000, 3), 0x80000000 | 0x09f); /* 1G: P|RW|US|PWT|PCD|PS */
	assert_int_equal(pt.tables, 4);

	struct pt g;
	assert_int_equal(pt_init(&g, PT_FMT_X86, 4, PT_LARGE_2M, &pt_mem_host), 0);
	assert_int_equal(pt_map(&g, 0x40000000, 0x40000000, 0x200000, PT_READ | PT_WRITE), 0);
	assert_int_equal(entry(&g, 0x40000000, 3) & 0xfff, 0x003);      /* supervisor table */
	assert_int_equal(entry(&g, 0x40000000, 2), 0x40000000 | 0x083);  /* no 1G allowed: 2M leaf, no NX */
}

static void ept_and_vtd_bits(void **state)
{
	(void)state;
	struct pt e, v;
	assert_int_equal(pt_init(&e, PT_FMT_EPT, 4, PT_LARGE_2M, &pt_mem_host), 0);
	assert_int_equal(pt_map(&e, 0, 0x90000000, 0x1000, PT_READ | PT_EXEC), 0);
	assert_int_equal(pt_map(&e, 0x200000, 0x90200000, 0x200000, PT_READ | PT_WRITE | PT_UNCACHED), 0);
	assert_int_equal(entry(&e, 0, 4) & 0xfff, 0x007);               /* R|W|X */
	assert_int_equal(entry(&e, 0, 1), 0x90000000 | 0x035);          /* R|X, WB (6 << 3) */
	assert_int_equal(entry(&e, 0x200000, 2), 0x90200000 | 0x083);   /* R|W, UC, large */

	assert_int_equal(pt_init(&v, PT_FMT_VTD, 3, PT_LARGE_2M, &pt_mem_host), 0);
	v.snoop = true;
	assert_int_equal(pt_map(&v, 0x10000000, 0x50000000, 0x201000, PT_READ | PT_WRITE), 0);
	assert_int_equal(entry(&v, 0x10000000, 3) & 0xfff, 0x003);
	assert_int_equal(entry(&v, 0x10000000, 2), 0x50000000 | 0x883); /* R|W|PS|SNP */
	assert_int_equal(entry(&v, 0x10200000, 1), 0x50200000 | 0x803); /* the tail page: 4K */
	assert_int_equal(pt_map(&v, 1ULL << 39, 0, 0x1000, PT_READ), -HV_ERANGE); /* 3 levels: 39 bits */
}

static void errors_change_nothing(void **state)
{
	(void)state;
	struct pt pt;
	assert_int_equal(pt_init(&pt, PT_FMT_NPT, 5, 0, &pt_mem_host), -HV_EINVAL);
	assert_int_equal(pt_init(&pt, PT_FMT_NPT, 4, PT_LARGE_2M, &pt_mem_host), 0);
	assert_int_equal(pt_map(&pt, 0x1234, 0, 0x1000, PT_READ), -HV_EINVAL);
	assert_int_equal(pt_map(&pt, 0, 0, 0, PT_READ), -HV_EINVAL);
	assert_int_equal(pt_map(&pt, 0, 0, 0x1000, PT_EXEC), -HV_EINVAL);
	assert_int_equal(pt_map(&pt, 0, BIT_ULL(52), 0x1000, PT_READ), -HV_ERANGE);
	assert_int_equal(pt_map(&pt, BIT_ULL(48), 0, 0x1000, PT_READ), -HV_ERANGE);
	assert_int_equal(pt_map(&pt, 0x3000, 0x90003000, 0x1000, PT_READ), 0);
	u64 tables = pt.tables;
	/* Overlaps the page at 0x3000: nothing of [0, 0x400000) gets mapped. */
	assert_int_equal(pt_map(&pt, 0, 0x90000000, 0x400000, PT_READ | PT_WRITE), -HV_EEXIST);
	assert_int_equal(pt_lookup(&pt, 0, NULL, NULL, NULL), -HV_ENOENT);
	assert_int_equal(pt_lookup(&pt, 0x200000, NULL, NULL, NULL), -HV_ENOENT);
	assert_int_equal(pt.tables, tables);
	u64 pa;
	assert_int_equal(pt_lookup(&pt, 0x3010, &pa, NULL, NULL), 0);
	assert_int_equal(pa, 0x90003010);
}

static void unmap_splits_superpages(void **state)
{
	(void)state;
	struct pt pt;
	u64 pa, size;
	u32 prot;
	assert_int_equal(pt_init(&pt, PT_FMT_VTD, 4, PT_LARGE_2M, &pt_mem_host), 0);
	assert_int_equal(pt_map(&pt, 0x200000, 0x90200000, 0x200000, PT_READ | PT_WRITE), 0);
	assert_int_equal(pt_lookup(&pt, 0x300000, &pa, &prot, &size), 0);
	assert_int_equal(size, 2 * MiB);
	assert_int_equal(pt_unmap(&pt, 0x201000, 0x1000), 0);
	assert_int_equal(pt_lookup(&pt, 0x201000, NULL, NULL, NULL), -HV_ENOENT);
	assert_int_equal(pt_lookup(&pt, 0x202000, &pa, &prot, &size), 0);
	assert_int_equal(pa, 0x90202000);
	assert_int_equal(size, 4 * KiB);
	assert_int_equal(prot, PT_READ | PT_WRITE);
	assert_int_equal(pt_lookup(&pt, 0x200000, &pa, NULL, NULL), 0);
	assert_int_equal(pa, 0x90200000);
	/* The hole can be mapped again; unmapping what is not mapped is fine. */
	assert_int_equal(pt_map(&pt, 0x201000, 0xa0000000, 0x1000, PT_READ), 0);
	assert_int_equal(pt_unmap(&pt, 0x10000000, 0x1000), 0);
	u64 before = page_alloc_free_pages();
	u64 tables = pt.tables;
	pt_destroy(&pt);
	assert_int_equal(pt.tables, 0);
	assert_int_equal(page_alloc_free_pages(), before + tables);
}

/* Guest tables: "physical" addresses of tables are GPAs 0x10000 up, stored in a host buffer. */
static u8 guest_mem[16 * 4096] __attribute__((aligned(4096)));
static u32 guest_used;

static void *g_alloc(void *ctx, u64 *pa)
{
	(void)ctx;
	if (guest_used == 16)
		return NULL;
	*pa = 0x10000 + guest_used * PAGE_SIZE;
	void *va = guest_mem + guest_used++ * PAGE_SIZE;
	memset(va, 0, PAGE_SIZE);
	return va;
}

static void *g_va(void *ctx, u64 pa)
{
	(void)ctx;
	return guest_mem + (pa - 0x10000);
}

static void tables_in_guest_memory(void **state)
{
	(void)state;
	const struct pt_mem gm = { .alloc = g_alloc, .va = g_va };
	struct pt pt;
	u64 pa;
	guest_used = 0;
	assert_int_equal(pt_init(&pt, PT_FMT_X86, 4, PT_LARGE_2M, &gm), 0);
	assert_int_equal(pt.root_pa, 0x10000);
	assert_int_equal(pt_map(&pt, 0, 0, 16 * MiB, PT_READ | PT_WRITE | PT_EXEC), 0);
	const u64 *pml4 = (const u64 *)guest_mem;
	assert_int_equal(pml4[0], 0x11000 | 0x003);     /* the PDPT, at its GPA */
	assert_int_equal(pt_lookup(&pt, 0xabcdef, &pa, NULL, NULL), 0);
	assert_int_equal(pa, 0xabcdef);
	assert_int_equal(pt.tables, 3);
	/* Out of guest table memory: -HV_ENOMEM and nothing stays mapped. */
	guest_used = 16;
	assert_int_equal(pt_map(&pt, 1ULL << 40, 0, 0x1000, PT_READ), -HV_ENOMEM);
	assert_int_equal(pt_lookup(&pt, 1ULL << 40, NULL, NULL, NULL), -HV_ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(npt_and_x86_bits, setup),
		cmocka_unit_test_setup(ept_and_vtd_bits, setup),
		cmocka_unit_test_setup(errors_change_nothing, setup),
		cmocka_unit_test_setup(unmap_splits_superpages, setup),
		cmocka_unit_test_setup(tables_in_guest_memory, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
