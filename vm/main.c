/*
 * The composition root: both entry paths (Multiboot2, Sluice's UEFI loader)
 * end in kmain(), which brings up each layer in turn: kernel/ (console,
 * memory, ACPI, APIC, timer, CPUs), then pci/ and iommu/, then the
 * partitions. It knows every subsystem, so it sits in vm/, the top layer;
 * kernel/ includes nothing above it (docs/architecture.md, "Layers").
 */
#define LOG_SUBSYS "hv"
#include "kernel/types.h"
#include "kernel/lib.h"
#include "kernel/fmt.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "kernel/boot_info.h"
#include "kernel/mb2.h"
#include "kernel/cmdline.h"
#include "kernel/duration.h"
#include "kernel/check.h"
#include "kernel/memmap.h"
#include "kernel/page_alloc.h"
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/tsc.h"
#include "kernel/hpet.h"
#include "kernel/rtc.h"
#include "kernel/wait.h"
#include "kernel/uart16550.h"
#include "kernel/serial.h"
#include "kernel/fatal.h"
#include "kernel/console.h"
#include "kernel/smp.h"
#include "kernel/direct_map.h"
#include "kernel/irq_stray.h"
#include "kernel/irq_selftest.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/time.h"
#include "kernel/hw/mem.h"
#include "kernel/native/idt.h"
#include "kernel/native/pci_cfg.h"
#include "pci/pci.h"
#include "pci/pci_space.h"
#include "pci/nvme_pf.h"
#include "iommu/dmar.h"
#include "iommu/iommu.h"
#include "iommu/vtd_qi.h"
#include "iommu/vtd_ir.h"
#include "vm/config/config.h"
#include "vm/config/partition_cfg.h"
#include "vm/demo/dma_demo.h"
#include "vm/part/vf_setup.h"
#include "vm/part/story.h"
#include "vm/part/partition.h"
#include "vm/part/attack.h"
#include "vm/part/map.h"
#include "vm/part/irq.h"
#include "vm/part/operator.h"
#include "vm/bench/pf_bench.h"
#include "vm/cpu/virt.h"
#include "vm/cpu/svm.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "dev"
#endif
#define LOW_MEMORY_END          (1 * MiB)
/* Without an MCFG: the guests' ECAM window where q35 puts its own. */
#define GUEST_ECAM_FALLBACK     0xb0000000ULL

extern char _kernel_start[], _kernel_end[], _rodata_end[];

/* The kernel's own copy: loader memory is reused once the allocator runs. */
static struct boot_info boot;
static struct memmap memmap;
static struct acpi_info acpi;
static struct cmdline_opts opts;
/* The local APIC mode apic_init() chose (interrupt remapping follows it). */
static bool cpus_x2apic;
/* Where the loader left its own boot information; kept out of the allocator. */
static u64 loader_info_pa, loader_info_size;

void kernel_mb2_entry(u32 magic, u32 info_pa);
void kernel_efi_entry(const struct boot_info *bi);
/*
 * selftest=...: provoke one fatal error so tests see the FATAL path end to
 * end, or (svm) run the SVM back end's self-test and go on booting.
 */
static void run_selftest(enum selftest t)
{
	switch (t) {
	case SELFTEST_UD:
		log_warn("selftest: executing ud2");
		__asm__ volatile("ud2");
		break;
	case SELFTEST_PF:
		log_warn("selftest: writing to 0x%016llx, past the direct map",
			 (unsigned long long)(DIRECT_MAP_END + PAGE_SIZE));
		*(volatile u64 *)(uintptr_t)(DIRECT_MAP_END + PAGE_SIZE) = 1;
		break;
	case SELFTEST_BUG:
		log_warn("selftest: breaking an invariant");
		BUG_ON(t == SELFTEST_BUG);
		break;
	case SELFTEST_SVM:
		svm_selftest_run();
		break;
	case SELFTEST_IRQ:
		irq_selftest_self();
		break;
	case SELFTEST_NONE:
		break;
	}
}

static __noreturn void kmain(int boot_err);

static void console_init(void)
{
	serial_early_init();
	log_set_sink(serial_write);
	log_set_flush(serial_flush);
	log_set_irq_guard(cpu_irq_save, cpu_irq_restore);
	log_set_cpu_fn(smp_this_index);
	idt_init();
}

void kernel_mb2_entry(u32 magic, u32 info_pa)
{
	console_init();
	int ret = mb2_parse(magic, info_pa, &boot);
	const u32 *total = phys_to_virt(info_pa, sizeof(u32));
	loader_info_pa = info_pa;
	loader_info_size = total ? *total : 0;
	if (ret == -HV_EINVAL && magic != MB2_BOOTLOADER_MAGIC) {
		log_write(LOG_ERR, "boot", "no Multiboot2 magic (eax=0x%08x, want 0x%08x): not started by a Multiboot2 loader",
			magic, MB2_BOOTLOADER_MAGIC);
	} else if (ret == -HV_EINVAL) {
		log_write(LOG_ERR, "boot", "Multiboot2 information at 0x%016llx is malformed",
			(unsigned long long)info_pa);
	} else if (ret == -HV_ENOMEM) {
		log_write(LOG_WARN, "boot", "Multiboot2 information has more entries than Sluice keeps; the rest is dropped");
		ret = 0;
	}
	kmain(ret);
}

