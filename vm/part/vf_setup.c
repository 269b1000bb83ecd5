/*
 * The VFs partitions name (device = PF/vfN): for each PF, its VFs enabled
 * and, for an NVMe PF, provisioned by Sluice itself (pci/nvme_pf.c): each
 * VF's secondary controller online with its partition's namespace. The
 * PF's own DMA goes through a Sluice-owned IOMMU domain that maps only the
 * few pages its admin queue and data need. Then each VF device gets its
 * routing ID, so the domains are programmed with it like any function.
 */
#define LOG_SUBSYS "sriov"
#include "vm/part/vf_setup.h"
#include "vm/config/config.h"
#include "pci/pci.h"
#include "pci/pci_hw.h"
#include "pci/nvme_pf.h"
#include "iommu/iommu.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/io.h"
#include "kernel/hw/mem.h"
#include "kernel/hw/pci_cfg.h"
#include "kernel/hw/time.h"

const struct vf_pf_user *vf_pf_user;

#define NVME_BAR0_SIZE          0x4000  /* registers and the first doorbells */

/* The PFs Sluice provisioned, for later stages (vf_pf_user, FLR). */
static struct nvme_pf nvme_pfs[PART_MAX];
static struct nvme_io nvme_pf_io[PART_MAX];
static u32 nr_nvme_pfs;

struct pf_work {
	struct pci_dev *pf;
	u16 max_vfn;
	u32 nr;
	struct part_device *dev[PART_MAX];
	struct nvme_vf_plan plan[PART_MAX];     /* each VF's namespace, for an NVMe PF */
};

static u32 io_rd32(void *ctx, u32 off) { return io_read32(ctx, off); }
static u64 io_rd64(void *ctx, u32 off) { return io_read64(ctx, off); }
static void io_wr32(void *ctx, u32 off, u32 v) { io_write32(ctx, off, v); }
static void io_wr64(void *ctx, u32 off, u64 v) { io_write64(ctx, off, v); }
static u64 now_us(void *ctx) { (void)ctx; return time_now_ns() / 1000; }

static int enable_vfs(void *ctx, u16 n)
{
	return sriov_vf_enable(ctx, n);
}

static void nvme_log(void *ctx, bool error, const char *line)
{
	const struct pci_dev *pf = ctx;
	/* A lab switch's own line is a WARN (pci/nvme_pf.h, nvme_pf_lab_shared_ns). */
	enum log_level lvl = error ? LOG_ERR : !strncmp(line, "lab switch ", 11) ? LOG_WARN : LOG_INFO;
	log_write(lvl, "nvme", BDF_FMT ": %s", BDF_ARGS(pf->sbdf), line);
}

/* The config line of VF vfn of w (the first VF's when vfn names none). */
static u32 line_of(const struct pf_work *w, u16 vfn)
{
	for (u32 i = 0; i < w->nr; i++)
		if (w->dev[i]->vfn == vfn)
			return w->dev[i]->line;
	return w->dev[0]->line;
}

/* "vfN: ..." from the provisioning names the VF; its line gets the error. */
static void provision_error(struct config *c, const struct pf_work *w, const char *why)
{
	u32 vfn = 0;
	const char *p = why;
	if (!strncmp(why, "vf", 2)) {
		for (p = why + 2; *p >= '0' && *p <= '9'; p++)
			vfn = vfn * 10 + (u32)(*p - '0');
		p += (p[0] == ':' && p[1] == ' ') ? 2 : 0;
	}
	config_error(c, line_of(w, (u16)vfn), "device " BDF_FMT "/vf%u: %s", BDF_ARGS(w->pf->sbdf),
		     vfn ? vfn : w->dev[0]->vfn, vfn ? p : why);
}

/* Sluice's own domain for the PF: the DMA pages only, at IOVA = HPA. */
static int pf_dma(struct pci_dev *pf, const struct iommu_ops *ops, u64 *pa, struct iommu_domain **dom)
{
	char name[IOMMU_NAME_LEN];

	if (!page_alloc_zeroed(NVME_PF_DMA_PAGES, pa))
		return -HV_ENOMEM;
	if (!ops)
		return 0;       /* iommu = off: no isolation for anyone, the PF included */
	fmt_snprintf(name, sizeof(name), "sluice-nvme-" BDF_FMT, BDF_ARGS(pf->sbdf));
	struct iommu_domain *d = ops->domain_create(name);
	*dom = d;
	if (!d)
		return -HV_ENOMEM;
	int ret = ops->map(d, *pa, *pa, NVME_PF_DMA_PAGES * PAGE_SIZE, IOMMU_READ | IOMMU_WRITE);
	if (!ret)
		ret = ops->attach(d, pf->sbdf);
	if (!ret)
		ret = ops->enable();
	if (!ret)
		log_info(BDF_FMT ": PF DMA through domain %s: %u pages at 0x%016llx, nothing else", BDF_ARGS(pf->sbdf),
			 name, NVME_PF_DMA_PAGES, (unsigned long long)*pa);
	return ret;
}

