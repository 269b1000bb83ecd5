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

static void corpus_tables_parse_as_iasl_reads_them(void **state __unused)
{
	DIR *dir = opendir(DMAR_CORPUS_DIR);
	struct dirent *e;
	unsigned tables = 0, units = 0, rmrrs = 0, scopes = 0, multi = 0, errors = 0, warnings = 0;

	if (!dir) {
		print_message("%s is absent: the DMAR corpus regression is skipped\n", DMAR_CORPUS_DIR);
		skip();
	}
	fake_pci_reset();       /* an empty bus: every scope's device is absent */
	while ((e = readdir(dir))) {
		size_t l = strlen(e->d_name), blen, dlen;
		if (l < 5 || strcmp(e->d_name + l - 4, ".bin"))
			continue;
		snprintf(file, sizeof(file), "%s/%s", DMAR_CORPUS_DIR, e->d_name);
		snprintf(table, sizeof(table), "%.*s", (int)(l - 4), e->d_name);
		char *bin = slurp(file, &blen);
		assert_non_null(bin);
		u8 *t = malloc(blen);           /* exactly its size: ASan sees any overread */
		memcpy(t, bin, blen);
		free(bin);
		snprintf(file + strlen(file) - 4, 5, ".dsl");
		char *dsl = slurp(file, &dlen);
		if (!dsl)
			fail_msg("%s: no disassembly next to the table", file);

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(corpus_tables_parse_as_iasl_reads_them),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
