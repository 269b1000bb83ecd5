/*
 * A line-oriented console on the log's UART (kernel/serial.h) for
 * operators and lab students: type `iommu walk 00:03.0 0x10000 r` and
 * watch the translation step by step (docs/architecture.md, "Follow one
 * DMA", step 5). Polled input; no editing beyond backspace.
 */
#define LOG_SUBSYS "console"
#include "kernel/console.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/hw/cpu.h"

/* Splits line into at most max words (in place); returns how many. */
static unsigned split(char *line, char **w, unsigned max)
{
	unsigned n = 0;
	for (char *p = line; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == max)
			return max + 1;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}

int console_exec(const struct console_env *env, const char *line)
{
	char buf[CONSOLE_LINE_MAX];
	char *w[5];
	u32 sbdf;
	u64 iova;

	str_copy(buf, line, sizeof(buf));
	unsigned n = split(buf, w, 5);
	if (n == 0)
		return 0;
	log_info("> %s", line);
	if (n == 1 && !strcmp(w[0], "exit"))
		return 1;
	if (n == 1 && !strcmp(w[0], "help")) {
		log_info("commands: iommu walk [SSSS:]BB:DD.F IOVA r|w, help, exit");
		return 0;
	}
	if (n < 2 || strcmp(w[0], "iommu") || strcmp(w[1], "walk")) {
		log_warn("unknown command '%s' (try help)", line);
		return 0;
	}
	if (n != 5 || !pci_sbdf_parse(w[2], strlen(w[2]), &sbdf) ||
	    str_to_u64(w[3], strlen(w[3]), false, &iova) ||
	    (strcmp(w[4], "r") && strcmp(w[4], "w"))) {
		log_warn("usage: iommu walk [SSSS:]BB:DD.F IOVA r|w");
		return 0;
	}
	if (!env->walk) {
		log_warn("no IOMMU is translating: nothing to walk");
		return 0;
	}
	int ret = env->walk(sbdf, iova, w[4][0] == 'w');
	if (ret < 0)
		log_warn("walk failed: %s", hv_strerror(ret));
	return 0;
}

void console_run(const struct console_env *env)
{
	char line[CONSOLE_LINE_MAX];
	size_t len = 0;

	log_info("ready: type help (console=on)");
	for (;;) {
		int c = env->getc();
		if (c == -2)
			return;                 /* end of input (tests) */
		if (c < 0) {
			cpu_relax();            /* a person is typing: no deadline */
			continue;
		}
		if (c == '\r' || c == '\n') {
			line[len] = '\0';
			len = 0;
			if (console_exec(env, line))
				return;
		} else if ((c == 0x7f || c == '\b') && len) {
			len--;
		} else if (c >= ' ' && c < 0x7f && len < sizeof(line) - 1) {
			line[len++] = (char)c;
		}
	}
}
