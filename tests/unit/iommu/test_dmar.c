/*
 * iommu/dmar.c and dmar_print.c on the DMAR fixtures of tests/fixtures/dmar
 * (ASL compiled by iasl at test time, malformed ones patched after; see
 * test_dmar.mk), plus headers built here. Each table sits in a buffer
 * exactly its size, so a read past the end is an ASan failure. Scope
 * resolution against a bus is test_dmar_scope.c's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "iommu/dmar.h"
#include "kernel/err.h"
#include "kernel/hw/pci_cfg.h"
#include "tests/fakes/fake_log.h"

#ifndef DMAR_FIXTURE_DIR
#define DMAR_FIXTURE_DIR        "build/host/fixtures/dmar"
#endif

#define S(b, d, f)              PCI_SBDF(0, b, d, f)
#define BDF(b, d, f)            PCI_RID(PCI_SBDF(0, b, d, f))

static struct dmar_info info;
static struct dmar_info *d = &info;

/* Reads DMAR_FIXTURE_DIR/name.aml into a buffer of exactly its size; the caller frees it. */
static u8 *fixture_load(const char *name, u32 *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.aml", DMAR_FIXTURE_DIR, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (make build/host/test_dmar builds the fixtures)", path);
	u8 tmp[65536];
	size_t n = fread(tmp, 1, sizeof(tmp), f);
	fclose(f);
	u8 *buf = malloc(n);
	assert_non_null(buf);
	memcpy(buf, tmp, n);
	*len = (u32)n;
	return buf;
}

/* Parses fixture name into *d with the log captured; returns its length. */
static u32 parse_fixture(const char *name)
{
	u32 len;
	u8 *t = fixture_load(name, &len);
	fake_log_capture();
	assert_int_equal(dmar_parse(t, len, d), 0);
	free(t);
	return len;
}

static void assert_line(const char *line)
{
	if (!fake_log_has(line))
		fail_msg("no log line with \"%s\" in:\n%s", line, fake_log_text());
}

static void assert_scope(const struct dmar_scope *s, u8 type, u8 enum_id, u8 bus, u16 bdf)
{
	assert_int_equal(s->type, type);
	assert_int_equal(s->enum_id, enum_id);
	assert_int_equal(s->start_bus, bus);
	assert_int_equal(s->nr_hops, 1);
	assert_int_equal(s->res, DMAR_RES_TABLE);
	assert_int_equal(s->bdf, bdf);
}

static const struct dmar_scope *scope_of(u32 first, u32 i)
{
	assert_true(first + i < d->nr_scopes);
	return &d->scopes[first + i];
}

static u8 table_sum(const u8 *t, u32 n)
{
	u8 s = 0;
	while (n--)
		s = (u8)(s + *t++);
	return s;
}

static void resum(u8 *t, u32 len)
{
	t[9] = 0;
	t[9] = (u8)-table_sum(t, len);
}

/* ---- QEMU's tables --------------------------------------------------------- */

static void qemu_table_has_one_unit_that_lists_its_devices(void **state __unused)
{
	assert_int_equal(parse_fixture("qemu"), 0x90);
	assert_int_equal(d->len, 0x90);
	assert_int_equal(d->revision, 1);
	assert_int_equal(d->haw, 48);
	assert_int_equal(d->flags, ACPI_DMAR_INTR_REMAP);
	assert_string_equal(d->oem_id, "BOCHS ");
	assert_string_equal(d->oem_table_id, "BXPC    ");
	assert_int_equal(d->nr_units, 1);
	assert_int_equal(d->nr_rmrrs + d->nr_atsrs + d->nr_rhsas + d->nr_andds + d->nr_satcs, 0);
	assert_int_equal(d->nr_errors, 0);
	assert_int_equal(d->nr_warnings, 0);
	assert_false(d->walk_stopped);

	const struct dmar_unit *u = &d->units[0];
	assert_int_equal(u->offset, 0x30);
	assert_int_equal(u->flags, 0);
	assert_int_equal(u->segment, 0);
	assert_int_equal(u->base_pa, 0xfed90000);
	assert_false(u->broken);
	assert_int_equal(u->nr_scopes, 10);
	assert_scope(scope_of(u->first_scope, 0), DMAR_SCOPE_IOAPIC, 0, 0xff, BDF(0xff, 0, 0));
	assert_scope(scope_of(u->first_scope, 1), DMAR_SCOPE_ENDPOINT, 0, 0, BDF(0, 0, 0));
	assert_scope(scope_of(u->first_scope, 2), DMAR_SCOPE_ENDPOINT, 0, 0, BDF(0, 1, 0));
	for (u32 i = 0; i < 4; i++)
		assert_scope(scope_of(u->first_scope, 3 + i), DMAR_SCOPE_BRIDGE, 0, 0, BDF(0, 2 + i, 0));
	assert_scope(scope_of(u->first_scope, 7), DMAR_SCOPE_ENDPOINT, 0, 0, BDF(0, 0x1f, 0));
	assert_scope(scope_of(u->first_scope, 8), DMAR_SCOPE_ENDPOINT, 0, 0, BDF(0, 0x1f, 2));
	assert_scope(scope_of(u->first_scope, 9), DMAR_SCOPE_ENDPOINT, 0, 0, BDF(0, 0x1f, 3));
	assert_int_equal(scope_of(u->first_scope, 9)->offset, 0x88);
	assert_int_equal(dmar_nr_drhd(d), 1);
	assert_int_equal(dmar_haw_bits(d), 48);
	assert_false(dmar_atsr_covers(d, S(1, 0, 0)));
}

