/*
 * iommu/dmar_scope.c: DMAR device scopes followed through a fake PCI bus
 * (tests/fakes/fake_pci.c), then the choice of unit, RMRR and ATSR for a
 * function. Tables come from tests/fixtures/dmar (multihop.asl describes
 * the bus built here; qemu_iotlb.asl is QEMU's own).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/dmar.h"
#include "kernel/log.h"
#include "tests/fakes/fake_log.h"
#include "tests/fakes/fake_pci.h"

#ifndef DMAR_FIXTURE_DIR
#define DMAR_FIXTURE_DIR        "build/host/fixtures/dmar"
#endif

#define S(b, d, f)              PCI_SBDF(0, b, d, f)
#define BDF(b, d, f)            PCI_RID(PCI_SBDF(0, b, d, f))

static struct dmar_info info;
static struct dmar_info *d = &info;

static void parse_fixture(const char *name)
{
	char path[512];
	u8 tmp[65536];

	snprintf(path, sizeof(path), "%s/%s.aml", DMAR_FIXTURE_DIR, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (make build/host/test_dmar_scope builds the fixtures)", path);
	size_t n = fread(tmp, 1, sizeof(tmp), f);
	fclose(f);
	u8 *t = malloc(n);
	assert_non_null(t);
	memcpy(t, tmp, n);
	fake_log_capture();
	assert_int_equal(dmar_parse(t, (u32)n, d), 0);
	assert_int_equal(d->nr_errors, 0);
	free(t);
}

static void assert_line(const char *line)
{
	if (!fake_log_has(line))
		fail_msg("no log line with \"%s\" in:\n%s", line, fake_log_text());
}

static struct fake_fn *endpoint(u32 sbdf, u32 class)
{
	return fake_pci_add(sbdf, 0x8086, 0x1234, class, 0x00);
}

static struct fake_fn *bridge(u32 sbdf, u8 pri, u8 sec, u8 sub)
{
	struct fake_fn *f = fake_pci_add(sbdf, 0x8086, 0x2448, 0x060400, 0x01);
	fake_pci_set_bus(f, pri, sec, sub);
	return f;
}

/*
 * multihop.asl's machine: root port 00:1c.0 [02-05], switch upstream port
 * 02:00.0 [03-05], downstream ports 03:01.0 [04] and 03:02.0 [05], a NIC at
 * 04:00.0 and a drive at 05:00.0; graphics 00:02.0, USB 00:14.0, LPC 00:1f.0.
 * 00:1d.0 and 00:1f.5, which the table names, are not there.
 */
static int multihop_bus(void **state __unused)
{
	fake_pci_reset();
	endpoint(S(0, 0, 0), 0x060000);
	endpoint(S(0, 2, 0), 0x030000);
	endpoint(S(0, 0x14, 0), 0x0c0330);
	endpoint(S(0, 0x1f, 0), 0x060100);
	bridge(S(0, 0x1c, 0), 0x00, 0x02, 0x05);
	bridge(S(2, 0, 0), 0x02, 0x03, 0x05);
	bridge(S(3, 1, 0), 0x03, 0x04, 0x04);
	bridge(S(3, 2, 0), 0x03, 0x05, 0x05);
	endpoint(S(4, 0, 0), 0x020000);
	endpoint(S(5, 0, 0), 0x010802);
	parse_fixture("multihop");
	return 0;
}

static const struct dmar_scope *scope_at(u32 offset)
{
	for (u32 i = 0; i < d->nr_scopes; i++)
		if (d->scopes[i].offset == offset)
			return &d->scopes[i];
	fail_msg("no scope at offset 0x%x", offset);
	return NULL;
}

