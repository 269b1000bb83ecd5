/*
 * Host tests for vm/dev/vpic.c: the 8259A pair programmed the way a PC
 * kernel programs it (ICW1-ICW4 on both chips, the mask, EOIs), with
 * requests raised on its inputs and taken by acknowledge cycles as the
 * CPU's INTA takes them. Expected values come from the 8259A data sheet's
 * rules, not from the code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "vm/dev/vpic.h"

static struct vpic v;

static int setup(void **state)
{
	(void)state;
	vpic_reset_firmware(&v);
	return 0;
}

/* The sequence Linux and SeaBIOS write: ICW1 0x11 (edge, cascade, ICW4), bases, ICW3, ICW4 8086 mode. */
static void program(u8 master_base, u8 slave_base, u8 icw4)
{
	vpic_out(&v, VPIC_MASTER_CMD, 0x11);
	vpic_out(&v, VPIC_MASTER_DATA, master_base);
	vpic_out(&v, VPIC_MASTER_DATA, 0x04);
	vpic_out(&v, VPIC_MASTER_DATA, icw4);
	vpic_out(&v, VPIC_SLAVE_CMD, 0x11);
	vpic_out(&v, VPIC_SLAVE_DATA, slave_base);
	vpic_out(&v, VPIC_SLAVE_DATA, 0x02);
	vpic_out(&v, VPIC_SLAVE_DATA, icw4);
}

static u8 read_irr(u16 cmd)
{
	vpic_out(&v, cmd, 0x0a);        /* OCW3: read IRR */
	return vpic_in(&v, cmd);
}

static u8 read_isr(u16 cmd)
{
	vpic_out(&v, cmd, 0x0b);        /* OCW3: read ISR */
	return vpic_in(&v, cmd);
}

static void firmware_state_has_bases_8_and_0x70_with_only_timer_and_cascade_unmasked(void **state)
{
	(void)state;
	assert_int_equal(vpic_in(&v, VPIC_MASTER_DATA), 0xfa);
	assert_int_equal(vpic_in(&v, VPIC_SLAVE_DATA), 0xff);
	assert_true(vpic_unmasked(&v, 0));
	assert_false(vpic_unmasked(&v, 1));
	assert_false(vpic_unmasked(&v, 8));
	vpic_edge(&v, 0);
	assert_int_equal(vpic_output(&v), 0);
	assert_int_equal(vpic_ack(&v), 0x08);
	assert_int_equal(read_isr(VPIC_MASTER_CMD), 0x01);
}

static void init_sequence_sets_the_base_and_clears_the_mask(void **state)
{
	(void)state;
	program(0x20, 0x28, 0x01);
	/* SPEC: ICW1 clears the IMR. */
	assert_int_equal(vpic_in(&v, VPIC_MASTER_DATA), 0x00);
	vpic_edge(&v, 3);
	assert_int_equal(vpic_ack(&v), 0x23);
	vpic_edge(&v, 13);
	vpic_out(&v, VPIC_MASTER_CMD, 0x20);    /* EOI for IR3 */
	assert_int_equal(vpic_ack(&v), 0x2d);
}

static void icw_writes_during_init_do_not_touch_the_mask(void **state)
{
	(void)state;
	vpic_out(&v, VPIC_MASTER_CMD, 0x11);
	vpic_edge(&v, 0);
	assert_int_equal(vpic_output(&v), -1);  /* no INT while the ICWs are being written */
	vpic_out(&v, VPIC_MASTER_DATA, 0x08);
	vpic_out(&v, VPIC_MASTER_DATA, 0x04);
	vpic_out(&v, VPIC_MASTER_DATA, 0x01);
	assert_int_equal(vpic_in(&v, VPIC_MASTER_DATA), 0x00);
	vpic_out(&v, VPIC_MASTER_DATA, 0xfe);
	assert_int_equal(vpic_in(&v, VPIC_MASTER_DATA), 0xfe);
}

static void single_chip_without_icw4_takes_only_icw2(void **state)
{
	(void)state;
	vpic_out(&v, VPIC_MASTER_CMD, 0x12);    /* SNGL, no IC4 */
	vpic_out(&v, VPIC_MASTER_DATA, 0x40);
	vpic_out(&v, VPIC_MASTER_DATA, 0xfe);   /* already OCW1 */
	assert_int_equal(vpic_in(&v, VPIC_MASTER_DATA), 0xfe);
	vpic_edge(&v, 0);
	assert_int_equal(vpic_ack(&v), 0x40);
	/* SPEC: without IC4 every ICW4 function is zero, 8080 mode included: counted, vectors stay 8086-style. */
	assert_int_equal(v.unsupported, 1);
}

