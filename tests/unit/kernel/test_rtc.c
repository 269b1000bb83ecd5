/*
 * Host tests for kernel/rtc.c: the calendar against dates worked out
 * elsewhere and against a day-by-day count, the MC146818A's BCD, binary,
 * 24- and 12-hour encodings, and the host clock read through a fake CMOS
 * behind ports 0x70/0x71 (update in progress, a tick between two reads,
 * no clock at all).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "kernel/rtc.h"
#include "kernel/err.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_log.h"

#define ASSERT_DATE(d, y, mo, da, h, mi, s, w) do { \
	assert_int_equal((d).year, y); assert_int_equal((d).month, mo); assert_int_equal((d).day, da); \
	assert_int_equal((d).hour, h); assert_int_equal((d).min, mi); assert_int_equal((d).sec, s); \
	assert_int_equal((d).wday, w); } while (0)

/* Epoch seconds and weekdays from Python's calendar.timegm and date.isoweekday (RTC: Sunday = 1). */
static const struct { struct rtc_date d; u64 epoch; } known[] = {
	{ { 1970, 1, 1, 0, 0, 0, 5 }, 0 },
	{ { 2000, 2, 29, 12, 34, 56, 3 }, 951827696ULL },
	{ { 2024, 3, 1, 0, 0, 0, 6 }, 1709251200ULL },
	{ { 2026, 12, 5, 5, 21, 12, 7 }, 1796448072ULL },
	{ { 2099, 12, 31, 23, 59, 59, 5 }, 4102444799ULL },
};

static void known_dates_convert_both_ways(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		struct rtc_date d;
		assert_true(rtc_date_valid(&known[i].d));
		assert_int_equal(rtc_date_to_epoch(&known[i].d), known[i].epoch);
		rtc_epoch_to_date(known[i].epoch, &d);
		ASSERT_DATE(d, known[i].d.year, known[i].d.month, known[i].d.day, known[i].d.hour, known[i].d.min,
			    known[i].d.sec, known[i].d.wday);
	}
}

/* Every day from 1970 to 2099, counted one by one, as the closed forms must give it. */
static void every_day_agrees_with_counting(void **state)
{
	static const u8 mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	u64 day = 0;
	(void)state;
	for (u32 y = 1970; y <= 2099; y++)
		for (u8 m = 1; m <= 12; m++) {
			u8 n = (u8)(mdays[m - 1] + (m == 2 && y % 4 == 0));     /* 2000 is a leap year, 2100 is past the range */
			for (u8 dd = 1; dd <= n; dd++, day++) {
				struct rtc_date want = { y, m, dd, 13, 7, 42, (u8)((day + 4) % 7 + 1) }, got;
				u64 s = day * 86400 + 13 * 3600 + 7 * 60 + 42;
				assert_int_equal(rtc_date_to_epoch(&want), s);
				rtc_epoch_to_date(s, &got);
				ASSERT_DATE(got, want.year, want.month, want.day, 13, 7, 42, want.wday);
			}
		}
	assert_int_equal(day, 47482);   /* 130 years, 32 of them leap */
}

static void invalid_dates_and_the_far_future(void **state)
{
	struct rtc_date d;
	(void)state;
	assert_false(rtc_date_valid(&(struct rtc_date){ 2023, 2, 29, 0, 0, 0, 0 }));
	assert_true(rtc_date_valid(&(struct rtc_date){ 2024, 2, 29, 0, 0, 0, 0 }));
	assert_false(rtc_date_valid(&(struct rtc_date){ 2024, 13, 1, 0, 0, 0, 0 }));
	assert_false(rtc_date_valid(&(struct rtc_date){ 2024, 4, 31, 0, 0, 0, 0 }));
	assert_false(rtc_date_valid(&(struct rtc_date){ 2024, 4, 30, 24, 0, 0, 0 }));
	assert_false(rtc_date_valid(&(struct rtc_date){ 1969, 12, 31, 0, 0, 0, 0 }));
	assert_false(rtc_date_valid(&(struct rtc_date){ 2100, 1, 1, 0, 0, 0, 0 }));
	rtc_epoch_to_date(~0ULL, &d);   /* clamped, not wrapped */
	ASSERT_DATE(d, 2099, 12, 31, 23, 59, 59, 5);
}