static void qemu_iotlb_table_adds_an_all_ports_atsr(void **state __unused)
{
	assert_int_equal(parse_fixture("qemu_iotlb"), 0x98);
	assert_int_equal(d->nr_units, 1);
	assert_int_equal(d->units[0].nr_scopes, 10);
	assert_int_equal(d->nr_atsrs, 1);
	assert_int_equal(d->atsrs[0].offset, 0x90);
	assert_int_equal(d->atsrs[0].flags, DMAR_ATSR_ALL_PORTS);
	assert_int_equal(d->atsrs[0].segment, 0);
	assert_int_equal(d->atsrs[0].nr_scopes, 0);
	assert_int_equal(d->nr_errors + d->nr_warnings, 0);
	assert_true(dmar_atsr_covers(d, S(1, 0, 0)));
	assert_true(dmar_atsr_covers(d, S(4, 0, 0)));
	assert_false(dmar_atsr_covers(d, PCI_SBDF(1, 1, 0, 0)));
}

static void qemu_table_prints_in_plain_words(void **state __unused)
{
	parse_fixture("qemu_iotlb");
	fake_log_capture();
	dmar_print(d);
	assert_line("INFO dmar: DMAR rev 1, 152 bytes, OEM \"BOCHS \" \"BXPC    \": haw 48 bits, flags 0x01 (INTR_REMAP)\n");
	assert_line("INFO dmar: DRHD 0 segment 0 base 0x00000000fed90000 flags 0x00 (explicit scopes)\n");
	assert_line("INFO dmar:   scope IOAPIC id 0 at ff:00.0\n");
	assert_line("INFO dmar:   scope endpoint 00:00.0\n");
	assert_line("INFO dmar:   scope bridge 00:02.0 (buses below: not resolved)\n");
	assert_line("INFO dmar:   scope bridge 00:05.0 (buses below: not resolved)\n");
	assert_line("INFO dmar:   scope endpoint 00:1f.3\n");
	assert_line("INFO dmar: ATSR segment 0 flags 0x01 (ALL_PORTS)\n");
	assert_line("INFO dmar: 1 DRHD (0 broken), 0 RMRR, 1 ATSR, 0 RHSA, 0 ANDD, 0 SATC, 0 skipped; 0 error(s), 0 warning(s)\n");
	assert_int_equal(fake_log_count("\n"), 14);
	assert_int_equal(fake_log_count(" scope "), 10);
}

/* ---- every structure type ------------------------------------------------- */

static void all_types_parses_every_structure(void **state __unused)
{
	parse_fixture("all_types");
	assert_int_equal(d->nr_errors + d->nr_warnings, 0);
	assert_int_equal(d->haw, 39);
	assert_int_equal(d->flags, ACPI_DMAR_INTR_REMAP | ACPI_DMAR_X2APIC_OPT_OUT | ACPI_DMAR_DMA_CTRL_OPT_IN);
	assert_int_equal(d->nr_units, 3);
	assert_int_equal(d->nr_rmrrs, 2);
	assert_int_equal(d->nr_atsrs, 1);
	assert_int_equal(d->nr_rhsas, 2);
	assert_int_equal(d->nr_andds, 2);
	assert_int_equal(d->nr_satcs, 1);
	assert_int_equal(d->nr_scopes, 13);
	assert_false(d->several_segments);

	const struct dmar_unit *u0 = &d->units[0], *u1 = &d->units[1], *u2 = &d->units[2];
	assert_int_equal(u0->base_pa, 0xfed90000);
	assert_int_equal(u0->size_log2, 0);
	assert_int_equal(u0->nr_scopes, 1);
	assert_scope(scope_of(u0->first_scope, 0), DMAR_SCOPE_ENDPOINT, 0, 0, BDF(0, 2, 0));
	assert_int_equal(u1->base_pa, 0xfed84000);
	assert_int_equal(u1->offset, 0x48);
	assert_int_equal(u1->size_log2, 4);
	assert_int_equal(u1->flags, 0);
	assert_int_equal(u1->nr_scopes, 3);
	assert_scope(scope_of(u1->first_scope, 0), DMAR_SCOPE_BRIDGE, 0, 0, BDF(0, 0x1c, 0));
	const struct dmar_scope *two = scope_of(u1->first_scope, 1);
	assert_int_equal(two->type, DMAR_SCOPE_ENDPOINT);
	assert_int_equal(two->nr_hops, 2);
	assert_int_equal(two->res, DMAR_RES_PENDING);
	assert_int_equal(two->hops[0].dev, 0x1d);
	assert_int_equal(two->hops[0].fn, 0);
	assert_int_equal(two->hops[1].dev, 0);
	assert_int_equal(two->offset, 0x60);
	assert_scope(scope_of(u1->first_scope, 2), DMAR_SCOPE_ACPI, 1, 0, BDF(0, 0x15, 0));
	assert_int_equal(u2->flags, DMAR_DRHD_INCLUDE_PCI_ALL);
	assert_int_equal(u2->base_pa, 0xfed91000);
	assert_int_equal(u2->nr_scopes, 3);
	assert_scope(scope_of(u2->first_scope, 0), DMAR_SCOPE_IOAPIC, 2, 0xf0, BDF(0xf0, 0x1f, 0));
	assert_scope(scope_of(u2->first_scope, 1), DMAR_SCOPE_HPET, 0, 0, BDF(0, 0x1f, 0));
	assert_scope(scope_of(u2->first_scope, 2), DMAR_SCOPE_ACPI, 2, 0, BDF(0, 0x15, 1));

	assert_int_equal(d->rmrrs[0].base_pa, 0x7f000000);
	assert_int_equal(d->rmrrs[0].end_pa, 0x7f7fffff);
	assert_int_equal(d->rmrrs[0].nr_scopes, 2);
	assert_scope(scope_of(d->rmrrs[0].first_scope, 1), DMAR_SCOPE_ENDPOINT, 0, 0, BDF(0, 0x1a, 0));
	assert_int_equal(d->rmrrs[1].base_pa, 0x8b800000);
	assert_int_equal(d->rmrrs[1].end_pa, 0x8fffffff);
	assert_int_equal(d->atsrs[0].flags, 0);
	assert_int_equal(d->atsrs[0].nr_scopes, 1);
	assert_scope(scope_of(d->atsrs[0].first_scope, 0), DMAR_SCOPE_BRIDGE, 0, 0, BDF(0, 0x1c, 0));
	assert_int_equal(d->rhsas[0].base_pa, 0xfed90000);
	assert_int_equal(d->rhsas[0].proximity, 0);
	assert_int_equal(d->rhsas[0].unit, 0);
	assert_int_equal(d->rhsas[1].proximity, 1);
	assert_int_equal(d->rhsas[1].unit, 2);
	assert_int_equal(d->andds[0].dev_nr, 1);
	assert_string_equal(d->andds[0].name, "\\_SB.PCI0.I2C0");
	assert_int_equal(d->andds[1].dev_nr, 2);
	assert_string_equal(d->andds[1].name, "\\_SB.PCI0.I2C1");
	assert_int_equal(d->satcs[0].offset, 0x148);
	assert_int_equal(d->satcs[0].flags, DMAR_SATC_ATC_REQUIRED);
	assert_int_equal(d->satcs[0].nr_scopes, 2);
	assert_scope(scope_of(d->satcs[0].first_scope, 1), DMAR_SCOPE_ENDPOINT, 0, 0, BDF(0, 0x0b, 0));

	/* Lookups on the table alone: the ATSR's root port covers only itself until resolved. */
	assert_ptr_equal(dmar_satc_for(d, S(0, 0x0b, 0)), &d->satcs[0]);
	assert_null(dmar_satc_for(d, S(0, 0x0c, 0)));
	assert_true(dmar_atsr_covers(d, S(0, 0x1c, 0)));
	assert_false(dmar_atsr_covers(d, S(2, 0, 0)));
	assert_ptr_equal(dmar_unit_for(d, S(0, 2, 0)), u0);
	assert_ptr_equal(dmar_unit_for(d, S(0, 0x1c, 0)), u1);
	assert_ptr_equal(dmar_unit_for(d, S(0, 0x1f, 3)), u2);
	u32 pos = 0;
	assert_true(dmar_rmrr_for(d, S(0, 2, 0), &pos));
	assert_int_equal(pos, 1);
}

