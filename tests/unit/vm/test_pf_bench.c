/*
 * Host tests for vm/bench/pf_bench.c: the pf-bench key, parsed and checked
 * through the config checker's hook for extra [sluice] keys (each error
 * one ERR line naming sluice.conf:LINE, as the checker's own), what it
 * tells VF set-up, and its rounds on a fake NVMe PF (tests/fakes/fake_nvme.c),
 * refused until the first one ran.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "vm/bench/pf_bench.h"
#include "kernel/err.h"
#include "pci/nvme_hw.h"
#include "pci/nvme_pf.h"
#include "tests/unit/vm/vm_fixture.h"
#include "tests/fakes/fake_nvme.h"

#define PF              BEHIND_PORT     /* 01:00.0, an NVMe PF with 2 VFs */

/* The host's VF set-up, faked: VF n of the PF becomes function n. */
static int fake_vf_setup(struct config *c, struct sluice_cfg *s, const struct iommu_ops *ops)
{
	(void)c;
	(void)ops;
	for (u32 i = 0; i < s->nr; i++)
		for (u32 k = 0; k < s->d[i].nr_devices; k++)
			if (s->d[i].devices[k].vfn)
				s->d[i].devices[k].sbdf = PF + s->d[i].devices[k].vfn;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	vm_fixture_reset();
	struct pci_dev *pf = pci_find(PF);
	assert_non_null(pf);
	pf->class = NVME_CLASS_CODE;
	pf->ecap_sriov = 0x160;
	pf->sriov.total_vfs = 2;
	vm_fixture_isolate_above(PF);
	vm_vf_setup = fake_vf_setup;
	static const struct sluice_keys *const keys[] = { &pf_bench_keys, NULL };
	vm_keys = keys;
	return 0;
}

static const char vf1[] = "[partition \"a\"]\ndevice = 01:00.0/vf1\nnamespace = 1\n";

/* "[sluice]\npf-bench = VALUE\n" and the partition with 01:00.0/vf1 (lines 3-5): one error, containing want. */
static void refused(const char *value, const char *want)
{
	char text[256];

	snprintf(text, sizeof(text), "[sluice]\npf-bench = %s\n%s", value, vf1);
	fake_log_capture();
	assert_int_equal(vm_setup(text, &fake_iommu_ops), -HV_EINVAL);
	if (!fake_log_has(want) || vm_conf.nr_errors != 1)
		fail_msg("wanted one error '%s' in:\n%s", want, fake_log_text());
	assert_int_equal(vm_set.nr, 0);
}

/* The PF of a partition's VF, a namespace no partition has, an even number of I/Os. */
static void pf_bench_is_checked_against_the_partitions(void **state)
{
	(void)state;
	refused("01:00.0 namespace=1 ios=64", "sluice.conf:2: pf-bench: namespace 1 is partition a's (line 5)");
	refused("01:00.0 namespace=2 ios=63", "sluice.conf:2: pf-bench: ios=63: an even number from 2 to 65536 (half writes, half reads)");
	refused("01:00.0 namespace=2 ios=0", "sluice.conf:2: pf-bench: ios=0: an even number from 2 to 65536");
	refused("01:00.0 namespace=2 ios=65538", "sluice.conf:2: pf-bench: ios=65538: an even number from 2 to 65536");
	refused("01:00.0 ios=64 namespace=2", "sluice.conf:2: pf-bench = 01:00.0 ios=64 namespace=2: use PF namespace=N ios=N");
	refused("01:00.0 namespace=2 ios=64 x", "sluice.conf:2: pf-bench = 01:00.0 namespace=2 ios=64 x: use PF namespace=N ios=N");
	refused("01:00.0 namespace=0 ios=64", "sluice.conf:2: pf-bench = 01:00.0 namespace=0 ios=64: use PF namespace=N ios=N");
	refused("00:03.0 namespace=2 ios=64", "sluice.conf:2: pf-bench: 00:03.0 is not the PF of any partition's VF (device = PF/vfN)");
	fake_log_capture();
	assert_int_equal(vm_setup("[sluice]\npf-bench = 01:00.0 namespace=2 ios=64\npf-bench = 01:00.0 namespace=3 ios=64\n",
				  &fake_iommu_ops), -HV_EINVAL);
	assert_true(fake_log_has("sluice.conf:3: pf-bench given twice (first at line 2)"));
}

