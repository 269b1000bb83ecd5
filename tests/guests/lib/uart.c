/*
 * COM1 output as a polling 16550 driver does it (TI PC16550D data sheet,
 * "Line Status Register": bit 5 THRE, the holding register is empty), and
 * printf through the hypervisor's own formatter (kernel/fmt.c), no libc. No input, no interrupts, no FIFO set-up:
 * Sluice's virtual UART and QEMU's both accept bytes as they come.
 */
#include "tests/guests/lib/uart.h"
#include "kernel/fmt.h"

#define COM1            0x3f8
#define UART_THR        0       /* transmit holding register (write) */
#define UART_LSR        5       /* line status register (read) */
#define  UART_LSR_THRE  0x20
#define UART_POLL_MAX   100000  /* a UART that never empties must not hang the guest */

void con_putc(char c)
{
	for (unsigned i = 0; i < UART_POLL_MAX && !(inb(COM1 + UART_LSR) & UART_LSR_THRE); i++)
		;
	outb(COM1 + UART_THR, (uint8_t)c);
}

void con_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			con_putc('\r');
		con_putc(s[i]);
	}
}

int gprintf(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	int n = fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	con_write(line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
	return n;
}
