/*
 * Spec: Intel VT-d Architecture Specification (D51397), rev 4.x, chapter 8
 * "BIOS Considerations". The DMAR's remapping structures as bytes (offsets
 * and sizes: the table is packed and unaligned, read with get_le16/32/64)
 * and as Sluice keeps them after parsing: fixed arrays, no allocator.
 * The 48-byte header and its flags are in kernel/acpi_hw.h.
 */
#ifndef IOMMU_DMAR_H
#define IOMMU_DMAR_H
#include "kernel/types.h"
#include "kernel/acpi_hw.h"

/* §8.2 "Remapping Structure Types": each structure opens with type and length. */
#define DMAR_ST_TYPE            0       /* 16 bit */
#define DMAR_ST_LENGTH          2       /* 16 bit, the whole structure */
#define DMAR_ST_HDR_SIZE        4
#define DMAR_TYPE_DRHD          0
#define DMAR_TYPE_RMRR          1
#define DMAR_TYPE_ATSR          2
#define DMAR_TYPE_RHSA          3
#define DMAR_TYPE_ANDD          4
#define DMAR_TYPE_SATC          5
#define DMAR_TYPE_SIDP          6       /* rev 4.x; recognised, not used */

/* §8.3 "DMA Remapping Hardware Unit Definition Structure". */
#define DMAR_DRHD_FLAGS         4
#define  DMAR_DRHD_INCLUDE_PCI_ALL      BIT_ULL(0)
#define DMAR_DRHD_SIZE          5       /* register set is 2^N 4 KiB pages (rev 3+) */
#define DMAR_DRHD_SEGMENT       6       /* 16 bit */
#define DMAR_DRHD_BASE          8       /* 64 bit, register base */
#define DMAR_DRHD_SCOPES        16

/* §8.3.1 "Device Scope Structure": 6 bytes, then 2 per hop of the path. */
#define DMAR_SCOPE_TYPE         0
#define DMAR_SCOPE_LENGTH       1
#define DMAR_SCOPE_FLAGS        2       /* rev 4.x (SATC/SIDP properties); reserved before */
#define DMAR_SCOPE_ENUM_ID      4       /* IOAPIC ID, HPET number, ANDD device number */
#define DMAR_SCOPE_START_BUS    5
#define DMAR_SCOPE_PATH         6       /* (device, function) per hop */
#define DMAR_SCOPE_HOP_SIZE     2
#define DMAR_SCOPE_MIN_SIZE     8       /* one hop */

/* §8.4 "Reserved Memory Region Reporting Structure". */
#define DMAR_RMRR_SEGMENT       6       /* 16 bit, after 2 reserved bytes */
#define DMAR_RMRR_BASE          8       /* 64 bit */
#define DMAR_RMRR_LIMIT         16      /* 64 bit, last byte of the region */
#define DMAR_RMRR_SCOPES        24

/* §8.5 "Root Port ATS Capability Reporting Structure". */
#define DMAR_ATSR_FLAGS         4
#define  DMAR_ATSR_ALL_PORTS    BIT_ULL(0)
#define DMAR_ATSR_SEGMENT       6       /* 16 bit */
#define DMAR_ATSR_SCOPES        8

/* §8.6 "Remapping Hardware Static Affinity Structure". */
#define DMAR_RHSA_BASE          8       /* 64 bit, after 4 reserved bytes */
#define DMAR_RHSA_PROXIMITY     16      /* 32 bit, proximity domain */
#define DMAR_RHSA_SIZE          20

/* §8.7 "ACPI Name-space Device Declaration Structure". */
#define DMAR_ANDD_DEV_NR        7       /* after 3 reserved bytes */
#define DMAR_ANDD_NAME          8       /* NUL-terminated ACPI object name */

/* §8.8 "SoC Integrated Address Translation Cache Reporting Structure". */
#define DMAR_SATC_FLAGS         4
#define  DMAR_SATC_ATC_REQUIRED BIT_ULL(0)
#define DMAR_SATC_SEGMENT       6       /* 16 bit */
#define DMAR_SATC_SCOPES        8

/* §8.9 "SoC Integrated Device Property Reporting Structure": 2 reserved, segment. */
#define DMAR_SIDP_MIN_SIZE      8

/* What Sluice keeps. A table with more is parsed up to the limit, with an error. */
#define DMAR_MAX_UNITS          64
#define DMAR_MAX_RMRRS          64
#define DMAR_MAX_ATSRS          16
#define DMAR_MAX_RHSAS          64
#define DMAR_MAX_ANDDS          32
#define DMAR_MAX_SATCS          16
#define DMAR_MAX_SCOPES         1024    /* all structures together */
#define DMAR_MAX_HOPS           8
#define DMAR_ANDD_NAME_MAX      64      /* with the NUL */

enum dmar_scope_type {
	DMAR_SCOPE_ENDPOINT = 1,        /* PCI Endpoint Device: that function */
	DMAR_SCOPE_BRIDGE = 2,          /* PCI Sub-hierarchy: the bridge and every bus below */
	DMAR_SCOPE_IOAPIC = 3,          /* enum ID = I/O APIC ID; the path is its source ID */
	DMAR_SCOPE_HPET = 4,            /* MSI-capable HPET; enum ID = HPET number */
	DMAR_SCOPE_ACPI = 5,            /* ACPI name-space device; enum ID = ANDD device number */
};

