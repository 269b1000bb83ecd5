/*
 * What the files of pci/ share beyond pci/pci.h: the function table, the
 * BAR and capability readers and the isolation groups, so SR-IOV can add
 * VFs the way enumeration adds functions. Not for code outside pci/.
 */
#ifndef PCI_PCI_INTERNAL_H
#define PCI_PCI_INTERNAL_H
#include "pci/pci.h"

/* ---- pci_enum.c: the function table ---- */

/*
 * Appends a zeroed pci_dev for sbdf (sbdf set, group 0) to the table and
 * returns it, or NULL when PCI_MAX_DEVS are taken. Pointers to entries stay
 * valid until pci_dev_remove_vfs() or pci_reset().
 */
struct pci_dev *pci_dev_add(u32 sbdf);
/*
 * Removes every VF whose pf is pf; later entries move down to close the
 * gap, so no pointer to a VF may be held across this call (nothing in
 * pci_dev points at a VF). Returns how many went. Group numbers are stale
 * until pci_groups_compute() runs again.
 */
u32 pci_dev_remove_vfs(const struct pci_dev *pf);
/*
 * The bus range of the root bus that holds bus: after pci_scan(), from
 * the root bus at or below it to the bus before the next root bus of the
 * segment (or the end of its range); before, the registered host bridge
 * range. 0 and *start, *end, or -HV_ENOENT. (The parent's range for a
 * function on a root bus, whose parent is NULL.)
 */
int pci_host_bridge_range(u16 seg, u8 bus, u8 *start, u8 *end);

/* ---- pci_bar.c: BARs and bridge windows ---- */

/*
 * Sizes the BAR at config offset off of sbdf, whose BAR array ends at end
 * (exclusive; a 64-bit BAR needs off + 8 <= end): writes all-ones, reads
 * the mask, writes the old value back. The caller has turned decoding off
 * (Command for BARs, VF Memory Space Enable for VF BARs). Fills *b
 * (size 0: not implemented) and *is64 (the BAR also takes off + 4).
 * Returns 0; or -HV_EIO (reads all-ones, or does not keep its value) or
 * -HV_EINVAL (reserved type, size mask with holes, 64-bit in the last
 * slot) after one WARN naming the function and offset, with *b zeroed.
 */
int pci_bar_probe(u32 sbdf, u16 off, u16 end, struct pci_bar *b, bool *is64);
/*
 * Fills d->bars: six for a type 0 header, two for type 1, with I/O and
 * memory decoding off while sizing (host bridges excepted) and Command
 * restored exactly afterwards. Never for VFs.
 */
void pci_bars_read(struct pci_dev *d);
/* Type 1: fills d->io_win, mem_win, pref_win (base > limit: closed or absent). */
void pci_windows_read(struct pci_dev *d);

/* ---- pci_cap.c: capability lists ---- */

/*
 * Walks the legacy list and, with 4 KiB of config space, the extended
 * list of d: fills the cap_* / ecap_* offsets (first of each ID), cap_ids,
 * ecap_ids, caps_broken, acs_cap/acs_ctrl, ats_qdepth/ats_page_aligned,
 * ari_forwarding (ports), and sriov.cap/total_vfs/offset/stride. A broken
 * list is cut with one WARN naming the function and offset. Works on VFs
 * (their IDs read all-ones, their lists do not).
 */
void pci_caps_read(struct pci_dev *d);
/* Offset of the first legacy / extended capability id of sbdf, 0 if none (quiet, bounded). */
u16 pci_cap_find(u32 sbdf, u8 id);
u16 pci_ecap_find(u32 sbdf, u16 id);
/* Device/Port Type of d's PCI Express capability, or -1 without one. */
int pci_pcie_type(const struct pci_dev *d);

/* ---- pci_acs.c: ACS, ARI forwarding, isolation groups ---- */

/* Root and downstream ports: enables SV, RR, CR, UF where ACS has them; stores acs_ctrl. */
void pci_acs_enable(struct pci_dev *d);
/*
 * Root and downstream ports: sets ARI Forwarding Enable when the port
 * supports it and function 0 below has an ARI capability. Returns whether
 * ARI forwarding is on (also in port->ari_forwarding).
 */
bool pci_ari_setup(struct pci_dev *port);
/*
 * Assigns every function in the table an isolation group (d->group, from
 * 1, numbered in table order) with Linux's IOMMU group rules; see
 * pci_acs.c. Run again after VFs come or go. Returns the number of groups.
 */
int pci_groups_compute(void);

#endif
