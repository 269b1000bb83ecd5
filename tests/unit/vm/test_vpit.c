/*
 * Host tests for vm/dev/vpit.c: counter 0 programmed as kernels program
 * it (control word, then the count's bytes), read live and latched, its
 * edges on IR0 at the 8254's period. Time is given, not read: 1 tick of
 * the 1.193182 MHz input is 838.095 ns, and 65536 ticks are 54925.4 us.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "vm/dev/vpit.h"

#define T0      1000000000ULL           /* an arbitrary start: 1 s */
#define US      1000ULL

static struct vpit t;

static int setup(void **state)
{
	(void)state;
	vpit_reset_firmware(&t, T0);
	return 0;
}

/* Control word for counter 0 with mode and LSB/MSB access, then the count, at now. */
static void program(u8 mode, u16 count, u64 now)
{
	vpit_out(&t, PIT_PORT_CONTROL, (u8)(0x30 | mode << 1), now);
	vpit_out(&t, PIT_PORT_COUNTER0, (u8)count, now);
	vpit_out(&t, PIT_PORT_COUNTER0, (u8)(count >> 8), now);
}

static u16 read_count(u64 now)
{
	u16 lo = vpit_in(&t, PIT_PORT_COUNTER0, now);
	return (u16)(lo | vpit_in(&t, PIT_PORT_COUNTER0, now) << 8);
}

static void firmware_state_ticks_at_18_2_hz(void **state)
{
	u64 next;
	(void)state;
	assert_int_equal(vpit_poll(&t, T0 + 1000, &next), 0);
	/* 65536 / 1193182 s = 54925.4 us */
	assert_true(next >= T0 + 54925 * US && next <= T0 + 54926 * US);
	assert_int_equal(vpit_poll(&t, next, &next), 1);
	assert_true(next >= T0 + 109850 * US && next <= T0 + 109852 * US);
	assert_int_equal(t.edges, 1);
}

static void mode_2_period_is_the_count_in_ticks(void **state)
{
	u64 next;
	(void)state;
	program(2, 11932, T0);          /* ~100 Hz: 11932 ticks = 10000.15 us */
	assert_int_equal(vpit_period_ns(&t), 10000151);
	assert_int_equal(vpit_poll(&t, T0 + 9999 * US, &next), 0);
	assert_int_equal(next, T0 + 10000151);
	assert_int_equal(vpit_poll(&t, T0 + 10001 * US, &next), 1);
	assert_int_equal(vpit_poll(&t, T0 + 15000 * US, &next), 0);
	assert_int_equal(vpit_poll(&t, T0 + 20001 * US, &next), 1);
	assert_int_equal(t.edges, 2);
}

static void mode_3_has_the_same_period_and_counts_down_by_two(void **state)
{
	u64 next;
	(void)state;
	program(3, 1000, T0);           /* 1000 ticks = 838.1 us */
	/* 100 ticks in: the count went down by 200. */
	assert_int_equal(read_count(T0 + 83810), 800);
	assert_int_equal(vpit_poll(&t, T0 + 838 * US, &next), 0);
	assert_int_equal(vpit_poll(&t, T0 + 839 * US, &next), 1);
	/* An odd count reads even: 1001 goes 1000, 998, ... */
	program(3, 1001, T0);
	assert_int_equal(read_count(T0 + 83810), 800);
}

static void missed_periods_make_one_edge_and_keep_the_phase(void **state)
{
	u64 next;
	(void)state;
	program(2, 1193, T0);           /* 1193 ticks = 999.8 us */
	assert_int_equal(vpit_poll(&t, T0 + 10500 * US, &next), 1);
	/* 10 periods passed; the next edge is the 11th, not 1 ms after the poll. */
	assert_true(next >= T0 + 10997 * US && next <= T0 + 10999 * US);
}

static void mode_0_fires_once(void **state)
{
	u64 next;
	(void)state;
	program(0, 100, T0);            /* 100 ticks = 83.8 us */
	assert_int_equal(vpit_poll(&t, T0 + 80 * US, &next), 0);
	assert_int_equal(next, T0 + 83810);
	assert_int_equal(vpit_poll(&t, T0 + 90 * US, &next), 1);
	assert_int_equal(next, 0);
	assert_int_equal(vpit_poll(&t, T0 + 1000 * US, &next), 0);
}

static void live_count_goes_down_from_the_reload(void **state)
{
	(void)state;
	program(2, 10000, T0);
	assert_int_equal(read_count(T0), 10000);
	/* 1000 ticks = 838095 ns */
	assert_int_equal(read_count(T0 + 838096), 9000);
}

static void latch_holds_the_count_until_both_bytes_are_read(void **state)
{
	(void)state;
	program(2, 10000, T0);
	vpit_out(&t, PIT_PORT_CONTROL, 0x00, T0 + 838096);     /* counter latch, counter 0 */
	assert_int_equal(vpit_in(&t, PIT_PORT_COUNTER0, T0 + 2000000), 9000 & 0xff);
	assert_int_equal(vpit_in(&t, PIT_PORT_COUNTER0, T0 + 3000000), 9000 >> 8);
	/* Both bytes read: the next read is live again (5000 ticks in). */
	assert_int_equal(read_count(T0 + 4190477), 5000);
}

