/*
 * Who may use ATS (issue 7). A function with ATS caches translations in
 * its own Address Translation Cache and may then send requests marked
 * "translated", which the IOMMU passes without looking at its tables
 * again. So ATS goes only to a function the config trusts, and only where
 * the platform says ATS works (the DMAR's ATSR for functions below root
 * ports, its SATC for integrated ones) and nothing between the function and
 * the root complex drops ATS (a PCIe-to-PCI bridge: conventional PCI has no
 * translated requests). The IOMMU side (ECAP.DT, an invalidation queue) is
 * the IOMMU driver's check: iommu_ops.set_ats.
 */
#ifndef VM_ATS_POLICY_H
#define VM_ATS_POLICY_H
#include "kernel/types.h"

struct pci_dev;
struct dmar_info;

/*
 * 0 when d may use ATS as far as the config, the PCI path and the DMAR go;
 * else -HV_EPERM (not trusted: no ats=on), -HV_ENOTSUP (no capability,
 * behind a PCIe-to-PCI bridge) or -HV_ENODEV (no ATSR or SATC for it),
 * with the reason in why ("its root port 00:02.0 is in no ATSR of segment 0").
 * The checks go in that order (config, path, capability, DMAR), so the
 * reason is the first thing to fix.
 */
int ats_policy(const struct pci_dev *d, const struct dmar_info *dmar, bool trusted, char *why, size_t len);

#endif
