/* Log sink for host tests: lines go to a buffer (and to stderr with SLUICE_TEST_VERBOSE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/log.h"
#include "tests/fakes/fake_log.h"

static char text[1 << 20];
static size_t len;

static void sink(const char *s, size_t n)
{
	if (getenv("SLUICE_TEST_VERBOSE"))
		fwrite(s, 1, n, stderr);
	if (len + n >= sizeof(text))
		n = sizeof(text) - 1 - len;
	memcpy(text + len, s, n);
	len += n;
	text[len] = '\0';
}

void fake_log_capture(void)
{
	len = 0;
	text[0] = '\0';
	log_set_sink(sink);
}

const char *fake_log_text(void)
{
	return text;
}

bool fake_log_has(const char *needle)
{
	return strstr(text, needle) != NULL;
}

unsigned fake_log_count(const char *needle)
{
	unsigned n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}
