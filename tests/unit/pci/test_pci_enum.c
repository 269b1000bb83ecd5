/* Enumeration, BARs, bridge windows, capability lists and the pci: log lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "kernel/err.h"
#include "pci/pci_internal.h"
#include "tests/unit/pci/pci_topo.h"

static int setup(void **state)
{
	(void)state;
	topo_reset();
	return 0;
}

/* ---- the walk ---- */

static void scan_walks_root_port_switch_and_endpoints_depth_first(void **state)
{
	(void)state;
	fake_pci_add(S(0, 0, 0), 0x8086, 0x29c0, CLASS_HOST, 0);
	topo_port(S(0, 1, 0), 4, 1, 4);
	topo_port(S(1, 0, 0), 5, 2, 4);
	topo_port(S(2, 0, 0), 6, 3, 3);
	topo_port(S(2, 1, 0), 6, 4, 4);
	topo_ep(S(3, 0, 0), 0x8086, 0x10d3, 0);
	topo_ep(S(4, 0, 0), 0x1b36, 0x0010, 0);

	assert_int_equal(pci_scan(), 7);
	static const struct { u32 sbdf; enum pci_kind kind; int parent; } want[] = {
		{ S(0, 0, 0), PCI_KIND_PCI, -1 },
		{ S(0, 1, 0), PCI_KIND_ROOT_PORT, -1 },
		{ S(1, 0, 0), PCI_KIND_UPSTREAM, 1 },
		{ S(2, 0, 0), PCI_KIND_DOWNSTREAM, 2 },
		{ S(3, 0, 0), PCI_KIND_ENDPOINT, 3 },
		{ S(2, 1, 0), PCI_KIND_DOWNSTREAM, 2 },
		{ S(4, 0, 0), PCI_KIND_ENDPOINT, 5 },
	};
	for (u32 i = 0; i < ARRAY_SIZE(want); i++) {
		struct pci_dev *d = pci_dev_at(i);
		assert_int_equal(d->sbdf, want[i].sbdf);
		assert_int_equal(d->kind, want[i].kind);
		assert_ptr_equal(d->parent, want[i].parent < 0 ? NULL : pci_dev_at((u32)want[i].parent));
	}
	struct pci_dev *up = pci_find(S(1, 0, 0));
	assert_int_equal(up->pri_bus, 1);
	assert_int_equal(up->sec_bus, 2);
	assert_int_equal(up->sub_bus, 4);
	assert_string_equal(topo_line("functions"),
		"c0 INFO pci: 7 functions (0 VFs), 4 bridges, 2 isolation groups");
	assert_int_equal(fake_log_count(" WARN "), 0);
	assert_int_equal(fake_log_count(" ERR "), 0);
}

static void scan_finds_edu_and_sizes_bar0(void **state)
{
	(void)state;
	/* Step 2 of the DMA tour: 1234:11e8 at 00:03.0, BAR0 1 MiB. */
	struct fake_fn *f = fake_pci_add(S(0, 3, 0), 0x1234, 0x11e8, 0x00ff00, 0);
	fake_pci_set_bar(f, 0, 0xfea00000, 0x100000, 0);

	assert_int_equal(pci_scan(), 1);
	struct pci_dev *d = pci_find(S(0, 3, 0));
	assert_non_null(d);
	assert_int_equal(d->vendor, 0x1234);
	assert_int_equal(d->device, 0x11e8);
	assert_int_equal(d->kind, PCI_KIND_PCI);
	assert_int_equal(d->bars[0].type, PCI_BAR_MEM32);
	assert_int_equal(d->bars[0].addr, 0xfea00000);
	assert_int_equal(d->bars[0].size, 0x100000);
	assert_string_equal(topo_line("00:03.0"),
		"c0 INFO pci: 0000:00:03.0 1234:11e8 class 0x00ff00 pci bar0 mem32 0x00000000fea00000 size 0x100000");
}

static void scan_reads_functions_1_to_7_only_of_multifunction_devices(void **state)
{
	(void)state;
	topo_ep(S(0, 2, 0), 0x8086, 0x1000, 0x80);
	topo_ep(S(0, 2, 1), 0x8086, 0x1001, 0);
	topo_ep(S(0, 2, 7), 0x8086, 0x1007, 0);
	topo_ep(S(0, 3, 0), 0x8086, 0x2000, 0);
	topo_ep(S(0, 3, 1), 0x8086, 0x2001, 0);         /* fn 0 says single-function */
	topo_ep(S(0, 4, 1), 0x8086, 0x3001, 0);         /* no function 0 */

	assert_int_equal(pci_scan(), 4);
	assert_non_null(pci_find(S(0, 2, 7)));
	assert_true(pci_find(S(0, 2, 1))->multifunction);
	assert_null(pci_find(S(0, 3, 1)));
	assert_null(pci_find(S(0, 4, 1)));
}

static void scan_below_a_port_looks_at_device_0_only(void **state)
{
	(void)state;
	topo_port(S(0, 1, 0), 4, 1, 1);
	topo_ep(S(1, 0, 0), 0x8086, 0x10d3, 0);
	topo_ep(S(1, 1, 0), 0x8086, 0x10d3, 0);         /* a port's link has one device */

	assert_int_equal(pci_scan(), 2);
	assert_null(pci_find(S(1, 1, 0)));
}

static void scan_skips_vendor_ffff_and_0000(void **state)
{
	(void)state;
	fake_pci_add(S(0, 1, 0), 0xffff, 0xffff, CLASS_ETH, 0);
	fake_pci_add(S(0, 2, 0), 0x0000, 0x1234, CLASS_ETH, 0);
	fake_pci_add(S(0, 3, 0), 0x8086, 0x1234, CLASS_ETH, 0);
	assert_int_equal(pci_scan(), 1);
}

static void scan_covers_every_host_bridge(void **state)
{
	(void)state;
	assert_int_equal(pci_add_host_bridge(1, 0x00, 0x3f), 0);
	fake_pci_add(S(0, 1, 0), 0x8086, 0x1111, CLASS_ETH, 0);
	fake_pci_add(PCI_SBDF(1, 0, 2, 0), 0x8086, 0x2222, CLASS_ETH, 0);
	assert_int_equal(pci_scan(), 2);
	assert_non_null(pci_find(PCI_SBDF(1, 0, 2, 0)));
	assert_true(fake_log_has("c0 INFO pci: 0001:00:02.0 8086:2222"));
}

static void host_bridges_must_not_overlap(void **state)
{
	(void)state;
	assert_int_equal(pci_add_host_bridge(0, 0x05, 0x04), -HV_EINVAL);
	assert_int_equal(pci_add_host_bridge(0, 0x80, 0x90), -HV_EEXIST);
	assert_int_equal(pci_add_host_bridge(2, 0x80, 0x90), 0);
	u8 start, end;
	assert_int_equal(pci_host_bridge_range(2, 0x85, &start, &end), 0);
	assert_int_equal(start, 0x80);
	assert_int_equal(end, 0x90);
	assert_int_equal(pci_host_bridge_range(3, 0x00, &start, &end), -HV_ENOENT);
}

