/*
 * Attack tests (vm/part/attack.h): the foreign targets a hostile guest's device
 * is aimed at, their snapshots, and the comparison that proves 0 bytes
 * changed. Sluice itself does no attack: the guest drives its own device
 * (tests/guests/hostile.c) and VT-d must block every access. Targets in
 * RAM are read through the direct map, device registers through their BAR
 * mapping (32-bit reads of registers that do not change by themselves).
 */
#define LOG_SUBSYS "attack"
#include "vm/part/attack.h"
#include "vm/part/partition.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/check.h"
#include "kernel/fmt.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
#include "kernel/hw/io.h"
#include "pci/pci.h"

struct attack_target {
	struct sluice_attack_target t;
	u8 *snap;                       /* the bytes at snapshot time */
	u64 snap_pa, snap_pages;
	struct io_region *mmio;         /* SLUICE_ATTACK_MMIO */
};

static struct {
	bool on;
	const struct sluice_cfg *s;
	struct partition_set *ps;
	struct attack_host host;
	u64 canary_pa;
	u64 guard_pa[PART_MAX];       /* the page past partition i's highest region, taken as a guard; 0: none */
	u32 nr;
	struct attack_target t[SLUICE_ATTACK_MAX];
	const struct partition_cfg *attacker;      /* who took the snapshots */
	bool checked;                   /* compared since they were taken */
} st;

u64 attack_bytes_changed(const u8 *a, const u8 *b, u64 n)
{
	u64 d = 0;
	for (u64 i = 0; i < n; i++)
		d += a[i] != b[i];
	return d;
}

/* A byte pattern no blocked read returns (not uniform), seeded so each target's differs. */
static void fill_pattern(u8 *p, u64 n, u32 seed)
{
	for (u64 i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (u8)(seed >> 16);
	}
}

static struct partition *partition_named(const char *name)
{
	for (u32 i = 0; st.ps && i < st.ps->nr; i++)
		if (!strcmp(st.ps->p[i].cfg->name, name))
			return &st.ps->p[i];
	return NULL;
}

/* The region of d with the highest GPA end (the one "past the end" is judged from). */
static const struct part_region *top_region(const struct partition_cfg *d)
{
	const struct part_region *top = NULL;
	for (u32 k = 0; k < d->nr_regions; k++)
		if (!top || d->regions[k].gpa + d->regions[k].size > top->gpa + top->size)
			top = &d->regions[k];
	return top;
}

int attack_setup(const struct sluice_cfg *s, struct partition_set *ps, const struct attack_host *h)
{
	memset(&st, 0, sizeof(st));
	if (!s->attack.on)
		return 0;
	st.s = s;
	st.ps = ps;
	st.host = *h;
	log_warn("attack-test = on: a guest will be told where Sluice's own structures are (tests only)");
	for (u32 i = 0; i < ps->nr; i++) {
		const struct partition_cfg *d = ps->p[i].cfg;
		const struct part_region *r = top_region(d);
		if (!strcmp(d->name, s->attack.witness)) {
			const struct part_region *w = part_region_at(d, s->attack.witness_gpa, 1);
			u8 *va = w ? phys_to_virt(w->hpa, w->size) : NULL;
			if (va)
				fill_pattern(va, w->size, 0x5eed);
			continue;
		}
		if (r && !page_alloc_fixed(r->hpa + r->size, 1)) {
			st.guard_pa[i] = r->hpa + r->size;
			fill_pattern(phys_to_virt(st.guard_pa[i], PAGE_SIZE), PAGE_SIZE, 0x9a4d + i);
		}
	}
	/* After the guards, so the canary cannot take a guard's page. */
	void *canary = page_alloc_zeroed(1, &st.canary_pa);
	if (!canary) {
		log_err("attack-test: no page for the heap canary");
		return -HV_ENOMEM;
	}
	fill_pattern(canary, PAGE_SIZE, 0xc0ffee);
	log_info("attack-test: heap canary at 0x%016llx, witness %s", (unsigned long long)st.canary_pa,
		 s->attack.witness[0] ? s->attack.witness : "(none)");
	st.on = true;
	return 0;
}

static void drop_snapshots(void)
{
	for (u32 i = 0; i < st.nr; i++)
		if (st.t[i].snap_pages)
			page_free(st.t[i].snap_pa, st.t[i].snap_pages);
	st.nr = 0;
}

/* Copies target t's current bytes into buf. */
static void read_target(const struct attack_target *t, u8 *buf)
{
	if (t->t.kind == SLUICE_ATTACK_MMIO) {
		for (u64 off = 0; off + 4 <= t->t.size; off += 4) {
			u32 v = io_read32(t->mmio, (u32)off);
			memcpy(buf + off, &v, 4);
		}
		return;
	}
	memcpy(buf, phys_to_virt(t->t.hpa, t->t.size), t->t.size);
}

/*
 * Adds a target and snapshots it; a target Sluice cannot read (not in the
 * direct map, no mapping) or whose iova is the caller's own memory is left
 * out with one line. 0 or -HV_ENOMEM.
 */
