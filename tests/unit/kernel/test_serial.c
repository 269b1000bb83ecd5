/*
 * The server's console: kernel/spcr.c on SPCR tables compiled by iasl from
 * tests/fixtures/acpi/spcr_*.asl (and copies patched where iasl 2020 knows
 * no field: revision 3's UART clock, revision 4's precise baud rate),
 * kernel/uart16550.c on an I/O port and in MMIO, and kernel/serial.c's
 * choice (serial=, SPCR, COM1) with the early log replayed on the new UART.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/spcr.h"
#include "kernel/serial.h"
#include "kernel/uart16550.h"
#include "kernel/acpi_hw.h"
#include "kernel/err.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_io.h"
#include "tests/fakes/fake_log.h"

#ifndef ACPI_FIXTURE_DIR
#define ACPI_FIXTURE_DIR        "build/host/fixtures/acpi"
#endif
#define MMIO_UART_PA            0xfe030000ULL
#define TABLE_MAX               256

static u8 table[TABLE_MAX];
static u32 table_len;

/* Reads NAME.aml into table[]. */
static void load(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s.aml", ACPI_FIXTURE_DIR, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (build it with make build/host/test_serial)", path);
	memset(table, 0, sizeof(table));
	table_len = (u32)fread(table, 1, sizeof(table), f);
	fclose(f);
	assert_int_equal(table_len, get_le32(table + ACPI_HDR_LENGTH));
}

static void put32(u32 off, u32 v)
{
	for (unsigned i = 0; i < 4; i++)
		table[off + i] = (u8)(v >> (8 * i));
}

/* A UART at uart_io_base (its LSR always ready); every other port floats. */
static u16 uart_io_base;
static u32 io_hook(u16 port, u8 width)
{
	(void)width;
	if (!uart_io_base || port < uart_io_base || port >= uart_io_base + 8)
		return 0xff;
	if (port == uart_io_base + 5)
		return 0x60;    /* THRE and TEMT */
	return 0;
}

/* What reached the transmit register of the I/O UART at base (after the scratch test), as text. */
static const char *sent_on(u16 base)
{
	static char text[4096];
	size_t n = 0;
	bool dlab = false;
	for (unsigned i = 0; i < fake_pio_nr && n + 1 < sizeof(text); i++) {
		if (fake_pio_log[i].port == base + 3)
			dlab = fake_pio_log[i].val & 0x80;
		else if (fake_pio_log[i].port == base && !dlab && fake_pio_log[i].val != '\r')
			text[n++] = (char)fake_pio_log[i].val;
	}
	text[n] = '\0';
	return text;
}

static u32 scratch_hook(u16 port, u8 width)
{
	/* The scratch register reads back the last value written to it. */
	if (uart_io_base && port == uart_io_base + 7) {
		u8 v = 0;
		for (unsigned i = 0; i < fake_pio_nr; i++)
			if (fake_pio_log[i].port == port)
				v = (u8)fake_pio_log[i].val;
		return v;
	}
	return io_hook(port, width);
}

static int setup(void **state)
{
	(void)state;
	fake_hw_reset();
	fake_io_reset();
	fake_log_capture();
	uart_io_base = 0;
	fake_pio_read_hook = scratch_hook;
	return 0;
}

/* ---- spcr_parse ---------------------------------------------------------- */

static void spcr_com2_is_an_io_uart_at_0x2f8_at_115200(void **state)
{
	(void)state;
	struct spcr_info si;
	load("spcr_com2");
	assert_int_equal(spcr_parse(table, table_len, &si), 0);
	assert_int_equal(si.revision, 2);
	assert_int_equal(si.type, 0x00);
	assert_int_equal(si.port.space, UART_SPACE_IO);
	assert_int_equal(si.port.base, 0x2f8);
	assert_int_equal(si.port.reg_width, 8);
	assert_int_equal(si.port.baud, 115200);
	assert_int_equal(si.port.clock_hz, 0);
}

static void spcr_mmio32_has_32_bit_registers_and_keeps_the_baud_rate(void **state)
{
	(void)state;
	struct spcr_info si;
	load("spcr_mmio32");
	assert_int_equal(spcr_parse(table, table_len, &si), 0);
	assert_int_equal(si.type, 0x12);
	assert_int_equal(si.port.space, UART_SPACE_MMIO);
	assert_int_equal(si.port.base, MMIO_UART_PA);
	assert_int_equal(si.port.reg_width, 32);
	assert_int_equal(si.port.baud, 0);
}