/* ---- root buses ---- */

/* A host bridge beside bus 0's (QEMU pxb-pcie at 0x40): a root port and an endpoint below it. */
static void add_second_host_bridge(u16 seg, u8 bus)
{
	topo_port(PCI_SBDF(seg, bus, 0, 0), 4, (u8)(bus + 1), (u8)(bus + 1));
	topo_ep(PCI_SBDF(seg, bus + 1, 0, 0), 0x1234, 0x11e8, 0);
}

static void root_bus_no_bridge_leads_to_is_found_by_the_ecam_scan(void **state)
{
	(void)state;
	fake_pci_add(S(0, 0, 0), 0x8086, 0x29c0, CLASS_HOST, 0);
	topo_port(S(0, 1, 0), 4, 1, 1);
	topo_ep(S(1, 0, 0), 0x8086, 0x10d3, 0);
	add_second_host_bridge(0, 0x40);

	assert_int_equal(pci_scan(), 5);
	struct pci_dev *rp = pci_find(S(0x40, 0, 0)), *ep = pci_find(S(0x41, 0, 0));
	assert_non_null(rp);
	assert_null(rp->parent);
	assert_int_equal(rp->kind, PCI_KIND_ROOT_PORT);
	assert_ptr_equal(ep->parent, rp);
	/* One line per root bus before the functions, which follow in bus order. */
	const char *log = fake_log_text();
	const char *r0 = strstr(log, "c0 INFO pci: root bus 0000:00 (mcfg start)\n");
	const char *r40 = strstr(log, "c0 INFO pci: root bus 0000:40 (ecam scan)\n");
	const char *f1 = strstr(log, "pci: 0000:01:00.0 "), *f40 = strstr(log, "pci: 0000:40:00.0 ");
	const char *f41 = strstr(log, "pci: 0000:41:00.0 ");
	assert_true(r0 && r40 && f1 && f40 && f41);
	assert_true(r0 < r40 && r40 < f1 && f1 < f40 && f40 < f41);
	assert_int_equal(fake_log_count("pci: root bus "), 2);
	/* Each root bus owns the buses up to the next one (VF routing IDs, pci_sriov.c). */
	u8 start, end;
	assert_int_equal(pci_host_bridge_range(0, 0x00, &start, &end), 0);
	assert_int_equal(start, 0x00);
	assert_int_equal(end, 0x3f);
	assert_int_equal(pci_host_bridge_range(0, 0x41, &start, &end), 0);
	assert_int_equal(start, 0x40);
	assert_int_equal(end, 0xff);
	/* The endpoint behind the second host bridge is isolated like any other. */
	assert_int_not_equal(ep->group, pci_find(S(1, 0, 0))->group);
	assert_int_equal(fake_log_count(" WARN "), 0);
}

static void buses_a_bridge_leads_to_are_not_probed_again(void **state)
{
	(void)state;
	/* 00:01.0 leads to 0x01-0x3f; a switch below it takes 0x02-0x03. */
	topo_port(S(0, 1, 0), 4, 0x01, 0x3f);
	topo_port(S(1, 0, 0), 5, 0x02, 0x3f);
	topo_port(S(2, 0, 0), 6, 0x03, 0x03);
	topo_ep(S(3, 0, 0), 0x8086, 0x10d3, 0);
	/* Behind 00:01.0's range yet unreached by the walk: still not a root bus. */
	topo_ep(S(0x20, 0, 0), 0x8086, 0x1111, 0);
	add_second_host_bridge(0, 0x40);
	assert_int_equal(log_set_levels("info,pci:debug"), 0);

	assert_int_equal(pci_scan(), 6);
	assert_null(pci_find(S(0x20, 0, 0)));
	assert_int_equal(fake_log_count("pci: 0000:03:00.0 "), 1);
	assert_int_equal(fake_log_count("pci: root bus "), 2);
	/*
	 * The probe reads bus 0x40 once (00.0 answers) and 32 times each of
	 * the buses nothing leads to, 0x42-0xff; never 0x00-0x3f or 0x41.
	 */
	char want[96];
	snprintf(want, sizeof(want), "pci: 2 root bus(es); the probe for them made %u config reads",
		 1 + 32 * (0xff - 0x42 + 1));
	assert_true(fake_log_has(want));
}

static void bridge_with_bad_bus_numbers_keeps_its_buses_from_the_ecam_scan(void **state)
{
	(void)state;
	/* 00:02.0 overlaps 00:01.0's buses from 0x08 on: refused, not scanned below. */
	topo_port(S(0, 1, 0), 4, 0x01, 0x08);
	topo_port(S(0, 2, 0), 4, 0x08, 0x10);
	topo_ep(S(0x0c, 0, 0), 0x8086, 0x10d3, 0);

	assert_int_equal(pci_scan(), 2);
	assert_null(pci_find(S(0x0c, 0, 0)));
	assert_int_equal(fake_log_count("pci: root bus "), 1);
	assert_int_equal(fake_log_count(" ERR "), 1);
}

static void without_mcfg_the_steps_are_named_for_port_cf8(void **state)
{
	(void)state;
	fake_pci_set_cfg_size(256);
	fake_pci_add(S(0, 0, 0), 0x8086, 0x1237, CLASS_HOST, 0);
	fake_pci_add(S(0x40, 0, 0), 0x8086, 0x2222, CLASS_HOST, 0);
	assert_int_equal(pci_add_scope_bus(0, 0x40), 0);

	assert_int_equal(pci_scan(), 2);
	assert_string_equal(topo_line("root bus 0000:00"), "c0 INFO pci: root bus 0000:00 (first bus)");
	assert_string_equal(topo_line("root bus 0000:40"), "c0 INFO pci: root bus 0000:40 (bus scan, dmar scope)");
}

