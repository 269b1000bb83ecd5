/*
 * Regression over real firmware: every NAME.bin in the folder the
 * Makefile's DMAR_CORPUS names (DMAR tables as machines exposed them, data
 * kept outside this repository; docs/conventions.md section 8) goes
 * through dmar_parse(), dmar_print() and dmar_resolve_scopes() under
 * ASan/UBSan, and what ACPICA's
 * disassembly NAME.dsl shows must come out of the parser: header, every
 * DRHD (register base, flags, segment), RMRR range, ATSR, RHSA, ANDD, SATC
 * and device scope (type, enumeration ID, start bus, each hop), in table
 * order. SIDP scopes are left out: Sluice skips SIDPs. Skipped with a
 * message when the corpus is not there.
 *
 * Then the choice of remapping unit on each table: a fake bus is built from
 * the PCI scopes the .dsl shows (hops become functions, every hop but the
 * last and every bridge scope's function a bridge with a device behind it,
 * plus a device on a bus no scope names in each DRHD's segment and in one
 * segment no DRHD is in), the parser's
 * scopes are followed on it, and for every function dmar_unit_for() must
 * answer what the rule below, written here on the .dsl's paths, names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/dmar.h"
#include "tests/fakes/fake_log.h"
#include "tests/fakes/fake_pci.h"

#ifndef DMAR_CORPUS_DIR
#error "DMAR_CORPUS_DIR comes from test_dmar_corpus.mk (the Makefile's DMAR_CORPUS)"
#endif

#define MAX_FILE                (1 << 20)

/* What the .dsl says, in the parser's terms. */
struct expect {
	int haw, flags;
	struct dmar_unit units[DMAR_MAX_UNITS];
	struct dmar_rmrr rmrrs[DMAR_MAX_RMRRS];
	struct dmar_atsr atsrs[DMAR_MAX_ATSRS];
	struct dmar_rhsa rhsas[DMAR_MAX_RHSAS];
	struct dmar_andd andds[DMAR_MAX_ANDDS];
	struct dmar_satc satcs[DMAR_MAX_SATCS];
	struct dmar_scope scopes[DMAR_MAX_SCOPES];
	u32 nr_units, nr_rmrrs, nr_atsrs, nr_rhsas, nr_andds, nr_satcs, nr_scopes;
	/* Which structure each scope belongs to: its type and index among that type. */
	int owner_type[DMAR_MAX_SCOPES];
	u32 owner[DMAR_MAX_SCOPES];
};

static struct expect want;
static struct dmar_info got;
static char file[512], table[256];      /* a path, and the NAME in messages */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(MAX_FILE);
	assert_non_null(buf);
	*len = fread(buf, 1, MAX_FILE - 1, f);
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

/* "[030h 0048 002h]    Subtable Type : 0000 [Hardware ...]" -> name, value. */
static bool field(char *line, char **name, char **value)
{
	char *p = strchr(line, ']'), *sep;
	if (line[0] != '[' || !p || !(sep = strstr(p, " : ")))
		return false;
	for (p++; *p == ' '; p++)
		;
	*sep = '\0';
	for (char *e = sep - 1; e > p && *e == ' '; e--)
		*e = '\0';
	*name = p;
	*value = sep + 3;
	return true;
}

static u64 hex(const char *v)
{
	return strtoull(v, NULL, 16);
}

