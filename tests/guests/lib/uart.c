/*
 * COM1 output as a polling 16550 driver does it (TI PC16550D data sheet,
 * "Line Status Register": bit 5 THRE, the holding register is empty), and
 * a printf subset with no libc. No input, no interrupts, no FIFO set-up:
 * Sluice's virtual UART and QEMU's both accept bytes as they come.
 */
#include "tests/guests/lib/uart.h"

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

struct out {
	char *buf;
	size_t size, len;
};

static void emit(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/*
 * *v /= base, returning the remainder, by shift and subtract: a 32-bit
 * build (the Multiboot kernel) has no libgcc for 64-bit division.
 */
static unsigned divmod(unsigned long long *v, unsigned base)
{
	unsigned long long q = 0;
	unsigned r = 0;

	for (int i = 63; i >= 0; i--) {
		r = r << 1 | (unsigned)((*v >> i) & 1);
		if (r >= base) {
			r -= base;
			q |= 1ULL << i;
		}
	}
	*v = q;
	return r;
}

static void emit_num(struct out *o, unsigned long long v, unsigned base, bool upper, bool neg, int width,
		     bool zero, bool left)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	do {
		unsigned r = divmod(&v, base);
		tmp[n++] = digits[r];
	} while (v);
	int len = n + (neg ? 1 : 0);
	if (neg && zero)
		emit(o, '-');
	for (int i = len; !left && i < width; i++)
		emit(o, zero ? '0' : ' ');
	if (neg && !zero)
		emit(o, '-');
	while (n)
		emit(o, tmp[--n]);
	for (int i = len; left && i < width; i++)
		emit(o, ' ');
}

int gvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			emit(&o, *fmt);
			continue;
		}
		bool left = false, zero = false;
		int width = 0, lng = 0;
		for (fmt++; *fmt == '-' || *fmt == '0'; fmt++) {
			left |= *fmt == '-';
			zero |= *fmt == '0';
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng++;
		zero &= !left;
		switch (*fmt) {
		case 'd':
		case 'i': {
			long long v = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
			unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
			emit_num(&o, m, 10, false, v < 0, width, zero, left);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long) :
					       lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			emit_num(&o, v, *fmt == 'u' ? 10 : 16, *fmt == 'X', false, width, zero, left);
			break;
		}
		case 'p':
			emit(&o, '0');
			emit(&o, 'x');
			emit_num(&o, (uintptr_t)va_arg(ap, void *), 16, false, false, width, zero, left);
			break;
		case 'c':
			emit(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int n = 0;
			if (!s)
				s = "(null)";
			while (s[n])
				n++;
			for (int i = n; !left && i < width; i++)
				emit(&o, ' ');
			for (int i = 0; i < n; i++)
				emit(&o, s[i]);
			for (int i = n; left && i < width; i++)
				emit(&o, ' ');
			break;
		}
		case '%':
			emit(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:        /* unknown conversion: shown as written */
			emit(&o, '%');
			emit(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int gsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = gvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int gprintf(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	int n = gvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	con_write(line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
	return n;
}
