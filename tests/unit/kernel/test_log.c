/* Log line format (docs/conventions.md section 7), levels, and the vsnprintf under it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>
#include "kernel/log.h"
#include "kernel/fmt.h"
#include "kernel/err.h"
#include "tests/fakes/fake_log.h"

static int reset(void **state)
{
	(void)state;
	assert_int_equal(log_set_levels("info"), 0);
	fake_log_capture();
	log_set_cpu_fn(NULL);
	return 0;
}

static void fmt_check(const char *want, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static void fmt_handles_the_conversions_the_log_uses(void **state)
{
	(void)state;
	fmt_check("42 -7 4294967295", "%d %i %u", 42, -7, 4294967295u);
	fmt_check("0x00000000fed90000", "0x%016llx", 0xfed90000ULL);
	fmt_check("00:03.0", "%02x:%02x.%x", 0, 3, 0);
	fmt_check("[ab  ] [  ab]", "[%-4s] [%4s]", "ab", "ab");
	fmt_check("0xff 0XFF 0377", "%#x %#X %#o", 255, 255, 255);
	fmt_check("-9223372036854775808", "%lld", (long long)(-9223372036854775807LL - 1));
	fmt_check("18446744073709551615", "%llu", ~0ULL);
	fmt_check("abc", "%.3s", "abcdef");
	fmt_check("ab", "%.*s", 2, "abcdef");
	fmt_check("  -5|-5  |-0005", "%4d|%-4d|%05d", -5, -5, -5);
	fmt_check("(null) c %", "%s %c %%", (char *)NULL, 'c');
	fmt_check("0x0000000000001000", "%p", (void *)0x1000);
	fmt_check("255 65535", "%hhu %hu", 0x1ff, 0x1ffff);
	fmt_check("%q", "%q");
}

static void fmt_truncates_and_reports_the_full_length(void **state)
{
	(void)state;
	char buf[8];
	int n = fmt_snprintf(buf, sizeof(buf), "%s", "0123456789");
	assert_int_equal(n, 10);
	assert_string_equal(buf, "0123456");
	assert_int_equal(fmt_snprintf(NULL, 0, "%d", 12345), 5);
}

static void line_has_cpu_level_and_subsystem(void **state)
{
	(void)state;
	log_write(LOG_INFO, "vtd0", "unit at 0x%016llx ver %u.%u", 0xfed90000ULL, 1, 0);
	log_write(LOG_ERR, "part", "lab0: parked after %u fault (policy=%s)", 1, "park");
	assert_string_equal(fake_log_text(),
		"c0 INFO vtd0: unit at 0x00000000fed90000 ver 1.0\n"
		"c0 ERR  part: lab0: parked after 1 fault (policy=park)\n");
}

static unsigned cpu_three(void) { return 3; }

static void line_names_the_printing_cpu(void **state)
{
	(void)state;
	log_set_cpu_fn(cpu_three);
	log_write(LOG_WARN, "acpi", "x");
	assert_string_equal(fake_log_text(), "c3 WARN acpi: x\n");
}

static void debug_lines_are_hidden_at_the_default_level(void **state)
{
	(void)state;
	log_write(LOG_DBG, "mem", "hidden");
	log_write(LOG_INFO, "mem", "shown");
	assert_false(fake_log_has("hidden"));
	assert_true(fake_log_has("c0 INFO mem: shown"));
}

static void log_debug_shows_debug_lines(void **state)
{
	(void)state;
	assert_int_equal(log_set_levels("debug"), 0);
	log_write(LOG_DBG, "mem", "now shown");
	assert_true(fake_log_has("c0 DBG  mem: now shown"));
}

static void per_subsystem_level_covers_every_unit_instance(void **state)
{
	(void)state;
	assert_int_equal(log_set_levels("warn,vtd:debug"), 0);
	log_write(LOG_DBG, "vtd1", "a");
	log_write(LOG_INFO, "acpi", "b");
	log_write(LOG_WARN, "acpi", "c");
	log_write(LOG_DBG, "vtdx", "d");
	assert_true(fake_log_has("vtd1: a"));
	assert_false(fake_log_has("acpi: b"));
	assert_true(fake_log_has("acpi: c"));
	assert_false(fake_log_has("vtdx: d"));
	assert_int_equal(log_level_for("vtd"), LOG_DBG);
	assert_int_equal(log_level_for("pci"), LOG_WARN);
}

static void bad_level_spec_changes_nothing(void **state)
{
	(void)state;
	assert_int_equal(log_set_levels("debug"), 0);
	assert_int_equal(log_set_levels("loud"), -HV_EINVAL);
	assert_int_equal(log_set_levels("warn,vtd:"), -HV_EINVAL);
	assert_int_equal(log_set_levels(":debug"), -HV_EINVAL);
	assert_int_equal(log_set_levels(""), -HV_EINVAL);
	assert_int_equal(log_level_for("any"), LOG_DBG);
}

static void long_line_is_cut_and_marked(void **state)
{
	(void)state;
	char big[600];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_write(LOG_INFO, "t", "%s", big);
	const char *t = fake_log_text();
	size_t n = strlen(t);
	assert_int_equal(n, LOG_LINE_MAX);
	assert_memory_equal(t + n - 4, "...\n", 4);
}

static void strerror_names_every_code(void **state)
{
	(void)state;
	assert_string_equal(hv_strerror(-HV_ETIMEDOUT), "timed out");
	assert_string_equal(hv_strerror(HV_ECHKSUM), "bad checksum");
	assert_string_equal(hv_strerror(-999), "unknown error");
	for (int i = 0; i < HV_E_COUNT; i++)
		assert_string_not_equal(hv_strerror(-i), "unknown error");
}

/* ---- a CPU that dies holding the log lock (reset by an INIT) ---- */
static unsigned running_cpu;
static jmp_buf died;

