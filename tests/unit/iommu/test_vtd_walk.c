/*
 * The software walk (iommu/vtd_walk.c) over tables made by the real
 * builder and entry encoders in fake memory at 0x80000000: hits on 4K, 2M
 * and 1G pages, the fault reason for each way a walk can fail, the unit's
 * capabilities deciding AW, TT and reserved bits, and the log lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "iommu/vtd_walk.h"
#include "iommu/vtd_pagetable.h"
#include "iommu/iommu.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "kernel/memmap.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
#include "kernel/hw/pci_cfg.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_log.h"
#include "tests/fakes/fake_mem.h"
#include "tests/fakes/fake_ram.h"

#define MEM_SIZE        (16 * MiB)
#define RW              (IOMMU_READ | IOMMU_WRITE)
#define EDU1            PCI_SBDF(0, 0, 3, 0)    /* source-id 0x0018 */
#define EDU2            PCI_SBDF(0, 0, 4, 0)
#define BEHIND_PORT     PCI_SBDF(0, 1, 0, 0)
#define NOWHERE         0x40000000ULL           /* not fake memory */

static u64 root_pa;
static struct pt pt1, pt2;

static u64 page(void)
{
	u64 pa;
	assert_int_equal(page_alloc_pages(1, PAGE_SIZE, &pa), 0);
	memset(phys_to_virt(pa, PAGE_SIZE), 0, PAGE_SIZE);
	return pa;
}

static struct vtd_root_entry *root_entry(u8 bus)
{
	return (struct vtd_root_entry *)phys_to_virt(root_pa, PAGE_SIZE) + bus;
}

static struct vtd_context_entry *ctx_entry(u32 sbdf)
{
	struct vtd_root_entry *re = root_entry(PCI_BUS(sbdf));
	return (struct vtd_context_entry *)phys_to_virt(re->lo & VTD_RE_LO_CTP, PAGE_SIZE) +
	       (sbdf & 0xff);
}

/* What iommu/vtd_context.c does for a device: context table, then entry, P last. */
static void attach(u32 sbdf, const struct pt *pt, u16 did, u8 tt)
{
	struct vtd_root_entry *re = root_entry(PCI_BUS(sbdf));
	struct vtd_context_entry ce;

	if (!(re->lo & VTD_RE_LO_P))
		assert_int_equal(vtd_re_encode(re, page()), 0);
	assert_int_equal(vtd_ce_encode(&ce, pt->root_pa, pt->levels, did, tt), 0);
	ctx_entry(sbdf)->hi = ce.hi;
	ctx_entry(sbdf)->lo = ce.lo | VTD_CE_LO_P;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(log_set_levels("info"), 0);
	fake_log_capture();
	fake_hw_reset();
	fake_ram_init(FAKE_MEM_BASE, MEM_SIZE);
	root_pa = page();
	/* The worked example: one domain per edu, the same IOVA, different memory. */
	assert_int_equal(vtd_pt_init(&pt1, 4, VTD_SLLPS_2M | VTD_SLLPS_1G, true, false), 0);
	assert_int_equal(vtd_pt_init(&pt2, 4, VTD_SLLPS_2M | VTD_SLLPS_1G, true, false), 0);
	assert_int_equal(pt_map(&pt1, 0x10000000, 0x10000000, MiB, RW), 0);
	assert_int_equal(pt_map(&pt2, 0x10000000, 0x50000000, MiB, RW), 0);
	assert_int_equal(pt_map(&pt1, 0x10000, 0x40010000, PAGE_SIZE, RW), 0);
	attach(EDU1, &pt1, 1, VTD_TT_UNTRANSLATED);
	attach(EDU2, &pt2, 2, VTD_TT_UNTRANSLATED);
	return 0;
}

static u8 walk_reason(u32 sbdf, u64 iova, bool write)
{
	struct vtd_walk_result r;
	assert_int_equal(vtd_walk(root_pa, sbdf, iova, write, &r), 0);
	return r.reason;
}

