/* Native SMP door (kernel/hw/smp.h): the trampoline copy, GS base, halting. */
#include "kernel/hw/smp.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/mem.h"
#include "kernel/smp.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/native/idt.h"
#include "kernel/native/x86.h"

#define MSR_GS_BASE             0xc0000101
#define REAL_MODE_END           (1 * MiB)

extern const u8 ap_tramp_start[], ap_tramp_end[], ap_tramp_cr3[];
extern struct cpu *volatile ap_boot_cpu;
extern volatile u64 ap_boot_stack;
/* GS base holds a struct cpu on every CPU once the boot CPU's is set. */
static bool gs_ready;

int smp_hw_ap_prepare(u64 low_pa, struct cpu *c)
{
	size_t len = (size_t)(ap_tramp_end - ap_tramp_start);
	u64 cr3 = read_cr3();

	if (!low_pa || !IS_ALIGNED(low_pa, PAGE_SIZE) || low_pa >= REAL_MODE_END || cr3 >> 32)
		return -HV_EINVAL;
	u8 *p = phys_to_virt(low_pa, PAGE_SIZE);
	if (!p)
		return -HV_EINVAL;
	memcpy(p, ap_tramp_start, len);
	u32 cr3_32 = (u32)cr3;
	memcpy(p + (ap_tramp_cr3 - ap_tramp_start), &cr3_32, sizeof(cr3_32));
	ap_boot_stack = c->stack_top;
	ap_boot_cpu = c;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (int)(low_pa >> 12);
}

void smp_hw_cpu_setup(struct cpu *c)
{
	/* The boot CPU keeps the tables idt_init() loaded: its TSS is busy already. */
	if (!c->bsp)
		idt_init_ap(c->index);
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)c);
	gs_ready = true;
}

struct cpu *smp_hw_this_cpu(void)
{
	if (!gs_ready)
		return NULL;
	struct cpu *c;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

void cpu_halt_until_irq(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}
