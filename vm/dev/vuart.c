/*
 * A virtual 16550A for one partition (register layout from the TI/National
 * PC16550D data sheet, "Register Description" and Table 2). The
 * transmitter is always empty; bytes the operator types (vuart_rx_put) wait
 * in a ring, LSR.DR set, until the guest reads RBR; no interrupt is ever
 * pending. Loopback (MCR.LOOP) feeds the modem outputs back into
 * MSR, which is what Linux's 8250 probe tests; looped-back bytes are
 * dropped rather than received. Baud rate and line settings are stored and ignored.
 */
#include "vm/dev/vuart.h"
#include "kernel/lib.h"

/* Register offsets from the base port (data sheet Table 2). */
#define UART_RBR_THR    0       /* DLAB=0: receive / transmit; DLAB=1: DLL */
#define UART_IER        1       /* DLAB=0: interrupt enable; DLAB=1: DLM */
#define UART_IIR_FCR    2       /* read: interrupt identification; write: FIFO control */
#define UART_LCR        3
#define  UART_LCR_DLAB  0x80    /* divisor latch access */
#define UART_MCR        4
#define  UART_MCR_DTR   0x01
#define  UART_MCR_RTS   0x02
#define  UART_MCR_OUT1  0x04
#define  UART_MCR_OUT2  0x08
#define  UART_MCR_LOOP  0x10
#define UART_LSR        5
#define  UART_LSR_DR    0x01    /* data ready: RBR holds a received byte */
#define  UART_LSR_THRE  0x20    /* transmitter holding register empty */
#define  UART_LSR_TEMT  0x40    /* transmitter empty */
#define UART_MSR        6
#define  UART_MSR_CTS   0x10
#define  UART_MSR_DSR   0x20
#define  UART_MSR_RI    0x40
#define  UART_MSR_DCD   0x80
#define UART_SCR        7

#define UART_IER_MASK   0x0f    /* bits 7:4 are always zero */
#define UART_IIR_NONE   0x01    /* bit 0 set: no interrupt pending */
#define UART_IIR_FIFO   0xc0    /* FIFOs enabled (16550A) */
#define UART_FCR_ENABLE 0x01
/* FCR bits 1-2 (clear RX/TX FIFO) act once and are not stored. */
#define UART_FCR_KEEP   0xc9
#define UART_MCR_MASK   0x1f

void vuart_init(struct vuart *u, u16 base, void (*out)(void *, const char *, bool), void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->base = base;
	u->out = out;
	u->ctx = ctx;
}

bool vuart_rx_put(struct vuart *u, u8 b)
{
	u32 head = u->rx_head, tail = __atomic_load_n(&u->rx_tail, __ATOMIC_ACQUIRE);

	if (head - tail >= VUART_RX_SIZE) {
		u->rx_dropped++;
		return false;
	}
	u->rx[head % VUART_RX_SIZE] = b;
	__atomic_store_n(&u->rx_head, head + 1, __ATOMIC_RELEASE);     /* the byte before the index */
	return true;
}

u32 vuart_rx_waiting(const struct vuart *u)
{
	return __atomic_load_n(&u->rx_head, __ATOMIC_ACQUIRE) - __atomic_load_n(&u->rx_tail, __ATOMIC_ACQUIRE);
}

static bool rx_ready(const struct vuart *u)
{
	return vuart_rx_waiting(u) != 0;
}

/* RBR: the oldest received byte, 0 when none waits (the data sheet leaves it unspecified). */
static u8 rx_get(struct vuart *u)
{
	if (!rx_ready(u))
		return 0;
	u8 b = u->rx[u->rx_tail % VUART_RX_SIZE];
	__atomic_store_n(&u->rx_tail, u->rx_tail + 1, __ATOMIC_RELEASE);
	return b;
}

bool vuart_claims(const struct vuart *u, u16 port)
{
	return port >= u->base && port - u->base < 8;
}

static void emit(struct vuart *u, bool partial)
{
	u->line[u->len] = '\0';
	u->out(u->ctx, u->line, partial);
	u->len = 0;
}

static void put(struct vuart *u, u8 c)
{
	u->bytes++;
	if (c == '\r')
		return;
	if (c == '\n') {
		emit(u, false);
		return;
	}
	/* Cut before a byte that does not fit, so a line of exactly the maximum is whole. */
	if (u->len == VUART_LINE_MAX)
		emit(u, true);
	u->line[u->len++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
}

/* In loopback, MSR bits 7:4 are OUT2, OUT1, DTR, RTS (data sheet, MCR bit 4). */
static u8 msr(const struct vuart *u)
{
	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	return (u->mcr & UART_MCR_OUT2 ? UART_MSR_DCD : 0) | (u->mcr & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
	       (u->mcr & UART_MCR_DTR ? UART_MSR_DSR : 0) | (u->mcr & UART_MCR_RTS ? UART_MSR_CTS : 0);
}

u8 vuart_in(struct vuart *u, u16 port)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	if (!vuart_claims(u, port))
		return 0xff;
	switch (port - u->base) {
	case UART_RBR_THR:
		return dlab ? u->dll : rx_get(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR:
		return UART_IIR_NONE | (u->fcr & UART_FCR_ENABLE ? UART_IIR_FIFO : 0);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT | (rx_ready(u) ? UART_LSR_DR : 0);
	case UART_MSR:
		return msr(u);
	default:
		return u->scr;
	}
}

void vuart_out(struct vuart *u, u16 port, u8 val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	if (!vuart_claims(u, port))
		return;
	switch (port - u->base) {
	case UART_RBR_THR:
		if (dlab)
			u->dll = val;
		else if (u->mcr & UART_MCR_LOOP)
			u->bytes++;
		else
			put(u, val);
		break;
	case UART_IER:
		if (dlab)
			u->dlm = val;
		else
			u->ier = val & UART_IER_MASK;
		break;
	case UART_IIR_FCR:
		u->fcr = val & UART_FCR_KEEP;
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & UART_MCR_MASK;
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default:
		break;          /* LSR and MSR are read-only */
	}
}

void vuart_flush(struct vuart *u)
{
	if (u->len)
		emit(u, false);
}