static unsigned which_cpu(void)
{
	return running_cpu;
}

/* CPU 2 stops mid-line, the lock still held. */
static void dying_sink(const char *s, size_t n)
{
	(void)s;
	(void)n;
	longjmp(died, 1);
}

static void lock_of_a_reset_cpu_is_freed_and_its_line_ended(void **state)
{
	(void)state;
	log_set_cpu_fn(which_cpu);
	log_set_sink(dying_sink);
	running_cpu = 2;
	if (!setjmp(died))
		log_write(LOG_INFO, "p2", "a line cut short");
	fake_log_capture();
	running_cpu = 0;
	assert_int_equal(log_holder(), 2);
	/* Another CPU's name changes nothing; an NMI on the holder itself gives up at once. */
	log_cpu_lost(1);
	running_cpu = 2;
	assert_false(log_try_write(LOG_INFO, "irq", "NMI while CPU 2 holds the lock"));
	running_cpu = 0;
	log_cpu_lost(2);
	assert_string_equal(fake_log_text(), " [cut: its CPU was reset]\n");
	assert_int_equal(log_holder(), -1);
	log_write(LOG_INFO, "hv", "logging again");
	assert_true(fake_log_has("c0 INFO hv: logging again\n"));
	assert_true(log_try_write(LOG_INFO, "irq", "and so can an NMI"));
	/* A CPU that holds nothing: nothing to free. */
	fake_log_capture();
	log_cpu_lost(0);
	assert_false(fake_log_has("[cut"));
}

/* log= may name only subsystems Sluice logs under: every one in the tree is in log.c's list. */
static void every_subsystem_in_the_tree_is_known(void **state)
{
	(void)state;
	/* Run from the top of the tree, as make unit does. */
	FILE *f = popen("grep -rhoE '(define LOG_SUBSYS +\"[^\"]+\"|log_write\\(LOG_[A-Z]+, *\"[^\"]+\")' "
			"kernel pci iommu vm 2>/dev/null", "r");
	char line[256];
	unsigned seen = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *q = strrchr(line, '"');
		assert_non_null(q);
		*q = '\0';
		char *name = strrchr(line, '"') + 1;
		if (!log_subsys_known(name, strlen(name)))
			fail_msg("subsystem \"%s\" is not in kernel/log.c's list", name);
		seen++;
	}
	pclose(f);
	assert_true(seen > 40);
	assert_true(log_subsys_known("vtd0", 4) && log_subsys_known("vtd12", 5) && log_subsys_known("pci", 3));
	assert_false(log_subsys_known("nosuch", 6) || log_subsys_known("vtdx", 4) || log_subsys_known("", 0));
	assert_false(log_subsys_known("pc", 2) || log_subsys_known("pcie", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(fmt_handles_the_conversions_the_log_uses, reset),
		cmocka_unit_test_setup(fmt_truncates_and_reports_the_full_length, reset),
		cmocka_unit_test_setup(line_has_cpu_level_and_subsystem, reset),
		cmocka_unit_test_setup(line_names_the_printing_cpu, reset),
		cmocka_unit_test_setup(debug_lines_are_hidden_at_the_default_level, reset),
		cmocka_unit_test_setup(log_debug_shows_debug_lines, reset),
		cmocka_unit_test_setup(per_subsystem_level_covers_every_unit_instance, reset),
		cmocka_unit_test_setup(bad_level_spec_changes_nothing, reset),
		cmocka_unit_test_setup(long_line_is_cut_and_marked, reset),
		cmocka_unit_test_setup(strerror_names_every_code, reset),
		cmocka_unit_test_setup(lock_of_a_reset_cpu_is_freed_and_its_line_ended, reset),
		cmocka_unit_test_setup(every_subsystem_in_the_tree_is_known, reset),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