/* Reads the .dsl's fields into want; the scopes of a SIDP are not counted. */
static void read_dsl(char *text)
{
	int type = -1;
	bool in_scope = false, counted = false;
	struct dmar_scope *s = NULL;

	memset(&want, 0, sizeof(want));
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *name, *v;
		if (!field(line, &name, &v))
			continue;
		if (!strcmp(name, "Host Address Width")) {
			want.haw = (int)hex(v) + 1;
		} else if (!strcmp(name, "Subtable Type")) {
			type = (int)hex(v);
			in_scope = false;
			if (type == DMAR_TYPE_DRHD) want.nr_units++;
			if (type == DMAR_TYPE_RMRR) want.nr_rmrrs++;
			if (type == DMAR_TYPE_ATSR) want.nr_atsrs++;
			if (type == DMAR_TYPE_RHSA) want.nr_rhsas++;
			if (type == DMAR_TYPE_ANDD) want.nr_andds++;
			if (type == DMAR_TYPE_SATC) want.nr_satcs++;
		} else if (!strcmp(name, "Flags") && type < 0) {
			want.flags = (int)hex(v);
		} else if (!strcmp(name, "Device Scope Type")) {
			in_scope = true;
			counted = type != DMAR_TYPE_SIDP;
			if (counted) {
				assert_true(want.nr_scopes < DMAR_MAX_SCOPES);
				want.owner_type[want.nr_scopes] = type;
				want.owner[want.nr_scopes] = type == DMAR_TYPE_DRHD ? want.nr_units - 1 :
							     type == DMAR_TYPE_RMRR ? want.nr_rmrrs - 1 :
							     type == DMAR_TYPE_ATSR ? want.nr_atsrs - 1 :
							     type == DMAR_TYPE_SATC ? want.nr_satcs - 1 : 0;
				s = &want.scopes[want.nr_scopes++];
				s->type = (u8)hex(v);
			}
		} else if (in_scope) {
			if (!counted)
				continue;
			if (!strcmp(name, "Flags"))
				s->flags = (u8)hex(v);
			else if (!strcmp(name, "Enumeration ID"))
				s->enum_id = (u8)hex(v);
			else if (!strcmp(name, "PCI Bus Number"))
				s->start_bus = (u8)hex(v);
			else if (!strcmp(name, "PCI Path") && s->nr_hops < DMAR_MAX_HOPS) {
				s->hops[s->nr_hops].dev = (u8)strtoul(v, NULL, 16);
				s->hops[s->nr_hops].fn = (u8)strtoul(strchr(v, ',') + 1, NULL, 16);
				s->nr_hops++;
			}
		} else if (type == DMAR_TYPE_DRHD) {
			struct dmar_unit *u = &want.units[want.nr_units - 1];
			if (!strcmp(name, "Flags")) u->flags = (u8)hex(v);
			if (!strcmp(name, "PCI Segment Number")) u->segment = (u16)hex(v);
			if (!strcmp(name, "Register Base Address")) u->base_pa = hex(v);
		} else if (type == DMAR_TYPE_RMRR) {
			struct dmar_rmrr *r = &want.rmrrs[want.nr_rmrrs - 1];
			if (!strcmp(name, "PCI Segment Number")) r->segment = (u16)hex(v);
			if (!strcmp(name, "Base Address")) r->base_pa = hex(v);
			if (!strcmp(name, "End Address (limit)")) r->end_pa = hex(v);
		} else if (type == DMAR_TYPE_ATSR) {
			struct dmar_atsr *a = &want.atsrs[want.nr_atsrs - 1];
			if (!strcmp(name, "Flags")) a->flags = (u8)hex(v);
			if (!strcmp(name, "PCI Segment Number")) a->segment = (u16)hex(v);
		} else if (type == DMAR_TYPE_RHSA) {
			struct dmar_rhsa *h = &want.rhsas[want.nr_rhsas - 1];
			if (!strcmp(name, "Base Address")) h->base_pa = hex(v);
			if (!strcmp(name, "Proximity Domain")) h->proximity = (u32)hex(v);
		} else if (type == DMAR_TYPE_ANDD) {
			struct dmar_andd *a = &want.andds[want.nr_andds - 1];
			if (!strcmp(name, "Device Number")) a->dev_nr = (u8)hex(v);
			if (!strcmp(name, "Device Name")) {
				char *q = strchr(v, '"'), *e = q ? strrchr(q + 1, '"') : NULL;
				if (q && e)
					snprintf(a->name, sizeof(a->name), "%.*s", (int)(e - q - 1), q + 1);
			}
		} else if (type == DMAR_TYPE_SATC) {
			struct dmar_satc *a = &want.satcs[want.nr_satcs - 1];
			if (!strcmp(name, "Flags")) a->flags = (u8)hex(v);
			if (!strcmp(name, "PCI Segment Number")) a->segment = (u16)hex(v);
		}
	}
}

