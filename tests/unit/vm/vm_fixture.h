/*
 * A small machine for the vm/ host tests: a memory map with RAM at
 * 0x80000000 and up (the "kernel" in its first MiB, a reserved hole, two
 * more RAM ranges) backed by fake memory and fed to the page allocator; a
 * PCI tree with two edu devices, a root port with an endpoint below it
 * and a two-function device without ACS (one isolation group); and a fake
 * IOMMU behind struct iommu_ops that records every call, translates the
 * fake edus' DMA through what was mapped and attached, and counts faults.
 */
#ifndef TESTS_UNIT_VM_VM_FIXTURE_H
#define TESTS_UNIT_VM_VM_FIXTURE_H
#include <stdio.h>
#include <string.h>
#include "vm/config/config.h"
#include "vm/config/partition_cfg.h"
#include "iommu/dmar.h"
#include "pci/pci.h"
#include "pci/pcie_hw.h"
#include "kernel/memmap.h"
#include "kernel/page_alloc.h"
#include "kernel/log.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_log.h"
#include "tests/fakes/fake_mem.h"
#include "tests/unit/pci/fake_edu.h"
#include "tests/unit/pci/pci_topo.h"

#define EDU1            S(0, 3, 0)
#define EDU2            S(0, 4, 0)
#define ROOT_PORT       S(0, 2, 0)
#define BEHIND_PORT     S(1, 0, 0)
#define MF0             S(0, 5, 0)
#define MF1             S(0, 5, 1)

#define KERNEL_PA       0x80000000ULL   /* reserved as the kernel image */
#define RAM0            0x80000000ULL   /* usable, 4 MiB */
#define HOLE            0x80400000ULL   /* firmware-reserved, 1 MiB */
#define RAM1            0x90000000ULL   /* usable, 4 MiB */
#define RAM2            0xa0000000ULL   /* usable, 4 MiB */
#define RAM_SIZE        0x400000ULL

static struct memmap vm_map;
static struct config vm_conf;
static struct sluice_cfg vm_set;
/* The host's VF set-up for the next vm_setup() (NULL: VFs are refused). */
static int (*vm_vf_setup)(struct config *c, struct sluice_cfg *s, const struct iommu_ops *ops);
static const struct sluice_keys *const *vm_keys;       /* the host's extra [sluice] keys, NULL-terminated (NULL: none) */


/* A DMAR with segment 0's INCLUDE_PCI_ALL unit and RMRRs (vm_rmrr() adds them), as dmar_parse would leave it. */
static struct dmar_info vm_dmar;

/* An RMRR [base, end] naming one endpoint. */
static inline void vm_rmrr(u32 sbdf, u64 base, u64 end)
{
	struct dmar_scope *sc = &vm_dmar.scopes[vm_dmar.nr_scopes];
	struct dmar_rmrr *r = &vm_dmar.rmrrs[vm_dmar.nr_rmrrs++];

	sc->type = DMAR_SCOPE_ENDPOINT;
	sc->segment = PCI_SEG(sbdf);
	sc->res = DMAR_RES_FOUND;
	sc->bdf = PCI_RID(sbdf);
	r->segment = PCI_SEG(sbdf);
	r->base_pa = base;
	r->end_pa = end;
	r->first_scope = (u16)vm_dmar.nr_scopes++;
	r->nr_scopes = 1;
}

/* The image check of the fixture: "missing" is no boot module, "huge" does not fit; the rest load. */
static int vm_image_check(void *ctx, const struct partition_cfg *d, u32 *line, char *why, size_t len)
{
	(void)ctx;
	for (u32 i = 0; i < d->nr_modules; i++)
		if (!strcmp(d->modules[i].name, "missing")) {
			*line = d->modules[i].line;
			snprintf(why, len, "module = %s: no boot module named '%s'", d->modules[i].string, d->modules[i].name);
			return -HV_ENOENT;
		}
	if (!strcmp(d->image, "missing")) {
		snprintf(why, len, "no boot module named '%s'", d->image);
		return -HV_ENOENT;
	}
	if (!strcmp(d->image, "huge")) {
		snprintf(why, len, "segment [0x100000-0x40100000) is outside the partition's memory");
		return -HV_ERANGE;
	}
	return 0;
}

