/*
 * vtd_iommu_ops: the IOMMU of iommu/iommu.h on VT-d. Every DRHD the DMAR
 * parser did not mark broken becomes a unit, vtd0, vtd1, ... in table
 * order. A domain is a name, one domain ID valid on every unit, and one
 * second-stage table per table depth the units use (3 or 4 levels); attach
 * points a device's context entry, on the unit whose scope holds it, at
 * that table. Translation goes on only when enable() is called.
 */
#include "iommu/iommu.h"
#include "iommu/dmar.h"
#include "iommu/vtd_unit.h"
#include "iommu/vtd_context.h"
#include "iommu/vtd_pagetable.h"
#include "iommu/vtd_walk.h"
#include "iommu/vtd_qi.h"
#include "iommu/vtd_ir.h"
#include "kernel/acpi_hw.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "kernel/check.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/io.h"
#include "iommu/vtd_regs.h"
#include "kernel/hw/pci_cfg.h"
#include "pci/pci.h"

#define VTD_UNITS_MAX           DMAR_MAX_UNITS  /* every DRHD the parser keeps can be a unit */
#define VTD_DOMAINS_MAX         32
#define PT_INDEX(levels)        ((levels) == 4 ? 1 : 0)

struct iommu_domain {
	bool used;
	char name[IOMMU_NAME_LEN];
	u16 did;
	struct pt pt[2];                        /* [0]: 3 levels, [1]: 4 levels */
	bool has_pt[2];
	u32 devices[VTD_UNITS_MAX];             /* devices attached, per unit */
	u64 faults, faults_logged, faults_suppressed;
	u64 ir_faults;                          /* of which interrupt remapping faults */
	/* ATS functions, per unit: each change to the map invalidates their ATCs too. */
	struct vtd_ats_dev ats[VTD_UNITS_MAX][VTD_DOMAIN_ATS_MAX];
	u32 nr_ats[VTD_UNITS_MAX];
	struct vtd_inv_stats stats;             /* the invalidations run for this domain */
	struct iommu_change_counts changes;     /* and what each kind of map change cost */
};

_Static_assert(VTD_UNITS_MAX >= DMAR_MAX_UNITS, "a unit for every DRHD dmar_parse keeps");
static struct vtd_unit units[VTD_UNITS_MAX];
static u32 unit_drhd[VTD_UNITS_MAX];            /* the unit's index among the DMAR's DRHDs */
static unsigned nr_units;
static const struct dmar_info *dmar;
static struct iommu_domain domains[VTD_DOMAINS_MAX];
static u32 did_first, did_next, did_end;
/* The CPUs' local APIC mode (iommu_ops.set_cpu_x2apic); kept across init. */
static bool cpus_x2apic;

static struct iommu_domain *domain_by_did(u16 did)
{
	for (unsigned i = 0; i < VTD_DOMAINS_MAX; i++)
		if (domains[i].used && domains[i].did == did)
			return &domains[i];
	return NULL;
}

void (*iommu_fault_sink)(struct iommu_domain *d, u32 sbdf);

/*
 * Names the domain a faulting source ID is attached to, from its context
 * entry, gives its counters, and hands the fault to iommu_fault_sink.
 */
static void fault_owner(struct vtd_unit *u, u16 sid, struct vtd_fault_owner *o)
{
	struct vtd_context_entry ce;

	if (!vtd_ctx_lookup(u, sid, &ce))
		return;
	struct iommu_domain *d = domain_by_did((u16)FIELD_GET(VTD_CE_HI_DID, ce.hi));
	if (d) {
		o->name = d->name;
		o->counter = &d->faults;
		o->ir_counter = &d->ir_faults;
		o->logged = &d->faults_logged;
		o->suppressed = &d->faults_suppressed;
		if (iommu_fault_sink)
			iommu_fault_sink(d, (u32)u->segment << 16 | sid);
	}
}

/*
 * The unit whose scope holds sbdf, or NULL; *ui is its index. A VF is
 * looked up by its PF (firmware lists PFs only): an integrated PF named by
 * an endpoint scope has VFs at routing IDs no scope names, and they are
 * translated by the PF's unit all the same.
 */
