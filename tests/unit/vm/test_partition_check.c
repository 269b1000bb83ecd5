/*
 * Host tests for vm/config/partition_check.c: what each key of sluice.conf may
 * say, and every cross-check (overlapping memory, Sluice's own memory,
 * firmware ranges, devices absent, assigned twice, bridges, split
 * isolation groups), each one ERR line naming sluice.conf:LINE, and
 * nothing claimed or programmed when there is any error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "vm/config/partition_cfg.h"
#include "kernel/err.h"
#include "pci/nvme_hw.h"
#include "tests/unit/vm/vm_fixture.h"

static int setup(void **state)
{
	(void)state;
	vm_fixture_reset();
	return 0;
}

/*
 * text is refused with exactly one problem, whose line contains want;
 * nothing is claimed or programmed, and translation goes on with no
 * partition, so every device's DMA is blocked.
 */
static void refused(const char *text, const char *want)
{
	u64 free_before = page_alloc_free_pages();

	fake_log_capture();
	memset(&fio, 0, sizeof(fio));
	assert_int_equal(vm_setup(text, &fake_iommu_ops), -HV_EINVAL);
	if (!fake_log_has(want))
		fail_msg("wanted '%s' in:\n%s", want, fake_log_text());
	if (vm_conf.nr_errors != 1)
		fail_msg("wanted one error, got %u:\n%s", vm_conf.nr_errors, fake_log_text());
	assert_true(fake_log_has("sluice.conf: 1 error(s); no partition set up, nothing programmed"));
	assert_int_equal(vm_set.nr, 0);
	assert_string_equal(fio.calls, "enable;");
	assert_true(page_alloc_free_pages() == free_before);
}

static void worked_example_is_accepted(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), &fake_iommu_ops), 0);
	assert_false(fake_log_has(" ERR "));
	assert_true(vm_set.iommu);
	assert_int_equal(vm_set.nr, 2);
	const struct partition_cfg *p1 = &vm_set.d[0], *p2 = &vm_set.d[1];
	assert_string_equal(p1->name, "p1");
	assert_int_equal(p1->line, 4);
	assert_false(p1->guest);
	assert_int_equal(p1->nr_regions, 2);
	assert_true(p1->regions[0].gpa == 0x90000000 && p1->regions[0].hpa == 0x90000000);
	assert_true(p1->regions[0].size == 1 * MiB && p1->regions[0].hpa_fixed);
	assert_int_equal(p1->regions[0].prot, IOMMU_READ | IOMMU_WRITE);
	assert_int_equal(p1->regions[0].line, 5);
	assert_int_equal(p1->regions[1].prot, IOMMU_READ);
	assert_false(p1->regions[1].hpa_fixed);
	assert_int_equal(p1->nr_devices, 1);
	assert_int_equal(p1->devices[0].sbdf, EDU1);
	assert_int_equal(p1->devices[0].line, 7);
	assert_true(p2->regions[0].hpa == 0xa0000000);
	assert_int_equal(p2->devices[0].sbdf, EDU2);
}

static void sluice_section_defaults_and_values(void **state)
{
	(void)state;
	assert_int_equal(vm_setup("# nothing at all\n", &fake_iommu_ops), 0);
	assert_true(vm_set.iommu);
	assert_int_equal(vm_setup("[sluice]\niommu = off\n", NULL), 0);
	assert_false(vm_set.iommu);
	refused("[sluice]\niommu = maybe\n", "sluice.conf:2: iommu = maybe: use on or off");
	refused("[sluice]\niommu = on\niommu = off\n", "sluice.conf:3: iommu given twice (first at line 2)");
	refused("[sluice]\nioomu = on\n", "sluice.conf:2: unknown key 'ioomu' in [sluice] (known: iommu, devtlb-timeout-ms, dma-fault-limit, unsafe-interrupts, attack-test, attack-witness)");
	refused("[sluice \"x\"]\n", "sluice.conf:1: [sluice] takes no name");
	refused("[sluice]\ndevtlb-timeout-ms = 0\n",
		"sluice.conf:2: devtlb-timeout-ms = 0: milliseconds from 1 to 90000 (PCIe's limit)");
	refused("[sluice]\ndevtlb-timeout-ms = 90001\n", "devtlb-timeout-ms = 90001: milliseconds from 1 to 90000");
	assert_int_equal(vm_setup("# nothing\n", &fake_iommu_ops), 0);
	assert_int_equal(vm_set.devtlb_timeout_ms, 0);          /* the driver's default */
	assert_int_equal(vm_setup("[sluice]\ndevtlb-timeout-ms = 250\n", &fake_iommu_ops), 0);
	assert_int_equal(vm_set.devtlb_timeout_ms, 250);
}

static void unknown_sections_and_keys_are_errors(void **state)
{
	(void)state;
	refused("[guest \"g\"]\n", "sluice.conf:1: unknown section [guest]");
	refused("[partition \"p1\"]\nmemroy = gpa=0 size=4K\n",
		"sluice.conf:2: unknown key 'memroy' in [partition \"p1\"]");
	refused("[partition]\n", "sluice.conf:1: [partition] needs a name");
	refused("[partition \"p 1\"]\n", "sluice.conf:1: partition name 'p 1': use letters, digits");
}

static void memory_values_are_checked_one_by_one(void **state)
{
	(void)state;
#define P1 "[partition \"p1\"]\n"
	refused(P1 "memory = gpa=0x90000000\n", "sluice.conf:2: memory: needs gpa= and size=");
	refused(P1 "memory = gpa=0 size=4K hpq=0\n", "sluice.conf:2: memory: unknown field 'hpq'");
	refused(P1 "memory = gpa=0 size=4K gpa=0\n", "sluice.conf:2: memory: gpa given twice");
	refused(P1 "memory = gpa=0x9z size=4K\n", "sluice.conf:2: memory: gpa=0x9z is not a number");
	refused(P1 "memory = gpa=0 size=99999999999999999999\n", "memory: size=99999999999999999999 is too large");
	refused(P1 "memory = gpa 0 size=4K\n", "sluice.conf:2: memory: 'gpa' is not field=value");
	refused(P1 "memory = gpa= size=4K\n", "memory: 'gpa=' is not field=value");
	refused(P1 "memory = gpa=0x10 size=4K\n", "sluice.conf:2: memory: gpa, hpa and size must be multiples of 4 KiB");
	refused(P1 "memory = gpa=0 size=0x1800\n", "multiples of 4 KiB");
	refused(P1 "memory = gpa=0 size=0\n", "multiples of 4 KiB, size not 0");
	refused(P1 "memory = gpa=0 size=4K hpa=0x90000800\n", "multiples of 4 KiB");
	refused(P1 "memory = gpa=0xffffffff0000 size=128K\n", "sluice.conf:2: memory: gpa range ends past 2^48");
	refused(P1 "memory = gpa=0 size=8K hpa=0xfffffffffffff000\n",
		"sluice.conf:2: memory: hpa=0xfffffffffffff000 size=0x2000: the range wraps past 2^64");
	refused(P1 "memory = gpa=0 size=4K access=w\n", "sluice.conf:2: memory: access=w: use r or rw");
	/* Suffixes, underscores and field order are free. */
	assert_int_equal(vm_setup(P1 "memory = size=2M  access=rw gpa=0x9000_0000 hpa=0x90000000\n",
				  &fake_iommu_ops), 0);
	assert_true(vm_set.d[0].regions[0].size == 2 * MiB && vm_set.d[0].regions[0].gpa == 0x90000000);
}

static void overlapping_gpas_in_one_partition_are_refused(void **state)
{
	(void)state;
	refused(P1 "memory = gpa=0x1000000 size=1M\nmemory = gpa=0x10ff000 size=4K\n",
		"sluice.conf:3: memory: gpa [0x00000000010ff000-0x00000000010fffff] overlaps line 2 of partition p1");
	/* The same GPA in two partitions is the whole point: fine. */
	assert_int_equal(vm_setup(WORKED_EXAMPLE("on"), &fake_iommu_ops), 0);
}

static void the_same_hpa_in_two_partitions_is_refused(void **state)
{
	(void)state;
	refused(P1 "memory = gpa=0 size=1M hpa=0x90000000\n"
		"[partition \"p2\"]\nmemory = gpa=0 size=4K hpa=0x900ff000\n",
		"sluice.conf:4: memory: hpa [0x00000000900ff000-0x00000000900fffff] overlaps partition p1's memory (line 2)");
	/* Within one partition too: two GPAs may not alias one HPA. */
	refused(P1 "memory = gpa=0 size=8K hpa=0x90000000\nmemory = gpa=0x100000 size=4K hpa=0x90001000\n",
		"sluice.conf:3: memory: hpa [0x0000000090001000-0x0000000090001fff] overlaps partition p1's memory (line 2)");
}