#define same(what, a, b) do { \
	if ((u64)(a) != (u64)(b)) \
		fail_msg("%s: %s: parser 0x%llx, iasl 0x%llx", table, what, (unsigned long long)(a), (unsigned long long)(b)); \
} while (0)

static void compare(void)
{
	same("host address width", got.haw, want.haw);
	same("flags", got.flags, want.flags);
	same("DRHDs", got.nr_units, want.nr_units);
	same("RMRRs", got.nr_rmrrs, want.nr_rmrrs);
	same("ATSRs", got.nr_atsrs, want.nr_atsrs);
	same("RHSAs", got.nr_rhsas, want.nr_rhsas);
	same("ANDDs", got.nr_andds, want.nr_andds);
	same("SATCs", got.nr_satcs, want.nr_satcs);
	same("device scopes", got.nr_scopes, want.nr_scopes);
	for (u32 i = 0; i < got.nr_units; i++) {
		same("DRHD register base", got.units[i].base_pa, want.units[i].base_pa);
		same("DRHD flags", got.units[i].flags, want.units[i].flags);
		same("DRHD segment", got.units[i].segment, want.units[i].segment);
	}
	for (u32 i = 0; i < got.nr_rmrrs; i++) {
		same("RMRR base", got.rmrrs[i].base_pa, want.rmrrs[i].base_pa);
		same("RMRR end", got.rmrrs[i].end_pa, want.rmrrs[i].end_pa);
		same("RMRR segment", got.rmrrs[i].segment, want.rmrrs[i].segment);
	}
	for (u32 i = 0; i < got.nr_atsrs; i++) {
		same("ATSR flags", got.atsrs[i].flags, want.atsrs[i].flags);
		same("ATSR segment", got.atsrs[i].segment, want.atsrs[i].segment);
	}
	for (u32 i = 0; i < got.nr_rhsas; i++) {
		same("RHSA base", got.rhsas[i].base_pa, want.rhsas[i].base_pa);
		same("RHSA proximity", got.rhsas[i].proximity, want.rhsas[i].proximity);
	}
	for (u32 i = 0; i < got.nr_andds; i++) {
		same("ANDD device number", got.andds[i].dev_nr, want.andds[i].dev_nr);
		if (strcmp(got.andds[i].name, want.andds[i].name))
			fail_msg("%s: ANDD name \"%s\", iasl \"%s\"", table, got.andds[i].name, want.andds[i].name);
	}
	for (u32 i = 0; i < got.nr_satcs; i++) {
		same("SATC flags", got.satcs[i].flags, want.satcs[i].flags);
		same("SATC segment", got.satcs[i].segment, want.satcs[i].segment);
	}
	for (u32 i = 0; i < got.nr_scopes; i++) {
		const struct dmar_scope *g = &got.scopes[i], *w = &want.scopes[i];
		same("scope type", g->type, w->type);
		same("scope flags", g->flags, w->flags);
		same("scope enumeration ID", g->enum_id, w->enum_id);
		same("scope start bus", g->start_bus, w->start_bus);
		same("scope hops", g->nr_hops, w->nr_hops);
		for (u32 h = 0; h < g->nr_hops; h++) {
			same("scope hop device", g->hops[h].dev, w->hops[h].dev);
			same("scope hop function", g->hops[h].fn, w->hops[h].fn);
		}
	}
}

/*
 * The next table of the corpus in dir: NAME.bin copied into a buffer of
 * exactly its size (ASan sees any overread) and NAME.dsl, its iasl
 * disassembly, both for the caller to free; table and file name it.
 * False when the directory is done.
 */
static bool next_table(DIR *dir, u8 **t, size_t *blen, char **dsl)
{
	struct dirent *e;
	size_t dlen;

	while ((e = readdir(dir))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".bin"))
			continue;
		snprintf(file, sizeof(file), "%s/%s", DMAR_CORPUS_DIR, e->d_name);
		snprintf(table, sizeof(table), "%.*s", (int)(l - 4), e->d_name);
		char *bin = slurp(file, blen);
		assert_non_null(bin);
		*t = malloc(*blen);
		memcpy(*t, bin, *blen);
		free(bin);
		snprintf(file + strlen(file) - 4, 5, ".dsl");
		*dsl = slurp(file, &dlen);
		if (!*dsl)
			fail_msg("%s: no disassembly next to the table", file);
		return true;
	}
	return false;
}