static void root_bus_outside_mcfg_is_found_through_the_dmar(void **state)
{
	(void)state;
	/* MCFG covers 0x00-0x3f only; the DMAR names bus 0x80 (config access still reaches it). */
	pci_reset();
	assert_int_equal(pci_add_host_bridge(0, 0x00, 0x3f), 0);
	fake_pci_add(S(0, 0, 0), 0x8086, 0x29c0, CLASS_HOST, 0);
	add_second_host_bridge(0, 0x80);

	assert_int_equal(pci_scan(), 1);
	assert_null(pci_find(S(0x80, 0, 0)));

	fake_log_capture();
	assert_int_equal(pci_add_scope_bus(0, 0x80), 0);
	assert_int_equal(pci_add_scope_bus(0, 0x80), 0);        /* once is enough */
	assert_int_equal(pci_add_scope_bus(0, 0x00), 0);
	assert_int_equal(pci_scan(), 3);
	assert_null(pci_find(S(0x80, 0, 0))->parent);
	assert_non_null(pci_find(S(0x81, 0, 0)));
	assert_string_equal(topo_line("root bus 0000:00"), "c0 INFO pci: root bus 0000:00 (mcfg start, dmar scope)");
	assert_string_equal(topo_line("root bus 0000:80"), "c0 INFO pci: root bus 0000:80 (dmar scope)");
	u8 start, end;
	assert_int_equal(pci_host_bridge_range(0, 0x81, &start, &end), 0);
	assert_int_equal(start, 0x80);
	assert_int_equal(end, 0xff);
	assert_int_equal(fake_log_count(" WARN "), 0);
}

static void dmar_bus_that_holds_nothing_is_said(void **state)
{
	(void)state;
	topo_port(S(0, 1, 0), 4, 0x01, 0x01);
	topo_ep(S(1, 0, 0), 0x8086, 0x10d3, 0);
	/* 0x01: behind a bridge, nothing to say. 0x50 (in MCFG's range) and 0x90: empty. */
	assert_int_equal(pci_add_scope_bus(0, 0x01), 0);
	assert_int_equal(pci_add_scope_bus(0, 0x90), 0);
	assert_int_equal(pci_add_scope_bus(0, 0x50), 0);
	assert_int_equal(pci_add_scope_bus(3, 0x00), 0);        /* a segment with no host bridge */

	assert_int_equal(pci_scan(), 2);
	assert_int_equal(fake_log_count("pci: root bus "), 1);
	assert_int_equal(fake_log_count(" WARN "), 3);
	assert_string_equal(topo_line("0003:00:"),
		"c0 WARN pci: 0003:00: a DMAR device scope starts from this bus, but no host bridge range (MCFG) has segment 3; not scanned");
	assert_string_equal(topo_line("0000:50:"),
		"c0 WARN pci: 0000:50: a DMAR device scope starts from this bus, but no bridge leads to it and no function answers on it");
	assert_true(fake_log_has("c0 WARN pci: 0000:90: a DMAR device scope"));
	/* The two lines come in bus order. */
	assert_true(strstr(fake_log_text(), "0000:50: a DMAR") < strstr(fake_log_text(), "0000:90: a DMAR"));
	assert_int_equal(pci_add_scope_bus(0, 0x01), 0);
	for (u32 b = 0x100; b < 0x100 + PCI_MAX_SCOPE_BUSES - 4; b++)
		assert_int_equal(pci_add_scope_bus(1, (u8)b), 0);
	assert_int_equal(pci_add_scope_bus(2, 0x00), -HV_ENOMEM);
}

static void root_buses_past_the_table_are_counted_in_one_warning(void **state)
{
	(void)state;
	/* Bus 0, then one function on each of 70 buses no bridge leads to. */
	for (u32 b = 0; b < 71; b++)
		fake_pci_add(S(b * 2, 0, 0), 0x8086, 0x1000, CLASS_ETH, 0);

	assert_int_equal(pci_scan(), PCI_MAX_ROOT_BUSES);
	assert_int_equal(fake_log_count("pci: root bus "), PCI_MAX_ROOT_BUSES);
	assert_int_equal(fake_log_count(" WARN "), 1);
	assert_string_equal(topo_line("not scanned"),
		"c0 WARN pci: 7 more root bus(es) found but not scanned: Sluice keeps 64");
}

static void root_buses_of_several_segments_are_found_segment_by_segment(void **state)
{
	(void)state;
	/* Segment 1 registered first: its functions come first. */
	pci_reset();
	assert_int_equal(pci_add_host_bridge(1, 0x00, 0x7f), 0);
	assert_int_equal(pci_add_host_bridge(0, 0x00, 0xff), 0);
	fake_pci_add(S(0, 0, 0), 0x8086, 0x29c0, CLASS_HOST, 0);
	add_second_host_bridge(0, 0x40);
	fake_pci_add(PCI_SBDF(1, 0, 0, 0), 0x8086, 0x2020, CLASS_HOST, 0);
	add_second_host_bridge(1, 0x40);        /* the same bus number in another segment */
	add_second_host_bridge(1, 0x7e);
	topo_ep(PCI_SBDF(1, 0x90, 0, 0), 0x8086, 0x10d3, 0);    /* past segment 1's range */
	assert_int_equal(pci_add_scope_bus(1, 0x40), 0);

	assert_int_equal(pci_scan(), 8);
	assert_null(pci_find(PCI_SBDF(1, 0x90, 0, 0)));
	static const char *const order[] = {
		"pci: root bus 0001:00 (mcfg start)\n", "pci: root bus 0001:40 (ecam scan, dmar scope)\n",
		"pci: root bus 0001:7e (ecam scan)\n", "pci: root bus 0000:00 (mcfg start)\n",
		"pci: root bus 0000:40 (ecam scan)\n", "pci: 0001:00:00.0 ", "pci: 0001:41:00.0 ",
		"pci: 0001:7f:00.0 ", "pci: 0000:00:00.0 ", "pci: 0000:41:00.0 ",
	};
	const char *prev = fake_log_text();
	for (u32 i = 0; i < ARRAY_SIZE(order); i++) {
		const char *at = strstr(prev, order[i]);
		if (!at)
			fail_msg("\"%s\" not found in order in:\n%s", order[i], fake_log_text());
		prev = at;
	}
	u8 start, end;
	assert_int_equal(pci_host_bridge_range(1, 0x41, &start, &end), 0);
	assert_int_equal(start, 0x40);
	assert_int_equal(end, 0x7d);
	assert_int_equal(pci_host_bridge_range(1, 0x7f, &start, &end), 0);
	assert_int_equal(end, 0x7f);
}

/* ---- ARI ---- */

static void build_ari_device(bool port_can_forward)
{
	struct fake_fn *rp = topo_port(S(0, 1, 0), 4, 1, 1);
	if (port_can_forward)
		topo_ari_fwd_capable(rp, 0x40);
	topo_ari(topo_ep(S(1, 0, 0), 0x8086, 0x10c9, 0x80), 1);
	topo_ari(topo_ep(S(1, 0, 1), 0x8086, 0x10c9, 0), 0x80);
	topo_ari(topo_ep(S(1, 0x10, 0), 0x8086, 0x10c9, 0), 0);
	topo_ari(topo_ep(S(1, 0, 2), 0x8086, 0x10c9, 0), 0);        /* not on the chain */
}

