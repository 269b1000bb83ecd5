/*
 * One VT-d remapping unit (a DRHD): its registers, what CAP/ECAP say it
 * can do, and the global command protocol. Bring-up leaves a unit with a
 * root table set, invalidation ready and faults drained, translation off;
 * vtd_unit_enable() turns translation on.
 */
#ifndef IOMMU_VTD_UNIT_H
#define IOMMU_VTD_UNIT_H
#include "kernel/types.h"
#include "iommu/vtd_qi.h"
#include "iommu/vtd_hw.h"

#define VTD_UNIT_NAME_LEN       8
/* Every wait on a unit's registers or queue; hardware answers in microseconds. */
#define VTD_HW_TIMEOUT_US       50000
#define VTD_FAULT_SOURCES       8       /* source IDs tracked for rate limiting */
#define VTD_FAULT_BURST         4       /* lines per source per window */
#define VTD_FAULT_DRAIN_ROUNDS  8       /* FSTS re-reads per fault event (vtd_unit_drain_faults) */
#define VTD_FAULT_WINDOW_NS     1000000000ULL

struct io_region;
struct vtd_root_entry;

/* CAP and ECAP in plain numbers (§11.4.2, §11.4.3). */
struct vtd_caps {
	u32 nd_domains;                 /* 2^(4 + 2*ND) domain IDs */
	u8 sagaw;                       /* SAGAW bits: 1 = 39-bit, 2 = 48-bit, 3 = 57-bit */
	u8 mgaw;                        /* maximum guest address width, bits */
	u8 sllps;                       /* bit 0: 2 MiB, bit 1: 1 GiB */
	u8 mamv;
	u32 fro;                        /* byte offset of fault recording register 0 */
	u32 nfr;                        /* number of fault recording registers */
	u32 iro;                        /* byte offset of the IOTLB registers (IVA) */
	u8 mhmv;
	bool cm, rwbf, plmr, phmr, afl, zlr, psi, drd, dwd;
	bool c, qi, dt, ir, eim, pt, sc, smts, dit;
};

/* Repeated faults from one source ID within a window are counted, not logged. */
struct vtd_fault_source {
	bool used;
	u16 sid;
	u32 logged;
	u32 suppressed;
	u64 window_ns;                  /* start of the current window */
};

struct vtd_unit {
	char name[VTD_UNIT_NAME_LEN];   /* "vtd0": also its log subsystem */
	u16 segment;
	u64 reg_pa;
	struct io_region *regs;
	u32 ver;
	u64 cap, ecap;
	struct vtd_caps caps;
	unsigned levels;                /* second-stage depth used: 3 or 4 (vtd_pt_agaw) */
	bool up;                        /* brought up; false: left off */
	bool te;                        /* translation enabled by Sluice */
	/* Root table (iommu/vtd_context.c). */
	u64 root_pa;
	struct vtd_root_entry *root;
	struct vtd_qi qi;
	/*
	 * Interrupt remapping (iommu/vtd_ir.c). cpus_x2apic is an input, set
	 * between probe and bring-up: the CPUs' local APICs run in x2APIC
	 * mode, so IRTEs should carry x2APIC IDs where ECAP.EIM allows.
	 */
	bool cpus_x2apic;
	bool ir;                        /* remapping on: GSTS.IRES confirmed */
	bool eime;                      /* IRTA.EIME set: x2APIC destinations */
	u64 irt_pa;                     /* the interrupt remapping table */
	struct vtd_irte *irt;
	u32 irt_entries;
	struct spinlock irt_lock;       /* IRTE allocation: partitions program MSIs from their own CPUs */
	/* Faults. */
	u64 faults;                     /* records drained */
	u64 ir_faults;                  /* of which interrupt remapping faults (0x20-0x27) */
	u64 overflows;                  /* PFO seen */
	struct vtd_fault_source fsrc[VTD_FAULT_SOURCES];
};

/*
 * Who a faulting source ID belongs to, for the log and the counters. Every
 * fault counts in *counter; an interrupt remapping fault (reason
 * 0x20-0x27) counts in *ir_counter as well.
 */
struct vtd_fault_owner {
	const char *name;               /* NULL: no domain */
	u64 *counter;                   /* NULL: nothing to count */
	u64 *ir_counter;                /* NULL: interrupt faults not counted apart */
	u64 *logged, *suppressed;       /* of those counted: logged, or suppressed by the rate limit (NULL: none) */
};
typedef void (*vtd_fault_owner_fn)(struct vtd_unit *u, u16 sid, struct vtd_fault_owner *o);

void vtd_caps_decode(u64 cap, u64 ecap, struct vtd_caps *c);
/*
 * Returns NULL when Sluice can drive a unit with these capabilities, or the
 * reason it cannot, in words for the log.
 */
const char *vtd_caps_refusal(const struct vtd_caps *c);
/* "sagaw=39,48 mgaw=48 nd=65536 ...": CAP decoded, into buf; returns length. */
int vtd_caps_format_cap(char *buf, size_t size, const struct vtd_caps *c);
int vtd_caps_format_ecap(char *buf, size_t size, const struct vtd_caps *c);

/*
 * Maps the unit's registers, reads VER/CAP/ECAP and logs them (raw, then one
 * decoded line each), and checks the unit is usable. Returns 0, -HV_ENODEV
 * (not mappable, reads all-ones) or -HV_ENOTSUP (refused, with the reason
 * logged). Changes no register.
 */
int vtd_unit_probe(struct vtd_unit *u, unsigned index, u16 segment, u64 reg_pa);
/*
 * Takes the unit from whatever firmware left to: translation and queued
 * invalidation off, protected memory off, fault events masked, old faults
 * drained, root table set (SRTP), invalidation ready (QIE when ECAP.QI),
 * caches invalidated globally, then interrupt remapping on where ECAP.IR
 * (vtd_ir_enable: an empty table, so every remappable interrupt is blocked,
 * and CFI clear). Returns 0 or the first error (the unit is then left off,
 * u->up false).
 */
int vtd_unit_bringup(struct vtd_unit *u, vtd_fault_owner_fn owner);
/* Turns translation on (GCMD.TE, confirmed in GSTS.TES). */
int vtd_unit_enable(struct vtd_unit *u);
/*
 * Sets (on) or clears one GCMD bit, written from the current GSTS with the
 * one-shot bits dropped, and waits for its GSTS bit: the same value for TE,
 * QIE, IRE; set for SRTP, SIRTP; clear for WBF. Returns 0 or -HV_ETIMEDOUT
 * (logged). cmd must be a single bit; CFI is refused (Sluice never allows
 * compatibility-format interrupts) and never written back.
 */
int vtd_unit_gcmd(struct vtd_unit *u, u32 cmd, bool on);
/* Flushes the write buffer when CAP.RWBF asks for it; 0 or -HV_ETIMEDOUT. */
int vtd_unit_flush_write_buffer(struct vtd_unit *u);
/* Writes [va, va+len) back to memory when the unit's walks are not coherent. */
void vtd_unit_flush(const struct vtd_unit *u, const void *va, size_t len);

/*
 * Drains the fault recording registers (iommu/vtd_fault_irq.c): one log
 * line per fault (rate-limited per source ID), F cleared, PFO cleared and
 * logged. owner names the domain of a source ID and counts against it.
 * Returns the number of records drained.
 */
unsigned vtd_unit_drain_faults(struct vtd_unit *u, vtd_fault_owner_fn owner);
/* Logs the count of suppressed faults of every source whose window ended. */
void vtd_unit_fault_summary(struct vtd_unit *u, bool all);

#endif
