/*
 * edu-dma: the worked example of docs/architecture.md from inside a
 * partition. Finds its QEMU edu device (1234:11e8, QEMU docs/specs/edu.rst)
 * in the virtual config space, turns on memory space and bus mastering, and
 * has the edu DMA engine copy a 0x80-byte pattern (derived from the partition's name)
 * from its RAM into the device buffer and back out to GPA 0x1000_0000.
 * Sluice compares the host memory behind it (DMA_VERIFY). Then it points
 * the engine at a GPA outside all its memory: the IOMMU must block that
 * write, so its own memory stays as it was.
 */
#include "tests/guests/lib/guest.h"

const char guest_name[] = "edu-dma";

#define EDU_VENDOR      0x1234
#define EDU_DEVICE      0x11e8
/* BAR0 registers (edu.rst); 64-bit accesses from 0x80 on. */
#define EDU_IDENT       0x00
#define EDU_DMA_SRC     0x80
#define EDU_DMA_DST     0x88
#define EDU_DMA_COUNT   0x90
#define EDU_DMA_CMD     0x98
#define  EDU_CMD_RUN    0x1     /* start; the device clears it when done */
#define  EDU_CMD_TO_BUS 0x2     /* 1: device buffer -> bus address */
#define EDU_BUF         0x40000 /* the device's buffer, in its own addresses */
#define DMA_LEN         0x80
#define DMA_TARGET      0x10000000ULL   /* the worked example's bus address */
#define DMA_POLL_MAX    50000000u
/* PCI Local Bus spec 3.0, 6.2.2: Command register bits. */
#define PCI_COMMAND     0x04
#define  PCI_CMD_MEM    0x2
#define  PCI_CMD_MASTER 0x4
#define PCI_BAR0        0x10
#define SZ_2M           (2 * MiB)

static uint8_t staged[DMA_LEN] __attribute__((aligned(64)));
static volatile uint8_t *bar0;

static uint64_t rd64(uint32_t off) { return *(volatile uint64_t *)(bar0 + off); }
static void wr64(uint32_t off, uint64_t v) { *(volatile uint64_t *)(bar0 + off) = v; }

/*
 * DMA path step 1: the driver writes one descriptor into edu's BAR0
 * (source, destination, count, then the command that starts it) and edu
 * makes the memory requests itself, each carrying its routing ID. One DMA
 * of DMA_LEN bytes; false if the engine never finished.
 */
static bool edu_dma(uint64_t src, uint64_t dst, uint64_t cmd)
{
	wr64(EDU_DMA_SRC, src);
	wr64(EDU_DMA_DST, dst);
	wr64(EDU_DMA_COUNT, DMA_LEN);
	wr64(EDU_DMA_CMD, cmd | EDU_CMD_RUN);
	for (uint32_t i = 0; i < DMA_POLL_MAX; i++)
		if (!(rd64(EDU_DMA_CMD) & EDU_CMD_RUN))
			return true;
	return false;
}

