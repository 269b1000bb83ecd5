/*
 * Stage 0 and stage 1 of the worked example (docs/architecture.md),
 * shown with real DMA from two edu devices (vm/demo/dma_demo.h). Sluice plays both partitions' drivers: it
 * stages each EP's pattern in the EP's own memory, has the EP fetch it
 * (a DMA read) and write it to a bus address (a DMA write), then looks at
 * host memory to see where the bytes went. Every target sits between
 * canaries; every verdict is a check(). The result table is the one the
 * seed's notes draw: partition, device, bus address, HPA, bytes. Stage 1 ends
 * with a forged interrupt request that interrupt remapping must block.
 */
#define LOG_SUBSYS "demo"
#include "vm/demo/dma_demo.h"
#include "vm/config/config.h"
#include "pci/edu.h"
#include "iommu/vtd_hw.h"
#include "kernel/check.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"

#define HEX(x)          ((unsigned long long)(x))
#define MAX_BORROWED    8
#define MAX_WATCH       8
/* Where the read-only case puts what it reads, away from the pattern at 0. */
#define RO_BUF_OFF      0x800
/* The interrupt-window case: its 32-bit message data, staged and in the device buffer. */
#define MSI_STAGE_OFF   (DEMO_STAGE_OFF + 0x200)
#define MSI_BUF_OFF     0xa00
#define MSI_INDEX       0x12    /* the IRTE the forged request names */

struct ep {
	u32 n;                          /* 1 or 2: EP1, EP2 */
	struct partition_cfg *cfg;
	const struct part_region *r;  /* writable, >= 2 pages: target at its start */
	u32 sbdf;
	struct edu edu;
};

/* A window of host memory that must keep its canary (or receive a pattern). */
struct watch {
	u64 hpa;
	bool pre, post;                 /* guards below and above were placed */
};

struct demo {
	struct sluice_cfg *s;
	const struct iommu_ops *ops;
	struct ep ep[2];
	u64 borrowed[MAX_BORROWED];
	u32 nr_borrowed;
	struct watch w[MAX_WATCH];
	u32 nr_watch;
};

static u8 *mem(u64 hpa, u64 len)
{
	return phys_to_virt(hpa, len);
}

/* True when [pa, pa+len) is a partition's claimed memory or a page borrowed here. */
static bool owned(struct demo *dm, u64 pa, u64 len)
{
	const struct part_region *r;

	if (len && partition_of_hpa(dm->s, pa, &r) && r->claimed && pa + len <= r->hpa + r->size)
		return true;
	for (u32 i = 0; i < dm->nr_borrowed; i++)
		if (pa >= dm->borrowed[i] && pa + len <= dm->borrowed[i] + PAGE_SIZE)
			return true;
	return false;
}

/*
 * Makes [pa, pa+len) (within one page) writable for canaries: ours already,
 * or a free page taken from the allocator until the demo ends.
 */
static bool take(struct demo *dm, u64 pa, u64 len)
{
	u64 page = ALIGN_DOWN(pa, PAGE_SIZE);

	if (owned(dm, pa, len))
		return mem(pa, len) != NULL;
	if (ALIGN_DOWN(pa + len - 1, PAGE_SIZE) != page || dm->nr_borrowed == MAX_BORROWED ||
	    !mem(page, PAGE_SIZE) || page_alloc_fixed(page, 1))
		return false;
	dm->borrowed[dm->nr_borrowed++] = page;
	return true;
}

static void give_back(struct demo *dm)
{
	for (u32 i = 0; i < dm->nr_borrowed; i++)
		page_free(dm->borrowed[i], 1);
	dm->nr_borrowed = 0;
}

static bool all_bytes(u64 hpa, u64 len, u8 byte)
{
	const u8 *p = mem(hpa, len);
	for (u64 i = 0; p && i < len; i++)
		if (p[i] != byte)
			return false;
	return p != NULL;
}

