/*
 * DMAR parsing (VT-d §8 "BIOS Considerations"): the walk over the remapping
 * structures and their device scopes, with the checks §8 implies for
 * firmware. Pure: bytes in, struct dmar_info out, one log line per problem
 * naming its offset in the table. It reads no config space (dmar_scope.c
 * follows multi-hop paths) and prints no result (dmar_print.c).
 */
#define LOG_SUBSYS "dmar"
#include "iommu/dmar.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/fmt.h"
#include "kernel/err.h"
#include "kernel/hw/pci_cfg.h"

#define SZ_4K                   4096

/* Every problem is one line and one count; callers decide what errors mean. */
#define bad(d, fmt, ...)        do { (d)->nr_errors++; log_err(fmt, ##__VA_ARGS__); } while (0)
#define odd(d, fmt, ...)        do { (d)->nr_warnings++; log_warn(fmt, ##__VA_ARGS__); } while (0)

/* Length of each known type's fixed part, before its device scopes (§8.2). */
static const u16 min_len[] = {
	[DMAR_TYPE_DRHD] = DMAR_DRHD_SCOPES,
	[DMAR_TYPE_RMRR] = DMAR_RMRR_SCOPES,
	[DMAR_TYPE_ATSR] = DMAR_ATSR_SCOPES,
	[DMAR_TYPE_RHSA] = DMAR_RHSA_SIZE,
	[DMAR_TYPE_ANDD] = DMAR_ANDD_NAME,
	[DMAR_TYPE_SATC] = DMAR_SATC_SCOPES,
	[DMAR_TYPE_SIDP] = DMAR_SIDP_MIN_SIZE,
};
static const char *const type_name[] = {
	"DRHD", "RMRR", "ATSR", "RHSA", "ANDD", "SATC", "SIDP",
};

/* Table text goes into one-line log messages: nothing but printable ASCII. */
static char printable(u8 c)
{
	return c >= 0x20 && c < 0x7f ? (char)c : '?';
}

static void copy_text(char *dst, const u8 *src, u32 n)
{
	for (u32 i = 0; i < n; i++)
		dst[i] = printable(src[i]);
	dst[n] = '\0';
}

static void set_broken(bool *broken, const char **why, const char *reason)
{
	if (!*broken) {
		*broken = true;
		*why = reason;
	}
}

/*
 * Reads the device scopes in st[from..slen) into d->scopes, st being the
 * structure at table offset off, named what in messages. Returns false when
 * one was malformed or could not be kept: the list is then incomplete.
 */
