/*
 * Host tests for iommu/vtd_unit.c and iommu/vtd_fault_irq.c against a fake
 * unit that behaves like QEMU's (tests/fakes/fake_io.c): CAP/ECAP decoding,
 * refusing units, the GCMD/GSTS protocol (order checked with cmocka
 * expectations where the order is the spec), a unit that never answers,
 * protected memory, write-buffer flush, interrupt remapping at bring-up
 * (order, EIME, CFI, time-outs, a unit without it), and draining fault
 * records, interrupt remapping faults among them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "iommu/vtd_unit.h"
#include "iommu/vtd_regs.h"
#include "iommu/vtd_hw.h"
#include "iommu/vtd_ir.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
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
#define QEMU_CAP_CM     FAKE_VTD_QEMU_CAP_CM
#define QEMU_ECAP       FAKE_VTD_QEMU_ECAP
/* CAP fields for hand-made units. */
#define CAP(field, v)   FIELD_PREP(VTD_CAP_##field, (v))

static struct vtd_unit unit;

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

/* A fake unit probed as vtd0. */
static struct fake_vtd *probed(u64 cap, u64 ecap)
{
	struct fake_vtd *v = fake_vtd_add(UNIT_PA, cap, ecap);
	assert_int_equal(vtd_unit_probe(&unit, 0, 0, UNIT_PA), 0);
	return v;
}

/* ---- CAP/ECAP ------------------------------------------------------------ */

struct caps_row {
	u64 cap, ecap;
	u32 nd_domains;
	u8 sagaw, mgaw, sllps, mamv;
	u32 fro, nfr, iro;
	bool cm, rwbf, plmr, phmr, psi, drd, dwd;
	bool c, qi, dt, ir, pt, sc;
};

static void caps_decode_matches_the_table(void **state)
{
	static const struct caps_row rows[] = {
		/* QEMU 10, caching-mode off and on. */
		{ QEMU_CAP, QEMU_ECAP, 65536, 0x6, 48, 0x3, 18, 0x220, 1, 0x0f0,
		  false, false, false, false, true, true, true,
		  false, true, true, true, true, false },
		{ QEMU_CAP_CM, QEMU_ECAP, 65536, 0x6, 48, 0x3, 18, 0x220, 1, 0x0f0,
		  true, false, false, false, true, true, true,
		  false, true, true, true, true, false },
		/* An old client unit: 256 domains, RWBF, PMRs, 39-bit only, 8 FRCDs, no QI. */
		{ CAP(ND, 2) | VTD_CAP_RWBF | VTD_CAP_PLMR | VTD_CAP_PHMR | CAP(SAGAW, 0x2) |
		  CAP(MGAW, 38) | CAP(FRO, 0x20) | CAP(NFR, 7),
		  VTD_ECAP_C | VTD_ECAP_SC | FIELD_PREP(VTD_ECAP_IRO, 0x10),
		  256, 0x2, 39, 0x0, 0, 0x200, 8, 0x100,
		  false, true, true, true, false, false, false,
		  true, false, false, false, false, true },
		/* Everything at its widest. */
		{ CAP(ND, 6) | CAP(SAGAW, 0x1f) | CAP(MGAW, 63) | CAP(FRO, 0x3ff) | CAP(NFR, 255) |
		  CAP(SLLPS, 0xf) | VTD_CAP_PSI | CAP(MAMV, 63),
		  VTD_ECAP_QI | FIELD_PREP(VTD_ECAP_IRO, 0x3ff),
		  65536, 0x1f, 64, 0xf, 63, 0x3ff0, 256, 0x3ff0,
		  false, false, false, false, true, false, false,
		  false, true, false, false, false, false },
	};
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct caps_row *r = &rows[i];
		struct vtd_caps c;
		vtd_caps_decode(r->cap, r->ecap, &c);
		assert_int_equal(c.nd_domains, r->nd_domains);
		assert_int_equal(c.sagaw, r->sagaw);
		assert_int_equal(c.mgaw, r->mgaw);
		assert_int_equal(c.sllps, r->sllps);
		assert_int_equal(c.mamv, r->mamv);
		assert_int_equal(c.fro, r->fro);
		assert_int_equal(c.nfr, r->nfr);
		assert_int_equal(c.iro, r->iro);
		assert_int_equal(c.cm, r->cm);
		assert_int_equal(c.rwbf, r->rwbf);
		assert_int_equal(c.plmr, r->plmr);
		assert_int_equal(c.phmr, r->phmr);
		assert_int_equal(c.psi, r->psi);
		assert_int_equal(c.drd, r->drd);
		assert_int_equal(c.dwd, r->dwd);
		assert_int_equal(c.c, r->c);
		assert_int_equal(c.qi, r->qi);
		assert_int_equal(c.dt, r->dt);
		assert_int_equal(c.ir, r->ir);
		assert_int_equal(c.pt, r->pt);
		assert_int_equal(c.sc, r->sc);
	}
}

static void caps_lines_read_like_the_spec_fields(void **state)
{
	struct vtd_caps c;
	char buf[256];
	(void)state;

	vtd_caps_decode(QEMU_CAP_CM, QEMU_ECAP, &c);
	vtd_caps_format_cap(buf, sizeof(buf), &c);
	assert_string_equal(buf, "sagaw=39,48 mgaw=48 nd=65536 sllps=2M,1G fro=0x220 nfr=1 cm=1 rwbf=0 psi=1 mamv=18 plmr=0 phmr=0 drd=1 dwd=1");
	vtd_caps_format_ecap(buf, sizeof(buf), &c);
	assert_string_equal(buf, "qi=1 dt=1 ir=1 eim=0 pt=1 c=0 sc=0 iro=0x0f0 mhmv=15 smts=0");
	vtd_caps_decode(CAP(SAGAW, 0x2) | CAP(MGAW, 38), 0, &c);
	vtd_caps_format_cap(buf, sizeof(buf), &c);
	assert_non_null(strstr(buf, "sagaw=39 mgaw=39 nd=16 sllps=4K "));
	/* A short buffer still ends in NUL and reports the full length. */
	assert_true(vtd_caps_format_cap(buf, 10, &c) > 10);
	assert_int_equal(strlen(buf), 9);
}

static void probe_logs_version_and_decoded_cap_and_ecap(void **state)
{
	(void)state;
	probed(QEMU_CAP_CM, QEMU_ECAP);
	assert_string_equal(unit.name, "vtd0");
	assert_true(fake_log_has("vtd0: unit at 0x00000000fed90000 segment 0 ver 1.0 cap=0x00d2008c222f0686 ecap=0x0000000000f00f4e"));
	assert_true(fake_log_has("vtd0: cap: sagaw=39,48 mgaw=48 nd=65536"));
	assert_true(fake_log_has("vtd0: ecap: qi=1 dt=1 ir=1"));
	assert_int_equal(unit.levels, 4);
	/* Probing reads; it writes nothing. */
	assert_int_equal(fake_io_nr, 0);
}

