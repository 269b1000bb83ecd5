/*
 * Host tests for vm/config/config.c: the INI syntax of sluice.conf (sections,
 * key = value, comments, repeated keys) and one error line per mistake,
 * naming the file and the line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "vm/config/config.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "tests/fakes/fake_log.h"

static struct config conf;

static int setup(void **state)
{
	(void)state;
	log_set_levels("info");
	log_set_cpu_fn(NULL);
	fake_log_capture();
	return 0;
}

static int parse(const char *text)
{
	return config_parse(&conf, "sluice.conf", text, strlen(text));
}

/* The len bytes of text are rejected with exactly one error line, this one. */
static void rejects_n(const char *text, size_t len, const char *line)
{
	fake_log_capture();
	assert_int_equal(config_parse(&conf, "sluice.conf", text, len), -HV_EINVAL);
	assert_int_equal(conf.nr_errors, 1);
	if (!fake_log_has(line))
		fail_msg("wanted '%s' in:\n%s", line, fake_log_text());
	assert_int_equal(fake_log_count("\n"), 1);
}

static void rejects(const char *text, const char *line)
{
	rejects_n(text, strlen(text), line);
}

static void worked_example_splits_into_sections_and_entries(void **state)
{
	(void)state;
	assert_int_equal(parse(
		"# The worked example\n"
		"[sluice]\n"
		"iommu = on                      # off = stage 0\n"
		"\n"
		"[partition \"p1\"]\n"
		"memory = gpa=0x10000000 size=1M hpa=0x10000000\n"
		"memory = gpa=0x20000000 size=4K access=r\n"
		"device = 00:03.0\n"
		"[partition \"p2\"]\n"
		"  device=00:04.0\t\n"), 0);
	assert_int_equal(conf.nr_errors, 0);
	assert_int_equal(conf.nr_sections, 3);
	assert_string_equal(conf.sections[0].type, "sluice");
	assert_false(conf.sections[0].named);
	assert_int_equal(conf.sections[0].line, 2);
	assert_string_equal(conf.sections[1].type, "partition");
	assert_string_equal(conf.sections[1].name, "p1");
	assert_true(conf.sections[1].named);
	assert_int_equal(conf.nr_entries, 5);
	assert_string_equal(conf.entries[0].key, "iommu");
	assert_string_equal(conf.entries[0].value, "on");
	assert_int_equal(conf.entries[0].section, 0);
	/* A repeated key is a list: both entries kept, in order. */
	assert_string_equal(conf.entries[1].value, "gpa=0x10000000 size=1M hpa=0x10000000");
	assert_string_equal(conf.entries[2].value, "gpa=0x20000000 size=4K access=r");
	assert_int_equal(conf.entries[2].line, 7);
	assert_int_equal(conf.entries[3].section, 1);
	assert_string_equal(conf.entries[4].key, "device");
	assert_string_equal(conf.entries[4].value, "00:04.0");
	assert_int_equal(conf.entries[4].section, 2);
	assert_ptr_equal(config_section_find(&conf, "partition", "p2"), &conf.sections[2]);
	assert_ptr_equal(config_section_find(&conf, "sluice", ""), &conf.sections[0]);
	assert_null(config_section_find(&conf, "partition", "p3"));
	assert_string_equal(fake_log_text(), "");
}

static void comments_blank_lines_and_crlf_are_nothing(void **state)
{
	(void)state;
	assert_int_equal(parse("\r\n  # only a comment\r\n\t\r\n[sluice] # trailing\r\n"
			       "iommu = off#no blank before the comment\r\n"), 0);
	assert_int_equal(conf.nr_sections, 1);
	assert_int_equal(conf.nr_entries, 1);
	assert_string_equal(conf.entries[0].value, "off");
	assert_int_equal(conf.entries[0].line, 5);
}

static void a_quoted_name_may_hold_a_hash(void **state)
{
	(void)state;
	assert_int_equal(parse("[partition \"lab#1\"] # comment\n[partition\t\"x y\" ]\n"), 0);
	assert_string_equal(conf.sections[0].name, "lab#1");
	assert_string_equal(conf.sections[1].name, "x y");
}

static void last_line_without_newline_counts(void **state)
{
	(void)state;
	assert_int_equal(parse("[sluice]\niommu = on"), 0);
	assert_int_equal(conf.nr_entries, 1);
	assert_string_equal(conf.entries[0].value, "on");
	assert_int_equal(config_parse(&conf, "sluice.conf", "", 0), 0);
	assert_int_equal(conf.nr_sections, 0);
}

