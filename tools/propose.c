/* tools/propose.h: sluice-check --propose. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tools/propose.h"
#include "kernel/log.h"
#include "pci/pci.h"
#include "pci/pci_hw.h"
#include "vm/config/config.h"
#include "vm/config/partition_cfg.h"

#define MAX_CANDIDATES          PART_MAX
#define PROPOSE_MEM_MAX         (256ULL * MiB)  /* per partition: a start, to be grown by hand */
#define PROPOSE_MEM_ALIGN       (2ULL * MiB)
#define TEXT_MAX                (64u * 1024)
#define WHY_MAX                 256
#define CLASS_NVME              0x010802

struct candidate {
	char name[PART_NAME_LEN];
	u32 group;
	u32 devs[PART_MAX_DEVICES];     /* sbdf, or the VF's PF sbdf with vfn */
	u16 vfn[PART_MAX_DEVICES];
	u32 nr;
	bool nvme_vf;
	u32 first_line, last_line;      /* in the generated text */
	bool dropped;
	char why[WHY_MAX];
};

static struct candidate cands[64];
static u32 nr_cands;
static char errors[16 * 1024];
static size_t errors_len;

static void error_sink(const char *s, size_t n)
{
	if (errors_len + n < sizeof(errors)) {
		memcpy(errors + errors_len, s, n);
		errors_len += n;
		errors[errors_len] = '\0';
	}
}

static struct candidate *cand_for_group(u32 group)
{
	for (u32 i = 0; i < nr_cands; i++)
		if (cands[i].group == group && !cands[i].nvme_vf && !cands[i].vfn[0])
			return &cands[i];
	if (nr_cands == ARRAY_SIZE(cands))
		return NULL;
	struct candidate *c = &cands[nr_cands++];
	memset(c, 0, sizeof(*c));
	c->group = group;
	snprintf(c->name, sizeof(c->name), "group%u", group);
	return c;
}

/* Platform functions, bridges and ports stay Sluice's; partition_check says why for the rest. */
static bool candidate_fn(const struct pci_dev *d)
{
	u8 base = (u8)(d->class >> 16);
	return d->kind != PCI_KIND_VF && !d->sriov.enabled && d->hdr_type == PCI_HEADER_NORMAL &&
	       base != PCI_BASE_BRIDGE;
}

static void collect(void)
{
	for (u32 i = 0; i < pci_nr_devs(); i++) {
		const struct pci_dev *d = pci_dev_at(i);
		if (d->kind == PCI_KIND_VF) {
			if (nr_cands == ARRAY_SIZE(cands))
				return;
			struct candidate *c = &cands[nr_cands++];
			memset(c, 0, sizeof(*c));
			c->group = d->group;
			c->devs[0] = d->pf->sbdf;
			c->vfn[0] = d->vf_index;
			c->nr = 1;
			c->nvme_vf = d->class == CLASS_NVME;
			snprintf(c->name, sizeof(c->name), "vf-%02x-%02x-%x-%u", PCI_BUS(d->pf->sbdf),
				 PCI_DEV(d->pf->sbdf), PCI_FN(d->pf->sbdf), d->vf_index);
			continue;
		}
		if (!candidate_fn(d))
			continue;
		struct candidate *c = cand_for_group(d->group);
		if (c && c->nr < PART_MAX_DEVICES)
			c->devs[c->nr++] = d->sbdf;
	}
}

static size_t put(char *buf, size_t len, const char *fmt, ...) __printf(3, 4);
static size_t put(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + len, TEXT_MAX - len, fmt, ap);
	va_end(ap);
	return n < 0 || len + (size_t)n >= TEXT_MAX ? TEXT_MAX - 1 : len + (size_t)n;
}

