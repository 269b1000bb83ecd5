/*
 * Host tests for boot/efi/boot_cfg.c, the parser of \sluice\boot.cfg:
 * every keyword, comments, blank lines and CRLF, every error it reports
 * (with its exact message and line number), and the field and module limits
 * at their edges.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "boot/efi/boot_cfg.h"
#include "kernel/err.h"

static struct boot_cfg cfg;
static char err[BOOT_CFG_ERR_LEN];
static char text[8192];

static int reset(void **state)
{
	(void)state;
	/* Garbage everywhere, so "zeroed first" and "err cleared" are checked. */
	memset(&cfg, 0xa5, sizeof(cfg));
	memset(err, 'x', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	text[0] = '\0';
	return 0;
}

static int parse_len(const char *s, size_t len)
{
	return boot_cfg_parse(s, len, &cfg, err, sizeof(err));
}

static int parse(const char *s)
{
	return parse_len(s, strlen(s));
}

static void parses(const char *s)
{
	int ret = parse(s);

	if (ret != 0)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(ret, 0);
	assert_string_equal(err, "");
}

static void rejects(const char *s, const char *want_err)
{
	assert_int_equal(parse(s), -HV_EINVAL);
	assert_string_equal(err, want_err);
}

/* dst = n copies of c, terminated; returns dst. */
static char *run_of(char *dst, char c, size_t n)
{
	memset(dst, c, n);
	dst[n] = '\0';
	return dst;
}

/* Appends printf output to text[]. */
static void __attribute__((format(printf, 1, 2))) add(const char *fmt, ...)
{
	size_t at = strlen(text);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text + at, sizeof(text) - at, fmt, ap);
	va_end(ap);
	assert_true(strlen(text) < sizeof(text) - 1);
}

/* ---- every keyword --------------------------------------------------- */

static void full_manifest_fills_every_field(void **state)
{
	(void)state;
	parses("kernel \\sluice\\sluice.elf\n"
	       "cmdline exit=qemu log=debug\n"
	       "module sluice.conf \\sluice\\sluice.conf\n"
	       "module guest.bin \\sluice\\guests\\guest.bin\n");
	assert_string_equal(cfg.kernel_path, "\\sluice\\sluice.elf");
	assert_string_equal(cfg.cmdline, "exit=qemu log=debug");
	assert_int_equal(cfg.nr_modules, 2);
	assert_string_equal(cfg.modules[0].name, "sluice.conf");
	assert_string_equal(cfg.modules[0].path, "\\sluice\\sluice.conf");
	assert_string_equal(cfg.modules[1].name, "guest.bin");
	assert_string_equal(cfg.modules[1].path, "\\sluice\\guests\\guest.bin");
}

static void kernel_line_alone_is_a_whole_manifest(void **state)
{
	(void)state;
	static const struct boot_cfg_module zero_module;

	parses("kernel \\sluice\\sluice.elf");      /* no final newline either */
	assert_string_equal(cfg.kernel_path, "\\sluice\\sluice.elf");
	assert_string_equal(cfg.cmdline, "");
	assert_int_equal(cfg.nr_modules, 0);
	/* The 0xa5 garbage reset() left is gone from the unused slots too. */
	for (unsigned i = 0; i < BOOT_MODULES_MAX; i++)
		assert_memory_equal(&cfg.modules[i], &zero_module, sizeof(zero_module));
	assert_int_equal(cfg.kernel_path[sizeof(cfg.kernel_path) - 1], 0);
}

static void forward_slashes_in_paths_become_backslashes(void **state)
{
	(void)state;
	parses("kernel /sluice/sluice.elf\n"
	       "module a/b /sluice/mods/a.bin\n");
	assert_string_equal(cfg.kernel_path, "\\sluice\\sluice.elf");
	assert_string_equal(cfg.modules[0].path, "\\sluice\\mods\\a.bin");
	/* The module name is what the kernel sees: left as written. */
	assert_string_equal(cfg.modules[0].name, "a/b");
}

static void cmdline_slashes_are_left_alone(void **state)
{
	(void)state;
	parses("kernel k\ncmdline root=/dev/x path=a\\b\n");
	assert_string_equal(cfg.cmdline, "root=/dev/x path=a\\b");
}