static void hpas_sluice_or_firmware_own_are_refused(void **state)
{
	(void)state;
	refused(P1 "memory = gpa=0 size=4K hpa=0x800ff000\n",
		"sluice.conf:2: memory: hpa [0x00000000800ff000-0x00000000800fffff] overlaps Sluice's own memory");
	refused(P1 "memory = gpa=0 size=2M hpa=0x80300000\n",
		"sluice.conf:2: memory: hpa [0x0000000080300000-0x00000000804fffff] is not RAM: it overlaps reserved range [0x0000000080400000-0x00000000804fffff]");
	refused(P1 "memory = gpa=0 size=1M hpa=0x90380000\n",
		"sluice.conf:2: memory: hpa [0x0000000090380000-0x000000009047ffff] is not RAM: 0x0000000090400000 is in no memory map entry");
	refused(P1 "memory = gpa=0 size=4K hpa=0x1000000000\n", "is not RAM: 0x0000001000000000 is in no memory map entry");
	/* A page something else took after boot (here: claimed by hand). */
	assert_int_equal(page_alloc_fixed(0xa0000000, 1), 0);
	refused(P1 "memory = gpa=0 size=4K hpa=0xa0000000\n", "overlaps Sluice's own memory");
}

static void devices_are_checked_against_the_pci_tree(void **state)
{
	(void)state;
	refused(P1 "device = 00:09.0\n", "sluice.conf:2: device 0000:00:09.0 is not in the PCI tree");
	refused(P1 "device = 0001:00:03.0\n", "device 0001:00:03.0 is not in the PCI tree");
	refused(P1 "device = 00:03.0\n[partition \"p2\"]\ndevice = 00:03.0\n",
		"sluice.conf:4: device 00:03.0 is already assigned (partition p1, line 2)");
	refused(P1 "device = 00:03.0\ndevice = 0000:00:03.0\n",
		"sluice.conf:3: device 00:03.0 is already assigned (partition p1, line 2)");
	refused(P1 "device = 00:02.0\n", "sluice.conf:2: device 00:02.0 is a bridge; assign the functions below it");
	refused(P1 "device = 00:05.0\n[partition \"p2\"]\ndevice = 00:05.1\n",
		"sluice.conf:4: device 00:05.1 shares isolation group");
	/* A whole group in one partition, and a function behind a root port: fine. */
	assert_int_equal(vm_setup(P1 "device = 00:05.0\ndevice = 00:05.1\ndevice = 01:00.0\n", &fake_iommu_ops), 0);
	assert_int_equal(vm_set.d[0].nr_devices, 3);
	assert_int_equal(vm_set.d[0].devices[2].sbdf, BEHIND_PORT);
}

static void device_addresses_are_parsed_strictly(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"3.0", "00:3", "00:20.0", "00:03.8", "000:00:03.0x", "10000:00:03.0", "00:03.", ":03.0",
		"00:03.0.1", "0:0:0:0.0", "g0:03.0",
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[96], want[96];
		snprintf(text, sizeof(text), P1 "device = %s\n", bad[i]);
		snprintf(want, sizeof(want), "sluice.conf:2: device: '%s' is not [SSSS:]BB:DD.F (hex)", bad[i]);
		refused(text, want);
	}
	refused(P1 "device = 00:03.0/vf1\n", "sluice.conf:2: device 00:03.0/vf1: 00:03.0 has no SR-IOV capability");
	refused(P1 "device = 00:03.0 ats=off\n",
		"sluice.conf:2: device: option 'ats=off' is not supported (known: rmrr=identity, ats=on, each once)");
	refused(P1 "device = 00:03.0 ats=on ats=on\n", "option 'ats=on' is not supported");
	refused(P1 "device = 00:03.0 rmrr=identity rmrr=identity\n", "option 'rmrr=identity' is not supported");
	assert_int_equal(vm_setup(P1 "device = 0000:00:03.0\n", &fake_iommu_ops), 0);
	assert_int_equal(vm_set.d[0].devices[0].sbdf, EDU1);
	assert_false(vm_set.d[0].devices[0].ats);
}

/* A device firmware DMAs to (an RMRR) only with rmrr=identity, and then mapped 1:1. */
static void rmrr_devices_need_rmrr_identity(void **state)
{
	(void)state;
	vm_rmrr(MF0, 0x80400000, 0x80400fff);  /* in the fixture's reserved hole */
	vm_rmrr(MF1, 0x80440000, 0x80440fff);  /* another function's: not MF0's business */
	vm_rmrr(MF0, 0x80480800, 0x80481000);  /* not page-aligned: rounded outward */
	refused(P1 "device = 00:05.0\n",
		"sluice.conf:2: device 00:05.0 has an RMRR [0x0000000080400000-0x0000000080400fff] firmware may DMA to; assignable only with rmrr=identity");
	refused(P1 "device = 00:03.0 rmrr=identity\n", "sluice.conf:2: device 00:03.0: rmrr=identity, but no RMRR names it");
	refused(P1 "memory = gpa=0x80400000 size=4K\ndevice = 00:05.0 rmrr=identity\n",
		"sluice.conf:3: device: its RMRR: gpa [0x0000000080400000-0x0000000080400fff] overlaps line 2 of partition p1");
	assert_int_equal(vm_setup(P1 "device = 00:05.0 rmrr=identity\n", &fake_iommu_ops), 0);
	const struct partition_cfg *d = &vm_set.d[0];
	assert_int_equal(d->nr_regions, 2);
	assert_true(d->regions[0].rmrr && d->regions[0].gpa == 0x80400000 && d->regions[0].hpa == 0x80400000);
	assert_true(d->regions[0].size == PAGE_SIZE && d->regions[0].prot == (IOMMU_READ | IOMMU_WRITE));
	assert_true(d->regions[1].gpa == 0x80480000 && d->regions[1].size == 2 * PAGE_SIZE);
	assert_int_equal(d->regions[1].line, 2);
	/* Firmware's memory: mapped, never claimed or zeroed. */
	assert_false(d->regions[0].claimed);
	assert_non_null(strstr(fio.calls, "map p1 0x80400000 0x80400000 0x1000 rw;map p1 0x80480000 0x80480000 0x2000 rw;"));
	assert_true(fake_log_has("INFO part: p1: memory gpa [0x0000000080400000-0x0000000080400fff] -> hpa (the same) rw: RMRR, firmware's\n"));
}

#define G1 P1 "memory = gpa=0x0 size=16K\n"

static void guest_keys_are_checked(void **state)
{
	(void)state;
	refused(P1 "cpus = 1\n", "sluice.conf:1: partition p1: cpus and image go together");
	refused(P1 "image = edu-dma\n", "cpus and image go together");
	refused(G1 "cpus = 1,x\nimage = a\n", "sluice.conf:3: cpus: 'x' is not a CPU index (decimal, 0-255)");
	refused(G1 "cpus = 256\nimage = a\n", "cpus: '256' is not a CPU index");
	refused(G1 "cpus = 1\nimage = a\ncpus = 2\n", "sluice.conf:5: cpus given twice (first at line 3)");
	refused(G1 "cpus = 1\nimage = a\n[partition \"p2\"]\nmemory = gpa=0x0 size=16K\ncpus = 2, 1\nimage = b\n",
		"sluice.conf:7: cpus: CPU 1 is already partition p1's (line 3)");
	refused(G1 "cpus = 1,1\nimage = a\n", "CPU 1 is already partition p1's (line 3)");
	refused(G1 "cpus = 1\nimage = a\nentry = pe\n", "sluice.conf:5: entry = pe: use elf64, multiboot or linux");
	refused(P1 "entry = elf64\n", "sluice.conf:2: partition p1: entry without image");
	refused(P1 "on-fault = reboot\n", "sluice.conf:2: on-fault = reboot: use park or stop");
	/* A guest partition with cpus, memory, image, entry and on-fault together. */
	assert_int_equal(vm_setup(P1 "cpus = 1, 2\nmemory = gpa=0x0 size=16K\nimage = edu-dma\nentry = multiboot\n"
				  "on-fault = stop\n", &fake_iommu_ops), 0);
	const struct partition_cfg *d = &vm_set.d[0];
	assert_true(d->guest);
	assert_int_equal(d->nr_cpus, 2);
	assert_int_equal(d->cpus[0], 1);
	assert_int_equal(d->cpus[1], 2);
	assert_string_equal(d->image, "edu-dma");
	assert_int_equal(d->image_line, 4);
	assert_int_equal(d->entry, GUEST_ENTRY_MULTIBOOT);
	assert_int_equal(d->on_fault, FAULT_STOP);
	/* The defaults: elf64, park. */
	assert_int_equal(vm_setup(P1 "cpus = 1\nmemory = gpa=0x0 size=16K\nimage = hello\n", &fake_iommu_ops), 0);
	assert_int_equal(vm_set.d[0].entry, GUEST_ENTRY_ELF64);
	assert_int_equal(vm_set.d[0].on_fault, FAULT_PARK);
}

