/* Function Level Reset (pci/pci.h pci_flr). Spec: PCIe Base 6.3 §6.6.2, §7.5.3.3-4. */
#include "pci/pci.h"
#include "pci/pcie_hw.h"
#include "kernel/err.h"
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