static void all_types_prints_every_structure(void **state __unused)
{
	parse_fixture("all_types");
	fake_log_capture();
	dmar_print(d);
	assert_line("dmar: DMAR rev 1, 352 bytes, OEM \"SLUICE\" \"ALLTYPES\": haw 39 bits, flags 0x07 (INTR_REMAP, X2APIC_OPT_OUT, DMA_CTRL_PLATFORM_OPT_IN)\n");
	assert_line("dmar: DRHD 1 segment 0 base 0x00000000fed84000 flags 0x00 (explicit scopes) size 0x10000\n");
	assert_line("dmar:   scope bridge 00:1c.0 (buses below: not resolved)\n");
	assert_line("dmar:   scope endpoint path 00:1d.0/00.0 (not resolved)\n");
	assert_line("dmar:   scope ACPI device 1 at 00:15.0 (\"\\_SB.PCI0.I2C0\")\n");
	assert_line("dmar: DRHD 2 segment 0 base 0x00000000fed91000 flags 0x01 (INCLUDE_PCI_ALL)\n");
	assert_line("dmar:   scope IOAPIC id 2 at f0:1f.0\n");
	assert_line("dmar:   scope HPET id 0 at 00:1f.0\n");
	assert_line("dmar: RMRR segment 0 [0x000000007f000000-0x000000007f7fffff] for 00:14.0, 00:1a.0\n");
	assert_line("dmar: RMRR segment 0 [0x000000008b800000-0x000000008fffffff] for 00:02.0\n");
	assert_line("dmar: ATSR segment 0 flags 0x00 (listed root ports)\n");
	assert_line("dmar: RHSA base 0x00000000fed91000 proximity domain 1 (DRHD 2)\n");
	assert_line("dmar: ANDD device 2 \"\\_SB.PCI0.I2C1\"\n");
	assert_line("dmar: SATC segment 0 flags 0x01 (ATC_REQUIRED)\n");
	assert_line("dmar:   scope endpoint 00:0b.0\n");
	assert_line("dmar: 3 DRHD (0 broken), 2 RMRR, 1 ATSR, 2 RHSA, 2 ANDD, 1 SATC, 0 skipped; 0 error(s), 0 warning(s)\n");
}

/* The fixture's SATC comes from a retyped ATSR: it must be the bytes VT-d §8.8 lays out. */
static void satc_fixture_is_the_satc_built_by_hand(void **state __unused)
{
	static const u8 satc[] = {
		0x05, 0x00, 0x18, 0x00,                 /* type 5, length 24 */
		0x01, 0x00, 0x00, 0x00,                 /* ATC_REQUIRED, reserved, segment 0 */
		0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, /* endpoint, bus 0, 02.0 */
		0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, /* endpoint, bus 0, 0b.0 */
	};
	u32 len;
	u8 *t = fixture_load("all_types", &len);
	assert_int_equal(len, 0x148 + sizeof(satc));
	assert_memory_equal(t + 0x148, satc, sizeof(satc));
	assert_int_equal(table_sum(t, len), 0);
	free(t);
}

