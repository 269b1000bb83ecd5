/*
 * The TSC's rate from each source in turn: CPUID 0x15/0x16 (table-driven,
 * and checked against a clock when one answers),
 * the HPET (kernel/hpet.c on a fake timer block whose main counter follows
 * the fake TSC: every rdtsc() moves it on), then the PIT; and what the boot
 * gets when one source after another is missing or broken.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "kernel/tsc.h"
#include "kernel/hpet.h"
#include "kernel/hpet_hw.h"
#include "kernel/acpi_hw.h"
#include "kernel/err.h"
#include "kernel/hw/cpu.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_io.h"

#ifndef ACPI_FIXTURE_DIR
#define ACPI_FIXTURE_DIR        "build/host/fixtures/acpi"
#endif
#define HPET_PA                 0xfed00000ULL

/* ---- a fake HPET: main counter = (fake TSC - start) / tsc_per_tick + base ---- */

static struct io_region *hpet_regs;
static u64 tsc_per_tick;        /* 0: the counter is stuck */
static u64 count_base;

static void hpet_read(struct io_region *r, u32 off, unsigned width, void *ctx)
{
	(void)width;
	(void)ctx;
	if (off == HPET_MAIN_CNT && tsc_per_tick)
		fake_io_set64(r, HPET_MAIN_CNT, count_base + fake_tsc / tsc_per_tick);
}

/* A timer block with period_fs per tick, its counter 64 bits wide or not, stopped. */
static void hpet_add(u64 period_fs, bool counter64)
{
	hpet_regs = fake_io_add(HPET_PA, HPET_REGS_SIZE);
	fake_io_set64(hpet_regs, HPET_GCAP_ID, period_fs << 32 | (counter64 ? HPET_GCAP_COUNT_SIZE_CAP : 0) | 0x80868201ULL);
	fake_io_on_read(hpet_regs, hpet_read, NULL);
}

/* The fake block, opened, and the clock the calibration measures against. */
static struct hpet hp;
static const struct tsc_clock clk = { .window = hpet_tsc_window, .ctx = &hp };

static void hpet_up(u64 period_fs, bool counter64)
{
	hpet_add(period_fs, counter64);
	assert_int_equal(hpet_open(HPET_PA, &hp), 0);
}

/* ---- CPUID leaves for the fake CPU ---- */

static struct tsc_cpuid leaves;
static void cpuid_leaves(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
	(void)subleaf;
	if (leaf == 0)
		r->eax = leaves.max_leaf;
	else if (leaf == 0x15)
		*r = (struct cpuid_regs){ leaves.den, leaves.num, leaves.crystal_hz, 0 };
	else if (leaf == 0x16)
		r->eax = leaves.base_mhz | 0xabcd0000;  /* bits 31:16 are reserved: ignored */
}

/* A PIT whose OUT2 rises at once: each window is one TSC step. */
static u32 pit_quick(u16 port, u8 width)
{
	(void)width;
	return port == 0x61 ? 0x20 : 0;
}

static u32 pit_dead(u16 port, u8 width)
{
	(void)port;
	(void)width;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	fake_hw_reset();
	fake_io_reset();
	memset(&leaves, 0, sizeof(leaves));
	tsc_per_tick = 0;
	count_base = 0;
	tsc_set_khz(1000000);
	return 0;
}

