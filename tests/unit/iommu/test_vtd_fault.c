/*
 * Fault record decoding (iommu/vtd_fault.c): 128-bit fault recording
 * register values, written as literal words from the spec's bit positions,
 * into struct vtd_fault; reason texts; the log line of docs/conventions.md section 7.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "iommu/vtd_fault.h"
#include "kernel/log.h"
#include "tests/fakes/fake_log.h"

static int setup(void **state)
{
	(void)state;
	assert_int_equal(log_set_levels("info"), 0);
	fake_log_capture();
	return 0;
}

static const struct {
	const char *what;
	u64 lo, hi;
	struct vtd_fault want;
} records[] = {
	/* F 127, T1 126, FR 103:96, SID 79:64; FI 63:12. QEMU sets T1 for reads. */
	{ "write fault of edu at 00:03.0", 0x0000000050000000, 0x8000000500000018,
	  { .valid = true, .sid = 0x0018, .write = true, .type = 0, .addr = 0x50000000,
	    .reason = 0x05 } },
	{ "read fault, FI low bits ignored", 0x0000000002345fff, 0xc000000600000010,
	  { .valid = true, .sid = 0x0010, .type = 1, .addr = 0x2345000, .reason = 0x06 } },
	{ "context not present behind a bridge", 0x0000000000010000, 0xc000000200000300,
	  { .valid = true, .sid = 0x0300, .type = 1, .addr = 0x10000, .reason = 0x02 } },
	/* PP 95, PV 123:104, AT 125:124. */
	{ "with PASID 0x12345, translated request", 0xfffffffffffff000, 0xe123450680000018,
	  { .valid = true, .sid = 0x0018, .type = 1, .at = 2, .addr = 0xfffffffffffff000,
	    .reason = 0x06, .pasid_present = true, .pasid = 0x12345 } },
	{ "PASID value without PP is not a PASID", 0, 0x8123450500000018,
	  { .valid = true, .sid = 0x0018, .write = true, .reason = 0x05 } },
	/* T2 92: not a read or write. */
	{ "T2 set", 0, 0xc00000051000ffff,
	  { .valid = true, .sid = 0xffff, .type = 3, .reason = 0x05 } },
	/* Interrupt remapping: FI 63:48 is the interrupt index. */
	{ "IRTE not present", 0x0012000000000000, 0xc0000022000000f8,
	  { .valid = true, .sid = 0x00f8, .type = 1, .ir_index = 0x12, .reason = 0x22 } },
	{ "F clear: nothing recorded", 0, 0x0000000500000018,
	  { .valid = false, .sid = 0x0018, .write = true, .reason = 0x05 } },
};

static void fault_records_decode_per_the_spec_layout(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(records); i++) {
		const struct vtd_fault *w = &records[i].want;
		struct vtd_fault f;

		memset(&f, 0xa5, sizeof(f));
		vtd_frcd_decode(records[i].lo, records[i].hi, &f);
		if (f.valid != w->valid || f.sid != w->sid || f.write != w->write ||
		    f.type != w->type || f.at != w->at || f.addr != w->addr ||
		    f.ir_index != w->ir_index || f.reason != w->reason ||
		    f.pasid_present != w->pasid_present || f.pasid != w->pasid)
			fail_msg("%s: valid %d sid 0x%04x write %d type %u at %u addr 0x%llx index 0x%x reason 0x%02x pp %d pasid 0x%x",
				 records[i].what, f.valid, f.sid, f.write, f.type, f.at,
				 (unsigned long long)f.addr, f.ir_index, f.reason, f.pasid_present,
				 f.pasid);
	}
}

