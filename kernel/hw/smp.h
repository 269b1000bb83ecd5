/*
 * Door: what starting application processors needs below C. The real-mode
 * trampoline (boot/ap_trampoline.asm) is copied to a page under 1 MiB and
 * brings an AP straight to long mode on Sluice's page tables, on the stack
 * and struct cpu that smp_hw_ap_prepare() set; it then calls smp_ap_main().
 */
#ifndef KERNEL_HW_SMP_H
#define KERNEL_HW_SMP_H
#include "kernel/types.h"

struct cpu;

/*
 * Copies the trampoline to low_pa (4 KiB aligned, below 1 MiB) on first use
 * and hands the next AP to start its struct cpu and stack. Returns the
 * start-up IPI vector (low_pa >> 12) or -HV_EINVAL for an unusable page.
 */
int smp_hw_ap_prepare(u64 low_pa, struct cpu *c);
/* Makes c the running CPU's struct (GS base) and loads its GDT, TSS and IDT. */
void smp_hw_cpu_setup(struct cpu *c);
/* The running CPU's struct cpu (GS base), NULL before smp_hw_cpu_setup(). */
struct cpu *smp_hw_this_cpu(void);
/*
 * Called with interrupts masked: lets them in and halts until one arrives
 * (STI's one-instruction shadow covers the HLT, so none is lost), then masks
 * them again.
 */
void cpu_halt_until_irq(void);

/* The core side, called by the trampoline's 64-bit code on the new AP's stack. */
__noreturn void smp_ap_main(struct cpu *c);

#endif