static void spcr_width_comes_from_bit_width_when_access_size_is_legacy(void **state)
{
	(void)state;
	struct spcr_info si;
	load("spcr_mmio32");
	table[ACPI_SPCR_BASE_ADDRESS + ACPI_GAS_ACCESS_SIZE] = 0;
	table[ACPI_SPCR_BASE_ADDRESS + ACPI_GAS_BIT_WIDTH] = 8;
	assert_int_equal(spcr_parse(table, table_len, &si), 0);
	assert_int_equal(si.port.reg_width, 8);
	table[ACPI_SPCR_BASE_ADDRESS + ACPI_GAS_ACCESS_SIZE] = ACPI_GAS_ACCESS_WORD;
	assert_int_equal(spcr_parse(table, table_len, &si), -HV_ENOTSUP);
	assert_non_null(strstr(si.why, "neither 8 nor 32"));
}

static void spcr_revision_3_clock_and_revision_4_precise_baud_are_read(void **state)
{
	(void)state;
	struct spcr_info si;
	load("spcr_mmio32");
	table[ACPI_HDR_REVISION] = 3;
	put32(ACPI_SPCR_UART_CLOCK, 48000000);
	assert_int_equal(spcr_parse(table, table_len, &si), 0);
	assert_int_equal(si.port.clock_hz, 48000000);
	assert_int_equal(si.port.baud, 0);
	/* Revision 4 is 4 bytes longer (and more: the namespace string). */
	table[ACPI_HDR_REVISION] = 4;
	table_len = ACPI_SPCR_REV4_SIZE + 4;
	put32(ACPI_HDR_LENGTH, table_len);
	put32(ACPI_SPCR_PRECISE_BAUD, 1500000);
	assert_int_equal(spcr_parse(table, table_len, &si), 0);
	assert_int_equal(si.port.baud, 1500000);
	/* Revision 2 does not have the clock: the same bytes mean nothing there. */
	table[ACPI_HDR_REVISION] = 2;
	assert_int_equal(spcr_parse(table, table_len, &si), 0);
	assert_int_equal(si.port.clock_hz, 0);
	assert_int_equal(si.port.baud, 0);
}

static void spcr_refuses_what_is_not_a_16550(void **state)
{
	(void)state;
	struct spcr_info si;
	load("spcr_pl011");
	assert_int_equal(spcr_parse(table, table_len, &si), -HV_ENOTSUP);
	assert_int_equal(si.type, 0x03);
	assert_non_null(strstr(si.why, "not a 16550"));
}

static void spcr_with_base_0_means_redirection_off(void **state)
{
	(void)state;
	struct spcr_info si;
	load("spcr_off");
	assert_int_equal(spcr_parse(table, table_len, &si), -HV_ENODEV);
	assert_non_null(strstr(si.why, "redirection is off"));
}

static void spcr_refuses_bad_fields_one_by_one(void **state)
{
	(void)state;
	static const struct { u32 off; u8 val; const char *why; } bad[] = {
		{ ACPI_SPCR_BAUD_RATE, 5, "baud rate code" },
		{ ACPI_SPCR_PARITY, 1, "parity" },
		{ ACPI_SPCR_STOP_BITS, 2, "stop bits" },
		{ ACPI_SPCR_BASE_ADDRESS + ACPI_GAS_BIT_OFFSET, 8, "bit offset" },
		{ ACPI_SPCR_BASE_ADDRESS + ACPI_GAS_ACCESS_SIZE, ACPI_GAS_ACCESS_WORD, "I/O port UART" },
		{ ACPI_SPCR_BASE_ADDRESS + ACPI_GAS_SPACE_ID, 2, "neither in system I/O" },
		{ ACPI_SPCR_INTERFACE_TYPE, 0x0e, "not a 16550" },
	};
	struct spcr_info si;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		load("spcr_com2");
		table[bad[i].off] = bad[i].val;
		assert_int_not_equal(spcr_parse(table, table_len, &si), 0);
		if (!strstr(si.why, bad[i].why))
			fail_msg("byte %u = 0x%x: refused as '%s', not for '%s'", bad[i].off, bad[i].val, si.why, bad[i].why);
	}
}

static void spcr_refuses_short_or_foreign_tables(void **state)
{
	(void)state;
	struct spcr_info si;
	load("spcr_com2");
	assert_int_equal(spcr_parse(table, ACPI_SPCR_REV2_SIZE - 1, &si), -HV_EINVAL);
	assert_non_null(strstr(si.why, "longer than the bytes given"));
	put32(ACPI_HDR_LENGTH, 60);
	assert_int_equal(spcr_parse(table, table_len, &si), -HV_EINVAL);
	assert_non_null(strstr(si.why, "shorter than the 80 bytes"));
	load("spcr_com2");
	memcpy(table, "HPET", 4);
	assert_int_equal(spcr_parse(table, table_len, &si), -HV_EINVAL);
	assert_non_null(strstr(si.why, "not an SPCR"));
}

