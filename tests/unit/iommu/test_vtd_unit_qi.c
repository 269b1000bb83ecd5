/*
 * Host tests for iommu/vtd_qi.c: the invalidation queue (set-up order,
 * submit and the wait descriptor's status write, SW+IF refused, a queue
 * error, a queue that never answers) and register-based invalidation for
 * units without ECAP.QI, against the fake unit of tests/fakes/fake_io.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "iommu/vtd_unit.h"
#include "iommu/vtd_qi.h"
#include "iommu/vtd_desc.h"
#include "iommu/vtd_regs.h"
#include "iommu/vtd_hw.h"
#include "kernel/page_alloc.h"
#include "kernel/memmap.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "tests/fakes/fake_io.h"
#include "tests/fakes/fake_mem.h"
#include "tests/fakes/fake_ram.h"
#include "tests/unit/iommu/vtd_fixture.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_log.h"

#define UNIT_PA         0xfed90000ULL
#define RAM_PA          FAKE_MEM_BASE
#define RAM_SIZE        (8 * MiB)
#define QEMU_CAP        FAKE_VTD_QEMU_CAP
#define QEMU_ECAP       FAKE_VTD_QEMU_ECAP
#define NO_QI_ECAP      (QEMU_ECAP & ~VTD_ECAP_QI)

static struct vtd_unit unit;
static struct fake_vtd *fv;

static int setup(void **state)
{
	(void)state;
	vtd_fixture_reset(RAM_SIZE);
	memset(&unit, 0, sizeof(unit));
	return 0;
}

static int teardown(void **state)
{
	return vtd_fixture_teardown(state);
}

/* A unit brought up, its bring-up events forgotten. */
static void up(u64 cap, u64 ecap)
{
	fv = fake_vtd_add(UNIT_PA, cap, ecap);
	assert_int_equal(vtd_unit_probe(&unit, 0, 0, UNIT_PA), 0);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	fake_vtd_clear_events(fv);
	fake_io_nr = 0;
}

/* Index in the write log of the first write to off, or -1. */
static int first_write(u32 off)
{
	for (unsigned i = 0; i < fake_io_nr; i++)
		if (fake_io_log[i].off == off)
			return (int)i;
	return -1;
}

static void queue_is_set_up_tail_and_address_before_enable(void **state)
{
	(void)state;
	fv = fake_vtd_add(UNIT_PA, QEMU_CAP, QEMU_ECAP);
	assert_int_equal(vtd_unit_probe(&unit, 0, 0, UNIT_PA), 0);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	int iqt = first_write(VTD_IQT_REG), iqa = first_write(VTD_IQA_REG), gcmd_qie = -1;
	for (unsigned i = 0; i < fake_io_nr; i++)
		if (fake_io_log[i].off == VTD_GCMD_REG && fake_io_log[i].val == VTD_GCMD_QIE)
			gcmd_qie = (int)i;
	assert_true(iqt >= 0 && iqa > iqt && gcmd_qie > iqa);
	assert_int_equal(fake_io_log[iqt].val, 0);
	/* 128-bit descriptors (DW = 0), one page (QS = 0), page-aligned. */
	assert_int_equal(fake_io_log[iqa].val, unit.qi.queue_pa);
	assert_true(unit.qi.on);
	assert_int_equal(fv->iq_pa, unit.qi.queue_pa);
	assert_int_equal(fv->iq_entries, VTD_QI_ENTRIES);
}

static void submit_ends_with_a_wait_whose_status_write_is_polled(void **state)
{
	(void)state;
	up(QEMU_CAP, QEMU_ECAP);
	struct vtd_desc d[2];
	vtd_desc_cc_domain(&d[0], 7);
	vtd_desc_iotlb_domain(&d[1], 7, false, false);
	u32 token = unit.qi.token;

	assert_int_equal(vtd_qi_submit(&unit, d, 2), 0);
	assert_int_equal(fv->nr_events, 3);
	assert_int_equal(fv->ev[0].kind, FV_CC);
	assert_int_equal(fv->ev[0].did, 7);
	assert_int_equal(fv->ev[1].kind, FV_IOTLB);
	assert_int_equal(fv->ev[2].kind, FV_WAIT);
	/* Status write only: never the interrupt flag. */
	assert_int_equal(fv->ev[2].a, BIT_ULL(5));
	assert_int_equal(*unit.qi.status, token + 1);
	assert_int_equal(unit.qi.token, token + 1);
	assert_false(fv->sw_if_seen);
	/* The tail moved past the three descriptors; the head caught up. */
	assert_int_equal(fake_io_get64(fv->r, VTD_IQT_REG), fake_io_get64(fv->r, VTD_IQH_REG));
	assert_int_equal(fake_io_writes_to(UNIT_PA, VTD_IQT_REG), 1);
}

