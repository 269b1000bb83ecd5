/*
 * The machine map (vm/part/map.h): the CPUs, remapping units, partitions,
 * their memory regions and functions, and faults as they are logged, one
 * line of key=value words per item. Read-only: it describes what the
 * config check, the IOMMU programming and the partition build left, and
 * changes nothing. Values print as the rest of the log prints them
 * (docs/conventions.md section 7): hex with 0x, addresses in 16 digits,
 * functions as bb:dd.f (ssss:bb:dd.f outside segment 0).
 */
#define LOG_SUBSYS "map"
#include <stdarg.h>
#include "vm/part/map.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/pci_cfg.h"

const char *part_state_name(enum part_state s)
{
	switch (s) {
	case PART_IDLE: return "ready";
	case PART_RUNNING: return "running";
	case PART_EXITED: return "exited";
	case PART_HALTED: return "halted";
	case PART_PARKED: return "parked";
	case PART_FAILED: return "failed";
	case PART_STOPPED: return "stopped";
	}
	return "?";
}

static void emit(const struct map_sink *out, const char *fmt, ...) __printf(2, 3);
static void emit(const struct map_sink *out, const char *fmt, ...)
{
	char line[MAP_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	out->line(out->ctx, line);
}

#define MAP_BDF_LEN     16

static const char *bdf_text(u32 sbdf, char *buf)
{
	if (sbdf == PART_SBDF_PENDING)
		return "pending";
	if (PCI_SEG(sbdf))
		fmt_snprintf(buf, MAP_BDF_LEN, SBDF_FMT, PCI_SEG(sbdf), BDF_ARGS(sbdf));
	else
		fmt_snprintf(buf, MAP_BDF_LEN, BDF_FMT, BDF_ARGS(sbdf));
	return buf;
}

/* The name of the unit that translates sbdf, or "none". */
static void unit_of(const struct iommu_ops *ops, u32 sbdf, char *buf, size_t len)
{
	struct iommu_unit_info u;
	int i = ops && ops->unit_index && ops->unit_info ? ops->unit_index(sbdf) : -1;

	str_copy(buf, i >= 0 && ops->unit_info((unsigned)i, &u) == 0 ? u.name : "none", len);
}

/* Whether the config assigns VFs of sbdf; *nr is how many. */
static bool has_vfs(const struct sluice_cfg *s, u32 sbdf, u32 *nr)
{
	*nr = 0;
	for (u32 i = 0; s && i < s->nr; i++)
		for (u32 j = 0; j < s->d[i].nr_devices; j++)
			if (s->d[i].devices[j].vfn && s->d[i].devices[j].pf_sbdf == sbdf)
				(*nr)++;
	return *nr != 0;
}

static void device_line(const struct part_device *dev, const struct sluice_cfg *s, const char *owner,
			const struct iommu_ops *ops, const struct map_sink *out)
{
	char bdf[MAP_BDF_LEN], pf[MAP_BDF_LEN], unit[IOMMU_NAME_LEN];
	const char *ats = dev->ats_on ? "on" : "off";
	u32 vfs;

	unit_of(ops, dev->sbdf, unit, sizeof(unit));
	if (dev->vfn)
		emit(out, "device bdf=%s kind=vf pf=%s vf=%u ats=%s part=%s unit=%s", bdf_text(dev->sbdf, bdf),
		     bdf_text(dev->pf_sbdf, pf), dev->vfn, ats, owner, unit);
	else if (has_vfs(s, dev->sbdf, &vfs))
		emit(out, "device bdf=%s kind=pf vfs=%u ats=%s part=%s unit=%s", bdf_text(dev->sbdf, bdf), vfs, ats,
		     owner, unit);
	else
		emit(out, "device bdf=%s kind=fn ats=%s part=%s unit=%s", bdf_text(dev->sbdf, bdf), ats, owner, unit);
}

void map_describe_partition(const struct sluice_cfg *s, const struct partition_cfg *d, const struct partition *p,
			    const struct map_sink *out)
{
	char cpus[PART_MAX_CPUS * 4 + 8] = "none";
	size_t n = 0;

	for (u32 i = 0; d->guest && i < d->nr_cpus; i++)
		n += (size_t)fmt_snprintf(cpus + n, sizeof(cpus) - n, "%s%u", i ? "," : "", d->cpus[i]);
	const char *state = p ? part_state_name(p->state) : d->failed ? "failed" : d->guest ? "not-built" : "dma-only";
	emit(out, "partition name=%s state=%s cpus=%s regions=%u devices=%u restarts=%u", d->name, state, cpus,
	     d->nr_regions, d->nr_devices, p ? p->restarts : 0);
	for (u32 i = 0; i < d->nr_regions; i++) {
		const struct part_region *r = &d->regions[i];
		emit(out, "region part=%s gpa=0x%016llx hpa=0x%016llx size=0x%llx perm=%s rmrr=%s", d->name,
		     (unsigned long long)r->gpa, (unsigned long long)r->hpa, (unsigned long long)r->size,
		     part_access_name(r->prot), r->rmrr ? "yes" : "no");
	}
	for (u32 i = 0; i < d->nr_devices; i++)
		device_line(&d->devices[i], s, d->name, d->iommu_ops, out);
}

/* The partition whose CPUs include cpu, or NULL. */
static const struct partition_cfg *cpu_owner(const struct sluice_cfg *s, u32 cpu)
{
	for (u32 i = 0; s && i < s->nr; i++)
		for (u32 j = 0; s->d[i].guest && j < s->d[i].nr_cpus; j++)
			if (s->d[i].cpus[j] == cpu)
				return &s->d[i];
	return NULL;
}

/* The guest partition built from d, or NULL. */
static const struct partition *built(const struct partition_set *ps, const struct partition_cfg *d)
{
	for (u32 i = 0; ps && i < ps->nr; i++)
		if (ps->p[i].cfg == d)
			return &ps->p[i];
	return NULL;
}

/* Whether sbdf, or a VF of it, is named before device j of partition i (its PF line is then written already or owned). */
static bool pf_seen(const struct sluice_cfg *s, u32 sbdf, u32 i, u32 j)
{
	for (u32 a = 0; a <= i; a++)
		for (u32 b = 0; b < s->d[a].nr_devices && (a < i || b < j); b++) {
			const struct part_device *dev = &s->d[a].devices[b];
			if (dev->sbdf == sbdf || (dev->vfn && dev->pf_sbdf == sbdf))
				return true;
		}
	return false;
}

void map_describe(const struct map_machine *m, const struct map_sink *out)
{
	const struct sluice_cfg *s = m->cfg;

	for (u32 c = 0; c < m->nr_cpus; c++) {
		const struct partition_cfg *d = cpu_owner(s, c);
		bool online = c < 64 && (m->cpus_online & BIT_ULL(c));
		emit(out, "cpu id=%u online=%s owner=%s", c, online || c == m->boot_cpu ? "yes" : "no",
		     c == m->boot_cpu ? "sluice" : d ? d->name : "none");
	}
	for (unsigned i = 0; m->iommu && m->iommu->unit_info; i++) {
		struct iommu_unit_info u;
		if (m->iommu->unit_info(i, &u))
			break;
		emit(out, "unit name=%s base=0x%016llx segment=%u up=%s translation=%s", u.name,
		     (unsigned long long)u.base, u.segment, u.up ? "yes" : "no", u.translation ? "on" : "off");
	}
	for (u32 i = 0; s && i < s->nr; i++)
		map_describe_partition(s, &s->d[i], built(m->ps, &s->d[i]), out);
	/* The PFs of assigned VFs that no partition owns: Sluice's (it provisions them). */
	for (u32 i = 0; s && i < s->nr; i++)
		for (u32 j = 0; j < s->d[i].nr_devices; j++) {
			const struct part_device *dev = &s->d[i].devices[j];
			bool owned = false;
			if (!dev->vfn || pf_seen(s, dev->pf_sbdf, i, j))
				continue;
			for (u32 a = 0; a < s->nr && !owned; a++)
				for (u32 b = 0; b < s->d[a].nr_devices && !owned; b++)
					owned = s->d[a].devices[b].sbdf == dev->pf_sbdf;
			if (owned)
				continue;
			const struct part_device pf = { .sbdf = dev->pf_sbdf };
			device_line(&pf, s, "sluice", m->iommu, out);
		}
}

int map_fault_format(const struct iommu_fault_note *n, char *buf, size_t len)
{
	char bdf[MAP_BDF_LEN];

	if (n->interrupt)
		return fmt_snprintf(buf, len, "fault unit=%s bdf=%s kind=interrupt index=0x%04llx reason=0x%02x owner=%s",
				    n->unit, bdf_text(n->sbdf, bdf), (unsigned long long)n->addr, n->reason,
				    n->owner ? n->owner : "none");
	return fmt_snprintf(buf, len, "fault unit=%s bdf=%s kind=dma dir=%s addr=0x%016llx reason=0x%02x owner=%s",
			    n->unit, bdf_text(n->sbdf, bdf), n->write ? "write" : "read", (unsigned long long)n->addr,
			    n->reason, n->owner ? n->owner : "none");
}

static void log_line(void *ctx, const char *text)
{
	(void)ctx;
	log_info("%s", text);
}

static const struct map_sink log_sink = { log_line, NULL };

void map_log(const struct map_machine *m)
{
	map_describe(m, &log_sink);
}

void map_log_partition(const struct partition *p)
{
	map_describe_partition(p->set ? p->set->cfg : NULL, p->cfg, p, &log_sink);
}

/*
 * The last MAP_FAULTS_KEPT faults logged (a ring; total counts them all).
 * Written where faults are drained (any CPU, interrupts off) and read by
 * the console on the boot CPU, whose fault interrupt may come meanwhile:
 * the reader masks interrupts while it holds the lock.
 */
#define KEPT_LINE_MAX   (MAP_LINE_MAX + 96)
static struct {
	struct spinlock lock;
	u64 total;
	char line[MAP_FAULTS_KEPT][KEPT_LINE_MAX];
} kept;

void map_log_fault(const struct iommu_fault_note *n)
{
	char line[MAP_LINE_MAX];

	map_fault_format(n, line, sizeof(line));
	log_info("%s", line);
	u64 flags = cpu_irq_save();
	spin_lock(&kept.lock);
	fmt_snprintf(kept.line[kept.total % MAP_FAULTS_KEPT], KEPT_LINE_MAX, "%s: %s", line, n->why ? n->why : "reason unknown");
	kept.total++;
	spin_unlock(&kept.lock);
	cpu_irq_restore(flags);
}

void map_faults_describe(const struct map_sink *out)
{
	char line[KEPT_LINE_MAX];
	u64 flags = cpu_irq_save();
	spin_lock(&kept.lock);
	u64 total = kept.total;
	spin_unlock(&kept.lock);
	cpu_irq_restore(flags);
	u64 first = total > MAP_FAULTS_KEPT ? total - MAP_FAULTS_KEPT : 0;

	if (first)
		fmt_snprintf(line, sizeof(line), "%llu fault(s) logged since start-up, the last %u kept, oldest first:",
			     (unsigned long long)total, MAP_FAULTS_KEPT);
	else
		fmt_snprintf(line, sizeof(line), "%llu fault(s) logged since start-up%s", (unsigned long long)total,
			     total ? ", oldest first:" : "");
	out->line(out->ctx, line);
	for (u64 i = first; i < total; i++) {
		flags = cpu_irq_save();
		spin_lock(&kept.lock);
		bool gone = kept.total >= i + MAP_FAULTS_KEPT + 1;      /* overwritten since */
		if (!gone)
			str_copy(line, kept.line[i % MAP_FAULTS_KEPT], sizeof(line));
		spin_unlock(&kept.lock);
		cpu_irq_restore(flags);
		if (!gone)
			out->line(out->ctx, line);
	}
}
