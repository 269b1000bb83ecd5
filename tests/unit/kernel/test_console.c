/* The console: line assembly, polling, and the command runner over a table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "kernel/console.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/hw/pci_cfg.h"
#include "tests/fakes/fake_log.h"

static const char *input;
static unsigned idle_every;     /* every Nth read finds nothing waiting (0: never) */
static struct { u32 sbdf; u64 iova; bool write; unsigned calls; } walked;
static unsigned quits, fails;

static int fake_getc(void)
{
	static unsigned reads;
	if (!*input)
		return -2;
	if (idle_every && ++reads % idle_every == 0)
		return -1;              /* nothing typed yet: the console must wait */
	return (u8)*input++;
}

/* Bytes waiting, then nothing (-1) for ever: what a UART gives between a person's lines. */
static int uart_getc_fake(void)
{
	return *input ? (u8)*input++ : -1;
}

static int cmd_walk(void *ctx, unsigned argc, char **argv)
{
	(void)ctx;
	(void)argc;
	if (!pci_sbdf_parse(argv[0], strlen(argv[0]), &walked.sbdf) ||
	    str_to_u64(argv[1], strlen(argv[1]), false, &walked.iova) || (strcmp(argv[2], "r") && strcmp(argv[2], "w")))
		return -HV_EINVAL;
	walked.write = argv[2][0] == 'w';
	walked.calls++;
	return 0;
}

static int cmd_fail(void *ctx, unsigned argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	fails++;
	return -HV_EBUSY;
}

static int cmd_quit(void *ctx, unsigned argc, char **argv)
{
	(void)argc;
	(void)argv;
	quits += ctx != NULL;
	return CONSOLE_QUIT;
}

static const struct console_cmd cmds[] = {
	{ "walk", "BDF IOVA r|w", "a walk", 3, 3, cmd_walk },
	{ "iommu walk", "BDF IOVA r|w", "the same", 3, 3, cmd_walk },
	{ "busy", "[N]", "always fails", 0, 1, cmd_fail },
	{ "quit", "", "the end", 0, 0, cmd_quit },
};
static int ctx_token;
static const struct console_env env = { fake_getc, cmds, ARRAY_SIZE(cmds), &ctx_token, NULL, NULL };

static int setup(void **state)
{
	(void)state;
	fake_log_capture();
	memset(&walked, 0, sizeof(walked));
	quits = fails = 0;
	idle_every = 3;
	return 0;
}

static void walk_command_reaches_the_iommu_with_its_arguments(void **state)
{
	(void)state;
	input = "iommu walk 00:03.0 0x10000 r\r\nwalk 0001:02:00.1 4096 w\nquit\nhelp\n";
	console_run(&env);
	assert_int_equal(walked.calls, 2);
	assert_int_equal(walked.sbdf, PCI_SBDF(1, 2, 0, 1));
	assert_int_equal(walked.iova, 4096);
	assert_true(walked.write);
	assert_int_equal(quits, 1);
	assert_true(fake_log_has("c0 INFO console: > iommu walk 00:03.0 0x10000 r\n"));
	assert_true(fake_log_has("c0 INFO console: > quit\n"));
	assert_false(fake_log_has("> help"));   /* after quit: not read */
}

static void backspace_edits_the_line(void **state)
{
	(void)state;
	input = "hepl\x7f\x7flp\nquit\n";
	console_run(&env);
	assert_true(fake_log_has("INFO console:   walk BDF IOVA r|w: a walk\n"));
	assert_true(fake_log_has("INFO console:   help: this list\n"));
}

static void bad_lines_get_one_warning_each(void **state)
{
	(void)state;
	assert_int_equal(console_exec(&env, "frob"), 0);
	assert_int_equal(console_exec(&env, "walk 00:03.0"), 0);
	assert_int_equal(console_exec(&env, "walk 00:03.0 0x10000 x"), 0);
	assert_int_equal(console_exec(&env, "iommu walk 0:3 0x10000 r"), 0);
	assert_int_equal(console_exec(&env, "walk 00:03.0 zz r"), 0);
	assert_int_equal(console_exec(&env, "walk 00:03.0 0x1 r extra"), 0);
	assert_int_equal(console_exec(&env, "iommu frob"), 0);
	assert_int_equal(console_exec(&env, "quit now"), 0);
	assert_int_equal(console_exec(&env, "a b c d e f g h i"), 0);
	assert_int_equal(fake_log_count("WARN console: unknown command 'frob'"), 1);
	assert_int_equal(fake_log_count("WARN console: unknown command 'iommu frob'"), 1);
	assert_int_equal(fake_log_count("WARN console: usage: walk BDF IOVA r|w\n"), 4);
	assert_int_equal(fake_log_count("WARN console: usage: iommu walk BDF IOVA r|w\n"), 1);
	assert_int_equal(fake_log_count("WARN console: usage: quit\n"), 1);
	assert_int_equal(fake_log_count("WARN console: more than 8 words"), 1);
	assert_int_equal(walked.calls, 0);
	assert_int_equal(quits, 0);
	assert_int_equal(console_exec(&env, "  quit  "), CONSOLE_QUIT);
	assert_int_equal(quits, 1);
}