static void paths_are_followed_through_live_bridges(void **state __unused)
{
	fake_log_capture();
	assert_int_equal(dmar_resolve_scopes(d), 3);
	assert_true(d->resolved);

	/* DRHD 1's endpoint, four hops: root port, upstream port, downstream port, NIC. */
	const struct dmar_scope *nic = scope_at(0x7c);
	assert_int_equal(nic->nr_hops, 4);
	assert_int_equal(nic->res, DMAR_RES_FOUND);
	assert_int_equal(nic->bdf, BDF(4, 0, 0));
	assert_false(nic->mismatch);
	/* DRHD 2's bridge, through two bridges: the downstream port and the bus below it. */
	const struct dmar_scope *dp = scope_at(0x9a);
	assert_int_equal(dp->res, DMAR_RES_FOUND);
	assert_int_equal(dp->bdf, BDF(3, 2, 0));
	assert_true(dp->has_range);
	assert_int_equal(dp->sec_bus, 5);
	assert_int_equal(dp->sub_bus, 5);
	/* DRHD 0's single-hop bridge: everything below the root port. */
	const struct dmar_scope *rp = scope_at(0x40);
	assert_int_equal(rp->res, DMAR_RES_FOUND);
	assert_true(rp->has_range);
	assert_int_equal(rp->sec_bus, 2);
	assert_int_equal(rp->sub_bus, 5);
	/* RMRR 1's four hops end at the drive. */
	assert_int_equal(scope_at(0xf6)->bdf, BDF(5, 0, 0));
	assert_int_equal(scope_at(0xf6)->res, DMAR_RES_FOUND);

	/* Absent devices: a warning each, and the rest goes on. */
	assert_int_equal(scope_at(0x48)->res, DMAR_RES_ABSENT);
	assert_int_equal(scope_at(0x48)->bdf, BDF(0, 0x1f, 5));
	assert_int_equal(scope_at(0x50)->res, DMAR_RES_NO_PATH);
	assert_int_equal(scope_at(0x50)->bdf, BDF(0, 0x1d, 0));
	assert_int_equal(scope_at(0x5a)->res, DMAR_RES_NO_PATH);
	assert_int_equal(scope_at(0x5a)->bdf, BDF(0, 0x14, 0));
	assert_line("WARN dmar: device scope at offset 0x0048: endpoint 00:1f.5 is absent; nothing answers there\n");
	assert_line("WARN dmar: device scope at offset 0x0050: bridge 00:1d.0 (hop 1 of 2) is absent; scope not resolved\n");
	assert_line("WARN dmar: device scope at offset 0x005a: 00:14.0 (hop 1 of 2) is not a bridge; scope not resolved\n");
	/* DRHD 1's NIC and DRHD 2's downstream port lie below DRHD 0's root port. */
	assert_line("WARN dmar: device scopes at offsets 0x0040 (DRHD 0) and 0x007c (DRHD 1) both cover 04:00.0; DRHD 1, the later, translates it\n");
	assert_line("WARN dmar: device scopes at offsets 0x0040 (DRHD 0) and 0x009a (DRHD 2) both cover 03:02.0; DRHD 2, the later, translates it\n");
	assert_int_equal(fake_log_count("WARN"), 5);
	assert_int_equal(d->nr_warnings, 5);
	/* Config space was read, never written. */
	assert_int_equal(fake_pci_find(S(0, 0x1c, 0))->writes, 0);
}

static void resolved_scopes_print_bus_ranges_and_paths(void **state __unused)
{
	dmar_resolve_scopes(d);
	fake_log_capture();
	dmar_print(d);
	assert_line("dmar:   scope bridge 00:1c.0 -> buses 0x02-0x05\n");
	assert_line("dmar:   scope endpoint 00:1f.5 (absent)\n");
	assert_line("dmar:   scope endpoint path 00:1d.0/00.0 (not resolved: 00:1d.0 on the path is absent or not a bridge)\n");
	assert_line("dmar:   scope endpoint 04:00.0 (path 00:1c.0/00.0/01.0/00.0)\n");
	assert_line("dmar:   scope bridge 03:02.0 -> buses 0x05-0x05 (path 00:1c.0/00.0/02.0)\n");
	assert_line("dmar: RMRR segment 0 [0x000000007e000000-0x000000007e0fffff] for 05:00.0 (path 00:1c.0/00.0/02.0/00.0)\n");
	assert_line("dmar: RMRR segment 0 [0x000000007f000000-0x000000007f7fffff] for 00:14.0\n");
}