void kernel_efi_entry(const struct boot_info *bi)
{
	console_init();
	if (!bi || bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION) {
		log_write(LOG_ERR, "boot", "the UEFI loader passed no valid boot information");
		kmain(-HV_EINVAL);
	}
	memcpy(&boot, bi, sizeof(boot));
	loader_info_pa = virt_to_phys(bi);
	loader_info_size = sizeof(*bi);
	kmain(0);
}

static const char *source_name(u32 s)
{
	switch (s) {
	case BOOT_SRC_MB2_BIOS: return "Multiboot2 (BIOS)";
	case BOOT_SRC_MB2_EFI: return "Multiboot2 (UEFI)";
	case BOOT_SRC_UEFI: return "UEFI (sluice-efi)";
	default: return "unknown";
	}
}

/* Stops the run cleanly: one failed check and the result line. */
static __noreturn void stop_boot(const char *why)
{
	check(false, "%s", why);
	check_finish();
}

/*
 * A teaching lab's switch (docs/labs/): one isolation step broken on
 * purpose, set in the layer that owns it before anything is programmed,
 * and said loudly, since this machine's isolation is then not what the
 * config asks for.
 */
static void apply_lab_switch(enum lab_switch lab)
{
	static const char *const what[] = {
		[LAB_NO_ACS] = "no-acs: ports keep firmware's ACS control; isolation groups merge",
		[LAB_DMA_MAP_IDENTITY] = "dma-map-identity: DMA domains map each GPA to the same HPA, not the partition's",
		[LAB_SKIP_DEVTLB_INV] = "skip-devtlb-inv: no device-TLB invalidation is sent to ATS functions",
		[LAB_VF_SHARED_NS] = "vf-shared-ns: the first NVMe VF's namespace is attached to the other VFs too",
		[LAB_SKIP_IEC_INV] = "skip-iec-inv: interrupt remapping entries change without an interrupt entry cache invalidation",
	};
	if (lab == LAB_NONE)
		return;
	pci_acs_lab_off = lab == LAB_NO_ACS;
	partition_cfg_lab_identity = lab == LAB_DMA_MAP_IDENTITY;
	vtd_inv_test_skip_devtlb = lab == LAB_SKIP_DEVTLB_INV;
	nvme_pf_lab_shared_ns = lab == LAB_VF_SHARED_NS;
	vtd_ir_lab_skip_iec = lab == LAB_SKIP_IEC_INV;
	part_irq_lab_no_iec = lab == LAB_SKIP_IEC_INV;
	log_write(LOG_WARN, "lab", "lab switch %s (a teaching lab breaks this on purpose: isolation is NOT as configured)", what[lab]);
	/* A failed check, so that no run with a lab switch can end as a pass. */
	check(false, "no lab switch on this run (a run with one never passes)");
}

/*
 * The command line, read whole (an exit= past the limit still decides how
 * the run ends): one that does not fit is refused and the boot stops;
 * any other problem is a failed check, and the boot goes on.
 */
static void setup_cmdline(void)
{
	const char *text = boot.cmdline;
	size_t len = strnlen(boot.cmdline, sizeof(boot.cmdline));

	if (boot.cmdline_len > len) {
		const char *whole = boot.cmdline_pa ? phys_to_virt(boot.cmdline_pa, boot.cmdline_len) : NULL;
		if (whole) {
			text = whole;
			len = boot.cmdline_len;
		} else {
			log_write(LOG_ERR, "cmdline", "the loader's whole command line (%u characters) cannot be read; its first %u are",
				  boot.cmdline_len, CMDLINE_MAX);
		}
	}
	cmdline_parse(text, len, &opts);
	check_set_exit(opts.exit);
	if (boot.cmdline_len > CMDLINE_MAX)
		opts.too_long = true;   /* only the cut copy was readable: still refused */
	if (opts.too_long) {
		check(false, "command line within the %u characters Sluice holds", CMDLINE_MAX);
		check_finish();
	}
	if (opts.log[0] && log_set_levels(opts.log)) {
		log_write(LOG_WARN, "cmdline", "log=%s: more subsystem levels than Sluice keeps; none applied", opts.log);
		opts.nr_errors++;
	}
	check(!opts.nr_errors, "command line understood (%u word(s) or part(s) refused or repeated)", opts.nr_errors);
	apply_lab_switch(opts.lab);
}