static void probe_refuses_unit_without_3_or_4_level_tables(void **state)
{
	(void)state;
	/* SAGAW with only the 57-bit (5-level) width. */
	fake_vtd_add(UNIT_PA, (QEMU_CAP & ~VTD_CAP_SAGAW) | CAP(SAGAW, 0x8), QEMU_ECAP);
	assert_int_equal(vtd_unit_probe(&unit, 0, 0, UNIT_PA), -HV_ENOTSUP);
	assert_true(fake_log_has("ERR  vtd0: refused: no 3-level (39-bit) or 4-level (48-bit) second-stage tables in SAGAW; unit left off"));
	assert_true(fake_log_has("vtd0: cap: sagaw=57 "));
	assert_int_equal(fake_io_nr, 0);
}

static void probe_refuses_unit_with_no_way_to_invalidate(void **state)
{
	(void)state;
	fake_vtd_add(UNIT_PA, QEMU_CAP, 0);
	assert_int_equal(vtd_unit_probe(&unit, 1, 0, UNIT_PA), -HV_ENOTSUP);
	assert_true(fake_log_has("vtd1: refused: neither an invalidation queue"));
}

static void probe_reports_missing_and_all_ones_units(void **state)
{
	(void)state;
	assert_int_equal(vtd_unit_probe(&unit, 0, 0, UNIT_PA), -HV_ENODEV);
	assert_true(fake_log_has("vtd0: registers at 0x00000000fed90000 cannot be mapped; unit left off"));
	struct io_region *r = fake_io_add(UNIT_PA, 0x1000);
	memset(&unit, 0, sizeof(unit));
	fake_io_set32(r, VTD_VER_REG, 0xffffffff);
	fake_io_set64(r, VTD_CAP_REG, ~0ULL);
	fake_io_set64(r, VTD_ECAP_REG, ~0ULL);
	assert_int_equal(vtd_unit_probe(&unit, 0, 0, UNIT_PA), -HV_ENODEV);
	assert_true(fake_log_has("read all-ones: no unit there; left off"));
}

/* ---- GCMD/GSTS ------------------------------------------------------------- */

static void expect_gcmd(struct fake_vtd *v, u32 val)
{
	(void)v;
	check_expected(val);
}

/*
 * The GCMD writes of a bring-up once nothing is left on: root table,
 * queue, interrupt remapping table, interrupt remapping, each write
 * carrying what is on before it (§11.4.4).
 */
static void expect_bringup_writes(void)
{
	expect_value(expect_gcmd, val, VTD_GCMD_SRTP);
	expect_value(expect_gcmd, val, VTD_GCMD_QIE);
	expect_value(expect_gcmd, val, VTD_GCMD_SIRTP | VTD_GCMD_QIE);
	expect_value(expect_gcmd, val, VTD_GCMD_IRE | VTD_GCMD_QIE);
}

static void gcmd_changes_one_bit_and_keeps_the_others(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	v->on_gcmd = expect_gcmd;
	/* Firmware left queued invalidation and interrupt remapping on. */
	fake_io_set32(v->r, VTD_GSTS_REG, VTD_GSTS_QIES | VTD_GSTS_IRES | VTD_GSTS_RTPS);

	expect_value(expect_gcmd, val, VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE);
	assert_int_equal(vtd_unit_gcmd(&unit, VTD_GCMD_TE, true), 0);
	/* A one-shot command carries the persistent bits, not RTPS. */
	expect_value(expect_gcmd, val, VTD_GCMD_SRTP | VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE);
	assert_int_equal(vtd_unit_gcmd(&unit, VTD_GCMD_SRTP, true), 0);
	expect_value(expect_gcmd, val, VTD_GCMD_TE | VTD_GCMD_QIE);
	assert_int_equal(vtd_unit_gcmd(&unit, VTD_GCMD_IRE, false), 0);
	/* Already in that state: nothing is written. */
	assert_int_equal(vtd_unit_gcmd(&unit, VTD_GCMD_TE, true), 0);
	assert_int_equal(fake_io_get32(v->r, VTD_GSTS_REG),
			 VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_RTPS);
}

static void gcmd_refuses_cfi_and_several_bits(void **state)
{
	(void)state;
	probed(QEMU_CAP, QEMU_ECAP);
	assert_int_equal(vtd_unit_gcmd(&unit, VTD_GCMD_CFI, true), -HV_EINVAL);
	assert_int_equal(vtd_unit_gcmd(&unit, VTD_GCMD_TE | VTD_GCMD_QIE, true), -HV_EINVAL);
	assert_int_equal(vtd_unit_gcmd(&unit, VTD_GCMD_SRTP, false), -HV_EINVAL);
	assert_int_equal(vtd_unit_gcmd(&unit, 0, true), -HV_EINVAL);
	assert_int_equal(fake_io_nr, 0);
}

static void bringup_sets_root_table_before_queue_and_translation(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP_CM, QEMU_ECAP);
	v->on_gcmd = expect_gcmd;

	expect_bringup_writes();
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_true(unit.up);
	assert_false(unit.te);
	assert_int_equal(v->root_pa, unit.root_pa);
	assert_int_equal(fake_io_get64(v->r, VTD_RTADDR_REG), unit.root_pa);
	/* Fault events stay masked: no vector to deliver them to yet. */
	assert_int_equal(fake_io_get32(v->r, VTD_FECTL_REG) & VTD_FECTL_IM, VTD_FECTL_IM);
	/* Global context-cache then IOTLB invalidation, through the queue. */
	const struct fake_vtd_event *cc = fake_vtd_nth(v, FV_CC, 0), *io = fake_vtd_nth(v, FV_IOTLB, 0);
	assert_non_null(cc);
	assert_non_null(io);
	assert_true(cc->queued && cc->a == 1 && io->queued && io->a == 1);
	assert_true(cc < io);
	assert_true(fake_log_has("vtd0: root table at 0x"));
	assert_true(fake_log_has(", queued invalidation, 4-level second-stage tables, translation off"));

	expect_value(expect_gcmd, val, VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE);
	assert_int_equal(vtd_unit_enable(&unit), 0);
	assert_true(unit.te);
	assert_true(fake_io_get32(v->r, VTD_GSTS_REG) & VTD_GSTS_TES);
	assert_true(fake_log_has("vtd0: translation enabled"));
}

