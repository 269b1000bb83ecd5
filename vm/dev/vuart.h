/*
 * A virtual 16550 at COM1 (ports base..base+7) for one partition: enough
 * of the register file that a polling driver (Linux's 8250, a Multiboot
 * kernel's putchar) works: THR/RBR, IER, IIR/FCR, LCR (DLAB: DLL/DLM),
 * MCR, LSR (THRE|TEMT always; DR while received bytes wait), MSR, SCR.
 * Received bytes come from the operator console (`console NAME`) through
 * a small ring another CPU fills; no receive interrupt. Output is
 * line-buffered: a complete line (or a full buffer) goes to out() at once,
 * so two partitions' lines never interleave mid-line. Portable.
 */
#ifndef VM_VUART_H
#define VM_VUART_H
#include "kernel/types.h"

#define VUART_LINE_MAX          200
#define VUART_RX_SIZE           64      /* received bytes waiting; a power of two */

struct vuart {
	u16 base;
	u8 ier, lcr, mcr, scr, dll, dlm, fcr;
	u32 len;
	char line[VUART_LINE_MAX + 1];
	/* Gets one line without its '\n' (NUL-ended); partial says it was cut at VUART_LINE_MAX. */
	void (*out)(void *ctx, const char *line, bool partial);
	void *ctx;
	u64 bytes;              /* written to THR, for counters */
	/* Received bytes: rx_head written by the feeding CPU, rx_tail by the guest's (atomic). */
	u8 rx[VUART_RX_SIZE];
	u32 rx_head, rx_tail;
	u64 rx_dropped;         /* fed while the ring was full */
};

void vuart_init(struct vuart *u, u16 base, void (*out)(void *, const char *, bool), void *ctx);
/* Whether port belongs to this UART. */
bool vuart_claims(const struct vuart *u, u16 port);
/* One byte-wide access (wider accesses are split by the caller). */
u8 vuart_in(struct vuart *u, u16 port);
void vuart_out(struct vuart *u, u16 port, u8 val);
/*
 * One byte received, for the guest to read at RBR (any CPU; one feeder at a
 * time). false when VUART_RX_SIZE bytes already wait: dropped, counted.
 */
bool vuart_rx_put(struct vuart *u, u8 b);
/* Received bytes the guest has not read yet (any CPU: a snapshot). */
u32 vuart_rx_waiting(const struct vuart *u);
/* Emits what is buffered (the partition ended). '\r' is dropped, other control bytes shown as '.'. */
void vuart_flush(struct vuart *u);

#endif