static void setup_allocator(void)
{
	int ret = page_alloc_init(&memmap);
	if (ret) {
		log_write(LOG_ERR, "mem", "allocator cannot hold the memory map: %s", hv_strerror(ret));
		stop_boot("page allocator set up");
	}
	u64 ks = (u64)(uintptr_t)_kernel_start, ke = (u64)(uintptr_t)_kernel_end;
	page_alloc_reserve(0, LOW_MEMORY_END, "low memory (real mode, AP start-up)");
	page_alloc_reserve(ks, ke - ks, "kernel image");
	for (u32 i = 0; i < boot.nr_modules; i++)
		page_alloc_reserve(boot.modules[i].start_pa, boot.modules[i].size, "boot module");
	if (loader_info_size)
		page_alloc_reserve(loader_info_pa, loader_info_size, "loader's boot information");
	u64 top = memmap_top(&memmap);
	if (memmap_usable_bytes_above(&memmap, DIRECT_MAP_END)) {
		log_write(LOG_WARN, "mem", "RAM above 0x%016llx is outside the direct map and left unused",
			 (unsigned long long)DIRECT_MAP_END);
		page_alloc_reserve(DIRECT_MAP_END, top - DIRECT_MAP_END, "above the direct map");
	}
	log_write(LOG_INFO, "mem", "kernel 0x%016llx-0x%016llx, %llu MiB free for allocation",
		 (unsigned long long)ks, (unsigned long long)ke - 1,
		 (unsigned long long)(page_alloc_free_pages() * PAGE_SIZE / MiB));
	page_alloc_print();
}

/* The allocator must honour alignment, fixed addresses and reservations. */
static void check_allocator(void)
{
	u64 pa = 0, ks = (u64)(uintptr_t)_kernel_start;
	int ret = page_alloc_pages(512, 2 * MiB, &pa);
	bool ok = !ret && IS_ALIGNED(pa, 2 * MiB) && pa >= LOW_MEMORY_END && !page_alloc_is_free(pa, 2 * MiB);
	ok = ok && page_alloc_fixed(ks, 1) == -HV_EBUSY;
	ok = ok && !page_free(pa, 512) && page_alloc_fixed(pa, 512) == 0 && !page_free(pa, 512);
	check(ok, "page allocator: 2 MiB aligned, fixed-address and reserved ranges (got 0x%016llx)",
	      (unsigned long long)pa);
}

static void setup_acpi(void)
{
	const u8 *rsdp = boot.rsdp;
	u32 len = boot.rsdp_len;
	u64 pa;

	if (!len && boot.source == BOOT_SRC_MB2_BIOS && !acpi_rsdp_scan_bios(&pa)) {
		log_write(LOG_WARN, "acpi", "loader gave no RSDP; found one at 0x%016llx by scanning BIOS memory",
			 (unsigned long long)pa);
		rsdp = phys_to_virt(pa, BOOT_RSDP_MAX);
		len = rsdp ? BOOT_RSDP_MAX : 0;
	}
	if (!len) {
		log_write(LOG_ERR, "acpi", "no RSDP from the loader or in BIOS memory: no MADT, MCFG or DMAR");
		check(false, "ACPI tables found");
		return;
	}
	int ret = acpi_init(rsdp, len, &acpi);
	check(ret == 0, "ACPI tables found");
	if (ret)
		return;
	check(acpi.have_madt && acpi.nr_cpus > 0, "MADT lists %u CPU(s)", acpi.nr_cpus);
}

/* The log's UART: serial= on the command line, else SPCR's, else COM1 (kernel/serial.h). */
static void setup_serial(void)
{
	const struct acpi_table_ref *t = acpi_find(&acpi, "SPCR", 0);
	const u8 *spcr = t ? phys_to_virt(t->pa, t->len) : NULL;
	struct uart_port used;

	serial_choose(opts.serial_set ? &opts.serial : NULL, spcr, spcr ? t->len : 0, &used);
}

/*
 * The page the AP trampoline is copied to: the highest usable page below
 * the EBDA's usual start (0x9f000) that holds no boot module or loader
 * information. 0 when there is none.
 */
static u64 trampoline_page(void)
{
	for (u64 pa = 0x9e000; pa >= 0x1000; pa -= PAGE_SIZE) {
		bool usable = false;
		for (u32 i = 0; i < memmap.nr && !usable; i++) {
			const struct boot_mmap_entry *e = &memmap.e[i];
			usable = e->type == BOOT_MEM_USABLE && e->base <= pa && pa + PAGE_SIZE <= e->base + e->size;
		}
		bool taken = loader_info_size && ranges_overlap(pa, PAGE_SIZE, loader_info_pa, loader_info_size);
		for (u32 i = 0; i < boot.nr_modules && !taken; i++)
			taken = ranges_overlap(pa, PAGE_SIZE, boot.modules[i].start_pa, boot.modules[i].size);
		if (usable && !taken)
			return pa;
	}
	return 0;
}

/* Each AP, given work by smp_run_on(), says who it is: its struct cpu (GS) and its APIC. */
static volatile u32 ap_said[SMP_MAX_CPUS];

static void ap_report(void *arg)
{
	const struct cpu *c = smp_this_cpu();
	u32 *out = arg;
	*out = c && c == smp_cpu(c->index) && apic_id() == c->apic_id ? c->index + 1 : ~0u;
	smp_kick(smp_boot_cpu());
}

static bool aps_reported(void *arg)
{
	const u64 *asked = arg;
	for (u32 i = 0; i < smp_nr_cpus(); i++)
		if ((*asked & BIT_ULL(i)) && ap_said[i] == 0)
			return false;
	return true;
}

