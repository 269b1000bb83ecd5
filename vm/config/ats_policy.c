/* ATS policy (vm/config/ats_policy.h). Spec: VT-d 4.1 §8.4 (ATSR), §8.8 (SATC); PCIe 6.3 §10.5.1. */
#include "vm/config/ats_policy.h"
#include "pci/pci.h"
#include "iommu/dmar.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "vm/config/partition_cfg.h"

int ats_policy(const struct pci_dev *d, const struct dmar_info *dmar, bool trusted, char *why, size_t len)
{
	/* A VF sits where its PF sits: the PF's path and root port are its own. */
	const struct pci_dev *f = d->kind == PCI_KIND_VF && d->pf ? d->pf : d;
	const struct pci_dev *root_port = NULL;

	if (!trusted) {
		fmt_snprintf(why, len, "the config does not trust it with ATS (no ats=on)");
		return -HV_EPERM;
	}
	for (const struct pci_dev *p = f->parent; p; p = p->parent) {
		if (p->kind == PCI_KIND_PCIE_PCI_BRIDGE || p->kind == PCI_KIND_PCI_BRIDGE) {
			fmt_snprintf(why, len, "it is behind the %s " BDF_FMT " (conventional PCI carries no ATS)",
				     p->kind == PCI_KIND_PCIE_PCI_BRIDGE ? "PCIe-to-PCI bridge" : "PCI bridge",
				     BDF_ARGS(p->sbdf));
			return -HV_ENOTSUP;
		}
		root_port = p;
	}
	if (!d->ecap_ats) {
		fmt_snprintf(why, len, "it has no ATS capability");
		return -HV_ENOTSUP;
	}
	if (!root_port) {
		/* Integrated (on a root bus): only a SATC says ATS works for it. */
		if (!dmar_satc_for(dmar, f->sbdf)) {
			fmt_snprintf(why, len, "it is integrated (root bus) and no SATC of the DMAR lists it");
			return -HV_ENODEV;
		}
		return 0;
	}
	if (!dmar_atsr_covers(dmar, f->sbdf)) {
		fmt_snprintf(why, len, "its root port " BDF_FMT " is in no ATSR of segment %u", BDF_ARGS(root_port->sbdf),
			     PCI_SEG(f->sbdf));
		return -HV_ENODEV;
	}
	return 0;
}
