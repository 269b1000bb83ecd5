/*
 * Host tests for pci/nvme.c (command encodings against the spec's layouts,
 * queues with their phase bit and doorbells) and pci/nvme_pf.c (the PF
 * provisioning sequence), against the fake NVMe subsystem, which enforces
 * QEMU's rules for secondary controllers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pci/nvme.h"
#include "pci/nvme_pf.h"
#include "kernel/err.h"
#include "tests/fakes/fake_nvme.h"

static struct fake_nvme_subsys sub;
static u8 *mem;                 /* DMA memory: bus address = host pointer */
static char lines[8192];

static int setup(void **state)
{
	(void)state;
	fake_nvme_init(&sub, 3, 256, 2, 4, 2);
	mem = aligned_alloc(NVME_PAGE_SIZE, 32 * NVME_PAGE_SIZE);
	memset(mem, 0, 32 * NVME_PAGE_SIZE);
	lines[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_nvme_free(&sub);
	free(mem);
	return 0;
}

static u64 bus(const void *p) { return (u64)(uintptr_t)p; }
static u8 *pg(u32 i) { return mem + (u64)i * NVME_PAGE_SIZE; }

static void log_line(void *ctx, bool error, const char *line)
{
	(void)ctx;
	size_t n = strlen(lines);
	snprintf(lines + n, sizeof(lines) - n, "%s%s\n", error ? "ERR " : "", line);
}

/* ---- encodings ---- */

static void command_encodings(void **state)
{
	(void)state;
	struct nvme_sqe s;

	nvme_cmd_identify(&s, NVME_CNS_SECONDARY_LIST, 0, 0x1234, 0x5000);
	assert_int_equal(s.opc, 0x06);
	assert_int_equal(s.cdw10, 0x12340015);          /* CNTID [31:16], CNS [7:0] */
	assert_int_equal(s.prp1, 0x5000);
	nvme_cmd_create_cq(&s, 1, 64, 0x6000);
	assert_int_equal(s.opc, 0x05);
	assert_int_equal(s.cdw10, 0x003f0001);          /* QSIZE 0-based, QID */
	assert_int_equal(s.cdw11, 1);                   /* PC, no interrupts */
	nvme_cmd_create_sq(&s, 1, 64, 0x7000, 1);
	assert_int_equal(s.opc, 0x01);
	assert_int_equal(s.cdw11, 0x00010001);          /* CQID [31:16], PC */
	nvme_cmd_rw(&s, true, 2, 0x123456789aULL, 8, 0x8000, 0x9000);
	assert_int_equal(s.opc, 0x01);
	assert_int_equal(s.nsid, 2);
	assert_int_equal(s.cdw10, 0x3456789a);
	assert_int_equal(s.cdw11, 0x12);
	assert_int_equal(s.cdw12, 7);                   /* NLB 0-based */
	assert_int_equal(s.prp2, 0x9000);
	nvme_cmd_rw(&s, false, 2, 0, 1, 0x8000, 0);
	assert_int_equal(s.opc, 0x02);
	nvme_cmd_virt_mgmt(&s, NVME_VM_ACT_SECONDARY_ASSIGN, NVME_VM_RT_VI, 3, 1);
	assert_int_equal(s.opc, 0x1c);
	assert_int_equal(s.cdw10, 0x00030108);          /* CNTLID, RT [10:8], ACT [3:0] */
	assert_int_equal(s.cdw11, 1);
	nvme_cmd_ns_attach(&s, false, 4, 0xa000);
	assert_int_equal(s.opc, 0x15);
	assert_int_equal(s.cdw10, 1);                   /* SEL: detach */
	assert_int_equal(s.nsid, 4);
	/* The 64-byte entry's fields at the spec's offsets. */
	assert_int_equal(offsetof(struct nvme_sqe, prp1), 24);
	assert_int_equal(offsetof(struct nvme_sqe, cdw10), 40);
	assert_int_equal(offsetof(struct nvme_cqe, status), 14);
}

/* ---- queues ---- */

static struct nvme_ctrl ctrl;

static void enable_pf(u16 depth)
{
	struct nvme_queue q;
	nvme_queue_init(&q, 0, depth, pg(0), bus(pg(0)), pg(1), bus(pg(1)));
	assert_int_equal(nvme_enable(&ctrl, fake_nvme_io(&sub, 0), &q, 1000000), 0);
}

static void admin_queue_wraps_with_the_phase_bit(void **state)
{
	(void)state;
	struct nvme_sqe s;

	enable_pf(4);
	assert_int_equal(sub.ctrl[0].aqa, 0x00030003);
	assert_int_equal(sub.ctrl[0].asq, bus(pg(0)));
	/* Ten commands through a 4-entry queue: the completion queue wraps twice, the phase flips twice. */
	for (int i = 0; i < 10; i++) {
		nvme_cmd_identify(&s, NVME_CNS_CTRL, 0, 0, bus(pg(2)));
		struct nvme_result r = nvme_exec(&ctrl, &ctrl.admin, &s);
		assert_int_equal(r.err, 0);
		assert_int_equal(r.status, 0);
	}
	assert_int_equal(sub.ctrl[0].commands, 10);
	assert_int_equal(ctrl.admin.cq_head, 10 % 4);
	assert_int_equal(ctrl.admin.phase, 1);
	/* An unknown opcode comes back with its status, not as a timeout. */
	memset(&s, 0, sizeof(s));
	s.opc = 0x7f;
	struct nvme_result r = nvme_exec(&ctrl, &ctrl.admin, &s);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.status, NVME_SC_INVALID_OPCODE);
	assert_string_equal(nvme_status_name(r.status), "invalid opcode");
}