static void check_ap_work(void)
{
	u32 asked = 0, right = 0;
	u64 mask = 0;

	for (u32 i = 0; i < smp_nr_cpus(); i++)
		if (!smp_run_on(i, ap_report, (void *)&ap_said[i])) {
			mask |= BIT_ULL(i);
			asked++;
		}
	int ret = wait_until(aps_reported, &mask, 1000000);
	for (u32 i = 0; i < smp_nr_cpus(); i++)
		right += ap_said[i] == i + 1;
	check(!ret && right == asked, "smp: work posted to %u AP(s) ran there (%u answered with their own CPU and APIC ID)",
	      asked, right);
}

/* The MADT's CPUs: the boot CPU keeps Sluice's services, the others wait for partitions. */
static void setup_smp(void)
{
	smp_init(&acpi);
	u32 listed = 0;
	for (u32 i = 0; i < smp_nr_cpus(); i++)
		listed += smp_cpu(i) != NULL;
	if (listed <= 1) {
		log_write(LOG_INFO, "smp", "1 of 1 CPUs online");
		return;
	}
	u64 page = trampoline_page();
	if (!page) {
		log_write(LOG_ERR, "smp", "no free page below 1 MiB for the AP trampoline; running on the boot CPU alone");
		check(false, "smp: application processors started");
		return;
	}
	log_write(LOG_DBG, "smp", "AP trampoline at 0x%05llx", (unsigned long long)page);
	int online = smp_start_aps(page);
	check((u32)online == listed, "smp: %d of %u CPUs online", online, listed);
	check_ap_work();
}

static bool never(void *arg)
{
	(void)arg;
	return false;
}

/*
 * Registers the bus memory pci/ may hand out (VF BARs that firmware left no
 * room for): the memory map's 32-bit hole and the space above RAM, up to the
 * CPU's physical address width (CPUID 0x80000008 EAX[7:0]) and the direct map.
 */
static void setup_pci_space(void)
{
	struct pci_space_range r[PCI_SPACE_MAX_RANGES];
	struct cpuid_regs c;
	u32 bits = 0;

	cpuid(0x80000000, 0, &c);
	if (c.eax >= 0x80000008) {
		cpuid(0x80000008, 0, &c);
		bits = c.eax & 0xff;
	}
	u32 n = pci_space_from_memmap(&memmap, bits, r, ARRAY_SIZE(r));
	for (u32 i = 0; i < n; i++) {
		int ret = pci_space_add(r[i].base, r[i].size, r[i].above_4g);
		if (ret)
			log_write(LOG_WARN, "pci", "bus address space [0x%016llx-0x%016llx] not registered: %s",
				  (unsigned long long)r[i].base, (unsigned long long)(r[i].base + r[i].size - 1),
				  hv_strerror(ret));
	}
	log_write(LOG_DBG, "pci", "%u bus address ranges for reassignment (CPU physical address width %u bits)",
		  n, bits);
}

/*
 * DMAR: the remapping structures behind the header acpi_init() checked,
 * parsed by iommu/dmar.c before the bus scan (whose root buses its scopes
 * name), their device scopes followed on the bus setup_pci() scanned, all
 * of it logged. dmar is what the VT-d driver takes
 * (vtd_iommu_ops.init(dmar)): NULL without a DMAR or a usable header.
 * A table with errors is still handed on; its broken units are marked.
 */
static struct dmar_info dmar_tables;
static const struct dmar_info *dmar;

static void read_dmar(void)
{
	if (!acpi.have_dmar)
		return;         /* acpi_init() logged "DMAR absent (no VT-d)" */
	const u8 *t = phys_to_virt(acpi.dmar_pa, acpi.dmar_len);
	if (!t) {
		log_write(LOG_ERR, "dmar", "table at 0x%016llx len %u is outside the direct map; no VT-d",
			  (unsigned long long)acpi.dmar_pa, acpi.dmar_len);
		return;
	}
	if (dmar_parse(t, acpi.dmar_len, &dmar_tables))
		return;         /* its ERR line said why */
	dmar = &dmar_tables;
}

static void setup_dmar(void)
{
	if (!dmar)
		return;
	dmar_resolve_scopes(&dmar_tables);
	dmar_print(&dmar_tables);
}

/*
 * PCIe: config access through every ECAM range MCFG lists (port 0xCF8 for
 * segment 0 when there is none), then the bus scan of pci/.
 */
