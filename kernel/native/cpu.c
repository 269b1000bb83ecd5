/* Native CPU door: CPUID, MSRs, TSC, halting. See kernel/hw/cpu.h. */
#include "kernel/hw/cpu.h"
#include "kernel/hw/time.h"
#include "kernel/tsc.h"

void cpuid(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
	__asm__ volatile("cpuid"
			 : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
			 : "a"(leaf), "c"(subleaf));
}

u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

void wrmsr(u32 msr, u64 val)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32)) : "memory");
}

u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return (u64)hi << 32 | lo;
}

void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

void cpu_flush_range(const void *va, size_t len)
{
	const u8 *p = (const u8 *)((uintptr_t)va & ~63UL), *end = (const u8 *)va + len;

	__asm__ volatile("mfence" ::: "memory");
	for (; p < end; p += 64)
		__asm__ volatile("clflush %0" : "+m"(*(volatile u8 *)p));
	__asm__ volatile("mfence" ::: "memory");
}

u64 cpu_irq_save(void)
{
	u64 flags;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

void cpu_irq_restore(u64 flags)
{
	if (flags & BIT_ULL(9))         /* RFLAGS.IF */
		__asm__ volatile("sti" ::: "memory");
}

void cpu_irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

/* Before calibration tsc_ns() assumes 1 GHz: bounded waits stay bounded. */
u64 time_now_ns(void)
{
	return tsc_ns(rdtsc());
}
