/*
 * Host tests for vm/part/exit.c: each decoded exit a partition's vCPU can take,
 * against a partition with 64 KiB of fake guest RAM at GPA 0 (HPA
 * 0x90000000), one fake edu device at 00:03.0 and the virtual ECAM window
 * at GPA 0xb0000000. The guest runs without paging (CR0.PG = 0), so the
 * instruction bytes the tests place at a GPA are what the decoder sees.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "vm/part/partition.h"
#include "kernel/smp.h"
#include "vm/part/attack.h"
#include "vm/part/acpi_tables.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
#include "vm/part/limits.h"
#include "kernel/check.h"
#include "kernel/irq_stray.h"
#include "kernel/err.h"
#include "pci/pci_hw.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_log.h"
#include "pci/pci_internal.h"
#include "pci/ats_hw.h"
#include "iommu/iommu.h"
#include "kernel/hw/time.h"
#include "tests/fakes/fake_mem.h"
#include "tests/fakes/fake_pci.h"

#define HPA             0x90000000ULL
#define RAM_SIZE        0x10000ULL
#define ECAM            0xb0000000ULL
#define EDU             ((0u << 8) | (3u << 3))
#define CODE            0x1000ULL       /* where the tests put instructions */

static struct partition_cfg cfg;
static struct partition part;
static struct vcpu *v;
static u8 *ram;

/* The VMRUN door of vm/cpu/svm.c (linked for vm/cpu/virt.c): these tests hand exits to
 * partition_handle_exit() directly, so a guest run here is a test error. */
void svm_hw_run(u64 vmcb_pa, u64 host_save_pa, struct guest_regs *regs)
{
	(void)vmcb_pa;
	(void)host_save_pa;
	(void)regs;
	fail_msg("svm_hw_run called in test_exit");
}
static u32 kicks;

/* This test runs as CPU 1, the partition's BSP (vm/part/lapic.c asks, to kick only other CPUs). */
static struct cpu this_cpu = { .index = 1 };
struct cpu *smp_this_cpu(void)
{
	return &this_cpu;
}

/* The partition's other CPUs are kicked when it parks. */
void smp_kick(u32 index)
{
	(void)index;
	kicks++;
}

/* No IOMMU domain in these tests. */
u64 iommu_domain_faults(const struct iommu_domain *d)
{
	(void)d;
	return 0;
}

void iommu_domain_fault_counts(const struct iommu_domain *d, u64 *logged, u64 *suppressed)
{
	(void)d;
	*logged = *suppressed = 0;
}

void iommu_domain_change_counts(const struct iommu_domain *d, struct iommu_change_counts *c)
{
	(void)d;
	memset(c, 0, sizeof(*c));
}

u64 iommu_domain_table_pages(const struct iommu_domain *d)
{
	(void)d;
	return 0;
}

void iommu_domain_inv_format(const struct iommu_domain *d, char *buf, size_t len)
{
	(void)d;
	if (len)
		buf[0] = '\0';
}

/* partition_remap (vm/part/remap.c) as the hypercall sees it: the result the test sets. */
static int remap_result;
static u64 remap_gpa;
int partition_remap(struct partition *p, u64 gpa)
{
	(void)p;
	remap_gpa = gpa;
	return remap_result;
}

/* partition_restart (vm/part/partition.c): success gives the vCPU a new state; failure must park. */
static int restart_result;
int partition_restart(struct partition *p)
{
	if (restart_result)
		return restart_result;
	p->restarts++;
	p->vcpus[0].v.rip = 0x100000;         /* the entry, as vcpu_init would set it */
	p->vcpus[0].v.regs.rax = 0x1234;
	p->restarted = true;
	return 0;
}

/* The IOMMU side of a partition with an ATS function: what containment asks of it. */
static u32 ats_off_sbdf;
static int stub_set_ats(struct iommu_domain *d, u32 sbdf, const struct iommu_ats *ats, char *why, size_t len)
{
	(void)d; (void)why; (void)len;
	if (!ats)
		ats_off_sbdf = sbdf;
	return 0;
}
/* partition_iommu_unmap (vm/part/remap.c): what the stop had done to the ATS function when its memory left the IOMMU. */
static struct { unsigned calls, polls; bool master_off, ats_on, polled_after_master_off; struct fake_fn *fn; struct pci_dev *pd; } unmap;

/* The stop drains the fault records once its devices are quiet, before its counters. */
static void stub_poll_faults(void)
{
	unmap.polls++;
	unmap.polled_after_master_off = unmap.fn && !(fake_pci_r16(unmap.fn, PCI_COMMAND) & PCI_COMMAND_MASTER);
}
static const struct iommu_ops stub_iommu = { .name = "stub", .set_ats = stub_set_ats, .poll_faults = stub_poll_faults };
int partition_iommu_unmap(struct partition *p)
{
	(void)p;
	unmap.calls++;
	if (unmap.fn) {
		unmap.master_off = !(fake_pci_r16(unmap.fn, PCI_COMMAND) & PCI_COMMAND_MASTER);
		unmap.ats_on = ats_enabled(unmap.pd);
	}
	return 0;
}

static int setup(void **state)
{
	(void)state;
	fake_mem_reset();
	fake_hw_reset();
	fake_pci_reset();
	fake_log_capture();
	kicks = 0;
	/* As vm/main.c adds them. */
	partition_hypercalls[SLUICE_HC_ATTACK_TARGETS] = attack_hc_targets;
	partition_hypercalls[SLUICE_HC_ATTACK_CHECK] = attack_hc_check;
	ram = fake_mem_add(HPA, RAM_SIZE);
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "p1");
	cfg.guest = true;
	cfg.nr_cpus = 2;
	cfg.cpus[0] = 1;
	cfg.cpus[1] = 2;
	cfg.nr_regions = 2;
	cfg.regions[0] = (struct part_region){ .gpa = 0, .hpa = HPA, .size = 0xf000, .prot = IOMMU_READ | IOMMU_WRITE };
	cfg.regions[1] = (struct part_region){ .gpa = 0xf000, .hpa = HPA + 0xf000, .size = 0x1000, .prot = IOMMU_READ };
	cfg.nr_devices = 1;
	cfg.devices[0].sbdf = EDU;
	struct fake_fn *f = fake_pci_add(EDU, 0x1234, 0x11e8, 0x00ff00, 0);
	fake_pci_w16(f, PCI_COMMAND, PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	fake_pci_set_wmask(f, PCI_COMMAND, 2, 0x7);
	memset(&part, 0, sizeof(part));
	part.cfg = &cfg;
	part.state = PART_RUNNING;
	u32 sbdf = EDU;
	assert_int_equal(vpci_init(&part.vpci, &sbdf, 1, ECAM, 0xff), 0);
	partition_console_init(&part);
	partition_legacy_init(&part);
	part.nr_vcpus = 2;
	part.vcpus[1].v.part = &part;
	part.vcpus[1].v.cpu = 2;
	v = &part.vcpus[0].v;
	v->part = &part;
	v->cpu = 1;
	v->cr0 = 0x11;  /* PE|ET: protected mode, no paging */
	v->rip = CODE;
	partition_lapic_init(&part, &part.vcpus[0]);
	partition_lapic_init(&part, &part.vcpus[1]);
	partition_msr_reset(&part.vcpus[0]);
	partition_msr_reset(&part.vcpus[1]);
	return 0;
}

static void code(const u8 *bytes, size_t n)
{
	memcpy(ram + CODE, bytes, n);
	v->rip = CODE;
}

static int run(enum vm_exit_reason r)
{
	struct vm_exit e = { .reason = r };
	return partition_handle_exit(&part, v, &e);
}

static void cpuid_shows_sluice_and_hides_virtualization(void **state)
{
	(void)state;
	static const u8 cpuid[] = { 0x0f, 0xa2 };
	code(cpuid, sizeof(cpuid));
	v->regs.rax = 0x40000000;
	assert_int_equal(run(VM_EXIT_CPUID), 0);
	assert_int_equal(v->rip, CODE + 2);     /* the length came from the decoder */
	char id[13];
	memcpy(id, &v->regs.rbx, 4);
	memcpy(id + 4, &v->regs.rcx, 4);
	memcpy(id + 8, &v->regs.rdx, 4);
	id[12] = '\0';
	assert_string_equal(id, "SluiceHV    ");
	code(cpuid, sizeof(cpuid));
	v->regs.rax = 1;
	assert_int_equal(run(VM_EXIT_CPUID), 0);
	assert_true(v->regs.rcx & BIT_ULL(31));         /* hypervisor present */
	assert_false(v->regs.rcx & BIT_ULL(5));         /* no VMX */
	assert_int_equal(v->regs.rbx >> 24, 0);         /* APIC ID: the BSP's, 0, though it runs on CPU 1 */
	assert_true(v->regs.rdx & BIT_ULL(9));          /* a local APIC ... */
	assert_true(v->regs.rcx & BIT_ULL(21));         /* ... with x2APIC mode */
	assert_int_equal((v->regs.rbx >> 16) & 0xff, 2);        /* the partition's two CPUs */
	assert_false(v->regs.rcx & BIT_ULL(27));        /* OSXSAVE: the guest's CR4 has it clear ... */
	code(cpuid, sizeof(cpuid));
	v->regs.rax = 1;
	v->cr4 = BIT_ULL(18);
	assert_int_equal(run(VM_EXIT_CPUID), 0);
	assert_true(v->regs.rcx & BIT_ULL(27));         /* ... and set: CPUID follows it */
	assert_int_equal(partition_exits(&part, VM_EXIT_CPUID), 3);
}

static void console_lines_carry_the_partition_name(void **state)
{
	(void)state;
	const char *s = "hello\n";
	for (const char *c = s; *c; c++) {
		struct vm_exit e = { .reason = VM_EXIT_IO, .insn_len = 1, .io = { .port = 0x3f8, .size = 1 } };
		v->regs.rax = (u8)*c;
		assert_int_equal(partition_handle_exit(&part, v, &e), 0);
	}
	assert_true(fake_log_has("INFO p1: hello\n"));
	assert_int_equal(v->rip, CODE + 6);
	/* LSR: transmitter empty. */
	struct vm_exit e = { .reason = VM_EXIT_IO, .insn_len = 1, .io = { .port = 0x3fd, .size = 1, .in = true } };
	assert_int_equal(partition_handle_exit(&part, v, &e), 0);
	assert_int_equal(v->regs.rax & 0x60, 0x60);
}

static void unclaimed_ports_float_and_are_counted(void **state)
{
	(void)state;
	struct vm_exit e = { .reason = VM_EXIT_IO, .insn_len = 2, .io = { .port = 0x60, .size = 1, .in = true } };
	v->regs.rax = 0x1234;
	assert_int_equal(partition_handle_exit(&part, v, &e), 0);
	assert_int_equal(v->regs.rax, 0x12ff);  /* only AL changes */
	assert_int_equal(part.io_unclaimed, 1);
	assert_true(fake_log_has("WARN p1: read port 0x0060 (1 bytes): no such device, reads all-ones"));
	/* String I/O is not emulated: parked. */
	struct vm_exit s = { .reason = VM_EXIT_IO, .io = { .port = 0x3f8, .size = 1, .string = true } };
	assert_int_equal(partition_handle_exit(&part, v, &s), 1);
	assert_int_equal(part.state, PART_PARKED);
}

/* One port access through an I/O exit: the value the guest gets in AL/AX for an IN. */
static u64 io(u16 port, u32 size, bool in, u32 val)
{
	struct vm_exit e = { .reason = VM_EXIT_IO, .insn_len = 1, .io = { .port = port, .size = size, .in = in } };
	v->regs.rax = val;
	assert_int_equal(partition_handle_exit(&part, v, &e), 0);
	return v->regs.rax;
}