static void bringup_turns_off_what_firmware_left_on(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	v->on_gcmd = expect_gcmd;
	fake_io_set32(v->r, VTD_GSTS_REG, VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_RTPS);

	expect_value(expect_gcmd, val, VTD_GCMD_QIE);          /* TE off first */
	expect_value(expect_gcmd, val, 0);                     /* then the queue */
	expect_bringup_writes();
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_true(fake_log_has("WARN vtd0: translation was left on (GSTS=0xc4000000); turning it off"));
}

/*
 * Bring-up against a unit whose GSTS bits dead never move: a bounded wait,
 * the line naming the command, the unit left off after writes GCMD writes,
 * and nothing written after them (no TE).
 */
static void assert_bringup_times_out(struct fake_vtd *v, u32 dead, unsigned writes, const char *line)
{
	u64 t0 = fake_time_ns;

	v->dead_gsts = dead;
	assert_int_equal(vtd_unit_bringup(&unit, NULL), -HV_ETIMEDOUT);
	assert_true(fake_time_ns - t0 >= VTD_HW_TIMEOUT_US * 1000ULL);
	assert_false(unit.up);
	assert_int_equal(fake_vtd_count(v, FV_GCMD), writes);
	assert_true(fake_log_has(line));
	assert_true(fake_log_has("ERR  vtd0: bring-up failed: "));
	assert_true(fake_log_has("; unit left off"));
	assert_int_equal(vtd_unit_enable(&unit), -HV_ENODEV);
	assert_int_equal(fake_vtd_count(v, FV_GCMD), writes);
}

static void set_root_table_times_out_on_dead_unit(void **state)
{
	(void)state;
	/* One SRTP write and nothing after it: no QIE, no remapping, no TE. */
	assert_bringup_times_out(probed(QEMU_CAP, QEMU_ECAP), VTD_GSTS_RTPS, 1,
				 "ERR  vtd0: GCMD.SRTP=1 not confirmed in GSTS within 50000 us (GSTS=0x00000000)");
}

static void enable_times_out_when_translation_never_starts(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	v->dead_gsts = VTD_GSTS_TES;
	assert_int_equal(vtd_unit_enable(&unit), -HV_ETIMEDOUT);
	assert_false(unit.te);
	assert_true(fake_log_has("vtd0: GCMD.TE=1 not confirmed in GSTS within 50000 us"));
}

static void queue_enable_times_out_on_dead_unit(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	v->dead_gsts = VTD_GSTS_QIES;
	assert_int_equal(vtd_unit_bringup(&unit, NULL), -HV_ETIMEDOUT);
	assert_false(unit.up);
	assert_false(unit.qi.on);
	assert_true(fake_log_has("vtd0: GCMD.QIE=1 not confirmed"));
}

static void protected_memory_left_on_by_firmware_is_turned_off(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP | VTD_CAP_PLMR, QEMU_ECAP);
	fake_io_set32(v->r, VTD_PMEN_REG, VTD_PMEN_EPM | VTD_PMEN_PRS);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_int_equal(fake_io_get32(v->r, VTD_PMEN_REG), 0);
	assert_true(fake_log_has("WARN vtd0: firmware left DMA-protected memory regions on (PMEN=0x80000001); turning them off"));
}

static void protected_memory_that_stays_on_leaves_the_unit_off(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP | VTD_CAP_PHMR, QEMU_ECAP);
	fake_io_set32(v->r, VTD_PMEN_REG, VTD_PMEN_EPM | VTD_PMEN_PRS);
	v->dead_pmen = true;
	assert_int_equal(vtd_unit_bringup(&unit, NULL), -HV_ETIMEDOUT);
	assert_false(unit.up);
	assert_int_equal(fake_vtd_count(v, FV_GCMD), 0);
}

static void protected_memory_untouched_without_plmr_or_phmr(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_int_equal(fake_io_writes_to(v->pa, VTD_PMEN_REG), 0);
}

static void write_buffer_is_flushed_only_with_rwbf(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	assert_int_equal(vtd_unit_flush_write_buffer(&unit), 0);
	assert_int_equal(fake_vtd_count(v, FV_GCMD), 0);

	fake_io_reset();
	memset(&unit, 0, sizeof(unit));
	v = probed(QEMU_CAP | VTD_CAP_RWBF, QEMU_ECAP);
	v->on_gcmd = expect_gcmd;
	expect_value(expect_gcmd, val, VTD_GCMD_WBF);
	assert_int_equal(vtd_unit_flush_write_buffer(&unit), 0);
	v->dead_gsts = VTD_GSTS_WBFS;
	expect_value(expect_gcmd, val, VTD_GCMD_WBF);
	assert_int_equal(vtd_unit_flush_write_buffer(&unit), -HV_ETIMEDOUT);
	assert_true(fake_log_has("vtd0: GCMD.WBF=1 not confirmed in GSTS within 50000 us (GSTS=0x08000000)"));
}

static void pages_are_flushed_only_for_a_non_coherent_unit(void **state)
{
	(void)state;
	probed(QEMU_CAP, QEMU_ECAP);                    /* C = 0 */
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_true(fake_flushes > 0);
	unsigned before = fake_flushes;
	vtd_unit_flush(&unit, &unit, 16);
	assert_int_equal(fake_flushes, before + 1);

	fake_io_reset();
	memset(&unit, 0, sizeof(unit));
	probed(QEMU_CAP, QEMU_ECAP | VTD_ECAP_C);
	before = fake_flushes;
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	vtd_unit_flush(&unit, &unit, 16);
	assert_int_equal(fake_flushes, before);
}

/* ---- interrupt remapping ----------------------------------------------------- */

/* No GCMD write the unit saw carries CFI. */
static void assert_cfi_never_written(const struct fake_vtd *v)
{
	for (unsigned i = 0; i < fake_vtd_count(v, FV_GCMD); i++)
		assert_int_equal(fake_vtd_nth(v, FV_GCMD, i)->a & VTD_GCMD_CFI, 0);
}

/*
 * §11.4.4, §6.5.2.7: IRTA, then SIRTP until IRTPS, then a global IEC
 * invalidation through the queue, then IRE until IRES; GCMD carries QIE
 * each time and never CFI.
 */
