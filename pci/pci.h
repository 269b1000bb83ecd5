/*
 * The PCIe hierarchy as Sluice owns it: every function found by the bus
 * scan (and every VF Sluice creates), with its BARs, bridge windows,
 * capabilities and isolation group. Portable core: config space only through
 * kernel/hw/pci_cfg.h, so all of pci/ runs on the host against a fake.
 */
#ifndef PCI_PCI_H
#define PCI_PCI_H
#include "kernel/types.h"
#include "kernel/hw/pci_cfg.h"
#include "pci/pci_hw.h"

#define PCI_MAX_DEVS            512
#define PCI_MAX_HOST_BRIDGES    16
#define PCI_MAX_ROOT_BUSES      64
#define PCI_MAX_SCOPE_BUSES     64
#define PCI_NR_BARS             6
#define PCI_MAX_CAP_IDS         24

enum pci_kind {
	PCI_KIND_PCI = 0,               /* conventional type 0, no PCIe capability */
	PCI_KIND_PCI_BRIDGE,            /* conventional type 1, no PCIe capability */
	PCI_KIND_ENDPOINT,              /* PCIe port types, §7.5.3.2 */
	PCI_KIND_LEGACY_ENDPOINT,
	PCI_KIND_RC_ENDPOINT,
	PCI_KIND_RC_EC,
	PCI_KIND_ROOT_PORT,
	PCI_KIND_UPSTREAM,
	PCI_KIND_DOWNSTREAM,
	PCI_KIND_PCIE_PCI_BRIDGE,
	PCI_KIND_PCI_PCIE_BRIDGE,
	PCI_KIND_VF,                    /* created by Sluice through its PF */
};

enum pci_bar_type { PCI_BAR_NONE = 0, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
	u64 addr;
	u64 size;               /* 0: not implemented */
	u8 type;                /* enum pci_bar_type; a MEM64 BAR uses two slots, the upper is NONE */
	bool prefetch;
};

struct pci_window {
	u64 base, limit;        /* limit inclusive; base > limit: window closed */
	bool is64;              /* prefetchable window with 64-bit addressing */
};

struct pci_sriov {
	u16 cap;                /* extended capability offset; 0 = no SR-IOV */
	u16 total_vfs, initial_vfs, num_vfs;
	u16 offset, stride, vf_device;
	u32 sup_page_sizes, page_size;
	struct pci_bar vf_bars[PCI_NR_BARS];    /* size per VF; addr = VF 1's */
	bool enabled;           /* VF Enable is set */
};

struct pci_dev {
	u32 sbdf;
	u16 vendor, device;     /* for a VF: the PF's vendor and VF Device ID */
	u32 class;              /* base << 16 | sub << 8 | prog-if */
	u8 hdr_type;            /* header layout, bits 6:0 */
	bool multifunction;
	enum pci_kind kind;
	struct pci_dev *parent; /* upstream bridge; NULL on a host bridge's root bus */

	/* type 1 headers */
	u8 pri_bus, sec_bus, sub_bus;
	struct pci_window io_win, mem_win, pref_win;

	struct pci_bar bars[PCI_NR_BARS];

	/* capability offsets, 0 = absent */
	u16 cap_pm, cap_msi, cap_msix, cap_pcie;
	u16 ecap_aer, ecap_acs, ecap_ari, ecap_ats, ecap_sriov, ecap_pri, ecap_pasid;
	u16 cap_ids[PCI_MAX_CAP_IDS];   /* every legacy cap ID in list order */
	u8 nr_cap_ids;
	u16 ecap_ids[PCI_MAX_CAP_IDS];  /* every extended cap ID in list order */
	u8 nr_ecap_ids;
	bool caps_broken;               /* a list was cut (loop, bad pointer) */

	bool ari_forwarding;            /* downstream/root port: ARI Forwarding Enable */
	u16 acs_cap, acs_ctrl;
	u8 ats_qdepth;                  /* 0 means 32, as the spec encodes it */
	bool ats_page_aligned;
	struct pci_sriov sriov;

	struct pci_dev *pf;             /* VFs only */
	u16 vf_index;                   /* VFs: 1..NumVFs */
	u32 group;                      /* isolation group, from 1 */
	/*
	 * Set by the driver that provisioned the function (vm/part/vf_setup.c for
	 * an NVMe VF), else NULL: after a reset, checks the function kept
	 * nothing and says what it saw in what. 0, or -HV_EIO.
	 */
	int (*reset_check)(const struct pci_dev *d, char *what, size_t len);
};

/* Forgets every function and host bridge (tests; boot calls it once). */
void pci_reset(void);
/*
 * Registers a host bridge range: a segment and the buses its config space
 * covers (one per MCFG entry). Its first bus is a root bus; pci_scan()
 * looks for more in the range. 0, -HV_EINVAL (end below start),
 * -HV_EEXIST (overlaps a range of the segment) or -HV_ENOMEM.
 */
int pci_add_host_bridge(u16 seg, u8 bus_start, u8 bus_end);
/*
 * Registers a bus a device scope of the DMAR starts from (a root-bus
 * candidate for pci_scan(); duplicates are ignored). 0 or -HV_ENOMEM past
 * PCI_MAX_SCOPE_BUSES.
 */
