/*
 * Host tests for pci/pci_flr.c: Initiate FLR is written to Device Control
 * only when Device Capabilities says the function has FLR, followed by the
 * 100 ms the spec gives the function (PCIe 6.3 §6.6.2).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "pci/pci.h"
#include "pci/pcie_hw.h"
#include "kernel/err.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_pci.h"

#define VF      PCI_SBDF(0, 1, 0, 1)

/* A fresh VF (IDs all-ones, as a VF reads) with a PCIe capability whose Device Control is writable. */
static struct fake_fn *vf_fn(u16 *cap)
{
	fake_pci_reset();
	fake_hw_reset();
	fake_time_step_ns = 1000;
	struct fake_fn *f = fake_pci_add(VF, 0xffff, 0xffff, 0x010802, 0);
	*cap = fake_pci_add_pcie(f, 0);
	fake_pci_set_wmask(f, *cap + PCIE_DEVCTL, 2, 0xffff);
	return f;
}

static void flr_only_where_the_function_has_it(void **state)
{
	(void)state;
	u16 cap;
	struct fake_fn *f = vf_fn(&cap);
	struct pci_dev d = { .sbdf = VF, .cap_pcie = cap };

	assert_int_equal(pci_flr(&d), -HV_ENOTSUP);
	assert_int_equal(fake_pci_r16(f, cap + PCIE_DEVCTL) & PCIE_DEVCTL_FLR, 0);
	fake_pci_w32(f, cap + PCIE_DEVCAP, (u32)PCIE_DEVCAP_FLR);
	fake_pci_w16(f, cap + PCIE_DEVCTL, 0x2810);     /* other Device Control bits are kept */
	u64 t0 = fake_time_ns;
	assert_int_equal(pci_flr(&d), 0);
	assert_int_equal(fake_pci_r16(f, cap + PCIE_DEVCTL), 0x2810 | PCIE_DEVCTL_FLR);
	assert_true(fake_time_ns - t0 >= 100000000ULL);     /* 100 ms waited */
	struct pci_dev none = { .sbdf = VF, .cap_pcie = 0 };
	assert_int_equal(pci_flr(&none), -HV_ENOTSUP);
}

static int checks;
static int check_result;

static int fake_check(const struct pci_dev *d, char *what, size_t len)
{
	(void)d;
	checks++;
	snprintf(what, len, "%s", check_result ? "queue left" : "clean");
	return check_result;
}

/* pci_reset_function: FLR first, the driver's check only after an FLR, and its verdict in the line. */
static void reset_function_runs_the_drivers_check_after_flr(void **state)
{
	char what[128];
	(void)state;
	u16 cap;
	struct fake_fn *f = vf_fn(&cap);
	struct pci_dev d = { .sbdf = VF, .cap_pcie = cap, .reset_check = fake_check };

	checks = 0;
	assert_int_equal(pci_reset_function(&d, what, sizeof(what)), -HV_ENOTSUP);
	assert_string_equal(what, "has no FLR capability: not reset");
	assert_int_equal(checks, 0);                    /* nothing to check without a reset */

	fake_pci_w32(f, cap + PCIE_DEVCAP, (u32)PCIE_DEVCAP_FLR);
	check_result = 0;
	assert_int_equal(pci_reset_function(&d, what, sizeof(what)), 0);
	assert_string_equal(what, "reset (FLR): clean");
	assert_int_equal(checks, 1);
	assert_true(fake_pci_r16(f, cap + PCIE_DEVCTL) & PCIE_DEVCTL_FLR);

	check_result = -HV_EIO;
	assert_int_equal(pci_reset_function(&d, what, sizeof(what)), -HV_EIO);
	assert_string_equal(what, "reset (FLR), but queue left");
	assert_int_equal(checks, 2);

	d.reset_check = NULL;
	assert_int_equal(pci_reset_function(&d, what, sizeof(what)), 0);
	assert_string_equal(what, "reset (FLR)");
	assert_int_equal(checks, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flr_only_where_the_function_has_it),
		cmocka_unit_test(reset_function_runs_the_drivers_check_after_flr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
