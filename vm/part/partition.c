/*
 * Guest partitions built: the nested table from the config's regions and
 * its devices' BARs, the image and start information, the virtual devices;
 * built again from scratch on a restart. Running them is vm/part/run.c,
 * their exits vm/part/exit.c, their end vm/part/stop.c.
 */
#define LOG_SUBSYS "part"
#include "vm/part/partition.h"
#include "vm/part/image_check.h"
#include "vm/part/linux_boot.h"
#include "kernel/tsc.h"
#include "vm/part/irq.h"
#include "kernel/hw/io.h"
#include "vm/part/limits.h"
#include "vm/part/guest_image.h"
#include "kernel/boot_info.h"
#include "kernel/log.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/smp.h"
#include "kernel/apic.h"
#include "kernel/wait.h"
#include "kernel/hw/time.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/mem.h"
#include "pci/pci.h"
#include "pci/pci_hw.h"
#include "kernel/hw/pci_cfg.h"

/* ---- build ---- */

/* The CPU side: every region GPA -> HPA, every device memory BAR at its bus address, uncached. */
static int build_npt(struct partition *p, struct guest_extra *extra, u32 *nr_extra, u32 max_extra)
{
	const struct partition_cfg *d = p->cfg;
	int ret = pt_init(&p->npt, p->ops->pt_format, 4,
			  p->ops->pt_large ? p->ops->pt_large() : PT_LARGE_2M | PT_LARGE_1G, &pt_mem_host);
	if (ret)
		return ret;
	for (u32 i = 0; i < d->nr_regions && !ret; i++) {
		const struct part_region *r = &d->regions[i];
		ret = pt_map(&p->npt, r->gpa, r->hpa, r->size, partition_npt_prot(r->prot));
		if (ret)
			log_err("%s: nested map of gpa 0x%016llx size 0x%llx failed: %s", d->name,
				(unsigned long long)r->gpa, (unsigned long long)r->size, hv_strerror(ret));
	}
	*nr_extra = 0;
	for (u32 j = 0; j < d->nr_devices && !ret; j++) {
		const struct pci_dev *pd = pci_find(d->devices[j].sbdf);
		for (u32 b = 0; pd && b < PCI_NR_BARS && !ret; b++) {
			const struct pci_bar *bar = &pd->bars[b];
			if ((bar->type != PCI_BAR_MEM32 && bar->type != PCI_BAR_MEM64) || !bar->size)
				continue;
			u64 base = ALIGN_DOWN(bar->addr, PAGE_SIZE);
			u64 size = ALIGN_UP(bar->addr + bar->size, PAGE_SIZE) - base;
			ret = pt_map(&p->npt, base, base, size, PT_READ | PT_WRITE | PT_UNCACHED);
			if (ret) {
				log_err("%s: " BDF_FMT " BAR%u [0x%016llx-0x%016llx] not mapped: %s", d->name,
					BDF_ARGS(pd->sbdf), b, (unsigned long long)base,
					(unsigned long long)(base + size - 1), hv_strerror(ret));
				break;
			}
			log_info("%s: " BDF_FMT " BAR%u [0x%016llx-0x%016llx] mapped at the same GPA, uncached",
				 d->name, BDF_ARGS(pd->sbdf), b, (unsigned long long)base,
				 (unsigned long long)(base + size - 1));
			if (*nr_extra < max_extra) {
				extra[*nr_extra].gpa = base;
				extra[*nr_extra].size = size;
				(*nr_extra)++;
			}
		}
	}
	return ret;
}

static void fill_start_info(const struct partition_set *ps, const struct partition *p,
			    struct sluice_start_info *si)
{
	const struct partition_cfg *d = p->cfg;

