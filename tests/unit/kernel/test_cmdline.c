/*
 * Host tests for kernel/cmdline.c: every word through one table, each
 * problem one line counted in nr_errors (unknown words, bad values, empty
 * or unknown log= parts, a word given twice), and a command line longer
 * than Sluice holds refused while its exit= still counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "kernel/cmdline.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "tests/fakes/fake_log.h"

static struct cmdline_opts o;

static int setup(void **state)
{
	(void)state;
	log_set_levels("info");
	log_set_cpu_fn(NULL);
	fake_log_capture();
	return 0;
}

static void parse(const char *s)
{
	fake_log_capture();
	cmdline_parse(s, strlen(s), &o);
}

/* s gives exactly `errors` problems, and the log holds each of want[] (NULL-terminated). */
static void problems(const char *s, unsigned errors, const char *const *want)
{
	parse(s);
	if (o.nr_errors != errors)
		fail_msg("'%s': %u errors, wanted %u:\n%s", s, o.nr_errors, errors, fake_log_text());
	for (; *want; want++)
		if (!fake_log_has(*want))
			fail_msg("'%s': wanted '%s' in:\n%s", s, *want, fake_log_text());
	assert_int_equal(fake_log_count("\n"), errors);
}

static void known_words_set_their_options(void **state)
{
	(void)state;
	parse("/boot/sluice.elf exit=qemu log=warn,vtd:debug");
	assert_int_equal(o.exit, EXIT_QEMU);
	assert_string_equal(o.log, "warn,vtd:debug");
	assert_int_equal(o.nr_errors, 0);
	assert_false(o.too_long);
	parse("sriov=02:00.0:4,01:00.0:2 console=on");
	assert_string_equal(o.sriov, "02:00.0:4,01:00.0:2");
	assert_true(o.console);
	parse("selftest=pf");
	assert_int_equal(o.selftest, SELFTEST_PF);
	parse("selftest=irq");
	assert_int_equal(o.selftest, SELFTEST_IRQ);
	assert_int_equal(o.lab, LAB_NONE);
	parse("lab=dma-map-identity");
	assert_int_equal(o.lab, LAB_DMA_MAP_IDENTITY);
	parse("lab=skip-devtlb-inv");
	assert_int_equal(o.lab, LAB_SKIP_DEVTLB_INV);
	parse("lab=vf-shared-ns");
	assert_int_equal(o.lab, LAB_VF_SHARED_NS);
	parse("lab=skip-iec-inv");
	assert_int_equal(o.lab, LAB_SKIP_IEC_INV);
	parse("  exit=bochs \t ");
	assert_int_equal(o.exit, EXIT_BOCHS);
	parse("");
	assert_int_equal(o.exit, EXIT_HALT);
	assert_string_equal(o.log, "");
	assert_int_equal(o.nr_errors, 0);
	assert_string_equal(fake_log_text(), "");
	/* Only len bytes are read: what follows is not the command line. */
	cmdline_parse("exit=qemu exit=halt", 9, &o);
	assert_int_equal(o.exit, EXIT_QEMU);
	assert_int_equal(o.nr_errors, 0);
}

