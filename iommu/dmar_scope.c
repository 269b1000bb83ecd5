/*
 * DMAR device scopes against the PCI bus (VT-d §8.3.1 "Device Scope
 * Structure", §8.3.2 "Device Scope Example"): multi-hop paths followed
 * through the live bridges, then for a PCI function its remapping unit,
 * RMRRs, ATSR and SATC. Config space only through pci_cfg_read(); the
 * choosing functions read nothing but the parsed table.
 */
#define LOG_SUBSYS "dmar"
#include "iommu/dmar.h"
#include "kernel/hw/pci_cfg.h"
#include "kernel/log.h"
#include "pci/pci_hw.h"

/* A finding about the live bus: one WARN line, counted with the table's. */
#define odd(d, fmt, ...)        do { (d)->nr_warnings++; log_warn(fmt, ##__VA_ARGS__); } while (0)

/* How closely a scope names a function: exact beats "somewhere below a bridge". */
enum { MATCH_NONE = 0, MATCH_EXACT = 1, MATCH_BELOW = 2 };

static bool is_pci(u8 type)
{
	return type == DMAR_SCOPE_ENDPOINT || type == DMAR_SCOPE_BRIDGE;
}

static bool answers(u32 sbdf)
{
	return pci_cfg_read(sbdf, PCI_VENDOR_ID, 2) != 0xffff;
}

static bool is_bridge(u32 sbdf)
{
	u32 layout = FIELD_GET(PCI_HEADER_LAYOUT, pci_cfg_read(sbdf, PCI_HEADER_TYPE, 1));
	return layout == PCI_HEADER_BRIDGE || layout == PCI_HEADER_CARDBUS;
}

/*
 * Follows one scope's path. Returns 1 when it did not end at a present PCI
 * function (logged), 0 otherwise. IOAPIC, HPET and ACPI scopes are walked
 * the same way (their last hop is a source ID, not a function to look at).
 */
static int resolve_one(struct dmar_info *d, struct dmar_scope *s)
{
	char name[24];
	u8 bus = s->start_bus;

	s->has_range = false;
	s->mismatch = false;
	for (u32 h = 0; h + 1 < s->nr_hops; h++) {
		u32 sbdf = PCI_SBDF(s->segment, bus, s->hops[h].dev, s->hops[h].fn);
		s->bdf = PCI_RID(sbdf);
		s->res = DMAR_RES_NO_PATH;
		dmar_bdf_str(d, s->segment, s->bdf, name, sizeof(name));
		if (!answers(sbdf)) {
			odd(d, "device scope at offset 0x%04x: bridge %s (hop %u of %u) is absent; scope not resolved", s->offset, name, h + 1, s->nr_hops);
			return 1;
		}
		if (!is_bridge(sbdf)) {
			odd(d, "device scope at offset 0x%04x: %s (hop %u of %u) is not a bridge; scope not resolved", s->offset, name, h + 1, s->nr_hops);
			return 1;
		}
		u8 sec = (u8)pci_cfg_read(sbdf, PCI_SECONDARY_BUS, 1);
		if (sec <= bus) {
			odd(d, "device scope at offset 0x%04x: bridge %s (hop %u of %u) has secondary bus 0x%02x, not below bus 0x%02x; scope not resolved", s->offset, name, h + 1, s->nr_hops, sec, bus);
			return 1;
		}
		bus = sec;
	}
	const struct dmar_hop *last = &s->hops[s->nr_hops - 1];
	u32 sbdf = PCI_SBDF(s->segment, bus, last->dev, last->fn);
	s->bdf = PCI_RID(sbdf);
	s->res = DMAR_RES_FOUND;
	if (!is_pci(s->type))
		return 0;

	dmar_bdf_str(d, s->segment, s->bdf, name, sizeof(name));
	if (!answers(sbdf)) {
		/* Firmware lists functions that are fused off or hidden; the rest of the table stands. */
		s->res = DMAR_RES_ABSENT;
		odd(d, "device scope at offset 0x%04x: %s %s is absent; nothing answers there", s->offset, dmar_scope_type_name(s->type), name);
		return 1;
	}
	bool bridge = is_bridge(sbdf);
	if (s->type == DMAR_SCOPE_BRIDGE && bridge) {
		u8 sec = (u8)pci_cfg_read(sbdf, PCI_SECONDARY_BUS, 1);
		u8 sub = (u8)pci_cfg_read(sbdf, PCI_SUBORDINATE_BUS, 1);
		if (sec <= bus || sub < sec) {
			odd(d, "device scope at offset 0x%04x: bridge %s has buses 0x%02x-0x%02x; only the bridge itself is covered", s->offset, name, sec, sub);
		} else {
			s->has_range = true;
			s->sec_bus = sec;
			s->sub_bus = sub;
		}
	} else if (s->type == DMAR_SCOPE_BRIDGE) {
		s->mismatch = true;
		odd(d, "device scope at offset 0x%04x: bridge scope names %s, which is not a bridge; only that function is covered", s->offset, name);
	} else if (bridge) {
		s->mismatch = true;
		odd(d, "device scope at offset 0x%04x: endpoint scope names %s, a bridge; the buses below it are not covered by this scope", s->offset, name);
	}
	return 0;
}

