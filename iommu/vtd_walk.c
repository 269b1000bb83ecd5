/*
 * The VT-d walk in C: §3.4.2 "Legacy Mode Address Translation" through the
 * §9.1 root, §9.3 context and §9.8 second-stage entries, faults as in
 * Appendix C. Untranslated requests only: no ATS translation requests, no
 * PASID, no scalable mode, no caches (it reads the tables as memory holds
 * them now; the unit sees that only after invalidation).
 */
#define LOG_SUBSYS "walk"
#include "iommu/vtd_walk.h"
#include "iommu/vtd_pagetable.h"
#include "iommu/vtd_fault.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/fmt.h"
#include "kernel/hw/mem.h"
#include "kernel/hw/pci_cfg.h"

const struct vtd_walk_caps vtd_walk_caps_any = {
	.sagaw = BIT_ULL(VTD_AW_39) | BIT_ULL(VTD_AW_48) | BIT_ULL(VTD_AW_57),
	.sllps = VTD_SLLPS_2M | VTD_SLLPS_1G,
	.mgaw = 57,
	.haw = 52,
	.sc = true,
	.dt = true,
	.pt = true,
	.tm = true,
};

static void step(struct vtd_walk_result *r, u8 kind, u8 level, u16 index, u64 table_pa,
		 u64 lo, u64 hi)
{
	r->step[r->nr_steps++] = (struct vtd_walk_step){
		.kind = kind, .level = level, .index = index, .table_pa = table_pa,
		.lo = lo, .hi = hi,
	};
}

static int fault(struct vtd_walk_result *r, u8 reason)
{
	r->reason = reason;
	r->r = r->w = false;
	return 0;
}

/* Bits of a present second-stage entry at level that the unit requires clear. */
static u64 sspte_rsvd(const struct vtd_walk_caps *c, unsigned level, u64 e)
{
	u64 m = c->haw < 52 ? GENMASK_ULL(51, c->haw) : 0;

	if (!c->sc)
		m |= VTD_SSPTE_SNP;
	if (level == 1) {
		m |= c->tm ? 0 : VTD_SSPTE_TM;
	} else if (e & VTD_SSPTE_PS) {
		bool ok = (level == 2 && (c->sllps & VTD_SLLPS_2M)) ||
			  (level == 3 && (c->sllps & VTD_SLLPS_1G));
		/* PS where the unit has no such page (always at levels 4, 5) is reserved. */
		if (!ok)
			m |= VTD_SSPTE_PS;
		m |= GENMASK_ULL(VTD_LEVEL_SHIFT(level) - 1, 12) | (c->tm ? 0 : VTD_SSPTE_TM);
	} else {
		m |= VTD_SSPTE_TM;      /* TM is a leaf attribute */
	}
	return m;
}

/*
 * DMA path step 5: the unit's walk for one request, in C, each step
 * recorded: root, context, then the second-stage tables pt_map()
 * (kernel/pgtable.c) built, permissions ANDed down to the host address.
 */
int vtd_walk_with(const struct vtd_walk_caps *c, u64 root_table_pa, u32 sbdf, u64 iova,
		  bool write, struct vtd_walk_result *r)
{
	u8 bus = PCI_BUS(sbdf), devfn = PCI_DEVFN(sbdf);
	u64 above_haw, table, lo, hi;
	const u64 *p;
	unsigned level, top, limit;

	memset(r, 0, sizeof(*r));
	r->sbdf = sbdf;
	r->iova = iova;
	r->write = write;
	if (c->haw < 32 || c->haw > 52 || c->mgaw < 30 || c->mgaw > 64)
		return -HV_EINVAL;
	above_haw = GENMASK_ULL(63, c->haw);

	p = phys_to_virt(root_table_pa + bus * sizeof(struct vtd_root_entry), 16);
	if (!p)
		return fault(r, VTD_FR_ROOT_ACCESS);
	lo = p[0];
	hi = p[1];
	step(r, VTD_WALK_ROOT, 0, bus, root_table_pa, lo, hi);
	if (!(lo & VTD_RE_LO_P))
		return fault(r, VTD_FR_ROOT_P);
	/* Legacy mode: the whole upper half is reserved (scalable mode uses it). */
	if ((lo & (VTD_RE_LO_RSVD | above_haw)) || hi)
		return fault(r, VTD_FR_ROOT_RSVD);

	table = lo & VTD_RE_LO_CTP;
	p = phys_to_virt(table + devfn * sizeof(struct vtd_context_entry), 16);
	if (!p)
		return fault(r, VTD_FR_CTX_ACCESS);
	lo = p[0];
	hi = p[1];
	step(r, VTD_WALK_CTX, 0, devfn, table, lo, hi);
	/* FPD counts even in a context entry that is not present. */
	r->fpd = !!(lo & VTD_CE_LO_FPD);
	if (!(lo & VTD_CE_LO_P))
		return fault(r, VTD_FR_CTX_P);
	if ((lo & (VTD_CE_LO_RSVD | above_haw)) || (hi & VTD_CE_HI_RSVD))
		return fault(r, VTD_FR_CTX_RSVD);
	r->did = (u16)FIELD_GET(VTD_CE_HI_DID, hi);
	r->aw = (u8)FIELD_GET(VTD_CE_HI_AW, hi);
	r->tt = (u8)FIELD_GET(VTD_CE_LO_TT, lo);
	if (r->aw < VTD_AW_39 || r->aw > VTD_AW_57 || !(c->sagaw & BIT_ULL(r->aw)))
		return fault(r, VTD_FR_CTX_INVALID);
	if ((r->tt == VTD_TT_DEVTLB && !c->dt) || (r->tt == VTD_TT_PASSTHROUGH && !c->pt) ||
	    r->tt > VTD_TT_PASSTHROUGH)
		return fault(r, VTD_FR_CTX_INVALID);
	/* Pass-through is settled before the address check: nothing is walked. */
	if (r->tt == VTD_TT_PASSTHROUGH) {
		r->hpa = iova;
		r->page_size = PAGE_SIZE;
		r->r = r->w = true;
		return 0;
	}
	/* SPEC: above 2^X - 1, X the smaller of MGAW and the context entry's AGAW. */
	limit = MIN(VTD_AW_BITS(r->aw), c->mgaw);
	if (limit < 64 && (iova >> limit))
		return fault(r, VTD_FR_BEYOND_AGAW);

	table = lo & VTD_CE_LO_SSPTPTR;
	/* AW n means n + 2 levels; the top table is the one SSPTPTR names. */
	top = VTD_AW_LEVELS(r->aw);
	r->r = r->w = true;
	for (level = top;; level--) {
		unsigned idx = VTD_LEVEL_INDEX(iova, level);
		u64 e;

		p = phys_to_virt(table + idx * sizeof(u64), sizeof(u64));
		if (!p)
			return fault(r, level == top ? VTD_FR_CTX_INVALID : VTD_FR_SSPTE_ACCESS);
		e = *p;
		step(r, VTD_WALK_SSPT, (u8)level, (u16)idx, table, e, 0);
		/*
		 * Not present (R = W = 0) and not permitted end the same way.
		 * The permission is checked before the reserved bits, as QEMU
		 * does; the spec's reason 0xC needs R, W or X set anyway.
		 */
		if (!(e & (write ? VTD_SSPTE_W : VTD_SSPTE_R)))
			return fault(r, write ? VTD_FR_WRITE : VTD_FR_READ);
		if (e & sspte_rsvd(c, level, e))
			return fault(r, VTD_FR_SSPTE_RSVD);
		r->r = r->r && (e & VTD_SSPTE_R);
		r->w = r->w && (e & VTD_SSPTE_W);
		if (level == 1 || (e & VTD_SSPTE_PS)) {
			r->page_size = 1ULL << VTD_LEVEL_SHIFT(level);
			r->hpa = (e & VTD_SSPTE_ADDR & ~(r->page_size - 1)) | (iova & (r->page_size - 1));
			r->snp = !!(e & VTD_SSPTE_SNP);
			return 0;
		}
		table = e & VTD_SSPTE_ADDR;
	}
}

