/*
 * Partitions from a checked config: host memory claimed from the page
 * allocator, then, with iommu = on, one IOMMU DMA domain per partition with its
 * regions mapped and its devices attached (through struct iommu_ops, so
 * this file knows nothing of VT-d). Devices in no partition get no context
 * entry: their DMA faults. With iommu = off nothing is programmed at all.
 */
#define LOG_SUBSYS "part"
#include "vm/config/partition_cfg.h"
#include "vm/config/ats_policy.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
#include "pci/pci.h"

bool partition_cfg_lab_identity;


const char *part_access_name(u32 prot)
{
	switch (prot & (IOMMU_READ | IOMMU_WRITE)) {
	case IOMMU_READ: return "r";
	case IOMMU_WRITE: return "w";
	case IOMMU_READ | IOMMU_WRITE: return "rw";
	default: return "none";
	}
}

const struct part_region *part_region_at(const struct partition_cfg *d, u64 gpa, u64 len)
{
	for (u32 i = 0; i < d->nr_regions; i++) {
		const struct part_region *r = &d->regions[i];
		if (gpa >= r->gpa && len <= r->size && gpa - r->gpa <= r->size - len)
			return r;
	}
	return NULL;
}

void *part_guest_ptr(const struct partition_cfg *d, u64 gpa, u64 len, bool write)
{
	const struct part_region *r = part_region_at(d, gpa, len ? len : 1);
	if (!r || (write && !(r->prot & IOMMU_WRITE)))
		return NULL;
	return phys_to_virt(r->hpa + (gpa - r->gpa), len ? len : 1);
}

struct partition_cfg *partition_of_device(struct sluice_cfg *s, u32 sbdf)
{
	for (u32 i = 0; i < s->nr; i++)
		for (u32 k = 0; k < s->d[i].nr_devices; k++)
			if (s->d[i].devices[k].sbdf == sbdf)
				return &s->d[i];
	return NULL;
}

struct partition_cfg *partition_of_hpa(struct sluice_cfg *s, u64 hpa, const struct part_region **r)
{
	for (u32 i = 0; i < s->nr; i++)
		for (u32 k = 0; k < s->d[i].nr_regions; k++) {
			const struct part_region *g = &s->d[i].regions[k];
			if (hpa >= g->hpa && hpa - g->hpa < g->size) {
				if (r)
					*r = g;
				return &s->d[i];
			}
		}
	return NULL;
}

void sluice_cfg_release(struct sluice_cfg *s)
{
	for (u32 i = 0; i < s->nr; i++)
		for (u32 k = 0; k < s->d[i].nr_regions; k++) {
			struct part_region *r = &s->d[i].regions[k];
			if (r->claimed && !page_free(r->hpa, r->size / PAGE_SIZE))
				r->claimed = false;
		}
}

u64 part_region_align(u64 gpa, u64 size, u64 max)
{
	static const u64 leaves[] = { GiB, 2 * MiB };

	for (unsigned i = 0; i < ARRAY_SIZE(leaves); i++)
		if (leaves[i] <= max && IS_ALIGNED(gpa, leaves[i]) && IS_ALIGNED(size, leaves[i]))
			return leaves[i];
	return PAGE_SIZE;
}

/* Takes one region's HPA (exactly, or where it fits); logs why not. */
static int claim_region(const struct sluice_cfg *s, const struct partition_cfg *d,
			struct part_region *r)
{
	u64 pages = r->size / PAGE_SIZE;
	int ret;

	if (r->rmrr) {
		log_info("%s: memory gpa [0x%016llx-0x%016llx] -> hpa (the same) %s: RMRR, firmware's",
			 d->name, (unsigned long long)r->gpa, (unsigned long long)(r->gpa + r->size - 1),
			 part_access_name(r->prot));
		return 0;
	}
	if (r->hpa_fixed) {
		ret = page_alloc_fixed(r->hpa, pages);
	} else {
		/* Aligned as the GPA allows, the nested and VT-d tables map it with their largest leaves. */
		u64 align = part_region_align(r->gpa, r->size, GiB);
		while ((ret = page_alloc_pages(pages, align, &r->hpa)) == -HV_ENOMEM && align > PAGE_SIZE)
			align = part_region_align(r->gpa, r->size, align / 2);
	}
	if (ret) {
		log_err("%s:%u: partition %s: no host memory for gpa [0x%016llx-0x%016llx]: %s",
			s->file, r->line, d->name, (unsigned long long)r->gpa,
			(unsigned long long)(r->gpa + r->size - 1), hv_strerror(ret));
		return ret;
	}
	r->claimed = true;
	void *va = phys_to_virt(r->hpa, r->size);
	if (!va) {
		log_err("%s:%u: partition %s: hpa 0x%016llx is outside Sluice's direct map", s->file,
			r->line, d->name, (unsigned long long)r->hpa);
		return -HV_ERANGE;
	}
	/* A partition never sees what the memory held before. */
	memset(va, 0, r->size);
	log_info("%s: memory gpa [0x%016llx-0x%016llx] -> hpa [0x%016llx-0x%016llx] %s%s", d->name,
		 (unsigned long long)r->gpa, (unsigned long long)(r->gpa + r->size - 1),
		 (unsigned long long)r->hpa, (unsigned long long)(r->hpa + r->size - 1),
		 part_access_name(r->prot), r->hpa_fixed ? "" : " (hpa chosen by Sluice)");
	return 0;
}