static void full_queue_and_lost_completion(void **state)
{
	(void)state;
	struct nvme_sqe s;

	enable_pf(4);
	/* Doorbells off: the fake stops processing, nothing completes. */
	sub.ctrl[0].csts = 0;
	nvme_cmd_identify(&s, NVME_CNS_CTRL, 0, 0, bus(pg(2)));
	for (int i = 0; i < 3; i++)
		assert_true(nvme_submit(&ctrl, &ctrl.admin, &s) >= 0);
	assert_int_equal(nvme_submit(&ctrl, &ctrl.admin, &s), -HV_EBUSY);
	struct nvme_result r = nvme_wait(&ctrl, &ctrl.admin, 0);
	assert_int_equal(r.err, -HV_ETIMEDOUT);
}

static void offline_vf_controller_does_not_start(void **state)
{
	(void)state;
	struct nvme_queue q;
	nvme_queue_init(&q, 0, 4, pg(0), bus(pg(0)), pg(1), bus(pg(1)));
	assert_int_equal(nvme_enable(&ctrl, fake_nvme_io(&sub, 1), &q, 1000000), -HV_EIO);
}

/* ---- provisioning ---- */

static struct nvme_pf pf;

static int provision_own(const struct nvme_vf_plan *plan, u32 n, u32 own_nsid, char *why)
{
	struct nvme_pf_env env = { .io = fake_nvme_io(&sub, 0), .enable_vfs = fake_nvme_enable_vfs, .ctx = &sub,
				   .dma = pg(0), .dma_bus = bus(pg(0)), .log = log_line };
	return nvme_pf_provision(&pf, &env, sub.total_vfs, plan, n, own_nsid, why, 160);
}

static int provision(const struct nvme_vf_plan *plan, u32 n, char *why)
{
	return provision_own(plan, n, 0, why);
}

/* A VF's own driver: admin queue, one I/O queue pair, then I/O on its namespace. */
static int vf_io(u16 vf, bool write, u32 nsid, u64 lba, u8 *buf, u16 *status)
{
	static struct nvme_ctrl vc;
	struct nvme_queue aq, ioq;
	struct nvme_result r;
	struct nvme_sqe s;
	u32 base = 4 + vf * 5;

	memset(pg(base), 0, 4 * NVME_PAGE_SIZE);
	nvme_queue_init(&aq, 0, 4, pg(base), bus(pg(base)), pg(base + 1), bus(pg(base + 1)));
	int ret = nvme_enable(&vc, fake_nvme_io(&sub, vf), &aq, 1000000);
	if (ret)
		return ret;
	nvme_queue_init(&ioq, 1, 4, pg(base + 2), bus(pg(base + 2)), pg(base + 3), bus(pg(base + 3)));
	ret = nvme_create_io_queues(&vc, &ioq, &r);
	if (ret)
		return ret;
	nvme_cmd_rw(&s, write, nsid, lba, 8, bus(buf), 0);
	r = nvme_exec(&vc, &ioq, &s);
	*status = r.status;
	return r.err;
}