static void masked_request_is_latched_and_fires_when_unmasked(void **state)
{
	(void)state;
	vpic_out(&v, VPIC_MASTER_DATA, 0xff);
	vpic_edge(&v, 0);
	assert_int_equal(vpic_output(&v), -1);
	assert_int_equal(read_irr(VPIC_MASTER_CMD), 0x01);
	vpic_out(&v, VPIC_MASTER_DATA, 0xfe);
	assert_int_equal(vpic_output(&v), 0);
}

static void higher_priority_interrupts_a_lower_one_in_service_but_not_the_reverse(void **state)
{
	(void)state;
	program(0x08, 0x70, 0x01);
	vpic_edge(&v, 5);
	assert_int_equal(vpic_ack(&v), 0x0d);
	vpic_edge(&v, 6);
	assert_int_equal(vpic_output(&v), -1);  /* IR6 waits for IR5's EOI */
	vpic_edge(&v, 1);
	assert_int_equal(vpic_ack(&v), 0x09);   /* IR1 outranks IR5 */
	assert_int_equal(read_isr(VPIC_MASTER_CMD), 0x22);
	/* A non-specific EOI ends the highest in service: IR1. */
	vpic_out(&v, VPIC_MASTER_CMD, 0x20);
	assert_int_equal(read_isr(VPIC_MASTER_CMD), 0x20);
	assert_int_equal(vpic_output(&v), -1);
	vpic_out(&v, VPIC_MASTER_CMD, 0x20);
	assert_int_equal(vpic_ack(&v), 0x0e);
}

static void two_requests_go_highest_priority_first(void **state)
{
	(void)state;
	program(0x08, 0x70, 0x01);
	vpic_edge(&v, 7);
	vpic_edge(&v, 4);
	assert_int_equal(vpic_ack(&v), 0x0c);
	vpic_out(&v, VPIC_MASTER_CMD, 0x20);
	assert_int_equal(vpic_ack(&v), 0x0f);
}

static void specific_eoi_clears_only_the_named_level(void **state)
{
	(void)state;
	program(0x08, 0x70, 0x01);
	vpic_edge(&v, 6);
	vpic_ack(&v);
	vpic_edge(&v, 0);
	vpic_ack(&v);
	assert_int_equal(read_isr(VPIC_MASTER_CMD), 0x41);
	vpic_out(&v, VPIC_MASTER_CMD, 0x60 | 6);        /* specific EOI, IR6 */
	assert_int_equal(read_isr(VPIC_MASTER_CMD), 0x01);
	assert_int_equal(v.eois, 1);
}

static void slave_request_goes_through_the_cascade_and_needs_both_eois(void **state)
{
	(void)state;
	vpic_out(&v, VPIC_SLAVE_DATA, 0xf7);    /* unmask IRQ11 (slave IR3) */
	assert_true(vpic_unmasked(&v, 11));
	vpic_edge(&v, 11);
	assert_int_equal(read_irr(VPIC_MASTER_CMD), 0x04);      /* the slave's INT shows on IR2 */
	assert_int_equal(vpic_output(&v), 11);
	assert_int_equal(vpic_ack(&v), 0x73);
	assert_int_equal(read_isr(VPIC_MASTER_CMD), 0x04);
	assert_int_equal(read_isr(VPIC_SLAVE_CMD), 0x08);
	/* The timer on IR0 still outranks IR2 in service. */
	vpic_edge(&v, 0);
	assert_int_equal(vpic_output(&v), 0);
	assert_int_equal(vpic_ack(&v), 0x08);
	vpic_out(&v, VPIC_MASTER_CMD, 0x20);    /* ends IR0 */
	vpic_edge(&v, 12);
	vpic_out(&v, VPIC_SLAVE_DATA, 0xe7);
	assert_int_equal(vpic_output(&v), -1);  /* the master's IR2 is still in service */
	vpic_out(&v, VPIC_SLAVE_CMD, 0x20);
	vpic_out(&v, VPIC_MASTER_CMD, 0x20);
	assert_int_equal(vpic_ack(&v), 0x74);
}

static void masking_the_cascade_masks_every_slave_input(void **state)
{
	(void)state;
	vpic_out(&v, VPIC_SLAVE_DATA, 0x00);
	vpic_out(&v, VPIC_MASTER_DATA, 0xff);
	assert_false(vpic_unmasked(&v, 8));
	vpic_edge(&v, 8);
	assert_int_equal(vpic_output(&v), -1);
}

static void ack_without_request_gives_ir7_and_sets_no_isr(void **state)
{
	(void)state;
	assert_int_equal(vpic_ack(&v), 0x0f);
	assert_int_equal(read_isr(VPIC_MASTER_CMD), 0x00);
	assert_int_equal(v.spurious, 1);
}

