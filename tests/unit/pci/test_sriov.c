/*
 * Host tests for pci/pci_sriov.c and pci/pci_space.c against fake SR-IOV
 * PFs that behave like the hardware (and QEMU's pcie_sriov.c): First VF
 * Offset and VF Stride follow NumVFs, VFs appear when VF Enable is set and
 * vanish when it is cleared, and NumVFs is read-only while VF Enable is set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "pci/pci.h"
#include "pci/pci_internal.h"
#include "pci/pci_space.h"
#include "pci/sriov_hw.h"
#include "kernel/err.h"
#include "kernel/memmap.h"
#include "tests/fakes/fake_hw.h"
#include "tests/unit/pci/pci_topo.h"

#define HOST            S(0, 0, 0)
#define RP              S(0, 2, 0)
#define PF              S(1, 0, 0)
#define MS              1000000ULL      /* ns */

/* ---- a fake SR-IOV PF ------------------------------------------------------ */

struct fake_sriov {
	u16 cap;
	u16 total;
	/* First VF Offset / VF Stride for NumVFs <= split, and above it */
	u16 off_lo, stride_lo, off_hi, stride_hi, split;
	u16 ari_off, ari_stride;        /* when ARI Capable Hierarchy is set (0: as above) */
	u32 vf_class;
	bool vf_ats;
	bool enabled;
	u16 nr_vfs;                     /* present in the fake config space */
	u64 vfe_set_ns;                 /* fake clock when VF Enable went 0 -> 1 */
	unsigned ctrl_writes;
};

static struct fake_sriov sr0, sr1;

static void layout(struct fake_fn *f, struct fake_sriov *s)
{
	u16 num = fake_pci_r16(f, s->cap + SRIOV_NUM_VFS);
	bool ari = fake_pci_r16(f, s->cap + SRIOV_CTRL) & SRIOV_CTRL_ARI;
	u16 off = num > s->split ? s->off_hi : s->off_lo;
	u16 stride = num > s->split ? s->stride_hi : s->stride_lo;

	if (ari && s->ari_off) {
		off = s->ari_off;
		stride = s->ari_stride;
	}
	fake_pci_w16(f, s->cap + SRIOV_VF_OFFSET, off);
	fake_pci_w16(f, s->cap + SRIOV_VF_STRIDE, stride);
}

static u32 vf_sbdf(struct fake_fn *f, struct fake_sriov *s, u32 i)
{
	u16 off = fake_pci_r16(f, s->cap + SRIOV_VF_OFFSET);
	u16 stride = fake_pci_r16(f, s->cap + SRIOV_VF_STRIDE);
	return PCI_RID(f->sbdf) + off + (i - 1) * stride;
}

/* Called after every config write to the PF: the SR-IOV state machine. */
static void pf_hook(struct fake_fn *f, u16 off, u8 width, u32 val)
{
	struct fake_sriov *s = f->priv;
	(void)val;

	if (off + width <= s->cap || off >= s->cap + SRIOV_SIZE)
		return;
	if (off == s->cap + SRIOV_CTRL)
		s->ctrl_writes++;
	bool vfe = fake_pci_r16(f, s->cap + SRIOV_CTRL) & SRIOV_CTRL_VFE;
	if (!s->enabled)
		layout(f, s);
	if (vfe && !s->enabled) {
		s->enabled = true;
		s->vfe_set_ns = fake_time_ns;
		fake_pci_set_wmask(f, s->cap + SRIOV_NUM_VFS, 2, 0);
		s->nr_vfs = fake_pci_r16(f, s->cap + SRIOV_NUM_VFS);
		for (u32 i = 1; i <= s->nr_vfs; i++) {
			/* A VF's Vendor and Device ID read 0xffff; its class does not. */
			struct fake_fn *vf = fake_pci_add(vf_sbdf(f, s, i), 0xffff, 0xffff, s->vf_class, 0);
			fake_pci_add_pcie(vf, 0);
			topo_ari(vf, 0);
			if (s->vf_ats)
				fake_pci_add_ecap(vf, 0x000f, 1, 8);
		}
	} else if (!vfe && s->enabled) {
		for (u32 i = 1; i <= s->nr_vfs; i++)
			fake_pci_remove(vf_sbdf(f, s, i));
		s->enabled = false;
		s->nr_vfs = 0;
		fake_pci_set_wmask(f, s->cap + SRIOV_NUM_VFS, 2, 0xffff);
	}
}

/* VF BAR i of a fake PF: memory, size bytes per VF, flags FAKE_BAR_*. */
static void vf_bar(struct fake_fn *f, u16 cap, int i, u64 size, u32 flags)
{
	u16 off = (u16)(cap + SRIOV_VF_BAR(i));
	fake_pci_w32(f, off, (flags & FAKE_BAR_MEM64 ? 0x4 : 0) | (flags & FAKE_BAR_PREFETCH ? 0x8 : 0));
	fake_pci_set_wmask(f, off, 4, (u32)~(size - 1) & ~0xfu);
	if (flags & FAKE_BAR_MEM64)
		fake_pci_set_wmask(f, off + 4, 4, (u32)(~(size - 1) >> 32));
}

/*
 * An SR-IOV PF (nvme-like, class NVMe): PCIe endpoint, BAR0 64-bit 16 KiB
 * at bar0, ARI capability, SR-IOV with total VFs and VF BAR0 64-bit
 * non-prefetchable 16 KiB.
 */
static struct fake_fn *add_pf(u32 sbdf, struct fake_sriov *s, u16 total, u64 bar0)
{
	struct fake_fn *f = fake_pci_add(sbdf, 0x1b36, 0x0010, CLASS_NVME, 0);

	fake_pci_add_pcie(f, 0);
	fake_pci_set_bar(f, 0, bar0, 0x4000, FAKE_BAR_MEM64);
	fake_pci_w16(f, 0x04, 0x0006);          /* firmware: memory + bus master */
	topo_ari(f, 0);
	s->cap = fake_pci_add_ecap(f, PCI_ECAP_ID_SRIOV, 1, SRIOV_SIZE);
	s->total = total;
	if (!s->vf_class)
		s->vf_class = CLASS_NVME;
	fake_pci_w16(f, s->cap + SRIOV_INITIAL_VFS, total);
	fake_pci_w16(f, s->cap + SRIOV_TOTAL_VFS, total);
	fake_pci_w16(f, s->cap + SRIOV_VF_DID, 0x0011);
	fake_pci_w32(f, s->cap + SRIOV_SUP_PGSIZE, 0x553);
	fake_pci_w32(f, s->cap + SRIOV_SYS_PGSIZE, 0x1);
	/* ARI Capable Hierarchy is RsvdP outside the lowest PF. */
	fake_pci_set_wmask(f, s->cap + SRIOV_CTRL, 2, PCI_FN(sbdf) == 0 ? 0x3f : 0x2f);
	fake_pci_set_wmask(f, s->cap + SRIOV_NUM_VFS, 2, 0xffff);
	fake_pci_set_wmask(f, s->cap + SRIOV_SYS_PGSIZE, 4, 0xffffffff);
	vf_bar(f, s->cap, 0, 0x4000, FAKE_BAR_MEM64);
	f->hook = pf_hook;
	f->priv = s;
	layout(f, s);
	return f;
}

