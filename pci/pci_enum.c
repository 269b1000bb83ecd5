/*
 * Enumeration (PCIe Base 6.3 §7.3 "Configuration Transaction Rules", §6.13
 * ARI): a depth-first walk from every root bus through the bus numbers
 * firmware assigned, building the function table, and the boot log of what
 * was found. Bus numbers are checked, never reassigned; a bridge whose
 * numbers make no sense is logged and not descended into. Root buses are
 * the first bus of each host bridge range (MCFG entry), every other bus of
 * the range that no bridge leads to but where a function answers, and the
 * buses the DMAR's device scopes start from (docs/architecture.md, "Root
 * buses"). Finding root buses through ACPI name space (_BBN, _CRS) is left
 * out: Sluice has no AML interpreter.
 */
#define LOG_SUBSYS "pci"
#include "kernel/log.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/acpi.h"
#include "pci/pci_hw.h"
#include "pci/pcie_hw.h"
#include "pci/ats_hw.h"
#include "pci/sriov_hw.h"
#include "pci/pci_internal.h"

#define NR_BUSES        256
#define DEVFN_END       0x100

static struct pci_dev devs[PCI_MAX_DEVS];
static u32 nr_devs;
static struct { u16 seg; u8 start, end; } hosts[PCI_MAX_HOST_BRIDGES];
static u32 nr_hosts;

/* How a root bus was found; a bus the DMAR names carries ROOT_DMAR as well. */
enum { ROOT_MCFG_START = 1, ROOT_ECAM_SCAN = 2, ROOT_DMAR = 4 };
static struct pci_root { u16 seg; u8 bus, last, how; } roots[PCI_MAX_ROOT_BUSES];
static u32 nr_roots;
/* Buses the DMAR's PCI device scopes start from (pci_add_scope_bus). */
static struct { u16 seg; u8 bus; } scope_buses[PCI_MAX_SCOPE_BUSES];
static u32 nr_scope_buses;
/* Buses of the segment being scanned that a root bus or a bridge leads to. */
static u8 reached[NR_BUSES / 8];
/* Config reads of the root-bus probe in the last pci_scan() (its cost). */
static u32 probe_reads;
/* Root buses found past PCI_MAX_ROOT_BUSES, not scanned. */
static u32 roots_dropped;

/*
 * One bus being scanned. Bus numbers strictly grow from a bus to the
 * buses below it, so at most 256 frames are ever live.
 */
struct scan_frame {
	struct pci_dev *bridge;         /* NULL on a root bus */
	u16 seg;
	u8 bus, last;                   /* this bus; the last bus of its range */
	bool ari;                       /* functions 0-255 of device 0, by ARI links */
	bool one_dev;                   /* below a PCIe port: device 0 only */
	bool mf;                        /* function 0 of the current device is multi-function */
	u16 next;                       /* devfn (function number with ARI) to probe next */
	u8 claimed[NR_BUSES / 8];       /* buses taken by bridges found on this bus */
};
static struct scan_frame stack[NR_BUSES];

void pci_reset(void)
{
	memset(devs, 0, sizeof(devs));
	nr_devs = 0;
	nr_hosts = 0;
	nr_roots = 0;
	nr_scope_buses = 0;
}

int pci_add_host_bridge(u16 seg, u8 bus_start, u8 bus_end)
{
	if (bus_end < bus_start)
		return -HV_EINVAL;
	for (u32 i = 0; i < nr_hosts; i++)
		if (hosts[i].seg == seg && bus_start <= hosts[i].end && hosts[i].start <= bus_end)
			return -HV_EEXIST;
	if (nr_hosts == PCI_MAX_HOST_BRIDGES)
		return -HV_ENOMEM;
	hosts[nr_hosts].seg = seg;
	hosts[nr_hosts].start = bus_start;
	hosts[nr_hosts].end = bus_end;
	nr_hosts++;
	return 0;
}

int pci_add_scope_bus(u16 seg, u8 bus)
{
	for (u32 i = 0; i < nr_scope_buses; i++)
		if (scope_buses[i].seg == seg && scope_buses[i].bus == bus)
			return 0;
	if (nr_scope_buses == PCI_MAX_SCOPE_BUSES)
		return -HV_ENOMEM;
	scope_buses[nr_scope_buses].seg = seg;
	scope_buses[nr_scope_buses].bus = bus;
	nr_scope_buses++;
	return 0;
}