static void ari_below_a_forwarding_port_follows_next_function_numbers(void **state)
{
	(void)state;
	build_ari_device(true);

	assert_int_equal(pci_scan(), 4);
	assert_true(fake_pci_r16(fake_pci_find(S(0, 1, 0)), 0x40 + 0x28) & 0x20);
	assert_true(pci_find(S(0, 1, 0))->ari_forwarding);
	assert_non_null(pci_find(S(1, 0, 1)));
	assert_non_null(pci_find(S(1, 0x10, 0)));      /* function 0x80 */
	assert_null(pci_find(S(1, 0, 2)));
	assert_true(pci_find(S(1, 0x10, 0))->multifunction);
}

static void ari_is_not_used_when_the_port_cannot_forward(void **state)
{
	(void)state;
	build_ari_device(false);

	assert_int_equal(pci_scan(), 4);
	assert_int_equal(fake_pci_r16(fake_pci_find(S(0, 1, 0)), 0x40 + 0x28), 0);
	assert_false(pci_find(S(0, 1, 0))->ari_forwarding);
	assert_non_null(pci_find(S(1, 0, 2)));
	assert_null(pci_find(S(1, 0x10, 0)));
}

static void ari_chain_that_does_not_climb_is_cut(void **state)
{
	(void)state;
	struct fake_fn *rp = topo_port(S(0, 1, 0), 4, 1, 1);
	topo_ari_fwd_capable(rp, 0x40);
	topo_ari(topo_ep(S(1, 0, 0), 0x8086, 0x10c9, 0x80), 1);
	topo_ari(topo_ep(S(1, 0, 1), 0x8086, 0x10c9, 0), 1);
	topo_port(S(0, 2, 0), 4, 2, 2);

	assert_int_equal(pci_scan(), 4);
	assert_string_equal(topo_line("ARI next"),
		"c0 WARN pci: 0000:01:00.1: ARI next function 0x01 is not above 0x01; scan of the bus stops");
	assert_int_equal(fake_log_count(" WARN "), 1);
}

/* ---- capability lists ---- */

static void caps_are_recorded_in_list_order_with_their_registers(void **state)
{
	(void)state;
	struct fake_fn *f = topo_ep(S(0, 2, 0), 0x1af4, 0x1041, 0);
	u16 pm = fake_pci_add_cap(f, 0x01, 8);
	u16 msix = fake_pci_add_cap(f, 0x11, 12);
	fake_pci_add_cap(f, 0x09, 8);
	u16 aer = fake_pci_add_ecap(f, 0x0001, 2, 0x48);
	u16 ats = fake_pci_add_ecap(f, 0x000f, 1, 8);
	fake_pci_w16(f, ats + 4, 0x0020 | 5);           /* page aligned, qdepth 5 */
	u16 acs = topo_acs(f, 0x001f, 0x0011);
	u16 sriov = fake_pci_add_ecap(f, 0x0010, 1, 0x40);
	fake_pci_w16(f, sriov + 0x0e, 8);
	fake_pci_w16(f, sriov + 0x14, 128);
	fake_pci_w16(f, sriov + 0x16, 2);
	fake_pci_add_ecap(f, 0x0019, 1, 8);

	assert_int_equal(pci_scan(), 1);
	struct pci_dev *d = pci_find(S(0, 2, 0));
	assert_int_equal(d->cap_pcie, 0x40);
	assert_int_equal(d->cap_pm, pm);
	assert_int_equal(d->cap_msix, msix);
	assert_int_equal(d->cap_msi, 0);
	assert_int_equal(d->ecap_aer, aer);
	assert_int_equal(d->ecap_ats, ats);
	assert_int_equal(d->ats_qdepth, 5);
	assert_true(d->ats_page_aligned);
	assert_int_equal(d->ecap_acs, acs);
	assert_int_equal(d->acs_cap, 0x001f);
	assert_int_equal(d->acs_ctrl, 0x0011);          /* endpoints are left as found */
	assert_int_equal(d->ecap_sriov, sriov);
	assert_int_equal(d->sriov.cap, sriov);
	assert_int_equal(d->sriov.total_vfs, 8);
	assert_int_equal(d->sriov.offset, 128);
	assert_int_equal(d->sriov.stride, 2);
	assert_int_equal(d->nr_cap_ids, 4);
	assert_int_equal(d->cap_ids[3], 0x09);
	assert_int_equal(d->nr_ecap_ids, 5);
	assert_int_equal(d->ecap_ids[4], 0x0019);
	assert_false(d->caps_broken);
	assert_string_equal(topo_line("00:02.0"),
		"c0 INFO pci: 0000:00:02.0 1af4:1041 class 0x020000 endpoint caps PCIe,PM,MSI-X,cap0x09,AER,ATS(qdepth 5),ACS,SR-IOV(total 8 offset 128 stride 2),ext0x0019");
}

/* One bad list per case: cut with one WARN, function kept, scan goes on. */
static void loop_legacy(struct fake_fn *f) { fake_pci_w8(f, 0x85, 0x40); }
static void below_legacy(struct fake_fn *f) { fake_pci_w8(f, 0x85, 0x20); }
static void misaligned_legacy(struct fake_fn *f) { fake_pci_w8(f, 0x85, 0x89); }
static void bad_cap_ptr(struct fake_fn *f) { fake_pci_w8(f, 0x34, 0x3c); }
static void ones_legacy(struct fake_fn *f) { fake_pci_w8(f, 0x85, 0xc0); fake_pci_w8(f, 0xc0, 0xff); }
static void loop_ext(struct fake_fn *f) { fake_pci_w32(f, 0x108, fake_pci_r32(f, 0x108) | 0x100u << 20); }
static void below_ext(struct fake_fn *f) { fake_pci_w32(f, 0x108, fake_pci_r32(f, 0x108) | 0x0c0u << 20); }
static void misaligned_ext(struct fake_fn *f) { fake_pci_w32(f, 0x108, fake_pci_r32(f, 0x108) | 0x10au << 20); }
static void empty_ext(struct fake_fn *f) { fake_pci_w32(f, 0x108, fake_pci_r32(f, 0x108) | 0x200u << 20); }
static void past_end_ext(struct fake_fn *f)
{
	fake_pci_w32(f, 0x108, fake_pci_r32(f, 0x108) | 0xfe0u << 20);
	fake_pci_w32(f, 0xfe0, 0x00010010);             /* SR-IOV needs 0x40 bytes */
}

