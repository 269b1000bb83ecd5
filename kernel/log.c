/* Log line formatting, per-subsystem levels and the single console sink. */
#include "kernel/log.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/err.h"

#define LOG_OVERRIDES_MAX       16
#define LOG_SUBSYS_LEN          12

static void (*log_sink)(const char *s, size_t n);
static void (*log_flush_fn)(void);
static u64 (*irq_save)(void);
static void (*irq_restore)(u64 flags);
static unsigned (*log_cpu)(void);
/*
 * The log lock holds who has it (CPU index + 1, 0 when free), so that an
 * NMI on the holder gives up at once and a CPU reset while holding it
 * (log_cpu_lost) does not stop every other CPU's logging for good.
 */
static volatile u32 lock_holder;
static enum log_level log_default = LOG_INFO;
static struct {
	char subsys[LOG_SUBSYS_LEN];
	enum log_level lvl;
} overrides[LOG_OVERRIDES_MAX];
static unsigned nr_overrides;

static const char *const level_names[] = {
	[LOG_FATAL] = "FATAL", [LOG_ERR] = "ERR", [LOG_WARN] = "WARN",
	[LOG_INFO] = "INFO", [LOG_DBG] = "DBG",
};

const char *log_level_name(enum log_level lvl)
{
	return lvl <= LOG_DBG ? level_names[lvl] : "?";
}

void log_set_sink(void (*sink)(const char *s, size_t n))
{
	log_sink = sink;
}

void log_set_flush(void (*flush)(void))
{
	log_flush_fn = flush;
}

void log_set_irq_guard(u64 (*save)(void), void (*restore)(u64 flags))
{
	irq_save = save;
	irq_restore = restore;
}

static u32 me(void)
{
	return (log_cpu ? log_cpu() : 0) + 1;
}

