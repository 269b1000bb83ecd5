/*
 * Host tests for kernel/irq_stray.c: what each arrival is (an exception
 * only when neither the APIC's ISR nor a missing error code says
 * otherwise), when the APIC gets an EOI, Sluice's own stop NMI, the INIT
 * turned into #SX, the per-vector counts and the log's rate limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "kernel/irq_stray.h"
#include "kernel/log.h"
#include "kernel/fatal.h"
#include "tests/fakes/fake_log.h"

static int setup(void **state)
{
	(void)state;
	irq_stray_reset();
	fake_log_capture();
	return 0;
}

static enum irq_action decide(struct irq_seen s, bool *eoi)
{
	return irq_decide(&s, eoi);
}

/* SDM Vol. 3A 6.13 / table 6-1: the vectors whose exceptions push an error code. */
static void error_code_vectors_follow_the_sdm(void **state)
{
	(void)state;
	static const u8 with[] = { 8, 10, 11, 12, 13, 14, 17, 21, 29, 30 };
	u32 n = 0;
	for (u32 v = 0; v < 256; v++)
		n += exception_has_error_code((u8)v);
	assert_int_equal(n, sizeof(with));
	for (u32 i = 0; i < sizeof(with); i++)
		assert_true(exception_has_error_code(with[i]));
}

static void exception_without_isr_bit_is_fatal(void **state)
{
	(void)state;
	bool eoi = true;
	/* #GP with its error code, #UD without one, #XM (19): no ISR bit, so a CPU exception. */
	assert_int_equal(decide((struct irq_seen){ .vector = 13, .error_code = true }, &eoi), IRQ_EXCEPTION);
	assert_false(eoi);
	assert_int_equal(decide((struct irq_seen){ .vector = 6 }, &eoi), IRQ_EXCEPTION);
	assert_int_equal(decide((struct irq_seen){ .vector = 19 }, &eoi), IRQ_EXCEPTION);
	assert_int_equal(decide((struct irq_seen){ .vector = 17, .error_code = true }, &eoi), IRQ_EXCEPTION);
	assert_false(eoi);
}

static void vector_in_service_is_an_interrupt_and_gets_its_eoi(void **state)
{
	(void)state;
	for (u32 v = 16; v < 32; v++) {
		bool eoi = false;
		assert_int_equal(decide((struct irq_seen){ .vector = (u8)v, .in_service = true }, &eoi), IRQ_STRAY);
		assert_true(eoi);
	}
}

static void error_code_vector_without_error_code_is_an_interrupt(void **state)
{
	(void)state;
	bool eoi = true;
	/* #AC, #CP, #VC, #SX always push one as exceptions; without one it came from outside. */
	static const u8 v[] = { 17, 21, 29, 30 };
	for (u32 i = 0; i < sizeof(v); i++) {
		assert_int_equal(decide((struct irq_seen){ .vector = v[i], .in_service = true }, &eoi), IRQ_STRAY);
		assert_true(eoi);
		/* Not in service (a software INT n): still not an exception, and no EOI. */
		assert_int_equal(decide((struct irq_seen){ .vector = v[i] }, &eoi), IRQ_STRAY);
		assert_false(eoi);
	}
}

static void sx_with_error_code_1_is_a_redirected_init(void **state)
{
	(void)state;
	bool eoi = true;
	assert_int_equal(decide((struct irq_seen){ .vector = 30, .error_code = true, .error_code_val = 1 }, &eoi),
			 IRQ_STRAY_INIT);
	assert_false(eoi);
	/* Any other #SX is a real security exception. */
	assert_int_equal(decide((struct irq_seen){ .vector = 30, .error_code = true, .error_code_val = 2 }, &eoi),
			 IRQ_EXCEPTION);
}

static void nmi_is_stray_unless_a_fatal_is_stopping(void **state)
{
	(void)state;
	bool eoi = true;
	assert_int_equal(decide((struct irq_seen){ .vector = 2 }, &eoi), IRQ_STRAY_NMI);
	assert_false(eoi);
	assert_int_equal(decide((struct irq_seen){ .vector = 2, .stopping = true }, &eoi), IRQ_STOP);
	assert_false(eoi);
	/* Even with an ISR bit a device set on vector 2: NMIs never get an EOI. */
	assert_int_equal(decide((struct irq_seen){ .vector = 2, .in_service = true }, &eoi), IRQ_STRAY_NMI);
	assert_false(eoi);
}

static void registered_vector_runs_its_handler(void **state)
{
	(void)state;
	bool eoi = false;
	assert_int_equal(decide((struct irq_seen){ .vector = 0x40, .has_handler = true }, &eoi), IRQ_RUN_HANDLER);
	assert_true(eoi);
	assert_int_equal(decide((struct irq_seen){ .vector = 0xff, .has_handler = true }, &eoi), IRQ_RUN_HANDLER);
	assert_false(eoi);      /* SDM 11.9: the spurious vector takes no EOI */
}

static void unregistered_vector_is_stray_with_eoi_when_in_service(void **state)
{
	(void)state;
	bool eoi = false;
	assert_int_equal(decide((struct irq_seen){ .vector = 0x30, .in_service = true }, &eoi), IRQ_STRAY);
	assert_true(eoi);
	assert_int_equal(decide((struct irq_seen){ .vector = 0xff }, &eoi), IRQ_STRAY);
	assert_false(eoi);
}