/*
 * A guest may own an MSI-capable function (edu has MSI) only where Sluice
 * can remap its interrupts: the DMAR declares INTR_REMAP without
 * X2APIC_OPT_OUT, with iommu = on. Otherwise the device line is an error,
 * unless [sluice] unsafe-interrupts = on (a WARN). Partitions without a
 * guest (Sluice drives their device) are not concerned.
 */
static void msi_devices_need_interrupt_remapping(void **state)
{
	(void)state;
	const char *guest = G1 "cpus = 1\nimage = edu-dma\ndevice = 00:03.0\n";

	/* QEMU's edu has an MSI capability (64-bit, one vector). */
	fake_pci_add_cap(fake_pci_find(EDU1), PCI_CAP_ID_MSI, 0x14);
	pci_reset();
	pci_add_host_bridge(0, 0x00, 0xff);
	assert_true(pci_scan() > 0);
	assert_true(pci_find(EDU1)->cap_msi);
	assert_int_equal(vm_setup(guest, &fake_iommu_ops), 0);
	vm_dmar.flags = 0;
	refused(guest, "sluice.conf:5: device 00:03.0 (partition p1) can send MSIs, and Sluice cannot remap interrupts here (the DMAR does not declare interrupt remapping (INTR_REMAP clear)); assign it to no guest, or set [sluice] unsafe-interrupts = on");
	vm_dmar.flags = ACPI_DMAR_INTR_REMAP | ACPI_DMAR_X2APIC_OPT_OUT;
	refused(guest, "sluice.conf:5: device 00:03.0 (partition p1) can send MSIs, and Sluice cannot remap interrupts here (the DMAR sets X2APIC_OPT_OUT");
	/* Sluice's own demo partition: no guest owns the device. */
	assert_int_equal(vm_setup(G1 "device = 00:03.0\n", &fake_iommu_ops), 0);
	/* The escape hatch, said as a WARN naming its line. */
	fake_log_capture();
	assert_int_equal(vm_setup("[sluice]\nunsafe-interrupts = on\n" G1 "cpus = 1\nimage = edu-dma\ndevice = 00:03.0\n",
				  &fake_iommu_ops), 0);
	assert_true(vm_set.unsafe_interrupts);
	assert_true(fake_log_has("WARN part: sluice.conf:2: unsafe-interrupts = on: guests own MSI-capable devices though Sluice cannot remap their interrupts (the DMAR sets X2APIC_OPT_OUT"));
	refused("[sluice]\nunsafe-interrupts = maybe\n", "sluice.conf:2: unsafe-interrupts = maybe");
	/* With remapping there, the key changes nothing and says so. */
	vm_dmar.flags = ACPI_DMAR_INTR_REMAP;
	fake_log_capture();
	assert_int_equal(vm_setup("[sluice]\nunsafe-interrupts = on\n", &fake_iommu_ops), 0);
	assert_true(fake_log_has("INFO part: sluice.conf:2: unsafe-interrupts = on changes nothing: Sluice remaps device interrupts here"));
}

/* args = STRING reaches the partition whole (up to the value limit); once, and only with an image. */
static void args_key_is_copied_once_and_needs_an_image(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = hello\nargs = msi init=cpu2  x\n", &fake_iommu_ops), 0);
	assert_string_equal(vm_set.d[0].args, "msi init=cpu2  x");
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = hello\n", &fake_iommu_ops), 0);
	assert_string_equal(vm_set.d[0].args, "");
	char text[512], want[CONFIG_VALUE_LEN];
	memset(want, 'a', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	snprintf(text, sizeof(text), G1 "cpus = 1\nimage = hello\nargs = %s\n", want);
	assert_int_equal(vm_setup(text, &fake_iommu_ops), 0);
	assert_string_equal(vm_set.d[0].args, want);
	refused(G1 "cpus = 1\nimage = hello\nargs = a\nargs = b\n", "sluice.conf:6: args given twice (first at line 5)");
	refused(P1 "args = dma\n", "sluice.conf:2: partition p1: args without image");
}

/* fw-cfg = on|off: on by default, once, and only with an image. */
static void fw_cfg_key_is_on_by_default_and_needs_an_image(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = hello\n", &fake_iommu_ops), 0);
	assert_true(vm_set.d[0].fw_cfg);
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = hello\nfw-cfg = off\n", &fake_iommu_ops), 0);
	assert_false(vm_set.d[0].fw_cfg);
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = hello\nfw-cfg = on\n", &fake_iommu_ops), 0);
	assert_true(vm_set.d[0].fw_cfg);
	refused(G1 "cpus = 1\nimage = hello\nfw-cfg = no\n", "sluice.conf:5: fw-cfg = no: use on or off");
	refused(G1 "cpus = 1\nimage = hello\nfw-cfg = on\nfw-cfg = off\n", "sluice.conf:6: fw-cfg given twice (first at line 5)");
	refused(P1 "fw-cfg = off\n", "sluice.conf:2: partition p1: fw-cfg without image (only a guest reads fw_cfg)");
}

/* legacy-pic = on|off: on by default for multiboot, off for elf64, once, and only with an image. */
static void legacy_pic_key_defaults_by_entry_and_needs_an_image(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = hello\n", &fake_iommu_ops), 0);
	assert_false(vm_set.d[0].legacy_pic);
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = k\nentry = multiboot\n", &fake_iommu_ops), 0);
	assert_true(vm_set.d[0].legacy_pic);
	/* The key may come before the entry it defaults by. */
	assert_int_equal(vm_setup(G1 "cpus = 1\nlegacy-pic = off\nimage = k\nentry = multiboot\n", &fake_iommu_ops), 0);
	assert_false(vm_set.d[0].legacy_pic);
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = hello\nlegacy-pic = on\n", &fake_iommu_ops), 0);
	assert_true(vm_set.d[0].legacy_pic);
	refused(G1 "cpus = 1\nimage = hello\nlegacy-pic = yes\n", "sluice.conf:5: legacy-pic = yes: use on or off");
	refused(G1 "cpus = 1\nimage = hello\nlegacy-pic = on\nlegacy-pic = off\n", "sluice.conf:6: legacy-pic given twice (first at line 5)");
	refused(P1 "legacy-pic = on\n", "sluice.conf:2: partition p1: legacy-pic without image (only a guest has a PIC)");
}

/* paravirt = pv-eoi|off: off by default, once, a clear error for any other word, only with an image. */
static void paravirt_key_takes_pv_eoi_or_off(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = hello\n", &fake_iommu_ops), 0);
	assert_false(vm_set.d[0].pv_eoi);
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = hello\nparavirt = pv-eoi\n", &fake_iommu_ops), 0);
	assert_true(vm_set.d[0].pv_eoi);
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = hello\nparavirt = off\n", &fake_iommu_ops), 0);
	assert_false(vm_set.d[0].pv_eoi);
	refused(G1 "cpus = 1\nimage = hello\nparavirt = kvmclock\n",
		"sluice.conf:5: paravirt = kvmclock: use pv-eoi (KVM's paravirtual EOI) or off");
	refused(G1 "cpus = 1\nimage = hello\nparavirt = pv-eoi\nparavirt = off\n", "sluice.conf:6: paravirt given twice (first at line 5)");
	refused(P1 "paravirt = pv-eoi\n", "sluice.conf:2: partition p1: paravirt without image (only a guest has a CPU to see it)");
}

/* cmdline and module = NAME [ARGS]: Multiboot guests only; modules in order, up to PART_MAX_MODULES, each a boot module. */
static void cmdline_and_module_keys_are_for_multiboot_guests(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = k\nentry = multiboot\ncmdline = -v  a=b\nmodule = env\nmodule = initrd x y\n",
				  &fake_iommu_ops), 0);
	assert_string_equal(vm_set.d[0].cmdline, "-v  a=b");
	assert_int_equal(vm_set.d[0].nr_modules, 2);
	assert_string_equal(vm_set.d[0].modules[0].name, "env");
	assert_string_equal(vm_set.d[0].modules[0].string, "env");
	assert_int_equal(vm_set.d[0].modules[0].line, 7);
	assert_string_equal(vm_set.d[0].modules[1].name, "initrd");
	assert_string_equal(vm_set.d[0].modules[1].string, "initrd x y");
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = k\nentry = multiboot\n", &fake_iommu_ops), 0);
	assert_string_equal(vm_set.d[0].cmdline, "");
	assert_int_equal(vm_set.d[0].nr_modules, 0);
	refused(G1 "cpus = 1\nimage = k\nentry = multiboot\ncmdline = a\ncmdline = b\n", "sluice.conf:7: cmdline given twice (first at line 6)");
	refused(G1 "cpus = 1\nimage = hello\ncmdline = a\n",
		"sluice.conf:5: partition p1: cmdline needs image with entry = multiboot or linux (an elf64 guest takes args)");
	refused(G1 "cpus = 1\nimage = hello\nmodule = env\n",
		"sluice.conf:5: partition p1: module needs image with entry = multiboot (an elf64 guest takes none)");
	refused(P1 "cmdline = x\n", "sluice.conf:2: partition p1: cmdline needs image with entry = multiboot or linux");
	/* Longer than the config's values: the parser's own error names the key. */
	char text[512], value[CONFIG_VALUE_LEN + 1];
	memset(value, 'c', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	snprintf(text, sizeof(text), G1 "cpus = 1\nimage = k\nentry = multiboot\ncmdline = %s\n", value);
	refused(text, "sluice.conf:6: value of cmdline longer than 159 characters");
	refused(G1 "cpus = 1\nimage = k\nentry = multiboot\nmodule = a\nmodule = b\nmodule = c\nmodule = d\nmodule = e\n",
		"sluice.conf:10: module = e: more than 4 modules");
	refused(G1 "cpus = 1\nimage = k\nentry = multiboot\nmodule = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa x\n",
		"sluice.conf:6: module = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa x: use NAME [ARGS], NAME a boot module name of 1-31 characters");
	/* The image check names the module's own line. */
	refused(G1 "cpus = 1\nimage = k\nentry = multiboot\nmodule = env\nmodule = missing now\n",
		"sluice.conf:7: module = missing now: no boot module named 'missing'");
}

