/*
 * The run's plumbing: self-checks and the exit ports, bounded waits, TSC
 * calibration against a fake PIT, the FATAL block, and the UART probe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "kernel/check.h"
#include "kernel/wait.h"
#include "kernel/tsc.h"
#include "kernel/fatal.h"
#include "kernel/uart16550.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_log.h"

static int setup(void **state)
{
	(void)state;
	fake_hw_reset();
	fake_log_capture();
	return 0;
}

/* check_finish() never returns: run it until the fake CPU halts. */
static void run_finish(void)
{
	if (!setjmp(fake_halt_jmp))
		check_finish();
}

/* Tests run in order and share the counters: this one starts from zero. */
static void passing_run_exits_qemu_with_0x10(void **state)
{
	(void)state;
	check_set_exit(EXIT_QEMU);
	assert_true(check(true, "thing %d", 1));
	assert_true(check(true, "thing %d", 2));
	run_finish();
	assert_true(fake_log_has("c0 INFO check: pass thing 1\n"));
	assert_true(fake_log_has("sluice: result pass=2 fail=0\n"));
	assert_int_equal(fake_pio_writes_to(QEMU_EXIT_PORT), 1);
	assert_int_equal(fake_pio_write_value(QEMU_EXIT_PORT, 0), QEMU_EXIT_PASS);
	assert_int_equal(fake_halts, 1);
}

static void one_failure_exits_qemu_with_0x11(void **state)
{
	(void)state;
	assert_false(check(false, "broken"));
	run_finish();
	assert_true(fake_log_has("c0 ERR  check: FAIL broken\n"));
	assert_true(fake_log_has("sluice: result pass=2 fail=1\n"));
	assert_int_equal(fake_pio_write_value(QEMU_EXIT_PORT, 0), QEMU_EXIT_FAIL);
}

static void bochs_exit_writes_shutdown_to_its_port(void **state)
{
	(void)state;
	check_set_exit(EXIT_BOCHS);
	run_finish();
	char s[16] = { 0 };
	assert_int_equal(fake_pio_writes_to(BOCHS_SHUTDOWN_PORT), 8);
	for (unsigned i = 0; i < 8; i++)
		s[i] = (char)fake_pio_write_value(BOCHS_SHUTDOWN_PORT, i);
	assert_string_equal(s, "Shutdown");
}

static void halt_mode_touches_no_exit_port(void **state)
{
	(void)state;
	check_set_exit(EXIT_HALT);
	run_finish();
	assert_int_equal(fake_pio_nr, 0);
	assert_int_equal(fake_halts, 1);
	assert_int_equal(fake_log_count("sluice: result"), 1);
}

static bool never(void *arg) { (void)arg; return false; }
static bool after_calls(void *arg) { return --*(int *)arg <= 0; }

static void wait_until_times_out_after_its_limit(void **state)
{
	(void)state;
	fake_time_step_ns = 1000;       /* each clock read: 1 us */
	assert_int_equal(wait_until(never, NULL, 500), -HV_ETIMEDOUT);
	assert_in_range(fake_time_ns, 500 * 1000, 510 * 1000);
}

static void wait_until_returns_when_the_condition_holds(void **state)
{
	(void)state;
	int calls = 3;
	assert_int_equal(wait_until(after_calls, &calls, 1000000), 0);
	assert_int_equal(calls, 0);
	assert_true(fake_time_ns < 10 * 1000);
}

static void wait_until_rechecks_once_at_the_deadline(void **state)
{
	(void)state;
	/* True on the evaluation right after the deadline read. */
	int calls = 2;
	fake_time_step_ns = 1000000;
	assert_int_equal(wait_until(after_calls, &calls, 1), 0);
}

/* Fake PIT: OUT2 goes high after a set number of port 0x61 reads. */
static unsigned pit_reads, pit_reads_to_expire;
static u32 pit_hook(u16 port, u8 width)
{
	(void)width;
	if (port == 0x61)
		return ++pit_reads >= pit_reads_to_expire ? 0x20 : 0x00;
	return 0;
}

static void tsc_calibrates_against_the_pit(void **state)
{
	(void)state;
	struct tsc_calib c;
	/* 10 ms windows; the fake TSC advances a set step per rdtsc. */
	fake_pio_read_hook = pit_hook;
	fake_tsc_step = 25000000;       /* 25 M ticks between the two rdtsc of a window */
	pit_reads = 0;
	pit_reads_to_expire = 1;
	assert_int_equal(tsc_calibrate(10, 3, &c), 0);
	assert_int_equal(c.agree, 3);
	assert_int_equal(tsc_khz(), 2500000);   /* 25 M ticks in 10 ms = 2.5 GHz */
	/* ns = ticks * mult >> 32: exact to a nanosecond per second. */
	assert_in_range(tsc_ns(2500000000ULL), 999999999ULL, 1000000001ULL);
	/* channel 2, mode 0, count 11931 = 10 ms at 1.193182 MHz */
	assert_int_equal(fake_pio_write_value(0x43, 0), 0xb0);
	assert_int_equal(fake_pio_write_value(0x42, 0) | fake_pio_write_value(0x42, 1) << 8, 11931);
}