static void mem_win(struct fake_fn *b, u32 base, u32 limit)
{
	fake_pci_w32(b, 0x20, ((base >> 16) & 0xfff0) | (limit & 0xfff00000));
}

static void pref_win(struct fake_fn *b, u64 base, u64 limit)
{
	fake_pci_w32(b, 0x24, (u32)((base >> 16) & 0xfff0) | (u32)(limit & 0xfff00000) | 0x00010001);
	fake_pci_w32(b, 0x28, (u32)(base >> 32));
	fake_pci_w32(b, 0x2c, (u32)(limit >> 32));
}

static void pref_closed(struct fake_fn *b)
{
	fake_pci_w32(b, 0x24, 0x0001fff1);
	fake_pci_w32(b, 0x28, 0);
	fake_pci_w32(b, 0x2c, 0);
}

static u32 mem_win_reg(u32 sbdf) { return pci_cfg_read(sbdf, 0x20, 4); }

/* q35-like: host bridge 00:00.0; QEMU's 32-bit hole and 4-64 GiB registered. */
static void base_topology(void)
{
	topo_reset();
	fake_hw_reset();
	fake_time_step_ns = 50000;      /* 50 us a clock read: the waits pass quickly */
	pci_space_reset();
	memset(&sr0, 0, sizeof(sr0));
	memset(&sr1, 0, sizeof(sr1));
	fake_pci_add(HOST, 0x8086, 0x29c0, CLASS_HOST, 0);
	assert_int_equal(pci_space_add(0xc0000000, 0xfec00000 - 0xc0000000, false), 0);
	assert_int_equal(pci_space_add(4 * GiB, 60 * GiB, true), 0);
}

/* Root port 00:02.0 over bus 1 with ACS and a 1 MiB memory window at 0xfe000000. */
static struct fake_fn *root_port(void)
{
	struct fake_fn *rp = topo_port(RP, 4, 1, 1);
	topo_acs(rp, 0x1d, 0);          /* SV RR CR UF, as QEMU's root ports have */
	mem_win(rp, 0xfe000000, 0xfe0fffff);
	pref_closed(rp);
	fake_pci_w16(rp, 0x04, 0x0007);
	return rp;
}

static int setup(void **state)
{
	(void)state;
	base_topology();
	return 0;
}

static struct pci_dev *scan_and_find(u32 sbdf)
{
	assert_true(pci_scan() > 0);
	struct pci_dev *d = pci_find(sbdf);
	assert_non_null(d);
	return d;
}

/* ---- enabling ------------------------------------------------------------- */

static void enable_creates_vfs_at_offset_and_stride_with_bars_in_the_window(void **state)
{
	(void)state;
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 128, .stride_lo = 2, .split = 0xffff, .vf_class = CLASS_ETH };
	struct fake_fn *f = add_pf(PF, &sr0, 8, 0xfe000000);
	struct pci_dev *pf = scan_and_find(PF);

	assert_int_equal(sriov_vf_enable(pf, 2), 0);

	/* VF n at PF RID + 128 + (n - 1) * 2: 01:10.0 and 01:10.2 */
	struct pci_dev *v1 = pci_find(S(1, 0x10, 0)), *v2 = pci_find(S(1, 0x10, 2));
	assert_non_null(v1);
	assert_non_null(v2);
	assert_null(pci_find(S(1, 0x10, 1)));
	for (int i = 0; i < 2; i++) {
		struct pci_dev *v = i ? v2 : v1;
		assert_int_equal(v->kind, PCI_KIND_VF);
		assert_int_equal(v->vendor, 0x1b36);
		assert_int_equal(v->device, 0x0011);
		assert_int_equal(v->class, CLASS_ETH);  /* the VF's own class register */
		assert_ptr_equal(v->pf, pf);
		assert_ptr_equal(v->parent, pf->parent);
		assert_int_equal(v->vf_index, i + 1);
		assert_int_equal(v->bars[0].type, PCI_BAR_MEM64);
		assert_int_equal(v->bars[0].size, 0x4000);
		assert_true(v->ecap_ari != 0);          /* capabilities read from the VF */
		/* The VF's own Command is left to whoever is given the VF. */
		assert_int_equal(pci_cfg_read(v->sbdf, 0x04, 2), 0);
	}
	/* First free 16 KiB after the PF's BAR0, inside the root port's window. */
	assert_true(v1->bars[0].addr == 0xfe004000);
	assert_true(v2->bars[0].addr == 0xfe008000);
	assert_int_equal(fake_pci_r32(f, sr0.cap + SRIOV_VF_BAR(0)), 0xfe004004);
	assert_int_equal(fake_pci_r32(f, sr0.cap + SRIOV_VF_BAR(1)), 0);
	u16 ctrl = fake_pci_r16(f, sr0.cap + SRIOV_CTRL);
	assert_true(ctrl & SRIOV_CTRL_VFE);
	assert_true(ctrl & SRIOV_CTRL_VF_MSE);
	assert_int_equal(fake_pci_r16(f, sr0.cap + SRIOV_NUM_VFS), 2);
	assert_int_equal(fake_pci_r32(f, sr0.cap + SRIOV_SYS_PGSIZE), SRIOV_PGSIZE_4K);
	assert_int_equal(fake_pci_r16(f, 0x04), 0x0006);        /* PF Command untouched */
	assert_int_equal(mem_win_reg(RP), 0xfe00fe00);          /* window untouched */
	assert_true(pf->sriov.enabled);
	assert_int_equal(pf->sriov.num_vfs, 2);
	assert_int_equal(pf->sriov.vf_device, 0x0011);
	assert_true(fake_log_has("c0 INFO pci: 0000:01:00.0: enabled 2 VFs (offset 128 stride 2, VF device 0x0011)\n"));
	assert_true(fake_log_has("c0 INFO pci: 0000:01:10.0 1b36:0011 class 0x020000 vf of 0000:01:00.0 #1 bar0 mem64 0x00000000fe004000 size 0x4000"));
	assert_true(fake_log_has("c0 INFO pci: 0000:01:10.2 1b36:0011 class 0x020000 vf of 0000:01:00.0 #2 bar0 mem64 0x00000000fe008000 size 0x4000"));
	assert_int_equal(fake_log_count(" ERR "), 0);
	/* Each VF its own isolation group, as Linux puts igb's VFs. */
	assert_true(v1->group != 0 && v2->group != 0 && v1->group != v2->group);
}

