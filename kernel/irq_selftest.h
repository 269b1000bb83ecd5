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
 * A fixed vector and an NMI to CPU index `cpu`, which runs a guest: each
 * must be counted there (kernel/irq_stray.h) while the guest goes on.
 */
void irq_selftest_cpu(u32 cpu);
/*
 * An INIT to CPU index `cpu`, which runs a guest. Returns how many INITs
 * were counted within a second (0: the CPU did not consume it; on QEMU it
 * was reset, see docs/architecture.md). The caller judges.
 */
u64 irq_selftest_init(u32 cpu);

#endif
