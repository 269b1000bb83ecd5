/* kernel/duration.c: what time-limit accepts, what it refuses, how it prints. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "kernel/duration.h"
#include "kernel/err.h"

static int parse(const char *s, u64 *ms)
{
	*ms = 0xdead;
	return duration_parse(s, strlen(s), ms);
}

static void durations_take_every_unit(void **state)
{
	(void)state;
	static const struct { const char *text; u64 ms; } ok[] = {
		{ "1ms", 1 }, { "500ms", 500 }, { "10s", 10000 }, { "2m", 120000 }, { "1h", 3600000 },
		{ "24h", DURATION_MAX_MS }, { "86400000ms", DURATION_MAX_MS }, { "1440m", DURATION_MAX_MS },
		{ "007s", 7000 },
	};
	u64 ms;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse(ok[i].text, &ms), 0);
		assert_int_equal(ms, ok[i].ms);
	}
	/* Only the n bytes given count: "10s" out of "10s expected". */
	assert_int_equal(duration_parse("10s expected", 3, &ms), 0);
	assert_int_equal(ms, 10000);
}

static void malformed_durations_are_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "10", "s", "ms", "1.5s", "-1s", "10 s", "10sec", "10S", "0x10s", "1d", "10ms ", " 10s", "1hm",
	};
	u64 ms;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &ms) != -HV_EINVAL)
			fail_msg("'%s' was not refused as malformed", bad[i]);
		assert_int_equal(ms, 0xdead);   /* untouched */
	}
}

static void durations_out_of_range_are_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"0ms", "0s", "0h", "25h", "1441m", "86400001ms", "86401s",
		"99999999999999999999999999h", "18446744073709551616ms",
	};
	u64 ms;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &ms) != -HV_ERANGE)
			fail_msg("'%s' was not refused as out of range", bad[i]);
		assert_int_equal(ms, 0xdead);
	}
}

static void durations_print_in_the_largest_whole_unit(void **state)
{
	(void)state;
	char b[DURATION_TEXT_MAX];
	assert_string_equal(duration_format(2000, b, sizeof(b)), "2s");
	assert_string_equal(duration_format(120000, b, sizeof(b)), "2m");
	assert_string_equal(duration_format(90000, b, sizeof(b)), "90s");
	assert_string_equal(duration_format(1500, b, sizeof(b)), "1500ms");
	assert_string_equal(duration_format(DURATION_MAX_MS, b, sizeof(b)), "24h");
	assert_string_equal(duration_format(86399999, b, sizeof(b)), "86399999ms");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(durations_take_every_unit),
		cmocka_unit_test(malformed_durations_are_refused),
		cmocka_unit_test(durations_out_of_range_are_refused),
		cmocka_unit_test(durations_print_in_the_largest_whole_unit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
