/*
 * 16550 UART, polled transmit only (Sluice reads no console input yet).
 * Spec: PC16550D Universal Asynchronous Receiver/Transmitter datasheet,
 * section 8 "Registers".
 */
#include "kernel/uart16550.h"
#include "kernel/err.h"
#include "kernel/hw/pio.h"
#include "kernel/hw/cpu.h"

#define UART_THR                0       /* transmit holding, W */
#define UART_DLL                0       /* divisor latch low (DLAB=1) */
#define UART_IER                1       /* interrupt enable */
#define UART_DLM                1       /* divisor latch high (DLAB=1) */
#define UART_FCR                2       /* FIFO control, W */
#define  UART_FCR_ENABLE        0x01
#define  UART_FCR_CLEAR         0x06
#define UART_LCR                3       /* line control */
#define  UART_LCR_8N1           0x03
#define  UART_LCR_DLAB          0x80
#define UART_MCR                4       /* modem control */
#define  UART_MCR_DTR_RTS_OUT2  0x0b
#define  UART_MCR_LOOP          0x10
#define UART_LSR                5       /* line status */
#define  UART_LSR_THRE          0x20
#define  UART_LSR_TEMT          0x40    /* transmitter empty: FIFO and shift register */
#define UART_SCR                7       /* scratch */
#define UART_CLOCK              115200
/* THRE polls per byte before giving the byte up: a dead UART must not hang us. */
#define UART_TX_POLLS           100000

static u16 uart_base;
static bool uart_ok;

int uart_init(u16 base, u32 baud)
{
	uart_base = base;
	/* Scratch register test: no UART reads back 0xff and keeps nothing. */
	pio_out8(base + UART_SCR, 0x5a);
	if (pio_in8(base + UART_SCR) != 0x5a) {
		uart_ok = false;
		return -HV_ENODEV;
	}
	u32 div = UART_CLOCK / (baud ? baud : UART_CLOCK);
	pio_out8(base + UART_IER, 0);
	pio_out8(base + UART_LCR, UART_LCR_DLAB);
	pio_out8(base + UART_DLL, (u8)div);
	pio_out8(base + UART_DLM, (u8)(div >> 8));
	pio_out8(base + UART_LCR, UART_LCR_8N1);
	pio_out8(base + UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR);
	pio_out8(base + UART_MCR, UART_MCR_DTR_RTS_OUT2);
	uart_ok = true;
	return 0;
}

static void put(u8 c)
{
	for (unsigned i = 0; i < UART_TX_POLLS; i++) {
		if (pio_in8(uart_base + UART_LSR) & UART_LSR_THRE) {
			pio_out8(uart_base + UART_THR, c);
			return;
		}
		cpu_relax();
	}
}

#define  UART_LSR_DR            0x01    /* data ready */

int uart_getc(void)
{
	if (!uart_ok || !(pio_in8(uart_base + UART_LSR) & UART_LSR_DR))
		return -1;
	return pio_in8(uart_base + UART_THR);   /* RBR shares offset 0 */
}

void uart_flush(void)
{
	if (!uart_ok)
		return;
	for (unsigned i = 0; i < UART_TX_POLLS; i++) {
		if (pio_in8(uart_base + UART_LSR) & UART_LSR_TEMT)
			return;
		cpu_relax();
	}
}

void uart_write(const char *s, size_t n)
{
	if (!uart_ok)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			put('\r');
		put((u8)s[i]);
	}
}
