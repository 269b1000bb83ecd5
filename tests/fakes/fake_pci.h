/*
 * Fake PCI configuration space for host tests: functions built from code,
 * each a 4 KiB byte array with a write mask (bits software may change) and an
 * optional write hook for behaviour (SR-IOV creating VFs, ...). BAR sizing
 * works as on hardware: the address bits below the size are read-only zero,
 * so writing all-ones reads back the size mask. Absent functions read
 * all-ones and drop writes.
 */
#ifndef TESTS_FAKES_FAKE_PCI_H
#define TESTS_FAKES_FAKE_PCI_H
#include "kernel/types.h"
#include "kernel/hw/pci_cfg.h"

#define FAKE_PCI_MAX_FNS        512     /* pci/pci.h PCI_MAX_DEVS: a server capture may fill it */

#define FAKE_BAR_IO             0x1
#define FAKE_BAR_MEM64          0x4
#define FAKE_BAR_PREFETCH       0x8

struct fake_fn;
typedef void (*fake_pci_hook)(struct fake_fn *f, u16 off, u8 width, u32 val);

struct fake_fn {
	u32 sbdf;
	bool present;
	u8 cfg[4096];
	u8 wmask[4096];
	u16 next_cap;           /* where fake_pci_add_cap puts the next one */
	u16 last_cap;
	u16 next_ecap;
	u16 last_ecap;
	fake_pci_hook hook;     /* called after every write is applied */
	void *priv;
	unsigned writes;        /* config writes seen */
};

void fake_pci_reset(void);
/* What pci_cfg_size() answers for every function until the next reset: 4096 (ECAM, the default) or 256 (port 0xCF8). */
void fake_pci_set_cfg_size(u32 size);
/*
 * Adds a present function: vendor/device, class (base<<16|sub<<8|prog-if),
 * header type (bit 7 = multi-function). Command and, for type 1, bus number
 * and window registers are writable.
 */
struct fake_fn *fake_pci_add(u32 sbdf, u16 vendor, u16 device, u32 class, u8 hdr_type);
struct fake_fn *fake_pci_find(u32 sbdf);
/* Marks a function absent (it keeps its storage for reuse). */
void fake_pci_remove(u32 sbdf);

/* Raw access that bypasses the write mask (building fixtures, hardware behaviour). */
void fake_pci_w8(struct fake_fn *f, u16 off, u8 v);
void fake_pci_w16(struct fake_fn *f, u16 off, u16 v);
void fake_pci_w32(struct fake_fn *f, u16 off, u32 v);
u8 fake_pci_r8(const struct fake_fn *f, u16 off);
u16 fake_pci_r16(const struct fake_fn *f, u16 off);
u32 fake_pci_r32(const struct fake_fn *f, u16 off);
/* Makes bits of [off, off+width) writable by software. */
void fake_pci_set_wmask(struct fake_fn *f, u16 off, u8 width, u32 mask);

/*
 * BAR i (type 0: 0-5; type 1: 0-1) decoding size bytes (a power of two) at
 * addr; flags FAKE_BAR_*. A 64-bit BAR also takes BAR i+1. size 0 leaves
 * the BAR unimplemented (reads 0, not writable).
 */
void fake_pci_set_bar(struct fake_fn *f, int i, u64 addr, u64 size, u32 flags);
/* Type 1: primary, secondary and subordinate bus numbers. */
void fake_pci_set_bus(struct fake_fn *f, u8 pri, u8 sec, u8 sub);
/*
 * Appends a legacy capability of len bytes (offsets from 0x40 up, linked
 * in order); returns its offset. Sets Status.Capabilities List.
 */
u16 fake_pci_add_cap(struct fake_fn *f, u8 id, u8 len);
/* Appends an extended capability (offsets from 0x100 up); returns its offset. */
u16 fake_pci_add_ecap(struct fake_fn *f, u16 id, u8 ver, u16 len);
/*
 * Adds a PCIe capability (id 0x10, 0x3c bytes) with the given device/port
 * type (§7.5.3.2: 0 endpoint, 4 root port, 5 upstream, 6 downstream,
 * 7 PCIe-to-PCI bridge, 8 PCI-to-PCIe bridge, 9 RC endpoint); returns its offset.
 */
u16 fake_pci_add_pcie(struct fake_fn *f, u8 port_type);

#endif