int pci_add_scope_bus(u16 seg, u8 bus);
struct acpi_info;
/* One host bridge per MCFG entry of acpi (ERR for one refused); without MCFG, segment 0 buses 0-0xff. */
void pci_add_host_bridges(const struct acpi_info *acpi);
/*
 * pci_add_scope_bus() for each of sb[0..n) (PCI_SBDF(seg, bus, 0, 0), as
 * dmar_scope_start_buses() gives them, which may count past the array: sb
 * holds PCI_MAX_SCOPE_BUSES, and a WARN says the rest are left out).
 */
void pci_add_scope_buses(const u32 *sb, u32 n);
/*
 * Finds every root bus (docs/architecture.md, "Root buses") and
 * enumerates each depth-first following the bus numbers firmware
 * assigned, sizes BARs, reads windows and capabilities, enables ACS where
 * present, computes isolation groups and logs everything: one line per
 * root bus and how it was found, then one per function.
 * Returns the number of functions found, or a negative HV_E*.
 */
int pci_scan(void);
/*
 * Set by vm/main.c for the lab switch lab=no-acs (docs/labs/): pci_scan()
 * leaves every port's ACS Control as firmware left it, one WARN per port,
 * so the isolation groups come out as on a machine without ACS.
 */
extern bool pci_acs_lab_off;
struct pci_dev *pci_find(u32 sbdf);
u32 pci_nr_devs(void);
struct pci_dev *pci_dev_at(u32 i);
/* "endpoint", "root-port", ... "vf": the KIND word of the log line. */
const char *pci_kind_name(enum pci_kind k);
/* lspci's name for class (base << 16 | sub << 8 | prog-if), or NULL for a class it has no name for. */
const char *pci_class_name(u32 class);
/* Formats the log line of one function after "pci: " into buf; returns its length. */
int pci_dev_describe(const struct pci_dev *d, char *buf, size_t size);
/* Logs one line per isolation group, then the summary (again after VFs came or went). */
void pci_log_groups(void);
/* How many isolation groups the functions form (groups number from 1). */
u32 pci_nr_groups(void);
/*
 * The first bridge from d up to its root bus that does not isolate what
 * is below it (ACS Source Validation, Request and Completion Redirect and
 * Upstream Forwarding, as the isolation groups use them), or NULL when
 * every one does. Functions below such a bridge share its group.
 */
const struct pci_dev *pci_acs_path_breaker(const struct pci_dev *d);

/*
 * Bus mastering off (PCI Local Bus 6.2.2, Command bit 2): the function can
 * start no more DMA. A function that reads all-ones (gone) is left alone.
 */
static inline void pci_bus_master_off(u32 sbdf)
{
	u32 cmd = pci_cfg_read(sbdf, PCI_COMMAND, 2);
	if (cmd != 0xffff)
		pci_cfg_write(sbdf, PCI_COMMAND, 2, cmd & ~(u32)PCI_COMMAND_MASTER);
}

/* Bus address space Sluice may hand out when firmware left no room (VF BARs). */
int pci_space_add(u64 base, u64 size, bool above_4g);

/*
 * The routing ID of VF n (1-based) from a First VF Offset and VF Stride
 * (SR-IOV §9.3.3.10-11), possibly past 0xffff: then it does not exist.
 */
static inline u32 sriov_vf_rid(const struct pci_dev *pf, u16 offset, u16 stride, u32 n)
{
	return PCI_RID(pf->sbdf) + offset + (n - 1) * (u32)stride;
}

/* VF n's segment/bus/dev/fn by the PF's offset and stride as last read (pf->sriov). */
static inline u32 sriov_vf_sbdf(const struct pci_dev *pf, u32 n)
{
	return PCI_SBDF(PCI_SEG(pf->sbdf), 0, 0, 0) |
	       (sriov_vf_rid(pf, pf->sriov.offset, pf->sriov.stride, n) & 0xffff);
}

/*
 * SR-IOV, PF side: enable num_vfs VFs (placing their BARs, reassigning
 * bridge windows when needed), or disable them. Each VF becomes a pci_dev
 * of kind PCI_KIND_VF. Returns 0 or a negative HV_E*; logs once.
 */
int sriov_vf_enable(struct pci_dev *pf, u16 num_vfs);
/*
 * Function Level Reset (PCIe §6.6.2): Initiate FLR, then the 100 ms the
 * function may take. The function forgets its state (bus mastering, queues,
 * DMA in flight). Returns 0 or -HV_ENOTSUP (no PCIe capability or no FLR).
 */
int pci_flr(const struct pci_dev *d);
/*
 * pci_flr, then d->reset_check when set. what gets the outcome for a log
 * line ("reset (FLR)", "reset (FLR): <check>", or why not). 0: reset (and
 * checked clean); -HV_ENOTSUP: no FLR; -HV_EIO: the check found state left.
 */
int pci_reset_function(const struct pci_dev *d, char *what, size_t len);
int sriov_vf_disable(struct pci_dev *pf);
/* Applies "[SSSS:]BB:DD.F:N[,...]" (the sriov= command-line word). */
int sriov_apply_spec(const char *spec);

/* ATS on one function: STU is log2(smallest translation unit / 4096). */
int ats_enable(struct pci_dev *d, u8 stu);
int ats_disable(struct pci_dev *d);
/* Whether ATS Enable is set in d's ATS capability (false without one). */
bool ats_enabled(const struct pci_dev *d);

#endif