static int add(const struct partition *p, const char *name, u64 iova, u64 hpa, u64 size, u32 kind)
{
	if (!hpa || !size)
		return 0;
	if (st.nr == SLUICE_ATTACK_MAX || part_region_at(p->cfg, iova, 1)) {
		log_warn("%s: target %s left out (iova 0x%016llx is its own memory, or the list is full)",
			 p->cfg->name, name, (unsigned long long)iova);
		return 0;
	}
	struct attack_target *t = &st.t[st.nr];
	memset(t, 0, sizeof(*t));
	size = MIN(size, kind == SLUICE_ATTACK_MMIO ? PAGE_SIZE : ATTACK_SNAP_MAX);       /* MMIO: one mapped page */
	str_copy(t->t.name, name, sizeof(t->t.name));
	t->t.iova = iova;
	t->t.hpa = hpa;
	t->t.size = size;
	t->t.kind = kind;
	if (kind == SLUICE_ATTACK_MMIO ? !(t->mmio = io_map(hpa, PAGE_SIZE, name)) : !phys_to_virt(hpa, size)) {
		log_warn("%s: target %s at 0x%016llx left out: Sluice cannot read it", p->cfg->name, name,
			 (unsigned long long)hpa);
		return 0;
	}
	t->snap_pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
	t->snap = page_alloc_zeroed(t->snap_pages, &t->snap_pa);
	if (!t->snap) {
		t->snap_pages = 0;
		return -HV_ENOMEM;
	}
	read_target(t, t->snap);
	st.nr++;
	log_info("%s: target %-16s iova 0x%016llx hpa [0x%016llx-0x%016llx] %s, snapshot taken", p->cfg->name, name,
		 (unsigned long long)iova, (unsigned long long)hpa, (unsigned long long)(hpa + size - 1),
		 kind == SLUICE_ATTACK_MMIO ? "mmio" : "memory");
	return 0;
}

/* The targets of attacker p: the witness's, Sluice's own, the IOMMU's structures, past p's end. */
static int build_targets(struct partition *p)
{
	const struct iommu_ops *ops = p->cfg->iommu_ops;
	struct iommu_tables mine = { 0 }, wt = { 0 };
	struct partition *w = partition_named(st.s->attack.witness);
	int ret = 0;

	if (ops && ops->tables && p->cfg->nr_devices)
		ops->tables(p->cfg->devices[0].sbdf, &mine);
	if (w && w != p) {
		const struct part_region *r = part_region_at(w->cfg, st.s->attack.witness_gpa, 1);
		if (r)
			ret |= add(p, "witness-memory", r->hpa, r->hpa, r->size, SLUICE_ATTACK_MEMORY);
		if (ops && ops->tables && w->cfg->nr_devices)
			ops->tables(w->cfg->devices[0].sbdf, &wt);
	}
	ret |= add(p, "sluice-image", st.host.image_ro_pa, st.host.image_ro_pa, st.host.image_ro_size,
		   SLUICE_ATTACK_MEMORY);
	ret |= add(p, "sluice-heap", st.canary_pa, st.canary_pa, PAGE_SIZE, SLUICE_ATTACK_MEMORY);
	ret |= add(p, "iommu-root", mine.root_pa, mine.root_pa, PAGE_SIZE, SLUICE_ATTACK_MEMORY);
	ret |= add(p, "iommu-context", mine.context_pa, mine.context_pa, PAGE_SIZE, SLUICE_ATTACK_MEMORY);
	ret |= add(p, "witness-top-table", wt.top_pa, wt.top_pa, PAGE_SIZE, SLUICE_ATTACK_MEMORY);
	struct iommu_intr_table irt;
	for (unsigned u = 0; ops && ops->intr_table && !ops->intr_table(u, &irt); u++)
		if (irt.on)
			ret |= add(p, "iommu-irt", irt.pa, irt.pa, irt.size, SLUICE_ATTACK_MEMORY);
	if (w && w != p && w->cfg->nr_devices) {
		const struct pci_dev *pd = pci_find(w->cfg->devices[0].sbdf);
		if (pd && pd->bars[0].size && pd->bars[0].type != PCI_BAR_IO)
			ret |= add(p, "witness-bar", pd->bars[0].addr, pd->bars[0].addr, ATTACK_MMIO_BYTES,
				   SLUICE_ATTACK_MMIO);
	}
	const struct part_region *top = top_region(p->cfg);
	for (u32 i = 0; top && i < st.ps->nr; i++)
		if (st.ps->p[i].cfg == p->cfg && st.guard_pa[i])
			ret |= add(p, "past-my-end", top->gpa + top->size, st.guard_pa[i], PAGE_SIZE,
				   SLUICE_ATTACK_MEMORY);
	return ret ? -HV_ENOMEM : 0;
}

