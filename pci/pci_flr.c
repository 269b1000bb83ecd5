/* Function Level Reset (pci/pci.h pci_flr). Spec: PCIe Base 6.3 §6.6.2, §7.5.3.3-4. */
#include "pci/pci.h"
#include "pci/pcie_hw.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/wait.h"
#include "kernel/hw/pci_cfg.h"

int pci_flr(const struct pci_dev *d)
{
	if (!d->cap_pcie || !(pci_cfg_read(d->sbdf, d->cap_pcie + PCIE_DEVCAP, 4) & PCIE_DEVCAP_FLR))
		return -HV_ENOTSUP;
	u32 ctl = pci_cfg_read(d->sbdf, d->cap_pcie + PCIE_DEVCTL, 2);
	pci_cfg_write(d->sbdf, d->cap_pcie + PCIE_DEVCTL, 2, ctl | PCIE_DEVCTL_FLR);
	udelay(PCIE_FLR_WAIT_US);
	return 0;
}

int pci_reset_function(const struct pci_dev *d, char *what, size_t len)
{
	char seen[96];

	if (pci_flr(d)) {
		fmt_snprintf(what, len, "has no FLR capability: not reset");
		return -HV_ENOTSUP;
	}
	if (!d->reset_check) {
		fmt_snprintf(what, len, "reset (FLR)");
		return 0;
	}
	int ret = d->reset_check(d, seen, sizeof(seen));
	fmt_snprintf(what, len, "reset (FLR)%s %s", ret ? ", but" : ":", seen);
	return ret ? -HV_EIO : 0;
}