static void auto_eoi_leaves_nothing_in_service(void **state)
{
	(void)state;
	program(0x08, 0x70, 0x03);      /* 8086 mode, AEOI */
	vpic_edge(&v, 3);
	vpic_edge(&v, 4);
	assert_int_equal(vpic_ack(&v), 0x0b);
	assert_int_equal(read_isr(VPIC_MASTER_CMD), 0x00);
	assert_int_equal(vpic_ack(&v), 0x0c);
}

static void rotate_on_eoi_makes_the_served_level_lowest(void **state)
{
	(void)state;
	program(0x08, 0x70, 0x01);
	vpic_edge(&v, 0);
	vpic_ack(&v);
	vpic_out(&v, VPIC_MASTER_CMD, 0xa0);    /* rotate on non-specific EOI: IR0 becomes lowest */
	vpic_edge(&v, 0);
	vpic_edge(&v, 5);
	assert_int_equal(vpic_ack(&v), 0x0d);
	vpic_out(&v, VPIC_MASTER_CMD, 0xc0 | 4);        /* set priority: IR4 lowest, IR5 highest */
	vpic_out(&v, VPIC_MASTER_CMD, 0x20);
	assert_int_equal(vpic_ack(&v), 0x08);
}

static void poll_acknowledges_the_highest_request(void **state)
{
	(void)state;
	vpic_out(&v, VPIC_MASTER_DATA, 0x00);
	vpic_edge(&v, 6);
	vpic_out(&v, VPIC_MASTER_CMD, 0x0c);    /* OCW3 poll */
	assert_int_equal(vpic_in(&v, VPIC_MASTER_CMD), 0x86);
	assert_int_equal(read_isr(VPIC_MASTER_CMD), 0x40);
	vpic_out(&v, VPIC_MASTER_CMD, 0x0c);
	assert_int_equal(vpic_in(&v, VPIC_MASTER_CMD), 0x00);
}

static void special_mask_mode_lets_lower_levels_past_a_masked_one_in_service(void **state)
{
	(void)state;
	vpic_out(&v, VPIC_MASTER_DATA, 0x00);
	vpic_edge(&v, 1);
	vpic_ack(&v);
	vpic_edge(&v, 4);
	assert_int_equal(vpic_output(&v), -1);
	vpic_out(&v, VPIC_MASTER_DATA, 0x02);   /* mask IR1, in service */
	vpic_out(&v, VPIC_MASTER_CMD, 0x68);    /* OCW3: set special mask mode */
	assert_int_equal(vpic_output(&v), 4);
	vpic_out(&v, VPIC_MASTER_CMD, 0x48);    /* clear it */
	assert_int_equal(vpic_output(&v), -1);
}

static void claims_exactly_the_four_ports(void **state)
{
	(void)state;
	assert_true(vpic_claims(0x20));
	assert_true(vpic_claims(0x21));
	assert_true(vpic_claims(0xa0));
	assert_true(vpic_claims(0xa1));
	assert_false(vpic_claims(0x22));
	assert_false(vpic_claims(0x4d0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(firmware_state_has_bases_8_and_0x70_with_only_timer_and_cascade_unmasked, setup),
		cmocka_unit_test_setup(init_sequence_sets_the_base_and_clears_the_mask, setup),
		cmocka_unit_test_setup(icw_writes_during_init_do_not_touch_the_mask, setup),
		cmocka_unit_test_setup(single_chip_without_icw4_takes_only_icw2, setup),
		cmocka_unit_test_setup(masked_request_is_latched_and_fires_when_unmasked, setup),
		cmocka_unit_test_setup(higher_priority_interrupts_a_lower_one_in_service_but_not_the_reverse, setup),
		cmocka_unit_test_setup(two_requests_go_highest_priority_first, setup),
		cmocka_unit_test_setup(specific_eoi_clears_only_the_named_level, setup),
		cmocka_unit_test_setup(slave_request_goes_through_the_cascade_and_needs_both_eois, setup),
		cmocka_unit_test_setup(masking_the_cascade_masks_every_slave_input, setup),
		cmocka_unit_test_setup(ack_without_request_gives_ir7_and_sets_no_isr, setup),
		cmocka_unit_test_setup(auto_eoi_leaves_nothing_in_service, setup),
		cmocka_unit_test_setup(rotate_on_eoi_makes_the_served_level_lowest, setup),
		cmocka_unit_test_setup(poll_acknowledges_the_highest_request, setup),
		cmocka_unit_test_setup(special_mask_mode_lets_lower_levels_past_a_masked_one_in_service, setup),
		cmocka_unit_test_setup(claims_exactly_the_four_ports, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
