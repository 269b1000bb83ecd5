/* Memory remap of a running partition (vm/part/partition.h partition_remap). Spec: VT-d 4.1 §6.5 (invalidation), §6.5.2.5 (device-TLB). */
#define LOG_SUBSYS "remap"
#include "vm/part/partition.h"
#include "iommu/iommu.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/page_alloc.h"
#include "kernel/pgtable.h"
#include "kernel/hw/mem.h"

int partition_remap(struct partition *p, u64 gpa)
{
	struct partition_cfg *d = p->cfg;
	struct part_region *r = NULL;
	u64 new_hpa;
	int ret;

	for (u32 i = 0; i < d->nr_regions && !r; i++)
		if (d->regions[i].gpa == gpa)
			r = &d->regions[i];
	if (!r) {
		log_warn("%s: no memory region starts at gpa 0x%016llx", d->name, (unsigned long long)gpa);
		return -HV_ENOENT;
	}
	if (r->rmrr || r->hpa_fixed || !r->claimed) {
		log_warn("%s: region gpa 0x%016llx stays: its hpa is %s", d->name, (unsigned long long)gpa,
			 r->rmrr ? "an RMRR's (firmware's)" : "fixed by the config (hpa=)");
		return -HV_EPERM;
	}
	if (p->nr_vcpus > 1) {
		/* Its other vCPUs would run on through the move: no remap while a partition has several. */
		log_warn("%s: region gpa 0x%016llx stays: the partition has %u vCPUs", d->name, (unsigned long long)gpa,
			 p->nr_vcpus);
		return -HV_EPERM;
	}
	u64 pages = r->size / PAGE_SIZE, old = r->hpa;
	u64 align = IS_ALIGNED(r->size, 2 * MiB) && IS_ALIGNED(r->gpa, 2 * MiB) ? 2 * MiB : PAGE_SIZE;
	void *from = phys_to_virt(old, r->size);
	void *to = NULL;
	if (page_alloc_pages(pages, align, &new_hpa) == 0)
		to = phys_to_virt(new_hpa, r->size);
	if (!to || !from) {
		if (to)
			page_free(new_hpa, pages);
		log_err("%s: region gpa 0x%016llx: no host memory to move it to", d->name, (unsigned long long)gpa);
		return -HV_ENOMEM;
	}
	/* 1. Devices first: after the unmap's wait no IOTLB or ATC holds the old pages. */
	if (d->iommu && (ret = d->iommu_ops->unmap(d->iommu, r->gpa, r->size))) {
		log_err("%s: region gpa 0x%016llx: IOMMU unmap failed (%s); the old pages are kept", d->name,
			(unsigned long long)gpa, hv_strerror(ret));
		page_free(new_hpa, pages);
		return ret;
	}
	/* 2. The CPU side, 3. the contents, 4. both tables on the new pages. */
	if ((ret = pt_unmap(&p->npt, r->gpa, r->size)) == 0) {
		memcpy(to, from, r->size);
		ret = pt_map(&p->npt, r->gpa, new_hpa, r->size, partition_npt_prot(r->prot));
	}
	if (!ret && d->iommu)
		ret = d->iommu_ops->map(d->iommu, r->gpa, new_hpa, r->size, r->prot);
	if (ret) {
		/* Half moved: neither map can be trusted; the caller parks p. Nothing is freed. */
		log_err("%s: region gpa 0x%016llx: remap failed half way (%s)", d->name, (unsigned long long)gpa,
			hv_strerror(ret));
		return ret;
	}
	if (p->ops && p->ops->vcpu_flush_tlb)
		p->ops->vcpu_flush_tlb(&p->vcpus[0].v);
	r->hpa = new_hpa;
	/*
	 * 5. Only now: every wait has completed, nothing can reach the old
	 * pages. Zeroed first: the next owner gets nothing of this partition's
	 * (and a stale translation would read zeros, not the right data).
	 */
	memset(from, 0, r->size);
	page_free(old, pages);
	log_info("%s: region gpa [0x%016llx-0x%016llx] moved from hpa 0x%016llx to hpa 0x%016llx (%llu pages copied; IOMMU and nested tables switched, TLBs invalidated, old pages freed)",
		 d->name, (unsigned long long)r->gpa, (unsigned long long)(r->gpa + r->size - 1),
		 (unsigned long long)old, (unsigned long long)new_hpa, (unsigned long long)pages);
	return 0;
}

int partition_iommu_unmap(struct partition *p)
{
	struct partition_cfg *d = p->cfg;
	struct iommu_range r[PART_MAX_REGIONS];

	if (!d->iommu || !d->nr_regions)
		return 0;
	for (u32 i = 0; i < d->nr_regions; i++)
		r[i] = (struct iommu_range){ d->regions[i].gpa, d->regions[i].size };
	int ret = d->iommu_ops->unmap_ranges(d->iommu, r, d->nr_regions);
	if (ret)
		log_err("%s: its %u region(s) not all out of the IOMMU: %s", d->name, d->nr_regions, hv_strerror(ret));
	return ret;
}

int partition_memory_reset(struct partition *p)
{
	struct partition_cfg *d = p->cfg;
	int ret;

	/* 1. Devices first: once every unmap's wait is done no IOTLB or ATC reaches the pages. */
	if ((ret = partition_iommu_unmap(p)))
		return ret;
	/* 2. Nothing of the last run stays (an RMRR's memory is the firmware's, never written). */
	for (u32 i = 0; i < d->nr_regions; i++) {
		const struct part_region *r = &d->regions[i];
		void *va = r->rmrr ? NULL : phys_to_virt(r->hpa, r->size);
		if (va)
			memset(va, 0, r->size);
	}
	/* 3. Only zeroed pages go back to the devices. */
	for (u32 i = 0; i < d->nr_regions && d->iommu; i++) {
		const struct part_region *r = &d->regions[i];
		if ((ret = d->iommu_ops->map(d->iommu, r->gpa, r->hpa, r->size, r->prot))) {
			log_err("%s: region gpa 0x%016llx: IOMMU map after the reset failed (%s)", d->name,
				(unsigned long long)r->gpa, hv_strerror(ret));
			return ret;
		}
	}
	return 0;
}
