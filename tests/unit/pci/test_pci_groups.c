/* ACS enabling on ports and isolation groups (Linux IOMMU group rules). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "pci/pci_internal.h"
#include "tests/unit/pci/pci_topo.h"

#define ACS_ALL         0x005f  /* SV TB RR CR UF DT, as QEMU's root ports */
#define ACS_ON          0x001d  /* SV RR CR UF */

static int setup(void **state)
{
	(void)state;
	topo_reset();
	return 0;
}

static u32 group_of(u32 sbdf)
{
	struct pci_dev *d = pci_find(sbdf);
	assert_non_null(d);
	return d->group;
}

/* Root port 00:01.0, switch 01:00.0 with downstream 02:00.0 and 02:01.0, endpoints 03:00.0, 04:00.0. */
static void build_switch(bool rp_acs, bool dn1_acs, bool dn2_acs)
{
	struct fake_fn *rp = topo_port(S(0, 1, 0), 4, 1, 4);
	struct fake_fn *up = topo_port(S(1, 0, 0), 5, 2, 4);
	struct fake_fn *dn1 = topo_port(S(2, 0, 0), 6, 3, 3);
	struct fake_fn *dn2 = topo_port(S(2, 1, 0), 6, 4, 4);
	(void)up;
	if (rp_acs)
		topo_acs(rp, ACS_ALL, 0);
	if (dn1_acs)
		topo_acs(dn1, ACS_ALL, 0);
	if (dn2_acs)
		topo_acs(dn2, ACS_ALL, 0);
	topo_ep(S(3, 0, 0), 0x8086, 0x10d3, 0);
	topo_ep(S(4, 0, 0), 0x8086, 0x10d3, 0);
}

static void acs_is_enabled_on_root_and_downstream_ports_only(void **state)
{
	(void)state;
	struct fake_fn *rp = topo_port(S(0, 1, 0), 4, 1, 3);
	u16 rp_acs = topo_acs(rp, ACS_ALL, 0);
	struct fake_fn *up = topo_port(S(1, 0, 0), 5, 2, 3);
	u16 up_acs = topo_acs(up, ACS_ALL, 0);
	struct fake_fn *dn = topo_port(S(2, 0, 0), 6, 3, 3);
	u16 dn_acs = topo_acs(dn, 0x0005, 0);           /* SV and RR only */
	struct fake_fn *ep = topo_ep(S(3, 0, 0), 0x8086, 0x10d3, 0);
	u16 ep_acs = topo_acs(ep, ACS_ALL, 0);

	assert_int_equal(pci_scan(), 4);
	assert_int_equal(fake_pci_r16(rp, rp_acs + 6), ACS_ON);  /* TB and DT left off */
	assert_int_equal(fake_pci_r16(dn, dn_acs + 6), 0x0005);
	assert_int_equal(fake_pci_r16(up, up_acs + 6), 0);
	assert_int_equal(fake_pci_r16(ep, ep_acs + 6), 0);
	assert_int_equal(pci_find(S(0, 1, 0))->acs_ctrl, ACS_ON);
	assert_int_equal(pci_find(S(2, 0, 0))->acs_ctrl, 0x0005);
}

static void acs_enabling_is_logged_at_debug(void **state)
{
	(void)state;
	log_set_levels("info,pci:debug");
	topo_acs(topo_port(S(0, 1, 0), 4, 1, 1), ACS_ALL, 0x0001);
	assert_int_equal(pci_scan(), 1);
	assert_string_equal(topo_line("ACS cap"),
		"c0 DBG  pci: 0000:00:01.0: ACS cap 0x005f control 0x0001 -> 0x001d");
}

static void acs_control_that_does_not_stick_is_reported(void **state)
{
	(void)state;
	struct fake_fn *rp = topo_port(S(0, 1, 0), 4, 1, 1);
	u16 acs = topo_acs(rp, ACS_ALL, 0);
	fake_pci_set_wmask(rp, acs + 6, 2, 0);
	topo_ep(S(1, 0, 0), 0x8086, 0x10d3, 0);

	assert_int_equal(pci_scan(), 2);
	assert_string_equal(topo_line("WARN"),
		"c0 WARN pci: 0000:00:01.0: ACS control keeps 0x0000 after 0x001d was written; functions below are grouped together");
	assert_int_equal(group_of(S(1, 0, 0)), group_of(S(0, 1, 0)));
}

static void acs_on_every_port_gives_each_function_its_own_group(void **state)
{
	(void)state;
	build_switch(true, true, true);
	assert_int_equal(pci_scan(), 6);
	for (u32 i = 0; i < pci_nr_devs(); i++)
		assert_int_equal(pci_dev_at(i)->group, i + 1);
	assert_string_equal(topo_line("functions"),
		"c0 INFO pci: 6 functions (0 VFs), 4 bridges, 6 isolation groups");
	assert_string_equal(topo_line("group 5:"), "c0 INFO pci: group 5: 0000:02:01.0");
}