/* Step 3 of the DMA tour: a unit whose scope names the function or a bridge above it, then INCLUDE_PCI_ALL. */
static void unit_for_takes_a_scope_naming_the_function_or_a_bridge_above_then_include_all(void **state __unused)
{
	const struct dmar_unit *u = d->units;

	dmar_resolve_scopes(d);
	assert_ptr_equal(dmar_unit_for(d, S(4, 0, 0)), &u[1]);  /* named, though under DRHD 0's port */
	assert_ptr_equal(dmar_unit_for(d, S(2, 0, 0)), &u[0]);  /* below 00:1c.0 */
	assert_ptr_equal(dmar_unit_for(d, S(3, 1, 0)), &u[0]);
	assert_ptr_equal(dmar_unit_for(d, S(4, 0, 1)), &u[0]);  /* a sibling of the named NIC */
	assert_ptr_equal(dmar_unit_for(d, S(5, 0, 0)), &u[2]);  /* [05] (DRHD 2) comes after [02-05] (DRHD 0) */
	assert_ptr_equal(dmar_unit_for(d, S(3, 2, 0)), &u[2]);  /* the bridge DRHD 2 names */
	assert_ptr_equal(dmar_unit_for(d, S(0, 0x1c, 0)), &u[0]);
	assert_ptr_equal(dmar_unit_for(d, S(0, 2, 0)), &u[1]);
	assert_ptr_equal(dmar_unit_for(d, S(0, 0x1f, 5)), &u[0]);       /* named, if absent */
	assert_ptr_equal(dmar_unit_for(d, S(0, 0x14, 0)), &u[3]);       /* INCLUDE_PCI_ALL */
	assert_ptr_equal(dmar_unit_for(d, S(0, 0x1d, 0)), &u[3]);
	assert_ptr_equal(dmar_unit_for(d, S(6, 0, 0)), &u[3]);
	assert_null(dmar_unit_for(d, PCI_SBDF(1, 4, 0, 0)));            /* no unit in segment 1 */
	assert_null(dmar_unit_for(NULL, S(0, 2, 0)));
}

static void unit_for_says_why_in_a_debug_line(void **state __unused)
{
	dmar_resolve_scopes(d);
	assert_int_equal(log_set_levels("info,dmar:debug"), 0);
	fake_log_capture();
	dmar_unit_for(d, S(4, 0, 0));
	dmar_unit_for(d, S(5, 0, 0));
	dmar_unit_for(d, S(0, 0x14, 0));
	dmar_unit_for(d, PCI_SBDF(1, 4, 0, 0));
	assert_int_equal(log_set_levels("info"), 0);
	assert_line("DBG  dmar: 04:00.0: DRHD 1 (named in its scope)\n");
	assert_line("DBG  dmar: 05:00.0: DRHD 2 (below a bridge in its scope)\n");
	assert_line("DBG  dmar: 00:14.0: DRHD 3 (INCLUDE_PCI_ALL)\n");
	assert_line("DBG  dmar: 04:00.0: no remapping unit covers it\n");
}

/* Before the bus is read, only single hops are known and bridges cover themselves. */
static void unit_for_before_resolution_knows_single_hops_only(void **state __unused)
{
	const struct dmar_unit *u = d->units;

	assert_false(d->resolved);
	assert_ptr_equal(dmar_unit_for(d, S(4, 0, 0)), &u[3]);
	assert_ptr_equal(dmar_unit_for(d, S(0, 0x1c, 0)), &u[0]);
	assert_ptr_equal(dmar_unit_for(d, S(2, 0, 0)), &u[3]);
	assert_ptr_equal(dmar_unit_for(d, S(0, 2, 0)), &u[1]);
}

/*
 * overlap.asl's machine: 00:02.0 and 00:03.0, root port 00:1c.0 [02] with
 * 02:00.0 and 02:00.1 behind it; in segment 1, 0001:05:00.0.
 */
static int overlap_bus(void **state __unused)
{
	fake_pci_reset();
	endpoint(S(0, 2, 0), 0x030000);
	endpoint(S(0, 3, 0), 0x020000);
	bridge(S(0, 0x1c, 0), 0x00, 0x02, 0x02);
	endpoint(S(2, 0, 0), 0x010802);
	endpoint(S(2, 0, 1), 0x010802);
	endpoint(PCI_SBDF(1, 5, 0, 0), 0x020000);
	parse_fixture("overlap");
	fake_log_capture();
	assert_int_equal(dmar_resolve_scopes(d), 0);
	return 0;
}

/*
 * Where scopes overlap, the later unit in the table wins, whether its scope
 * names the function or a bridge above it (Linux's order); an
 * INCLUDE_PCI_ALL unit's own PCI scopes are not read; INCLUDE_PCI_ALL
 * stands in for its segment only.
 */
