/* Self-check accounting and the end of a run (QEMU isa-debug-exit, Bochs shutdown port). */
#define LOG_SUBSYS "check"
#include "kernel/check.h"
#include "kernel/log.h"
#include "kernel/fmt.h"
#include "kernel/hw/pio.h"
#include "kernel/hw/cpu.h"

static u32 passed, failed;
static enum exit_mode exit_mode;

bool check(bool ok, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ok) {
		__atomic_add_fetch(&passed, 1, __ATOMIC_RELAXED);
		log_info("pass %s", what);
	} else {
		__atomic_add_fetch(&failed, 1, __ATOMIC_RELAXED);
		log_err("FAIL %s", what);
	}
	return ok;
}

void check_set_exit(enum exit_mode mode)
{
	exit_mode = mode;
}

u32 check_passed(void)
{
	return passed;
}

u32 check_failed(void)
{
	return failed;
}

int check_result_line(char *buf, size_t size)
{
	return fmt_snprintf(buf, size, "sluice: result pass=%u fail=%u", passed, failed);
}

void check_finish(void)
{
	char line[64];

	check_result_line(line, sizeof(line) - 1);
	log_raw(line);
	log_raw("\n");
	/* The verdict must be on the wire before the machine goes away. */
	log_flush();
	if (exit_mode == EXIT_QEMU || exit_mode == EXIT_BOCHS)
		pio_out8(QEMU_EXIT_PORT, failed ? QEMU_EXIT_FAIL : QEMU_EXIT_PASS);
	if (exit_mode == EXIT_BOCHS)
		for (const char *p = "Shutdown"; *p; p++)
			pio_out8(BOCHS_SHUTDOWN_PORT, (u8)*p);
	cpu_halt_forever();
}
