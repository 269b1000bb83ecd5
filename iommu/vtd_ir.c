/*
 * Interrupt remapping at bring-up (VT-d §5.1 "Interrupt Remapping", §9.10
 * IRTE, §11.4.4 GCMD/GSTS, §11.4 IRTA_REG, §6.5.2.7 interrupt entry cache
 * invalidation): an empty table, set and enabled, so that a device's DMA
 * write to the interrupt window is blocked and faulted. Compatibility
 * Format Interrupts (GCMD.CFI) stay clear. No IRTE is written here.
 */
#include "iommu/vtd_ir.h"
#include "iommu/vtd_unit.h"
#include "iommu/vtd_regs.h"
#include "iommu/vtd_qi.h"
#include "iommu/vtd_desc.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/io.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"

bool vtd_ir_eime(const struct vtd_caps *c, bool cpus_x2apic)
{
	return cpus_x2apic && c->eim;
}

u64 vtd_irta(u64 irt_pa, u32 entries, bool eime)
{
	unsigned s = 0;

	/* SPEC: the table holds 2^(S+1) entries. */
	while ((2u << s) < entries && s < VTD_IRTA_S_MAX)
		s++;
	return (irt_pa & VTD_IRTA_IRTA) | (eime ? VTD_IRTA_EIME : 0) | FIELD_PREP(VTD_IRTA_S, s);
}

u32 vtd_ir_present(const struct vtd_unit *u)
{
	u32 n = 0;

	for (u32 i = 0; u->irt && i < u->irt_entries; i++)
		n += !!(u->irt[i].lo & VTD_IRTE_LO_P);
	return n;
}

int vtd_ir_enable(struct vtd_unit *u)
{
	int ret;

	u->ir = false;
	if (!u->caps.ir) {
		log_write(LOG_WARN, u->name, "no interrupt remapping (ECAP.IR clear): this unit cannot block interrupts its devices send by DMA writes to 0xFEEx_xxxx");
		return 0;
	}
	if (!u->qi.on) {
		/* SPEC: a unit reporting ECAP.IR also reports ECAP.QI; the IEC has no register interface. */
		log_write(LOG_ERR, u->name, "ECAP.IR without an invalidation queue (ECAP.QI clear), against the spec: interrupt remapping left off; this unit cannot block device interrupts");
		return 0;
	}
	/* Every IRTE not present: the unit blocks each remappable interrupt (fault 0x22). */
	if (!u->irt) {
		u->irt = page_alloc_zeroed(VTD_IRT_SIZE / PAGE_SIZE, &u->irt_pa);
		if (!u->irt)
			return -HV_ENOMEM;
	} else {
		memset(u->irt, 0, VTD_IRT_SIZE);
	}
	vtd_unit_flush(u, u->irt, VTD_IRT_SIZE);
	u->irt_entries = VTD_IRT_ENTRIES;
	u->eime = vtd_ir_eime(&u->caps, u->cpus_x2apic);
	/* IRTA may change only with remapping off: take_over (vtd_unit.c) turned IRE off. */
	io_write64(u->regs, VTD_IRTA_REG, vtd_irta(u->irt_pa, u->irt_entries, u->eime));
	if ((ret = vtd_unit_gcmd(u, VTD_GCMD_SIRTP, true)))
		return ret;
	/*
	 * SPEC (§11.4.4, SIRTP): setting the table pointer is followed by a
	 * global interrupt entry cache invalidation, so nothing cached from
	 * an earlier table is used once IRE is set.
	 */
	if ((ret = vtd_inv_iec_global(u)))
		return ret;
	/*
	 * GCMD.CFI is never set (vtd_unit_gcmd refuses it and drops it from
	 * what it writes back), so compatibility-format interrupts are blocked
	 * (fault 0x25) on hardware. QEMU ignores CFI, never sets GSTS.CFIS and
	 * passes compatibility-format interrupts anyway: CFIS is never polled.
	 */
	if ((ret = vtd_unit_gcmd(u, VTD_GCMD_IRE, true)))
		return ret;
	u->ir = true;
	/* The table was just zeroed; vtd_domain.c's check counts its present entries right after. */
	log_write(LOG_INFO, u->name, "interrupt remapping on: %u entries at 0x%016llx, none present, %s destinations (EIME %s); compatibility-format interrupts blocked (CFI clear)",
		  u->irt_entries, (unsigned long long)u->irt_pa, u->eime ? "x2APIC" : "xAPIC",
		  u->eime ? "set" : (u->cpus_x2apic ? "clear: no ECAP.EIM" : "clear"));
	return 0;
}

int vtd_unit_irt(const struct vtd_unit *u, u64 *pa, u64 *size)
{
	if (!u->ir || !u->irt)
		return -HV_ENOTSUP;
	*pa = u->irt_pa;
	*size = (u64)u->irt_entries * sizeof(struct vtd_irte);
	return 0;
}

