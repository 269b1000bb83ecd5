/*
 * Host tests for vm/part/story.c: each stage's line counts what the PCI
 * function list and the programmed config hold (functions, isolation
 * groups, DMA domains, ATS, VFs) and names who got what; a stage with
 * nothing to show says so; a verdict line carries the partition's end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "vm/part/story.h"
#include "tests/unit/pci/pci_topo.h"

#define ACS_ALL         0x005f

static struct sluice_cfg cfg;
static char domain_token[1];    /* stands for a programmed DMA domain: only its being non-NULL is read */

/* Root ports 00:01.0 (bus 1) and 00:02.0 (bus 2) with ACS, endpoints 01:00.0 and 02:00.0. */
static int setup(void **state)
{
	(void)state;
	topo_reset();
	topo_acs(topo_port(S(0, 1, 0), 4, 1, 1), ACS_ALL, 0);
	topo_acs(topo_port(S(0, 2, 0), 4, 2, 2), ACS_ALL, 0);
	topo_ep(S(1, 0, 0), 0x1b36, 0x0010, 0);
	topo_ep(S(2, 0, 0), 0x1af4, 0x1041, 0);
	assert_int_equal(pci_scan(), 4);
	fake_log_capture();
	memset(&cfg, 0, sizeof(cfg));
	cfg.iommu = true;
	return 0;
}

static struct partition_cfg *part(const char *name, u32 nr_regions)
{
	struct partition_cfg *d = &cfg.d[cfg.nr++];
	strcpy(d->name, name);
	d->nr_regions = nr_regions;
	d->iommu = (struct iommu_domain *)(void *)domain_token;
	return d;
}

static struct part_device *dev(struct partition_cfg *d, u32 sbdf)
{
	struct part_device *v = &d->devices[d->nr_devices++];
	v->sbdf = sbdf;
	return v;
}

static void stage0_counts_functions_and_isolation_groups(void **state)
{
	(void)state;
	u32 groups = 0;
	for (u32 i = 0; i < pci_nr_devs(); i++)
		groups = pci_dev_at(i)->group > groups ? pci_dev_at(i)->group : groups;
	assert_int_equal(groups, 4);    /* ACS on both ports: every function alone */
	story_stage0();
	assert_true(fake_log_has("INFO story: stage 0, no IOMMU | hardware: a function's DMA address is a host physical address | Sluice: 4 functions in 4 isolation groups, each partition owns whole functions"));
}

static void stage1_counts_programmed_domains_only(void **state)
{
	(void)state;
	dev(part("a", 3), S(1, 0, 0));
	dev(part("b", 2), S(2, 0, 0));
	struct partition_cfg *f = part("f", 5);
	f->failed = true;
	dev(f, S(0, 1, 0));
	story_stage1(&cfg);
	assert_true(fake_log_has("Sluice: 2 DMA domains, one per partition, 5 regions GPA -> HPA, 2 functions attached"));
}

static void stage1_without_the_iommu_says_nothing_is_translated(void **state)
{
	(void)state;
	cfg.iommu = false;
	part("a", 1)->iommu = NULL;
	story_stage1(&cfg);
	assert_true(fake_log_has("stage 1, DMA remapping | hardware: not used (iommu = off) | Sluice: no DMA domain"));
	assert_int_equal(fake_log_count("story:"), 1);
}

static void stage2_names_the_functions_with_ats_on(void **state)
{
	(void)state;
	pci_find(S(2, 0, 0))->ecap_ats = 0x100;
	pci_find(S(1, 0, 0))->ecap_ats = 0x100;
	dev(part("a", 1), S(1, 0, 0));
	dev(part("r", 1), S(2, 0, 0))->ats_on = true;
	dev(&cfg.d[1], S(0, 2, 0));
	story_stage2(&cfg);
	assert_true(fake_log_has("hardware: 2 of 3 assigned functions can cache translations (ATS) | Sluice: ATS on for 1 the config trusts (02:00.0 in r), device-TLB invalidated after every unmap"));
}

static void stage2_with_no_trusted_function_says_none(void **state)
{
	(void)state;
	pci_find(S(2, 0, 0))->ecap_ats = 0x100;
	dev(part("a", 1), S(2, 0, 0));
	story_stage2(&cfg);
	assert_true(fake_log_has("1 of 1 assigned functions can cache translations (ATS) | Sluice: ATS on for none"));
}

static void stage3_counts_vfs_and_names_who_got_them(void **state)
{
	(void)state;
	struct pci_dev *pf = pci_find(S(1, 0, 0));
	pf->sriov.cap = 0x160;
	pf->sriov.total_vfs = 4;
	pf->sriov.num_vfs = 2;
	pf->sriov.enabled = true;
	struct part_device *v = dev(part("a", 1), S(1, 0, 1));
	v->vfn = 1;
	v = dev(part("b", 1), S(1, 0, 2));
	v->vfn = 2;
	dev(&cfg.d[1], S(2, 0, 0));
	v = dev(part("c", 1), PART_SBDF_PENDING);       /* never enabled: not handed out */
	v->vfn = 3;
	story_stage3(&cfg);
	assert_true(fake_log_has("stage 3, SR-IOV | hardware: 1 PF(s) offer 4 VFs | Sluice: 2 VFs enabled, 2 handed to partitions (01:00.1 to a, 01:00.2 to b)"));
}

static void stage3_without_sriov_has_nothing_to_provision(void **state)
{
	(void)state;
	dev(part("a", 1), S(1, 0, 0));
	story_stage3(&cfg);
	assert_true(fake_log_has("stage 3, SR-IOV | hardware: no function offers virtual functions | Sluice: nothing to provision"));
}

static void verdict_gives_the_end_and_the_checks(void **state)
{
	(void)state;
	story_verdict("b", "parked", 0, 3, 1);
	assert_true(fake_log_has("c0 INFO story: verdict b: parked (code 0), its checks 3 passed, 1 failed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(stage0_counts_functions_and_isolation_groups, setup),
		cmocka_unit_test_setup(stage1_counts_programmed_domains_only, setup),
		cmocka_unit_test_setup(stage1_without_the_iommu_says_nothing_is_translated, setup),
		cmocka_unit_test_setup(stage2_names_the_functions_with_ats_on, setup),
		cmocka_unit_test_setup(stage2_with_no_trusted_function_says_none, setup),
		cmocka_unit_test_setup(stage3_counts_vfs_and_names_who_got_them, setup),
		cmocka_unit_test_setup(stage3_without_sriov_has_nothing_to_provision, setup),
		cmocka_unit_test_setup(verdict_gives_the_end_and_the_checks, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