static void segments_print_and_match_per_segment(void **state __unused)
{
	parse_fixture("segments");
	assert_int_equal(d->nr_errors + d->nr_warnings, 0);
	assert_true(d->several_segments);
	assert_int_equal(d->units[2].segment, 1);
	assert_int_equal(d->rmrrs[0].segment, 1);
	assert_int_equal(d->scopes[d->rmrrs[0].first_scope].segment, 1);
	assert_ptr_equal(dmar_unit_for(d, PCI_SBDF(0, 0, 1, 0)), &d->units[0]);
	assert_ptr_equal(dmar_unit_for(d, PCI_SBDF(0, 0, 0x1f, 0)), &d->units[1]);
	assert_ptr_equal(dmar_unit_for(d, PCI_SBDF(1, 0x40, 0, 0)), &d->units[2]);
	assert_ptr_equal(dmar_unit_for(d, PCI_SBDF(1, 0x41, 3, 0)), &d->units[2]);
	assert_null(dmar_unit_for(d, PCI_SBDF(2, 0, 0, 0)));
	assert_true(dmar_atsr_covers(d, PCI_SBDF(1, 0x41, 0, 0)));
	assert_false(dmar_atsr_covers(d, PCI_SBDF(0, 1, 0, 0)));
	u32 pos = 0;
	assert_true(dmar_rmrr_for(d, PCI_SBDF(1, 0x40, 0, 0), &pos));
	assert_int_equal(pos, 0);
	pos = 0;
	assert_false(dmar_rmrr_for(d, PCI_SBDF(0, 0x40, 0, 0), &pos));

	fake_log_capture();
	dmar_print(d);
	assert_line("dmar:   scope bridge 0000:00:01.0 (buses below: not resolved)\n");
	assert_line("dmar: DRHD 2 segment 1 base 0x00000000c7ffc000 flags 0x01 (INCLUDE_PCI_ALL)\n");
	assert_line("dmar:   scope IOAPIC id 9 at 0001:40:05.4\n");
	assert_line("dmar: RMRR segment 1 [0x000000007d000000-0x000000007d0fffff] for 0001:40:00.0\n");
	assert_line("dmar: ATSR segment 1 flags 0x01 (ALL_PORTS)\n");
}

/* Root-bus candidates for enumeration: PCI scopes' start buses, each once, per segment. */
static void scope_start_buses_are_pci_scopes_once_each(void **state __unused)
{
	u32 sb[4];

	parse_fixture("segments");
	/* 0000:00 (bridge 00:01.0); 0001:40 (the RMRR's endpoint; its IOAPIC scope does not count). */
	assert_int_equal(dmar_scope_start_buses(d, sb, ARRAY_SIZE(sb)), 2);
	assert_int_equal(sb[0], PCI_SBDF(0, 0x00, 0, 0));
	assert_int_equal(sb[1], PCI_SBDF(1, 0x40, 0, 0));
	/* A short array gets what fits; the count says there were more. */
	sb[1] = 0;
	assert_int_equal(dmar_scope_start_buses(d, sb, 1), 2);
	assert_int_equal(sb[0], PCI_SBDF(0, 0x00, 0, 0));
	assert_int_equal(sb[1], 0);
	/* QEMU's table: bus 0's endpoints and root ports once; the IOAPIC's bus 0xff not. */
	parse_fixture("qemu");
	assert_int_equal(dmar_scope_start_buses(d, sb, ARRAY_SIZE(sb)), 1);
	assert_int_equal(sb[0], PCI_SBDF(0, 0x00, 0, 0));
	assert_int_equal(dmar_scope_start_buses(NULL, sb, ARRAY_SIZE(sb)), 0);
}

/* ---- lengths: the walk ----------------------------------------------------- */

static void zero_length_structure_stops_the_walk(void **state __unused)
{
	parse_fixture("zero_length");
	assert_line("ERR  dmar: structure at offset 0x0048: zero length; stopping\n");
	assert_true(d->walk_stopped);
	assert_int_equal(d->nr_errors, 1);
	assert_int_equal(d->nr_warnings, 0);
	assert_int_equal(d->nr_units, 1);
	assert_int_equal(d->nr_rmrrs, 0);
	assert_int_equal(d->nr_atsrs, 0);
	assert_ptr_equal(dmar_unit_for(d, S(0, 3, 0)), &d->units[0]);
	fake_log_capture();
	dmar_print(d);
	assert_line("dmar: 1 DRHD (0 broken), 0 RMRR, 0 ATSR, 0 RHSA, 0 ANDD, 0 SATC, 0 skipped; 1 error(s), 0 warning(s); walk stopped early\n");
}

static void too_short_structures_are_skipped_by_their_length(void **state __unused)
{
	parse_fixture("too_short");
	assert_line("ERR  dmar: structure at offset 0x0040: RMRR of 20 bytes is shorter than its 24-byte fixed part; skipped\n");
	assert_line("ERR  dmar: structure at offset 0x0054: DRHD 1 of 11 bytes is shorter than its 16-byte fixed part; this unit is not used\n");
	assert_line("ERR  dmar: structure at offset 0x0067: length 0x2 cannot hold its own type and length; stopping\n");
	assert_int_equal(d->nr_errors, 3);
	assert_int_equal(d->nr_warnings, 0);
	assert_true(d->walk_stopped);
	assert_int_equal(d->nr_rmrrs, 0);
	assert_int_equal(d->nr_units, 2);
	assert_false(d->units[0].broken);
	assert_true(d->units[1].broken);
	assert_string_equal(d->units[1].why, "structure too short");
	assert_int_equal(d->units[1].offset, 0x54);
	/* The ATSR after the short ones was reached; the RHSA after the 2-byte one was not. */
	assert_int_equal(d->nr_atsrs, 1);
	assert_int_equal(d->nr_rhsas, 0);
	assert_false(dmar_drhd_usable(d, 1, NULL, NULL));
	assert_ptr_equal(dmar_unit_for(d, S(0, 3, 0)), &d->units[0]);
}