static int scope_match(const struct dmar_scope *s, u32 sbdf, u32 *width);

/*
 * Units i < j whose PCI scopes overlap: a scope of one covers the function
 * a scope of the other names. VT-d §8.3.1 gives each function one unit;
 * firmware that overlaps gets one WARN per pair, naming the unit that
 * translates (the later, see claim()).
 */
static void warn_overlap(struct dmar_info *d, u32 i, u32 j)
{
	const struct dmar_unit *a = &d->units[i], *b = &d->units[j];
	char name[24];

	for (u32 ka = a->first_scope; ka < a->first_scope + a->nr_scopes && ka < d->nr_scopes; ka++) {
		for (u32 kb = b->first_scope; kb < b->first_scope + b->nr_scopes && kb < d->nr_scopes; kb++) {
			const struct dmar_scope *sa = &d->scopes[ka], *sb = &d->scopes[kb];
			u32 w;
			if (!is_pci(sa->type) || !is_pci(sb->type))
				continue;
			if (sa->res == DMAR_RES_NO_PATH || sb->res == DMAR_RES_NO_PATH)
				continue;
			const struct dmar_scope *named;
			if (scope_match(sa, PCI_SBDF(sb->segment, 0, 0, 0) | sb->bdf, &w))
				named = sb;
			else if (scope_match(sb, PCI_SBDF(sa->segment, 0, 0, 0) | sa->bdf, &w))
				named = sa;
			else
				continue;
			dmar_bdf_str(d, named->segment, named->bdf, name, sizeof(name));
			odd(d, "device scopes at offsets 0x%04x (DRHD %u) and 0x%04x (DRHD %u) both cover %s; DRHD %u, the later, translates it", sa->offset, i, sb->offset, j, name, j);
		}
	}
}

int dmar_resolve_scopes(struct dmar_info *d)
{
	int missing = 0;

	for (u32 i = 0; i < d->nr_scopes; i++)
		missing += resolve_one(d, &d->scopes[i]);
	d->resolved = true;
	for (u32 i = 0; i < d->nr_units; i++)
		for (u32 j = i + 1; j < d->nr_units; j++)
			if (d->units[i].segment == d->units[j].segment &&
			    !((d->units[i].flags | d->units[j].flags) & DMAR_DRHD_INCLUDE_PCI_ALL))
				warn_overlap(d, i, j);
	return missing;
}

/* How scope s names sbdf (MATCH_*); for MATCH_BELOW, *width is its bus range less one. */
static int scope_match(const struct dmar_scope *s, u32 sbdf, u32 *width)
{
	if (!is_pci(s->type) || s->segment != PCI_SEG(sbdf))
		return MATCH_NONE;
	if (s->res == DMAR_RES_PENDING || s->res == DMAR_RES_NO_PATH)
		return MATCH_NONE;
	if (s->bdf == PCI_RID(sbdf))
		return MATCH_EXACT;
	if (s->has_range && PCI_BUS(sbdf) >= s->sec_bus && PCI_BUS(sbdf) <= s->sub_bus) {
		*width = (u32)(s->sub_bus - s->sec_bus);
		return MATCH_BELOW;
	}
	return MATCH_NONE;
}

/* The closest of scopes [first, first + n) to sbdf; *by is that scope. */
static int best_match(const struct dmar_info *d, u32 first, u32 n, u32 sbdf, u32 *width,
		      const struct dmar_scope **by)
{
	int best = MATCH_NONE;

	for (u32 k = first; k < first + n && k < d->nr_scopes; k++) {
		u32 w = 0;
		int m = scope_match(&d->scopes[k], sbdf, &w);
		if (m && (!best || m < best || (m == best && m == MATCH_BELOW && w < *width))) {
			best = m;
			*width = w;
			*by = &d->scopes[k];
		}
	}
	return best;
}

/*
 * The unit that owns sbdf, by the rule of Linux's dmar_find_matched_drhd_unit
 * (VT-d §8.3 and §8.3.1; docs/architecture.md "Which unit translates a
 * function"): among the units of sbdf's segment without INCLUDE_PCI_ALL,
 * the last in the table whose PCI scopes name sbdf or a bridge above it;
 * else the segment's first INCLUDE_PCI_ALL unit; else none. The PCI scopes
 * of an INCLUDE_PCI_ALL unit are not read (§8.3: such a unit lists only
 * IOAPICs, HPETs and ACPI devices). *by is the deciding scope, NULL for
 * INCLUDE_PCI_ALL.
 */