static void a_failing_command_says_why(void **state)
{
	(void)state;
	assert_int_equal(console_exec(&env, "busy 3"), 0);
	assert_int_equal(fails, 1);
	assert_true(fake_log_has("WARN console: busy: "));
	assert_int_equal(console_exec(&env, "busy 3 4"), 0);
	assert_int_equal(fails, 1);
	assert_true(fake_log_has("WARN console: usage: busy [N]\n"));
}

static void poll_never_waits_and_keeps_a_partial_line(void **state)
{
	struct console c;
	const struct console_env uart = { uart_getc_fake, cmds, ARRAY_SIZE(cmds), &ctx_token, NULL, NULL };
	(void)state;
	console_open(&c, &uart);
	assert_true(fake_log_has("console: ready: type help (console=on)\n"));
	input = "walk 00:0";
	assert_false(console_poll(&c));         /* half a line: kept, nothing run */
	assert_int_equal(walked.calls, 0);
	assert_false(console_poll(&c));         /* nothing waiting: returns at once */
	input = "3.0 0x2000 r\n";
	assert_false(console_poll(&c));
	assert_int_equal(walked.calls, 1);
	assert_int_equal(walked.sbdf, PCI_SBDF(0, 0, 3, 0));
	assert_true(fake_log_has("console: > walk 00:03.0 0x2000 r\n"));
	input = "quit\nwalk 00:04.0 0x1 r\n";
	assert_true(console_poll(&c));
	assert_true(console_poll(&c));          /* quit stays quit; nothing more is read */
	assert_int_equal(walked.calls, 1);
	assert_string_equal(input, "walk 00:04.0 0x1 r\n");
}

static void poll_reads_a_bounded_number_of_bytes(void **state)
{
	struct console c;
	const struct console_env uart = { uart_getc_fake, cmds, ARRAY_SIZE(cmds), &ctx_token, NULL, NULL };
	static char flood[3 * CONSOLE_LINE_MAX + 1];
	(void)state;
	memset(flood, 'x', sizeof(flood) - 1);
	input = flood;
	console_open(&c, &uart);
	assert_false(console_poll(&c));
	assert_int_equal(strlen(input), 2 * CONSOLE_LINE_MAX);  /* one call's share read, the rest left */
	assert_int_equal(c.len, CONSOLE_LINE_MAX - 1);            /* the line is cut at its size */
}

static unsigned busy_polls;

static bool busy_twice(void *ctx)
{
	(void)ctx;
	return busy_polls && busy_polls--;
}

static void busy_holds_the_next_line_back(void **state)
{
	struct console c;
	const struct console_env uart = { uart_getc_fake, cmds, ARRAY_SIZE(cmds), &ctx_token, busy_twice, NULL };
	(void)state;
	console_open(&c, &uart);
	input = "walk 00:03.0 0x1 r\nwalk 00:04.0 0x2 r\n";
	busy_polls = 0;
	assert_false(console_poll(&c));
	assert_int_equal(walked.calls, 2);
	input = "walk 00:05.0 0x3 r\n";
	busy_polls = 2;
	assert_false(console_poll(&c));         /* the last command's work is not taken: nothing read */
	assert_false(console_poll(&c));
	assert_int_equal(walked.calls, 2);
	assert_false(console_poll(&c));
	assert_int_equal(walked.calls, 3);
	assert_int_equal(walked.sbdf, PCI_SBDF(0, 0, 5, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(walk_command_reaches_the_iommu_with_its_arguments, setup),
		cmocka_unit_test_setup(backspace_edits_the_line, setup),
		cmocka_unit_test_setup(bad_lines_get_one_warning_each, setup),
		cmocka_unit_test_setup(a_failing_command_says_why, setup),
		cmocka_unit_test_setup(poll_never_waits_and_keeps_a_partial_line, setup),
		cmocka_unit_test_setup(poll_reads_a_bounded_number_of_bytes, setup),
		cmocka_unit_test_setup(busy_holds_the_next_line_back, setup),
	};
	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