static void queue_wraps_round(void **state)
{
	(void)state;
	up(QEMU_CAP, QEMU_ECAP);
	struct vtd_desc d;
	vtd_desc_iotlb_global(&d, true, true);
	u32 tail = unit.qi.tail;
	/* 200 submits of two descriptors go round the 256-entry ring once and a half. */
	for (unsigned i = 0; i < 200; i++) {
		fake_vtd_clear_events(fv);
		assert_int_equal(vtd_qi_submit(&unit, &d, 1), 0);
		assert_int_equal(fake_vtd_count(fv, FV_WAIT), 1);
		assert_int_equal(*unit.qi.status, unit.qi.token);
	}
	assert_int_equal(unit.qi.tail, (tail + 400) % VTD_QI_ENTRIES);
}

static void wait_with_status_write_and_interrupt_flag_is_refused(void **state)
{
	(void)state;
	up(QEMU_CAP, QEMU_ECAP);
	struct vtd_desc d = {
		.lo = VTD_DESC_WAIT | VTD_WAIT_LO_SW | VTD_WAIT_LO_IF | (1ULL << 32),
		.hi = RAM_PA,
	};
	assert_int_equal(vtd_qi_submit(&unit, &d, 1), -HV_EINVAL);
	assert_true(fake_log_has("ERR  vtd0: refusing a wait descriptor with both Status Write and Interrupt Flag set"));
	assert_int_equal(fake_io_writes_to(UNIT_PA, VTD_IQT_REG), 0);
	assert_false(fv->sw_if_seen);
	/* The encoder refuses to build one in the first place. */
	assert_int_equal(vtd_desc_wait(&d, true, true, false, RAM_PA, 1), -HV_EINVAL);
}

static void submit_times_out_when_the_queue_never_runs(void **state)
{
	(void)state;
	up(QEMU_CAP, QEMU_ECAP);
	fv->dead_qi = true;
	u64 t0 = fake_time_ns;
	assert_int_equal(vtd_inv_iotlb_global(&unit), -HV_ETIMEDOUT);
	assert_true(fake_time_ns - t0 >= VTD_HW_TIMEOUT_US * 1000ULL);
	assert_true(fake_log_has("ERR  vtd0: invalidation wait not completed within 50000 us"));
}

static void queue_error_is_reported_and_the_queue_resumes(void **state)
{
	(void)state;
	up(QEMU_CAP, QEMU_ECAP);
	struct vtd_desc bad = { .lo = 0xf, .hi = 0 };        /* no such type */
	u32 at = unit.qi.tail;
	assert_int_equal(vtd_qi_submit(&unit, &bad, 1), -HV_EIO);
	char want[128];
	snprintf(want, sizeof(want), "ERR  vtd0: invalidation queue error at descriptor %u (lo=0x000000000000000f hi=0x0000000000000000, IQEI 0); skipped", at);
	assert_true(fake_log_has(want));
	assert_int_equal(fake_io_get32(fv->r, VTD_FSTS_REG) & VTD_FSTS_IQE, 0);
	assert_int_equal(fake_io_get64(fv->r, VTD_IQT_REG), fake_io_get64(fv->r, VTD_IQH_REG));
	fake_vtd_clear_events(fv);
	assert_int_equal(vtd_inv_context_global(&unit), 0);
	assert_int_equal(fake_vtd_count(fv, FV_CC), 1);
}

static void submit_without_a_queue_is_refused(void **state)
{
	(void)state;
	up(QEMU_CAP, NO_QI_ECAP);
	struct vtd_desc d;
	vtd_desc_cc_global(&d);
	assert_false(unit.qi.on);
	assert_int_equal(vtd_qi_submit(&unit, &d, 1), -HV_ENODEV);
}