/* entry = linux: a command line, one initrd, no legacy PIC. */
static void linux_keys(void **state)
{
	(void)state;
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = vmlinuz\nentry = linux\ncmdline = console=ttyS0 quiet\ninitrd = rd\n",
				  &fake_iommu_ops), 0);
	assert_int_equal(vm_set.d[0].entry, GUEST_ENTRY_LINUX);
	assert_string_equal(vm_set.d[0].cmdline, "console=ttyS0 quiet");
	assert_string_equal(vm_set.d[0].initrd.name, "rd");
	assert_int_equal(vm_set.d[0].initrd.line, 7);
	assert_false(vm_set.d[0].legacy_pic);
	/* legacy-pic = off is what it has anyway. */
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = vmlinuz\nentry = linux\nlegacy-pic = off\n", &fake_iommu_ops), 0);
	assert_string_equal(vm_set.d[0].initrd.name, "");
	refused(G1 "cpus = 1\nimage = vmlinuz\nentry = linux\nlegacy-pic = on\n",
		"sluice.conf:6: partition p1: legacy-pic = on with entry = linux (its firmware tables say the machine has no 8259 PIC)");
	refused(G1 "cpus = 1\nimage = k\nentry = multiboot\ninitrd = rd\n",
		"sluice.conf:6: partition p1: initrd needs image with entry = linux");
	refused(G1 "cpus = 1\nimage = vmlinuz\ninitrd = rd\n", "sluice.conf:5: partition p1: initrd needs image with entry = linux");
	refused(G1 "cpus = 1\nimage = vmlinuz\nentry = linux\ninitrd = a\ninitrd = b\n",
		"sluice.conf:7: initrd given twice (first at line 6)");
	refused(G1 "cpus = 1\nimage = vmlinuz\nentry = linux\ninitrd = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		"sluice.conf:6: initrd = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': a boot module name of 1-31 characters");
	refused(G1 "cpus = 1\nimage = vmlinuz\nentry = linux\nmodule = env\n",
		"sluice.conf:6: partition p1: module needs image with entry = multiboot");
}

/* attack-test is off by default; attack-witness needs it and a guest partition with a device and that region. */
static void attack_keys_are_checked(void **state)
{
	(void)state;
	assert_int_equal(vm_setup("# nothing\n", &fake_iommu_ops), 0);
	assert_false(vm_set.attack.on);
	refused("[sluice]\nattack-test = yes\n", "sluice.conf:2: attack-test = yes: use on or off");
	refused("[sluice]\nattack-witness = p1 gpa=0x0\n", "sluice.conf:2: attack-witness without attack-test = on");
	refused("[sluice]\nattack-test = on\nattack-witness = p1\n",
		"sluice.conf:3: attack-witness = p1: use NAME gpa=A (a partition and one of its regions)");
	refused("[sluice]\nattack-test = on\nattack-witness = nobody gpa=0x0\n", "sluice.conf:3: attack-witness: no partition nobody");
	refused("[sluice]\nattack-test = on\nattack-witness = p1 gpa=0x8000\n" G1 "device = 00:03.0\ncpus = 1\nimage = hello\n",
		"sluice.conf:3: attack-witness: partition p1 needs cpus, image, a device and a memory region at gpa 0x8000");
	assert_int_equal(vm_setup("[sluice]\nattack-test = on\nattack-witness = p1 gpa=0x0\n" G1
				  "device = 00:03.0\ncpus = 1\nimage = hello\n", &fake_iommu_ops), 0);
	assert_true(vm_set.attack.on);
	assert_string_equal(vm_set.attack.witness, "p1");
	assert_int_equal(vm_set.attack.witness_gpa, 0);
}

/* time-limit = DURATION; dma-fault-limit per partition or the [sluice] default. */
static void limit_keys_are_checked(void **state)
{
	(void)state;
	refused(G1 "cpus = 1\nimage = a\ntime-limit = 10\n",
		"sluice.conf:5: time-limit = 10: use DURATION, a duration from 1ms to 24h with its unit");
	refused(G1 "cpus = 1\nimage = a\ntime-limit = 25h\n", "time-limit = 25h: use DURATION,");
	refused(G1 "cpus = 1\nimage = a\ntime-limit = 0s\n", "time-limit = 0s: use DURATION");
	refused(G1 "cpus = 1\nimage = a\ntime-limit = 2s expect\n", "time-limit = 2s expect: use DURATION");
	/* The word that once followed the duration points to its key. */
	refused(G1 "cpus = 1\nimage = a\ntime-limit = 2s expected\n",
		"sluice.conf:5: time-limit = 2s expected: 'expected' has its own key now: time-limit = DURATION and expect = time-limit");
	refused(G1 "cpus = 1\nimage = a\ntime-limit = 2s\ntime-limit = 3s\n",
		"sluice.conf:6: time-limit given twice (first at line 5)");
	refused(P1 "time-limit = 2s\n", "sluice.conf:2: partition p1: time-limit without cpus and image");
	refused(P1 "dma-fault-limit = -1\n", "sluice.conf:2: dma-fault-limit = -1: a number of faults from 0 (no limit) to 1000000");
	refused(P1 "dma-fault-limit = 1000001\n", "dma-fault-limit = 1000001: a number of faults");
	refused("[sluice]\ndma-fault-limit = x\n", "sluice.conf:2: dma-fault-limit = x: a number of faults");
	refused("[sluice]\ndma-fault-limit = 5\ndma-fault-limit = 6\n", "dma-fault-limit given twice (first at line 2)");

	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = a\ntime-limit = 1500ms\nexpect = time-limit\ndma-fault-limit = 20\n"
				  "[partition \"p2\"]\nmemory = gpa=0x0 size=16K\ncpus = 2\nimage = b\ntime-limit = 2m\n",
				  &fake_iommu_ops), 0);
	assert_int_equal(vm_set.d[0].time_limit_ms, 1500);
	assert_int_equal(vm_set.d[0].expect, PART_EXPECT_TIME_LIMIT);
	assert_int_equal(vm_set.d[0].dma_fault_limit, 20);
	assert_int_equal(vm_set.d[1].time_limit_ms, 120000);
	assert_int_equal(vm_set.d[1].expect, PART_EXPECT_EXIT);
	assert_int_equal(vm_set.d[1].dma_fault_limit, PART_DMA_FAULT_LIMIT);
	/* [sluice]'s value is the default wherever it stands; a partition's own wins; 0 is none. */
	assert_int_equal(vm_setup(P1 "dma-fault-limit = 0\n[partition \"p2\"]\nmemory = gpa=0x0 size=16K\n"
				  "[sluice]\ndma-fault-limit = 7\n", &fake_iommu_ops), 0);
	assert_int_equal(vm_set.d[0].dma_fault_limit, 0);
	assert_int_equal(vm_set.d[1].dma_fault_limit, 7);
	assert_int_equal(vm_set.d[0].time_limit_ms, 0);
}