static void root_port_without_acs_takes_everything_below_into_its_group(void **state)
{
	(void)state;
	build_switch(false, true, true);
	assert_int_equal(pci_scan(), 6);
	for (u32 i = 0; i < pci_nr_devs(); i++)
		assert_int_equal(pci_dev_at(i)->group, 1);
	assert_string_equal(topo_line("group 1:"),
		"c0 INFO pci: group 1: 0000:00:01.0 0000:01:00.0 0000:02:00.0 0000:03:00.0 0000:02:01.0 0000:04:00.0");
}

static void downstream_port_without_acs_shares_with_its_endpoint(void **state)
{
	(void)state;
	build_switch(true, false, true);
	assert_int_equal(pci_scan(), 6);
	assert_int_equal(group_of(S(3, 0, 0)), group_of(S(2, 0, 0)));
	assert_int_not_equal(group_of(S(4, 0, 0)), group_of(S(2, 1, 0)));
	assert_int_not_equal(group_of(S(2, 0, 0)), group_of(S(1, 0, 0)));
	assert_int_not_equal(group_of(S(1, 0, 0)), group_of(S(0, 1, 0)));
	assert_string_equal(topo_line("functions"),
		"c0 INFO pci: 6 functions (0 VFs), 4 bridges, 5 isolation groups");
}

static void multifunction_endpoint_without_acs_is_one_group(void **state)
{
	(void)state;
	topo_acs(topo_port(S(0, 1, 0), 4, 1, 1), ACS_ALL, 0);
	topo_ep(S(1, 0, 0), 0x8086, 0x1000, 0x80);
	topo_ep(S(1, 0, 1), 0x8086, 0x1001, 0);
	topo_acs(topo_port(S(0, 2, 0), 4, 2, 2), ACS_ALL, 0);
	topo_acs(topo_ep(S(2, 0, 0), 0x8086, 0x1000, 0x80), ACS_ALL, ACS_ON);
	topo_acs(topo_ep(S(2, 0, 1), 0x8086, 0x1001, 0), ACS_ALL, ACS_ON);

	assert_int_equal(pci_scan(), 6);
	assert_int_equal(group_of(S(1, 0, 0)), group_of(S(1, 0, 1)));
	assert_int_not_equal(group_of(S(1, 0, 0)), group_of(S(0, 1, 0)));
	assert_int_not_equal(group_of(S(2, 0, 0)), group_of(S(2, 0, 1)));
	assert_string_equal(topo_line("group 2:"), "c0 INFO pci: group 2: 0000:01:00.0 0000:01:00.1");
}

static void multifunction_acs_needs_the_controls_on(void **state)
{
	(void)state;
	/* ACS present but its controls off: the functions can still talk. */
	topo_acs(topo_port(S(0, 1, 0), 4, 1, 1), ACS_ALL, 0);
	topo_acs(topo_ep(S(1, 0, 0), 0x8086, 0x1000, 0x80), ACS_ALL, 0);
	topo_acs(topo_ep(S(1, 0, 1), 0x8086, 0x1001, 0), ACS_ALL, 0);
	assert_int_equal(pci_scan(), 3);
	assert_int_equal(group_of(S(1, 0, 0)), group_of(S(1, 0, 1)));
}

static void conventional_devices_behind_a_pcie_to_pci_bridge_share_its_group(void **state)
{
	(void)state;
	topo_acs(topo_port(S(0, 1, 0), 4, 1, 2), ACS_ALL, 0);
	topo_port(S(1, 0, 0), 7, 2, 2);                 /* PCIe-to-PCI bridge */
	fake_pci_add(S(2, 1, 0), 0x8086, 0x100e, CLASS_ETH, 0);
	fake_pci_add(S(2, 2, 0), 0x8086, 0x100e, CLASS_ETH, 0);
	fake_pci_add(S(2, 3, 0), 0x8086, 0x100e, CLASS_ETH, 0);
	fake_pci_add(S(0, 3, 0), 0x1234, 0x11e8, 0x00ff00, 0);

	assert_int_equal(pci_scan(), 6);
	assert_int_equal(pci_find(S(1, 0, 0))->kind, PCI_KIND_PCIE_PCI_BRIDGE);
	assert_string_equal(topo_line("group 2:"),
		"c0 INFO pci: group 2: 0000:01:00.0 0000:02:01.0 0000:02:02.0 0000:02:03.0");
	assert_int_equal(group_of(S(0, 3, 0)), 3);
}