void pci_add_host_bridges(const struct acpi_info *acpi)
{
	for (u32 i = 0; i < acpi->nr_mcfg; i++) {
		const struct acpi_mcfg *m = &acpi->mcfg[i];
		int ret = pci_add_host_bridge(m->segment, m->bus_start, m->bus_end);
		if (ret)
			log_err("host bridge segment %u buses 0x%02x-0x%02x not scanned: %s", m->segment, m->bus_start,
				m->bus_end, hv_strerror(ret));
	}
	if (acpi->nr_mcfg == 0)
		pci_add_host_bridge(0, 0x00, 0xff);
}

void pci_add_scope_buses(const u32 *sb, u32 n)
{
	if (n > PCI_MAX_SCOPE_BUSES)
		log_warn("DMAR scopes start from more than %u buses; the rest are not root-bus candidates", PCI_MAX_SCOPE_BUSES);
	for (u32 i = 0; i < MIN(n, (u32)PCI_MAX_SCOPE_BUSES); i++)
		pci_add_scope_bus(PCI_SEG(sb[i]), PCI_BUS(sb[i]));
}

int pci_host_bridge_range(u16 seg, u8 bus, u8 *start, u8 *end)
{
	/* After a scan: the root bus at or below bus, up to the next root bus. */
	const struct pci_root *best = NULL;
	for (u32 i = 0; i < nr_roots; i++)
		if (roots[i].seg == seg && roots[i].bus <= bus && bus <= roots[i].last &&
		    (!best || roots[i].bus > best->bus))
			best = &roots[i];
	if (best) {
		*start = best->bus;
		*end = best->last;
		return 0;
	}
	for (u32 i = 0; i < nr_hosts; i++)
		if (hosts[i].seg == seg && bus >= hosts[i].start && bus <= hosts[i].end) {
			*start = hosts[i].start;
			*end = hosts[i].end;
			return 0;
		}
	return -HV_ENOENT;
}

struct pci_dev *pci_dev_add(u32 sbdf)
{
	if (nr_devs == PCI_MAX_DEVS)
		return NULL;
	struct pci_dev *d = &devs[nr_devs++];
	memset(d, 0, sizeof(*d));
	d->sbdf = sbdf;
	return d;
}

u32 pci_dev_remove_vfs(const struct pci_dev *pf)
{
	u32 kept = 0, n = nr_devs;

	for (u32 i = 0; i < n; i++) {
		if (devs[i].kind == PCI_KIND_VF && devs[i].pf == pf)
			continue;
		if (kept != i)
			devs[kept] = devs[i];
		kept++;
	}
	nr_devs = kept;
	return n - kept;
}

struct pci_dev *pci_find(u32 sbdf)
{
	for (u32 i = 0; i < nr_devs; i++)
		if (devs[i].sbdf == sbdf)
			return &devs[i];
	return NULL;
}

u32 pci_nr_devs(void) { return nr_devs; }
struct pci_dev *pci_dev_at(u32 i) { return i < nr_devs ? &devs[i] : NULL; }

static enum pci_kind kind_of(const struct pci_dev *d)
{
	bool bridge = d->hdr_type == PCI_HEADER_BRIDGE;

	switch (pci_pcie_type(d)) {
	case -1: return bridge ? PCI_KIND_PCI_BRIDGE : PCI_KIND_PCI;
	case PCIE_TYPE_ENDPOINT: return PCI_KIND_ENDPOINT;
	case PCIE_TYPE_LEG_END: return PCI_KIND_LEGACY_ENDPOINT;
	case PCIE_TYPE_ROOT_PORT: return PCI_KIND_ROOT_PORT;
	case PCIE_TYPE_UPSTREAM: return PCI_KIND_UPSTREAM;
	case PCIE_TYPE_DOWNSTREAM: return PCI_KIND_DOWNSTREAM;
	case PCIE_TYPE_PCIE_PCI: return PCI_KIND_PCIE_PCI_BRIDGE;
	case PCIE_TYPE_PCI_PCIE: return PCI_KIND_PCI_PCIE_BRIDGE;
	case PCIE_TYPE_RC_END: return PCI_KIND_RC_ENDPOINT;
	case PCIE_TYPE_RC_EC: return PCI_KIND_RC_EC;
	default:
		log_warn(SBDF_FMT ": reserved PCI Express device/port type 0x%x; taken as %s",
			 SBDF_ARGS(d->sbdf), pci_pcie_type(d), bridge ? "pci-bridge" : "pci");
		return bridge ? PCI_KIND_PCI_BRIDGE : PCI_KIND_PCI;
	}
}