static void bringup_turns_on_interrupt_remapping_with_an_empty_table(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_true(unit.up);
	assert_true(unit.ir);
	assert_false(unit.eime);
	assert_true(fake_io_get32(v->r, VTD_GSTS_REG) & VTD_GSTS_IRES);

	/* IRTA: the page-aligned table, S = 7 (2^8 = 256 entries), EIME clear, latched by SIRTP. */
	assert_int_equal(unit.irt_entries, 256);
	assert_true(IS_ALIGNED(unit.irt_pa, PAGE_SIZE));
	assert_int_equal(v->irta, unit.irt_pa | 7);
	assert_int_equal(fake_io_writes_to(v->pa, VTD_IRTA_REG), 1);

	/* Order: SRTP, QIE, SIRTP, IEC (global, queued, then its wait), IRE. */
	const struct fake_vtd_event *sirtp = fake_vtd_nth(v, FV_GCMD, 2), *ire = fake_vtd_nth(v, FV_GCMD, 3);
	const struct fake_vtd_event *iec = fake_vtd_nth(v, FV_IEC, 0);
	assert_non_null(iec);
	assert_int_equal(fake_vtd_count(v, FV_IEC), 1);
	assert_true(iec->queued && iec->a == 0);
	assert_int_equal(sirtp->a, VTD_GCMD_SIRTP | VTD_GCMD_QIE);
	assert_int_equal(ire->a, VTD_GCMD_IRE | VTD_GCMD_QIE);
	assert_true(sirtp < iec && iec < ire);
	assert_true(iec + 1 < ire && iec[1].kind == FV_WAIT);
	assert_int_equal(fake_vtd_count(v, FV_GCMD), 4);
	assert_cfi_never_written(v);

	/* Every IRTE not present, in the memory the unit reads. */
	const u8 *t = phys_to_virt(v->irta & VTD_IRTA_IRTA, VTD_IRT_SIZE);
	assert_non_null(t);
	for (unsigned i = 0; i < VTD_IRT_SIZE; i++)
		assert_int_equal(t[i], 0);
	assert_int_equal(vtd_ir_present(&unit), 0);
	assert_true(fake_log_has("INFO vtd0: interrupt remapping on: 256 entries at 0x"));
	assert_true(fake_log_has(", none present, xAPIC destinations (EIME clear); compatibility-format interrupts blocked (CFI clear)\n"));

	u64 pa = 0, size = 0;
	assert_int_equal(vtd_unit_irt(&unit, &pa, &size), 0);
	assert_int_equal(pa, unit.irt_pa);
	assert_int_equal(size, 4096);

	/* Translation goes on later with IRE carried along. */
	assert_int_equal(vtd_unit_enable(&unit), 0);
	assert_int_equal(fake_vtd_nth(v, FV_GCMD, 4)->a, VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE);
	assert_true(fake_io_get32(v->r, VTD_GSTS_REG) & VTD_GSTS_IRES);
}

/* A second bring-up (a loader left remapping on) turns it off before IRTA changes, and empties the table. */
static void bringup_turns_remapping_off_before_setting_the_table_again(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	u64 first = unit.irt_pa;
	unit.irt[5].lo = VTD_IRTE_LO_P | FIELD_PREP(VTD_IRTE_LO_V, 0x30);
	assert_int_equal(vtd_ir_present(&unit), 1);
	fake_vtd_clear_events(v);
	fake_log_capture();
	v->on_gcmd = expect_gcmd;

	expect_value(expect_gcmd, val, VTD_GCMD_QIE);          /* remapping off, the queue kept */
	expect_value(expect_gcmd, val, 0);                     /* then the queue */
	expect_bringup_writes();
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_true(fake_log_has("WARN vtd0: interrupt remapping was left on (GSTS=0x"));
	assert_int_equal(unit.irt_pa, first);
	assert_int_equal(unit.irt[5].lo, 0);
	assert_true(fake_log_has(", none present, "));
}

/* Firmware that left CFI on gets one write clearing it; nothing written later carries it, CFIS is never waited for. */
static void cfi_left_on_by_firmware_is_cleared_and_never_written(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	/* The fake ignores CFI as QEMU does, so CFIS keeps reading 1 here. */
	fake_io_set32(v->r, VTD_GSTS_REG, VTD_GSTS_CFIS);
	v->on_gcmd = expect_gcmd;
	expect_value(expect_gcmd, val, 0);                     /* CFI cleared, alone */
	expect_bringup_writes();
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_true(fake_log_has("WARN vtd0: compatibility-format interrupts were left allowed (GSTS=0x00800000); clearing CFI"));
	assert_true(unit.ir);
	expect_value(expect_gcmd, val, VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE);
	assert_int_equal(vtd_unit_enable(&unit), 0);
	assert_cfi_never_written(v);
}

/* IRTA.S: 2^(S+1) entries. */
/*
 * §9.10 layout: P bit 0, DLM 7:5 (000 fixed), V 23:16, DST 63:32 with the
 * xAPIC ID in DST 15:8 (bits 47:40) or the whole x2APIC ID under EIME;
 * SID 79:64, SQ 81:80, SVT 83:82 (bits 15:0, 17:16, 19:18 of the upper half).
 */
static void irte_encodes_destination_vector_and_source(void **state)
{
	(void)state;
	struct vtd_irte_src src = { .sid = 0x0310 };   /* 03:02.0 */
	struct vtd_irte e;

	assert_int_equal(vtd_irte_build(&src, 0x2, 0x41, false, &e), 0);
	assert_int_equal(e.lo, 0x0000020000410001ULL);          /* APIC ID 2 in bits 47:40, vector 0x41, P */
	assert_int_equal(e.hi, 0x0000000000040310ULL);          /* SVT 01, SQ 00, SID 0x0310 */
	assert_int_equal(e.lo & (VTD_IRTE_LO_FPD | VTD_IRTE_LO_DM | VTD_IRTE_LO_RH | VTD_IRTE_LO_TM |
				 VTD_IRTE_LO_DLM | VTD_IRTE_LO_IM), 0);

	/* x2APIC: all 32 bits of DST. */
	assert_int_equal(vtd_irte_build(&src, 0x12345, 0xfe, true, &e), 0);
	assert_int_equal(e.lo, 0x0001234500fe0001ULL);
	/* Without EIME only 8-bit IDs reach a CPU. */
	assert_int_equal(vtd_irte_build(&src, 0x100, 0x41, false, &e), -HV_ERANGE);
	assert_int_equal(vtd_irte_build(&src, 0xff, 0x41, false, &e), 0);
	assert_int_equal(e.lo >> 40 & 0xff, 0xff);
	/* Vectors 0-15 are reserved. */
	assert_int_equal(vtd_irte_build(&src, 0, 15, false, &e), -HV_EINVAL);
	assert_int_equal(vtd_irte_build(&src, 0, 16, false, &e), 0);
}

