/*
 * tools/sluice-check: what Sluice would say at boot on a machine, from a
 * capture of it (tools/capture-server) and a sluice.conf, without booting
 * Sluice: the same core code (kernel/acpi.c, kernel/memmap.c, pci/, the
 * DMAR parser, vm/config/) runs over the capture's config spaces and
 * tables, and its log lines are printed as Sluice prints them, without the
 * "cN " column. Lines whose content the capture cannot give are left out
 * (the ACPI tables' addresses). docs/config.md, "Checking a server before
 * booting Sluice", tells how to use it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tools/capture.h"
#include "tools/host_log.h"
#include "tools/propose.h"
#include "kernel/acpi.h"
#include "kernel/cmdline.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "kernel/memmap.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
#include "pci/pci.h"
#include "pci/pci_space.h"
#include "iommu/dmar.h"
#include "vm/config/config.h"
#include "vm/config/partition_cfg.h"
#include "vm/demo/dma_demo.h"
#include "vm/part/image_check.h"
#include "tests/fakes/fake_mem.h"

#define PROG                    "sluice-check"
/* Where Sluice puts a guest's virtual ECAM when segment 0 has no MCFG entry (vm/main.c). */
#define GUEST_ECAM_FALLBACK     0xe0000000ULL

static struct capture cap;
static struct acpi_info acpi;
static struct memmap memmap;
static struct dmar_info dmar_tables;
static struct config conf;
static struct sluice_cfg scfg;
static struct cmdline_opts opts;

static void usage(FILE *f)
{
	fprintf(f, "usage: %s CAPTURE [CONFIG] [--cmdline \"WORDS\"] [--module NAME=FILE]... [--vf-bars-unassigned]\n"
		"       %s --propose CAPTURE [--cmdline \"WORDS\"] [--vf-bars-unassigned]\n"
		"  CAPTURE   a directory written by tools/capture-server (unpacked if it was a .tar.gz)\n"
		"  CONFIG    a sluice.conf: checked as Sluice checks it at boot\n"
		"  --cmdline Sluice's command line; its sriov= word enables VFs as at boot\n"
		"  --module  a boot module (a guest's image, its modules or initrd): with any given,\n"
		"            the partitions' images are checked as at boot; without, they are not\n"
		"  --propose print a starting sluice.conf for the machine instead (one partition\n"
		"            per assignable isolation group, or per VF with sriov=)\n"
		"  --vf-bars-unassigned  the firmware leaves VF BARs unassigned (SeaBIOS does):\n"
		"            ignore the addresses Linux gave them, as Sluice finds them at boot\n"
		"Prints the lines Sluice would print at boot for the ACPI tables it reads, the\n"
		"memory map, every PCI function, the isolation groups, the DMAR and the config,\n"
		"then which functions could be shared through SR-IOV.\n"
		"Exit status: 0 config accepted (or none given), 1 refused, 2 bad capture or usage.\n",
		PROG, PROG);
}

/*
 * Boot order of vm/main.c: memory map, ACPI tables, the DMAR read (its
 * scopes name root buses), host bridges and the bus scan, VFs, then the
 * DMAR's scopes followed and printed. Returns 1 when a DMAR was read.
 */
