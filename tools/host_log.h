/*
 * Log lines of the core on a host tool's stdout: the "cN " column dropped
 * (a host program has no CPUs to tell apart), the rest as Sluice prints it.
 */
#ifndef TOOLS_HOST_LOG_H
#define TOOLS_HOST_LOG_H
#include <stddef.h>

/* s without a leading "cN " column; *n shrinks to match. */
const char *host_log_without_cpu(const char *s, size_t *n);
/*
 * Sends the log to stdout (to stderr with to_stderr), without the CPU
 * column and without the lines sluice-check cannot know (see host_log.c).
 */
void host_log_to_stdout(int to_stderr);

#endif
