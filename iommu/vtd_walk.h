/*
 * A software VT-d walk (legacy mode): what the unit does with one
 * untranslated request from a source-id to an address, root entry ->
 * context entry -> second-stage tables, step by step, ending in a host
 * address or the fault reason the unit would record. Reads memory through
 * phys_to_virt only; used by host tests, the console and tools.
 */
#ifndef IOMMU_VTD_WALK_H
#define IOMMU_VTD_WALK_H
#include "kernel/types.h"
#include "iommu/vtd_hw.h"

/* What the walked unit supports; it decides AW, TT and reserved-bit checks. */
struct vtd_walk_caps {
	u32 sagaw;              /* CAP.SAGAW field value: bit n = AW n */
	u32 sllps;              /* CAP.SLLPS: VTD_SLLPS_2M, VTD_SLLPS_1G (vtd_pagetable.h) */
	unsigned mgaw;          /* CAP.MGAW + 1, in bits */
	unsigned haw;           /* host address width in bits (DMAR HAW + 1), 32-52 */
	bool sc;                /* ECAP.SC: SNP allowed in second-stage entries */
	bool dt;                /* ECAP.DT: TT = 01 allowed */
	bool pt;                /* ECAP.PT: TT = 10 allowed */
	bool tm;                /* TM allowed in leaves (ECAP.DT; QEMU 10 also wants stale-tm=on) */
};
/* A unit with everything rev 4.x legacy mode offers, 52-bit HAW, 57-bit MGAW. */
extern const struct vtd_walk_caps vtd_walk_caps_any;

enum vtd_walk_kind { VTD_WALK_ROOT, VTD_WALK_CTX, VTD_WALK_SSPT };

struct vtd_walk_step {
	u8 kind;                /* enum vtd_walk_kind */
	u8 level;               /* second-stage level, 5..1 */
	u16 index;              /* bus, devfn or table index */
	u64 table_pa;           /* the table the entry was read from */
	u64 lo, hi;             /* raw entry (hi: root and context entries only) */
};

#define VTD_WALK_STEPS_MAX      7       /* root, context, up to 5 levels */

struct vtd_walk_result {
	u32 sbdf;
	u64 iova;
	bool write;
	unsigned nr_steps;
	struct vtd_walk_step step[VTD_WALK_STEPS_MAX];
	u8 reason;              /* VTD_FR_NONE: translated; else the fault reason */
	bool fpd;               /* context entry's FPD: a qualified fault is not recorded */
	u16 did;                /* from a present context entry */
	u8 aw, tt;
	u64 hpa;                /* when translated */
	u64 page_size;          /* of the leaf used (4 KiB for pass-through) */
	bool r, w;              /* permissions ANDed along the walk */
	bool snp;               /* the leaf's SNP */
};

/*
 * Walks a request from sbdf (the segment is ignored: one root table per
 * unit) to iova through the root table at root_table_pa, as a unit with
 * caps would, and fills *r. Checks follow the unit's order (QEMU's, which
 * tests run against): root P, root reserved bits, context P, context
 * reserved bits, AW, TT, address width, then per level the permission
 * needed and the reserved bits. A table the walk cannot read gives the
 * spec's "access" reasons (8, 9; 3 for the top table, 7 below). Returns 0
 * (a fault is a result, in r->reason) or -HV_EINVAL (caps out of range).
 */
int vtd_walk_with(const struct vtd_walk_caps *caps, u64 root_table_pa, u32 sbdf, u64 iova,
		  bool write, struct vtd_walk_result *r);
/* vtd_walk_with(&vtd_walk_caps_any, ...). */
int vtd_walk(u64 root_table_pa, u32 sbdf, u64 iova, bool write, struct vtd_walk_result *r);
/* Logs r under subsystem "walk" at INFO: the request, one line per step, the result. */
void vtd_walk_log(const struct vtd_walk_result *r);

#endif
