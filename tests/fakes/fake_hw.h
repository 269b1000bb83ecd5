/*
 * Fakes for the CPU, port I/O and clock doors (kernel/hw/cpu.h, pio.h,
 * time.h). Port reads go to a hook; writes are recorded in order. The clock
 * and the TSC advance by a set step on every read. cpu_halt_forever()
 * longjmps to fake_halt_jmp so tests can observe "the CPU stopped".
 */
#ifndef TESTS_FAKES_FAKE_HW_H
#define TESTS_FAKES_FAKE_HW_H
#include <setjmp.h>
#include "kernel/types.h"

#define FAKE_PIO_LOG_MAX        4096

struct fake_pio_write { u16 port; u32 val; u8 width; };

extern struct fake_pio_write fake_pio_log[FAKE_PIO_LOG_MAX];
extern unsigned fake_pio_nr;
/* Called for every port read; default returns 0xff.. (no device). */
extern u32 (*fake_pio_read_hook)(u16 port, u8 width);
/* Fills CPUID leaves (registers start zeroed); NULL: every leaf reads 0. */
struct cpuid_regs;
extern void (*fake_cpuid_hook)(u32 leaf, u32 subleaf, struct cpuid_regs *r);

extern u64 fake_time_ns, fake_time_step_ns;      /* time_now_ns() */
extern u64 fake_tsc, fake_tsc_step;              /* rdtsc() */
extern jmp_buf fake_halt_jmp;
extern bool fake_irq_on;                        /* cpu_irq_* state */
extern unsigned fake_flushes;                    /* cpu_flush_range() calls */
extern u64 fake_flushed_bytes;
extern unsigned fake_halts;

void fake_hw_reset(void);
/* Count of recorded writes to port (optionally only value val when match_val). */
unsigned fake_pio_writes_to(u16 port);
/* The n-th recorded value written to port; ~0u when absent. */
u32 fake_pio_write_value(u16 port, unsigned n);

#endif
