/*
 * Stray interrupts: everything that reaches a CPU's IDT without Sluice
 * having asked for it (a vector nobody registered, a vector 16-31 a device
 * sent that looks like an exception, an NMI that is not Sluice's own, an
 * INIT). Each is acknowledged, counted per vector and logged rate-limited;
 * none stops the machine. Only a real CPU exception is FATAL. The entry
 * code (kernel/native/idt.c) gathers what it saw into struct irq_seen and
 * does what irq_decide() answers.
 */
#ifndef KERNEL_IRQ_STRAY_H
#define KERNEL_IRQ_STRAY_H
#include "kernel/types.h"

#define IRQ_NR_VECTORS          256
#define IRQ_VECTOR_NMI          2
#define IRQ_VECTOR_SX           30      /* #SX: an INIT redirected by VM_CR.R_INIT */
#define  SX_ERR_INIT            1       /* #SX error code of a redirected INIT */
#define IRQ_VECTOR_SPURIOUS     0xff    /* the local APIC's spurious vector */
/* Lines logged per vector before the rate limit holds the rest back. */
#define IRQ_STRAY_LOG_FIRST     3

/* What the entry code saw for one vector. */
struct irq_seen {
	u8 vector;
	bool error_code;        /* the CPU pushed an error code (the stub checked the frame) */
	u32 error_code_val;
	bool in_service;        /* the local APIC's ISR bit for vector (never set by an exception) */
	bool has_handler;       /* irq_register() gave vector a handler */
	bool stopping;          /* a FATAL is stopping every CPU (kernel/fatal.c) */
};

enum irq_action {
	IRQ_RUN_HANDLER,        /* Sluice's own interrupt: its handler, then EOI */
	IRQ_STRAY,              /* nobody's: counted, logged rate-limited, EOI when `eoi` */
	IRQ_STRAY_NMI,          /* an NMI that is not Sluice's own: counted, logged */
	IRQ_STRAY_INIT,         /* an INIT the CPU turned into #SX: counted, logged */
	IRQ_EXCEPTION,          /* a CPU exception: FATAL */
	IRQ_STOP,               /* Sluice's own stop NMI: halt this CPU */
};

/*
 * Decides what one arrival is. Vectors 0-31 are exceptions unless the
 * local APIC has the vector in service (SDM Vol. 3A 11.8.4: only an
 * accepted interrupt sets ISR) or the CPU pushed no error code where an
 * exception always pushes one (#DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC,
 * #SX). *eoi tells whether the local APIC needs an EOI (only when the
 * vector is in service: the spurious vector and NMIs never are).
 */
enum irq_action irq_decide(const struct irq_seen *s, bool *eoi);

/*
 * Counts one stray arrival of vector (IRQ_VECTOR_NMI for an NMI) and logs
 * it: the first IRQ_STRAY_LOG_FIRST per vector get a line each, then one
 * line each time the count reaches a power of two, saying how many were
 * not logged. `how` says what it was ("interrupt", "NMI", ...). For
 * IRQ_VECTOR_NMI (NMI context) the log lock is only tried (log_try_write)
 * and a line may be dropped; the count never is. Returns the new count.
 */
u64 irq_stray_note(u8 vector, const char *how);
/* INITs: the CPU index and where it was taken; the log lock is only tried (an #SX can come anywhere). */
u64 irq_stray_note_init(u32 cpu, const char *where);

/* Stray arrivals of vector so far (NMIs: IRQ_VECTOR_NMI). */
u64 irq_stray_count(u8 vector);
u64 irq_stray_inits(void);
/*
 * One summary line per vector that had strays (count, lines not logged),
 * one for INITs, or "none". Called at the end of a run.
 */
void irq_stray_log_summary(void);
/* Forgets every count (host tests). */
void irq_stray_reset(void);

#endif