/* Step 5 of the DMA tour (docs/architecture.md, "Follow one DMA"): edu reads IOVA 0x10000. */
static void walk_follows_the_edu_read_step_by_step(void **state)
{
	struct vtd_walk_result r;
	static const struct { u8 kind, level; u16 index; } want[] = {
		{ VTD_WALK_ROOT, 0, 0x00 }, { VTD_WALK_CTX, 0, 0x18 },
		{ VTD_WALK_SSPT, 4, 0 }, { VTD_WALK_SSPT, 3, 0 },
		{ VTD_WALK_SSPT, 2, 0 }, { VTD_WALK_SSPT, 1, 0x10 },
	};

	(void)state;
	assert_int_equal(vtd_walk(root_pa, EDU1, 0x10000, false, &r), 0);
	assert_int_equal(r.reason, VTD_FR_NONE);
	assert_true(r.hpa == 0x40010000 && r.page_size == PAGE_SIZE && r.r && r.w);
	assert_int_equal(r.did, 1);
	assert_int_equal(r.aw, VTD_AW_48);
	assert_int_equal(r.nr_steps, ARRAY_SIZE(want));
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(r.step[i].kind, want[i].kind);
		assert_int_equal(r.step[i].level, want[i].level);
		assert_int_equal(r.step[i].index, want[i].index);
	}
	assert_true(r.step[0].table_pa == root_pa);
	assert_true(r.step[1].table_pa == (root_entry(0)->lo & VTD_RE_LO_CTP));
	assert_true(r.step[2].table_pa == pt1.root_pa);
	assert_true(r.step[5].lo == (0x40010000 | VTD_SSPTE_R | VTD_SSPTE_W));
	assert_true(r.step[1].lo == ctx_entry(EDU1)->lo && r.step[1].hi == ctx_entry(EDU1)->hi);
}

static void same_iova_lands_in_each_domains_memory(void **state)
{
	struct vtd_walk_result r1, r2;

	(void)state;
	assert_int_equal(vtd_walk(root_pa, EDU1, 0x10000040, true, &r1), 0);
	assert_int_equal(vtd_walk(root_pa, EDU2, 0x10000040, true, &r2), 0);
	assert_true(r1.reason == VTD_FR_NONE && r1.hpa == 0x10000040 && r1.did == 1);
	assert_true(r2.reason == VTD_FR_NONE && r2.hpa == 0x50000040 && r2.did == 2);
	/* EP2 outside its domain: nothing mapped there. */
	assert_int_equal(walk_reason(EDU2, 0x10100000, true), VTD_FR_WRITE);
	assert_int_equal(walk_reason(EDU2, 0x10100000, false), VTD_FR_READ);
}

static void walk_hits_superpages_with_the_offset_kept(void **state)
{
	struct vtd_walk_result r;

	(void)state;
	assert_int_equal(pt_map(&pt1, 0x40000000, 0x80000000, GiB, RW), 0);
	assert_int_equal(pt_map(&pt1, 0x20200000, 0x60200000, 2 * MiB, IOMMU_READ), 0);
	assert_int_equal(vtd_walk(root_pa, EDU1, 0x40212345, true, &r), 0);
	assert_true(r.reason == VTD_FR_NONE && r.hpa == 0x80212345 && r.page_size == GiB);
	assert_int_equal(r.nr_steps, 4);        /* root, context, L4, L3 */
	assert_int_equal(vtd_walk(root_pa, EDU1, 0x203fffff, false, &r), 0);
	assert_true(r.reason == VTD_FR_NONE && r.hpa == 0x603fffff && r.page_size == 2 * MiB);
	assert_true(r.r && !r.w);
	assert_int_equal(r.nr_steps, 5);
}

static void write_to_a_read_only_page_faults_with_reason_5(void **state)
{
	(void)state;
	assert_int_equal(pt_map(&pt2, 0x20000000, 0x60000000, PAGE_SIZE, IOMMU_READ), 0);
	assert_int_equal(walk_reason(EDU2, 0x20000000, false), VTD_FR_NONE);
	assert_int_equal(walk_reason(EDU2, 0x20000000, true), VTD_FR_WRITE);
	assert_int_equal(pt_map(&pt2, 0x20001000, 0x60001000, PAGE_SIZE, IOMMU_WRITE), 0);
	assert_int_equal(walk_reason(EDU2, 0x20001000, false), VTD_FR_READ);
}