/*
 * Ticks per window. Window i starts with a read of port 0x61 before its
 * i-th PIT command; setting the TSC step there makes that window's
 * t1 - t0 exactly window_ticks[i] (OUT2 reads high at once).
 */
#define NR_WINDOWS 24
static u64 window_ticks[NR_WINDOWS];
static u32 pit_hook_windows(u16 port, u8 width)
{
	(void)width;
	if (port == 0x61) {
		unsigned i = fake_pio_writes_to(0x43);
		if (i < NR_WINDOWS)
			fake_tsc_step = window_ticks[i];
		return 0x20;
	}
	return 0;
}

static void tsc_median_ignores_one_disturbed_window(void **state)
{
	(void)state;
	struct tsc_calib c;
	u64 w[5] = { 20000000, 20100000, 90000000, 19900000, 20000000 };
	memcpy(window_ticks, w, sizeof(w));
	fake_pio_read_hook = pit_hook_windows;
	assert_int_equal(tsc_calibrate(10, 5, &c), 0);
	assert_int_equal(tsc_khz(), 2000000);
	assert_int_equal(c.agree, 4);
}

static void tsc_rejects_windows_that_all_disagree(void **state)
{
	(void)state;
	struct tsc_calib c;
	u64 w[5] = { 10000000, 20000000, 30000000, 40000000, 50000000 };
	memcpy(window_ticks, w, sizeof(w));
	fake_pio_read_hook = pit_hook_windows;
	tsc_set_khz(1000000);
	assert_int_equal(tsc_calibrate(10, 5, &c), -HV_EBUSY);
	assert_int_equal(c.khz, 3000000);
	assert_int_equal(c.agree, 1);
	assert_int_equal(tsc_khz(), 1000000);
}

static void tsc_boot_policy_retries_longer_windows_then_takes_the_median(void **state)
{
	(void)state;
	struct tsc_boot b;
	/* Windows of 10 M, 20 M, ... 210 M ticks: every attempt is disturbed.
	 * The window index counts PIT commands across attempts, so the third
	 * attempt (9 windows of 50 ms) sees windows 12-20: median 170 M ticks. */
	for (unsigned i = 0; i < NR_WINDOWS; i++)
		window_ticks[i] = 10000000ULL * (i + 1);
	fake_pio_read_hook = pit_hook_windows;
	tsc_set_khz(1000000);
	assert_int_equal(tsc_calibrate_boot(NULL, &b), 0);
	assert_int_equal(b.src, TSC_SRC_PIT);
	assert_true(b.disturbed);
	assert_int_equal(b.attempts, 3);
	assert_int_equal(b.c.rounds, 9);
	assert_int_equal(b.c.agree, 3);
	assert_int_equal(b.c.khz, 3400000);
	assert_int_equal(tsc_khz(), 3400000);
}

static void tsc_boot_policy_stops_at_the_first_clean_attempt(void **state)
{
	(void)state;
	struct tsc_boot b;
	fake_pio_read_hook = pit_hook;
	pit_reads = 0;
	pit_reads_to_expire = 1;
	fake_tsc_step = 30000000;
	assert_int_equal(tsc_calibrate_boot(NULL, &b), 0);
	assert_int_equal(b.src, TSC_SRC_PIT);
	assert_false(b.disturbed);
	assert_int_equal(b.hpet_err, -HV_ENODEV);
	assert_int_equal(b.attempts, 1);
	assert_int_equal(tsc_khz(), 3000000);
}

static u32 dead_pit(u16 port, u8 width)
{
	(void)port;
	(void)width;
	return 0;
}

static void tsc_calibration_times_out_without_a_pit(void **state)
{
	(void)state;
	struct tsc_calib c;
	tsc_set_khz(1000000);
	fake_pio_read_hook = dead_pit;
	assert_int_equal(tsc_calibrate(10, 1, &c), -HV_ETIMEDOUT);
	assert_int_equal(tsc_khz(), 1000000);   /* unchanged */
	assert_int_equal(tsc_calibrate(0, 1, &c), -HV_EINVAL);
}

static void tsc_rejects_an_implausible_rate(void **state)
{
	(void)state;
	struct tsc_calib c;
	fake_pio_read_hook = pit_hook;
	pit_reads = 0;
	pit_reads_to_expire = 1;
	fake_tsc_step = 10;             /* 1 kHz: no real TSC */
	assert_int_equal(tsc_calibrate(10, 1, &c), -HV_ERANGE);
}

static void fatal_block_shows_vector_error_rip_cr2_and_registers(void **state)
{
	(void)state;
	struct trap_frame f = { 0 };
	struct fatal_cregs cr = { .cr0 = 0x80010033, .cr2 = 0xdeadbeef000, .cr3 = 0x1000000, .cr4 = 0x20 };
	f.vector = 14;
	f.error_code = 2;
	f.rip = 0x1002345;
	f.rax = 0x1111;
	f.r15 = 0xf15;
	fatal_report_exception(&f, &cr);
	assert_true(fake_log_has("c0 FATAL fatal: exception #PF (page fault) vector 14 error 0x0000000000000002\n"));
	assert_true(fake_log_has("rip 0x0000000001002345"));
	assert_true(fake_log_has("cr2 0x00000deadbeef000"));
	assert_true(fake_log_has("rax 0x0000000000001111"));
	assert_true(fake_log_has("r15 0x0000000000000f15"));
	assert_int_equal(fake_log_count("FATAL"), 8);
}