/* A key nobody claims is refused with the module's key among the known ones, as the image logs it. */
static void unknown_keys_name_pf_bench_among_the_known(void **state)
{
	(void)state;
	fake_log_capture();
	assert_int_equal(vm_setup("[sluice]\nioomu = on\n", &fake_iommu_ops), -HV_EINVAL);
	assert_true(fake_log_has("sluice.conf:2: unknown key 'ioomu' in [sluice] (known: iommu, devtlb-timeout-ms, dma-fault-limit, unsafe-interrupts, attack-test, attack-witness, pf-bench)"));
}

/* VF set-up learns the namespace for the PF's own controller, for that PF alone, and for this config alone. */
static void vf_setup_is_told_the_pfs_own_namespace(void **state)
{
	(void)state;
	char text[256];
	const char *key = NULL;
	u32 line = 0;

	snprintf(text, sizeof(text), "[sluice]\npf-bench = 01:00.0 namespace=2 ios=64\n%s", vf1);
	assert_int_equal(vm_setup(text, &fake_iommu_ops), 0);
	assert_int_equal(pf_bench_user.own_ns(PF, &key, &line), 2);
	assert_string_equal(key, "pf-bench");
	assert_int_equal(line, 2);
	assert_int_equal(pf_bench_user.own_ns(PF + 1, &key, &line), 0);
	assert_int_equal(vm_setup(vf1, &fake_iommu_ops), 0);
	assert_int_equal(pf_bench_user.own_ns(PF, &key, &line), 0);
}

/*
 * After provisioning: another PF is left alone; a namespace too small for
 * the run is the pf-bench line's error, and its rounds stay refused.
 */
static void a_namespace_too_small_is_refused_and_so_are_rounds(void **state)
{
	(void)state;
	char text[256];
	struct nvme_pf npf = { .own_lba_size = 512, .own_blocks = 255 };
	struct partition p = { .cfg = &vm_set.d[0] };

	snprintf(text, sizeof(text), "[sluice]\npf-bench = 01:00.0 namespace=2 ios=64\n%s", vf1);
	assert_int_equal(vm_setup(text, &fake_iommu_ops), 0);
	fake_log_capture();
	assert_int_equal(pf_bench_user.provisioned(&vm_conf, PF + 0x100, &npf, NULL, NULL), 0);
	assert_int_equal(vm_conf.nr_errors, 0);
	assert_int_equal(pf_bench_user.provisioned(&vm_conf, PF, &npf, NULL, NULL), -HV_EINVAL);
	assert_true(fake_log_has("sluice.conf:2: pf-bench: 32 pages of 4 KiB do not fit namespace 2 (255 blocks of 512 bytes)"));
	assert_int_equal(vm_conf.nr_errors, 1);
	assert_int_equal(pf_bench_hypercall(&p, 64, 0, 0), -SLUICE_HC_EINVAL);
	assert_int_equal(pf_bench_hypercall(&p, 2, 0, 0), -SLUICE_HC_EINVAL);
}

/* The fake NVMe subsystem's DMA goes to the fixture's "physical" memory, as the page allocator hands it out. */
static void *fake_mem_bus(u64 a)
{
	return phys_to_virt(a, 1);
}

static void quiet(void *ctx, bool error, const char *line)
{
	(void)ctx;
	(void)error;
	(void)line;
}

/*
 * The whole run on a fake NVMe PF: namespace 2 attached to its own
 * controller, the first round when it is provisioned, then the rounds
 * partitions with one of its VFs ask for, each checked (run last: the
 * rounds stay open).
 */