/* ---- uart16550 in MMIO ---------------------------------------------------- */

static void mmio32_uart_writes_registers_4_bytes_apart(void **state)
{
	(void)state;
	struct io_region *r = fake_io_add(MMIO_UART_PA, 32);
	struct uart_port p = { .space = UART_SPACE_MMIO, .base = MMIO_UART_PA, .reg_width = 32, .baud = 57600 };
	fake_io_set32(r, 5 * 4, 0x60);          /* LSR: THRE, TEMT */
	assert_int_equal(uart_init_port(&p), 0);
	assert_int_equal(fake_io_get32(r, 7 * 4), 0x5a);        /* scratch kept */
	assert_int_equal(fake_io_writes_to(MMIO_UART_PA, 3 * 4), 2);  /* LCR: DLAB, then 8N1 */
	assert_int_equal(fake_io_get32(r, 3 * 4), 0x03);
	assert_int_equal(fake_io_get32(r, 1 * 4), 0);   /* DLM of divisor 2 (last write there: IER 0 came first) */
	unsigned before = fake_io_writes_to(MMIO_UART_PA, 0);
	uart_write("ok\n", 3);
	assert_int_equal(fake_io_writes_to(MMIO_UART_PA, 0) - before, 4);
	assert_int_equal(fake_io_get32(r, 0), '\n');
	for (unsigned i = 0; i < fake_io_nr; i++)
		assert_int_equal(fake_io_log[i].width, 4);
}

static void mmio8_uart_writes_bytes_and_baud_0_keeps_the_divisor(void **state)
{
	(void)state;
	struct io_region *r = fake_io_add(MMIO_UART_PA, 8);
	struct uart_port p = { .space = UART_SPACE_MMIO, .base = MMIO_UART_PA, .reg_width = 8, .baud = 0 };
	fake_io_set32(r, 4, 0x6000);            /* LSR (byte 5): THRE, TEMT */
	assert_int_equal(uart_init_port(&p), 0);
	assert_int_equal(fake_io_writes_to(MMIO_UART_PA, 3), 1);     /* LCR once: no DLAB */
	uart_write("x", 1);
	for (unsigned i = 0; i < fake_io_nr; i++)
		assert_int_equal(fake_io_log[i].width, 1);
}

static void uart_refuses_ports_it_cannot_drive(void **state)
{
	(void)state;
	struct uart_port p = { .space = UART_SPACE_MMIO, .base = MMIO_UART_PA, .reg_width = 16, .baud = 115200 };
	assert_int_equal(uart_init_port(&p), -HV_EINVAL);
	p.reg_width = 32;
	assert_int_equal(uart_init_port(&p), -HV_ERANGE);       /* nothing mapped there */
	p = (struct uart_port){ .space = UART_SPACE_IO, .base = 0xfffc, .reg_width = 8, .baud = 115200 };
	assert_int_equal(uart_init_port(&p), -HV_EINVAL);
	p = (struct uart_port){ .space = UART_SPACE_IO, .base = 0x2f8, .reg_width = 8, .baud = 1 };
	assert_int_equal(uart_init_port(&p), -HV_EINVAL);       /* divisor past 16 bits */
}

/* ---- serial_choose --------------------------------------------------------- */

static void spcr_com2_gets_the_whole_early_log(void **state)
{
	(void)state;
	struct uart_port used;
	uart_io_base = 0x3f8;
	serial_early_init();
	serial_write("line one\n", 9);
	serial_write("line two\n", 9);
	uart_io_base = 0x2f8;   /* COM1 floats from here: the server has COM2 only */
	load("spcr_com2");
	assert_int_equal(serial_choose(NULL, table, table_len, &used), SERIAL_SPCR);
	assert_int_equal(used.base, 0x2f8);
	assert_string_equal(sent_on(0x2f8), "line one\nline two\n");
	assert_true(fake_log_has("INFO console: log on I/O 0x2f8, 115200 baud, from the ACPI SPCR table"));
	/* Later lines go to COM2 alone, and are no longer kept. */
	serial_write("three\n", 6);
	assert_string_equal(sent_on(0x2f8), "line one\nline two\nthree\n");
	assert_string_equal(sent_on(0x3f8), "line one\nline two\n");
}

