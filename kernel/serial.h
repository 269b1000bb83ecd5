/*
 * The serial line that carries Sluice's log and console: COM1 from the first
 * line on, then, once the command line and ACPI are read, the UART the
 * command line's serial= names, else the one SPCR describes, else COM1.
 * Until that choice every line is also kept, and the chosen UART gets
 * them first, so its log starts with the boot's first line.
 */
#ifndef KERNEL_SERIAL_H
#define KERNEL_SERIAL_H
#include "kernel/types.h"
#include "kernel/uart16550.h"

/* What was kept before the choice: the first 32 KiB of log; more is counted, not kept. */
#define SERIAL_EARLY_MAX        (32 * 1024)

enum serial_source { SERIAL_FALLBACK = 0, SERIAL_SPCR, SERIAL_CMDLINE };

/* COM1 at 115200 baud, keeping what is written until serial_choose(). */
void serial_early_init(void);
/* The log sink: the current UART (and the early copy, before the choice). */
void serial_write(const char *s, size_t n);
void serial_flush(void);
/*
 * Chooses the log's UART: cmdline (serial=, NULL when not given), else the
 * SPCR table spcr[spcr_len] (NULL when there is none), else COM1. A UART
 * that spcr_parse() or uart_init_port() refuses is one WARN and the next
 * choice is tried. Switching from COM1 writes the kept early log to the new
 * UART first. Logs one INFO line naming the UART and why (console
 * subsystem). Returns where the UART came from; *used is the port in use.
 */
enum serial_source serial_choose(const struct uart_port *cmdline, const u8 *spcr, u32 spcr_len,
				 struct uart_port *used);

#endif