/* Unclaimed accesses are counted by port; past the table's ports, as "other ports"; the end summary lists them. */
static void unclaimed_ports_are_counted_by_port(void **state)
{
	(void)state;
	for (u32 i = 0; i < 3; i++)
		io(0x80, 1, false, 0);
	io(0x62, 1, true, 0);
	io(0x62, 1, false, 0);
	assert_int_equal(part.nr_unclaimed_ports, 2);
	assert_int_equal(part.unclaimed_ports[0].port, 0x80);
	assert_int_equal(part.unclaimed_ports[0].writes, 3);
	assert_int_equal(part.unclaimed_ports[0].reads, 0);
	assert_int_equal(part.unclaimed_ports[1].reads, 1);
	assert_int_equal(part.unclaimed_ports[1].writes, 1);
	for (u32 i = 0; i < PART_UNCLAIMED_PORTS + 2; i++)
		io((u16)(0x200 + i), 1, true, 0);
	assert_int_equal(part.nr_unclaimed_ports, PART_UNCLAIMED_PORTS);
	assert_int_equal(part.unclaimed_other, 4);
	assert_int_equal(part.io_unclaimed, 5 + PART_UNCLAIMED_PORTS + 2);
	/* The end summary (the debug-exit port ends it). */
	struct vm_exit e = { .reason = VM_EXIT_IO, .insn_len = 1, .io = { .port = 0xf4, .size = 1 } };
	v->regs.rax = 0;
	assert_int_equal(partition_handle_exit(&part, v, &e), 1);
	assert_true(fake_log_has("INFO p1: counters: unclaimed ports (reads/writes): 0x0080 0r/3w, 0x0062 1r/1w, 0x0200 1r/0w"));
	assert_true(fake_log_has("0x020d 1r/0w; 4 to other ports"));
}

static void fw_cfg_ports_reach_its_fw_cfg_unless_it_is_off(void **state)
{
	(void)state;
	fwcfg_init(&part.fwcfg, true, 0x10000, 2, "a b");
	io(FWCFG_PORT_SEL, 2, false, FWCFG_NB_CPUS);
	assert_int_equal(io(FWCFG_PORT_DATA, 1, true, 0) & 0xff, 2);
	assert_int_equal(io(FWCFG_PORT_DATA, 1, true, 0) & 0xff, 0);
	io(FWCFG_PORT_SEL, 2, false, FWCFG_CMDLINE_SIZE);
	assert_int_equal(io(FWCFG_PORT_DATA, 1, true, 0) & 0xff, 4);
	io(FWCFG_PORT_DATA, 1, false, 0x55);
	assert_int_equal(part.fwcfg.writes_dropped, 1);
	assert_int_equal(part.io_unclaimed, 0);
	/* fw-cfg = off: the ports are nobody's, as before fw_cfg existed. */
	fwcfg_init(&part.fwcfg, false, 0x10000, 2, "");
	io(FWCFG_PORT_SEL, 2, false, FWCFG_SIGNATURE);
	assert_int_equal(io(FWCFG_PORT_DATA, 1, true, 0) & 0xff, 0xff);
	assert_int_equal(part.io_unclaimed, 2);
	assert_true(fake_log_has("WARN p1: read port 0x0511 (1 bytes): no such device, reads all-ones"));
}

static void debug_exit_port_ends_the_partition(void **state)
{
	(void)state;
	struct vm_exit e = { .reason = VM_EXIT_IO, .insn_len = 1, .io = { .port = 0xf4, .size = 1 } };
	v->regs.rax = 0x42;
	u32 failed = check_failed();
	assert_int_equal(partition_handle_exit(&part, v, &e), 1);
	assert_int_equal(part.state, PART_EXITED);
	assert_int_equal(part.exit_code, 0x42);
	/* A non-zero code is the guest's own failure verdict. */
	assert_int_equal(check_failed(), failed + 1);
	assert_true(fake_log_has("check: FAIL p1: exited with code 66"));
	assert_true(fake_log_has("INFO p1: debug-exit port: partition exited (code 66)"));
	assert_true(fake_log_has("INFO p1: counters: 1 exits (io 1)"));
	/* Ended: later exits change nothing. */
	assert_int_equal(run(VM_EXIT_SHUTDOWN), 1);
	assert_int_equal(part.state, PART_EXITED);
}

/* An INIT another partition's device sent: counted, the guest resumed where it was, not parked. */
/* One OUT of val (size bytes) to port: what partition_handle_exit returns. */
static int out_port(u16 port, u32 size, u32 val)
{
	struct vm_exit e = { .reason = VM_EXIT_IO, .insn_len = 1, .io = { .port = port, .size = size } };
	v->regs.rax = val;
	return partition_handle_exit(&part, v, &e);
}

static void acpi_power_ports_act_only_for_a_partition_given_tables(void **state)
{
	(void)state;
	/* Without tables the ports are nobody's: an S5 write is an unclaimed port, the guest goes on. */
	assert_int_equal(out_port(ACPI_GUEST_SLEEP_CONTROL_PORT, 1, 0x34), 0);
	assert_int_equal(part.state, PART_RUNNING);
	assert_int_equal(part.io_unclaimed, 1);
	assert_int_equal(out_port(ACPI_GUEST_KBC_PORT, 1, ACPI_GUEST_KBC_PULSE_RESET), 0);
	assert_int_equal(part.state, PART_RUNNING);
	assert_int_equal(part.io_unclaimed, 2);
	part.acpi = true;
	/* Status and control read 0 (never woke); clearing WAK_STS is quiet. */
	assert_int_equal(io(ACPI_GUEST_SLEEP_STATUS_PORT, 1, true, 0x1234) & 0xffff, 0x1200);
	assert_int_equal(io(ACPI_GUEST_SLEEP_CONTROL_PORT, 1, true, 0xff), 0);
	io(ACPI_GUEST_SLEEP_STATUS_PORT, 1, false, 0x80);
	assert_int_equal(part.acpi_ignored, 0);
	/* S3, and SLP_TYP 5 without SLP_EN: logged, counted, not a park. */
	u64 rip = v->rip;
	assert_int_equal(out_port(ACPI_GUEST_SLEEP_CONTROL_PORT, 1, 0x20 | 3 << 2), 0);
	assert_int_equal(out_port(ACPI_GUEST_SLEEP_CONTROL_PORT, 1, 5 << 2), 0);
	assert_int_equal(v->rip, rip + 2);
	assert_int_equal(part.state, PART_RUNNING);
	assert_int_equal(part.acpi_ignored, 2);
	assert_int_equal(part.io_unclaimed, 2);
	assert_true(fake_log_has("WARN p1: ACPI: write of 1 bytes at port 0x0600 (value 0x2c): no power action, ignored"));
	/* SLP_EN | SLP_TYP 5, as Linux writes it: exited, code 0, a passing end. */
	u32 failed = check_failed();
	assert_int_equal(out_port(ACPI_GUEST_SLEEP_CONTROL_PORT, 1, 0x34), 1);
	assert_int_equal(part.state, PART_EXITED);
	assert_int_equal(part.exit_code, 0);
	assert_int_equal(check_failed(), failed);
	assert_true(fake_log_has("INFO p1: ACPI power off (S5): partition exited (code 0)"));
	assert_true(fake_log_has("INFO p1: counters: 2 ACPI power-port accesses with no power action"));
}

static void acpi_reset_paths_end_the_partition_as_a_reboot(void **state)
{
	static const struct { u16 port; u32 val; const char *line; } resets[] = {
		{ ACPI_GUEST_RESET_PORT, ACPI_GUEST_RESET_VALUE, "INFO p1: ACPI reset (reboot): partition exited (code 0)" },
		{ 0xcf9, 0x0e, "INFO p1: reset control register 0xcf9 (reboot): partition exited (code 0)" },
		{ 0x64, 0xfe, "INFO p1: 8042 pulse reset (reboot): partition exited (code 0)" },
	};
	for (u32 i = 0; i < ARRAY_SIZE(resets); i++) {
		setup(state);
		part.acpi = true;
		/* Linux's first write to 0xcf9 (SYS_RST alone) asks for nothing yet. */
		assert_int_equal(out_port(0xcf9, 1, 0x02), 0);
		assert_int_equal(part.state, PART_RUNNING);
		assert_int_equal(out_port(resets[i].port, 1, resets[i].val), 1);
		assert_int_equal(part.state, PART_EXITED);
		assert_int_equal(part.exit_code, 0);
		assert_true(fake_log_has(resets[i].line));
	}
}

/* The tables land in the partition's own writable memory, or are refused with one line. */
static void acpi_tables_are_laid_into_its_memory(void **state)
{
	(void)state;
	struct partition_set *set = calloc(1, sizeof(*set));
	set->ecam_gpa = ECAM;
	set->ecam_bus_end = 0xff;
	part.set = set;
	u64 rsdp = 0;
	assert_int_equal(partition_acpi_load(&part, 0x8000, 0x1000, &rsdp), 0);
	assert_int_equal(rsdp, 0x8000);
	assert_true(part.acpi);
	assert_memory_equal(ram + 0x8000, "RSD PTR ", 8);
	assert_true(fake_log_has("INFO p1: ACPI tables at GPA 0x0000000000008000 ("));
	assert_true(fake_log_has("bytes): 2 CPUs, MCFG and host bridge for buses 0x00-0xff, 0 host bridge windows; power off at port 0x0600, reset at port 0x0cf9, no reset vector (0xffff0 is not its writable memory)"));
	/* Read-only memory, memory it does not have, too little room. */
	part.acpi = false;
	assert_int_equal(partition_acpi_load(&part, 0xf000, 0x1000, &rsdp), -HV_ERANGE);
	assert_true(fake_log_has("ERR  p1: ACPI tables at GPA 0x000000000000f000 (4096 bytes) not laid: not its writable memory"));
	assert_int_equal(partition_acpi_load(&part, 0x20000, 0x1000, &rsdp), -HV_ERANGE);
	assert_int_equal(partition_acpi_load(&part, 0x8000, 0x100, &rsdp), -HV_ENOSPC);
	assert_true(fake_log_has("ERR  p1: ACPI tables at GPA 0x0000000000008000 (256 bytes) not laid: no space left"));
	assert_false(part.acpi);
	part.set = NULL;
	free(set);
}

/* Its functions' memory BARs become the host bridge's windows: sorted, touching ones merged, I/O BARs left out. */
static void acpi_host_bridge_windows_cover_its_bars(void **state)
{
	(void)state;
	struct fake_fn *f = fake_pci_find(EDU);
	fake_pci_set_bar(f, 0, 0x800000000ULL, 0x4000, FAKE_BAR_MEM64);
	fake_pci_set_bar(f, 2, 0xfeb00000, 0x1000, 0);
	fake_pci_set_bar(f, 3, 0xfea00000, 0x100000, 0);
	fake_pci_set_bar(f, 4, 0xc000, 0x100, FAKE_BAR_IO);
	pci_reset();
	pci_add_host_bridge(0, 0x00, 0xff);
	assert_true(pci_scan() > 0);
	struct partition_set *set = calloc(1, sizeof(*set));
	set->ecam_gpa = ECAM;
	set->ecam_bus_end = 0x3f;
	part.set = set;
	u64 rsdp;
	assert_int_equal(partition_acpi_load(&part, 0x8000, 0x1000, &rsdp), 0);
	assert_true(fake_log_has("MCFG and host bridge for buses 0x00-0x3f, 2 host bridge windows"));
	/* The QWord Memory descriptors of the DSDT's _CRS, in order: minimum at +14, length at +38. */
	static const u64 want[2][2] = { { 0xfea00000, 0x101000 }, { 0x800000000ULL, 0x4000 } };
	u32 found = 0;
	for (u32 off = 0x8000; off + 46 <= 0x9000 && found < 2; off++) {
		if (ram[off] != 0x8a || ram[off + 1] != 43 || ram[off + 2] != 0)
			continue;
		assert_int_equal(get_le64(ram + off + 14), want[found][0]);
		assert_int_equal(get_le64(ram + off + 38), want[found][1]);
		found++;
	}
	assert_int_equal(found, 2);
	part.set = NULL;
	free(set);
	pci_reset();            /* the other tests find no function */
}

/* A passed-through I/O BAR holding a power port would hide the guest's writes there: no tables. */
static void acpi_tables_refused_when_an_io_bar_holds_a_power_port(void **state)
{
	(void)state;
	struct fake_fn *f = fake_pci_find(EDU);
	fake_pci_set_bar(f, 4, 0x0600, 0x40, FAKE_BAR_IO);
	pci_reset();
	pci_add_host_bridge(0, 0x00, 0xff);
	assert_true(pci_scan() > 0);
	u64 rsdp = 0;
	assert_int_equal(partition_acpi_load(&part, 0x8000, 0x1000, &rsdp), -HV_EBUSY);
	assert_true(fake_log_has("ERR  p1: ACPI tables: device 00:03.0 BAR4 (ports 0x0600-0x063f) holds power port 0x0600"));
	assert_false(part.acpi);
	/* Clear of the ports, the same function is fine. */
	fake_pci_set_bar(f, 4, 0xc000, 0x40, FAKE_BAR_IO);
	pci_reset();
	pci_add_host_bridge(0, 0x00, 0xff);
	assert_true(pci_scan() > 0);
	assert_int_equal(partition_acpi_load(&part, 0x8000, 0x1000, &rsdp), 0);
	assert_true(part.acpi);
	pci_reset();
}