/* expect = parked | halted | time-limit | exit N: one word (or exit and a 32-bit decimal code), guests only. */
static void expect_key_is_checked(void **state)
{
	(void)state;
	const char *use = "use parked, halted, time-limit or exit N (N a decimal exit code, 0 to 4294967295)";
	char want[160];

	snprintf(want, sizeof(want), "sluice.conf:5: expect = sometimes: %s", use);
	refused(G1 "cpus = 1\nimage = a\nexpect = sometimes\n", want);
	refused(G1 "cpus = 1\nimage = a\nexpect = exit -1\n", "sluice.conf:5: expect = exit -1: use parked");
	refused(G1 "cpus = 1\nimage = a\nexpect = exit 99999999999\n", "expect = exit 99999999999: use parked");
	refused(G1 "cpus = 1\nimage = a\nexpect = exit 4294967296\n", "expect = exit 4294967296: use parked");
	refused(G1 "cpus = 1\nimage = a\nexpect = exit\n", "expect = exit: use parked");
	refused(G1 "cpus = 1\nimage = a\nexpect = exit 0x10\n", "expect = exit 0x10: use parked");
	refused(G1 "cpus = 1\nimage = a\nexpect = exit 3 4\n", "expect = exit 3 4: use parked");
	refused(G1 "cpus = 1\nimage = a\nexpect = parked now\n", "expect = parked now: use parked");
	refused(G1 "cpus = 1\nimage = a\nexpect = Parked\n", "expect = Parked: use parked");
	refused(G1 "cpus = 1\nimage = a\nexpect = parked\nexpect = halted\n", "sluice.conf:6: expect given twice (first at line 5)");
	/* Against the section's other keys, whatever their order. */
	refused(P1 "memory = gpa=0x0 size=16K\nexpect = parked\n",
		"sluice.conf:3: partition p1: expect without cpus and image (a partition without a guest never runs)");
	refused(G1 "expect = time-limit\ncpus = 1\nimage = a\n",
		"sluice.conf:3: partition p1: expect = time-limit without a time-limit = DURATION");
	refused(G1 "cpus = 1\nexpect = parked\nimage = a\non-fault = stop\n",
		"sluice.conf:4: partition p1: expect = parked with on-fault = stop, which makes a park stop the machine as a failure");

	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = a\nexpect = parked\n"
				  "[partition \"p2\"]\nmemory = gpa=0x0 size=16K\ncpus = 2\nimage = b\nexpect = exit 4294967295\n",
				  &fake_iommu_ops), 0);
	assert_int_equal(vm_set.d[0].expect, PART_EXPECT_PARKED);
	assert_int_equal(vm_set.d[1].expect, PART_EXPECT_EXIT);
	assert_int_equal(vm_set.d[1].expect_code, 4294967295u);
	/* A halt is no park: on-fault = stop goes with it. */
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = a\nexpect = halted\non-fault = stop\n", &fake_iommu_ops), 0);
	assert_int_equal(vm_set.d[0].expect, PART_EXPECT_HALTED);
	/* Without the key: a clean exit, code 0. */
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = a\n", &fake_iommu_ops), 0);
	assert_int_equal(vm_set.d[0].expect, PART_EXPECT_EXIT);
	assert_int_equal(vm_set.d[0].expect_code, 0);
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = a\nexpect = exit 3\n", &fake_iommu_ops), 0);
	assert_int_equal(vm_set.d[0].expect_code, 3);
}

/* CPUs that exist, are online and are not the boot CPU; images that exist and fit; room to run. */
static void guest_cpus_images_and_memory_are_checked(void **state)
{
	(void)state;
	refused(G1 "cpus = 4\nimage = a\n", "sluice.conf:3: cpus: CPU 4 does not exist (the MADT lists 4: 0-3)");
	refused(G1 "cpus = 0\nimage = a\n", "sluice.conf:3: cpus: CPU 0 is the boot CPU, which runs Sluice's own services");
	refused(G1 "cpus = 3\nimage = a\n", "sluice.conf:3: cpus: CPU 3 did not come online at boot");
	refused(G1 "cpus = 1\nimage = missing\n", "sluice.conf:4: image = missing: no boot module named 'missing'");
	refused(G1 "cpus = 1\nimage = huge\n", "sluice.conf:4: image = huge: segment [0x100000-0x40100000) is outside the partition's memory");
	refused(G1 "cpus = 1\nimage = a-very-long-module-name-of-40-chars\n",
		"sluice.conf:4: image = 'a-very-long-module-name-of-40-chars': a boot module name of 1-31 characters");
	refused(P1 "cpus = 1\nimage = a\n", "sluice.conf:1: partition p1: a guest needs a writable memory region to run in");
	refused(P1 "cpus = 1\nimage = a\nmemory = gpa=0x0 size=16K access=r\n",
		"sluice.conf:1: partition p1: a guest needs a writable memory region to run in");
	refused(G1 "memory = gpa=0xb0000000 size=4K\ncpus = 1\nimage = a\n",
		"sluice.conf:3: memory: gpa [0x00000000b0000000-0x00000000b0000fff] overlaps the guests' virtual PCI config window [0x00000000b0000000-0x00000000bfffffff]");
	/* The guest sees EP1's BAR0 at its bus address: RAM there would hide it. */
	refused(G1 "memory = gpa=0xfe000000 size=4K\ndevice = 00:03.0\ncpus = 1\nimage = a\n",
		"sluice.conf:3: memory: gpa [0x00000000fe000000-0x00000000fe000fff] overlaps 00:03.0 BAR0 [0x00000000fe000000-0x00000000fe0fffff], which the guest sees at its bus address");
	/* Two guests may not share a CPU, and each lists its own. */
	assert_int_equal(vm_setup(G1 "cpus = 1\nimage = a\n[partition \"p2\"]\nmemory = gpa=0x0 size=16K\ncpus = 2\nimage = b\n",
				  &fake_iommu_ops), 0);
	assert_int_equal(vm_set.d[1].cpus[0], 2);
}

/* Numbers need a digit; decimal keys take decimal only; ranges ending at 2^64 are named as such. */
static void numbers_and_range_ends_are_checked(void **state)
{
	(void)state;
	static const struct { const char *text, *want; } cases[] = {
		{ P1 "memory = gpa=0x_ size=4K\n", "sluice.conf:2: memory: gpa=0x_ is not a number" },
		{ P1 "memory = gpa=0 size=0x_K\n", "sluice.conf:2: memory: size=0x_K is not a number" },
		{ P1 "memory = gpa=0 size=4K hpa=0x__\n", "sluice.conf:2: memory: hpa=0x__ is not a number" },
		{ P1 "memory = gpa=0x size=4K\n", "sluice.conf:2: memory: gpa=0x is not a number" },
		{ P1 "memory = gpa=0 size=K\n", "sluice.conf:2: memory: size=K is not a number" },
		/* The last page below 2^64: its end is 2^64, which no u64 holds. */
		{ P1 "memory = gpa=0 size=4K hpa=0xfffffffffffff000\n",
		  "sluice.conf:2: memory: hpa=0xfffffffffffff000 size=0x1000: the range wraps past 2^64" },
		{ G1 "cpus = 0x3\nimage = a\n", "sluice.conf:3: cpus: '0x3' is not a CPU index (decimal, 0-255)" },
		{ G1 "cpus = 1, 0x2\nimage = a\n", "sluice.conf:3: cpus: '0x2' is not a CPU index (decimal, 0-255)" },
		{ G1 "cpus = 1K\nimage = a\n", "sluice.conf:3: cpus: '1K' is not a CPU index" },
		{ G1 "cpus = 1,\nimage = a\n", "sluice.conf:3: cpus: '' is not a CPU index" },
		{ "[sluice]\ndevtlb-timeout-ms = 0x10\n", "sluice.conf:2: devtlb-timeout-ms = 0x10: milliseconds from 1 to 90000" },
		{ "[partition \"a\"]\ndevice = 01:00.0/vf0x1\n", "sluice.conf:2: device: '01:00.0/vf0x1': a VF is PF/vfN with N from 1" },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++)
		refused(cases[i].text, cases[i].want);
	/* The highest page whose end is a number is not RAM here, and says so. */
	refused(P1 "memory = gpa=0 size=4K hpa=0xffffffffffffe000\n",
		"sluice.conf:2: memory: hpa [0xffffffffffffe000-0xffffffffffffefff] is not RAM: 0xffffffffffffe000 is in no memory map entry");
	/* An RMRR rounded out to the end of the address space. */
	vm_rmrr(MF0, 0xfffffffffffff800, 0xffffffffffffffff);
	refused(P1 "device = 00:05.0 rmrr=identity\n",
		"sluice.conf:2: device 00:05.0: its RMRR [0xfffffffffffff800-0xffffffffffffffff] wraps past 2^64");
}