	memset(si, 0, sizeof(*si));
	si->magic = SLUICE_START_MAGIC;
	si->version = SLUICE_START_VERSION;
	str_copy(si->name, d->name, sizeof(si->name));
	si->cpu = d->cpus[0];
	for (u32 i = 0; i < d->nr_regions && si->nr_mem < SLUICE_START_MAX_MEM; i++) {
		const struct part_region *r = &d->regions[i];
		struct sluice_start_mem *m = &si->mem[si->nr_mem++];
		m->gpa = r->gpa;
		m->size = r->size;
		m->access = ((r->prot & IOMMU_READ) ? SLUICE_MEM_READ : 0) | ((r->prot & IOMMU_WRITE) ? SLUICE_MEM_WRITE : 0);
	}
	for (u32 i = 0; i < d->nr_devices && si->nr_dev < SLUICE_START_MAX_DEV; i++)
		si->dev[si->nr_dev++].sbdf = d->devices[i].sbdf;
	si->ecam_gpa = ps->ecam_gpa;
	si->ecam_bus_start = 0;
	si->ecam_bus_end = ps->ecam_bus_end;
	si->console_port = SLUICE_PORT_COM1;
	si->exit_port = SLUICE_PORT_DEBUG_EXIT;
	str_copy(si->args, d->args, sizeof(si->args));
	for (u32 i = 0; i < d->nr_cpus && i < SLUICE_START_MAX_CPUS; i++)
		si->cpus[si->nr_cpus++] = i;     /* APIC IDs: the vCPUs' indices (vm/part/lapic.c) */
}

/* What the vCPU reaches without exits: its devices' I/O BARs (the memory BARs are in the nested table). */
static void io_policy(const struct partition *p, struct vcpu_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	for (u32 j = 0; j < p->cfg->nr_devices; j++) {
		const struct pci_dev *pd = pci_find(p->cfg->devices[j].sbdf);
		for (u32 b = 0; pd && b < PCI_NR_BARS; b++) {
			const struct pci_bar *bar = &pd->bars[b];
			if (bar->type != PCI_BAR_IO || !bar->size || bar->addr + bar->size > 0x10000)
				continue;
			if (pol->nr_io == ARRAY_SIZE(pol->io)) {
				log_warn("%s: more than %u I/O BARs: the rest are reached through exits and read all-ones",
					 p->cfg->name, (u32)ARRAY_SIZE(pol->io));
				return;
			}
			pol->io[pol->nr_io].base = (u16)bar->addr;
			pol->io[pol->nr_io].len = (u16)bar->size;
			pol->nr_io++;
			log_info("%s: " BDF_FMT " BAR%u ports 0x%04llx-0x%04llx passed through", p->cfg->name,
				 BDF_ARGS(pd->sbdf), b, (unsigned long long)bar->addr,
				 (unsigned long long)(bar->addr + bar->size - 1));
		}
	}
}

/* The partition's virtual config space: its functions, VFs with the identity and BARs their PF gives them. */
static int build_vpci(const struct partition_set *ps, struct partition *p)
{
	const struct partition_cfg *d = p->cfg;
	u32 sbdfs[PART_MAX_DEVICES], n = 0;

	for (u32 i = 0; i < d->nr_devices; i++)
		if (!d->devices[i].vfn)
			sbdfs[n++] = d->devices[i].sbdf;
	/* A guest whose devices' interrupts can be remapped sees their MSI capability (vm/part/irq.c). */
	p->vpci.irq = d->guest && d->iommu ? &part_irq_ops : NULL;
	p->vpci.irq_ctx = p;
	int ret = vpci_init(&p->vpci, sbdfs, n, ps->ecam_gpa, ps->ecam_bus_end);
	for (u32 i = 0; i < d->nr_devices && !ret; i++) {
		const struct pci_dev *vf = d->devices[i].vfn ? pci_find(d->devices[i].sbdf) : NULL;
		struct vpci_vf_bar bars[VPCI_NR_BARS];
		if (!vf)
			continue;
		memset(bars, 0, sizeof(bars));
		for (u32 b = 0; b < PCI_NR_BARS && b < VPCI_NR_BARS; b++) {
			const struct pci_bar *bar = &vf->bars[b];
			if (bar->type != PCI_BAR_MEM32 && bar->type != PCI_BAR_MEM64)
				continue;
			bars[b].addr = bar->addr;
			bars[b].size = bar->size;
			bars[b].mem64 = bar->type == PCI_BAR_MEM64;
			bars[b].prefetch = bar->prefetch;
		}
		ret = vpci_add_vf(&p->vpci, vf->sbdf, vf->vendor, vf->device, bars);
	}
	/*
	 * Linux scans bus 0 from its host bridge and a slot's other functions
	 * only when function 0 is there: its functions appear as devices
	 * 1, 2, ... of bus 0, each function 0 (a VF included).
	 */
	for (u32 i = 0; i < d->nr_devices && !ret && d->entry == GUEST_ENTRY_LINUX; i++) {
		u32 g = PCI_SBDF(0, 0, i + 1, 0);
		ret = vpci_place(&p->vpci, d->devices[i].sbdf, g);
		if (!ret)
			log_info("%s: " BDF_FMT " appears to its guest as " BDF_FMT, d->name, BDF_ARGS(d->devices[i].sbdf),
				 BDF_ARGS(g));
	}
	return ret;
}