static void offset_and_stride_are_read_after_numvfs_is_written(void **state)
{
	(void)state;
	root_port();
	/* 1-2 VFs: offset 1 stride 1; more: offset 4 stride 2 (as the spec allows) */
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .off_hi = 4, .stride_hi = 2, .split = 2 };
	struct fake_fn *host_side = add_pf(PF, &sr0, 4, 0xfe000000);
	(void)host_side;
	struct pci_dev *pf = scan_and_find(PF);
	/* What enumeration saw before NumVFs was written. */
	assert_int_equal(pf->sriov.offset, 1);

	assert_int_equal(sriov_vf_enable(pf, 3), 0);
	assert_non_null(pci_find(S(1, 0, 4)));
	assert_non_null(pci_find(S(1, 0, 6)));
	assert_non_null(pci_find(S(1, 1, 0)));
	assert_null(pci_find(S(1, 0, 1)));
	assert_int_equal(pf->sriov.offset, 4);
	assert_int_equal(pf->sriov.stride, 2);
	assert_true(fake_log_has("enabled 3 VFs (offset 4 stride 2, VF device 0x0011)\n"));
	assert_true(pci_find(S(1, 1, 0))->bars[0].addr == 0xfe004000 + 2 * 0x4000);
}

static void totalvfs_zero_is_refused_and_the_device_left_as_found(void **state)
{
	(void)state;
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	struct fake_fn *f = add_pf(PF, &sr0, 0, 0xfe000000);
	struct pci_dev *pf = scan_and_find(PF);
	u32 n = pci_nr_devs();
	unsigned writes = f->writes;

	assert_int_equal(sriov_vf_enable(pf, 1), -HV_ENOTSUP);
	assert_true(fake_log_has("c0 ERR  pci: 0000:01:00.0: SR-IOV TotalVFs is 0; no VFs enabled\n"));
	assert_int_equal(f->writes, writes);
	assert_int_equal(pci_nr_devs(), n);
}

static void numvfs_above_totalvfs_is_refused(void **state)
{
	(void)state;
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	struct fake_fn *f = add_pf(PF, &sr0, 2, 0xfe000000);
	struct pci_dev *pf = scan_and_find(PF);
	unsigned writes = f->writes;

	assert_int_equal(sriov_vf_enable(pf, 3), -HV_EINVAL);
	assert_int_equal(sriov_vf_enable(pf, 0), -HV_EINVAL);
	assert_true(fake_log_has("c0 ERR  pci: 0000:01:00.0: 3 VFs requested, TotalVFs is 2; no VFs enabled\n"));
	assert_int_equal(f->writes, writes);
	assert_int_equal(fake_pci_r16(f, sr0.cap + SRIOV_NUM_VFS), 0);
}

static void function_without_sriov_is_refused(void **state)
{
	(void)state;
	root_port();
	topo_ep(PF, 0x8086, 0x10d3, 0);
	struct pci_dev *d = scan_and_find(PF);

	assert_int_equal(sriov_vf_enable(d, 1), -HV_ENOTSUP);
	assert_true(fake_log_has("c0 ERR  pci: 0000:01:00.0: has no SR-IOV capability; no VFs enabled\n"));
	assert_int_equal(sriov_vf_disable(d), -HV_ENOTSUP);
}

static void vf_routing_ids_past_the_subordinate_bus_are_refused_and_undone(void **state)
{
	(void)state;
	root_port();    /* bus 1 only */
	/* 4 VFs at offset 0xf0 stride 8: the third lands on bus 2 */
	sr0 = (struct fake_sriov){ .off_lo = 0xf0, .stride_lo = 8, .split = 0xffff };
	struct fake_fn *f = add_pf(PF, &sr0, 4, 0xfe000000);
	struct pci_dev *pf = scan_and_find(PF);
	u32 n = pci_nr_devs();

	assert_int_equal(sriov_vf_enable(pf, 4), -HV_ERANGE);
	assert_true(fake_log_has("c0 ERR  pci: 0000:01:00.0: VF 3 routing ID 0x00200 (bus 0x02) is outside buses 0x01-0x01 below the parent bridge; no VFs enabled\n"));
	assert_int_equal(fake_pci_r16(f, sr0.cap + SRIOV_NUM_VFS), 0);
	assert_false(fake_pci_r16(f, sr0.cap + SRIOV_CTRL) & SRIOV_CTRL_VFE);
	assert_int_equal(fake_pci_r32(f, sr0.cap + SRIOV_VF_BAR(0)), 0x4);
	assert_int_equal(pci_nr_devs(), n);
	assert_false(pf->sriov.enabled);

	/* Past 0xffff altogether */
	sr0.off_lo = 0xff00;
	layout(f, &sr0);
	assert_int_equal(sriov_vf_enable(pf, 1), -HV_ERANGE);
	assert_true(fake_log_has("VF 1 routing ID 0x10000 (bus 0x100) is outside buses 0x01-0x01"));
}

static void vf_routing_id_of_an_existing_function_is_refused(void **state)
{
	(void)state;
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	fake_pci_w8(add_pf(PF, &sr0, 2, 0xfe000000), 0x0e, 0x80);       /* multi-function */
	topo_ep(S(1, 0, 1), 0x8086, 0x10d3, 0);
	struct pci_dev *pf = scan_and_find(PF);

	assert_int_equal(sriov_vf_enable(pf, 1), -HV_EEXIST);
	assert_true(fake_log_has("VF 1 routing ID 0000:01:00.1 is taken by a function found in the scan; no VFs enabled\n"));
}

static void enabling_twice_is_refused(void **state)
{
	(void)state;
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	add_pf(PF, &sr0, 2, 0xfe000000);
	struct pci_dev *pf = scan_and_find(PF);

	assert_int_equal(sriov_vf_enable(pf, 1), 0);
	assert_int_equal(sriov_vf_enable(pf, 2), -HV_EBUSY);
	assert_true(fake_log_has("c0 ERR  pci: 0000:01:00.0: VFs already enabled (NumVFs 1); disable them first\n"));
	assert_int_equal(pf->sriov.num_vfs, 1);
}

static void unsupported_4k_page_size_is_refused(void **state)
{
	(void)state;
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	struct fake_fn *f = add_pf(PF, &sr0, 2, 0xfe000000);
	fake_pci_w32(f, sr0.cap + SRIOV_SUP_PGSIZE, 0x2);
	struct pci_dev *pf = scan_and_find(PF);

	assert_int_equal(sriov_vf_enable(pf, 1), -HV_ENOTSUP);
	assert_true(fake_log_has("SR-IOV Supported Page Sizes 0x00000002 lack 4 KiB; no VFs enabled\n"));
}

