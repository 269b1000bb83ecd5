/*
 * A partition's PCI configuration space (PCI Local Bus 3.0 §6.1-6.2.5 and
 * §3.2.2.3.2 for mechanism #1; PCIe Base §7.2.2 ECAM, §7.5.1 type 0 header,
 * §7.6.3 extended capabilities). The rule: nothing a guest writes may reach
 * another partition, so only Command bits 0-2 reach the device; BARs are
 * fixed and sizing is emulated; everything else is read-only. Hidden
 * capabilities lose their place in the lists and read as 0 at their header;
 * their bodies are not masked. Type 0 functions in segment 0 only; VF BARs
 * (which live in the PF's SR-IOV capability) are not emulated.
 */
#define LOG_SUBSYS "vpci"
#include "vm/dev/vpci.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/hw/pci_cfg.h"
#include "pci/pci.h"
#include "pci/pci_hw.h"
#include "pci/pcie_hw.h"
#include "pci/ats_hw.h"
#include "pci/sriov_hw.h"
#include "vm/config/partition_cfg.h"

#define PCI_ROM_BAR             0x30    /* 32 bit: §6.2.5.2 Expansion ROM Base Address */
#define  PCI_ROM_ADDR           0xfffff800u
#define  PCI_ROM_ENABLE         0x1u
#define PCI_ECAP_ID_DSN         0x0003  /* §7.9.3 Device Serial Number */
#define PCI_CAP_ID_VNDR         0x09    /* Vendor Specific */

/* PCI Local Bus 3.0 §3.2.2.3.2 Figure 3-2: CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at 0xCFC. */
#define CF8_PORT                0xcf8
#define CFC_PORT                0xcfc
#define CF8_ENABLE              BIT_ULL(31)
#define CF8_BUS                 GENMASK_ULL(23, 16)
#define CF8_DEVFN               GENMASK_ULL(15, 8)
#define CF8_REG                 GENMASK_ULL(7, 2)
/* PCIe Base §7.2.2 Table 7-1: the ECAM address of a register. */
#define ECAM_BUS                GENMASK_ULL(27, 20)
#define ECAM_DEVFN              GENMASK_ULL(19, 12)
#define ECAM_REG                GENMASK_ULL(11, 0)

#define LEGACY_MAX_CAPS         ((PCI_CFG_LEGACY_SIZE - PCI_CAP_MIN_OFF) / 4)
#define CAP_PTR_SLOT            (PCI_CAP_PTR / 4)

/*
 * Capabilities shown (read-only). Power management, the PCIe capability and
 * vendor-specific ones (virtio's structures) only describe the function;
 * AER and the serial number report errors and identity. MSI/MSI-X (Sluice
 * shows MSI only to a partition that delivers its interrupts, vpci_msi.c), SR-IOV (Sluice owns the VFs), ATS/PRI/
 * PASID, ACS, resizable BARs and anything unknown stay hidden.
 */
static bool legacy_shown(u8 id)
{
	return id == PCI_CAP_ID_PM || id == PCI_CAP_ID_EXP || id == PCI_CAP_ID_VNDR;
}

static bool ext_shown(u16 id)
{
	return id == PCI_ECAP_ID_AER || id == PCI_ECAP_ID_DSN;
}

/* What a function hides, for its one log line: "MSI@0x50 SR-IOV@0x100 0x13@0x80". */
struct hidden_text {
	char buf[160];
	size_t len;
};

static void hidden_add(struct hidden_text *t, bool ext, u16 id, u32 off)
{
	const char *name = NULL;

	if (!ext)
		name = id == PCI_CAP_ID_MSI ? "MSI" : id == PCI_CAP_ID_MSIX ? "MSI-X" : NULL;
	else
		name = id == PCI_ECAP_ID_SRIOV ? "SR-IOV" : id == PCI_ECAP_ID_ATS ? "ATS" :
		       id == PCI_ECAP_ID_ACS ? "ACS" : NULL;
	if (t->len >= sizeof(t->buf) - 1)
		return;
	int n = name ? fmt_snprintf(t->buf + t->len, sizeof(t->buf) - t->len, " %s@0x%x", name, off)
		     : fmt_snprintf(t->buf + t->len, sizeof(t->buf) - t->len, " 0x%x@0x%x", id, off);
	t->len = MIN(t->len + (size_t)n, sizeof(t->buf) - 1);
}