static int machine_setup(void)
{
	const u8 *rsdp = phys_to_virt(cap.rsdp_pa, cap.rsdp_len);
	bool have_dmar = false;

	memmap_setup(cap.mmap, cap.nr_mmap, &memmap);
	acpi_init(rsdp, cap.rsdp_len, &acpi);
	if (acpi.have_dmar) {
		const u8 *t = phys_to_virt(acpi.dmar_pa, acpi.dmar_len);
		have_dmar = t && !dmar_parse(t, acpi.dmar_len, &dmar_tables);
	}

	/* The roots as vm/main.c's setup_pci() gives them. */
	pci_add_host_bridges(&acpi);
	u32 sb[PCI_MAX_SCOPE_BUSES];
	pci_add_scope_buses(sb, dmar_scope_start_buses(have_dmar ? &dmar_tables : NULL, sb, ARRAY_SIZE(sb)));
	struct pci_space_range r[PCI_SPACE_MAX_RANGES];
	u32 n = pci_space_from_memmap(&memmap, cap.phys_bits, r, ARRAY_SIZE(r));
	for (u32 i = 0; i < n; i++)
		pci_space_add(r[i].base, r[i].size, r[i].above_4g);
	int found = pci_scan();
	if (found < 0)
		log_write(LOG_ERR, "pci", "bus scan failed: %s", hv_strerror(found));
	if (opts.sriov[0]) {
		if (sriov_apply_spec(opts.sriov))
			log_write(LOG_ERR, "check", "FAIL VFs enabled as asked (sriov=%s)", opts.sriov);
		pci_log_groups();
	}

	if (have_dmar) {
		dmar_resolve_scopes(&dmar_tables);
		dmar_print(&dmar_tables);
	}
	return have_dmar;
}

/*
 * The boot modules are not in a capture: given with --module NAME=FILE they
 * are checked as at boot (vm/part/image_check.c); without any, a guest's
 * image is taken as present and fitting, and said so once on stderr.
 */
#define MODULES_FAKE_BASE       (1ULL << 61)    /* the modules' bytes in fake memory, far from RAM and the tables */
static u32 images_unchecked;
static struct boot_module modules[BOOT_MODULES_MAX];
static struct partition_module_list module_list = { modules, 0 };

/* "NAME=FILE": the file's bytes as boot module NAME. 0, or -1 after one line on stderr. */
static int module_add(const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= BOOT_NAME_LEN) {
		fprintf(stderr, "%s: --module %s: want NAME=FILE (NAME under %u characters)\n", PROG, arg, BOOT_NAME_LEN);
		return -1;
	}
	if (module_list.nr == BOOT_MODULES_MAX) {
		fprintf(stderr, "%s: more than %u modules\n", PROG, BOOT_MODULES_MAX);
		return -1;
	}
	size_t len;
	u8 *data = capture_read_file(eq + 1, &len, true);
	if (!data)
		return -1;
	static u64 next = MODULES_FAKE_BASE;
	struct boot_module *m = &modules[module_list.nr++];
	memcpy(m->name, arg, (size_t)(eq - arg));
	m->name[eq - arg] = '\0';
	m->start_pa = next;
	m->size = len;
	fake_mem_add_copy(next, data, len);
	next += (len + 0xfff) & ~0xfffULL;
	free(data);
	return 0;
}

static int image_unchecked(void *ctx, const struct partition_cfg *d, u32 *line, char *why, size_t len)
{
	(void)ctx; (void)d; (void)line; (void)why; (void)len;
	images_unchecked++;
	return 0;
}

/*
 * The IOMMU as the config's set-up sees it: the DMAR's units up, every
 * domain, mapping and attachment taken (their hardware side is not in a
 * capture). ATS needs the unit's ECAP.DT, a register the capture lacks: it
 * is never enabled, and the partition lines say why.
 */
static struct iommu_domain *check_domain_create(const char *name)
{
	static u8 domains[PART_MAX];
	static u32 next;
	(void)name;
	return (struct iommu_domain *)&domains[next++ % PART_MAX];
}

static int check_map(struct iommu_domain *d, u64 iova, u64 hpa, u64 size, u32 prot)
{
	(void)d; (void)iova; (void)hpa; (void)size; (void)prot;
	return 0;
}

static int check_unmap(struct iommu_domain *d, u64 iova, u64 size)
{
	(void)d; (void)iova; (void)size;
	return 0;
}

static int check_attach(struct iommu_domain *d, u32 sbdf)
{
	(void)d; (void)sbdf;
	return 0;
}