static void io_vf_bar_is_refused(void **state)
{
	(void)state;
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	struct fake_fn *f = add_pf(PF, &sr0, 2, 0xfe000000);
	fake_pci_w32(f, sr0.cap + SRIOV_VF_BAR(2), 0x1);
	fake_pci_set_wmask(f, sr0.cap + SRIOV_VF_BAR(2), 4, 0xffffff00);
	struct pci_dev *pf = scan_and_find(PF);

	assert_int_equal(sriov_vf_enable(pf, 1), -HV_EINVAL);
	assert_true(fake_log_has("VF BAR2 (0x") && fake_log_has("is an I/O BAR, which VFs may not have; no VFs enabled\n"));
	assert_int_equal(fake_pci_r16(f, sr0.cap + SRIOV_NUM_VFS), 0);
}

/* ---- ARI Capable Hierarchy ------------------------------------------------ */

static void ari_capable_hierarchy_is_set_on_fn0_below_an_ari_forwarding_port(void **state)
{
	(void)state;
	struct fake_fn *rp = root_port();
	topo_ari_fwd_capable(rp, 0x40);
	/* With ARI the VFs sit at offset 2 stride 1; without, at 0x80 stride 1. */
	sr0 = (struct fake_sriov){ .off_lo = 0x80, .stride_lo = 1, .split = 0xffff, .ari_off = 2, .ari_stride = 1 };
	sr1 = (struct fake_sriov){ .off_lo = 0x80, .stride_lo = 1, .split = 0xffff, .ari_off = 3, .ari_stride = 1 };
	struct fake_fn *f0 = add_pf(PF, &sr0, 2, 0xfe000000);
	struct fake_fn *f1 = add_pf(S(1, 0, 1), &sr1, 2, 0xfe010000);
	fake_pci_w16(f0, 0x100 + 4, 1 << 8);    /* ARI: next function 1 */
	struct pci_dev *pf0 = scan_and_find(PF), *pf1 = pci_find(S(1, 0, 1));
	assert_non_null(pf1);
	assert_true(pf0->parent->ari_forwarding);

	assert_int_equal(sriov_vf_enable(pf0, 1), 0);
	assert_true(fake_pci_r16(f0, sr0.cap + SRIOV_CTRL) & SRIOV_CTRL_ARI);
	assert_non_null(pci_find(S(1, 0, 2)));
	/* Function 1's bit is RsvdP: left alone (the fake keeps it read-only 0). */
	assert_int_equal(sriov_vf_enable(pf1, 1), 0);
	assert_false(fake_pci_r16(f1, sr1.cap + SRIOV_CTRL) & SRIOV_CTRL_ARI);
	assert_true(fake_log_has("c0 INFO pci: 0000:01:00.0: enabled 1 VFs (offset 2 stride 1, VF device 0x0011)\n"));
}

static void ari_capable_hierarchy_is_cleared_without_ari_forwarding(void **state)
{
	(void)state;
	root_port();    /* no ARI forwarding */
	sr0 = (struct fake_sriov){ .off_lo = 0x80, .stride_lo = 1, .split = 0xffff, .ari_off = 2, .ari_stride = 1 };
	struct fake_fn *f = add_pf(PF, &sr0, 2, 0xfe000000);
	fake_pci_w16(f, sr0.cap + SRIOV_CTRL, SRIOV_CTRL_ARI);  /* stale, from firmware */
	layout(f, &sr0);
	struct pci_dev *pf = scan_and_find(PF);
	assert_false(pf->parent->ari_forwarding);

	assert_int_equal(sriov_vf_enable(pf, 1), 0);
	assert_false(fake_pci_r16(f, sr0.cap + SRIOV_CTRL) & SRIOV_CTRL_ARI);
	assert_non_null(pci_find(S(1, 0x10, 0)));
}

/* ---- placing VF BARs ------------------------------------------------------ */

static void firmware_vf_bar_address_is_kept_when_it_fits_the_window(void **state)
{
	(void)state;
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	struct fake_fn *f = add_pf(PF, &sr0, 4, 0xfe000000);
	fake_pci_w32(f, sr0.cap + SRIOV_VF_BAR(0), 0xfe0c0004);
	struct pci_dev *pf = scan_and_find(PF);

	assert_int_equal(sriov_vf_enable(pf, 4), 0);
	assert_true(pci_find(S(1, 0, 1))->bars[0].addr == 0xfe0c0000);
	assert_true(pci_find(S(1, 0, 4))->bars[0].addr == 0xfe0cc000);
	assert_int_equal(mem_win_reg(RP), 0xfe00fe00);
}

static void window_grows_when_its_free_space_is_too_small(void **state)
{
	(void)state;
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	struct fake_fn *f = add_pf(PF, &sr0, 4, 0xfe000000);
	fake_pci_set_bar(f, 2, 0xfe080000, 0x80000, 0);         /* the window is full */
	vf_bar(f, sr0.cap, 0, 0x20000, FAKE_BAR_MEM64);         /* 4 x 128 KiB */
	struct pci_dev *pf = scan_and_find(PF);

	assert_int_equal(sriov_vf_enable(pf, 4), 0);
	assert_int_equal(mem_win_reg(RP), 0xfe10fe00);          /* [0xfe000000-0xfe1fffff] */
	assert_true(pf->parent->mem_win.limit == 0xfe1fffff);
	assert_true(pci_find(S(1, 0, 1))->bars[0].addr == 0xfe100000);
	assert_true(pci_find(S(1, 0, 4))->bars[0].addr == 0xfe160000);
	assert_true(fake_log_has("c0 INFO pci: 0000:00:02.0: bridge memory window grown to [0x00000000fe000000-0x00000000fe1fffff] for VF BARs (firmware left no room)\n"));
	assert_true(fake_pci_r16(fake_pci_find(RP), 0x04) & 0x2);
}

/* Root ports on both sides: the window cannot grow, so it moves with its contents. */
static void window_moves_with_its_bars_when_it_cannot_grow(void **state)
{
	(void)state;
	struct fake_fn *below = topo_port(S(0, 1, 0), 4, 2, 2);
	mem_win(below, 0xfdf00000, 0xfdffffff);
	pref_closed(below);
	root_port();
	struct fake_fn *above = topo_port(S(0, 3, 0), 4, 3, 3);
	mem_win(above, 0xfe100000, 0xfe1fffff);
	pref_closed(above);
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	struct fake_fn *f = add_pf(PF, &sr0, 4, 0xfe000000);
	fake_pci_set_bar(f, 2, 0xfe080000, 0x80000, 0);
	vf_bar(f, sr0.cap, 0, 0x20000, FAKE_BAR_MEM64);
	struct pci_dev *pf = scan_and_find(PF);

	assert_int_equal(sriov_vf_enable(pf, 4), 0);
	/* First free MiB-aligned room in the 32-bit space: 0xc0000000, 2 MiB. */
	assert_int_equal(mem_win_reg(RP), 0xc010c000);
	assert_true(fake_log_has("c0 INFO pci: 0000:00:02.0: bridge memory window moved to [0x00000000c0000000-0x00000000c01fffff] for VF BARs (firmware left no room)\n"));
	/* The PF's own BARs went along, its Command as before. */
	assert_int_equal(fake_pci_r32(f, 0x10), 0xc0000004);
	assert_int_equal(fake_pci_r32(f, 0x14), 0);
	assert_int_equal(fake_pci_r32(f, 0x18), 0xc0080000);
	assert_true(pf->bars[0].addr == 0xc0000000 && pf->bars[2].addr == 0xc0080000);
	assert_int_equal(fake_pci_r16(f, 0x04), 0x0006);
	assert_true(pci_find(S(1, 0, 1))->bars[0].addr == 0xc0100000);
	assert_int_equal(fake_pci_r32(f, sr0.cap + SRIOV_VF_BAR(0)), 0xc0100004);
	/* The neighbours did not move. */
	assert_int_equal(mem_win_reg(S(0, 1, 0)), 0xfdf0fdf0);
	assert_int_equal(mem_win_reg(S(0, 3, 0)), 0xfe10fe10);
	assert_true(fake_pci_r16(fake_pci_find(RP), 0x04) & 0x2);
}

