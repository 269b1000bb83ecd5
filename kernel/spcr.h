/*
 * The ACPI SPCR table (Microsoft "Serial Port Console Redirection Table"):
 * which UART the firmware gave the server's serial console (often COM2 or an
 * MMIO UART behind IPMI Serial-over-LAN). A plain function over the table's
 * bytes, so host tools can read a captured table too.
 */
#ifndef KERNEL_SPCR_H
#define KERNEL_SPCR_H
#include "kernel/types.h"
#include "kernel/uart16550.h"

struct spcr_info {
	u8 revision;
	u8 type;                /* interface type (DBG2 serial port subtype) */
	struct uart_port port;  /* valid when spcr_parse() returned 0 */
	const char *why;        /* when it did not: what was refused, for the log */
};

/*
 * Reads the SPCR table t of len bytes (header included; its checksum is the
 * caller's, as acpi_init() checks every table) into *info. Only 16550
 * compatible UARTs (interface types 0x00, 0x01, 0x12) in system I/O space
 * (8-bit registers) or system memory (8- or 32-bit registers, from the GAS
 * access size, else its register bit width) are taken, at the baud rates
 * the table can name (or "as is": the firmware's divisor stays), no parity,
 * one stop bit. Returns 0; -HV_EINVAL for a table too short or not SPCR;
 * -HV_ENOTSUP for a UART Sluice cannot drive; -HV_ENODEV when the table
 * says redirection is off (base address 0). On an error info->why says what
 * was found, in a few words.
 */
int spcr_parse(const u8 *t, u32 len, struct spcr_info *info);

#endif