/*
 * DMA path step 2: a function answers at sbdf (vendor neither 0xffff nor
 * 0); its bus, device and function are the routing ID on every request it
 * makes (a VF's follows from its PF's SR-IOV offset and stride). Record
 * its IDs, capabilities, BARs and, for a bridge, bus numbers and windows. first: function 0 of its device (of the ARI device).
 * Returns the new entry, or NULL when nothing answers or the table is
 * full (*full set).
 */
static struct pci_dev *probe(const struct scan_frame *f, u32 sbdf, bool first, bool *full)
{
	u32 id = pci_cfg_read(sbdf, PCI_VENDOR_ID, 4);
	u16 vendor = (u16)id;

	if (vendor == 0xffff || vendor == 0)
		return NULL;
	struct pci_dev *d = pci_dev_add(sbdf);
	if (!d) {
		*full = true;
		return NULL;
	}
	d->vendor = vendor;
	d->device = (u16)(id >> 16);
	d->class = (u32)FIELD_GET(PCI_CLASS_CODE, pci_cfg_read(sbdf, PCI_CLASS_REV, 4));
	u8 hdr = (u8)pci_cfg_read(sbdf, PCI_HEADER_TYPE, 1);
	d->hdr_type = (u8)FIELD_GET(PCI_HEADER_LAYOUT, hdr);
	/* Function 0's Multi-Function bit speaks for the whole device. */
	d->multifunction = first ? (hdr & PCI_HEADER_MF) : f->mf;
	d->parent = f->bridge;
	pci_caps_read(d);
	d->kind = kind_of(d);
	if (d->hdr_type > PCI_HEADER_CARDBUS)
		log_warn(SBDF_FMT ": unknown header type 0x%02x; BARs not sized",
			 SBDF_ARGS(sbdf), d->hdr_type);
	pci_bars_read(d);
	if (d->hdr_type == PCI_HEADER_BRIDGE) {
		d->pri_bus = (u8)pci_cfg_read(sbdf, PCI_PRIMARY_BUS, 1);
		d->sec_bus = (u8)pci_cfg_read(sbdf, PCI_SECONDARY_BUS, 1);
		d->sub_bus = (u8)pci_cfg_read(sbdf, PCI_SUBORDINATE_BUS, 1);
		pci_windows_read(d);
		log_dbg(SBDF_FMT ": windows io [0x%llx-0x%llx] mem [0x%llx-0x%llx] pref%s [0x%llx-0x%llx]",
			SBDF_ARGS(sbdf), (unsigned long long)d->io_win.base,
			(unsigned long long)d->io_win.limit, (unsigned long long)d->mem_win.base,
			(unsigned long long)d->mem_win.limit, d->pref_win.is64 ? "64" : "32",
			(unsigned long long)d->pref_win.base, (unsigned long long)d->pref_win.limit);
	}
	log_dbg(SBDF_FMT ": found %04x:%04x header type %u, BARs sized",
		SBDF_ARGS(sbdf), d->vendor, d->device, d->hdr_type);
	return d;
}

static bool bus_taken(const u8 *set, u8 bus) { return set[bus / 8] & (1u << (bus % 8)); }

/*
 * Whether the bus numbers of bridge d, found on frame f's bus, can be
 * followed: below its own bus, inside the parent's range and clear of
 * its siblings'. Otherwise logs one ERR naming it and returns false.
 */