static void second_latch_before_the_read_is_ignored(void **state)
{
	(void)state;
	program(2, 10000, T0);
	vpit_out(&t, PIT_PORT_CONTROL, 0x00, T0 + 838096);
	vpit_out(&t, PIT_PORT_CONTROL, 0x00, T0 + 4190477);
	assert_int_equal(read_count(T0 + 5000000), 9000);
}

static void read_back_latches_status_and_count(void **state)
{
	(void)state;
	program(2, 10000, T0);
	vpit_out(&t, PIT_PORT_CONTROL, 0xc2, T0 + 838096);     /* read-back: count and status of counter 0 */
	u8 st = vpit_in(&t, PIT_PORT_COUNTER0, T0 + 5000000);
	assert_int_equal(st & 0x3f, 0x34);      /* LSB/MSB, mode 2, binary */
	assert_int_equal(st & PIT_ST_NULL_COUNT, 0);
	assert_int_equal(read_count(T0 + 5000000), 9000);
}

static void count_written_in_mode_2_takes_effect_at_the_period_end(void **state)
{
	u64 next;
	(void)state;
	program(2, 10000, T0);          /* 8380.9 us */
	vpit_out(&t, PIT_PORT_COUNTER0, 0xe8, T0 + 1000 * US);
	vpit_out(&t, PIT_PORT_COUNTER0, 0x03, T0 + 1000 * US);        /* 1000 */
	assert_int_equal(vpit_poll(&t, T0 + 2000 * US, &next), 0);
	assert_int_equal(next, T0 + 8380952);
	assert_int_equal(vpit_poll(&t, next, &next), 1);
	assert_int_equal(vpit_period_ns(&t), 838096);
}

static void control_word_stops_the_counter_until_a_count_is_written(void **state)
{
	u64 next;
	(void)state;
	vpit_out(&t, PIT_PORT_CONTROL, 0x34, T0);
	assert_int_equal(vpit_poll(&t, T0 + 100000 * US, &next), 0);
	assert_int_equal(next, 0);
	vpit_out(&t, PIT_PORT_COUNTER0, 0x00, T0 + 100000 * US);
	assert_int_equal(vpit_poll(&t, T0 + 100001 * US, &next), 0);
	assert_int_equal(next, 0);
	vpit_out(&t, PIT_PORT_COUNTER0, 0x01, T0 + 100000 * US);      /* 256 ticks */
	assert_int_equal(vpit_poll(&t, T0 + 100300 * US, &next), 1);
}

static void lsb_only_access_loads_at_once(void **state)
{
	(void)state;
	vpit_out(&t, PIT_PORT_CONTROL, 0x14, T0);      /* counter 0, LSB only, mode 2 */
	vpit_out(&t, PIT_PORT_COUNTER0, 200, T0);
	assert_int_equal(vpit_period_ns(&t), 167620);
	assert_int_equal(vpit_in(&t, PIT_PORT_COUNTER0, T0), 200);
}

static void gate_triggered_modes_never_fire(void **state)
{
	u64 next;
	(void)state;
	program(1, 100, T0);
	assert_int_equal(vpit_poll(&t, T0 + 1000000 * US, &next), 0);
	assert_int_equal(next, 0);
}

static void other_counters_read_zero_and_are_counted(void **state)
{
	(void)state;
	vpit_out(&t, PIT_PORT_CONTROL, 0xb6, T0);      /* counter 2, as for the speaker */
	vpit_out(&t, PIT_PORT_COUNTER2, 0x12, T0);
	assert_int_equal(vpit_in(&t, PIT_PORT_COUNTER2, T0), 0);
	assert_int_equal(vpit_in(&t, PIT_PORT_COUNTER1, T0), 0);
	assert_int_equal(t.other_accesses, 4);
	assert_int_equal(vpit_period_ns(&t), 54925402);  /* counter 0 untouched */
}

/* ---- counter 2, the speaker's, gated by port 0x61 bit 0 ---- */

static struct vpit c2;

static u16 read2(u64 now)
{
	u16 lo = vpit_in(&c2, PIT_PORT_COUNTER2, now);
	return (u16)(lo | vpit_in(&c2, PIT_PORT_COUNTER2, now) << 8);
}

static void program2(u8 mode, u16 count, u64 now)
{
	vpit_out(&c2, PIT_PORT_CONTROL, (u8)(0xb0 | mode << 1), now);
	vpit_out(&c2, PIT_PORT_COUNTER2, (u8)count, now);
	vpit_out(&c2, PIT_PORT_COUNTER2, (u8)(count >> 8), now);
}