static void overlapping_scopes_go_to_the_later_unit(void **state __unused)
{
	const struct dmar_unit *u = d->units;

	assert_int_equal(d->nr_units, 4);
	/* Each overlap is said once, at resolution; the stray scope at parsing. */
	assert_int_equal(d->nr_warnings, 3);
	assert_line("WARN dmar: device scopes at offsets 0x0040 (DRHD 0) and 0x0062 (DRHD 1) both cover 0000:00:02.0; DRHD 1, the later, translates it\n");
	assert_line("WARN dmar: device scopes at offsets 0x0048 (DRHD 0) and 0x006a (DRHD 1) both cover 0000:02:00.0; DRHD 1, the later, translates it\n");
	assert_int_equal(fake_log_count("WARN"), 2);
	assert_ptr_equal(dmar_unit_for(d, S(0, 2, 0)), &u[1]);          /* named by DRHD 0 and DRHD 1 */
	assert_ptr_equal(dmar_unit_for(d, S(2, 0, 0)), &u[1]);          /* named by DRHD 0, below DRHD 1's port */
	assert_ptr_equal(dmar_unit_for(d, S(2, 0, 1)), &u[1]);          /* below DRHD 1's port only */
	assert_ptr_equal(dmar_unit_for(d, S(0, 0x1c, 0)), &u[1]);
	assert_ptr_equal(dmar_unit_for(d, S(0, 3, 0)), &u[2]);          /* INCLUDE_PCI_ALL, whatever it lists */
	assert_ptr_equal(dmar_unit_for(d, S(0x40, 0, 0)), &u[2]);       /* a bus no scope names */
	assert_ptr_equal(dmar_unit_for(d, PCI_SBDF(1, 5, 0, 0)), &u[3]);
	assert_ptr_equal(dmar_unit_for(d, PCI_SBDF(1, 2, 0, 0)), &u[3]);  /* segment 0's scopes do not reach segment 1 */
	assert_null(dmar_unit_for(d, PCI_SBDF(2, 2, 0, 0)));            /* no unit in segment 2 */

	assert_int_equal(log_set_levels("info,dmar:debug"), 0);
	fake_log_capture();
	dmar_unit_for(d, S(2, 0, 0));
	dmar_unit_for(d, S(0, 3, 0));
	assert_int_equal(log_set_levels("info"), 0);
	assert_line("DBG  dmar: 0000:02:00.0: DRHD 1 (below a bridge in its scope)\n");
	assert_line("DBG  dmar: 0000:00:03.0: DRHD 2 (INCLUDE_PCI_ALL)\n");
}

static void rmrr_and_atsr_follow_resolved_scopes(void **state __unused)
{
	u32 pos = 0;

	dmar_resolve_scopes(d);
	assert_true(dmar_rmrr_for(d, S(5, 0, 0), &pos));
	assert_int_equal(pos, 1);
	pos = 0;
	assert_true(dmar_rmrr_for(d, S(0, 0x14, 0), &pos));
	assert_int_equal(pos, 0);
	pos = 0;
	assert_false(dmar_rmrr_for(d, S(4, 0, 0), &pos));
	assert_true(dmar_atsr_covers(d, S(4, 0, 0)));
	assert_true(dmar_atsr_covers(d, S(0, 0x1c, 0)));
	assert_false(dmar_atsr_covers(d, S(0, 2, 0)));
	assert_false(dmar_atsr_covers(d, S(6, 0, 0)));
	assert_null(dmar_satc_for(d, S(0, 2, 0)));
}

/* QEMU q35 with four root ports, each with its own bus, and -device edu at 00:06.0. */
static int qemu_bus(void **state __unused)
{
	fake_pci_reset();
	endpoint(S(0, 0, 0), 0x060000);
	endpoint(S(0, 1, 0), 0x030000);
	for (u8 i = 0; i < 4; i++) {
		bridge(S(0, 2 + i, 0), 0, (u8)(1 + i), (u8)(1 + i));
		endpoint(S(1 + i, 0, 0), 0x020000);
	}
	endpoint(S(0, 6, 0), 0x00ff00);
	endpoint(S(0, 0x1f, 0), 0x060100);
	endpoint(S(0, 0x1f, 2), 0x010601);
	endpoint(S(0, 0x1f, 3), 0x0c0500);
	parse_fixture("qemu_iotlb");
	return 0;
}