static bool bus_range_ok(struct scan_frame *f, const struct pci_dev *d)
{
	char why[64];

	if (d->sec_bus <= f->bus || d->sec_bus <= d->pri_bus)
		fmt_snprintf(why, sizeof(why), "secondary not above primary");
	else if (d->sub_bus < d->sec_bus)
		fmt_snprintf(why, sizeof(why), "subordinate below secondary");
	else if (d->sub_bus > f->last)
		fmt_snprintf(why, sizeof(why), "outside the parent's range [0x%02x-0x%02x]",
			     f->bus, f->last);
	else {
		for (u32 b = d->sec_bus; b <= d->sub_bus; b++)
			if (bus_taken(f->claimed, (u8)b)) {
				fmt_snprintf(why, sizeof(why), "overlaps a sibling bridge at bus 0x%02x", b);
				goto bad;
			}
		for (u32 b = d->sec_bus; b <= d->sub_bus; b++)
			f->claimed[b / 8] |= (u8)(1u << (b % 8));
		return true;
	}
bad:
	log_err(SBDF_FMT ": bridge bus numbers primary 0x%02x secondary 0x%02x subordinate 0x%02x: %s; not scanned below",
		SBDF_ARGS(d->sbdf), d->pri_bus, d->sec_bus, d->sub_bus, why);
	return false;
}

static void push(u32 *depth, struct pci_dev *bridge, u16 seg, u8 bus, u8 last)
{
	struct scan_frame *f = &stack[(*depth)++];

	memset(f, 0, sizeof(*f));
	f->bridge = bridge;
	f->seg = seg;
	f->bus = bus;
	f->last = last;
	if (bridge) {
		/* A link below a port carries one device (Linux only_one_child). */
		f->one_dev = bridge->kind == PCI_KIND_ROOT_PORT || bridge->kind == PCI_KIND_DOWNSTREAM ||
			     bridge->kind == PCI_KIND_PCI_PCIE_BRIDGE;
		f->ari = pci_ari_setup(bridge);
	}
}

/* Where to look after function devfn of f, given what answered there (d). */
static u16 next_devfn(struct scan_frame *f, u16 devfn, const struct pci_dev *d)
{
	if (f->ari) {
		if (!d) {
			if (devfn)
				log_warn("%04x:%02x: ARI function 0x%02x is absent; scan of the bus stops",
					 f->seg, f->bus, devfn);
			return DEVFN_END;
		}
		if (devfn == 0)
			f->mf = d->multifunction;
		if (!d->ecap_ari) {
			if (devfn == 0) {
				/* Not an ARI device after all: functions 0-7 as usual. */
				f->ari = false;
				return f->mf ? 1 : DEVFN_END;
			}
			return DEVFN_END;
		}
		u16 nfn = (u16)FIELD_GET(ARI_CAP_NEXT_FN, pci_cfg_read(d->sbdf, d->ecap_ari + ARI_CAP, 2));
		if (nfn && nfn <= devfn) {
			log_warn(SBDF_FMT ": ARI next function 0x%02x is not above 0x%02x; scan of the bus stops",
				 SBDF_ARGS(d->sbdf), nfn, devfn);
			return DEVFN_END;
		}
		return nfn ? nfn : DEVFN_END;
	}
	u16 next;
	if (PCI_FN(devfn) == 0) {
		f->mf = d && d->multifunction;
		next = !d ? devfn + 8 : f->mf ? devfn + 1 : devfn + 8;
	} else {
		next = devfn + 1;
	}
	if (f->one_dev && next >= 8)
		return DEVFN_END;
	return next;
}

/* Appends to a fixed buffer; len counts what would have been written. */
struct sbuf { char *buf; size_t size, len; };

