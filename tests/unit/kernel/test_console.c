/* The COM1 console: line assembly and the iommu walk command. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "kernel/console.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "kernel/hw/pci_cfg.h"
#include "tests/fakes/fake_log.h"

static const char *input;
static struct { u32 sbdf; u64 iova; bool write; unsigned calls; } walked;

static int fake_getc(void)
{
	static unsigned idle;
	if (!*input)
		return -2;
	if (++idle % 3 == 0)
		return -1;              /* nothing typed yet: the console must wait */
	return (u8)*input++;
}

static int fake_walk(u32 sbdf, u64 iova, bool write)
{
	walked.sbdf = sbdf;
	walked.iova = iova;
	walked.write = write;
	walked.calls++;
	return 0;
}

static const struct console_env env = { fake_getc, fake_walk };

static int setup(void **state)
{
	(void)state;
	fake_log_capture();
	memset(&walked, 0, sizeof(walked));
	return 0;
}

static void walk_command_reaches_the_iommu_with_its_arguments(void **state)
{
	(void)state;
	input = "iommu walk 00:03.0 0x10000 r\r\niommu walk 0001:02:00.1 4096 w\nexit\nhelp\n";
	console_run(&env);
	assert_int_equal(walked.calls, 2);
	assert_int_equal(walked.sbdf, PCI_SBDF(1, 2, 0, 1));
	assert_int_equal(walked.iova, 4096);
	assert_true(walked.write);
	assert_true(fake_log_has("c0 INFO console: > iommu walk 00:03.0 0x10000 r\n"));
	assert_true(fake_log_has("c0 INFO console: > exit\n"));
	assert_false(fake_log_has("> help"));   /* after exit: not read */
}

static void backspace_edits_the_line(void **state)
{
	(void)state;
	input = "hepl\x7f\x7flp\nexit\n";
	console_run(&env);
	assert_true(fake_log_has("commands: iommu walk"));
}

static void bad_lines_get_one_warning_each(void **state)
{
	(void)state;
	assert_int_equal(console_exec(&env, "frob"), 0);
	assert_int_equal(console_exec(&env, "iommu walk 00:03.0"), 0);
	assert_int_equal(console_exec(&env, "iommu walk 00:03.0 0x10000 x"), 0);
	assert_int_equal(console_exec(&env, "iommu walk 0:3 0x10000 r"), 0);
	assert_int_equal(console_exec(&env, "iommu walk 00:03.0 zz r"), 0);
	assert_int_equal(console_exec(&env, "iommu walk 00:03.0 0x1 r extra"), 0);
	assert_int_equal(fake_log_count("WARN console: unknown command 'frob'"), 1);
	assert_int_equal(fake_log_count("WARN console: usage: iommu walk"), 5);
	assert_int_equal(walked.calls, 0);
	assert_int_equal(console_exec(&env, "exit"), 1);
}

static void walk_without_an_iommu_says_so(void **state)
{
	(void)state;
	const struct console_env none = { fake_getc, NULL };
	assert_int_equal(console_exec(&none, "iommu walk 00:03.0 0x10000 r"), 0);
	assert_true(fake_log_has("no IOMMU is translating"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(walk_command_reaches_the_iommu_with_its_arguments, setup),
		cmocka_unit_test_setup(backspace_edits_the_line, setup),
		cmocka_unit_test_setup(bad_lines_get_one_warning_each, setup),
		cmocka_unit_test_setup(walk_without_an_iommu_says_so, setup),
	};
	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
