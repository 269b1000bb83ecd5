/*
 * pcidev: the functions a partition owns, seen from inside (PCI Local Bus
 * 3.0 §6.1 and §6.2.5.1 "Address Maps"). For each function of the start
 * info: its ID through the virtual ECAM window and through ports
 * 0xCF8/0xCFC (both must answer the same), memory and I/O decoding on,
 * then per BAR the sizing handshake (all-ones, read, restore) and one
 * 32-bit read at the BAR's base, which must reach the device (memory BARs
 * are mapped at the same GPA, I/O BARs passed through) and not come back
 * all-ones. Knows no device; drives none.
 */
#include "tests/guests/lib/guest.h"

const char guest_name[] = "pcidev";

#define PCI_ID                  0x00
#define PCI_COMMAND             0x04
#define  PCI_COMMAND_IO         0x1
#define  PCI_COMMAND_MEMORY     0x2
#define PCI_BAR0                0x10
#define  PCI_BAR_IO             0x1
#define  PCI_BAR_MEM_TYPE       0x6     /* 0x4: 64 bit */
#define  PCI_BAR_MEM_64         0x4
#define PCI_BAR_COUNT           6

/* The BAR's size from the sizing handshake: all-ones written, the mask read back, the value restored. */
static uint64_t bar_size(uint32_t bdf, uint32_t off, uint32_t low, bool is64)
{
	uint32_t high = is64 ? pci_read(bdf, off + 4, 4) : 0;
	pci_write(bdf, off, 4, 0xffffffffu);
	uint64_t mask = pci_read(bdf, off, 4);
	pci_write(bdf, off, 4, low);
	if (is64) {
		pci_write(bdf, off + 4, 4, 0xffffffffu);
		mask |= (uint64_t)pci_read(bdf, off + 4, 4) << 32;
		pci_write(bdf, off + 4, 4, high);
	} else {
		mask |= 0xffffffff00000000ULL;
	}
	mask &= (low & PCI_BAR_IO) ? ~0x3ULL : ~0xfULL;
	if (low & PCI_BAR_IO)
		mask |= 0xffffffffffff0000ULL;  /* I/O BARs decode 16 bits on x86 */
	return mask ? ~mask + 1 : 0;
}

/* The checks for one BAR; returns how many registers it used (2 for a 64-bit memory BAR). */
static int check_bar(uint32_t bdf, int i, bool *ok)
{
	uint32_t off = PCI_BAR0 + 4 * (uint32_t)i;
	uint32_t low = pci_read(bdf, off, 4);
	bool io = low & PCI_BAR_IO;
	bool is64 = !io && (low & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64;
	uint64_t base = io ? (low & ~0x3u) : ((low & ~0xfULL) | (is64 ? (uint64_t)pci_read(bdf, off + 4, 4) << 32 : 0));

	if (!base)
		return is64 ? 2 : 1;
	uint64_t size = bar_size(bdf, off, low, is64);
	bool pow2 = size >= (io ? 4 : 16) && !(size & (size - 1));
	*ok &= verdict(pow2 && pci_read(bdf, off, 4) == low, BDF_FMT " BAR%d %s 0x%llx: sizing reads size 0x%llx and restores the BAR",
		       BDF_ARGS(bdf), i, io ? "io" : "mem", (unsigned long long)base, (unsigned long long)size);
	uint32_t v = io ? inl((uint16_t)base) : *(volatile uint32_t *)(uintptr_t)base;
	*ok &= verdict(v != 0xffffffffu, BDF_FMT " BAR%d %s 0x%llx: a 32-bit read at its base reaches the device (0x%08x)",
		       BDF_ARGS(bdf), i, io ? "io" : "mem", (unsigned long long)base, v);
	return is64 ? 2 : 1;
}

int guest_main(const struct sluice_start_info *si)
{
	bool ok = true;

	if (!si->nr_dev)
		return verdict(false, "the start info lists no function of mine") ? 0 : 1;
	for (uint32_t d = 0; d < si->nr_dev && d < SLUICE_START_MAX_DEV; d++) {
		uint32_t bdf = si->dev[d].sbdf & 0xffff;
		uint32_t id = pci_read(bdf, PCI_ID, 4);

		ok &= verdict((id & 0xffff) != 0xffff, BDF_FMT " is %04x:%04x in my config space (%s)", BDF_ARGS(bdf),
			      id & 0xffff, id >> 16, si->ecam_gpa ? "ECAM window" : "ports 0xCF8/0xCFC");
		if (si->ecam_gpa) {
			uint32_t port_id = pci_port_read(bdf, PCI_ID, 4);
			ok &= verdict(port_id == id, BDF_FMT " ports 0xCF8/0xCFC read the same ID (0x%08x)", BDF_ARGS(bdf),
				      port_id);
		}
		uint16_t cmd = (uint16_t)pci_read(bdf, PCI_COMMAND, 2);
		pci_write(bdf, PCI_COMMAND, 2, cmd | PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
		for (int i = 0; i < PCI_BAR_COUNT;)
			i += check_bar(bdf, i, &ok);
	}
	return ok ? 0 : 1;
}
