/* The serial console: a 16550 UART on an I/O port base (COM1 = 0x3f8). */
#ifndef KERNEL_UART16550_H
#define KERNEL_UART16550_H
#include "kernel/types.h"

#define COM1_BASE               0x3f8

/* Programs base for baud, 8N1, FIFOs on. Returns 0, or -HV_ENODEV when no UART answers. */
int uart_init(u16 base, u32 baud);
/* Writes n bytes ("\n" becomes "\r\n"); drops output when no UART was found. */
void uart_write(const char *s, size_t n);
/* A received byte, or -1 when none is waiting (or there is no UART). */
int uart_getc(void);
/* Waits (bounded) until the transmitter has sent every byte. */
void uart_flush(void);

#endif