static void broken_cap_lists_are_cut_with_one_warning(void **state)
{
	(void)state;
	static const struct {
		void (*spoil)(struct fake_fn *f);
		const char *warn;
		u8 nr_caps, nr_ecaps;
	} cases[] = {
		{ loop_legacy, "legacy capability list cut: pointer 0x40 at 0x84 loops back", 3, 2 },
		{ below_legacy, "legacy capability list cut: pointer 0x20 at 0x84 is below 0x40", 3, 2 },
		{ misaligned_legacy, "legacy capability list cut: pointer 0x89 at 0x84 is not dword aligned", 3, 2 },
		{ bad_cap_ptr, "legacy capability list cut: pointer 0x3c at 0x34 is below 0x40", 0, 2 },
		{ ones_legacy, "legacy capability list cut: entry at 0xc0 reads ID 0xff", 3, 2 },
		{ loop_ext, "extended capability list cut: pointer 0x100 at 0x108 loops back", 3, 2 },
		{ below_ext, "extended capability list cut: pointer 0xc0 at 0x108 is below 0x100", 3, 2 },
		{ misaligned_ext, "extended capability list cut: pointer 0x10a at 0x108 is not dword aligned", 3, 2 },
		{ empty_ext, "extended capability list cut: entry at 0x200 reads 0x00000000", 3, 2 },
		{ past_end_ext, "extended capability list cut: capability 0x10 at 0xfe0 runs past the end of the 4096-byte space", 3, 2 },
	};
	for (u32 i = 0; i < ARRAY_SIZE(cases); i++) {
		topo_reset();
		struct fake_fn *f = topo_ep(S(0, 2, 0), 0x8086, 0x10d3, 0);   /* PCIe at 0x40 */
		fake_pci_add_cap(f, 0x01, 8);                                   /* PM at 0x7c */
		fake_pci_add_cap(f, 0x05, 0x18);                                /* MSI at 0x84 */
		fake_pci_add_ecap(f, 0x0001, 2, 8);                             /* AER at 0x100 */
		fake_pci_add_ecap(f, 0x000e, 1, 8);                             /* ARI at 0x108 */
		topo_ep(S(0, 3, 0), 0x8086, 0x10d3, 0);
		cases[i].spoil(f);

		assert_int_equal(pci_scan(), 2);
		struct pci_dev *d = pci_find(S(0, 2, 0));
		char want[200];
		snprintf(want, sizeof(want), "c0 WARN pci: 0000:00:02.0: %s", cases[i].warn);
		assert_string_equal(topo_line("WARN"), want);
		assert_int_equal(fake_log_count(" WARN "), 1);
		assert_true(d->caps_broken);
		assert_int_equal(d->nr_cap_ids, cases[i].nr_caps);
		assert_int_equal(d->nr_ecap_ids, cases[i].nr_ecaps);
		assert_non_null(pci_find(S(0, 3, 0)));
	}
}

/* ---- BARs ---- */

static u32 sized_with_decode_on;

static void watch_sizing(struct fake_fn *f, u16 off, u8 width, u32 val)
{
	(void)width;
	if (off >= 0x10 && off < 0x28 && val == ~0u && (fake_pci_r16(f, 0x04) & 3))
		sized_with_decode_on++;
}

static void bars_are_sized_with_decoding_off_and_command_restored(void **state)
{
	(void)state;
	struct fake_fn *f = topo_ep(S(0, 3, 0), 0x8086, 0x10d3, 0);
	fake_pci_set_bar(f, 0, 0xfea00000, 0x20000, 0);
	fake_pci_set_bar(f, 1, 0x8000000000ULL, 0x4000, FAKE_BAR_MEM64 | FAKE_BAR_PREFETCH);
	fake_pci_set_bar(f, 3, 0xc000, 0x40, FAKE_BAR_IO);
	fake_pci_set_bar(f, 4, 0x400000000ULL, 0x200000000ULL, FAKE_BAR_MEM64);  /* 8 GiB */
	fake_pci_w16(f, 0x04, 0x0407);
	f->hook = watch_sizing;
	sized_with_decode_on = 0;

	assert_int_equal(pci_scan(), 1);
	struct pci_dev *d = pci_find(S(0, 3, 0));
	assert_int_equal(sized_with_decode_on, 0);
	assert_int_equal(fake_pci_r16(f, 0x04), 0x0407);
	assert_int_equal(d->bars[0].type, PCI_BAR_MEM32);
	assert_int_equal(d->bars[0].size, 0x20000);
	assert_int_equal(d->bars[1].type, PCI_BAR_MEM64);
	assert_true(d->bars[1].prefetch);
	assert_int_equal(d->bars[1].addr, 0x8000000000ULL);
	assert_int_equal(d->bars[1].size, 0x4000);
	assert_int_equal(d->bars[2].type, PCI_BAR_NONE);
	assert_int_equal(d->bars[3].type, PCI_BAR_IO);
	assert_int_equal(d->bars[3].addr, 0xc000);
	assert_int_equal(d->bars[3].size, 0x40);
	assert_int_equal(d->bars[4].type, PCI_BAR_MEM64);
	assert_int_equal(d->bars[4].addr, 0x400000000ULL);
	assert_int_equal(d->bars[4].size, 0x200000000ULL);
	assert_int_equal(d->bars[5].size, 0);
	assert_int_equal(fake_pci_r32(f, 0x10), 0xfea00000);    /* every BAR as found */
	assert_int_equal(fake_pci_r32(f, 0x18), 0x80);
	assert_int_equal(fake_pci_r32(f, 0x20), 0x4);
	assert_string_equal(topo_line("00:03.0"),
		"c0 INFO pci: 0000:00:03.0 8086:10d3 class 0x020000 endpoint bar0 mem32 0x00000000fea00000 size 0x20000 bar1 mem64p 0x0000008000000000 size 0x4000 bar3 io 0x000000000000c000 size 0x40 bar4 mem64 0x0000000400000000 size 0x200000000 caps PCIe");
}

static u32 command_writes;

static void count_command_writes(struct fake_fn *f, u16 off, u8 width, u32 val)
{
	(void)f, (void)width, (void)val;
	command_writes += off == 0x04;
}

static void command_is_not_written_when_decoding_is_off(void **state)
{
	(void)state;
	struct fake_fn *f = fake_pci_add(S(0, 3, 0), 0x8086, 0x10d3, CLASS_ETH, 0);
	fake_pci_set_bar(f, 0, 0xfea00000, 0x1000, 0);
	f->hook = count_command_writes;
	command_writes = 0;
	assert_int_equal(pci_scan(), 1);
	assert_int_equal(command_writes, 0);
	assert_int_equal(pci_find(S(0, 3, 0))->bars[0].size, 0x1000);
}

static void host_bridge_keeps_decoding_while_sized(void **state)
{
	(void)state;
	struct fake_fn *f = fake_pci_add(S(0, 0, 0), 0x8086, 0x29c0, CLASS_HOST, 0);
	fake_pci_set_bar(f, 0, 0xfed10000, 0x4000, 0);
	fake_pci_w16(f, 0x04, 0x0006);
	f->hook = count_command_writes;
	command_writes = 0;
	assert_int_equal(pci_scan(), 1);
	assert_int_equal(command_writes, 0);
	assert_int_equal(pci_find(S(0, 0, 0))->bars[0].size, 0x4000);
}