static void setup_pci(void)
{
	for (u32 i = 0; i < acpi.nr_mcfg; i++) {
		const struct acpi_mcfg *m = &acpi.mcfg[i];
		if (pci_cfg_native_add_ecam(m->base, m->segment, m->bus_start, m->bus_end))
			log_write(LOG_ERR, "pci", "ECAM 0x%016llx (segment %u buses 0x%02x-0x%02x) cannot be mapped; skipped",
				  (unsigned long long)m->base, m->segment, m->bus_start, m->bus_end);
	}
	/* One host bridge per MCFG entry; without MCFG, segment 0 through 0xCF8. */
	pci_add_host_bridges(&acpi);
	/* The DMAR's scopes name root buses too (read_dmar() ran first). */
	u32 sb[PCI_MAX_SCOPE_BUSES];
	pci_add_scope_buses(sb, dmar_scope_start_buses(dmar, sb, ARRAY_SIZE(sb)));
	/* Bus address space for VF BARs when firmware left no room (pci/pci_space.c). */
	setup_pci_space();
	int n = pci_scan();
	if (n < 0)
		log_write(LOG_ERR, "pci", "bus scan failed: %s", hv_strerror(n));
	check(n > 0, "PCI bus scan found %d function(s)", n);
	/* VFs asked for on the command line; the groups are logged again with them. */
	if (opts.sriov[0]) {
		check(sriov_apply_spec(opts.sriov) == 0, "VFs enabled as asked (sriov=%s)", opts.sriov);
		pci_log_groups();
	}
	story_stage0();
}

/*
 * VT-d: every usable DRHD of the DMAR brought up (CAP/ECAP decoded and
 * logged, root table set, invalidation ready, interrupt remapping on with
 * an empty table), translation still off; the domains are programmed and
 * translation enabled later in boot. This runs before setup_domains(),
 * where devices first get bus mastering (the DMA demo, the PF driver,
 * then the partitions' guests through their virtual Command register).
 */
/* The IOMMU that came up (NULL: none, or its bring-up failed). */
static const struct iommu_ops *iommu;

static void setup_iommu(void)
{
	if (!dmar)
		return;
	vtd_iommu_ops.set_cpu_x2apic(cpus_x2apic);
	int ret = vtd_iommu_ops.init(dmar);
	if (!check(ret == 0, "VT-d remapping units up: root table set, invalidation ready, translation off"))
		return;
	iommu = &vtd_iommu_ops;
	/* Fault events as interrupts from here on; polling still drains leftovers. */
	irq_register(IRQ_VECTOR_IOMMU_FAULT, iommu->fault_event, NULL);
	iommu_fault_logged = map_log_fault;
	/* Host vectors for partitions' device MSIs, each behind one remapping entry (vm/part/irq.h). */
	for (u32 i = 0; i < PART_IRQ_NR; i++)
		irq_register((u8)(PART_IRQ_FIRST + i), part_irq_host, (void *)(uintptr_t)i);
	ret = iommu->route_faults(IRQ_VECTOR_IOMMU_FAULT, apic_id());
	if (ret)
		log_write(LOG_WARN, "vtd", "fault events stay masked (%s); faults are polled", hv_strerror(ret));
	legacy_pic_mask();
	cpu_irq_enable();
}

/*
 * The partitions of sluice.conf (boot module "sluice.conf"): the whole file
 * checked (CPUs, memory, devices, images), then memory claimed and the
 * IOMMU programmed; a config error leaves every partition unprogrammed and
 * starts nothing. Then the stage 0 or stage 1 DMA demonstration when the
 * config asks for it (demo = dma), and the guest partitions are built.
 */
static struct sluice_cfg scfg;
static struct partition_set parts;

/* The guests' virtual ECAM window: at the host's own segment 0 ECAM address, where no RAM or BAR is. */
static void guest_ecam(u64 *gpa, u32 *bus_end)
{
	for (u32 i = 0; i < acpi.nr_mcfg; i++)
		if (acpi.mcfg[i].segment == 0 && acpi.mcfg[i].bus_start == 0) {
			*gpa = acpi.mcfg[i].base;
			*bus_end = acpi.mcfg[i].bus_end;
			return;
		}
	*gpa = GUEST_ECAM_FALLBACK;
	*bus_end = 0xff;
}

/* Bit i set when CPU i runs (for the first 64). */
static u64 cpus_online(void)
{
	u64 online = 0;

	for (u32 i = 0; i < smp_nr_cpus() && i < 64; i++) {
		const struct cpu *c = smp_cpu(i);
		if (c && (c->state == CPU_IDLE || c->state == CPU_BUSY))
			online |= BIT_ULL(i);
	}
	return online;
}

