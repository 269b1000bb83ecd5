/* The kernel command line: space-separated key=value words. */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H
#include "kernel/types.h"
#include "kernel/boot_info.h"
#include "kernel/uart16550.h"

/* The longest command line Sluice holds (boot_info.cmdline, without its NUL). */
#define CMDLINE_MAX             (BOOT_CMDLINE_LEN - 1)

enum exit_mode { EXIT_HALT = 0, EXIT_QEMU, EXIT_BOCHS };

struct cmdline_opts {
	enum exit_mode exit;
	char log[64];           /* log level spec, its good parts only; "" when not given */
	char sriov[128];        /* VF requests "BB:DD.F:N[,...]", "" when not given */
	bool console;           /* console=on: read commands on the log's UART after boot */
	bool serial_set;        /* serial= was taken: serial is the log's UART */
	struct uart_port serial;
	u64 time_limit_ms;      /* time-limit=DURATION: the partitions' run is stopped after it (0: none) */
	enum selftest { SELFTEST_NONE = 0, SELFTEST_UD, SELFTEST_PF, SELFTEST_BUG, SELFTEST_SVM, SELFTEST_IRQ } selftest;
	/* lab=SWITCH: a teaching lab's deliberate fault (docs/labs/); LAB_NONE on a normal boot */
	enum lab_switch { LAB_NONE = 0, LAB_NO_ACS, LAB_DMA_MAP_IDENTITY, LAB_SKIP_DEVTLB_INV, LAB_VF_SHARED_NS, LAB_SKIP_IEC_INV } lab;
	u32 len;                /* the whole command line's length */
	bool too_long;          /* len > CMDLINE_MAX: the boot must stop (ERR logged) */
	u32 nr_errors;          /* words and parts that were rejected (each logged) */
};

/*
 * Parses the len bytes of cmdline (the whole string the loader handed
 * over, however long) into *o. Known words (one table in cmdline.c):
 * log=SPEC, exit=qemu|bochs|halt, sriov=[SSSS:]BB:DD.F:N[,...] (enable N
 * VFs on that PF; checked by pci/), console=on|off, serial=com1..com4 |
 * io:PORT[,BAUD] | mmio:ADDR,8|32[,BAUD] (the UART for the log and the
 * console, over SPCR's; kernel/serial.h), selftest=ud|pf|bug
 * (end the boot with that fatal error, to show the FATAL path works on a
 * real or emulated machine), selftest=svm (run the SVM back end's tiny
 * guests on the boot CPU; the boot goes on), selftest=irq (interrupts
 * Sluice did not ask for, sent to the boot CPU and to partitions' CPUs
 * while their guests run: kernel/irq_selftest.h), time-limit=DURATION
 * (kernel/duration.h: the partitions are stopped once it passes, counted
 * from their start), lab=no-acs|dma-map-identity|skip-devtlb-inv|vf-shared-ns|skip-iec-inv
 * (a
 * teaching lab breaks one isolation step on purpose: docs/labs/README.md).
 * A leading word that is a path (GRUB passes the kernel's name first on
 * some versions) is skipped. Each problem is one line, counted in
 * nr_errors, and parsing goes on: an unknown word, a value its word does
 * not take, and each empty or unknown part of log= (the good parts are
 * kept) are WARN; a word given again is ERR and the value in force stays
 * (when every earlier one was refused, the new one is taken).
 * A command line longer than CMDLINE_MAX is ERR naming the limit, with
 * too_long set; every word is still read, so exit= is known.
 */
void cmdline_parse(const char *cmdline, size_t len, struct cmdline_opts *o);

#endif
