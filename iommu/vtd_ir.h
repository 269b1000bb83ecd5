/*
 * Interrupt remapping on one VT-d unit (VT-d §5.1 "Interrupt Remapping"):
 * its interrupt remapping table of IRTEs (§9.9), IRTA_REG, GCMD.SIRTP and
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

#endif
