/*
 * The serial console: after boot, with console=on, Sluice reads command
 * lines from the log's UART until "exit". Commands today: help, iommu
 * walk, exit.
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H
#include "kernel/types.h"

#define CONSOLE_LINE_MAX        128

struct console_env {
	/* Next input byte, or -1 when none is waiting (the console polls). */
	int (*getc)(void);
	/* The IOMMU's software walk (iommu_ops.walk); NULL without an IOMMU. */
	int (*walk)(u32 sbdf, u64 iova, bool write);
};

/* Runs one command line; returns 1 for "exit", 0 otherwise (errors are logged). */
int console_exec(const struct console_env *env, const char *line);
/* Reads and runs lines until "exit" (or, when getc reports -2, end of input). */
void console_run(const struct console_env *env);

#endif