static void provisions_two_vfs_each_with_its_namespace(void **state)
{
	(void)state;
	const struct nvme_vf_plan plan[] = { { 1, 1 }, { 2, 2 } };
	char why[160];

	assert_int_equal(provision(plan, 2, why), 0);
	/* Primary releases (VQ, VI), reset applies it, VFs on, then per VF: VQ, VI, online, attach. */
	assert_string_equal(sub.trace,
			    "vm:1:0:0 vm:1:0:0 reset:0:0:0 vfs:2:0:0 "
			    "vm:8:1:2 vm:8:1:1 vm:9:1:0 ns:1:1:0 "
			    "vm:8:2:2 vm:8:2:1 vm:9:2:0 ns:1:2:0 ");
	assert_true(sub.sec[1].online && sub.sec[2].online);
	assert_true(sub.ns[1].attached[1] && !sub.ns[1].attached[0] && !sub.ns[1].attached[2]);
	assert_true(sub.ns[2].attached[2] && !sub.ns[2].attached[1]);
	assert_int_equal(pf.vf[0].scid, 1);
	assert_int_equal(pf.vf[1].ns_blocks, 256);
	assert_int_equal(pf.vf[1].lba_size, 512);
	assert_non_null(strstr(lines, "vf2: secondary controller 2 online (2 queues, 1 interrupt), namespace 2 attached (256 blocks of 512 bytes)"));

	/* Each VF now works, on its own namespace only. */
	u16 st;
	u8 *buf = pg(31);
	memset(buf, 0xa5, NVME_PAGE_SIZE);
	assert_int_equal(vf_io(1, true, 1, 8, buf, &st), 0);
	assert_int_equal(st, 0);
	memset(buf, 0, NVME_PAGE_SIZE);
	assert_int_equal(vf_io(2, false, 2, 8, buf, &st), 0);
	assert_int_equal(st, 0);
	assert_int_equal(buf[0], 0);                    /* vf2's namespace: nothing of vf1's */
	assert_int_equal(vf_io(2, false, 1, 8, buf, &st), 0);
	assert_int_equal(st, NVME_SC_INVALID_NS);       /* vf1's namespace is not vf2's */
	assert_int_equal(sub.ns[1].data[8 * 512], 0xa5);
}

/* Where one secondary may hold more (VQFRSM), each VF gets its share of the flexible queues. */
static void vfs_share_the_flexible_queues_up_to_what_one_may_hold(void **state)
{
	(void)state;
	const struct nvme_vf_plan one[] = { { 1, 1 } }, two[] = { { 1, 1 }, { 2, 2 } };
	char why[160];

	sub.vq_sec_max = 3;
	assert_int_equal(provision(one, 1, why), 0);
	assert_int_equal(sub.sec[1].nvq, 3);            /* 4 flexible, but 3 at most for one */
	assert_non_null(strstr(lines, "vf1: secondary controller 1 online (3 queues, 1 interrupt)"));
	assert_int_equal(vf_io(1, true, 1, 8, pg(31), &(u16){ 0 }), 0);

	teardown(state);
	setup(state);
	sub.vq_sec_max = 4;
	assert_int_equal(provision(two, 2, why), 0);
	assert_int_equal(sub.sec[1].nvq, 2);            /* 4 for two: 2 each */
	assert_int_equal(sub.sec[2].nvq, 2);
	assert_int_equal(pf.vf_vq, 2);
}