static struct vtd_unit *unit_for(u32 sbdf, unsigned *ui)
{
	const struct pci_dev *p = pci_find(sbdf);
	u32 named = p && p->pf ? p->pf->sbdf : sbdf;
	const struct dmar_unit *du = dmar ? dmar_unit_for(dmar, named) : NULL;

	for (unsigned i = 0; du && i < nr_units; i++) {
		if (&dmar->units[unit_drhd[i]] == du && units[i].segment == PCI_SEG(sbdf)) {
			*ui = i;
			return &units[i];
		}
	}
	return NULL;
}

/*
 * Domain IDs are handed out once, valid on every unit, below the smallest
 * CAP.ND. SPEC: with CAP.CM = 1 domain-id 0 is reserved (it tags cached
 * not-present entries). Sluice never uses 0, so a domain keeps the same ID
 * with caching mode on or off (Linux does the same).
 */
static void did_range(void)
{
	did_first = 1;
	did_end = 1u << 16;
	for (unsigned i = 0; i < nr_units; i++)
		if (units[i].up)
			did_end = MIN(did_end, units[i].caps.nd_domains);
	did_next = did_first;
}

/*
 * What the DMAR header's flags (VT-d §8.1) say about interrupts, in words.
 * Neither changes what Sluice does: remapping goes on wherever ECAP.IR
 * allows, since only remapping blocks interrupts forged by DMA.
 */
static void log_dmar_flags(const struct dmar_info *info)
{
	u8 flags = info->flags;

	if (!(flags & ACPI_DMAR_INTR_REMAP))
		log_write(LOG_WARN, "vtd", "DMAR flags 0x%02x: INTR_REMAP clear: firmware does not declare interrupt remapping; Sluice turns it on anyway on every unit whose ECAP.IR has it, to block interrupts forged by DMA",
			  flags);
	if (flags & ACPI_DMAR_X2APIC_OPT_OUT)
		log_write(LOG_WARN, "vtd", "DMAR flags 0x%02x: X2APIC_OPT_OUT set: firmware asks that the CPUs stay in xAPIC mode (they run in %s mode); remapping tables use x2APIC destinations only where the CPUs and ECAP.EIM both allow",
			  flags, cpus_x2apic ? "x2APIC" : "xAPIC");
}

static int vtd_init(const struct dmar_info *info)
{
	unsigned up = 0, n = dmar_nr_drhd(info);

	memset(units, 0, sizeof(units));
	memset(domains, 0, sizeof(domains));
	nr_units = 0;
	dmar = info;
	log_dmar_flags(info);
	for (unsigned i = 0; i < n; i++) {
		u16 segment;
		u64 base;
		if (!dmar_drhd_usable(info, i, &segment, &base))
			continue;
		struct vtd_unit *u = &units[nr_units];
		unit_drhd[nr_units] = i;
		int ret = vtd_unit_probe(u, nr_units, segment, base);
		nr_units++;
		u->cpus_x2apic = cpus_x2apic;
		if (ret || vtd_unit_bringup(u, fault_owner))
			continue;
		up++;
		if (u->caps.ir) {
			u32 present = vtd_ir_present(u);
			check(u->ir && (io_read32(u->regs, VTD_GSTS_REG) & VTD_GSTS_IRES) && !present,
			      "%s: interrupt remapping on (GSTS.IRES reads 1), every entry of its table not present (%u of %u)",
			      u->name, present, u->irt_entries);
		}
	}
	did_range();
	if (!up) {
		log_write(LOG_ERR, "vtd", "no remapping unit up (%u found); DMA cannot be isolated", nr_units);
		return -HV_ENODEV;
	}
	log_write(LOG_INFO, "vtd", "%u of %u remapping unit(s) up; domain IDs %u-%u", up, nr_units,
		  did_first, did_end - 1);
	return 0;
}

