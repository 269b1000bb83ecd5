/*
 * Base Address Registers and bridge windows (PCIe Base 6.3 §7.5.1.2.1,
 * §7.5.1.3.6-11): sizes BARs the way the spec describes, with decoding off,
 * and decodes the windows firmware programmed. Assigns no addresses; VF
 * BARs (in the SR-IOV capability) are sized by pci/pci_sriov.c through
 * pci_bar_probe().
 */
#define LOG_SUBSYS "pci"
#include "kernel/log.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "pci/pci_hw.h"
#include "pci/pci_internal.h"

static u32 rd32(u32 sbdf, u16 off) { return pci_cfg_read(sbdf, off, 4); }
static void wr32(u32 sbdf, u16 off, u32 v) { pci_cfg_write(sbdf, off, 4, v); }


/*
 * An address mask (all-ones written, implemented address bits read back)
 * is sane when its set bits are one run: the size is its lowest set bit.
 * Bits above the run may be zero (devices that decode fewer address bits).
 */
static bool mask_contiguous(u64 mask)
{
	u64 low = mask & -mask;
	u64 run = mask | (low - 1);

	return (run & (run + 1)) == 0;
}

int pci_bar_probe(u32 sbdf, u16 off, u16 end, struct pci_bar *b, bool *is64)
{
	u32 lo = rd32(sbdf, off), hi = 0, lo_mask, hi_mask = 0, lo_after, hi_after = 0;
	u64 mask;

	memset(b, 0, sizeof(*b));
	*is64 = false;
	if (lo == ~0u) {
		log_warn(SBDF_FMT ": BAR at 0x%02x reads 0xffffffff; treated as unimplemented",
			 SBDF_ARGS(sbdf), off);
		return -HV_EIO;
	}
	bool io = lo & PCI_BAR_SPACE_IO;
	if (!io) {
		u32 type = (u32)FIELD_GET(PCI_BAR_MEM_TYPE, lo);
		if (type == PCI_BAR_MEM_TYPE_64) {
			*is64 = true;
			if (off + 8 > end) {
				log_warn(SBDF_FMT ": BAR at 0x%02x is 64-bit in the last slot (0x%08x); treated as unimplemented",
					 SBDF_ARGS(sbdf), off, lo);
				return -HV_EINVAL;
			}
			hi = rd32(sbdf, off + 4);
		} else if (type != PCI_BAR_MEM_TYPE_32 && type != PCI_BAR_MEM_TYPE_1M) {
			log_warn(SBDF_FMT ": BAR at 0x%02x has reserved type %u (0x%08x); treated as unimplemented",
				 SBDF_ARGS(sbdf), off, type, lo);
			return -HV_EINVAL;
		}
	}

	/* Writing all-ones reads back the mask; the old value goes back at once. */
	wr32(sbdf, off, ~0u);
	lo_mask = rd32(sbdf, off);
	if (*is64) {
		wr32(sbdf, off + 4, ~0u);
		hi_mask = rd32(sbdf, off + 4);
		wr32(sbdf, off + 4, hi);
		hi_after = rd32(sbdf, off + 4);
	}
	wr32(sbdf, off, lo);
	lo_after = rd32(sbdf, off);
	if (lo_after != lo || hi_after != hi) {
		log_warn(SBDF_FMT ": BAR at 0x%02x reads 0x%08x after sizing, not 0x%08x; treated as unimplemented",
			 SBDF_ARGS(sbdf), off, lo_after != lo ? lo_after : hi_after,
			 lo_after != lo ? lo : hi);
		return -HV_EIO;
	}

	if (io) {
		mask = lo_mask & PCI_BAR_IO_ADDR;
		/* 16-bit decoders hardwire the upper half of the address to zero. */
		if (mask && !(mask & 0xffff0000u))
			mask |= 0xffff0000u;
	} else {
		mask = (u64)hi_mask << 32 | (lo_mask & PCI_BAR_MEM_ADDR);
		if (!*is64)
			mask |= 0xffffffff00000000ULL;
	}
	if (!(mask & 0xffffffffULL) && (io || !*is64 || !hi_mask))
		return 0;       /* no writable address bit: not implemented */
	if ((io && (lo & PCI_BAR_IO_RSVD)) || !mask_contiguous(mask)) {
		log_warn(SBDF_FMT ": BAR at 0x%02x has size mask 0x%08x%08x (value 0x%08x); treated as unimplemented",
			 SBDF_ARGS(sbdf), off, hi_mask, lo_mask, lo);
		return -HV_EINVAL;
	}
	b->size = mask & -mask;
	if (io) {
		b->type = PCI_BAR_IO;
		b->addr = lo & PCI_BAR_IO_ADDR;
	} else {
		b->type = *is64 ? PCI_BAR_MEM64 : PCI_BAR_MEM32;
		b->prefetch = lo & PCI_BAR_MEM_PREFETCH;
		b->addr = (u64)hi << 32 | (lo & PCI_BAR_MEM_ADDR);
	}
	return 0;
}

