/*
 * Host tests for vm/cpu/gwalk.c: small table sets in a fake 64 KiB guest memory
 * for each paging mode (none, 32-bit with 4 MiB pages, PAE, 4-level with
 * 2 MiB and 1 GiB pages), the permission checks (CR0.WP, EFER.NXE) and
 * errors from the memory reader.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/cpu/gwalk.h"
#include "kernel/err.h"

#define MEM_SIZE        0x10000
#define CR0_PE          0x1ULL
#define CR0_WP          (1ULL << 16)
#define CR0_PG          (1ULL << 31)
#define CR4_PSE         (1ULL << 4)
#define CR4_PAE         (1ULL << 5)
#define CR4_LA57        (1ULL << 12)
#define EFER_LME        (1ULL << 8)
#define EFER_LMA        (1ULL << 10)
#define EFER_NXE        (1ULL << 11)
#define P               0x1ULL
#define RW              0x2ULL
#define PS              0x80ULL
#define XD              (1ULL << 63)

static u8 mem[MEM_SIZE];
static unsigned reads;

static int rd(void *ctx, u64 gpa, u64 *val)
{
	(void)ctx;
	reads++;
	if (gpa & 7)
		fail_msg("unaligned read at 0x%llx", (unsigned long long)gpa);
	if (gpa + 8 > MEM_SIZE)
		return -HV_ERANGE;
	memcpy(val, mem + gpa, 8);
	return 0;
}

static void set32(u64 gpa, u32 v) { memcpy(mem + gpa, &v, 4); }
static void set64(u64 gpa, u64 v) { memcpy(mem + gpa, &v, 8); }

static int walk(const struct gwalk_regs *r, u64 va, bool write, bool fetch, u64 *gpa)
{
	*gpa = 0xdead;
	return gwalk(r, va, write, fetch, rd, NULL, gpa);
}

static int setup(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	reads = 0;
	return 0;
}

static void no_paging_is_identity_in_32_bits(void **state)
{
	(void)state;
	struct gwalk_regs r = { .cr0 = CR0_PE };
	u64 gpa;
	assert_int_equal(walk(&r, 0x123456789abcULL, true, true, &gpa), 0);
	assert_int_equal(gpa, 0x56789abc);
	assert_int_equal(reads, 0);
}

/* 32-bit: PD at 0x1000, PT at 0x2000. */
static void paging_32_bit_4k_and_4m(void **state)
{
	(void)state;
	struct gwalk_regs r = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000 };
	u64 gpa;

	set32(0x1000 + 1 * 4, 0x2000 | P | RW);                 /* va 0x00400000.. */
	set32(0x2000 + 3 * 4, 0x00345000 | P | RW);             /* va 0x00403000 */
	set32(0x2000 + 4 * 4, 0x00346000 | P);                  /* va 0x00404000, read-only */
	assert_int_equal(walk(&r, 0x00403abc, false, false, &gpa), 0);
	assert_int_equal(gpa, 0x00345abc);
	assert_int_equal(walk(&r, 0x00404010, false, true, &gpa), 0);
	assert_int_equal(gpa, 0x00346010);
	assert_int_equal(walk(&r, 0x00405000, false, false, &gpa), -HV_ENOENT);   /* PTE not present */
	assert_int_equal(walk(&r, 0x00800000, false, false, &gpa), -HV_ENOENT);   /* PDE not present */

	/* The upper 32 bits of the address are not part of a 32-bit walk. */
	assert_int_equal(walk(&r, 0x100403abcULL, false, false, &gpa), 0);
	assert_int_equal(gpa, 0x00345abc);

	/* A 4 MiB page at PDE 2 with PSE-36 bits (address bits 39:32 in PDE bits 20:13). */
	set32(0x1000 + 2 * 4, 0x01c00000 | (0x05u << 13) | PS | P | RW);
	r.cr4 = CR4_PSE;
	assert_int_equal(walk(&r, 0x00923456, false, false, &gpa), 0);
	assert_int_equal(gpa, 0x501d23456ULL);
	/* Without CR4.PSE the same PDE points to a page table (at 0x01c00000+, outside memory). */
	r.cr4 = 0;
	assert_int_equal(walk(&r, 0x00923456, false, false, &gpa), -HV_ERANGE);
}