static bool try_take(u32 who)
{
	u32 free = 0;
	return __atomic_compare_exchange_n(&lock_holder, &free, who, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void release(void)
{
	__atomic_store_n(&lock_holder, 0, __ATOMIC_RELEASE);
}

/* Takes the log lock with interrupts masked when a guard is installed. */
static u64 lock(void)
{
	u64 flags = irq_save ? irq_save() : 0;
	u32 who = me();
	while (!try_take(who))
		while (__atomic_load_n(&lock_holder, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
	return flags;
}

static void unlock(u64 flags)
{
	release();
	if (irq_restore)
		irq_restore(flags);
}

void log_flush(void)
{
	if (log_flush_fn)
		log_flush_fn();
}

void log_set_cpu_fn(unsigned (*cpu_id)(void))
{
	log_cpu = cpu_id;
}

int log_level_parse(const char *s, size_t n, enum log_level *out)
{
	static const struct { const char *name; enum log_level lvl; } names[] = {
		{ "err", LOG_ERR }, { "error", LOG_ERR }, { "warn", LOG_WARN },
		{ "info", LOG_INFO }, { "debug", LOG_DBG }, { "dbg", LOG_DBG },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i].name) == n && !strncmp(names[i].name, s, n)) {
			*out = names[i].lvl;
			return 0;
		}
	return -HV_EINVAL;
}

/*
 * Every subsystem Sluice logs under (LOG_SUBSYS and the literal subsystems
 * of log_write); a unit's name is its subsystem and a number ("vtd0").
 * test_log checks the tree against this list, so a new subsystem that is
 * not added here fails the unit tests.
 */
static const char *const subsystems[] = {
	"acpi", "apic", "attack", "bench", "boot", "check", "cmdline", "config", "console", "demo",
	"dmar", "edu", "fatal", "hv", "image", "irq", "map", "mem", "nvme", "part", "pci", "remap",
	"smp", "sriov", "story", "svm", "time", "virt", "vmx", "vpci", "vtd", "walk",
};

bool log_subsys_known(const char *s, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(subsystems); i++) {
		size_t k = strlen(subsystems[i]);
		if (n < k || strncmp(s, subsystems[i], k))
			continue;
		size_t d = k;
		while (d < n && s[d] >= '0' && s[d] <= '9')
			d++;
		if (d == n)
			return true;
	}
	return false;
}

/*
 * spec: comma-separated items, each "LEVEL" (the default) or "SUBSYS:LEVEL".
 * All or nothing: on a bad item nothing changes and -HV_EINVAL returns.
 */
int log_set_levels(const char *spec)
{
	enum log_level def = log_default;
	unsigned n = 0;
	struct { char subsys[LOG_SUBSYS_LEN]; enum log_level lvl; } tmp[LOG_OVERRIDES_MAX];

	if (!spec || !*spec)
		return -HV_EINVAL;
	for (const char *p = spec; *p;) {
		const char *end = p;
		while (*end && *end != ',')
			end++;
		const char *colon = p;
		while (colon < end && *colon != ':')
			colon++;
		enum log_level lvl;
		if (colon == end) {
			if (log_level_parse(p, (size_t)(end - p), &lvl))
				return -HV_EINVAL;
			def = lvl;
		} else {
			size_t sl = (size_t)(colon - p);
			if (sl == 0 || sl >= LOG_SUBSYS_LEN || n == LOG_OVERRIDES_MAX ||
			    log_level_parse(colon + 1, (size_t)(end - colon - 1), &lvl))
				return -HV_EINVAL;
			memcpy(tmp[n].subsys, p, sl);
			tmp[n].subsys[sl] = '\0';
			tmp[n].lvl = lvl;
			n++;
		}
		p = *end ? end + 1 : end;
	}
	log_default = def;
	for (unsigned i = 0; i < n; i++) {
		memcpy(overrides[i].subsys, tmp[i].subsys, LOG_SUBSYS_LEN);
		overrides[i].lvl = tmp[i].lvl;
	}
	nr_overrides = n;
	return 0;
}

/*
 * A subsystem name like "vtd0" or "part" matches an override "vtd" by its
 * leading letters, so one setting covers every instance of a unit.
 */
enum log_level log_level_for(const char *subsys)
{
	for (unsigned i = 0; i < nr_overrides; i++) {
		size_t n = strlen(overrides[i].subsys);
		if (!strncmp(subsys, overrides[i].subsys, n) &&
		    (subsys[n] == '\0' || (subsys[n] >= '0' && subsys[n] <= '9')))
			return overrides[i].lvl;
	}
	return log_default;
}

bool log_enabled(enum log_level lvl, const char *subsys)
{
	return lvl <= log_level_for(subsys);
}

int log_format_line(char *buf, size_t size, unsigned cpu, enum log_level lvl,
		    const char *subsys, const char *fmt, va_list ap)
{
	int n = fmt_snprintf(buf, size, "c%u %-4s %s: ", cpu, log_level_name(lvl), subsys);
	if (n < 0 || (size_t)n >= size)
		return n;
	int m = fmt_vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	/* A line that does not fit is cut and marked, never wrapped. */
	if ((size_t)(n + m) >= size && size > 4) {
		memcpy(buf + size - 4, "...", 4);
		return (int)size - 1;
	}
	return n + m;
}

static void emit(const char *s, size_t n)
{
	if (log_sink)
		log_sink(s, n);
}

/* The line as it goes out, newline included: its length, or -1 when it is not logged. */
static int log_line(char *line, enum log_level lvl, const char *subsys, const char *fmt, va_list ap)
{
	int n = log_enabled(lvl, subsys) ? log_format_line(line, LOG_LINE_MAX, log_cpu ? log_cpu() : 0, lvl, subsys, fmt, ap) : -1;
	if (n >= 0)
		line[n++] = '\n';
	return n;
}

void log_vwrite(enum log_level lvl, const char *subsys, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX + 1];
	int n = log_line(line, lvl, subsys, fmt, ap);

	if (n < 0)
		return;
	/* An interrupt handler may log too: never while this CPU holds the lock. */
	u64 flags = lock();
	emit(line, (size_t)n);
	unlock(flags);
}

bool log_try_write(enum log_level lvl, const char *subsys, const char *fmt, ...)
{
	char line[LOG_LINE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	int n = log_line(line, lvl, subsys, fmt, ap);
	va_end(ap);
	if (n < 0)
		return true;
	u64 flags = irq_save ? irq_save() : 0;
	u32 who = me();
	bool got = false;
	/* Held by this very CPU (an NMI in the middle of its line): it will not come free. */
	for (u32 i = 0; i < LOG_TRY_SPINS && __atomic_load_n(&lock_holder, __ATOMIC_RELAXED) != who &&
	     !(got = try_take(who)); i++)
		__builtin_ia32_pause();
	if (got) {
		emit(line, (size_t)n);
		release();
	}
	if (irq_restore)
		irq_restore(flags);
	return got;
}

int log_holder(void)
{
	u32 h = __atomic_load_n(&lock_holder, __ATOMIC_RELAXED);
	return h ? (int)(h - 1) : -1;
}

void log_cpu_lost(unsigned cpu)
{
	u32 dead = cpu + 1, expect = dead;
	if (__atomic_compare_exchange_n(&lock_holder, &expect, me(), false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		const char *cut = " [cut: its CPU was reset]\n";
		emit(cut, strlen(cut));
		release();
	}
}

void log_write(enum log_level lvl, const char *subsys, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(lvl, subsys, fmt, ap);
	va_end(ap);
}

void log_raw(const char *s)
{
	u64 flags = lock();
	emit(s, strlen(s));
	unlock(flags);
}