static void io_bar_of_a_16_bit_decoder_is_sized(void **state)
{
	(void)state;
	struct fake_fn *f = fake_pci_add(S(0, 3, 0), 0x8086, 0x100e, CLASS_ETH, 0);
	fake_pci_w32(f, 0x10, 0xc001);
	fake_pci_set_wmask(f, 0x10, 4, 0x0000ffc0);     /* upper half hardwired to 0 */
	assert_int_equal(pci_scan(), 1);
	assert_int_equal(pci_find(S(0, 3, 0))->bars[0].type, PCI_BAR_IO);
	assert_int_equal(pci_find(S(0, 3, 0))->bars[0].size, 0x40);
}

static void dead_bar(struct fake_fn *f, u16 off, u8 width, u32 val)
{
	(void)width;
	if (off == 0x10 && val != ~0u)
		fake_pci_w32(f, 0x10, ~0u);             /* stops answering after sizing */
}

static void bars_that_do_not_size_get_one_warning_each(void **state)
{
	(void)state;
	static const struct { u32 val, wmask; bool dead; const char *warn; } cases[] = {
		{ 0xffffffff, 0, false,
		  "BAR at 0x10 reads 0xffffffff; treated as unimplemented" },
		{ 0xfe000000, 0xfff0f000, false,
		  "BAR at 0x10 has size mask 0x00000000fff0f000 (value 0xfe000000); treated as unimplemented" },
		{ 0xfe000006, 0xfffff000, false,
		  "BAR at 0x10 has reserved type 3 (0xfe000006); treated as unimplemented" },
		{ 0x0000c003, 0xffffffc0, false,
		  "BAR at 0x10 has size mask 0x00000000ffffffc3 (value 0x0000c003); treated as unimplemented" },
		{ 0xfea00000, 0xfffff000, true,
		  "BAR at 0x10 reads 0xffffffff after sizing, not 0xfea00000; treated as unimplemented" },
	};
	for (u32 i = 0; i < ARRAY_SIZE(cases); i++) {
		topo_reset();
		struct fake_fn *f = fake_pci_add(S(0, 3, 0), 0x8086, 0x10d3, CLASS_ETH, 0);
		fake_pci_w32(f, 0x10, cases[i].val);
		fake_pci_set_wmask(f, 0x10, 4, cases[i].wmask);
		fake_pci_set_bar(f, 1, 0xfeb00000, 0x1000, 0);
		if (cases[i].dead)
			f->hook = dead_bar;

		assert_int_equal(pci_scan(), 1);
		struct pci_dev *d = pci_find(S(0, 3, 0));
		char want[200];
		snprintf(want, sizeof(want), "c0 WARN pci: 0000:00:03.0: %s", cases[i].warn);
		assert_string_equal(topo_line("WARN"), want);
		assert_int_equal(fake_log_count(" WARN "), 1);
		assert_int_equal(d->bars[0].size, 0);
		assert_int_equal(d->bars[0].type, PCI_BAR_NONE);
		assert_int_equal(d->bars[1].size, 0x1000);      /* the next BAR is still sized */
		assert_true(fake_log_has("00:03.0 8086:10d3 class 0x020000 pci bar1 mem32"));
	}
}

static void bar_64_bit_in_the_last_slot_is_refused(void **state)
{
	(void)state;
	struct fake_fn *f = fake_pci_add(S(0, 3, 0), 0x8086, 0x10d3, CLASS_ETH, 0);
	fake_pci_w32(f, 0x24, 0xfe000004);
	fake_pci_set_wmask(f, 0x24, 4, 0xfffff000);
	assert_int_equal(pci_scan(), 1);
	assert_string_equal(topo_line("WARN"),
		"c0 WARN pci: 0000:00:03.0: BAR at 0x24 is 64-bit in the last slot (0xfe000004); treated as unimplemented");
	assert_int_equal(pci_find(S(0, 3, 0))->bars[5].size, 0);
	assert_int_equal(fake_pci_r32(f, 0x24), 0xfe000004);
}

static void bar_probe_sizes_a_bar_anywhere_in_config_space(void **state)
{
	(void)state;
	/* As pci_sriov.c uses it: VF BAR0-1 at SR-IOV capability + 0x24. */
	struct fake_fn *f = fake_pci_add(S(0, 3, 0), 0x8086, 0x10c9, CLASS_ETH, 0);
	fake_pci_w32(f, 0x124, 0x0000000c);
	fake_pci_set_wmask(f, 0x124, 4, 0xffffc000);
	fake_pci_set_wmask(f, 0x128, 4, 0xffffffff);
	fake_pci_w32(f, 0x138, 0x00000004);

	struct pci_bar b;
	bool is64;
	assert_int_equal(pci_bar_probe(S(0, 3, 0), 0x124, 0x13c, &b, &is64), 0);
	assert_true(is64);
	assert_int_equal(b.type, PCI_BAR_MEM64);
	assert_true(b.prefetch);
	assert_int_equal(b.size, 0x4000);
	assert_int_equal(pci_bar_probe(S(0, 3, 0), 0x12c, 0x13c, &b, &is64), 0);
	assert_int_equal(b.size, 0);                    /* unimplemented, quietly */
	assert_int_equal(pci_bar_probe(S(0, 3, 0), 0x138, 0x13c, &b, &is64), -HV_EINVAL);
	assert_int_equal(fake_log_count(" WARN "), 1);
}

/* ---- bridge windows ---- */

static void bridge_windows_are_decoded(void **state)
{
	(void)state;
	struct fake_fn *f = topo_port(S(0, 1, 0), 4, 1, 1);
	fake_pci_w8(f, 0x1c, 0x21);                     /* I/O 32-bit, base 0x2000 */
	fake_pci_w8(f, 0x1d, 0x31);
	fake_pci_w16(f, 0x30, 0x0001);
	fake_pci_w16(f, 0x32, 0x0001);
	fake_pci_w16(f, 0x20, 0xfe80);
	fake_pci_w16(f, 0x22, 0xfe90);
	fake_pci_w16(f, 0x24, 0xc001);                  /* prefetchable, 64-bit */
	fake_pci_w16(f, 0x26, 0xc0f1);
	fake_pci_w32(f, 0x28, 0x1);
	fake_pci_w32(f, 0x2c, 0x1);
	struct fake_fn *g = topo_port(S(0, 2, 0), 4, 2, 2);
	fake_pci_w8(g, 0x1c, 0xf0);                     /* I/O 16-bit, closed */
	fake_pci_w8(g, 0x1d, 0x00);
	fake_pci_w16(g, 0x24, 0xfff0);                  /* prefetchable, 32-bit, closed */
	fake_pci_w16(g, 0x26, 0x0000);

	assert_int_equal(pci_scan(), 2);
	struct pci_dev *d = pci_find(S(0, 1, 0));
	assert_int_equal(d->io_win.base, 0x12000);
	assert_int_equal(d->io_win.limit, 0x13fff);
	assert_int_equal(d->mem_win.base, 0xfe800000);
	assert_int_equal(d->mem_win.limit, 0xfe9fffff);
	assert_true(d->pref_win.is64);
	assert_int_equal(d->pref_win.base, 0x1c0000000ULL);
	assert_int_equal(d->pref_win.limit, 0x1c0ffffffULL);
	d = pci_find(S(0, 2, 0));
	assert_true(d->io_win.base > d->io_win.limit);
	assert_false(d->pref_win.is64);
	assert_int_equal(d->pref_win.base, 0xfff00000);
	assert_true(d->pref_win.base > d->pref_win.limit);
}

