/*
 * Invalidation descriptor encodings (iommu/vtd_desc.c) against the bit
 * layouts of VT-d §6.5.2, written out as literal words here rather than
 * through vtd_hw.h, and against the reserved-bit masks QEMU 10 rejects.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "iommu/vtd_desc.h"
#include "iommu/vtd_hw.h"
#include "kernel/err.h"

#define ENC(fn, call) static int fn(struct vtd_desc *d) { return (call); }
#define VOID(call) ({ call; 0; })

ENC(cc_global, VOID(vtd_desc_cc_global(d)))
ENC(cc_domain, VOID(vtd_desc_cc_domain(d, 0x1234)))
ENC(cc_device_all_functions, vtd_desc_cc_device(d, 5, 0x0018, 3))
ENC(cc_device_one_function, vtd_desc_cc_device(d, 0xffff, 0xff07, 0))
ENC(cc_device_bad_fm, vtd_desc_cc_device(d, 5, 0x0018, 4))
ENC(iotlb_global_drained, VOID(vtd_desc_iotlb_global(d, true, true)))
ENC(iotlb_global, VOID(vtd_desc_iotlb_global(d, false, false)))
ENC(iotlb_domain, VOID(vtd_desc_iotlb_domain(d, 7, false, false)))
ENC(iotlb_domain_drain_writes, VOID(vtd_desc_iotlb_domain(d, 7, false, true)))
ENC(iotlb_page_4k, vtd_desc_iotlb_page(d, 1, 0x10000, 0, false, true, false))
ENC(iotlb_page_2m_leaf_hint, vtd_desc_iotlb_page(d, 2, 0x40000000, 9, true, false, false))
ENC(iotlb_page_high, vtd_desc_iotlb_page(d, 0xffff, 0xfffffffff000ULL, 0, false, false, false))
ENC(iotlb_page_misaligned, vtd_desc_iotlb_page(d, 1, 0x1000, 1, false, false, false))
ENC(iotlb_page_am_too_big, vtd_desc_iotlb_page(d, 1, 0, 52, false, false, false))
ENC(devtlb_4k, vtd_desc_devtlb(d, 0x0300, 0, false, 32, 0x5000, 0))
ENC(devtlb_8k, vtd_desc_devtlb(d, 0x0300, 0, false, 1, 0x2000, 1))
ENC(devtlb_2m_vf_dit, vtd_desc_devtlb(d, 0x0301, 0x1234, true, 8, 0x200000, 9))
ENC(devtlb_pfsid_without_dit, vtd_desc_devtlb(d, 0x0301, 0x1234, false, 8, 0x200000, 9))
ENC(devtlb_everything, vtd_desc_devtlb(d, 0x0300, 0, false, 0, 0x12345000, 52))
ENC(devtlb_misaligned, vtd_desc_devtlb(d, 0x0300, 0, false, 1, 0x3000, 1))
ENC(devtlb_qdepth_33, vtd_desc_devtlb(d, 0x0300, 0, false, 33, 0, 0))
ENC(devtlb_order_53, vtd_desc_devtlb(d, 0x0300, 0, false, 1, 0, 53))
ENC(iec_global, VOID(vtd_desc_iec_global(d)))
ENC(iec_index, vtd_desc_iec_index(d, 0x20, 5))
ENC(iec_index_misaligned, vtd_desc_iec_index(d, 0x21, 1))
ENC(wait_status_write, vtd_desc_wait(d, true, false, false, 0x80001000, 0xcafe))
ENC(wait_interrupt, vtd_desc_wait(d, false, true, false, 0, 0))
ENC(wait_fenced_status_write, vtd_desc_wait(d, true, false, true, 0xfffffffffffcULL, 0xffffffff))
ENC(wait_sw_and_if, vtd_desc_wait(d, true, true, false, 0x80001000, 1))
ENC(wait_status_unaligned, vtd_desc_wait(d, true, false, false, 0x80001002, 1))
ENC(wait_status_without_sw, vtd_desc_wait(d, false, true, false, 0x80001000, 1))

struct row {
	const char *name;
	int (*enc)(struct vtd_desc *d);
	int ret;
	u64 lo, hi;
	unsigned type;
};

#define OK(fn, lo, hi, type)    { #fn, fn, 0, lo, hi, type }
#define BAD(fn)                 { #fn, fn, -HV_EINVAL, 0, 0, 0 }

static const struct row rows[] = {
	/* §6.5.2.1: type 1, G 5:4, DID 31:16, SID 47:32, FM 49:48. */
	OK(cc_global, 0x0000000000000011, 0, 1),
	OK(cc_domain, 0x0000000012340021, 0, 1),
	OK(cc_device_all_functions, 0x0003001800050031, 0, 1),
	OK(cc_device_one_function, 0x0000ff07ffff0031, 0, 1),
	BAD(cc_device_bad_fm),
	/* §6.5.2.3: type 2, G 5:4, DW 6, DR 7, DID 31:16; AM 5:0, IH 6, ADDR 63:12. */
	OK(iotlb_global_drained, 0x00000000000000d2, 0, 2),
	OK(iotlb_global, 0x0000000000000012, 0, 2),
	OK(iotlb_domain, 0x0000000000070022, 0, 2),
	OK(iotlb_domain_drain_writes, 0x0000000000070062, 0, 2),
	OK(iotlb_page_4k, 0x00000000000100b2, 0x0000000000010000, 2),
	OK(iotlb_page_2m_leaf_hint, 0x0000000000020032, 0x0000000040000049, 2),
	OK(iotlb_page_high, 0x00000000ffff0032, 0x0000fffffffff000, 2),
	BAD(iotlb_page_misaligned),
	BAD(iotlb_page_am_too_big),
	/* §6.5.2.5: type 3, PFSID 15:12 + 63:52, MIP 20:16, SID 47:32; S 0, ADDR 63:12. */
	OK(devtlb_4k, 0x0000030000000003, 0x0000000000005000, 3),
	OK(devtlb_8k, 0x0000030000010003, 0x0000000000002001, 3),
	OK(devtlb_2m_vf_dit, 0x1230030100084003, 0x00000000002ff001, 3),
	OK(devtlb_pfsid_without_dit, 0x0000030100080003, 0x00000000002ff001, 3),
	OK(devtlb_everything, 0x0000030000000003, 0x7ffffffffffff001, 3),
	BAD(devtlb_misaligned),
	BAD(devtlb_qdepth_33),
	BAD(devtlb_order_53),
	/* §6.5.2.7: type 4, G 4 (index-selective), IM 31:27, IIDX 47:32. */
	OK(iec_global, 0x0000000000000004, 0, 4),
	OK(iec_index, 0x0000002028000014, 0, 4),
	BAD(iec_index_misaligned),
	/* §6.5.2.8: type 5, IF 4, SW 5, FN 6, data 63:32; status address 63:2. */
	OK(wait_status_write, 0x0000cafe00000025, 0x0000000080001000, 5),
	OK(wait_interrupt, 0x0000000000000015, 0, 5),
	OK(wait_fenced_status_write, 0xffffffff00000065, 0x0000fffffffffffc, 5),
	BAD(wait_sw_and_if),
	BAD(wait_status_unaligned),
	BAD(wait_status_without_sw),
};