/* The table sllps and coherency for one depth: what every unit using it allows. */
static void pt_params(unsigned levels, u32 *sllps, bool *coherent, bool *used)
{
	*sllps = VTD_SLLPS_2M | VTD_SLLPS_1G;
	*coherent = true;
	*used = false;
	for (unsigned i = 0; i < nr_units; i++) {
		if (!units[i].up || units[i].levels != levels)
			continue;
		*used = true;
		*sllps &= units[i].caps.sllps;
		*coherent = *coherent && units[i].caps.c;
	}
}

static void domain_free(struct iommu_domain *d)
{
	for (unsigned k = 0; k < 2; k++)
		if (d->has_pt[k])
			pt_destroy(&d->pt[k]);
	memset(d, 0, sizeof(*d));
}

static struct iommu_domain *vtd_domain_create(const char *name)
{
	struct iommu_domain *d = NULL;

	if (!name || !name[0] || strlen(name) >= IOMMU_NAME_LEN)
		return NULL;
	for (unsigned i = 0; i < VTD_DOMAINS_MAX; i++) {
		if (domains[i].used && !strcmp(domains[i].name, name))
			return NULL;
		if (!domains[i].used && !d)
			d = &domains[i];
	}
	if (!d) {
		log_write(LOG_ERR, "vtd", "domain %s: more than %u domains", name, VTD_DOMAINS_MAX);
		return NULL;
	}
	if (did_next >= did_end) {
		log_write(LOG_ERR, "vtd", "domain %s: no domain ID left (%u in use, units allow %u)", name,
			  did_next - did_first, did_end);
		return NULL;
	}
	d->used = true;
	str_copy(d->name, name, sizeof(d->name));
	d->did = (u16)did_next;
	for (unsigned levels = 3; levels <= 4; levels++) {
		u32 sllps;
		bool coherent, used;
		pt_params(levels, &sllps, &coherent, &used);
		if (!used)
			continue;
		/* SNP stays clear: it is reserved unless ECAP.SC, and DMA to RAM snoops anyway. */
		if (vtd_pt_init(&d->pt[PT_INDEX(levels)], levels, sllps, coherent, false)) {
			domain_free(d);
			return NULL;
		}
		d->has_pt[PT_INDEX(levels)] = true;
		log_write(LOG_INFO, "vtd", "domain %s: did %u, %u-level second-stage table at 0x%016llx",
			  name, d->did, levels, (unsigned long long)d->pt[PT_INDEX(levels)].root_pa);
	}
	if (!d->has_pt[0] && !d->has_pt[1]) {
		domain_free(d);
		return NULL;                    /* no unit is up */
	}
	did_next++;
	return d;
}

/*
 * After entries change: each unit where the domain has devices invalidates
 * the range (unmap, and map under CAP.CM, where not-present entries may be
 * cached), or flushes its write buffer (map without CM).
 */
static u64 descriptors(const struct vtd_inv_stats *s)
{
	u64 n = 0;
	for (unsigned t = 0; t < VTD_INV_KINDS; t++)
		n += s->desc[t];
	return n;
}

static int after_change(struct iommu_domain *d, u64 iova, u64 size, bool unmap)
{
	struct iommu_change_counts *c = &d->changes;
	u64 waits = d->stats.waits, desc = descriptors(&d->stats);
	int first = 0;

	for (unsigned i = 0; i < nr_units; i++) {
		struct vtd_unit *u = &units[i];
		int ret;
		if (!u->up || !d->devices[i])
			continue;
		/* With ATS functions every change runs the whole sequence: an ATC may hold a "no access" answer too. */
		if (unmap || u->caps.cm || d->nr_ats[i]) {
			ret = vtd_inv_range_ats(u, d->did, iova, size, d->ats[i], d->nr_ats[i], &d->stats);
		} else {
			/* SPEC: §6.1: without CM a not-present entry is never cached; a write-buffer flush (RWBF) suffices. */
			ret = vtd_unit_flush_write_buffer(u);
			c->wb_flushes[unmap] += u->caps.rwbf && !ret;
		}
		if (ret && !first)
			first = ret;
	}
	c->changes[unmap]++;
	c->batches[unmap] += d->stats.waits - waits;
	c->descriptors[unmap] += descriptors(&d->stats) - desc;
	return first;
}