static bool parse_scopes(struct dmar_info *d, const u8 *st, u32 off, u32 from, u32 slen,
			 u16 segment, const char *what, u16 *first, u16 *n)
{
	bool ok = true;

	*first = (u16)d->nr_scopes;
	*n = 0;
	for (u32 p = from; p < slen;) {
		const u8 *sc = st + p;
		u32 soff = off + p, left = slen - p;

		if (left < 2) {
			bad(d, "device scope at offset 0x%04x in %s: %u byte(s) left, too few for a scope; the rest of its scopes ignored", soff, what, left);
			return false;
		}
		u32 sl = sc[DMAR_SCOPE_LENGTH];
		if (sl < DMAR_SCOPE_MIN_SIZE || (sl - DMAR_SCOPE_PATH) % DMAR_SCOPE_HOP_SIZE) {
			bad(d, "device scope at offset 0x%04x in %s: length 0x%02x is not 6 + 2 per hop (at least 8); the rest of its scopes ignored", soff, what, sl);
			return false;
		}
		if (sl > left) {
			bad(d, "device scope at offset 0x%04x in %s: length 0x%02x runs past the structure's end (0x%02x bytes left); the rest of its scopes ignored", soff, what, sl, left);
			return false;
		}
		p += sl;

		u8 type = sc[DMAR_SCOPE_TYPE];
		if (type < DMAR_SCOPE_ENDPOINT || type > DMAR_SCOPE_ACPI) {
			odd(d, "device scope at offset 0x%04x in %s: type %u is reserved; skipped", soff, what, type);
			continue;
		}
		u32 hops = (sl - DMAR_SCOPE_PATH) / DMAR_SCOPE_HOP_SIZE;
		if (hops > DMAR_MAX_HOPS) {
			bad(d, "device scope at offset 0x%04x in %s: a path of %u hops is longer than Sluice follows (%u); skipped", soff, what, hops, DMAR_MAX_HOPS);
			ok = false;
			continue;
		}
		if (d->nr_scopes == DMAR_MAX_SCOPES) {
			bad(d, "device scope at offset 0x%04x in %s: more than %u scopes in the table; the rest ignored", soff, what, DMAR_MAX_SCOPES);
			return false;
		}
		struct dmar_scope *s = &d->scopes[d->nr_scopes];
		memset(s, 0, sizeof(*s));
		s->type = type;
		s->flags = sc[DMAR_SCOPE_FLAGS];
		s->enum_id = sc[DMAR_SCOPE_ENUM_ID];
		s->start_bus = sc[DMAR_SCOPE_START_BUS];
		s->segment = segment;
		s->offset = soff;
		bool fits = true;
		for (u32 h = 0; h < hops && fits; h++) {
			u8 dev = sc[DMAR_SCOPE_PATH + 2 * h], fn = sc[DMAR_SCOPE_PATH + 2 * h + 1];
			if (dev > 31 || fn > 7) {
				bad(d, "device scope at offset 0x%04x in %s: hop %u names device 0x%02x function %u, past device 31 function 7; skipped", soff, what, h + 1, dev, fn);
				fits = false;
			}
			s->hops[h].dev = dev;
			s->hops[h].fn = fn;
		}
		if (!fits) {
			ok = false;
			continue;
		}
		s->nr_hops = (u8)hops;
		if (hops == 1) {
			s->res = DMAR_RES_TABLE;
			s->bdf = PCI_RID(PCI_SBDF(0, s->start_bus, s->hops[0].dev, s->hops[0].fn));
		} else {
			s->res = DMAR_RES_PENDING;
		}
		if (type > DMAR_SCOPE_BRIDGE && get_le16(st + DMAR_ST_TYPE) != DMAR_TYPE_DRHD)
			odd(d, "device scope at offset 0x%04x in %s: an %s scope means nothing here; ignored", soff, what, dmar_scope_type_name(type));
		d->nr_scopes++;
		(*n)++;
	}
	return ok;
}

static void note_segment(struct dmar_info *d, u16 segment)
{
	if (segment)
		d->several_segments = true;
}