int sluice_cfg_claim(struct sluice_cfg *s)
{
	/* Fixed addresses first, so a chosen one cannot take their place. */
	for (int fixed = 1; fixed >= 0; fixed--)
		for (u32 i = 0; i < s->nr; i++)
			for (u32 k = 0; k < s->d[i].nr_regions; k++) {
				struct part_region *r = &s->d[i].regions[k];
				if (r->hpa_fixed != (bool)fixed)
					continue;
				int ret = claim_region(s, &s->d[i], r);
				if (ret) {
					sluice_cfg_release(s);
					return ret;
				}
			}
	return 0;
}

/* Undoes what program_partition did so far: detaches devices, unmaps regions. */
static void unprogram_partition(const struct iommu_ops *ops, struct partition_cfg *d, u32 mapped,
			     u32 attached)
{
	for (u32 k = 0; k < attached; k++)
		ops->detach(d->iommu, d->devices[k].sbdf);
	for (u32 k = 0; k < mapped; k++)
		ops->unmap(d->iommu, d->regions[k].gpa, d->regions[k].size);
	d->failed = true;
}

/*
 * ATS for dev, just attached: the policy (vm/config/ats_policy.c), then the IOMMU
 * side (context entry for translation requests), then ATS Enable in the
 * function, in that order: a function may send translation requests as
 * soon as it is enabled. One line per device says whether, and why not.
 * A refusal leaves the device working without ATS.
 */
static void device_ats(const struct sluice_cfg *s, const struct iommu_ops *ops, struct partition_cfg *d,
		       struct part_device *dev)
{
	struct pci_dev *pd = pci_find(dev->sbdf);
	char why[160] = "";
	int ret;

	if (!pd)
		return;
	ret = ats_policy(pd, s->dmar, dev->ats, why, sizeof(why));
	if (!ret && !ops->set_ats) {
		fmt_snprintf(why, sizeof(why), "the %s driver has no device-TLB support", ops->name);
		ret = -HV_ENOTSUP;
	}
	const struct iommu_ats a = {
		.pfsid = (u16)(pd->kind == PCI_KIND_VF && pd->pf ? pd->pf->sbdf : pd->sbdf),
		.qdepth = pd->ats_qdepth ? pd->ats_qdepth : 32,
	};
	if (!ret)
		ret = ops->set_ats(d->iommu, dev->sbdf, &a, why, sizeof(why));
	if (!ret && (ret = ats_enable(pd, 0))) {
		ops->set_ats(d->iommu, dev->sbdf, NULL, NULL, 0);
		fmt_snprintf(why, sizeof(why), "enabling it in the function failed (%s)", hv_strerror(ret));
	}
	if (ret) {
		log_write(dev->ats ? LOG_WARN : LOG_INFO, LOG_SUBSYS, "%s: " BDF_FMT ": ATS not enabled: %s", d->name,
			  BDF_ARGS(dev->sbdf), why);
		return;
	}
	d->nr_ats++;
	dev->ats_on = true;
	log_info("%s: " BDF_FMT ": ATS enabled (trusted by the config; STU 4 KiB, invalidate queue depth %u, device-TLB invalidated with every change to the domain)",
		 d->name, BDF_ARGS(dev->sbdf), a.qdepth);
}

static int program_partition(const struct sluice_cfg *s, const struct iommu_ops *ops,
			  struct partition_cfg *d)
{
	u32 k;
	int ret = 0;

