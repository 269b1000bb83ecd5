/*
 * Parser for \sluice\boot.cfg (format in boot_cfg.h). Portable C: no UEFI
 * calls and no allocation, so host tests can feed it malformed manifests.
 * It checks syntax and sizes only; whether the files exist is the loader's
 * business.
 */
#include "boot/efi/boot_cfg.h"
#include "kernel/err.h"
#include "kernel/lib.h"

struct cursor {
	const char *p, *end;            /* the current line, without its EOL */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
}

/* Returns the next blank-separated token and its length (0 at line end). */
static size_t next_token(struct cursor *c, const char **tok)
{
	skip_blanks(c);
	*tok = c->p;
	while (c->p < c->end && !is_blank(*c->p))
		c->p++;
	return (size_t)(c->p - *tok);
}

static bool token_is(const char *tok, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (word[i] != tok[i])
			return false;
	return word[n] == '\0';
}

static bool str_equal(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Appends at most n chars of s to err (always terminated); returns the new length. */
static size_t err_append(char *err, size_t size, size_t at, const char *s, size_t n)
{
	while (n-- && *s && at + 1 < size)
		err[at++] = *s++;
	if (size)
		err[at < size ? at : size - 1] = '\0';
	return at;
}

/* err = "line N: what" or "line N: what \"word\"" (no "line N: " for 0); returns -HV_EINVAL. */
static int fail(char *err, size_t size, unsigned line, const char *what,
		const char *word, size_t word_len)
{
	char num[12];
	int i = sizeof(num) - 1;
	unsigned v = line;
	size_t at = 0;

	num[i] = '\0';
	do {
		num[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	if (line) {
		at = err_append(err, size, at, "line ", 5);
		at = err_append(err, size, at, &num[i], sizeof(num));
		at = err_append(err, size, at, ": ", 2);
	}
	at = err_append(err, size, at, what, size);
	if (word) {
		at = err_append(err, size, at, " \"", 2);
		at = err_append(err, size, at, word, word_len > 40 ? 40 : word_len);
		at = err_append(err, size, at, "\"", 1);
	}
	return -HV_EINVAL;
}

/* Copies a token into dst[size] as a C string; false if it does not fit. */
static bool copy_token(char *dst, size_t size, const char *tok, size_t n, bool path)
{
	size_t i;

	if (n >= size)
		return false;
	for (i = 0; i < n; i++)
		dst[i] = (path && tok[i] == '/') ? '\\' : tok[i];
	dst[n] = '\0';
	return true;
}

/* One non-comment line: keyword plus arguments. */
static int parse_line(struct cursor *c, unsigned line, struct boot_cfg *cfg,
		      bool *have_cmdline, char *err, size_t err_size)
{
	const char *kw, *a, *b, *extra;
	size_t kw_n, a_n, b_n;
	struct boot_cfg_module *m;
	u32 i;

	kw_n = next_token(c, &kw);
	if (token_is(kw, kw_n, "kernel")) {
		a_n = next_token(c, &a);
		if (a_n == 0)
			return fail(err, err_size, line, "kernel needs a path", NULL, 0);
		if (next_token(c, &extra))
			return fail(err, err_size, line, "extra text after kernel path", extra, (size_t)(c->end - extra));
		if (cfg->kernel_path[0])
			return fail(err, err_size, line, "second kernel line", NULL, 0);
		if (!copy_token(cfg->kernel_path, sizeof(cfg->kernel_path), a, a_n, true))
			return fail(err, err_size, line, "kernel path too long", a, a_n);
		return 0;
	}
	if (token_is(kw, kw_n, "cmdline")) {
		/* An empty cmdline leaves cmdline[0] == 0, hence the flag. */
		if (*have_cmdline)
			return fail(err, err_size, line, "second cmdline line", NULL, 0);
		*have_cmdline = true;
		skip_blanks(c);
		/* Trailing blanks are not part of the command line. */
		while (c->end > c->p && is_blank(c->end[-1]))
			c->end--;
		cfg->cmdline_text = c->p;
		cfg->cmdline_len = (u32)(c->end - c->p);
		copy_token(cfg->cmdline, sizeof(cfg->cmdline), c->p,
			   MIN((size_t)cfg->cmdline_len, sizeof(cfg->cmdline) - 1), false);
		return 0;
	}
	if (token_is(kw, kw_n, "module")) {
		a_n = next_token(c, &a);
		b_n = next_token(c, &b);
		if (a_n == 0 || b_n == 0)
			return fail(err, err_size, line, "module needs a name and a path", NULL, 0);
		if (next_token(c, &extra))
			return fail(err, err_size, line, "extra text after module path", extra, (size_t)(c->end - extra));
		if (cfg->nr_modules == BOOT_MODULES_MAX)
			return fail(err, err_size, line, "more than 16 modules", NULL, 0);
		m = &cfg->modules[cfg->nr_modules];
		if (!copy_token(m->name, sizeof(m->name), a, a_n, false))
			return fail(err, err_size, line, "module name too long", a, a_n);
		if (!copy_token(m->path, sizeof(m->path), b, b_n, true))
			return fail(err, err_size, line, "module path too long", b, b_n);
		for (i = 0; i < cfg->nr_modules; i++)
			if (str_equal(cfg->modules[i].name, m->name))
				return fail(err, err_size, line, "repeated module name", a, a_n);
		cfg->nr_modules++;
		return 0;
	}
	return fail(err, err_size, line, "unknown keyword", kw, kw_n);
}

int boot_cfg_parse(const char *text, size_t len, struct boot_cfg *cfg,
		   char *err, size_t err_size)
{
	const char *end = text + len, *eol;
	bool have_cmdline = false;
	struct cursor c;
	unsigned line = 0;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (err_size)
		err[0] = '\0';
	while (text < end) {
		line++;
		for (eol = text; eol < end && *eol != '\n'; eol++)
			if (*eol == '\0')
				return fail(err, err_size, line, "NUL byte in text", NULL, 0);
		c.p = text;
		c.end = eol;
		text = eol < end ? eol + 1 : end;
		if (c.end > c.p && c.end[-1] == '\r')
			c.end--;
		skip_blanks(&c);
		if (c.p == c.end || *c.p == '#')
			continue;
		ret = parse_line(&c, line, cfg, &have_cmdline, err, err_size);
		if (ret < 0)
			return ret;
	}
	if (!cfg->kernel_path[0])
		return fail(err, err_size, 0, "no kernel line", NULL, 0);
	return 0;
}