static int check_set_ats(struct iommu_domain *d, u32 sbdf, const struct iommu_ats *ats, char *why, size_t len)
{
	(void)d; (void)sbdf;
	if (ats && why)
		snprintf(why, len, "whether the remapping unit supports device-TLBs (ECAP.DT) is not in a capture");
	return ats ? -HV_ENOTSUP : 0;
}

static int check_enable(void)
{
	return 0;
}

static const struct iommu_ops check_iommu_ops = {
	.name = "vt-d",
	.domain_create = check_domain_create,
	.map = check_map,
	.unmap = check_unmap,
	.attach = check_attach,
	.detach = check_attach,
	.set_ats = check_set_ats,
	.enable = check_enable,
};

/*
 * The VFs the config names, enabled as vm/part/vf_setup.c enables them
 * (all up to the highest VF index per PF), their routing IDs filled in. An
 * NVMe PF's secondary controllers are not provisioned: that needs the
 * controller itself.
 */
static int check_vf_setup(struct config *c, struct sluice_cfg *s, const struct iommu_ops *ops)
{
	(void)ops;
	for (u32 i = 0; i < s->nr; i++)
		for (u32 k = 0; k < s->d[i].nr_devices; k++) {
			struct part_device *d = &s->d[i].devices[k];
			if (!d->vfn)
				continue;
			struct pci_dev *pf = pci_find(d->pf_sbdf);
			u16 max = 0;
			for (u32 j = 0; j < s->nr; j++)
				for (u32 m = 0; m < s->d[j].nr_devices; m++)
					if (s->d[j].devices[m].vfn && s->d[j].devices[m].pf_sbdf == d->pf_sbdf)
						max = MAX(max, s->d[j].devices[m].vfn);
			if (pf && !pf->sriov.enabled) {
				int ret = sriov_vf_enable(pf, max);
				if (ret) {
					config_error(c, d->line, "device " BDF_FMT ": enabling %u VFs failed: %s",
						     BDF_ARGS(pf->sbdf), max, hv_strerror(ret));
					return ret;
				}
			}
			struct pci_dev *vf = pf ? pci_find(sriov_vf_sbdf(pf, d->vfn)) : NULL;
			if (!vf || vf->pf != pf || vf->vf_index != d->vfn) {
				config_error(c, d->line, "device " BDF_FMT "/vf%u: not in the PCI tree after VF Enable",
					     BDF_ARGS(d->pf_sbdf), d->vfn);
				return -HV_ENODEV;
			}
			d->sbdf = vf->sbdf;
		}
	return 0;
}

/* The host as vm/main.c's setup_domains() describes it to the config check. */
static void host_describe(struct partition_host *h, bool have_dmar)
{
	static const struct sluice_keys *const keys[] = { &dma_demo_keys, NULL };

	memset(h, 0, sizeof(*h));
	h->memmap = &memmap;
	h->dmar = have_dmar ? &dmar_tables : NULL;
	h->nr_cpus = acpi.nr_cpus;
	h->boot_cpu = 0;
	for (u32 i = 0; i < h->nr_cpus && i < 64; i++)
		h->cpus_online |= BIT_ULL(i);
	h->ecam_gpa = GUEST_ECAM_FALLBACK;
	h->ecam_size = 256ULL * MiB;
	for (u32 i = 0; i < acpi.nr_mcfg; i++)
		if (acpi.mcfg[i].segment == 0 && acpi.mcfg[i].bus_start == 0) {
			h->ecam_gpa = acpi.mcfg[i].base;
			h->ecam_size = ((u64)acpi.mcfg[i].bus_end + 1) * MiB;
		}
	h->keys = keys;
	h->image_check = image_unchecked;
	if (module_list.nr) {
		h->image_check = partition_image_check;
		h->image_ctx = &module_list;
	}
	h->vf_setup = check_vf_setup;
}

/* Sluice's allocator as setup_allocator() leaves it, but for its own image and modules. */
static void allocator_setup(void)
{
	if (page_alloc_init(&memmap))
		return;
	page_alloc_reserve(0, 1 * MiB, "low memory (real mode, AP start-up)");
}