static void structure_past_the_end_stops_the_walk(void **state __unused)
{
	parse_fixture("past_end");
	assert_line("ERR  dmar: structure at offset 0x0048: length 0x0040 runs past the table's end at 0x0068; stopping\n");
	assert_int_equal(d->nr_errors, 1);
	assert_true(d->walk_stopped);
	assert_int_equal(d->nr_units, 1);
	assert_int_equal(d->nr_rmrrs, 0);
}

static void structure_header_cut_by_the_table_end_stops_the_walk(void **state __unused)
{
	u32 len;
	u8 *t = fixture_load("qemu_iotlb", &len);
	u32 cut = 0x90 + 2;                     /* the ATSR's type, not its length */
	u8 *c = malloc(cut);
	memcpy(c, t, cut);
	c[4] = (u8)cut;
	resum(c, cut);
	fake_log_capture();
	assert_int_equal(dmar_parse(c, cut, d), 0);
	assert_line("ERR  dmar: structure at offset 0x0090: 2 byte(s) left, too few for a structure header; stopping\n");
	assert_int_equal(d->nr_errors, 1);
	assert_int_equal(d->nr_units, 1);
	assert_int_equal(d->units[0].nr_scopes, 10);
	free(c);
	free(t);
}

/* ---- the header ------------------------------------------------------------ */

static void bad_checksum_is_an_error_and_the_table_is_still_read(void **state __unused)
{
	parse_fixture("bad_checksum");
	assert_line("ERR  dmar: checksum 0x33 is wrong: the table sums to 0x01, not 0; parsing anyway\n");
	assert_int_equal(d->nr_errors, 1);
	assert_int_equal(d->nr_units, 1);
	assert_int_equal(d->units[0].nr_scopes, 10);
}

static void header_problems_are_refused_or_reported(void **state __unused)
{
	u32 len;
	u8 *t = fixture_load("qemu", &len);
	u8 *c;

	fake_log_capture();
	assert_int_equal(dmar_parse(t, 47, d), -HV_EINVAL);
	assert_line("ERR  dmar: table of 47 bytes is shorter than the 48-byte DMAR header\n");
	assert_int_equal(dmar_parse(NULL, 0, d), -HV_EINVAL);

	c = malloc(len);
	memcpy(c, t, len);
	memcpy(c, "APIC", 4);
	fake_log_capture();
	assert_int_equal(dmar_parse(c, len, d), -HV_EINVAL);
	assert_line("ERR  dmar: signature \"APIC\" is not DMAR\n");
	c[0] = 0x01;
	fake_log_capture();
	assert_int_equal(dmar_parse(c, len, d), -HV_EINVAL);
	assert_line("ERR  dmar: signature \"?PIC\" is not DMAR\n");

	memcpy(c, t, len);
	c[4] = 40;
	fake_log_capture();
	assert_int_equal(dmar_parse(c, len, d), -HV_EINVAL);
	assert_line("ERR  dmar: header Length 40 is shorter than the 48-byte DMAR header\n");
	free(c);

	/* A file cut short: what is there is parsed, the rest is an error. */
	c = malloc(0x50);
	memcpy(c, t, 0x50);
	fake_log_capture();
	assert_int_equal(dmar_parse(c, 0x50, d), 0);
	assert_line("ERR  dmar: header Length 144 runs past the 80 bytes there are; parsing those, checksum not checked\n");
	assert_line("ERR  dmar: structure at offset 0x0030: length 0x0060 runs past the table's end at 0x0050; stopping\n");
	assert_int_equal(d->nr_errors, 2);
	assert_int_equal(d->nr_units, 0);
	free(c);

	/* Bytes after the table (an acpidump with padding): a warning, not parsed. */
	c = calloc(1, len + 3);
	memcpy(c, t, len);
	fake_log_capture();
	assert_int_equal(dmar_parse(c, len + 3, d), 0);
	assert_line("WARN dmar: 3 byte(s) after the header's Length 144 ignored\n");
	assert_int_equal(d->nr_errors, 0);
	assert_int_equal(d->nr_warnings, 1);
	assert_int_equal(d->len, len);
	free(c);
	free(t);
}

/* ---- units ------------------------------------------------------------------ */

static void include_all_unit_not_last_is_an_error_and_a_second_one_is_broken(void **state __unused)
{
	parse_fixture("include_all_not_last");
	assert_line("ERR  dmar: DRHD 1 at offset 0x0048: comes after DRHD 0, the INCLUDE_PCI_ALL unit of segment 0, which must be last in its segment\n");
	assert_line("ERR  dmar: DRHD 2 at offset 0x0060: a second INCLUDE_PCI_ALL unit for segment 0 (DRHD 0 is one); this unit is not used\n");
	assert_int_equal(d->nr_errors, 2);
	assert_false(d->units[0].broken);
	assert_false(d->units[1].broken);
	assert_true(d->units[2].broken);
	assert_string_equal(d->units[2].why, "second INCLUDE_PCI_ALL unit of its segment");
	assert_ptr_equal(dmar_unit_for(d, S(0, 2, 0)), &d->units[1]);
	assert_ptr_equal(dmar_unit_for(d, S(0, 3, 0)), &d->units[0]);
	assert_ptr_equal(dmar_unit_for(d, S(7, 0, 0)), &d->units[0]);
}

