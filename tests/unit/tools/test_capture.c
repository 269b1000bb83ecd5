/*
 * Host tests for tools/capture.c: a capture directory written here is
 * loaded behind the PCI config door; BARs size from Linux's resource
 * lines, a PF's VFs appear with VF Enable at First VF Offset and VF Stride
 * with their captured (or a sibling's) config spaces and go with its
 * clearing, and a directory that is not a capture is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tools/capture.h"
#include "kernel/hw/pci_cfg.h"
#include "kernel/hw/mem.h"
#include "tests/fakes/fake_log.h"

#define PF              PCI_SBDF(0, 3, 0, 0)
#define SRIOV           0x100           /* the PF's SR-IOV capability */
#define VF_OFFSET       1
#define VF_STRIDE       2
#define TOTAL_VFS       3

static char dir[256];

static void put(const char *rel, const void *data, size_t n)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void puts_file(const char *rel, const char *text) { put(rel, text, strlen(text)); }

static void w16(u8 *c, u16 off, u16 v) { memcpy(c + off, &v, 2); }
static void w32(u8 *c, u16 off, u32 v) { memcpy(c + off, &v, 4); }

/* A PF with a 16 KiB 64-bit BAR0 and SR-IOV (3 VFs, offset 1, stride 2, 16 KiB VF BAR0), VF 1 captured. */
static void write_capture(void)
{
	static u8 pf[4096], vf[4096];
	memset(pf, 0, sizeof(pf));
	w16(pf, 0x00, 0x8086);
	w16(pf, 0x02, 0x1234);
	w32(pf, 0x08, 0x02000001);
	w32(pf, 0x10, 0xfe400004);                      /* BAR0: 64-bit memory */
	w32(pf, SRIOV, 0x0010 | 1u << 16);              /* SR-IOV, version 1, last */
	w16(pf, SRIOV + 0x08, 0x0001);                  /* VF Enable left on by Linux */
	w16(pf, SRIOV + 0x0e, TOTAL_VFS);
	w16(pf, SRIOV + 0x10, TOTAL_VFS);
	w16(pf, SRIOV + 0x14, VF_OFFSET);
	w16(pf, SRIOV + 0x16, VF_STRIDE);
	w16(pf, SRIOV + 0x1a, 0x5678);
	w32(pf, SRIOV + 0x1c, 0x553);
	w32(pf, SRIOV + 0x24, 0xfe500004);              /* VF BAR0, 64-bit */
	memset(vf, 0xff, 4);
	w32(vf, 0x08, 0x02000001);
	w32(vf, 0x100, 0x000e | 1u << 16);              /* ARI only */

	puts_file("header", "sluice-capture 1\ndate 2026-01-01T00:00:00Z\n");
	put("pci/0000:03:00.0/config", pf, sizeof(pf));
	puts_file("pci/0000:03:00.0/resource",
		  "0x00000000fe400000 0x00000000fe403fff 0x0000000000140204\n"
		  "0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n"
		  "0x00000000fe500000 0x00000000fe50bfff 0x0000000000140204\n");
	put("pci/0000:03:00.1/config", vf, sizeof(vf));
	puts_file("pci/0000:03:00.1/physfn", "0000:03:00.0\n");
	puts_file("memmap", "0x0 0x9fbff System RAM\n0x100000 0x1fffffff System RAM\n0xb0000000 0xbfffffff Reserved\n");
	puts_file("cpuinfo", "vendor GenuineIntel\ncpus 4\nphysical-address-bits 46\nflags fpu\n");
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_capture.XXXXXX");
	assert_non_null(mkdtemp(dir));
	write_capture();
	fake_log_capture();
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void functions_memory_and_cpus_are_loaded(void **state)
{
	struct capture c;
	(void)state;
	assert_int_equal(capture_load(dir, &c, false), 0);
	assert_int_equal(c.nr_fns, 1);
	assert_int_equal(c.nr_vfs, 1);
	assert_int_equal(c.nr_cpus, 4);
	assert_int_equal(c.phys_bits, 46);
	assert_int_equal(c.nr_mmap, 3);
	assert_int_equal(c.mmap[1].type, BOOT_MEM_USABLE);
	assert_int_equal(c.mmap[2].type, BOOT_MEM_RESERVED);
	assert_int_equal(pci_cfg_read(PF, 0x00, 4), 0x12348086);
	/* A VF is not a function at boot, and the PF's VFs are off as a fresh boot finds them. */
	assert_int_equal(pci_cfg_read(PCI_SBDF(0, 3, 0, 1), 0x08, 4), 0xffffffff);
	assert_int_equal(pci_cfg_read(PF, SRIOV + 0x08, 2) & 1, 0);
	assert_int_equal(pci_cfg_read(PF, SRIOV + 0x10, 2), 0);
	/* RAM stands behind the direct map, for the memory the config claims. */
	assert_non_null(phys_to_virt(0x1000000, 0x1000));
	assert_null(phys_to_virt(0xb0000000, 0x1000));
}

static void bars_size_from_the_resource_lines(void **state)
{
	struct capture c;
	(void)state;
	assert_int_equal(capture_load(dir, &c, false), 0);
	pci_cfg_write(PF, 0x10, 4, ~0u);
	pci_cfg_write(PF, 0x14, 4, ~0u);
	assert_int_equal(pci_cfg_read(PF, 0x10, 4), 0xffffc004);       /* 16 KiB, 64-bit */
	assert_int_equal(pci_cfg_read(PF, 0x14, 4), 0xffffffff);
	/* VF BAR0: 48 KiB for 3 VFs is 16 KiB each. */
	pci_cfg_write(PF, SRIOV + 0x24, 4, ~0u);
	assert_int_equal(pci_cfg_read(PF, SRIOV + 0x24, 4), 0xffffc004);
	/* A register no resource line sizes reads as unimplemented. */
	assert_int_equal(pci_cfg_read(PF, 0x18, 4), 0);
}

static void vf_enable_brings_the_vfs_and_clearing_removes_them(void **state)
{
	struct capture c;
	(void)state;
	assert_int_equal(capture_load(dir, &c, false), 0);
	pci_cfg_write(PF, SRIOV + 0x10, 2, 2);
	pci_cfg_write(PF, SRIOV + 0x08, 2, 0x0009);     /* VF Enable, VF MSE */
	u32 vf1 = PCI_SBDF(0, 3, 0, 1), vf2 = PCI_SBDF(0, 3, 0, 3);
	assert_int_equal(pci_cfg_read(vf1, 0x00, 4), 0xffffffff);      /* a VF's IDs read all-ones */
	assert_int_equal(pci_cfg_read(vf1, 0x08, 4), 0x02000001);
	assert_int_equal(pci_cfg_read(vf1, 0x100, 4), 0x0001000e);
	assert_int_equal(pci_cfg_read(vf2, 0x100, 4), 0x0001000e);     /* VF 2 not captured: VF 1's */
	assert_int_equal(capture_vfs_synthesized(), 1);
	assert_int_equal(pci_cfg_read(PCI_SBDF(0, 3, 0, 5), 0x08, 4), 0xffffffff);
	pci_cfg_write(PF, SRIOV + 0x08, 2, 0);
	assert_int_equal(pci_cfg_read(vf1, 0x08, 4), 0xffffffff);
	assert_int_equal(pci_cfg_read(vf2, 0x08, 4), 0xffffffff);
}

static void vf_bars_unassigned_clears_linux_addresses(void **state)
{
	struct capture c;
	(void)state;
	assert_int_equal(capture_load(dir, &c, true), 0);
	assert_int_equal(pci_cfg_read(PF, SRIOV + 0x24, 4), 0x4);
	assert_int_equal(pci_cfg_read(PF, 0x10, 4), 0xfe400004);       /* the PF's own BAR stays */
}

static void not_a_capture_is_refused(void **state)
{
	struct capture c;
	(void)state;
	puts_file("header", "sluice-capture 2\n");
	assert_int_equal(capture_load(dir, &c, false), -1);
	puts_file("header", "sluice-capture 1\n");
	puts_file("pci/0000:03:00.0/config", "short");
	assert_int_equal(capture_load(dir, &c, false), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(functions_memory_and_cpus_are_loaded, setup, teardown),
		cmocka_unit_test_setup_teardown(bars_size_from_the_resource_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(vf_enable_brings_the_vfs_and_clearing_removes_them, setup, teardown),
		cmocka_unit_test_setup_teardown(vf_bars_unassigned_clears_linux_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(not_a_capture_is_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
