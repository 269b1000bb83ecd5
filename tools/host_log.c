/* tools/host_log.h: the core's log lines on a host tool's stdout. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "tools/host_log.h"
#include "kernel/log.h"

const char *host_log_without_cpu(const char *s, size_t *n)
{
	size_t i = 0;

	if (*n > 1 && s[0] == 'c') {
		for (i = 1; i < *n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i > 1 && i < *n && s[i] == ' ') {
			*n -= i + 1;
			return s + i + 1;
		}
	}
	return s;
}

/*
 * Lines whose content a capture cannot give, left out: where firmware put
 * the ACPI tables (the capture has their bytes, not their addresses; the
 * checker places them itself), and host memory the allocator picks for a
 * partition (it depends on the size of Sluice's image and boot modules).
 * Each is "LEVEL subsys: " plus the start of the event.
 */
static const char *const unknowable[] = {
	"INFO acpi: RSDP ", "INFO acpi: XSDT ", "INFO acpi: RSDT ", "INFO acpi: DMAR present at ",
};

static bool known(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(unknowable) / sizeof(unknowable[0]); i++) {
		size_t k = strlen(unknowable[i]);
		if (n >= k && !memcmp(s, unknowable[i], k))
			return false;
	}
	/* "INFO acpi: SIG 0x...": one table's address, length and OEM. */
	if (n > 18 && !memcmp(s, "INFO acpi: ", 11) && s[15] == ' ' && s[16] == '0' && s[17] == 'x')
		return false;
	/* A partition's memory whose HPA Sluice's allocator chose. */
	if (n > 25 && memmem(s, n, "(hpa chosen by Sluice)", 22))
		return false;
	return true;
}

static FILE *out;

static void sink(const char *s, size_t n)
{
	s = host_log_without_cpu(s, &n);
	if (known(s, n))
		fwrite(s, 1, n, out);
}

void host_log_to_stdout(int to_stderr)
{
	out = to_stderr ? stderr : stdout;
	log_set_sink(sink);
}