static void bad_register_bases_break_only_their_units(void **state __unused)
{
	u16 seg = 0xffff;
	u64 base = 0;

	parse_fixture("bad_base");
	assert_line("ERR  dmar: DRHD 0 at offset 0x0030: register base is zero (a firmware bug); this unit is not used\n");
	assert_line("ERR  dmar: DRHD 1 at offset 0x0048: register base 0x00000000fed90800 is not 4 KiB aligned; this unit is not used\n");
	assert_line("ERR  dmar: DRHD 3 at offset 0x0078: register base 0x00000000fed91000 is DRHD 2's too; this unit is not used\n");
	assert_int_equal(d->nr_errors, 3);
	assert_int_equal(d->nr_units, 5);
	assert_true(d->units[0].broken);
	assert_string_equal(d->units[0].why, "register base is zero");
	assert_true(d->units[1].broken);
	assert_string_equal(d->units[1].why, "register base not 4 KiB aligned");
	assert_false(d->units[2].broken);
	assert_true(d->units[3].broken);
	assert_string_equal(d->units[3].why, "register base of another unit");
	assert_false(d->units[4].broken);
	assert_false(dmar_drhd_usable(d, 0, &seg, &base));
	assert_true(dmar_drhd_usable(d, 2, &seg, &base));
	assert_int_equal(seg, 0);
	assert_int_equal(base, 0xfed91000);
	assert_false(dmar_drhd_usable(d, 5, &seg, &base));
	/* A device behind a broken unit has no unit: the catch-all cannot stand in. */
	assert_null(dmar_unit_for(d, S(0, 2, 0)));
	assert_ptr_equal(dmar_unit_claiming(d, S(0, 2, 0)), &d->units[0]);
	assert_null(dmar_unit_for(d, S(0, 3, 0)));
	assert_ptr_equal(dmar_unit_for(d, S(0, 4, 0)), &d->units[2]);
	assert_null(dmar_unit_for(d, S(0, 5, 0)));
	assert_ptr_equal(dmar_unit_claiming(d, S(0, 5, 0)), &d->units[3]);
	assert_ptr_equal(dmar_unit_for(d, S(0, 6, 0)), &d->units[4]);

	fake_log_capture();
	dmar_print(d);
	assert_line("dmar: DRHD 0 segment 0 base 0x0000000000000000 flags 0x00 (explicit scopes); broken: register base is zero\n");
	assert_line("dmar: 5 DRHD (3 broken), 0 RMRR, 0 ATSR, 0 RHSA, 0 ANDD, 0 SATC, 0 skipped; 3 error(s), 0 warning(s)\n");
}

static void malformed_scopes_break_the_unit_holding_them(void **state __unused)
{
	parse_fixture("bad_scope");
	assert_line("ERR  dmar: device scope at offset 0x0048 in DRHD 0: length 0x07 is not 6 + 2 per hop (at least 8); the rest of its scopes ignored\n");
	assert_line("ERR  dmar: device scope at offset 0x0068 in DRHD 1: length 0x10 runs past the structure's end (0x08 bytes left); the rest of its scopes ignored\n");
	assert_line("ERR  dmar: device scope at offset 0x0080 in DRHD 2: hop 1 names device 0x20 function 0, past device 31 function 7; skipped\n");
	assert_line("WARN dmar: device scope at offset 0x00b0 in RMRR 0: type 7 is reserved; skipped\n");
	assert_line("WARN dmar: RMRR 0 at offset 0x0098: names no device\n");
	assert_int_equal(d->nr_errors, 3);
	assert_int_equal(d->nr_warnings, 2);
	for (u32 i = 0; i < 3; i++) {
		assert_true(d->units[i].broken);
		assert_string_equal(d->units[i].why, "malformed device scope list");
	}
	assert_false(d->units[3].broken);
	assert_int_equal(d->units[0].nr_scopes, 1);    /* the good scope before the bad one */
	assert_int_equal(d->units[1].nr_scopes, 1);
	assert_int_equal(d->units[2].nr_scopes, 0);
	assert_int_equal(d->rmrrs[0].nr_scopes, 0);
	assert_false(d->rmrrs[0].broken);
	assert_null(dmar_unit_for(d, S(0, 2, 0)));
	assert_ptr_equal(dmar_unit_claiming(d, S(0, 2, 0)), &d->units[0]);
	assert_ptr_equal(dmar_unit_for(d, S(0, 7, 0)), &d->units[3]);
}

/* ---- RMRRs ------------------------------------------------------------------ */

static void rmrr_ending_below_its_base_is_ignored(void **state __unused)
{
	u32 pos = 0;

	parse_fixture("rmrr_end_before_base");
	assert_line("ERR  dmar: RMRR 0 at offset 0x0040: end 0x000000007effffff is below base 0x000000007f000000; region ignored\n");
	assert_int_equal(d->nr_errors, 1);
	assert_int_equal(d->nr_rmrrs, 2);
	assert_true(d->rmrrs[0].broken);
	assert_string_equal(d->rmrrs[0].why, "end below base");
	assert_false(dmar_rmrr_for(d, S(0, 0x14, 0), &pos));
	pos = 0;
	assert_true(dmar_rmrr_for(d, S(0, 0x1a, 0), &pos));
	assert_int_equal(pos, 1);
	fake_log_capture();
	dmar_print(d);
	assert_line("dmar: RMRR segment 0 [0x000000007f000000-0x000000007effffff] for 00:14.0; broken: end below base\n");
}