/*
 * Root port (memory window 0xfe000000..rp_limit), switch upstream port, two
 * downstream ports: the PF's port (bus 3) holds the PF's own BARs and is
 * full, its sibling (bus 4, an endpoint's 1 MiB BAR) sits right above it.
 * The PF has a 64-bit VF BAR0 of 0x20000 bytes per VF. Returns the PF.
 */
static struct pci_dev *switch_with_full_pf_port(u64 rp_limit)
{
	struct fake_fn *rp = topo_port(RP, 4, 1, 4);
	mem_win(rp, 0xfe000000, rp_limit);
	pref_closed(rp);
	struct fake_fn *usp = topo_port(S(1, 0, 0), 5, 2, 4);
	mem_win(usp, 0xfe000000, rp_limit);
	pref_closed(usp);
	struct fake_fn *dsp1 = topo_port(S(2, 0, 0), 6, 3, 3);
	mem_win(dsp1, 0xfe000000, 0xfe0fffff);
	pref_closed(dsp1);
	struct fake_fn *dsp2 = topo_port(S(2, 1, 0), 6, 4, 4);
	mem_win(dsp2, 0xfe100000, 0xfe1fffff);
	pref_closed(dsp2);
	fake_pci_set_bar(topo_ep(S(4, 0, 0), 0x8086, 0x10d3, 0), 0, 0xfe100000, 0x100000, 0);
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	struct fake_fn *f = add_pf(S(3, 0, 0), &sr0, 4, 0xfe000000);
	fake_pci_set_bar(f, 2, 0xfe080000, 0x80000, 0);
	vf_bar(f, sr0.cap, 0, 0x20000, FAKE_BAR_MEM64);
	return scan_and_find(S(3, 0, 0));
}

/*
 * Root port, switch upstream port, two downstream ports: the PF's port is
 * full and its sibling sits right above it, so the windows of all three
 * bridges on the path grow downward together.
 */
static void windows_grow_along_the_path_through_a_switch(void **state)
{
	(void)state;
	struct pci_dev *pf = switch_with_full_pf_port(0xfe1fffff);

	assert_int_equal(sriov_vf_enable(pf, 4), 0);
	assert_true(pci_find(S(3, 0, 1))->bars[0].addr == 0xfdf80000);
	assert_int_equal(mem_win_reg(S(2, 0, 0)), 0xfe00fdf0);
	assert_int_equal(mem_win_reg(S(1, 0, 0)), 0xfe10fdf0);
	assert_int_equal(mem_win_reg(RP), 0xfe10fdf0);
	assert_int_equal(mem_win_reg(S(2, 1, 0)), 0xfe10fe10);
	assert_int_equal(fake_log_count("bridge memory window grown to [0x00000000fdf00000-"), 3);
	assert_int_equal(fake_log_count(" ERR "), 0);
}

/*
 * The same switch, hemmed in: a root port right below, the sibling port
 * right above. Moving the root port's window would still leave the PF's
 * port unable to grow past its sibling: refused, and nothing moves.
 */
static void boxed_in_port_below_a_switch_is_refused_with_nothing_moved(void **state)
{
	(void)state;
	struct fake_fn *rp0 = topo_port(S(0, 1, 0), 4, 5, 5);
	mem_win(rp0, 0xfdf00000, 0xfdffffff);
	pref_closed(rp0);
	struct pci_dev *pf = switch_with_full_pf_port(0xfe2fffff);

	assert_int_equal(sriov_vf_enable(pf, 4), -HV_ENOMEM);
	assert_true(fake_log_has("no room for VF BAR0 (4 x 0x20000 bytes, 64-bit) even after moving bridge windows; no VFs enabled\n"));
	assert_int_equal(mem_win_reg(RP), 0xfe20fe00);
	assert_int_equal(mem_win_reg(S(1, 0, 0)), 0xfe20fe00);
	assert_int_equal(mem_win_reg(S(2, 0, 0)), 0xfe00fe00);
	assert_int_equal(fake_pci_r32(fake_pci_find(S(3, 0, 0)), 0x10), 0xfe000004);
	assert_int_equal(fake_log_count("bridge memory window"), 0);
}

/* igb on SeaBIOS: 64-bit prefetchable VF BARs, the root port's prefetchable window closed. */
static void closed_prefetchable_window_opens_above_4g(void **state)
{
	(void)state;
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 128, .stride_lo = 2, .split = 0xffff, .vf_class = CLASS_ETH };
	struct fake_fn *f = add_pf(PF, &sr0, 8, 0xfe000000);
	vf_bar(f, sr0.cap, 0, 0x4000, FAKE_BAR_MEM64 | FAKE_BAR_PREFETCH);
	vf_bar(f, sr0.cap, 3, 0x4000, FAKE_BAR_MEM64 | FAKE_BAR_PREFETCH);
	struct pci_dev *pf = scan_and_find(PF);

	assert_int_equal(sriov_vf_enable(pf, 2), 0);
	struct fake_fn *rp = fake_pci_find(RP);
	assert_int_equal(fake_pci_r32(rp, 0x24), 0x00010001);
	assert_int_equal(fake_pci_r32(rp, 0x28), 1);
	assert_int_equal(fake_pci_r32(rp, 0x2c), 1);
	assert_true(fake_log_has("0000:00:02.0: bridge prefetchable memory window opened at [0x0000000100000000-0x00000001000fffff] for VF BARs (firmware left no room)\n"));
	struct pci_dev *v2 = pci_find(S(1, 0x10, 2));
	assert_non_null(v2);
	assert_true(v2->bars[0].addr == 0x100004000ULL);
	assert_true(v2->bars[3].addr == 0x10000c000ULL);
	assert_int_equal(fake_pci_r32(f, sr0.cap + SRIOV_VF_BAR(3)), 0x0000800c);
	assert_int_equal(fake_pci_r32(f, sr0.cap + SRIOV_VF_BAR(4)), 1);
	assert_int_equal(mem_win_reg(RP), 0xfe00fe00);
}