static int provision_nvme(struct config *c, struct pf_work *w, const struct iommu_ops *ops)
{
	char why[160];
	u64 pa;

	if (nr_nvme_pfs == ARRAY_SIZE(nvme_pfs))
		return -HV_ENOMEM;
	const struct pci_bar *bar = &w->pf->bars[0];
	if ((bar->type != PCI_BAR_MEM32 && bar->type != PCI_BAR_MEM64) || bar->size < NVME_BAR0_SIZE) {
		config_error(c, w->dev[0]->line, "device " BDF_FMT ": NVMe BAR0 missing or too small", BDF_ARGS(w->pf->sbdf));
		return -HV_EINVAL;
	}
	struct io_region *regs = io_map(bar->addr, NVME_BAR0_SIZE, "nvme-pf");
	struct iommu_domain *dom = NULL;
	int ret = regs ? pf_dma(w->pf, ops, &pa, &dom) : -HV_EIO;
	void *dma = ret ? NULL : phys_to_virt(pa, NVME_PF_DMA_PAGES * PAGE_SIZE);
	if (ret || !dma) {
		config_error(c, w->dev[0]->line, "device " BDF_FMT ": no DMA set-up for the PF (%s)",
			     BDF_ARGS(w->pf->sbdf), hv_strerror(ret ? ret : -HV_EIO));
		return ret ? ret : -HV_EIO;
	}
	u32 cmd = pci_cfg_read(w->pf->sbdf, PCI_COMMAND, 2);
	pci_cfg_write(w->pf->sbdf, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEM | PCI_COMMAND_MASTER);
	/* The controller keeps a pointer to its register door: it outlives this call (vf_pf_user's I/O). */
	struct nvme_io *io = &nvme_pf_io[nr_nvme_pfs];
	*io = (struct nvme_io){ .rd32 = io_rd32, .rd64 = io_rd64, .wr32 = io_wr32, .wr64 = io_wr64,
				.now_us = now_us, .ctx = regs };
	const struct nvme_pf_env env = { .io = io, .enable_vfs = enable_vfs, .ctx = w->pf, .dma = dma,
					 .dma_bus = pa, .log = nvme_log };
	struct nvme_pf *npf = &nvme_pfs[nr_nvme_pfs];
	const char *key = NULL;
	u32 line = 0, own_nsid = vf_pf_user ? vf_pf_user->own_ns(w->pf->sbdf, &key, &line) : 0;
	ret = nvme_pf_provision(npf, &env, w->pf->sriov.total_vfs, w->plan, w->nr, own_nsid, why, sizeof(why));
	if (ret) {
		if (own_nsid && !strncmp(why, "the PF's namespace", 18))
			config_error(c, line, "%s: %s", key, why);
		else
			provision_error(c, w, why);
		return ret;
	}
	nr_nvme_pfs++;
	return vf_pf_user ? vf_pf_user->provisioned(c, w->pf->sbdf, npf, ops, dom) : 0;
}

/* The NVMe VFs handed to partitions, their registers mapped for the check after each reset. */
static struct {
	u32 sbdf;
	struct io_region *regs;
} nvme_vfs[PART_MAX];
static u32 nr_nvme_vfs;

/*
 * After an FLR an NVMe VF's controller must be disabled with its admin
 * queue forgotten (NVMe Base 2.0, Controller Level Reset: only a reset by
 * CC.EN keeps AQA, ASQ and ACQ; an FLR resets them too), so its next owner
 * finds no queue of the last one. The I/O queues go with CC.EN = 0.
 */
static int nvme_vf_reset_check(const struct pci_dev *d, char *what, size_t len)
{
	const struct io_region *r = NULL;
	for (u32 i = 0; i < nr_nvme_vfs && !r; i++)
		if (nvme_vfs[i].sbdf == d->sbdf)
			r = nvme_vfs[i].regs;
	if (!r) {
		fmt_snprintf(what, len, "its registers are not mapped");
		return -HV_EIO;
	}
	u32 cc = io_read32(r, NVME_REG_CC), csts = io_read32(r, NVME_REG_CSTS), aqa = io_read32(r, NVME_REG_AQA);
	u64 asq = io_read64(r, NVME_REG_ASQ), acq = io_read64(r, NVME_REG_ACQ);
	bool clean = !(cc & NVME_CC_EN) && !(csts & NVME_CSTS_RDY) && !aqa && !asq && !acq;
	fmt_snprintf(what, len, "controller %s (CC 0x%x, CSTS 0x%x, AQA 0x%x, ASQ 0x%llx, ACQ 0x%llx)",
		     clean ? "disabled, no admin queue" : "kept state", cc, csts, aqa, (unsigned long long)asq,
		     (unsigned long long)acq);
	return clean ? 0 : -HV_EIO;
}