static void scopes_map_to_descriptors(void **state)
{
	(void)state;
	up(QEMU_CAP, QEMU_ECAP);
	assert_int_equal(vtd_inv_context_global(&unit), 0);
	assert_int_equal(vtd_inv_context_device(&unit, 4, 0x0018), 0);
	assert_int_equal(vtd_inv_iotlb_global(&unit), 0);
	assert_int_equal(vtd_inv_iotlb_domain(&unit, 5), 0);
	assert_int_equal(vtd_inv_iotlb_range(&unit, 6, 0x10011000, 0x2000), 0);

	const struct fake_vtd_event *e;
	assert_non_null(e = fake_vtd_nth(fv, FV_CC, 0));
	assert_true(e->queued && e->a == 1);
	assert_non_null(e = fake_vtd_nth(fv, FV_CC, 1));
	assert_true(e->a == 3 && e->did == 4 && e->sid == 0x0018);
	assert_non_null(e = fake_vtd_nth(fv, FV_IOTLB, 0));
	assert_true(e->a == 1);
	assert_non_null(e = fake_vtd_nth(fv, FV_IOTLB, 1));
	assert_true(e->a == 2 && e->did == 5);
	/* Pages 0x10011 and 0x10012 share the aligned block of 4 from 0x10010. */
	assert_non_null(e = fake_vtd_nth(fv, FV_IOTLB, 2));
	assert_true(e->a == 3 && e->did == 6);
	assert_int_equal(e->addr, 0x10010000);
	assert_int_equal(e->am, 2);
	assert_int_equal(fake_vtd_count(fv, FV_WAIT), 5);
}

static void page_selective_mask_covers_the_range(void **state)
{
	static const struct { u64 iova, size; u32 mamv; int am; u64 base; } rows[] = {
		{ 0x10000, 0x1000, 18, 0, 0x10000 },
		{ 0x10000, 0x2000, 18, 1, 0x10000 },
		{ 0x11000, 0x2000, 18, 2, 0x10000 },            /* straddles a 2-page block */
		{ 0x10000000, 0x80, 18, 0, 0x10000000 },        /* part of a page */
		{ 0x0, 2 * MiB, 18, 9, 0x0 },
		{ 0x1ff000, 0x2000, 18, 10, 0x0 },              /* across a 2 MiB line */
		{ 0x0, 1 * GiB, 18, 18, 0x0 },
		{ 0x0, 2 * GiB, 18, -1, 0 },                    /* past MAMV */
		{ 0x0, 0x2000, 0, -1, 0 },                      /* MAMV 0: single pages only */
		{ 0x5000, 0, 18, -1, 0 },                       /* empty */
		{ ~0xfffULL, 0x2000, 63, -1, 0 },               /* wraps */
	};
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
		u64 base = 0xdead;
		int am = vtd_inv_psi_mask(rows[i].iova, rows[i].size, rows[i].mamv, &base);
		assert_int_equal(am, rows[i].am);
		if (am >= 0)
			assert_int_equal(base, rows[i].base);
	}
}

static void range_falls_back_to_domain_without_psi(void **state)
{
	(void)state;
	up(QEMU_CAP & ~VTD_CAP_PSI, QEMU_ECAP);
	assert_int_equal(vtd_inv_iotlb_range(&unit, 2, 0x10000, 0x1000), 0);
	const struct fake_vtd_event *e = fake_vtd_nth(fv, FV_IOTLB, 0);
	assert_non_null(e);
	assert_true(e->a == 2 && e->did == 2);
}

static void range_past_mamv_falls_back_to_domain(void **state)
{
	(void)state;
	up(QEMU_CAP, QEMU_ECAP);                        /* MAMV 18: 1 GiB */
	assert_int_equal(vtd_inv_iotlb_range(&unit, 2, 0, 4 * GiB), 0);
	const struct fake_vtd_event *e = fake_vtd_nth(fv, FV_IOTLB, 0);
	assert_non_null(e);
	assert_int_equal(e->a, 2);
}