/* How far a scope's path has been followed to a bus:dev.fn. */
enum dmar_res {
	DMAR_RES_TABLE = 0,     /* one hop: start bus and the hop, from the table alone */
	DMAR_RES_PENDING,       /* several hops: needs the live bridges (dmar_resolve_scopes) */
	DMAR_RES_FOUND,         /* followed on the live bus; a PCI function answers there */
	DMAR_RES_ABSENT,        /* followed on the live bus; nothing answers at bdf */
	DMAR_RES_NO_PATH,       /* a bridge on the path (bdf) is absent or not a bridge */
};

struct dmar_hop { u8 dev, fn; };

struct dmar_scope {
	u8 type;                /* enum dmar_scope_type */
	u8 flags;               /* DMAR_SCOPE_FLAGS byte, raw */
	u8 enum_id;
	u8 start_bus;
	u8 nr_hops;
	struct dmar_hop hops[DMAR_MAX_HOPS];
	u16 segment;            /* of the structure holding it */
	u32 offset;             /* in the table */
	u8 res;                 /* enum dmar_res */
	u16 bdf;                /* bus << 8 | dev << 3 | fn; not valid when PENDING */
	bool has_range;         /* a bridge found live: it covers buses sec_bus..sub_bus */
	u8 sec_bus, sub_bus;
	bool mismatch;          /* live: endpoint scope names a bridge or the reverse */
};

/* A DRHD: one remapping unit. */
struct dmar_unit {
	u32 offset;
	u8 flags;               /* DMAR_DRHD_INCLUDE_PCI_ALL */
	u8 size_log2;           /* register set is 4 KiB << size_log2 */
	u16 segment;
	u64 base_pa;            /* register base */
	u16 first_scope, nr_scopes;     /* in dmar_info.scopes */
	bool broken;            /* not to be used; why says what is wrong */
	const char *why;
};

struct dmar_rmrr {
	u32 offset;
	u16 segment;
	u64 base_pa, end_pa;    /* end_pa inclusive: the table's "limit" */
	u16 first_scope, nr_scopes;
	bool broken;
	const char *why;
};

struct dmar_atsr {
	u32 offset;
	u8 flags;               /* DMAR_ATSR_ALL_PORTS */
	u16 segment;
	u16 first_scope, nr_scopes;     /* root ports, when not ALL_PORTS */
	bool broken;
	const char *why;
};

struct dmar_rhsa {
	u32 offset;
	u64 base_pa;            /* a DRHD's register base */
	u32 proximity;          /* proximity domain (as in SRAT) */
	s32 unit;               /* index of that DRHD, or -1 when none has this base */
};

struct dmar_andd {
	u32 offset;
	u8 dev_nr;              /* what type 5 scopes give as enumeration ID */
	char name[DMAR_ANDD_NAME_MAX];  /* printable ASCII; '?' stands for anything else */
};

struct dmar_satc {
	u32 offset;
	u8 flags;               /* DMAR_SATC_ATC_REQUIRED */
	u16 segment;
	u16 first_scope, nr_scopes;
	bool broken;
	const char *why;
};

struct dmar_info {
	u32 len;                /* bytes parsed: the header's Length (or fewer when given fewer) */
	u8 revision;
	u16 haw;                /* host address width in bits (the table stores it - 1) */
	u8 flags;               /* ACPI_DMAR_INTR_REMAP, _X2APIC_OPT_OUT, _DMA_CTRL_OPT_IN */
	char oem_id[7], oem_table_id[9];
	bool walk_stopped;      /* a bad length ended the walk: later structures are unknown */
	bool several_segments;  /* some structure is not in segment 0: print ssss:bb:dd.f */
	bool resolved;          /* dmar_resolve_scopes() has run */
	u32 nr_units, nr_rmrrs, nr_atsrs, nr_rhsas, nr_andds, nr_satcs, nr_scopes;
	u32 nr_skipped;         /* structures of types Sluice does not use (SIDP, reserved) */
	u32 nr_errors, nr_warnings;     /* ERR and WARN lines logged about this table */
	struct dmar_unit units[DMAR_MAX_UNITS];
	struct dmar_rmrr rmrrs[DMAR_MAX_RMRRS];
	struct dmar_atsr atsrs[DMAR_MAX_ATSRS];
	struct dmar_rhsa rhsas[DMAR_MAX_RHSAS];
	struct dmar_andd andds[DMAR_MAX_ANDDS];
	struct dmar_satc satcs[DMAR_MAX_SATCS];
	struct dmar_scope scopes[DMAR_MAX_SCOPES];
};