static void init_signal_is_counted_and_the_guest_resumes(void **state)
{
	(void)state;
	u64 before = irq_stray_inits();
	v->rip = CODE;
	for (u32 i = 0; i < 2; i++)
		assert_int_equal(run(VM_EXIT_INIT), 0);
	assert_int_equal(part.state, PART_RUNNING);
	assert_int_equal(v->rip, CODE);
	assert_int_equal(irq_stray_inits(), before + 2);
	assert_int_equal(partition_exits(&part, VM_EXIT_INIT), 2);
	assert_true(fake_log_has("WARN irq: INIT signal (intercepted in the guest) to CPU 1 ("));
	assert_false(fake_log_has("parked"));
}

/*
 * An INIT the CPU does not consume (Bochs 2.7 keeps it pending after the
 * VMX INIT exit): every entry exits again at the same rip, the guest never
 * runs. INITs that come while the guest moves on never add up.
 */
static void init_that_stays_pending_parks_the_partition(void **state)
{
	(void)state;
	for (u32 i = 0; i < 3 * PART_INIT_STUCK; i++) {
		v->rip = CODE + (i % 2);        /* the guest ran between them */
		assert_int_equal(run(VM_EXIT_INIT), 0);
	}
	v->rip = CODE + 0x10;
	for (u32 i = 1; i < PART_INIT_STUCK; i++)
		assert_int_equal(run(VM_EXIT_INIT), 0);
	assert_int_equal(part.state, PART_RUNNING);
	assert_int_equal(run(VM_EXIT_INIT), 1);
	assert_int_equal(part.state, PART_PARKED);
	assert_true(fake_log_has("WARN p1: parked: an INIT made its CPU exit 10000 times at rip 0x0000000000001010: the CPU does not consume it"));
}

/* Its CPU was reset under it (found by the sweep, on another CPU): parked, its devices stopped, done. */
static void partition_that_lost_its_cpu_is_parked_and_done(void **state)
{
	(void)state;
	partition_cpu_lost(&part, 1);
	assert_int_equal(part.state, PART_PARKED);
	assert_true(part.done);
	assert_true(fake_log_has("WARN p1: parked: its CPU 1 was reset under it (an INIT Sluice could not consume); guest state lost"));
	assert_true(fake_log_has("bus mastering off"));
	/* Its end check: a park, and its config does not expect one. */
	assert_true(fake_log_has("check: FAIL p1: parked: its CPU 1 was reset under it"));
	/* A second report changes nothing. */
	partition_cpu_lost(&part, 1);
	assert_int_equal(fake_log_count("WARN p1: parked:"), 1);
	assert_int_equal(fake_log_count("check: "), 1);
}

static const u8 vmmcall[] = { 0x0f, 0x01, 0xd9 };

static u64 hcall(u64 nr, u64 a0, u64 a1, u64 a2)
{
	code(vmmcall, sizeof(vmmcall));
	v->regs.rax = nr;
	v->regs.rdi = a0;
	v->regs.rsi = a1;
	v->regs.rdx = a2;
	run(VM_EXIT_HYPERCALL);
	return v->regs.rax;
}

/* The paravirtual ICR: the same filter as the local APIC's (vm/part/smp.c), its result in RAX. */
static void ipi_hypercall_reaches_the_partitions_own_cpus_only(void **state)
{
	(void)state;
	part.vcpus[1].state = PART_VCPU_WAIT_SIPI;
	assert_int_equal(hcall(SLUICE_HC_IPI, 1, 0x4500, 0), 0);               /* INIT to its AP (APIC ID 1, on CPU 2) */
	assert_int_equal(part.vcpus[1].pending, PART_VCPU_INIT);
	assert_int_equal((s64)hcall(SLUICE_HC_IPI, 2, 0x4500, 0), -SLUICE_HC_EINVAL);  /* APIC ID 2: not its own */
	assert_int_equal(part.ipi_dropped[PART_IPI_OUTSIDE], 1);
	assert_int_equal((s64)hcall(SLUICE_HC_IPI, 1ULL << 32, 0x4500, 0), -SLUICE_HC_EINVAL);
	assert_int_equal(part.ipi_sent, 1);
}

/* A back end as vm/part/msr.c and the #GP/#UD injection see it: EFER and PAT in its "guest state", the events it was asked to raise. */
static u64 stub_efer, stub_pat;
static struct { u32 calls; u8 vector; bool has_error; u32 error; } raised;
static int stub_state_msr(struct vcpu *vc, u32 m, bool write, u64 *val)
{
	u64 *reg = m == 0xc0000080 ? &stub_efer : m == 0x277 ? &stub_pat : NULL;
	if (!reg)
		return -HV_ENOENT;
	if (write)
		*reg = m == 0xc0000080 ? *val & ~0x400ULL : *val;
	if (m == 0xc0000080)
		vc->efer = *reg;
	*val = *reg;
	return 0;
}
static void stub_exc_inject(struct vcpu *vc, u8 vector, bool has_error, u32 error)
{
	(void)vc;
	raised.calls++;
	raised.vector = vector;
	raised.has_error = has_error;
	raised.error = error;
}
static const struct virt_ops stub_ops = { .name = "stub", .state_msr = stub_state_msr, .exc_inject = stub_exc_inject };

static void use_stub_ops(void)
{
	part.ops = &stub_ops;
	stub_efer = 0;
	stub_pat = 0x0007040600070406ULL;
	memset(&raised, 0, sizeof(raised));
}

static int wrmsr_efer(u64 val)
{
	static const u8 wrmsr[] = { 0x0f, 0x30 };
	code(wrmsr, sizeof(wrmsr));
	struct vm_exit e = { .reason = VM_EXIT_MSR_WRITE, .insn_len = 2, .msr = { .index = 0xc0000080, .value = val } };
	return partition_handle_exit(&part, v, &e);
}

/* Allowed EFER bits reach the guest state; a refused value is the guest's #GP, rip left on the WRMSR. */
static void efer_writes_are_checked_then_reach_the_guest_state(void **state)
{
	(void)state;
	use_stub_ops();
	assert_int_equal(wrmsr_efer(0x500), 0);         /* LME, and LMA which is the CPU's: dropped */
	assert_int_equal(stub_efer, 0x100);
	assert_int_equal(v->rip, CODE + 2);
	v->cr0 = 0x80000011;                            /* paging on: LME may not change any more */
	assert_int_equal(wrmsr_efer(0x900), 0);         /* NXE added, LME kept */
	assert_int_equal(stub_efer, 0x900);
	assert_int_equal(wrmsr_efer(0x800), 0);
	assert_int_equal(part.state, PART_RUNNING);
	assert_int_equal(raised.calls, 1);
	assert_int_equal(raised.vector, 13);
	assert_true(raised.has_error);
	assert_int_equal(raised.error, 0);
	assert_int_equal(v->rip, CODE);                 /* a fault: the WRMSR did not complete */
	assert_int_equal(stub_efer, 0x900);
	assert_true(fake_log_has("WARN p1: wrmsr 0xc0000080 (EFER) = 0x0000000000000800: #GP in the guest (a value it may not take)"));
	assert_int_equal(part.msr_refused, 1);
}

static void efer_svme_is_not_the_guests(void **state)
{
	(void)state;
	use_stub_ops();
	assert_int_equal(wrmsr_efer(0x1100), 0);
	assert_int_equal(raised.vector, 13);
	assert_int_equal(stub_efer, 0);
	/* Without a back end that can raise #GP the partition is parked instead. */
	part.ops = NULL;
	assert_int_equal(wrmsr_efer(0x1100), 1);
	assert_int_equal(part.state, PART_PARKED);
	assert_true(fake_log_has("parked: wrmsr 0xc0000080 refused (this back end cannot raise #GP)"));
}

/* Real mode (an AP right after its SIPI): rip is relative to CS's base, only prefix-free RDMSR/WRMSR/CPUID are skipped. */
static void real_mode_exits_skip_from_the_cs_base(void **state)
{
	(void)state;
	static const u8 cpuid_rm[] = { 0x0f, 0xa2 };
	memcpy(ram + CODE + 0x10, cpuid_rm, sizeof(cpuid_rm));
	v->cr0 = 0x10;                                  /* ET only */
	v->cs_base = CODE;
	v->rip = 0x10;
	v->regs.rax = 0;
	assert_int_equal(run(VM_EXIT_CPUID), 0);
	assert_int_equal(v->rip, 0x12);
	static const u8 prefixed[] = { 0x66, 0x0f, 0xa2 };
	memcpy(ram + CODE + 0x12, prefixed, sizeof(prefixed));
	assert_int_equal(run(VM_EXIT_CPUID), 1);
	assert_true(fake_log_has("parked: cannot decode the real-mode instruction at cs:ip 0x0100:0x0012"));
	/* HLT with interrupts on in real mode (a real-mode kernel waiting for its timer): it waits. */
	setup(NULL);
	part.vcpus[1].state = PART_VCPU_RUNNING;        /* its AP could send an IPI */
	ram[CODE + 0x20] = 0xf4;
	v->cr0 = 0x10;
	v->cs_base = CODE;
	v->rip = 0x20;
	v->rflags = RFLAGS_IF;
	assert_int_equal(run(VM_EXIT_HLT), 0);
	assert_int_equal(v->rip, 0x21);
	assert_true(part.vcpus[0].halted);
}

static void io_loop_counts_the_exits_between_its_marks(void **state)
{
	(void)state;
	part.io_loop_start = ~0ULL;
	assert_int_equal((s64)hcall(SLUICE_HC_IO_LOOP, 1, 8, 0), -SLUICE_HC_EINVAL);      /* no loop open */
	fake_time_step_ns = 0;
	assert_int_equal(hcall(SLUICE_HC_IO_LOOP, 0, 0, 0), 0);
	fake_time_ns += 2000000;                                        /* the loop took 2 ms */
	assert_int_equal(hcall(SLUICE_HC_IO_LOOP, 1, 64, 0), 0);        /* nothing exited in between */
	assert_true(fake_log_has("INFO p1: I/O loop: 64 I/Os, 0 VM exits, 2000 us, 32000 I/Os per second"));
	assert_int_equal(hcall(SLUICE_HC_IO_LOOP, 0, 0, 0), 0);
	static const u8 cpuid[] = { 0x0f, 0xa2 };
	for (int i = 0; i < 2; i++) {
		code(cpuid, sizeof(cpuid));
		assert_int_equal(run(VM_EXIT_CPUID), 0);
	}
	assert_int_equal(hcall(SLUICE_HC_IO_LOOP, 1, 16, 0), 2);
	assert_int_equal(part.io_loop_ios, 80);
	assert_int_equal(part.io_loop_exits, 2);
}

/* The mark port of a Linux partition: the exits between a byte N and a 0, by reason, without the marks' own. */
static void mark_port_counts_the_exits_between_its_marks(void **state)
{
	(void)state;
	static const u8 cpuid[] = { 0x0f, 0xa2 };
	part.io_loop_start = ~0ULL;
	io(SLUICE_PORT_MARK, 1, false, 1);              /* not a Linux partition: nobody's port */
	assert_int_equal(part.io_unclaimed, 1);
	cfg.entry = GUEST_ENTRY_LINUX;
	io(SLUICE_PORT_MARK, 1, false, 0);              /* nothing open to close */
	assert_true(fake_log_has("WARN p1: mark port 0x00e8: no interval is open to close, dropped (value 0x0)"));
	fake_time_step_ns = 0;
	io(SLUICE_PORT_MARK, 1, false, 3);
	assert_int_equal(io(SLUICE_PORT_MARK, 1, true, 0) & 0xff, 3);  /* a read names the open interval: one exit */
	io(SLUICE_PORT_MARK, 1, false, 4);              /* one open already */
	assert_true(fake_log_has("WARN p1: mark port 0x00e8: an interval is open already, dropped (value 0x4)"));
	io(SLUICE_PORT_MARK, 2, false, 0);              /* a word: refused, the interval stays open */
	assert_true(fake_log_has("WARN p1: mark port 0x00e8: writes are single bytes, dropped (value 0x0)"));
	for (int i = 0; i < 2; i++) {
		code(cpuid, sizeof(cpuid));
		assert_int_equal(run(VM_EXIT_CPUID), 0);
	}
	fake_time_ns += 1500000;
	io(SLUICE_PORT_MARK, 1, false, 0);
	assert_true(fake_log_has("INFO p1: mark 3: 5 VM exits in 1500 us (cpuid 2, io 3)"));
	assert_int_equal(part.mark_open, 0);
	assert_int_equal(part.io_loop_start, ~0ULL);
	assert_int_equal(part.marks, 1);
	/* An empty interval. */
	io(SLUICE_PORT_MARK, 1, false, 255);
	io(SLUICE_PORT_MARK, 1, false, 0);
	assert_true(fake_log_has("INFO p1: mark 255: 0 VM exits in 0 us (none)"));
	assert_int_equal(part.mark_refused, 3);
	/* The end summary counts them. */
	assert_int_equal(io(SLUICE_PORT_MARK, 1, true, 0) & 0xff, 0);
	assert_int_equal(out_port(0xf4, 1, 0), 1);
	assert_true(fake_log_has("INFO p1: counters: mark port: 2 intervals measured, 3 writes refused"));
	assert_true(fake_log_has("INFO p1: counters: 13 exits (cpuid 2, io 11)"));
}

