/*
 * ACPI table discovery: RSDP (1.0 and 2.0+), RSDT/XSDT, MADT, MCFG, and the
 * DMAR header (its structures are parsed by iommu/). Every table is reached
 * through phys_to_virt() and every length and checksum is checked before use.
 */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H
#include "kernel/types.h"

#define ACPI_MAX_TABLES         64
#define ACPI_MAX_CPUS           256
#define ACPI_MAX_IOAPICS        16
#define ACPI_MAX_OVERRIDES      24
#define ACPI_MAX_MCFG           16

struct acpi_table_ref {
	char sig[5];
	u64 pa;
	u32 len;
	bool checksum_ok;
};

struct acpi_cpu {
	u32 apic_id;
	u32 uid;                /* ACPI processor UID */
	bool x2apic;            /* from a type 9 (x2APIC) entry */
	bool enabled;           /* flags bit 0 */
	bool online_capable;    /* flags bit 1 (ACPI 6.3) */
};

struct acpi_ioapic {
	u8 id;
	u32 pa;
	u32 gsi_base;
};

struct acpi_override {
	u8 bus;
	u8 source_irq;
	u32 gsi;
	u16 flags;
};

struct acpi_mcfg {
	u64 base;               /* ECAM base of bus 0 of the segment */
	u16 segment;
	u8 bus_start, bus_end;
};

struct acpi_info {
	u8 rsdp_revision;
	char oem_id[7];
	u64 rsdt_pa, xsdt_pa;
	bool using_xsdt;
	u32 nr_tables;
	struct acpi_table_ref tables[ACPI_MAX_TABLES];

	bool have_madt;
	u64 lapic_pa;
	u32 madt_flags;         /* bit 0: PC-AT compatible 8259s */
	u32 nr_cpus;            /* enabled or online-capable */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	u32 nr_ioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	u32 nr_overrides;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];

	u32 nr_mcfg;
	struct acpi_mcfg mcfg[ACPI_MAX_MCFG];

	bool have_dmar;
	u64 dmar_pa;
	u32 dmar_len;
	u8 dmar_haw;            /* host address width - 1, as the table stores it */
	u8 dmar_flags;

	u32 nr_warnings;        /* every WARN/ERR line acpi_init printed */
};

/*
 * Validates an RSDP image of len bytes (checksum of the first 20 bytes,
 * and for revision >= 2 the extended checksum over its Length).
 * Returns 0, -HV_EINVAL (no signature / too short) or -HV_ECHKSUM.
 */
int acpi_rsdp_check(const u8 *rsdp, u32 len);
/*
 * Looks for the RSDP where a BIOS leaves it: the first KiB of the EBDA
 * and 0xE0000-0xFFFFF, on 16-byte boundaries. Returns 0 and *pa, or -HV_ENOENT.
 */
int acpi_rsdp_scan_bios(u64 *pa);
/*
 * Walks the tables from the RSDP copy rsdp (rsdp_len bytes) and fills *ai.
 * A bad XSDT falls back to the RSDT; a table with a bad checksum is a WARN
 * naming it (and is still listed); a table whose length runs past what
 * phys_to_virt() maps is an ERR and is skipped. Logs what it finds under
 * subsystem "acpi". Returns 0 when a root table was usable, or a negative
 * HV_E* when there is no usable RSDT/XSDT at all.
 */
int acpi_init(const u8 *rsdp, u32 rsdp_len, struct acpi_info *ai);
/* Finds a listed table by signature (the n-th of that signature, from 0). */
const struct acpi_table_ref *acpi_find(const struct acpi_info *ai, const char *sig, u32 n);

#endif