static void rounds_run_on_the_pfs_own_namespace(void **state)
{
	(void)state;
	static struct fake_nvme_subsys sub;
	static struct nvme_pf npf;
	char text[256], why[160];
	const char *key;
	u32 line;
	u64 pa;

	snprintf(text, sizeof(text), "[sluice]\npf-bench = 01:00.0 namespace=2 ios=8\n%s", vf1);
	assert_int_equal(vm_setup(text, &fake_iommu_ops), 0);
	fake_nvme_init(&sub, 3, 256, 2, 4, 2);
	fake_nvme_bus = fake_mem_bus;
	assert_true(page_alloc_zeroed(NVME_PF_DMA_PAGES, &pa));
	const struct nvme_pf_env env = { .io = fake_nvme_io(&sub, 0), .enable_vfs = fake_nvme_enable_vfs, .ctx = &sub,
					 .dma = phys_to_virt(pa, NVME_PF_DMA_PAGES * PAGE_SIZE), .dma_bus = pa, .log = quiet };
	const struct nvme_vf_plan plan[] = { { .vfn = 1, .nsid = 1 } };
	assert_int_equal(nvme_pf_provision(&npf, &env, sub.total_vfs, plan, 1, pf_bench_user.own_ns(PF, &key, &line),
					   why, sizeof(why)), 0);
	fake_log_capture();
	assert_int_equal(pf_bench_user.provisioned(&vm_conf, PF, &npf, NULL, NULL), 0);
	assert_true(fake_log_has("INFO bench: PF 01:00.0: 4 more pages at 0x"));
	assert_true(fake_log_has("INFO bench: PF 01:00.0 (Sluice's driver), namespace 2: 8 I/Os, "));
	assert_true(fake_log_has("pass PF 01:00.0: 4 writes and 4 reads of 4 KiB on namespace 2 by Sluice's driver: 0 failed, 0 read back wrong"));

	/* Rounds: for a partition with a VF of the PF, an even number of I/Os within the namespace (32 pages). */
	struct partition p = { .cfg = &vm_set.d[0] };
	struct partition_cfg none = { .name = "b" };
	struct partition q = { .cfg = &none };
	assert_int_equal(pf_bench_hypercall(&p, 64, 0, 0), 0);
	assert_true(fake_log_has("(Sluice's driver), round 1, namespace 2: 64 I/Os, "));
	assert_int_equal(pf_bench_hypercall(&p, 66, 0, 0), -SLUICE_HC_EINVAL);
	assert_int_equal(pf_bench_hypercall(&p, 7, 0, 0), -SLUICE_HC_EINVAL);
	assert_int_equal(pf_bench_hypercall(&p, (1ULL << 32) + 8, 0, 0), -SLUICE_HC_EINVAL);
	assert_int_equal(pf_bench_hypercall(&q, 8, 0, 0), -SLUICE_HC_EINVAL);
	assert_false(fake_log_has("round 2"));
	/* A round whose I/Os fail is the guest's -SLUICE_HC_EIO and a failed check. */
	sub.ns[2].attached[0] = false;
	assert_int_equal(pf_bench_hypercall(&p, 8, 0, 0), -SLUICE_HC_EIO);
	assert_true(fake_log_has("FAIL PF 01:00.0: 4 writes and 4 reads of 4 KiB on namespace 2 by Sluice's driver: 8 failed"));
	fake_nvme_bus = NULL;
	fake_nvme_free(&sub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(pf_bench_is_checked_against_the_partitions, setup),
		cmocka_unit_test_setup(unknown_keys_name_pf_bench_among_the_known, setup),
		cmocka_unit_test_setup(vf_setup_is_told_the_pfs_own_namespace, setup),
		cmocka_unit_test_setup(a_namespace_too_small_is_refused_and_so_are_rounds, setup),
		cmocka_unit_test_setup(rounds_run_on_the_pfs_own_namespace, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