static int vtd_map(struct iommu_domain *d, u64 iova, u64 hpa, u64 size, u32 prot)
{
	int ret = 0;
	unsigned k;

	if (!d || !d->used)
		return -HV_EINVAL;
	for (k = 0; k < 2 && !ret; k++)
		if (d->has_pt[k])
			ret = pt_map(&d->pt[k], iova, hpa, size, prot);
	if (ret) {
		/* The tables of one domain hold the same map: undo the ones done. */
		for (unsigned j = 0; j + 1 < k; j++)
			if (d->has_pt[j])
				pt_unmap(&d->pt[j], iova, size);
		return ret;
	}
	log_write(LOG_DBG, "vtd", "domain %s: mapped iova 0x%016llx-0x%016llx -> hpa 0x%016llx %s%s",
		  d->name, (unsigned long long)iova, (unsigned long long)(iova + size - 1),
		  (unsigned long long)hpa, (prot & IOMMU_READ) ? "r" : "", (prot & IOMMU_WRITE) ? "w" : "");
	return after_change(d, iova, size, false);
}

static int vtd_unmap_ranges(struct iommu_domain *d, const struct iommu_range *r, unsigned n)
{
	int first = 0;
	u64 lo = ~0ULL, hi = 0;

	if (!d || !d->used || !n)
		return -HV_EINVAL;
	for (unsigned i = 0; i < n; i++) {
		for (unsigned k = 0; k < 2; k++) {
			if (!d->has_pt[k])
				continue;
			int ret = pt_unmap(&d->pt[k], r[i].iova, r[i].size);
			if (ret && !first)
				first = ret;
		}
		lo = MIN(lo, r[i].iova);
		hi = MAX(hi, r[i].iova + r[i].size);
	}
	/* Even a partial unmap must reach the IOTLB; one batch covers every range. */
	int ret = after_change(d, lo, hi - lo, true);
	return first ? first : ret;
}

static int vtd_unmap(struct iommu_domain *d, u64 iova, u64 size)
{
	const struct iommu_range r = { iova, size };
	return vtd_unmap_ranges(d, &r, 1);
}

/*
 * The running unit that translates sbdf, for attaching it to or detaching
 * it from d. Returns 0 and *u, *ui; -HV_EINVAL for an unused domain,
 * -HV_ENODEV when no running unit covers the device.
 */
static int device_unit(const struct iommu_domain *d, u32 sbdf, struct vtd_unit **u, unsigned *ui)
{
	if (!d || !d->used)
		return -HV_EINVAL;
	*u = unit_for(sbdf, ui);
	return *u && (*u)->up ? 0 : -HV_ENODEV;
}

static int vtd_attach(struct iommu_domain *d, u32 sbdf)
{
	struct vtd_context_entry ce;
	struct iommu_domain *old = NULL;
	unsigned ui;
	int ret;

	struct vtd_unit *u;
	if ((ret = device_unit(d, sbdf, &u, &ui)))
		return ret;
	const struct pt *pt = &d->pt[PT_INDEX(u->levels)];
	if (vtd_ctx_lookup(u, PCI_RID(sbdf), &ce))
		old = domain_by_did((u16)FIELD_GET(VTD_CE_HI_DID, ce.hi));
	if ((ret = vtd_ctx_attach(u, PCI_RID(sbdf), d->did, pt, VTD_TT_UNTRANSLATED)))
		return ret;
	if (old != d) {
		if (old && old->devices[ui])
			old->devices[ui]--;
		d->devices[ui]++;
	}
	log_write(LOG_DBG, u->name, BDF_FMT " -> domain %s (did %u, %u-level table at 0x%016llx)",
		  BDF_ARGS(sbdf), d->name, d->did, pt->levels,
		  (unsigned long long)pt->root_pa);
	return 0;
}