static void hypercalls_console_verdict_verify_exit(void **state)
{
	(void)state;
	strcpy((char *)ram + 0x2000, "from a hypercall\n");
	assert_int_equal(hcall(SLUICE_HC_CONSOLE, 0x2000, 17, 0), 17);
	assert_int_equal(v->rip, CODE + 3);
	assert_true(fake_log_has("INFO p1: from a hypercall\n"));
	assert_int_equal((s64)hcall(SLUICE_HC_CONSOLE, 0xfff0, 0x100, 0), -SLUICE_HC_EFAULT);
	part.start_info_gpa = 0x3000;
	assert_int_equal(hcall(SLUICE_HC_START_INFO, 0, 0, 0), 0x3000);

	u32 pass = check_passed(), failed = check_failed();
	strcpy((char *)ram + 0x2100, "edu wrote its bytes");
	assert_int_equal(hcall(SLUICE_HC_VERDICT, 1, 0x2100, 0), 0);
	assert_int_equal(check_passed(), pass + 1);
	assert_true(fake_log_has("INFO check: pass p1: edu wrote its bytes"));
	assert_int_equal(hcall(SLUICE_HC_VERDICT, 0, 0x2100, 0), 0);
	assert_int_equal(check_failed(), failed + 1);
	assert_int_equal(part.verdict_pass, 1);
	assert_int_equal(part.verdict_fail, 1);

	/* Sluice compares host memory: GPA 0x4000 is HPA 0x90004000. */
	memset(ram + 0x4000, 0x5a, 0x80);
	memset(ram + 0x5000, 0x5a, 0x80);
	assert_int_equal(hcall(SLUICE_HC_DMA_VERIFY, 0x4000, 0x5000, 0x80), 0);
	assert_true(fake_log_has("pass p1: 0x80 bytes at GPA 0x0000000000004000 = HPA 0x0000000090004000 match the pattern at GPA 0x0000000000005000 = HPA 0x0000000090005000"));
	ram[0x4010] = 0;
	assert_int_equal(hcall(SLUICE_HC_DMA_VERIFY, 0x4000, 0x5000, 0x80), 1);
	assert_int_equal((s64)hcall(SLUICE_HC_DMA_VERIFY, 0x4000, 0x50000, 0x80), -SLUICE_HC_EFAULT);

	/* From user mode (a process of the guest): -EPERM, nothing done, not a bad hypercall. */
	u64 bad = part.bad_hypercalls;
	v->cpl = 3;
	for (int i = 0; i < 100; i++) {
		code(vmmcall, sizeof(vmmcall));
		v->regs.rax = SLUICE_HC_EXIT;
		v->regs.rdi = 0;
		assert_int_equal(run(VM_EXIT_HYPERCALL), 0);
		assert_int_equal((s64)v->regs.rax, -SLUICE_HC_EPERM);
		assert_int_equal(v->rip, CODE + 3);
	}
	assert_int_equal(part.state, PART_RUNNING);
	assert_int_equal(part.bad_hypercalls, bad);
	assert_int_equal(part.user_hypercalls, 100);
	assert_int_equal(fake_log_count("from CPL 3 at rip"), 1);
	assert_true(fake_log_has("WARN p1: hypercall rax=0x4 from CPL 3 at rip 0x0000000000001000 refused: only the guest's kernel may call Sluice (further ones counted)\n"));
	v->cpl = 0;

	code(vmmcall, sizeof(vmmcall));
	v->regs.rax = SLUICE_HC_EXIT;
	v->regs.rdi = 0;
	assert_int_equal(run(VM_EXIT_HYPERCALL), 1);
	assert_int_equal(part.state, PART_EXITED);
}

#define ATSFN           PCI_SBDF(0, 1, 0, 0)

/*
 * SLUICE_HC_REMAP: refusals are the guest's errors and it runs on; a device
 * that did not answer its device-TLB invalidation parks the partition,
 * and that device loses bus mastering and ATS (function, then IOMMU side).
 */
