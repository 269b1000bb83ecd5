/*
 * selftest=irq: Sluice survives interrupts it did not ask for, shown
 * without a device. The boot CPU sends itself unexpected vectors (one
 * plain, three in the exception range 16-31, one repeated past the log's
 * rate limit) and an NMI; then a partition's CPU gets a fixed vector, an
 * NMI and an INIT while its guest runs. One check line per case.
 */
#ifndef KERNEL_IRQ_SELFTEST_H
#define KERNEL_IRQ_SELFTEST_H
#include "kernel/types.h"

/* The boot CPU's own cases; interrupts are enabled meanwhile and restored after. */
void irq_selftest_self(void);
/*
 * A fixed vector and an NMI to CPU index `cpu`, which runs a guest, and an
 * INIT when `init_consumable` (the CPU redirects an INIT it takes outside
 * the guest, VM_CR.R_INIT): each must be counted (kernel/irq_stray.h) and
 * the guest must go on. Without it the INIT is not sent, and one line says
 * why: the CPU would be reset.
 */
void irq_selftest_cpu(u32 cpu, bool init_consumable);

#endif