static void corpus_tables_parse_as_iasl_reads_them(void **state __unused)
{
	DIR *dir = opendir(DMAR_CORPUS_DIR);
	unsigned tables = 0, units = 0, rmrrs = 0, scopes = 0, multi = 0, errors = 0, warnings = 0;
	u8 *t;
	char *dsl;
	size_t blen;

	if (!dir) {
		print_message("%s is absent: the DMAR corpus regression is skipped\n", DMAR_CORPUS_DIR);
		skip();
	}
	fake_pci_reset();       /* an empty bus: every scope's device is absent */
	while (next_table(dir, &t, &blen, &dsl)) {

		fake_log_capture();
		assert_int_equal(dmar_parse(t, (u32)blen, &got), 0);
		if (got.walk_stopped)
			fail_msg("%s: walk stopped early:\n%s", table, fake_log_text());
		read_dsl(dsl);
		if (!want.nr_units)
			fail_msg("%s: the .dsl shows no DRHD: is it read right?", table);
		compare();
		errors += got.nr_errors;
		warnings += got.nr_warnings;
		dmar_print(&got);
		dmar_resolve_scopes(&got);
		dmar_print(&got);

		tables++;
		units += got.nr_units;
		rmrrs += got.nr_rmrrs;
		scopes += got.nr_scopes;
		for (u32 i = 0; i < got.nr_scopes; i++)
			multi += got.scopes[i].nr_hops > 1;
		free(dsl);
		free(t);
	}
	closedir(dir);
	assert_true(tables > 0);
	print_message("%u corpus tables: %u DRHDs, %u RMRRs, %u device scopes (%u multi-hop) as iasl shows them; %u errors, %u warnings\n",
		      tables, units, rmrrs, scopes, multi, errors, warnings);
}


/* ---- which unit: the rule, on the .dsl's paths ---------------------------- */

#define MAX_NODES               FAKE_PCI_MAX_FNS
#define NO_UNIT                 (-1)

/* A function of the bus built for one table: where it hangs and what it is. */
struct node {
	u16 seg;
	u8 root_bus;            /* the bus its path starts on */
	int parent;             /* the bridge above it, -1 on the root bus */
	u8 dev, fn;
	bool bridge;
	u8 bus, sec, sub;       /* numbered once the tree is complete */
	u8 depth;
	struct dmar_hop path[DMAR_MAX_HOPS + 1];
};

static struct node nodes[MAX_NODES];
static u32 nr_nodes;

static int node_at(u16 seg, u8 root_bus, int parent, u8 dev, u8 fn)
{
	for (u32 i = 0; i < nr_nodes; i++)
		if (nodes[i].seg == seg && nodes[i].root_bus == root_bus && nodes[i].parent == parent &&
		    nodes[i].dev == dev && nodes[i].fn == fn)
			return (int)i;
	if (nr_nodes == MAX_NODES)
		fail_msg("%s: more than %u functions to build", table, MAX_NODES);
	struct node *n = &nodes[nr_nodes];
	memset(n, 0, sizeof(*n));
	n->seg = seg;
	n->root_bus = root_bus;
	n->parent = parent;
	n->dev = dev;
	n->fn = fn;
	n->depth = parent < 0 ? 1 : (u8)(nodes[parent].depth + 1);
	if (parent >= 0)
		memcpy(n->path, nodes[parent].path, sizeof(n->path));
	n->path[n->depth - 1] = (struct dmar_hop){ dev, fn };
	return (int)nr_nodes++;
}

static u16 scope_segment(u32 k)
{
	u32 o = want.owner[k];
	switch (want.owner_type[k]) {
	case DMAR_TYPE_DRHD: return want.units[o].segment;
	case DMAR_TYPE_RMRR: return want.rmrrs[o].segment;
	case DMAR_TYPE_ATSR: return want.atsrs[o].segment;
	case DMAR_TYPE_SATC: return want.satcs[o].segment;
	}
	return 0;
}