/* d's module strings, "'a', 'b args'", for the log (a static buffer: the build runs on one CPU). */
static const char *module_names(const struct partition_cfg *d)
{
	static char buf[PART_MAX_MODULES * (CONFIG_VALUE_LEN + 4)];
	size_t n = 0;

	buf[0] = '\0';
	for (u32 i = 0; i < d->nr_modules && n < sizeof(buf); i++)
		n += (size_t)fmt_snprintf(buf + n, sizeof(buf) - n, "%s'%s'", i ? ", " : "", d->modules[i].string);
	return buf;
}

/*
 * A Linux partition's command line: the config's, and on SVM (AMD CPUs)
 * tsc_early_khz= with the TSC's rate unless the config gives one: Linux
 * reads the rate from CPUID leaves 0x15/0x16 on Intel CPUs only, and a
 * partition has no PIT or HPET to measure it against.
 */
static void linux_cmdline(const struct partition *p, char *out, size_t len)
{
	static const char key[] = "tsc_early_khz=";
	const char *c = p->cfg->cmdline;
	bool given = false;

	for (const char *w = c; *w; w++)
		if ((w == c || w[-1] == ' ') && !strncmp(w, key, sizeof(key) - 1))
			given = true;
	if (given || !p->ops || strcmp(p->ops->name, "svm") || !tsc_khz())
		fmt_snprintf(out, len, "%s", c);
	else
		fmt_snprintf(out, len, "%s%s%s%llu", c, c[0] ? " " : "", key, (unsigned long long)tsc_khz());
}

