/* GDT, TSS and IDT of each CPU; exception entry. */
#ifndef KERNEL_NATIVE_IDT_H
#define KERNEL_NATIVE_IDT_H
#include "kernel/types.h"

/* Loads Sluice's GDT (with a TSS giving #DF, NMI and #MC their own stacks) and the IDT. */
void idt_init(void);
/* The same for the AP with CPU index `index` (its own GDT, TSS and #DF stack; the shared IDT). */
void idt_init_ap(u32 index);

#define IRQ_VECTOR_IOMMU_FAULT  0x40    /* VT-d fault events */
#define IRQ_VECTOR_SPURIOUS     0xff    /* the local APIC's spurious vector */

/* Runs fn(arg) for each interrupt on vector (IRQ_VECTOR_*), then sends EOI. */
void irq_register(u8 vector, void (*fn)(void *arg), void *arg);

#endif