/* How many bytes of EP n's pattern are at hpa. */
static u32 pattern_bytes(u64 hpa, u32 n)
{
	const u8 *p = mem(hpa, DEMO_LEN);
	u32 found = 0;
	for (u32 i = 0; p && i < DEMO_LEN; i++)
		found += p[i] == dma_demo_pattern(n, i);
	return found;
}

/* Fills the DEMO_LEN bytes at hpa with the canary and guards both sides where it may. */
static bool watch(struct demo *dm, u64 hpa)
{
	struct watch *w = NULL;

	for (u32 i = 0; i < dm->nr_watch && !w; i++)
		if (dm->w[i].hpa == hpa)
			w = &dm->w[i];
	if (!w) {
		if (dm->nr_watch == MAX_WATCH || !take(dm, hpa, DEMO_LEN))
			return false;
		w = &dm->w[dm->nr_watch++];
		w->hpa = hpa;
		w->pre = hpa >= DEMO_GUARD && take(dm, hpa - DEMO_GUARD, DEMO_GUARD);
		w->post = take(dm, hpa + DEMO_LEN, DEMO_GUARD);
	}
	memset(mem(hpa, DEMO_LEN), DEMO_CANARY, DEMO_LEN);
	if (w->pre)
		memset(mem(hpa - DEMO_GUARD, DEMO_GUARD), DEMO_GUARD_BYTE, DEMO_GUARD);
	if (w->post)
		memset(mem(hpa + DEMO_LEN, DEMO_GUARD), DEMO_GUARD_BYTE, DEMO_GUARD);
	return true;
}

/* Puts the canaries back everywhere, so the next case is judged on its own. */
static void rearm(struct demo *dm)
{
	for (u32 i = 0; i < dm->nr_watch; i++)
		watch(dm, dm->w[i].hpa);
}

/* The guards around every watched window are untouched. */
static bool guards_intact(const struct demo *dm)
{
	for (u32 i = 0; i < dm->nr_watch; i++) {
		const struct watch *w = &dm->w[i];
		if ((w->pre && !all_bytes(w->hpa - DEMO_GUARD, DEMO_GUARD, DEMO_GUARD_BYTE)) ||
		    (w->post && !all_bytes(w->hpa + DEMO_LEN, DEMO_GUARD, DEMO_GUARD_BYTE)))
			return false;
	}
	return true;
}

/* Every watched window still holds its canary, and every guard is intact. */
static bool canaries_intact(const struct demo *dm)
{
	for (u32 i = 0; i < dm->nr_watch; i++)
		if (!all_bytes(dm->w[i].hpa, DEMO_LEN, DEMO_CANARY))
			return false;
	return guards_intact(dm);
}

static u64 domain_faults(const struct partition_cfg *d)
{
	return d->iommu ? iommu_domain_faults(d->iommu) : 0;
}

/* EP e fetches len bytes of what (for the log) from bus address bus into its buffer at buf_off. */
static int fetch(struct ep *e, u64 bus, u32 buf_off, u32 len, const char *what)
{
	int ret = edu_dma_read(&e->edu, bus, buf_off, len);
	if (ret)
		check(false, "demo: EP%u (" BDF_FMT ") fetches %s from bus address 0x%016llx: %s",
		      e->n, BDF_ARGS(e->sbdf), what, HEX(bus), hv_strerror(ret));
	return ret;
}

/*
 * Puts EP n's pattern in its region's staging page and has the EP fetch it
 * from bus address bus (the staging page's GPA, or its HPA without IOMMU).
 */
static int load_pattern(struct ep *e, u64 bus)
{
	u8 *p = mem(e->r->hpa + DEMO_STAGE_OFF, DEMO_LEN);

	for (u32 i = 0; i < DEMO_LEN; i++)
		p[i] = dma_demo_pattern(e->n, i);
	return fetch(e, bus, 0, DEMO_LEN, "its pattern");
}

/* EP e writes len bytes of its buffer from buf_off to bus address bus. */
static int dma_write_from(struct ep *e, u32 buf_off, u64 bus, u32 len)
{
	int ret = edu_dma_write(&e->edu, buf_off, bus, len);
	if (ret)
		check(false, "demo: EP%u (" BDF_FMT ") DMA write to 0x%016llx: %s", e->n,
		      BDF_ARGS(e->sbdf), HEX(bus), hv_strerror(ret));
	return ret;
}