/* An ATS function in the partition, ATS on, bus mastering on, in a stub IOMMU domain. */
static void add_ats_function(void)
{
	struct fake_fn *f = fake_pci_add(ATSFN, 0x1af4, 0x1041, 0x020000, 0);
	fake_pci_add_pcie(f, 0);
	u16 ats = fake_pci_add_ecap(f, 0x000f, 1, 8);
	fake_pci_set_wmask(f, ats + ATS_CTRL, 2, 0x801f);
	fake_pci_w16(f, ats + ATS_CTRL, ATS_CTRL_ENABLE);
	fake_pci_set_wmask(f, PCI_COMMAND, 2, 0x7);
	fake_pci_w16(f, PCI_COMMAND, PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	pci_reset();
	struct pci_dev *pd = pci_dev_add(ATSFN);
	pci_caps_read(pd);
	assert_true(ats_enabled(pd));
	cfg.devices[cfg.nr_devices++].sbdf = ATSFN;
	cfg.iommu = (struct iommu_domain *)&cfg;        /* never looked into */
	cfg.iommu_ops = &stub_iommu;
	ats_off_sbdf = 0;
	memset(&unmap, 0, sizeof(unmap));
	unmap.fn = f;
	unmap.pd = pd;
}

static void remap_hypercall_refuses_or_contains(void **state)
{
	(void)state;
	remap_result = -HV_ENOENT;
	assert_int_equal((s64)hcall(SLUICE_HC_REMAP, 0x5000, 0, 0), -SLUICE_HC_EINVAL);
	assert_int_equal(remap_gpa, 0x5000);
	remap_result = -HV_ENOMEM;
	assert_int_equal((s64)hcall(SLUICE_HC_REMAP, 0x5000, 0, 0), -SLUICE_HC_EIO);
	remap_result = 0;
	assert_int_equal(hcall(SLUICE_HC_REMAP, 0x5000, 0, 0), 0);
	assert_int_equal(part.state, PART_RUNNING);

	add_ats_function();
	struct fake_fn *f = unmap.fn;
	struct pci_dev *pd = unmap.pd;
	remap_result = -HV_ETIMEDOUT;
	hcall(SLUICE_HC_REMAP, 0x5000, 0, 0);
	assert_int_equal(part.state, PART_PARKED);
	assert_true(fake_log_has("WARN p1: parked: memory remap of gpa 0x0000000000005000 failed: "));
	assert_int_equal(fake_pci_r16(f, PCI_COMMAND) & PCI_COMMAND_MASTER, 0);
	assert_false(ats_enabled(pd));
	assert_int_equal(ats_off_sbdf, ATSFN);
	assert_true(fake_log_has("INFO p1: device 01:00.0: ATS off"));
	/* A device that did not answer gets no more device-TLB invalidations: ATS off before the stop's unmap. */
	assert_int_equal(unmap.calls, 1);
	assert_true(unmap.master_off);
	assert_false(unmap.ats_on);
	cfg.iommu = NULL;
}

/* Partition stop: DMA off, memory out of the IOMMU while ATS is still on (its ATC gets the invalidation), then ATS off. */
static void an_exit_stops_devices_then_unmaps_then_takes_ats(void **state)
{
	(void)state;
	add_ats_function();
	hcall(SLUICE_HC_EXIT, 0, 0, 0);
	assert_int_equal(part.state, PART_EXITED);
	assert_int_equal(unmap.polls, 1);
	assert_true(unmap.polled_after_master_off);
	assert_int_equal(unmap.calls, 1);
	assert_true(unmap.master_off);
	assert_true(unmap.ats_on);
	assert_false(ats_enabled(unmap.pd));
	assert_int_equal(ats_off_sbdf, ATSFN);
	assert_true(fake_log_has("INFO p1: memory out of the IOMMU: 2 region(s) unmapped, IOTLB and the device-TLB of each ATS function invalidated"));
	assert_true(fake_log_has("INFO p1: device 01:00.0: ATS off"));
	cfg.iommu = NULL;
}

/* SLUICE_HC_RESTART: the new vCPU state is not touched by the hypercall's return; a failed restart parks. */
static void restart_hypercall_starts_over_or_parks(void **state)
{
	(void)state;
	restart_result = 0;
	hcall(SLUICE_HC_RESTART, 0, 0, 0);
	assert_int_equal(v->rip, 0x100000);             /* not the instruction after the VMMCALL */
	assert_int_equal(v->regs.rax, 0x1234);          /* no return value written over it */
	assert_int_equal(part.state, PART_RUNNING);
	assert_true(fake_log_has("INFO p1: restarted (1 so far), entry 0x0000000000100000"));
	restart_result = -HV_ETIMEDOUT;
	hcall(SLUICE_HC_RESTART, 0, 0, 0);
	assert_int_equal(part.state, PART_PARKED);
	assert_true(fake_log_has("WARN p1: parked: restart failed: "));
	restart_result = 0;
}

/* A hypercall added from above (partition_hypercalls): its handler gets the arguments, RAX its result. */
static u64 added_args[3];
static s64 added_hypercall(struct partition *p, u64 a0, u64 a1, u64 a2)
{
	assert_ptr_equal(p, &part);
	added_args[0] = a0;
	added_args[1] = a1;
	added_args[2] = a2;
	return a0 == 1 ? -SLUICE_HC_EIO : 7;
}

static void added_hypercalls_reach_their_handler(void **state)
{
	(void)state;
	assert_int_equal((s64)hcall(14, 5, 0, 0), -SLUICE_HC_EINVAL);
	partition_hypercalls[14] = added_hypercall;
	assert_int_equal(hcall(14, 5, 6, 1ULL << 40), 7);
	assert_true(added_args[0] == 5 && added_args[1] == 6 && added_args[2] == 1ULL << 40);
	assert_int_equal((s64)hcall(14, 1, 0, 0), -SLUICE_HC_EIO);
	assert_int_equal((s64)hcall(15, 5, 0, 0), -SLUICE_HC_EINVAL);
	assert_int_equal((s64)hcall(14 + (1ULL << 32), 5, 0, 0), -SLUICE_HC_EINVAL);
	assert_int_equal(part.bad_hypercalls, 4);
	assert_int_equal(part.state, PART_RUNNING);
}

/*
 * The attack hypercalls: refused without attack-test; with it, targets in
 * the caller's writable page only, snapshots compared byte by byte, the
 * results' page checked. Fake RAM at 0xa0000000: the witness's region,
 * Sluice's "image" and the page allocator's pages (the heap canary and
 * the snapshots).
 */
#define ARAM            0xa0000000ULL
#define ARAM_SIZE       0x100000ULL
#define WIT_HPA         (ARAM + 0x80000)
#define IMG_HPA         (ARAM + 0x10000)

static void attack_hypercalls_need_attack_test(void **state)
{
	(void)state;
	static struct sluice_cfg s;
	static struct partition_set ps;
	const struct attack_host h = { .image_ro_pa = IMG_HPA, .image_ro_size = 0x3000 };
	memset(&s, 0, sizeof(s));
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(attack_setup(&s, &ps, &h), 0);
	assert_int_equal((s64)hcall(SLUICE_HC_ATTACK_TARGETS, 0x6000, 0, 0), -SLUICE_HC_EINVAL);
	assert_int_equal((s64)hcall(SLUICE_HC_ATTACK_CHECK, 0, 0, 0), -SLUICE_HC_EINVAL);
	assert_false(fake_log_has("attack-test = on"));
}

static void attack_targets_are_snapshotted_and_compared(void **state)
{
	(void)state;
	static struct sluice_cfg s;
	static struct partition_set ps;
	static struct partition_cfg wdom;
	static struct memmap mm;
	/* The page past p1's memory (HPA 0x90010000) is free: Sluice takes it as p1's guard. */
	const struct boot_mmap_entry raw[] = {
		{ .base = HPA + RAM_SIZE, .size = PAGE_SIZE, .type = BOOT_MEM_USABLE },
		{ .base = ARAM, .size = ARAM_SIZE, .type = BOOT_MEM_USABLE },
	};
	u8 *aram = fake_mem_add(ARAM, ARAM_SIZE);
	u8 *guard = fake_mem_add(HPA + RAM_SIZE, PAGE_SIZE);
	assert_int_equal(memmap_normalise(raw, 2, &mm, NULL), 0);
	assert_int_equal(page_alloc_init(&mm), 0);
	page_alloc_reserve(WIT_HPA, 0x2000, "witness");
	page_alloc_reserve(IMG_HPA, 0x3000, "image");
	memset(aram + (IMG_HPA - ARAM), 0xcc, 0x3000);

	memset(&s, 0, sizeof(s));
	memset(&ps, 0, sizeof(ps));
	memset(&wdom, 0, sizeof(wdom));
	strcpy(wdom.name, "w");
	wdom.guest = true;
	wdom.nr_regions = 1;
	wdom.regions[0] = (struct part_region){ .gpa = 0x20000000, .hpa = WIT_HPA, .size = 0x2000, .prot = IOMMU_READ | IOMMU_WRITE };
	s.attack.on = true;
	strcpy(s.attack.witness, "w");
	s.attack.witness_gpa = 0x20000000;
	ps.nr = 2;
	ps.p[0].cfg = &cfg;
	ps.p[1].cfg = &wdom;
	part.set = &ps;
	const struct attack_host h = { .image_ro_pa = IMG_HPA, .image_ro_size = 0x3000 };
	assert_int_equal(attack_setup(&s, &ps, &h), 0);
	assert_true(fake_log_has("WARN attack: attack-test = on: a guest will be told where Sluice's own structures are"));
	/* The witness's region now holds a pattern, so a leaked read would show. */
	assert_int_not_equal(attack_bytes_changed(aram + (WIT_HPA - ARAM), aram + (WIT_HPA - ARAM) + 1, 0x100), 0);

	/* The caller's page must be its own, writable, whole. */
	assert_int_equal((s64)hcall(SLUICE_HC_ATTACK_TARGETS, 0xf000, 0, 0), -SLUICE_HC_EFAULT);  /* read-only */
	assert_int_equal((s64)hcall(SLUICE_HC_ATTACK_TARGETS, 0x20000, 0, 0), -SLUICE_HC_EFAULT); /* not its memory */
	assert_int_equal((s64)hcall(SLUICE_HC_ATTACK_TARGETS, 0xee00, 0, 0), -SLUICE_HC_EFAULT);  /* runs past */
	assert_int_equal((s64)hcall(SLUICE_HC_ATTACK_CHECK, 0, 0, 0), -SLUICE_HC_EINVAL);         /* no targets yet */
	assert_int_equal(hcall(SLUICE_HC_ATTACK_TARGETS, 0x6000, 0, 0), 4);
	const struct sluice_attack_list *l = (const void *)(ram + 0x6000);
	assert_int_equal(l->nr, 4);
	assert_string_equal(l->t[0].name, "witness-memory");
	assert_true(l->t[0].iova == WIT_HPA && l->t[0].hpa == WIT_HPA && l->t[0].size == 0x2000);
	assert_string_equal(l->t[1].name, "sluice-image");
	assert_true(l->t[1].hpa == IMG_HPA && l->t[1].size == 0x3000 && l->t[1].kind == SLUICE_ATTACK_MEMORY);
	assert_string_equal(l->t[2].name, "sluice-heap");
	assert_int_equal(l->t[2].size, PAGE_SIZE);
	/* Past the end: aimed at the first GPA past p1's memory, compared at the guard page behind it. */
	assert_string_equal(l->t[3].name, "past-my-end");
	assert_true(l->t[3].iova == 0x10000 && l->t[3].hpa == HPA + RAM_SIZE && l->t[3].size == PAGE_SIZE);

	assert_int_equal(hcall(SLUICE_HC_ATTACK_CHECK, 0, 0, 0), 0);
	assert_true(fake_log_has("check: pass attack: witness-memory [0x00000000a0080000-0x00000000a0081fff]: 0 bytes changed"));
	assert_true(fake_log_has("check: pass attack: sluice-image [0x00000000a0010000-0x00000000a0012fff]: 0 bytes changed"));

	/* Bytes changed anywhere in a target are counted, across its pages. */
	u32 failed = check_failed();
	aram[WIT_HPA - ARAM + 0x1fff] ^= 1;
	aram[IMG_HPA - ARAM] = 0;
	aram[IMG_HPA - ARAM + 0x2001] = 0;
	u8 *canary = phys_to_virt(l->t[2].hpa, PAGE_SIZE);
	canary[7] ^= 0xff;
	guard[0] ^= 0xff;
	struct sluice_attack_result *r = (void *)(ram + 0x8000);
	r[0] = (struct sluice_attack_result){ .target = 1, .result = SLUICE_ATTACK_BLOCKED, .faults = 1, .what = "dma-write" };
	r[1] = (struct sluice_attack_result){ .target = SLUICE_ATTACK_NO_TARGET, .result = SLUICE_ATTACK_SURVIVED,
					      .what = "msi fixed 0x30 cpu0" };
	r[2] = (struct sluice_attack_result){ .target = SLUICE_ATTACK_NO_TARGET, .result = SLUICE_ATTACK_UNCOUNTED,
					      .what = "msi remap\nforged" };
	assert_int_equal(hcall(SLUICE_HC_ATTACK_CHECK, 0x8000, 3, 0), 5);
	assert_int_equal(check_failed(), failed + 4);
	assert_true(fake_log_has("FAIL attack: past-my-end [0x0000000090010000-0x0000000090010fff]: 1 bytes changed"));
	assert_true(fake_log_has("FAIL attack: witness-memory [0x00000000a0080000-0x00000000a0081fff]: 1 bytes changed"));
	assert_true(fake_log_has("FAIL attack: sluice-image [0x00000000a0010000-0x00000000a0012fff]: 2 bytes changed"));
	assert_true(fake_log_has("FAIL attack: sluice-heap"));
	assert_true(fake_log_has("matrix of p1: sluice-image       dma-write                          blocked        1             2\n"));
	assert_true(fake_log_has("matrix of p1: msi-window         msi fixed 0x30 cpu0                survived       0             -\n"));
	/* The guest's text is printed, control characters made harmless. */
	assert_true(fake_log_has("matrix of p1: msi-window         msi remap.forged                   uncounted      0             -\n"));

	/* The results' page: its own memory, at most SLUICE_ATTACK_MAX_RESULTS. */
	assert_int_equal((s64)hcall(SLUICE_HC_ATTACK_CHECK, 0x20000, 1, 0), -SLUICE_HC_EFAULT);
	assert_int_equal((s64)hcall(SLUICE_HC_ATTACK_CHECK, 0x8000, SLUICE_ATTACK_MAX_RESULTS + 1, 0), -SLUICE_HC_EINVAL);
	assert_int_equal(part.state, PART_RUNNING);

	/* Snapshots taken again and never compared: when the attacker is parked, Sluice compares them itself. */
	assert_int_equal(hcall(SLUICE_HC_ATTACK_TARGETS, 0x6000, 0, 0), 4);
	failed = check_failed();
	u32 passed = check_passed();
	assert_int_equal(run(VM_EXIT_SHUTDOWN), 1);
	assert_int_equal(part.state, PART_PARKED);
	assert_true(fake_log_has("p1: ended before its ATTACK_CHECK; Sluice compares the targets now"));
	assert_int_equal(check_passed(), passed + 4);
	assert_int_equal(check_failed(), failed + 1);  /* its own end check: parked, not expected */
	assert_true(fake_log_has("check: FAIL p1: parked: triple fault (shutdown)"));
	struct sluice_cfg off = { 0 };
	attack_setup(&off, &ps, &h);    /* leaves the hypercalls off for the other tests */
}

static void bytes_changed_counts_each_differing_byte(void **state)
{
	(void)state;
	u8 a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, b[8];
	memcpy(b, a, sizeof(b));
	assert_int_equal(attack_bytes_changed(a, b, 8), 0);
	b[0] = 0;
	b[7] = 0;
	assert_int_equal(attack_bytes_changed(a, b, 8), 2);
	assert_int_equal(attack_bytes_changed(a, b, 7), 1);
	assert_int_equal(attack_bytes_changed(a, b, 0), 0);
}

static void garbage_hypercalls_park_the_partition(void **state)
{
	(void)state;
	for (u32 i = 0; i < PART_MAX_BAD_HYPERCALLS; i++)
		assert_int_equal((s64)hcall(0xdead, 0, 0, 0), -SLUICE_HC_EINVAL);
	assert_int_equal(part.state, PART_RUNNING);
	hcall(0xdead, 0, 0, 0);
	assert_int_equal(part.state, PART_PARKED);
	assert_true(fake_log_has("WARN p1: parked: more than 64 bad hypercalls (last: rax=0xdead)"));
}

static void touching_foreign_memory_parks_and_stops_dma(void **state)
{
	(void)state;
	struct vm_exit e = { .reason = VM_EXIT_NPF, .npf = { .gpa = 0x80000000, .write = true } };
	assert_int_equal(partition_handle_exit(&part, v, &e), 1);
	assert_int_equal(part.state, PART_PARKED);
	assert_true(fake_log_has("WARN p1: parked: wrote GPA 0x0000000080000000, which is not its memory"));
	assert_true(fake_log_has("INFO p1: device 00:03.0: bus mastering off"));
	assert_int_equal(fake_pci_r16(fake_pci_find(EDU), PCI_COMMAND) & PCI_COMMAND_MASTER, 0);
	assert_int_equal(kicks, 1);     /* its second CPU */
	assert_true(fake_log_has("p1: counters: 1 exits (npf 1)"));
}

static void writing_read_only_memory_parks(void **state)
{
	(void)state;
	struct vm_exit e = { .reason = VM_EXIT_NPF, .npf = { .gpa = 0xf010, .write = true, .present = true } };
	assert_int_equal(partition_handle_exit(&part, v, &e), 1);
	assert_true(fake_log_has("parked: wrote GPA 0x000000000000f010 of its r memory"));
}

static void ecam_reads_and_writes_go_through_the_filter(void **state)
{
	(void)state;
	/* mov eax, [0xb0018000]: 00:03.0 offset 0 */
	static const u8 load[] = { 0x8b, 0x05, 0x00, 0x80, 0x01, 0xb0 };
	code(load, sizeof(load));
	struct vm_exit e = { .reason = VM_EXIT_NPF, .npf = { .gpa = ECAM + 0x18000 } };
	assert_int_equal(partition_handle_exit(&part, v, &e), 0);
	assert_int_equal(v->regs.rax, 0x11e81234);
	assert_int_equal(v->rip, CODE + sizeof(load));
	/* A function the partition does not own reads all-ones. */
	code(load, sizeof(load));
	e.npf.gpa = ECAM + 0x20000;
	assert_int_equal(partition_handle_exit(&part, v, &e), 0);
	assert_int_equal(v->regs.rax, 0xffffffff);
	/* mov word [0xb0018004], 0x0406: memory + bus master... and the filter keeps to bits 0-2 */
	static const u8 store[] = { 0x66, 0xc7, 0x05, 0x04, 0x80, 0x01, 0xb0, 0x06, 0x04 };
	code(store, sizeof(store));
	e.npf.gpa = ECAM + 0x18004;
	e.npf.write = true;
	assert_int_equal(partition_handle_exit(&part, v, &e), 0);
	assert_int_equal(fake_pci_r16(fake_pci_find(EDU), PCI_COMMAND) & 0x7, 0x6);
	/* An instruction the decoder does not know: parked. */
	static const u8 bad[] = { 0x0f, 0x0b };
	code(bad, sizeof(bad));
	assert_int_equal(partition_handle_exit(&part, v, &e), 1);
	assert_int_equal(part.state, PART_PARKED);
}

static int msr(u32 index, bool write, u64 val);

/* The table's policies (vm/cpu/msr.c) as a guest meets them: answered, dropped, or its #GP. */
static void msrs_follow_the_policy_table(void **state)
{
	(void)state;
	use_stub_ops();
	assert_int_equal(msr(0x277, false, 0), 0);                      /* PAT: the back end's */
	assert_int_equal(v->regs.rax, 0x00070406);
	assert_int_equal(v->regs.rdx, 0x00070406);
	assert_int_equal(msr(0x277, true, 0x0000000000000006ULL), 0);
	assert_int_equal(stub_pat, 6);
	assert_int_equal(msr(0x277, true, 0x0000000000000002ULL), 0);   /* type 2 is reserved */
	assert_int_equal(raised.calls, 1);
	assert_int_equal(stub_pat, 6);
	assert_int_equal(msr(0x10, true, 12345), 0);                    /* TSC write: dropped, counted */
	assert_int_equal(v->rip, CODE + 2);
	assert_int_equal(part.msr_dropped, 1);
	assert_int_equal(msr(0xc0010004, false, 0), 0);                 /* an AMD counter: reads 0 */
	assert_int_equal(v->regs.rax, 0);
	assert_int_equal(msr(0xc0010004, true, 0), 0);
	assert_int_equal(part.msr_dropped, 2);
	assert_int_equal(msr(0x2ff, false, 0), 0);                      /* MTRRs: write-back by default */
	assert_int_equal(v->regs.rax, 0x806);
	assert_int_equal(msr(0x2ff, true, 0x6), 0);
	assert_int_equal(msr(0x2ff, false, 0), 0);
	assert_int_equal(v->regs.rax, 0x6);
	assert_int_equal(msr(0x2ff, true, 0xc06), 0);                   /* FE: no fixed ranges to enable */
	assert_int_equal(raised.calls, 2);
	assert_int_equal(msr(0x3a, false, 0), 0);                       /* feature control: locked, no VMX */
	assert_int_equal(v->regs.rax, 1);
	assert_int_equal(msr(0x3a, true, 5), 0);
	assert_int_equal(raised.calls, 3);
	assert_true(fake_log_has("wrmsr 0x0000003a (IA32_FEATURE_CONTROL) = 0x0000000000000005: #GP in the guest (read-only)"));
	v->rip = CODE + 7;
	assert_int_equal(msr(0x12345678, false, 0), 0);                 /* nothing there */
	assert_int_equal(raised.calls, 4);
	assert_int_equal(raised.vector, 13);
	assert_int_equal(v->rip, CODE);
	assert_true(fake_log_has("rdmsr 0x12345678 (unknown): #GP in the guest (no such MSR in a partition)"));
	assert_int_equal(part.msr_refused, 4);
	assert_int_equal(part.state, PART_RUNNING);
	/* Refusals are logged up to a limit, then only counted. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(msr(0x12345678, true, 0), 0);
	assert_int_equal(part.msr_refused, 14);
	assert_int_equal(fake_log_count("#GP in the guest"), 8);
}

/* Instructions a partition does not have are its #UD; hardware task switches and triple faults park it. */
static void forbidden_instructions_raise_ud(void **state)
{
	(void)state;
	use_stub_ops();
	struct vm_exit e = { .reason = VM_EXIT_FORBIDDEN, .hw_code = 0x80 };
	assert_int_equal(partition_handle_exit(&part, v, &e), 0);
	assert_int_equal(raised.vector, 6);
	assert_false(raised.has_error);
	assert_int_equal(v->rip, CODE);
	assert_int_equal(part.exc_injected, 1);
	assert_true(fake_log_has("executed an instruction it does not have (exit code 0x80) at rip 0x0000000000001000: #UD in the guest"));
	e = (struct vm_exit){ .reason = VM_EXIT_FAULT, .exc = { .vector = 13, .has_error = true, .error_code = 0 } };
	assert_int_equal(partition_handle_exit(&part, v, &e), 0);
	assert_int_equal(raised.vector, 13);
	assert_true(raised.has_error);
	static const u8 invd[] = { 0x0f, 0x08 };
	code(invd, sizeof(invd));
	assert_int_equal(run(VM_EXIT_INVD), 0);                         /* a no-op */
	assert_int_equal(v->rip, CODE + 2);
	assert_int_equal(run(VM_EXIT_TASK_SWITCH), 1);
	assert_true(fake_log_has("parked: a hardware task switch at rip 0x0000000000001002: Sluice does not emulate task switches"));

	setup(NULL);
	e = (struct vm_exit){ .reason = VM_EXIT_FORBIDDEN, .hw_code = 0x80 };
	assert_int_equal(partition_handle_exit(&part, v, &e), 1);       /* no back end to raise it */
	assert_true(fake_log_has("parked: executed an instruction it does not have (exit code 0x80) at rip 0x0000000000001000 (this back end cannot raise exception 6)"));

	setup(NULL);
	assert_int_equal(run(VM_EXIT_SHUTDOWN), 1);
	assert_true(fake_log_has("parked: triple fault (shutdown) at rip 0x0000000000001000"));

	setup(NULL);
	static const u8 hlt[] = { 0xf4 };
	code(hlt, sizeof(hlt));
	assert_int_equal(run(VM_EXIT_HLT), 1);
	assert_int_equal(part.state, PART_HALTED);
	assert_true(fake_log_has("INFO p1: HLT with interrupts off: partition halted (code 0)"));
	assert_true(fake_log_has("check: FAIL p1: halted for good: HLT with interrupts off\n"));

	/* Physical interrupts only bring the CPU back. */
	setup(NULL);
	assert_int_equal(run(VM_EXIT_INTR), 0);
	assert_int_equal(part.state, PART_RUNNING);
}

static int msr(u32 index, bool write, u64 val)
{
	static const u8 insn[] = { 0x0f, 0x30 };
	code(insn, sizeof(insn));
	struct vm_exit e = { .reason = write ? VM_EXIT_MSR_WRITE : VM_EXIT_MSR_READ, .msr = { .index = index, .value = val } };
	return partition_handle_exit(&part, v, &e);
}

static void lapic_msrs_reach_the_vlapic_and_its_gp_is_the_guests(void **state)
{
	(void)state;
	assert_int_equal(msr(0x1b, false, 0), 0);
	assert_int_equal(v->regs.rax, 0xfee00900);      /* xAPIC at the default base, BSP */
	assert_int_equal(msr(0x1b, true, 0xfee00c00), 0);      /* x2APIC on */
	assert_int_equal(msr(0x802, false, 0), 0);
	assert_int_equal(v->regs.rax, 0);               /* its x2APIC ID: the BSP's, 0 */
	assert_int_equal(v->rip, CODE + 2);
	assert_int_equal(msr(0x80f, true, 0x1ff), 0);  /* SVR: enabled */
	assert_int_equal(msr(0x83f, true, 0x45), 0);   /* self-IPI */
	assert_int_equal(vlapic_pending(&part.vcpus[0].lapic), 0x45);
	/* Back to xAPIC directly is #GP (SDM vol 3 11.12.5), the guest's to handle. */
	use_stub_ops();
	assert_int_equal(msr(0x1b, true, 0xfee00800), 0);
	assert_int_equal(raised.vector, 13);
	assert_int_equal(part.state, PART_RUNNING);
	assert_true(fake_log_has("wrmsr 0x0000001b (IA32_APIC_BASE) = 0x00000000fee00800: #GP in the guest (a value it may not take)"));
}

/* MSR_KVM_PV_EOI_EN: #GP without paravirt = pv-eoi; with it, a word in the partition's writable RAM, 4-byte aligned. */
static void pv_eoi_msr_takes_only_a_word_of_the_partitions_ram(void **state)
{
	(void)state;
	use_stub_ops();
	assert_int_equal(msr(0x4b564d04, true, 0x1001), 0);
	assert_int_equal(raised.vector, 13);
	assert_true(fake_log_has("wrmsr 0x4b564d04 (KVM_PV_EOI_EN) = 0x0000000000001001: #GP in the guest (paravirt = pv-eoi is not set for this partition)"));
	cfg.pv_eoi = true;
	memset(&raised, 0, sizeof(raised));
	assert_int_equal(msr(0x4b564d04, true, 0x1001), 0);
	assert_int_equal(raised.calls, 0);
	assert_ptr_equal(part.vcpus[0].lapic.pv_eoi_word, ram + 0x1000);
	assert_int_equal(msr(0x4b564d04, false, 0), 0);
	assert_int_equal(v->regs.rax, 0x1001);
	/* Bit 1 (a word not 4-byte aligned), read-only memory, no memory at all: #GP, one line each, the old word kept. */
	assert_int_equal(msr(0x4b564d04, true, 0x1003), 0);
	assert_true(fake_log_has("wrmsr 0x4b564d04 (KVM_PV_EOI_EN) = 0x0000000000001003: #GP in the guest (bit 1 is reserved: the word's address must be 4-byte aligned)"));
	assert_int_equal(msr(0x4b564d04, true, 0xf001), 0);
	assert_true(fake_log_has("wrmsr 0x4b564d04 (KVM_PV_EOI_EN) = 0x000000000000f001: #GP in the guest (the paravirtual EOI word is not in the partition's RAM)"));
	assert_int_equal(msr(0x4b564d04, true, 0x100001), 0);
	assert_true(fake_log_has("wrmsr 0x4b564d04 (KVM_PV_EOI_EN) = 0x0000000000100001: #GP in the guest (the paravirtual EOI word is not in the partition's RAM)"));
	assert_int_equal(raised.calls, 3);
	assert_ptr_equal(part.vcpus[0].lapic.pv_eoi_word, ram + 0x1000);
	/* Off again: no word. */
	assert_int_equal(msr(0x4b564d04, true, 0), 0);
	assert_null(part.vcpus[0].lapic.pv_eoi_word);
	assert_int_equal(raised.calls, 3);
	assert_int_equal(part.state, PART_RUNNING);
}

static void xapic_page_accesses_are_decoded_into_the_vlapic(void **state)
{
	(void)state;
	/* mov eax, [0xfee00030]: the version register */
	static const u8 load[] = { 0x8b, 0x05, 0x30, 0x00, 0xe0, 0xfe };
	code(load, sizeof(load));
	struct vm_exit e = { .reason = VM_EXIT_NPF, .npf = { .gpa = 0xfee00030 } };
	assert_int_equal(partition_handle_exit(&part, v, &e), 0);
	assert_int_equal(v->regs.rax, LAPIC_VERSION_VALUE);
	assert_int_equal(v->rip, CODE + sizeof(load));
	/* mov dword [0xfee000f0], 0x1ff: SVR, software-enabled */
	static const u8 store[] = { 0xc7, 0x05, 0xf0, 0x00, 0xe0, 0xfe, 0xff, 0x01, 0x00, 0x00 };
	code(store, sizeof(store));
	e = (struct vm_exit){ .reason = VM_EXIT_NPF, .npf = { .gpa = 0xfee000f0, .write = true } };
	assert_int_equal(partition_handle_exit(&part, v, &e), 0);
	assert_int_equal(part.vcpus[0].lapic.svr, 0x1ff);
	/* mov al, [0xfee00020]: a byte of the ID register is not a register access */
	static const u8 byte[] = { 0x8a, 0x05, 0x20, 0x00, 0xe0, 0xfe };
	code(byte, sizeof(byte));
	e = (struct vm_exit){ .reason = VM_EXIT_NPF, .npf = { .gpa = 0xfee00020 } };
	assert_int_equal(partition_handle_exit(&part, v, &e), 1);
	assert_true(fake_log_has("parked: local APIC access of 1 bytes at GPA 0x00000000fee00020: its registers are aligned 32-bit words"));
}

/* A back end that injects into a log. */
static bool fake_ready;
static int fake_injected = -1, fake_window = -1;
static bool fake_intr_ready(struct vcpu *vc) { (void)vc; return fake_ready; }
static void fake_intr_inject(struct vcpu *vc, u8 vec) { (void)vc; fake_injected = vec; fake_ready = false; }
static void fake_intr_window(struct vcpu *vc, bool on) { (void)vc; fake_window = on; }
static u8 fake_cr8;
static u8 fake_tpr_get(struct vcpu *vc) { (void)vc; return fake_cr8; }
static void fake_tpr_set(struct vcpu *vc, u8 tpr) { (void)vc; fake_cr8 = tpr; }
static const struct virt_ops inject_ops = {
	.name = "fake", .intr_ready = fake_intr_ready, .intr_inject = fake_intr_inject, .intr_window = fake_intr_window,
	.tpr_get = fake_tpr_get, .tpr_set = fake_tpr_set,
};

static void cr8_is_the_local_apic_tpr(void **state)
{
	(void)state;
	part.ops = &inject_ops;
	fake_cr8 = 0;
	fake_ready = true;
	fake_injected = -1;
	assert_int_equal(msr(0x1b, true, 0xfee00c00), 0);
	assert_int_equal(msr(0x80f, true, 0x1ff), 0);
	/* mov cr8, 5 in the guest, then any exit: class 5 holds vector 0x50. */
	fake_cr8 = 0x50;
	assert_int_equal(run(VM_EXIT_INTR), 0);
	assert_int_equal(part.vcpus[0].lapic.tpr, 0x50);
	assert_int_equal(vlapic_accept(&part.vcpus[0].lapic, 0x50), 0);
	partition_intr_prepare(&part, &part.vcpus[0], 0);
	assert_int_equal(fake_injected, -1);
	/* The TPR through the MSR goes to CR8 before the next entry; its low bits stay while CR8 shows its class. */
	assert_int_equal(msr(0x808, true, 0x43), 0);
	partition_intr_prepare(&part, &part.vcpus[0], 0);
	assert_int_equal(fake_injected, 0x50);
	assert_int_equal(fake_cr8, 0x43);
	assert_int_equal(run(VM_EXIT_INTR), 0);
	assert_int_equal(part.vcpus[0].lapic.tpr, 0x43);
}

/* paravirt = pv-eoi around entries: the injection sets the guest's bit, the next exit does the EOI the guest signalled. */
static void pv_eoi_bit_follows_the_injection_and_the_next_exit_ends_it(void **state)
{
	(void)state;
	part.ops = &inject_ops;
	cfg.pv_eoi = true;
	fake_cr8 = 0;
	fake_ready = true;
	fake_injected = -1;
	assert_int_equal(msr(0x1b, true, 0xfee00c00), 0);
	assert_int_equal(msr(0x80f, true, 0x1ff), 0);
	assert_int_equal(msr(0x4b564d04, true, 0x2001), 0);
	const struct vlapic *l = &part.vcpus[0].lapic;
	assert_int_equal(vlapic_accept(&part.vcpus[0].lapic, 0x61), 0);
	partition_intr_prepare(&part, &part.vcpus[0], 0);
	assert_int_equal(fake_injected, 0x61);
	assert_int_equal(ram[0x2000] & 1, 1);
	/* The guest's handler clears it (no EOI write); the next exit, whatever it is, ends 0x61. */
	ram[0x2000] &= ~1;
	assert_int_equal(run(VM_EXIT_INTR), 0);
	assert_int_equal(l->isr[0x61 / 32], 0);
	assert_int_equal(l->pv_eois, 1);
	/* Without the key's word nothing is set: a vector now ends by its EOI write only. */
	assert_int_equal(msr(0x4b564d04, true, 0), 0);
	fake_ready = true;
	assert_int_equal(vlapic_accept(&part.vcpus[0].lapic, 0x62), 0);
	partition_intr_prepare(&part, &part.vcpus[0], 0);
	assert_int_equal(fake_injected, 0x62);
	assert_int_equal(ram[0x2000] & 1, 0);
	assert_int_equal(run(VM_EXIT_INTR), 0);
	assert_int_equal(l->isr[0x62 / 32], 1u << (0x62 % 32));
}

/* An AP's HLT with interrupts off stops that CPU only, while its BSP runs (Linux's stop_this_cpu). */
static void ap_hlt_with_interrupts_off_stops_that_cpu(void **state)
{
	(void)state;
	static const u8 hlt[] = { 0xf4 };
	struct vcpu *ap = &part.vcpus[1].v;
	code(hlt, sizeof(hlt));
	ap->cr0 = v->cr0;
	ap->rip = CODE;
	ap->rflags = 2;
	part.vcpus[0].state = part.vcpus[1].state = PART_VCPU_RUNNING;
	struct vm_exit e = { .reason = VM_EXIT_HLT };
	assert_int_equal(partition_handle_exit(&part, ap, &e), 0);
	assert_int_equal(part.state, PART_RUNNING);
	assert_int_equal(part.vcpus[1].state, PART_VCPU_WAIT_SIPI);
	assert_true(fake_log_has("INFO p1: CPU 2: HLT with interrupts off at rip 0x0000000000001000: stopped, it waits for INIT-SIPI\n"));
	/* The BSP's own HLT with interrupts off, no other CPU running: the partition ends. */
	v->rflags = 2;
	assert_int_equal(run(VM_EXIT_HLT), 1);
	assert_int_equal(part.state, PART_HALTED);
	/* The last AP running, with its BSP stopped: it ends the partition too. */
	setup(NULL);
	code(hlt, sizeof(hlt));
	ap->cr0 = v->cr0;
	ap->rip = CODE;
	ap->rflags = 2;
	part.vcpus[0].state = PART_VCPU_WAIT_SIPI;
	part.vcpus[1].state = PART_VCPU_RUNNING;
	assert_int_equal(partition_handle_exit(&part, ap, &e), 1);
	assert_int_equal(part.state, PART_HALTED);
}

static void hlt_with_interrupts_on_waits_for_a_vector(void **state)
{
	(void)state;
	part.ops = &inject_ops;
	static const u8 hlt[] = { 0xf4 };
	/* Nothing can ever wake it (no timer, no device MSI, its AP not started): the HLT ends it. */
	part.vcpus[1].state = PART_VCPU_WAIT_SIPI;
	code(hlt, sizeof(hlt));
	v->rflags = RFLAGS_IF | 2;
	assert_int_equal(run(VM_EXIT_HLT), 1);
	assert_int_equal(part.state, PART_HALTED);
	assert_true(fake_log_has("HLT with interrupts on, but nothing can interrupt it (no timer armed, no device MSI, no other CPU running): partition halted"));
	/* Its end check says which halt it was. */
	assert_true(fake_log_has("check: FAIL p1: halted for good: HLT with interrupts on, but nothing can interrupt it"));
	/* Its AP running could send an IPI: the HLT waits. */
	setup(NULL);
	part.ops = &inject_ops;
	part.vcpus[1].state = PART_VCPU_RUNNING;
	code(hlt, sizeof(hlt));
	v->rflags = RFLAGS_IF | 2;
	assert_int_equal(run(VM_EXIT_HLT), 0);
	assert_int_equal(part.state, PART_RUNNING);
	assert_true(part.vcpus[0].halted);
	assert_int_equal(v->rip, CODE + 1);
	assert_false(partition_halt_over(&part, &part.vcpus[0]));
	/* Software-enabled, a vector from elsewhere: the halt is over; ready, it is injected. */
	assert_int_equal(msr(0x1b, true, 0xfee00c00), 0);
	assert_int_equal(msr(0x80f, true, 0x1ff), 0);
	assert_int_equal(vlapic_accept(&part.vcpus[0].lapic, 0x50), 0);
	assert_true(partition_halt_over(&part, &part.vcpus[0]));
	fake_ready = true;
	partition_intr_prepare(&part, &part.vcpus[0], 0);
	assert_int_equal(fake_injected, 0x50);
	assert_false(part.vcpus[0].halted);
	assert_int_equal(part.vcpus[0].lapic.injected, 1);
	/* Not ready (IF clear): the window is asked for, then dropped once delivered. */
	assert_int_equal(vlapic_accept(&part.vcpus[0].lapic, 0x60), 0);
	partition_intr_prepare(&part, &part.vcpus[0], 0);
	assert_int_equal(fake_window, 1);
	assert_int_equal(fake_injected, 0x50);
	fake_ready = true;
	partition_intr_prepare(&part, &part.vcpus[0], 0);
	assert_int_equal(fake_injected, 0x60);
	assert_int_equal(fake_window, 0);
	/* The 0x50 handler's EOI ends 0x60 first (highest in service). */
	assert_int_equal(msr(0x80b, true, 0), 0);
	assert_int_equal(part.vcpus[0].lapic.isr[0x60 / 32], 0);
	/* A stop request ends a halt too. */
	part.vcpus[0].halted = true;
	assert_true(partition_request_stop(&part, PART_STOP_TIME_LIMIT, 0));
	assert_true(partition_halt_over(&part, &part.vcpus[0]));
}

/*
 * Every partition's CMOS clock (2000-01-01 here: the host clock was never
 * read) and the 8254's counter 2 behind port 0x61, as Linux's RTC driver
 * and its TSC calibration use them; counter 0's port stays nobody's
 * without legacy-pic.
 */
static void every_partition_has_a_clock_and_counter_2(void **state)
{
	(void)state;
	fake_time_step_ns = 0;
	fake_time_ns = 0;
	io(0x70, 1, false, 0x0a);
	assert_int_equal(io(0x71, 1, true, 0) & 0xff, 0x26);          /* UIP clear */
	io(0x70, 1, false, 0x08);
	assert_int_equal(io(0x71, 1, true, 0) & 0xff, 0x01);          /* January, in BCD */
	io(0x70, 1, false, 0x09);
	io(0x71, 1, false, 0x99);                                       /* dropped: the clock is read-only */
	assert_int_equal(io(0x71, 1, true, 0) & 0xff, 0x00);
	assert_int_equal(part.rtc.time_writes, 1);
	/* GATE high, mode 0 from 0xffff: the count runs, OUT2 (port 0x61 bit 5) rises at its end. */
	io(0x61, 1, false, 0x01);
	io(0x43, 1, false, 0xb0);
	io(0x42, 1, false, 0xff);
	io(0x42, 1, false, 0xff);
	assert_int_equal(io(0x61, 1, true, 0) & 0x21, 0x01);
	fake_time_ns += 1000000;                                        /* 1193 ticks */
	assert_int_equal(io(0x42, 1, true, 0) & 0xff, (0xffff - 1193) & 0xff);
	assert_int_equal(io(0x42, 1, true, 0) & 0xff, (0xffff - 1193) >> 8);
	fake_time_ns += 60000000;
	assert_int_equal(io(0x61, 1, true, 0) & 0x21, 0x21);
	assert_int_equal(part.io_unclaimed, 0);
	assert_false(fake_log_has("no such device"));
	/* Counter 0 is legacy-pic's: its data port floats, its control words are counted. */
	assert_int_equal(io(0x40, 1, true, 0) & 0xff, 0xff);
	assert_int_equal(part.io_unclaimed, 1);
	io(0x43, 1, false, 0x34);
	assert_int_equal(part.pit2.other_accesses, 1);
}

/*
 * legacy-pic = on: the PIT's tick wakes a halted BSP through the PIC and
 * its LINT0 (virtual wire mode), with the PIC's vector and no APIC
 * acknowledgement; masked at the PIC, or with LINT0 masked, the HLT is
 * the last instruction again.
 */
static void legacy_pit_wakes_a_halted_bsp_through_the_pic(void **state)
{
	(void)state;
	static const u8 hlt[] = { 0xf4 };
	part.ops = &inject_ops;
	part.vcpus[1].state = PART_VCPU_WAIT_SIPI;
	fake_time_step_ns = 0;
	cfg.legacy_pic = true;
	partition_legacy_init(&part);
	u64 t0 = time_now_ns();
	/* The PIC's ports are claimed now: no warning for a kernel that reads its mask. */
	assert_int_equal(io(0x21, 1, true, 0) & 0xff, 0xfa);
	assert_false(fake_log_has("no such device"));
	code(hlt, sizeof(hlt));
	v->rflags = RFLAGS_IF | 2;
	assert_int_equal(run(VM_EXIT_HLT), 0);
	assert_true(part.vcpus[0].halted);
	/* 65536 ticks of 1.193182 MHz */
	assert_int_equal(partition_timer_deadline(&part, &part.vcpus[0]), t0 + 54925402);
	assert_false(partition_halt_over(&part, &part.vcpus[0]));
	fake_time_ns += 54925402;
	assert_true(partition_halt_over(&part, &part.vcpus[0]));
	fake_ready = true;
	fake_injected = -1;
	partition_intr_prepare(&part, &part.vcpus[0], time_now_ns());
	assert_int_equal(fake_injected, 0x08);
	assert_false(part.vcpus[0].halted);
	assert_int_equal(part.vcpus[0].lapic.injected, 0);
	assert_int_equal(part.pic.delivered, 1);
	/* In service until the handler's EOI at port 0x20; the next tick waits for it. */
	fake_time_ns += 54925402;
	fake_injected = -1;
	fake_ready = true;
	partition_intr_prepare(&part, &part.vcpus[0], time_now_ns());
	assert_int_equal(fake_injected, -1);
	io(0x20, 1, false, 0x20);
	partition_intr_prepare(&part, &part.vcpus[0], time_now_ns());
	assert_int_equal(fake_injected, 0x08);
	/* IRQ0 masked at the PIC: nothing can wake the HLT. */
	io(0x20, 1, false, 0x20);
	io(0x21, 1, false, 0xff);
	assert_int_equal(partition_timer_deadline(&part, &part.vcpus[0]), 0);
	code(hlt, sizeof(hlt));
	assert_int_equal(run(VM_EXIT_HLT), 1);
	assert_int_equal(part.state, PART_HALTED);
}

/* The ICR through the x2APIC MSR: outside the partition dropped, to its own AP (APIC ID 1, CPU 2) delivered there. */
static void ipis_from_the_icr_reach_the_partitions_own_cpus_only(void **state)
{
	(void)state;
	assert_int_equal(msr(0x1b, true, 0xfee00c00), 0);
	assert_int_equal(msr(0x80f, true, 0x1ff), 0);
	assert_int_equal(msr(0x830, true, (u64)9 << 32 | 0x4500), 0);  /* INIT to APIC ID 9 */
	assert_int_equal(msr(0x830, true, (u64)1 << 32 | 0x0031), 0);  /* fixed 0x31 to APIC ID 1, its AP */
	assert_int_equal(part.state, PART_RUNNING);
	assert_int_equal(part.ipi_dropped[PART_IPI_OUTSIDE], 1);
	assert_int_equal(part.ipi_sent, 1);
	assert_int_equal(part.vcpus[0].lapic.ipis_failed, 1);
	assert_int_equal(fake_log_count("WARN p1: IPI from APIC ID 0x0 to APIC ID 0x9 (ICR 0x00004500) dropped: aimed outside the partition (further ones counted)"), 1);
	assert_false(fake_log_has("to APIC ID 0x1"));
	assert_true(part.vcpus[1].lapic.irr[0x31 / 32] & (1u << (0x31 % 32)));
	assert_int_equal(vlapic_pending(&part.vcpus[0].lapic), -1);
}

static void lapic_hypercall_measures_exits_per_tick(void **state)
{
	(void)state;
	static const u8 vmcall[] = { 0x0f, 0x01, 0xc1 };
	code(vmcall, sizeof(vmcall));
	v->regs.rax = SLUICE_HC_LAPIC;
	v->regs.rdi = 0;
	assert_int_equal(run(VM_EXIT_HYPERCALL), 0);
	part.vcpus[0].lapic.ticks += 10;
	part.vcpus[0].exits[VM_EXIT_INTR] += 10;
	part.vcpus[0].exits[VM_EXIT_MSR_WRITE] += 10;
	code(vmcall, sizeof(vmcall));
	v->regs.rax = SLUICE_HC_LAPIC;
	v->regs.rdi = 1;
	v->regs.rsi = 9;
	assert_int_equal(run(VM_EXIT_HYPERCALL), 0);
	assert_int_equal(v->regs.rax, 20);
	assert_true(fake_log_has("p1: lapic timer: 10 ticks in"));
	assert_true(fake_log_has("9 counted by the guest, 0 interrupts injected, 0 EOIs, 20 VM exits, 2.00 exits per tick"));
	/* An end without a start is the guest's error. */
	code(vmcall, sizeof(vmcall));
	v->regs.rax = SLUICE_HC_LAPIC;
	assert_int_equal(run(VM_EXIT_HYPERCALL), 0);
	assert_int_equal((s64)v->regs.rax, -SLUICE_HC_EINVAL);
}

/* The boot CPU's time-limit request, taken at the kick's INTR exit: stopped, a failed check unless expected. */
static void a_time_limit_request_stops_the_partition_at_its_next_exit(void **state)
{
	(void)state;
	cfg.time_limit_ms = 2000;
	cfg.iommu = (struct iommu_domain *)&cfg;        /* never looked into */
	cfg.iommu_ops = &stub_iommu;
	memset(&unmap, 0, sizeof(unmap));
	u32 failed = check_failed(), passed = check_passed();
	assert_int_equal(run(VM_EXIT_INTR), 0);        /* nothing asked: back into the guest */
	assert_true(partition_request_stop(&part, PART_STOP_TIME_LIMIT, 0));
	assert_int_equal(run(VM_EXIT_INTR), 1);
	assert_int_equal(part.state, PART_STOPPED);
	assert_string_equal(part.why, "time limit 2s reached");
	assert_int_equal(check_failed(), failed + 1);
	assert_true(fake_log_has("check: FAIL p1: stopped: time limit 2s reached"));
	/* Stopped the orderly way, as an exit is. */
	assert_false(fake_pci_r16(fake_pci_find(EDU), PCI_COMMAND) & PCI_COMMAND_MASTER);
	assert_int_equal(unmap.calls, 1);
	assert_true(fake_log_has("INFO p1: time limit 2s reached: partition stopped (code 0)"));

	/* Expected by the config: the same stop, a passing check. */
	setup(NULL);
	cfg.time_limit_ms = 2000;
	cfg.expect = PART_EXPECT_TIME_LIMIT;
	assert_true(partition_request_stop(&part, PART_STOP_TIME_LIMIT, 0));
	assert_int_equal(run(VM_EXIT_IO), 1);          /* any exit takes the request first */
	assert_int_equal(part.state, PART_STOPPED);
	assert_int_equal(check_failed(), failed + 1);
	assert_int_equal(check_passed(), passed + 1);
	assert_true(fake_log_has("check: pass p1: stopped as its config expects (time limit 2s reached)"));
	/* The run's limit is never the one expect = time-limit names. */
	setup(NULL);
	cfg.time_limit_ms = 2000;
	cfg.expect = PART_EXPECT_TIME_LIMIT;
	assert_true(partition_request_stop(&part, PART_STOP_RUN_LIMIT, 0));
	assert_int_equal(run(VM_EXIT_INTR), 1);
	assert_int_equal(check_failed(), failed + 2);
	assert_true(fake_log_has("check: FAIL p1: stopped: the run's time limit reached (command line time-limit=); its config has expect = time-limit"));
}

/* A device past its DMA fault limit: its partition's on-fault, here park. */
static void a_dma_fault_limit_request_parks_the_partition(void **state)
{
	(void)state;
	cfg.dma_fault_limit = 20;
	part.fault_sbdf = EDU;
	assert_true(partition_request_stop(&part, PART_STOP_DMA_FAULTS, 0));
	assert_int_equal(run(VM_EXIT_INTR), 1);
	assert_int_equal(part.state, PART_PARKED);
	assert_true(fake_log_has("WARN p1: parked: device 00:03.0 reached its DMA fault limit (dma-fault-limit = 20)"));
	assert_false(fake_pci_r16(fake_pci_find(EDU), PCI_COMMAND) & PCI_COMMAND_MASTER);
	assert_int_equal(kicks, 1 + 1);                /* the request's kick, then its other CPU */
}

/* With on-fault = stop the same request stops the machine: a failed check and the result line. */
static void a_dma_fault_limit_with_on_fault_stop_stops_the_machine(void **state)
{
	(void)state;
	cfg.dma_fault_limit = 5;
	cfg.on_fault = FAULT_STOP;
	part.fault_sbdf = EDU;
	u32 failed = check_failed();
	assert_true(partition_request_stop(&part, PART_STOP_DMA_FAULTS, 0));
	if (!setjmp(fake_halt_jmp))
		run(VM_EXIT_INTR);
	assert_int_equal(fake_halts, 1);
	assert_int_equal(part.state, PART_PARKED);
	assert_int_equal(check_failed(), failed + 1);
	assert_true(fake_log_has("ERR  p1: on-fault = stop: stopping the machine"));
	assert_true(fake_log_has("check: FAIL p1: parked: device 00:03.0 reached its DMA fault limit (dma-fault-limit = 5)"));
	assert_true(fake_log_has("sluice: result pass="));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(cpuid_shows_sluice_and_hides_virtualization, setup),
		cmocka_unit_test_setup(console_lines_carry_the_partition_name, setup),
		cmocka_unit_test_setup(unclaimed_ports_float_and_are_counted, setup),
		cmocka_unit_test_setup(unclaimed_ports_are_counted_by_port, setup),
		cmocka_unit_test_setup(fw_cfg_ports_reach_its_fw_cfg_unless_it_is_off, setup),
		cmocka_unit_test_setup(debug_exit_port_ends_the_partition, setup),
		cmocka_unit_test_setup(acpi_power_ports_act_only_for_a_partition_given_tables, setup),
		cmocka_unit_test_setup(acpi_reset_paths_end_the_partition_as_a_reboot, setup),
		cmocka_unit_test_setup(acpi_tables_are_laid_into_its_memory, setup),
		cmocka_unit_test_setup(acpi_host_bridge_windows_cover_its_bars, setup),
		cmocka_unit_test_setup(acpi_tables_refused_when_an_io_bar_holds_a_power_port, setup),
		cmocka_unit_test_setup(init_signal_is_counted_and_the_guest_resumes, setup),
		cmocka_unit_test_setup(init_that_stays_pending_parks_the_partition, setup),
		cmocka_unit_test_setup(partition_that_lost_its_cpu_is_parked_and_done, setup),
		cmocka_unit_test_setup(hypercalls_console_verdict_verify_exit, setup),
		cmocka_unit_test_setup(ipi_hypercall_reaches_the_partitions_own_cpus_only, setup),
		cmocka_unit_test_setup(efer_writes_are_checked_then_reach_the_guest_state, setup),
		cmocka_unit_test_setup(efer_svme_is_not_the_guests, setup),
		cmocka_unit_test_setup(real_mode_exits_skip_from_the_cs_base, setup),
		cmocka_unit_test_setup(io_loop_counts_the_exits_between_its_marks, setup),
		cmocka_unit_test_setup(mark_port_counts_the_exits_between_its_marks, setup),
		cmocka_unit_test_setup(remap_hypercall_refuses_or_contains, setup),
		cmocka_unit_test_setup(restart_hypercall_starts_over_or_parks, setup),
		cmocka_unit_test_setup(an_exit_stops_devices_then_unmaps_then_takes_ats, setup),
		cmocka_unit_test_setup(added_hypercalls_reach_their_handler, setup),
		cmocka_unit_test_setup(attack_hypercalls_need_attack_test, setup),
		cmocka_unit_test_setup(attack_targets_are_snapshotted_and_compared, setup),
		cmocka_unit_test(bytes_changed_counts_each_differing_byte),
		cmocka_unit_test_setup(garbage_hypercalls_park_the_partition, setup),
		cmocka_unit_test_setup(touching_foreign_memory_parks_and_stops_dma, setup),
		cmocka_unit_test_setup(writing_read_only_memory_parks, setup),
		cmocka_unit_test_setup(ecam_reads_and_writes_go_through_the_filter, setup),
		cmocka_unit_test_setup(msrs_follow_the_policy_table, setup),
		cmocka_unit_test_setup(forbidden_instructions_raise_ud, setup),
		cmocka_unit_test_setup(lapic_msrs_reach_the_vlapic_and_its_gp_is_the_guests, setup),
		cmocka_unit_test_setup(pv_eoi_msr_takes_only_a_word_of_the_partitions_ram, setup),
		cmocka_unit_test_setup(pv_eoi_bit_follows_the_injection_and_the_next_exit_ends_it, setup),
		cmocka_unit_test_setup(xapic_page_accesses_are_decoded_into_the_vlapic, setup),
		cmocka_unit_test_setup(ap_hlt_with_interrupts_off_stops_that_cpu, setup),
		cmocka_unit_test_setup(hlt_with_interrupts_on_waits_for_a_vector, setup),
		cmocka_unit_test_setup(every_partition_has_a_clock_and_counter_2, setup),
		cmocka_unit_test_setup(legacy_pit_wakes_a_halted_bsp_through_the_pic, setup),
		cmocka_unit_test_setup(cr8_is_the_local_apic_tpr, setup),
		cmocka_unit_test_setup(lapic_hypercall_measures_exits_per_tick, setup),
		cmocka_unit_test_setup(ipis_from_the_icr_reach_the_partitions_own_cpus_only, setup),
		cmocka_unit_test_setup(a_time_limit_request_stops_the_partition_at_its_next_exit, setup),
		cmocka_unit_test_setup(a_dma_fault_limit_request_parks_the_partition, setup),
		cmocka_unit_test_setup(a_dma_fault_limit_with_on_fault_stop_stops_the_machine, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