/* The functions SR-IOV could share, in the checker's own words. */
static void sriov_report(void)
{
	u32 n = 0;
	for (u32 i = 0; i < pci_nr_devs(); i++) {
		const struct pci_dev *d = pci_dev_at(i);
		if (!d->ecap_sriov || d->kind == PCI_KIND_VF)
			continue;
		u16 total = (u16)pci_cfg_read(d->sbdf, d->ecap_sriov + 0x0e, 2);
		printf("%s: " SBDF_FMT " %04x:%04x can be shared through SR-IOV: up to %u VFs (sriov=" BDF_FMT ":N)\n",
		       PROG, SBDF_ARGS(d->sbdf), d->vendor, d->device, total, BDF_ARGS(d->sbdf));
		n++;
	}
	if (!n)
		printf("%s: no function can be shared through SR-IOV\n", PROG);
}

int main(int argc, char **argv)
{
	const char *capdir = NULL, *cfgpath = NULL, *cmdline = "";
	bool propose = false, vf_bars_unassigned = false;
	const char *modules_arg[BOOT_MODULES_MAX];
	u32 nr_modules_arg = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--propose")) {
			propose = true;
		} else if (!strcmp(argv[i], "--vf-bars-unassigned")) {
			vf_bars_unassigned = true;
		} else if (!strcmp(argv[i], "--module") && i + 1 < argc) {
			modules_arg[nr_modules_arg++ % BOOT_MODULES_MAX] = argv[++i];
		} else if (!strcmp(argv[i], "--cmdline") && i + 1 < argc) {
			cmdline = argv[++i];
		} else if (!strncmp(argv[i], "--cmdline=", 10)) {
			cmdline = argv[i] + 10;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "%s: unknown option %s\n", PROG, argv[i]);
			usage(stderr);
			return 2;
		} else if (!capdir) {
			capdir = argv[i];
		} else if (!cfgpath && !propose) {
			cfgpath = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!capdir) {
		usage(stderr);
		return 2;
	}
	if (capture_load(capdir, &cap, vf_bars_unassigned))
		return 2;
	if (nr_modules_arg > BOOT_MODULES_MAX) {
		fprintf(stderr, "%s: more than %u modules\n", PROG, BOOT_MODULES_MAX);
		return 2;
	}
	for (u32 i = 0; i < nr_modules_arg; i++)
		if (module_add(modules_arg[i]))
			return 2;

	/* --propose prints the proposal alone: the boot's lines are not shown then. */
	host_log_to_stdout(0);
	if (propose)
		log_set_sink(NULL);
	log_set_levels("info");
	cmdline_parse(cmdline, strlen(cmdline), &opts);
	if (opts.nr_errors || opts.too_long)
		return 2;       /* its lines said which word */
	bool have_dmar = machine_setup() > 0;
	allocator_setup();

	struct partition_host h;
	host_describe(&h, have_dmar);
	if (propose)
		return propose_config(&memmap, &h) ? 1 : 0;

	int status = 0;
	if (cfgpath) {
		size_t len;
		char *text = (char *)capture_read_file(cfgpath, &len, true);
		if (!text)
			return 2;
		config_parse(&conf, "sluice.conf", text, len);
		if (sluice_cfg_setup(&conf, &h, have_dmar ? &check_iommu_ops : NULL, &scfg))
			status = 1;
		free(text);
	}
	if (images_unchecked)
		fprintf(stderr, "%s: note: %u partition image(s) not checked (boot modules are not part of a capture)\n",
			PROG, images_unchecked);
	if (capture_vfs_synthesized())
		fprintf(stderr, "%s: note: %u VF config space(s) built from a sibling VF's or the PF's (capture-server --vfs captures them)\n",
			PROG, capture_vfs_synthesized());
	sriov_report();
	if (cfgpath)
		printf("%s: sluice.conf %s\n", PROG, status ? "refused" : "accepted");
	return status;
}
