/*
 * Native configuration access: ECAM (PCI Express Base Spec 6.0, §7.2.2
 * "PCI Express Enhanced Configuration Access Mechanism") for every range
 * MCFG lists, and configuration mechanism #1 (PCI Local Bus 3.0, §3.2.2.3.2,
 * ports 0xCF8/0xCFC, first 256 bytes of segment 0) when there is none.
 */
#include "kernel/hw/pci_cfg.h"
#include "kernel/native/pci_cfg.h"
#include "kernel/hw/pio.h"
#include "kernel/hw/mem.h"
#include "kernel/spinlock.h"

#define CF8_ADDR                0xcf8
#define CF8_DATA                0xcfc
#define  CF8_ENABLE             BIT_ULL(31)
#define ECAM_MAX                16

static struct { u64 base; u16 seg; u8 bus_start, bus_end; u8 *va; } ecam[ECAM_MAX];
static unsigned nr_ecam;
static struct spinlock cf8_lock = SPINLOCK_INIT;

int pci_cfg_native_add_ecam(u64 base, u16 seg, u8 bus_start, u8 bus_end)
{
	if (nr_ecam == ECAM_MAX || bus_end < bus_start)
		return -1;
	/* MCFG's base is that of bus 0 even when the range starts later. */
	u64 first = base + ((u64)bus_start << 20);
	u8 *va = phys_to_virt(first, (u64)(bus_end - bus_start + 1) << 20);
	if (!va)
		return -1;
	ecam[nr_ecam].base = base;
	ecam[nr_ecam].seg = seg;
	ecam[nr_ecam].bus_start = bus_start;
	ecam[nr_ecam].bus_end = bus_end;
	ecam[nr_ecam].va = va - ((u64)bus_start << 20);
	nr_ecam++;
	return 0;
}

static volatile u8 *ecam_addr(u32 sbdf, u16 off)
{
	for (unsigned i = 0; i < nr_ecam; i++)
		if (ecam[i].seg == PCI_SEG(sbdf) && PCI_BUS(sbdf) >= ecam[i].bus_start &&
		    PCI_BUS(sbdf) <= ecam[i].bus_end)
			return ecam[i].va + ((u64)PCI_RID(sbdf) << 12) + off;
	return NULL;
}

static bool cf8_ok(u32 sbdf, u16 off)
{
	return nr_ecam == 0 && PCI_SEG(sbdf) == 0 && off < 256;
}

u32 pci_cfg_size(u32 sbdf)
{
	return ecam_addr(sbdf, 0) ? 4096 : 256;
}

u32 pci_cfg_read(u32 sbdf, u16 off, u8 width)
{
	volatile u8 *p;
	u32 v = ~0u;

	if (off & (width - 1) || off >= 4096)
		return width == 4 ? ~0u : (1u << (8 * width)) - 1;
	if ((p = ecam_addr(sbdf, off))) {
		if (width == 1) v = *p;
		else if (width == 2) v = *(volatile u16 *)p;
		else v = *(volatile u32 *)p;
	} else if (cf8_ok(sbdf, off)) {
		spin_lock(&cf8_lock);
		pio_out32(CF8_ADDR, (u32)(CF8_ENABLE | (u32)PCI_RID(sbdf) << 8 | (off & 0xfc)));
		if (width == 1) v = pio_in8(CF8_DATA + (off & 3));
		else if (width == 2) v = pio_in16(CF8_DATA + (off & 2));
		else v = pio_in32(CF8_DATA);
		spin_unlock(&cf8_lock);
	} else {
		return width == 4 ? ~0u : (1u << (8 * width)) - 1;
	}
	return v;
}

void pci_cfg_write(u32 sbdf, u16 off, u8 width, u32 val)
{
	volatile u8 *p;

	if (off & (width - 1) || off >= 4096)
		return;
	if ((p = ecam_addr(sbdf, off))) {
		if (width == 1) *p = (u8)val;
		else if (width == 2) *(volatile u16 *)p = (u16)val;
		else *(volatile u32 *)p = val;
	} else if (cf8_ok(sbdf, off)) {
		spin_lock(&cf8_lock);
		pio_out32(CF8_ADDR, (u32)(CF8_ENABLE | (u32)PCI_RID(sbdf) << 8 | (off & 0xfc)));
		if (width == 1) pio_out8(CF8_DATA + (off & 3), (u8)val);
		else if (width == 2) pio_out16(CF8_DATA + (off & 2), (u16)val);
		else pio_out32(CF8_DATA, val);
		spin_unlock(&cf8_lock);
	}
}
