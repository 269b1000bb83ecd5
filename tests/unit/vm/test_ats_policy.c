/*
 * Host tests for vm/config/ats_policy.c: ATS only for a function the config
 * trusts, with the capability, with no conventional PCI between it and the
 * root complex, and where the DMAR says ATS works (an ATSR for its root
 * port, a SATC for an integrated function). Each refusal names its reason,
 * and the checks go in a fixed order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/config/ats_policy.h"
#include "pci/pci.h"
#include "iommu/dmar.h"
#include "kernel/err.h"

static struct dmar_info dmar;
static struct pci_dev rp, ep, bridge, behind, rc_ep, pf, vf;
static char why[160];

/* rp 00:02.0 -> ep 01:00.0 (ATS); bridge 00:04.0 (PCIe-to-PCI) -> behind 03:01.0; rc_ep 00:05.0 (ATS); pf 02:00.0 below rp too, vf 02:00.1. */
static int setup(void **state)
{
	(void)state;
	memset(&dmar, 0, sizeof(dmar));
	rp = (struct pci_dev){ .sbdf = PCI_SBDF(0, 0, 2, 0), .kind = PCI_KIND_ROOT_PORT };
	ep = (struct pci_dev){ .sbdf = PCI_SBDF(0, 1, 0, 0), .kind = PCI_KIND_ENDPOINT, .parent = &rp, .ecap_ats = 0x100 };
	bridge = (struct pci_dev){ .sbdf = PCI_SBDF(0, 0, 4, 0), .kind = PCI_KIND_PCIE_PCI_BRIDGE };
	behind = (struct pci_dev){ .sbdf = PCI_SBDF(0, 3, 1, 0), .kind = PCI_KIND_PCI, .parent = &bridge, .ecap_ats = 0x100 };
	rc_ep = (struct pci_dev){ .sbdf = PCI_SBDF(0, 0, 5, 0), .kind = PCI_KIND_RC_ENDPOINT, .ecap_ats = 0x100 };
	pf = (struct pci_dev){ .sbdf = PCI_SBDF(0, 1, 0, 0), .kind = PCI_KIND_ENDPOINT, .parent = &rp, .ecap_ats = 0x100 };
	vf = (struct pci_dev){ .sbdf = PCI_SBDF(0, 1, 0, 1), .kind = PCI_KIND_VF, .pf = &pf, .ecap_ats = 0x100 };
	memset(why, 0, sizeof(why));
	return 0;
}

static void atsr_all_ports(u16 seg)
{
	dmar.atsrs[dmar.nr_atsrs++] = (struct dmar_atsr){ .flags = DMAR_ATSR_ALL_PORTS, .segment = seg };
}

/* A resolved scope naming bdf exactly, in dmar.scopes; returns its index. */
static u16 scope(u8 type, u16 bdf)
{
	dmar.scopes[dmar.nr_scopes] = (struct dmar_scope){ .type = type, .res = DMAR_RES_FOUND, .bdf = bdf };
	return (u16)dmar.nr_scopes++;
}

static void trusted_function_below_an_atsr_port_gets_ats(void **state)
{
	(void)state;
	atsr_all_ports(0);
	assert_int_equal(ats_policy(&ep, &dmar, true, why, sizeof(why)), 0);
	/* An ATSR listing the root port itself (not ALL_PORTS) covers what is below it. */
	memset(&dmar, 0, sizeof(dmar));
	u16 k = scope(DMAR_SCOPE_BRIDGE, 0x0010);
	dmar.scopes[k].has_range = true;
	dmar.scopes[k].sec_bus = dmar.scopes[k].sub_bus = 1;
	dmar.atsrs[dmar.nr_atsrs++] = (struct dmar_atsr){ .segment = 0, .first_scope = k, .nr_scopes = 1 };
	assert_int_equal(ats_policy(&ep, &dmar, true, why, sizeof(why)), 0);
}

