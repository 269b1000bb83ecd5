/*
 * Host tests for vm/part/expect.c: each way a partition can end (its own
 * exit with a code, parked for any reason, halted for good, stopped by its
 * own or the run's time limit, failed, never started, still running),
 * judged against each expectation its config can give, with the one line
 * the check prints.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "vm/part/expect.h"

#define PARK_WHY        "read GPA 0x0000000001000000, which is not its memory, at rip 0x0000000000101e95"
#define HLT_OFF         "HLT with interrupts off"
#define HLT_NOTHING     "HLT with interrupts on, but nothing can interrupt it (no timer armed, no device MSI, no other CPU running)"
#define LOST_WHY        "its CPU 2 was reset under it (an INIT Sluice could not consume); guest state lost"

struct judge_case {
	struct part_end end;
	enum part_expect want;
	u32 want_code;
	bool ok;
	const char *text;
};

static const struct judge_case cases[] = {
	/* No expect = key: only a clean exit passes. */
	{ { PART_EXITED, true, PART_STOP_NONE, 0, "" }, PART_EXPECT_EXIT, 0, true, "exited with code 0" },
	{ { PART_EXITED, true, PART_STOP_NONE, 3, "" }, PART_EXPECT_EXIT, 0, false, "exited with code 3" },
	{ { PART_EXITED, true, PART_STOP_NONE, 0x1234567890ULL, "" }, PART_EXPECT_EXIT, 0x34567890, false,
	  "exited with code 78187493520; its config has expect = exit 878082192" },
	{ { PART_PARKED, true, PART_STOP_NONE, 0, PARK_WHY }, PART_EXPECT_EXIT, 0, false, "parked: " PARK_WHY },
	{ { PART_PARKED, true, PART_STOP_NONE, 0, LOST_WHY }, PART_EXPECT_EXIT, 0, false, "parked: " LOST_WHY },
	{ { PART_HALTED, true, PART_STOP_NONE, 0, HLT_OFF }, PART_EXPECT_EXIT, 0, false,
	  "halted for good: HLT with interrupts off" },
	{ { PART_STOPPED, true, PART_STOP_TIME_LIMIT, 0, "time limit 2s reached" }, PART_EXPECT_EXIT, 0, false,
	  "stopped: time limit 2s reached" },
	{ { PART_FAILED, false, PART_STOP_NONE, 0, "set-up failed: out of memory" }, PART_EXPECT_EXIT, 0, false,
	  "never started: set-up failed: out of memory" },
	{ { PART_FAILED, true, PART_STOP_NONE, 0, "CPU 1 cannot run it: no such device" }, PART_EXPECT_EXIT, 0, false,
	  "failed: CPU 1 cannot run it: no such device" },
	{ { PART_IDLE, false, PART_STOP_NONE, 0, "" }, PART_EXPECT_EXIT, 0, false, "never started" },
	{ { PART_RUNNING, true, PART_STOP_RUN_LIMIT, 0, "" }, PART_EXPECT_EXIT, 0, false,
	  "still running when the run ended" },
	/* expect = exit N: that code and no other. */
	{ { PART_EXITED, true, PART_STOP_NONE, 3, "" }, PART_EXPECT_EXIT, 3, true, "exited with code 3 as its config expects" },
	{ { PART_EXITED, true, PART_STOP_NONE, 0, "" }, PART_EXPECT_EXIT, 3, false,
	  "exited with code 0; its config has expect = exit 3" },
	{ { PART_EXITED, true, PART_STOP_NONE, 4, "" }, PART_EXPECT_EXIT, 3, false,
	  "exited with code 4; its config has expect = exit 3" },
	{ { PART_PARKED, true, PART_STOP_NONE, 0, PARK_WHY }, PART_EXPECT_EXIT, 3, false,
	  "parked: " PARK_WHY "; its config has expect = exit 3" },
	/* expect = parked: any park, its CPU lost included; nothing else. */
	{ { PART_PARKED, true, PART_STOP_NONE, 0, PARK_WHY }, PART_EXPECT_PARKED, 0, true,
	  "parked as its config expects (" PARK_WHY ")" },
	{ { PART_PARKED, true, PART_STOP_NONE, 0, LOST_WHY }, PART_EXPECT_PARKED, 0, true,
	  "parked as its config expects (" LOST_WHY ")" },
	{ { PART_EXITED, true, PART_STOP_NONE, 0, "" }, PART_EXPECT_PARKED, 0, false,
	  "exited with code 0; its config has expect = parked" },
	{ { PART_HALTED, true, PART_STOP_NONE, 0, HLT_OFF }, PART_EXPECT_PARKED, 0, false,
	  "halted for good: HLT with interrupts off; its config has expect = parked" },
	{ { PART_FAILED, false, PART_STOP_NONE, 0, "" }, PART_EXPECT_PARKED, 0, false,
	  "never started; its config has expect = parked" },
	{ { PART_RUNNING, true, PART_STOP_NONE, 0, "" }, PART_EXPECT_PARKED, 0, false,
	  "still running when the run ended; its config has expect = parked" },
	/* expect = halted. */
	{ { PART_HALTED, true, PART_STOP_NONE, 0, HLT_OFF }, PART_EXPECT_HALTED, 0, true,
	  "halted for good as its config expects (HLT with interrupts off)" },
	{ { PART_PARKED, true, PART_STOP_NONE, 0, PARK_WHY }, PART_EXPECT_HALTED, 0, false,
	  "parked: " PARK_WHY "; its config has expect = halted" },
	{ { PART_HALTED, true, PART_STOP_NONE, 0, HLT_NOTHING }, PART_EXPECT_HALTED, 0, true,
	  "halted for good as its config expects (" HLT_NOTHING ")" },
	{ { PART_HALTED, true, PART_STOP_NONE, 0, HLT_NOTHING }, PART_EXPECT_EXIT, 0, false,
	  "halted for good: " HLT_NOTHING },
	/* expect = time-limit: its own limit only, never the run's. */
	{ { PART_STOPPED, true, PART_STOP_TIME_LIMIT, 0, "time limit 2s reached" }, PART_EXPECT_TIME_LIMIT, 0, true,
	  "stopped as its config expects (time limit 2s reached)" },
	{ { PART_STOPPED, true, PART_STOP_RUN_LIMIT, 0, "the run's time limit reached (command line time-limit=)" },
	  PART_EXPECT_TIME_LIMIT, 0, false,
	  "stopped: the run's time limit reached (command line time-limit=); its config has expect = time-limit" },
	{ { PART_EXITED, true, PART_STOP_NONE, 0, "" }, PART_EXPECT_TIME_LIMIT, 0, false,
	  "exited with code 0; its config has expect = time-limit" },
	/* The operator's quit: the end of a partition meant to run until stopped, and only of that one. */
	{ { PART_STOPPED, true, PART_STOP_QUIT, 0, "stopped by the operator (console quit)" }, PART_EXPECT_TIME_LIMIT, 0,
	  true, "stopped as its config expects (stopped by the operator (console quit))" },
	{ { PART_STOPPED, true, PART_STOP_QUIT, 0, "stopped by the operator (console quit)" }, PART_EXPECT_EXIT, 0, false,
	  "stopped: stopped by the operator (console quit)" },
	/* No reason recorded: the line still reads whole. */
	{ { PART_PARKED, true, PART_STOP_NONE, 0, NULL }, PART_EXPECT_EXIT, 0, false, "parked" },
	{ { PART_PARKED, true, PART_STOP_NONE, 0, NULL }, PART_EXPECT_PARKED, 0, true, "parked as its config expects" },
	{ { PART_HALTED, true, PART_STOP_NONE, 0, "" }, PART_EXPECT_EXIT, 0, false, "halted for good" },
};

