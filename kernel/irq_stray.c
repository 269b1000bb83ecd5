/*
 * Stray interrupts (kernel/irq_stray.h): the decision between interrupt and
 * exception for vectors 0-31, per-vector counts and the rate-limited log.
 * Spec: Intel SDM Vol. 3A 6.3.1 (vectors 0-31 reserved for exceptions,
 * the local APIC refuses 0-15), 6.13 (which exceptions push an error code),
 * 11.8.4 (ISR: set when the APIC dispatches an interrupt, cleared by EOI),
 * 11.9 (the spurious vector: no ISR bit, no EOI); AMD APM Vol. 2 8.2
 * "#SX" (error code 1: INIT redirected).
 * No hardware here: counts are atomics. A maskable interrupt logs as any
 * code does (its handler runs with interrupts off, so it never holds the
 * log lock it waits for); an NMI or an INIT's #SX may have interrupted
 * its CPU's own log line, so those only try the lock (log_try_write).
 */
#define LOG_SUBSYS "irq"
#include "kernel/irq_stray.h"
#include "kernel/log.h"
#include "kernel/fatal.h"

static u64 counts[IRQ_NR_VECTORS];
static u64 own_lines[IRQ_NR_VECTORS];   /* arrivals logged with a line of their own */
static u64 inits, init_lines;

enum irq_action irq_decide(const struct irq_seen *s, bool *eoi)
{
	u8 v = s->vector;

	*eoi = false;
	if (v == IRQ_VECTOR_NMI)
		return s->stopping ? IRQ_STOP : IRQ_STRAY_NMI;
	if (v < 32) {
		/* SPEC: an exception never sets an ISR bit; an interrupt the APIC dispatched always does. */
		if (s->in_service) {
			*eoi = true;
			return IRQ_STRAY;
		}
		if (v == IRQ_VECTOR_SX && s->error_code && s->error_code_val == SX_ERR_INIT)
			return IRQ_STRAY_INIT;
		/* An exception of these vectors always pushes an error code; without one it came from outside. */
		if (exception_has_error_code(v) && !s->error_code)
			return IRQ_STRAY;
		return IRQ_EXCEPTION;
	}
	if (s->has_handler) {
		*eoi = v != IRQ_VECTOR_SPURIOUS;
		return IRQ_RUN_HANDLER;
	}
	*eoi = s->in_service;
	return IRQ_STRAY;
}

/*
 * The rate limit: arrival n (from 1) of a source gets a line of its own
 * while n <= IRQ_STRAY_LOG_FIRST, a summary line when n is a power of two
 * past that, nothing otherwise. *own counts the lines of their own that
 * were written (a busy log in NMI context can drop one). may_wait: the
 * caller may wait for the log lock (not an NMI or an exception).
 */
static void rate_limited(u64 n, u64 *own, bool may_wait, const char *each, const char *summary, u32 a,
			 const char *how)
{
	if (n <= IRQ_STRAY_LOG_FIRST) {
		bool written = true;
		if (may_wait)
			log_write(LOG_WARN, LOG_SUBSYS, each, how, a, (unsigned long long)n);
		else
			written = log_try_write(LOG_WARN, LOG_SUBSYS, each, how, a, (unsigned long long)n);
		if (written)
			__atomic_add_fetch(own, 1, __ATOMIC_RELAXED);
	} else if (!(n & (n - 1))) {
		if (may_wait)
			log_write(LOG_WARN, LOG_SUBSYS, summary, how, a, (unsigned long long)n, IRQ_STRAY_LOG_FIRST);
		else
			log_try_write(LOG_WARN, LOG_SUBSYS, summary, how, a, (unsigned long long)n, IRQ_STRAY_LOG_FIRST);
	}
}

u64 irq_stray_note(u8 vector, const char *how)
{
	u64 n = __atomic_add_fetch(&counts[vector], 1, __ATOMIC_RELAXED);
	rate_limited(n, &own_lines[vector], vector != IRQ_VECTOR_NMI, "stray %s on vector 0x%02x (%llu so far): acknowledged, ignored",
		     "stray %s on vector 0x%02x: %llu so far, only the first %u logged one by one", vector, how);
	return n;
}

u64 irq_stray_note_init(u32 cpu, const char *where)
{
	u64 n = __atomic_add_fetch(&inits, 1, __ATOMIC_RELAXED);
	rate_limited(n, &init_lines, false, "INIT signal (%s) to CPU %u (%llu so far): consumed, ignored",
		     "INIT signal (%s) to CPU %u: %llu so far, only the first %u logged one by one", cpu, where);
	return n;
}

u64 irq_stray_count(u8 vector)
{
	return __atomic_load_n(&counts[vector], __ATOMIC_RELAXED);
}

u64 irq_stray_inits(void)
{
	return __atomic_load_n(&inits, __ATOMIC_RELAXED);
}

void irq_stray_log_summary(void)
{
	bool any = false;

	for (u32 v = 0; v < IRQ_NR_VECTORS; v++) {
		u64 n = irq_stray_count((u8)v);
		if (!n)
			continue;
		any = true;
		log_info("stray %s on vector 0x%02x: %llu in all, %llu without a line of their own",
			 v == IRQ_VECTOR_NMI ? "NMI" : "interrupt", v, (unsigned long long)n,
			 (unsigned long long)(n - __atomic_load_n(&own_lines[v], __ATOMIC_RELAXED)));
	}
	u64 inits = irq_stray_inits();
	if (inits) {
		any = true;
		log_info("INIT signals: %llu in all, %llu without a line of their own", (unsigned long long)inits,
			 (unsigned long long)(inits - __atomic_load_n(&init_lines, __ATOMIC_RELAXED)));
	}
	if (!any)
		log_info("no stray interrupts, NMIs or INITs");
}

void irq_stray_reset(void)
{
	for (u32 v = 0; v < IRQ_NR_VECTORS; v++)
		counts[v] = own_lines[v] = 0;
	inits = init_lines = 0;
}
