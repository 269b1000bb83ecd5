/*
 * The parsed DMAR in plain words (VT-d §8 names), for the boot log and for
 * tools/dmar-dump on the host: one INFO line per structure and one per
 * device scope, numbers as docs/conventions.md §7 writes them. Reads only the parsed
 * struct; parsing problems were logged by dmar_parse() already.
 */
#define LOG_SUBSYS "dmar"
#include "iommu/dmar.h"
#include "kernel/log.h"
#include "kernel/fmt.h"
#include "kernel/hw/pci_cfg.h"

#define RMRR_LIST_MAX           360     /* what fits after "c0 INFO dmar: RMRR ... for " */

/* A line under construction: appends stop quietly at the end of the buffer. */
struct line {
	char *buf;
	size_t size, len;
};

static void __printf(2, 3) add(struct line *l, const char *fmt, ...)
{
	va_list ap;

	if (l->len >= l->size)
		return;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len = MIN(l->size - 1, l->len + (size_t)n);
}

const char *dmar_scope_type_name(u8 type)
{
	switch (type) {
	case DMAR_SCOPE_ENDPOINT: return "endpoint";
	case DMAR_SCOPE_BRIDGE: return "bridge";
	case DMAR_SCOPE_IOAPIC: return "IOAPIC";
	case DMAR_SCOPE_HPET: return "HPET";
	case DMAR_SCOPE_ACPI: return "ACPI";
	default: return "unknown";
	}
}

int dmar_bdf_str(const struct dmar_info *d, u16 segment, u16 bdf, char *buf, size_t size)
{
	if (d && d->several_segments)
		return fmt_snprintf(buf, size, SBDF_FMT, segment, BDF_ARGS(bdf));
	return fmt_snprintf(buf, size, BDF_FMT, BDF_ARGS(bdf));
}

/* "path 00:1c.0/00.0": the start bus with the first hop, then each further hop. */
static void add_path(struct line *l, const struct dmar_info *d, const struct dmar_scope *s)
{
	char first[24];

	dmar_bdf_str(d, s->segment, PCI_RID(PCI_SBDF(0, s->start_bus, s->hops[0].dev, s->hops[0].fn)),
		     first, sizeof(first));
	add(l, "path %s", first);
	for (u32 h = 1; h < s->nr_hops; h++)
		add(l, "/%02x.%x", s->hops[h].dev, s->hops[h].fn);
}

int dmar_scope_describe(const struct dmar_info *d, const struct dmar_scope *s, char *buf, size_t size)
{
	struct line l = { buf, size, 0 };
	char name[24];
	bool multi = s->nr_hops > 1;

	if (size)
		buf[0] = '\0';
	if (!s->nr_hops)
		return 0;
	dmar_bdf_str(d, s->segment, s->bdf, name, sizeof(name));
	switch (s->res) {
	case DMAR_RES_PENDING:
		add_path(&l, d, s);
		add(&l, " (not resolved)");
		return (int)l.len;
	case DMAR_RES_NO_PATH:
		add_path(&l, d, s);
		add(&l, " (not resolved: %s on the path is absent or not a bridge)", name);
		return (int)l.len;
	default:
		break;
	}
	add(&l, "%s", name);
	if (s->has_range)
		add(&l, " -> buses 0x%02x-0x%02x", s->sec_bus, s->sub_bus);
	if (multi) {
		add(&l, " (");
		add_path(&l, d, s);
		add(&l, ")");
	}
	if (s->res == DMAR_RES_ABSENT)
		add(&l, " (absent)");
	else if (s->mismatch && s->type == DMAR_SCOPE_BRIDGE)
		add(&l, " (not a bridge: that function only)");
	else if (s->mismatch)
		add(&l, " (a bridge: the buses below are not included)");
	else if (s->type == DMAR_SCOPE_BRIDGE && s->res == DMAR_RES_TABLE)
		add(&l, " (buses below: not resolved)");
	else if (s->type == DMAR_SCOPE_BRIDGE && !s->has_range)
		add(&l, " (no buses below)");
	return (int)l.len;
}

static const char *andd_name(const struct dmar_info *d, u8 dev_nr)
{
	for (u32 i = 0; i < d->nr_andds; i++)
		if (d->andds[i].dev_nr == dev_nr)
			return d->andds[i].name;
	return NULL;
}

static void print_scope(const struct dmar_info *d, const struct dmar_scope *s)
{
	char desc[160], flags[16] = "";
	const char *acpi;

	dmar_scope_describe(d, s, desc, sizeof(desc));
	if (s->flags)
		fmt_snprintf(flags, sizeof(flags), " flags 0x%02x", s->flags);
	switch (s->type) {
	case DMAR_SCOPE_IOAPIC:
		log_info("  scope IOAPIC id %u at %s%s", s->enum_id, desc, flags);
		break;
	case DMAR_SCOPE_HPET:
		log_info("  scope HPET id %u at %s%s", s->enum_id, desc, flags);
		break;
	case DMAR_SCOPE_ACPI:
		acpi = andd_name(d, s->enum_id);
		log_info("  scope ACPI device %u at %s%s (%s%s%s)", s->enum_id, desc, flags, acpi ? "\"" : "", acpi ? acpi : "no ANDD", acpi ? "\"" : "");
		break;
	default:
		log_info("  scope %s %s%s", dmar_scope_type_name(s->type), desc, flags);
		break;
	}
}

static void print_scopes(const struct dmar_info *d, u32 first, u32 n)
{
	for (u32 k = first; k < first + n && k < d->nr_scopes; k++)
		print_scope(d, &d->scopes[k]);
}