static void cpuid_gives_the_rate_its_leaves_state(void **state)
{
	(void)state;
	static const struct {
		struct tsc_cpuid l;
		u64 khz;
		enum tsc_source src;
	} cases[] = {
		/* 25 MHz crystal x 216 / 2 (a Skylake server part) */
		{ { 0x16, 2, 216, 25000000, 2700 }, 2700000, TSC_SRC_CPUID_CRYSTAL },
		/* 38.4 MHz crystal x 125 / 2 */
		{ { 0x15, 2, 125, 38400000, 0 }, 2400000, TSC_SRC_CPUID_CRYSTAL },
		/* a ratio but no crystal: the base frequency */
		{ { 0x16, 2, 176, 0, 2100 }, 2100000, TSC_SRC_CPUID_BASE },
		/* no crystal and no leaf 0x16 */
		{ { 0x15, 2, 176, 0, 2100 }, 0, TSC_SRC_NONE },
		/* ratio not enumerated (EBX 0), or a zero denominator */
		{ { 0x16, 2, 0, 25000000, 2100 }, 0, TSC_SRC_NONE },
		{ { 0x16, 0, 216, 25000000, 2100 }, 0, TSC_SRC_NONE },
		/* leaf 0x15 past the maximum: whatever it would say does not count */
		{ { 0x0d, 2, 216, 25000000, 2700 }, 0, TSC_SRC_NONE },
		/* implausible: 1 Hz crystal */
		{ { 0x16, 1, 2, 1, 0 }, 0, TSC_SRC_NONE },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum tsc_source src;
		u64 khz = tsc_khz_from_cpuid(&cases[i].l, &src);
		if (khz != cases[i].khz || src != cases[i].src)
			fail_msg("case %u: %llu kHz from source %d, wanted %llu from %d", i, (unsigned long long)khz, src,
				 (unsigned long long)cases[i].khz, cases[i].src);
	}
}

static void cpuid_leaves_are_read_only_up_to_the_maximum(void **state)
{
	(void)state;
	struct tsc_cpuid l;
	leaves = (struct tsc_cpuid){ 0x15, 2, 216, 25000000, 2700 };
	fake_cpuid_hook = cpuid_leaves;
	tsc_cpuid_read(&l);
	assert_int_equal(l.max_leaf, 0x15);
	assert_int_equal(l.num, 216);
	assert_int_equal(l.base_mhz, 0);        /* leaf 0x16 not asked */
	leaves.max_leaf = 0x16;
	tsc_cpuid_read(&l);
	assert_int_equal(l.base_mhz, 2700);
}

static void boot_takes_cpuid_first_once_the_hpet_agrees(void **state)
{
	(void)state;
	struct tsc_boot b;
	leaves = (struct tsc_cpuid){ 0x16, 2, 216, 25000000, 2700 };
	fake_cpuid_hook = cpuid_leaves;
	fake_pio_read_hook = pit_dead;
	hpet_up(100000000, true);
	tsc_per_tick = 268;             /* the HPET sees 2680 MHz: within 10% */
	fake_tsc_step = 1000;
	assert_int_equal(tsc_calibrate_boot(&clk, &b), 0);
	assert_int_equal(b.src, TSC_SRC_CPUID_CRYSTAL);
	assert_int_equal(tsc_khz(), 2700000);   /* CPUID's exact rate, not the measurement */
	assert_int_equal(b.check_src, TSC_SRC_HPET);
	assert_in_range(b.check_khz, 2679000, 2681000);
	assert_false(b.cpuid_refused);
	assert_int_equal(fake_pio_nr, 0);       /* the PIT was never programmed */
}

static void cpuid_rate_the_hpet_contradicts_is_refused(void **state)
{
	(void)state;
	struct tsc_boot b;
	/* Bochs' Skylake-X: 0x16 says 3500 MHz, its TSC counts 100 MHz. */
	leaves = (struct tsc_cpuid){ 0x16, 2, 292, 0, 3500 };
	fake_cpuid_hook = cpuid_leaves;
	hpet_up(100000000, true);
	tsc_per_tick = 10;
	fake_tsc_step = 100;
	assert_int_equal(tsc_calibrate_boot(&clk, &b), 0);
	assert_true(b.cpuid_refused);
	assert_int_equal(b.cpuid_src, TSC_SRC_CPUID_BASE);
	assert_int_equal(b.cpuid_khz, 3500000);
	assert_int_equal(b.src, TSC_SRC_HPET);
	assert_in_range(tsc_khz(), 99900, 100100);
}

static void cpuid_rate_is_checked_against_the_pit_without_an_hpet(void **state)
{
	(void)state;
	struct tsc_boot b;
	leaves = (struct tsc_cpuid){ 0x16, 2, 216, 25000000, 2700 };
	fake_cpuid_hook = cpuid_leaves;
	fake_pio_read_hook = pit_quick;
	fake_tsc_step = 10000000;       /* 10 M ticks per 10 ms window: 1 GHz, far from 2.7 */
	assert_int_equal(tsc_calibrate_boot(NULL, &b), 0);
	assert_int_equal(b.check_src, TSC_SRC_PIT);
	assert_true(b.cpuid_refused);
	assert_int_equal(b.src, TSC_SRC_PIT);
	assert_int_equal(tsc_khz(), 1000000);
}