static int vtd_detach(struct iommu_domain *d, u32 sbdf)
{
	struct vtd_context_entry ce;
	unsigned ui;
	int ret;

	struct vtd_unit *u;
	if ((ret = device_unit(d, sbdf, &u, &ui)))
		return ret;
	if (!vtd_ctx_lookup(u, PCI_RID(sbdf), &ce))
		return -HV_ENOENT;
	if (FIELD_GET(VTD_CE_HI_DID, ce.hi) != d->did)
		return -HV_EINVAL;              /* attached to another domain */
	if ((ret = vtd_ctx_detach(u, PCI_RID(sbdf))))
		return ret;
	if (d->devices[ui])
		d->devices[ui]--;
	return 0;
}

/* The unit of a device attached to d, and the IRTE source of src. */
static int intr_unit(const struct iommu_domain *d, const struct iommu_intr_src *src, struct vtd_unit **u,
		     struct vtd_irte_src *is)
{
	struct vtd_context_entry ce;
	unsigned ui;
	int ret;

	if ((ret = device_unit(d, src->sbdf, u, &ui)))
		return ret;
	if (!vtd_ctx_lookup(*u, PCI_RID(src->sbdf), &ce) || FIELD_GET(VTD_CE_HI_DID, ce.hi) != d->did)
		return -HV_ENOENT;
	is->sid = PCI_RID(src->sbdf);
	is->bus_range = src->bus_range;
	is->bus_first = src->bus_first;
	is->bus_last = src->bus_last;
	return 0;
}

static int vtd_intr_alloc(struct iommu_domain *d, const struct iommu_intr_src *src, u32 apic_id, u8 vector,
			  struct iommu_msi_msg *msg)
{
	struct vtd_irte_src is;
	struct vtd_unit *u;
	u16 index;
	int ret;

	if ((ret = intr_unit(d, src, &u, &is)) || (ret = vtd_ir_alloc(u, &is, apic_id, vector, &d->stats, &index)))
		return ret;
	vtd_msi_remappable(index, &msg->addr, &msg->data);
	msg->handle = index;
	log_write(LOG_DBG, u->name, BDF_FMT " (domain %s): IRTE 0x%04x -> APIC ID %u vector 0x%02x",
		  BDF_ARGS(src->sbdf), d->name, index, apic_id, vector);
	return 0;
}

static int vtd_intr_free(struct iommu_domain *d, const struct iommu_intr_src *src, u32 handle)
{
	struct vtd_irte_src is;
	struct vtd_unit *u;
	int ret;

	if ((ret = intr_unit(d, src, &u, &is)))
		return ret;
	return handle > 0xffff ? -HV_ENOENT : vtd_ir_free(u, (u16)handle, &is, &d->stats);
}

/* Index of sid among d's ATS functions on unit ui, or -1. */
static int ats_index(const struct iommu_domain *d, unsigned ui, u16 sid)
{
	for (u32 k = 0; k < d->nr_ats[ui]; k++)
		if (d->ats[ui][k].sid == sid)
			return (int)k;
	return -1;
}

