/*
 * A partition's view of PCI configuration space: only its own functions
 * exist (others read as all-ones, writes dropped), at their host BDFs.
 * Reads come from the real function with what must stay hidden masked;
 * writes are filtered:
 *  - BARs (and the expansion ROM BAR) are read-only: the guest sees the
 *    addresses Sluice mapped at the same GPAs; a sizing write (all ones) is
 *    emulated so the next read returns the size mask, and any other write
 *    restores the address;
 *  - command register: only I/O space, memory space and bus master pass;
 *  - the capability lists are rewritten so MSI-X, SR-IOV and any
 *    capability it does not know are skipped (hidden); known harmless ones
 *    (PCI Express, power management, ...) are shown read-only; MSI is
 *    shown and virtualized when the partition gives interrupt ops
 *    (vpci_irq_ops), hidden otherwise;
 *  - everything else in the header (status, BIST, cache line, latency,
 *    interrupt line) is read-only or ignored.
 * Reached from the guest through ports 0xCF8/0xCFC (vpci_port_*) and a
 * virtual ECAM window (vpci_ecam_*). Portable: real config space through
 * pci_cfg_read/pci_cfg_write.
 */
#ifndef VM_VPCI_H
#define VM_VPCI_H
#include "kernel/types.h"

#define VPCI_MAX_DEVS           16
#define VPCI_NR_BARS            6
#define VPCI_ROM                6       /* bar_sizing bit of the expansion ROM BAR */
#define VPCI_MAX_ECAPS          32      /* extended capabilities recorded per function */

/* cap_next[] entries: a capability starts at that dword, shown with this next pointer, or hidden. */
#define VPCI_CAP_SHOWN          0x8000
#define VPCI_CAP_HIDDEN         0x4000
#define VPCI_CAP_NEXT           0x0fff

struct vpci_ecap {
	u16 off;
	u16 next;               /* rewritten next pointer (shown ones) */
	bool shown;
};

/*
 * The guest's MSI capability (PCI Local Bus 3.0 §6.8.1), shown when the
 * partition gave vpci interrupt ops: the guest reads and writes this
 * shadow; the device holds what Sluice programmed (vm/dev/vpci_msi.c).
 */
struct vpci_msi {
	u16 cap;                /* offset of the capability, 0: none shown */
	u16 real_ctrl;          /* the device's Message Control at init (MMC, 64-bit, PVM) */
	u16 ctrl;               /* the guest's Message Control: Enable, MME */
	u32 addr_lo, addr_hi;
	u16 data;
	u32 mask;               /* the guest's Mask Bits (PVM only) */
	bool live;              /* the device is programmed: an entry and a host vector are the guest's */
	u8 gvec;                /* the guest vector live delivers */
	u32 cookie;             /* the partition's handle for it (vpci_irq_ops) */
	u64 refused;            /* enables refused (bad address, delivery mode or vector; no entry) */
};

/*
 * The guest's MSI-X capability and table (PCIe Base §7.7.2), shown when
 * the partition gave vpci interrupt ops: Enable and Function Mask, and up
 * to VPCI_MSIX_MAX entries, are a shadow (vm/dev/vpci_msix.c). The pages
 * holding the table are trapped: the partition leaves them out of the
 * guest's nested tables, maps them for Sluice in real, and hands the
 * guest's accesses to vpci_msix_mmio_*.
 */
#define VPCI_MSIX_MAX           32
struct vpci_msix_entry {
	u32 addr_lo, addr_hi, data, ctrl;       /* the guest's entry */
	bool live;              /* an IRTE and host vector are its, the device's entry is programmed */
	bool refused_told;      /* its refusal was logged since the guest last wrote it */
	u8 gvec;
	u32 cookie;
};
struct vpci_msix {
	u16 cap;                /* 0: none shown */
	u16 ctrl;               /* the guest's Enable and Function Mask */
	u16 real_nr, nr;        /* the device's table size, and the guest's (at most VPCI_MSIX_MAX) */
	u64 table_gpa;          /* the table (BARs sit at the same GPA and HPA) */
	u64 page_gpa, page_size;        /* the trapped pages holding it */
	struct io_region *real; /* those pages of the device, for Sluice; NULL: not trapped, nothing programmed */
	u64 refused;
	struct vpci_msix_entry e[VPCI_MSIX_MAX];
};

struct vpci_dev {
	u32 sbdf;
	u32 guest_sbdf;         /* where the guest finds it (sbdf unless vpci_place moved it) */
	/*
	 * A VF: its own Vendor and Device ID read all-ones and its BARs read
	 * zero (SR-IOV spec 9.3.4.1); the guest sees the PF's vendor, the VF
	 * Device ID and the BARs Sluice placed through the PF, as a function
	 * of its own.
	 */
	bool vf;
	u32 vf_ids;             /* vendor | device << 16 */
	u32 vf_bar[VPCI_NR_BARS];       /* BAR registers as the guest reads them */
	u32 bar_sizing;         /* bit n: BAR n was written all-ones, next read gives the size mask */
	volatile bool master_revoked;   /* bus mastering taken away (dma-fault-limit): the guest cannot set it again */
	u64 bar_size[VPCI_NR_BARS];     /* 0: unimplemented (or the upper half of a 64-bit BAR) */
	u32 bar_upper;          /* bit n: BAR n is the upper half of the 64-bit BAR n-1 */
	u32 rom_size;           /* expansion ROM BAR size, 0: none (sizing in bar_sizing bit VPCI_ROM) */
	/*
	 * The rewritten next pointers: cap_next[off/4] for a capability at off
	 * (VPCI_CAP_*), and cap_next[0x34/4] for the Capabilities Pointer itself.
	 */
	u16 cap_next[256 / 4];
	u16 ecap_first;         /* first shown extended capability (0 = none) */
	u32 nr_ecaps;
	struct vpci_ecap ecap[VPCI_MAX_ECAPS];  /* the real list, in order */
	struct vpci_msi msi;
	struct vpci_msix msix;
};