static void command_line_overrides_spcr(void **state)
{
	(void)state;
	struct uart_port used, cl = { .space = UART_SPACE_IO, .base = 0x3e8, .reg_width = 8, .baud = 9600 };
	serial_early_init();
	serial_write("early\n", 6);
	uart_io_base = 0x3e8;
	load("spcr_com2");
	assert_int_equal(serial_choose(&cl, table, table_len, &used), SERIAL_CMDLINE);
	assert_int_equal(used.base, 0x3e8);
	assert_int_equal(fake_pio_write_value(0x3e8, 0), 12);   /* DLL: 115200 / 9600 */
	assert_string_equal(sent_on(0x3e8), "early\n");
	assert_true(fake_log_has("log on I/O 0x3e8, 9600 baud, from the command line's serial="));
}

static void refused_spcr_leaves_com1_with_one_warning(void **state)
{
	(void)state;
	struct uart_port used;
	uart_io_base = 0x3f8;
	serial_early_init();
	load("spcr_pl011");
	assert_int_equal(serial_choose(NULL, table, table_len, &used), SERIAL_FALLBACK);
	assert_int_equal(used.base, 0x3f8);
	assert_int_equal(fake_log_count("WARN console: SPCR (revision 2, interface type 0x03) refused: interface type is not a 16550"), 1);
	assert_true(fake_log_has("log on I/O 0x3f8, 115200 baud: COM1, the fallback (SPCR refused)"));
}

static void no_spcr_is_com1_the_fallback(void **state)
{
	(void)state;
	struct uart_port used;
	uart_io_base = 0x3f8;
	serial_early_init();
	assert_int_equal(serial_choose(NULL, NULL, 0, &used), SERIAL_FALLBACK);
	assert_true(fake_log_has("log on I/O 0x3f8, 115200 baud: COM1, the fallback (no SPCR table)"));
}

static void a_uart_that_does_not_answer_falls_back_to_com1(void **state)
{
	(void)state;
	struct uart_port used;
	uart_io_base = 0x3f8;   /* only COM1 answers */
	serial_early_init();
	load("spcr_com2");
	assert_int_equal(serial_choose(NULL, table, table_len, &used), SERIAL_FALLBACK);
	assert_int_equal(used.base, 0x3f8);
	assert_true(fake_log_has("WARN console: cannot use the UART at I/O 0x2f8, 115200 baud (from the ACPI SPCR table): no such device; COM1 stays"));
	assert_true(fake_log_has("COM1, the fallback (the UART chosen did not answer)"));
	serial_write("after\n", 6);
	assert_string_equal(sent_on(0x3f8), "after\n");
}

static void early_log_past_its_buffer_is_counted(void **state)
{
	(void)state;
	static char big[SERIAL_EARLY_MAX + 100];
	struct uart_port used;
	memset(big, 'x', sizeof(big));
	serial_early_init();
	serial_write(big, sizeof(big));
	uart_io_base = 0x2f8;
	load("spcr_com2");
	fake_pio_nr = 0;
	assert_int_equal(serial_choose(NULL, table, table_len, &used), SERIAL_SPCR);
	assert_true(fake_log_has("the early log was 100 bytes past the 32768 kept"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(spcr_com2_is_an_io_uart_at_0x2f8_at_115200, setup),
		cmocka_unit_test_setup(spcr_mmio32_has_32_bit_registers_and_keeps_the_baud_rate, setup),
		cmocka_unit_test_setup(spcr_width_comes_from_bit_width_when_access_size_is_legacy, setup),
		cmocka_unit_test_setup(spcr_revision_3_clock_and_revision_4_precise_baud_are_read, setup),
		cmocka_unit_test_setup(spcr_refuses_what_is_not_a_16550, setup),
		cmocka_unit_test_setup(spcr_with_base_0_means_redirection_off, setup),
		cmocka_unit_test_setup(spcr_refuses_bad_fields_one_by_one, setup),
		cmocka_unit_test_setup(spcr_refuses_short_or_foreign_tables, setup),
		cmocka_unit_test_setup(mmio32_uart_writes_registers_4_bytes_apart, setup),
		cmocka_unit_test_setup(mmio8_uart_writes_bytes_and_baud_0_keeps_the_divisor, setup),
		cmocka_unit_test_setup(uart_refuses_ports_it_cannot_drive, setup),
		cmocka_unit_test_setup(spcr_com2_gets_the_whole_early_log, setup),
		cmocka_unit_test_setup(command_line_overrides_spcr, setup),
		cmocka_unit_test_setup(refused_spcr_leaves_com1_with_one_warning, setup),
		cmocka_unit_test_setup(no_spcr_is_com1_the_fallback, setup),
		cmocka_unit_test_setup(a_uart_that_does_not_answer_falls_back_to_com1, setup),
		cmocka_unit_test_setup(early_log_past_its_buffer_is_counted, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
