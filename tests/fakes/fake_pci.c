/* Host implementation of kernel/hw/pci_cfg.h over fake functions. */
#include <stdlib.h>
#include <string.h>
#include "tests/fakes/fake_pci.h"

static struct fake_fn fns[FAKE_PCI_MAX_FNS];
static unsigned nr_fns;

static u32 cfg_size = 4096;

void fake_pci_reset(void)
{
	memset(fns, 0, sizeof(fns));
	nr_fns = 0;
	cfg_size = 4096;
}

void fake_pci_set_cfg_size(u32 size)
{
	cfg_size = size;
}

struct fake_fn *fake_pci_find(u32 sbdf)
{
	for (unsigned i = 0; i < nr_fns; i++)
		if (fns[i].sbdf == sbdf && fns[i].present)
			return &fns[i];
	return NULL;
}

static struct fake_fn *slot_for(u32 sbdf)
{
	for (unsigned i = 0; i < nr_fns; i++)
		if (fns[i].sbdf == sbdf)
			return &fns[i];
	if (nr_fns == FAKE_PCI_MAX_FNS)
		abort();
	return &fns[nr_fns++];
}

void fake_pci_w8(struct fake_fn *f, u16 off, u8 v) { f->cfg[off] = v; }
void fake_pci_w16(struct fake_fn *f, u16 off, u16 v) { memcpy(f->cfg + off, &v, 2); }
void fake_pci_w32(struct fake_fn *f, u16 off, u32 v) { memcpy(f->cfg + off, &v, 4); }
u8 fake_pci_r8(const struct fake_fn *f, u16 off) { return f->cfg[off]; }
u16 fake_pci_r16(const struct fake_fn *f, u16 off) { u16 v; memcpy(&v, f->cfg + off, 2); return v; }
u32 fake_pci_r32(const struct fake_fn *f, u16 off) { u32 v; memcpy(&v, f->cfg + off, 4); return v; }

void fake_pci_set_wmask(struct fake_fn *f, u16 off, u8 width, u32 mask)
{
	for (u8 i = 0; i < width; i++)
		f->wmask[off + i] = (u8)(mask >> (8 * i));
}

struct fake_fn *fake_pci_add(u32 sbdf, u16 vendor, u16 device, u32 class, u8 hdr_type)
{
	struct fake_fn *f = slot_for(sbdf);

	memset(f, 0, sizeof(*f));
	f->sbdf = sbdf;
	f->present = true;
	f->next_cap = 0x40;
	f->next_ecap = 0x100;
	fake_pci_w16(f, 0x00, vendor);
	fake_pci_w16(f, 0x02, device);
	fake_pci_w32(f, 0x08, class << 8 | 0x01);       /* revision 1 */
	fake_pci_w8(f, 0x0e, hdr_type);
	fake_pci_set_wmask(f, 0x04, 2, 0x0547);         /* command: IO, MEM, BME, ... */
	if ((hdr_type & 0x7f) == 1) {
		fake_pci_set_wmask(f, 0x18, 4, 0x00ffffff);     /* bus numbers */
		fake_pci_set_wmask(f, 0x1c, 2, 0xf0f0);         /* I/O base/limit */
		fake_pci_set_wmask(f, 0x20, 4, 0xfff0fff0);     /* memory base/limit */
		fake_pci_set_wmask(f, 0x24, 4, 0xfff0fff0);     /* prefetchable base/limit */
		fake_pci_w32(f, 0x24, 0x00010001);              /* 64-bit prefetchable */
		fake_pci_set_wmask(f, 0x28, 4, 0xffffffff);
		fake_pci_set_wmask(f, 0x2c, 4, 0xffffffff);
		fake_pci_set_wmask(f, 0x3e, 2, 0x0fff);         /* bridge control */
	}
	return f;
}

void fake_pci_remove(u32 sbdf)
{
	struct fake_fn *f = fake_pci_find(sbdf);
	if (f)
		f->present = false;
}