static void namespace_on_the_pf_is_moved_and_online_vf_reprovisioned(void **state)
{
	(void)state;
	const struct nvme_vf_plan plan[] = { { 2, 3 } };
	char why[160];

	sub.ns[3].attached[0] = true;
	sub.sec[2].online = true;
	sub.sec[2].nvq = 2;
	sub.sec[2].nvi = 1;
	sub.vq_primary = sub.vq_primary_next = 2;
	sub.vi_primary = sub.vi_primary_next = 1;
	assert_int_equal(provision(plan, 1, why), 0);
	assert_string_equal(sub.trace,
			    "vm:1:0:0 vm:1:0:0 reset:0:0:0 vfs:2:0:0 "
			    "vm:7:2:0 vm:8:2:2 vm:8:2:1 vm:9:2:0 ns:0:3:0 ns:1:3:0 ");
	assert_true(sub.ns[3].attached[2] && !sub.ns[3].attached[0]);
	assert_non_null(strstr(lines, "namespace 3: detached from controller 0 (it is vf2's alone)"));
}

static void refusals(void **state)
{
	(void)state;
	char why[160];
	const struct nvme_vf_plan too_far[] = { { 3, 1 } };
	const struct nvme_vf_plan no_ns[] = { { 1, 4 } };
	const struct nvme_vf_plan twice[] = { { 1, 1 }, { 2, 1 } };
	const struct nvme_vf_plan three[] = { { 1, 1 }, { 2, 2 }, { 2, 3 } };

	assert_int_equal(provision(too_far, 1, why), -HV_EINVAL);
	assert_string_equal(why, "vf3: the PF has 2 VFs (TotalVFs)");
	assert_int_equal(provision(no_ns, 1, why), -HV_EINVAL);
	assert_string_equal(why, "vf1: namespace 4 does not exist");
	assert_int_equal(provision(twice, 2, why), -HV_EINVAL);
	assert_string_equal(why, "vf2: namespace 1 is vf1's already");
	assert_int_equal(provision(three, 3, why), -HV_EINVAL);
	assert_string_equal(why, "3 VFs need 6 queues and 3 interrupts; the controller has 4 and 2 flexible");
	/* Nothing was enabled or assigned by a refused plan. */
	assert_int_equal(sub.vfs_enabled, 0);
	assert_false(sub.sec[1].online);
	sub.no_virt_mgmt = true;
	assert_int_equal(provision(twice, 1, why), -HV_ENOTSUP);
	assert_string_equal(why, "controller 0 has no Virtualization Management (OACS 0x0008)");
}

/* fill for nvme_rw_pages: page i's bytes from i; from call corrupt_after on, one byte off. */
static u32 fills, corrupt_after;
static void fill_page(void *ctx, u8 *buf, u32 i)
{
	(void)ctx;
	memset(buf, (int)(0x10 + i), NVME_PAGE_SIZE);
	if (++fills > corrupt_after)
		buf[100] ^= 1;
}

/* make bench's set-up: a namespace on the primary for Sluice's own I/O, and the I/O run guests do too. */
static void pf_gets_its_own_namespace_and_runs_the_shared_io(void **state)
{
	(void)state;
	const struct nvme_vf_plan plan[] = { { 1, 1 } };
	char why[160];

	assert_int_equal(provision_own(plan, 1, 2, why), 0);
	assert_string_equal(sub.trace, "vm:1:0:0 vm:1:0:0 reset:0:0:0 vfs:1:0:0 "
			    "vm:8:1:2 vm:8:1:1 vm:9:1:0 ns:1:1:0 ns:1:2:0 ");
	assert_true(sub.ns[2].attached[0] && !sub.ns[2].attached[1]);
	assert_int_equal(pf.own_blocks, 256);
	assert_non_null(strstr(lines, "primary controller 0: namespace 2 attached for Sluice's own I/O (256 blocks of 512 bytes)"));

	/* The PF's I/O queue pair, then 4 writes and 4 reads of a page, as the guests do them. */
	struct nvme_queue q;
	struct nvme_result r;
	memset(pg(4), 0, 2 * NVME_PAGE_SIZE);
	nvme_queue_init(&q, 1, 4, pg(4), bus(pg(4)), pg(5), bus(pg(5)));
	assert_int_equal(nvme_create_io_queues(&pf.ctrl, &q, &r), 0);
	struct nvme_rw_run run = { .nsid = 2, .n = 4, .first_lba = 16, .blocks = 8, .wbuf = pg(6), .rbuf = pg(7),
				   .wbus = bus(pg(6)), .rbus = bus(pg(7)), .fill = fill_page };
	fills = 0;
	corrupt_after = ~0u;
	nvme_rw_pages(&pf.ctrl, &q, &run);
	assert_int_equal(run.failed, 0);
	assert_int_equal(run.bad, 0);
	assert_int_equal(fills, 8);                     /* each page filled to write it and again to check it */
	assert_int_equal(sub.ns[2].data[16 * 512], 0x10);
	assert_int_equal(sub.ns[2].data[(16 + 3 * 8) * 512 + 4095], 0x13);
	assert_int_equal(sub.ns[2].data[(16 + 4 * 8) * 512], 0);        /* nothing past the run */
	/* What is read back is checked: a page that differs counts; a namespace not attached fails every command. */
	fills = 0;
	corrupt_after = 6;
	nvme_rw_pages(&pf.ctrl, &q, &run);
	assert_int_equal(run.failed, 0);
	assert_int_equal(run.bad, 2);
	run.nsid = 1;
	corrupt_after = ~0u;
	nvme_rw_pages(&pf.ctrl, &q, &run);
	assert_int_equal(run.failed, 8);
}

