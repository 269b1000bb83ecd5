/*
 * [sluice] pf-bench: Sluice's own driver on the PF's namespace, with the
 * run the guests do (nvme_rw_pages), one command in flight. Its I/O queue
 * pair and data pages are mapped in the PF's own DMA domain like the admin
 * queue. One run of ios I/Os on the boot CPU before any partition starts
 * (a check that the driver works); then more rounds when a guest asks
 * (SLUICE_HC_PF_BENCH), so make bench can interleave PF and VF rounds and
 * the host's ups and downs hit both alike.
 */
#define LOG_SUBSYS "bench"
#include "vm/bench/pf_bench.h"
#include "pci/pci.h"
#include "pci/nvme_pf.h"
#include "kernel/check.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
#include "kernel/hw/time.h"

/* pf-bench as parsed (line 0: not given) and, after the check, as set (ios 0: refused or none). */
static struct {
	u32 line, pf_sbdf, nsid, ios;
} parsed, set;

static struct {
	struct nvme_pf *npf;            /* NULL until the first round ran: rounds refused */
	struct nvme_queue q;
	struct nvme_rw_run run;         /* the next round's pages, buffers and fill */
	u32 pages, rounds;              /* the namespace's size in 4 KiB pages; rounds so far */
	struct spinlock lock;           /* one round at a time, whichever CPU asks */
} bench;

/* pf-bench = [SSSS:]BB:DD.F namespace=N ios=N: the words in that order. */
static bool parse(struct config *c, const struct config_entry *e)
{
	const char *p = e->value, *w[4];
	size_t n[4];
	u64 nsid = 0, ios = 0;

	if (strcmp(e->key, "pf-bench"))
		return false;
	if (!config_once(c, e, &parsed.line))
		return true;
	for (u32 i = 0; i < 4; i++)
		w[i] = config_word(&p, &n[i]);
	/* Each literal has no blank, so a match is within its word. */
	if (n[3] || !pci_sbdf_parse(w[0], n[0], &parsed.pf_sbdf) || strncmp(w[1], "namespace=", 10) ||
	    str_to_dec(w[1] + 10, n[1] - 10, &nsid) || !nsid || nsid > 0xffffffffULL || strncmp(w[2], "ios=", 4) ||
	    str_to_dec(w[2] + 4, n[2] - 4, &ios) || ios > 0xffffffffULL)
		config_error(c, e->line, "pf-bench = %s: use PF namespace=N ios=N (e.g. 01:00.0 namespace=3 ios=1024)",
			     e->value);
	else if (ios < 2 || ios > 65536 || ios % 2)
		config_error(c, e->line, "pf-bench: ios=%u: an even number from 2 to 65536 (half writes, half reads)",
			     (u32)ios);
	else
		parsed.ios = (u32)ios;
	parsed.nsid = (u32)nsid;
	return true;
}

/* The PF must be one whose VFs a partition drives (the comparison is PF against VF), N no partition's. */
static void check_partitions(struct config *c, const struct sluice_cfg *s)
{
	set = parsed;
	memset(&parsed, 0, sizeof(parsed));
	if (!set.line || !set.ios)
		return;
	bool vf = false;
	for (u32 i = 0; i < s->nr; i++) {
		for (u32 k = 0; k < s->d[i].nr_devices; k++)
			vf |= s->d[i].devices[k].vfn && s->d[i].devices[k].pf_sbdf == set.pf_sbdf;
		if (s->d[i].nsid == set.nsid) {
			config_error(c, set.line, "pf-bench: namespace %u is partition %s's (line %u)", set.nsid,
				     s->d[i].name, s->d[i].nsid_line);
			return;
		}
	}
	if (!vf)
		config_error(c, set.line, "pf-bench: " BDF_FMT " is not the PF of any partition's VF (device = PF/vfN)",
			     BDF_ARGS(set.pf_sbdf));
}

const struct sluice_keys pf_bench_keys = { .names = "pf-bench", .parse = parse, .check = check_partitions };

/* Page i of the PF's run, the same pattern function for writing and checking. */
static void fill(void *ctx, u8 *buf, u32 i)
{
	u32 h = 0x5eed0000u ^ (u32)(uintptr_t)ctx ^ (i * 0x9e3779b9u);
	for (u32 k = 0; k < NVME_PAGE_SIZE; k += 4) {
		h = h * 1103515245u + 12345u;
		memcpy(buf + k, &h, 4);
	}
}