static void qemu_bridge_scopes_cover_the_root_ports_buses(void **state __unused)
{
	fake_log_capture();
	assert_int_equal(dmar_resolve_scopes(d), 0);
	assert_int_equal(fake_log_count("WARN"), 0);
	dmar_print(d);
	assert_line("dmar:   scope IOAPIC id 0 at ff:00.0\n");
	assert_line("dmar:   scope endpoint 00:01.0\n");
	assert_line("dmar:   scope bridge 00:02.0 -> buses 0x01-0x01\n");
	assert_line("dmar:   scope bridge 00:05.0 -> buses 0x04-0x04\n");
	for (u8 i = 0; i < 4; i++)
		assert_ptr_equal(dmar_unit_for(d, S(1 + i, 0, 0)), &d->units[0]);
	assert_ptr_equal(dmar_unit_for(d, S(0, 0x1f, 2)), &d->units[0]);
	/* The table lists devices, it is not INCLUDE_PCI_ALL: a device it misses has no unit. */
	assert_null(dmar_unit_for(d, S(0, 6, 0)));
	assert_null(dmar_unit_for(d, S(9, 0, 0)));
	assert_true(dmar_atsr_covers(d, S(3, 0, 0)));
	/* The IOAPIC's source ID is the platform's (the config refuses it); PCI functions are not. */
	const struct dmar_scope *io = dmar_platform_scope(d, S(0xff, 0, 0));
	assert_non_null(io);
	assert_int_equal(io->type, DMAR_SCOPE_IOAPIC);
	assert_int_equal(io->enum_id, 0);
	assert_null(dmar_platform_scope(d, S(0, 0x1f, 0)));
	assert_null(dmar_platform_scope(d, PCI_SBDF(1, 0xff, 0, 0)));
	assert_null(dmar_platform_scope(NULL, S(0xff, 0, 0)));
}

static void scope_types_that_do_not_match_the_bus_are_warned(void **state __unused)
{
	/* 00:01.0 is a bridge, 00:03.0 an endpoint, 00:04.0 unconfigured, 00:05.0 gone. */
	bridge(S(0, 1, 0), 0, 0x10, 0x10);
	endpoint(S(0, 3, 0), 0x020000);
	bridge(S(0, 4, 0), 0, 0, 0);
	fake_pci_remove(S(0, 5, 0));
	fake_log_capture();
	assert_int_equal(dmar_resolve_scopes(d), 1);
	assert_line("WARN dmar: device scope at offset 0x0050: endpoint scope names 00:01.0, a bridge; the buses below it are not covered by this scope\n");
	assert_line("WARN dmar: device scope at offset 0x0060: bridge scope names 00:03.0, which is not a bridge; only that function is covered\n");
	assert_line("WARN dmar: device scope at offset 0x0068: bridge 00:04.0 has buses 0x00-0x00; only the bridge itself is covered\n");
	assert_line("WARN dmar: device scope at offset 0x0070: bridge 00:05.0 is absent; nothing answers there\n");
	assert_int_equal(fake_log_count("WARN"), 4);
	assert_ptr_equal(dmar_unit_for(d, S(0, 1, 0)), &d->units[0]);
	assert_null(dmar_unit_for(d, S(0x10, 0, 0)));
	assert_ptr_equal(dmar_unit_for(d, S(0, 3, 0)), &d->units[0]);
	assert_null(dmar_unit_for(d, S(3, 0, 0)));
	fake_log_capture();
	dmar_print(d);
	assert_line("dmar:   scope endpoint 00:01.0 (a bridge: the buses below are not included)\n");
	assert_line("dmar:   scope bridge 00:03.0 (not a bridge: that function only)\n");
	assert_line("dmar:   scope bridge 00:04.0 (no buses below)\n");
	assert_line("dmar:   scope bridge 00:05.0 (absent)\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(paths_are_followed_through_live_bridges, multihop_bus),
		cmocka_unit_test_setup(resolved_scopes_print_bus_ranges_and_paths, multihop_bus),
		cmocka_unit_test_setup(overlapping_scopes_go_to_the_later_unit, overlap_bus),
		cmocka_unit_test_setup(unit_for_takes_a_scope_naming_the_function_or_a_bridge_above_then_include_all, multihop_bus),
		cmocka_unit_test_setup(unit_for_says_why_in_a_debug_line, multihop_bus),
		cmocka_unit_test_setup(unit_for_before_resolution_knows_single_hops_only, multihop_bus),
		cmocka_unit_test_setup(rmrr_and_atsr_follow_resolved_scopes, multihop_bus),
		cmocka_unit_test_setup(qemu_bridge_scopes_cover_the_root_ports_buses, qemu_bus),
		cmocka_unit_test_setup(scope_types_that_do_not_match_the_bus_are_warned, qemu_bus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