/* §8.3: a remapping unit. Problems with it break only this unit. */
static void parse_drhd(struct dmar_info *d, const u8 *st, u32 off, u32 slen)
{
	if (d->nr_units == DMAR_MAX_UNITS) {
		bad(d, "structure at offset 0x%04x: more than %u DRHDs; this unit is ignored", off, DMAR_MAX_UNITS);
		return;
	}
	u32 i = d->nr_units++;
	struct dmar_unit *u = &d->units[i];
	char what[16];

	memset(u, 0, sizeof(*u));
	fmt_snprintf(what, sizeof(what), "DRHD %u", i);
	u->offset = off;
	u->first_scope = (u16)d->nr_scopes;
	if (slen < DMAR_DRHD_SCOPES) {
		/* Kept, broken, so that nothing mistakes its devices for another unit's. */
		if (slen > DMAR_DRHD_FLAGS)
			u->flags = st[DMAR_DRHD_FLAGS];
		if (slen >= DMAR_DRHD_SEGMENT + 2)
			u->segment = get_le16(st + DMAR_DRHD_SEGMENT);
		note_segment(d, u->segment);
		bad(d, "structure at offset 0x%04x: DRHD %u of %u bytes is shorter than its %u-byte fixed part; this unit is not used", off, i, slen, DMAR_DRHD_SCOPES);
		set_broken(&u->broken, &u->why, "structure too short");
		return;
	}
	u->flags = st[DMAR_DRHD_FLAGS];
	u->size_log2 = st[DMAR_DRHD_SIZE];
	u->segment = get_le16(st + DMAR_DRHD_SEGMENT);
	u->base_pa = get_le64(st + DMAR_DRHD_BASE);
	note_segment(d, u->segment);

	if (u->flags & ~DMAR_DRHD_INCLUDE_PCI_ALL)
		odd(d, "DRHD %u at offset 0x%04x: reserved flag bits set (flags 0x%02x); ignored", i, off, u->flags);
	if (!u->base_pa) {
		bad(d, "DRHD %u at offset 0x%04x: register base is zero (a firmware bug); this unit is not used", i, off);
		set_broken(&u->broken, &u->why, "register base is zero");
	} else if (!IS_ALIGNED(u->base_pa, SZ_4K)) {
		bad(d, "DRHD %u at offset 0x%04x: register base 0x%016llx is not 4 KiB aligned; this unit is not used", i, off, (unsigned long long)u->base_pa);
		set_broken(&u->broken, &u->why, "register base not 4 KiB aligned");
	} else {
		for (u32 j = 0; j < i; j++) {
			if (d->units[j].base_pa == u->base_pa) {
				bad(d, "DRHD %u at offset 0x%04x: register base 0x%016llx is DRHD %u's too; this unit is not used", i, off, (unsigned long long)u->base_pa, j);
				set_broken(&u->broken, &u->why, "register base of another unit");
				break;
			}
		}
	}
	/* SPEC: the INCLUDE_PCI_ALL unit "must be enumerated by BIOS after all other DRHD structures for the same Segment". */
	for (u32 j = 0; j < i; j++) {
		const struct dmar_unit *o = &d->units[j];
		if (o->segment != u->segment || !(o->flags & DMAR_DRHD_INCLUDE_PCI_ALL))
			continue;
		if (u->flags & DMAR_DRHD_INCLUDE_PCI_ALL) {
			bad(d, "DRHD %u at offset 0x%04x: a second INCLUDE_PCI_ALL unit for segment %u (DRHD %u is one); this unit is not used", i, off, u->segment, j);
			set_broken(&u->broken, &u->why, "second INCLUDE_PCI_ALL unit of its segment");
		} else {
			bad(d, "DRHD %u at offset 0x%04x: comes after DRHD %u, the INCLUDE_PCI_ALL unit of segment %u, which must be last in its segment", i, off, j, u->segment);
		}
		break;
	}
	/* With its list cut short its devices are unknown, and none may go to another unit instead. */
	if (!parse_scopes(d, st, off, DMAR_DRHD_SCOPES, slen, u->segment, what, &u->first_scope, &u->nr_scopes))
		set_broken(&u->broken, &u->why, "malformed device scope list");
	if (!(u->flags & DMAR_DRHD_INCLUDE_PCI_ALL) && !u->nr_scopes && !u->broken)
		odd(d, "DRHD %u at offset 0x%04x: no device scopes and no INCLUDE_PCI_ALL: it covers no device", i, off);
	/* §8.3: an INCLUDE_PCI_ALL unit lists only IOAPICs, HPETs and ACPI devices; the unit choice reads no PCI scope of it. */
	for (u32 k = u->first_scope; (u->flags & DMAR_DRHD_INCLUDE_PCI_ALL) && k < u->first_scope + u->nr_scopes; k++) {
		const struct dmar_scope *sc = &d->scopes[k];
		if (sc->type == DMAR_SCOPE_ENDPOINT || sc->type == DMAR_SCOPE_BRIDGE)
			odd(d, "device scope at offset 0x%04x in DRHD %u: %s scope in an INCLUDE_PCI_ALL unit, which covers its whole segment; not read", sc->offset, i, dmar_scope_type_name(sc->type));
	}
}

