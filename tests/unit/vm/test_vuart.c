/*
 * Host tests for vm/dev/vuart.c: the 16550 register file as a polling driver
 * and Linux's 8250 probe see it, and the line-buffered output (one callback
 * per line, '\r' dropped, control bytes as '.', long lines cut).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/dev/vuart.h"

#define BASE 0x3f8

static struct vuart u;
static char lines[8][VUART_LINE_MAX + 1];
static bool partial[8];
static unsigned nr_lines;
static int ctx_tag;

static void out(void *ctx, const char *line, bool part)
{
	assert_ptr_equal(ctx, &ctx_tag);
	assert_true(nr_lines < 8);
	assert_true(strlen(line) <= VUART_LINE_MAX);
	strcpy(lines[nr_lines], line);
	partial[nr_lines++] = part;
}

static int setup(void **state)
{
	(void)state;
	nr_lines = 0;
	vuart_init(&u, BASE, out, &ctx_tag);
	return 0;
}

static void puts_(const char *s)
{
	for (; *s; s++)
		vuart_out(&u, BASE, (u8)*s);
}

static void claims_its_eight_ports(void **state)
{
	(void)state;
	assert_false(vuart_claims(&u, BASE - 1));
	for (u16 p = BASE; p < BASE + 8; p++)
		assert_true(vuart_claims(&u, p));
	assert_false(vuart_claims(&u, BASE + 8));
	assert_false(vuart_claims(&u, 0x2f8));
	assert_int_equal(vuart_in(&u, 0x2f8), 0xff);
	vuart_out(&u, 0x2f8, 'x');
	assert_int_equal(u.bytes, 0);
}

static void status_registers_say_ready_and_idle(void **state)
{
	(void)state;
	assert_int_equal(vuart_in(&u, BASE + 5), 0x60);         /* LSR: THRE|TEMT, no data */
	assert_int_equal(vuart_in(&u, BASE + 2), 0x01);         /* IIR: no interrupt */
	assert_int_equal(vuart_in(&u, BASE + 0), 0);            /* RBR: nothing received */
	assert_int_equal(vuart_in(&u, BASE + 6), 0xb0);         /* MSR: DCD|DSR|CTS */
	vuart_out(&u, BASE + 2, 0xc7);                          /* FCR: enable, clear both, trigger 14 */
	assert_int_equal(vuart_in(&u, BASE + 2), 0xc1);
	assert_int_equal(u.fcr, 0xc1);
	vuart_out(&u, BASE + 2, 0x00);
	assert_int_equal(vuart_in(&u, BASE + 2), 0x01);
	vuart_out(&u, BASE + 5, 0x00);                          /* LSR and MSR are read-only */
	vuart_out(&u, BASE + 6, 0x00);
	assert_int_equal(vuart_in(&u, BASE + 5), 0x60);
	assert_int_equal(vuart_in(&u, BASE + 6), 0xb0);
}

static void received_bytes_wait_in_order_with_lsr_dr(void **state)
{
	(void)state;
	assert_true(vuart_rx_put(&u, 'h'));
	assert_true(vuart_rx_put(&u, 'i'));
	assert_int_equal(vuart_in(&u, BASE + 5), 0x61);         /* LSR: DR with THRE|TEMT */
	vuart_out(&u, BASE + 3, 0x80);                          /* DLAB: RBR's port is DLL, nothing taken */
	assert_int_equal(vuart_in(&u, BASE + 0), 0);
	vuart_out(&u, BASE + 3, 0x03);
	assert_int_equal(vuart_in(&u, BASE + 0), 'h');
	assert_int_equal(vuart_in(&u, BASE + 5), 0x61);
	assert_int_equal(vuart_in(&u, BASE + 0), 'i');
	assert_int_equal(vuart_in(&u, BASE + 5), 0x60);         /* drained */
	assert_int_equal(vuart_in(&u, BASE + 0), 0);
	/* A full ring drops and counts; the bytes kept come out whole, in order, across the wrap. */
	for (unsigned i = 0; i < VUART_RX_SIZE; i++)
		assert_true(vuart_rx_put(&u, (u8)i));
	assert_false(vuart_rx_put(&u, 0xee));
	assert_int_equal(u.rx_dropped, 1);
	for (unsigned i = 0; i < VUART_RX_SIZE; i++)
		assert_int_equal(vuart_in(&u, BASE + 0), (u8)i);
	assert_int_equal(vuart_in(&u, BASE + 5), 0x60);
}