static void exception_tables_follow_the_sdm(void **state)
{
	(void)state;
	assert_string_equal(exception_mnemonic(13), "#GP");
	assert_string_equal(exception_name(8), "double fault");
	assert_string_equal(exception_mnemonic(99), "#??");
	assert_true(exception_has_error_code(14));
	assert_true(exception_has_error_code(17));
	assert_false(exception_has_error_code(6));
	assert_false(exception_has_error_code(18));
}

static unsigned others_stopped;
static bool stopping_when_others_stopped;

static void stop_others(void)
{
	others_stopped++;
	stopping_when_others_stopped = fatal_stopping();
}

static void bug_prints_file_and_line_then_stops_with_a_failure(void **state)
{
	(void)state;
	check_set_exit(EXIT_QEMU);
	fatal_set_stop_others(stop_others);
	assert_false(fatal_stopping());
	if (!setjmp(fake_halt_jmp))
		BUG_ON(1 + 1 == 2);
	/* The other CPUs are stopped once, after the flag their NMI handler reads is set. */
	assert_int_equal(others_stopped, 1);
	assert_true(stopping_when_others_stopped);
	assert_true(fake_log_has("FATAL fatal: BUG at tests/unit/kernel/test_runtime.c:"));
	assert_true(fake_log_has(": 1 + 1 == 2\n"));
	assert_true(fake_log_has("FATAL fatal: stopping all CPUs"));
	assert_int_equal(fake_pio_write_value(QEMU_EXIT_PORT, 0), QEMU_EXIT_FAIL);
}

static void uart_probe_finds_no_uart_on_a_floating_bus(void **state)
{
	(void)state;
	assert_int_equal(uart_init(COM1_BASE, 115200), -HV_ENODEV);
	uart_write("x", 1);
	assert_int_equal(fake_pio_writes_to(COM1_BASE), 0);
}

static u32 scratch;
static u32 uart_hook(u16 port, u8 width)
{
	(void)width;
	if (port == COM1_BASE + 7)
		return scratch;
	if (port == COM1_BASE + 5)
		return 0x20;    /* THR empty */
	return 0;
}

static void uart_programs_115200_8n1_and_expands_newlines(void **state)
{
	(void)state;
	fake_pio_read_hook = uart_hook;
	scratch = 0x5a;
	assert_int_equal(uart_init(COM1_BASE, 115200), 0);
	assert_int_equal(fake_pio_write_value(COM1_BASE, 0), 1);        /* DLL = 1 */
	assert_int_equal(fake_pio_write_value(COM1_BASE + 3, 1), 0x03); /* 8N1 */
	unsigned before = fake_pio_writes_to(COM1_BASE);
	uart_write("a\n", 2);
	assert_int_equal(fake_pio_writes_to(COM1_BASE) - before, 3);
	assert_int_equal(fake_pio_write_value(COM1_BASE, before + 1), '\r');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(passing_run_exits_qemu_with_0x10, setup),
		cmocka_unit_test_setup(one_failure_exits_qemu_with_0x11, setup),
		cmocka_unit_test_setup(bochs_exit_writes_shutdown_to_its_port, setup),
		cmocka_unit_test_setup(halt_mode_touches_no_exit_port, setup),
		cmocka_unit_test_setup(wait_until_times_out_after_its_limit, setup),
		cmocka_unit_test_setup(wait_until_returns_when_the_condition_holds, setup),
		cmocka_unit_test_setup(wait_until_rechecks_once_at_the_deadline, setup),
		cmocka_unit_test_setup(tsc_calibrates_against_the_pit, setup),
		cmocka_unit_test_setup(tsc_calibration_times_out_without_a_pit, setup),
		cmocka_unit_test_setup(tsc_median_ignores_one_disturbed_window, setup),
		cmocka_unit_test_setup(tsc_rejects_windows_that_all_disagree, setup),
		cmocka_unit_test_setup(tsc_boot_policy_retries_longer_windows_then_takes_the_median, setup),
		cmocka_unit_test_setup(tsc_boot_policy_stops_at_the_first_clean_attempt, setup),
		cmocka_unit_test_setup(tsc_rejects_an_implausible_rate, setup),
		cmocka_unit_test_setup(fatal_block_shows_vector_error_rip_cr2_and_registers, setup),
		cmocka_unit_test_setup(exception_tables_follow_the_sdm, setup),
		cmocka_unit_test_setup(bug_prints_file_and_line_then_stops_with_a_failure, setup),
		cmocka_unit_test_setup(uart_probe_finds_no_uart_on_a_floating_bus, setup),
		cmocka_unit_test_setup(uart_programs_115200_8n1_and_expands_newlines, setup),
	};
	return cmocka_run_group_tests_name("runtime", tests, NULL, NULL);
}