/* Runs n writes and n reads of 4 KiB on the namespace, from page first_page; logs one line. */
static void run_round(const char *what, u32 n, u64 first_page)
{
	bench.run.n = n;
	bench.run.first_lba = first_page * bench.run.blocks;
	bench.run.failed = bench.run.bad = 0;
	u64 t0 = time_now_ns();
	nvme_rw_pages(&bench.npf->ctrl, &bench.q, &bench.run);
	u64 ns = time_now_ns() - t0;
	log_info("PF " BDF_FMT " (Sluice's driver)%s, namespace %u: %u I/Os, %llu us, %llu I/Os per second",
		 BDF_ARGS(set.pf_sbdf), what, bench.run.nsid, 2 * n, (unsigned long long)(ns / 1000),
		 (unsigned long long)(ns ? 2ULL * n * 1000000000ULL / ns : 0));
	check(!bench.run.failed && !bench.run.bad, "PF " BDF_FMT ": %u writes and %u reads of 4 KiB on namespace %u by Sluice's driver: %u failed, %u read back wrong",
	      BDF_ARGS(set.pf_sbdf), n, n, bench.run.nsid, bench.run.failed, bench.run.bad);
}

s64 pf_bench_hypercall(struct partition *p, u64 ios, u64 a1 __unused, u64 a2 __unused)
{
	bool mine = false;

	for (u32 i = 0; i < p->cfg->nr_devices; i++)
		mine |= p->cfg->devices[i].vfn && p->cfg->devices[i].pf_sbdf == set.pf_sbdf;
	if (!bench.npf || !mine || ios < 2 || ios % 2 || ios > 0xffffffffULL || ios / 2 > bench.pages)
		return -SLUICE_HC_EINVAL;
	char what[24];
	spin_lock(&bench.lock);
	fmt_snprintf(what, sizeof(what), ", round %u", ++bench.rounds);
	/* Rounds walk the namespace, so each writes pages the last did not. */
	u64 first = ((u64)bench.rounds * (ios / 2)) % (bench.pages - ios / 2 + 1);
	run_round(what, (u32)ios / 2, first);
	s64 ret = bench.run.failed || bench.run.bad ? -SLUICE_HC_EIO : 0;
	spin_unlock(&bench.lock);
	return ret;
}

static u32 own_ns(u32 pf_sbdf, const char **key, u32 *line)
{
	*key = "pf-bench";
	*line = set.line;
	return set.ios && pf_sbdf == set.pf_sbdf ? set.nsid : 0;
}

static int provisioned(struct config *c, u32 pf_sbdf, struct nvme_pf *npf, const struct iommu_ops *ops,
		       struct iommu_domain *dom)
{
	enum { SQ, CQ, WBUF, RBUF, NR_PAGES };
	struct nvme_result r;
	u64 pa;

	if (!set.ios || pf_sbdf != set.pf_sbdf)
		return 0;
	u32 n = set.ios / 2, blocks = NVME_PAGE_SIZE / npf->own_lba_size;
	if (!blocks || (u64)n * blocks > npf->own_blocks) {
		config_error(c, set.line, "pf-bench: %u pages of 4 KiB do not fit namespace %u (%llu blocks of %u bytes)",
			     n, set.nsid, (unsigned long long)npf->own_blocks, npf->own_lba_size);
		return -HV_EINVAL;
	}
	if (!page_alloc_zeroed(NR_PAGES, &pa))
		return -HV_ENOMEM;
	int ret = dom ? ops->map(dom, pa, pa, NR_PAGES * PAGE_SIZE, IOMMU_READ | IOMMU_WRITE) : 0;
	u8 *v = ret ? NULL : phys_to_virt(pa, NR_PAGES * PAGE_SIZE);
	if (!v) {
		config_error(c, set.line, "pf-bench: no DMA pages for the PF's I/O queue (%s)",
			     hv_strerror(ret ? ret : -HV_EIO));
		return ret ? ret : -HV_EIO;
	}
	log_info("PF " BDF_FMT ": %u more pages at 0x%016llx in its own domain, for its I/O queue pair and data",
		 BDF_ARGS(pf_sbdf), (u32)NR_PAGES, (unsigned long long)pa);
	nvme_queue_init(&bench.q, 1, 16, v + SQ * PAGE_SIZE, pa + SQ * PAGE_SIZE, v + CQ * PAGE_SIZE, pa + CQ * PAGE_SIZE);
	ret = nvme_create_io_queues(&npf->ctrl, &bench.q, &r);
	if (ret) {
		config_error(c, set.line, "pf-bench: I/O queue pair on the PF not created (%s, status 0x%x)",
			     hv_strerror(ret), r.status);
		return ret;
	}
	bench.run = (struct nvme_rw_run){ .nsid = set.nsid, .blocks = (u16)blocks,
					  .wbuf = v + WBUF * PAGE_SIZE, .rbuf = v + RBUF * PAGE_SIZE,
					  .wbus = pa + WBUF * PAGE_SIZE, .rbus = pa + RBUF * PAGE_SIZE,
					  .fill = fill, .ctx = (void *)(uintptr_t)pf_sbdf };
	bench.npf = npf;
	bench.pages = (u32)MIN(npf->own_blocks / blocks, 0xffffffffULL);
	run_round("", n, 0);
	return 0;
}

const struct vf_pf_user pf_bench_user = { .own_ns = own_ns, .provisioned = provisioned };