static bool pci_scope(u32 k)
{
	return want.scopes[k].type == DMAR_SCOPE_ENDPOINT || want.scopes[k].type == DMAR_SCOPE_BRIDGE;
}

/* A free device number on the bus below bridge b (or on root bus rb of seg when b < 0). */
static int free_dev(int b, u16 seg, u8 rb)
{
	for (u8 dev = 0; dev < 32; dev++) {
		bool used = false;
		for (u32 i = 0; i < nr_nodes && !used; i++)
			used = nodes[i].parent == b && (b >= 0 || (nodes[i].seg == seg && nodes[i].root_bus == rb)) &&
			       nodes[i].dev == dev;
		if (!used)
			return dev;
	}
	return -1;
}

/* Buses the subtree below bridge b needs: its own secondary and every bridge's below it. */
static u32 buses_below(int b)
{
	u32 n = 1;
	for (u32 i = 0; i < nr_nodes; i++)
		if (nodes[i].parent == b && nodes[i].bridge)
			n += buses_below((int)i);
	return n;
}

/* Numbers the buses below bridge b depth first from *next. */
static void number(int b, u8 *next)
{
	nodes[b].sec = (*next)++;
	for (u32 i = 0; i < nr_nodes; i++) {
		if (nodes[i].parent != b)
			continue;
		nodes[i].bus = nodes[b].sec;
		if (nodes[i].bridge)
			number((int)i, next);
	}
	nodes[b].sub = (u8)(*next - 1);
}

static u32 node_sbdf(const struct node *n)
{
	return PCI_SBDF(n->seg, n->bus, n->dev, n->fn);
}

/*
 * The bus for the current table: every PCI scope's path, a device behind
 * each bridge, a device on a bus no scope names in each DRHD's segment.
 * Bus numbers below a root bus are handed out in free runs above it, so
 * each bridge's secondary..subordinate holds exactly its subtree.
 */
static void build_bus(void)
{
	bool used[2][256];      /* [0]: segment 0, [1]: any other (the corpus has segment 0 only so far) */
	u16 segs[DMAR_MAX_UNITS + 1];
	u32 nr_segs = 0;

	nr_nodes = 0;
	memset(used, 0, sizeof(used));
	for (u32 k = 0; k < want.nr_scopes; k++) {
		const struct dmar_scope *sc = &want.scopes[k];
		if (!pci_scope(k) || !sc->nr_hops)
			continue;
		u16 seg = scope_segment(k);
		int at = -1;
		used[seg != 0][sc->start_bus] = true;
		for (u32 h = 0; h < sc->nr_hops; h++) {
			at = node_at(seg, sc->start_bus, at, sc->hops[h].dev, sc->hops[h].fn);
			if (h + 1 < sc->nr_hops)
				nodes[at].bridge = true;
		}
		if (sc->type == DMAR_SCOPE_BRIDGE)
			nodes[at].bridge = true;
	}
	for (u32 i = 0, n = nr_nodes; i < n; i++) {
		if (!nodes[i].bridge)
			continue;
		int dev = free_dev((int)i, 0, 0);
		if (dev >= 0)
			node_at(nodes[i].seg, nodes[i].root_bus, (int)i, (u8)dev, 0);
	}
	for (u32 i = 0; i < nr_nodes; i++) {
		struct node *n = &nodes[i];
		if (n->parent >= 0)
			continue;
		n->bus = n->root_bus;
		if (!n->bridge)
			continue;
		u32 need = buses_below((int)i), run = 0, first = 0;
		for (u32 b = n->root_bus + 1u; b < 256 && run < need; b++) {    /* buses grow downstream */
			run = used[n->seg != 0][b] ? 0 : run + 1;
			first = run == 1 ? b : first;
		}
		if (run < need)
			fail_msg("%s: no free run of %u bus numbers for the bridge at path %02x.%x", table, need, n->dev, n->fn);
		u8 next = (u8)first;
		number((int)i, &next);
		for (u32 b = first; b < first + need; b++)
			used[n->seg != 0][b] = true;
	}
	for (u32 i = 0; i < want.nr_units; i++) {
		bool seen = false;
		for (u32 j = 0; j < nr_segs; j++)
			seen |= segs[j] == want.units[i].segment;
		if (!seen)
			segs[nr_segs++] = want.units[i].segment;
	}
	/* And a segment no DRHD is in: INCLUDE_PCI_ALL covers its own segment only. */
	u16 other = 0;
	for (u32 j = 0; j < nr_segs; j++)
		other = MAX(other, (u16)(segs[j] + 1));
	segs[nr_segs++] = other;
	for (u32 j = 0; j < nr_segs; j++) {
		u32 b = 1;
		while (b < 256 && used[segs[j] != 0][b])
			b++;
		if (b == 256)
			fail_msg("%s: no bus left for a device no scope names", table);
		used[segs[j] != 0][b] = true;
		int at = node_at(segs[j], (u8)b, -1, 0, 0);
		nodes[at].bus = (u8)b;
	}

	fake_pci_reset();
	for (u32 i = 0; i < nr_nodes; i++) {
		const struct node *n = &nodes[i];
		if (!n->bridge) {
			fake_pci_add(node_sbdf(n), 0x8086, 0x1234, 0x020000, 0x00);
			continue;
		}
		struct fake_fn *f = fake_pci_add(node_sbdf(n), 0x8086, 0x2448, 0x060400, 0x01);
		fake_pci_set_bus(f, n->bus, n->sec, n->sub);
	}
}