static void sb_add(struct sbuf *s, const char *fmt, ...) __printf(2, 3);
static void sb_add(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	size_t room = s->len < s->size ? s->size - s->len : 0;

	va_start(ap, fmt);
	int n = fmt_vsnprintf(room ? s->buf + s->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->len += (size_t)n;
}

static void mark_reached(u8 first, u8 last)
{
	for (u32 b = first; b <= last; b++)
		reached[b / 8] |= (u8)(1u << (b % 8));
}

/*
 * Walks the hierarchy below root bus `bus` of segment seg depth first,
 * bridges' buses up to last; marks every bus a bridge leads to in
 * reached. Returns false when the table filled.
 */
static bool scan_root(u16 seg, u8 bus, u8 last)
{
	u32 depth = 0;
	bool full = false;

	mark_reached(bus, bus);
	push(&depth, NULL, seg, bus, last);
	while (depth) {
		struct scan_frame *f = &stack[depth - 1];
		if (f->next >= DEVFN_END) {
			depth--;
			continue;
		}
		u16 devfn = f->next;
		u32 sbdf = PCI_SBDF(seg, f->bus, PCI_DEV(devfn), PCI_FN(devfn));
		bool first = f->ari ? devfn == 0 : PCI_FN(devfn) == 0;
		struct pci_dev *d = probe(f, sbdf, first, &full);
		if (full)
			return false;
		f->next = next_devfn(f, devfn, d);
		if (!d || d->hdr_type != PCI_HEADER_BRIDGE)
			continue;
		if (bus_range_ok(f, d)) {
			mark_reached(d->sec_bus, d->sub_bus);
			push(&depth, d, seg, d->sec_bus, d->sub_bus);
		} else if (d->sec_bus > f->bus && d->sub_bus >= d->sec_bus) {
			/* Not scanned below, and not taken for root buses either. */
			mark_reached(d->sec_bus, d->sub_bus);
		}
	}
	return true;
}

/*
 * Whether any function answers on bus: function 0 of devices 0-31 (every
 * device implements function 0, whose Multi-Function bit, §7.5.1.1.9
 * "Header Type Register", tells whether others follow; the walk reads them
 * the same way). At most 32 config reads, counted in probe_reads.
 */
static bool bus_has_functions(u16 seg, u8 bus)
{
	for (u32 dev = 0; dev < 32; dev++) {
		probe_reads++;
		u16 vendor = (u16)pci_cfg_read(PCI_SBDF(seg, bus, dev, 0), PCI_VENDOR_ID, 2);
		if (vendor != 0xffff && vendor != 0)
			return true;
	}
	return false;
}

static bool named_by_dmar(u16 seg, u8 bus)
{
	for (u32 i = 0; i < nr_scope_buses; i++)
		if (scope_buses[i].seg == seg && scope_buses[i].bus == bus)
			return true;
	return false;
}

static bool in_host_range(u16 seg, u8 bus)
{
	for (u32 i = 0; i < nr_hosts; i++)
		if (hosts[i].seg == seg && bus >= hosts[i].start && bus <= hosts[i].end)
			return true;
	return false;
}

/*
 * Records root bus `bus` (how: ROOT_*) and walks it, bridges' buses up to
 * last. Returns false when a table filled (logged once here).
 */
static bool add_root(u16 seg, u8 bus, u8 last, u8 how)
{
	if (nr_roots == PCI_MAX_ROOT_BUSES) {
		roots_dropped++;        /* said once, by log_roots() */
		return true;
	}
	if (named_by_dmar(seg, bus))
		how |= ROOT_DMAR;
	roots[nr_roots++] = (struct pci_root){ .seg = seg, .bus = bus, .last = last, .how = how };
	if (!scan_root(seg, bus, last)) {
		log_warn("table full at %u functions; the rest of the hierarchy is not recorded",
			 PCI_MAX_DEVS);
		return false;
	}
	return true;
}

/*
 * Every root bus of segment seg, in bus order within each host bridge
 * range: the range's first bus, then each bus of the range that no bridge
 * found so far leads to and where a function answers (the ECAM scan).
 * Then the buses the DMAR's scopes start from that nothing reached: a
 * root bus outside every range (config access may still reach it), or a
 * WARN that the DMAR names an empty bus. Returns false when the table
 * filled.
 */
static bool scan_segment(u16 seg)
{
	memset(reached, 0, sizeof(reached));
	for (u32 h = 0; h < nr_hosts; h++) {
		if (hosts[h].seg != seg)
			continue;
		u8 start = hosts[h].start, end = hosts[h].end;
		/* Unless a bridge of an earlier range of the segment leads to it. */
		if (!bus_taken(reached, start) && !add_root(seg, start, end, ROOT_MCFG_START))
			return false;
		for (u32 b = start + 1u; b <= end; b++)
			if (!bus_taken(reached, (u8)b) && bus_has_functions(seg, (u8)b) &&
			    !add_root(seg, (u8)b, end, ROOT_ECAM_SCAN))
				return false;
	}
	for (u32 b = 0; b < NR_BUSES; b++) {
		if (!named_by_dmar(seg, (u8)b) || bus_taken(reached, (u8)b))
			continue;
		/* A bus of a host range was probed above already. */
		if (!in_host_range(seg, (u8)b) && bus_has_functions(seg, (u8)b)) {
			if (!add_root(seg, (u8)b, 0xff, ROOT_DMAR))
				return false;
			continue;
		}
		log_warn("%04x:%02x: a DMAR device scope starts from this bus, but no bridge leads to it and no function answers on it",
			 seg, b);
	}
	return true;
}

/* Logs the root buses and sets each one's last bus: up to the next root bus. */
static void log_roots(void)
{
	static const char *const how_words[] = { "mcfg start", "ecam scan", "dmar scope" };
	/* Without MCFG (config space through port 0xCF8: 256 bytes) the same steps. */
	static const char *const cf8_words[] = { "first bus", "bus scan", "dmar scope" };

	for (u32 i = 0; i < nr_roots; i++) {
		struct pci_root *r = &roots[i];
		for (u32 j = 0; j < nr_roots; j++)
			if (roots[j].seg == r->seg && roots[j].bus > r->bus && roots[j].bus <= r->last)
				r->last = (u8)(roots[j].bus - 1);
		char how[40];
		struct sbuf s = { how, sizeof(how), 0 };
		how[0] = '\0';
		bool ecam = pci_cfg_size(PCI_SBDF(r->seg, r->bus, 0, 0)) == PCI_CFG_EXT_SIZE;
		for (u32 k = 0; k < ARRAY_SIZE(how_words); k++)
			if (r->how & (1u << k))
				sb_add(&s, "%s%s", s.len ? ", " : "", ecam ? how_words[k] : cf8_words[k]);
		log_info("root bus %04x:%02x (%s)", r->seg, r->bus, how);
	}
	if (roots_dropped)
		log_warn("%u more root bus(es) found but not scanned: Sluice keeps %u", roots_dropped,
			 PCI_MAX_ROOT_BUSES);
}

int pci_scan(void)
{
	memset(devs, 0, sizeof(devs));
	nr_devs = 0;
	nr_roots = 0;
	roots_dropped = 0;
	probe_reads = 0;
	/* Segments in the order their first host bridge was registered. */
	for (u32 h = 0; h < nr_hosts; h++) {
		bool seen = false;
		for (u32 k = 0; k < h; k++)
			seen |= hosts[k].seg == hosts[h].seg;
		if (!seen && !scan_segment(hosts[h].seg))
			break;
	}
	for (u32 i = 0; i < nr_scope_buses; i++) {
		bool known = false;
		for (u32 h = 0; h < nr_hosts; h++)
			known |= hosts[h].seg == scope_buses[i].seg;
		if (!known)
			log_warn("%04x:%02x: a DMAR device scope starts from this bus, but no host bridge range (MCFG) has segment %u; not scanned",
				 scope_buses[i].seg, scope_buses[i].bus, scope_buses[i].seg);
	}
	log_roots();
	log_dbg("%u root bus(es); the probe for them made %u config reads", nr_roots, probe_reads);
	for (u32 i = 0; i < nr_devs; i++)
		pci_acs_enable(&devs[i]);
	pci_groups_compute();

	char line[LOG_LINE_MAX + 64];
	for (u32 i = 0; i < nr_devs; i++) {
		pci_dev_describe(&devs[i], line, sizeof(line));
		log_info("%s", line);
	}
	pci_log_groups();
	return (int)nr_devs;
}

/* ---- the log ---- */

const char *pci_kind_name(enum pci_kind k)
{
	static const char *const names[] = {
		[PCI_KIND_PCI] = "pci", [PCI_KIND_PCI_BRIDGE] = "pci-bridge",
		[PCI_KIND_ENDPOINT] = "endpoint", [PCI_KIND_LEGACY_ENDPOINT] = "legacy-endpoint",
		[PCI_KIND_RC_ENDPOINT] = "rc-endpoint", [PCI_KIND_RC_EC] = "rc-event-collector",
		[PCI_KIND_ROOT_PORT] = "root-port", [PCI_KIND_UPSTREAM] = "upstream-port",
		[PCI_KIND_DOWNSTREAM] = "downstream-port", [PCI_KIND_PCIE_PCI_BRIDGE] = "pcie-pci-bridge",
		[PCI_KIND_PCI_PCIE_BRIDGE] = "pci-pcie-bridge", [PCI_KIND_VF] = "vf",
	};
	return (unsigned)k < ARRAY_SIZE(names) && names[k] ? names[k] : "?";
}

/*
 * lspci's name for a class code (the PCI Code and ID Assignment
 * Specification's base classes and subclasses, worded as the pci.ids
 * database words them, which is what lspci prints): the subclass's name
 * where there is one, else the base class's, else NULL (lspci then says
 * "Class").
 */
const char *pci_class_name(u32 class)
{
	static const struct { u16 code; const char *name; } subs[] = {
		{ 0x0000, "Non-VGA unclassified device" }, { 0x0001, "VGA compatible unclassified device" },
		{ 0x0100, "SCSI storage controller" }, { 0x0101, "IDE interface" }, { 0x0102, "Floppy disk controller" },
		{ 0x0104, "RAID bus controller" }, { 0x0105, "ATA controller" }, { 0x0106, "SATA controller" },
		{ 0x0107, "Serial Attached SCSI controller" }, { 0x0108, "Non-Volatile memory controller" },
		{ 0x0200, "Ethernet controller" }, { 0x0280, "Network controller" },
		{ 0x0300, "VGA compatible controller" }, { 0x0380, "Display controller" },
		{ 0x0403, "Audio device" }, { 0x0500, "RAM memory" },
		{ 0x0600, "Host bridge" }, { 0x0601, "ISA bridge" }, { 0x0604, "PCI bridge" }, { 0x0680, "Bridge" },
		{ 0x0700, "Serial controller" }, { 0x0800, "PIC" }, { 0x0806, "IOMMU" }, { 0x0880, "System peripheral" },
		{ 0x0c03, "USB controller" }, { 0x0c05, "SMBus" },
	};
	static const char *const bases[] = {
		"Unclassified device", "Mass storage controller", "Network controller", "Display controller",
		"Multimedia controller", "Memory controller", "Bridge", "Communication controller",
		"Generic system peripheral", "Input device controller", "Docking station", "Processor",
		"Serial bus controller", "Wireless controller", "Intelligent controller",
		"Satellite communications controller", "Encryption controller", "Signal processing controller",
		"Processing accelerators", "Non-Essential Instrumentation",
	};
	u16 code = (u16)(class >> 8);

	for (unsigned i = 0; i < ARRAY_SIZE(subs); i++)
		if (subs[i].code == code)
			return subs[i].name;
	if ((class >> 16) < ARRAY_SIZE(bases))
		return bases[class >> 16];
	return (class >> 16) == 0xff ? "Unassigned class" : NULL;
}

static const char *bar_type_name(const struct pci_bar *b)
{
	switch (b->type) {
	case PCI_BAR_IO: return "io";
	case PCI_BAR_MEM32: return b->prefetch ? "mem32p" : "mem32";
	case PCI_BAR_MEM64: return b->prefetch ? "mem64p" : "mem64";
	default: return "?";
	}
}

static void describe_cap(struct sbuf *s, const struct pci_dev *d, bool ext, u16 id)
{
	if (!ext) {
		switch (id) {
		case PCI_CAP_ID_PM: sb_add(s, "PM"); return;
		case PCI_CAP_ID_MSI: sb_add(s, "MSI"); return;
		case PCI_CAP_ID_MSIX: sb_add(s, "MSI-X"); return;
		case PCI_CAP_ID_EXP: sb_add(s, "PCIe"); return;
		}
		sb_add(s, "cap0x%02x", id);
		return;
	}
	switch (id) {
	case PCI_ECAP_ID_AER: sb_add(s, "AER"); return;
	case PCI_ECAP_ID_ACS: sb_add(s, "ACS"); return;
	case PCI_ECAP_ID_ARI: sb_add(s, "ARI"); return;
	case PCI_ECAP_ID_PRI: sb_add(s, "PRI"); return;
	case PCI_ECAP_ID_PASID: sb_add(s, "PASID"); return;
	case PCI_ECAP_ID_ATS:   /* Invalidate Queue Depth as encoded: 0 means 32 */
		sb_add(s, "ATS(qdepth %u)", d->ats_qdepth);
		return;
	case PCI_ECAP_ID_SRIOV:
		sb_add(s, "SR-IOV(total %u offset %u stride %u)", d->sriov.total_vfs,
		       d->sriov.offset, d->sriov.stride);
		return;
	}
	sb_add(s, "ext0x%04x", id);
}

int pci_dev_describe(const struct pci_dev *d, char *buf, size_t size)
{
	struct sbuf s = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	sb_add(&s, SBDF_FMT " %04x:%04x class 0x%06x %s", SBDF_ARGS(d->sbdf), d->vendor,
	       d->device, d->class, pci_kind_name(d->kind));
	if (d->hdr_type == PCI_HEADER_BRIDGE && d->kind != PCI_KIND_VF)
		sb_add(&s, " bus [0x%02x-0x%02x]", d->sec_bus, d->sub_bus);
	/* The KIND word "vf" reads on: "vf of 0000:03:00.0 #1". */
	if (d->kind == PCI_KIND_VF && d->pf)
		sb_add(&s, " of " SBDF_FMT " #%u", SBDF_ARGS(d->pf->sbdf), d->vf_index);
	for (u32 i = 0; i < PCI_NR_BARS; i++) {
		const struct pci_bar *b = &d->bars[i];
		if (b->type == PCI_BAR_NONE || !b->size)
			continue;
		sb_add(&s, " bar%u %s 0x%016llx size 0x%llx", i, bar_type_name(b),
		       (unsigned long long)b->addr, (unsigned long long)b->size);
	}
	if (d->nr_cap_ids || d->nr_ecap_ids) {
		sb_add(&s, " caps ");
		for (u32 i = 0; i < d->nr_cap_ids; i++) {
			if (i)
				sb_add(&s, ",");
			describe_cap(&s, d, false, d->cap_ids[i]);
		}
		for (u32 i = 0; i < d->nr_ecap_ids; i++) {
			if (i || d->nr_cap_ids)
				sb_add(&s, ",");
			describe_cap(&s, d, true, d->ecap_ids[i]);
		}
	}
	return size ? (int)MIN(s.len, size - 1) : 0;
}

/* Room for a group line's devices: the log line minus "cNN INFO pci: group NNN:". */
#define GROUP_LINE_ROOM (LOG_LINE_MAX - 32)

u32 pci_nr_groups(void)
{
	u32 groups = 0;

	for (u32 i = 0; i < nr_devs; i++)
		groups = MAX(groups, devs[i].group);
	return groups;
}

void pci_log_groups(void)
{
	u32 groups = pci_nr_groups(), vfs = 0, bridges = 0;
	char line[GROUP_LINE_ROOM];

	for (u32 i = 0; i < nr_devs; i++) {
		vfs += devs[i].kind == PCI_KIND_VF;
		bridges += devs[i].hdr_type == PCI_HEADER_BRIDGE && devs[i].kind != PCI_KIND_VF;
	}
	for (u32 g = 1; g <= groups; g++) {
		struct sbuf s = { line, sizeof(line), 0 };
		line[0] = '\0';
		for (u32 i = 0; i < nr_devs; i++) {
			if (devs[i].group != g)
				continue;
			/* " ssss:bb:dd.f" is 13 characters; keep 4 for " ..." */
			if (s.len + 13 + 4 >= sizeof(line)) {
				sb_add(&s, " ...");
				break;
			}
			sb_add(&s, " " SBDF_FMT, SBDF_ARGS(devs[i].sbdf));
		}
		log_info("group %u:%s", g, line);
	}
	log_info("%u functions (%u VFs), %u bridges, %u isolation groups",
		 nr_devs, vfs, bridges, groups);
}
