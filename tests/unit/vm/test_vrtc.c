/*
 * Host tests for vm/dev/vrtc.c: a partition's CMOS clock read as Linux's
 * mc146818 code reads it (Register A's UIP, then the time bytes, in the
 * modes of Register B), writes to the time dropped and counted, the RAM
 * and alarms the partition's own, the wall clock given by the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "vm/dev/vrtc.h"
#include "kernel/rtc.h"

#define NOW     1796448072ULL   /* 2026-12-05 05:21:12 UTC, a Saturday */

static struct vrtc r;

static int setup(void **state)
{
	(void)state;
	vrtc_reset(&r);
	return 0;
}

static u8 rd(u8 reg, u64 now)
{
	vrtc_out(&r, RTC_PORT_INDEX, reg);
	return vrtc_in(&r, RTC_PORT_DATA, now);
}

static void wr(u8 reg, u8 val)
{
	vrtc_out(&r, RTC_PORT_INDEX, reg);
	vrtc_out(&r, RTC_PORT_DATA, val);
}

static void claims_its_two_ports_only(void **state)
{
	(void)state;
	assert_true(vrtc_claims(0x70));
	assert_true(vrtc_claims(0x71));
	assert_false(vrtc_claims(0x72));
	assert_false(vrtc_claims(0x6f));
	assert_int_equal(vrtc_in(&r, RTC_PORT_INDEX, NOW), 0xff);      /* write-only index */
}

static void firmware_state_reads_the_wall_clock_in_bcd(void **state)
{
	(void)state;
	assert_int_equal(rd(RTC_REG_A, NOW) & RTC_A_UIP, 0);
	assert_int_equal(rd(RTC_REG_B, NOW), RTC_B_24H);
	assert_int_equal(rd(RTC_REG_C, NOW), 0);
	assert_int_equal(rd(RTC_REG_D, NOW), RTC_D_VRT);
	assert_int_equal(rd(RTC_SECONDS, NOW), 0x12);
	assert_int_equal(rd(RTC_MINUTES, NOW), 0x21);
	assert_int_equal(rd(RTC_HOURS, NOW), 0x05);
	assert_int_equal(rd(RTC_DAY_OF_WEEK, NOW), 7);
	assert_int_equal(rd(RTC_DAY_OF_MONTH, NOW), 0x05);
	assert_int_equal(rd(RTC_MONTH, NOW), 0x12);
	assert_int_equal(rd(RTC_YEAR, NOW), 0x26);
	/* And it moves with the wall clock: 18 h 38 min 48 s later is the next day. */
	u64 later = NOW + 18 * 3600 + 38 * 60 + 48;
	assert_int_equal(rd(RTC_HOURS, later), 0x00);
	assert_int_equal(rd(RTC_MINUTES, later), 0x00);
	assert_int_equal(rd(RTC_DAY_OF_MONTH, later), 0x06);
	assert_int_equal(rd(RTC_DAY_OF_WEEK, later), 1);
	/* The NMI bit of the index selects the same register and is counted. */
	vrtc_out(&r, RTC_PORT_INDEX, RTC_INDEX_NMI_OFF | RTC_YEAR);
	assert_int_equal(vrtc_in(&r, RTC_PORT_DATA, NOW), 0x26);
	assert_int_equal(r.nmi_mask_writes, 1);
}

static void the_guest_picks_binary_and_12_hour(void **state)
{
	struct rtc_date d;
	u8 t[RTC_YEAR + 1];
	(void)state;
	wr(RTC_REG_B, RTC_B_DM_BINARY);
	assert_int_equal(rd(RTC_HOURS, NOW), 5);
	assert_int_equal(rd(RTC_HOURS, NOW + 12 * 3600), 5 | RTC_HOURS_PM);
	assert_int_equal(rd(RTC_YEAR, NOW), 26);
	for (u8 i = RTC_SECONDS; i <= RTC_YEAR; i++)
		t[i] = rd(i, NOW);
	assert_int_equal(rtc_decode(t, rd(RTC_REG_B, NOW), &d), 0);
	assert_int_equal(rtc_date_to_epoch(&d), NOW);
}

static void time_writes_are_dropped_and_counted(void **state)
{
	(void)state;
	wr(RTC_REG_B, RTC_B_SET | RTC_B_24H);           /* as hwclock --systohc starts */
	wr(RTC_HOURS, 0x17);
	wr(RTC_YEAR, 0x99);
	wr(RTC_REG_B, RTC_B_24H);
	assert_int_equal(rd(RTC_HOURS, NOW), 0x05);
	assert_int_equal(rd(RTC_YEAR, NOW), 0x26);
	assert_int_equal(r.time_writes, 2);
	wr(RTC_REG_C, 0xff);
	wr(RTC_REG_D, 0x00);
	assert_int_equal(rd(RTC_REG_C, NOW), 0);
	assert_int_equal(rd(RTC_REG_D, NOW), RTC_D_VRT);
	assert_int_equal(r.ro_writes, 2);
	/* Register A keeps its rate bits, never UIP. */
	wr(RTC_REG_A, RTC_A_UIP | 0x2f);
	assert_int_equal(rd(RTC_REG_A, NOW), 0x2f);
}

static void alarms_and_ram_are_the_partitions(void **state)
{
	(void)state;
	wr(RTC_SECONDS_ALARM, 0x30);
	wr(RTC_HOURS_ALARM, 0xc0);
	wr(RTC_FIRST_RAM, 0xa5);
	wr(0x7f, 0x5a);
	wr(RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	assert_int_equal(rd(RTC_SECONDS_ALARM, NOW), 0x30);
	assert_int_equal(rd(RTC_HOURS_ALARM, NOW), 0xc0);
	assert_int_equal(rd(RTC_FIRST_RAM, NOW), 0xa5);
	assert_int_equal(rd(0x7f, NOW), 0x5a);
	assert_int_equal(rd(RTC_REG_C, NOW), 0);        /* no alarm interrupt, ever */
	assert_int_equal(r.time_writes + r.ro_writes, 0);
	vrtc_reset(&r);
	assert_int_equal(rd(RTC_FIRST_RAM, NOW), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(claims_its_two_ports_only, setup),
		cmocka_unit_test_setup(firmware_state_reads_the_wall_clock_in_bcd, setup),
		cmocka_unit_test_setup(the_guest_picks_binary_and_12_hour, setup),
		cmocka_unit_test_setup(time_writes_are_dropped_and_counted, setup),
		cmocka_unit_test_setup(alarms_and_ram_are_the_partitions, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