static u32 ones(u32 width)
{
	return width == 4 ? ~0u : (1u << (8 * width)) - 1;
}

static struct vpci_dev *find(struct vpci *v, u32 sbdf)
{
	for (u32 i = 0; i < v->nr; i++)
		if (v->dev[i].sbdf == sbdf)
			return &v->dev[i];
	return NULL;
}

/* Size of an address mask read back after writing all-ones (0: none implemented). */
static u64 mask_size(u64 mask)
{
	return mask ? mask & -mask : 0;
}

/*
 * Sizes BARs and the ROM BAR with decoding off (§6.2.5.1), restoring every
 * register; the guest has not run yet and the function is the partition's.
 */
static void bars_probe(struct vpci_dev *d)
{
	u32 sbdf = d->sbdf;
	u16 cmd = (u16)pci_cfg_read(sbdf, PCI_COMMAND, 2);

	if (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEM))
		pci_cfg_write(sbdf, PCI_COMMAND, 2, cmd & ~(u32)(PCI_COMMAND_IO | PCI_COMMAND_MEM));
	for (u32 i = 0; i < VPCI_NR_BARS; i++) {
		u16 off = (u16)(PCI_BAR0 + 4 * i);
		u32 lo = pci_cfg_read(sbdf, off, 4), hi, lo_mask, hi_mask = 0;
		bool is64 = !(lo & PCI_BAR_SPACE_IO) && FIELD_GET(PCI_BAR_MEM_TYPE, lo) == PCI_BAR_MEM_TYPE_64 &&
			    i + 1 < VPCI_NR_BARS;

		if (lo == ~0u)
			continue;
		pci_cfg_write(sbdf, off, 4, ~0u);
		lo_mask = pci_cfg_read(sbdf, off, 4);
		pci_cfg_write(sbdf, off, 4, lo);
		if (is64) {
			hi = pci_cfg_read(sbdf, off + 4, 4);
			pci_cfg_write(sbdf, off + 4, 4, ~0u);
			hi_mask = pci_cfg_read(sbdf, off + 4, 4);
			pci_cfg_write(sbdf, off + 4, 4, hi);
		}
		if (lo & PCI_BAR_SPACE_IO) {
			lo_mask &= (u32)PCI_BAR_IO_ADDR;
			/* 16-bit I/O decoders hardwire the upper half to zero. */
			if (lo_mask && !(lo_mask & 0xffff0000u))
				lo_mask |= 0xffff0000u;
		} else {
			lo_mask &= (u32)PCI_BAR_MEM_ADDR;
		}
		if (is64)
			d->bar_size[i] = mask_size((u64)hi_mask << 32 | lo_mask);
		else if (lo_mask)
			d->bar_size[i] = mask_size(lo_mask);
		if (is64) {
			d->bar_upper |= 1u << (i + 1);
			i++;
		}
	}
	u32 rom = pci_cfg_read(sbdf, PCI_ROM_BAR, 4);
	if (rom != ~0u) {
		pci_cfg_write(sbdf, PCI_ROM_BAR, 4, PCI_ROM_ADDR);
		d->rom_size = (u32)mask_size(pci_cfg_read(sbdf, PCI_ROM_BAR, 4) & PCI_ROM_ADDR);
		pci_cfg_write(sbdf, PCI_ROM_BAR, 4, rom);
	}
	if (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEM))
		pci_cfg_write(sbdf, PCI_COMMAND, 2, cmd);
}

/*
 * The legacy list from 34h: pointers are masked to dwords (§6.7: bits 1:0
 * are reserved), must stay in 40h-FFh and not repeat; a bad one ends the
 * list there. Shown entries are relinked past hidden ones, hidden ones
 * named in *t.
 */