	d->iommu = ops->domain_create(d->name);
	d->iommu_ops = ops;
	if (!d->iommu) {
		log_err("%s: no IOMMU domain (%s could not create one); its devices stay blocked",
			d->name, ops->name);
		d->failed = true;
		return -HV_ENOMEM;
	}
	for (k = 0; k < d->nr_regions; k++) {
		const struct part_region *r = &d->regions[k];
		u64 hpa = r->hpa;
		if (partition_cfg_lab_identity && r->gpa != r->hpa) {
			hpa = r->gpa;
			log_warn("%s: lab switch dma-map-identity: gpa 0x%016llx mapped to hpa 0x%016llx in the IOMMU, not to its own hpa 0x%016llx",
				 d->name, (unsigned long long)r->gpa, (unsigned long long)hpa, (unsigned long long)r->hpa);
		}
		ret = ops->map(d->iommu, r->gpa, hpa, r->size, r->prot);
		if (ret) {
			log_err("%s:%u: partition %s: mapping gpa 0x%016llx size 0x%llx failed: %s", s->file,
				r->line, d->name, (unsigned long long)r->gpa,
				(unsigned long long)r->size, hv_strerror(ret));
			unprogram_partition(ops, d, k, 0);
			return ret;
		}
	}
	for (k = 0; k < d->nr_devices; k++) {
		struct part_device *dev = &d->devices[k];
		ret = ops->attach(d->iommu, dev->sbdf);
		if (ret) {
			log_err("%s:%u: partition %s: assigning %04x:" BDF_FMT " failed: %s", s->file,
				dev->line, d->name, PCI_SEG(dev->sbdf), BDF_ARGS(dev->sbdf),
				hv_strerror(ret));
			unprogram_partition(ops, d, d->nr_regions, k);
			return ret;
		}
		log_info("%s: device " BDF_FMT " attached (%s)", d->name, BDF_ARGS(dev->sbdf), ops->name);
		device_ats(s, ops, d, dev);
	}
	log_info("%s: %u region(s) mapped, %u device(s) attached", d->name, d->nr_regions, d->nr_devices);
	return 0;
}

/* iommu = on with partitions, but no IOMMU to program: logs it and returns true. */
static bool iommu_missing(const struct sluice_cfg *s, const struct iommu_ops *ops)
{
	if (!s->iommu || ops || !s->nr)
		return false;
	log_err("iommu = on, but no IOMMU is running: %u partition(s) not set up (iommu = off runs without isolation)",
		s->nr);
	return true;
}

int sluice_cfg_program(struct sluice_cfg *s, const struct iommu_ops *ops)
{
	int first = 0;

	if (!s->iommu) {
		log_warn("iommu = off: DMA isolation is OFF; every device can read and write all of memory");
		for (u32 i = 0; i < s->nr; i++)
			log_info("%s: %u region(s), %u device(s), no translation: bus address = HPA",
				 s->d[i].name, s->d[i].nr_regions, s->d[i].nr_devices);
		return 0;
	}
	if (iommu_missing(s, ops))
		return -HV_ENODEV;
	if (!ops)
		return 0;       /* no partitions */
	if (s->devtlb_timeout_ms && ops->set_devtlb_timeout)
		ops->set_devtlb_timeout(s->devtlb_timeout_ms * 1000);
	for (u32 i = 0; i < s->nr; i++) {
		int ret = program_partition(s, ops, &s->d[i]);
		if (ret && !first)
			first = ret;
	}
	int ret = ops->enable();
	if (ret) {
		log_err("%s: turning translation on failed: %s", ops->name, hv_strerror(ret));
		return ret;
	}
	return first;
}

static bool has_vfs(const struct sluice_cfg *s)
{
	for (u32 i = 0; i < s->nr; i++)
		for (u32 k = 0; k < s->d[i].nr_devices; k++)
			if (s->d[i].devices[k].vfn)
				return true;
	return false;
}

int sluice_cfg_setup(struct config *c, const struct partition_host *h, const struct iommu_ops *ops,
		     struct sluice_cfg *s)
{
	int ret = partition_check(c, h, s);

	s->dmar = h->dmar;

	if (ret || c->nr_errors) {
		log_err("%s: %u error(s); no partition set up, nothing programmed", c->file, c->nr_errors);
		ret = -HV_EINVAL;
	} else if (iommu_missing(s, ops)) {
		ret = -HV_ENODEV;
	} else if ((ret = sluice_cfg_claim(s))) {
		log_err("%s: host memory for the partitions not available; nothing programmed", c->file);
	} else if (has_vfs(s) && (ret = h->vf_setup(c, s, ops))) {
		sluice_cfg_release(s);
		log_err("%s: the VFs could not be set up; no partition set up, nothing programmed", c->file);
	}
	if (ret) {
		/*
		 * No partition, but the IOMMU still goes on with iommu = on: with
		 * no context entry, every device's DMA faults.
		 */
		s->nr = 0;
		sluice_cfg_program(s, ops);
		return ret;
	}
	ret = sluice_cfg_program(s, ops);
	log_info("%u partition(s) set up, iommu %s%s", s->nr, s->iommu ? "on" : "off",
		 ret ? ", with errors" : "");
	return ret;
}
