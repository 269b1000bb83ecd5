/* Command-line parsing; options take effect in kernel/main.c. */
#define LOG_SUBSYS "cmdline"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"

/* Calls fn for each word: [w, w+n). */
static const char *next_word(const char *p, size_t *n)
{
	while (*p == ' ' || *p == '\t')
		p++;
	const char *w = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*n = (size_t)(p - w);
	return w;
}

int cmdline_get(const char *cmdline, const char *key, char *val, size_t size)
{
	size_t kl = strlen(key), n;

	for (const char *p = cmdline; *(p = next_word(p, &n)); p += n) {
		if (n < kl || strncmp(p, key, kl) || (n > kl && p[kl] != '='))
			continue;
		const char *v = n > kl ? p + kl + 1 : p + n;
		size_t vl = (size_t)(p + n - v);
		if (vl >= size)
			return -HV_ERANGE;
		memcpy(val, v, vl);
		val[vl] = '\0';
		return 0;
	}
	return -HV_ENOENT;
}

static bool word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && !strncmp(w, s, n);
}

void cmdline_parse(const char *cmdline, struct cmdline_opts *o)
{
	size_t n;
	bool first = true;

	memset(o, 0, sizeof(*o));
	for (const char *p = cmdline; *(p = next_word(p, &n)); p += n, first = false) {
		if (first && p[0] == '/')
			continue;       /* the kernel's own path */
		const char *eq = p;
		while (eq < p + n && *eq != '=')
			eq++;
		size_t kl = (size_t)(eq - p);
		const char *v = eq < p + n ? eq + 1 : p + n;
		size_t vl = (size_t)(p + n - v);
		if (word_is(p, kl, "exit") && eq < p + n) {
			if (word_is(v, vl, "qemu"))
				o->exit = EXIT_QEMU;
			else if (word_is(v, vl, "bochs"))
				o->exit = EXIT_BOCHS;
			else if (word_is(v, vl, "halt"))
				o->exit = EXIT_HALT;
			else
				goto bad;
		} else if (word_is(p, kl, "selftest") && eq < p + n) {
			if (word_is(v, vl, "ud"))
				o->selftest = SELFTEST_UD;
			else if (word_is(v, vl, "pf"))
				o->selftest = SELFTEST_PF;
			else if (word_is(v, vl, "bug"))
				o->selftest = SELFTEST_BUG;
			else if (word_is(v, vl, "svm"))
				o->selftest = SELFTEST_SVM;
			else if (word_is(v, vl, "irq"))
				o->selftest = SELFTEST_IRQ;
			else
				goto bad;
		} else if (word_is(p, kl, "console") && eq < p + n &&
			   (word_is(v, vl, "on") || word_is(v, vl, "off"))) {
			o->console = word_is(v, vl, "on");
		} else if (word_is(p, kl, "sriov") && eq < p + n && vl && vl < sizeof(o->sriov)) {
			memcpy(o->sriov, v, vl);
			o->sriov[vl] = '\0';
		} else if (word_is(p, kl, "log") && eq < p + n && vl < sizeof(o->log)) {
			memcpy(o->log, v, vl);
			o->log[vl] = '\0';
		} else {
			goto bad;
		}
		continue;
bad:
		log_warn("ignoring unknown or malformed option '%.*s'", (int)n, p);
		o->nr_errors++;
	}
}