/* §8.4: memory a device may DMA to behind the OS's back (USB legacy, graphics). */
static void parse_rmrr(struct dmar_info *d, const u8 *st, u32 off, u32 slen)
{
	if (d->nr_rmrrs == DMAR_MAX_RMRRS) {
		bad(d, "structure at offset 0x%04x: more than %u RMRRs; this one is ignored", off, DMAR_MAX_RMRRS);
		return;
	}
	u32 i = d->nr_rmrrs++;
	struct dmar_rmrr *r = &d->rmrrs[i];
	char what[16];

	memset(r, 0, sizeof(*r));
	fmt_snprintf(what, sizeof(what), "RMRR %u", i);
	r->offset = off;
	r->segment = get_le16(st + DMAR_RMRR_SEGMENT);
	r->base_pa = get_le64(st + DMAR_RMRR_BASE);
	r->end_pa = get_le64(st + DMAR_RMRR_LIMIT);
	note_segment(d, r->segment);

	if (r->end_pa < r->base_pa) {
		bad(d, "RMRR %u at offset 0x%04x: end 0x%016llx is below base 0x%016llx; region ignored", i, off, (unsigned long long)r->end_pa, (unsigned long long)r->base_pa);
		set_broken(&r->broken, &r->why, "end below base");
	} else {
		if (!IS_ALIGNED(r->base_pa, SZ_4K) || !IS_ALIGNED(r->end_pa + 1, SZ_4K))
			odd(d, "RMRR %u at offset 0x%04x: [0x%016llx-0x%016llx] is not whole 4 KiB pages; identity maps round it out", i, off, (unsigned long long)r->base_pa, (unsigned long long)r->end_pa);
		for (u32 j = 0; j < i; j++) {
			const struct dmar_rmrr *o = &d->rmrrs[j];
			if (o->broken || o->segment != r->segment || o->end_pa < r->base_pa || r->end_pa < o->base_pa)
				continue;
			odd(d, "RMRR %u at offset 0x%04x: [0x%016llx-0x%016llx] overlaps RMRR %u [0x%016llx-0x%016llx]; their devices share that memory", i, off, (unsigned long long)r->base_pa, (unsigned long long)r->end_pa, j, (unsigned long long)o->base_pa, (unsigned long long)o->end_pa);
		}
	}
	if (!parse_scopes(d, st, off, DMAR_RMRR_SCOPES, slen, r->segment, what, &r->first_scope, &r->nr_scopes))
		set_broken(&r->broken, &r->why, "malformed device scope list");
	if (!r->nr_scopes && !r->broken)
		odd(d, "RMRR %u at offset 0x%04x: names no device", i, off);
}

/* §8.5: which root ports pass ATS translation requests. */
static void parse_atsr(struct dmar_info *d, const u8 *st, u32 off, u32 slen)
{
	if (d->nr_atsrs == DMAR_MAX_ATSRS) {
		bad(d, "structure at offset 0x%04x: more than %u ATSRs; this one is ignored", off, DMAR_MAX_ATSRS);
		return;
	}
	u32 i = d->nr_atsrs++;
	struct dmar_atsr *a = &d->atsrs[i];
	char what[16];

	memset(a, 0, sizeof(*a));
	fmt_snprintf(what, sizeof(what), "ATSR %u", i);
	a->offset = off;
	a->flags = st[DMAR_ATSR_FLAGS];
	a->segment = get_le16(st + DMAR_ATSR_SEGMENT);
	note_segment(d, a->segment);
	if (a->flags & ~DMAR_ATSR_ALL_PORTS)
		odd(d, "ATSR %u at offset 0x%04x: reserved flag bits set (flags 0x%02x); ignored", i, off, a->flags);
	if (!parse_scopes(d, st, off, DMAR_ATSR_SCOPES, slen, a->segment, what, &a->first_scope, &a->nr_scopes))
		set_broken(&a->broken, &a->why, "malformed device scope list");
	if (!(a->flags & DMAR_ATSR_ALL_PORTS) && !a->nr_scopes && !a->broken)
		odd(d, "ATSR %u at offset 0x%04x: lists no root port and is not ALL_PORTS: ATS nowhere", i, off);
}

