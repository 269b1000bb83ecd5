/*
 * nvme-io: a partition's own NVMe driver for the VF Sluice gave it, with
 * the portable queue code Sluice's PF driver uses (pci/nvme.c). Polling
 * only: admin queue, Identify, one I/O queue pair, then a partition-specific
 * pattern written to a range of LBAs and read back, with the loop marked so
 * Sluice counts the VM exits inside it (the data path's target is 0:
 * doorbells are in the VF's BAR, mapped straight in; completions are in
 * guest memory). LBAs never written must read as zeros (nothing of another
 * partition's). Last, a read whose PRP points outside the partition's
 * memory: VT-d must block the VF's DMA (QEMU's controller still reports
 * success), and the partition's data must be intact. Built as
 * nvme-io-bench, its run is 8 rounds, each next to a round of Sluice's
 * own driver on the PF, the PF's first every other round (make bench).
 */
#include "tests/guests/lib/guest.h"
#include "pci/nvme.h"
#include "tests/guests/lib/irq.h"

#if defined(NVME_IO_PARK)
const char guest_name[] = "nvme-io-park";
#elif defined(NVME_IO_MSIX)
const char guest_name[] = "nvme-msix";
#elif defined(NVME_IO_BENCH)
const char guest_name[] = "nvme-io-bench";
#else
const char guest_name[] = "nvme-io";
#endif

#define NVME_VENDOR     0x1b36          /* QEMU's NVMe controller (and its VFs' VF Device ID) */
#define NVME_DEVICE     0x0010
#define PCI_COMMAND     0x04
#define  PCI_CMD_MEM    0x2
#define  PCI_CMD_MASTER 0x4
#define PCI_BAR0        0x10
#define QDEPTH          16
#define IO_BLOCKS       8               /* 4 KiB per I/O with 512-byte blocks */
#ifdef NVME_IO_BENCH
#define NR_IOS          2048            /* make bench: writes, then as many reads, over all rounds */
#define ROUNDS          8               /* each followed by a round of Sluice's driver on the PF */
#define FAR_LBA         20480           /* past the 2048 pages written */
#define SCRATCH_LBA     24576
#else
#define NR_IOS          32              /* writes, then as many reads */
#define ROUNDS          1
#define FAR_LBA         4096            /* never written */
#define SCRATCH_LBA     8192            /* target of the write whose buffer is not mine */
#endif

static volatile uint8_t *bar0;

static u32 rd32(void *ctx, u32 off) { (void)ctx; return *(volatile uint32_t *)(bar0 + off); }
static u64 rd64(void *ctx, u32 off) { (void)ctx; return *(volatile uint64_t *)(bar0 + off); }
static void wr32(void *ctx, u32 off, u32 v) { (void)ctx; *(volatile uint32_t *)(bar0 + off) = v; }
static void wr64(void *ctx, u32 off, u64 v) { (void)ctx; *(volatile uint64_t *)(bar0 + off) = v; }

/* Microseconds, roughly: the TSC at about 1 GHz or more, so waits are no shorter than asked. */
static u64 now_us(void *ctx)
{
	(void)ctx;
	return rdtsc() / 1000;
}

static const struct nvme_io io = { .rd32 = rd32, .rd64 = rd64, .wr32 = wr32, .wr64 = wr64, .now_us = now_us };
static struct nvme_ctrl ctrl;
static struct nvme_queue ioq;
static uint32_t seed;

static uint8_t *page_at(uint64_t base, uint32_t i)
{
	return (uint8_t *)(uintptr_t)(base + (uint64_t)i * GUEST_PAGE);
}

/* The pattern of I/O number i: from the partition's name, so partitions differ. */
/* Page i's pattern; ctx is the number of the run's first page (the run's i counts from it). */
static void fill(void *ctx, uint8_t *buf, uint32_t i)
{
	i += (uint32_t)(uintptr_t)ctx;
	uint32_t h = seed ^ (i * 0x9e3779b9u);
	for (uint32_t k = 0; k < GUEST_PAGE; k += 4) {
		h = h * 1103515245u + 12345u;
		memcpy(buf + k, &h, 4);
	}
}

static uint16_t rw(bool write, uint32_t nsid, uint64_t lba, uint64_t buf)
{
	struct nvme_sqe s;
	nvme_cmd_rw(&s, write, nsid, lba, IO_BLOCKS, buf, 0);
	struct nvme_result r = nvme_exec(&ctrl, &ioq, &s);
	return r.err ? 0xffff : r.status;
}

