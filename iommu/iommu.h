/*
 * The IOMMU as the rest of Sluice sees it: DMA domains (one per Sluice
 * domain or partition), each a GPA/IOVA -> HPA map, and the devices attached
 * to them. VT-d implements it now (iommu/vtd_*.c); AMD-Vi could later, behind
 * the same ops table, as bhyve's iommu_ops_intel/amd.
 */
#ifndef IOMMU_IOMMU_H
#define IOMMU_IOMMU_H
#include "kernel/types.h"

#define IOMMU_READ              BIT_ULL(0)
#define IOMMU_WRITE             BIT_ULL(1)
#define IOMMU_NAME_LEN          32

struct iommu_domain;            /* opaque; owned by the implementation */
struct dmar_info;               /* iommu/dmar.h */

/* What device-TLB invalidations of one ATS function need. */
struct iommu_ats {
	u16 pfsid;                      /* the PF's source ID for a VF, else its own */
	u8 qdepth;                      /* ATS Invalidate Queue Depth as a count, 1-32 */
};

/* One range of IOVAs, for iommu_ops.unmap_ranges. */
struct iommu_range {
	u64 iova, size;
};

/* Where the IOMMU keeps its own structures for one device (0: none), for the attack tests. */
struct iommu_tables {
	u64 root_pa;                    /* the unit's root table (4 KiB) */
	u64 context_pa;                 /* the context table holding the device's entry (4 KiB) */
	u64 top_pa;                     /* the top-level table of its domain's address translation (4 KiB) */
};

/* One unit's interrupt remapping table, for checksums (iommu_ops.intr_table). */
struct iommu_intr_table {
	char unit[8];                   /* "vtd0" */
	bool on;                        /* remapping on; false: no table (pa, size 0) */
	u64 pa, size;                   /* the table in host memory, bytes */
	u32 entries;
	u64 faults;                     /* interrupt remapping faults the unit recorded, owned or not */
};

/* One remapping unit as the machine map shows it (iommu_ops.unit_info). */
struct iommu_unit_info {
	char name[8];                   /* "vtd0" */
	u16 segment;
	u64 base;                       /* its register block */
	bool up;                        /* brought up; false: left off */
	bool translation;               /* DMA translation enabled */
};

/* A fault as it was logged (iommu_fault_logged): what the machine map needs of it. */
struct iommu_fault_note {
	const char *unit;               /* "vtd0" */
	u32 sbdf;                       /* the requester */
	bool interrupt;                 /* an interrupt request (index), else a DMA request (addr, write) */
	bool write;
	u64 addr;                       /* the DMA address, or the interrupt index */
	u8 reason;
	const char *why;                /* the reason in the specification's words (NULL: none known) */
	const char *owner;              /* the domain its source ID is attached to, NULL: none */
};

/*
 * A device's message, as iommu_ops.intr_alloc programs it: the requester
 * the entry accepts (the function's routing ID, or for a function behind
 * a PCIe-to-PCI bridge any requester on buses bus_first..bus_last), and
 * what the device must be given to raise it.
 */
struct iommu_intr_src {
	u32 sbdf;
	bool bus_range;
	u8 bus_first, bus_last;
};
struct iommu_msi_msg {
	u64 addr;                       /* MSI address (remappable format) */
	u32 data;                       /* MSI data */
	u32 handle;                     /* the entry, for intr_free */
};