/* §8.6: the NUMA node of a unit; matched to its DRHD once the walk is done. */
static void parse_rhsa(struct dmar_info *d, const u8 *st, u32 off)
{
	if (d->nr_rhsas == DMAR_MAX_RHSAS) {
		bad(d, "structure at offset 0x%04x: more than %u RHSAs; this one is ignored", off, DMAR_MAX_RHSAS);
		return;
	}
	struct dmar_rhsa *h = &d->rhsas[d->nr_rhsas++];
	h->offset = off;
	h->base_pa = get_le64(st + DMAR_RHSA_BASE);
	h->proximity = get_le32(st + DMAR_RHSA_PROXIMITY);
	h->unit = -1;
}

/* §8.7: the ACPI object behind scopes of type 5 with this device number. */
static void parse_andd(struct dmar_info *d, const u8 *st, u32 off, u32 slen)
{
	if (d->nr_andds == DMAR_MAX_ANDDS) {
		bad(d, "structure at offset 0x%04x: more than %u ANDDs; this one is ignored", off, DMAR_MAX_ANDDS);
		return;
	}
	u32 i = d->nr_andds++;
	struct dmar_andd *a = &d->andds[i];
	const u8 *name = st + DMAR_ANDD_NAME;
	u32 room = slen - DMAR_ANDD_NAME, n = 0;

	a->offset = off;
	a->dev_nr = st[DMAR_ANDD_DEV_NR];
	while (n < room && name[n])
		n++;
	if (n == room)
		odd(d, "ANDD at offset 0x%04x: name is not NUL-terminated within the structure; taken as %u bytes", off, n);
	if (n >= DMAR_ANDD_NAME_MAX) {
		odd(d, "ANDD at offset 0x%04x: name of %u bytes is longer than Sluice keeps; cut to %u", off, n, DMAR_ANDD_NAME_MAX - 1);
		n = DMAR_ANDD_NAME_MAX - 1;
	}
	if (!n)
		odd(d, "ANDD at offset 0x%04x: device %u has an empty name", off, a->dev_nr);
	copy_text(a->name, name, n);
	for (u32 j = 0; j < i; j++)
		if (d->andds[j].dev_nr == a->dev_nr)
			odd(d, "ANDD at offset 0x%04x: device number %u is declared twice (also \"%s\")", off, a->dev_nr, d->andds[j].name);
}

/* §8.8: SoC-integrated devices with address translation caches. */
static void parse_satc(struct dmar_info *d, const u8 *st, u32 off, u32 slen)
{
	if (d->nr_satcs == DMAR_MAX_SATCS) {
		bad(d, "structure at offset 0x%04x: more than %u SATCs; this one is ignored", off, DMAR_MAX_SATCS);
		return;
	}
	u32 i = d->nr_satcs++;
	struct dmar_satc *s = &d->satcs[i];
	char what[16];

	memset(s, 0, sizeof(*s));
	fmt_snprintf(what, sizeof(what), "SATC %u", i);
	s->offset = off;
	s->flags = st[DMAR_SATC_FLAGS];
	s->segment = get_le16(st + DMAR_SATC_SEGMENT);
	note_segment(d, s->segment);
	if (s->flags & ~DMAR_SATC_ATC_REQUIRED)
		odd(d, "SATC %u at offset 0x%04x: reserved flag bits set (flags 0x%02x); ignored", i, off, s->flags);
	if (!parse_scopes(d, st, off, DMAR_SATC_SCOPES, slen, s->segment, what, &s->first_scope, &s->nr_scopes))
		set_broken(&s->broken, &s->why, "malformed device scope list");
	if (!s->nr_scopes && !s->broken)
		odd(d, "SATC %u at offset 0x%04x: names no device", i, off);
}