/* As Linux's pit_calibrate_tsc: mode 0, 10 ms worth of count, poll OUT2 until it rises. */
static void counter2_mode_0_waits_for_its_gate_then_fires(void **state)
{
	(void)state;
	vpit_reset_counter2(&c2);
	program2(0, 11932, T0);                         /* 10.0002 ms */
	assert_false(vpit_output(&c2, T0 + 50000 * US));
	assert_int_equal(read2(T0 + 50000 * US), 11932);        /* held: GATE is low */
	vpit_gate(&c2, true, T0 + 50000 * US);
	assert_false(vpit_output(&c2, T0 + 59990 * US));
	assert_in_range(read2(T0 + 55000 * US), 5965, 5967);
	assert_true(vpit_output(&c2, T0 + 60001 * US));
	/* GATE low again holds OUT and the count where they were. */
	vpit_gate(&c2, false, T0 + 60001 * US);
	assert_true(vpit_output(&c2, T0 + 90000 * US));
	assert_int_equal(c2.other_accesses + c2.unsupported, 0);
}

/* As Linux's quick_pit_calibrate: GATE high first, mode 0 from 0xffff; the MSB steps every 256 ticks. */
static void counter2_msb_steps_every_256_ticks(void **state)
{
	(void)state;
	vpit_reset_counter2(&c2);
	vpit_gate(&c2, true, T0);
	program2(0, 0xffff, T0);
	assert_int_equal(read2(T0) >> 8, 0xff);
	assert_int_equal(read2(T0 + 214 * US) >> 8, 0xff);     /* 255 ticks */
	assert_int_equal(read2(T0 + 216 * US) >> 8, 0xfe);     /* 257 ticks */
	assert_int_equal(read2(T0 + 50000 * US) >> 8, 0xff - 233);
}

static void counter2_takes_only_its_own_control_words(void **state)
{
	(void)state;
	vpit_reset_counter2(&c2);
	vpit_gate(&c2, true, T0);
	program2(2, 1000, T0);
	vpit_out(&c2, PIT_PORT_CONTROL, 0x34, T0);     /* counter 0, mode 2: not this one's */
	assert_int_equal(c2.other_accesses, 1);
	assert_int_equal(vpit_period_ns(&c2), 838096);
	/* Read-back of counter 2's count: CNT2 (bit 3), status not asked. */
	vpit_out(&c2, PIT_PORT_CONTROL, 0xd8, T0 + 100 * US);
	assert_in_range(read2(T0 + 500 * US), 880, 881);        /* latched at 119 ticks, not read live */
	/* Mode 2 held by GATE low: OUT high, no period; rising starts a new one. */
	vpit_gate(&c2, false, T0 + 300 * US);
	assert_true(vpit_output(&c2, T0 + 5000 * US));
	u64 next;
	assert_int_equal(vpit_poll(&c2, T0 + 5000 * US, &next), 0);
	assert_int_equal(next, 0);
	vpit_gate(&c2, true, T0 + 5000 * US);
	assert_int_equal(read2(T0 + 5000 * US), 1000);
	/* Data port 0x40 is counter 0's. */
	assert_int_equal(vpit_in(&c2, PIT_PORT_COUNTER0, T0), 0);
	assert_int_equal(c2.other_accesses, 2);
	/* Mode 1 (a GATE trigger) is counted as unsupported on counter 2. */
	vpit_out(&c2, PIT_PORT_CONTROL, 0xb2, T0);
	assert_int_equal(c2.unsupported, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(firmware_state_ticks_at_18_2_hz, setup),
		cmocka_unit_test_setup(mode_2_period_is_the_count_in_ticks, setup),
		cmocka_unit_test_setup(mode_3_has_the_same_period_and_counts_down_by_two, setup),
		cmocka_unit_test_setup(missed_periods_make_one_edge_and_keep_the_phase, setup),
		cmocka_unit_test_setup(mode_0_fires_once, setup),
		cmocka_unit_test_setup(live_count_goes_down_from_the_reload, setup),
		cmocka_unit_test_setup(latch_holds_the_count_until_both_bytes_are_read, setup),
		cmocka_unit_test_setup(second_latch_before_the_read_is_ignored, setup),
		cmocka_unit_test_setup(read_back_latches_status_and_count, setup),
		cmocka_unit_test_setup(count_written_in_mode_2_takes_effect_at_the_period_end, setup),
		cmocka_unit_test_setup(control_word_stops_the_counter_until_a_count_is_written, setup),
		cmocka_unit_test_setup(lsb_only_access_loads_at_once, setup),
		cmocka_unit_test_setup(gate_triggered_modes_never_fire, setup),
		cmocka_unit_test_setup(other_counters_read_zero_and_are_counted, setup),
		cmocka_unit_test(counter2_mode_0_waits_for_its_gate_then_fires),
		cmocka_unit_test(counter2_msb_steps_every_256_ticks),
		cmocka_unit_test(counter2_takes_only_its_own_control_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
