/*
 * Isolation between functions: ACS on ports (PCIe Base 6.3 §6.12, §7.7.11),
 * ARI Forwarding on ports (§6.13, §7.5.3.16), and isolation groups: the
 * smallest sets of functions the IOMMU can tell apart, computed with the
 * rules of Linux's IOMMU groups (pci_device_group). Egress control, ACS on
 * multi-function endpoints and DMA-alias quirks of real chips are not done.
 */
#define LOG_SUBSYS "pci"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "pci/pci_hw.h"
#include "pci/pcie_hw.h"
#include "pci/pci_internal.h"


/* What a port must do so functions below it cannot reach each other directly. */
#define ACS_REQUIRED    (ACS_SV | ACS_RR | ACS_CR | ACS_UF)

static bool is_port(const struct pci_dev *d)
{
	return d->kind == PCI_KIND_ROOT_PORT || d->kind == PCI_KIND_DOWNSTREAM;
}

bool pci_acs_lab_off;

void pci_acs_enable(struct pci_dev *d)
{
	if (!d->ecap_acs || !is_port(d))
		return;
	if (pci_acs_lab_off) {
		d->acs_ctrl = (u16)pci_cfg_read(d->sbdf, d->ecap_acs + ACS_CTRL, 2);
		log_warn(SBDF_FMT ": lab switch no-acs: ACS control left at 0x%04x; functions below are grouped with their neighbours",
			 SBDF_ARGS(d->sbdf), d->acs_ctrl);
		return;
	}
	u16 want = (u16)(d->acs_cap & ACS_REQUIRED);
	u16 old = (u16)pci_cfg_read(d->sbdf, d->ecap_acs + ACS_CTRL, 2);
	if ((old & want) != want)
		pci_cfg_write(d->sbdf, d->ecap_acs + ACS_CTRL, 2, old | want);
	d->acs_ctrl = (u16)pci_cfg_read(d->sbdf, d->ecap_acs + ACS_CTRL, 2);
	log_dbg(SBDF_FMT ": ACS cap 0x%04x control 0x%04x -> 0x%04x",
		SBDF_ARGS(d->sbdf), d->acs_cap, old, d->acs_ctrl);
	if ((d->acs_ctrl & want) != want)
		log_warn(SBDF_FMT ": ACS control keeps 0x%04x after 0x%04x was written; functions below are grouped together",
			 SBDF_ARGS(d->sbdf), d->acs_ctrl, old | want);
}

bool pci_ari_setup(struct pci_dev *port)
{
	if (!is_port(port) || !port->cap_pcie)
		return false;
	if (port->ari_forwarding)
		return true;            /* firmware turned it on */
	u16 cap = port->cap_pcie;
	if (FIELD_GET(PCIE_CAPS_VER, pci_cfg_read(port->sbdf, cap + PCIE_CAPS, 2)) < 2 ||
	    cap + PCIE_CAP_SIZE_V2 > PCI_CFG_LEGACY_SIZE ||
	    !(pci_cfg_read(port->sbdf, cap + PCIE_DEVCAP2, 4) & PCIE_DEVCAP2_ARI_FWD))
		return false;
	/* §6.13: worth it only when the device below is an ARI device. */
	u32 fn0 = PCI_SBDF(PCI_SEG(port->sbdf), port->sec_bus, 0, 0);
	u16 vendor = (u16)pci_cfg_read(fn0, PCI_VENDOR_ID, 2);
	if (vendor == 0xffff || vendor == 0 || !pci_ecap_find(fn0, PCI_ECAP_ID_ARI))
		return false;
	u16 ctl = (u16)pci_cfg_read(port->sbdf, cap + PCIE_DEVCTL2, 2);
	pci_cfg_write(port->sbdf, cap + PCIE_DEVCTL2, 2, ctl | PCIE_DEVCTL2_ARI_FWD);
	port->ari_forwarding = pci_cfg_read(port->sbdf, cap + PCIE_DEVCTL2, 2) & PCIE_DEVCTL2_ARI_FWD;
	log_dbg(SBDF_FMT ": ARI forwarding %s", SBDF_ARGS(port->sbdf),
		port->ari_forwarding ? "enabled" : "did not enable");
	return port->ari_forwarding;
}

/* ---- isolation groups ---- */

static bool acs_flags_enabled(const struct pci_dev *d)
{
	if (!d->ecap_acs)
		return false;
	/* A capability the function lacks is hardwired on or not applicable. */
	u16 want = (u16)(ACS_REQUIRED & d->acs_cap);
	return (d->acs_ctrl & want) == want;
}

/* Another non-VF function of the same device as d (same slot; the whole bus below ARI). */
static bool same_device(const struct pci_dev *a, const struct pci_dev *b)
{
	if (a == b || a->kind == PCI_KIND_VF || b->kind == PCI_KIND_VF ||
	    PCI_SEG(a->sbdf) != PCI_SEG(b->sbdf) || PCI_BUS(a->sbdf) != PCI_BUS(b->sbdf))
		return false;
	if (a->parent && a->parent->ari_forwarding)
		return true;
	return PCI_DEV(a->sbdf) == PCI_DEV(b->sbdf);
}

