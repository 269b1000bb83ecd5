/*
 * The TSC's rate. First as CPUID states it (Intel SDM vol. 3, §19.7.3
 * "Determining the Processor Base Frequency": leaf 0x15's crystal and
 * ratio, or leaf 0x16's base frequency when the crystal is not given);
 * else measured against the HPET main counter (kernel/hpet.c gives the
 * window) or the 8254 PIT, channel 2 (the speaker channel, gated through port
 * 0x61), the way Linux's pit_calibrate_tsc does it: one-shot mode 0,
 * poll OUT2 until the count expires.
 * Spec: Intel 8254 Programmable Interval Timer datasheet; PC/AT port 0x61.
 */
#include "kernel/tsc.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/pit_hw.h"
#include "kernel/hw/pio.h"
#include "kernel/hw/cpu.h"

/* Channel 2, lobyte/hibyte, mode 0, binary. */
#define PIT_CMD_CH2_LOHI_MODE0  (FIELD_PREP(PIT_CW_SC, 2) | FIELD_PREP(PIT_CW_RW, PIT_RW_LSB_MSB))
#define CALIB_ROUNDS_MAX        9
/* Polls of port 0x61 before declaring the PIT dead: far more than 50 ms worth. */
#define PIT_POLL_LIMIT          50000000UL
#define CPUID_LEAF_TSC          0x15    /* Time Stamp Counter and Nominal Core Crystal Clock */
#define CPUID_LEAF_FREQ         0x16    /* Processor Frequency Information */
#define  CPUID_16_BASE_MHZ      GENMASK_ULL(15, 0)
#define KHZ_MIN                 10000ULL        /* 10 MHz */
#define KHZ_MAX                 100000000ULL    /* 100 GHz */

static u64 khz;
static u64 ns_mult = 1ULL << 32;        /* ns = ticks * ns_mult >> 32; 1 GHz */

u64 tsc_ns(u64 ticks)
{
	return (u64)(((unsigned __int128)ticks * ns_mult) >> 32);
}

u64 tsc_khz(void)
{
	return khz;
}

void tsc_set_khz(u64 k)
{
	khz = k;
	ns_mult = (u64)(((unsigned __int128)1000000ULL << 32) / k);
}

typedef int (*window_fn)(const void *ctx, unsigned ms, u64 *ticks);