static int dma_write(struct ep *e, u64 bus)
{
	return dma_write_from(e, 0, bus, DEMO_LEN);
}

static void table_header(void)
{
	log_info("| partition | device  | bus address        | HPA                | bytes | HPA belongs to |");
}

/* One row: where EP e's write to bus was looked for (hpa) and how much of it is there. */
static void table_row(struct demo *dm, const struct ep *e, u64 bus, u64 hpa)
{
	struct partition_cfg *owner = partition_of_hpa(dm->s, hpa, NULL);
	log_info("| %-9s | " BDF_FMT " | 0x%016llx | 0x%016llx | 0x%02x  | %-14s |", e->cfg->name,
		 BDF_ARGS(e->sbdf), HEX(bus), HEX(hpa), pattern_bytes(hpa, e->n),
		 owner ? owner->name : "(nobody)");
}

/* ---- finding the two EPs ---- */

static bool find_eps(struct demo *dm)
{
	u32 n = 0;

	for (u32 i = 0; i < dm->s->nr && n < 2; i++) {
		struct partition_cfg *d = &dm->s->d[i];
		struct ep *e = &dm->ep[n];
		const struct pci_dev *p = NULL;
		e->r = NULL;
		for (u32 k = 0; k < d->nr_devices && !p; k++) {
			p = pci_find(d->devices[k].sbdf);
			if (p && !edu_match(p))
				p = NULL;
		}
		for (u32 k = 0; k < d->nr_regions && !e->r; k++)
			if ((d->regions[k].prot & IOMMU_WRITE) && !d->regions[k].rmrr &&
			    d->regions[k].size >= DEMO_STAGE_OFF + PAGE_SIZE)
				e->r = &d->regions[k];
		if (!p || !e->r)
			continue;
		e->n = ++n;
		e->cfg = d;
		e->sbdf = p->sbdf;
		int ret = edu_open(&e->edu, p);
		if (ret) {
			check(false, "demo: EP%u " BDF_FMT " of %s answers as an edu: %s", e->n,
			      BDF_ARGS(e->sbdf), d->name, hv_strerror(ret));
			return false;
		}
		log_info("EP%u is " BDF_FMT " (edu %u.%u) in partition %s; its target: gpa 0x%016llx -> hpa 0x%016llx",
			 e->n, BDF_ARGS(e->sbdf), e->edu.version >> 8, e->edu.version & 0xff, d->name,
			 HEX(e->r->gpa), HEX(e->r->hpa));
	}
	if (n < 2)
		check(false, "demo: two partitions, each with an edu device and 2+ pages of rw memory (found %u)", n);
	return n == 2;
}

/* ---- stage 0 ---- */