static void missing_optional_windows_are_probed_and_left_zero(void **state)
{
	(void)state;
	struct fake_fn *f = topo_port(S(0, 1, 0), 4, 1, 1);
	fake_pci_set_wmask(f, 0x1c, 2, 0);              /* no I/O window */
	fake_pci_w32(f, 0x24, 0);
	fake_pci_set_wmask(f, 0x24, 4, 0);              /* no prefetchable window */
	struct fake_fn *g = topo_port(S(0, 2, 0), 4, 2, 2);
	fake_pci_w32(g, 0x24, 0);                       /* implemented, both zero */

	assert_int_equal(pci_scan(), 2);
	struct pci_dev *d = pci_find(S(0, 1, 0));
	assert_true(d->io_win.base > d->io_win.limit);
	assert_true(d->pref_win.base > d->pref_win.limit);
	d = pci_find(S(0, 2, 0));
	assert_int_equal(d->io_win.base, 0);            /* window 0-0xfff as programmed */
	assert_int_equal(d->io_win.limit, 0xfff);
	assert_int_equal(d->pref_win.base, 0);
	assert_int_equal(fake_pci_r16(g, 0x1c), 0);     /* probes undone */
	assert_int_equal(fake_pci_r32(g, 0x24), 0);
}

/* ---- bus numbers ---- */

static void bridges_with_bad_bus_numbers_are_not_descended(void **state)
{
	(void)state;
	topo_port(S(0, 1, 0), 4, 1, 3);
	topo_port(S(1, 0, 0), 5, 2, 5);                 /* beyond the root port's 3 */
	topo_ep(S(2, 0, 0), 0x8086, 0x10d3, 0);
	topo_port(S(0, 2, 0), 4, 4, 4);
	topo_ep(S(4, 0, 0), 0x8086, 0x10d3, 0);
	struct fake_fn *p = topo_port(S(0, 3, 0), 4, 0, 0);     /* never assigned */
	fake_pci_set_bus(p, 0, 0, 0);
	topo_port(S(0, 4, 0), 4, 6, 5);                 /* subordinate below secondary */
	topo_port(S(0, 5, 0), 4, 4, 4);                 /* bus 4 is 00:02.0's */

	assert_int_equal(pci_scan(), 7);
	assert_null(pci_find(S(2, 0, 0)));
	assert_non_null(pci_find(S(4, 0, 0)));
	assert_int_equal(fake_log_count(" ERR "), 4);
	assert_string_equal(topo_line("01:00.0: bridge"),
		"c0 ERR  pci: 0000:01:00.0: bridge bus numbers primary 0x01 secondary 0x02 subordinate 0x05: outside the parent's range [0x01-0x03]; not scanned below");
	assert_string_equal(topo_line("00:03.0: bridge"),
		"c0 ERR  pci: 0000:00:03.0: bridge bus numbers primary 0x00 secondary 0x00 subordinate 0x00: secondary not above primary; not scanned below");
	assert_string_equal(topo_line("00:04.0: bridge"),
		"c0 ERR  pci: 0000:00:04.0: bridge bus numbers primary 0x00 secondary 0x06 subordinate 0x05: subordinate below secondary; not scanned below");
	assert_string_equal(topo_line("00:05.0: bridge"),
		"c0 ERR  pci: 0000:00:05.0: bridge bus numbers primary 0x00 secondary 0x04 subordinate 0x04: overlaps a sibling bridge at bus 0x04; not scanned below");
	/* Left as found, and still listed. */
	assert_int_equal(fake_pci_r8(fake_pci_find(S(1, 0, 0)), 0x1a), 5);
	assert_true(fake_log_has("INFO pci: 0000:01:00.0 1b36:000c class 0x060400 upstream-port bus [0x02-0x05]"));
}

/* ---- the log ---- */

static void log_lines_of_root_port_pf_and_vf(void **state)
{
	(void)state;
	struct fake_fn *rp = topo_port(S(0, 2, 0), 4, 1, 1);
	topo_acs(rp, 0x001f, 0);
	struct fake_fn *f = fake_pci_add(S(1, 0, 0), 0x1b36, 0x0010, CLASS_NVME, 0);
	fake_pci_set_bar(f, 0, 0xfe800000, 0x4000, FAKE_BAR_MEM64);
	fake_pci_set_bar(f, 4, 0xfe804000, 0x1000, 0);
	fake_pci_add_cap(f, 0x01, 8);
	fake_pci_add_cap(f, 0x11, 12);
	fake_pci_add_pcie(f, 0);
	fake_pci_add_ecap(f, 0x0001, 2, 0x48);
	topo_ari(f, 0);
	u16 sriov = fake_pci_add_ecap(f, 0x0010, 1, 0x40);
	fake_pci_w16(f, sriov + 0x0e, 4);
	fake_pci_w16(f, sriov + 0x14, 1);
	fake_pci_w16(f, sriov + 0x16, 1);

	assert_int_equal(pci_scan(), 2);
	assert_string_equal(topo_line("00:02.0 "),
		"c0 INFO pci: 0000:00:02.0 1b36:000c class 0x060400 root-port bus [0x01-0x01] caps PCIe,ACS");
	const char *nvme = topo_line("01:00.0 ");
	assert_string_equal(nvme,
		"c0 INFO pci: 0000:01:00.0 1b36:0010 class 0x010802 endpoint bar0 mem64 0x00000000fe800000 size 0x4000 bar4 mem32 0x00000000fe804000 size 0x1000 caps PM,MSI-X,PCIe,AER,ARI,SR-IOV(total 4 offset 1 stride 1)");
	assert_true(strlen(nvme) < LOG_LINE_MAX);

	/* A VF as pci_sriov.c adds it, described through pci_dev_describe(). */
	struct pci_dev *pf = pci_find(S(1, 0, 0));
	struct pci_dev *vf = pci_dev_add(S(1, 0, 2));
	vf->kind = PCI_KIND_VF;
	vf->vendor = 0x1b36;
	vf->device = 0x0010;
	vf->class = CLASS_NVME;
	vf->pf = pf;
	vf->parent = pf->parent;
	vf->vf_index = 2;
	vf->bars[0] = (struct pci_bar){ .addr = 0xfe900000, .size = 0x4000, .type = PCI_BAR_MEM64 };
	char buf[300];
	int n = pci_dev_describe(vf, buf, sizeof(buf));
	assert_string_equal(buf,
		"0000:01:00.2 1b36:0010 class 0x010802 vf of 0000:01:00.0 #2 bar0 mem64 0x00000000fe900000 size 0x4000");
	assert_int_equal(n, (int)strlen(buf));
	assert_int_equal(pci_dev_describe(vf, buf, 10), 9);
	assert_string_equal(buf, "0000:01:0");
}