static void lines_may_be_in_any_order(void **state)
{
	(void)state;
	parses("module m1 p1\ncmdline c\nmodule m2 p2\nkernel k\n");
	assert_string_equal(cfg.kernel_path, "k");
	assert_string_equal(cfg.cmdline, "c");
	assert_int_equal(cfg.nr_modules, 2);
	assert_string_equal(cfg.modules[0].name, "m1");
	assert_string_equal(cfg.modules[1].name, "m2");
}

static void tabs_and_runs_of_blanks_separate_tokens(void **state)
{
	(void)state;
	parses("\t  kernel\t\t\\k.elf  \t\n"
	       "module \t name\t \t\\path  \n");
	assert_string_equal(cfg.kernel_path, "\\k.elf");
	assert_string_equal(cfg.modules[0].name, "name");
	assert_string_equal(cfg.modules[0].path, "\\path");
}

static void cmdline_keeps_inner_blanks_and_drops_outer_ones(void **state)
{
	(void)state;
	parses("kernel k\ncmdline  \t a  b\t c \t \n");
	assert_string_equal(cfg.cmdline, "a  b\t c");
}

static void cmdline_may_be_empty(void **state)
{
	(void)state;
	parses("kernel k\ncmdline\n");
	assert_string_equal(cfg.cmdline, "");
	reset(state);
	parses("kernel k\ncmdline \t \n");
	assert_string_equal(cfg.cmdline, "");
}

static void cmdline_may_hold_a_hash(void **state)
{
	(void)state;
	parses("kernel k\ncmdline a=1 # b\n");
	assert_string_equal(cfg.cmdline, "a=1 # b");
}

/* ---- comments, blank lines, CRLF ----------------------------------------- */

static void comments_and_blank_lines_are_skipped(void **state)
{
	(void)state;
	parses("# boot.cfg written by tools/mkimage\n"
	       "\n"
	       "   \t \n"
	       "#kernel \\not\\this.elf\n"
	       "  \t# module bogus \\bogus\n"
	       "kernel \\sluice\\sluice.elf\n"
	       "# cmdline nope\n"
	       "\n"
	       "cmdline yes\n"
	       "#\n");
	assert_string_equal(cfg.kernel_path, "\\sluice\\sluice.elf");
	assert_string_equal(cfg.cmdline, "yes");
	assert_int_equal(cfg.nr_modules, 0);
}

static void crlf_line_endings_are_accepted(void **state)
{
	(void)state;
	parses("# written on Windows\r\n"
	       "\r\n"
	       "kernel \\sluice\\sluice.elf\r\n"
	       "cmdline log=debug  \r\n"
	       "module sluice.conf \\sluice\\sluice.conf\r\n");
	assert_string_equal(cfg.kernel_path, "\\sluice\\sluice.elf");
	assert_string_equal(cfg.cmdline, "log=debug");
	assert_int_equal(cfg.nr_modules, 1);
	assert_string_equal(cfg.modules[0].name, "sluice.conf");
	assert_string_equal(cfg.modules[0].path, "\\sluice\\sluice.conf");
}

static void crlf_empty_cmdline_stays_empty(void **state)
{
	(void)state;
	parses("kernel k\r\ncmdline\r\n");
	assert_string_equal(cfg.cmdline, "");
}

static void crlf_on_a_final_line_without_newline_is_stripped(void **state)
{
	(void)state;
	parses("cmdline x\r\nkernel k\r");
	assert_string_equal(cfg.kernel_path, "k");
	assert_string_equal(cfg.cmdline, "x");
}

static void mixed_lf_and_crlf_lines_parse_alike(void **state)
{
	(void)state;
	parses("kernel k\ncmdline c\r\nmodule m p\n");
	assert_string_equal(cfg.kernel_path, "k");
	assert_string_equal(cfg.cmdline, "c");
	assert_string_equal(cfg.modules[0].path, "p");
}

/* ---- errors ---------------------------------------------------------------- */

static void unknown_keyword_is_rejected_with_its_line(void **state)
{
	(void)state;
	rejects("kernel k\nmodul a b\n", "line 2: unknown keyword \"modul\"");
}