/* Four CPUs, the boot CPU 0, CPU 3 failed to start; guests' ECAM window at 0xb0000000 (256 MiB). */
static const struct partition_host vm_host = {
	.memmap = &vm_map, .dmar = &vm_dmar,
	.nr_cpus = 4, .boot_cpu = 0, .cpus_online = 0x7,
	.ecam_gpa = 0xb0000000, .ecam_size = 0x10000000,
	.image_check = vm_image_check,
};

/* ---- the fake IOMMU ---- */

#define FAKE_IOMMU_DOMAINS      8
#define FAKE_IOMMU_MAPS         16
#define FAKE_IOMMU_DEVS         8

struct iommu_domain {
	char name[32];
	u64 faults, ir_faults;
	u32 nr_maps, nr_devs;
	struct { u64 iova, hpa, size; u32 prot; } maps[FAKE_IOMMU_MAPS];
	u32 devs[FAKE_IOMMU_DEVS];
};

static struct {
	struct iommu_domain d[FAKE_IOMMU_DOMAINS];
	u32 nr;
	bool enabled;
	char calls[4096];       /* "create p1;map p1 ...;attach p1 00:03.0;enable;" */
	u32 pending;            /* faults not yet polled */
	char pending_line[FAKE_IOMMU_DOMAINS][160];
	unsigned walks;
	u32 walk_sbdf[8];
	u64 walk_iova[8];
	/* Knobs. */
	const char *fail_create;        /* domain_create of this name returns NULL */
	u32 fail_attach;                /* attach of this sbdf fails (0: none) */
	bool isolate_when_off;          /* translate even before enable (a stage 0 that isolates) */
	u32 misroute;                   /* this sbdf's DMA bypasses translation (0: none) */
	bool ir_off;                    /* the unit does not remap interrupts */
	bool ir_no_sid;                 /* interrupt faults recorded without a source ID (as QEMU) */
	u64 ir_faults;                  /* interrupt faults the unit recorded */
	unsigned delivered;             /* writes to the interrupt window that reached "a CPU" */
} fio;

static void fio_call(const char *fmt, ...) __printf(1, 2);
static void fio_call(const char *fmt, ...)
{
	size_t n = strlen(fio.calls);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fio.calls + n, sizeof(fio.calls) - n, fmt, ap);
	va_end(ap);
	n = strlen(fio.calls);
	if (n + 1 < sizeof(fio.calls)) {
		fio.calls[n] = ';';
		fio.calls[n + 1] = '\0';
	}
}

static int fio_init(const struct dmar_info *dmar)
{
	(void)dmar;
	return 0;
}