/* The image into p's memory (page tables, start info included) and the entry it gives. */
static int load_image(struct partition *p)
{
	const struct partition_set *ps = p->set;
	struct partition_cfg *d = p->cfg;
	struct guest_region view[PART_MAX_REGIONS];
	struct sluice_start_info si;
	struct guest_load_result res;
	struct guest_boot boot;
	const struct part_module *missing = NULL;
	char why[160] = "";

	const struct boot_module *m = part_boot_module_find(ps->mods, ps->nr_mods, d->image);
	if (!m || part_guest_boot(d, ps->mods, ps->nr_mods, true, &boot, &missing))
		return -HV_ENOENT;      /* partition_check saw them: cannot happen */
	fill_start_info(ps, p, &si);
	si.restarts = p->restarts;
	u32 n = part_memory_view(d, view, ARRAY_SIZE(view));
	char cmdline[LINUX_CMDLINE_MAX];
	if (d->entry == GUEST_ENTRY_LINUX) {
		linux_cmdline(p, cmdline, sizeof(cmdline));
		boot.cmdline = cmdline;
		/* The ECAM window is reserved in its e820 map, so that Linux uses the MCFG entry for it. */
		boot.reserved_gpa = ps->ecam_gpa;
		boot.reserved_size = ps->ecam_gpa ? ((u64)ps->ecam_bus_end + 1) << 20 : 0;
		/* Its firmware tables where a PC's BIOS keeps them (vm/part/acpi.c); the loader hands Linux the RSDP. */
		int ret = partition_acpi_load(p, LINUX_BIOS_GPA, (u32)(LINUX_BIOS_END - LINUX_BIOS_GPA), &boot.acpi_rsdp);
		if (ret)
			return ret;
	}
	int ret = guest_image_load(phys_to_virt(m->start_pa, m->size), m->size, part_entry_mode(d->entry), view, n,
				   p->extra, p->nr_extra, &si, &boot, &res, why, sizeof(why));
	if (ret) {
		log_err("%s: image %s not loaded: %s", d->name, d->image, why);
		return ret;
	}
	p->start_info_gpa = res.start_info_gpa;
	p->entry = res.entry;
	log_info("%s: image %s (%s) loaded, entry 0x%016llx", d->name, d->image, part_entry_name(d->entry),
		 (unsigned long long)res.entry.rip);
	guest_image_log(d->name, &res);
	if (d->entry == GUEST_ENTRY_LINUX)
		log_info("%s: linux command line '%s', initrd %s", d->name, boot.cmdline,
			 d->initrd.name[0] ? d->initrd.name : "none");
	else if (d->entry == GUEST_ENTRY_MULTIBOOT)
		log_info("%s: multiboot command line '%s', %u module(s)%s%s", d->name, d->cmdline, boot.nr_mods,
			 boot.nr_mods ? ": " : "", boot.nr_mods ? module_names(d) : "");
	return 0;
}

/*
 * Each VF starts from reset (FLR): nothing of a previous owner, of
 * provisioning or of an earlier run stays in it. ATS comes back where the
 * partition had it (an FLR clears ATS Enable).
 */
static int reset_vfs(struct partition *p, const char *when)
{
	const struct partition_cfg *d = p->cfg;

	for (u32 i = 0; i < d->nr_devices; i++) {
		struct pci_dev *vf = d->devices[i].vfn ? pci_find(d->devices[i].sbdf) : NULL;
		char what[160];
		if (!vf)
			continue;
		int ret = pci_reset_function(vf, what, sizeof(what));
		log_write(ret == -HV_EIO ? LOG_ERR : LOG_INFO, LOG_SUBSYS, "%s: " BDF_FMT " %s: %s",
			  d->name, BDF_ARGS(vf->sbdf), when, what);
		if (ret == -HV_EIO)
			return ret;     /* it would start with another owner's state */
		if (d->devices[i].ats_on && !ats_enabled(vf) && ats_enable(vf, 0))
			log_warn("%s: " BDF_FMT ": ATS not enabled again after its reset", d->name, BDF_ARGS(vf->sbdf));
	}
	return 0;
}

/*
 * The pages holding each shown MSI-X table leave the guest's nested map
 * (the rest of the BAR stays passed through) and are mapped for Sluice,
 * so every guest access to them is a nested fault that vm/part/exit.c
 * hands to vpci_msix_mmio_*. A page that cannot be trapped leaves that
 * function's MSI-X unprogrammed (the guest's writes stay in the shadow).
 */
static void trap_msix(struct partition *p)
{
	for (u32 i = 0; i < p->vpci.nr; i++) {
		struct vpci_dev *vd = &p->vpci.dev[i];
		struct vpci_msix *x = &vd->msix;
		if (!x->cap)
			continue;
		int ret = pt_unmap(&p->npt, x->page_gpa, x->page_size);
		x->real = ret ? NULL : io_map(x->page_gpa, x->page_size, "msix-table");
		if (x->real)
			log_info("%s: " BDF_FMT " MSI-X table of %u entries at 0x%016llx: page(s) [0x%016llx-0x%016llx] trapped, the rest of the BAR passed through",
				 p->cfg->name, BDF_ARGS(vd->sbdf), x->nr, (unsigned long long)x->table_gpa,
				 (unsigned long long)x->page_gpa, (unsigned long long)(x->page_gpa + x->page_size - 1));
		else
			log_warn("%s: " BDF_FMT " MSI-X table page(s) at 0x%016llx not trapped (%s): its MSI-X stays off",
				 p->cfg->name, BDF_ARGS(vd->sbdf), (unsigned long long)x->page_gpa,
				 ret ? hv_strerror(ret) : "no mapping for Sluice");
	}
}