static void keywords_are_case_sensitive(void **state)
{
	(void)state;
	rejects("Kernel k\n", "line 1: unknown keyword \"Kernel\"");
}

static void keyword_must_be_a_whole_token(void **state)
{
	(void)state;
	rejects("kernel k\nkernelx y\n", "line 2: unknown keyword \"kernelx\"");
	reset(state);
	rejects("kernel k\nkern y\n", "line 2: unknown keyword \"kern\"");
	reset(state);
	rejects("kernel k\ncmdline=x\n", "line 2: unknown keyword \"cmdline=x\"");
}

static void line_numbers_count_comments_blank_lines_and_crlf_lines(void **state)
{
	(void)state;
	rejects("# c\r\n\r\n  \n\tkernel k\r\nbogus\r\n", "line 5: unknown keyword \"bogus\"");
}

static void long_unknown_keyword_is_quoted_to_40_characters(void **state)
{
	(void)state;
	char word[101], want[BOOT_CFG_ERR_LEN];

	add("kernel k\n%s tail\n", run_of(word, 'w', 100));
	snprintf(want, sizeof(want), "line 2: unknown keyword \"%.40s\"", word);
	rejects(text, want);
}

static void missing_kernel_is_rejected(void **state)
{
	(void)state;
	rejects("cmdline a\nmodule m p\n", "no kernel line");
}

static void empty_manifest_is_rejected(void **state)
{
	(void)state;
	rejects("", "no kernel line");
	reset(state);
	rejects("# nothing here\r\n\n   \n", "no kernel line");
}

static void kernel_line_without_path_is_rejected(void **state)
{
	(void)state;
	rejects("cmdline x\nkernel\n", "line 2: kernel needs a path");
	reset(state);
	rejects("kernel  \t\r\n", "line 1: kernel needs a path");
}

static void extra_text_after_kernel_path_is_rejected(void **state)
{
	(void)state;
	rejects("kernel \\a.elf \\b.elf  c\n", "line 1: extra text after kernel path \"\\b.elf  c\"");
}

static void trailing_comment_on_a_kernel_line_is_extra_text(void **state)
{
	(void)state;
	rejects("kernel k # the kernel\n", "line 1: extra text after kernel path \"# the kernel\"");
}

static void duplicate_kernel_is_rejected(void **state)
{
	(void)state;
	rejects("kernel a\ncmdline x\nkernel b\n", "line 3: second kernel line");
}

static void duplicate_identical_kernel_is_rejected_too(void **state)
{
	(void)state;
	rejects("kernel a\nkernel a\n", "line 2: second kernel line");
}

static void duplicate_cmdline_is_rejected(void **state)
{
	(void)state;
	rejects("kernel k\ncmdline a\ncmdline b\n", "line 3: second cmdline line");
}

static void empty_cmdline_still_counts_as_the_one_cmdline_line(void **state)
{
	(void)state;
	rejects("kernel k\ncmdline\ncmdline b\n", "line 3: second cmdline line");
	reset(state);
	rejects("kernel k\ncmdline a\ncmdline\n", "line 3: second cmdline line");
}

static void stale_module_line_without_path_is_rejected(void **state)
{
	(void)state;
	rejects("kernel k\nmodule sluice.conf\n", "line 2: module needs a name and a path");
}

static void module_line_without_name_or_path_is_rejected(void **state)
{
	(void)state;
	rejects("kernel k\nmodule \t\r\n", "line 2: module needs a name and a path");
}

static void extra_text_after_module_path_is_rejected(void **state)
{
	(void)state;
	rejects("kernel k\nmodule a \\a b\n", "line 2: extra text after module path \"b\"");
}

static void repeated_module_name_is_rejected(void **state)
{
	(void)state;
	rejects("kernel k\nmodule cfg \\a\nmodule other \\b\nmodule cfg \\c\n",
		"line 4: repeated module name \"cfg\"");
}

static void module_names_differing_only_in_length_are_distinct(void **state)
{
	(void)state;
	parses("kernel k\nmodule ab p1\nmodule a p2\nmodule abc p3\n");
	assert_int_equal(cfg.nr_modules, 3);
	assert_string_equal(cfg.modules[1].name, "a");
}