static void group_lines_are_cut_when_long(void **state)
{
	(void)state;
	/* 128 conventional functions behind one PCIe-to-PCI bridge: one group of 129. */
	topo_port(S(0, 1, 0), 7, 1, 1);
	for (u8 dev = 0; dev < 32; dev++)
		for (u8 fn = 0; fn < 4; fn++)
			fake_pci_add(S(1, dev, fn), 0x8086, 0x100e, CLASS_ETH, fn ? 0 : 0x80);

	assert_int_equal(pci_scan(), 129);
	const char *g = topo_line("group 1:");
	assert_true(strncmp(g, "c0 INFO pci: group 1: 0000:00:01.0 0000:01:00.0 0000:01:00.1 ", 61) == 0);
	assert_true(strlen(g) < LOG_LINE_MAX);
	assert_string_equal(g + strlen(g) - 4, " ...");
	assert_string_equal(topo_line("functions"),
		"c0 INFO pci: 129 functions (0 VFs), 1 bridges, 1 isolation groups");
}

static void remove_vfs_drops_only_that_pfs_vfs(void **state)
{
	(void)state;
	fake_pci_add(S(0, 1, 0), 0x8086, 0x10c9, CLASS_ETH, 0);
	fake_pci_add(S(0, 2, 0), 0x8086, 0x10c9, CLASS_ETH, 0);
	assert_int_equal(pci_scan(), 2);
	struct pci_dev *a = pci_dev_at(0), *b = pci_dev_at(1);
	for (u32 i = 0; i < 4; i++) {
		struct pci_dev *vf = pci_dev_add(S(0x10, 0, i));
		vf->kind = PCI_KIND_VF;
		vf->pf = (i & 1) ? b : a;
	}
	assert_int_equal(pci_dev_remove_vfs(a), 2);
	assert_int_equal(pci_nr_devs(), 4);
	assert_int_equal(pci_dev_at(2)->sbdf, S(0x10, 0, 1));
	assert_int_equal(pci_dev_at(3)->sbdf, S(0x10, 0, 3));
	assert_ptr_equal(pci_dev_at(3)->pf, b);
}

/* lspci's names: the subclass's where pci.ids has one, else the base class's, else none. */
static void class_names_are_lspcis(void **state)
{
	static const struct { u32 class; const char *name; } want[] = {
		{ 0x010802, "Non-Volatile memory controller" }, { 0x020000, "Ethernet controller" },
		{ 0x060000, "Host bridge" }, { 0x0c0500, "SMBus" }, { 0x00ff00, "Unclassified device" },
		{ 0x010601, "SATA controller" }, { 0x018000, "Mass storage controller" },
		{ 0x130000, "Non-Essential Instrumentation" }, { 0xff0000, "Unassigned class" },
		{ 0x140000, NULL }, { 0x400000, NULL },
	};
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		const char *got = pci_class_name(want[i].class);
		if (want[i].name)
			assert_string_equal(got, want[i].name);
		else
			assert_null(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(scan_walks_root_port_switch_and_endpoints_depth_first, setup),
		cmocka_unit_test_setup(scan_finds_edu_and_sizes_bar0, setup),
		cmocka_unit_test_setup(scan_reads_functions_1_to_7_only_of_multifunction_devices, setup),
		cmocka_unit_test_setup(scan_below_a_port_looks_at_device_0_only, setup),
		cmocka_unit_test_setup(scan_skips_vendor_ffff_and_0000, setup),
		cmocka_unit_test_setup(scan_covers_every_host_bridge, setup),
		cmocka_unit_test_setup(host_bridges_must_not_overlap, setup),
		cmocka_unit_test_setup(root_bus_no_bridge_leads_to_is_found_by_the_ecam_scan, setup),
		cmocka_unit_test_setup(buses_a_bridge_leads_to_are_not_probed_again, setup),
		cmocka_unit_test_setup(bridge_with_bad_bus_numbers_keeps_its_buses_from_the_ecam_scan, setup),
		cmocka_unit_test_setup(without_mcfg_the_steps_are_named_for_port_cf8, setup),
		cmocka_unit_test_setup(root_bus_outside_mcfg_is_found_through_the_dmar, setup),
		cmocka_unit_test_setup(dmar_bus_that_holds_nothing_is_said, setup),
		cmocka_unit_test_setup(root_buses_past_the_table_are_counted_in_one_warning, setup),
		cmocka_unit_test_setup(root_buses_of_several_segments_are_found_segment_by_segment, setup),
		cmocka_unit_test_setup(ari_below_a_forwarding_port_follows_next_function_numbers, setup),
		cmocka_unit_test_setup(ari_is_not_used_when_the_port_cannot_forward, setup),
		cmocka_unit_test_setup(ari_chain_that_does_not_climb_is_cut, setup),
		cmocka_unit_test_setup(caps_are_recorded_in_list_order_with_their_registers, setup),
		cmocka_unit_test_setup(broken_cap_lists_are_cut_with_one_warning, setup),
		cmocka_unit_test_setup(bars_are_sized_with_decoding_off_and_command_restored, setup),
		cmocka_unit_test_setup(command_is_not_written_when_decoding_is_off, setup),
		cmocka_unit_test_setup(host_bridge_keeps_decoding_while_sized, setup),
		cmocka_unit_test_setup(io_bar_of_a_16_bit_decoder_is_sized, setup),
		cmocka_unit_test_setup(bars_that_do_not_size_get_one_warning_each, setup),
		cmocka_unit_test_setup(bar_64_bit_in_the_last_slot_is_refused, setup),
		cmocka_unit_test_setup(bar_probe_sizes_a_bar_anywhere_in_config_space, setup),
		cmocka_unit_test_setup(bridge_windows_are_decoded, setup),
		cmocka_unit_test_setup(missing_optional_windows_are_probed_and_left_zero, setup),
		cmocka_unit_test_setup(bridges_with_bad_bus_numbers_are_not_descended, setup),
		cmocka_unit_test_setup(log_lines_of_root_port_pf_and_vf, setup),
		cmocka_unit_test_setup(group_lines_are_cut_when_long, setup),
		cmocka_unit_test_setup(remove_vfs_drops_only_that_pfs_vfs, setup),
		cmocka_unit_test(class_names_are_lspcis),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