/* §9.10 SVT = 10: SID holds the start bus in 15:8 and the end bus in 7:0; SQ is ignored (0). */
static void irte_encodes_a_bus_range_behind_a_pcie_to_pci_bridge(void **state)
{
	(void)state;
	struct vtd_irte_src src = { .sid = 0x0500, .bus_range = true, .bus_first = 5, .bus_last = 7 };
	struct vtd_irte e;

	assert_int_equal(vtd_irte_build(&src, 1, 0x50, false, &e), 0);
	assert_int_equal(e.hi, 0x0000000000080507ULL);
	assert_int_equal(FIELD_GET(VTD_IRTE_HI_SVT, e.hi), 2);
	src.bus_first = 8;
	assert_int_equal(vtd_irte_build(&src, 1, 0x50, false, &e), -HV_EINVAL);
}

/* §5.1.2.2: 0xFEE in 31:20, handle 14:0 in 19:5, format bit 4, SHV bit 3 clear, handle 15 in bit 2. */
static void remappable_message_carries_the_handle(void **state)
{
	(void)state;
	u64 addr;
	u32 data;

	vtd_msi_remappable(1, &addr, &data);
	assert_int_equal(addr, 0xfee00030ULL);
	assert_int_equal(data, 0);
	vtd_msi_remappable(0x7fff, &addr, &data);
	assert_int_equal(addr, 0xfeeffff0ULL);
	vtd_msi_remappable(0x8001, &addr, &data);
	assert_int_equal(addr, 0xfee00034ULL);
}

/*
 * An entry is written upper half first, then the lower with P, and
 * invalidated alone (IEC G = 1, IM = 0, its index) in a batch ended by a
 * wait; freeing clears it and invalidates it again. Index 0 is never given.
 */
static void ir_alloc_programs_and_invalidates_one_entry(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	struct vtd_irte_src src = { .sid = 0x0310 }, other = { .sid = 0x0400 };
	struct vtd_inv_stats st = { 0 };
	u16 a, b;

	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	unsigned iec0 = fake_vtd_count(v, FV_IEC);
	assert_int_equal(vtd_ir_alloc(&unit, &src, 1, 0x41, &st, &a), 0);
	assert_int_equal(a, 1);
	assert_int_equal(fake_vtd_count(v, FV_IEC), iec0 + 1);
	const struct fake_vtd_event *iec = fake_vtd_nth(v, FV_IEC, iec0);
	assert_true(iec->queued);
	assert_int_equal(iec->a, 1);
	assert_int_equal(iec->addr, 1);
	assert_int_equal(iec->am, 0);
	assert_int_equal(iec[1].kind, FV_WAIT);
	assert_int_equal(st.desc[VTD_DESC_IEC], 1);
	assert_int_equal(st.waits, 1);
	/* In the memory the unit reads. */
	const struct vtd_irte *t = phys_to_virt(v->irta & VTD_IRTA_IRTA, VTD_IRT_SIZE);
	assert_int_equal(t[1].lo, 0x0000010000410001ULL);
	assert_int_equal(t[1].hi, 0x0000000000040310ULL);
	assert_int_equal(vtd_ir_present(&unit), 1);

	assert_int_equal(vtd_ir_alloc(&unit, &other, 2, 0x42, NULL, &b), 0);
	assert_int_equal(b, 2);
	/* Only the owner frees its entry. */
	assert_int_equal(vtd_ir_free(&unit, a, &other, NULL), -HV_ENOENT);
	assert_int_equal(vtd_ir_free(&unit, 0, &src, NULL), -HV_ENOENT);
	assert_int_equal(vtd_ir_free(&unit, a, &src, &st), 0);
	assert_int_equal(t[1].lo, 0);
	assert_int_equal(t[1].hi, 0);
	iec = fake_vtd_nth(v, FV_IEC, fake_vtd_count(v, FV_IEC) - 1);
	assert_int_equal(iec->a, 1);
	assert_int_equal(iec->addr, 1);
	assert_int_equal(st.desc[VTD_DESC_IEC], 2);
	assert_int_equal(vtd_ir_free(&unit, a, &src, NULL), -HV_ENOENT);
	/* The freed entry is the next one given. */
	assert_int_equal(vtd_ir_alloc(&unit, &src, 1, 0x41, NULL, &a), 0);
	assert_int_equal(a, 1);
	assert_int_equal(vtd_ir_present(&unit), 2);
	assert_cfi_never_written(v);
}

/* A full table answers -HV_ENOMEM; a unit without remapping -HV_ENOTSUP. */
static void ir_alloc_refuses_a_full_table_and_a_unit_without_remapping(void **state)
{
	(void)state;
	probed(QEMU_CAP, QEMU_ECAP);
	struct vtd_irte_src src = { .sid = 0x0310 };
	u16 idx;

	assert_int_equal(vtd_ir_alloc(&unit, &src, 1, 0x41, NULL, &idx), -HV_ENOTSUP);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	for (u32 i = VTD_IR_FIRST_INDEX; i < VTD_IRT_ENTRIES; i++)
		assert_int_equal(vtd_ir_alloc(&unit, &src, 1, 0x41, NULL, &idx), 0);
	assert_int_equal(idx, VTD_IRT_ENTRIES - 1);
	assert_int_equal(vtd_ir_alloc(&unit, &src, 1, 0x41, NULL, &idx), -HV_ENOMEM);
	assert_int_equal(vtd_ir_present(&unit), VTD_IRT_ENTRIES - 1);
	assert_int_equal(unit.irt[0].lo, 0);
}

static void irta_encodes_the_table_size(void **state)
{
	(void)state;
	assert_int_equal(vtd_irta(0x123456000ULL, 2, false), 0x123456000ULL | 0);
	assert_int_equal(vtd_irta(0x123456000ULL, 256, false), 0x123456000ULL | 7);
	assert_int_equal(vtd_irta(0x123456000ULL, 65536, true), 0x123456000ULL | VTD_IRTA_EIME | 15);
	/* The address keeps only bits 63:12. */
	assert_int_equal(vtd_irta(0x123456789ULL, 256, false), 0x123456000ULL | 7);
}

/* EIME needs both: CPUs in x2APIC mode and ECAP.EIM. */
static void eime_is_set_only_for_x2apic_cpus_on_a_unit_with_eim(void **state)
{
	static const struct { bool x2apic, eim, eime; } rows[] = {
		{ false, false, false }, { false, true, false }, { true, false, false }, { true, true, true },
	};
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
		struct vtd_caps c;
		vtd_caps_decode(QEMU_CAP, QEMU_ECAP | (rows[i].eim ? VTD_ECAP_EIM : 0), &c);
		assert_int_equal(vtd_ir_eime(&c, rows[i].x2apic), rows[i].eime);
	}

	/* x2APIC CPUs, unit with EIM: IRTA carries EIME. */
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP | VTD_ECAP_EIM);
	unit.cpus_x2apic = true;
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_true(unit.eime);
	assert_int_equal(v->irta, unit.irt_pa | VTD_IRTA_EIME | 7);
	assert_true(fake_log_has(", none present, x2APIC destinations (EIME set); "));

	/* x2APIC CPUs, unit without EIM (QEMU's default): EIME clear, and the line says why. */
	fake_io_reset();
	memset(&unit, 0, sizeof(unit));
	v = probed(QEMU_CAP, QEMU_ECAP);
	unit.cpus_x2apic = true;
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_false(unit.eime);
	assert_int_equal(v->irta & VTD_IRTA_EIME, 0);
	assert_true(fake_log_has(", none present, xAPIC destinations (EIME clear: no ECAP.EIM); "));
}

