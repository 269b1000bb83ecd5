/*
 * FATAL blocks for unhandled exceptions and BUG_ON, then stop.
 * Spec: Intel SDM Vol. 3A section 6.15 "Exception and Interrupt Reference".
 * The first FATAL halts its CPU and has the others stopped through
 * fatal_set_stop_others() (an NMI each: kernel/native/idt.c).
 */
#define LOG_SUBSYS "fatal"
#include "kernel/fatal.h"
#include "kernel/log.h"
#include "kernel/check.h"
#include "kernel/hw/cpu.h"

static const struct { const char *mn, *name; } exc[32] = {
	[0] = { "#DE", "divide error" },         [1] = { "#DB", "debug" },
	[2] = { "NMI", "non-maskable interrupt" }, [3] = { "#BP", "breakpoint" },
	[4] = { "#OF", "overflow" },             [5] = { "#BR", "BOUND range exceeded" },
	[6] = { "#UD", "invalid opcode" },       [7] = { "#NM", "device not available" },
	[8] = { "#DF", "double fault" },         [9] = { "CSO", "coprocessor segment overrun" },
	[10] = { "#TS", "invalid TSS" },         [11] = { "#NP", "segment not present" },
	[12] = { "#SS", "stack-segment fault" }, [13] = { "#GP", "general protection" },
	[14] = { "#PF", "page fault" },          [16] = { "#MF", "x87 floating-point error" },
	[17] = { "#AC", "alignment check" },     [18] = { "#MC", "machine check" },
	[19] = { "#XM", "SIMD floating-point exception" },
	[20] = { "#VE", "virtualization exception" },
	[21] = { "#CP", "control protection" },
	[28] = { "#HV", "hypervisor injection" }, [29] = { "#VC", "VMM communication" },
	[30] = { "#SX", "security exception" },
};

const char *exception_mnemonic(u64 v)
{
	return v < 32 && exc[v].mn ? exc[v].mn : "#??";
}

const char *exception_name(u64 v)
{
	return v < 32 && exc[v].name ? exc[v].name : "reserved or external vector";
}

bool exception_has_error_code(u64 v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

void fatal_report_exception(const struct trap_frame *f, const struct fatal_cregs *cr)
{
	log_write(LOG_FATAL, LOG_SUBSYS, "exception %s (%s) vector %llu error 0x%016llx",
		  exception_mnemonic(f->vector), exception_name(f->vector),
		  (unsigned long long)f->vector, (unsigned long long)f->error_code);
	log_write(LOG_FATAL, LOG_SUBSYS, "rip 0x%016llx cs 0x%04llx rflags 0x%016llx",
		  (unsigned long long)f->rip, (unsigned long long)f->cs,
		  (unsigned long long)f->rflags);
	log_write(LOG_FATAL, LOG_SUBSYS, "rsp 0x%016llx ss 0x%04llx cr2 0x%016llx",
		  (unsigned long long)f->rsp, (unsigned long long)f->ss,
		  (unsigned long long)cr->cr2);
	log_write(LOG_FATAL, LOG_SUBSYS, "cr0 0x%016llx cr3 0x%016llx cr4 0x%016llx",
		  (unsigned long long)cr->cr0, (unsigned long long)cr->cr3,
		  (unsigned long long)cr->cr4);
	log_write(LOG_FATAL, LOG_SUBSYS, "rax 0x%016llx rbx 0x%016llx rcx 0x%016llx rdx 0x%016llx",
		  (unsigned long long)f->rax, (unsigned long long)f->rbx,
		  (unsigned long long)f->rcx, (unsigned long long)f->rdx);
	log_write(LOG_FATAL, LOG_SUBSYS, "rsi 0x%016llx rdi 0x%016llx rbp 0x%016llx r8  0x%016llx",
		  (unsigned long long)f->rsi, (unsigned long long)f->rdi,
		  (unsigned long long)f->rbp, (unsigned long long)f->r8);
	log_write(LOG_FATAL, LOG_SUBSYS, "r9  0x%016llx r10 0x%016llx r11 0x%016llx r12 0x%016llx",
		  (unsigned long long)f->r9, (unsigned long long)f->r10,
		  (unsigned long long)f->r11, (unsigned long long)f->r12);
	log_write(LOG_FATAL, LOG_SUBSYS, "r13 0x%016llx r14 0x%016llx r15 0x%016llx",
		  (unsigned long long)f->r13, (unsigned long long)f->r14,
		  (unsigned long long)f->r15);
}

static volatile int stopping;
static void (*stop_others)(void);

void fatal_set_stop_others(void (*fn)(void))
{
	stop_others = fn;
}

bool fatal_stopping(void)
{
	return __atomic_load_n(&stopping, __ATOMIC_ACQUIRE);
}

static __noreturn void stop(void)
{
	/* A fault while stopping must not recurse into another report. */
	if (__atomic_exchange_n(&stopping, 1, __ATOMIC_SEQ_CST))
		cpu_halt_forever();
	log_write(LOG_FATAL, LOG_SUBSYS, "stopping all CPUs");
	/* Set before the NMIs leave: their handler halts on seeing it (kernel/irq_stray.c). */
	if (stop_others)
		stop_others();
	check(false, "no fatal error");
	check_finish();
}

void fatal_exception(const struct trap_frame *f, const struct fatal_cregs *cr)
{
	fatal_report_exception(f, cr);
	stop();
}

void bug(const char *file, int line, const char *cond)
{
	log_write(LOG_FATAL, LOG_SUBSYS, "BUG at %s:%d: %s", file, line, cond);
	stop();
}
