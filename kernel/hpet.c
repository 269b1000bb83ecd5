/*
 * HPET main counter, read only to calibrate the TSC (IA-PC HPET 1.0a
 * §2.3: general capabilities, configuration, main counter; the ACPI table
 * of §3.2.4). Comparators, interrupts and legacy replacement are not used.
 */
#include "kernel/hpet.h"
#include "kernel/hpet_hw.h"
#include "kernel/acpi_hw.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/hw/io.h"
#include "kernel/hw/cpu.h"

/* Counter reads that see no tick before it is declared stopped (a tick is at most 100 ns). */
#define HPET_STUCK_POLLS        1000000UL

int hpet_table_parse(const u8 *t, u32 len, u64 *pa)
{
	if (len < HPET_TBL_SIZE || memcmp(t + ACPI_HDR_SIG, "HPET", 4) || get_le32(t + ACPI_HDR_LENGTH) < HPET_TBL_SIZE)
		return -HV_EINVAL;
	const u8 *gas = t + HPET_TBL_BASE_ADDRESS;
	*pa = get_le64(gas + ACPI_GAS_ADDRESS);
	if (gas[ACPI_GAS_SPACE_ID] != ACPI_GAS_SPACE_MEMORY || !*pa)
		return -HV_ENOTSUP;
	return 0;
}

int hpet_open(u64 pa, struct hpet *h)
{
	memset(h, 0, sizeof(*h));
	h->pa = pa;
	h->regs = io_map(pa, HPET_REGS_SIZE, "hpet");
	if (!h->regs)
		return -HV_ERANGE;      /* outside what the direct map reaches */
	u64 cap = io_read64(h->regs, HPET_GCAP_ID);
	h->period_fs = FIELD_GET(HPET_GCAP_COUNTER_CLK_PERIOD, cap);
	if (cap == ~0ULL || !h->period_fs || h->period_fs > HPET_PERIOD_MAX_FS)
		return -HV_ENODEV;
	h->counter64 = cap & HPET_GCAP_COUNT_SIZE_CAP;
	u64 conf = io_read64(h->regs, HPET_GEN_CONF);
	if (!(conf & HPET_GEN_CONF_ENABLE_CNF)) {
		io_write64(h->regs, HPET_GEN_CONF, conf | HPET_GEN_CONF_ENABLE_CNF);
		h->enabled_here = true;
	}
	return 0;
}

u64 hpet_counter(const struct hpet *h)
{
	return h->counter64 ? io_read64(h->regs, HPET_MAIN_CNT) : io_read32(h->regs, HPET_MAIN_CNT);
}

/* The last read usually lands a little past the target: the TSC count is scaled back to exactly ms. */
int hpet_tsc_window(const void *ctx, unsigned ms, u64 *ticks)
{
	const struct hpet *h = ctx;
	u64 want = (u64)ms * 1000000000000ULL / h->period_fs;
	u64 mask = h->counter64 ? ~0ULL : 0xffffffffULL;
	u64 c0 = hpet_counter(h), last = c0, c, stuck = 0;
	u64 t0 = rdtsc(), t1;

	for (;;) {
		c = hpet_counter(h);
		t1 = rdtsc();
		if (((c - c0) & mask) >= want)
			break;
		if (c == last) {
			if (++stuck == HPET_STUCK_POLLS)
				return -HV_ETIMEDOUT;
		} else {
			stuck = 0;
			last = c;
		}
		cpu_relax();
	}
	u64 elapsed = (c - c0) & mask, tsc = t1 - t0;
	/* Both stay below 2^32 for any real HPET and TSC over 50 ms, so the product fits. */
	*ticks = tsc < BIT_ULL(32) && want < BIT_ULL(32) ? tsc * want / elapsed : tsc;
	return 0;
}