static void set_interrupt_table_times_out_on_dead_unit(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	/* SRTP, QIE, SIRTP, and nothing after it: no IEC, no IRE, no TE. */
	assert_bringup_times_out(v, VTD_GSTS_IRTPS, 3, "ERR  vtd0: GCMD.SIRTP=1 not confirmed in GSTS within 50000 us");
	assert_false(unit.ir);
	assert_int_equal(fake_vtd_count(v, FV_IEC), 0);
	assert_false(fake_io_get32(v->r, VTD_GSTS_REG) & (VTD_GSTS_TES | VTD_GSTS_IRES));
	u64 pa, size;
	assert_int_equal(vtd_unit_irt(&unit, &pa, &size), -HV_ENOTSUP);
}

static void interrupt_remapping_enable_times_out_on_dead_unit(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	/* The table was set and its cache invalidated; IRE never confirmed, so translation never goes on. */
	assert_bringup_times_out(v, VTD_GSTS_IRES, 4,
				 "ERR  vtd0: GCMD.IRE=1 not confirmed in GSTS within 50000 us (GSTS=0x45000000)");
	assert_false(unit.ir);
	assert_int_equal(fake_vtd_count(v, FV_IEC), 1);
	assert_false(fake_log_has("interrupt remapping on"));
}

/* A unit without ECAP.IR comes up for DMA remapping and says it cannot block device interrupts. */
static void unit_without_ecap_ir_comes_up_and_says_what_it_cannot_block(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP & ~VTD_ECAP_IR);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_true(unit.up);
	assert_false(unit.ir);
	assert_null(unit.irt);
	assert_int_equal(fake_io_writes_to(v->pa, VTD_IRTA_REG), 0);
	assert_int_equal(fake_vtd_count(v, FV_GCMD), 2);        /* SRTP, QIE */
	assert_int_equal(fake_vtd_count(v, FV_IEC), 0);
	assert_true(fake_log_has("WARN vtd0: no interrupt remapping (ECAP.IR clear): this unit cannot block interrupts its devices send by DMA writes to 0xFEEx_xxxx"));
	u64 pa, size;
	assert_int_equal(vtd_unit_irt(&unit, &pa, &size), -HV_ENOTSUP);
}

/* ECAP.IR without ECAP.QI breaks the spec: the IEC cannot be invalidated, so remapping stays off, said in words. */
static void unit_with_ir_but_no_queue_leaves_remapping_off(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP & ~VTD_ECAP_QI);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_true(unit.up);
	assert_false(unit.qi.on);
	assert_false(unit.ir);
	assert_int_equal(fake_io_writes_to(v->pa, VTD_IRTA_REG), 0);
	assert_int_equal(fake_vtd_count(v, FV_GCMD), 1);        /* SRTP alone */
	assert_true(fake_log_has("ERR  vtd0: ECAP.IR without an invalidation queue (ECAP.QI clear), against the spec: interrupt remapping left off; this unit cannot block device interrupts"));
}

/* ---- faults ---------------------------------------------------------------- */

static u64 p2_faults, p2_logged, p2_suppressed;

static void owner_p2(struct vtd_unit *u, u16 sid, struct vtd_fault_owner *o)
{
	(void)u;
	if (sid == 0x0020) {
		o->name = "p2";
		o->counter = &p2_faults;
		o->logged = &p2_logged;
		o->suppressed = &p2_suppressed;
	}
}

/* CAP with NFR+1 fault recording registers. */
static u64 cap_nfr(u32 nfr)
{
	return (QEMU_CAP & ~VTD_CAP_NFR) | CAP(NFR, nfr - 1);
}

static void two_fault_records_are_logged_and_cleared(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(cap_nfr(2), QEMU_ECAP);
	assert_int_equal(vtd_unit_bringup(&unit, owner_p2), 0);
	p2_faults = 0;
	assert_int_equal(fake_vtd_fault(v, 0x0020, 0x50000000, VTD_FR_WRITE, true), 0);
	assert_int_equal(fake_vtd_fault(v, 0x0018, 0x12345678, VTD_FR_READ, false), 1);
	assert_true(fake_io_get32(v->r, VTD_FSTS_REG) & VTD_FSTS_PPF);

	assert_int_equal(vtd_unit_drain_faults(&unit, owner_p2), 2);
	assert_true(fake_log_has("ERR  vtd0: dma fault sid=00:04.0 dir=write addr=0x0000000050000000 reason=0x05 \"A Write or AtomicOp request encountered lack of write permission\" domain=p2"));
	assert_true(fake_log_has("ERR  vtd0: dma fault sid=00:03.0 dir=read addr=0x0000000012345000 reason=0x06 "));
	assert_true(fake_log_has("domain=none"));
	/* F written 1-to-clear through the dword at +12; PPF falls with it. */
	assert_int_equal(fake_io_writes_to(v->pa, 0x220 + VTD_FRCD_F_DW_OFF), 1);
	assert_int_equal(fake_io_writes_to(v->pa, 0x230 + VTD_FRCD_F_DW_OFF), 1);
	assert_false(fake_io_get64(v->r, 0x228) & VTD_FRCD_HI_F);
	assert_false(fake_io_get64(v->r, 0x238) & VTD_FRCD_HI_F);
	assert_int_equal(fake_io_get32(v->r, VTD_FSTS_REG) & (VTD_FSTS_PPF | VTD_FSTS_PFO), 0);
	assert_int_equal(p2_faults, 1);
	assert_int_equal(unit.faults, 2);
	/* Nothing pending: nothing logged. */
	assert_int_equal(vtd_unit_drain_faults(&unit, owner_p2), 0);
}