/*
 * What the partition does for a guest's MSI (vm/part/irq.c): enable finds
 * a host vector and an interrupt remapping entry that deliver guest
 * vector gvec of device sbdf to the partition, and returns the message
 * the device must send (remappable format) and a cookie; disable undoes
 * it. enable returns 0 or -HV_E* (the guest's MSI then stays off).
 */
struct vpci_irq_ops {
	int (*enable)(void *ctx, u32 sbdf, u8 gvec, u64 *addr, u32 *data, u32 *cookie);
	void (*disable)(void *ctx, u32 sbdf, u32 cookie);
};

struct vpci {
	u32 nr;
	struct vpci_dev dev[VPCI_MAX_DEVS];
	u32 cf8;                /* the address latch of port 0xCF8 */
	u64 ecam_gpa;           /* base of the virtual ECAM window (bus 0 at ecam_gpa) */
	u32 bus_end;            /* the window covers buses 0..bus_end */
	u64 denied_writes;      /* filtered writes, for counters */
	/* Set before vpci_init to show MSI capabilities (kept by vpci_init); NULL: MSI hidden. */
	const struct vpci_irq_ops *irq;
	void *irq_ctx;
};

/* MSI, in vm/dev/vpci_msi.c: the capability's size, the guest's view of dword dw, and a guest write. */
u32 vpci_msi_size(u16 real_ctrl);
u32 vpci_msi_read(const struct vpci_dev *d, u32 dw);
void vpci_msi_write(struct vpci *v, struct vpci_dev *d, u32 dw, u32 bmask, u32 val);
/* Turns every live MSI of v off (the partition stops): the device's enable first, then the entry. */
void vpci_msi_off(struct vpci *v);

/* MSI-X, in vm/dev/vpci_msix.c. bar_addr gives the address BAR bir decodes (vpci.c's view). */
void vpci_msix_locate(struct vpci_dev *d, u16 cap, u64 (*bar_addr)(const struct vpci_dev *d, u32 bir));
u32 vpci_msix_read(const struct vpci_dev *d, u32 dw);
void vpci_msix_write(struct vpci *v, struct vpci_dev *d, u32 dw, u32 bmask, u32 val);
/*
 * A guest access of size 1, 2, 4 or 8 at gpa in a trapped MSI-X page:
 * table entries from and to the shadow, anything else on the page to the
 * device. false when gpa is in no trapped page.
 */
bool vpci_msix_mmio_read(struct vpci *v, u64 gpa, u32 size, u64 *val);
/* Whether gpa is in a trapped MSI-X page of v. */
bool vpci_msix_trapped(const struct vpci *v, u64 gpa);
bool vpci_msix_mmio_write(struct vpci *v, u64 gpa, u32 size, u64 val);
/* Turns every enabled MSI-X of v off (the partition stops). */
void vpci_msix_off(struct vpci *v);

/* Builds the view of the functions sbdfs[0..n) (capability lists walked once). 0 or -HV_E*. */
int vpci_init(struct vpci *v, const u32 *sbdfs, u32 n, u64 ecam_gpa, u32 bus_end);

/* A VF's BAR as its PF's SR-IOV capability placed it. */
struct vpci_vf_bar {
	u64 addr, size;         /* size 0: not implemented */
	bool mem64, prefetch;
};
/* Adds VF sbdf to the view with the PF's vendor, the VF Device ID and its BARs. 0 or -HV_E*. */
int vpci_add_vf(struct vpci *v, u32 sbdf, u16 vendor, u16 device, const struct vpci_vf_bar bars[VPCI_NR_BARS]);
/*
 * Shows function sbdf to the guest at guest_sbdf instead of its own
 * address (config space through the ports and the ECAM window alike;
 * its BARs and its requester ID stay what they are). 0, -HV_ENOENT (no
 * such function in v) or -HV_EEXIST (another one is there).
 */
int vpci_place(struct vpci *v, u32 sbdf, u32 guest_sbdf);
/* Config read/write of width 1, 2 or 4 at offset (0-4095) of sbdf as the guest sees it. */
u32 vpci_read(struct vpci *v, u32 sbdf, u32 offset, u32 width);
void vpci_write(struct vpci *v, u32 sbdf, u32 offset, u32 width, u32 val);
/* From now on the guest's writes cannot set sbdf's Bus Master Enable (a write that tries is denied). */
void vpci_revoke_master(struct vpci *v, u32 sbdf);
/* Port access: 0xCF8 (4 bytes) and 0xCFC-0xCFF (1, 2, 4). false: not a port of the mechanism. */
bool vpci_port_in(struct vpci *v, u16 port, u32 size, u32 *val);
bool vpci_port_out(struct vpci *v, u16 port, u32 size, u32 val);
/* ECAM access at gpa: false when gpa is outside the window. */
bool vpci_ecam_read(struct vpci *v, u64 gpa, u32 size, u32 *val);
bool vpci_ecam_write(struct vpci *v, u64 gpa, u32 size, u32 val);

#endif