static void each_end_is_judged_against_each_expectation(void **state)
{
	(void)state;
	char buf[PART_END_TEXT_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct judge_case *c = &cases[i];
		memset(buf, 'x', sizeof(buf));
		bool ok = partition_end_judge(&c->end, c->want, c->want_code, buf, sizeof(buf));
		if (ok != c->ok || strcmp(buf, c->text))
			fail_msg("case %zu: got %s \"%s\", want %s \"%s\"", i, ok ? "pass" : "FAIL", buf,
				 c->ok ? "pass" : "FAIL", c->text);
	}
}

/* The longest reason a partition records (struct partition.why) fits whole, with the expectation after it. */
static void the_longest_reason_fits_the_line(void **state)
{
	(void)state;
	char why[160], buf[PART_END_TEXT_MAX];
	memset(why, 'w', sizeof(why) - 1);
	why[sizeof(why) - 1] = '\0';
	const struct part_end end = { PART_PARKED, true, PART_STOP_NONE, 0, why };

	assert_false(partition_end_judge(&end, PART_EXPECT_EXIT, 4294967295u, buf, sizeof(buf)));
	assert_int_equal(strlen(buf), strlen("parked: ") + 159 + strlen("; its config has expect = exit 4294967295"));
	assert_string_equal(buf + strlen(buf) - 10, "4294967295");
	/* A short buffer is cut, never overrun. */
	char small[12];
	memset(small, 'x', sizeof(small));
	assert_false(partition_end_judge(&end, PART_EXPECT_EXIT, 0, small, sizeof(small)));
	assert_string_equal(small, "parked: www");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_end_is_judged_against_each_expectation),
		cmocka_unit_test(the_longest_reason_fits_the_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
