/*
 * The loader's messages: one line each, "sluice-efi: ...", written both to
 * the UEFI console (ConOut, §12.4 Simple Text Output) and straight to the
 * COM1 16550, because tests read COM1 and ConOut may not reach it. When a
 * text console already sits on a UART (§10.3.4.11 UART device path node, as
 * OVMF sets up), COM1 is left to ConOut so lines do not appear twice. After
 * ExitBootServices only COM1 is left. Formatting is a small printf subset.
 * Spec: TI PC16550D UART datasheet (SNLS378C), Table 2 "Register Summary".
 */
#include "boot/efi/loader.h"

#define COM1_BASE               0x3f8
#define UART_THR                0       /* Transmitter Holding, WO (DLAB=0) */
#define UART_DLL                0       /* Divisor Latch LSB (DLAB=1) */
#define UART_IER                1       /* Interrupt Enable (DLAB=0) */
#define UART_DLM                1       /* Divisor Latch MSB (DLAB=1) */
#define UART_FCR                2       /* FIFO Control, WO */
#define  UART_FCR_ENABLE        BIT_ULL(0)
#define  UART_FCR_CLEAR         (BIT_ULL(1) | BIT_ULL(2))       /* RCVR, XMIT reset */
#define UART_LCR                3       /* Line Control */
#define  UART_LCR_8N1           0x03    /* 8 data bits, no parity, 1 stop */
#define  UART_LCR_DLAB          BIT_ULL(7)
#define UART_MCR                4       /* Modem Control */
#define  UART_MCR_DTR_RTS       0x03
#define UART_LSR                5       /* Line Status, RO */
#define  UART_LSR_THRE          BIT_ULL(5)      /* THR empty */
#define UART_DIVISOR_115200     1       /* 1.8432 MHz / (16 * 115200) */
#define UART_THRE_SPINS         100000  /* ~10 ms of port reads; then write anyway */

#define LINE_MAX                256

static bool conout_gone;
static bool conout_on_uart;     /* ConOut already reaches a serial port */

#define DP_TYPE_MESSAGING       3
#define DP_SUBTYPE_UART         14
#define DP_TYPE_END             0x7f

/* True when some Simple Text Output handle's device path has a UART node. */
static bool text_out_on_uart(void)
{
	EFI_HANDLE *handles = NULL;
	UINTN n = 0;
	bool found = false;

	if (EFI_ERROR(uefi_call_wrapper(BS->LocateHandleBuffer, 5, ByProtocol,
					&gEfiSimpleTextOutProtocolGuid, NULL, &n, &handles)))
		return false;
	for (UINTN i = 0; i < n && !found; i++) {
		EFI_DEVICE_PATH *dp = NULL;
		if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, handles[i],
						&gEfiDevicePathProtocolGuid, (void **)&dp)) || !dp)
			continue;
		/* Bounded walk: a device path is short; a zero length ends it. */
		for (unsigned k = 0; k < 64 && dp->Type != DP_TYPE_END; k++) {
			UINT16 len = (UINT16)(dp->Length[0] | dp->Length[1] << 8);
			if (dp->Type == DP_TYPE_MESSAGING && dp->SubType == DP_SUBTYPE_UART) {
				found = true;
				break;
			}
			if (len < 4)
				break;
			dp = (EFI_DEVICE_PATH *)((u8 *)dp + len);
		}
	}
	uefi_call_wrapper(BS->FreePool, 1, handles);
	return found;
}

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* 115200 8N1, FIFOs on, interrupts off. OVMF uses the same settings. */
void con_init(void)
{
	outb(COM1_BASE + UART_IER, 0);
	outb(COM1_BASE + UART_LCR, UART_LCR_DLAB);
	outb(COM1_BASE + UART_DLL, UART_DIVISOR_115200 & 0xff);
	outb(COM1_BASE + UART_DLM, UART_DIVISOR_115200 >> 8);
	outb(COM1_BASE + UART_LCR, UART_LCR_8N1);
	outb(COM1_BASE + UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR);
	outb(COM1_BASE + UART_MCR, UART_MCR_DTR_RTS);
	conout_on_uart = ST && ST->ConOut && BS && text_out_on_uart();
}

/* A missing UART reads 0xff (THRE set), so the bounded wait never stalls. */
static void com1_putc(char c)
{
	u32 spins = UART_THRE_SPINS;

	while (!(inb(COM1_BASE + UART_LSR) & UART_LSR_THRE) && --spins)
		;
	outb(COM1_BASE + UART_THR, (u8)c);
}

void con_boot_services_gone(void)
{
	conout_gone = true;
}

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len++] = c;
}