void pci_bars_read(struct pci_dev *d)
{
	u16 end;

	memset(d->bars, 0, sizeof(d->bars));
	if (d->kind == PCI_KIND_VF)
		return;
	if (d->hdr_type == PCI_HEADER_NORMAL)
		end = PCI_BAR_TYPE0_END;
	else if (d->hdr_type == PCI_HEADER_BRIDGE)
		end = PCI_BAR_TYPE1_END;
	else
		return;

	/*
	 * While a BAR holds all-ones it may claim addresses of something else:
	 * decoding is off until every BAR is back. Host bridges keep decoding,
	 * as Linux keeps them (some route RAM through it).
	 */
	u16 cmd = (u16)pci_cfg_read(d->sbdf, PCI_COMMAND, 2);
	u16 off_bits = (u16)(PCI_COMMAND_IO | PCI_COMMAND_MEM);
	bool toggle = (cmd & off_bits) && (d->class >> 8) != PCI_CLASS_HOST_BRIDGE;
	if (toggle)
		pci_cfg_write(d->sbdf, PCI_COMMAND, 2, cmd & ~off_bits);
	for (u16 off = PCI_BAR0; off < end; off += 4) {
		struct pci_bar *b = &d->bars[(off - PCI_BAR0) / 4];
		bool is64;
		pci_bar_probe(d->sbdf, off, end, b, &is64);
		if (is64)
			off += 4;       /* the upper half stays PCI_BAR_NONE */
	}
	if (toggle)
		pci_cfg_write(d->sbdf, PCI_COMMAND, 2, cmd);
}

static void window_absent(struct pci_window *w)
{
	w->base = ~0ULL;
	w->limit = 0;
	w->is64 = false;
}

/*
 * The I/O and prefetchable windows are optional. When both registers read
 * zero, a closed window (base above limit) is written to see whether the
 * bits stick, and zero goes back: the window never opens meanwhile.
 */
static bool window_implemented(u32 sbdf, u16 off, u8 width, u32 probe)
{
	if (pci_cfg_read(sbdf, off, width))
		return true;
	pci_cfg_write(sbdf, off, width, probe);
	u32 v = pci_cfg_read(sbdf, off, width);
	pci_cfg_write(sbdf, off, width, 0);
	return v != 0;
}

void pci_windows_read(struct pci_dev *d)
{
	u32 s = d->sbdf;

	if (d->hdr_type != PCI_HEADER_BRIDGE)
		return;

	if (window_implemented(s, PCI_IO_BASE, 2, 0xe0f0)) {
		u8 base = (u8)pci_cfg_read(s, PCI_IO_BASE, 1), limit = (u8)pci_cfg_read(s, PCI_IO_LIMIT, 1);
		d->io_win.base = FIELD_GET(PCI_IO_ADDR, base) << 12;
		d->io_win.limit = FIELD_GET(PCI_IO_ADDR, limit) << 12 | (PCI_IO_WIN_ALIGN - 1);
		d->io_win.is64 = false;
		if (FIELD_GET(PCI_IO_CAP, base) == PCI_IO_CAP_32) {
			d->io_win.base |= (u64)pci_cfg_read(s, PCI_IO_BASE_UPPER, 2) << 16;
			d->io_win.limit |= (u64)pci_cfg_read(s, PCI_IO_LIMIT_UPPER, 2) << 16;
		}
	} else {
		window_absent(&d->io_win);
	}

	u16 mb = (u16)pci_cfg_read(s, PCI_MEM_BASE, 2), ml = (u16)pci_cfg_read(s, PCI_MEM_LIMIT, 2);
	d->mem_win.base = FIELD_GET(PCI_MEM_ADDR, mb) << 20;
	d->mem_win.limit = FIELD_GET(PCI_MEM_ADDR, ml) << 20 | (PCI_MEM_WIN_ALIGN - 1);
	d->mem_win.is64 = false;

	if (window_implemented(s, PCI_PREF_BASE, 4, 0xffe0fff0)) {
		u16 pb = (u16)pci_cfg_read(s, PCI_PREF_BASE, 2), pl = (u16)pci_cfg_read(s, PCI_PREF_LIMIT, 2);
		d->pref_win.base = FIELD_GET(PCI_MEM_ADDR, pb) << 20;
		d->pref_win.limit = FIELD_GET(PCI_MEM_ADDR, pl) << 20 | (PCI_MEM_WIN_ALIGN - 1);
		d->pref_win.is64 = FIELD_GET(PCI_PREF_CAP, pb) == PCI_PREF_CAP_64;
		if (d->pref_win.is64) {
			d->pref_win.base |= (u64)pci_cfg_read(s, PCI_PREF_BASE_UPPER, 4) << 32;
			d->pref_win.limit |= (u64)pci_cfg_read(s, PCI_PREF_LIMIT_UPPER, 4) << 32;
		}
	} else {
		window_absent(&d->pref_win);
	}
}