/* No memory where a DMA write is an interrupt request (0xFEE00000-0xFEEFFFFF). */
static void memory_in_the_interrupt_address_range_is_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"gpa=0xfee00000 size=4K", "gpa=0xfeeff000 size=4K", "gpa=0xfe000000 size=0x1000000",
		"gpa=0xfed00000 size=0x101000", "gpa=0 size=4G",
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		char text[96];
		snprintf(text, sizeof(text), P1 "memory = %s\n", bad[i]);
		refused(text, "overlaps the interrupt address range [0x00000000fee00000-0x00000000feefffff], where a DMA write is an interrupt request and no device reaches memory");
	}
	refused(P1 "memory = gpa=0xfee00000 size=4K\n",
		"sluice.conf:2: memory: gpa [0x00000000fee00000-0x00000000fee00fff] overlaps the interrupt address range");
	/* Right below and right above: fine. */
	assert_int_equal(vm_setup(P1 "memory = gpa=0xfedff000 size=4K\nmemory = gpa=0xfef00000 size=4K\n",
				  &fake_iommu_ops), 0);
}

static void partition_names_differ_in_more_than_case(void **state)
{
	(void)state;
	refused("[partition \"P1\"]\n[partition \"p1\"]\n",
		"sluice.conf:2: partition name 'p1' differs from partition P1's (line 1) only in case; names must differ in more than case");
	refused("[partition \"lab.A-1\"]\n[partition \"x\"]\n[partition \"LAB.a-1\"]\n",
		"sluice.conf:3: partition name 'LAB.a-1' differs from partition lab.A-1's (line 1) only in case");
	/* The exact name twice is the parser's error, once. */
	refused("[partition \"p1\"]\n[partition \"p1\"]\n", "sluice.conf:2: [partition \"p1\"] again (first at line 1)");
	assert_int_equal(vm_setup("[partition \"P1\"]\n[partition \"P2\"]\n[partition \"p-1\"]\n", &fake_iommu_ops), 0);
	assert_int_equal(vm_set.nr, 3);
}

/* The fixture's machine plus q35's platform functions and a few more, scanned again. */
static void add_platform_functions(void)
{
	fake_pci_add(S(0, 0, 0), 0x8086, 0x29c0, 0x060000, 0);  /* q35 host bridge */
	fake_pci_add(S(0, 0x1f, 0), 0x8086, 0x2918, 0x060100, 0x80);    /* ICH9 LPC */
	fake_pci_add(S(0, 0x1f, 3), 0x8086, 0x2930, 0x0c0500, 0x80);    /* ICH9 SMBus */
	fake_pci_add(S(0, 0x06, 0), 0x8086, 0x0001, 0x068000, 0);       /* other bridge, type 0 */
	fake_pci_add(S(0, 0x07, 0), 0x8086, 0x0002, 0x080600, 0);       /* IOMMU */
	fake_pci_add(S(0, 0x08, 0), 0x8086, 0x0003, 0x080020, 0);       /* I/O(x) APIC */
	fake_pci_add(S(0, 0x09, 0), 0x8086, 0x0004, 0x080203, 0);       /* HPET */
	fake_pci_add(S(0, 0x0a, 0), 0x8086, 0x0005, 0x080000, 0);       /* 8259 */
	fake_pci_add(S(0, 0x0b, 0), 0x8086, 0x0006, 0x080100, 0);       /* 8237 DMA */
	fake_pci_add(S(0, 0x0c, 0), 0x8086, 0x0007, 0x080300, 0);       /* RTC */
	fake_pci_add(S(0, 0x0d, 0), 0x8086, 0x0008, 0x080400, 0);       /* hot-plug controller */
	fake_pci_add(S(0, 0x0e, 0), 0x8086, 0x0009, 0x080700, 0);       /* RCEC */
	fake_pci_add(S(0, 0x10, 0), 0x8086, 0x000a, 0x080501, 0);       /* SD host controller */
	fake_pci_add(S(0, 0x11, 0), 0x8086, 0x000b, 0x088000, 0);       /* other system peripheral */
	fake_pci_add(S(0, 0x12, 0), 0x8086, 0x000c, 0x088000, 0);       /* the DMAR's IOAPIC */
	pci_reset();
	pci_add_host_bridge(0, 0x00, 0xff);
	assert_true(pci_scan() > 0);
}

/* A scope of the DMAR (type 3 IOAPIC or 4 HPET) naming bus:dev.fn. */
static void vm_platform_scope(u8 type, u8 enum_id, u32 sbdf)
{
	struct dmar_scope *sc = &vm_dmar.scopes[vm_dmar.nr_scopes++];

	sc->type = type;
	sc->enum_id = enum_id;
	sc->segment = PCI_SEG(sbdf);
	sc->res = DMAR_RES_TABLE;
	sc->bdf = PCI_RID(sbdf);
}

static void platform_functions_are_refused(void **state)
{
	(void)state;
	add_platform_functions();
	vm_platform_scope(DMAR_SCOPE_IOAPIC, 0, S(0xff, 0, 0));         /* q35's: no function answers */
	vm_platform_scope(DMAR_SCOPE_IOAPIC, 2, S(0, 0x12, 0));
	vm_platform_scope(DMAR_SCOPE_HPET, 0, S(0, 0x13, 0));
	static const struct { const char *dev, *want; } cases[] = {
		{ "00:00.0", "sluice.conf:2: device 00:00.0: class 06/00 (host bridge) is the platform's: its registers set up memory and the PCI hierarchy of the whole machine" },
		{ "00:1f.0", "sluice.conf:2: device 00:1f.0: class 06/01 (ISA/LPC bridge) is the platform's: it decodes the machine's legacy devices" },
		{ "00:06.0", "sluice.conf:2: device 00:06.0: class 06/80 (bridge) is the platform's: a bridge carries other functions' traffic" },
		{ "00:07.0", "sluice.conf:2: device 00:07.0: class 08/06 (IOMMU) is the platform's: a remapping unit enforces every partition's isolation" },
		{ "00:08.0", "sluice.conf:2: device 00:08.0: class 08/00 (interrupt controller) is the platform's" },
		{ "00:0a.0", "sluice.conf:2: device 00:0a.0: class 08/00 (interrupt controller) is the platform's" },
		{ "00:09.0", "sluice.conf:2: device 00:09.0: class 08/02 (system timer) is the platform's" },
		{ "00:0b.0", "sluice.conf:2: device 00:0b.0: class 08/01 (system DMA controller) is the platform's" },
		{ "00:0c.0", "sluice.conf:2: device 00:0c.0: class 08/03 (real-time clock) is the platform's" },
		{ "00:0d.0", "sluice.conf:2: device 00:0d.0: class 08/04 (PCI hot-plug controller) is the platform's" },
		{ "00:0e.0", "sluice.conf:2: device 00:0e.0: class 08/07 (root complex event collector) is the platform's" },
		{ "00:1f.3", "sluice.conf:2: device 00:1f.3: class 0c/05 (SMBus controller) is the platform's" },
		{ "00:12.0", "sluice.conf:2: device 00:12.0: class 08/80, but the DMAR names it as IOAPIC 2 (device scope type 3); interrupt and timer hardware stays Sluice's" },
		{ "ff:00.0", "sluice.conf:2: device ff:00.0: no PCI function, the DMAR names it as IOAPIC 0 (device scope type 3)" },
		{ "00:13.0", "sluice.conf:2: device 00:13.0: no PCI function, the DMAR names it as HPET 0 (device scope type 4)" },
		/* A type 1 header keeps its own line. */
		{ "00:02.0", "sluice.conf:2: device 00:02.0 is a bridge; assign the functions below it" },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[96];
		snprintf(text, sizeof(text), P1 "device = %s\n", cases[i].dev);
		refused(text, cases[i].want);
	}
	/* An SD host controller, a vendor's "other system peripheral" and the edus stay assignable. */
	assert_int_equal(vm_setup(P1 "device = 00:10.0\ndevice = 00:11.0\ndevice = 00:03.0\n", &fake_iommu_ops), 0);
	assert_int_equal(vm_set.d[0].nr_devices, 3);
	/* Among other errors each platform function is one line, and nothing is programmed. */
	memset(&fio, 0, sizeof(fio));
	assert_int_equal(vm_setup(P1 "device = 00:00.0\ndevice = 00:03.0\n[partition \"p2\"]\ndevice = 00:1f.0\n",
				  &fake_iommu_ops), -HV_EINVAL);
	assert_int_equal(vm_conf.nr_errors, 2);
	assert_true(fake_log_has("ERR  config: sluice.conf:2: device 00:00.0: class 06/00 (host bridge)"));
	assert_true(fake_log_has("ERR  config: sluice.conf:5: device 00:1f.0: class 06/01 (ISA/LPC bridge)"));
	assert_true(fake_log_has("sluice.conf: 2 error(s); no partition set up, nothing programmed"));
	assert_string_equal(fio.calls, "enable;");
}