static void encodings_bcd_binary_and_12_hour(void **state)
{
	u8 r[RTC_YEAR + 1];
	struct rtc_date back;
	const struct rtc_date late = { 2026, 12, 5, 23, 59, 58, 7 };
	(void)state;

	memset(r, 0xee, sizeof(r));
	rtc_encode(&late, RTC_B_24H, r);
	assert_int_equal(r[RTC_SECONDS], 0x58);
	assert_int_equal(r[RTC_MINUTES], 0x59);
	assert_int_equal(r[RTC_HOURS], 0x23);
	assert_int_equal(r[RTC_DAY_OF_WEEK], 7);
	assert_int_equal(r[RTC_DAY_OF_MONTH], 0x05);
	assert_int_equal(r[RTC_MONTH], 0x12);
	assert_int_equal(r[RTC_YEAR], 0x26);
	assert_int_equal(r[RTC_SECONDS_ALARM], 0xee);   /* alarms are not the encoder's */
	assert_int_equal(rtc_decode(r, RTC_B_24H, &back), 0);
	ASSERT_DATE(back, 2026, 12, 5, 23, 59, 58, 7);

	rtc_encode(&late, RTC_B_DM_BINARY | RTC_B_24H, r);
	assert_int_equal(r[RTC_HOURS], 23);
	assert_int_equal(r[RTC_YEAR], 26);
	assert_int_equal(r[RTC_MONTH], 12);

	/* 12-hour mode: 23 h is 11 PM, midnight is 12 AM, noon is 12 PM. */
	rtc_encode(&late, RTC_B_DM_BINARY, r);
	assert_int_equal(r[RTC_HOURS], 11 | RTC_HOURS_PM);
	rtc_encode(&(struct rtc_date){ 2026, 12, 5, 0, 30, 0, 7 }, 0, r);
	assert_int_equal(r[RTC_HOURS], 0x12);
	assert_int_equal(rtc_decode(r, 0, &back), 0);
	assert_int_equal(back.hour, 0);
	rtc_encode(&(struct rtc_date){ 2026, 12, 5, 12, 0, 0, 7 }, 0, r);
	assert_int_equal(r[RTC_HOURS], 0x12 | RTC_HOURS_PM);
	assert_int_equal(rtc_decode(r, 0, &back), 0);
	assert_int_equal(back.hour, 12);
}

static void bytes_that_are_no_date_are_refused(void **state)
{
	u8 r[RTC_YEAR + 1];
	struct rtc_date d;
	(void)state;
	rtc_encode(&known[3].d, RTC_B_24H, r);
	r[RTC_MINUTES] = 0x1a;                          /* not a BCD digit */
	assert_int_equal(rtc_decode(r, RTC_B_24H, &d), -HV_EINVAL);
	rtc_encode(&known[3].d, RTC_B_24H, r);
	r[RTC_DAY_OF_MONTH] = 0x31;
	r[RTC_MONTH] = 0x11;                            /* November 31st */
	assert_int_equal(rtc_decode(r, RTC_B_24H, &d), -HV_EINVAL);
	rtc_encode(&known[3].d, 0, r);
	r[RTC_HOURS] = 0x00;                            /* no 0 o'clock in 12-hour mode */
	assert_int_equal(rtc_decode(r, 0, &d), -HV_EINVAL);
	memset(r, 0xff, sizeof(r));
	assert_int_equal(rtc_decode(r, 0xff, &d), -HV_EINVAL);
}

/* ---- the host's clock behind fake ports ---- */

static u8 cmos[RTC_NR_REGS];
static unsigned uip_reads;      /* how many more reads of Register A show UIP */
static unsigned tick_after;     /* after this many seconds reads, the clock moves one second (0: never) */
static unsigned seconds_reads;