enum why { BY_NAME, BY_BRIDGE, BY_INCLUDE_ALL, BY_NOTHING };

/*
 * The rule (VT-d §8.3 and §8.3.1, in the order Linux's
 * dmar_find_matched_drhd_unit applies it), on paths: of the DRHDs of the
 * function's segment without INCLUDE_PCI_ALL, the last in the table with
 * an endpoint or bridge scope whose path is the function's own path, or a
 * bridge scope whose path leads to a bridge above it; else the first
 * INCLUDE_PCI_ALL DRHD of its segment; else none.
 */
static int rule_unit(const struct node *n, enum why *why)
{
	for (u32 i = want.nr_units; i-- > 0;) {
		const struct dmar_unit *u = &want.units[i];
		if (u->segment != n->seg || (u->flags & DMAR_DRHD_INCLUDE_PCI_ALL))
			continue;
		for (u32 k = 0; k < want.nr_scopes; k++) {
			const struct dmar_scope *sc = &want.scopes[k];
			if (want.owner_type[k] != DMAR_TYPE_DRHD || want.owner[k] != i || !pci_scope(k))
				continue;
			if (sc->start_bus != n->root_bus || sc->nr_hops > n->depth)
				continue;
			bool prefix = true;
			for (u32 h = 0; h < sc->nr_hops && prefix; h++)
				prefix = sc->hops[h].dev == n->path[h].dev && sc->hops[h].fn == n->path[h].fn;
			if (!prefix)
				continue;
			if (sc->nr_hops == n->depth) {
				*why = BY_NAME;
				return (int)i;
			}
			if (sc->type == DMAR_SCOPE_BRIDGE) {
				*why = BY_BRIDGE;
				return (int)i;
			}
		}
	}
	for (u32 i = 0; i < want.nr_units; i++) {
		if (want.units[i].segment == n->seg && (want.units[i].flags & DMAR_DRHD_INCLUDE_PCI_ALL)) {
			*why = BY_INCLUDE_ALL;
			return (int)i;
		}
	}
	*why = BY_NOTHING;
	return NO_UNIT;
}