int vtd_walk(u64 root_table_pa, u32 sbdf, u64 iova, bool write, struct vtd_walk_result *r)
{
	return vtd_walk_with(&vtd_walk_caps_any, root_table_pa, sbdf, iova, write, r);
}

static const char *size_name(u64 size)
{
	return size == GiB ? "1G" : size == 2 * MiB ? "2M" : "4K";
}

void vtd_walk_log(const struct vtd_walk_result *r)
{
	char dev[16];

	if (PCI_SEG(r->sbdf))
		fmt_snprintf(dev, sizeof(dev), SBDF_FMT, SBDF_ARGS(r->sbdf));
	else
		fmt_snprintf(dev, sizeof(dev), BDF_FMT, BDF_ARGS(r->sbdf));
	log_info("%s iova 0x%016llx %s", dev, (unsigned long long)r->iova,
		 r->write ? "write" : "read");
	for (unsigned i = 0; i < r->nr_steps; i++) {
		const struct vtd_walk_step *s = &r->step[i];

		if (s->kind == VTD_WALK_ROOT)
			log_info("  root[0x%02x] @0x%016llx = 0x%016llx 0x%016llx", s->index,
				 (unsigned long long)s->table_pa, (unsigned long long)s->lo,
				 (unsigned long long)s->hi);
		else if (s->kind == VTD_WALK_CTX && (s->lo & VTD_CE_LO_P))
			log_info("  ctx[0x%02x] @0x%016llx = 0x%016llx 0x%016llx did %u aw %u tt %u%s",
				 s->index, (unsigned long long)s->table_pa,
				 (unsigned long long)s->lo, (unsigned long long)s->hi,
				 (unsigned)FIELD_GET(VTD_CE_HI_DID, s->hi),
				 (unsigned)FIELD_GET(VTD_CE_HI_AW, s->hi),
				 (unsigned)FIELD_GET(VTD_CE_LO_TT, s->lo),
				 s->lo & VTD_CE_LO_FPD ? " fpd" : "");
		else if (s->kind == VTD_WALK_CTX)
			log_info("  ctx[0x%02x] @0x%016llx = 0x%016llx 0x%016llx", s->index,
				 (unsigned long long)s->table_pa, (unsigned long long)s->lo,
				 (unsigned long long)s->hi);
		else
			log_info("  L%u[0x%03x] @0x%016llx = 0x%016llx", s->level, s->index,
				 (unsigned long long)s->table_pa, (unsigned long long)s->lo);
	}
	if (r->reason != VTD_FR_NONE)
		log_info("  -> fault reason 0x%02x \"%s\"%s", r->reason,
			 vtd_fault_reason_text(r->reason),
			 r->fpd ? " (FPD set: not recorded if qualified)" : "");
	else if (r->tt == VTD_TT_PASSTHROUGH)
		log_info("  -> hpa 0x%016llx (pass-through)", (unsigned long long)r->hpa);
	else
		log_info("  -> hpa 0x%016llx (%s page, %s%s%s)", (unsigned long long)r->hpa,
			 size_name(r->page_size), r->r ? "r" : "-", r->w ? "w" : "-",
			 r->snp ? ", snoop" : "");
}
