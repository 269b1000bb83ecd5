/*
 * Command-line parsing; options take effect in vm/main.c. Every word
 * goes through one table (words[] below), so the rules hold for each word,
 * those added later included: an unknown word or a value its word does not
 * take is a WARN, and a word given again is an ERR that keeps the value
 * in force (a second exit= never silently decides how the run ends).
 */
#define LOG_SUBSYS "cmdline"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/duration.h"

/* A word in a log line: at most WORD_SHOWN characters, then "...": a line is never cut mid-word. */
#define WORD_SHOWN              64
#define WORD(p, n)              (int)MIN((size_t)(n), (size_t)WORD_SHOWN), (p), (n) > WORD_SHOWN ? "..." : ""

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The next word at or after p, before end: its start, and its length in *n (0 at the end). */
static const char *next_word(const char *p, const char *end, size_t *n)
{
	while (p < end && is_blank(*p))
		p++;
	const char *w = p;
	while (p < end && *p && !is_blank(*p))
		p++;
	*n = (size_t)(p - w);
	return w;
}

static bool word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && !strncmp(w, s, n);
}

/* Copies [v, v+n) into dst[size] as a string; false when it does not fit. */
static bool copy_value(char *dst, size_t size, const char *v, size_t n)
{
	if (n >= size)
		return false;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

/* A value and what it selects, for words that take one of a few names. */
struct choice {
	const char *name;
	int val;
};

static bool choose(const struct choice *c, size_t nr, const char *v, size_t n, int *out)
{
	for (size_t i = 0; i < nr; i++)
		if (word_is(v, n, c[i].name)) {
			*out = c[i].val;
			return true;
		}
	return false;
}

/* ---- one function per word: false when the value is not one it takes ---- */

static bool take_exit(struct cmdline_opts *o, const char *v, size_t n)
{
	static const struct choice c[] = {
		{ "qemu", EXIT_QEMU }, { "bochs", EXIT_BOCHS }, { "halt", EXIT_HALT },
	};
	int x;
	if (!choose(c, ARRAY_SIZE(c), v, n, &x))
		return false;
	o->exit = (enum exit_mode)x;
	return true;
}

static bool take_selftest(struct cmdline_opts *o, const char *v, size_t n)
{
	static const struct choice c[] = {
		{ "ud", SELFTEST_UD }, { "pf", SELFTEST_PF }, { "bug", SELFTEST_BUG }, { "svm", SELFTEST_SVM },
		{ "irq", SELFTEST_IRQ },
	};
	int x;
	if (!choose(c, ARRAY_SIZE(c), v, n, &x))
		return false;
	o->selftest = (enum selftest)x;
	return true;
}

static bool take_lab(struct cmdline_opts *o, const char *v, size_t n)
{
	static const struct choice c[] = {
		{ "no-acs", LAB_NO_ACS }, { "dma-map-identity", LAB_DMA_MAP_IDENTITY },
		{ "skip-devtlb-inv", LAB_SKIP_DEVTLB_INV }, { "vf-shared-ns", LAB_VF_SHARED_NS },
		{ "skip-iec-inv", LAB_SKIP_IEC_INV },
	};
	int x;
	if (!choose(c, ARRAY_SIZE(c), v, n, &x))
		return false;
	o->lab = (enum lab_switch)x;
	return true;
}

static bool take_console(struct cmdline_opts *o, const char *v, size_t n)
{
	static const struct choice c[] = { { "on", 1 }, { "off", 0 } };
	int x;
	if (!choose(c, ARRAY_SIZE(c), v, n, &x))
		return false;
	o->console = x;
	return true;
}

/* The number in [v, v+n) up to the next comma (or the end); *next after the comma, or NULL at the end. */
static bool take_number(const char *v, size_t n, u64 *out, const char **next)
{
	size_t k = 0;
	while (k < n && v[k] != ',')
		k++;
	*next = k < n ? v + k + 1 : NULL;
	return !str_to_u64(v, k, false, out);
}

/*
 * serial=com1..com4, io:PORT[,BAUD] or mmio:ADDR,WIDTH[,BAUD]: WIDTH is 8 or
 * 32 (bits per register), BAUD one of 115200's whole divisions (default 115200).
 */
static bool take_serial(struct cmdline_opts *o, const char *v, size_t n)
{
	static const u16 com[] = { COM1_BASE, COM2_BASE, COM3_BASE, COM4_BASE };
	static const char *const com_name[] = { "com1", "com2", "com3", "com4" };
	struct uart_port p = { .space = UART_SPACE_IO, .reg_width = 8, .baud = 115200 };
	const char *end = v + n, *next = NULL;
	u64 x;

	for (unsigned i = 0; i < ARRAY_SIZE(com); i++)
		if (word_is(v, n, com_name[i])) {
			p.base = com[i];
			goto done;
		}
	if (n > 3 && !strncmp(v, "io:", 3)) {
		if (!take_number(v + 3, n - 3, &p.base, &next) || p.base == 0 || p.base > 0xfff8)
			return false;
	} else if (n > 5 && !strncmp(v, "mmio:", 5)) {
		p.space = UART_SPACE_MMIO;
		if (!take_number(v + 5, n - 5, &p.base, &next) || p.base == 0 || !next ||
		    !take_number(next, (size_t)(end - next), &x, &next) || (x != 8 && x != 32))
			return false;
		p.reg_width = (u8)x;
	} else {
		return false;
	}
	if (next) {
		if (!take_number(next, (size_t)(end - next), &x, &next) || next || x == 0 || x > 115200 ||
		    115200 % x)
			return false;
		p.baud = (u32)x;
	}
done:
	o->serial = p;
	o->serial_set = true;
	return true;
}

static bool take_sriov(struct cmdline_opts *o, const char *v, size_t n)
{
	return n && copy_value(o->sriov, sizeof(o->sriov), v, n);
}

/* time-limit=DURATION (kernel/duration.h); a refused one leaves no run limit. */
static bool take_time_limit(struct cmdline_opts *o, const char *v, size_t n)
{
	return !duration_parse(v, n, &o->time_limit_ms);
}

/*
 * log=PART[,PART...], each PART "LEVEL" or "SUBSYS:LEVEL": each empty or
 * unknown part is one WARN (counted) and left out; the good parts go to
 * o->log. false only when there is no part at all (log= alone).
 */
static bool take_log(struct cmdline_opts *o, const char *v, size_t n)
{
	const char *end = v + n;
	size_t at = 0;

	if (!n)
		return false;
	for (const char *p = v;; p++) {
		const char *q = p;
		while (q < end && *q != ',')
			q++;
		size_t pl = (size_t)(q - p);
		const char *colon = p;
		while (colon < q && *colon != ':')
			colon++;
		enum log_level lvl;
		const char *lv = colon < q ? colon + 1 : p;
		const char *why = NULL;
		if (!pl)
			why = "is an empty part";
		else if (log_level_parse(lv, (size_t)(q - lv), &lvl))
			why = "has no such level (err, warn, info, debug)";
		else if (colon < q && !log_subsys_known(p, (size_t)(colon - p)))
			why = "names no subsystem Sluice logs under";
		else if (at + (at ? 1 : 0) + pl >= sizeof(o->log))
			why = "is past the 63 characters kept";
		if (why) {
			log_warn("log=%.*s%s: '%.*s%s' %s; left out", WORD(v, n), WORD(p, pl), why);
			o->nr_errors++;
		} else {
			if (at)
				o->log[at++] = ',';
			memcpy(o->log + at, p, pl);
			at += pl;
			o->log[at] = '\0';
		}
		if (q == end)
			break;
		p = q;          /* the comma; p++ steps over it */
	}
	return true;
}

/* Every word Sluice knows: KEY=VALUE, each KEY at most once. */
static const struct cmdline_word {
	const char *key;
	bool (*take)(struct cmdline_opts *o, const char *v, size_t n);
	const char *values;     /* for the WARN when take refuses */
} words[] = {
	{ "exit", take_exit, "qemu, bochs or halt" },
	{ "log", take_log, "LEVEL[,SUBSYS:LEVEL...]" },
	{ "console", take_console, "on or off" },
	{ "serial", take_serial, "com1 to com4, io:PORT[,BAUD] or mmio:ADDR,8|32[,BAUD] (BAUD divides 115200)" },
	{ "sriov", take_sriov, "[SSSS:]BB:DD.F:N[,...], up to 127 characters" },
	{ "selftest", take_selftest, "ud, pf, bug, svm or irq" },
	{ "lab", take_lab, "no-acs, dma-map-identity, skip-devtlb-inv, vf-shared-ns or skip-iec-inv" },
	{ "time-limit", take_time_limit, "a duration from 1ms to 24h with its unit (e.g. 500ms, 10s, 2m, 1h)" },
};

void cmdline_parse(const char *cmdline, size_t len, struct cmdline_opts *o)
{
	const char *end = cmdline + len;
	/* Per word: where it was given (the one in force once one was taken), and whether one was. */
	const char *at[ARRAY_SIZE(words)] = { NULL };
	size_t at_len[ARRAY_SIZE(words)] = { 0 };
	bool taken[ARRAY_SIZE(words)] = { false };
	size_t n;
	bool first = true;

	memset(o, 0, sizeof(*o));
	o->len = (u32)MIN(len, (size_t)0xffffffffu);
	if (len > CMDLINE_MAX) {
		o->too_long = true;
		o->nr_errors++;
		log_err("the command line is %llu characters; Sluice holds at most %u: the boot stops",
			(unsigned long long)len, CMDLINE_MAX);
	}
	for (const char *p = cmdline; (p = next_word(p, end, &n)), n; p += n, first = false) {
		if (first && p[0] == '/')
			continue;       /* the kernel's own path */
		const char *eq = p;
		while (eq < p + n && *eq != '=')
			eq++;
		size_t kl = (size_t)(eq - p);
		u32 i = 0;
		while (i < ARRAY_SIZE(words) && !word_is(p, kl, words[i].key))
			i++;
		if (i == ARRAY_SIZE(words) || eq == p + n) {
			log_warn("ignoring unknown or malformed option '%.*s%s'", WORD(p, n));
			o->nr_errors++;
			continue;
		}
		if (at[i]) {
			o->nr_errors++;
			if (taken[i]) {
				log_err("'%.*s%s': %s given again; the earlier '%.*s%s' stays", WORD(p, n),
					words[i].key, WORD(at[i], at_len[i]));
				continue;
			}
			log_err("'%.*s%s': %s given again; it stands, as the earlier '%.*s%s' was refused",
				WORD(p, n), words[i].key, WORD(at[i], at_len[i]));
		}
		at[i] = p;
		at_len[i] = n;
		taken[i] = words[i].take(o, eq + 1, (size_t)(p + n - eq - 1));
		if (!taken[i]) {
			log_warn("ignoring '%.*s%s': %s= takes %s", WORD(p, n), words[i].key, words[i].values);
			o->nr_errors++;
		}
	}
}