/* Its fw_cfg (vm/dev/fwcfg.h): RAM = its regions (an RMRR's identity map is firmware's memory, not its RAM), its vCPUs. */
static void build_fwcfg(struct partition *p)
{
	const struct partition_cfg *d = p->cfg;
	u64 ram = 0;

	for (u32 i = 0; i < d->nr_regions; i++)
		if (!d->regions[i].rmrr)
			ram += d->regions[i].size;
	fwcfg_init(&p->fwcfg, d->fw_cfg, ram, (u16)d->nr_cpus, d->cmdline);
	if (d->fw_cfg)
		log_info("%s: fw_cfg on ports 0x%04x-0x%04x: %u CPU(s), RAM size 0x%llx, command line of %llu bytes",
			 d->name, FWCFG_PORT_SEL, FWCFG_PORT_DATA, d->nr_cpus, (unsigned long long)ram,
			 (unsigned long long)strlen(p->fwcfg.cmdline));
	else
		log_info("%s: fw_cfg off (fw-cfg = off): ports 0x%04x-0x%04x unclaimed", d->name, FWCFG_PORT_SEL,
			 FWCFG_PORT_DATA);
}

/*
 * What its translation costs: the table pages of its nested table and of
 * its DMA domain's second-stage tables, against its memory (every region).
 */
static void log_table_pages(const struct partition *p)
{
	const struct partition_cfg *d = p->cfg;
	u64 mem = 0;

	for (u32 i = 0; i < d->nr_regions; i++)
		mem += d->regions[i].size;
	if (d->iommu)
		log_info("%s: table pages: nested %llu, second-stage %llu, for 0x%llx bytes of memory in %u region(s)",
			 d->name, (unsigned long long)p->npt.tables,
			 (unsigned long long)iommu_domain_table_pages(d->iommu), (unsigned long long)mem,
			 d->nr_regions);
	else
		log_info("%s: table pages: nested %llu, no DMA domain (iommu = off), for 0x%llx bytes of memory in %u region(s)",
			 d->name, (unsigned long long)p->npt.tables, (unsigned long long)mem, d->nr_regions);
}