static void add_header_flags(struct line *l, u8 flags)
{
	static const char *const names[] = { "INTR_REMAP", "X2APIC_OPT_OUT", "DMA_CTRL_PLATFORM_OPT_IN" };
	const char *sep = "";

	for (u32 b = 0; b < ARRAY_SIZE(names); b++) {
		if (flags & BIT_ULL(b)) {
			add(l, "%s%s", sep, names[b]);
			sep = ", ";
		}
	}
	if (flags & ~(BIT_ULL(ARRAY_SIZE(names)) - 1))
		add(l, "%sreserved bits", sep);
	else if (!flags)
		add(l, "none");
}

static void print_rmrr(const struct dmar_info *d, const struct dmar_rmrr *r)
{
	char buf[RMRR_LIST_MAX + 1], desc[160];
	struct line l = { buf, sizeof(buf), 0 };
	u32 k = r->first_scope, end = MIN((u32)r->first_scope + r->nr_scopes, d->nr_scopes);
	bool first = true;

	/* A long device list goes on in "also for" lines: a line is never cut. */
	do {
		l.len = 0;
		buf[0] = '\0';
		for (; k < end; k++) {
			const struct dmar_scope *s = &d->scopes[k];
			bool ep = s->type == DMAR_SCOPE_ENDPOINT;
			int n = dmar_scope_describe(d, s, desc, sizeof(desc));
			if (l.len && l.len + 2 + (ep ? 0 : 10) + (size_t)n > RMRR_LIST_MAX)
				break;
			add(&l, "%s%s%s%s", l.len ? ", " : "", ep ? "" : dmar_scope_type_name(s->type), ep ? "" : " ", desc);
		}
		if (first && !l.len)
			add(&l, "no device");
		if (first)
			log_info("RMRR segment %u [0x%016llx-0x%016llx] for %s%s%s", r->segment, (unsigned long long)r->base_pa, (unsigned long long)r->end_pa, buf, r->broken ? "; broken: " : "", r->broken ? r->why : "");
		else
			log_info("  also for %s", buf);
		first = false;
	} while (k < end);
}

void dmar_print(const struct dmar_info *d)
{
	char buf[160];
	struct line l = { buf, sizeof(buf), 0 };
	u32 broken = 0;

	add_header_flags(&l, d->flags);
	log_info("DMAR rev %u, %u bytes, OEM \"%s\" \"%s\": haw %u bits, flags 0x%02x (%s)", d->revision, d->len, d->oem_id, d->oem_table_id, d->haw, d->flags, buf);
	for (u32 i = 0; i < d->nr_units; i++) {
		const struct dmar_unit *u = &d->units[i];
		char size[40] = "";
		if (u->size_log2)
			fmt_snprintf(size, sizeof(size), " size 0x%llx", (unsigned long long)(PAGE_SIZE << MIN(u->size_log2, 51)));
		broken += u->broken;
		log_info("DRHD %u segment %u base 0x%016llx flags 0x%02x (%s)%s%s%s", i, u->segment, (unsigned long long)u->base_pa, u->flags, u->flags & DMAR_DRHD_INCLUDE_PCI_ALL ? "INCLUDE_PCI_ALL" : "explicit scopes", size, u->broken ? "; broken: " : "", u->broken ? u->why : "");
		print_scopes(d, u->first_scope, u->nr_scopes);
	}
	for (u32 i = 0; i < d->nr_rmrrs; i++)
		print_rmrr(d, &d->rmrrs[i]);
	for (u32 i = 0; i < d->nr_atsrs; i++) {
		const struct dmar_atsr *a = &d->atsrs[i];
		log_info("ATSR segment %u flags 0x%02x (%s)%s%s", a->segment, a->flags, a->flags & DMAR_ATSR_ALL_PORTS ? "ALL_PORTS" : "listed root ports", a->broken ? "; broken: " : "", a->broken ? a->why : "");
		print_scopes(d, a->first_scope, a->nr_scopes);
	}
	for (u32 i = 0; i < d->nr_rhsas; i++) {
		const struct dmar_rhsa *h = &d->rhsas[i];
		if (h->unit >= 0)
			log_info("RHSA base 0x%016llx proximity domain %u (DRHD %d)", (unsigned long long)h->base_pa, h->proximity, h->unit);
		else
			log_info("RHSA base 0x%016llx proximity domain %u (no such DRHD)", (unsigned long long)h->base_pa, h->proximity);
	}
	for (u32 i = 0; i < d->nr_andds; i++)
		log_info("ANDD device %u \"%s\"", d->andds[i].dev_nr, d->andds[i].name);
	for (u32 i = 0; i < d->nr_satcs; i++) {
		const struct dmar_satc *s = &d->satcs[i];
		log_info("SATC segment %u flags 0x%02x (%s)%s%s", s->segment, s->flags, s->flags & DMAR_SATC_ATC_REQUIRED ? "ATC_REQUIRED" : "ATC optional", s->broken ? "; broken: " : "", s->broken ? s->why : "");
		print_scopes(d, s->first_scope, s->nr_scopes);
	}
	log_info("%u DRHD (%u broken), %u RMRR, %u ATSR, %u RHSA, %u ANDD, %u SATC, %u skipped; %u error(s), %u warning(s)%s", d->nr_units, broken, d->nr_rmrrs, d->nr_atsrs, d->nr_rhsas, d->nr_andds, d->nr_satcs, d->nr_skipped, d->nr_errors, d->nr_warnings, d->walk_stopped ? "; walk stopped early" : "");
}