static void register_based_invalidation_without_a_queue(void **state)
{
	(void)state;
	fv = fake_vtd_add(UNIT_PA, QEMU_CAP, NO_QI_ECAP);
	assert_int_equal(vtd_unit_probe(&unit, 0, 0, UNIT_PA), 0);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	/* No queue was set up: only SRTP went to GCMD. */
	assert_int_equal(fake_vtd_count(fv, FV_GCMD), 1);
	assert_int_equal(fake_io_writes_to(UNIT_PA, VTD_IQA_REG), 0);
	assert_true(fake_log_has(", register-based invalidation, "));
	/* Bring-up's global invalidations went through CCMD and the IOTLB register. */
	const struct fake_vtd_event *e;
	assert_non_null(e = fake_vtd_nth(fv, FV_CC, 0));
	assert_true(!e->queued && e->a == 1);
	assert_non_null(e = fake_vtd_nth(fv, FV_IOTLB, 0));
	assert_true(!e->queued && e->a == 1);

	fake_vtd_clear_events(fv);
	assert_int_equal(vtd_inv_context_device(&unit, 9, 0x0020), 0);
	assert_int_equal(vtd_inv_iotlb_domain(&unit, 9), 0);
	assert_int_equal(vtd_inv_iotlb_range(&unit, 9, 0x50000000, 0x4000), 0);
	assert_non_null(e = fake_vtd_nth(fv, FV_CC, 0));
	assert_true(e->a == 3 && e->did == 9 && e->sid == 0x0020);
	assert_non_null(e = fake_vtd_nth(fv, FV_IOTLB, 0));
	assert_true(e->a == 2 && e->did == 9);
	assert_non_null(e = fake_vtd_nth(fv, FV_IOTLB, 1));
	assert_true(e->a == 3 && e->did == 9 && e->addr == 0x50000000 && e->am == 2);
	/* The IOTLB register sits at ECAP.IRO * 16 + 8 (0xf8 in QEMU) and drains. */
	u64 iotlb = fake_io_get64(fv->r, 0xf8);
	assert_true(iotlb & VTD_IOTLB_DR);
	assert_true(iotlb & VTD_IOTLB_DW);
	assert_int_equal(FIELD_GET(VTD_IOTLB_IAIG, iotlb), 3);
	assert_int_equal(fake_vtd_count(fv, FV_WAIT), 0);
}

static void register_invalidation_times_out_on_dead_unit(void **state)
{
	(void)state;
	up(QEMU_CAP, NO_QI_ECAP);
	fv->dead_inv_regs = true;
	assert_int_equal(vtd_inv_context_global(&unit), -HV_ETIMEDOUT);
	assert_true(fake_log_has("ERR  vtd0: context-cache invalidation not completed within 50000 us"));
	fv->dead_inv_regs = false;
	/* The IOTLB register is idle and works; CCMD still holds the first request. */
	assert_int_equal(vtd_inv_iotlb_global(&unit), 0);
	assert_int_equal(vtd_inv_context_global(&unit), -HV_ETIMEDOUT);
	assert_int_equal(fake_io_writes_to(UNIT_PA, VTD_CCMD_REG), 1);
}

static void bringup_with_dead_register_invalidation_leaves_unit_off(void **state)
{
	(void)state;
	fv = fake_vtd_add(UNIT_PA, QEMU_CAP, NO_QI_ECAP);
	fv->dead_inv_regs = true;
	assert_int_equal(vtd_unit_probe(&unit, 0, 0, UNIT_PA), 0);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), -HV_ETIMEDOUT);
	assert_false(unit.up);
	assert_true(fake_log_has("vtd0: bring-up failed: "));
}

/*
 * vtd_inv_batch against the spec's layouts (VT-d 4.1 §6.5.2.3, §6.5.2.5):
 * IOTLB page-selective lo = type 2 | G 3 << 4 | DW << 6 | DR << 7 | DID << 16,
 * hi = ADDR | IH << 6 | AM; device-TLB lo = type 3 | PFSID[3:0] << 12 |
 * MIP << 16 | SID << 32 | PFSID[15:4] << 52, hi = ADDR | S.
 */