static u64 irte_hi(const struct vtd_irte_src *src)
{
	if (src->bus_range)
		return FIELD_PREP(VTD_IRTE_HI_SVT, VTD_IRTE_SVT_BUS) |
		       FIELD_PREP(VTD_IRTE_HI_SID, FIELD_PREP(VTD_IRTE_SID_START_BUS, src->bus_first) |
				  FIELD_PREP(VTD_IRTE_SID_END_BUS, src->bus_last));
	return FIELD_PREP(VTD_IRTE_HI_SVT, VTD_IRTE_SVT_SID) | FIELD_PREP(VTD_IRTE_HI_SQ, VTD_IRTE_SQ_ALL) |
	       FIELD_PREP(VTD_IRTE_HI_SID, src->sid);
}

int vtd_irte_build(const struct vtd_irte_src *src, u32 apic_id, u8 vector, bool eime, struct vtd_irte *e)
{
	/* SDM Vol. 3A 11.5.2: vectors 0-15 are reserved; a fixed interrupt on one is an illegal vector. */
	if (vector < 16 || (src->bus_range && src->bus_first > src->bus_last))
		return -HV_EINVAL;
	if (!eime && apic_id > 0xff)
		return -HV_ERANGE;
	u64 dst = eime ? apic_id : FIELD_PREP(VTD_IRTE_DST_XAPIC, apic_id);
	e->lo = VTD_IRTE_LO_P | FIELD_PREP(VTD_IRTE_LO_DLM, VTD_IRTE_DLM_FIXED) |
		FIELD_PREP(VTD_IRTE_LO_V, vector) | FIELD_PREP(VTD_IRTE_LO_DST, dst);
	e->hi = irte_hi(src);
	return 0;
}

void vtd_msi_remappable(u16 index, u64 *addr, u32 *data)
{
	*addr = VTD_MSI_ADDR_BASE | VTD_MSI_ADDR_FORMAT | FIELD_PREP(VTD_MSI_ADDR_HANDLE_LO, index & 0x7fff) |
		(index & 0x8000 ? VTD_MSI_ADDR_HANDLE_HI : 0);
	*data = 0;
}

bool vtd_ir_lab_skip_iec;

/* Writes e at index (P last when setting, first when clearing), flushes and invalidates it. */
static int irte_set(struct vtd_unit *u, u16 index, const struct vtd_irte *e, struct vtd_inv_stats *also)
{
	struct vtd_irte *t = &u->irt[index];
	struct vtd_desc d;

	if (e->lo & VTD_IRTE_LO_P) {
		__atomic_store_n(&t->hi, e->hi, __ATOMIC_RELEASE);
		__atomic_store_n(&t->lo, e->lo, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&t->lo, e->lo, __ATOMIC_RELEASE);
		__atomic_store_n(&t->hi, e->hi, __ATOMIC_RELEASE);
	}
	vtd_unit_flush(u, t, sizeof(*t));
	if (vtd_ir_lab_skip_iec) {
		log_write(LOG_WARN, u->name, "lab switch skip-iec-inv: IRTE 0x%04x written without invalidating the interrupt entry cache", index);
		return 0;
	}
	/* §6.5.2.7: one entry (IM = 0) at index; vtd_qi_submit ends the batch with its bounded wait. */
	int ret = vtd_desc_iec_index(&d, index, 0);
	return ret ? ret : vtd_qi_submit_counted(u, &d, 1, also);
}

int vtd_ir_alloc(struct vtd_unit *u, const struct vtd_irte_src *src, u32 apic_id, u8 vector,
		 struct vtd_inv_stats *also, u16 *index)
{
	struct vtd_irte e;
	int ret;

	if (!u->ir || !u->irt)
		return -HV_ENOTSUP;
	if ((ret = vtd_irte_build(src, apic_id, vector, u->eime, &e)))
		return ret;
	spin_lock(&u->irt_lock);
	u32 i = VTD_IR_FIRST_INDEX;
	while (i < u->irt_entries && (u->irt[i].lo & VTD_IRTE_LO_P))
		i++;
	if (i == u->irt_entries) {
		spin_unlock(&u->irt_lock);
		return -HV_ENOMEM;
	}
	ret = irte_set(u, (u16)i, &e, also);
	if (ret) {
		struct vtd_irte zero = { 0, 0 };
		irte_set(u, (u16)i, &zero, also);
	}
	spin_unlock(&u->irt_lock);
	if (!ret)
		*index = (u16)i;
	return ret;
}

int vtd_ir_free(struct vtd_unit *u, u16 index, const struct vtd_irte_src *src, struct vtd_inv_stats *also)
{
	struct vtd_irte zero = { 0, 0 };

	if (!u->ir || !u->irt || index < VTD_IR_FIRST_INDEX || index >= u->irt_entries)
		return -HV_ENOENT;
	spin_lock(&u->irt_lock);
	if (!(u->irt[index].lo & VTD_IRTE_LO_P) || u->irt[index].hi != irte_hi(src)) {
		spin_unlock(&u->irt_lock);
		return -HV_ENOENT;
	}
	int ret = irte_set(u, index, &zero, also);
	spin_unlock(&u->irt_lock);
	return ret;
}
