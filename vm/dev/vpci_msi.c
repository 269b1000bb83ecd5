/*
 * A guest's MSI capability (PCI Local Bus 3.0 §6.8.1 "MSI Capability
 * Structure"; PCIe Base §7.7.1): the guest reads and writes a shadow, and
 * never the device's registers as written. When the guest enables MSI
 * with a message Sluice can honour (the 0xFEEx_xxxx window, fixed delivery,
 * edge, a vector 16-255), the partition's vpci_irq_ops give it a host
 * vector and an interrupt remapping entry, and the device is programmed
 * with the remappable-format message they return; the guest's vector is
 * what the partition receives. The guest's destination ID is not used:
 * its interrupts go to the partition's first CPU. One vector per function:
 * Multiple Message Capable reads 0, so guests leave MME at 0.
 */
#define LOG_SUBSYS "vpci"
#include "vm/dev/vpci.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/hw/pci_cfg.h"
#include "pci/pci.h"

/* §6.8.1.3 Message Control. */
#define MSI_CTRL_EN             BIT_ULL(0)      /* MSI Enable */
#define MSI_CTRL_MMC            GENMASK_ULL(3, 1)       /* Multiple Message Capable (RO) */
#define MSI_CTRL_MME            GENMASK_ULL(6, 4)       /* Multiple Message Enable */
#define MSI_CTRL_64             BIT_ULL(7)      /* 64 bit address capable (RO) */
#define MSI_CTRL_PVM            BIT_ULL(8)      /* Per-vector masking capable (RO) */
/* §6.8.1.4-6.8.1.8: register offsets from the capability. */
#define MSI_ADDR_LO             0x4
#define MSI_ADDR_HI             0x8             /* 64-bit only */
#define MSI_DATA(c)             ((c) & MSI_CTRL_64 ? 0xcu : 0x8u)
#define MSI_MASK(c)             ((c) & MSI_CTRL_64 ? 0x10u : 0xcu)
#define MSI_PENDING(c)          ((c) & MSI_CTRL_64 ? 0x14u : 0x10u)
/* Intel SDM Vol. 3A 11.11.1-11.11.2: the message a guest writes (compatibility format). */
#define MSI_ADDR_WINDOW         GENMASK_ULL(31, 20)
#define  MSI_ADDR_WINDOW_VAL    0xfeeu
#define MSI_DATA_VECTOR         GENMASK_ULL(7, 0)
#define MSI_DATA_DM             GENMASK_ULL(10, 8)      /* delivery mode: 000 fixed */
#define MSI_DATA_TM             BIT_ULL(15)             /* trigger mode: 1 level */

u32 vpci_msi_size(u16 real_ctrl)
{
	return MSI_DATA(real_ctrl) + 4 + (real_ctrl & MSI_CTRL_PVM ? 8 : 0);
}

u32 vpci_msi_read(const struct vpci_dev *d, u32 dw)
{
	const struct vpci_msi *m = &d->msi;
	u32 off = dw - m->cap;

	if (off == 0) {
		u32 ctrl = (m->real_ctrl & (MSI_CTRL_64 | MSI_CTRL_PVM)) | (m->ctrl & MSI_CTRL_EN);
		return PCI_CAP_ID_MSI | ctrl << 16;
	}
	if (off == MSI_ADDR_LO)
		return m->addr_lo;
	if (off == MSI_ADDR_HI && (m->real_ctrl & MSI_CTRL_64))
		return m->addr_hi;
	if (off == MSI_DATA(m->real_ctrl))
		return m->data;
	if (off == MSI_MASK(m->real_ctrl))
		return m->mask;
	if (off == MSI_PENDING(m->real_ctrl))
		return pci_cfg_read(d->sbdf, (u16)dw, 4) & 1;  /* the device's, for its one vector */
	return 0;
}

/* The reason the guest's message cannot be honoured, or NULL. */
static const char *msg_refusal(const struct vpci_msi *m)
{
	if (m->addr_hi || FIELD_GET(MSI_ADDR_WINDOW, m->addr_lo) != MSI_ADDR_WINDOW_VAL)
		return "address outside 0xFEEx_xxxx";
	if (FIELD_GET(MSI_DATA_DM, m->data) || (m->data & MSI_DATA_TM))
		return "not a fixed, edge-triggered interrupt";
	if (FIELD_GET(MSI_DATA_VECTOR, m->data) < 16)
		return "vector 0-15 (reserved)";
	return NULL;
}