static void drain_starts_at_the_fault_record_index(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(cap_nfr(2), QEMU_ECAP);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_int_equal(fake_vtd_fault(v, 0x0018, 0x1000, VTD_FR_READ, false), 0);
	assert_int_equal(vtd_unit_drain_faults(&unit, NULL), 1);
	/* The next two land in slot 1, then slot 0: FRI says 1 comes first. */
	assert_int_equal(fake_vtd_fault(v, 0x0018, 0x2000, VTD_FR_READ, false), 1);
	assert_int_equal(fake_vtd_fault(v, 0x0018, 0x3000, VTD_FR_READ, false), 0);
	fake_log_capture();
	assert_int_equal(vtd_unit_drain_faults(&unit, NULL), 2);
	const char *a = strstr(fake_log_text(), "addr=0x0000000000002000");
	const char *b = strstr(fake_log_text(), "addr=0x0000000000003000");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
}

static void overflow_is_logged_and_cleared(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);      /* one FRCD, as QEMU */
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_int_equal(fake_vtd_fault(v, 0x0018, 0x10000, VTD_FR_WRITE, true), 0);
	assert_int_equal(fake_vtd_fault(v, 0x0018, 0x11000, VTD_FR_WRITE, true), -1);
	assert_true(fake_io_get32(v->r, VTD_FSTS_REG) & VTD_FSTS_PFO);

	assert_int_equal(vtd_unit_drain_faults(&unit, NULL), 1);
	assert_true(fake_log_has("ERR  vtd0: fault log overflow: later faults were not recorded (FSTS=0x00000003)"));
	assert_int_equal(fake_io_get32(v->r, VTD_FSTS_REG) & (VTD_FSTS_PFO | VTD_FSTS_PPF), 0);
	assert_int_equal(unit.overflows, 1);
	/* Recording works again. */
	assert_int_equal(fake_vtd_fault(v, 0x0018, 0x12000, VTD_FR_WRITE, true), 0);
	assert_int_equal(vtd_unit_drain_faults(&unit, NULL), 1);
}

/* F_DW write hook: one more fault arrives just before the slot is freed (so it overflows), then the slot is freed. */
static unsigned late_faults;
static void fault_then_free(struct io_region *r, u32 off, u64 val, unsigned width, void *ctx)
{
	struct fake_vtd *v = ctx;
	(void)val;
	(void)width;
	if (!late_faults++)
		assert_int_equal(fake_vtd_fault(v, 0x0020, 0x20000, VTD_FR_READ, false), -1);
	u32 hi_off = off - VTD_FRCD_F_DW_OFF + VTD_FRCD_HI_OFF;
	fake_io_set64(r, hi_off, fake_io_get64(r, hi_off) & ~VTD_FRCD_HI_F);
	fake_io_set32(r, VTD_FSTS_REG, fake_io_get32(r, VTD_FSTS_REG) & ~(u32)VTD_FSTS_PPF);
}

/*
 * A fault that overflows while the records are read raises no new event
 * (PPF was still set): the drain must see PFO on its next FSTS read and
 * clear it, or the unit records nothing ever again.
 */
static void overflow_during_the_drain_is_cleared_too(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);      /* one FRCD, as QEMU */
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	assert_int_equal(fake_vtd_fault(v, 0x0018, 0x10000, VTD_FR_WRITE, true), 0);
	late_faults = 0;
	fake_io_on_write(v->r, unit.caps.fro + VTD_FRCD_F_DW_OFF, fault_then_free, v);
	assert_int_equal(vtd_unit_drain_faults(&unit, NULL), 1);
	assert_int_equal(late_faults, 1);
	assert_int_equal(unit.overflows, 1);
	assert_true(fake_log_has("ERR  vtd0: fault log overflow: later faults were not recorded (FSTS=0x00000001)"));
	assert_int_equal(fake_io_get32(v->r, VTD_FSTS_REG) & (VTD_FSTS_PFO | VTD_FSTS_PPF), 0);
	/* Recording works again. */
	assert_int_equal(fake_vtd_fault(v, 0x0018, 0x12000, VTD_FR_WRITE, true), 0);
	assert_int_equal(vtd_unit_drain_faults(&unit, NULL), 1);
}

static void repeated_faults_from_one_source_are_rate_limited(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	assert_int_equal(vtd_unit_bringup(&unit, owner_p2), 0);
	p2_faults = p2_logged = p2_suppressed = 0;
	fake_log_capture();
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(fake_vtd_fault(v, 0x0020, 0x50000000, VTD_FR_WRITE, true), 0);
		assert_int_equal(vtd_unit_drain_faults(&unit, owner_p2), 1);
	}
	/* Another source is not held back by the first. */
	assert_int_equal(fake_vtd_fault(v, 0x0018, 0x1000, VTD_FR_READ, false), 0);
	assert_int_equal(vtd_unit_drain_faults(&unit, owner_p2), 1);

	assert_int_equal(fake_log_count("dma fault sid=00:04.0"), VTD_FAULT_BURST);
	assert_int_equal(fake_log_count("dma fault sid=00:03.0"), 1);
	assert_int_equal(p2_faults, 10);                /* every fault counts */
	assert_int_equal(p2_logged, VTD_FAULT_BURST);   /* and the owner learns which were logged */
	assert_int_equal(p2_suppressed, 10 - VTD_FAULT_BURST);
	vtd_unit_fault_summary(&unit, true);
	assert_true(fake_log_has("WARN vtd0: dma faults from sid=00:04.0: 6 more suppressed"));
	assert_int_equal(fake_log_count("more suppressed"), 1);

	/* A second later the source may speak again. */
	fake_time_ns += VTD_FAULT_WINDOW_NS;
	assert_int_equal(fake_vtd_fault(v, 0x0020, 0x50000000, VTD_FR_WRITE, true), 0);
	assert_int_equal(vtd_unit_drain_faults(&unit, owner_p2), 1);
	assert_int_equal(fake_log_count("dma fault sid=00:04.0"), VTD_FAULT_BURST + 1);
}

static u64 p2_ir_faults;

static void owner_p2_ir(struct vtd_unit *u, u16 sid, struct vtd_fault_owner *o)
{
	owner_p2(u, sid, o);
	if (o->name)
		o->ir_counter = &p2_ir_faults;
}

/*
 * A blocked remappable interrupt (IRTE 0x12 not present) from p2's device:
 * decoded with its index, charged to p2 in both counters, rate-limited
 * with its source like a DMA fault.
 */
