/*
 * The operator console on the log's UART (kernel/serial.h): lines typed
 * by operators and lab students, run one at a time, answered in the log
 * (`> LINE` first, then the command's own lines). Input is polled, never
 * waited for, so the boot CPU can read it between its other duties
 * while partitions run. No editing beyond backspace.
 */
#define LOG_SUBSYS "console"
#include "kernel/console.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/hw/cpu.h"

/* Splits line into at most max words (in place); returns how many, max + 1 when there are more. */
static unsigned split(char *line, char **w, unsigned max)
{
	unsigned n = 0;
	for (char *p = line; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == max)
			return max + 1;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}

/* How many of the n words w the name matches (one or two words), 0 for none. */
static unsigned name_matches(const char *name, char **w, unsigned n)
{
	const char *sp = name;
	while (*sp && *sp != ' ')
		sp++;
	size_t first = (size_t)(sp - name);
	if (strlen(w[0]) != first || strncmp(name, w[0], first))
		return 0;
	if (!*sp)
		return 1;
	return n >= 2 && !strcmp(sp + 1, w[1]) ? 2 : 0;
}

static void help(const struct console_env *env)
{
	log_info("commands (one per line; words in capitals are yours to fill in):");
	for (u32 i = 0; i < env->nr_cmds; i++) {
		const struct console_cmd *c = &env->cmds[i];
		log_info("  %s%s%s: %s", c->name, c->args[0] ? " " : "", c->args, c->what);
	}
	log_info("  help: this list");
}

int console_exec(const struct console_env *env, const char *line)
{
	char buf[CONSOLE_LINE_MAX];
	char *w[CONSOLE_MAX_WORDS];

	str_copy(buf, line, sizeof(buf));
	unsigned n = split(buf, w, CONSOLE_MAX_WORDS);
	if (n == 0)
		return 0;
	log_info("> %s", line);
	if (n > CONSOLE_MAX_WORDS) {
		log_warn("more than %u words: not a command (try help)", CONSOLE_MAX_WORDS);
		return 0;
	}
	if (n == 1 && !strcmp(w[0], "help")) {
		help(env);
		return 0;
	}
	for (u32 i = 0; i < env->nr_cmds; i++) {
		const struct console_cmd *c = &env->cmds[i];
		unsigned used = name_matches(c->name, w, n);
		if (!used)
			continue;
		unsigned argc = n - used;
		int ret = argc < c->min_args || argc > c->max_args ? -HV_EINVAL : c->run(env->ctx, argc, w + used);
		if (ret == -HV_EINVAL)
			log_warn("usage: %s%s%s", c->name, c->args[0] ? " " : "", c->args);
		else if (ret < 0)
			log_warn("%s: %s", c->name, hv_strerror(ret));
		return ret == CONSOLE_QUIT ? CONSOLE_QUIT : 0;
	}
	log_warn("unknown command '%s' (try help)", line);
	return 0;
}

void console_open(struct console *c, const struct console_env *env)
{
	c->env = env;
	c->len = 0;
	c->quit = false;
	c->eof = false;
	log_info("ready: type help (console=on)");
}

bool console_poll(struct console *c)
{
	for (unsigned i = 0; i < CONSOLE_LINE_MAX && !c->quit; i++) {
		if (c->env->busy && c->env->busy(c->env->ctx))
			break;
		int ch = c->env->getc();
		if (ch == -2)
			c->eof = true;
		if (ch < 0)
			break;
		if (c->env->pass && c->env->pass(c->env->ctx, (u8)ch))
			continue;
		if (ch == '\r' || ch == '\n') {
			c->line[c->len] = '\0';
			c->len = 0;
			c->quit = console_exec(c->env, c->line) == CONSOLE_QUIT;
		} else if ((ch == 0x7f || ch == '\b') && c->len) {
			c->len--;
		} else if (ch >= ' ' && ch < 0x7f && c->len < sizeof(c->line) - 1) {
			c->line[c->len++] = (char)ch;
		}
	}
	return c->quit;
}

void console_run(const struct console_env *env)
{
	struct console c;

	console_open(&c, env);
	while (!console_poll(&c) && !c.eof)
		cpu_relax();            /* a person is typing: no deadline */
}