/* OVMF leaves a 64-bit prefetchable window above 4 GiB: the VF BARs use its free space. */
static void prefetchable_vf_bars_use_free_space_of_an_open_64bit_window(void **state)
{
	(void)state;
	struct fake_fn *rp = root_port();
	pref_win(rp, 0x800000000ULL, 0x8001fffffULL);
	sr0 = (struct fake_sriov){ .off_lo = 128, .stride_lo = 2, .split = 0xffff };
	struct fake_fn *f = add_pf(PF, &sr0, 8, 0xfe000000);
	vf_bar(f, sr0.cap, 0, 0x4000, FAKE_BAR_MEM64 | FAKE_BAR_PREFETCH);
	struct pci_dev *pf = scan_and_find(PF);

	assert_true(pf->parent->pref_win.is64);
	assert_int_equal(sriov_vf_enable(pf, 8), 0);
	assert_true(pci_find(S(1, 0x10, 0))->bars[0].addr == 0x800000000ULL);
	assert_true(pci_find(S(1, 0x10, 0xe))->bars[0].addr == 0x80001c000ULL);
	assert_int_equal(fake_pci_r32(rp, 0x28), 8);
	assert_int_equal(fake_pci_r32(rp, 0x2c), 8);
	assert_int_equal(fake_log_count("window"), 0);
}

/* A bridge without a prefetchable window: prefetchable VF BARs go to the memory window. */
static void prefetchable_vf_bar_uses_the_memory_window_when_there_is_no_prefetchable_one(void **state)
{
	(void)state;
	struct fake_fn *rp = root_port();
	fake_pci_w32(rp, 0x24, 0);
	fake_pci_set_wmask(rp, 0x24, 4, 0);     /* not implemented: reads 0, writes drop */
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	struct fake_fn *f = add_pf(PF, &sr0, 2, 0xfe000000);
	vf_bar(f, sr0.cap, 0, 0x4000, FAKE_BAR_MEM64 | FAKE_BAR_PREFETCH);
	struct pci_dev *pf = scan_and_find(PF);

	assert_int_equal(sriov_vf_enable(pf, 2), 0);
	assert_true(pci_find(S(1, 0, 1))->bars[0].addr == 0xfe004000);
	assert_int_equal(fake_pci_r32(rp, 0x24), 0);
}

/* A PF on the root bus (no bridge, no window): VF BARs come straight from pci_space. */
static void root_bus_pf_takes_vf_bars_from_pci_space(void **state)
{
	(void)state;
	sr0 = (struct fake_sriov){ .off_lo = 8, .stride_lo = 1, .split = 0xffff };
	struct fake_fn *f = add_pf(S(0, 5, 0), &sr0, 3, 0xfe000000);
	fake_pci_w16(f, 0x42, 0x0092);          /* PCIe capability: RC integrated endpoint */
	struct pci_dev *pf = scan_and_find(S(0, 5, 0));
	assert_null(pf->parent);

	assert_int_equal(sriov_vf_enable(pf, 3), 0);
	assert_non_null(pci_find(S(0, 6, 0)));
	assert_non_null(pci_find(S(0, 6, 2)));
	/* 64-bit BAR, no bridge to hold it below 4 GiB: the 64-bit space first. */
	assert_true(pci_find(S(0, 6, 0))->bars[0].addr == 4 * GiB);
	assert_true(pci_find(S(0, 6, 2))->bars[0].addr == 4 * GiB + 0x8000);
	assert_int_equal(fake_pci_r32(f, sr0.cap + SRIOV_VF_BAR(1)), 1);
	assert_int_equal(fake_log_count(" ERR "), 0);
}

static void no_room_anywhere_is_refused_and_undone(void **state)
{
	(void)state;
	pci_space_reset();      /* nothing registered: no window may grow or move */
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	struct fake_fn *f = add_pf(PF, &sr0, 4, 0xfe000000);
	vf_bar(f, sr0.cap, 0, 0x100000, FAKE_BAR_MEM64);
	struct pci_dev *pf = scan_and_find(PF);

	assert_int_equal(sriov_vf_enable(pf, 4), -HV_ENOMEM);
	assert_true(fake_log_has("c0 ERR  pci: 0000:01:00.0: no room for VF BAR0 (4 x 0x100000 bytes, 64-bit) even after moving bridge windows; no VFs enabled\n"));
	assert_int_equal(fake_pci_r16(f, sr0.cap + SRIOV_NUM_VFS), 0);
	assert_int_equal(fake_pci_r32(f, sr0.cap + SRIOV_VF_BAR(0)), 0x4);
	assert_int_equal(mem_win_reg(RP), 0xfe00fe00);
	assert_false(fake_pci_r16(f, sr0.cap + SRIOV_CTRL) & SRIOV_CTRL_VFE);
}

/* ---- timing, disable, re-enable ---------------------------------------------- */

static void enable_waits_100_ms_on_the_clock_after_vf_enable(void **state)
{
	(void)state;
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	add_pf(PF, &sr0, 2, 0xfe000000);
	struct pci_dev *pf = scan_and_find(PF);

	assert_int_equal(sriov_vf_enable(pf, 2), 0);
	u64 waited = fake_time_ns - sr0.vfe_set_ns;
	assert_true(waited >= 100 * MS);
	assert_true(waited < 101 * MS);
	/* VF Enable and VF MSE in one write, after NumVFs (ctrl: ARI/MSE off, then VFE). */
	assert_int_equal(sr0.ctrl_writes, 2);
}

static void disable_removes_the_vfs_and_enable_works_again(void **state)
{
	(void)state;
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 128, .stride_lo = 2, .split = 0xffff };
	struct fake_fn *f = add_pf(PF, &sr0, 8, 0xfe000000);
	struct pci_dev *pf = scan_and_find(PF);
	u32 n = pci_nr_devs();

	assert_int_equal(sriov_vf_enable(pf, 2), 0);
	assert_int_equal(pci_nr_devs(), n + 2);
	u64 t0 = fake_time_ns;
	assert_int_equal(sriov_vf_disable(pf), 0);
	assert_true(fake_time_ns - t0 >= 1000 * MS);    /* 1.0 s after clearing VF Enable */
	assert_int_equal(pci_nr_devs(), n);
	assert_null(pci_find(S(1, 0x10, 0)));
	assert_null(fake_pci_find(S(1, 0x10, 0)));
	assert_false(fake_pci_r16(f, sr0.cap + SRIOV_CTRL) & (SRIOV_CTRL_VFE | SRIOV_CTRL_VF_MSE));
	assert_int_equal(fake_pci_r16(f, sr0.cap + SRIOV_NUM_VFS), 0);
	assert_false(pf->sriov.enabled);
	assert_true(fake_log_has("c0 INFO pci: 0000:01:00.0: disabled 2 VFs\n"));
	assert_int_equal(sriov_vf_disable(pf), 0);      /* nothing left to do */

	assert_int_equal(sriov_vf_enable(pf, 3), 0);
	assert_int_equal(pci_nr_devs(), n + 3);
	struct pci_dev *v3 = pci_find(S(1, 0x10, 4));
	assert_non_null(v3);
	assert_int_equal(v3->vf_index, 3);
	/* The VF BARs stayed where the first enable put them. */
	assert_true(pci_find(S(1, 0x10, 0))->bars[0].addr == 0xfe004000);
	assert_true(v3->bars[0].addr == 0xfe00c000);
	assert_int_equal(fake_log_count("enabled "), 2);
}