static bool find_vf(uint32_t *bdf)
{
	if (pci_find(NVME_VENDOR, NVME_DEVICE, bdf)) {
		verdict(false, "no NVMe function (1b36:0010) in my config space");
		return false;
	}
	uint32_t bar = pci_read(*bdf, PCI_BAR0, 4);
	uint64_t base = bar & ~0xfULL;
	if ((bar & 0x6) == 0x4)
		base |= (uint64_t)pci_read(*bdf, PCI_BAR0 + 4, 4) << 32;
	gprintf("nvme-io: NVMe function " BDF_FMT ", BAR0 0x%016llx\n", BDF_ARGS(*bdf),
		(unsigned long long)base);
	if ((bar & 1) || !base) {
		verdict(false, "BAR0 0x%08x is not an assigned memory BAR", bar);
		return false;
	}
	pci_write(*bdf, PCI_COMMAND, 2, pci_read(*bdf, PCI_COMMAND, 2) | PCI_CMD_MEM | PCI_CMD_MASTER);
	bar0 = (volatile uint8_t *)(uintptr_t)base;
	return true;
}

#ifdef NVME_IO_MSIX
/*
 * nvme-msix: before the controller is enabled, my VF's MSI-X entry 0 gets
 * a fixed message on MSIX_VECTOR to my own APIC ID and MSI-X is enabled
 * (PCIe Base §7.7.2); the admin completion queue always interrupts on
 * vector 0 (NVMe Base 2.0 §3.1.3: its interrupts are always enabled), so
 * every admin command's completion is one interrupt, taken through an IDT
 * gate with my x2APIC on (SDM Vol. 3A 11.12).
 */
#define MSIX_VECTOR             0x42
#define PCI_STATUS              0x06
#define PCI_CAP_PTR             0x34
#define PCI_CAP_ID_MSIX         0x11
static volatile uint32_t irqs;

static void msix_irq(void)
{
	irqs++;
	guest_x2apic_eoi();
}

static bool msix_setup(uint32_t bdf, uint32_t cpu)
{
	uint32_t cap = 0;
	if (pci_read(bdf, PCI_STATUS, 2) & 0x10)
		for (uint32_t p = pci_read(bdf, PCI_CAP_PTR, 1) & 0xfc, n = 0; p && n < 48 && !cap; n++) {
			uint32_t hdr = pci_read(bdf, p, 2);
			cap = (hdr & 0xff) == PCI_CAP_ID_MSIX ? p : 0;
			p = (hdr >> 8) & 0xfc;
		}
	if (!verdict(cap != 0, "my VF shows an MSI-X capability"))
		return false;
	uint32_t ctrl = pci_read(bdf, cap + 2, 2), tbl = pci_read(bdf, cap + 4, 4);
	if (!verdict((tbl & 7) == 0, "MSI-X table of %u entries in BAR%u at offset 0x%x", (ctrl & 0x7ff) + 1, tbl & 7,
		     tbl & ~7u))
		return false;
	guest_irq_handler(MSIX_VECTOR, msix_irq);
	guest_x2apic_on();
	volatile uint32_t *e = (volatile uint32_t *)(bar0 + (tbl & ~7u));
	e[0] = 0xfee00000u | cpu << 12;
	e[1] = 0;
	e[2] = MSIX_VECTOR;
	pci_write(bdf, cap + 2, 2, 0x8000);     /* MSI-X Enable */
	e[3] = 0;                               /* entry 0 unmasked */
	uint32_t back = e[2], mask = e[3], en = pci_read(bdf, cap + 2, 2) >> 15;
	__asm__ volatile("sti" ::: "memory");
	return verdict(back == MSIX_VECTOR && mask == 0 && en, "MSI-X entry 0: vector 0x%02x to APIC ID %u, unmasked, enabled (reads back 0x%x, mask %u, enable %u)",
		       MSIX_VECTOR, cpu, back, mask, en);
}
#endif

/* make bench: Sluice's driver does ios I/Os on the PF of my VF (SLUICE_HC_PF_BENCH). */
static bool pf_round(uint32_t k, uint32_t ios)
{
	long r = sluice_hypercall(SLUICE_HC_PF_BENCH, ios, 0, 0);
	return verdict(r == 0, "round %u: Sluice's PF round done (%ld)", k + 1, r);
}

