/*
 * The operator console on the log's UART (console=on): a line assembler
 * fed by polling, and a command runner over a table the layer above
 * supplies (vm/part/operator.c: lspci, partitions, walk, park, ...).
 * kernel/ knows no command's meaning, only its name and argument count.
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H
#include "kernel/types.h"

#define CONSOLE_LINE_MAX        128
#define CONSOLE_MAX_WORDS       8

/* What a command's run() returns besides 0 and -HV_E*: the console ends (quit). */
#define CONSOLE_QUIT            1

struct console_cmd {
	const char *name;       /* one word, or two ("iommu walk"): matched word by word */
	const char *args;       /* the usage after the name ("BDF IOVA r|w"), "" for none */
	const char *what;       /* one line for help */
	u8 min_args, max_args;  /* words after the name */
	/*
	 * Runs with argv[0..argc) the words after the name. 0, CONSOLE_QUIT,
	 * -HV_EINVAL (the console prints the usage line), or another -HV_E*
	 * (printed with hv_strerror).
	 */
	int (*run)(void *ctx, unsigned argc, char **argv);
};

struct console_env {
	/* Next input byte, or -1 when none is waiting (the console polls); -2: end of input (tests). */
	int (*getc)(void);
	const struct console_cmd *cmds;
	u32 nr_cmds;
	void *ctx;              /* handed to each run() */
	/*
	 * Optional: true while the last command's work is not done yet (a
	 * request another CPU has still to take); no byte is read meanwhile,
	 * so lines typed ahead run one after the other's effect.
	 */
	bool (*busy)(void *ctx);
	/*
	 * Optional: each byte read is offered here first; true when it was
	 * taken (the terminal is attached elsewhere, `console NAME`), false
	 * to assemble it into a command line as usual.
	 */
	bool (*pass)(void *ctx, u8 byte);
};

/* The line being typed: console_poll keeps it between calls. */
struct console {
	const struct console_env *env;
	char line[CONSOLE_LINE_MAX];
	size_t len;
	bool quit;              /* a command returned CONSOLE_QUIT; nothing more is read */
	bool eof;               /* getc said -2: no more input will come (tests) */
};

/* Runs one command line; returns CONSOLE_QUIT for quit (or exit), 0 otherwise (errors are logged). */
int console_exec(const struct console_env *env, const char *line);
/* Starts c on env and prints the prompt line. */
void console_open(struct console *c, const struct console_env *env);
/*
 * Reads the bytes waiting (at most CONSOLE_LINE_MAX per call, so a flood
 * of input cannot hold the caller) and runs each line they complete.
 * Never waits. Returns true once quit was typed (then and afterwards).
 */
bool console_poll(struct console *c);
/* Opens a console and polls it until quit (or, when getc reports -2, end of input). */
void console_run(const struct console_env *env);

#endif