/* ---- sriov= ----------------------------------------------------------------- */

static void spec_enables_each_listed_pf(void **state)
{
	(void)state;
	root_port();
	struct fake_fn *rp2 = topo_port(S(0, 3, 0), 4, 2, 2);
	mem_win(rp2, 0xfe100000, 0xfe1fffff);
	pref_closed(rp2);
	sr0 = (struct fake_sriov){ .off_lo = 128, .stride_lo = 2, .split = 0xffff };
	sr1 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	add_pf(PF, &sr0, 8, 0xfe000000);
	add_pf(S(2, 0, 0), &sr1, 2, 0xfe100000);
	assert_true(pci_scan() > 0);

	assert_int_equal(sriov_apply_spec("01:00.0:2,0000:02:00.0:1"), 0);
	assert_non_null(pci_find(S(1, 0x10, 2)));
	assert_non_null(pci_find(S(2, 0, 1)));
	assert_true(pci_find(S(2, 0, 1))->bars[0].addr == 0xfe104000);
	assert_int_equal(fake_log_count(" WARN "), 0);
}

static void spec_with_bad_words_warns_and_counts_failures(void **state)
{
	(void)state;
	root_port();
	sr0 = (struct fake_sriov){ .off_lo = 1, .stride_lo = 1, .split = 0xffff };
	add_pf(PF, &sr0, 2, 0xfe000000);
	assert_true(pci_scan() > 0);

	assert_int_equal(sriov_apply_spec("01:00.0,01:00:2,01:00.8:1,01:20.0:1,1:00.0:x,01:00.0:0,"
					  "10000:01:00.0:1,1:2:3:4:5,zz,,01:00.0:2"), -HV_EINVAL);
	assert_int_equal(fake_log_count("sriov=: bad request"), 9);
	static const char *const bad[] = { "01:00.0", "01:00:2", "01:00.8:1", "01:20.0:1",
					   "1:00.0:x", "01:00.0:0", "10000:01:00.0:1", "1:2:3:4:5", "zz" };
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		char want[96];
		snprintf(want, sizeof(want), "c0 WARN pci: sriov=: bad request '%s' (use [SSSS:]BB:DD.F:N", bad[i]);
		if (!fake_log_has(want))
			fail_msg("no warning for '%s'", bad[i]);
	}
	/* The good one after them still went through. */
	assert_non_null(pci_find(S(1, 0, 2)));
	assert_int_equal(sriov_apply_spec("05:00.0:1"), -HV_EINVAL);
	assert_true(fake_log_has("c0 ERR  pci: sriov=: no function 0000:05:00.0 to enable VFs on\n"));
	assert_int_equal(sriov_apply_spec("01:00.0:1"), -HV_EINVAL);    /* already enabled */
	assert_int_equal(sriov_apply_spec(""), 0);
}

/* ---- pci_space ---------------------------------------------------------------- */

#define RAM(s, e, t)    { .base = (s), .size = (e) - (s), .type = (t) }

/* SeaBIOS e820 on q35 -m 4G (as in test_memmap), already normalised. */
static const struct memmap q35_4g = {
	.nr = 11,
	.e = {
		RAM(0x0000000000, 0x000009f000, BOOT_MEM_USABLE),
		RAM(0x000009fc00, 0x00000a0000, BOOT_MEM_RESERVED),
		RAM(0x00000f0000, 0x0000100000, BOOT_MEM_RESERVED),
		RAM(0x0000100000, 0x007ffe0000, BOOT_MEM_USABLE),
		RAM(0x007ffe0000, 0x0080000000, BOOT_MEM_RESERVED),
		RAM(0x00b0000000, 0x00c0000000, BOOT_MEM_RESERVED),     /* ECAM */
		RAM(0x00fed1c000, 0x00fed20000, BOOT_MEM_RESERVED),
		RAM(0x00feffc000, 0x00ff000000, BOOT_MEM_RESERVED),
		RAM(0x00fffc0000, 0x0100000000, BOOT_MEM_RESERVED),
		RAM(0x0100000000, 0x0180000000, BOOT_MEM_USABLE),
		RAM(0xfd00000000, 0x10000000000, BOOT_MEM_RESERVED),
	},
};

static void space_from_a_q35_memory_map(void **state)
{
	(void)state;
	struct pci_space_range r[PCI_SPACE_MAX_RANGES];

	assert_int_equal(log_set_levels("info,pci:debug"), 0);
	assert_int_equal(pci_space_from_memmap(&q35_4g, 40, r, ARRAY_SIZE(r)), 3);
	assert_true(r[0].base == 0x80000000 && r[0].size == 0x30000000 && !r[0].above_4g);
	assert_true(r[1].base == 0xc0000000 && r[1].size == 0x3ec00000 && !r[1].above_4g);
	/* From the 1 GiB boundary above RAM (6 GiB) to the direct map's end. */
	assert_true(r[2].base == 0x180000000ULL && r[2].size == 58 * GiB && r[2].above_4g);
	assert_true(fake_log_has("c0 DBG  pci: bus address space taken from the memory map, QEMU-grade: on real servers the host bridge's _CRS (DSDT) is the authority"));
	assert_int_equal(fake_log_count(" WARN "), 0);

	/* A CPU with 35 address bits: the 64-bit space ends at 32 GiB. */
	assert_int_equal(pci_space_from_memmap(&q35_4g, 35, r, ARRAY_SIZE(r)), 3);
	assert_true(r[2].base == 6 * GiB && r[2].size == 26 * GiB);
	/* No CPUID leaf: 36 bits, 64 GiB. */
	assert_int_equal(pci_space_from_memmap(&q35_4g, 0, r, ARRAY_SIZE(r)), 3);
	assert_true(r[2].size == 58 * GiB);
	/* A short table keeps what fits. */
	assert_int_equal(pci_space_from_memmap(&q35_4g, 40, r, 1), 1);
}

