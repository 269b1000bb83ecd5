/*
 * The end of the road: CPU exceptions Sluice cannot handle and broken
 * hypervisor invariants (BUG_ON). Both print one FATAL block and stop all
 * CPUs; with exit=qemu the run also ends with a failing result line.
 */
#ifndef KERNEL_FATAL_H
#define KERNEL_FATAL_H
#include "kernel/types.h"

/* Saved by kernel/native/isr.asm; the order matches its pushes. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;   /* pushed by the CPU */
};

struct fatal_cregs { u64 cr0, cr2, cr3, cr4; };

/* Mnemonic ("#PF") and name ("page fault") of an exception vector. */
const char *exception_mnemonic(u64 vector);
const char *exception_name(u64 vector);
/* True for vectors where the CPU pushes an error code. */
bool exception_has_error_code(u64 vector);
/* Logs the FATAL block for an exception (no stopping: tests call this). */
void fatal_report_exception(const struct trap_frame *f, const struct fatal_cregs *cr);
/* Logs the block, then stops; never returns. */
__noreturn void fatal_exception(const struct trap_frame *f, const struct fatal_cregs *cr);
/*
 * How the other CPUs are stopped (main: an NMI to all but the running
 * one); called once, by the first FATAL, after fatal_stopping() turned true.
 */
void fatal_set_stop_others(void (*fn)(void));
/* True once a FATAL began stopping the machine: an NMI then is Sluice's own. */
bool fatal_stopping(void);
__noreturn void bug(const char *file, int line, const char *cond);

#define BUG_ON(c) do { if (__builtin_expect(!!(c), 0)) bug(__FILE__, __LINE__, #c); } while (0)

#endif
