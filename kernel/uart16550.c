/*
 * 16550 UART, polled, on an I/O port base or in MMIO (byte-wide registers,
 * or 32-bit registers 4 bytes apart, of which the low byte counts).
 * Spec: PC16550D Universal Asynchronous Receiver/Transmitter datasheet,
 * section 8 "Registers". No interrupts and no flow control.
 */
#include "kernel/uart16550.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/hw/pio.h"
#include "kernel/hw/io.h"
#include "kernel/hw/cpu.h"

#define UART_THR                0       /* transmit holding, W */
#define UART_RBR                0       /* receive buffer, R */
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
#define UART_LSR                5       /* line status */
#define  UART_LSR_DR            0x01    /* data ready */
#define  UART_LSR_THRE          0x20
#define  UART_LSR_TEMT          0x40    /* transmitter empty: FIFO and shift register */
#define UART_SCR                7       /* scratch */
#define UART_REGS               8
/* THRE polls per byte before giving the byte up: a dead UART must not hang us. */
#define UART_TX_POLLS           100000

static struct uart_port port;
static struct io_region *mmio;
static bool uart_ok;

static u8 in(unsigned reg)
{
	if (port.space == UART_SPACE_IO)
		return pio_in8((u16)(port.base + reg));
	if (port.reg_width == 32)
		return (u8)io_read32(mmio, reg * 4);
	return io_read8(mmio, reg);
}

static void out(unsigned reg, u8 v)
{
	if (port.space == UART_SPACE_IO)
		pio_out8((u16)(port.base + reg), v);
	else if (port.reg_width == 32)
		io_write32(mmio, reg * 4, v);
	else
		io_write8(mmio, reg, v);
}

const char *uart_port_describe(const struct uart_port *p, char *buf, size_t size)
{
	char baud[24];

	if (p->baud)
		fmt_snprintf(baud, sizeof(baud), "%u baud", p->baud);
	else
		fmt_snprintf(baud, sizeof(baud), "baud as set");
	if (p->space == UART_SPACE_IO)
		fmt_snprintf(buf, size, "I/O 0x%llx, %s", (unsigned long long)p->base, baud);
	else
		fmt_snprintf(buf, size, "MMIO 0x%016llx (%u-bit registers), %s",
			     (unsigned long long)p->base, p->reg_width, baud);
	return buf;
}

/* The divisor latch value for p, or 0 when its clock cannot make its baud rate. */
static u32 divisor(const struct uart_port *p)
{
	u32 clock = p->clock_hz ? p->clock_hz : UART_CLOCK_HZ;
	u64 div = ((u64)clock / 16 + p->baud / 2) / p->baud;
	return div && div <= 0xffff ? (u32)div : 0;
}

int uart_init_port(const struct uart_port *p)
{
	uart_ok = false;
	if (p->space == UART_SPACE_IO ? p->base + UART_REGS > 0x10000 || p->reg_width != 8 :
	    p->space != UART_SPACE_MMIO || !p->base || (p->reg_width != 8 && p->reg_width != 32))
		return -HV_EINVAL;
	if (p->baud && !divisor(p))
		return -HV_EINVAL;
	port = *p;
	if (p->space == UART_SPACE_MMIO) {
		mmio = io_map(p->base, UART_REGS * (p->reg_width / 8), "uart");
		if (!mmio)
			return -HV_ERANGE;      /* outside what the direct map reaches */
	}
	/* Scratch register test: no UART reads back 0xff and keeps nothing. */
	out(UART_SCR, 0x5a);
	if (in(UART_SCR) != 0x5a)
		return -HV_ENODEV;
	out(UART_IER, 0);
	if (p->baud) {
		u32 div = divisor(p);
		out(UART_LCR, UART_LCR_DLAB);
		out(UART_DLL, (u8)div);
		out(UART_DLM, (u8)(div >> 8));
	}
	out(UART_LCR, UART_LCR_8N1);
	out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR);
	out(UART_MCR, UART_MCR_DTR_RTS_OUT2);
	uart_ok = true;
	return 0;
}

int uart_init(u16 base, u32 baud)
{
	struct uart_port p = { .space = UART_SPACE_IO, .base = base, .reg_width = 8, .baud = baud };
	return uart_init_port(&p);
}

static void put(u8 c)
{
	for (unsigned i = 0; i < UART_TX_POLLS; i++) {
		if (in(UART_LSR) & UART_LSR_THRE) {
			out(UART_THR, c);
			return;
		}
		cpu_relax();
	}
}

int uart_getc(void)
{
	if (!uart_ok || !(in(UART_LSR) & UART_LSR_DR))
		return -1;
	return in(UART_RBR);
}

void uart_flush(void)
{
	if (!uart_ok)
		return;
	for (unsigned i = 0; i < UART_TX_POLLS; i++) {
		if (in(UART_LSR) & UART_LSR_TEMT)
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
