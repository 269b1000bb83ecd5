/*
 * Host tests for pci/pci_ats.c: STU programmed before Enable, the log line,
 * VFs taking their STU from the PF, refusals, and disable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "pci/pci.h"
#include "pci/pci_internal.h"
#include "pci/ats_hw.h"
#include "kernel/err.h"
#include "tests/unit/pci/pci_topo.h"

#define PF              S(1, 0, 0)
#define VF1             S(1, 0, 1)
#define VF2             S(1, 0, 2)

/* ATS Control writes seen, per function, in order. */
struct ctrl_log { u16 ats; u16 val[8]; unsigned n; };
static struct ctrl_log log_pf, log_vf1, log_vf2;

static void ats_hook(struct fake_fn *f, u16 off, u8 width, u32 val)
{
	struct ctrl_log *l = f->priv;
	(void)val;
	if (off == l->ats + ATS_CTRL && width == 2 && l->n < ARRAY_SIZE(l->val))
		l->val[l->n++] = fake_pci_r16(f, off);
}

/* A function with an ATS capability: qdepth field, STU writable unless a VF. */
static struct fake_fn *ats_fn(u32 sbdf, struct ctrl_log *l, u8 qdepth, bool vf)
{
	struct fake_fn *f = fake_pci_add(sbdf, vf ? 0xffff : 0x8086, vf ? 0xffff : 0x10c9, CLASS_ETH, 0);
	fake_pci_add_pcie(f, 0);
	memset(l, 0, sizeof(*l));
	l->ats = fake_pci_add_ecap(f, 0x000f, 1, 8);
	fake_pci_w16(f, l->ats + ATS_CAP, (u16)(qdepth | ATS_CAP_PAGE_ALIGNED));
	fake_pci_set_wmask(f, l->ats + ATS_CTRL, 2, vf ? 0x8000 : 0x801f);
	f->hook = ats_hook;
	f->priv = l;
	return f;
}

static struct pci_dev *dev_for(u32 sbdf)
{
	struct pci_dev *d = pci_dev_add(sbdf);
	assert_non_null(d);
	d->vendor = (u16)pci_cfg_read(sbdf, 0, 2);
	d->kind = PCI_KIND_ENDPOINT;
	pci_caps_read(d);
	return d;
}

static struct pci_dev *vf_for(u32 sbdf, struct pci_dev *pf, u16 index)
{
	struct pci_dev *d = dev_for(sbdf);
	d->kind = PCI_KIND_VF;
	d->pf = pf;
	d->vf_index = index;
	return d;
}

static u16 ctrl(u32 sbdf, const struct ctrl_log *l)
{
	return (u16)pci_cfg_read(sbdf, l->ats + ATS_CTRL, 2);
}

static int setup(void **state)
{
	(void)state;
	topo_reset();
	return 0;
}

static void enable_programs_stu_before_setting_enable(void **state)
{
	(void)state;
	ats_fn(PF, &log_pf, 0, false);
	struct pci_dev *pf = dev_for(PF);
	assert_true(pf->ecap_ats != 0);

	assert_int_equal(ats_enable(pf, 2), 0);
	assert_int_equal(log_pf.n, 2);
	assert_int_equal(log_pf.val[0], 0x0002);        /* STU alone */
	assert_int_equal(log_pf.val[1], 0x8002);        /* then Enable */
	assert_true(fake_log_has("c0 INFO pci: 0000:01:00.0: ATS enabled (STU 16 KiB, invalidate queue depth 32; control 0x8002)\n"));
}