static void corpus_functions_go_to_the_unit_the_rule_names(void **state __unused)
{
	DIR *dir = opendir(DMAR_CORPUS_DIR);
	u8 *t;
	char *dsl;
	size_t blen;
	unsigned tables = 0, units = 0, broken = 0, functions = 0, multi_unit = 0, by[4] = { 0 };
	unsigned refused = 0, overlaps = 0;
	char refused_list[1024] = "";

	if (!dir) {
		print_message("%s is absent: the unit choice over the DMAR corpus is skipped\n", DMAR_CORPUS_DIR);
		skip();
	}
	while (next_table(dir, &t, &blen, &dsl)) {
		read_dsl(dsl);
		free(dsl);

		fake_log_capture();
		if (dmar_parse(t, (u32)blen, &got) != 0 || got.walk_stopped || got.nr_units != want.nr_units) {
			/* Counted and named in the summary: the parser refused this table. */
			refused++;
			size_t at = strlen(refused_list);
			snprintf(refused_list + at, sizeof(refused_list) - at, " %s", table);
			free(t);
			continue;
		}
		build_bus();
		dmar_resolve_scopes(&got);

		tables++;
		units += got.nr_units;
		multi_unit += got.nr_units > 1;
		for (u32 i = 0; i < got.nr_units; i++)
			broken += got.units[i].broken;
		bool overlap = false;
		for (u32 i = 0; i < nr_nodes; i++) {
			const struct node *n = &nodes[i];
			enum why why;
			int want_unit = rule_unit(n, &why);
			u32 sbdf = node_sbdf(n);
			const struct dmar_unit *claimed = dmar_unit_claiming(&got, sbdf);
			const struct dmar_unit *used = dmar_unit_for(&got, sbdf);
			int got_unit = claimed ? (int)(claimed - got.units) : NO_UNIT;

			if (got_unit != want_unit)
				fail_msg("%s: %04x:%02x:%02x.%x (path from bus 0x%02x, %u hops): DRHD %d claims it, the rule names DRHD %d",
					 table, n->seg, n->bus, n->dev, n->fn, n->root_bus, n->depth, got_unit, want_unit);
			if (used != (claimed && !claimed->broken ? claimed : NULL))
				fail_msg("%s: %04x:%02x:%02x.%x: dmar_unit_for gives a unit other than the claiming one (DRHD %d%s)",
					 table, n->seg, n->bus, n->dev, n->fn, got_unit, claimed && claimed->broken ? ", broken" : "");
			/* A function two units' scopes cover: the rule's tie-break is in use. */
			u32 covering = 0;
			for (u32 k = 0; k < want.nr_units; k++) {
				struct dmar_unit saved = want.units[k];
				for (u32 j = 0; j < want.nr_units; j++)
					if (j != k && !(want.units[j].flags & DMAR_DRHD_INCLUDE_PCI_ALL))
						want.units[j].segment ^= 0x8000;    /* hide every other unit */
				enum why w2;
				int only = (saved.flags & DMAR_DRHD_INCLUDE_PCI_ALL) ? NO_UNIT : rule_unit(n, &w2);
				covering += only == (int)k && w2 != BY_INCLUDE_ALL;
				for (u32 j = 0; j < want.nr_units; j++)
					if (j != k && !(want.units[j].flags & DMAR_DRHD_INCLUDE_PCI_ALL))
						want.units[j].segment ^= 0x8000;
			}
			overlap |= covering > 1;
			functions++;
			by[why]++;
		}
		overlaps += overlap;
		free(t);
	}
	closedir(dir);
	assert_true(tables > 0);
	print_message("unit choice over %u corpus tables (%u with several DRHDs): %u DRHDs (%u broken), %u functions: %u named in a scope, %u below a bridge in a scope, %u by INCLUDE_PCI_ALL, %u with no unit; %u table(s) where two units' scopes cover one function\n",
		      tables, multi_unit, units, broken, functions, by[BY_NAME], by[BY_BRIDGE], by[BY_INCLUDE_ALL],
		      by[BY_NOTHING], overlaps);
	print_message("%u table(s) the parser refused:%s\n", refused, refused ? refused_list : " none");
	assert_true(by[BY_NAME] > 0 && by[BY_BRIDGE] > 0 && by[BY_INCLUDE_ALL] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(corpus_tables_parse_as_iasl_reads_them),
		cmocka_unit_test(corpus_functions_go_to_the_unit_the_rule_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