static void unmapped_page_faults_with_the_access_reason(void **state)
{
	(void)state;
	assert_int_equal(pt_unmap(&pt2, 0x10000000, PAGE_SIZE), 0);
	assert_int_equal(walk_reason(EDU2, 0x10000000, false), VTD_FR_READ);
	assert_int_equal(walk_reason(EDU2, 0x10000000, true), VTD_FR_WRITE);
	assert_int_equal(walk_reason(EDU2, 0x10001000, true), VTD_FR_NONE);
	/* Not present at L4 already. */
	assert_int_equal(walk_reason(EDU2, 1ULL << 40, false), VTD_FR_READ);
}

static void device_without_entries_faults_at_root_or_context(void **state)
{
	struct vtd_walk_result r;

	(void)state;
	assert_int_equal(walk_reason(BEHIND_PORT, 0x10000, false), VTD_FR_ROOT_P);
	assert_int_equal(walk_reason(PCI_SBDF(0, 0, 5, 0), 0x10000, false), VTD_FR_CTX_P);
	/* FPD in a context entry that is not present still counts. */
	ctx_entry(PCI_SBDF(0, 0, 5, 0))->lo = VTD_CE_LO_FPD;
	assert_int_equal(vtd_walk(root_pa, PCI_SBDF(0, 0, 5, 0), 0, false, &r), 0);
	assert_true(r.reason == VTD_FR_CTX_P && r.fpd);
	assert_int_equal(r.nr_steps, 2);
}

static void address_beyond_the_agaw_faults_with_reason_4(void **state)
{
	struct vtd_walk_caps caps = vtd_walk_caps_any;
	struct vtd_walk_result r;
	struct pt pt3;

	(void)state;
	assert_int_equal(vtd_pt_init(&pt3, 3, 0, true, false), 0);
	attach(BEHIND_PORT, &pt3, 3, VTD_TT_UNTRANSLATED);
	assert_int_equal(walk_reason(BEHIND_PORT, 1ULL << 39, false), VTD_FR_BEYOND_AGAW);
	assert_int_equal(walk_reason(BEHIND_PORT, (1ULL << 39) - 1, false), VTD_FR_READ);
	assert_int_equal(walk_reason(EDU1, 1ULL << 48, false), VTD_FR_BEYOND_AGAW);
	/* A 4-level table on a unit with MGAW 39: the smaller width counts. */
	caps.mgaw = 39;
	assert_int_equal(vtd_walk_with(&caps, root_pa, EDU1, 1ULL << 39, false, &r), 0);
	assert_int_equal(r.reason, VTD_FR_BEYOND_AGAW);
}

static void context_entry_the_unit_cannot_use_faults_with_reason_3(void **state)
{
	struct vtd_walk_caps caps = vtd_walk_caps_any;
	struct vtd_walk_result r;

	(void)state;
	/* AW 48 on a unit with SAGAW 39 only. */
	caps.sagaw = BIT_ULL(VTD_AW_39);
	assert_int_equal(vtd_walk_with(&caps, root_pa, EDU1, 0x10000, false, &r), 0);
	assert_int_equal(r.reason, VTD_FR_CTX_INVALID);
	/* TT 01 without ECAP.DT, TT 10 without ECAP.PT, TT 11 anywhere. */
	caps = vtd_walk_caps_any;
	caps.dt = caps.pt = false;
	attach(EDU1, &pt1, 1, VTD_TT_DEVTLB);
	assert_int_equal(vtd_walk_with(&caps, root_pa, EDU1, 0x10000, false, &r), 0);
	assert_int_equal(r.reason, VTD_FR_CTX_INVALID);
	assert_int_equal(walk_reason(EDU1, 0x10000, false), VTD_FR_NONE);
	attach(EDU1, &pt1, 1, VTD_TT_PASSTHROUGH);
	assert_int_equal(vtd_walk_with(&caps, root_pa, EDU1, 0x10000, false, &r), 0);
	assert_int_equal(r.reason, VTD_FR_CTX_INVALID);
	ctx_entry(EDU1)->lo |= VTD_CE_LO_TT;
	assert_int_equal(walk_reason(EDU1, 0x10000, false), VTD_FR_CTX_INVALID);
	/* AW 0 (30-bit, gone since rev 3) and AW 4. */
	attach(EDU1, &pt1, 1, VTD_TT_UNTRANSLATED);
	ctx_entry(EDU1)->hi &= ~VTD_CE_HI_AW;
	assert_int_equal(walk_reason(EDU1, 0x10000, false), VTD_FR_CTX_INVALID);
	ctx_entry(EDU1)->hi |= 4;
	assert_int_equal(walk_reason(EDU1, 0x10000, false), VTD_FR_CTX_INVALID);
}