static const struct dmar_unit *claim(const struct dmar_info *d, u32 sbdf, const struct dmar_scope **by)
{
	*by = NULL;
	if (!d)
		return NULL;
	/* Firmware that names one function in two units gets the later unit, as under Linux. */
	for (u32 i = d->nr_units; i-- > 0;) {
		const struct dmar_unit *u = &d->units[i];
		u32 w = 0;

		if (u->segment != PCI_SEG(sbdf) || (u->flags & DMAR_DRHD_INCLUDE_PCI_ALL))
			continue;
		if (best_match(d, u->first_scope, u->nr_scopes, sbdf, &w, by))
			return u;
	}
	for (u32 i = 0; i < d->nr_units; i++) {
		const struct dmar_unit *u = &d->units[i];
		if (u->segment == PCI_SEG(sbdf) && (u->flags & DMAR_DRHD_INCLUDE_PCI_ALL))
			return u;
	}
	return NULL;
}

const struct dmar_unit *dmar_unit_claiming(const struct dmar_info *d, u32 sbdf)
{
	const struct dmar_scope *by;
	return claim(d, sbdf, &by);
}

/*
 * DMA path step 3: the DMAR's device scopes pick the unit that translates
 * the request's routing ID (the order of preference is in dmar.h); a DBG
 * line names the scope that decided.
 */
const struct dmar_unit *dmar_unit_for(const struct dmar_info *d, u32 sbdf)
{
	const struct dmar_scope *by;
	const struct dmar_unit *u = claim(d, sbdf, &by);
	char name[24];

	if (log_enabled(LOG_DBG, LOG_SUBSYS)) {
		dmar_bdf_str(d, PCI_SEG(sbdf), PCI_RID(sbdf), name, sizeof(name));
		if (!u)
			log_dbg("%s: no remapping unit covers it", name);
		else
			log_dbg("%s: DRHD %u (%s)%s", name, (u32)(u - d->units),
				!by ? "INCLUDE_PCI_ALL" : by->bdf == PCI_RID(sbdf) ? "named in its scope" : "below a bridge in its scope",
				u->broken ? ", which is broken: no unit" : "");
	}
	return u && !u->broken ? u : NULL;
}

bool dmar_atsr_covers(const struct dmar_info *d, u32 sbdf)
{
	for (u32 i = 0; d && i < d->nr_atsrs; i++) {
		const struct dmar_atsr *a = &d->atsrs[i];
		const struct dmar_scope *by;
		u32 w = 0;

		if (a->broken || a->segment != PCI_SEG(sbdf))
			continue;
		if ((a->flags & DMAR_ATSR_ALL_PORTS) || best_match(d, a->first_scope, a->nr_scopes, sbdf, &w, &by))
			return true;
	}
	return false;
}

bool dmar_rmrr_for(const struct dmar_info *d, u32 sbdf, u32 *pos)
{
	for (u32 i = *pos; d && i < d->nr_rmrrs; i++) {
		const struct dmar_rmrr *r = &d->rmrrs[i];
		const struct dmar_scope *by;
		u32 w = 0;

		if (!r->broken && best_match(d, r->first_scope, r->nr_scopes, sbdf, &w, &by)) {
			*pos = i;
			return true;
		}
	}
	return false;
}

const struct dmar_scope *dmar_platform_scope(const struct dmar_info *d, u32 sbdf)
{
	for (u32 i = 0; d && i < d->nr_scopes; i++) {
		const struct dmar_scope *s = &d->scopes[i];

		if (s->type != DMAR_SCOPE_IOAPIC && s->type != DMAR_SCOPE_HPET)
			continue;
		if (s->res == DMAR_RES_PENDING || s->res == DMAR_RES_NO_PATH)
			continue;       /* its path never led to a bus:dev.fn */
		if (s->segment == PCI_SEG(sbdf) && s->bdf == PCI_RID(sbdf))
			return s;
	}
	return NULL;
}

const struct dmar_satc *dmar_satc_for(const struct dmar_info *d, u32 sbdf)
{
	for (u32 i = 0; d && i < d->nr_satcs; i++) {
		const struct dmar_satc *s = &d->satcs[i];
		const struct dmar_scope *by;
		u32 w = 0;

		if (!s->broken && best_match(d, s->first_scope, s->nr_scopes, sbdf, &w, &by))
			return s;
	}
	return NULL;
}