static void header_mistakes_name_the_line(void **state)
{
	(void)state;
	rejects("[sluice]\n[partition \"p1\"\n", "ERR  config: sluice.conf:2: section header has no closing ']'");
	rejects("[partition \"p1]\n", "sluice.conf:1: section name has no closing '\"'");
	rejects("[sluice] iommu = on\n", "sluice.conf:1: text after the section header's ']'");
	rejects("[Sluice]\n", "sluice.conf:1: bad section type 'Sluice'");
	rejects("[]\n", "sluice.conf:1: bad section type ''");
	rejects("[partition p1]\n", "sluice.conf:1: section name must be one quoted string: [partition \"NAME\"]");
	rejects("[partition \"a\" \"b\"]\n", "section name must be one quoted string");
	rejects("[partition \"\"]\n", "sluice.conf:1: empty section name");
	rejects("[partition \"0123456789abcdef0123456789abcdef\"]\n",
		"sluice.conf:1: section name longer than 31 characters");
	rejects("\n\n[sluice]\n[sluice]\n", "sluice.conf:4: [sluice] again (first at line 3)");
	rejects("[partition \"p1\"]\n[partition \"p1\"]\n", "sluice.conf:2: [partition \"p1\"] again (first at line 1)");
}

static void entry_mistakes_name_the_line(void **state)
{
	(void)state;
	rejects("iommu = on\n", "sluice.conf:1: iommu before any [section] header");
	rejects("[sluice]\niommu on\n", "sluice.conf:2: expected 'key = value' or a [section] header");
	rejects("[sluice]\nIOMMU = on\n", "sluice.conf:2: bad key 'IOMMU'");
	rejects("[sluice]\n= on\n", "sluice.conf:2: bad key ''");
	rejects("[sluice]\niommu =   # nothing\n", "sluice.conf:2: iommu has no value");
	rejects("[sluice]\niommu = o\001n\n", "sluice.conf:2: control character 0x01 in column 10");
	rejects_n("[sluice]\niommu = o\0n\n", 20, "sluice.conf:2: control character 0x00 in column 10");
}

static void long_lines_and_values_are_refused(void **state)
{
	(void)state;
	static char text[600];
	strcpy(text, "[sluice]\nimage = ");
	memset(text + strlen(text), 'x', CONFIG_VALUE_LEN);
	strcat(text, "\n");
	rejects(text, "sluice.conf:2: value of image longer than 159 characters");
	strcpy(text, "[sluice]\n#");
	memset(text + strlen(text), 'x', CONFIG_LINE_MAX);
	strcat(text, "\n");
	rejects(text, "sluice.conf:2: line longer than 255 characters");
}

/* Each mistake is reported once and parsing goes on: every error of a file in one boot. */
static void every_error_is_reported_and_parsing_goes_on(void **state)
{
	(void)state;
	assert_int_equal(parse("[sluice]\n"
			       "iommu on\n"
			       "[partition p1]\n"
			       "device = 00:03.0\n"           /* under the broken header: dropped silently */
			       "memory = gpa=0 size=4K\n"
			       "[partition \"p2\"]\n"
			       "device = 00:04.0\n"
			       "Bad = 1\n"), -HV_EINVAL);
	assert_int_equal(conf.nr_errors, 3);
	assert_int_equal(fake_log_count("\n"), 3);
	assert_true(fake_log_has("sluice.conf:2:"));
	assert_true(fake_log_has("sluice.conf:3:"));
	assert_true(fake_log_has("sluice.conf:8:"));
	assert_int_equal(conf.nr_sections, 2);
	assert_int_equal(conf.nr_entries, 1);
	assert_string_equal(conf.entries[0].value, "00:04.0");
	assert_int_equal(conf.entries[0].section, 1);
}

static void tables_full_is_an_error_not_an_overflow(void **state)
{
	(void)state;
	static char text[64 * CONFIG_MAX_ENTRIES];
	size_t n = 0;
	n += (size_t)sprintf(text + n, "[sluice]\n");
	for (unsigned i = 0; i <= CONFIG_MAX_ENTRIES; i++)
		n += (size_t)sprintf(text + n, "device = 00:%02x.0\n", i % 32);
	fake_log_capture();
	assert_int_equal(parse(text), -HV_EINVAL);
	assert_int_equal(conf.nr_entries, CONFIG_MAX_ENTRIES);
	assert_true(fake_log_has("sluice.conf:258: more than 256 key = value lines"));

	n = 0;
	for (unsigned i = 0; i <= CONFIG_MAX_SECTIONS; i++)
		n += (size_t)sprintf(text + n, "[partition \"p%u\"]\n", i);
	fake_log_capture();
	assert_int_equal(parse(text), -HV_EINVAL);
	assert_int_equal(conf.nr_sections, CONFIG_MAX_SECTIONS);
	assert_true(fake_log_has("sluice.conf:33: more than 32 sections"));
}

static void config_error_counts_and_names_file_and_line(void **state)
{
	(void)state;
	assert_int_equal(config_parse(&conf, "lab.conf", "[sluice]\n", 9), 0);
	config_error(&conf, 7, "partition %s: %s", "p1", "broken");
	assert_int_equal(conf.nr_errors, 1);
	assert_string_equal(fake_log_text(), "c0 ERR  config: lab.conf:7: partition p1: broken\n");
}

/*
 * The number parsers every value goes through (kernel/lib.c): a number has
 * at least one digit; '_' groups hex digits only; decimal keys take digits only.
 */
