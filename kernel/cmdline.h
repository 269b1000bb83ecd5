/* The kernel command line: space-separated key=value words. */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H
#include "kernel/types.h"

enum exit_mode { EXIT_HALT = 0, EXIT_QEMU, EXIT_BOCHS };

struct cmdline_opts {
	enum exit_mode exit;
	char log[64];           /* log level spec, "" when not given */
	char sriov[128];        /* VF requests "BB:DD.F:N[,...]", "" when not given */
	bool console;           /* console=on: read commands on COM1 after boot */
	enum selftest { SELFTEST_NONE = 0, SELFTEST_UD, SELFTEST_PF, SELFTEST_BUG, SELFTEST_SVM, SELFTEST_IRQ } selftest;
	u32 nr_errors;          /* words that were rejected (each logged) */
};

/*
 * Parses cmdline into *o. Known words: log=SPEC, exit=qemu|bochs|halt,
 * sriov=[SSSS:]BB:DD.F:N[,...] (enable N VFs on that PF; checked by pci/),
 * selftest=ud|pf|bug (end the boot with that fatal error, to show the
 * FATAL path works on a real or emulated machine), selftest=svm (run the
 * SVM back end's tiny guests on the boot CPU; the boot goes on),
 * selftest=irq (interrupts Sluice did not ask for, sent to the boot CPU
 * and to a partition's CPU while its guest runs: kernel/irq_selftest.h).
 * A leading word that is a path (GRUB passes the kernel's name first on
 * some versions) is skipped. Unknown or malformed words are logged as WARN
 * and counted in nr_errors; parsing goes on.
 */
void cmdline_parse(const char *cmdline, struct cmdline_opts *o);
/*
 * Finds key in cmdline; copies its value (after '=', "" for a bare word)
 * into val. Returns 0, -HV_ENOENT, or -HV_ERANGE when val is too small.
 */
int cmdline_get(const char *cmdline, const char *key, char *val, size_t size);

#endif