s64 attack_hc_targets(struct partition *p, u64 gpa, u64 a1 __unused, u64 a2 __unused)
{
	if (!st.on)
		return -SLUICE_HC_EINVAL;
	struct sluice_attack_list *l = part_guest_ptr(p->cfg, gpa, sizeof(*l), true);
	if (!l)
		return -SLUICE_HC_EFAULT;
	drop_snapshots();
	if (build_targets(p)) {
		log_err("%s: no memory for the attack snapshots", p->cfg->name);
		drop_snapshots();
		return -SLUICE_HC_EIO;
	}
	st.attacker = p->cfg;
	st.checked = false;
	memset(l, 0, sizeof(*l));
	l->nr = st.nr;
	for (u32 i = 0; i < st.nr; i++)
		l->t[i] = st.t[i].t;
	return st.nr;
}

static const char *result_target(const struct sluice_attack_result *r)
{
	if (r->target == SLUICE_ATTACK_NO_TARGET)
		return "msi-window";
	return r->target < st.nr ? st.t[r->target].t.name : "?";
}

/* Compares every target with its snapshot: one check line each, changed[i] per target; the total. */
static u64 compare_all(u64 *changed)
{
	u64 total = 0;
	for (u32 i = 0; i < st.nr; i++) {
		struct attack_target *t = &st.t[i];
		static u8 now[PAGE_SIZE];       /* one attacker, on its own CPU; an MMIO target is at most a page */
		const u8 *cur = now;
		if (t->t.kind == SLUICE_ATTACK_MMIO)
			read_target(t, now);
		else
			cur = phys_to_virt(t->t.hpa, t->t.size);        /* add() checked it is mapped */
		changed[i] = attack_bytes_changed(cur, t->snap, t->t.size);
		total += changed[i];
		check(changed[i] == 0, "attack: %s [0x%016llx-0x%016llx]: %llu bytes changed", t->t.name,
		      (unsigned long long)t->t.hpa, (unsigned long long)(t->t.hpa + t->t.size - 1),
		      (unsigned long long)changed[i]);
	}
	st.checked = true;
	return total;
}

void attack_partition_ended(const struct partition *p)
{
	u64 changed[SLUICE_ATTACK_MAX];

	if (!st.on || !st.nr || st.checked || st.attacker != p->cfg)
		return;
	log_info("%s: ended before its ATTACK_CHECK; Sluice compares the targets now (its devices are stopped)",
		 p->cfg->name);
	compare_all(changed);
}

static const char *result_name(u32 r)
{
	switch (r) {
	case SLUICE_ATTACK_SURVIVED: return "survived";
	case SLUICE_ATTACK_BLOCKED: return "blocked";
	case SLUICE_ATTACK_UNCOUNTED: return "uncounted";
	}
	return "?";
}

s64 attack_hc_check(struct partition *p, u64 gpa, u64 n, u64 a2 __unused)
{
	if (!st.on || !st.nr || n > SLUICE_ATTACK_MAX_RESULTS)
		return -SLUICE_HC_EINVAL;
	const struct sluice_attack_result *res = n ? part_guest_ptr(p->cfg, gpa, n * sizeof(*res), false) : NULL;
	if (n && !res)
		return -SLUICE_HC_EFAULT;
	u64 changed[SLUICE_ATTACK_MAX];
	u64 total = compare_all(changed);
	if (n) {
		log_info("matrix of %s: %-18s %-34s %-9s %6s %13s", p->cfg->name, "target", "access", "result", "faults",
			 "bytes changed");
		for (u64 k = 0; k < n; k++) {
			const struct sluice_attack_result *r = &res[k];
			char what[SLUICE_ATTACK_WHAT_LEN];
			char bytes[24] = "-";
			str_copy(what, r->what, sizeof(what));
			for (u32 c = 0; what[c]; c++)
				if (what[c] < 0x20 || what[c] >= 0x7f)
					what[c] = '.';
			if (r->target < st.nr)
				fmt_snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)changed[r->target]);
			log_info("matrix of %s: %-18s %-34s %-9s %6u %13s", p->cfg->name, result_target(r), what,
				 result_name(r->result), r->faults, bytes);
		}
		/* Interrupt remapping faults with no source ID are charged to nobody: the unit's count shows them. */
		const struct iommu_ops *ops = p->cfg->iommu_ops;
		struct iommu_intr_table irt;
		for (unsigned u = 0; ops && ops->intr_table && !ops->intr_table(u, &irt); u++)
			if (irt.on)
				log_info("matrix of %s: %s recorded %llu interrupt remapping fault(s) in all, from any source",
					 p->cfg->name, irt.unit, (unsigned long long)irt.faults);
	}
	return (s64)total;
}

void attack_sluice_wrote(const char *name)
{
	for (u32 i = 0; st.on && i < st.nr; i++) {
		struct attack_target *t = &st.t[i];
		if (strcmp(t->t.name, name) || !t->snap)
			continue;
		read_target(t, t->snap);
		log_info("target %s: Sluice changed it itself, snapshot taken again", name);
	}
}