static void setup_domains(void)
{
	static struct config conf;
	static const struct sluice_keys *const host_keys[] = { &dma_demo_keys, &pf_bench_keys, NULL };
	static struct partition_module_list mods;
	const struct virt_ops *virt = virt_pick();
	struct partition_host host = { .memmap = &memmap, .dmar = dmar, .vf_setup = vf_setup, .keys = host_keys };
	const struct iommu_ops *ops = iommu;
	const struct boot_module *m = NULL;
	u64 ecam_gpa;
	u32 ecam_bus_end;

	for (u32 i = 0; i < boot.nr_modules && !m; i++)
		if (!strcmp(boot.modules[i].name, "sluice.conf"))
			m = &boot.modules[i];
	if (!m) {
		log_write(LOG_WARN, "config", "no boot module \"sluice.conf\": no partitions");
		return;
	}
	if (!m->size) {
		log_write(LOG_WARN, "config", "boot module \"sluice.conf\" is empty (0 bytes): no partitions");
		return;
	}
	const char *text = phys_to_virt(m->start_pa, m->size);
	if (!text) {
		log_write(LOG_ERR, "config", "boot module \"sluice.conf\" at 0x%016llx (%llu bytes) is outside the direct map: no partitions",
			  (unsigned long long)m->start_pa, (unsigned long long)m->size);
		check(false, "sluice.conf readable");
		return;
	}
	guest_ecam(&ecam_gpa, &ecam_bus_end);
	host.nr_cpus = smp_nr_cpus();
	host.boot_cpu = smp_boot_cpu();
	host.cpus_online = cpus_online();
	host.ecam_gpa = ecam_gpa;
	host.ecam_size = ((u64)ecam_bus_end + 1) * MiB;
	mods.m = boot.modules;
	mods.nr = boot.nr_modules;
	if (virt) {
		host.image_check = partition_image_check;
		host.image_ctx = &mods;
	}
	vf_pf_user = &pf_bench_user;
	partition_hypercalls[SLUICE_HC_PF_BENCH] = pf_bench_hypercall;
	partition_hypercalls[SLUICE_HC_ATTACK_TARGETS] = attack_hc_targets;
	partition_hypercalls[SLUICE_HC_ATTACK_CHECK] = attack_hc_check;
	config_parse(&conf, "sluice.conf", text, m->size);
	int ret = sluice_cfg_setup(&conf, &host, ops, &scfg);
	/* Nothing of it starts: a run whose config was refused must not look like a passing one. */
	if (ret)
		check(false, "sluice.conf: refused (%s), no partition set up", hv_strerror(ret));
	if (!ret)
		story_stage1(&scfg);
	if (dma_demo_asked()) {
		if (ret)
			check(false, "demo: partitions set up for the DMA demonstration (%s)", hv_strerror(ret));
		else
			dma_demo_run(&scfg, ops);
	}
	if (ret)
		return;
	story_stage2(&scfg);
	story_stage3(&scfg);
	partitions_build(&parts, &scfg, virt, boot.modules, boot.nr_modules, ecam_gpa, ecam_bus_end);
	const struct attack_host ah = {
		.image_ro_pa = (u64)(uintptr_t)_kernel_start,
		.image_ro_size = (u64)(uintptr_t)_rodata_end - (u64)(uintptr_t)_kernel_start,
	};
	attack_setup(&scfg, &parts, &ah);
}

/* What the machine map (vm/part/map.h) reads: this run's CPUs, config, partitions and IOMMU. */
static struct map_machine machine_map(void)
{
	return (struct map_machine){
		.nr_cpus = smp_nr_cpus(), .boot_cpu = smp_boot_cpu(), .cpus_online = cpus_online(),
		.cfg = &scfg, .ps = &parts, .iommu = iommu,
	};
}

/* The machine map as the partitions were set up; faults add their lines as they are logged. */
static void log_machine_map(void)
{
	const struct map_machine m = machine_map();

	map_log(&m);
}

/* The HPET from its ACPI table, opened; NULL without one (the reason logged when there is a table). */
static const struct hpet *find_hpet(void)
{
	static struct hpet h;
	const struct acpi_table_ref *t = acpi_find(&acpi, "HPET", 0);
	const u8 *tbl = t ? phys_to_virt(t->pa, t->len) : NULL;
	u64 pa;

	if (!tbl)
		return NULL;
	int ret = hpet_table_parse(tbl, t->len, &pa);
	if (!ret)
		ret = hpet_open(pa, &h);
	if (ret) {
		log_write(LOG_WARN, "time", "HPET table at 0x%016llx: timer block not usable: %s",
			  (unsigned long long)t->pa, hv_strerror(ret));
		return NULL;
	}
	return &h;
}

/* kHz as "MHz.kHz" ("2596.212") in buf. */
static const char *mhz(u64 khz, char *buf, size_t size)
{
	fmt_snprintf(buf, size, "%llu.%03llu", (unsigned long long)(khz / 1000), (unsigned long long)(khz % 1000));
	return buf;
}

/*
 * The TSC's rate: CPUID, else the HPET, else the PIT (kernel/tsc.h), one
 * line saying which. Without any the boot stops: every timeout is in TSC
 * ticks.
 */