static void interrupt_fault_is_decoded_and_charged_to_the_owner(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	assert_int_equal(vtd_unit_bringup(&unit, owner_p2_ir), 0);
	p2_faults = p2_ir_faults = 0;
	fake_log_capture();
	/* §11.4.14: an interrupt fault records interrupt_index in FI bits 63:48. */
	assert_int_equal(fake_vtd_fault(v, 0x0020, 0x12ULL << 48, VTD_FR_IR_IRTE_P, true), 0);
	assert_int_equal(vtd_unit_drain_faults(&unit, owner_p2_ir), 1);
	assert_true(fake_log_has("ERR  vtd0: interrupt fault sid=00:04.0 index=0x0012 reason=0x22 \"The Present (P) field in the IRTE for the interrupt_index of the request is Clear\" domain=p2\n"));
	assert_int_equal(p2_faults, 1);
	assert_int_equal(p2_ir_faults, 1);
	assert_int_equal(unit.faults, 1);
	assert_int_equal(unit.ir_faults, 1);

	/* A DMA fault counts in the fault counter only. */
	assert_int_equal(fake_vtd_fault(v, 0x0020, 0x50000000, VTD_FR_WRITE, true), 0);
	vtd_unit_drain_faults(&unit, owner_p2_ir);
	assert_int_equal(p2_faults, 2);
	assert_int_equal(p2_ir_faults, 1);

	/* A storm of blocked interrupts: every one counted, the log limited per source. */
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(fake_vtd_fault(v, 0x0020, 0x12ULL << 48, VTD_FR_IR_IRTE_P, true), 0);
		assert_int_equal(vtd_unit_drain_faults(&unit, owner_p2_ir), 1);
	}
	assert_int_equal(p2_faults, 12);
	assert_int_equal(p2_ir_faults, 11);
	assert_int_equal(fake_log_count("sid=00:04.0"), VTD_FAULT_BURST);
	vtd_unit_fault_summary(&unit, true);
	assert_true(fake_log_has("WARN vtd0: dma faults from sid=00:04.0: 8 more suppressed"));

	/* A compatibility-format interrupt blocked by CFI clear (0x25) is an interrupt fault too. */
	fake_time_ns += VTD_FAULT_WINDOW_NS;
	assert_int_equal(fake_vtd_fault(v, 0x0020, 0, VTD_FR_IR_COMPAT, true), 0);
	vtd_unit_drain_faults(&unit, owner_p2_ir);
	assert_true(fake_log_has("interrupt fault sid=00:04.0 index=0x0000 reason=0x25 \"Hardware blocked an interrupt request in Compatibility format\" domain=p2"));
	assert_int_equal(p2_ir_faults, 12);
}

static void suppressed_count_is_told_when_the_window_ends(void **state)
{
	(void)state;
	struct fake_vtd *v = probed(QEMU_CAP, QEMU_ECAP);
	assert_int_equal(vtd_unit_bringup(&unit, NULL), 0);
	for (unsigned i = 0; i < VTD_FAULT_BURST + 2; i++) {
		fake_vtd_fault(v, 0x0018, 0x1000, VTD_FR_READ, false);
		vtd_unit_drain_faults(&unit, NULL);
	}
	vtd_unit_fault_summary(&unit, false);          /* window still open */
	assert_false(fake_log_has("more suppressed"));
	fake_time_ns += VTD_FAULT_WINDOW_NS;
	vtd_unit_fault_summary(&unit, false);
	assert_true(fake_log_has("vtd0: dma faults from sid=00:03.0: 2 more suppressed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(caps_decode_matches_the_table, setup, teardown),
		cmocka_unit_test_setup_teardown(caps_lines_read_like_the_spec_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_logs_version_and_decoded_cap_and_ecap, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_refuses_unit_without_3_or_4_level_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_refuses_unit_with_no_way_to_invalidate, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_reports_missing_and_all_ones_units, setup, teardown),
		cmocka_unit_test_setup_teardown(gcmd_changes_one_bit_and_keeps_the_others, setup, teardown),
		cmocka_unit_test_setup_teardown(gcmd_refuses_cfi_and_several_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(bringup_sets_root_table_before_queue_and_translation, setup, teardown),
		cmocka_unit_test_setup_teardown(bringup_turns_off_what_firmware_left_on, setup, teardown),
		cmocka_unit_test_setup_teardown(set_root_table_times_out_on_dead_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(enable_times_out_when_translation_never_starts, setup, teardown),
		cmocka_unit_test_setup_teardown(queue_enable_times_out_on_dead_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(protected_memory_left_on_by_firmware_is_turned_off, setup, teardown),
		cmocka_unit_test_setup_teardown(protected_memory_that_stays_on_leaves_the_unit_off, setup, teardown),
		cmocka_unit_test_setup_teardown(protected_memory_untouched_without_plmr_or_phmr, setup, teardown),
		cmocka_unit_test_setup_teardown(write_buffer_is_flushed_only_with_rwbf, setup, teardown),
		cmocka_unit_test_setup_teardown(pages_are_flushed_only_for_a_non_coherent_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(bringup_turns_on_interrupt_remapping_with_an_empty_table, setup, teardown),
		cmocka_unit_test_setup_teardown(bringup_turns_remapping_off_before_setting_the_table_again, setup, teardown),
		cmocka_unit_test_setup_teardown(cfi_left_on_by_firmware_is_cleared_and_never_written, setup, teardown),
		cmocka_unit_test_setup_teardown(irta_encodes_the_table_size, setup, teardown),
		cmocka_unit_test_setup_teardown(irte_encodes_destination_vector_and_source, setup, teardown),
		cmocka_unit_test_setup_teardown(irte_encodes_a_bus_range_behind_a_pcie_to_pci_bridge, setup, teardown),
		cmocka_unit_test_setup_teardown(remappable_message_carries_the_handle, setup, teardown),
		cmocka_unit_test_setup_teardown(ir_alloc_programs_and_invalidates_one_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(ir_alloc_refuses_a_full_table_and_a_unit_without_remapping, setup, teardown),
		cmocka_unit_test_setup_teardown(eime_is_set_only_for_x2apic_cpus_on_a_unit_with_eim, setup, teardown),
		cmocka_unit_test_setup_teardown(set_interrupt_table_times_out_on_dead_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupt_remapping_enable_times_out_on_dead_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(unit_without_ecap_ir_comes_up_and_says_what_it_cannot_block, setup, teardown),
		cmocka_unit_test_setup_teardown(unit_with_ir_but_no_queue_leaves_remapping_off, setup, teardown),
		cmocka_unit_test_setup_teardown(two_fault_records_are_logged_and_cleared, setup, teardown),
		cmocka_unit_test_setup_teardown(drain_starts_at_the_fault_record_index, setup, teardown),
		cmocka_unit_test_setup_teardown(overflow_is_logged_and_cleared, setup, teardown),
		cmocka_unit_test_setup_teardown(overflow_during_the_drain_is_cleared_too, setup, teardown),
		cmocka_unit_test_setup_teardown(repeated_faults_from_one_source_are_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupt_fault_is_decoded_and_charged_to_the_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(suppressed_count_is_told_when_the_window_ends, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