static void pass_through_gives_the_address_back(void **state)
{
	struct vtd_walk_result r;

	(void)state;
	attach(EDU1, &pt1, 1, VTD_TT_PASSTHROUGH);
	assert_int_equal(vtd_walk(root_pa, EDU1, 0x123456789ULL, true, &r), 0);
	assert_true(r.reason == VTD_FR_NONE && r.hpa == 0x123456789ULL && r.w);
	assert_int_equal(r.nr_steps, 2);
}

static void reserved_bits_fault_per_structure(void **state)
{
	struct vtd_walk_caps caps = vtd_walk_caps_any;
	struct vtd_walk_result r;
	struct pt pts;
	u64 *l2;

	(void)state;
	/* Root entry: bits 11:1, the upper half, bits above HAW. */
	root_entry(0)->hi = 1;
	assert_int_equal(walk_reason(EDU1, 0x10000, false), VTD_FR_ROOT_RSVD);
	root_entry(0)->hi = 0;
	root_entry(0)->lo |= 0x800;
	assert_int_equal(walk_reason(EDU1, 0x10000, false), VTD_FR_ROOT_RSVD);
	root_entry(0)->lo &= ~0x800ULL;
	caps.haw = 39;
	root_entry(0)->lo |= 1ULL << 40;
	assert_int_equal(vtd_walk_with(&caps, root_pa, EDU1, 0x10000, false, &r), 0);
	assert_int_equal(r.reason, VTD_FR_ROOT_RSVD);
	root_entry(0)->lo &= ~(1ULL << 40);
	/* Context entry: bits 11:4, bit 7 and 63:24 of the upper half; IGN 6:3 is fine. */
	ctx_entry(EDU1)->lo |= 0x10;
	assert_int_equal(walk_reason(EDU1, 0x10000, false), VTD_FR_CTX_RSVD);
	ctx_entry(EDU1)->lo &= ~0x10ULL;
	ctx_entry(EDU1)->hi |= 0x78;
	assert_int_equal(walk_reason(EDU1, 0x10000, false), VTD_FR_NONE);
	ctx_entry(EDU1)->hi |= 0x80;
	assert_int_equal(walk_reason(EDU1, 0x10000, false), VTD_FR_CTX_RSVD);
	ctx_entry(EDU1)->hi ^= 0x80 | 1ULL << 24;
	assert_int_equal(walk_reason(EDU1, 0x10000, false), VTD_FR_CTX_RSVD);
	attach(EDU1, &pt1, 1, VTD_TT_UNTRANSLATED);
	/* Second-stage entries: SNP without ECAP.SC. */
	assert_int_equal(vtd_pt_init(&pts, 4, 0, true, true), 0);
	assert_int_equal(pt_map(&pts, 0x10000, 0x10000, PAGE_SIZE, RW), 0);
	attach(EDU1, &pts, 1, VTD_TT_UNTRANSLATED);
	caps = vtd_walk_caps_any;
	assert_int_equal(vtd_walk_with(&caps, root_pa, EDU1, 0x10000, false, &r), 0);
	assert_true(r.reason == VTD_FR_NONE && r.snp);
	caps.sc = false;
	assert_int_equal(vtd_walk_with(&caps, root_pa, EDU1, 0x10000, false, &r), 0);
	assert_int_equal(r.reason, VTD_FR_SSPTE_RSVD);
	assert_int_equal(r.nr_steps, 6);        /* found at the leaf */
	/* 1G leaf on a unit with 2M pages only; 2M leaf with address bits 20:12 set. */
	attach(EDU1, &pt1, 1, VTD_TT_UNTRANSLATED);
	assert_int_equal(pt_map(&pt1, 0x40000000, 0x80000000, GiB, RW), 0);
	caps = vtd_walk_caps_any;
	caps.sllps = VTD_SLLPS_2M;
	assert_int_equal(vtd_walk_with(&caps, root_pa, EDU1, 0x40000000, false, &r), 0);
	assert_int_equal(r.reason, VTD_FR_SSPTE_RSVD);
	assert_int_equal(pt_map(&pt1, 0x20000000, 0x60000000, 2 * MiB, RW), 0);
	assert_int_equal(vtd_walk(root_pa, EDU1, 0x20000000, false, &r), 0);
	assert_true(r.reason == VTD_FR_NONE && r.page_size == 2 * MiB);
	l2 = phys_to_virt(r.step[4].table_pa, PAGE_SIZE);
	assert_true(l2[0x100] & VTD_SSPTE_PS);
	l2[0x100] |= 0x1000;
	assert_int_equal(walk_reason(EDU1, 0x20000000, false), VTD_FR_SSPTE_RSVD);
	/* PS in an L4 entry; TM in a non-leaf entry. */
	((u64 *)phys_to_virt(pt1.root_pa, PAGE_SIZE))[0] |= VTD_SSPTE_PS;
	assert_int_equal(walk_reason(EDU1, 0x10000, false), VTD_FR_SSPTE_RSVD);
	((u64 *)phys_to_virt(pt1.root_pa, PAGE_SIZE))[0] ^= VTD_SSPTE_PS | VTD_SSPTE_TM;
	assert_int_equal(walk_reason(EDU1, 0x10000, false), VTD_FR_SSPTE_RSVD);
}