static void setup_tsc(void)
{
	const struct hpet *hpet = find_hpet();
	struct tsc_clock clk = { .window = hpet_tsc_window, .ctx = hpet };
	struct tsc_boot b;
	int ret = tsc_calibrate_boot(hpet ? &clk : NULL, &b);
	u64 khz = tsc_khz();

	log_write(LOG_DBG, "time", "CPUID max leaf 0x%x; 0x15: den %u num %u crystal %u Hz; 0x16: base %u MHz",
		  b.leaves.max_leaf, b.leaves.den, b.leaves.num, b.leaves.crystal_hz, b.leaves.base_mhz);
	if (ret) {
		log_write(LOG_ERR, "time", "no clock to calibrate the TSC against: CPUID 0x15 gives no rate (max leaf 0x%x), HPET %s, PIT %s: the boot stops",
			  b.leaves.max_leaf, hpet ? hv_strerror(b.hpet_err) : "absent", hv_strerror(b.pit_err));
		stop_boot("TSC calibrated");
	}
	if (b.disturbed)
		log_write(LOG_WARN, "time", "TSC calibration disturbed (%u of %u windows agree after %u attempts); using the median",
			  b.c.agree, b.c.rounds, b.attempts);
	char m[24], m2[24], check_text[64];
	const char *clock_name = b.check_src == TSC_SRC_HPET ? "HPET" : "PIT";
	if (b.check_src == TSC_SRC_NONE)
		fmt_snprintf(check_text, sizeof(check_text), "no clock to check it against");
	else if (!b.check_khz)
		fmt_snprintf(check_text, sizeof(check_text), "the %s's check was disturbed", clock_name);
	else
		fmt_snprintf(check_text, sizeof(check_text), "the %s measures %s MHz", clock_name, mhz(b.check_khz, m2, sizeof(m2)));
	if (b.cpuid_refused)
		log_write(LOG_WARN, "time", "CPUID 0x%x states %s MHz, but the %s measures %s MHz: CPUID's rate is not used",
			  b.cpuid_src == TSC_SRC_CPUID_CRYSTAL ? 0x15 : 0x16, mhz(b.cpuid_khz, m, sizeof(m)), clock_name,
			  mhz(b.check_khz, m2, sizeof(m2)));
	if (b.src == TSC_SRC_CPUID_CRYSTAL)
		log_write(LOG_INFO, "time", "TSC %s MHz from CPUID 0x15 (crystal %u Hz x %u / %u; %s)", mhz(khz, m, sizeof(m)),
			  b.leaves.crystal_hz, b.leaves.num, b.leaves.den, check_text);
	else if (b.src == TSC_SRC_CPUID_BASE)
		log_write(LOG_INFO, "time", "TSC %s MHz from CPUID 0x16 (base frequency; 0x15 gives the ratio %u / %u, no crystal; %s)",
			  mhz(khz, m, sizeof(m)), b.leaves.num, b.leaves.den, check_text);
	else
		log_write(LOG_INFO, "time", "TSC %s MHz (calibrated against the %s, %u of %u windows agree)", mhz(khz, m, sizeof(m)),
			  b.src == TSC_SRC_HPET ? "HPET" : "PIT", b.c.agree, b.c.rounds);
	if (b.src == TSC_SRC_PIT && hpet)
		log_write(LOG_WARN, "time", "the HPET at 0x%016llx gave no rate (%s); the PIT did",
			  (unsigned long long)hpet->pa, hv_strerror(b.hpet_err));
	check(true, "TSC calibrated");
}

static void setup_apic_timer(void)
{
	struct apic_info ai;
	int ret = apic_init(acpi.have_madt ? acpi.lapic_pa : 0, &ai);
	if (ret) {
		log_write(LOG_ERR, "apic", "local APIC not usable: %s", hv_strerror(ret));
		check(false, "local APIC enabled");
	} else {
		log_write(LOG_INFO, "apic", "%s mode, id %u, version 0x%02x, %u LVT entries%s",
			 ai.x2apic ? "x2APIC" : "xAPIC", ai.id, ai.version, ai.max_lvt + 1,
			 ai.bsp ? ", boot CPU" : "");
		check(ai.bsp, "local APIC enabled on the boot CPU");
		cpus_x2apic = ai.x2apic;
	}

	setup_tsc();

	/* The boot CPU's wake-up timer (time limits are watched with it, halted in between). */
	u64 hz;
	if (apic_timer_calibrate(&hz))
		log_write(LOG_WARN, "apic", "timer did not count; time limits are watched by busy-waiting");
	else
		log_write(LOG_INFO, "apic", "timer %llu.%03llu MHz after its divide-by-16 (calibrated against the TSC)",
			  (unsigned long long)(hz / 1000000), (unsigned long long)(hz / 1000 % 1000));

	/* The bounded wait must come back, with a timeout, after its limit. */
	u64 t0 = time_now_ns();
	ret = wait_until(never, NULL, 2000);
	u64 us = (time_now_ns() - t0) / 1000;
	check(ret == -HV_ETIMEDOUT && us >= 2000 && us < 1000000,
	      "wait_until gives up after its limit (2000 us asked, %llu us taken)",
	      (unsigned long long)us);
	/* The wall clock the partitions' CMOS clocks follow (vm/dev/vrtc.h); without one they start at 2000. */
	rtc_init();
}

static bool guest_printed(void *arg)
{
	const struct partition *p = arg;
	return p->console_bytes > 0 || p->state != PART_RUNNING;
}

/* The running partition that comes `skip` running ones after the first, or NULL. */
static struct partition *running_partition(u32 skip)
{
	for (u32 i = 0; i < parts.nr; i++)
		if (parts.p[i].state == PART_RUNNING && !skip--)
			return &parts.p[i];
	return NULL;
}

/*
 * selftest=irq, second half, once each guest has printed (so it is in
 * guest mode, working): the first running partition's CPU gets a vector
 * and an NMI and its guest must finish; the second's gets an INIT. Where
 * the CPU consumes it (SVM with VM_CR.R_INIT, VMX) that guest must finish too
 * (Bochs 2.7 keeps it pending: exit.c parks that partition); on QEMU
 * the CPU is reset, and the watchdog sweep must find it, bring it back and
 * park that partition alone.
 */
