/*
 * sluice.conf, first pass: lines into sections and entries (vm/config/config.h).
 * Syntax only; the meaning of keys and values is checked in
 * vm/config/partition_check.c. Quotes mean something only in a section header,
 * so a value cannot hold '#'.
 */
#define LOG_SUBSYS "config"
#include "vm/config/config.h"
#include "kernel/log.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/err.h"

void config_error(struct config *c, u32 line, const char *fmt, ...)
{
	char what[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	c->nr_errors++;
	log_err("%s:%u: %s", c->file, line, what);
}

const struct config_section *config_section_find(const struct config *c, const char *type,
						 const char *name)
{
	for (u32 i = 0; i < c->nr_sections; i++)
		if (!strcmp(c->sections[i].type, type) && !strcmp(c->sections[i].name, name))
			return &c->sections[i];
	return NULL;
}

bool config_once(struct config *c, const struct config_entry *e, u32 *line)
{
	if (*line) {
		config_error(c, e->line, "%s given twice (first at line %u)", e->key, *line);
		return false;
	}
	*line = e->line;
	return true;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

const char *config_word(const char **p, size_t *n)
{
	while (is_space(**p))
		(*p)++;
	const char *w = *p;
	while (**p && !is_space(**p))
		(*p)++;
	*n = (size_t)(*p - w);
	while (is_space(**p))
		(*p)++;
	return w;
}

static bool is_lower(char ch)
{
	return ch >= 'a' && ch <= 'z';
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* [a-z][a-z0-9_-]*: section types and keys. */
static bool is_word(const char *s, size_t n)
{
	if (!n || !is_lower(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_lower(s[i]) && !is_digit(s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

void config_trim(const char **s, size_t *n)
{
	while (*n && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

static void copy_n(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * `[type]` or `[type "name"]` in [s, s+n), comment already removed.
 * Returns true and fills *sec, or logs the problem and returns false.
 */
static bool parse_header(struct config *c, u32 line, const char *s, size_t n,
			 struct config_section *sec)
{
	const char *close = NULL;
	bool quoted = false;

	for (size_t i = 1; i < n; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (s[i] == ']' && !quoted) {
			close = s + i;
			break;
		}
	}
	if (!close) {
		config_error(c, line, quoted ? "section name has no closing '\"'" :
			     "section header has no closing ']'");
		return false;
	}
	if ((size_t)(close - s) + 1 != n) {
		config_error(c, line, "text after the section header's ']'");
		return false;
	}
	const char *p = s + 1;
	size_t len = (size_t)(close - p);
	config_trim(&p, &len);
	size_t tlen = 0;
	while (tlen < len && !is_space(p[tlen]) && p[tlen] != '"')
		tlen++;
	if (!is_word(p, tlen) || tlen >= CONFIG_TYPE_LEN) {
		config_error(c, line, "bad section type '%.*s' (lower-case letters, digits, '-', '_')",
			     (int)tlen, p);
		return false;
	}
	memset(sec, 0, sizeof(*sec));
	sec->line = line;
	copy_n(sec->type, p, tlen);
	const char *q = p + tlen;
	size_t qlen = len - tlen;
	config_trim(&q, &qlen);
	if (!qlen)
		return true;
	if (qlen < 2 || q[0] != '"' || q[qlen - 1] != '"') {
		config_error(c, line, "section name must be one quoted string: [%s \"NAME\"]", sec->type);
		return false;
	}
	q++;
	qlen -= 2;
	for (size_t i = 0; i < qlen; i++)
		if (q[i] == '"' || q[i] == '\\') {
			config_error(c, line, "section name must be one quoted string: [%s \"NAME\"]",
				     sec->type);
			return false;
		}
	if (!qlen) {
		config_error(c, line, "empty section name");
		return false;
	}
	if (qlen >= CONFIG_NAME_LEN) {
		config_error(c, line, "section name longer than %u characters", CONFIG_NAME_LEN - 1);
		return false;
	}
	copy_n(sec->name, q, qlen);
	sec->named = true;
	return true;
}

static void add_section(struct config *c, u32 line, const struct config_section *sec,
			bool *in_section)
{
	const struct config_section *old = config_section_find(c, sec->type, sec->name);

	*in_section = false;
	if (old) {
		config_error(c, line, "[%s%s%s%s] again (first at line %u)", sec->type,
			     sec->named ? " \"" : "", sec->name, sec->named ? "\"" : "", old->line);
		return;
	}
	if (c->nr_sections == CONFIG_MAX_SECTIONS) {
		config_error(c, line, "more than %u sections", CONFIG_MAX_SECTIONS);
		return;
	}
	c->sections[c->nr_sections++] = *sec;
	*in_section = true;
}

/* `key = value` in [s, s+n), comment removed; appended to the last section. */
static void parse_entry(struct config *c, u32 line, const char *s, size_t n, bool in_section)
{
	const char *eq = NULL;

	for (size_t i = 0; i < n && !eq; i++)
		if (s[i] == '=')
			eq = s + i;
	if (!eq) {
		config_error(c, line, "expected 'key = value' or a [section] header");
		return;
	}
	const char *k = s, *v = eq + 1;
	size_t klen = (size_t)(eq - s), vlen = n - klen - 1;
	config_trim(&k, &klen);
	config_trim(&v, &vlen);
	if (!is_word(k, klen) || klen >= CONFIG_TYPE_LEN) {
		config_error(c, line, "bad key '%.*s' (lower-case letters, digits, '-', '_')",
			     (int)klen, k);
		return;
	}
	if (!vlen) {
		config_error(c, line, "%.*s has no value", (int)klen, k);
		return;
	}
	if (vlen >= CONFIG_VALUE_LEN) {
		config_error(c, line, "value of %.*s longer than %u characters", (int)klen, k,
			     CONFIG_VALUE_LEN - 1);
		return;
	}
	if (!c->nr_sections) {
		config_error(c, line, "%.*s before any [section] header", (int)klen, k);
		return;
	}
	if (!in_section)
		return;         /* under a header that was rejected: reported once there */
	if (c->nr_entries == CONFIG_MAX_ENTRIES) {
		config_error(c, line, "more than %u key = value lines", CONFIG_MAX_ENTRIES);
		return;
	}
	struct config_entry *e = &c->entries[c->nr_entries++];
	e->line = line;
	e->section = (u16)(c->nr_sections - 1);
	copy_n(e->key, k, klen);
	copy_n(e->value, v, vlen);
}

/*
 * One line [s, s+n) without its newline: control characters refused, the
 * comment cut at the first '#' (outside quotes on a header line), blanks
 * trimmed, then a header, an entry or nothing.
 */
static void parse_line(struct config *c, u32 line, const char *s, size_t n, bool *in_section)
{
	bool header, quoted = false;
	size_t end;

	if (n && s[n - 1] == '\r')
		n--;                    /* CRLF files */
	if (n >= CONFIG_LINE_MAX) {
		config_error(c, line, "line longer than %u characters", CONFIG_LINE_MAX - 1);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		u8 ch = (u8)s[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			config_error(c, line, "control character 0x%02x in column %u", ch, (unsigned)i + 1);
			return;
		}
	}
	config_trim(&s, &n);
	header = n && s[0] == '[';
	end = n;
	for (size_t i = 0; i < n; i++) {
		if (header && s[i] == '"')
			quoted = !quoted;
		if (s[i] == '#' && !quoted) {
			end = i;
			break;
		}
	}
	n = end;
	config_trim(&s, &n);
	if (!n)
		return;
	if (header) {
		struct config_section sec;
		if (parse_header(c, line, s, n, &sec))
			add_section(c, line, &sec, in_section);
		else
			*in_section = false;
		return;
	}
	parse_entry(c, line, s, n, *in_section);
}

int config_parse(struct config *c, const char *file, const char *text, size_t len)
{
	bool in_section = false;
	u32 line = 0;
	size_t start = 0;

	memset(c, 0, sizeof(*c));
	str_copy(c->file, file, sizeof(c->file));
	while (start < len) {
		size_t end = start;
		while (end < len && text[end] != '\n')
			end++;
		parse_line(c, ++line, text + start, end - start, &in_section);
		start = end + 1;
	}
	return c->nr_errors ? -HV_EINVAL : 0;
}