void fake_pci_set_bar(struct fake_fn *f, int i, u64 addr, u64 size, u32 flags)
{
	u16 off = (u16)(0x10 + 4 * i);

	if (!size) {
		fake_pci_w32(f, off, 0);
		fake_pci_set_wmask(f, off, 4, 0);
		return;
	}
	if (flags & FAKE_BAR_IO) {
		fake_pci_w32(f, off, (u32)(addr & ~3ULL) | 1);
		fake_pci_set_wmask(f, off, 4, (u32)~(size - 1) & ~3u);
		return;
	}
	u32 low = (u32)(addr & ~0xfULL) | (flags & FAKE_BAR_MEM64 ? 0x4 : 0) |
		  (flags & FAKE_BAR_PREFETCH ? 0x8 : 0);
	fake_pci_w32(f, off, low);
	fake_pci_set_wmask(f, off, 4, (u32)~(size - 1) & ~0xfu);
	if (flags & FAKE_BAR_MEM64) {
		fake_pci_w32(f, off + 4, (u32)(addr >> 32));
		fake_pci_set_wmask(f, off + 4, 4, (u32)(~(size - 1) >> 32));
	}
}

void fake_pci_set_bus(struct fake_fn *f, u8 pri, u8 sec, u8 sub)
{
	fake_pci_w8(f, 0x18, pri);
	fake_pci_w8(f, 0x19, sec);
	fake_pci_w8(f, 0x1a, sub);
}

u16 fake_pci_add_cap(struct fake_fn *f, u8 id, u8 len)
{
	u16 off = f->next_cap;

	fake_pci_w8(f, off, id);
	fake_pci_w8(f, off + 1, 0);
	if (f->last_cap)
		fake_pci_w8(f, f->last_cap + 1, (u8)off);
	else
		fake_pci_w8(f, 0x34, (u8)off);
	fake_pci_w16(f, 0x06, fake_pci_r16(f, 0x06) | 0x10);
	f->last_cap = off;
	f->next_cap = (u16)((off + len + 3) & ~3);
	return off;
}

u16 fake_pci_add_ecap(struct fake_fn *f, u16 id, u8 ver, u16 len)
{
	u16 off = f->next_ecap;

	fake_pci_w32(f, off, (u32)id | (u32)(ver & 0xf) << 16);
	if (f->last_ecap)
		fake_pci_w32(f, f->last_ecap, fake_pci_r32(f, f->last_ecap) | (u32)off << 20);
	f->last_ecap = off;
	f->next_ecap = (u16)((off + len + 3) & ~3);
	return off;
}

u16 fake_pci_add_pcie(struct fake_fn *f, u8 port_type)
{
	u16 off = fake_pci_add_cap(f, 0x10, 0x3c);
	fake_pci_w16(f, off + 2, (u16)(2 | (port_type & 0xf) << 4));    /* version 2 */
	return off;
}

static u32 ones(u8 width)
{
	return width == 4 ? ~0u : (1u << (8 * width)) - 1;
}

u32 pci_cfg_read(u32 sbdf, u16 off, u8 width)
{
	struct fake_fn *f = fake_pci_find(sbdf);
	u32 v = 0;

	if (!f || off >= 4096 || off & (width - 1))
		return ones(width);
	memcpy(&v, f->cfg + off, width);
	return v;
}

void pci_cfg_write(u32 sbdf, u16 off, u8 width, u32 val)
{
	struct fake_fn *f = fake_pci_find(sbdf);

	if (!f || off >= 4096 || off & (width - 1))
		return;
	for (u8 i = 0; i < width; i++) {
		u8 m = f->wmask[off + i], b = (u8)(val >> (8 * i));
		f->cfg[off + i] = (u8)((f->cfg[off + i] & ~m) | (b & m));
	}
	f->writes++;
	if (f->hook)
		f->hook(f, off, width, val);
}

u32 pci_cfg_size(u32 sbdf)
{
	(void)sbdf;
	return cfg_size;
}