static void same_path_under_two_names_is_accepted(void **state)
{
	(void)state;
	parses("kernel k\nmodule a \\same\nmodule b \\same\n");
	assert_int_equal(cfg.nr_modules, 2);
}

static void nul_byte_is_rejected_with_its_line(void **state)
{
	(void)state;
	static const char t[] = "kernel k\ncmdline a\0b\n";

	assert_int_equal(parse_len(t, sizeof(t) - 1), -HV_EINVAL);
	assert_string_equal(err, "line 2: NUL byte in text");
}

static void nul_byte_in_a_comment_is_rejected_too(void **state)
{
	(void)state;
	static const char t[] = "kernel k\n\n# \0\n";

	assert_int_equal(parse_len(t, sizeof(t) - 1), -HV_EINVAL);
	assert_string_equal(err, "line 3: NUL byte in text");
}

static void trailing_nul_counted_in_the_length_is_rejected(void **state)
{
	(void)state;
	static const char t[] = "kernel k\n";

	assert_int_equal(parse_len(t, sizeof(t)), -HV_EINVAL);
	assert_string_equal(err, "line 2: NUL byte in text");
}

static void only_len_bytes_are_read(void **state)
{
	(void)state;
	/* Past len there is a bad line the parser must never see. */
	static const char t[] = "kernel k\nbogus";

	assert_int_equal(parse_len(t, 9), 0);
	assert_string_equal(cfg.kernel_path, "k");
}

static void first_error_wins(void **state)
{
	(void)state;
	rejects("kernel a\nkernel b\nbogus\n", "line 2: second kernel line");
}

/* ---- limits ---------------------------------------------------------------- */

static void kernel_path_of_255_characters_fits(void **state)
{
	(void)state;
	char path[BOOT_CFG_PATH_LEN];

	run_of(path, 'p', BOOT_CFG_PATH_LEN - 1);
	path[0] = '/';
	add("kernel %s\n", path);
	parses(text);
	path[0] = '\\';
	assert_string_equal(cfg.kernel_path, path);
}

static void kernel_path_of_256_characters_is_too_long(void **state)
{
	(void)state;
	char path[BOOT_CFG_PATH_LEN + 1], want[BOOT_CFG_ERR_LEN];

	add("kernel %s\n", run_of(path, 'p', BOOT_CFG_PATH_LEN));
	snprintf(want, sizeof(want), "line 1: kernel path too long \"%.40s\"", path);
	rejects(text, want);
}

static void cmdline_of_511_characters_fits(void **state)
{
	(void)state;
	char line[BOOT_CMDLINE_LEN];

	add("kernel k\ncmdline %s \t \r\n", run_of(line, 'c', BOOT_CMDLINE_LEN - 1));
	parses(text);
	assert_string_equal(cfg.cmdline, line);
}

/* Longer than boot_info holds: kept whole for the kernel, which refuses it but reads its exit=. */
static void cmdline_of_600_characters_is_kept_whole(void **state)
{
	(void)state;
	char line[601];

	run_of(line, 'c', 590);
	memcpy(line + 590, " exit=qemu", 11);
	add("kernel k\ncmdline %s \t\r\nmodule m p\n", line);
	parses(text);
	assert_int_equal(cfg.cmdline_len, 600);
	assert_int_equal(strlen(cfg.cmdline), BOOT_CMDLINE_LEN - 1);
	assert_memory_equal(cfg.cmdline, line, BOOT_CMDLINE_LEN - 1);
	assert_memory_equal(cfg.cmdline_text, line, 600);
	assert_int_equal(cfg.nr_modules, 1);
}

static void module_name_of_63_characters_fits(void **state)
{
	(void)state;
	char name[BOOT_NAME_LEN];

	add("kernel k\nmodule %s p\n", run_of(name, 'n', BOOT_NAME_LEN - 1));
	parses(text);
	assert_string_equal(cfg.modules[0].name, name);
}

static void module_name_of_64_characters_is_too_long(void **state)
{
	(void)state;
	char name[BOOT_NAME_LEN + 1], want[BOOT_CFG_ERR_LEN];

	add("kernel k\nmodule %s p\n", run_of(name, 'n', BOOT_NAME_LEN));
	snprintf(want, sizeof(want), "line 2: module name too long \"%.40s\"", name);
	rejects(text, want);
}

