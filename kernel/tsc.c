/*
 * TSC calibration against the 8254 PIT, channel 2 (the speaker channel,
 * gated through port 0x61), the way Linux's pit_calibrate_tsc does it:
 * one-shot mode 0, poll OUT2 until the count expires.
 * Spec: Intel 8254 Programmable Interval Timer datasheet; PC/AT port 0x61.
 */
#include "kernel/tsc.h"
#include "kernel/err.h"
#include "kernel/hw/pio.h"
#include "kernel/hw/cpu.h"

#define PIT_HZ                  1193182ULL
#define PIT_CH2_DATA            0x42
#define PIT_CMD                 0x43
#define  PIT_CMD_CH2_LOHI_MODE0 0xb0    /* channel 2, lobyte/hibyte, mode 0, binary */
#define PORT_B                  0x61
#define  PORT_B_GATE2           BIT_ULL(0)
#define  PORT_B_SPEAKER         BIT_ULL(1)
#define  PORT_B_OUT2            BIT_ULL(5)
#define CALIB_ROUNDS_MAX        9
/* Polls of port 0x61 before declaring the PIT dead: far more than 50 ms worth. */
#define PIT_POLL_LIMIT          50000000UL

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

int tsc_calibrate_boot(struct tsc_calib *c, unsigned *attempts)
{
	static const struct { unsigned ms, rounds; } plan[] = { { 10, 5 }, { 20, 7 }, { 50, 9 } };
	int ret = -HV_EINVAL;

	for (unsigned i = 0; i < ARRAY_SIZE(plan); i++) {
		*attempts = i + 1;
		ret = tsc_calibrate(plan[i].ms, plan[i].rounds, c);
		if (ret != -HV_EBUSY)
			return ret;
	}
	tsc_set_khz(c->khz);
	return 1;
}

void tsc_set_khz(u64 k)
{
	khz = k;
	ns_mult = (u64)(((unsigned __int128)1000000ULL << 32) / k);
}

/* One window: TSC ticks while PIT channel 2 counts ms milliseconds. */
static int pit_window(unsigned ms, u64 *ticks)
{
	u64 count = PIT_HZ * ms / 1000;
	u8 b = pio_in8(PORT_B);

	pio_out8(PORT_B, (u8)((b & ~PORT_B_SPEAKER) & ~PORT_B_GATE2));
	pio_out8(PIT_CMD, PIT_CMD_CH2_LOHI_MODE0);
	pio_out8(PIT_CH2_DATA, (u8)count);
	pio_out8(PIT_CH2_DATA, (u8)(count >> 8));
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

int tsc_calibrate(unsigned ms, unsigned rounds, struct tsc_calib *c)
{
	u64 t[CALIB_ROUNDS_MAX] = { 0 };

	c->khz = 0;
	c->agree = 0;
	c->rounds = rounds;
	if (ms == 0 || ms > 50 || rounds == 0 || rounds > CALIB_ROUNDS_MAX)
		return -HV_EINVAL;
	for (unsigned i = 0; i < rounds; i++) {
		int ret = pit_window(ms, &t[i]);
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
	if (k < 10000 || k > 100000000)
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
