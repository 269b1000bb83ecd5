/*
 * The serial console: a 16550 UART on an I/O port base (COM1 = 0x3f8) or
 * in MMIO with byte-wide or 32-bit registers (servers' UARTs, from SPCR).
 */
#ifndef KERNEL_UART16550_H
#define KERNEL_UART16550_H
#include "kernel/types.h"

#define COM1_BASE               0x3f8
#define COM2_BASE               0x2f8
#define COM3_BASE               0x3e8
#define COM4_BASE               0x2e8
/* The PC's UART input clock, 1.8432 MHz: divisor 1 gives 115200 baud. */
#define UART_CLOCK_HZ           1843200

enum uart_space { UART_SPACE_IO = 0, UART_SPACE_MMIO };

/* Where a 16550 is and how it is driven. */
struct uart_port {
	enum uart_space space;
	u64 base;               /* I/O port, or MMIO physical address */
	u8 reg_width;           /* bits per register: 8 (I/O, byte MMIO) or 32 (MMIO, registers 4 bytes apart) */
	u32 baud;               /* 0: keep the divisor the firmware set */
	u32 clock_hz;           /* input clock; 0: UART_CLOCK_HZ */
};

/*
 * Describes p in words for the log ("I/O 0x2f8, 115200 baud", "MMIO
 * 0x00000000fe030000 (32-bit registers), baud as set"), into buf[size].
 * Returns buf.
 */
const char *uart_port_describe(const struct uart_port *p, char *buf, size_t size);
/*
 * Makes p the console UART: maps an MMIO base (io_map), checks that a UART
 * answers (scratch register), programs the baud rate (unless baud is 0), 8N1,
 * FIFOs on. Returns 0; -HV_EINVAL for a port that cannot be described
 * (width, base, a baud the clock cannot make); -HV_ERANGE when the MMIO
 * cannot be mapped (past the direct map); -HV_ENODEV when nothing answers. On an error there is no
 * console UART until the next call succeeds.
 */
int uart_init_port(const struct uart_port *p);
/* uart_init_port() on an I/O port base at baud (COM1_BASE, 115200). */
int uart_init(u16 base, u32 baud);
/* Writes n bytes ("\n" becomes "\r\n"); drops output when no UART was found. */
void uart_write(const char *s, size_t n);
/* A received byte, or -1 when none is waiting (or there is no UART). */
int uart_getc(void);
/* Waits (bounded) until the transmitter has sent every byte. */
void uart_flush(void);

#endif