static void selftest_irq_guest(void)
{
	struct partition *p = running_partition(0), *q = running_partition(1);

	if (!p || !q) {
		check(false, "irq: two partitions running to be sent interrupts");
		return;
	}
	if (wait_until(guest_printed, p, 10000000) || wait_until(guest_printed, q, 10000000) ||
	    p->state != PART_RUNNING || q->state != PART_RUNNING) {
		check(false, "irq: %s's and %s's guests running to be sent interrupts", p->cfg->name, q->cfg->name);
		return;
	}
	irq_selftest_cpu(p->cfg->cpus[0]);
	u32 cpu = q->cfg->cpus[0];
	u64 n = irq_selftest_init(cpu);
	if (p->ops->init_consumed()) {
		/* Whether the guest then runs on is the scenario's to judge (a CPU that keeps the INIT pending parks it). */
		check(n >= 1, "irq: INIT to CPU %u made %s's guest exit (%llu counted), Sluice runs on", cpu, q->cfg->name,
		      (unsigned long long)n);
		return;
	}
	u32 lost = partitions_sweep(&parts);
	check(n == 0 && lost == 1 && q->state == PART_PARKED && smp_cpu_answers(cpu, PART_CPU_ANSWER_US) == 0,
	      "irq: INIT to CPU %u reset it under %s's guest (no VM_CR.R_INIT); the sweep found it, brought the CPU back and parked %s alone",
	      cpu, q->cfg->name, q->cfg->name);
}

static bool console_quit;      /* the operator typed quit */

/* partition_set's poll hook: the console's lines, true on quit. */
static bool console_poll_hook(void *ctx)
{
	console_quit = console_quit || console_poll(ctx);
	return console_quit;
}

static __noreturn void kmain(int boot_err)
{
	log_info("Sluice %s: partitioning hypervisor with VT-d", SLUICE_VERSION);
	if (boot_err)
		stop_boot("boot information received");
	log_write(LOG_INFO, "boot", "%s, loader \"%s\", command line \"%s\"", source_name(boot.source),
		 boot.loader, boot.cmdline);

	setup_cmdline();

	memmap_setup(boot.mmap, boot.nr_mmap, &memmap);
	if (!check(memmap_usable_bytes_above(&memmap, LOW_MEMORY_END) > 0,
		   "usable RAM above 1 MiB"))
		stop_boot("memory to run in");
	setup_allocator();
	check_allocator();

	for (u32 i = 0; i < boot.nr_modules; i++)
		log_write(LOG_INFO, "boot", "module \"%s\" at 0x%016llx, %llu bytes", boot.modules[i].name,
			 (unsigned long long)boot.modules[i].start_pa,
			 (unsigned long long)boot.modules[i].size);

	setup_acpi();
	setup_serial();
	setup_apic_timer();
	setup_smp();
	irq_setup_stop();
	read_dmar();
	setup_pci();
	setup_dmar();
	setup_iommu();
	setup_domains();
	log_machine_map();

	run_selftest(opts.selftest);
	/* Said before the vCPUs start, so their first lines come after it. */
	log_info("ready, %u partition(s) running", partitions_ready(&parts));
	/* console=on: the boot CPU reads commands while it waits for the partitions, or until quit with none. */
	static struct operator op;
	static struct console_env env;
	static struct console con;
	if (opts.console) {
		op = (struct operator){ .ps = &parts, .iommu = iommu, .dmar = dmar, .map = machine_map() };
		operator_console_env(&env, &op, uart_getc);
		console_open(&con, &env);
		parts.poll = console_poll_hook;
		parts.poll_ctx = &con;
	}
	bool started = partitions_start(&parts);
	if (!started) {
		op.run_over = true;     /* nothing to wait for */
		while (opts.console && !console_poll(&con))
			cpu_relax();    /* a person is typing: no deadline */
	} else {
		if (opts.time_limit_ms) {
			char d[DURATION_TEXT_MAX];
			log_info("time limit for the run: %s", duration_format(opts.time_limit_ms, d, sizeof(d)));
		}
		if (opts.selftest == SELFTEST_IRQ)
			selftest_irq_guest();
		if (!partitions_wait(&parts, opts.time_limit_ms))
			log_info("all partitions ended");
		if (iommu && iommu->log_counters)
			iommu->log_counters();
	}
	/* Those that never started, failed, or still ran when the run ended, judged now: one check each. */
	partitions_check_ends(&parts);
	for (u32 i = 0; i < parts.nr; i++) {
		const struct partition *p = &parts.p[i];
		story_verdict(p->cfg->name, part_state_name(p->state), p->exit_code, p->verdict_pass, p->verdict_fail);
	}
	/* console=on: the partitions ended by themselves (or the time limit); the operator looks on until quit. */
	op.run_over = true;
	if (opts.console && started && !console_quit) {
		log_info("every partition has ended; the console stays until quit");
		while (!console_poll(&con))
			cpu_relax();
	}
	irq_stray_log_summary();
	check_finish();
}
