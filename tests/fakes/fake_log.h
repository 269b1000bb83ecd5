/* Captures log lines in host tests so assertions can read them. */
#ifndef TESTS_FAKES_FAKE_LOG_H
#define TESTS_FAKES_FAKE_LOG_H
#include "kernel/types.h"

/* Starts capturing (clears what was captured); also echoes to stderr when verbose. */
void fake_log_capture(void);
/* Everything logged since fake_log_capture(), NUL-terminated. */
const char *fake_log_text(void);
/* True when some captured line contains needle. */
bool fake_log_has(const char *needle);
/* Number of captured lines containing needle. */
unsigned fake_log_count(const char *needle);

#endif