/* FNV-1a of the partition's name seeds the pattern, so p1's bytes differ from p2's. */
static void make_pattern(const char *name)
{
	uint32_t h = 2166136261u;
	for (const char *s = name; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	for (uint32_t i = 0; i < DMA_LEN; i++) {
		h = h * 1103515245u + 12345u;
		staged[i] = (uint8_t)(h >> 16);
	}
}

static uint64_t region_top(const struct sluice_start_info *si)
{
	uint64_t top = 0;
	for (uint32_t i = 0; i < si->nr_mem && i < SLUICE_START_MAX_MEM; i++)
		if (si->mem[i].gpa + si->mem[i].size > top)
			top = si->mem[i].gpa + si->mem[i].size;
	return top;
}

/* The blocked write: nothing of the partition's memory may change, not even where a truncated address would land. */
static void dma_outside(const struct sluice_start_info *si)
{
	uint64_t out = (region_top(si) + SZ_2M - 1) & ~(SZ_2M - 1);
	while (guest_owns(out, DMA_LEN))
		out += SZ_2M;
	uint8_t before[SLUICE_START_MAX_MEM + 1][DMA_LEN];
	uint8_t *watch[SLUICE_START_MAX_MEM + 1];
	uint32_t n = 0;
	watch[n++] = (uint8_t *)(uintptr_t)DMA_TARGET;
	for (uint32_t i = 0; i < si->nr_mem && i < SLUICE_START_MAX_MEM; i++) {
		const struct sluice_start_mem *m = &si->mem[i];
		if (m->size >= DMA_LEN && (m->access & SLUICE_MEM_WRITE))
			watch[n++] = (uint8_t *)(uintptr_t)(m->gpa + (out - m->gpa) % (m->size - DMA_LEN + 1));
	}
	for (uint32_t i = 0; i < n; i++)
		memcpy(before[i], watch[i], DMA_LEN);
	gprintf("edu-dma: DMA write to 0x%016llx, outside all my memory: the IOMMU must block it\n",
		(unsigned long long)out);
	bool done = edu_dma(EDU_BUF, out, EDU_CMD_TO_BUS);
	uint32_t changed = 0;
	for (uint32_t i = 0; i < n; i++)
		changed += memcmp(before[i], watch[i], DMA_LEN) != 0;
	verdict(done && changed == 0, "DMA to 0x%016llx outside my memory changed none of mine (%u of %u places changed%s)",
		(unsigned long long)out, changed, n, done ? "" : ", engine never finished");
}

int guest_main(const struct sluice_start_info *si)
{
	uint32_t bdf;

	make_pattern(si->name);
	gprintf("edu-dma: partition %s on CPU %u, pattern starts %02x %02x %02x %02x\n", si->name, si->cpu,
		staged[0], staged[1], staged[2], staged[3]);
	if (pci_find(EDU_VENDOR, EDU_DEVICE, &bdf)) {
		verdict(false, "no edu device (1234:11e8) in my config space");
		return 1;
	}
	uint32_t bar = pci_read(bdf, PCI_BAR0, 4);
	uint64_t base = bar & ~0xfULL;
	if ((bar & 0x6) == 0x4)         /* 64-bit memory BAR: the upper half follows */
		base |= (uint64_t)pci_read(bdf, PCI_BAR0 + 4, 4) << 32;
	gprintf("edu-dma: edu at " BDF_FMT ", BAR0 0x%016llx\n", BDF_ARGS(bdf),
		(unsigned long long)base);
	if ((bar & 1) || !base) {
		verdict(false, "edu BAR0 0x%08x is not an assigned memory BAR", bar);
		return 1;
	}
	pci_write(bdf, PCI_COMMAND, 2, pci_read(bdf, PCI_COMMAND, 2) | PCI_CMD_MEM | PCI_CMD_MASTER);
	bar0 = (volatile uint8_t *)(uintptr_t)base;
	uint32_t ident = *(volatile uint32_t *)(bar0 + EDU_IDENT);
	if (!verdict((ident & 0xff) == 0xed, "edu identification 0x%08x", ident))
		return 1;
	if (!guest_owns(DMA_TARGET, DMA_LEN)) {
		verdict(false, "GPA 0x%llx is not my memory: the worked example needs it", DMA_TARGET);
		return 1;
	}

	volatile uint8_t *dst = (volatile uint8_t *)(uintptr_t)DMA_TARGET;
	for (uint32_t i = 0; i < DMA_LEN; i++)
		dst[i] = 0;
	bool ok = edu_dma((uint64_t)(uintptr_t)staged, EDU_BUF, 0) && edu_dma(EDU_BUF, DMA_TARGET, EDU_CMD_TO_BUS);
	uint32_t bad = 0;
	for (uint32_t i = 0; i < DMA_LEN; i++)
		bad += dst[i] != staged[i];
	verdict(ok && bad == 0, "edu DMA copied 0x%x bytes to GPA 0x%llx (%u bytes differ%s)", DMA_LEN,
		DMA_TARGET, bad, ok ? "" : ", engine never finished");
	long same = hc_dma_verify(DMA_TARGET, (uint64_t)(uintptr_t)staged, DMA_LEN);
	verdict(same == 0, "Sluice finds the pattern in the host memory behind GPA 0x%llx (verify %ld)",
		DMA_TARGET, same);
	dma_outside(si);
	return 0;
}
