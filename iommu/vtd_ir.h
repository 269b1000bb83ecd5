/*
 * Interrupt remapping on one VT-d unit (VT-d §5.1 "Interrupt Remapping"):
 * its interrupt remapping table of IRTEs (§9.10), IRTA_REG, GCMD.SIRTP and
 * GCMD.IRE. Sluice turns it on at bring-up with every IRTE not present, so
 * a device's DMA write to 0xFEEx_xxxx is blocked and recorded as a fault
 * instead of reaching a CPU. Filling IRTEs is left to the interrupt work.
 */
#ifndef IOMMU_VTD_IR_H
#define IOMMU_VTD_IR_H
#include "kernel/types.h"
#include "iommu/vtd_hw.h"

struct vtd_unit;
struct vtd_caps;
struct vtd_inv_stats;

/*
 * 256 IRTEs: one 4 KiB page (16 bytes each), IRTA.S = 7. The table is one
 * page like every other VT-d table of Sluice's; 256 is one entry per x86
 * vector, room for each assigned function's MSI/MSI-X vectors and an
 * IOAPIC's pins once the interrupt work fills entries. An index past the
 * table faults as 0x21 and one inside it as 0x22: either way blocked.
 * Widening the table is this constant (S follows from it).
 */
#define VTD_IRT_ENTRIES         256
#define VTD_IRT_SIZE            (VTD_IRT_ENTRIES * sizeof(struct vtd_irte))
_Static_assert(VTD_IRT_SIZE % 4096 == 0, "whole pages");
_Static_assert((VTD_IRT_ENTRIES & (VTD_IRT_ENTRIES - 1)) == 0 && VTD_IRT_ENTRIES >= 2 &&
	       VTD_IRT_ENTRIES <= 65536, "IRTA.S encodes 2^(S+1) entries, S 0-15");

/*
 * Whether IRTEs carry x2APIC destinations (IRTA.EIME): only when the CPUs
 * run their local APICs in x2APIC mode and the unit has ECAP.EIM (EIME is
 * reserved otherwise). Without EIM, x2APIC CPUs with IDs 0-255 are still
 * reachable through the 8-bit xAPIC destination.
 */
bool vtd_ir_eime(const struct vtd_caps *c, bool cpus_x2apic);
/* The IRTA_REG value for a table of entries IRTEs (a power of two, 2-65536) at irt_pa. */
u64 vtd_irta(u64 irt_pa, u32 entries, bool eime);
/*
 * Turns interrupt remapping on (§5.1, §11.4.4): allocates the table once
 * (zeroed: every IRTE not present) and flushes it for a non-coherent
 * unit, writes IRTA (address, S, EIME per vtd_ir_eime), GCMD.SIRTP until
 * GSTS.IRTPS, a global interrupt entry cache invalidation through the
 * queue, then GCMD.IRE until GSTS.IRES; GCMD.CFI is never set. Logs one
 * line. A unit without ECAP.IR (or, against the spec, without a queue) is
 * logged as unable to block device interrupts and left as it is: 0.
 * Returns 0, -HV_ENOMEM or -HV_ETIMEDOUT (logged; the caller leaves the
 * unit off). u->ir says whether remapping is on.
 */
int vtd_ir_enable(struct vtd_unit *u);
/* IRTEs of u's table with P set (0 for a unit without a table). */
u32 vtd_ir_present(const struct vtd_unit *u);
/*
 * The table as the containment tests checksum it: physical address and
 * size in bytes. 0, or -HV_ENOTSUP when remapping is not on at u.
 */
int vtd_unit_irt(const struct vtd_unit *u, u64 *pa, u64 *size);

/*
 * Who may raise an IRTE (§9.10, SVT/SQ/SID): one requester ID (SVT = 01,
 * SQ = 00: all 16 bits compared), or, for a function behind a PCIe-to-PCI
 * bridge whose requests carry the bridge's ID or a secondary-bus ID, any
 * requester on buses bus_first..bus_last (SVT = 10).
 */
struct vtd_irte_src {
	u16 sid;
	bool bus_range;
	u8 bus_first, bus_last;
};

/*
 * Index 0 is never handed out: a message whose address and data were
 * zeroed (handle 0) always finds an entry not present and faults (0x22).
 */
#define VTD_IR_FIRST_INDEX      1

/*
 * A remapped, present IRTE (§9.10): fixed delivery, physical destination
 * apic_id (8 bits in DST 15:8 without EIME, all 32 with it), edge, the
 * vector, FPD clear (faults are recorded), and the source validation of
 * src. 0, -HV_ERANGE (an APIC ID above 255 without EIME), -HV_EINVAL
 * (vector 0-15, which are reserved; an empty bus range).
 */
int vtd_irte_build(const struct vtd_irte_src *src, u32 apic_id, u8 vector, bool eime, struct vtd_irte *e);
/*
 * The MSI address and data a device is programmed with to raise IRTE
 * index (§5.1.2.2 "Interrupt Requests in Remappable Format"): format bit
 * set, SHV clear (the handle alone is the index), data 0.
 */
void vtd_msi_remappable(u16 index, u64 *addr, u32 *data);
/*
 * Takes a free IRTE of u (the first from VTD_IR_FIRST_INDEX), writes it
 * (upper half, then the lower with P), flushes it for a non-coherent
 * unit and invalidates it (index-selective IEC, one queue batch ended by
 * its wait, counted in *also when non-NULL). *index gets the entry.
 * 0, -HV_ENOTSUP (remapping off), -HV_ENOMEM (table full), a
 * vtd_irte_build or invalidation error (the entry is then cleared again).
 */
int vtd_ir_alloc(struct vtd_unit *u, const struct vtd_irte_src *src, u32 apic_id, u8 vector,
		 struct vtd_inv_stats *also, u16 *index);
/*
 * Clears IRTE index of u (lower half first, so P goes before the rest),
 * invalidates it as vtd_ir_alloc does and frees it. src must be the one
 * the entry validates (its owner). 0, -HV_ENOENT (not in use or not
 * src's), or an invalidation error (the entry stays cleared and free).
 */
int vtd_ir_free(struct vtd_unit *u, u16 index, const struct vtd_irte_src *src, struct vtd_inv_stats *also);
/*
 * Set by vm/main.c for the lab switch lab=skip-iec-inv (docs/labs/):
 * vtd_ir_alloc() and vtd_ir_free() write the IRTE but leave out its
 * interrupt entry cache invalidation, one WARN per entry written.
 */
extern bool vtd_ir_lab_skip_iec;

#endif
