/*
 * The serial log (docs/conventions.md section 7): one event, one line,
 *   c<cpu> <LEVEL> <subsys>: <event>
 * A file defines LOG_SUBSYS before including this header. Levels are
 * settable per subsystem from the command line: log=debug, log=warn,vtd:debug.
 */
#ifndef KERNEL_LOG_H
#define KERNEL_LOG_H
#include "kernel/types.h"

enum log_level { LOG_FATAL = 0, LOG_ERR = 1, LOG_WARN = 2, LOG_INFO = 3, LOG_DBG = 4 };

#define LOG_LINE_MAX            512

/* Where finished lines go (the console); NULL drops them. */
void log_set_sink(void (*sink)(const char *s, size_t n));
/* How to wait until everything written has left the machine (may be NULL). */
void log_set_flush(void (*flush)(void));
void log_flush(void);
/* Interrupt masking around the log lock, so handlers can log (NULL: none). */
void log_set_irq_guard(u64 (*save)(void), void (*restore)(u64 flags));
/* Who is printing: the CPU index for the "cN" column. */
void log_set_cpu_fn(unsigned (*cpu_id)(void));
/* Parses "debug", "warn,vtd:debug", ...; returns 0 or -HV_EINVAL (nothing changed). */
int log_set_levels(const char *spec);
/* Level in force for subsys. */
enum log_level log_level_for(const char *subsys);
bool log_enabled(enum log_level lvl, const char *subsys);
/* "err"/"error", "warn", "info", "debug"/"dbg" in [s, s+n): 0 and *out, or -HV_EINVAL. */
int log_level_parse(const char *s, size_t n, enum log_level *out);
/* Whether Sluice logs under the subsystem [s, s+n) ("vtd", "vtd0", "pci", ...). */
bool log_subsys_known(const char *s, size_t n);
const char *log_level_name(enum log_level lvl);

/*
 * Formats one line into buf (no newline), returns its length. Exposed for
 * tests; log_write() is what code calls.
 */
int log_format_line(char *buf, size_t size, unsigned cpu, enum log_level lvl,
		    const char *subsys, const char *fmt, va_list ap);
void log_vwrite(enum log_level lvl, const char *subsys, const char *fmt, va_list ap);
void log_write(enum log_level lvl, const char *subsys, const char *fmt, ...) __printf(3, 4);
/*
 * log_write for a handler that may have interrupted this CPU's own
 * log_write (NMI, an INIT turned into #SX): tries the log lock
 * LOG_TRY_SPINS times, then gives up. Returns false when the line was
 * dropped (the caller counts it), true when written or masked by level.
 */
#define LOG_TRY_SPINS           20000000
bool log_try_write(enum log_level lvl, const char *subsys, const char *fmt, ...) __printf(3, 4);
/*
 * CPU index `cpu` was reset (an INIT) and will not finish what it was
 * doing: if it held the log lock, its cut line is ended and the lock
 * freed, so the other CPUs can log again.
 */
void log_cpu_lost(unsigned cpu);
/* The CPU index holding the log lock right now, or -1. */
int log_holder(void);
/* Raw text to the sink with the log lock held (FATAL blocks, banners). */
void log_raw(const char *s);

#ifndef LOG_SUBSYS
#define LOG_SUBSYS "hv"
#endif

#define log_err(fmt, ...)  log_write(LOG_ERR, LOG_SUBSYS, fmt, ##__VA_ARGS__)
#define log_warn(fmt, ...) log_write(LOG_WARN, LOG_SUBSYS, fmt, ##__VA_ARGS__)
#define log_info(fmt, ...) log_write(LOG_INFO, LOG_SUBSYS, fmt, ##__VA_ARGS__)
#define log_dbg(fmt, ...)  log_write(LOG_DBG, LOG_SUBSYS, fmt, ##__VA_ARGS__)

#endif