/* The value helpers the key parsers share: words between blanks, blanks off both ends, a key given once. */
static void values_split_into_words_and_keys_count_once(void **state)
{
	(void)state;
	const char *p = "01:00.0 \t namespace=3  ios=8", *w;
	size_t n;

	w = config_word(&p, &n);
	assert_true(n == 7 && !strncmp(w, "01:00.0", 7) && *p == 'n');
	w = config_word(&p, &n);
	assert_true(n == 11 && !strncmp(w, "namespace=3", 11) && *p == 'i');
	w = config_word(&p, &n);
	assert_true(n == 5 && !strncmp(w, "ios=8", 5) && !*p);
	w = config_word(&p, &n);
	assert_true(n == 0 && !*p);
	const char *t = " \t7 , ";
	n = strlen(t);
	config_trim(&t, &n);
	assert_true(n == 3 && !strncmp(t, "7 ,", 3));

	assert_int_equal(parse("[sluice]\n"), 0);
	struct config_entry e = { .line = 9, .key = "iommu" };
	u32 line = 0;
	assert_true(config_once(&conf, &e, &line));
	assert_int_equal(line, 9);
	e.line = 12;
	assert_false(config_once(&conf, &e, &line));
	assert_string_equal(fake_log_text(), "c0 ERR  config: sluice.conf:12: iommu given twice (first at line 9)\n");
	assert_int_equal(conf.nr_errors, 1);
}

static void numbers_need_a_digit_and_decimal_means_digits(void **state)
{
	(void)state;
	static const struct { const char *s; bool suffixes; int ret; u64 v; } any[] = {
		{ "0", false, 0, 0 }, { "4096", false, 0, 4096 }, { "0x1000_0000", false, 0, 0x10000000 },
		{ "0X1f", false, 0, 0x1f }, { "4K", true, 0, 4096 }, { "0x2M", true, 0, 2 * MiB },
		{ "1g", true, 0, GiB }, { "18446744073709551615", false, 0, ~0ULL },
		{ "0x_", false, -HV_EINVAL, 0 }, { "0x__", false, -HV_EINVAL, 0 }, { "0x_K", true, -HV_EINVAL, 0 },
		{ "0x", false, -HV_EINVAL, 0 }, { "K", true, -HV_EINVAL, 0 }, { "", false, -HV_EINVAL, 0 },
		{ "1_000", false, -HV_EINVAL, 0 }, { "4K", false, -HV_EINVAL, 0 }, { "0x1g", false, -HV_EINVAL, 0 },
		{ "18446744073709551616", false, -HV_ERANGE, 0 }, { "0x10000000000000000", false, -HV_ERANGE, 0 },
		{ "0x4000000000000000K", true, -HV_ERANGE, 0 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(any); i++) {
		u64 v = 0xdead;
		int ret = str_to_u64(any[i].s, strlen(any[i].s), any[i].suffixes, &v);
		if (ret != any[i].ret || (!ret && v != any[i].v))
			fail_msg("str_to_u64(\"%s\"): %d 0x%llx", any[i].s, ret, (unsigned long long)v);
	}
	static const struct { const char *s; int ret; u64 v; } dec[] = {
		{ "0", 0, 0 }, { "3", 0, 3 }, { "255", 0, 255 }, { "007", 0, 7 },
		{ "0x3", -HV_EINVAL, 0 }, { "3K", -HV_EINVAL, 0 }, { "1_0", -HV_EINVAL, 0 }, { "", -HV_EINVAL, 0 },
		{ "-1", -HV_EINVAL, 0 }, { " 1", -HV_EINVAL, 0 }, { "99999999999999999999", -HV_ERANGE, 0 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(dec); i++) {
		u64 v = 0xdead;
		int ret = str_to_dec(dec[i].s, strlen(dec[i].s), &v);
		if (ret != dec[i].ret || (!ret && v != dec[i].v))
			fail_msg("str_to_dec(\"%s\"): %d 0x%llx", dec[i].s, ret, (unsigned long long)v);
	}
	assert_true(str_eq_nocase("P1", "p1") && str_eq_nocase("lab.A-1", "LAB.a-1") && str_eq_nocase("", ""));
	assert_false(str_eq_nocase("p1", "p10") || str_eq_nocase("p1", "q1") || str_eq_nocase("a-", "a_"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(worked_example_splits_into_sections_and_entries, setup),
		cmocka_unit_test_setup(comments_blank_lines_and_crlf_are_nothing, setup),
		cmocka_unit_test_setup(a_quoted_name_may_hold_a_hash, setup),
		cmocka_unit_test_setup(last_line_without_newline_counts, setup),
		cmocka_unit_test_setup(header_mistakes_name_the_line, setup),
		cmocka_unit_test_setup(entry_mistakes_name_the_line, setup),
		cmocka_unit_test_setup(long_lines_and_values_are_refused, setup),
		cmocka_unit_test_setup(every_error_is_reported_and_parsing_goes_on, setup),
		cmocka_unit_test_setup(tables_full_is_an_error_not_an_overflow, setup),
		cmocka_unit_test_setup(config_error_counts_and_names_file_and_line, setup),
		cmocka_unit_test_setup(numbers_need_a_digit_and_decimal_means_digits, setup),
		cmocka_unit_test_setup(values_split_into_words_and_keys_count_once, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