static void put_num(struct out *o, u64 v, unsigned base, bool neg,
		    unsigned width, char pad)
{
	char digits[24];
	unsigned n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		digits[n++] = '-';
	while (width > n) {
		put(o, pad);
		width--;
	}
	while (n)
		put(o, digits[--n]);
}

/* Conversions: %s %c %d %u %x %p %%, flag '0', width, length l ll z. */
static void vformat(struct out *o, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		unsigned width = 0, longs = 0;
		char pad = ' ';
		const char *s;
		u64 v;
		s64 sv;

		if (*fmt != '%') {
			put(o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			longs++, fmt++;
		switch (*fmt) {
		case 's':
			s = va_arg(ap, const char *);
			for (s = s ? s : "(null)"; *s; s++)
				put(o, *s);
			break;
		case 'c':
			put(o, (char)va_arg(ap, int));
			break;
		case 'd':
			sv = longs ? va_arg(ap, s64) : va_arg(ap, int);
			put_num(o, sv < 0 ? 0 - (u64)sv : (u64)sv, 10, sv < 0, width, pad);
			break;
		case 'u':
		case 'x':
			v = longs ? va_arg(ap, u64) : va_arg(ap, unsigned);
			put_num(o, v, *fmt == 'u' ? 10 : 16, false, width, pad);
			break;
		case 'p':
			put(o, '0'), put(o, 'x');
			put_num(o, (u64)(uintptr_t)va_arg(ap, void *), 16, false, 16, '0');
			break;
		case '%':
			put(o, '%');
			break;
		default:        /* unknown or truncated: show it rather than guess */
			put(o, '%');
			if (!*fmt)
				return;
			put(o, *fmt);
		}
	}
}

/* Writes "sluice-efi: <prefix><text><suffix>\r\n" to both consoles. */
static void emit(const char *prefix, const char *suffix, const char *fmt, va_list ap)
{
	char line[LINE_MAX];
	CHAR16 wide[LINE_MAX];
	struct out o = { line, sizeof(line) - 2, 0 };
	const char *s;
	size_t i;

	for (s = LOADER_NAME ": "; *s; s++)
		put(&o, *s);
	for (s = prefix; *s; s++)
		put(&o, *s);
	vformat(&o, fmt, ap);
	for (s = suffix; *s; s++)
		put(&o, *s);
	line[o.len++] = '\r';
	line[o.len++] = '\n';

	if (!conout_gone && ST && ST->ConOut) {
		for (i = 0; i < o.len; i++)
			wide[i] = (CHAR16)(u8)line[i];
		wide[i] = 0;
		uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, wide);
	}
	if (conout_gone || !conout_on_uart)
		for (i = 0; i < o.len; i++)
			com1_putc(line[i]);
}

void con_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("", "", fmt, ap);
	va_end(ap);
}

static void format(struct out *o, const char *fmt, ...) __printf(2, 3);
static void format(struct out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(o, fmt, ap);
	va_end(ap);
}

EFI_STATUS con_fail(EFI_STATUS st, const char *fmt, ...)
{
	char suffix[48];
	struct out o = { suffix, sizeof(suffix), 0 };
	const char *name = efi_status_name(st);
	va_list ap;

	if (name)
		format(&o, " (%s)", name);
	else
		format(&o, " (status 0x%lx)", (u64)st);
	suffix[o.len] = '\0';
	va_start(ap, fmt);
	emit("ERROR: ", suffix, fmt, ap);
	va_end(ap);
	return st;
}

/* The spec's name for a status, or NULL for one not listed here. */
const char *efi_status_name(EFI_STATUS st)
{
	static const struct { EFI_STATUS st; const char *name; } names[] = {
		{ EFI_SUCCESS, "EFI_SUCCESS" },
		{ EFI_LOAD_ERROR, "EFI_LOAD_ERROR" },
		{ EFI_INVALID_PARAMETER, "EFI_INVALID_PARAMETER" },
		{ EFI_UNSUPPORTED, "EFI_UNSUPPORTED" },
		{ EFI_BUFFER_TOO_SMALL, "EFI_BUFFER_TOO_SMALL" },
		{ EFI_DEVICE_ERROR, "EFI_DEVICE_ERROR" },
		{ EFI_VOLUME_CORRUPTED, "EFI_VOLUME_CORRUPTED" },
		{ EFI_OUT_OF_RESOURCES, "EFI_OUT_OF_RESOURCES" },
		{ EFI_NOT_FOUND, "EFI_NOT_FOUND" },
		{ EFI_ACCESS_DENIED, "EFI_ACCESS_DENIED" },
		{ EFI_NO_MEDIA, "EFI_NO_MEDIA" },
		{ EFI_MEDIA_CHANGED, "EFI_MEDIA_CHANGED" },
		{ EFI_END_OF_FILE, "EFI_END_OF_FILE" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].st == st)
			return names[i].name;
	return NULL;
}