static void every_reason_has_the_spec_text(void **state)
{
	static const struct { u8 reason; const char *starts; } rows[] = {
		{ 0x01, "The Present (P) field in the root-entry" },
		{ 0x02, "The Present (P) field in the context-entry" },
		{ 0x03, "Invalid programming of a context-entry" },
		{ 0x04, "Input-address in the request is above (2^X - 1)" },
		{ 0x05, "A Write or AtomicOp request encountered lack of write permission" },
		{ 0x06, "A Read or AtomicOp request encountered lack of read permission" },
		{ 0x07, "Hardware attempt to access a second-stage paging entry" },
		{ 0x08, "Hardware attempt to access a root-entry" },
		{ 0x09, "Hardware attempt to access a context-entry" },
		{ 0x0a, "Non-zero reserved field in a root-entry" },
		{ 0x0b, "Non-zero reserved field in a context-entry" },
		{ 0x0c, "Non-zero reserved field in a second-stage paging entry" },
		{ 0x0d, "Translation request or translated request explicitly blocked" },
		{ 0x20, "Decoding of the interrupt request" },
		{ 0x21, "The interrupt_index" },
		{ 0x22, "The Present (P) field in the IRTE" },
		{ 0x23, "Hardware attempt to access the interrupt-remapping table" },
		{ 0x24, "Non-zero reserved field in an IRTE" },
		{ 0x25, "Hardware blocked an interrupt request in Compatibility format" },
		{ 0x26, "Hardware blocked a Remappable interrupt request" },
		{ 0x27, "Hardware attempt to access the Posted Interrupt Descriptor" },
		{ 0x28, "Unknown fault reason" },
		{ 0x0e, "Unknown fault reason" },
		{ 0x1f, "Unknown fault reason" },
		{ 0x30, "Scalable-mode fault reason" },
		{ 0xff, "Scalable-mode fault reason" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const char *t = vtd_fault_reason_text(rows[i].reason);
		if (strncmp(t, rows[i].starts, strlen(rows[i].starts)))
			fail_msg("reason 0x%02x: \"%s\"", rows[i].reason, t);
	}
	/* The known ones are all different. */
	for (unsigned a = 1; a <= 0x27; a++)
		for (unsigned b = a + 1; b <= 0x27; b++)
			if (vtd_fault_reason_text((u8)a)[0] != 'U' &&
			    !strcmp(vtd_fault_reason_text((u8)a), vtd_fault_reason_text((u8)b)))
				fail_msg("reasons 0x%02x and 0x%02x share a text", a, b);
}

static void format_gives_the_log_line_of_the_worked_example(void **state)
{
	struct vtd_fault f;
	char buf[512];
	const char *want = "vtd0: dma fault sid=00:03.0 dir=write addr=0x0000000050000000 reason=0x05 \"A Write or AtomicOp request encountered lack of write permission\" domain=p2";

	(void)state;
	vtd_frcd_decode(0x0000000050000000, 0x8000000500000018, &f);
	assert_int_equal(vtd_fault_format(&f, "vtd0", "p2", buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
	/* Without a unit: the body of the line, as the log's subsystem column gives the unit. */
	assert_int_equal(vtd_fault_format(&f, NULL, "p2", buf, sizeof(buf)), (int)strlen(want) - 6);
	assert_string_equal(buf, want + 6);
}

static void format_covers_reads_pasids_interrupts_and_no_domain(void **state)
{
	static const struct { u64 lo, hi; const char *domain, *want; } rows[] = {
		{ 0x10000, 0xc000000600000018, "lab0",
		  "dma fault sid=00:03.0 dir=read addr=0x0000000000010000 reason=0x06 \"A Read or AtomicOp request encountered lack of read permission\" domain=lab0" },
		{ 0x10000, 0xc000000200000300, NULL,
		  "dma fault sid=03:00.0 dir=read addr=0x0000000000010000 reason=0x02 \"The Present (P) field in the context-entry used to process the request is 0\" domain=none" },
		{ 0xfffffffffffff000, 0xe123450680000018, "p1",
		  "dma fault sid=00:03.0 dir=read addr=0xfffffffffffff000 at=2 pasid=0x12345 reason=0x06 \"A Read or AtomicOp request encountered lack of read permission\" domain=p1" },
		{ 0, 0xc00000051000ffff, "p1",
		  "dma fault sid=ff:1f.7 dir=other addr=0x0000000000000000 reason=0x05 \"A Write or AtomicOp request encountered lack of write permission\" domain=p1" },
		{ 0x0012000000000000, 0xc0000022000000f8, NULL,
		  "interrupt fault sid=00:1f.0 index=0x0012 reason=0x22 \"The Present (P) field in the IRTE for the interrupt_index of the request is Clear\" domain=none" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct vtd_fault f;
		char buf[512];

		vtd_frcd_decode(rows[i].lo, rows[i].hi, &f);
		vtd_fault_format(&f, NULL, rows[i].domain, buf, sizeof(buf));
		assert_string_equal(buf, rows[i].want);
	}
}

static void format_truncates_and_reports_the_length_needed(void **state)
{
	struct vtd_fault f;
	char buf[24], full[512];
	int n;

	(void)state;
	vtd_frcd_decode(0x50000000, 0x8000000500000018, &f);
	n = vtd_fault_format(&f, "vtd0", "p2", full, sizeof(full));
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(vtd_fault_format(&f, "vtd0", "p2", buf, sizeof(buf)), n);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, full, sizeof(buf) - 1);
	assert_int_equal(vtd_fault_format(&f, "vtd0", "p2", buf, 3), n);
	assert_string_equal(buf, "vt");
}

static void log_puts_the_unit_in_the_subsystem_column(void **state)
{
	struct vtd_fault f;

	(void)state;
	vtd_frcd_decode(0x50000000, 0x8000000500000018, &f);
	vtd_fault_log(&f, "vtd0", "p2");
	assert_string_equal(fake_log_text(), "c0 ERR  vtd0: dma fault sid=00:03.0 dir=write addr=0x0000000050000000 reason=0x05 \"A Write or AtomicOp request encountered lack of write permission\" domain=p2\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(fault_records_decode_per_the_spec_layout, setup),
		cmocka_unit_test_setup(every_reason_has_the_spec_text, setup),
		cmocka_unit_test_setup(format_gives_the_log_line_of_the_worked_example, setup),
		cmocka_unit_test_setup(format_covers_reads_pasids_interrupts_and_no_domain, setup),
		cmocka_unit_test_setup(format_truncates_and_reports_the_length_needed, setup),
		cmocka_unit_test_setup(log_puts_the_unit_in_the_subsystem_column, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
