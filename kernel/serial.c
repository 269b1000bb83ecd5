/*
 * Which UART carries the log (kernel/serial.h): COM1 first, then the
 * command line's, SPCR's or COM1 again, with the early log replayed on a
 * new one. Runs on the boot CPU before the others start.
 */
#define LOG_SUBSYS "console"
#include "kernel/serial.h"
#include "kernel/spcr.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "kernel/lib.h"

static const struct uart_port com1 = { .space = UART_SPACE_IO, .base = COM1_BASE, .reg_width = 8, .baud = 115200 };
static char early[SERIAL_EARLY_MAX];
static size_t early_len;
static u64 early_lost;          /* bytes past SERIAL_EARLY_MAX */
static bool keeping;
static bool com1_ok;

void serial_early_init(void)
{
	early_len = 0;
	early_lost = 0;
	keeping = true;
	com1_ok = !uart_init_port(&com1);
}

void serial_write(const char *s, size_t n)
{
	if (keeping) {
		size_t k = MIN(n, sizeof(early) - early_len);
		memcpy(early + early_len, s, k);
		early_len += k;
		early_lost += n - k;
	}
	uart_write(s, n);
}

void serial_flush(void)
{
	uart_flush();
}

static bool same_port(const struct uart_port *a, const struct uart_port *b)
{
	return a->space == b->space && a->base == b->base;
}

/* Switches to p; 0, or uart_init_port()'s error with COM1 back in use. */
static int switch_to(const struct uart_port *p)
{
	int ret = uart_init_port(p);
	if (ret) {
		com1_ok = !uart_init_port(&com1);
		return ret;
	}
	if (early_len)
		uart_write(early, early_len);
	return 0;
}

static const char *const source_words[] = {
	[SERIAL_FALLBACK] = "COM1",
	[SERIAL_SPCR] = "the ACPI SPCR table",
	[SERIAL_CMDLINE] = "the command line's serial=",
};

enum serial_source serial_choose(const struct uart_port *cmdline, const u8 *spcr, u32 spcr_len,
				 struct uart_port *used)
{
	char d[80];
	enum serial_source src = SERIAL_FALLBACK;
	const char *fallback_why = "no SPCR table";
	struct spcr_info si;
	const struct uart_port *want = &com1;

	keeping = false;
	if (cmdline) {
		want = cmdline;
		src = SERIAL_CMDLINE;
	} else if (spcr) {
		int ret = spcr_parse(spcr, spcr_len, &si);
		if (ret) {
			log_warn("SPCR (revision %u, interface type 0x%02x) refused: %s; COM1 stays", si.revision, si.type,
				 si.why);
			fallback_why = "SPCR refused";
		} else {
			want = &si.port;
			src = SERIAL_SPCR;
		}
	}
	if (!same_port(want, &com1)) {
		int ret = switch_to(want);
		if (ret) {
			log_warn("cannot use the UART at %s (from %s): %s; COM1 stays", uart_port_describe(want, d, sizeof(d)),
				 source_words[src], hv_strerror(ret));
			want = &com1;
			src = SERIAL_FALLBACK;
			fallback_why = "the UART chosen did not answer";
		}
	} else if (want->baud && want->baud != com1.baud && com1_ok) {
		uart_init_port(want);   /* COM1 itself at another baud rate */
	}
	if (early_lost)
		log_warn("the early log was %llu bytes past the %u kept: those did not reach this UART",
			 (unsigned long long)early_lost, SERIAL_EARLY_MAX);
	if (src == SERIAL_FALLBACK)
		log_info("log on %s: COM1, the fallback (%s)", uart_port_describe(want, d, sizeof(d)), fallback_why);
	else
		log_info("log on %s, from %s", uart_port_describe(want, d, sizeof(d)), source_words[src]);
	*used = *want;
	return src;
}