static int vtd_set_ats(struct iommu_domain *d, u32 sbdf, const struct iommu_ats *ats, char *why, size_t len)
{
	struct vtd_context_entry ce;
	struct vtd_unit *u;
	unsigned ui;
	int ret;
	u16 sid = PCI_RID(sbdf);

	if ((ret = device_unit(d, sbdf, &u, &ui)))
		return ret;
	if (!vtd_ctx_lookup(u, sid, &ce) || FIELD_GET(VTD_CE_HI_DID, ce.hi) != d->did)
		return -HV_ENOENT;
	const struct pt *pt = &d->pt[PT_INDEX(u->levels)];
	int k = ats_index(d, ui, sid);
	if (!ats) {
		if (k < 0)
			return 0;
		d->ats[ui][k] = d->ats[ui][--d->nr_ats[ui]];
		return vtd_ctx_attach(u, sid, d->did, pt, VTD_TT_UNTRANSLATED);
	}
	if (!u->caps.dt) {
		fmt_snprintf(why, len, "%s has no device-TLB support (ECAP.DT = 0)", u->name);
		return -HV_ENOTSUP;
	}
	if (!u->qi.on) {
		fmt_snprintf(why, len, "%s has no invalidation queue, which device-TLB invalidation needs", u->name);
		return -HV_ENOTSUP;
	}
	if (k < 0 && d->nr_ats[ui] == VTD_DOMAIN_ATS_MAX) {
		fmt_snprintf(why, len, "domain %s has %u ATS functions on %s already", d->name, VTD_DOMAIN_ATS_MAX, u->name);
		return -HV_ENOTSUP;
	}
	if (!ats->qdepth || ats->qdepth > 32)
		return -HV_EINVAL;
	if ((ret = vtd_ctx_attach(u, sid, d->did, pt, VTD_TT_DEVTLB)))
		return ret;
	if (k < 0)
		k = (int)d->nr_ats[ui]++;
	d->ats[ui][k] = (struct vtd_ats_dev){ .sid = sid, .pfsid = ats->pfsid, .qdepth = ats->qdepth };
	log_write(LOG_INFO, u->name, BDF_FMT ": context entry translation type device-TLB (domain %s, did %u)%s",
		  BDF_ARGS(sbdf), d->name, d->did,
		  u->caps.dit ? ", PFSID in its invalidations (ECAP.DIT)" : "");
	return 0;
}

static void vtd_poll_faults(void);

/*
 * At the end of the run: each unit's invalidation counters, then its Fault
 * Status once the fault records are drained. Every batch ended in its wait
 * and every fault was reported, so FSTS must read 0: a queue error (IQE,
 * ICE), a time-out (ITE) or a fault left pending (PPF, PFO) fails a check.
 */
static void vtd_log_counters(void)
{
	char line[256];

	vtd_poll_faults();
	for (unsigned i = 0; i < nr_units; i++) {
		struct vtd_unit *u = &units[i];
		if (!u->up)
			continue;
		vtd_unit_fault_summary(u, true);
		vtd_inv_stats_format(&u->qi.stats, line, sizeof(line));
		log_write(LOG_INFO, u->name, "invalidations: %s", line);
		u32 fsts = io_read32(u->regs, VTD_FSTS_REG);
		check(fsts == 0, "%s: FSTS 0x%08x after %llu invalidation waits (no queue error, time-out or fault left pending)",
		      u->name, fsts, (unsigned long long)u->qi.stats.waits);
	}
}

static void vtd_log_units(void)
{
	char line[256];

	for (unsigned i = 0; i < nr_units; i++) {
		struct vtd_unit *u = &units[i];
		if (!u->up) {
			log_write(LOG_INFO, u->name, "unit at 0x%016llx: left off at bring-up", (unsigned long long)u->reg_pa);
			continue;
		}
		u32 gsts = io_read32(u->regs, VTD_GSTS_REG);
		log_write(LOG_INFO, u->name, "unit at 0x%016llx segment %u cap=0x%016llx ecap=0x%016llx: translation %s, interrupt remapping %s (GSTS 0x%08x)",
			  (unsigned long long)u->reg_pa, u->segment, (unsigned long long)u->cap, (unsigned long long)u->ecap,
			  (gsts & VTD_GSTS_TES) ? "on" : "off", (gsts & VTD_GSTS_IRES) ? "on" : "off", gsts);
		vtd_caps_format_cap(line, sizeof(line), &u->caps);
		log_write(LOG_INFO, u->name, "cap: %s", line);
		vtd_caps_format_ecap(line, sizeof(line), &u->caps);
		log_write(LOG_INFO, u->name, "ecap: %s", line);
		log_write(LOG_INFO, u->name, "faults: %llu recorded (%llu interrupt remapping), %llu fault log overflows, FSTS 0x%08x",
			  (unsigned long long)u->faults, (unsigned long long)u->ir_faults, (unsigned long long)u->overflows,
			  io_read32(u->regs, VTD_FSTS_REG));
		vtd_inv_stats_format(&u->qi.stats, line, sizeof(line));
		log_write(LOG_INFO, u->name, "invalidations: %s", line);
	}
}