static void log_shows_stu_size_and_the_queue_depth_read_from_the_capability(void **state)
{
	(void)state;
	ats_fn(PF, &log_pf, 5, false);
	struct pci_dev *pf = dev_for(PF);

	assert_int_equal(ats_enable(pf, 0), 0);
	assert_int_equal(log_pf.n, 1);                  /* STU already 0: only Enable */
	assert_int_equal(ctrl(PF, &log_pf), 0x8000);
	assert_true(fake_log_has("c0 INFO pci: 0000:01:00.0: ATS enabled (STU 4 KiB, invalidate queue depth 5; control 0x8000)\n"));
	assert_int_equal(ats_disable(pf), 0);
	assert_int_equal(ats_enable(pf, 8), 0);
	assert_true(fake_log_has("(STU 1 MiB, invalidate queue depth 5; control 0x8008)\n"));
	assert_int_equal(ats_disable(pf), 0);
	assert_int_equal(ats_enable(pf, 31), 0);
	assert_true(fake_log_has("(STU 8 TiB, invalidate queue depth 5; control 0x801f)\n"));
}

/* Enable that does not stick (a function that ignores the write) is an error, and nothing is left half on. */
static void enable_is_read_back(void **state)
{
	(void)state;
	struct fake_fn *f = ats_fn(PF, &log_pf, 0, false);
	struct pci_dev *pf = dev_for(PF);

	fake_pci_set_wmask(f, log_pf.ats + ATS_CTRL, 2, 0x001f);       /* Enable read-only 0 */
	assert_int_equal(ats_enable(pf, 1), -HV_EIO);
	assert_true(fake_log_has("c0 ERR  pci: 0000:01:00.0: ATS control reads 0x0001 (STU 1) after enabling with STU 1; ATS not enabled\n"));
	assert_false(fake_log_has("ATS enabled"));
}

static void function_without_ats_is_refused(void **state)
{
	(void)state;
	topo_ep(PF, 0x8086, 0x10d3, 0);
	struct pci_dev *d = dev_for(PF);

	assert_int_equal(ats_enable(d, 0), -HV_ENOTSUP);
	assert_true(fake_log_has("c0 ERR  pci: 0000:01:00.0: has no ATS capability; ATS not enabled\n"));
	assert_int_equal(ats_disable(d), -HV_ENOTSUP);
}

static void stu_past_the_field_is_refused(void **state)
{
	(void)state;
	struct fake_fn *f = ats_fn(PF, &log_pf, 0, false);
	struct pci_dev *pf = dev_for(PF);
	unsigned writes = f->writes;

	assert_int_equal(ats_enable(pf, 32), -HV_EINVAL);
	assert_true(fake_log_has("STU 32 is past the 5-bit field; ATS not enabled\n"));
	assert_int_equal(f->writes, writes);
}

static void vf_takes_its_stu_from_the_pf(void **state)
{
	(void)state;
	ats_fn(PF, &log_pf, 0, false);
	ats_fn(VF1, &log_vf1, 0, true);
	struct pci_dev *pf = dev_for(PF);
	struct pci_dev *vf = vf_for(VF1, pf, 1);

	assert_int_equal(ats_enable(vf, 1), 0);
	assert_int_equal(ctrl(PF, &log_pf), 0x0001);    /* STU on the PF, ATS off there */
	assert_int_equal(ctrl(VF1, &log_vf1), 0x8000);  /* the VF: Enable only */
	assert_int_equal(log_vf1.n, 1);
	assert_true(fake_log_has("c0 INFO pci: 0000:01:00.1: ATS enabled (STU 8 KiB, invalidate queue depth 32; control 0x8000)\n"));
}

static void vf_with_another_stu_than_the_running_pf_is_refused(void **state)
{
	(void)state;
	ats_fn(PF, &log_pf, 0, false);
	ats_fn(VF1, &log_vf1, 0, true);
	struct pci_dev *pf = dev_for(PF);
	struct pci_dev *vf = vf_for(VF1, pf, 1);

	assert_int_equal(ats_enable(pf, 0), 0);
	assert_int_equal(ats_enable(vf, 3), -HV_EBUSY);
	assert_true(fake_log_has("c0 ERR  pci: 0000:01:00.1: ATS runs with STU 0 on 0000:01:00.0 or its VFs; STU 3 refused\n"));
	assert_int_equal(ctrl(VF1, &log_vf1), 0);
	assert_int_equal(ats_enable(vf, 0), 0);
	assert_int_equal(ctrl(VF1, &log_vf1), 0x8000);
}

