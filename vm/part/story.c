/*
 * The story lines of a run: a banner per stage of the path that README.md
 * and docs/architecture.md tell (hardware given, Sluice's answer), printed
 * where the stage's work is done, and the partitions' verdicts at the end.
 * Everything here is read from the PCI function list and the programmed
 * config; nothing is decided or changed. The lines are for a reader of the
 * log and for the flagship scenario (tests/scenarios/flagship).
 */
#define LOG_SUBSYS "story"
#include "vm/part/story.h"
#include "pci/pci.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/log.h"

/* Room for "bb:dd.f in NAME, " per device of every partition. */
#define LIST_LEN        (PART_MAX * PART_MAX_DEVICES * (PART_NAME_LEN + 16))

/* Appends ", " (unless first) and one "bb:dd.f WORD NAME" item to list. */
static void list_add(char *list, size_t size, u32 sbdf, const char *word, const char *name)
{
	size_t n = strlen(list);

	if (n < size)
		fmt_snprintf(list + n, size - n, "%s" BDF_FMT " %s %s", n ? ", " : "", BDF_ARGS(sbdf), word, name);
}

void story_stage0(void)
{
	u32 groups = pci_nr_groups(), n = pci_nr_devs();

	log_info("stage 0, no IOMMU | hardware: a function's DMA address is a host physical address | Sluice: %u functions in %u isolation groups, each partition owns whole functions", n, groups);
}

void story_stage1(const struct sluice_cfg *s)
{
	u32 domains = 0, regions = 0, devices = 0;

	for (u32 i = 0; i < s->nr; i++) {
		const struct partition_cfg *d = &s->d[i];
		if (!d->iommu || d->failed)
			continue;
		domains++;
		regions += d->nr_regions;
		devices += d->nr_devices;
	}
	if (!domains) {
		log_info("stage 1, DMA remapping | hardware: %s | Sluice: no DMA domain, partitions' functions reach host memory untranslated",
			 s->iommu ? "no remapping unit in use" : "not used (iommu = off)");
		return;
	}
	log_info("stage 1, DMA remapping | hardware: the IOMMU translates each function's DMA by its routing ID | Sluice: %u DMA domains, one per partition, %u regions GPA -> HPA, %u functions attached", domains, regions, devices);
}

void story_stage2(const struct sluice_cfg *s)
{
	static char list[LIST_LEN];
	u32 assigned = 0, capable = 0, on = 0;

	list[0] = '\0';
	for (u32 i = 0; i < s->nr; i++) {
		const struct partition_cfg *d = &s->d[i];
		for (u32 k = 0; k < d->nr_devices; k++) {
			const struct part_device *dev = &d->devices[k];
			const struct pci_dev *p = pci_find(dev->sbdf);
			assigned++;
			capable += p && p->ecap_ats;
			if (dev->ats_on) {
				on++;
				list_add(list, sizeof(list), dev->sbdf, "in", d->name);
			}
		}
	}
	if (!on) {
		log_info("stage 2, ATS | hardware: %u of %u assigned functions can cache translations (ATS) | Sluice: ATS on for none (only a function the config trusts with ats=on gets it)", capable, assigned);
		return;
	}
	log_info("stage 2, ATS | hardware: %u of %u assigned functions can cache translations (ATS) | Sluice: ATS on for %u the config trusts (%s), device-TLB invalidated after every unmap", capable, assigned, on, list);
}

void story_stage3(const struct sluice_cfg *s)
{
	static char list[LIST_LEN];
	u32 pfs = 0, total = 0, enabled = 0, handed = 0, n = pci_nr_devs();

	for (u32 i = 0; i < n; i++) {
		const struct pci_dev *p = pci_dev_at(i);
		if (!p->sriov.cap || p->kind == PCI_KIND_VF)
			continue;
		pfs++;
		total += p->sriov.total_vfs;
		enabled += p->sriov.enabled ? p->sriov.num_vfs : 0;
	}
	list[0] = '\0';
	for (u32 i = 0; i < s->nr; i++) {
		const struct partition_cfg *d = &s->d[i];
		for (u32 k = 0; k < d->nr_devices; k++) {
			const struct part_device *dev = &d->devices[k];
			if (!dev->vfn || dev->sbdf == PART_SBDF_PENDING)
				continue;
			handed++;
			list_add(list, sizeof(list), dev->sbdf, "to", d->name);
		}
	}
	if (!pfs) {
		log_info("stage 3, SR-IOV | hardware: no function offers virtual functions | Sluice: nothing to provision");
		return;
	}
	log_info("stage 3, SR-IOV | hardware: %u PF(s) offer %u VFs | Sluice: %u VFs enabled, %u handed to partitions%s%s%s", pfs, total, enabled, handed, handed ? " (" : "", list, handed ? ")" : "");
}

void story_verdict(const char *name, const char *state, u64 code, u32 pass, u32 fail)
{
	log_info("verdict %s: %s (code %llu), its checks %u passed, %u failed", name, state, (unsigned long long)code, pass, fail);
}