static void stage0(struct demo *dm)
{
	struct ep *e2 = &dm->ep[1];
	u64 bus = e2->r->gpa;
	const struct part_region *vr;
	struct partition_cfg *victim = partition_of_hpa(dm->s, bus, &vr);

	log_warn("stage 0: iommu = off: a bus address is a host physical address; nothing translates or checks it");
	if (!victim || victim == e2->cfg || bus + DEMO_LEN > vr->hpa + vr->size) {
		check(false, "stage 0: %s's bus address 0x%016llx is another partition's HPA (the hazard to show)",
		      e2->cfg->name, HEX(bus));
		return;
	}
	/* No IOMMU: Sluice hands EP2 the HPA of its staging page. */
	if (load_pattern(e2, e2->r->hpa + DEMO_STAGE_OFF))
		return;
	if (!watch(dm, bus) || !watch(dm, e2->r->hpa)) {
		check(false, "stage 0: canaries placed at HPA 0x%016llx and 0x%016llx", HEX(bus), HEX(e2->r->hpa));
		return;
	}
	log_info("stage 0: canary in %s's memory at HPA 0x%016llx; %s's own target HPA 0x%016llx holds one too",
		 victim->name, HEX(bus), e2->cfg->name, HEX(e2->r->hpa));
	log_info("stage 0: EP2 (" BDF_FMT ", %s) writes 0x%x bytes to bus address 0x%016llx, its GPA",
		 BDF_ARGS(e2->sbdf), e2->cfg->name, DEMO_LEN, HEX(bus));
	if (dma_write(e2, bus))
		return;
	u32 hit = pattern_bytes(bus, e2->n);
	bool own_intact = all_bytes(e2->r->hpa, DEMO_LEN, DEMO_CANARY);
	log_info("stage 0 result:");
	table_header();
	table_row(dm, e2, bus, bus);
	table_row(dm, e2, bus, e2->r->hpa);
	if (hit == DEMO_LEN)
		log_warn("stage 0: EP2 of %s overwrote %s's canary at HPA 0x%016llx-0x%016llx: without an IOMMU, DMA is not isolated",
			 e2->cfg->name, victim->name, HEX(bus), HEX(bus + DEMO_LEN - 1));
	check(hit == DEMO_LEN && own_intact && guards_intact(dm),
	      "stage 0: hazard shown: EP2 of %s overwrote %s's canary at HPA 0x%016llx (%s's memory untouched)",
	      e2->cfg->name, victim->name, HEX(bus), e2->cfg->name);
}

/* ---- stage 1 ---- */

/* A page-aligned bus address just past one of e's regions that e's partition does not map. */
static u64 outside_address(const struct ep *e)
{
	const struct partition_cfg *d = e->cfg;

	for (u32 k = 0; k < d->nr_regions; k++) {
		u64 a = d->regions[k].gpa + d->regions[k].size;
		if (a < PART_GPA_LIMIT && !part_region_at(d, a, DEMO_LEN))
			return a;
	}
	return PART_GPA_LIMIT;
}

/* EP2 writes where its partition has no memory: a fault, and no byte anywhere. */
static void stage1_outside(struct demo *dm)
{
	struct ep *e2 = &dm->ep[1];
	u64 bus = outside_address(e2);

	if (bus == PART_GPA_LIMIT) {
		check(false, "stage 1: an address outside %s to aim EP2 at", e2->cfg->name);
		return;
	}
	rearm(dm);
	/* Where the bytes would land if nothing translated them, when that memory is free. */
	if (watch(dm, bus))
		log_info("stage 1: canary at HPA 0x%016llx too, where an untranslated write would land", HEX(bus));
	u64 f0 = domain_faults(e2->cfg);
	log_info("stage 1: EP2 (" BDF_FMT ", %s) told to write 0x%x bytes to bus address 0x%016llx, outside its partition",
		 BDF_ARGS(e2->sbdf), e2->cfg->name, DEMO_LEN, HEX(bus));
	if (dma_write(e2, bus))
		return;
	dm->ops->poll_faults();
	u64 f1 = domain_faults(e2->cfg);
	dm->ops->walk(e2->sbdf, bus, true);
	check(f1 > f0, "stage 1: EP2's write to 0x%016llx outside %s faulted (%llu fault(s) counted)",
	      HEX(bus), e2->cfg->name, HEX(f1 - f0));
	check(canaries_intact(dm), "stage 1: the blocked write changed nothing (every canary intact)");
}