static void tables_the_unit_cannot_read_give_access_reasons(void **state)
{
	struct vtd_walk_result r;
	u64 *l4;

	(void)state;
	assert_int_equal(vtd_walk(NOWHERE, EDU1, 0x10000, false, &r), 0);
	assert_true(r.reason == VTD_FR_ROOT_ACCESS && r.nr_steps == 0);
	root_entry(1)->lo = NOWHERE | VTD_RE_LO_P;
	assert_int_equal(walk_reason(BEHIND_PORT, 0x10000, false), VTD_FR_CTX_ACCESS);
	/* SSPTPTR unreadable is a bad context entry; a lower table, reason 7. */
	ctx_entry(EDU2)->lo = NOWHERE | VTD_CE_LO_P;
	assert_int_equal(walk_reason(EDU2, 0x10000000, false), VTD_FR_CTX_INVALID);
	l4 = phys_to_virt(pt1.root_pa, PAGE_SIZE);
	l4[0] = NOWHERE | VTD_SSPTE_R | VTD_SSPTE_W;
	assert_int_equal(walk_reason(EDU1, 0x10000, false), VTD_FR_SSPTE_ACCESS);
}

static void bad_caps_are_refused(void **state)
{
	struct vtd_walk_caps caps = vtd_walk_caps_any;
	struct vtd_walk_result r;

	(void)state;
	caps.haw = 53;
	assert_int_equal(vtd_walk_with(&caps, root_pa, EDU1, 0, false, &r), -HV_EINVAL);
	caps.haw = 48;
	caps.mgaw = 20;
	assert_int_equal(vtd_walk_with(&caps, root_pa, EDU1, 0, false, &r), -HV_EINVAL);
}