static void supervisor_writes_obey_rw_only_with_wp(void **state)
{
	(void)state;
	struct gwalk_regs r = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000 };
	u64 gpa;

	set32(0x1000, 0x2000 | P);                              /* the PDE is read-only */
	set32(0x2000 + 5 * 4, 0x7000 | P | RW);
	assert_int_equal(walk(&r, 0x5000, true, false, &gpa), 0);
	assert_int_equal(gpa, 0x7000);
	r.cr0 |= CR0_WP;
	assert_int_equal(walk(&r, 0x5000, true, false, &gpa), -HV_ENOENT);
	assert_int_equal(walk(&r, 0x5000, false, false, &gpa), 0);
	set32(0x1000, 0x2000 | P | RW);
	assert_int_equal(walk(&r, 0x5000, true, false, &gpa), 0);
	set32(0x2000 + 5 * 4, 0x7000 | P);                      /* now the PTE */
	assert_int_equal(walk(&r, 0x5000, true, false, &gpa), -HV_ENOENT);
}

/* PAE: PDPT at 0x1020 (32-byte aligned, not page aligned), PD at 0x2000, PT at 0x3000. */
static void pae_paging(void **state)
{
	(void)state;
	struct gwalk_regs r = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1020, .cr4 = CR4_PAE };
	u64 gpa;

	set64(0x1020 + 2 * 8, 0x2000 | P);                      /* va 0x80000000.. */
	set64(0x2000 + 1 * 8, 0x3000 | P | RW);                 /* va 0x80200000.. */
	set64(0x3000 + 7 * 8, 0x123456000ULL | P | RW | XD);    /* va 0x80207000, above 4 GiB, no-execute */
	set64(0x2000 + 2 * 8, 0x40000000ULL | PS | P | RW);     /* va 0x80400000: 2 MiB page */
	assert_int_equal(walk(&r, 0x80207123, true, false, &gpa), 0);
	assert_int_equal(gpa, 0x123456123ULL);
	assert_int_equal(walk(&r, 0x805abcde, false, false, &gpa), 0);
	assert_int_equal(gpa, 0x401abcdeULL);
	assert_int_equal(walk(&r, 0xc0000000, false, false, &gpa), -HV_ENOENT);   /* PDPTE 3 not present */

	/* XD counts only with EFER.NXE. */
	assert_int_equal(walk(&r, 0x80207123, false, true, &gpa), 0);
	r.efer = EFER_NXE;
	assert_int_equal(walk(&r, 0x80207123, false, true, &gpa), -HV_ENOENT);
	assert_int_equal(walk(&r, 0x80207123, false, false, &gpa), 0);
	assert_int_equal(walk(&r, 0x805abcde, false, true, &gpa), 0);
}

