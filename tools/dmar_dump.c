/*
 * tools/dmar-dump: a raw DMAR table (the bytes of
 * /sys/firmware/acpi/tables/DMAR) in the words of Sluice's boot log, from the
 * same parser (iommu/dmar.c) and printer (iommu/dmar_print.c). On the host
 * there is no live PCI bus: scopes show the table's path, multi-hop ones are
 * not followed and bridges do not show the buses below them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "iommu/dmar.h"
#include "kernel/log.h"
#include "tools/host_log.h"

#define PROG            "dmar-dump"
#define MAX_TABLE       (1u << 20)

static char *problems;
static size_t problems_len, problems_size;

static void to_stdout(const char *s, size_t n)
{
	s = host_log_without_cpu(s, &n);
	fwrite(s, 1, n, stdout);
}

/* Parsing problems are kept and listed after the structures. */
static void to_problems(const char *s, size_t n)
{
	s = host_log_without_cpu(s, &n);
	if (problems_len + n > problems_size) {
		size_t size = (problems_len + n) * 2;
		char *p = realloc(problems, size);
		if (!p)
			return;
		problems = p;
		problems_size = size;
	}
	memcpy(problems + problems_len, s, n);
	problems_len += n;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: %s FILE [--check]\n"
		"  Prints the DMAR table in FILE (e.g. /sys/firmware/acpi/tables/DMAR): every\n"
		"  remapping structure and device scope, then the warnings and errors found.\n"
		"  --check  exit status 1 when the table has errors (warnings do not count)\n"
		"Exit status: 0 fine, 1 errors (with --check) or no DMAR header, 2 usage or I/O.\n", PROG);
}

static u8 *read_file(const char *path, u32 *len)
{
	FILE *f = fopen(path, "rb");
	u8 *buf;
	size_t n;

	if (!f) {
		fprintf(stderr, "%s: %s: cannot open\n", PROG, path);
		return NULL;
	}
	buf = malloc(MAX_TABLE + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, MAX_TABLE + 1, f);
	if (ferror(f) || n > MAX_TABLE) {
		fprintf(stderr, "%s: %s: %s\n", PROG, path, ferror(f) ? "read error" : "larger than 1 MiB, not a DMAR");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*len = (u32)n;
	return buf;
}

int main(int argc, char **argv)
{
	static struct dmar_info d;
	const char *path = NULL;
	bool check = false;
	u32 len;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--check")) {
			check = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || path) {
			usage(stderr);
			return 2;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		usage(stderr);
		return 2;
	}
	u8 *table = read_file(path, &len);
	if (!table)
		return 2;

	log_set_sink(to_problems);
	int ret = dmar_parse(table, len, &d);
	log_set_sink(to_stdout);
	printf("%s: %s, %u bytes. No live PCI bus here: single-hop scopes show as bus:dev.fn, multi-hop ones as their path (start bus:first hop/next hops), bridges without the buses below them.\n",
	       PROG, path, len);
	if (ret == 0)
		dmar_print(&d);
	printf("%s: %u error(s), %u warning(s)%s\n", PROG, d.nr_errors, d.nr_warnings, problems_len ? ":" : "");
	if (problems_len)
		fwrite(problems, 1, problems_len, stdout);
	free(problems);
	free(table);
	if (ret < 0)
		return 1;
	return check && d.nr_errors ? 1 : 0;
}