static void overlapping_rmrrs_are_a_warning_and_both_stand(void **state __unused)
{
	u32 pos = 0;

	parse_fixture("rmrr_overlap");
	assert_line("WARN dmar: RMRR 1 at offset 0x0060: [0x000000007f400000-0x000000007fbfffff] overlaps RMRR 0 [0x000000007f000000-0x000000007f7fffff]; their devices share that memory\n");
	assert_int_equal(d->nr_errors, 0);
	assert_int_equal(d->nr_warnings, 1);
	assert_int_equal(d->nr_rmrrs, 3);
	assert_true(dmar_rmrr_for(d, S(0, 0x14, 0), &pos));
	assert_int_equal(pos, 0);
	pos++;
	assert_false(dmar_rmrr_for(d, S(0, 0x14, 0), &pos));
	pos = 0;
	assert_true(dmar_rmrr_for(d, S(0, 0x1a, 0), &pos));
	assert_int_equal(pos, 1);
}

/* ---- types Sluice does not use, and warnings ---------------------------------- */

static void unknown_types_are_skipped_by_their_length(void **state __unused)
{
	parse_fixture("unknown_types");
	assert_line("INFO dmar: structure at offset 0x0040: SIDP (SoC Integrated Device Property), 16 bytes, not used by Sluice; skipped\n");
	assert_line("WARN dmar: structure at offset 0x0050: type 127 is reserved; skipped by its length (16 bytes)\n");
	assert_int_equal(d->nr_errors, 0);
	assert_int_equal(d->nr_warnings, 1);
	assert_int_equal(d->nr_skipped, 2);
	assert_int_equal(d->nr_atsrs, 0);
	assert_int_equal(d->nr_rmrrs, 1);
	assert_int_equal(d->rmrrs[0].offset, 0x60);
	assert_int_equal(d->nr_scopes, 1);
}

static void oddities_are_warnings_only(void **state __unused)
{
	parse_fixture("warnings");
	assert_line("WARN dmar: header flags 0x09: reserved bits set; ignored\n");
	assert_line("WARN dmar: DRHD 0 at offset 0x0030: no device scopes and no INCLUDE_PCI_ALL: it covers no device\n");
	assert_line("WARN dmar: RMRR 0 at offset 0x0058: [0x0000000000000000-0x0000000000000000] is not whole 4 KiB pages; identity maps round it out\n");
	assert_line("WARN dmar: device scope at offset 0x0078 in RMRR 0: an IOAPIC scope means nothing here; ignored\n");
	assert_line("WARN dmar: ATSR 0 at offset 0x0080: lists no root port and is not ALL_PORTS: ATS nowhere\n");
	assert_line("WARN dmar: ANDD at offset 0x00b3: device number 1 is declared twice (also \"\\_SB.PCI0.I2C0\")\n");
	assert_line("WARN dmar: RHSA at offset 0x0088: base 0x00000000fed99000 is no DRHD's register base\n");
	assert_line("WARN dmar: device scope at offset 0x0050 in DRHD 1: ACPI device 3 has no ANDD naming it\n");
	assert_int_equal(d->nr_errors, 0);
	assert_int_equal(d->nr_warnings, 8);
	assert_int_equal(fake_log_count("WARN"), 8);
	assert_int_equal(d->rhsas[0].unit, -1);
	u32 pos = 0;
	assert_true(dmar_rmrr_for(d, S(0, 0x14, 0), &pos));
	fake_log_capture();
	dmar_print(d);
	assert_line("dmar: RMRR segment 0 [0x0000000000000000-0x0000000000000000] for 00:14.0, IOAPIC f0:1f.0\n");
	assert_line("dmar:   scope ACPI device 3 at 00:15.0 (no ANDD)\n");
	assert_line("dmar: RHSA base 0x00000000fed99000 proximity domain 0 (no such DRHD)\n");
}

/* A name from the table cannot break the one-line log: unprintable bytes become '?'. */
static void andd_names_are_kept_printable_and_bounded(void **state __unused)
{
	u8 t[48 + 4 + 4 + 80];
	u32 len = sizeof(t);

	memset(t, 0, sizeof(t));
	memcpy(t, "DMAR", 4);
	t[4] = (u8)len;
	t[8] = 1;
	t[36] = 38;
	t[48] = DMAR_TYPE_ANDD;
	t[50] = (u8)(len - 48);
	t[48 + DMAR_ANDD_DEV_NR] = 7;
	memset(t + 48 + DMAR_ANDD_NAME, 'A', len - 48 - DMAR_ANDD_NAME);        /* no NUL at all */
	t[48 + DMAR_ANDD_NAME + 1] = '\n';
	resum(t, len);
	fake_log_capture();
	assert_int_equal(dmar_parse(t, len, d), 0);
	assert_line("WARN dmar: ANDD at offset 0x0030: name is not NUL-terminated within the structure; taken as 80 bytes\n");
	assert_line("WARN dmar: ANDD at offset 0x0030: name of 80 bytes is longer than Sluice keeps; cut to 63\n");
	assert_int_equal(d->nr_andds, 1);
	assert_int_equal(strlen(d->andds[0].name), DMAR_ANDD_NAME_MAX - 1);
	assert_int_equal(d->andds[0].name[1], '?');
}