/* A DMA write through a mapping the config made read-only: a write fault, no byte written. */
static void stage1_read_only(struct demo *dm)
{
	struct ep *e = NULL;
	const struct part_region *r = NULL;

	for (u32 i = 0; i < 2 && !r; i++)
		for (u32 k = 0; k < dm->ep[i].cfg->nr_regions && !r; k++)
			if (dm->ep[i].cfg->regions[k].prot == IOMMU_READ &&
			    dm->ep[i].cfg->regions[k].size >= DEMO_LEN) {
				e = &dm->ep[i];
				r = &dm->ep[i].cfg->regions[k];
			}
	if (!r) {
		log_info("stage 1: no read-only region (access=r) in EP1's or EP2's partition; the write-fault case is skipped");
		return;
	}
	rearm(dm);
	if (!watch(dm, r->hpa)) {
		check(false, "stage 1: canary placed at HPA 0x%016llx", HEX(r->hpa));
		return;
	}
	/*
	 * The write goes first: QEMU records a fault only when it walks the
	 * tables, and a read would leave a read-only IOTLB entry behind that
	 * stops the write silently.
	 */
	u64 f0 = domain_faults(e->cfg);
	log_info("stage 1: EP%u (" BDF_FMT ", %s) told to write 0x%x bytes to bus address 0x%016llx, mapped read-only",
		 e->n, BDF_ARGS(e->sbdf), e->cfg->name, DEMO_LEN, HEX(r->gpa));
	if (dma_write(e, r->gpa))
		return;
	dm->ops->poll_faults();
	u64 f1 = domain_faults(e->cfg);
	dm->ops->walk(e->sbdf, r->gpa, true);
	check(f1 > f0 && canaries_intact(dm),
	      "stage 1: EP%u's write to read-only 0x%016llx faulted, HPA 0x%016llx unchanged", e->n,
	      HEX(r->gpa), HEX(r->hpa));
	int ret = edu_dma_read(&e->edu, r->gpa, RO_BUF_OFF, DEMO_LEN);
	dm->ops->poll_faults();
	check(!ret && domain_faults(e->cfg) == f1,
	      "stage 1: EP%u reads through the read-only mapping at 0x%016llx without a fault",
	      e->n, HEX(r->gpa));
}

/*
 * Counts the units and those remapping interrupts (iommu_ops.intr_table);
 * returns the interrupt remapping faults they recorded, all together.
 */
static u64 remapping_units(const struct iommu_ops *ops, unsigned *units, unsigned *on)
{
	struct iommu_intr_table t;
	u64 faults = 0;

	*units = *on = 0;
	for (unsigned i = 0; ops->intr_table && !ops->intr_table(i, &t); i++) {
		(*units)++;
		*on += t.on;
		faults += t.faults;
	}
	return faults;
}

/*
 * The interrupt window (VT-d §5.1): a DMA write to 0xFEEx_xxxx is an
 * interrupt request, not memory. EP2 writes a remappable-format request
 * (§5.1.2.2) naming IRTE MSI_INDEX; with remapping on and every IRTE not
 * present, the unit blocks it and records fault 0x22. The record's source
 * ID says whose it is: EP2's on hardware, so p2 is charged; QEMU gives a
 * device's DMA no requester ID there and records ff:1f.7, charged to
 * nobody (docs/architecture.md). The check is that it was blocked and no
 * other partition was charged. Run only where every unit remaps: without
 * remapping the message would reach a CPU as an interrupt.
 */
static void stage1_interrupt_window(struct demo *dm)
{
	struct ep *e2 = &dm->ep[1], *e1 = &dm->ep[0];
	unsigned units, on;

	u64 u0 = remapping_units(dm->ops, &units, &on);
	if (!units || on < units) {
		log_info("stage 1: interrupt remapping is on at %u of %u unit(s); the interrupt-window case is skipped", on, units);
		return;
	}
	u64 addr = VTD_MSI_ADDR_BASE | FIELD_PREP(VTD_MSI_ADDR_HANDLE_LO, MSI_INDEX) | VTD_MSI_ADDR_FORMAT;
	u8 *data = mem(e2->r->hpa + MSI_STAGE_OFF, 4);
	memset(data, 0, 4);             /* SHV clear: the handle alone is the index */
	if (fetch(e2, e2->r->gpa + MSI_STAGE_OFF, MSI_BUF_OFF, 4, "its message data"))
		return;
	struct iommu_domain *d = e2->cfg->iommu;
	u64 f0 = iommu_domain_faults(d), i0 = iommu_domain_ir_faults(d), o0 = domain_faults(e1->cfg);
	log_info("stage 1: EP2 (" BDF_FMT ", %s) told to write a remappable-format interrupt request for index 0x%04x to 0x%08llx",
		 BDF_ARGS(e2->sbdf), e2->cfg->name, MSI_INDEX, HEX(addr));
	if (dma_write_from(e2, MSI_BUF_OFF, addr, 4))
		return;
	dm->ops->poll_faults();
	u64 u1 = remapping_units(dm->ops, &units, &on);
	u64 f1 = iommu_domain_faults(d), i1 = iommu_domain_ir_faults(d), o1 = domain_faults(e1->cfg);
	if (i1 == i0 && u1 > u0)
		log_warn("stage 1: the interrupt fault was recorded without EP2's source ID, so no partition is charged (as on QEMU, whose device DMA carries no requester ID)");
	check(u1 > u0 && f1 - f0 == i1 - i0 && o1 == o0,
	      "stage 1: EP2's interrupt request for index 0x%04x was blocked: %llu interrupt fault(s) recorded, %llu charged to %s, none to %s",
	      MSI_INDEX, HEX(u1 - u0), HEX(i1 - i0), e2->cfg->name, e1->cfg->name);
}