static void real_ctrl_write(const struct vpci_dev *d, bool en)
{
	u16 c = (u16)(d->msi.real_ctrl & ~(MSI_CTRL_EN | MSI_CTRL_MME));
	pci_cfg_write(d->sbdf, (u16)(d->msi.cap + 2), 2, c | (en ? MSI_CTRL_EN : 0));
}

/* Vector 0's mask bit as the guest set it; the others stay masked (never enabled). */
static void real_mask_write(const struct vpci_dev *d)
{
	if (d->msi.real_ctrl & MSI_CTRL_PVM)
		pci_cfg_write(d->sbdf, (u16)(d->msi.cap + MSI_MASK(d->msi.real_ctrl)), 4, ~1u | (d->msi.mask & 1));
}

static void msi_stop(struct vpci *v, struct vpci_dev *d)
{
	if (!d->msi.live)
		return;
	real_ctrl_write(d, false);
	v->irq->disable(v->irq_ctx, d->sbdf, d->msi.cookie);
	d->msi.live = false;
}

/* Makes the device follow the shadow: programmed while the guest's MSI is on with a message Sluice honours. */
static void msi_sync(struct vpci *v, struct vpci_dev *d)
{
	struct vpci_msi *m = &d->msi;
	bool on = m->ctrl & MSI_CTRL_EN;
	const char *why = on ? msg_refusal(m) : NULL;
	u8 gvec = (u8)FIELD_GET(MSI_DATA_VECTOR, m->data);

	if (m->live && (!on || why || gvec != m->gvec))
		msi_stop(v, d);
	if (!on || m->live)
		return;
	if (why) {
		m->refused++;
		log_warn(BDF_FMT ": guest MSI enable refused (address 0x%08x data 0x%04x: %s); it stays off",
			 BDF_ARGS(d->sbdf), m->addr_lo, m->data, why);
		return;
	}
	u64 addr;
	u32 data, cookie;
	int ret = v->irq->enable(v->irq_ctx, d->sbdf, gvec, &addr, &data, &cookie);
	if (ret) {
		m->refused++;
		log_warn(BDF_FMT ": guest MSI vector 0x%02x: no interrupt remapping entry (%s); it stays off",
			 BDF_ARGS(d->sbdf), gvec, hv_strerror(ret));
		return;
	}
	pci_cfg_write(d->sbdf, (u16)(m->cap + MSI_ADDR_LO), 4, (u32)addr);
	if (m->real_ctrl & MSI_CTRL_64)
		pci_cfg_write(d->sbdf, (u16)(m->cap + MSI_ADDR_HI), 4, (u32)(addr >> 32));
	pci_cfg_write(d->sbdf, (u16)(m->cap + MSI_DATA(m->real_ctrl)), 2, data & 0xffff);
	real_mask_write(d);
	real_ctrl_write(d, true);
	m->live = true;
	m->gvec = gvec;
	m->cookie = cookie;
}

void vpci_msi_write(struct vpci *v, struct vpci_dev *d, u32 dw, u32 bmask, u32 val)
{
	struct vpci_msi *m = &d->msi;
	u32 off = dw - m->cap;
	u32 now = (vpci_msi_read(d, dw) & ~bmask) | (val & bmask);

	if (off == 0 && (bmask >> 16))
		m->ctrl = (u16)((now >> 16) & MSI_CTRL_EN);
	else if (off == MSI_ADDR_LO)
		m->addr_lo = now & ~3u;
	else if (off == MSI_ADDR_HI && (m->real_ctrl & MSI_CTRL_64))
		m->addr_hi = now;
	else if (off == MSI_DATA(m->real_ctrl))
		m->data = (u16)now;
	else if (off == MSI_MASK(m->real_ctrl) && (m->real_ctrl & MSI_CTRL_PVM)) {
		m->mask = now & 1;
		if (m->live)
			real_mask_write(d);
		return;
	} else {
		v->denied_writes++;
		return;
	}
	msi_sync(v, d);
}

void vpci_msi_off(struct vpci *v)
{
	for (u32 i = 0; i < v->nr; i++)
		msi_stop(v, &v->dev[i]);
}
