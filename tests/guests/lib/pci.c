/*
 * PCI config space as the guest sees it: the virtual ECAM window the start
 * info names (PCI Express Base spec, "Enhanced Configuration Access
 * Mechanism": bus << 20 | dev << 15 | fn << 12 | offset), or configuration
 * mechanism #1 on ports 0xCF8/0xCFC (PCI Local Bus spec 3.0, 3.2.2.3.2).
 * Sluice filters both; the guest never sees the host's real window.
 */
#include "tests/guests/lib/guest.h"

#define CF8_ENABLE      0x80000000u

static volatile void *ecam_ptr(uint32_t bdf, uint32_t off)
{
	uint32_t bus = bdf >> 8;
	uint64_t a = guest_si->ecam_gpa + ((uint64_t)(bus - guest_si->ecam_bus_start) << 20) +
		     ((uint64_t)(bdf & 0xff) << 12) + off;
	return (volatile void *)(uintptr_t)a;
}

static bool ecam_has(uint32_t bdf)
{
	uint32_t bus = bdf >> 8;
	return guest_si->ecam_gpa && bus >= guest_si->ecam_bus_start && bus <= guest_si->ecam_bus_end;
}

uint32_t pci_ecam_read(uint32_t bdf, uint32_t off, int width)
{
	if (!ecam_has(bdf))
		return 0xffffffffu;
	volatile void *p = ecam_ptr(bdf, off);
	if (width == 1)
		return *(volatile uint8_t *)p;
	if (width == 2)
		return *(volatile uint16_t *)p;
	return *(volatile uint32_t *)p;
}

void pci_ecam_write(uint32_t bdf, uint32_t off, int width, uint32_t val)
{
	if (!ecam_has(bdf))
		return;
	volatile void *p = ecam_ptr(bdf, off);
	if (width == 1)
		*(volatile uint8_t *)p = (uint8_t)val;
	else if (width == 2)
		*(volatile uint16_t *)p = (uint16_t)val;
	else
		*(volatile uint32_t *)p = val;
}

/* Mechanism #1 reaches the first 256 bytes; narrower accesses use the data port's byte lanes. */
uint32_t pci_port_read(uint32_t bdf, uint32_t off, int width)
{
	outl(SLUICE_PORT_PCI_ADDR, CF8_ENABLE | bdf << 8 | (off & 0xfc));
	uint16_t port = (uint16_t)(SLUICE_PORT_PCI_DATA + (off & 3));
	if (width == 1)
		return inb(port);
	if (width == 2)
		return inw(port);
	return inl(port);
}

void pci_port_write(uint32_t bdf, uint32_t off, int width, uint32_t val)
{
	outl(SLUICE_PORT_PCI_ADDR, CF8_ENABLE | bdf << 8 | (off & 0xfc));
	uint16_t port = (uint16_t)(SLUICE_PORT_PCI_DATA + (off & 3));
	if (width == 1)
		outb(port, (uint8_t)val);
	else if (width == 2)
		outw(port, (uint16_t)val);
	else
		outl(port, val);
}

uint32_t pci_read(uint32_t bdf, uint32_t off, int width)
{
	return guest_si->ecam_gpa ? pci_ecam_read(bdf, off, width) : pci_port_read(bdf, off, width);
}

void pci_write(uint32_t bdf, uint32_t off, int width, uint32_t val)
{
	if (guest_si->ecam_gpa)
		pci_ecam_write(bdf, off, width, val);
	else
		pci_port_write(bdf, off, width, val);
}

int pci_find(uint16_t vendor, uint16_t device, uint32_t *bdf)
{
	/*
	 * The start info lists the partition's functions first: a VF (or any
	 * function whose function 0 is not the partition's) is not reached by
	 * a scan that stops at an absent function 0.
	 */
	for (uint32_t i = 0; i < guest_si->nr_dev && i < SLUICE_START_MAX_DEV; i++) {
		uint32_t b = guest_si->dev[i].sbdf & 0xffff;
		uint32_t id = pci_read(b, 0x00, 4);
		if ((id & 0xffff) == vendor && id >> 16 == device) {
			*bdf = b;
			return 0;
		}
	}
	uint32_t first = guest_si->ecam_gpa ? guest_si->ecam_bus_start : 0;
	uint32_t last = guest_si->ecam_gpa ? guest_si->ecam_bus_end : 0;

	for (uint32_t bus = first; bus <= last && bus < 256; bus++) {
		for (uint32_t dev = 0; dev < 32; dev++) {
			for (uint32_t fn = 0; fn < 8; fn++) {
				uint32_t b = PCI_BDF(bus, dev, fn);
				uint32_t id = pci_read(b, 0x00, 4);
				if ((id & 0xffff) == 0xffff) {
					if (fn == 0)
						break;
					continue;
				}
				if ((id & 0xffff) == vendor && id >> 16 == device) {
					*bdf = b;
					return 0;
				}
				/* Header type bit 7: more functions than 0. */
				if (fn == 0 && !(pci_read(b, 0x0e, 1) & 0x80))
					break;
			}
		}
	}
	return -1;
}