static void too_many_partitions_is_an_error(void **state)
{
	(void)state;
	char text[512] = "";
	for (unsigned i = 0; i <= PART_MAX; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "[partition \"p%u\"]\n", i);
	refused(text, "sluice.conf:9: more than 8 partitions");
}

/* Every problem of a file in one boot, and still nothing claimed or programmed. */
static void every_problem_is_reported_at_once(void **state)
{
	(void)state;
	u64 free_before = page_alloc_free_pages();
	assert_int_equal(vm_setup("[sluice]\n"
				  "iommu = on\n"
				  "[partition \"p1\"]\n"
				  "memory = gpa=0x90000000 size=1M hpa=0x90000000\n"
				  "device = 00:03.0\n"
				  "bogus line\n"
				  "[partition \"p2\"]\n"
				  "memory = gpa=0x90000000 size=1M hpa=0x90000000\n"
				  "device = 00:03.0\n"
				  "device = 00:0a.0\n", &fake_iommu_ops), -HV_EINVAL);
	assert_int_equal(vm_conf.nr_errors, 4);
	assert_true(fake_log_has("sluice.conf:6: expected 'key = value'"));
	assert_true(fake_log_has("sluice.conf:8: memory: hpa"));
	assert_true(fake_log_has("sluice.conf:9: device 00:03.0 is already assigned"));
	assert_true(fake_log_has("sluice.conf:10: device 0000:00:0a.0 is not in the PCI tree"));
	assert_true(fake_log_has("sluice.conf: 4 error(s); no partition set up, nothing programmed"));
	assert_string_equal(fio.calls, "enable;");
	assert_true(page_alloc_free_pages() == free_before);
	assert_true(page_alloc_is_free(0x90000000, 1 * MiB));
}

/* The endpoint behind the root port plays an SR-IOV NVMe PF with two VFs. */
static void make_nvme_pf(void)
{
	struct pci_dev *pf = pci_find(BEHIND_PORT);
	assert_non_null(pf);
	pf->class = NVME_CLASS_CODE;
	pf->ecap_sriov = 0x160;
	pf->sriov.total_vfs = 2;
	vm_fixture_isolate_above(BEHIND_PORT);
}

/* The host's VF set-up, faked: VF n of BEHIND_PORT becomes function n; "fail" refuses namespace 9. */
static unsigned vf_setups;

static int fake_vf_setup(struct config *c, struct sluice_cfg *s, const struct iommu_ops *ops)
{
	(void)ops;
	vf_setups++;
	for (u32 i = 0; i < s->nr; i++)
		for (u32 k = 0; k < s->d[i].nr_devices; k++) {
			struct part_device *d = &s->d[i].devices[k];
			if (!d->vfn)
				continue;
			if (s->d[i].nsid == 9) {
				config_error(c, d->line, "device 01:00.0/vf%u: namespace 9 does not exist", d->vfn);
				return -HV_EINVAL;
			}
			assert_int_equal(d->sbdf, PART_SBDF_PENDING);
			assert_int_equal(d->pf_sbdf, BEHIND_PORT);
			d->sbdf = BEHIND_PORT + d->vfn;
		}
	return 0;
}

static void vfs_are_set_up_by_the_host_then_attached(void **state)
{
	(void)state;
	vm_setup("", &fake_iommu_ops);
	make_nvme_pf();
	vm_vf_setup = fake_vf_setup;
	vf_setups = 0;
	assert_int_equal(vm_setup("[partition \"a\"]\nmemory = gpa=0 size=4K\ndevice = 01:00.0/vf2\nnamespace = 5\n",
				  &fake_iommu_ops), 0);
	assert_int_equal(vf_setups, 1);
	assert_int_equal(vm_set.d[0].devices[0].sbdf, BEHIND_PORT + 2);
	assert_int_equal(vm_set.d[0].devices[0].vfn, 2);
	assert_int_equal(vm_set.d[0].nsid, 5);
	assert_true(fake_log_has("a: device 01:00.2 attached"));
	/* The same VF named by its routing ID (First VF Offset 1, VF Stride 1): PF/vfN for everything after. */
	struct pci_dev *pf = pci_find(BEHIND_PORT);
	pf->sriov.offset = 1;
	pf->sriov.stride = 1;
	fake_log_capture();
	assert_int_equal(vm_setup("[partition \"a\"]\nmemory = gpa=0 size=4K\ndevice = 01:00.2\nnamespace = 5\n",
				  &fake_iommu_ops), 0);
	assert_true(fake_log_has("sluice.conf:3: device 01:00.2 is 01:00.0/vf2 (its routing ID)"));
	assert_int_equal(vm_set.d[0].devices[0].vfn, 2);
	assert_int_equal(vm_set.d[0].devices[0].pf_sbdf, BEHIND_PORT);
	assert_int_equal(vm_set.d[0].devices[0].named_rid, BEHIND_PORT + 2);
	/* Past TotalVFs no PF places a VF there: an absent function, as before. */
	refused("[partition \"a\"]\nmemory = gpa=0 size=4K\ndevice = 01:00.3\n",
		"sluice.conf:3: device 0000:01:00.3 is not in the PCI tree");
	/* A stride of 2 puts VF 2 at 01:00.3, and nothing at 01:00.2. */
	pf->sriov.stride = 2;
	refused("[partition \"a\"]\nmemory = gpa=0 size=4K\ndevice = 01:00.2\n",
		"sluice.conf:3: device 0000:01:00.2 is not in the PCI tree");
	fake_log_capture();
	assert_int_equal(vm_setup("[partition \"a\"]\nmemory = gpa=0 size=4K\ndevice = 01:00.3\nnamespace = 5\n",
				  &fake_iommu_ops), 0);
	assert_true(fake_log_has("sluice.conf:3: device 01:00.3 is 01:00.0/vf2 (its routing ID)"));
	pf->sriov.offset = pf->sriov.stride = 0;
	/* A set-up that fails: nothing claimed stays claimed, nothing is programmed. */
	u64 free_before = page_alloc_free_pages();
	fake_log_capture();
	assert_int_equal(vm_setup("[partition \"b\"]\nmemory = gpa=0 size=4K\ndevice = 01:00.0/vf1\nnamespace = 9\n",
				  &fake_iommu_ops), -HV_EINVAL);
	assert_true(fake_log_has("sluice.conf:3: device 01:00.0/vf1: namespace 9 does not exist"));
	assert_true(fake_log_has("sluice.conf: the VFs could not be set up; no partition set up, nothing programmed"));
	assert_int_equal(vm_set.nr, 0);
	assert_true(page_alloc_free_pages() >= free_before);
}

/* The fixture's DMAR with one unit naming only sbdf (an endpoint scope), not INCLUDE_PCI_ALL. */
static void one_unit_naming(u32 sbdf)
{
	struct dmar_scope *sc = &vm_dmar.scopes[vm_dmar.nr_scopes];

	sc->type = DMAR_SCOPE_ENDPOINT;
	sc->segment = PCI_SEG(sbdf);
	sc->res = DMAR_RES_FOUND;
	sc->bdf = PCI_RID(sbdf);
	vm_dmar.units[0] = (struct dmar_unit){ .base_pa = 0xfed90000, .first_scope = (u16)vm_dmar.nr_scopes++, .nr_scopes = 1 };
	vm_dmar.nr_units = 1;
}

/*
 * A function whose DMA no remapping unit would translate is refused with
 * iommu = on (VT-d §8.3: a scope must name it or a bridge above it, or an
 * INCLUDE_PCI_ALL unit stand for its segment); so is one whose unit
 * Sluice does not use. A VF is judged by its PF.
 */
