/* Door: CPU registers and instructions that core code needs (CPUID, MSRs, TSC). */
#ifndef KERNEL_HW_CPU_H
#define KERNEL_HW_CPU_H
#include "kernel/types.h"

struct cpuid_regs { u32 eax, ebx, ecx, edx; };

void cpuid(u32 leaf, u32 subleaf, struct cpuid_regs *r);
u64  rdmsr(u32 msr);
void wrmsr(u32 msr, u64 val);
u64  rdtsc(void);
void cpu_relax(void);
/*
 * Writes back the cache lines covering [va, va+len) (clflush, then a fence),
 * so a non-coherent IOMMU (VT-d ECAP.C = 0) sees what the CPU wrote.
 */
void cpu_flush_range(const void *va, size_t len);
/* Masks interrupts on this CPU and returns the previous state for cpu_irq_restore(). */
u64  cpu_irq_save(void);
void cpu_irq_restore(u64 flags);
/* Lets interrupts in (once the handlers Sluice needs are in place). */
void cpu_irq_enable(void);
/* Stops this CPU for good (interrupts off, hlt loop). */
__noreturn void cpu_halt_forever(void);

#endif