static void parse_one(struct dmar_info *d, const u8 *st, u32 off, u16 type, u32 slen)
{
	if (type < ARRAY_SIZE(min_len) && slen < min_len[type] && type != DMAR_TYPE_DRHD) {
		bad(d, "structure at offset 0x%04x: %s of %u bytes is shorter than its %u-byte fixed part; skipped", off, type_name[type], slen, min_len[type]);
		return;
	}
	switch (type) {
	case DMAR_TYPE_DRHD: parse_drhd(d, st, off, slen); break;
	case DMAR_TYPE_RMRR: parse_rmrr(d, st, off, slen); break;
	case DMAR_TYPE_ATSR: parse_atsr(d, st, off, slen); break;
	case DMAR_TYPE_RHSA: parse_rhsa(d, st, off); break;
	case DMAR_TYPE_ANDD: parse_andd(d, st, off, slen); break;
	case DMAR_TYPE_SATC: parse_satc(d, st, off, slen); break;
	case DMAR_TYPE_SIDP:
		d->nr_skipped++;
		log_info("structure at offset 0x%04x: SIDP (SoC Integrated Device Property), %u bytes, not used by Sluice; skipped", off, slen);
		break;
	default:
		d->nr_skipped++;
		odd(d, "structure at offset 0x%04x: type %u is reserved; skipped by its length (%u bytes)", off, type, slen);
		break;
	}
}

/* Cross-structure checks, once every structure is known. */
static void check_links(struct dmar_info *d)
{
	for (u32 i = 0; i < d->nr_rhsas; i++) {
		struct dmar_rhsa *h = &d->rhsas[i];
		for (u32 j = 0; j < d->nr_units && h->unit < 0; j++)
			if (d->units[j].base_pa == h->base_pa)
				h->unit = (s32)j;
		if (h->unit < 0)
			odd(d, "RHSA at offset 0x%04x: base 0x%016llx is no DRHD's register base", h->offset, (unsigned long long)h->base_pa);
	}
	for (u32 i = 0; i < d->nr_units; i++) {
		const struct dmar_unit *u = &d->units[i];
		for (u32 k = u->first_scope; k < (u32)u->first_scope + u->nr_scopes; k++) {
			const struct dmar_scope *s = &d->scopes[k];
			bool declared = false;
			if (s->type != DMAR_SCOPE_ACPI)
				continue;
			for (u32 j = 0; j < d->nr_andds && !declared; j++)
				declared = d->andds[j].dev_nr == s->enum_id;
			if (!declared)
				odd(d, "device scope at offset 0x%04x in DRHD %u: ACPI device %u has no ANDD naming it", s->offset, i, s->enum_id);
		}
	}
}

