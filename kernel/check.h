/*
 * Self-checks and the run's verdict. Every check prints one line and counts;
 * check_finish() prints exactly one "sluice: result pass=N fail=M" line and
 * ends the run as the command line asked (exit=qemu: isa-debug-exit value
 * 0x10 when everything passed, 0x11 otherwise; exit=bochs: the same, then
 * Bochs's shutdown port; otherwise halt).
 */
#ifndef KERNEL_CHECK_H
#define KERNEL_CHECK_H
#include "kernel/types.h"
#include "kernel/cmdline.h"

#define QEMU_EXIT_PORT          0xf4
#define  QEMU_EXIT_PASS         0x10    /* QEMU exit status 33 */
#define  QEMU_EXIT_FAIL         0x11    /* QEMU exit status 35 */
#define BOCHS_SHUTDOWN_PORT     0x8900

/* Records one check; logs "check: pass WHAT" or "check: FAIL WHAT". Returns ok. */
bool check(bool ok, const char *fmt, ...) __printf(2, 3);
void check_set_exit(enum exit_mode mode);
u32 check_passed(void);
u32 check_failed(void);
/* Formats the result line (no newline) into buf; returns its length. */
int check_result_line(char *buf, size_t size);
/* Prints the result line and ends the run; never returns. */
__noreturn void check_finish(void);

#endif