static void unknown_words_and_bad_values_are_warned_about(void **state)
{
	(void)state;
	static const struct { const char *s; const char *want[3]; } cases[] = {
		{ "frobnicate", { "WARN cmdline: ignoring unknown or malformed option 'frobnicate'" } },
		{ "log", { "WARN cmdline: ignoring unknown or malformed option 'log'" } },
		{ "exits=qemu", { "WARN cmdline: ignoring unknown or malformed option 'exits=qemu'" } },
		{ "exit=sometimes", { "WARN cmdline: ignoring 'exit=sometimes': exit= takes qemu, bochs or halt" } },
		{ "selftest=boom", { "WARN cmdline: ignoring 'selftest=boom': selftest= takes ud, pf, bug, svm or irq" } },
		{ "lab=skip-everything", { "WARN cmdline: ignoring 'lab=skip-everything': lab= takes no-acs, dma-map-identity, skip-devtlb-inv, vf-shared-ns or skip-iec-inv" } },
		{ "console=yes", { "WARN cmdline: ignoring 'console=yes': console= takes on or off" } },
		{ "sriov=", { "WARN cmdline: ignoring 'sriov=': sriov= takes" } },
		{ "log=", { "WARN cmdline: ignoring 'log=': log= takes LEVEL[,SUBSYS:LEVEL...]" } },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		problems(cases[i].s, 1, cases[i].want);
	parse("exit=qemu frobnicate selftest=boom");
	assert_int_equal(o.exit, EXIT_QEMU);
	assert_int_equal(o.selftest, SELFTEST_NONE);
	assert_int_equal(o.nr_errors, 2);
}

/* Each empty or unknown part of log= is one WARN and left out; the good parts stay. */
static void log_parts_are_checked_one_by_one(void **state)
{
	(void)state;
	static const char *const nosuch[] = {
		"WARN cmdline: log=debug,nosuch:err: 'nosuch:err' names no subsystem Sluice logs under; left out", NULL,
	};
	problems("log=debug,nosuch:err", 1, nosuch);
	assert_string_equal(o.log, "debug");
	static const char *const empty[] = {
		"log=info,,vtd:debug,: '' is an empty part; left out", NULL,
	};
	problems("log=info,,vtd:debug,", 2, empty);
	assert_string_equal(o.log, "info,vtd:debug");
	static const char *const level[] = {
		"log=loud: 'loud' has no such level (err, warn, info, debug); left out", NULL,
		"log=pci:lots,vtd0:dbg: 'pci:lots' has no such level", NULL,
	};
	problems("log=loud", 1, level);
	assert_string_equal(o.log, "");
	problems("log=pci:lots,vtd0:dbg", 1, level + 2);
	assert_string_equal(o.log, "vtd0:dbg");
	static const char *const nosub[] = { "log=:debug: ':debug' names no subsystem", NULL };
	problems("log=:debug", 1, nosub);
	/* More good parts than o->log keeps: the rest is named, not cut silently. */
	static const char *const full[] = { "is past the 63 characters kept; left out", NULL };
	problems("log=pci:debug,vtd:debug,dmar:debug,irq:debug,config:debug,smp:debug,mem:debug", 1, full);
	assert_string_equal(o.log, "pci:debug,vtd:debug,dmar:debug,irq:debug,config:debug,smp:debug");
	assert_int_equal(strlen(o.log), sizeof(o.log) - 1);
}

/* A word given twice is an ERR, whatever the word, and the value in force stays. */
static void a_word_given_twice_keeps_the_first(void **state)
{
	(void)state;
	static const struct { const char *s; const char *want; } cases[] = {
		{ "exit=qemu exit=halt", "ERR  cmdline: 'exit=halt': exit given again; the earlier 'exit=qemu' stays" },
		{ "log=debug log=err", "ERR  cmdline: 'log=err': log given again; the earlier 'log=debug' stays" },
		{ "console=on console=off", "'console=off': console given again; the earlier 'console=on' stays" },
		{ "sriov=01:00.0:2 sriov=02:00.0:1", "'sriov=02:00.0:1': sriov given again" },
		{ "selftest=svm selftest=ud", "'selftest=ud': selftest given again; the earlier 'selftest=svm' stays" },
		{ "exit=qemu exit=qemu", "'exit=qemu': exit given again; the earlier 'exit=qemu' stays" },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *want[] = { cases[i].want, NULL };
		problems(cases[i].s, 1, want);
	}
	parse("exit=qemu exit=halt log=debug log=err console=on console=off selftest=svm selftest=ud");
	assert_int_equal(o.exit, EXIT_QEMU);
	assert_string_equal(o.log, "debug");
	assert_true(o.console);
	assert_int_equal(o.selftest, SELFTEST_SVM);
	assert_int_equal(o.nr_errors, 4);
	/* A refused first value decides nothing: the second stands, and is still reported. */
	static const char *const refused_first[] = {
		"WARN cmdline: ignoring 'exit=sometimes'",
		"ERR  cmdline: 'exit=qemu': exit given again; it stands, as the earlier 'exit=sometimes' was refused", NULL,
	};
	problems("exit=sometimes exit=qemu", 2, refused_first);
	assert_int_equal(o.exit, EXIT_QEMU);
	/* Then a third: the one in force is named, not the refused first. */
	static const char *const third[] = {
		"ERR  cmdline: 'exit=halt': exit given again; the earlier 'exit=qemu' stays", NULL,
	};
	problems("exit=sometimes exit=qemu exit=halt", 3, third);
	assert_int_equal(o.exit, EXIT_QEMU);
}

/* Longer than Sluice holds: one ERR naming the limit, and exit= at the very end still counts. */
static void an_over_long_command_line_is_refused_but_read_whole(void **state)
{
	(void)state;
	char s[700];
	int n = snprintf(s, sizeof(s), "log=info");
	while (n < 600)
		n += snprintf(s + n, sizeof(s) - (size_t)n, " console=off");
	snprintf(s + n, sizeof(s) - (size_t)n, " exit=qemu");
	parse(s);
	assert_true(o.too_long);
	assert_int_equal(o.len, strlen(s));
	assert_int_equal(o.exit, EXIT_QEMU);
	char want[160];
	snprintf(want, sizeof(want), "ERR  cmdline: the command line is %zu characters; Sluice holds at most 511: the boot stops",
		 strlen(s));
	assert_true(fake_log_has(want));
	/* The repeats in it are reported as well: one ERR for the length, one per repeat. */
	assert_true(o.nr_errors > 1);
	assert_int_equal(fake_log_count("console given again"), o.nr_errors - 1);
	/* 511 characters fit; 512 do not. */
	memset(s, 'x', 512);
	s[0] = 'a';
	s[1] = '=';
	cmdline_parse(s, CMDLINE_MAX, &o);
	assert_false(o.too_long);
	cmdline_parse(s, CMDLINE_MAX + 1, &o);
	assert_true(o.too_long);
}

/* time-limit= is a duration with its unit, 1 ms to 24 h; anything else leaves no run limit. */
static void time_limit_is_a_bounded_duration(void **state)
{
	(void)state;
	static const char *const want[] = {
		"WARN cmdline: ignoring 'time-limit=10': time-limit= takes a duration from 1ms to 24h", NULL };
	parse("exit=qemu time-limit=90s");
	assert_int_equal(o.time_limit_ms, 90000);
	assert_int_equal(o.nr_errors, 0);
	problems("time-limit=10", 1, want);
	assert_int_equal(o.time_limit_ms, 0);
	parse("time-limit=0ms");
	assert_int_equal(o.time_limit_ms, 0);
	assert_int_equal(o.nr_errors, 1);
	parse("time-limit=25h");
	assert_int_equal(o.time_limit_ms, 0);
	assert_int_equal(o.nr_errors, 1);
}

static void serial_names_a_uart_by_com_port_io_port_or_mmio(void **state)
{
	(void)state;
	static const struct {
		const char *word;
		enum uart_space space;
		u64 base;
		u8 width;
		u32 baud;
	} good[] = {
		{ "serial=com1", UART_SPACE_IO, 0x3f8, 8, 115200 },
		{ "serial=com2", UART_SPACE_IO, 0x2f8, 8, 115200 },
		{ "serial=com4", UART_SPACE_IO, 0x2e8, 8, 115200 },
		{ "serial=io:0x2f8,9600", UART_SPACE_IO, 0x2f8, 8, 9600 },
		{ "serial=io:1016", UART_SPACE_IO, 0x3f8, 8, 115200 },
		{ "serial=mmio:0xfe030000,32", UART_SPACE_MMIO, 0xfe030000, 32, 115200 },
		{ "serial=mmio:0xfedc9000,8,57600", UART_SPACE_MMIO, 0xfedc9000, 8, 57600 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(good); i++) {
		parse(good[i].word);
		if (o.nr_errors || !o.serial_set)
			fail_msg("'%s' refused:\n%s", good[i].word, fake_log_text());
		assert_int_equal(o.serial.space, good[i].space);
		assert_int_equal(o.serial.base, good[i].base);
		assert_int_equal(o.serial.reg_width, good[i].width);
		assert_int_equal(o.serial.baud, good[i].baud);
	}
	static const char *const bad[] = {
		"serial=com5", "serial=COM2", "serial=io:", "serial=io:0", "serial=io:0xfffc", "serial=io:0x2f8,",
		"serial=io:0x2f8,7", "serial=io:0x2f8,230400", "serial=io:0x2f8,9600,1", "serial=mmio:0xfe030000",
		"serial=mmio:0xfe030000,16", "serial=mmio:0,32", "serial=mmio:0xfe030000,32,", "serial=",
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		char want[160];
		snprintf(want, sizeof(want), "WARN cmdline: ignoring '%s': serial= takes com1 to com4, io:PORT[,BAUD] or mmio:ADDR,8|32[,BAUD]", bad[i]);
		const char *const w[] = { want, NULL };
		problems(bad[i], 1, w);
		assert_false(o.serial_set);
	}
	parse("console=on");
	assert_false(o.serial_set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(known_words_set_their_options, setup),
		cmocka_unit_test_setup(unknown_words_and_bad_values_are_warned_about, setup),
		cmocka_unit_test_setup(log_parts_are_checked_one_by_one, setup),
		cmocka_unit_test_setup(a_word_given_twice_keeps_the_first, setup),
		cmocka_unit_test_setup(an_over_long_command_line_is_refused_but_read_whole, setup),
		cmocka_unit_test_setup(time_limit_is_a_bounded_duration, setup),
		cmocka_unit_test_setup(serial_names_a_uart_by_com_port_io_port_or_mmio, setup),
	};
	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