static void cpuid_rate_stands_with_no_clock_to_check_it(void **state)
{
	(void)state;
	struct tsc_boot b;
	leaves = (struct tsc_cpuid){ 0x16, 2, 216, 25000000, 2700 };
	fake_cpuid_hook = cpuid_leaves;
	fake_pio_read_hook = pit_dead;
	assert_int_equal(tsc_calibrate_boot(NULL, &b), 0);
	assert_int_equal(b.src, TSC_SRC_CPUID_CRYSTAL);
	assert_int_equal(b.check_src, TSC_SRC_NONE);
	assert_int_equal(tsc_khz(), 2700000);
}

static void hpet_table_fixture_gives_the_timer_block(void **state)
{
	(void)state;
	u8 t[128];
	u64 pa = 0;
	FILE *f = fopen(ACPI_FIXTURE_DIR "/hpet.aml", "rb");
	if (!f)
		fail_msg("cannot open %s/hpet.aml (make build/host/test_tsc builds it)", ACPI_FIXTURE_DIR);
	u32 len = (u32)fread(t, 1, sizeof(t), f);
	fclose(f);
	assert_int_equal(hpet_table_parse(t, len, &pa), 0);
	assert_int_equal(pa, HPET_PA);
	t[HPET_TBL_BASE_ADDRESS + ACPI_GAS_SPACE_ID] = ACPI_GAS_SPACE_IO;
	assert_int_equal(hpet_table_parse(t, len, &pa), -HV_ENOTSUP);
	assert_int_equal(hpet_table_parse(t, HPET_TBL_SIZE - 1, &pa), -HV_EINVAL);
	memcpy(t, "SPCR", 4);
	assert_int_equal(hpet_table_parse(t, len, &pa), -HV_EINVAL);
}

static void hpet_open_starts_a_stopped_counter_and_checks_the_period(void **state)
{
	(void)state;
	struct hpet h;
	hpet_add(69841279, false);
	assert_int_equal(hpet_open(HPET_PA, &h), 0);
	assert_int_equal(h.period_fs, 69841279);
	assert_false(h.counter64);
	assert_true(h.enabled_here);
	assert_int_equal(fake_io_get64(hpet_regs, HPET_GEN_CONF) & HPET_GEN_CONF_ENABLE_CNF, 1);
	/* Running already: left alone. */
	assert_int_equal(hpet_open(HPET_PA, &h), 0);
	assert_false(h.enabled_here);
	assert_int_equal(fake_io_writes_to(HPET_PA, HPET_GEN_CONF), 1);
	fake_io_set64(hpet_regs, HPET_GCAP_ID, (HPET_PERIOD_MAX_FS + 1) << 32);
	assert_int_equal(hpet_open(HPET_PA, &h), -HV_ENODEV);
	fake_io_set64(hpet_regs, HPET_GCAP_ID, 0x80868201ULL);
	assert_int_equal(hpet_open(HPET_PA, &h), -HV_ENODEV);
	fake_io_set64(hpet_regs, HPET_GCAP_ID, ~0ULL);
	assert_int_equal(hpet_open(HPET_PA, &h), -HV_ENODEV);
	assert_int_equal(hpet_open(0xfee00000ULL, &h), -HV_ERANGE);
}

static void hpet_measures_the_tsc_whatever_the_tsc_step(void **state)
{
	(void)state;
	struct tsc_calib c;
	/* A 10 MHz HPET (100 ns ticks) and 300 TSC ticks per HPET tick: 3 GHz. */
	hpet_up(100000000, true);
	tsc_per_tick = 300;
	static const u64 steps[] = { 1, 7, 1000, 123457 };
	for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		fake_tsc_step = steps[i];
		tsc_set_khz(1000000);
		assert_int_equal(tsc_calibrate_against(&clk, 10, 5, &c), 0);
		assert_int_equal(c.agree, 5);
		/* The last read lands past the 10 ms; the count is scaled back to it. */
		assert_in_range(tsc_khz(), 2999000, 3001000);
	}
}