static void vtd_set_cpu_x2apic(bool on)
{
	cpus_x2apic = on;
}

static int vtd_intr_table(unsigned i, struct iommu_intr_table *t)
{
	if (i >= nr_units)
		return -HV_ENOENT;
	const struct vtd_unit *u = &units[i];
	memset(t, 0, sizeof(*t));
	str_copy(t->unit, u->name, sizeof(t->unit));
	t->on = u->up && !vtd_unit_irt(u, &t->pa, &t->size);
	t->entries = t->on ? u->irt_entries : 0;
	t->faults = u->ir_faults;
	return 0;
}

static int vtd_unit_info(unsigned i, struct iommu_unit_info *info)
{
	if (i >= nr_units)
		return -HV_ENOENT;
	const struct vtd_unit *u = &units[i];
	memset(info, 0, sizeof(*info));
	str_copy(info->name, u->name, sizeof(info->name));
	info->segment = u->segment;
	info->base = u->reg_pa;
	info->up = u->up;
	info->translation = u->te;
	return 0;
}

static int vtd_unit_index(u32 sbdf)
{
	unsigned i;

	return unit_for(sbdf, &i) ? (int)i : -HV_ENODEV;
}

static void vtd_set_devtlb_timeout(u32 us)
{
	vtd_devtlb_timeout_us = us;
}

static int vtd_enable(void)
{
	int first = 0;
	unsigned on = 0;

	for (unsigned i = 0; i < nr_units; i++) {
		if (!units[i].up)
			continue;
		int ret = vtd_unit_enable(&units[i]);
		if (ret && !first)
			first = ret;
		on += !ret;
	}
	return on ? first : (first ? first : -HV_ENODEV);
}

/*
 * The fault recording registers are drained by the fault event interrupt
 * (on the CPU route_faults chose) and by polls from any CPU (a partition
 * ending on its own CPU): one at a time, with interrupts off.
 */
static struct spinlock fault_lock;

static void vtd_poll_faults(void)
{
	u64 flags = cpu_irq_save();
	spin_lock(&fault_lock);
	for (unsigned i = 0; i < nr_units; i++)
		if (units[i].up)
			vtd_unit_drain_faults(&units[i], fault_owner);
	spin_unlock(&fault_lock);
	cpu_irq_restore(flags);
}

/*
 * §7.4 fault event interrupts: a compatibility-format MSI whose data is the
 * vector and whose address names the destination APIC (physical mode); IM
 * is cleared last, once address and data are in place. xAPIC IDs only
 * (x2APIC IDs above 255 need interrupt remapping or EIM).
 */
static int vtd_route_faults(u8 vector, u32 apic_id)
{
	if (apic_id > 0xff)
		return -HV_ENOTSUP;
	for (unsigned i = 0; i < nr_units; i++) {
		struct vtd_unit *u = &units[i];
		if (!u->up)
			continue;
		io_write32(u->regs, VTD_FEDATA_REG, vector);
		io_write32(u->regs, VTD_FEADDR_REG,
			   (u32)(VTD_FEADDR_MSI_BASE | FIELD_PREP(VTD_FEADDR_DEST, apic_id)));
		io_write32(u->regs, VTD_FEUADDR_REG, 0);
		io_write32(u->regs, VTD_FECTL_REG, 0);
		log_write(LOG_INFO, u->name, "fault events -> vector 0x%02x on APIC %u", vector, apic_id);
	}
	return 0;
}

/* The fault event interrupt: drain every unit, one line per interrupt. */
static void vtd_fault_event(void *arg)
{
	(void)arg;
	spin_lock(&fault_lock);
	for (unsigned i = 0; i < nr_units; i++) {
		if (!units[i].up)
			continue;
		unsigned n = vtd_unit_drain_faults(&units[i], fault_owner);
		log_write(LOG_INFO, units[i].name, "fault event interrupt: %u record(s) drained", n);
	}
	spin_unlock(&fault_lock);
}

