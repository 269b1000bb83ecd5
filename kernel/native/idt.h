/* GDT, TSS and IDT of each CPU; exception entry. */
#ifndef KERNEL_NATIVE_IDT_H
#define KERNEL_NATIVE_IDT_H
#include "kernel/types.h"
#include "kernel/irq_stray.h"

/* Loads Sluice's GDT (with a TSS giving #DF, NMI and #MC their own stacks) and the IDT. */
void idt_init(void);
/* The same for the AP with CPU index `index` (its own GDT, TSS and #DF stack; the shared IDT). */
void idt_init_ap(u32 index);

#define IRQ_VECTOR_IOMMU_FAULT  0x40    /* VT-d fault events */
/* isr.asm sets this in trap_frame.vector when the CPU pushed an error code. */
#define TRAP_FRAME_ERR          0x100

/*
 * Runs fn(arg) for each interrupt on vector (IRQ_VECTOR_*), then sends EOI.
 * Every other vector is a stray (kernel/irq_stray.h): counted, logged, EOI.
 */
void irq_register(u8 vector, void (*fn)(void *arg), void *arg);
/* From now on a FATAL stops the other CPUs with an NMI (their handler halts them). */
void irq_setup_stop(void);

#endif