static void module_path_of_255_characters_fits(void **state)
{
	(void)state;
	char path[BOOT_CFG_PATH_LEN];

	add("kernel k\nmodule m %s\n", run_of(path, 'p', BOOT_CFG_PATH_LEN - 1));
	parses(text);
	assert_string_equal(cfg.modules[0].path, path);
}

static void module_path_of_256_characters_is_too_long(void **state)
{
	(void)state;
	char path[BOOT_CFG_PATH_LEN + 1], want[BOOT_CFG_ERR_LEN];

	add("kernel k\nmodule m %s\n", run_of(path, 'p', BOOT_CFG_PATH_LEN));
	snprintf(want, sizeof(want), "line 2: module path too long \"%.40s\"", path);
	rejects(text, want);
}

static void sixteen_modules_fit(void **state)
{
	(void)state;
	char want[32];

	add("kernel k\n");
	for (unsigned i = 0; i < BOOT_MODULES_MAX; i++)
		add("module mod%u /m/%u.bin\n", i, i);
	parses(text);
	assert_int_equal(cfg.nr_modules, BOOT_MODULES_MAX);
	for (unsigned i = 0; i < BOOT_MODULES_MAX; i++) {
		snprintf(want, sizeof(want), "mod%u", i);
		assert_string_equal(cfg.modules[i].name, want);
		snprintf(want, sizeof(want), "\\m\\%u.bin", i);
		assert_string_equal(cfg.modules[i].path, want);
	}
}

static void seventeenth_module_is_too_many(void **state)
{
	(void)state;
	char want[BOOT_CFG_ERR_LEN];

	add("kernel k\n");
	for (unsigned i = 0; i <= BOOT_MODULES_MAX; i++)
		add("module mod%u p%u\n", i, i);
	/* The message names the limit; it must follow BOOT_MODULES_MAX. */
	snprintf(want, sizeof(want), "line %d: more than %d modules",
		 BOOT_MODULES_MAX + 2, BOOT_MODULES_MAX);
	rejects(text, want);
}

/* ---- the error buffer ------------------------------------------------------ */

static void error_is_cut_to_the_buffer_and_terminated(void **state)
{
	(void)state;
	char small[12];

	memset(small, 'x', sizeof(small));
	assert_int_equal(boot_cfg_parse("bogus\n", 6, &cfg, small, sizeof(small)), -HV_EINVAL);
	assert_string_equal(small, "line 1: unk");
}

static void one_byte_error_buffer_gets_an_empty_string(void **state)
{
	(void)state;
	char one = 'x';

	assert_int_equal(boot_cfg_parse("bogus\n", 6, &cfg, &one, 1), -HV_EINVAL);
	assert_int_equal(one, '\0');
}

static void zero_size_error_buffer_is_never_written(void **state)
{
	(void)state;
	char guard[4] = "abc";

	assert_int_equal(boot_cfg_parse("bogus\n", 6, &cfg, guard, 0), -HV_EINVAL);
	assert_int_equal(boot_cfg_parse("", 0, &cfg, guard, 0), -HV_EINVAL);
	assert_int_equal(boot_cfg_parse("kernel k", 8, &cfg, guard, 0), 0);
	assert_string_equal(guard, "abc");
}