int dmar_parse(const u8 *t, u32 len, struct dmar_info *d)
{
	memset(d, 0, sizeof(*d));
	if (!t || len < ACPI_DMAR_STRUCTURES) {
		bad(d, "table of %u bytes is shorter than the %u-byte DMAR header", t ? len : 0, ACPI_DMAR_STRUCTURES);
		return -HV_EINVAL;
	}
	if (memcmp(t + ACPI_HDR_SIG, "DMAR", 4)) {
		bad(d, "signature \"%c%c%c%c\" is not DMAR", printable(t[0]), printable(t[1]), printable(t[2]), printable(t[3]));
		return -HV_EINVAL;
	}
	u32 tlen = get_le32(t + ACPI_HDR_LENGTH);
	if (tlen < ACPI_DMAR_STRUCTURES) {
		bad(d, "header Length %u is shorter than the %u-byte DMAR header", tlen, ACPI_DMAR_STRUCTURES);
		return -HV_EINVAL;
	}
	if (tlen > len) {
		bad(d, "header Length %u runs past the %u bytes there are; parsing those, checksum not checked", tlen, len);
		tlen = len;
	} else {
		u8 sum = 0;
		if (tlen < len)
			odd(d, "%u byte(s) after the header's Length %u ignored", len - tlen, tlen);
		for (u32 i = 0; i < tlen; i++)
			sum = (u8)(sum + t[i]);
		if (sum)
			bad(d, "checksum 0x%02x is wrong: the table sums to 0x%02x, not 0; parsing anyway", t[ACPI_HDR_CHECKSUM], sum);
	}
	d->len = tlen;
	d->revision = t[ACPI_HDR_REVISION];
	d->haw = (u16)(t[ACPI_DMAR_HAW] + 1);
	d->flags = t[ACPI_DMAR_FLAGS];
	copy_text(d->oem_id, t + ACPI_HDR_OEMID, ACPI_OEMID_LEN);
	copy_text(d->oem_table_id, t + ACPI_HDR_OEM_TABLE_ID, 8);
	if (d->haw > 64)
		odd(d, "host address width of %u bits is more than 64", d->haw);
	if (d->flags & ~(ACPI_DMAR_INTR_REMAP | ACPI_DMAR_X2APIC_OPT_OUT | ACPI_DMAR_DMA_CTRL_OPT_IN))
		odd(d, "header flags 0x%02x: reserved bits set; ignored", d->flags);

	/* Linux's walk stops at a zero length "to avoid looping forever on bad ACPI tables"; so does this one. */
	for (u32 off = ACPI_DMAR_STRUCTURES; off < tlen;) {
		const u8 *st = t + off;
		if (tlen - off < DMAR_ST_HDR_SIZE) {
			bad(d, "structure at offset 0x%04x: %u byte(s) left, too few for a structure header; stopping", off, tlen - off);
			d->walk_stopped = true;
			break;
		}
		u16 type = get_le16(st + DMAR_ST_TYPE);
		u32 slen = get_le16(st + DMAR_ST_LENGTH);
		if (slen == 0) {
			bad(d, "structure at offset 0x%04x: zero length; stopping", off);
			d->walk_stopped = true;
			break;
		}
		if (slen < DMAR_ST_HDR_SIZE) {
			bad(d, "structure at offset 0x%04x: length 0x%x cannot hold its own type and length; stopping", off, slen);
			d->walk_stopped = true;
			break;
		}
		if (slen > tlen - off) {
			bad(d, "structure at offset 0x%04x: length 0x%04x runs past the table's end at 0x%04x; stopping", off, slen, tlen);
			d->walk_stopped = true;
			break;
		}
		parse_one(d, st, off, type, slen);
		off += slen;
	}
	check_links(d);
	return 0;
}

u32 dmar_nr_drhd(const struct dmar_info *d)
{
	return d ? d->nr_units : 0;
}

bool dmar_drhd_usable(const struct dmar_info *d, u32 i, u16 *segment, u64 *base_pa)
{
	if (!d || i >= d->nr_units || d->units[i].broken)
		return false;
	if (segment)
		*segment = d->units[i].segment;
	if (base_pa)
		*base_pa = d->units[i].base_pa;
	return true;
}

u32 dmar_haw_bits(const struct dmar_info *d)
{
	return d ? d->haw : 0;
}

u32 dmar_scope_start_buses(const struct dmar_info *d, u32 *out, u32 max)
{
	u32 n = 0;

	for (u32 i = 0; d && i < d->nr_scopes; i++) {
		const struct dmar_scope *s = &d->scopes[i];
		if (s->type != DMAR_SCOPE_ENDPOINT && s->type != DMAR_SCOPE_BRIDGE)
			continue;
		u32 sb = PCI_SBDF(s->segment, s->start_bus, 0, 0);
		bool dup = false;
		for (u32 k = 0; k < n && k < max; k++)
			dup |= out[k] == sb;
		if (dup)
			continue;
		if (n < max)
			out[n] = sb;
		n++;
	}
	return n;
}
