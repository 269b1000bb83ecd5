/*
 * The guests' interrupts: one IDT with one handler (SDM Vol. 3A 6.14.1
 * 64-bit interrupt gate), and the local APIC in x2APIC mode (SDM Vol. 3A
 * 11.12: IA32_APIC_BASE EN and EXTD, SVR software enable, EOI as an MSR).
 */
#ifndef GUESTS_LIB_IRQ_H
#define GUESTS_LIB_IRQ_H
#include "tests/guests/lib/guest.h"

/* Loads an IDT whose only gate is vector: fn runs there (caller-saved registers kept), then IRETQ. */
void guest_irq_handler(uint8_t vector, void (*fn)(void));
/* The local APIC on, in x2APIC mode, spurious vector 0xff. */
void guest_x2apic_on(void);
void guest_x2apic_eoi(void);

#endif