struct iommu_ops {
	const char *name;                                       /* "vt-d" */
	/* Brings up every usable remapping unit described by the parsed DMAR. */
	int (*init)(const struct dmar_info *dmar);
	struct iommu_domain *(*domain_create)(const char *name);
	/* Maps [iova, iova+size) to [hpa, ...) with IOMMU_READ/WRITE; page-aligned. */
	int (*map)(struct iommu_domain *d, u64 iova, u64 hpa, u64 size, u32 prot);
	int (*unmap)(struct iommu_domain *d, u64 iova, u64 size);
	/*
	 * Unmaps n ranges, then runs one invalidation sequence for all of
	 * them (the smallest block covering them, IOTLB then device-TLBs,
	 * one wait per unit). Every range is tried; 0 or the first error.
	 */
	int (*unmap_ranges)(struct iommu_domain *d, const struct iommu_range *r, unsigned n);
	/* Gives the device (segment/bus/dev/fn) a context entry in d. */
	int (*attach)(struct iommu_domain *d, u32 sbdf);
	int (*detach)(struct iommu_domain *d, u32 sbdf);
	/*
	 * Device-TLB for an attached device (ats non-NULL) or none (NULL): the
	 * unit must support it (ECAP.DT, an invalidation queue); its context
	 * entry then takes translation requests, and every later change to
	 * d's mappings invalidates the device's ATC too. Call before setting
	 * ATS Enable in the device, and after clearing it. 0, or -HV_ENOTSUP
	 * with the reason in why, -HV_ENOENT (not attached to d) or an
	 * invalidation error.
	 */
	int (*set_ats)(struct iommu_domain *d, u32 sbdf, const struct iommu_ats *ats, char *why, size_t len);
	/* How long a device may take to answer a device-TLB invalidation (microseconds). */
	void (*set_devtlb_timeout)(u32 us);
	/*
	 * The CPUs run their local APICs in x2APIC mode (on) or xAPIC mode:
	 * interrupt remapping tables then address x2APIC IDs where the unit
	 * allows it. Call before init; xAPIC until called.
	 */
	void (*set_cpu_x2apic)(bool on);
	/*
	 * Unit i's interrupt remapping table into *t (t->on false where the
	 * unit has none). 0, or -HV_ENOENT past the last unit: loop from 0.
	 */
	int (*intr_table)(unsigned i, struct iommu_intr_table *t);
	/*
	 * An interrupt remapping entry for src (a device attached to d) that
	 * delivers vector to the CPU with APIC ID apic_id, and in *msg the
	 * message the device is to send. 0, -HV_ENOENT (not attached to d),
	 * -HV_ENOTSUP (no remapping at its unit), -HV_ENOMEM (table full),
	 * -HV_ERANGE/-HV_EINVAL (destination or vector), or an invalidation error.
	 */
	int (*intr_alloc)(struct iommu_domain *d, const struct iommu_intr_src *src, u32 apic_id, u8 vector,
			  struct iommu_msi_msg *msg);
	/* Clears and frees the entry intr_alloc gave src (handle). 0 or -HV_ENOENT, or an invalidation error. */
	int (*intr_free)(struct iommu_domain *d, const struct iommu_intr_src *src, u32 handle);
	/* Turns translation on for every unit (after the domains are set up). */
	int (*enable)(void);
	/* Drains and logs pending fault records (also the fault interrupt's work); from any CPU. */
	void (*poll_faults)(void);
	/*
	 * Sends every unit's fault events to vector on the CPU with APIC ID
	 * apic_id and unmasks them; fault_event() is then the interrupt's handler.
	 */
	int (*route_faults)(u8 vector, u32 apic_id);
	void (*fault_event)(void *arg);
	/* Logs each unit's invalidation counters, one line per unit. */
	void (*log_counters)(void);
	/*
	 * Logs each unit as it stands (the operator's `units`): address,
	 * capabilities, translation and interrupt remapping read from GSTS,
	 * fault and invalidation counters. Reads only; from the boot CPU.
	 */
	void (*log_units)(void);
	/* Logs the software walk of a request from sbdf to iova, one line per step. */
	int (*walk)(u32 sbdf, u64 iova, bool write);
	/* Fills *t for the unit and context entry of sbdf; 0 or -HV_ENODEV. */
	int (*tables)(u32 sbdf, struct iommu_tables *t);
	/* Unit i into *u; 0, or -HV_ENOENT past the last unit: loop from 0. */
	int (*unit_info)(unsigned i, struct iommu_unit_info *u);
	/* The index of the unit that translates sbdf's requests, or -HV_ENODEV. */
	int (*unit_index)(u32 sbdf);
};

extern const struct iommu_ops vtd_iommu_ops;

/*
 * Faults counted against a domain since it was created: every fault of a
 * source ID attached to it, DMA or interrupt; the second counts the
 * interrupt remapping faults (reasons 0x20-0x27) among them.
 */
u64 iommu_domain_faults(const struct iommu_domain *d);
u64 iommu_domain_ir_faults(const struct iommu_domain *d);
/* Of those faults, how many were logged and how many the log's rate limit suppressed. */
void iommu_domain_fault_counts(const struct iommu_domain *d, u64 *logged, u64 *suppressed);
/*
 * Called for every fault drained whose source ID is attached to a domain
 * (the fault interrupt or a poll, on the boot CPU), with the requester as
 * segment << 16 | source ID. NULL: none (vm/part/limits.c sets it).
 */
extern void (*iommu_fault_sink)(struct iommu_domain *d, u32 sbdf);
/*
 * Called for every fault logged (not for those the rate limit suppressed),
 * after its ERR line, on the CPU that drained it. NULL: none (vm/main.c
 * sets it to the machine map's, vm/part/map.h).
 */
extern void (*iommu_fault_logged)(const struct iommu_fault_note *n);
/*
 * The map changes made to a domain and the invalidation work they took,
 * by kind: [0] maps, [1] unmaps (an unmap_ranges call is one change). A
 * batch is one submit to a unit's queue, ended by its wait descriptor.
 */
struct iommu_change_counts {
	u64 changes[2];
	u64 batches[2];
	u64 descriptors[2];             /* in those batches, their waits included */
	u64 wb_flushes[2];              /* write-buffer flushes instead (CAP.RWBF, no caching mode) */
};
void iommu_domain_change_counts(const struct iommu_domain *d, struct iommu_change_counts *c);
/* Table pages d's translation holds now (every depth it keeps a table for), roots included. */
u64 iommu_domain_table_pages(const struct iommu_domain *d);
/* The invalidations run for d, as one line (vtd_inv_stats_format); "" when none. */
void iommu_domain_inv_format(const struct iommu_domain *d, char *buf, size_t len);

#endif