static void invalidation_batch_matches_the_spec_layouts(void **state)
{
	(void)state;
	struct vtd_caps c = { .psi = true, .mamv = 9, .drd = true, .dwd = true, .dit = true };
	const struct vtd_ats_dev dev[2] = { { .sid = 0x0101, .pfsid = 0x0100, .qdepth = 8 },
					    { .sid = 0x0200, .pfsid = 0x0200, .qdepth = 32 } };
	struct vtd_desc d[4];

	/* 4 pages at 0x10004000: one IOTLB with AM 2, then each device with the size bit for 4 pages. */
	assert_int_equal(vtd_inv_batch(&c, 7, 0x10004000, 0x4000, dev, 2, d, 4), 3);
	assert_int_equal(d[0].lo, 0x2ULL | 3ULL << 4 | 1ULL << 6 | 1ULL << 7 | 7ULL << 16);
	assert_int_equal(d[0].hi, 0x10004000ULL | 2);
	assert_int_equal(d[1].lo, 0x3ULL | 0x0ULL << 12 | 8ULL << 16 | 0x0101ULL << 32 | 0x010ULL << 52);
	assert_int_equal(d[1].hi, 0x10004000ULL | 0x1000 | 1);  /* bit 12 set, bit 13 clear: 4 pages */
	assert_int_equal(d[2].lo, 0x3ULL | 0ULL << 16 | 0x0200ULL << 32 | 0x020ULL << 52);      /* depth 32 is 0 */
	/* Without ECAP.DIT the PFSID field is reserved: zero. */
	c.dit = false;
	assert_int_equal(vtd_inv_batch(&c, 7, 0x10004000, 0x4000, dev, 1, d, 4), 2);
	assert_int_equal(d[1].lo, 0x3ULL | 8ULL << 16 | 0x0101ULL << 32);
	/* Past MAMV, or no PSI: domain-selective IOTLB (G 2); the device range stays exact. */
	c.mamv = 1;
	assert_int_equal(vtd_inv_batch(&c, 7, 0x10004000, 0x4000, dev, 1, d, 4), 2);
	assert_int_equal(d[0].lo, 0x2ULL | 2ULL << 4 | 1ULL << 6 | 1ULL << 7 | 7ULL << 16);
	assert_int_equal(d[0].hi, 0);
	assert_int_equal(d[1].hi, 0x10004000ULL | 0x1000 | 1);
	/* One page: S clear. A span no 2^51-page block holds: the whole space. */
	c.psi = false;
	assert_int_equal(vtd_inv_batch(&c, 7, 0x10004000, 0x1000, dev, 1, d, 4), 2);
	assert_int_equal(d[1].hi, 0x10004000ULL);
	assert_int_equal(vtd_inv_batch(&c, 7, 0, ~0ULL & ~0xfffULL, dev, 1, d, 4), 2);
	assert_int_equal(d[1].hi, (GENMASK_ULL(62, 12)) | 1);
	/* Too small an array: refused, not cut short. */
	assert_int_equal(vtd_inv_batch(&c, 7, 0x10004000, 0x1000, dev, 2, d, 2), -HV_EINVAL);
}

/* The counters: descriptors by type (the wait included), waits, min/median/max of their ticks. */
static void invalidation_counters(void **state)
{
	(void)state;
	struct vtd_inv_stats s;
	struct vtd_desc d[2];
	char line[256];

	memset(&s, 0, sizeof(s));
	vtd_desc_iotlb_domain(&d[0], 1, false, false);
	assert_int_equal(vtd_desc_devtlb(&d[1], 0x100, 0x100, false, 32, 0, 0), 0);
	vtd_inv_stats_add(&s, d, 2, 300);
	vtd_inv_stats_add(&s, d, 1, 100);
	vtd_inv_stats_add(&s, d, 2, 200);
	assert_int_equal(s.desc[VTD_DESC_IOTLB], 3);
	assert_int_equal(s.desc[VTD_DESC_DEVTLB], 2);
	assert_int_equal(s.desc[VTD_DESC_WAIT], 3);
	assert_int_equal(vtd_inv_stats_median(&s), 200);
	vtd_inv_stats_format(&s, line, sizeof(line));
	assert_string_equal(line, "context 0, iotlb 3, devtlb 2, iec 0, wait 3 descriptors; 3 waits of 100/200/300 TSC ticks (min/median/max), 0 timed out");
	/* The median is of the last VTD_INV_SAMPLES waits. */
	for (unsigned i = 0; i < VTD_INV_SAMPLES; i++)
		vtd_inv_stats_add(&s, d, 1, 5000 + i);
	assert_int_equal(vtd_inv_stats_median(&s), 5000 + VTD_INV_SAMPLES / 2);
	assert_int_equal(s.wait_min, 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(queue_is_set_up_tail_and_address_before_enable, setup, teardown),
		cmocka_unit_test_setup_teardown(submit_ends_with_a_wait_whose_status_write_is_polled, setup, teardown),
		cmocka_unit_test_setup_teardown(queue_wraps_round, setup, teardown),
		cmocka_unit_test_setup_teardown(wait_with_status_write_and_interrupt_flag_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(submit_times_out_when_the_queue_never_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(queue_error_is_reported_and_the_queue_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(submit_without_a_queue_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(scopes_map_to_descriptors, setup, teardown),
		cmocka_unit_test_setup_teardown(page_selective_mask_covers_the_range, setup, teardown),
		cmocka_unit_test_setup_teardown(range_falls_back_to_domain_without_psi, setup, teardown),
		cmocka_unit_test_setup_teardown(range_past_mamv_falls_back_to_domain, setup, teardown),
		cmocka_unit_test_setup_teardown(register_based_invalidation_without_a_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(register_invalidation_times_out_on_dead_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(bringup_with_dead_register_invalidation_leaves_unit_off, setup, teardown),
		cmocka_unit_test(invalidation_batch_matches_the_spec_layouts),
		cmocka_unit_test(invalidation_counters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