/* OVMF on q35 -m 1G: NVS right below the hole, flash MMIO above the IOAPIC. */
static void space_from_an_ovmf_memory_map_with_little_ram(void **state)
{
	(void)state;
	static const struct memmap ovmf = {
		.nr = 5,
		.e = {
			RAM(0x00000000, 0x000a0000, BOOT_MEM_USABLE),
			RAM(0x00100000, 0x3ff78000, BOOT_MEM_USABLE),
			RAM(0x3ff78000, 0x40000000, BOOT_MEM_NVS),
			RAM(0xb0000000, 0xc0000000, BOOT_MEM_RESERVED),
			RAM(0xffc00000, 0x100000000, BOOT_MEM_MMIO),
		},
	};
	struct pci_space_range r[PCI_SPACE_MAX_RANGES];

	assert_int_equal(pci_space_from_memmap(&ovmf, 39, r, ARRAY_SIZE(r)), 3);
	assert_true(r[0].base == 0x40000000 && r[0].size == 0x70000000);
	assert_true(r[1].base == 0xc0000000 && r[1].size == 0x3ec00000);
	assert_true(r[2].base == 4 * GiB && r[2].size == 60 * GiB);
	pci_space_reset();
	for (u32 i = 0; i < 3; i++)
		assert_int_equal(pci_space_add(r[i].base, r[i].size, r[i].above_4g), 0);
}

static void space_registration_checks_its_input(void **state)
{
	(void)state;
	pci_space_reset();
	assert_int_equal(pci_space_add(0xc0000000, 0, false), -HV_EINVAL);
	assert_int_equal(pci_space_add(0xf0000000, 0x20000000, false), -HV_EINVAL);  /* crosses 4 GiB */
	assert_int_equal(pci_space_add(0x80000000, 0x1000, true), -HV_EINVAL);       /* not above 4 GiB */
	assert_int_equal(pci_space_add(~0ULL - 10, 100, true), -HV_EINVAL);          /* wraps */
	assert_int_equal(pci_space_add(0xc0000000, 0x10000000, false), 0);
	assert_int_equal(pci_space_add(0xc8000000, 0x10000000, false), -HV_EEXIST);
	for (u32 i = 1; i < PCI_SPACE_MAX_RANGES; i++)
		assert_int_equal(pci_space_add(i * 16 * GiB, GiB, true), 0);
	assert_int_equal(pci_space_add(0x10000000, 0x1000, false), -HV_ENOMEM);
	assert_int_equal(pci_space_nr_ranges(), PCI_SPACE_MAX_RANGES);
	assert_true(pci_space_range_at(0)->base == 0xc0000000);
	assert_null(pci_space_range_at(PCI_SPACE_MAX_RANGES));
}

static void space_alloc_keeps_clear_of_bars_and_windows(void **state)
{
	(void)state;
	pci_space_reset();
	assert_int_equal(pci_space_add(0xfe000000, 0x400000, false), 0);
	assert_int_equal(pci_space_add(8 * GiB, GiB, true), 0);
	root_port();                                            /* window 0xfe000000, 1 MiB */
	struct fake_fn *ep = topo_ep(S(0, 4, 0), 0x8086, 0x10d3, 0);
	fake_pci_set_bar(ep, 0, 0xfe100000, 0x20000, 0);        /* a BAR on the root bus */
	assert_true(pci_scan() > 0);
	u64 a;

	assert_int_equal(pci_space_alloc(0x100000, 0x100000, false, &a), 0);
	assert_true(a == 0xfe200000);
	assert_int_equal(pci_space_alloc(0x1000, 0x1000, false, &a), 0);
	assert_true(a == 0xfe120000);
	assert_int_equal(pci_space_alloc(0x100000, 0x100000, true, &a), 0);
	assert_true(a == 8 * GiB);                              /* above 4 GiB first */
	assert_int_equal(pci_space_alloc(0x400000, 0x100000, false, &a), -HV_ENOMEM);
	assert_int_equal(pci_space_alloc(0x1000, 0x3000, false, &a), -HV_EINVAL);
	assert_true(pci_space_covers(0xfe000000, 0x400000));
	assert_false(pci_space_covers(0xfe000000, 0x400001));
	assert_true(pci_space_collides(0xfe0ff000, 0x1000, NULL, &a));
	assert_true(a == 0xfe100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(enable_creates_vfs_at_offset_and_stride_with_bars_in_the_window, setup),
		cmocka_unit_test_setup(offset_and_stride_are_read_after_numvfs_is_written, setup),
		cmocka_unit_test_setup(totalvfs_zero_is_refused_and_the_device_left_as_found, setup),
		cmocka_unit_test_setup(numvfs_above_totalvfs_is_refused, setup),
		cmocka_unit_test_setup(function_without_sriov_is_refused, setup),
		cmocka_unit_test_setup(vf_routing_ids_past_the_subordinate_bus_are_refused_and_undone, setup),
		cmocka_unit_test_setup(vf_routing_id_of_an_existing_function_is_refused, setup),
		cmocka_unit_test_setup(enabling_twice_is_refused, setup),
		cmocka_unit_test_setup(unsupported_4k_page_size_is_refused, setup),
		cmocka_unit_test_setup(io_vf_bar_is_refused, setup),
		cmocka_unit_test_setup(ari_capable_hierarchy_is_set_on_fn0_below_an_ari_forwarding_port, setup),
		cmocka_unit_test_setup(ari_capable_hierarchy_is_cleared_without_ari_forwarding, setup),
		cmocka_unit_test_setup(firmware_vf_bar_address_is_kept_when_it_fits_the_window, setup),
		cmocka_unit_test_setup(window_grows_when_its_free_space_is_too_small, setup),
		cmocka_unit_test_setup(window_moves_with_its_bars_when_it_cannot_grow, setup),
		cmocka_unit_test_setup(windows_grow_along_the_path_through_a_switch, setup),
		cmocka_unit_test_setup(boxed_in_port_below_a_switch_is_refused_with_nothing_moved, setup),
		cmocka_unit_test_setup(closed_prefetchable_window_opens_above_4g, setup),
		cmocka_unit_test_setup(prefetchable_vf_bars_use_free_space_of_an_open_64bit_window, setup),
		cmocka_unit_test_setup(prefetchable_vf_bar_uses_the_memory_window_when_there_is_no_prefetchable_one, setup),
		cmocka_unit_test_setup(root_bus_pf_takes_vf_bars_from_pci_space, setup),
		cmocka_unit_test_setup(no_room_anywhere_is_refused_and_undone, setup),
		cmocka_unit_test_setup(enable_waits_100_ms_on_the_clock_after_vf_enable, setup),
		cmocka_unit_test_setup(disable_removes_the_vfs_and_enable_works_again, setup),
		cmocka_unit_test_setup(spec_enables_each_listed_pf, setup),
		cmocka_unit_test_setup(spec_with_bad_words_warns_and_counts_failures, setup),
		cmocka_unit_test_setup(space_from_a_q35_memory_map, setup),
		cmocka_unit_test_setup(space_from_an_ovmf_memory_map_with_little_ram, setup),
		cmocka_unit_test_setup(space_registration_checks_its_input, setup),
		cmocka_unit_test_setup(space_alloc_keeps_clear_of_bars_and_windows, setup),
	};
	return cmocka_run_group_tests_name("sriov", tests, NULL, NULL);
}