static void dlab_switches_to_the_divisor(void **state)
{
	(void)state;
	vuart_out(&u, BASE + 1, 0xff);                          /* IER keeps bits 3:0 */
	assert_int_equal(vuart_in(&u, BASE + 1), 0x0f);
	vuart_out(&u, BASE + 3, 0x83);                          /* DLAB, 8N1 */
	vuart_out(&u, BASE + 0, 0x01);                          /* 115200 baud */
	vuart_out(&u, BASE + 1, 0x00);
	assert_int_equal(vuart_in(&u, BASE + 0), 0x01);
	assert_int_equal(vuart_in(&u, BASE + 1), 0x00);
	assert_int_equal(vuart_in(&u, BASE + 3), 0x83);
	assert_int_equal(u.bytes, 0);                           /* the divisor write was no output */
	vuart_out(&u, BASE + 3, 0x03);
	assert_int_equal(vuart_in(&u, BASE + 1), 0x0f);         /* IER untouched by the DLM write */
	assert_int_equal(vuart_in(&u, BASE + 0), 0);
	assert_int_equal(u.dll, 1);
}

static void scratch_and_modem_control(void **state)
{
	(void)state;
	vuart_out(&u, BASE + 7, 0x5a);
	assert_int_equal(vuart_in(&u, BASE + 7), 0x5a);
	vuart_out(&u, BASE + 4, 0xff);
	assert_int_equal(vuart_in(&u, BASE + 4), 0x1f);
	/* Linux 8250 autoconfig: MCR = LOOP|OUT2|RTS must read MSR 7:4 = DCD|CTS. */
	vuart_out(&u, BASE + 4, 0x1a);
	assert_int_equal(vuart_in(&u, BASE + 6) & 0xf0, 0x90);
	vuart_out(&u, BASE + 4, 0x15);                          /* LOOP|OUT1|DTR: RI|DSR */
	assert_int_equal(vuart_in(&u, BASE + 6), 0x60);
	/* Bytes sent in loopback are not output. */
	puts_("probe\n");
	assert_int_equal(nr_lines, 0);
	assert_int_equal(u.bytes, 6);
	vuart_out(&u, BASE + 4, 0x0b);
	assert_int_equal(vuart_in(&u, BASE + 6), 0xb0);
}

static void output_is_line_buffered(void **state)
{
	(void)state;
	puts_("hello, ");
	assert_int_equal(nr_lines, 0);
	puts_("world\r\nsecond\n\n");
	assert_int_equal(nr_lines, 3);
	assert_string_equal(lines[0], "hello, world");
	assert_string_equal(lines[1], "second");
	assert_string_equal(lines[2], "");
	assert_false(partial[0] || partial[1] || partial[2]);
	assert_int_equal(u.bytes, 22);
}

static void control_bytes_show_as_dots(void **state)
{
	(void)state;
	puts_("a\tb\x1b[0m\x7f\xff" "c\n");
	assert_int_equal(nr_lines, 1);
	assert_string_equal(lines[0], "a.b.[0m..c");
}

static void long_lines_are_cut(void **state)
{
	(void)state;
	for (int i = 0; i < VUART_LINE_MAX; i++)
		vuart_out(&u, BASE, 'x');
	assert_int_equal(nr_lines, 0);
	vuart_out(&u, BASE, '\n');                              /* exactly the maximum: one whole line */
	assert_int_equal(nr_lines, 1);
	assert_int_equal(strlen(lines[0]), VUART_LINE_MAX);
	assert_false(partial[0]);

	for (int i = 0; i < VUART_LINE_MAX + 5; i++)
		vuart_out(&u, BASE, (u8)('0' + i % 10));
	assert_int_equal(nr_lines, 2);
	assert_int_equal(strlen(lines[1]), VUART_LINE_MAX);
	assert_true(partial[1]);
	vuart_out(&u, BASE, '\n');
	assert_int_equal(nr_lines, 3);
	assert_string_equal(lines[2], "01234");
	assert_false(partial[2]);
}

static void flush_emits_the_rest_once(void **state)
{
	(void)state;
	vuart_flush(&u);
	assert_int_equal(nr_lines, 0);
	puts_("no newline");
	vuart_flush(&u);
	assert_int_equal(nr_lines, 1);
	assert_string_equal(lines[0], "no newline");
	assert_false(partial[0]);
	vuart_flush(&u);
	assert_int_equal(nr_lines, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(claims_its_eight_ports, setup),
		cmocka_unit_test_setup(status_registers_say_ready_and_idle, setup),
		cmocka_unit_test_setup(dlab_switches_to_the_divisor, setup),
		cmocka_unit_test_setup(received_bytes_wait_in_order_with_lsr_dr, setup),
		cmocka_unit_test_setup(scratch_and_modem_control, setup),
		cmocka_unit_test_setup(output_is_line_buffered, setup),
		cmocka_unit_test_setup(control_bytes_show_as_dots, setup),
		cmocka_unit_test_setup(long_lines_are_cut, setup),
		cmocka_unit_test_setup(flush_emits_the_rest_once, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