static u32 lines_in(const char *s, size_t n)
{
	u32 k = 1;
	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/* The config text of the candidates not dropped; records each one's lines. */
static size_t render(char *buf, u64 mem, bool final)
{
	size_t len = 0;
	u32 nsid = 0;

	buf[0] = '\0';
	if (final) {
		len = put(buf, len, "# A starting sluice.conf from sluice-check --propose: one partition per\n"
			  "# isolation group of assignable functions (or per VF), memory where Sluice\n"
			  "# finds room. Add cpus and an image to run a guest in a partition.\n");
	}
	len = put(buf, len, "[sluice]\niommu = on\n");
	for (u32 i = 0; i < nr_cands; i++) {
		struct candidate *c = &cands[i];
		if (c->dropped)
			continue;
		len = put(buf, len, "\n");
		c->first_line = lines_in(buf, len);
		len = put(buf, len, "[partition \"%s\"]\nmemory = gpa=0x0 size=0x%llx\n", c->name,
			  (unsigned long long)mem);
		for (u32 k = 0; k < c->nr; k++) {
			if (c->vfn[k])
				len = put(buf, len, "device = %04x:" BDF_FMT "/vf%u\n", PCI_SEG(c->devs[k]),
					  BDF_ARGS(c->devs[k]), c->vfn[k]);
			else
				len = put(buf, len, "device = %04x:" BDF_FMT "\n", PCI_SEG(c->devs[k]),
					  BDF_ARGS(c->devs[k]));
		}
		if (c->nvme_vf)
			len = put(buf, len, "namespace = %u%s\n", ++nsid,
				  final ? "                   # one namespace per VF: create it on the PF first" : "");
		c->last_line = lines_in(buf, len) - 1;
	}
	if (final)
		for (u32 i = 0; i < nr_cands; i++)
			if (cands[i].dropped)
				len = put(buf, len, "\n# Not proposed: %s (%s)\n", cands[i].name, cands[i].why);
	return len;
}

/* Drops the candidate holding each line the check named; false when none was named. */
static bool drop_refused(void)
{
	bool any = false;
	for (char *s = errors; (s = strstr(s, "sluice.conf:")); ) {
		s += strlen("sluice.conf:");
		char *end;
		unsigned long line = strtoul(s, &end, 10);
		if (end == s || *end != ':')
			continue;
		for (u32 i = 0; i < nr_cands; i++) {
			struct candidate *c = &cands[i];
			if (c->dropped || line < c->first_line || line > c->last_line)
				continue;
			c->dropped = true;
			any = true;
			const char *why = end + 2;
			size_t n = strcspn(why, "\n");
			if (n >= WHY_MAX)
				n = WHY_MAX - 1;
			memcpy(c->why, why, n);
			c->why[n] = '\0';
		}
	}
	return any;
}

/* Usable RAM above 1 MiB, halved between Sluice and the partitions, shared out. */
static u64 memory_each(const struct memmap *m, u32 parts)
{
	u64 usable = memmap_usable_bytes_above(m, 1 * MiB) / 2;
	u64 each = parts ? usable / parts : usable;
	if (each > PROPOSE_MEM_MAX)
		each = PROPOSE_MEM_MAX;
	return each & ~(PROPOSE_MEM_ALIGN - 1);
}

int propose_config(const struct memmap *m, const struct partition_host *h)
{
	static struct config conf;
	static struct sluice_cfg s;
	static char text[TEXT_MAX];

	nr_cands = 0;
	collect();
	for (u32 round = 0; round < ARRAY_SIZE(cands); round++) {
		u32 live = 0;
		for (u32 i = 0; i < nr_cands; i++)
			live += !cands[i].dropped;
		if (live > PART_MAX) {          /* the config holds PART_MAX partitions: the last ones wait */
			for (u32 i = nr_cands; i-- > 0 && live > PART_MAX; )
				if (!cands[i].dropped) {
					cands[i].dropped = true;
					snprintf(cands[i].why, WHY_MAX, "a config holds at most %u partitions", PART_MAX);
					live--;
				}
		}
		u64 mem = memory_each(m, live);
		size_t len = render(text, mem, false);
		errors_len = 0;
		errors[0] = '\0';
		log_set_sink(error_sink);
		memset(&s, 0, sizeof(s));
		config_parse(&conf, "sluice.conf", text, len);
		int ret = partition_check(&conf, h, &s);
		if (!ret && !conf.nr_errors) {
			u32 kept = 0;
			for (u32 i = 0; i < nr_cands; i++)
				kept += !cands[i].dropped;
			render(text, mem, true);
			fputs(text, stdout);
			return kept ? 0 : -1;
		}
		if (!drop_refused())
			break;
	}
	fprintf(stderr, "sluice-check: --propose: the check refused a line no partition holds:\n%s", errors);
	return -1;
}