static u32 cmos_port(u16 port, u8 width)
{
	(void)width;
	if (port != RTC_PORT_DATA || !fake_pio_nr)
		return 0xff;
	u8 reg = (u8)(fake_pio_log[fake_pio_nr - 1].val & RTC_INDEX_REG);
	if (reg == RTC_REG_A && uip_reads) {
		uip_reads--;
		return cmos[reg] | RTC_A_UIP;
	}
	if (reg == RTC_SECONDS && tick_after && ++seconds_reads == tick_after)
		cmos[RTC_SECONDS]++;
	return cmos[reg];
}

static int setup(void **state)
{
	(void)state;
	fake_hw_reset();
	fake_log_capture();
	memset(cmos, 0, sizeof(cmos));
	rtc_encode(&known[3].d, RTC_B_24H, cmos);
	cmos[RTC_REG_A] = RTC_A_PC_DEFAULT;
	cmos[RTC_REG_B] = RTC_B_24H;
	cmos[RTC_REG_D] = RTC_D_VRT;
	uip_reads = tick_after = seconds_reads = 0;
	fake_pio_read_hook = cmos_port;
	return 0;
}

static void host_clock_read_after_its_update(void **state)
{
	(void)state;
	uip_reads = 3;
	assert_int_equal(rtc_init(), 0);
	assert_int_equal(uip_reads, 0);
	assert_true(fake_log_has("host clock 2026-12-05 05:21:12 UTC (CMOS, BCD, 24-hour)"));
	u64 now = rtc_now();
	assert_in_range(now, known[3].epoch, known[3].epoch + 1);
	fake_time_ns += 3600ULL * 1000000000ULL;       /* an hour of the monotonic clock later */
	assert_in_range(rtc_now(), now + 3600, now + 3601);
	for (unsigned i = 0; i < fake_pio_nr; i++)
		assert_false(fake_pio_log[i].port == RTC_PORT_INDEX && (fake_pio_log[i].val & RTC_INDEX_NMI_OFF));
}

static void a_tick_between_reads_reads_again(void **state)
{
	(void)state;
	tick_after = 2;                 /* the second read's seconds differ from the first's */
	assert_int_equal(rtc_init(), 0);
	assert_true(fake_log_has("host clock 2026-12-05 05:21:13 UTC"));
}

static void binary_12_hour_clock_is_read_in_its_modes(void **state)
{
	(void)state;
	cmos[RTC_REG_B] = RTC_B_DM_BINARY;
	rtc_encode(&(struct rtc_date){ 2026, 12, 5, 17, 4, 9, 7 }, RTC_B_DM_BINARY, cmos);
	assert_int_equal(rtc_init(), 0);
	assert_true(fake_log_has("host clock 2026-12-05 17:04:09 UTC (CMOS, binary, 12-hour)"));
}

static void no_clock_or_no_date_counts_from_2000(void **state)
{
	(void)state;
	fake_pio_read_hook = NULL;      /* every port reads 0xff */
	assert_int_equal(rtc_init(), -HV_ENODEV);
	assert_true(fake_log_has("no CMOS clock"));
	assert_in_range(rtc_now(), 946684800ULL, 946684801ULL);

	setup(NULL);
	uip_reads = ~0u;                /* the update never ends */
	assert_int_equal(rtc_init(), -HV_ETIMEDOUT);
	assert_true(fake_log_has("CMOS clock unreadable"));
	assert_in_range(rtc_now(), 946684800ULL, 946684801ULL);

	setup(NULL);
	cmos[RTC_MONTH] = 0x13;
	assert_int_equal(rtc_init(), -HV_EINVAL);
	assert_true(fake_log_has("CMOS clock unreadable"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_dates_convert_both_ways),
		cmocka_unit_test(every_day_agrees_with_counting),
		cmocka_unit_test(invalid_dates_and_the_far_future),
		cmocka_unit_test(encodings_bcd_binary_and_12_hour),
		cmocka_unit_test(bytes_that_are_no_date_are_refused),
		cmocka_unit_test_setup(host_clock_read_after_its_update, setup),
		cmocka_unit_test_setup(a_tick_between_reads_reads_again, setup),
		cmocka_unit_test_setup(binary_12_hour_clock_is_read_in_its_modes, setup),
		cmocka_unit_test_setup(no_clock_or_no_date_counts_from_2000, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