/* Maps NVMe VF vf's registers and gives it the check after reset. */
static int nvme_vf_hook(struct pci_dev *vf)
{
	const struct pci_bar *bar = &vf->bars[0];
	if (nr_nvme_vfs == ARRAY_SIZE(nvme_vfs) || !bar->size)
		return -HV_EINVAL;
	struct io_region *r = io_map(bar->addr, MIN(bar->size, (u64)NVME_REG_DBS), "nvme-vf");
	if (!r)
		return -HV_EIO;
	nvme_vfs[nr_nvme_vfs].sbdf = vf->sbdf;
	nvme_vfs[nr_nvme_vfs++].regs = r;
	vf->reset_check = nvme_vf_reset_check;
	return 0;
}

static int setup_pf(struct config *c, struct pf_work *w, const struct iommu_ops *ops)
{
	int ret;

	if (w->pf->class == NVME_CLASS_CODE) {
		ret = provision_nvme(c, w, ops);
	} else {
		ret = sriov_vf_enable(w->pf, w->max_vfn);
		if (ret)
			config_error(c, w->dev[0]->line, "device " BDF_FMT ": enabling %u VFs failed: %s",
				     BDF_ARGS(w->pf->sbdf), w->max_vfn, hv_strerror(ret));
	}
	if (ret)
		return ret;
	for (u32 i = 0; i < w->nr; i++) {
		struct part_device *d = w->dev[i];
		u32 sbdf = sriov_vf_sbdf(w->pf, d->vfn);
		if (d->named_rid && d->named_rid != sbdf) {
			/* SR-IOV lets First VF Offset and VF Stride change with NumVFs. */
			config_error(c, d->line, "device " BDF_FMT ": with %u VFs enabled, " BDF_FMT "/vf%u is " BDF_FMT ", not the routing ID the config names",
				     BDF_ARGS(d->named_rid), w->max_vfn, BDF_ARGS(w->pf->sbdf), d->vfn, BDF_ARGS(sbdf));
			return -HV_ENODEV;
		}
		struct pci_dev *vf = pci_find(sbdf);
		if (!vf || vf->pf != w->pf || vf->vf_index != d->vfn) {
			config_error(c, d->line, "device " BDF_FMT "/vf%u: not in the PCI tree after VF Enable",
				     BDF_ARGS(w->pf->sbdf), d->vfn);
			return -HV_ENODEV;
		}
		if (w->pf->class == NVME_CLASS_CODE && (ret = nvme_vf_hook(vf))) {
			config_error(c, d->line, "device " BDF_FMT "/vf%u: registers (BAR0) not mappable: %s",
				     BDF_ARGS(w->pf->sbdf), d->vfn, hv_strerror(ret));
			return ret;
		}
		d->sbdf = sbdf;
		log_info(BDF_FMT "/vf%u is " BDF_FMT, BDF_ARGS(w->pf->sbdf), d->vfn, BDF_ARGS(sbdf));
	}
	return 0;
}

int vf_setup(struct config *c, struct sluice_cfg *s, const struct iommu_ops *ops)
{
	static struct pf_work work[PART_MAX];
	u32 nr = 0;

	memset(work, 0, sizeof(work));
	for (u32 i = 0; i < s->nr; i++)
		for (u32 k = 0; k < s->d[i].nr_devices; k++) {
			struct part_device *d = &s->d[i].devices[k];
			if (!d->vfn)
				continue;
			struct pf_work *w = NULL;
			for (u32 j = 0; j < nr && !w; j++)
				if (work[j].pf->sbdf == d->pf_sbdf)
					w = &work[j];
			if (!w) {
				w = &work[nr++];
				w->pf = pci_find(d->pf_sbdf);
			}
			if (w->nr == ARRAY_SIZE(w->dev))
				return -HV_ENOMEM;
			w->plan[w->nr] = (struct nvme_vf_plan){ .vfn = d->vfn, .nsid = s->d[i].nsid };
			w->dev[w->nr++] = d;
			w->max_vfn = MAX(w->max_vfn, d->vfn);
		}
	for (u32 j = 0; j < nr; j++) {
		int ret = setup_pf(c, &work[j], ops);
		if (ret)
			return ret;
	}
	return 0;
}