static void a_device_no_unit_covers_is_refused(void **state)
{
	(void)state;
	const char *edu1 = P1 "memory = gpa=0 size=4K\ndevice = 00:03.0\n";

	one_unit_naming(EDU2);
	refused(edu1, "sluice.conf:3: device 00:03.0 (partition p1): no remapping unit covers it (no DRHD of segment 0000 names it or a bridge above it, and none has INCLUDE_PCI_ALL); its DMA cannot be isolated");
	assert_int_equal(vm_setup(P1 "memory = gpa=0 size=4K\ndevice = 00:04.0\n", &fake_iommu_ops), 0);
	/* With the IOMMU off nothing is translated anyway: the check does not apply, whatever the order. */
	assert_int_equal(vm_setup(WORKED_EXAMPLE("off"), &fake_iommu_ops), 0);
	assert_int_equal(vm_setup("[partition \"p1\"]\nmemory = gpa=0 size=4K\ndevice = 00:03.0\n[sluice]\niommu = off\n",
				  &fake_iommu_ops), 0);
	/* An INCLUDE_PCI_ALL unit of another segment does not stand in. */
	vm_dmar.units[1] = (struct dmar_unit){ .flags = DMAR_DRHD_INCLUDE_PCI_ALL, .segment = 1, .base_pa = 0xfed91000 };
	vm_dmar.nr_units = 2;
	refused(edu1, "sluice.conf:3: device 00:03.0 (partition p1): no remapping unit covers it");
	/* The unit that covers it is broken: no other may stand in, the device is refused. */
	one_unit_naming(EDU1);
	vm_dmar.units[0].broken = true;
	vm_dmar.units[0].why = "register base is zero";
	refused(edu1, "sluice.conf:3: device 00:03.0 (partition p1): its remapping unit, DRHD 0 at 0x00000000fed90000, is not used (register base is zero); its DMA cannot be isolated");
	vm_dmar.units[0].broken = false;
	assert_int_equal(vm_setup(edu1, &fake_iommu_ops), 0);

	/* A VF goes with its PF: refused while the PF is uncovered, set up once a bridge above the PF is named. */
	vm_setup("", &fake_iommu_ops);
	make_nvme_pf();
	vm_vf_setup = fake_vf_setup;
	one_unit_naming(EDU1);
	refused("[partition \"a\"]\nmemory = gpa=0 size=4K\ndevice = 01:00.0/vf1\nnamespace = 5\n",
		"sluice.conf:3: device 01:00.0/vf1 (partition a): no remapping unit covers it");
	vm_dmar.scopes[vm_dmar.units[0].first_scope] = (struct dmar_scope){ .type = DMAR_SCOPE_BRIDGE, .res = DMAR_RES_FOUND, .bdf = PCI_RID(ROOT_PORT),
						 .has_range = true, .sec_bus = 1, .sub_bus = 1 };
	fake_log_capture();
	if (vm_setup("[partition \"a\"]\nmemory = gpa=0 size=4K\ndevice = 01:00.0/vf1\nnamespace = 5\n", &fake_iommu_ops))
		fail_msg("the VF was refused:\n%s", fake_log_text());
	vm_vf_setup = NULL;
}

static void vfs_and_namespaces_are_checked(void **state)
{
	(void)state;
	vm_setup("", &fake_iommu_ops);
	make_nvme_pf();
	vm_vf_setup = fake_vf_setup;
	refused("[partition \"a\"]\ndevice = 01:00.0/vf3\nnamespace = 1\n",
		"sluice.conf:2: device 01:00.0/vf3: the PF has 2 VFs (TotalVFs)");
	refused("[partition \"a\"]\ndevice = 01:00.0/vfx\n",
		"sluice.conf:2: device: '01:00.0/vfx': a VF is PF/vfN with N from 1");
	refused("[partition \"a\"]\ndevice = 01:00.0/vf0\n",
		"sluice.conf:2: device: '01:00.0/vf0': a VF is PF/vfN with N from 1");
	refused("[partition \"a\"]\ndevice = 00:03.0/vf1\n",
		"sluice.conf:2: device 00:03.0/vf1: 00:03.0 has no SR-IOV capability");
	refused("[partition \"a\"]\ndevice = 01:00.0/vf1\n",
		"sluice.conf:2: device 01:00.0/vf1 is an NVMe VF: give partition a its namespace (namespace = N)");
	refused("[partition \"a\"]\nmemory = gpa=0 size=4K\nnamespace = 2\n",
		"sluice.conf:3: namespace = 2: partition a has no NVMe VF (device = PF/vfN) for it");
	refused("[partition \"a\"]\ndevice = 01:00.0/vf1\nnamespace = 0\n",
		"sluice.conf:3: namespace = 0: an NVMe namespace ID from 1");
	refused("[partition \"a\"]\ndevice = 01:00.0/vf1\nnamespace = 1\n[partition \"b\"]\ndevice = 01:00.0/vf1\nnamespace = 2\n",
		"sluice.conf:5: device 01:00.0/vf1 is already assigned (partition a, line 2)");
	refused("[partition \"a\"]\ndevice = 01:00.0/vf1\nnamespace = 1\n[partition \"b\"]\ndevice = 01:00.0/vf2\nnamespace = 1\n",
		"sluice.conf:6: namespace = 1 is partition a's already (line 3)");
	refused("[partition \"a\"]\ndevice = 01:00.0\n[partition \"b\"]\ndevice = 01:00.0/vf2\nnamespace = 1\n",
		"sluice.conf:4: device 01:00.0/vf2: its PF is partition a's (line 2); a PF whose VFs are assigned stays Sluice's");
	/* Below a root port without ACS the VFs would be in the PF's isolation group, and the PF is Sluice's. */
	pci_find(ROOT_PORT)->acs_ctrl = 0;
	refused("[partition \"a\"]\ndevice = 01:00.0/vf1\nnamespace = 1\n",
		"sluice.conf:2: device 01:00.0/vf1: 00:02.0 above its PF does not isolate (no ACS redirection): the VF would share isolation group");
	vm_fixture_isolate_above(BEHIND_PORT);
	refused("[partition \"a\"]\ndevice = 01:00.0/vf1 rmrr=identity\n",
		"sluice.conf:2: device: rmrr=identity is for physical functions, not a VF");
	/* Everything right, but this host has no way to set VFs up. */
	static const char vf1[] = "[partition \"a\"]\ndevice = 01:00.0/vf1\nnamespace = 1\n";
	vm_vf_setup = NULL;
	refused(vf1, "sluice.conf:2: device 01:00.0/vf1: this Sluice cannot set VFs up");
	vm_vf_setup = fake_vf_setup;
	assert_int_equal(vm_setup(vf1, &fake_iommu_ops), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(worked_example_is_accepted, setup),
		cmocka_unit_test_setup(sluice_section_defaults_and_values, setup),
		cmocka_unit_test_setup(unknown_sections_and_keys_are_errors, setup),
		cmocka_unit_test_setup(memory_values_are_checked_one_by_one, setup),
		cmocka_unit_test_setup(overlapping_gpas_in_one_partition_are_refused, setup),
		cmocka_unit_test_setup(the_same_hpa_in_two_partitions_is_refused, setup),
		cmocka_unit_test_setup(hpas_sluice_or_firmware_own_are_refused, setup),
		cmocka_unit_test_setup(devices_are_checked_against_the_pci_tree, setup),
		cmocka_unit_test_setup(device_addresses_are_parsed_strictly, setup),
		cmocka_unit_test_setup(rmrr_devices_need_rmrr_identity, setup),
		cmocka_unit_test_setup(guest_keys_are_checked, setup),
		cmocka_unit_test_setup(msi_devices_need_interrupt_remapping, setup),
		cmocka_unit_test_setup(args_key_is_copied_once_and_needs_an_image, setup),
		cmocka_unit_test_setup(fw_cfg_key_is_on_by_default_and_needs_an_image, setup),
		cmocka_unit_test_setup(paravirt_key_takes_pv_eoi_or_off, setup),
		cmocka_unit_test_setup(legacy_pic_key_defaults_by_entry_and_needs_an_image, setup),
		cmocka_unit_test_setup(cmdline_and_module_keys_are_for_multiboot_guests, setup),
		cmocka_unit_test_setup(linux_keys, setup),
		cmocka_unit_test_setup(attack_keys_are_checked, setup),
		cmocka_unit_test_setup(limit_keys_are_checked, setup),
		cmocka_unit_test_setup(expect_key_is_checked, setup),
		cmocka_unit_test_setup(guest_cpus_images_and_memory_are_checked, setup),
		cmocka_unit_test_setup(numbers_and_range_ends_are_checked, setup),
		cmocka_unit_test_setup(memory_in_the_interrupt_address_range_is_refused, setup),
		cmocka_unit_test_setup(partition_names_differ_in_more_than_case, setup),
		cmocka_unit_test_setup(platform_functions_are_refused, setup),
		cmocka_unit_test_setup(too_many_partitions_is_an_error, setup),
		cmocka_unit_test_setup(every_problem_is_reported_at_once, setup),
		cmocka_unit_test_setup(a_device_no_unit_covers_is_refused, setup),
		cmocka_unit_test_setup(vfs_and_namespaces_are_checked, setup),
		cmocka_unit_test_setup(vfs_are_set_up_by_the_host_then_attached, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