static void hpet_32_bit_counter_wraps_cleanly(void **state)
{
	(void)state;
	struct tsc_calib c;
	hpet_up(69841279, false);      /* 14.318 MHz, the PC's usual */
	tsc_per_tick = 200;             /* 2.8636 GHz */
	count_base = 0xffffff00ULL;     /* wraps during the first window */
	fake_tsc_step = 50;
	assert_int_equal(tsc_calibrate_against(&clk, 10, 3, &c), 0);
	assert_in_range(tsc_khz(), 2862000, 2865000);
}

static void boot_takes_the_hpet_before_the_pit(void **state)
{
	(void)state;
	struct tsc_boot b;
	hpet_up(100000000, true);
	tsc_per_tick = 250;
	fake_tsc_step = 1000;
	fake_pio_read_hook = pit_dead;
	assert_int_equal(tsc_calibrate_boot(&clk, &b), 0);
	assert_int_equal(b.src, TSC_SRC_HPET);
	assert_int_equal(b.hpet_err, 0);
	assert_int_equal(b.attempts, 1);
	assert_in_range(tsc_khz(), 2499000, 2501000);
	assert_int_equal(fake_pio_nr, 0);       /* the PIT was never programmed */
}

static void a_stuck_hpet_hands_over_to_the_pit(void **state)
{
	(void)state;
	struct tsc_boot b;
	hpet_up(100000000, true);
	tsc_per_tick = 0;               /* the counter never moves */
	fake_pio_read_hook = pit_quick;
	fake_tsc_step = 20000000;       /* 20 M ticks per PIT window of 10 ms: 2 GHz */
	assert_int_equal(tsc_calibrate_boot(&clk, &b), 0);
	assert_int_equal(b.hpet_err, -HV_ETIMEDOUT);
	assert_int_equal(b.src, TSC_SRC_PIT);
	assert_int_equal(tsc_khz(), 2000000);
}

static void no_source_at_all_is_an_error_not_a_hang(void **state)
{
	(void)state;
	struct tsc_boot b;
	fake_pio_read_hook = pit_dead;
	assert_int_equal(tsc_calibrate_boot(NULL, &b), -HV_ENODEV);
	assert_int_equal(b.src, TSC_SRC_NONE);
	assert_int_equal(b.hpet_err, -HV_ENODEV);
	assert_int_equal(b.pit_err, -HV_ETIMEDOUT);
	assert_int_equal(tsc_khz(), 1000000);   /* unchanged */
	/* A PIT whose OUT2 is high at once (QEMU's pit=off): an implausible rate, refused. */
	fake_pio_read_hook = pit_quick;
	fake_tsc_step = 10;
	assert_int_equal(tsc_calibrate_boot(NULL, &b), -HV_ENODEV);
	assert_int_equal(b.pit_err, -HV_ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(cpuid_gives_the_rate_its_leaves_state, setup),
		cmocka_unit_test_setup(cpuid_leaves_are_read_only_up_to_the_maximum, setup),
		cmocka_unit_test_setup(boot_takes_cpuid_first_once_the_hpet_agrees, setup),
		cmocka_unit_test_setup(cpuid_rate_the_hpet_contradicts_is_refused, setup),
		cmocka_unit_test_setup(cpuid_rate_is_checked_against_the_pit_without_an_hpet, setup),
		cmocka_unit_test_setup(cpuid_rate_stands_with_no_clock_to_check_it, setup),
		cmocka_unit_test_setup(hpet_table_fixture_gives_the_timer_block, setup),
		cmocka_unit_test_setup(hpet_open_starts_a_stopped_counter_and_checks_the_period, setup),
		cmocka_unit_test_setup(hpet_measures_the_tsc_whatever_the_tsc_step, setup),
		cmocka_unit_test_setup(hpet_32_bit_counter_wraps_cleanly, setup),
		cmocka_unit_test_setup(boot_takes_the_hpet_before_the_pit, setup),
		cmocka_unit_test_setup(a_stuck_hpet_hands_over_to_the_pit, setup),
		cmocka_unit_test_setup(no_source_at_all_is_an_error_not_a_hang, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