/* What each fixture holds and what is wrong with it. */
static const struct fixture_counts {
	const char *name;
	u32 units, broken, rmrrs, atsrs, rhsas, andds, satcs, skipped, errors, warnings;
	bool stopped;
} fixtures[] = {
	/*                          DRHD brk RMRR ATSR RHSA ANDD SATC skip err warn stop */
	{ "qemu",                    1, 0,   0,   0,   0,   0,   0,   0,  0,  0, false },
	{ "qemu_iotlb",              1, 0,   0,   1,   0,   0,   0,   0,  0,  0, false },
	{ "all_types",               3, 0,   2,   1,   2,   2,   1,   0,  0,  0, false },
	{ "segments",                3, 0,   1,   1,   0,   0,   0,   0,  0,  0, false },
	{ "multihop",                4, 0,   2,   1,   0,   0,   0,   0,  0,  0, false },
	{ "overlap",                 4, 0,   0,   0,   0,   0,   0,   0,  0,  1, false },
	{ "unknown_types",           1, 0,   1,   0,   0,   0,   0,   2,  0,  1, false },
	{ "warnings",                2, 0,   1,   1,   1,   2,   0,   0,  0,  8, false },
	{ "rmrr_overlap",            1, 0,   3,   0,   0,   0,   0,   0,  0,  1, false },
	{ "bad_checksum",            1, 0,   0,   0,   0,   0,   0,   0,  1,  0, false },
	{ "zero_length",             1, 0,   0,   0,   0,   0,   0,   0,  1,  0, true },
	{ "too_short",               2, 1,   0,   1,   0,   0,   0,   0,  3,  0, true },
	{ "past_end",                1, 0,   0,   0,   0,   0,   0,   0,  1,  0, true },
	{ "include_all_not_last",    3, 1,   0,   0,   0,   0,   0,   0,  2,  0, false },
	{ "bad_base",                5, 3,   0,   0,   0,   0,   0,   0,  3,  0, false },
	{ "rmrr_end_before_base",    1, 0,   2,   0,   0,   0,   0,   0,  1,  0, false },
	{ "bad_scope",               4, 3,   1,   0,   0,   0,   0,   0,  3,  2, false },
};

static void every_fixture_holds_what_it_says(void **state __unused)
{
	for (u32 i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture_counts *f = &fixtures[i];
		u32 broken = 0;

		parse_fixture(f->name);
		for (u32 u = 0; u < d->nr_units; u++)
			broken += d->units[u].broken;
		if (d->nr_units != f->units || broken != f->broken || d->nr_rmrrs != f->rmrrs ||
		    d->nr_atsrs != f->atsrs || d->nr_rhsas != f->rhsas || d->nr_andds != f->andds ||
		    d->nr_satcs != f->satcs || d->nr_skipped != f->skipped || d->nr_errors != f->errors ||
		    d->nr_warnings != f->warnings || d->walk_stopped != f->stopped)
			fail_msg("%s: got %u DRHD (%u broken), %u RMRR, %u ATSR, %u RHSA, %u ANDD, %u SATC, %u skipped, %u errors, %u warnings%s",
				 f->name, d->nr_units, broken, d->nr_rmrrs, d->nr_atsrs, d->nr_rhsas, d->nr_andds,
				 d->nr_satcs, d->nr_skipped, d->nr_errors, d->nr_warnings, d->walk_stopped ? ", stopped" : "");
		assert_int_equal(fake_log_count("ERR "), f->errors);
		assert_int_equal(fake_log_count("WARN "), f->warnings);
		/* Printing reads only the parsed struct: no more problems, one count line. */
		fake_log_capture();
		dmar_print(d);
		assert_int_equal(fake_log_count(" skipped; "), 1);
		assert_false(fake_log_has("ERR ") || fake_log_has("WARN "));
	}
}

/* No fixture goes untested: every compiled one is in the table above. */
static void every_compiled_fixture_is_in_the_table(void **state __unused)
{
	DIR *dir = opendir(DMAR_FIXTURE_DIR);
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(dir);
	while ((e = readdir(dir))) {
		size_t l = strlen(e->d_name);
		bool listed = false;
		if (l < 5 || strcmp(e->d_name + l - 4, ".aml"))
			continue;
		for (u32 i = 0; i < ARRAY_SIZE(fixtures) && !listed; i++)
			listed = strlen(fixtures[i].name) == l - 4 && !strncmp(fixtures[i].name, e->d_name, l - 4);
		if (!listed)
			fail_msg("fixture %s is not in the table of every_fixture_holds_what_it_says", e->d_name);
		n++;
	}
	closedir(dir);
	assert_int_equal(n, ARRAY_SIZE(fixtures));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(qemu_table_has_one_unit_that_lists_its_devices),
		cmocka_unit_test(scope_start_buses_are_pci_scopes_once_each),
		cmocka_unit_test(qemu_iotlb_table_adds_an_all_ports_atsr),
		cmocka_unit_test(qemu_table_prints_in_plain_words),
		cmocka_unit_test(all_types_parses_every_structure),
		cmocka_unit_test(all_types_prints_every_structure),
		cmocka_unit_test(satc_fixture_is_the_satc_built_by_hand),
		cmocka_unit_test(segments_print_and_match_per_segment),
		cmocka_unit_test(zero_length_structure_stops_the_walk),
		cmocka_unit_test(too_short_structures_are_skipped_by_their_length),
		cmocka_unit_test(structure_past_the_end_stops_the_walk),
		cmocka_unit_test(structure_header_cut_by_the_table_end_stops_the_walk),
		cmocka_unit_test(bad_checksum_is_an_error_and_the_table_is_still_read),
		cmocka_unit_test(header_problems_are_refused_or_reported),
		cmocka_unit_test(include_all_unit_not_last_is_an_error_and_a_second_one_is_broken),
		cmocka_unit_test(bad_register_bases_break_only_their_units),
		cmocka_unit_test(malformed_scopes_break_the_unit_holding_them),
		cmocka_unit_test(rmrr_ending_below_its_base_is_ignored),
		cmocka_unit_test(overlapping_rmrrs_are_a_warning_and_both_stand),
		cmocka_unit_test(unknown_types_are_skipped_by_their_length),
		cmocka_unit_test(oddities_are_warnings_only),
		cmocka_unit_test(andd_names_are_kept_printable_and_bounded),
		cmocka_unit_test(every_fixture_holds_what_it_says),
		cmocka_unit_test(every_compiled_fixture_is_in_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