static void walk_log_prints_one_line_per_step(void **state)
{
	struct vtd_walk_result r;
	char want[2048];
	u64 ctx = root_entry(0)->lo & VTD_RE_LO_CTP, l3, l2, l1;

	(void)state;
	assert_int_equal(vtd_walk(root_pa, EDU1, 0x10000, false, &r), 0);
	l3 = r.step[2].lo & VTD_SSPTE_ADDR;
	l2 = r.step[3].lo & VTD_SSPTE_ADDR;
	l1 = r.step[4].lo & VTD_SSPTE_ADDR;
	fake_log_capture();
	vtd_walk_log(&r);
	snprintf(want, sizeof(want),
		 "c0 INFO walk: 00:03.0 iova 0x0000000000010000 read\n"
		 "c0 INFO walk:   root[0x00] @0x%016llx = 0x%016llx 0x0000000000000000\n"
		 "c0 INFO walk:   ctx[0x18] @0x%016llx = 0x%016llx 0x0000000000000102 did 1 aw 2 tt 0\n"
		 "c0 INFO walk:   L4[0x000] @0x%016llx = 0x%016llx\n"
		 "c0 INFO walk:   L3[0x000] @0x%016llx = 0x%016llx\n"
		 "c0 INFO walk:   L2[0x000] @0x%016llx = 0x%016llx\n"
		 "c0 INFO walk:   L1[0x010] @0x%016llx = 0x0000000040010003\n"
		 "c0 INFO walk:   -> hpa 0x0000000040010000 (4K page, rw)\n",
		 (unsigned long long)root_pa, (unsigned long long)(ctx | 1),
		 (unsigned long long)ctx, (unsigned long long)(pt1.root_pa | 1),
		 (unsigned long long)pt1.root_pa, (unsigned long long)(l3 | 3),
		 (unsigned long long)l3, (unsigned long long)(l2 | 3),
		 (unsigned long long)l2, (unsigned long long)(l1 | 3),
		 (unsigned long long)l1);
	assert_string_equal(fake_log_text(), want);

	assert_int_equal(vtd_walk(root_pa, PCI_SBDF(0, 0, 5, 0), 0x10000, true, &r), 0);
	fake_log_capture();
	vtd_walk_log(&r);
	assert_int_equal(fake_log_count("\n"), 4);
	assert_true(fake_log_has("c0 INFO walk: 00:05.0 iova 0x0000000000010000 write\n"));
	assert_true(fake_log_has("c0 INFO walk:   ctx[0x28] @"));
	assert_true(fake_log_has("c0 INFO walk:   -> fault reason 0x02 \"The Present (P) field in the context-entry used to process the request is 0\"\n"));
	assert_int_equal(vtd_walk(root_pa, PCI_SBDF(2, 0x80, 0x1f, 7), 0, true, &r), 0);
	fake_log_capture();
	vtd_walk_log(&r);
	assert_true(fake_log_has("walk: 0002:80:1f.7 iova"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(walk_follows_the_edu_read_step_by_step, setup),
		cmocka_unit_test_setup(same_iova_lands_in_each_domains_memory, setup),
		cmocka_unit_test_setup(walk_hits_superpages_with_the_offset_kept, setup),
		cmocka_unit_test_setup(write_to_a_read_only_page_faults_with_reason_5, setup),
		cmocka_unit_test_setup(unmapped_page_faults_with_the_access_reason, setup),
		cmocka_unit_test_setup(device_without_entries_faults_at_root_or_context, setup),
		cmocka_unit_test_setup(address_beyond_the_agaw_faults_with_reason_4, setup),
		cmocka_unit_test_setup(context_entry_the_unit_cannot_use_faults_with_reason_3, setup),
		cmocka_unit_test_setup(pass_through_gives_the_address_back, setup),
		cmocka_unit_test_setup(reserved_bits_fault_per_structure, setup),
		cmocka_unit_test_setup(tables_the_unit_cannot_read_give_access_reasons, setup),
		cmocka_unit_test_setup(bad_caps_are_refused, setup),
		cmocka_unit_test_setup(walk_log_prints_one_line_per_step, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