static void root_complex_devices_have_their_own_groups_unless_multifunction(void **state)
{
	(void)state;
	fake_pci_add(S(0, 0, 0), 0x8086, 0x29c0, CLASS_HOST, 0);
	struct fake_fn *rc = fake_pci_add(S(0, 2, 0), 0x8086, 0x1234, CLASS_ETH, 0);
	fake_pci_add_pcie(rc, 9);                       /* RC integrated endpoint */
	fake_pci_add(S(0, 3, 0), 0x1234, 0x11e8, 0x00ff00, 0);
	fake_pci_add(S(0, 0x1f, 0), 0x8086, 0x2918, 0x060100, 0x80);
	fake_pci_add(S(0, 0x1f, 2), 0x8086, 0x2922, 0x010601, 0);
	fake_pci_add(S(0, 0x1f, 3), 0x8086, 0x2930, 0x0c0500, 0);

	assert_int_equal(pci_scan(), 6);
	assert_int_equal(pci_find(S(0, 2, 0))->kind, PCI_KIND_RC_ENDPOINT);
	assert_int_equal(group_of(S(0, 0, 0)), 1);
	assert_int_equal(group_of(S(0, 2, 0)), 2);
	assert_int_equal(group_of(S(0, 3, 0)), 3);
	assert_string_equal(topo_line("group 4:"),
		"c0 INFO pci: group 4: 0000:00:1f.0 0000:00:1f.2 0000:00:1f.3");
}

static struct pci_dev *add_vf(struct pci_dev *pf, u32 sbdf, u16 index)
{
	struct pci_dev *vf = pci_dev_add(sbdf);
	assert_non_null(vf);
	vf->kind = PCI_KIND_VF;
	vf->vendor = pf->vendor;
	vf->device = 0x10ca;
	vf->pf = pf;
	vf->parent = pf->parent;
	vf->vf_index = index;
	return vf;
}

static void vfs_get_their_own_groups_below_acs(void **state)
{
	(void)state;
	/* A multi-function PF without ACS shares with its sibling, not with its VFs. */
	topo_acs(topo_port(S(0, 1, 0), 4, 1, 1), ACS_ALL, 0);
	topo_ep(S(1, 0, 0), 0x8086, 0x10c9, 0x80);
	topo_ep(S(1, 0, 1), 0x8086, 0x10c9, 0);
	assert_int_equal(pci_scan(), 3);
	struct pci_dev *pf = pci_find(S(1, 0, 0));
	add_vf(pf, S(1, 0x10, 0), 1);
	add_vf(pf, S(1, 0x10, 2), 2);

	assert_int_equal(pci_groups_compute(), 4);
	assert_int_equal(group_of(S(1, 0, 0)), group_of(S(1, 0, 1)));
	assert_int_equal(group_of(S(1, 0x10, 0)), 3);
	assert_int_equal(group_of(S(1, 0x10, 2)), 4);
	fake_log_capture();
	pci_log_groups();
	assert_string_equal(topo_line("functions"),
		"c0 INFO pci: 5 functions (2 VFs), 1 bridges, 4 isolation groups");
}

static void vfs_join_the_group_of_a_port_without_acs(void **state)
{
	(void)state;
	topo_port(S(0, 1, 0), 4, 1, 1);
	topo_ep(S(1, 0, 0), 0x8086, 0x10c9, 0);
	assert_int_equal(pci_scan(), 2);
	add_vf(pci_find(S(1, 0, 0)), S(1, 0x10, 0), 1);
	assert_int_equal(pci_groups_compute(), 1);
	assert_int_equal(group_of(S(1, 0x10, 0)), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(acs_is_enabled_on_root_and_downstream_ports_only, setup),
		cmocka_unit_test_setup(acs_enabling_is_logged_at_debug, setup),
		cmocka_unit_test_setup(acs_control_that_does_not_stick_is_reported, setup),
		cmocka_unit_test_setup(acs_on_every_port_gives_each_function_its_own_group, setup),
		cmocka_unit_test_setup(root_port_without_acs_takes_everything_below_into_its_group, setup),
		cmocka_unit_test_setup(downstream_port_without_acs_shares_with_its_endpoint, setup),
		cmocka_unit_test_setup(multifunction_endpoint_without_acs_is_one_group, setup),
		cmocka_unit_test_setup(multifunction_acs_needs_the_controls_on, setup),
		cmocka_unit_test_setup(conventional_devices_behind_a_pcie_to_pci_bridge_share_its_group, setup),
		cmocka_unit_test_setup(root_complex_devices_have_their_own_groups_unless_multifunction, setup),
		cmocka_unit_test_setup(vfs_get_their_own_groups_below_acs, setup),
		cmocka_unit_test_setup(vfs_join_the_group_of_a_port_without_acs, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