static void every_descriptor_matches_the_spec_layout(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		struct vtd_desc d;
		int ret;

		memset(&d, 0xa5, sizeof(d));    /* both words must be written */
		ret = r->enc(&d);
		if (ret != r->ret)
			fail_msg("%s: returned %d, want %d", r->name, ret, r->ret);
		if (ret < 0)
			continue;
		if (d.lo != r->lo || d.hi != r->hi)
			fail_msg("%s: 0x%016llx 0x%016llx, want 0x%016llx 0x%016llx", r->name,
				 (unsigned long long)d.lo, (unsigned long long)d.hi,
				 (unsigned long long)r->lo, (unsigned long long)r->hi);
		if (vtd_desc_type(&d) != r->type)
			fail_msg("%s: type %u, want %u", r->name, vtd_desc_type(&d), r->type);
	}
}

/* Reserved bits QEMU 10 checks per type (lo, hi); a set one makes an invalid descriptor. */
static const struct { unsigned type; u64 lo, hi; } qemu_rsvd[] = {
	{ 1, 0xfffc00000000f1c0ULL, ~0ULL },
	{ 2, 0xffffffff0000f100ULL, 0x0000000000000f80ULL },
	{ 3, 0xffff0000ffe0f1f0ULL, 0x0000000000000ffeULL },
	{ 5, 0x00000000fffff180ULL, 0x0000000000000003ULL },
};

static void encodings_qemu_accepts_have_no_reserved_bits(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		struct vtd_desc d;

		/* PFSID is reserved without ECAP.DIT, which QEMU does not offer. */
		if (r->ret < 0 || r->enc == devtlb_2m_vf_dit)
			continue;
		assert_int_equal(r->enc(&d), 0);
		for (size_t k = 0; k < ARRAY_SIZE(qemu_rsvd); k++)
			if (qemu_rsvd[k].type == r->type &&
			    ((d.lo & qemu_rsvd[k].lo) || (d.hi & qemu_rsvd[k].hi)))
				fail_msg("%s: reserved bits set: 0x%016llx 0x%016llx", r->name,
					 (unsigned long long)(d.lo & qemu_rsvd[k].lo),
					 (unsigned long long)(d.hi & qemu_rsvd[k].hi));
	}
}

static void wait_never_combines_status_write_and_interrupt(void **state)
{
	struct vtd_desc d = { 0x1111, 0x2222 };

	(void)state;
	assert_int_equal(vtd_desc_wait(&d, true, true, true, 0x80001000, 1), -HV_EINVAL);
	/* Refused before anything was written. */
	assert_true(d.lo == 0x1111 && d.hi == 0x2222);
}

static void type_reads_both_halves_of_the_field(void **state)
{
	struct vtd_desc d = { .lo = 0x0000000000000e03ULL, .hi = 0 };

	(void)state;
	/* Bits 11:9 = 7 and 3:0 = 3: type 0x73. */
	assert_int_equal(vtd_desc_type(&d), 0x73);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_descriptor_matches_the_spec_layout),
		cmocka_unit_test(encodings_qemu_accepts_have_no_reserved_bits),
		cmocka_unit_test(wait_never_combines_status_write_and_interrupt),
		cmocka_unit_test(type_reads_both_halves_of_the_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