/* 4-level: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. */
static void four_level_paging(void **state)
{
	(void)state;
	struct gwalk_regs r = { .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = 0x1000 | 0x18 /* PWT|PCD */,
				.cr4 = CR4_PAE, .efer = EFER_LME | EFER_LMA | EFER_NXE };
	u64 gpa;

	set64(0x1000 + 256 * 8, 0x2000 | P | RW);               /* 0xffff800000000000.. */
	set64(0x2000 + 0 * 8, 0x3000 | P | RW);
	set64(0x3000 + 0 * 8, 0x4000 | P | RW);
	set64(0x4000 + 1 * 8, 0x000fedcba9876000ULL | P | RW);  /* 52-bit physical address */
	set64(0x3000 + 1 * 8, 0x80000000ULL | PS | P);          /* 2 MiB, read-only */
	set64(0x2000 + 1 * 8, 0x40000000ULL | PS | P | RW | XD);        /* 1 GiB at 0xffff800040000000 */
	assert_int_equal(walk(&r, 0xffff800000001234ULL, true, false, &gpa), 0);
	assert_int_equal(gpa, 0x000fedcba9876234ULL);
	assert_int_equal(walk(&r, 0xffff800000212345ULL, false, true, &gpa), 0);
	assert_int_equal(gpa, 0x80012345ULL);
	assert_int_equal(walk(&r, 0xffff800000212345ULL, true, false, &gpa), -HV_ENOENT);
	assert_int_equal(walk(&r, 0xffff80007fffffffULL, true, false, &gpa), 0);
	assert_int_equal(gpa, 0x7fffffffULL);
	assert_int_equal(walk(&r, 0xffff800040000000ULL, false, true, &gpa), -HV_ENOENT);
	assert_int_equal(walk(&r, 0x0000000000001234ULL, false, false, &gpa), -HV_ENOENT);    /* PML4E 0 */

	/* XD high in the tree covers everything below it. */
	set64(0x1000 + 256 * 8, 0x2000 | P | RW | XD);
	assert_int_equal(walk(&r, 0xffff800000001234ULL, false, true, &gpa), -HV_ENOENT);
	assert_int_equal(walk(&r, 0xffff800000001234ULL, false, false, &gpa), 0);

	/* LME alone (the exit saw it before LMA was reflected) still means 4-level. */
	r.efer = EFER_LME;
	assert_int_equal(walk(&r, 0xffff800000001234ULL, false, true, &gpa), 0);
}

static void four_level_refusals(void **state)
{
	(void)state;
	struct gwalk_regs r = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000, .cr4 = CR4_PAE, .efer = EFER_LMA };
	u64 gpa;

	set64(0x1000, 0x2000 | PS | P | RW);                    /* PS in a PML4E is reserved */
	assert_int_equal(walk(&r, 0x1000, false, false, &gpa), -HV_ENOENT);
	set64(0x1000, 0x900000 | P | RW);                       /* PDPT outside guest memory */
	assert_int_equal(walk(&r, 0x1000, false, false, &gpa), -HV_ERANGE);
}

/* §4.5: with CR4.LA57 the table at CR3 is a PML5 indexed by bits 56:48 (Linux's decompressor turns it on where CPUID offers it). */
static void five_level(void **state)
{
	(void)state;
	struct gwalk_regs r = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000, .cr4 = CR4_PAE | CR4_LA57, .efer = EFER_LMA };
	u64 gpa;

	set64(0x1000 + 0x1ff * 8, 0x2000 | P | RW);             /* PML5E 511: 0xffff000000000000.. */
	set64(0x2000 + 0x100 * 8, 0x3000 | P | RW);             /* PML4E 256 */
	set64(0x3000 + 2 * 8, 0x40000000ULL | PS | P | RW);     /* a 1 GiB page */
	assert_int_equal(walk(&r, 0xffff800080001234ULL, true, false, &gpa), 0);
	assert_int_equal(gpa, 0x40001234ULL);
	assert_int_equal(reads, 3);
	/* Bits 56:48 choose the PML5E: 4-level's index of the same address would be the PML4E. */
	assert_int_equal(walk(&r, 0x0000000080001234ULL, false, false, &gpa), -HV_ENOENT);
	/* PS in a PML5E is reserved. */
	set64(0x1000, 0x40000000ULL | PS | P | RW);
	assert_int_equal(walk(&r, 0x1000, false, false, &gpa), -HV_ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(no_paging_is_identity_in_32_bits, setup),
		cmocka_unit_test_setup(paging_32_bit_4k_and_4m, setup),
		cmocka_unit_test_setup(five_level, setup),
		cmocka_unit_test_setup(supervisor_writes_obey_rw_only_with_wp, setup),
		cmocka_unit_test_setup(pae_paging, setup),
		cmocka_unit_test_setup(four_level_paging, setup),
		cmocka_unit_test_setup(four_level_refusals, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