static void strays_are_counted_per_vector(void **state)
{
	(void)state;
	irq_stray_note(0x30, "interrupt");
	irq_stray_note(0x30, "interrupt");
	irq_stray_note(0x11, "interrupt");
	irq_stray_note(2, "NMI");
	assert_int_equal(irq_stray_count(0x30), 2);
	assert_int_equal(irq_stray_count(0x11), 1);
	assert_int_equal(irq_stray_count(2), 1);
	assert_int_equal(irq_stray_count(0x31), 0);
	assert_int_equal(irq_stray_inits(), 0);
	assert_true(fake_log_has("WARN irq: stray interrupt on vector 0x30 (2 so far): acknowledged, ignored\n"));
	assert_true(fake_log_has("WARN irq: stray NMI on vector 0x02 (1 so far): acknowledged, ignored\n"));
}

static void log_is_rate_limited_with_summaries_at_powers_of_two(void **state)
{
	(void)state;
	for (u32 i = 0; i < 20; i++)
		assert_int_equal(irq_stray_note(0xfe, "interrupt"), i + 1);
	/* The first IRQ_STRAY_LOG_FIRST one by one, then one line at 4, 8, 16. */
	assert_int_equal(fake_log_count("stray interrupt on vector 0xfe ("), IRQ_STRAY_LOG_FIRST);
	assert_int_equal(fake_log_count("stray interrupt on vector 0xfe: "), 3);
	assert_true(fake_log_has("irq: stray interrupt on vector 0xfe: 4 so far, only the first 3 logged one by one\n"));
	assert_true(fake_log_has("irq: stray interrupt on vector 0xfe: 16 so far, only the first 3 logged one by one\n"));
	assert_false(fake_log_has("(4 so far)"));
	irq_stray_log_summary();
	assert_true(fake_log_has("INFO irq: stray interrupt on vector 0xfe: 20 in all, 17 without a line of their own\n"));
}

static void inits_are_counted_and_limited_apart(void **state)
{
	(void)state;
	for (u32 i = 0; i < 5; i++)
		irq_stray_note_init(1, "intercepted in the guest");
	assert_int_equal(irq_stray_inits(), 5);
	assert_int_equal(irq_stray_count(0x02), 0);                /* an INIT is no NMI */
	assert_true(fake_log_has("WARN irq: INIT signal (intercepted in the guest) to CPU 1 (1 so far): consumed, ignored\n"));
	assert_int_equal(fake_log_count("INIT signal (intercepted in the guest) to CPU 1 ("), 3);
	assert_true(fake_log_has("INIT signal (intercepted in the guest) to CPU 1: 4 so far, only the first 3 logged one by one\n"));
	irq_stray_log_summary();
	assert_true(fake_log_has("INFO irq: INIT signals: 5 in all, 2 without a line of their own\n"));
}

/* A sink that is interrupted, once, by an "NMI" while it holds the log lock. */
static bool nested_done;

static void interrupted_sink(const char *s, size_t n)
{
	(void)s;
	(void)n;
	if (!nested_done) {
		nested_done = true;
		irq_stray_note(2, "NMI");       /* must give up on the lock, not spin forever */
	}
}

static void nmi_during_a_log_line_is_counted_not_deadlocked(void **state)
{
	(void)state;
	nested_done = false;
	log_set_sink(interrupted_sink);
	log_write(LOG_INFO, "test", "a line being written when the NMI comes");
	assert_true(nested_done);
	assert_int_equal(irq_stray_count(2), 1);
	fake_log_capture();
	irq_stray_log_summary();
	assert_true(fake_log_has("INFO irq: stray NMI on vector 0x02: 1 in all, 1 without a line of their own\n"));
}

static void summary_says_none_when_nothing_came(void **state)
{
	(void)state;
	irq_stray_log_summary();
	assert_true(fake_log_has("INFO irq: no stray interrupts, NMIs or INITs\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(error_code_vectors_follow_the_sdm, setup),
		cmocka_unit_test_setup(exception_without_isr_bit_is_fatal, setup),
		cmocka_unit_test_setup(vector_in_service_is_an_interrupt_and_gets_its_eoi, setup),
		cmocka_unit_test_setup(error_code_vector_without_error_code_is_an_interrupt, setup),
		cmocka_unit_test_setup(sx_with_error_code_1_is_a_redirected_init, setup),
		cmocka_unit_test_setup(nmi_is_stray_unless_a_fatal_is_stopping, setup),
		cmocka_unit_test_setup(registered_vector_runs_its_handler, setup),
		cmocka_unit_test_setup(unregistered_vector_is_stray_with_eoi_when_in_service, setup),
		cmocka_unit_test_setup(strays_are_counted_per_vector, setup),
		cmocka_unit_test_setup(log_is_rate_limited_with_summaries_at_powers_of_two, setup),
		cmocka_unit_test_setup(inits_are_counted_and_limited_apart, setup),
		cmocka_unit_test_setup(nmi_during_a_log_line_is_counted_not_deadlocked, setup),
		cmocka_unit_test_setup(summary_says_none_when_nothing_came, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