/* One window: TSC ticks while PIT channel 2 counts ms milliseconds. */
static int pit_window(const void *ctx, unsigned ms, u64 *ticks)
{
	u64 count = PIT_HZ * ms / 1000;
	u8 b = pio_in8(PORT_B);

	(void)ctx;
	pio_out8(PORT_B, (u8)((b & ~PORT_B_SPEAKER) & ~PORT_B_GATE2));
	pio_out8(PIT_PORT_CONTROL, (u8)PIT_CMD_CH2_LOHI_MODE0);
	pio_out8(PIT_PORT_COUNTER2, (u8)count);
	pio_out8(PIT_PORT_COUNTER2, (u8)(count >> 8));
	/* Raising the gate loads the count and starts it. */
	pio_out8(PORT_B, (u8)((b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	u64 t0 = rdtsc();
	unsigned long polls = 0;
	while (!(pio_in8(PORT_B) & PORT_B_OUT2))
		if (++polls == PIT_POLL_LIMIT)
			return -HV_ETIMEDOUT;
	*ticks = rdtsc() - t0;
	return 0;
}

/* rounds windows of ms against window(), the median kept (see tsc_calibrate()). */
static int calibrate(window_fn window, const void *ctx, unsigned ms, unsigned rounds, struct tsc_calib *c)
{
	u64 t[CALIB_ROUNDS_MAX] = { 0 };

	c->khz = 0;
	c->agree = 0;
	c->rounds = rounds;
	if (ms == 0 || ms > 50 || rounds == 0 || rounds > CALIB_ROUNDS_MAX)
		return -HV_EINVAL;
	for (unsigned i = 0; i < rounds; i++) {
		int ret = window(ctx, ms, &t[i]);
		if (ret)
			return ret;
	}
	/* Insertion sort; take the median. */
	for (unsigned i = 1; i < rounds; i++)
		for (unsigned j = i; j > 0 && t[j - 1] > t[j]; j--) {
			u64 x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	u64 med = t[rounds / 2];
	u64 k = med / ms;
	c->khz = k;
	if (k < KHZ_MIN || k > KHZ_MAX)
		return -HV_ERANGE;
	/*
	 * Windows disturbed by an SMI (or a busy host under emulation) stand
	 * out; the median ignores them, but most windows must agree with it
	 * within 10% or the source is not trustworthy.
	 */
	for (unsigned i = 0; i < rounds; i++)
		c->agree += (t[i] > med ? t[i] - med : med - t[i]) * 10 <= med;
	if (c->agree * 2 <= rounds)
		return -HV_EBUSY;
	tsc_set_khz(k);
	return 0;
}

int tsc_calibrate(unsigned ms, unsigned rounds, struct tsc_calib *c)
{
	return calibrate(pit_window, NULL, ms, rounds, c);
}

int tsc_calibrate_against(const struct tsc_clock *clk, unsigned ms, unsigned rounds, struct tsc_calib *c)
{
	return calibrate(clk->window, clk->ctx, ms, rounds, c);
}

void tsc_cpuid_read(struct tsc_cpuid *l)
{
	struct cpuid_regs r;

	memset(l, 0, sizeof(*l));
	cpuid(0, 0, &r);
	l->max_leaf = r.eax;
	if (l->max_leaf >= CPUID_LEAF_TSC) {
		cpuid(CPUID_LEAF_TSC, 0, &r);
		l->den = r.eax;
		l->num = r.ebx;
		l->crystal_hz = r.ecx;
	}
	if (l->max_leaf >= CPUID_LEAF_FREQ) {
		cpuid(CPUID_LEAF_FREQ, 0, &r);
		l->base_mhz = (u32)FIELD_GET(CPUID_16_BASE_MHZ, r.eax);
	}
}

u64 tsc_khz_from_cpuid(const struct tsc_cpuid *l, enum tsc_source *src)
{
	u64 khz = 0;

	*src = TSC_SRC_NONE;
	/* SPEC: "If EBX[31:0] is 0, the TSC/"core crystal clock" ratio is not enumerated." */
	if (l->max_leaf < CPUID_LEAF_TSC || !l->num || !l->den)
		return 0;
	if (l->crystal_hz) {
		khz = (u64)l->crystal_hz * l->num / l->den / 1000;
		*src = TSC_SRC_CPUID_CRYSTAL;
	} else if (l->max_leaf >= CPUID_LEAF_FREQ && l->base_mhz) {
		/* The crystal is base x den / num, so the TSC runs at the base frequency. */
		khz = (u64)l->base_mhz * 1000;
		*src = TSC_SRC_CPUID_BASE;
	}
	if (khz < KHZ_MIN || khz > KHZ_MAX) {
		*src = TSC_SRC_NONE;
		return 0;
	}
	return khz;
}

/* The boot's attempts against one clock; 0 with the rate set, or the last error. */
static int calibrate_plan(window_fn window, const void *ctx, struct tsc_boot *b)
{
	static const struct { unsigned ms, rounds; } plan[] = { { 10, 5 }, { 20, 7 }, { 50, 9 } };
	int ret = -HV_EINVAL;

	for (unsigned i = 0; i < ARRAY_SIZE(plan); i++) {
		b->attempts = i + 1;
		ret = calibrate(window, ctx, plan[i].ms, plan[i].rounds, &b->c);
		if (ret != -HV_EBUSY)
			return ret;
	}
	tsc_set_khz(b->c.khz);
	b->disturbed = true;
	return 0;
}

/*
 * CPUID's rate, checked with one attempt (5 windows of 10 ms) against the
 * HPET, else the PIT: an emulator may state its CPU model's nominal rate
 * whatever its TSC does (Bochs' Skylake-X says 3500 MHz at leaf 0x16 and
 * counts at its instruction rate). Within 10%, or with no clock to ask,
 * CPUID's exact rate is used; otherwise the measured one (cpuid_refused).
 */
static void check_cpuid_rate(const struct tsc_clock *hpet, struct tsc_boot *b)
{
	struct tsc_calib c;
	int ret = -HV_ENODEV;

	b->check_src = TSC_SRC_NONE;
	if (hpet) {
		ret = calibrate(hpet->window, hpet->ctx, 10, 5, &c);
		b->check_src = TSC_SRC_HPET;
	}
	if (ret && ret != -HV_EBUSY) {
		ret = calibrate(pit_window, NULL, 10, 5, &c);
		b->check_src = TSC_SRC_PIT;
	}
	if (ret) {
		/* No clock answered, or the check itself was disturbed: CPUID stands. */
		b->check_src = ret == -HV_EBUSY ? b->check_src : TSC_SRC_NONE;
		b->src = b->cpuid_src;
		tsc_set_khz(b->cpuid_khz);
		return;
	}
	b->check_khz = c.khz;
	if ((c.khz > b->cpuid_khz ? c.khz - b->cpuid_khz : b->cpuid_khz - c.khz) * 10 > b->cpuid_khz) {
		b->cpuid_refused = true;
		b->src = b->check_src;  /* calibrate() installed the measured rate */
		b->c = c;
		b->attempts = 1;
		return;
	}
	b->src = b->cpuid_src;
	tsc_set_khz(b->cpuid_khz);
}

int tsc_calibrate_boot(const struct tsc_clock *hpet, struct tsc_boot *b)
{
	memset(b, 0, sizeof(*b));
	tsc_cpuid_read(&b->leaves);
	b->cpuid_khz = tsc_khz_from_cpuid(&b->leaves, &b->cpuid_src);
	if (b->cpuid_khz) {
		check_cpuid_rate(hpet, b);
		return 0;
	}
	b->hpet_err = hpet ? calibrate_plan(hpet->window, hpet->ctx, b) : -HV_ENODEV;
	if (!b->hpet_err) {
		b->src = TSC_SRC_HPET;
		return 0;
	}
	b->disturbed = false;
	b->pit_err = calibrate_plan(pit_window, NULL, b);
	if (!b->pit_err) {
		b->src = TSC_SRC_PIT;
		return 0;
	}
	return -HV_ENODEV;
}