static int build_one(struct partition_set *ps, struct partition *p)
{
	struct partition_cfg *d = p->cfg;

	p->set = ps;
	int ret = build_npt(p, p->extra, &p->nr_extra, ARRAY_SIZE(p->extra) - 2);
	if (ret)
		return ret;
	log_table_pages(p);
	/* The guest's own tables map the ECAM window too, so its accesses reach the nested fault. */
	p->extra[p->nr_extra].gpa = ps->ecam_gpa;
	p->extra[p->nr_extra].size = ((u64)ps->ecam_bus_end + 1) * MiB;
	p->nr_extra++;
	/* And the xAPIC page at its reset base, which is not memory either: its accesses go to the local APIC. */
	p->extra[p->nr_extra].gpa = APIC_BASE_DEFAULT;
	p->extra[p->nr_extra].size = PAGE_SIZE;
	p->nr_extra++;
	if ((ret = load_image(p)))
		return ret;
	/* One vCPU per CPU of `cpus =`: the first is the BSP, the others wait for INIT-SIPI-SIPI. */
	p->nr_vcpus = d->nr_cpus;
	for (u32 i = 0; i < d->nr_cpus; i++) {
		struct part_vcpu *pv = &p->vcpus[i];
		pv->v.part = p;
		pv->v.cpu = d->cpus[i];
		pv->v.tag = (u32)(p - ps->p) + 1;       /* ASID/VPID: never 0 (the host's); one per partition */
		pv->v.pt_root = p->npt.root_pa;
		pv->state = i ? PART_VCPU_WAIT_SIPI : PART_VCPU_RUNNING;
		partition_lapic_init(p, pv);
		partition_msr_reset(pv);
	}
	partition_legacy_init(p);
	if (p->legacy)
		log_info("%s: legacy PIC and PIT (legacy-pic = on): 8259A pair at ports 0x20-0x21, 0xa0-0xa1 (vectors 0x%02x, 0x%02x, IRQ0 unmasked), 8254 counter 0 at ports 0x40, 0x43 in mode %u at 18.2 Hz, the BSP's LINT0 in ExtINT mode",
			 d->name, VPIC_FW_MASTER_BASE, VPIC_FW_SLAVE_BASE, VPIT_FW_MODE);
	io_policy(p, &p->policy);
	if ((ret = reset_vfs(p, "before the partition starts")))
		return ret;
	ret = build_vpci(ps, p);
	if (ret)
		return ret;
	trap_msix(p);
	partition_console_init(p);
	build_fwcfg(p);
	p->io_loop_start = ~0ULL;
	for (u32 i = 0; i < d->nr_devices; i++)
		log_info("%s: device " BDF_FMT " in its virtual PCI config space (ECAM at GPA 0x%016llx)", d->name,
			 BDF_ARGS(d->devices[i].sbdf), (unsigned long long)ps->ecam_gpa);
	return 0;
}

int partition_restart(struct partition *p)
{
	struct partition_cfg *d = p->cfg;
	int ret;

	if (p->nr_vcpus > 1) {
		/* Its APs would run on through the reset: restart is for one-vCPU partitions. */
		log_err("%s: restart refused: the partition has %u vCPUs", d->name, p->nr_vcpus);
		return -HV_ENOTSUP;
	}
	log_info("%s: restart %u: devices stopped, memory out of the IOMMU, zeroed, mapped again, image reloaded",
		 d->name, p->restarts + 1);
	partition_dma_stop(p);
	vpci_msi_off(&p->vpci);
	vpci_msix_off(&p->vpci);
	if ((ret = partition_memory_reset(p)))
		return ret;
	p->restarts++;
	if ((ret = load_image(p)) || (ret = reset_vfs(p, "on restart")) || (ret = build_vpci(p->set, p)))
		return ret;
	trap_msix(p);
	fwcfg_reset(&p->fwcfg);
	p->ops->vcpu_flush_tlb(&p->vcpus[0].v);
	if ((ret = p->ops->vcpu_init(&p->vcpus[0].v, &p->entry, &p->policy)))
		return ret;
	partition_lapic_init(p, &p->vcpus[0]);
	partition_legacy_init(p);
	partition_msr_reset(&p->vcpus[0]);
	partition_msr_cpu_start();
	p->restarted = true;
	return 0;
}

int partitions_build(struct partition_set *ps, struct sluice_cfg *s, const struct virt_ops *ops,
		     const struct boot_module *mods, u32 nr_mods, u64 ecam_gpa, u32 ecam_bus_end)
{
	int ready = 0;

	memset(ps, 0, sizeof(*ps));
	ps->mods = mods;
	ps->nr_mods = nr_mods;
	ps->cfg = s;
	ps->ecam_gpa = ecam_gpa;
	ps->ecam_bus_end = ecam_bus_end;
	for (u32 i = 0; i < s->nr; i++) {
		struct partition_cfg *d = &s->d[i];
		if (!d->guest)
			continue;
		struct partition *p = &ps->p[ps->nr++];
		p->cfg = d;
		p->ops = ops;
		int ret = d->failed ? -HV_EIO : build_one(ps, p);
		if (ret) {
			p->state = PART_FAILED;
			fmt_snprintf(p->why, sizeof(p->why), "set-up failed: %s", hv_strerror(ret));
			partition_end_check(p);         /* its end: it never starts */
			continue;
		}
		ready++;
	}
	return ready;
}
