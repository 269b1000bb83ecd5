/*
 * Host tests for vm/dev/fwcfg.c: a partition's fw_cfg read the way a test
 * kernel built for QEMU reads it (kvm-unit-tests' lib/x86/fwcfg.c: a
 * 16-bit selector write to 0x510, then byte reads of 0x511), items made
 * from the partition's figures, and what a guest may not do (writes,
 * other widths) dropped and counted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/dev/fwcfg.h"

static struct fwcfg f;

static int setup(void **state)
{
	(void)state;
	fwcfg_init(&f, true, 0x8000000, 3, "tsc.flat -v");
	return 0;
}

static void select_(u16 key)
{
	fwcfg_out(&f, FWCFG_PORT_SEL, 2, key);
}

/* n bytes of the selected item, little-endian, as the guest library composes them. */
static u64 read_le(u32 n)
{
	u64 v = 0;
	for (u32 i = 0; i < n; i++)
		v |= (u64)fwcfg_in(&f, FWCFG_PORT_DATA, 1) << (8 * i);
	return v;
}

static void signature_and_id_say_qemu_traditional_interface_only(void **state)
{
	(void)state;
	char sig[5] = "";
	/* After reset the signature is selected: it reads without a selector write. */
	for (int i = 0; i < 4; i++)
		sig[i] = (char)fwcfg_in(&f, FWCFG_PORT_DATA, 1);
	assert_string_equal(sig, "QEMU");
	assert_int_equal(fwcfg_in(&f, FWCFG_PORT_DATA, 1), 0);         /* past its end */
	select_(FWCFG_ID);
	assert_int_equal(read_le(4), FWCFG_ID_TRADITIONAL);
	assert_int_equal(f.selects, 1);
}

static void ram_size_and_cpu_counts_are_the_partitions(void **state)
{
	(void)state;
	select_(FWCFG_RAM_SIZE);
	assert_int_equal(read_le(8), 0x8000000);
	select_(FWCFG_NB_CPUS);
	assert_int_equal(read_le(2), 3);
	assert_int_equal(read_le(2), 0);                                /* past the u16 */
	select_(FWCFG_MAX_CPUS);
	assert_int_equal(read_le(2), 3);
	fwcfg_init(&f, true, 0x123456789aULL, 1, NULL);
	select_(FWCFG_RAM_SIZE);
	assert_int_equal(read_le(8), 0x123456789aULL);
	select_(FWCFG_NB_CPUS);
	assert_int_equal(read_le(2), 1);
}

static void command_line_size_counts_its_nul_and_data_ends_with_it(void **state)
{
	(void)state;
	char got[32];
	select_(FWCFG_CMDLINE_SIZE);
	assert_int_equal(read_le(4), strlen("tsc.flat -v") + 1);
	select_(FWCFG_CMDLINE_DATA);
	for (size_t i = 0; i < sizeof(got); i++)
		got[i] = (char)fwcfg_in(&f, FWCFG_PORT_DATA, 1);
	assert_string_equal(got, "tsc.flat -v");
	assert_int_equal(got[sizeof(got) - 1], 0);                      /* zeros past the end */
	/* A new selector write starts the item again. */
	select_(FWCFG_CMDLINE_DATA);
	assert_int_equal(fwcfg_in(&f, FWCFG_PORT_DATA, 1), 't');
	/* No command line: one NUL. */
	fwcfg_init(&f, true, 0x100000, 1, NULL);
	select_(FWCFG_CMDLINE_SIZE);
	assert_int_equal(read_le(4), 1);
	select_(FWCFG_CMDLINE_DATA);
	assert_int_equal(read_le(4), 0);
}

static void unknown_and_architecture_keys_read_zero(void **state)
{
	(void)state;
	static const u16 keys[] = { 0x02, 0x04, 0x09, 0x11, 0x19, 0x20, 0x3fff, 0x8000, 0x8003, 0xffff };
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		select_(keys[k]);
		assert_int_equal(read_le(8), 0);
	}
	/* Bit 14 asks for writing, which QEMU no longer offers: the key still names the generic item. */
	select_(FWCFG_NB_CPUS | FWCFG_SEL_WRITE);
	assert_int_equal(read_le(2), 3);
}

static void byte_reads_of_the_selector_port_read_data_as_in_qemu(void **state)
{
	(void)state;
	select_(FWCFG_SIGNATURE);
	assert_int_equal(fwcfg_in(&f, FWCFG_PORT_SEL, 1), 'Q');
	assert_int_equal(fwcfg_in(&f, FWCFG_PORT_DATA, 1), 'E');
	assert_int_equal(f.reads, 2);
}

static void writes_are_dropped_and_other_widths_refused(void **state)
{
	(void)state;
	select_(FWCFG_NB_CPUS);
	fwcfg_out(&f, FWCFG_PORT_DATA, 1, 0x7f);        /* a data write: ignored */
	fwcfg_out(&f, FWCFG_PORT_SEL, 1, 0x03);         /* a byte to the selector: a data write too */
	assert_int_equal(f.writes_dropped, 2);
	assert_int_equal(read_le(2), 3);                /* the item and its offset did not move */
	fwcfg_out(&f, FWCFG_PORT_SEL, 4, FWCFG_RAM_SIZE);
	fwcfg_out(&f, FWCFG_PORT_DATA, 2, FWCFG_RAM_SIZE);
	assert_int_equal(fwcfg_in(&f, FWCFG_PORT_DATA, 2), 0xffffffffu);
	assert_int_equal(fwcfg_in(&f, FWCFG_PORT_SEL, 4), 0xffffffffu);
	assert_int_equal(f.bad_accesses, 4);
	assert_int_equal(f.selects, 1);
	select_(FWCFG_NB_CPUS);
	assert_int_equal(read_le(2), 3);
}

static void reset_selects_the_signature_again(void **state)
{
	(void)state;
	select_(FWCFG_CMDLINE_DATA);
	(void)read_le(3);
	fwcfg_reset(&f);
	assert_int_equal(read_le(4), 0x554d4551);       /* "QEMU" */
	assert_int_equal(f.selects, 1);                 /* the counters go on */
}

static void off_claims_no_port(void **state)
{
	(void)state;
	fwcfg_init(&f, false, 0x100000, 1, "x");
	assert_false(fwcfg_claims(&f, FWCFG_PORT_SEL));
	assert_false(fwcfg_claims(&f, FWCFG_PORT_DATA));
	fwcfg_init(&f, true, 0x100000, 1, "x");
	assert_true(fwcfg_claims(&f, FWCFG_PORT_SEL));
	assert_true(fwcfg_claims(&f, FWCFG_PORT_DATA));
	assert_false(fwcfg_claims(&f, FWCFG_PORT_SEL - 1));
	assert_false(fwcfg_claims(&f, FWCFG_PORT_DATA + 1));    /* 0x512..: no DMA register */
	assert_false(fwcfg_claims(&f, 0x514));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(signature_and_id_say_qemu_traditional_interface_only, setup),
		cmocka_unit_test_setup(ram_size_and_cpu_counts_are_the_partitions, setup),
		cmocka_unit_test_setup(command_line_size_counts_its_nul_and_data_ends_with_it, setup),
		cmocka_unit_test_setup(unknown_and_architecture_keys_read_zero, setup),
		cmocka_unit_test_setup(byte_reads_of_the_selector_port_read_data_as_in_qemu, setup),
		cmocka_unit_test_setup(writes_are_dropped_and_other_widths_refused, setup),
		cmocka_unit_test_setup(reset_selects_the_signature_again, setup),
		cmocka_unit_test_setup(off_claims_no_port, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