int guest_main(const struct sluice_start_info *si)
{
	uint32_t bdf;
	struct nvme_queue aq;
	struct nvme_sqe s;
	uint64_t mem = (si->free_gpa + GUEST_PAGE - 1) & ~(GUEST_PAGE - 1);

	for (const char *p = si->name; *p; p++)
		seed = (seed ^ (uint8_t)*p) * 16777619u;
	if (!find_vf(&bdf))
		return 1;
#ifdef NVME_IO_MSIX
	if (!msix_setup(bdf, si->cpus[0]))
		return 1;
#endif
	/* Pages: admin SQ, CQ; I/O SQ, CQ; identify; write buffer; read buffer. */
	memset(page_at(mem, 0), 0, 7 * GUEST_PAGE);
	nvme_queue_init(&aq, 0, QDEPTH, page_at(mem, 0), mem, page_at(mem, 1), mem + GUEST_PAGE);
	int ret = nvme_enable(&ctrl, &io, &aq, 2000000);
	if (!verdict(ret == 0, "my VF's controller is ready (%d)", ret))
		return 1;
	uint8_t *id = page_at(mem, 4);
	uint64_t id_bus = mem + 4 * GUEST_PAGE;
	nvme_cmd_identify(&s, NVME_CNS_CTRL, 0, 0, id_bus);
	struct nvme_result r = nvme_exec(&ctrl, &ctrl.admin, &s);
	uint16_t cntlid = 0;
	memcpy(&cntlid, id + NVME_ID_CTRL_CNTLID, 2);
	if (!verdict(!r.err && !r.status, "Identify Controller: controller %u (status 0x%x)", cntlid, r.status))
		return 1;
	nvme_cmd_identify(&s, NVME_CNS_ACTIVE_NS_LIST, 0, 0, id_bus);
	r = nvme_exec(&ctrl, &ctrl.admin, &s);
	uint32_t nsid = 0, second = 0;
	memcpy(&nsid, id, 4);
	memcpy(&second, id + 4, 4);
	if (!verdict(!r.err && !r.status && nsid && !second, "exactly one namespace is attached to me: %u", nsid))
		return 1;
#ifdef NVME_IO_MSIX
	/* Two admin commands so far, each completion one interrupt on vector 0. */
	for (uint64_t t0 = now_us(NULL); irqs < 2 && now_us(NULL) - t0 < 1000000;)
		;
	verdict(irqs == 2, "took %u MSI-X interrupt(s) on vector 0x%02x for 2 admin command completions", irqs,
		MSIX_VECTOR);
#endif
	nvme_cmd_identify(&s, NVME_CNS_NS, nsid, 0, id_bus);
	r = nvme_exec(&ctrl, &ctrl.admin, &s);
	uint64_t nsze = 0;
	memcpy(&nsze, id + NVME_ID_NS_NSZE, 8);
	uint32_t lba = 1u << id[NVME_ID_NS_LBAF0 + 4 * (id[NVME_ID_NS_FLBAS] & 0xf) + 2];
	if (!verdict(!r.err && lba == 512 && nsze > FAR_LBA + IO_BLOCKS, "namespace %u: %llu blocks of %u bytes", nsid,
		     (unsigned long long)nsze, lba))
		return 1;
	nvme_queue_init(&ioq, 1, QDEPTH, page_at(mem, 2), mem + 2 * GUEST_PAGE, page_at(mem, 3), mem + 3 * GUEST_PAGE);
#ifdef NVME_IO_MSIX
	ioq.irq_vector = 1;     /* the I/O CQ interrupts too, on MSI-X entry 0; completions are still polled */
	uint32_t irqs_before_io = irqs;
#endif
	ret = nvme_create_io_queues(&ctrl, &ioq, &r);
	if (!verdict(ret == 0, "I/O queue pair 1 created (%d, status 0x%x)", ret, r.status))
		return 1;

	/* The data path: no console output, no config access, nothing that exits. */
	uint8_t *wbuf = page_at(mem, 5), *rbuf = page_at(mem, 6);
	uint64_t wbus = mem + 5 * GUEST_PAGE, rbus = mem + 6 * GUEST_PAGE;
	struct nvme_rw_run run = { .nsid = nsid, .n = NR_IOS / ROUNDS, .blocks = IO_BLOCKS, .wbuf = wbuf,
				   .rbuf = rbuf, .wbus = wbus, .rbus = rbus, .fill = fill };
	long exits = 0;
	uint32_t failed = 0, bad = 0;
	for (uint32_t k = 0; k < ROUNDS; k++) {
		run.first_lba = (uint64_t)k * run.n * IO_BLOCKS;
		run.ctx = (void *)(uintptr_t)(k * run.n);
		run.failed = run.bad = 0;
		/* make bench: as many on the PF by Sluice's driver, next to mine, PF first every other round. */
		if (ROUNDS > 1 && k % 2 && !pf_round(k, 2 * run.n))
			return 1;
		sluice_hypercall(SLUICE_HC_IO_LOOP, 0, 0, 0);
		nvme_rw_pages(&ctrl, &ioq, &run);
		exits += sluice_hypercall(SLUICE_HC_IO_LOOP, 1, 2 * run.n, 0);
		failed += run.failed;
		bad += run.bad;
		if (ROUNDS > 1 && !(k % 2) && !pf_round(k, 2 * run.n))
			return 1;
	}
	verdict(!failed && !bad, "%u writes and %u reads of 4 KiB on namespace %u: %u failed, %u read back wrong",
		NR_IOS, NR_IOS, nsid, failed, bad);
#ifdef NVME_IO_MSIX
	/* Each I/O's completion interrupts: what that costs in exits is the figure. */
	verdict(irqs - irqs_before_io >= 2 * NR_IOS, "interrupt per I/O: %u interrupt(s) for %u I/Os and 2 admin commands; %ld VM exits on the data path",
		irqs - irqs_before_io, 2 * NR_IOS, exits);
#else
	verdict(exits == 0, "no VM exits on the data path (%ld in %u I/Os)", exits, 2 * NR_IOS);
#endif

	/* Blocks never written read as zeros: nothing of anyone else's. */
	memset(rbuf, 0xee, GUEST_PAGE);
	uint16_t st = rw(false, nsid, FAR_LBA, rbus);
	uint32_t nonzero = 0;
	for (uint32_t k = 0; k < GUEST_PAGE; k++)
		nonzero += rbuf[k] != 0;
	verdict(st == 0 && nonzero == 0, "LBAs %u-%u, never written, read as zeros (status 0x%x, %u bytes not zero)",
		FAR_LBA, FAR_LBA + IO_BLOCKS - 1, st, nonzero);

	/*
	 * Isolation: commands whose data buffer is a GPA that is not mine. VT-d
	 * must block the VF's DMA (Sluice counts the fault against me), and my
	 * data, on the namespace and in memory, must stay as it was.
	 */
	uint64_t free_gpa = mem + 7 * GUEST_PAGE;
	uint64_t out = guest_map_outside(&free_gpa);
	long faults = sluice_hypercall(SLUICE_HC_DMA_FAULTS, 0, 0, 0), now = faults;
	uint16_t wst = 0, rst = 0;
	gprintf("nvme-io: write and read with the data buffer at 0x%016llx, outside all my memory\n",
		(unsigned long long)out);
	/*
	 * QEMU's unit has one fault recording register: a fault that comes
	 * while another partition's is still recorded is lost (Sluice logs
	 * "fault log overflow"). So the probe is retried, a little later on
	 * each try and per CPU, until VT-d has counted one against me.
	 */
	for (uint32_t try = 0; try < 10 && now == faults; try++) {
		for (uint64_t t0 = now_us(NULL); now_us(NULL) - t0 < (uint64_t)try * 50000 * (si->cpu + 1);)
			;
		/* The write goes to a scratch LBA: whatever the device makes of the blocked buffer lands only there. */
		wst = rw(true, nsid, SCRATCH_LBA, out);
		rst = rw(false, nsid, 8, out);
		for (uint64_t t0 = now_us(NULL); now == faults && now_us(NULL) - t0 < 200000;)
			now = sluice_hypercall(SLUICE_HC_DMA_FAULTS, 0, 0, 0);
	}
	gprintf("nvme-io: write status 0x%x (%s), read status 0x%x (%s)\n", wst,
		wst == 0xffff ? "no completion" : nvme_status_name(wst), rst,
		rst == 0xffff ? "no completion" : nvme_status_name(rst));
	verdict(now > faults, "VT-d blocked my VF's DMA outside my memory (%ld fault(s) counted against me)",
		now - faults);
	uint32_t changed = 0;
	for (uint32_t i = 0; i < NR_IOS; i++) {
		memset(rbuf, 0, GUEST_PAGE);
		changed += rw(false, nsid, (uint64_t)i * IO_BLOCKS, rbus) != 0;
		fill(NULL, wbuf, i);
		changed += memcmp(wbuf, rbuf, GUEST_PAGE) != 0;
	}
	verdict(changed == 0, "my data is intact afterwards (%u of %u blocks of 4 KiB differ)", changed, NR_IOS);
#ifdef NVME_IO_PARK
	/*
	 * Misbehave with the controller enabled and its queues live: Sluice
	 * must park me, stop my VF's DMA and reset it so nothing of mine stays.
	 */
	gprintf("nvme-io: my VF is enabled with live queues; now reading 0x%016llx, which is not mine\n",
		(unsigned long long)out);
	(void)*(volatile uint64_t *)(uintptr_t)out;
	verdict(false, "I was not parked after reading memory that is not mine");
	return 1;
#endif
	return 0;
}