static bool has_sibling_function(const struct pci_dev *d)
{
	for (u32 i = 0; i < pci_nr_devs(); i++)
		if (same_device(d, pci_dev_at(i)))
			return true;
	return false;
}

static bool multifunction(const struct pci_dev *d)
{
	return d->kind != PCI_KIND_VF && (d->multifunction || has_sibling_function(d));
}

/*
 * Whether d keeps requests of functions below or beside it from going
 * peer-to-peer (Linux pci_acs_enabled): conventional PCI never does; ports
 * do when ACS has the required controls on; other PCIe functions do when
 * they are alone in their device, or have ACS with those controls on. VFs
 * are separate requesters and count as alone.
 */
static bool acs_isolates(const struct pci_dev *d)
{
	if (d->kind == PCI_KIND_VF)
		return true;
	if (!d->cap_pcie)
		return false;
	switch (d->kind) {
	case PCI_KIND_PCIE_PCI_BRIDGE:
	case PCI_KIND_PCI_PCIE_BRIDGE:
	case PCI_KIND_RC_EC:
		return false;
	case PCI_KIND_ROOT_PORT:
	case PCI_KIND_DOWNSTREAM:
		return acs_flags_enabled(d);
	case PCI_KIND_ENDPOINT:
	case PCI_KIND_LEGACY_ENDPOINT:
	case PCI_KIND_RC_ENDPOINT:
	case PCI_KIND_UPSTREAM:
		return multifunction(d) ? acs_flags_enabled(d) : true;
	default:
		return true;
	}
}

const struct pci_dev *pci_acs_path_breaker(const struct pci_dev *d)
{
	for (; d; d = d->parent)
		if (!acs_isolates(d))
			return d;
	return NULL;
}

/* Every bridge from d up to its root bus isolates (Linux pci_acs_path_enabled). */
static bool acs_path_isolates(const struct pci_dev *d)
{
	return !pci_acs_path_breaker(d);
}

/*
 * The function whose requester ID d's requests carry upstream: the
 * topmost bridge to conventional PCI above it (a PCIe-to-PCI bridge takes
 * ownership of the transactions it forwards), else d itself.
 */
static const struct pci_dev *dma_alias(const struct pci_dev *d)
{
	const struct pci_dev *a = d;

	for (const struct pci_dev *p = d->parent; p; p = p->parent)
		if (p->kind == PCI_KIND_PCIE_PCI_BRIDGE || p->kind == PCI_KIND_PCI_PCIE_BRIDGE ||
		    p->kind == PCI_KIND_PCI_BRIDGE)
			a = p;
	return a;
}

static u16 uf_parent[PCI_MAX_DEVS];

static u16 uf_find(u16 i)
{
	while (uf_parent[i] != i) {
		uf_parent[i] = uf_parent[uf_parent[i]];
		i = uf_parent[i];
	}
	return uf_parent[i];
}

static void uf_join(u16 a, u16 b)
{
	a = uf_find(a);
	b = uf_find(b);
	/* The smaller index stays the root, so groups number in table order. */
	if (a < b)
		uf_parent[b] = a;
	else
		uf_parent[a] = b;
}

static u16 index_of(const struct pci_dev *d)
{
	return (u16)(d - pci_dev_at(0));
}

/*
 * Linux's rules, as a union of sets:
 *  1. d joins its DMA alias (everything behind a PCIe-to-PCI bridge joins it);
 *  2. from there, while the bridge above does not isolate all the way to the
 *     root bus, move up to that bridge and join it;
 *  3. where that climb ends at a function of a multi-function device that
 *     does not isolate, join the other functions of the device that do not.
 */
int pci_groups_compute(void)
{
	u32 n = pci_nr_devs();
	int groups = 0;

	for (u32 i = 0; i < n; i++)
		uf_parent[i] = (u16)i;
	for (u32 i = 0; i < n; i++) {
		const struct pci_dev *d = pci_dev_at(i);
		const struct pci_dev *top = dma_alias(d);

		while (top->parent && !acs_path_isolates(top->parent))
			top = top->parent;
		uf_join((u16)i, index_of(top));
		if (!multifunction(top) || acs_isolates(top))
			continue;
		for (u32 j = 0; j < n; j++) {
			const struct pci_dev *o = pci_dev_at(j);
			if (same_device(top, o) && !acs_isolates(o))
				uf_join((u16)i, (u16)j);
		}
	}
	for (u32 i = 0; i < n; i++) {
		u16 root = uf_find((u16)i);
		if (root == i)
			pci_dev_at(i)->group = (u32)++groups;
	}
	for (u32 i = 0; i < n; i++)
		pci_dev_at(i)->group = pci_dev_at(uf_find((u16)i))->group;
	return groups;
}