static void pf_stu_stays_while_a_vf_uses_ats(void **state)
{
	(void)state;
	ats_fn(PF, &log_pf, 0, false);
	ats_fn(VF1, &log_vf1, 0, true);
	ats_fn(VF2, &log_vf2, 0, true);
	struct pci_dev *pf = dev_for(PF);
	struct pci_dev *v1 = vf_for(VF1, pf, 1), *v2 = vf_for(VF2, pf, 2);

	assert_int_equal(ats_enable(v1, 2), 0);
	assert_int_equal(ats_enable(v2, 2), 0);         /* same STU: fine */
	assert_int_equal(ats_enable(pf, 0), -HV_EBUSY);
	assert_int_equal(ats_enable(v2, 1), -HV_EBUSY);
	assert_int_equal(ctrl(PF, &log_pf), 0x0002);
	assert_int_equal(ats_disable(v1), 0);
	assert_int_equal(ats_disable(v2), 0);
	assert_int_equal(ats_enable(pf, 0), 0);         /* nothing uses it any more */
	assert_int_equal(ctrl(PF, &log_pf), 0x8000);
}

static void vf_whose_pf_lacks_ats_is_refused(void **state)
{
	(void)state;
	topo_ep(PF, 0x8086, 0x10c9, 0);
	ats_fn(VF1, &log_vf1, 0, true);
	struct pci_dev *pf = dev_for(PF);
	struct pci_dev *vf = vf_for(VF1, pf, 1);

	assert_int_equal(ats_enable(vf, 0), -HV_ENOTSUP);
	assert_true(fake_log_has("0000:01:00.1: VF with ATS but its PF has no ATS capability to hold the STU; ATS not enabled\n"));
}

static void disable_clears_only_enable(void **state)
{
	(void)state;
	ats_fn(PF, &log_pf, 0, false);
	struct pci_dev *pf = dev_for(PF);

	assert_int_equal(ats_enable(pf, 3), 0);
	assert_int_equal(ats_enable(pf, 3), 0);         /* again, same STU: no change */
	assert_int_equal(ats_enable(pf, 4), -HV_EBUSY); /* STU may not change under Enable */
	assert_int_equal(ctrl(PF, &log_pf), 0x8003);
	assert_int_equal(ats_disable(pf), 0);
	assert_int_equal(ctrl(PF, &log_pf), 0x0003);
	assert_true(fake_log_has("c0 INFO pci: 0000:01:00.0: ATS disabled\n"));
	unsigned n = log_pf.n;
	assert_int_equal(ats_disable(pf), 0);
	assert_int_equal(log_pf.n, n);
	assert_int_equal(fake_log_count("ATS disabled"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(enable_programs_stu_before_setting_enable, setup),
		cmocka_unit_test_setup(log_shows_stu_size_and_the_queue_depth_read_from_the_capability, setup),
		cmocka_unit_test_setup(enable_is_read_back, setup),
		cmocka_unit_test_setup(function_without_ats_is_refused, setup),
		cmocka_unit_test_setup(stu_past_the_field_is_refused, setup),
		cmocka_unit_test_setup(vf_takes_its_stu_from_the_pf, setup),
		cmocka_unit_test_setup(vf_with_another_stu_than_the_running_pf_is_refused, setup),
		cmocka_unit_test_setup(pf_stu_stays_while_a_vf_uses_ats, setup),
		cmocka_unit_test_setup(vf_whose_pf_lacks_ats_is_refused, setup),
		cmocka_unit_test_setup(disable_clears_only_enable, setup),
	};
	return cmocka_run_group_tests_name("ats", tests, NULL, NULL);
}
