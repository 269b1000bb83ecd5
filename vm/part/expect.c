/*
 * The check at a partition's end (vm/part/expect.h): its end described in
 * one line and compared with what its config's `expect =` says.
 */
#include "vm/part/expect.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"

/* "expect = parked", "expect = exit 3", ... into buf. */
static void part_expect_format(enum part_expect want, u32 want_code, char *buf, size_t len)
{
	switch (want) {
	case PART_EXPECT_PARKED:
		fmt_snprintf(buf, len, "expect = parked");
		return;
	case PART_EXPECT_HALTED:
		fmt_snprintf(buf, len, "expect = halted");
		return;
	case PART_EXPECT_TIME_LIMIT:
		fmt_snprintf(buf, len, "expect = time-limit");
		return;
	case PART_EXPECT_EXIT:
		break;
	}
	fmt_snprintf(buf, len, "expect = exit %u", want_code);
}

/*
 * What happened (head: "parked", "exited with code 3") and its detail
 * (the reason, or ""), and whether that end is the one want names.
 */
static bool end_describe(const struct part_end *end, enum part_expect want, u32 want_code, char *head, size_t len,
			 const char **detail)
{
	const char *why = end->why ? end->why : "";

	*detail = why;
	switch (end->state) {
	case PART_EXITED:
		*detail = "";
		fmt_snprintf(head, len, "exited with code %llu", (unsigned long long)end->code);
		return want == PART_EXPECT_EXIT && end->code == want_code;
	case PART_PARKED:
		str_copy(head, "parked", len);
		return want == PART_EXPECT_PARKED;
	case PART_HALTED:
		str_copy(head, "halted for good", len);
		return want == PART_EXPECT_HALTED;
	case PART_STOPPED:
		str_copy(head, "stopped", len);
		/*
		 * Its own time-limit, or the operator's quit (a partition meant to
		 * run until stopped): the run's (command line) bounds every
		 * partition, none expects it.
		 */
		return want == PART_EXPECT_TIME_LIMIT &&
		       (end->stop == PART_STOP_TIME_LIMIT || end->stop == PART_STOP_QUIT);
	case PART_FAILED:
		str_copy(head, end->started ? "failed" : "never started", len);
		return false;
	case PART_RUNNING:
		str_copy(head, "still running when the run ended", len);
		*detail = "";
		return false;
	case PART_IDLE:
		break;
	}
	str_copy(head, "never started", len);
	*detail = "";
	return false;
}

bool partition_end_judge(const struct part_end *end, enum part_expect want, u32 want_code, char *buf, size_t len)
{
	char head[64], exp[32];
	const char *detail;
	bool ok = end_describe(end, want, want_code, head, sizeof(head), &detail);
	/* The default, a clean exit, goes without saying. */
	bool said = !(want == PART_EXPECT_EXIT && want_code == 0);

	part_expect_format(want, want_code, exp, sizeof(exp));
	if (ok && said)
		fmt_snprintf(buf, len, "%s as its config expects%s%s%s", head, detail[0] ? " (" : "", detail,
			     detail[0] ? ")" : "");
	else if (ok)
		fmt_snprintf(buf, len, "%s", head);
	else
		fmt_snprintf(buf, len, "%s%s%s%s%s", head, detail[0] ? ": " : "", detail,
			     said ? "; its config has " : "", said ? exp : "");
	return ok;
}
