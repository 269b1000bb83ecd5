/* Bounded waits on the monotonic clock door (kernel/hw/time.h). */
#include "kernel/wait.h"
#include "kernel/err.h"
#include "kernel/hw/time.h"
#include "kernel/hw/cpu.h"

int wait_until(bool (*cond)(void *arg), void *arg, u64 timeout_us)
{
	u64 start = time_now_ns();
	u64 limit = timeout_us * 1000;

	for (;;) {
		if (cond(arg))
			return 0;
		if (time_now_ns() - start >= limit)
			return cond(arg) ? 0 : -HV_ETIMEDOUT;
		cpu_relax();
	}
}

void udelay(u64 us)
{
	u64 start = time_now_ns();
	while (time_now_ns() - start < us * 1000)
		cpu_relax();
}