static void large_line_number_is_printed_in_full(void **state)
{
	(void)state;
	static char many[12000];

	memset(many, '\n', 11999);
	memcpy(many + 11999 - 5, "bad\n\n", 5);       /* "bad" on line 11995 */
	assert_int_equal(parse_len(many, 11999), -HV_EINVAL);
	assert_string_equal(err, "line 11995: unknown keyword \"bad\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(full_manifest_fills_every_field, reset),
		cmocka_unit_test_setup(kernel_line_alone_is_a_whole_manifest, reset),
		cmocka_unit_test_setup(forward_slashes_in_paths_become_backslashes, reset),
		cmocka_unit_test_setup(cmdline_slashes_are_left_alone, reset),
		cmocka_unit_test_setup(lines_may_be_in_any_order, reset),
		cmocka_unit_test_setup(tabs_and_runs_of_blanks_separate_tokens, reset),
		cmocka_unit_test_setup(cmdline_keeps_inner_blanks_and_drops_outer_ones, reset),
		cmocka_unit_test_setup(cmdline_may_be_empty, reset),
		cmocka_unit_test_setup(cmdline_may_hold_a_hash, reset),
		cmocka_unit_test_setup(comments_and_blank_lines_are_skipped, reset),
		cmocka_unit_test_setup(crlf_line_endings_are_accepted, reset),
		cmocka_unit_test_setup(crlf_empty_cmdline_stays_empty, reset),
		cmocka_unit_test_setup(crlf_on_a_final_line_without_newline_is_stripped, reset),
		cmocka_unit_test_setup(mixed_lf_and_crlf_lines_parse_alike, reset),
		cmocka_unit_test_setup(unknown_keyword_is_rejected_with_its_line, reset),
		cmocka_unit_test_setup(keywords_are_case_sensitive, reset),
		cmocka_unit_test_setup(keyword_must_be_a_whole_token, reset),
		cmocka_unit_test_setup(line_numbers_count_comments_blank_lines_and_crlf_lines, reset),
		cmocka_unit_test_setup(long_unknown_keyword_is_quoted_to_40_characters, reset),
		cmocka_unit_test_setup(missing_kernel_is_rejected, reset),
		cmocka_unit_test_setup(empty_manifest_is_rejected, reset),
		cmocka_unit_test_setup(kernel_line_without_path_is_rejected, reset),
		cmocka_unit_test_setup(extra_text_after_kernel_path_is_rejected, reset),
		cmocka_unit_test_setup(trailing_comment_on_a_kernel_line_is_extra_text, reset),
		cmocka_unit_test_setup(duplicate_kernel_is_rejected, reset),
		cmocka_unit_test_setup(duplicate_identical_kernel_is_rejected_too, reset),
		cmocka_unit_test_setup(duplicate_cmdline_is_rejected, reset),
		cmocka_unit_test_setup(empty_cmdline_still_counts_as_the_one_cmdline_line, reset),
		cmocka_unit_test_setup(stale_module_line_without_path_is_rejected, reset),
		cmocka_unit_test_setup(module_line_without_name_or_path_is_rejected, reset),
		cmocka_unit_test_setup(extra_text_after_module_path_is_rejected, reset),
		cmocka_unit_test_setup(repeated_module_name_is_rejected, reset),
		cmocka_unit_test_setup(module_names_differing_only_in_length_are_distinct, reset),
		cmocka_unit_test_setup(same_path_under_two_names_is_accepted, reset),
		cmocka_unit_test_setup(nul_byte_is_rejected_with_its_line, reset),
		cmocka_unit_test_setup(nul_byte_in_a_comment_is_rejected_too, reset),
		cmocka_unit_test_setup(trailing_nul_counted_in_the_length_is_rejected, reset),
		cmocka_unit_test_setup(only_len_bytes_are_read, reset),
		cmocka_unit_test_setup(first_error_wins, reset),
		cmocka_unit_test_setup(kernel_path_of_255_characters_fits, reset),
		cmocka_unit_test_setup(kernel_path_of_256_characters_is_too_long, reset),
		cmocka_unit_test_setup(cmdline_of_511_characters_fits, reset),
		cmocka_unit_test_setup(cmdline_of_600_characters_is_kept_whole, reset),
		cmocka_unit_test_setup(module_name_of_63_characters_fits, reset),
		cmocka_unit_test_setup(module_name_of_64_characters_is_too_long, reset),
		cmocka_unit_test_setup(module_path_of_255_characters_fits, reset),
		cmocka_unit_test_setup(module_path_of_256_characters_is_too_long, reset),
		cmocka_unit_test_setup(sixteen_modules_fit, reset),
		cmocka_unit_test_setup(seventeenth_module_is_too_many, reset),
		cmocka_unit_test_setup(error_is_cut_to_the_buffer_and_terminated, reset),
		cmocka_unit_test_setup(one_byte_error_buffer_gets_an_empty_string, reset),
		cmocka_unit_test_setup(zero_size_error_buffer_is_never_written, reset),
		cmocka_unit_test_setup(large_line_number_is_printed_in_full, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
