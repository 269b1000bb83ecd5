/* GDT, TSS and IDT of each CPU; exception entry. */
#ifndef KERNEL_NATIVE_IDT_H
#define KERNEL_NATIVE_IDT_H
#include "kernel/types.h"

/* Loads Sluice's GDT (with a TSS giving #DF, NMI and #MC their own stacks) and the IDT. */
void idt_init(void);

#endif