static void pf_namespace_refusals(void **state)
{
	(void)state;
	const struct nvme_vf_plan plan[] = { { 1, 1 } };
	char why[160];

	assert_int_equal(provision_own(plan, 1, 1, why), -HV_EINVAL);
	assert_string_equal(why, "the PF's namespace 1 is vf1's already");
	assert_int_equal(provision_own(plan, 1, 4, why), -HV_EINVAL);
	assert_string_equal(why, "the PF's namespace 4 does not exist");
	assert_int_equal(sub.vfs_enabled, 0);
}

static void fake_enforces_qemus_rules(void **state)
{
	(void)state;
	struct nvme_sqe s;

	enable_pf(8);
	/* The primary still holds every flexible resource: nothing to assign. */
	nvme_cmd_virt_mgmt(&s, NVME_VM_ACT_SECONDARY_ASSIGN, NVME_VM_RT_VQ, 1, 2);
	assert_int_equal(nvme_exec(&ctrl, &ctrl.admin, &s).status, NVME_SC_INVALID_NR_CTRL_RES);
	/* Released but not reset: still held. */
	nvme_cmd_virt_mgmt(&s, NVME_VM_ACT_PRIMARY_FLEX, NVME_VM_RT_VQ, 0, 0);
	assert_int_equal(nvme_exec(&ctrl, &ctrl.admin, &s).status, 0);
	nvme_cmd_virt_mgmt(&s, NVME_VM_ACT_SECONDARY_ASSIGN, NVME_VM_RT_VQ, 1, 2);
	assert_int_equal(nvme_exec(&ctrl, &ctrl.admin, &s).status, NVME_SC_INVALID_NR_CTRL_RES);
	/* Online needs VQ >= 2, VI >= 1 and the VF enabled. */
	enable_pf(8);
	nvme_cmd_virt_mgmt(&s, NVME_VM_ACT_SECONDARY_ASSIGN, NVME_VM_RT_VQ, 1, 2);
	assert_int_equal(nvme_exec(&ctrl, &ctrl.admin, &s).status, 0);
	nvme_cmd_virt_mgmt(&s, NVME_VM_ACT_SECONDARY_ONLINE, 0, 1, 0);
	assert_int_equal(nvme_exec(&ctrl, &ctrl.admin, &s).status, NVME_SC_INVALID_SEC_CTRL_STATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(command_encodings, setup, teardown),
		cmocka_unit_test_setup_teardown(admin_queue_wraps_with_the_phase_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(full_queue_and_lost_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(offline_vf_controller_does_not_start, setup, teardown),
		cmocka_unit_test_setup_teardown(provisions_two_vfs_each_with_its_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(vfs_share_the_flexible_queues_up_to_what_one_may_hold, setup, teardown),
		cmocka_unit_test_setup_teardown(namespace_on_the_pf_is_moved_and_online_vf_reprovisioned, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(pf_gets_its_own_namespace_and_runs_the_shared_io, setup, teardown),
		cmocka_unit_test_setup_teardown(pf_namespace_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(fake_enforces_qemus_rules, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