/*
 * Parses the DMAR in table[0..len) into *out (pure: bytes in, no hardware).
 * Checks the header (signature, Length, checksum) and every structure and
 * device scope; each problem is one ERR or WARN line under "dmar" naming
 * its offset in the table, counted in out->nr_errors / nr_warnings. A zero,
 * header-less or overlong structure length stops the walk (walk_stopped);
 * a structure too short for its type is skipped by its length; a DRHD with
 * a zero, unaligned or duplicate register base or a malformed scope list is
 * kept with broken set, and the other units stay usable. Single-hop scopes
 * get their bus:dev.fn here; longer paths wait for dmar_resolve_scopes().
 * Returns 0 when the header was usable (problems are in the counts), or
 * -HV_EINVAL when there is no DMAR header to speak of.
 */
int dmar_parse(const u8 *table, u32 len, struct dmar_info *out);

/*
 * Follows every PCI-type scope path on the live bus (pci_cfg_read): from the
 * start bus, each hop but the last is a bridge whose secondary bus number
 * leads on; the last is the function named. Bridge scopes learn the buses
 * below them (secondary..subordinate). A scope naming an absent function, or
 * a path through an absent or non-bridge function, is a WARN; the rest go on.
 * So is each pair of scopes of two units that cover one function (VT-d
 * §8.3.1 gives a function one unit; dmar_unit_for says which one wins).
 * Returns the number of scopes that did not lead to a present function.
 */
int dmar_resolve_scopes(struct dmar_info *d);

/*
 * The unit that translates requests from sbdf (VT-d §8.3, §8.3.1; the rule
 * of Linux's dmar_find_matched_drhd_unit): of the units of sbdf's segment
 * without INCLUDE_PCI_ALL, the last in the table whose endpoint or bridge
 * scope names sbdf itself or a bridge above it (a bridge scope covers its
 * secondary to subordinate buses); else the segment's first INCLUDE_PCI_ALL
 * unit, whose own PCI scopes are not read. A unit of another segment never
 * answers. NULL when that unit is broken (requests still go through it in
 * hardware, so no other unit may stand in) or when there is none. Firmware
 * lists PFs only: for a VF, ask with its PF's sbdf.
 */
const struct dmar_unit *dmar_unit_for(const struct dmar_info *d, u32 sbdf);
/* The same choice, broken units included (to say why a device has none). */
const struct dmar_unit *dmar_unit_claiming(const struct dmar_info *d, u32 sbdf);
/*
 * True when ATS may be used by sbdf, a function below a root port: an ATSR
 * of its segment has ALL_PORTS, or lists a root port whose buses hold it.
 * Functions on a root bus (integrated) are the SATC's: see dmar_satc_for().
 */
bool dmar_atsr_covers(const struct dmar_info *d, u32 sbdf);
/*
 * Finds the first usable RMRR at index >= *pos naming sbdf; returns true and
 * sets *pos to it, or false. for (i = 0; dmar_rmrr_for(d, sbdf, &i); i++) ...
 */
bool dmar_rmrr_for(const struct dmar_info *d, u32 sbdf, u32 *pos);
/*
 * The IOAPIC or HPET scope (§8.3.1 types 3 and 4) whose source ID is sbdf,
 * or NULL: such a function belongs to the platform's interrupt and timer
 * hardware, whatever its class code says.
 */
const struct dmar_scope *dmar_platform_scope(const struct dmar_info *d, u32 sbdf);
/* The usable SATC listing sbdf, or NULL. */
const struct dmar_satc *dmar_satc_for(const struct dmar_info *d, u32 sbdf);

/* For the VT-d driver: DRHD count, whether DRHD i may be used (and where), HAW. */
u32 dmar_nr_drhd(const struct dmar_info *d);
bool dmar_drhd_usable(const struct dmar_info *d, u32 i, u16 *segment, u64 *base_pa);
u32 dmar_haw_bits(const struct dmar_info *d);
/*
 * The buses the PCI device scopes (§8.3.1 types 1 and 2, of every
 * structure) start from, each once, as PCI_SBDF(segment, bus, 0, 0) in
 * table order: where enumeration looks for root buses besides MCFG's
 * (pci_add_scope_bus). Fills up to max; returns how many it found (past
 * max, duplicates are counted too).
 */
u32 dmar_scope_start_buses(const struct dmar_info *d, u32 *out, u32 max);

/*
 * Logs every structure and scope in plain words, INFO under "dmar": the
 * header, DRHDs with their scopes (bridges with the buses below them once
 * resolved), RMRRs, ATSRs, RHSAs, ANDDs, SATCs, then a count line. The boot
 * log and tools/dmar-dump print through this one function.
 */
void dmar_print(const struct dmar_info *d);
/* "endpoint", "bridge", "IOAPIC", "HPET", "ACPI" or "unknown". */
const char *dmar_scope_type_name(u8 type);
/*
 * Writes how scope s is known into buf: "00:1f.2", "02:00.0 (path
 * 00:1c.0/00.0)", "path 00:1c.0/00.0 (multi-hop, not resolved)", with
 * "(absent)" and the like appended. Returns the length fmt_snprintf gives.
 */
int dmar_scope_describe(const struct dmar_info *d, const struct dmar_scope *s, char *buf, size_t size);
/* "bb:dd.f", or "ssss:bb:dd.f" when the table spans several segments. */
int dmar_bdf_str(const struct dmar_info *d, u16 segment, u16 bdf, char *buf, size_t size);

#endif