static void each_refusal_names_its_reason(void **state)
{
	(void)state;
	atsr_all_ports(0);
	assert_int_equal(ats_policy(&ep, &dmar, false, why, sizeof(why)), -HV_EPERM);
	assert_string_equal(why, "the config does not trust it with ATS (no ats=on)");
	assert_int_equal(ats_policy(&behind, &dmar, true, why, sizeof(why)), -HV_ENOTSUP);
	assert_string_equal(why, "it is behind the PCIe-to-PCI bridge 00:04.0 (conventional PCI carries no ATS)");
	ep.ecap_ats = 0;
	assert_int_equal(ats_policy(&ep, &dmar, true, why, sizeof(why)), -HV_ENOTSUP);
	assert_string_equal(why, "it has no ATS capability");
	ep.ecap_ats = 0x100;
	/* ATSR of another segment, a broken one, or none: no ATS below root ports. */
	memset(&dmar, 0, sizeof(dmar));
	atsr_all_ports(1);
	dmar.atsrs[dmar.nr_atsrs++] = (struct dmar_atsr){ .flags = DMAR_ATSR_ALL_PORTS, .segment = 0, .broken = true };
	assert_int_equal(ats_policy(&ep, &dmar, true, why, sizeof(why)), -HV_ENODEV);
	assert_string_equal(why, "its root port 00:02.0 is in no ATSR of segment 0");
	assert_int_equal(ats_policy(&ep, NULL, true, why, sizeof(why)), -HV_ENODEV);
}

static void the_first_thing_to_fix_is_the_reason_given(void **state)
{
	(void)state;
	/* Untrusted, behind a bridge, no capability, no ATSR: the config is named. */
	behind.ecap_ats = 0;
	assert_int_equal(ats_policy(&behind, &dmar, false, why, sizeof(why)), -HV_EPERM);
	/* Trusted: the bridge comes before the missing capability (conventional functions have none). */
	assert_int_equal(ats_policy(&behind, &dmar, true, why, sizeof(why)), -HV_ENOTSUP);
	assert_non_null(strstr(why, "PCIe-to-PCI bridge"));
}

static void integrated_functions_need_a_satc(void **state)
{
	(void)state;
	atsr_all_ports(0);              /* ALL_PORTS is about root ports, not integrated functions */
	assert_int_equal(ats_policy(&rc_ep, &dmar, true, why, sizeof(why)), -HV_ENODEV);
	assert_string_equal(why, "it is integrated (root bus) and no SATC of the DMAR lists it");
	u16 k = scope(DMAR_SCOPE_ENDPOINT, 0x0028);
	dmar.satcs[dmar.nr_satcs++] = (struct dmar_satc){ .segment = 0, .first_scope = k, .nr_scopes = 1 };
	assert_int_equal(ats_policy(&rc_ep, &dmar, true, why, sizeof(why)), 0);
	dmar.satcs[0].broken = true;
	assert_int_equal(ats_policy(&rc_ep, &dmar, true, why, sizeof(why)), -HV_ENODEV);
}

static void a_vf_goes_where_its_pf_goes(void **state)
{
	(void)state;
	atsr_all_ports(0);
	assert_int_equal(ats_policy(&vf, &dmar, true, why, sizeof(why)), 0);
	/* The VF's own capability is what it needs; the PF's path is what is checked. */
	vf.ecap_ats = 0;
	assert_int_equal(ats_policy(&vf, &dmar, true, why, sizeof(why)), -HV_ENOTSUP);
	vf.ecap_ats = 0x100;
	pf.parent = &bridge;
	assert_int_equal(ats_policy(&vf, &dmar, true, why, sizeof(why)), -HV_ENOTSUP);
	assert_non_null(strstr(why, "bridge 00:04.0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(trusted_function_below_an_atsr_port_gets_ats, setup),
		cmocka_unit_test_setup(each_refusal_names_its_reason, setup),
		cmocka_unit_test_setup(the_first_thing_to_fix_is_the_reason_given, setup),
		cmocka_unit_test_setup(integrated_functions_need_a_satc, setup),
		cmocka_unit_test_setup(a_vf_goes_where_its_pf_goes, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