static struct iommu_domain *fio_create(const char *name)
{
	fio_call("create %s", name);
	if ((fio.fail_create && !strcmp(name, fio.fail_create)) || fio.nr == FAKE_IOMMU_DOMAINS)
		return NULL;
	struct iommu_domain *d = &fio.d[fio.nr++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	return d;
}

static int fio_map(struct iommu_domain *d, u64 iova, u64 hpa, u64 size, u32 prot)
{
	fio_call("map %s 0x%llx 0x%llx 0x%llx %s", d->name, (unsigned long long)iova,
		 (unsigned long long)hpa, (unsigned long long)size, part_access_name(prot));
	if (d->nr_maps == FAKE_IOMMU_MAPS)
		return -HV_ENOMEM;
	d->maps[d->nr_maps].iova = iova;
	d->maps[d->nr_maps].hpa = hpa;
	d->maps[d->nr_maps].size = size;
	d->maps[d->nr_maps++].prot = prot;
	return 0;
}

static int fio_unmap(struct iommu_domain *d, u64 iova, u64 size)
{
	fio_call("unmap %s 0x%llx 0x%llx", d->name, (unsigned long long)iova, (unsigned long long)size);
	for (u32 i = 0; i < d->nr_maps; i++)
		if (d->maps[i].iova == iova && d->maps[i].size == size)
			d->maps[i] = d->maps[--d->nr_maps];
	return 0;
}

static int fio_attach(struct iommu_domain *d, u32 sbdf)
{
	fio_call("attach %s " BDF_FMT, d->name, BDF_ARGS(sbdf));
	if (sbdf == fio.fail_attach)
		return -HV_ENOTSUP;
	if (d->nr_devs == FAKE_IOMMU_DEVS)
		return -HV_ENOMEM;
	d->devs[d->nr_devs++] = sbdf;
	return 0;
}

static int fio_detach(struct iommu_domain *d, u32 sbdf)
{
	fio_call("detach %s " BDF_FMT, d->name, BDF_ARGS(sbdf));
	for (u32 i = 0; i < d->nr_devs; i++)
		if (d->devs[i] == sbdf)
			d->devs[i] = d->devs[--d->nr_devs];
	return 0;
}

static int fio_enable(void)
{
	fio_call("enable");
	fio.enabled = true;
	return 0;
}

static void fio_poll_faults(void)
{
	for (u32 i = 0; i < fio.pending; i++)
		log_write(LOG_ERR, "fake-iommu", "%s", fio.pending_line[i]);
	fio.pending = 0;
}

static int fio_walk(u32 sbdf, u64 iova, bool write)
{
	if (fio.walks < 8) {
		fio.walk_sbdf[fio.walks] = sbdf;
		fio.walk_iova[fio.walks] = iova;
	}
	fio.walks++;
	log_write(LOG_INFO, "fake-iommu", "walk " BDF_FMT " 0x%llx %s", BDF_ARGS(sbdf), (unsigned long long)iova, write ? "w" : "r");
	return 0;
}

/* One unit, fake0, remapping interrupts unless ir_off. */
static int fio_intr_table(unsigned i, struct iommu_intr_table *t)
{
	if (i > 0)
		return -HV_ENOENT;
	memset(t, 0, sizeof(*t));
	snprintf(t->unit, sizeof(t->unit), "fake0");
	t->on = !fio.ir_off;
	t->faults = fio.ir_faults;
	return 0;
}

static const struct iommu_ops fake_iommu_ops = {
	.name = "fake", .init = fio_init, .domain_create = fio_create, .map = fio_map,
	.unmap = fio_unmap, .attach = fio_attach, .detach = fio_detach, .enable = fio_enable,
	.poll_faults = fio_poll_faults, .walk = fio_walk, .intr_table = fio_intr_table,
};

u64 iommu_domain_faults(const struct iommu_domain *d)
{
	return d->faults;
}

u64 iommu_domain_ir_faults(const struct iommu_domain *d)
{
	return d->ir_faults;
}

void iommu_domain_inv_format(const struct iommu_domain *d, char *buf, size_t len)
{
	(void)d;
	snprintf(buf, len, "fake: none");
}

/* fake_edu_iommu: the translation an enabled unit would do, faults counted. */
static bool fio_translate(u32 sbdf, u64 bus, u32 len, bool write, u64 *hpa)
{
	if ((!fio.enabled && !fio.isolate_when_off) || sbdf == fio.misroute) {
		*hpa = bus;
		return true;
	}
	for (u32 i = 0; i < fio.nr; i++) {
		struct iommu_domain *d = &fio.d[i];
		bool mine = false;
		for (u32 k = 0; k < d->nr_devs; k++)
			mine |= d->devs[k] == sbdf;
		if (!mine)
			continue;
		/* The interrupt window: an interrupt request, blocked (no IRTE present) or delivered. */
		if (write && bus >= 0xfee00000ULL && bus < 0xfef00000ULL) {
			if (fio.ir_off) {
				fio.delivered++;
				return false;
			}
			fio.ir_faults++;
			if (!fio.ir_no_sid) {
				d->faults++;
				d->ir_faults++;
			}
			if (fio.pending < FAKE_IOMMU_DOMAINS)
				snprintf(fio.pending_line[fio.pending++], sizeof(fio.pending_line[0]),
					 "interrupt fault sid=" BDF_FMT " addr=0x%llx domain=%s",
					 BDF_ARGS(sbdf), (unsigned long long)bus,
					 fio.ir_no_sid ? "none" : d->name);
			return false;
		}
		for (u32 k = 0; k < d->nr_maps; k++) {
			u64 iova = d->maps[k].iova, size = d->maps[k].size;
			if (bus >= iova && bus + len <= iova + size &&
			    (d->maps[k].prot & (write ? IOMMU_WRITE : IOMMU_READ))) {
				*hpa = d->maps[k].hpa + (bus - iova);
				return true;
			}
		}
		d->faults++;
		if (fio.pending < FAKE_IOMMU_DOMAINS)
			snprintf(fio.pending_line[fio.pending++], sizeof(fio.pending_line[0]),
				 "fault sid=" BDF_FMT " dir=%s addr=0x%llx domain=%s",
				 BDF_ARGS(sbdf), write ? "write" : "read",
				 (unsigned long long)bus, d->name);
		return false;
	}
	return false;           /* no context entry: blocked */
}

/* ---- the machine ---- */

static void vm_fixture_reset(void)
{
	static const struct boot_mmap_entry raw[] = {
		{ .base = RAM0, .size = RAM_SIZE, .type = BOOT_MEM_USABLE },
		{ .base = HOLE, .size = 0x100000, .type = BOOT_MEM_RESERVED },
		{ .base = RAM1, .size = RAM_SIZE, .type = BOOT_MEM_USABLE },
		{ .base = RAM2, .size = RAM_SIZE, .type = BOOT_MEM_USABLE },
	};

	fake_hw_reset();
	fake_io_reset();
	fake_mem_reset();
	fake_edu_reset();
	topo_reset();
	memset(&fio, 0, sizeof(fio));
	memset(&vm_dmar, 0, sizeof(vm_dmar));
	vm_dmar.flags = ACPI_DMAR_INTR_REMAP;   /* as QEMU's intel-iommu declares it */
	/* One unit for the whole of segment 0 (QEMU's names each function instead). */
	vm_dmar.nr_units = 1;
	vm_dmar.units[0] = (struct dmar_unit){ .flags = DMAR_DRHD_INCLUDE_PCI_ALL, .base_pa = 0xfed90000 };
	vm_vf_setup = NULL;
	vm_keys = NULL;
	fake_edu_iommu = fio_translate;
	assert_int_equal(memmap_normalise(raw, ARRAY_SIZE(raw), &vm_map, NULL), 0);
	assert_int_equal(page_alloc_init(&vm_map), 0);
	page_alloc_reserve(KERNEL_PA, 0x100000, "kernel image");
	fake_mem_add(RAM0, RAM_SIZE);
	fake_mem_add(RAM1, RAM_SIZE);
	fake_mem_add(RAM2, RAM_SIZE);

	fake_edu_add(EDU1, 0xfe000000);
	fake_edu_add(EDU2, 0xfe100000);
	topo_port(ROOT_PORT, 4, 1, 1);
	topo_ep(BEHIND_PORT, 0x8086, 0x10d3, 0);
	topo_ep(MF0, 0x8086, 0x1521, 0x80);
	topo_ep(MF1, 0x8086, 0x1521, 0x80);
	assert_true(pci_scan() > 0);
	fake_log_capture();
}

/*
 * Every bridge above the function at sbdf isolates: ACS Source
 * Validation, Request and Completion Redirect and Upstream Forwarding
 * offered and on (the fixture's root port has no ACS capability), as a
 * VF's PF needs (partition_check.c check_vf).
 */
static inline void vm_fixture_isolate_above(u32 sbdf)
{
	struct pci_dev *d = pci_find(sbdf);
	assert_non_null(d);
	for (struct pci_dev *p = d->parent; p; p = p->parent) {
		p->ecap_acs = 0x100;
		p->acs_cap = ACS_SV | ACS_RR | ACS_CR | ACS_UF;
		p->acs_ctrl = p->acs_cap;
	}
}

/* Parses text as sluice.conf and sets the partitions up through ops (may be NULL). */
static int vm_setup(const char *text, const struct iommu_ops *ops)
{
	struct partition_host h = vm_host;
	h.vf_setup = vm_vf_setup;
	h.keys = vm_keys;
	config_parse(&vm_conf, "sluice.conf", text, strlen(text));
	return sluice_cfg_setup(&vm_conf, &h, ops, &vm_set);
}

/* The worked example as a config, with the read-only page of docs/config.md's. */
#define WORKED_EXAMPLE(iommu) \
	"[sluice]\n" \
	"iommu = " iommu "\n" \
	"# demo = dma: a key of vm/demo, tested there\n" \
	"[partition \"p1\"]\n" \
	"memory = gpa=0x90000000 size=1M hpa=0x90000000\n" \
	"memory = gpa=0xb0000000 size=4K access=r\n" \
	"device = 00:03.0\n" \
	"[partition \"p2\"]\n" \
	"memory = gpa=0x90000000 size=1M hpa=0xa0000000\n" \
	"device = 00:04.0\n"

#endif