static int vtd_walk_op(u32 sbdf, u64 iova, bool write)
{
	struct vtd_walk_result r;
	unsigned ui;
	struct vtd_unit *u = unit_for(sbdf, &ui);

	if (!u || !u->root)
		return -HV_ENODEV;
	/* The walk checks what this unit checks. */
	struct vtd_walk_caps caps = {
		.sagaw = u->caps.sagaw, .sllps = u->caps.sllps, .mgaw = u->caps.mgaw,
		.haw = dmar_haw_bits(dmar), .sc = u->caps.sc, .dt = u->caps.dt, .pt = u->caps.pt,
		.tm = false,
	};
	int ret = vtd_walk_with(&caps, u->root_pa, sbdf, iova, write, &r);
	if (ret)
		return ret;
	vtd_walk_log(&r);
	return 0;
}

/* The structures a walk of sbdf reads: root table, its context table, the domain's top-level table. */
static int vtd_tables_op(u32 sbdf, struct iommu_tables *t)
{
	struct vtd_walk_result r;
	unsigned ui;
	struct vtd_unit *u = unit_for(sbdf, &ui);

	memset(t, 0, sizeof(*t));
	if (!u || !u->root)
		return -HV_ENODEV;
	int ret = vtd_walk(u->root_pa, sbdf, 0, false, &r);
	if (ret)
		return ret;
	t->root_pa = u->root_pa;
	for (unsigned i = 0; i < r.nr_steps; i++) {
		if (r.step[i].kind == VTD_WALK_CTX)
			t->context_pa = r.step[i].table_pa;
		else if (r.step[i].kind == VTD_WALK_SSPT && !t->top_pa)
			t->top_pa = r.step[i].table_pa;
	}
	return 0;
}

u64 iommu_domain_faults(const struct iommu_domain *d)
{
	return d ? d->faults : 0;
}

u64 iommu_domain_ir_faults(const struct iommu_domain *d)
{
	return d ? d->ir_faults : 0;
}

void iommu_domain_fault_counts(const struct iommu_domain *d, u64 *logged, u64 *suppressed)
{
	*logged = d ? d->faults_logged : 0;
	*suppressed = d ? d->faults_suppressed : 0;
}

void iommu_domain_change_counts(const struct iommu_domain *d, struct iommu_change_counts *c)
{
	if (d)
		*c = d->changes;
	else
		memset(c, 0, sizeof(*c));
}

u64 iommu_domain_table_pages(const struct iommu_domain *d)
{
	u64 n = 0;
	for (unsigned k = 0; d && k < 2; k++)
		if (d->has_pt[k])
			n += d->pt[k].tables;
	return n;
}

void iommu_domain_inv_format(const struct iommu_domain *d, char *buf, size_t len)
{
	if (!d || !d->stats.waits) {
		if (len)
			buf[0] = '\0';
		return;
	}
	vtd_inv_stats_format(&d->stats, buf, len);
}

const struct iommu_ops vtd_iommu_ops = {
	.name = "vt-d",
	.init = vtd_init,
	.domain_create = vtd_domain_create,
	.map = vtd_map,
	.unmap = vtd_unmap,
	.unmap_ranges = vtd_unmap_ranges,
	.attach = vtd_attach,
	.detach = vtd_detach,
	.set_ats = vtd_set_ats,
	.set_devtlb_timeout = vtd_set_devtlb_timeout,
	.set_cpu_x2apic = vtd_set_cpu_x2apic,
	.intr_table = vtd_intr_table,
	.unit_info = vtd_unit_info,
	.unit_index = vtd_unit_index,
	.intr_alloc = vtd_intr_alloc,
	.intr_free = vtd_intr_free,
	.enable = vtd_enable,
	.poll_faults = vtd_poll_faults,
	.route_faults = vtd_route_faults,
	.fault_event = vtd_fault_event,
	.walk = vtd_walk_op,
	.tables = vtd_tables_op,
	.log_counters = vtd_log_counters,
	.log_units = vtd_log_units,
};