static u64 bar_addr(const struct vpci_dev *d, u32 bir);

static void legacy_caps(struct vpci_dev *d, bool msi, struct hidden_text *t)
{
	u16 prev = CAP_PTR_SLOT;
	u32 ptr = 0;

	d->cap_next[CAP_PTR_SLOT] = VPCI_CAP_SHOWN;
	if (pci_cfg_read(d->sbdf, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST)
		ptr = pci_cfg_read(d->sbdf, PCI_CAP_PTR, 1) & 0xfc;
	for (u32 n = 0; ptr && n < LEGACY_MAX_CAPS; n++) {
		if (ptr < PCI_CAP_MIN_OFF || d->cap_next[ptr / 4]) {
			log_warn(BDF_FMT ": capability list broken at 0x%02x; cut there", BDF_ARGS(d->sbdf), ptr);
			break;
		}
		u32 hdr = pci_cfg_read(d->sbdf, (u16)ptr, 2);
		bool is_msi = msi && (u8)hdr == PCI_CAP_ID_MSI && !d->msi.cap;
		if (is_msi) {
			d->msi.cap = (u16)ptr;
			d->msi.real_ctrl = (u16)pci_cfg_read(d->sbdf, (u16)(ptr + 2), 2);
		}
		bool is_msix = msi && (u8)hdr == PCI_CAP_ID_MSIX && !d->msix.cap;
		if (is_msix)
			vpci_msix_locate(d, (u16)ptr, bar_addr);
		if (legacy_shown((u8)hdr) || is_msi || is_msix) {
			d->cap_next[prev] = (u16)(VPCI_CAP_SHOWN | ptr);
			d->cap_next[ptr / 4] = VPCI_CAP_SHOWN;
			prev = (u16)(ptr / 4);
		} else {
			d->cap_next[ptr / 4] = VPCI_CAP_HIDDEN;
			hidden_add(t, false, (u8)hdr, ptr);
		}
		ptr = (hdr >> 8) & 0xfc;
	}
}

/* The extended list from 100h (§7.6.3), with the same checks. */
static void ext_caps(struct vpci_dev *d, struct hidden_text *t)
{
	struct vpci_ecap *last = NULL;
	u32 off = PCI_ECAP_START;

	if (pci_cfg_size(d->sbdf) < PCI_CFG_EXT_SIZE)
		return;
	while (off) {
		u32 hdr = pci_cfg_read(d->sbdf, (u16)off, 4);
		if (hdr == 0 || hdr == ~0u)
			break;
		bool seen = false;
		for (u32 i = 0; i < d->nr_ecaps; i++)
			seen |= d->ecap[i].off == off;
		if (off < PCI_ECAP_START || seen || d->nr_ecaps == VPCI_MAX_ECAPS) {
			log_warn(BDF_FMT ": extended capability list broken or too long at 0x%03x; cut there",
				 BDF_ARGS(d->sbdf), off);
			break;
		}
		struct vpci_ecap *e = &d->ecap[d->nr_ecaps++];
		e->off = (u16)off;
		u16 id = (u16)FIELD_GET(PCI_ECAP_HDR_ID, hdr);
		e->shown = ext_shown(id);
		if (e->shown) {
			if (last)
				last->next = (u16)off;
			else
				d->ecap_first = (u16)off;
			last = e;
		} else {
			hidden_add(t, true, id, off);
		}
		off = (u32)FIELD_GET(PCI_ECAP_HDR_NEXT, hdr) & ~3u;
	}
}

static void walk_caps(const struct vpci *v, struct vpci_dev *d)
{
	struct hidden_text t = { .len = 0 };
	legacy_caps(d, v->irq != NULL, &t);
	ext_caps(d, &t);
	if (t.len)
		log_info(BDF_FMT ": capabilities hidden from the guest:%s", BDF_ARGS(d->sbdf), t.buf);
}

int vpci_init(struct vpci *v, const u32 *sbdfs, u32 n, u64 ecam_gpa, u32 bus_end)
{
	const struct vpci_irq_ops *irq = v->irq;
	void *irq_ctx = v->irq_ctx;

	memset(v, 0, sizeof(*v));
	v->irq = irq;
	v->irq_ctx = irq_ctx;
	if (n > VPCI_MAX_DEVS || bus_end > 0xff)
		return -HV_ERANGE;
	v->ecam_gpa = ecam_gpa;
	v->bus_end = bus_end;
	for (u32 i = 0; i < n; i++) {
		u32 sbdf = sbdfs[i];
		int ret = 0;
		if (PCI_SEG(sbdf))
			ret = -HV_ENOTSUP;      /* mechanism #1 and our ECAM window reach segment 0 only */
		else if (find(v, sbdf))
			ret = -HV_EEXIST;
		else if (pci_cfg_read(sbdf, PCI_VENDOR_ID, 2) == 0xffff)
			ret = -HV_ENODEV;
		else if (FIELD_GET(PCI_HEADER_LAYOUT, pci_cfg_read(sbdf, PCI_HEADER_TYPE, 1)) != PCI_HEADER_NORMAL)
			ret = -HV_ENOTSUP;      /* bridges would hand the guest bus numbers and windows */
		if (ret) {
			log_err(BDF_FMT ": cannot be given to a partition's config space: %s", BDF_ARGS(sbdf),
				hv_strerror(ret));
			memset(v, 0, sizeof(*v));
			v->irq = irq;
			v->irq_ctx = irq_ctx;
			return ret;
		}
		struct vpci_dev *d = &v->dev[v->nr++];
		d->sbdf = d->guest_sbdf = sbdf;
		bars_probe(d);
		walk_caps(v, d);
	}
	return 0;
}

int vpci_add_vf(struct vpci *v, u32 sbdf, u16 vendor, u16 device, const struct vpci_vf_bar bars[VPCI_NR_BARS])
{
	if (v->nr == VPCI_MAX_DEVS)
		return -HV_ERANGE;
	if (PCI_SEG(sbdf))
		return -HV_ENOTSUP;
	if (find(v, sbdf))
		return -HV_EEXIST;
	struct vpci_dev *d = &v->dev[v->nr++];
	d->sbdf = d->guest_sbdf = sbdf;
	d->vf = true;
	d->vf_ids = vendor | (u32)device << 16;
	for (u32 i = 0; i < VPCI_NR_BARS; i++) {
		if (!bars[i].size)
			continue;
		d->bar_size[i] = bars[i].size;
		d->vf_bar[i] = (u32)(bars[i].addr & PCI_BAR_MEM_ADDR) | (bars[i].prefetch ? PCI_BAR_MEM_PREFETCH : 0) |
			       (bars[i].mem64 ? (u32)FIELD_PREP(PCI_BAR_MEM_TYPE, PCI_BAR_MEM_TYPE_64) : 0);
		if (bars[i].mem64 && i + 1 < VPCI_NR_BARS) {
			d->vf_bar[i + 1] = (u32)(bars[i].addr >> 32);
			d->bar_upper |= 1u << (i + 1);
			i++;
		}
	}
	walk_caps(v, d);
	return 0;
}

static const struct vpci_ecap *ecap_at(const struct vpci_dev *d, u32 off)
{
	for (u32 i = 0; i < d->nr_ecaps; i++)
		if (d->ecap[i].off == off)
			return &d->ecap[i];
	return NULL;
}

/* The memory address BAR bir decodes (64-bit BARs whole); 0 when it is none. */
static u64 bar_addr(const struct vpci_dev *d, u32 bir)
{
	if (bir >= VPCI_NR_BARS)
		return 0;
	u32 lo = d->vf ? d->vf_bar[bir] : pci_cfg_read(d->sbdf, (u16)(PCI_BAR0 + 4 * bir), 4);
	if (lo & PCI_BAR_SPACE_IO)
		return 0;
	u64 a = lo & PCI_BAR_MEM_ADDR;
	if (FIELD_GET(PCI_BAR_MEM_TYPE, lo) == PCI_BAR_MEM_TYPE_64 && bir + 1 < VPCI_NR_BARS)
		a |= (u64)(d->vf ? d->vf_bar[bir + 1] : pci_cfg_read(d->sbdf, (u16)(PCI_BAR0 + 4 * (bir + 1)), 4)) << 32;
	return a;
}

/* A BAR dword (or the ROM BAR) as the guest sees it. */
static u32 bar_view(const struct vpci_dev *d, u32 dw)
{
	u32 real = d->vf && dw != PCI_ROM_BAR ? d->vf_bar[(dw - PCI_BAR0) / 4] : pci_cfg_read(d->sbdf, (u16)dw, 4);

	if (dw == PCI_ROM_BAR) {
		if (!(d->bar_sizing & BIT_ULL(VPCI_ROM)))
			return real;
		return d->rom_size ? ~(d->rom_size - 1) & PCI_ROM_ADDR : 0;
	}
	u32 i = (dw - PCI_BAR0) / 4;
	if (!(d->bar_sizing & BIT_ULL(i)))
		return real;
	if (d->bar_upper & BIT_ULL(i))
		return d->bar_size[i - 1] ? (u32)(~(d->bar_size[i - 1] - 1) >> 32) : 0;
	if (!d->bar_size[i])
		return 0;
	if (real & PCI_BAR_SPACE_IO)
		return ((u32)~(d->bar_size[i] - 1) & (u32)PCI_BAR_IO_ADDR) | (real & 3);
	return ((u32)~(d->bar_size[i] - 1) & (u32)PCI_BAR_MEM_ADDR) | (real & 0xf);
}

/* The dword at dw (aligned) as the guest sees it. */
static u32 view32(const struct vpci_dev *d, u32 dw)
{
	if ((dw >= PCI_BAR0 && dw < PCI_BAR_TYPE0_END) || dw == PCI_ROM_BAR)
		return bar_view(d, dw);

	u32 real = pci_cfg_read(d->sbdf, (u16)dw, 4);
	if (dw == PCI_VENDOR_ID && d->vf)
		return d->vf_ids;
	if (dw == PCI_COMMAND) {
		if (!(d->cap_next[CAP_PTR_SLOT] & VPCI_CAP_NEXT))
			real &= ~(u32)(PCI_STATUS_CAP_LIST << 16);
		return real;
	}
	if (dw == PCI_CAP_PTR)
		return (real & ~0xffu) | (d->cap_next[CAP_PTR_SLOT] & 0xff);
	if (dw < PCI_CAP_MIN_OFF)
		return real;
	if (d->msi.cap && dw >= d->msi.cap && dw < d->msi.cap + vpci_msi_size(d->msi.real_ctrl)) {
		u32 body = vpci_msi_read(d, dw);
		return dw == d->msi.cap ? (body & ~0xff00u) | (u32)(d->cap_next[dw / 4] & 0xff) << 8 : body;
	}
	if (d->msix.cap && dw >= d->msix.cap && dw < d->msix.cap + 12u) {
		u32 body = vpci_msix_read(d, dw);
		return dw == d->msix.cap ? (body & ~0xff00u) | (u32)(d->cap_next[dw / 4] & 0xff) << 8 : body;
	}
	if (dw < PCI_CFG_LEGACY_SIZE) {
		u16 c = d->cap_next[dw / 4];
		if (c & VPCI_CAP_HIDDEN)
			return 0;
		if (c & VPCI_CAP_SHOWN)
			return (real & ~0xff00u) | (u32)(c & 0xff) << 8;
		return real;
	}
	if (!d->nr_ecaps)
		return real;
	const struct vpci_ecap *e = ecap_at(d, dw);
	if (e && e->shown)
		return (real & (u32)(PCI_ECAP_HDR_ID | PCI_ECAP_HDR_VER)) | (u32)FIELD_PREP(PCI_ECAP_HDR_NEXT, e->next);
	/* §7.6.3: 100h always holds a header; ID 0 with a next pointer skips to the first shown one. */
	if (dw == PCI_ECAP_START)
		return (u32)FIELD_PREP(PCI_ECAP_HDR_NEXT, d->ecap_first);
	if (e)
		return 0;
	return real;
}

static bool access_ok(u32 offset, u32 width)
{
	return (width == 1 || width == 2 || width == 4) && offset < PCI_CFG_EXT_SIZE && !(offset & (width - 1));
}

u32 vpci_read(struct vpci *v, u32 sbdf, u32 offset, u32 width)
{
	const struct vpci_dev *d = find(v, sbdf);

	if (!access_ok(offset, width))
		return width == 1 || width == 2 ? ones(width) : ~0u;
	if (!d)
		return ones(width);
	return (view32(d, offset & ~3u) >> (8 * (offset & 3))) & ones(width);
}

/*
 * A write to a BAR dword or the ROM BAR: all address bits set starts
 * sizing; anything else ends it, and counts as denied unless it writes
 * back what the register holds (the restore after sizing).
 */
static bool bar_write(struct vpci_dev *d, u32 dw, u32 bmask, u32 val)
{
	u32 bit = dw == PCI_ROM_BAR ? VPCI_ROM : (dw - PCI_BAR0) / 4;
	u32 real = pci_cfg_read(d->sbdf, (u16)dw, 4);
	u32 addr;

	if (dw == PCI_ROM_BAR)
		addr = PCI_ROM_ADDR;
	else if (d->bar_upper & BIT_ULL(bit))
		addr = ~0u;
	else
		addr = real & PCI_BAR_SPACE_IO ? (u32)PCI_BAR_IO_ADDR : (u32)PCI_BAR_MEM_ADDR;
	d->bar_sizing &= ~(u32)BIT_ULL(bit);
	if (bmask == ~0u && (val & addr) == addr) {
		d->bar_sizing |= (u32)BIT_ULL(bit);
		return true;
	}
	return ((val ^ real) & bmask) == 0;
}

/*
 * Command bits 0-2 reach the device (read-modify-write), Bus Master Enable
 * only while it was not revoked; Status is never written.
 */
static bool command_write(struct vpci_dev *d, u32 bmask, u32 val)
{
	const u32 pass = PCI_COMMAND_IO | PCI_COMMAND_MEM | (d->master_revoked ? 0 : PCI_COMMAND_MASTER);
	u32 real = pci_cfg_read(d->sbdf, PCI_COMMAND, 2);
	bool ok = !((val ^ real) & bmask & 0xffff & ~pass) && !(val & bmask & 0xffff0000u);

	if (bmask & 0xff) {
		pci_cfg_write(d->sbdf, PCI_COMMAND, 2, (real & ~pass) | (val & pass));
		/* The boot CPU may revoke it between the read of the flag and this write: look again. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if ((pass & PCI_COMMAND_MASTER) && d->master_revoked)
			pci_bus_master_off(d->sbdf);
	}
	return ok;
}

void vpci_revoke_master(struct vpci *v, u32 sbdf)
{
	struct vpci_dev *d = find(v, sbdf);
	if (d)
		__atomic_store_n(&d->master_revoked, true, __ATOMIC_SEQ_CST);
}

void vpci_write(struct vpci *v, u32 sbdf, u32 offset, u32 width, u32 val)
{
	struct vpci_dev *d = find(v, sbdf);
	bool ok = false;

	if (d && access_ok(offset, width)) {
		u32 dw = offset & ~3u, shift = 8 * (offset & 3);
		u32 bmask = ones(width) << shift;
		val = (val << shift) & bmask;
		if ((dw >= PCI_BAR0 && dw < PCI_BAR_TYPE0_END) || dw == PCI_ROM_BAR)
			ok = bar_write(d, dw, bmask, val);
		else if (dw == PCI_COMMAND)
			ok = command_write(d, bmask, val);
		else if (d->msi.cap && dw >= d->msi.cap && dw < d->msi.cap + vpci_msi_size(d->msi.real_ctrl)) {
			vpci_msi_write(v, d, dw, bmask, val);
			ok = true;
		} else if (d->msix.cap && dw >= d->msix.cap && dw < d->msix.cap + 12u) {
			vpci_msix_write(v, d, dw, bmask, val);
			ok = true;
		}
	}
	if (!ok)
		v->denied_writes++;
}

int vpci_place(struct vpci *v, u32 sbdf, u32 guest_sbdf)
{
	struct vpci_dev *d = find(v, sbdf);

	if (!d)
		return -HV_ENOENT;
	for (u32 i = 0; i < v->nr; i++)
		if (&v->dev[i] != d && v->dev[i].guest_sbdf == guest_sbdf)
			return -HV_EEXIST;
	d->guest_sbdf = guest_sbdf;
	return 0;
}

/* The function the guest addresses at gsbdf: its real address, or one that matches no function (all-ones). */
static u32 real_of(const struct vpci *v, u32 gsbdf)
{
	for (u32 i = 0; i < v->nr; i++)
		if (v->dev[i].guest_sbdf == gsbdf)
			return v->dev[i].sbdf;
	return ~0u;
}

/* CONFIG_DATA at 0xCFC-0xCFF: the latched function and register plus the byte lane. */
static bool data_port(const struct vpci *v, u16 port, u32 size, u32 *sbdf, u32 *off)
{
	if (!(v->cf8 & CF8_ENABLE) || (port & 3) + size > 4)
		return false;
	*sbdf = real_of(v, PCI_SBDF(0, FIELD_GET(CF8_BUS, v->cf8), 0, 0) | (u32)FIELD_GET(CF8_DEVFN, v->cf8));
	*off = (u32)FIELD_GET(CF8_REG, v->cf8) * 4 + (port & 3);
	return true;
}

static bool port_size_ok(u16 port, u32 size)
{
	if (port == CF8_PORT)
		return size == 4;
	return port >= CFC_PORT && port <= CFC_PORT + 3 && (size == 1 || size == 2 || size == 4);
}

bool vpci_port_in(struct vpci *v, u16 port, u32 size, u32 *val)
{
	u32 sbdf, off;

	if (!port_size_ok(port, size))
		return false;
	if (port == CF8_PORT)
		*val = v->cf8;
	else if (data_port(v, port, size, &sbdf, &off))
		*val = vpci_read(v, sbdf, off, size);
	else
		*val = ones(size);
	return true;
}

bool vpci_port_out(struct vpci *v, u16 port, u32 size, u32 val)
{
	u32 sbdf, off;

	if (!port_size_ok(port, size))
		return false;
	if (port == CF8_PORT)
		v->cf8 = val;
	else if (data_port(v, port, size, &sbdf, &off))
		vpci_write(v, sbdf, off, size, val);
	else
		v->denied_writes++;
	return true;
}

static bool ecam_decode(const struct vpci *v, u64 gpa, u32 *sbdf, u32 *off)
{
	if (gpa < v->ecam_gpa || gpa - v->ecam_gpa >= ((u64)v->bus_end + 1) << 20)
		return false;
	u64 rel = gpa - v->ecam_gpa;
	*sbdf = real_of(v, PCI_SBDF(0, FIELD_GET(ECAM_BUS, rel), 0, 0) | (u32)FIELD_GET(ECAM_DEVFN, rel));
	*off = (u32)FIELD_GET(ECAM_REG, rel);
	return true;
}

bool vpci_ecam_read(struct vpci *v, u64 gpa, u32 size, u32 *val)
{
	u32 sbdf, off;

	if (!ecam_decode(v, gpa, &sbdf, &off))
		return false;
	*val = vpci_read(v, sbdf, off, size);
	return true;
}

bool vpci_ecam_write(struct vpci *v, u64 gpa, u32 size, u32 val)
{
	u32 sbdf, off;

	if (!ecam_decode(v, gpa, &sbdf, &off))
		return false;
	vpci_write(v, sbdf, off, size, val);
	return true;
}
