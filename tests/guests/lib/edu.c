/* The guests' edu driver (lib/edu.h). */
#include "tests/guests/lib/edu.h"

/* PCI Local Bus spec 3.0, 6.2.2 (Command) and 6.2.5 (BARs). */
#define PCI_COMMAND     0x04
#define  PCI_CMD_MEM    0x2
#define  PCI_CMD_MASTER 0x4
#define PCI_BAR0        0x10
#define SZ_2M           (2 * MiB)

int guest_edu_open(uint32_t *bdf, volatile uint8_t **bar0)
{
	if (pci_find(EDU_VENDOR_ID, EDU_DEVICE_ID, bdf)) {
		verdict(false, "no edu device (1234:11e8) in my config space");
		return -1;
	}
	uint32_t bar = pci_read(*bdf, PCI_BAR0, 4);
	uint64_t base = bar & ~0xfULL;
	if ((bar & 0x6) == 0x4)         /* 64-bit memory BAR: the upper half follows */
		base |= (uint64_t)pci_read(*bdf, PCI_BAR0 + 4, 4) << 32;
	if ((bar & 1) || !base) {
		verdict(false, "edu BAR0 0x%08x is not an assigned memory BAR", bar);
		return -1;
	}
	pci_write(*bdf, PCI_COMMAND, 2, pci_read(*bdf, PCI_COMMAND, 2) | PCI_CMD_MEM | PCI_CMD_MASTER);
	*bar0 = (volatile uint8_t *)(uintptr_t)base;
	return 0;
}

bool guest_edu_run(volatile uint8_t *bar0, uint64_t src, uint64_t dst, uint64_t len, uint64_t cmd)
{
	volatile uint64_t *r = (volatile uint64_t *)bar0;
	r[EDU_DMA_SRC / 8] = src;
	r[EDU_DMA_DST / 8] = dst;
	r[EDU_DMA_COUNT / 8] = len;
	r[EDU_DMA_CMD / 8] = cmd | EDU_DMA_CMD_RUN;
	for (uint32_t i = 0; i < EDU_POLL_MAX; i++)
		if (!(r[EDU_DMA_CMD / 8] & EDU_DMA_CMD_RUN))
			return true;
	return false;
}

uint64_t guest_edu_outside(const struct sluice_start_info *si)
{
	uint64_t top = 0;
	for (uint32_t i = 0; i < si->nr_mem && i < SLUICE_START_MAX_MEM; i++)
		if (si->mem[i].gpa + si->mem[i].size > top)
			top = si->mem[i].gpa + si->mem[i].size;
	uint64_t out = (top + SZ_2M - 1) & ~(SZ_2M - 1);
	while (guest_owns(out, EDU_BUF_SIZE))
		out += SZ_2M;
	return out;
}