static void stage1(struct demo *dm)
{
	u64 faults[2];

	log_info("stage 1: iommu = on: each device's bus addresses go through its partition's second-stage table");
	for (u32 i = 0; i < 2; i++) {
		struct ep *e = &dm->ep[i];
		if (!e->cfg->iommu || e->cfg->failed) {
			check(false, "stage 1: partition %s is programmed in the IOMMU", e->cfg->name);
			return;
		}
		faults[i] = domain_faults(e->cfg);
		/* Through the IOMMU the EP fetches from its staging page's GPA. */
		if (load_pattern(e, e->r->gpa + DEMO_STAGE_OFF))
			return;
		if (!watch(dm, e->r->hpa)) {
			check(false, "stage 1: canary placed at HPA 0x%016llx", HEX(e->r->hpa));
			return;
		}
	}
	for (u32 i = 0; i < 2; i++) {
		struct ep *e = &dm->ep[i];
		log_info("stage 1: EP%u (" BDF_FMT ", %s) writes 0x%x bytes to bus address 0x%016llx",
			 e->n, BDF_ARGS(e->sbdf), e->cfg->name, DEMO_LEN, HEX(e->r->gpa));
		if (dma_write(e, e->r->gpa))
			return;
	}
	dm->ops->poll_faults();
	/* The target is the region's start: bus address gpa lands at hpa or nowhere. */
	for (u32 i = 0; i < 2; i++) {
		struct ep *e = &dm->ep[i];
		u64 hpa = e->r->hpa;
		u32 hit = pattern_bytes(hpa, e->n);
		check(hit == DEMO_LEN && domain_faults(e->cfg) == faults[i],
		      "stage 1: EP%u's 0x%02x bytes at HPA 0x%016llx-0x%016llx (%s's memory), no fault",
		      e->n, hit, HEX(hpa), HEX(hpa + DEMO_LEN - 1), e->cfg->name);
	}
	check(guards_intact(dm), "stage 1: nothing written around either target (guards intact)");
	for (u32 i = 0; i < 2; i++)
		dm->ops->walk(dm->ep[i].sbdf, dm->ep[i].r->gpa, true);
	log_info("stage 1 result:");
	table_header();
	for (u32 i = 0; i < 2; i++)
		table_row(dm, &dm->ep[i], dm->ep[i].r->gpa, dm->ep[i].r->hpa);
	stage1_outside(dm);
	stage1_read_only(dm);
	stage1_interrupt_window(dm);
}

void dma_demo_run(struct sluice_cfg *s, const struct iommu_ops *ops)
{
	static struct demo dm;

	memset(&dm, 0, sizeof(dm));
	dm.s = s;
	dm.ops = ops;
	if (s->iommu && !ops) {
		check(false, "demo: stage 1 needs a running IOMMU");
		return;
	}
	log_info("DMA demonstration, stage %u (iommu = %s)", s->iommu ? 1 : 0, s->iommu ? "on" : "off");
	if (find_eps(&dm)) {
		if (s->iommu)
			stage1(&dm);
		else
			stage0(&dm);
	}
	give_back(&dm);
}
