/*
 * A guest's MSI-X capability and table (PCIe Base §7.7.2 "MSI-X
 * Capability and Table Structure"). The capability's Enable and Function
 * Mask are a shadow; the table's pages are not mapped for the guest (the
 * partition traps them, vpci_msix_trap) and every access lands here: the
 * guest's entries are a shadow, and the device's entries hold what Sluice
 * programmed. An entry whose message Sluice honours (the 0xFEEx_xxxx
 * window, fixed, edge, vector 16-255) while MSI-X is enabled gets a host
 * vector and an interrupt remapping entry through vpci_irq_ops, and the
 * device's entry the remappable-format message; it stays masked in the
 * device while the guest masks it (or the whole function), so the device
 * keeps its Pending Bit, which the guest reads from the device. Other
 * registers sharing the table's page are passed through in 32- and 64-bit
 * accesses (narrower writes to them are dropped and counted).
 */
#define LOG_SUBSYS "vpci"
#include "vm/dev/vpci.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/hw/io.h"
#include "kernel/hw/pci_cfg.h"
#include "pci/pci.h"

/* §7.7.2.2 Message Control, §7.7.2.3-4 Table and PBA Offset/BIR. */
#define MSIX_CTRL               2
#define  MSIX_CTRL_SIZE         GENMASK_ULL(10, 0)      /* Table Size - 1 (RO) */
#define  MSIX_CTRL_FMASK        BIT_ULL(14)             /* Function Mask */
#define  MSIX_CTRL_EN           BIT_ULL(15)             /* MSI-X Enable */
#define MSIX_TABLE              4
#define MSIX_PBA                8
#define  MSIX_BIR               GENMASK_ULL(2, 0)
#define  MSIX_OFFSET            GENMASK_ULL(31, 3)
/* §7.7.2.5-8: one table entry. */
#define MSIX_ENTRY_SIZE         16
#define MSIX_E_ADDR_LO          0
#define MSIX_E_ADDR_HI          4
#define MSIX_E_DATA             8
#define MSIX_E_CTRL             12
#define  MSIX_E_MASK            BIT_ULL(0)
/* Intel SDM Vol. 3A 11.11.1-11.11.2: a message Sluice honours. */
#define MSG_WINDOW              GENMASK_ULL(31, 20)
#define MSG_DATA_VECTOR         GENMASK_ULL(7, 0)
#define MSG_DATA_DM             GENMASK_ULL(10, 8)
#define MSG_DATA_TM             BIT_ULL(15)

void vpci_msix_locate(struct vpci_dev *d, u16 cap, u64 (*bar_addr)(const struct vpci_dev *d, u32 bir))
{
	struct vpci_msix *x = &d->msix;
	u32 ctrl = pci_cfg_read(d->sbdf, (u16)(cap + MSIX_CTRL), 2);
	u32 t = pci_cfg_read(d->sbdf, (u16)(cap + MSIX_TABLE), 4);

	x->cap = cap;
	x->real_nr = (u16)(FIELD_GET(MSIX_CTRL_SIZE, ctrl) + 1);
	x->nr = (u16)MIN(x->real_nr, VPCI_MSIX_MAX);
	x->table_gpa = bar_addr(d, (u32)FIELD_GET(MSIX_BIR, t)) + (t & MSIX_OFFSET);
	x->page_gpa = ALIGN_DOWN(x->table_gpa, PAGE_SIZE);
	x->page_size = ALIGN_UP(x->table_gpa + (u64)x->nr * MSIX_ENTRY_SIZE, PAGE_SIZE) - x->page_gpa;
	for (u32 i = 0; i < x->nr; i++)
		x->e[i].ctrl = MSIX_E_MASK;     /* §7.7.2.8: every entry masked after reset */
}

u32 vpci_msix_read(const struct vpci_dev *d, u32 dw)
{
	const struct vpci_msix *x = &d->msix;
	u32 real = pci_cfg_read(d->sbdf, (u16)dw, 4);

	if (dw != x->cap)
		return real;            /* Table and PBA Offset/BIR: the device's */
	u32 ctrl = (u32)FIELD_PREP(MSIX_CTRL_SIZE, x->nr - 1) | (x->ctrl & (MSIX_CTRL_EN | MSIX_CTRL_FMASK));
	return (real & 0xffff) | ctrl << 16;
}

static u32 real_off(const struct vpci_msix *x, u32 i, u32 reg)
{
	return (u32)(x->table_gpa - x->page_gpa) + i * MSIX_ENTRY_SIZE + reg;
}

static const char *msg_refusal(const struct vpci_msix_entry *e)
{
	if (e->addr_hi || FIELD_GET(MSG_WINDOW, e->addr_lo) != 0xfee)
		return "address outside 0xFEEx_xxxx";
	if (FIELD_GET(MSG_DATA_DM, e->data) || (e->data & MSG_DATA_TM))
		return "not a fixed, edge-triggered interrupt";
	if (FIELD_GET(MSG_DATA_VECTOR, e->data) < 16)
		return "vector 0-15 (reserved)";
	return NULL;
}

static void real_mask(const struct vpci_msix *x, u32 i, bool masked)
{
	io_write32(x->real, real_off(x, i, MSIX_E_CTRL), masked ? MSIX_E_MASK : 0);
}

/* Entry i of the device follows the guest's: programmed while enabled with a message Sluice honours, unmasked while the guest's is. */
static void entry_sync(struct vpci *v, struct vpci_dev *d, u32 i)
{
	struct vpci_msix *x = &d->msix;
	struct vpci_msix_entry *e = &x->e[i];
	bool en = x->ctrl & MSIX_CTRL_EN;
	bool unmasked = en && !(x->ctrl & MSIX_CTRL_FMASK) && !(e->ctrl & MSIX_E_MASK);
	const char *why = msg_refusal(e);
	u8 gvec = (u8)FIELD_GET(MSG_DATA_VECTOR, e->data);

	if (!x->real)
		return;         /* the partition has not trapped the table: nothing reaches the device */
	if (e->live && (!en || why || gvec != e->gvec)) {
		real_mask(x, i, true);
		v->irq->disable(v->irq_ctx, d->sbdf, e->cookie);
		e->live = false;
	}
	if (en && !why && !e->live) {
		u64 addr;
		u32 data;
		int ret = v->irq->enable(v->irq_ctx, d->sbdf, gvec, &addr, &data, &e->cookie);
		if (ret) {
			x->refused++;
			log_warn(BDF_FMT ": guest MSI-X entry %u vector 0x%02x: no interrupt remapping entry (%s); it stays masked",
				 BDF_ARGS(d->sbdf), i, gvec, hv_strerror(ret));
			return;
		}
		io_write32(x->real, real_off(x, i, MSIX_E_ADDR_LO), (u32)addr);
		io_write32(x->real, real_off(x, i, MSIX_E_ADDR_HI), (u32)(addr >> 32));
		io_write32(x->real, real_off(x, i, MSIX_E_DATA), data);
		e->live = true;
		e->gvec = gvec;
	} else if (en && why && unmasked && !e->refused_told) {
		x->refused++;
		e->refused_told = true;
		log_warn(BDF_FMT ": guest MSI-X entry %u unmasked with address 0x%08x data 0x%08x (%s); it stays masked",
			 BDF_ARGS(d->sbdf), i, e->addr_lo, e->data, why);
	}
	if (e->live)
		real_mask(x, i, !unmasked);
}

void vpci_msix_write(struct vpci *v, struct vpci_dev *d, u32 dw, u32 bmask, u32 val)
{
	struct vpci_msix *x = &d->msix;

	if (dw != x->cap || !(bmask >> 16)) {
		v->denied_writes++;
		return;
	}
	u16 was = x->ctrl;
	x->ctrl = (u16)(((vpci_msix_read(d, dw) & ~bmask) | (val & bmask)) >> 16) & (MSIX_CTRL_EN | MSIX_CTRL_FMASK);
	if ((x->ctrl & MSIX_CTRL_EN) && !(was & MSIX_CTRL_EN) && x->real) {
		/* Every entry of the device masked before it may send anything. */
		for (u32 i = 0; i < x->real_nr && real_off(x, i, 0) < x->page_size; i++)
			real_mask(x, i, true);
		pci_cfg_write(d->sbdf, (u16)(x->cap + MSIX_CTRL), 2, MSIX_CTRL_EN);
	}
	for (u32 i = 0; i < x->nr; i++)
		entry_sync(v, d, i);
	if (!(x->ctrl & MSIX_CTRL_EN) && (was & MSIX_CTRL_EN))
		pci_cfg_write(d->sbdf, (u16)(x->cap + MSIX_CTRL), 2, 0);
}

/* The index of the function whose trapped MSI-X page holds [gpa, gpa+size), or -1. */
static int trap_index(const struct vpci *v, u64 gpa, u32 size)
{
	for (u32 i = 0; i < v->nr; i++) {
		const struct vpci_msix *x = &v->dev[i].msix;
		if (x->cap && x->real && gpa >= x->page_gpa && gpa + size <= x->page_gpa + x->page_size)
			return (int)i;
	}
	return -1;
}

static struct vpci_dev *trap_dev(struct vpci *v, u64 gpa, u32 size)
{
	int i = trap_index(v, gpa, size);
	return i < 0 ? NULL : &v->dev[i];
}

bool vpci_msix_trapped(const struct vpci *v, u64 gpa)
{
	return trap_index(v, gpa, 1) >= 0;
}

/* The entry and register of a table access at gpa, or false (elsewhere on the page). */
static bool table_at(const struct vpci_msix *x, u64 gpa, u32 *i, u32 *reg)
{
	if (gpa < x->table_gpa || gpa >= x->table_gpa + (u64)x->nr * MSIX_ENTRY_SIZE)
		return false;
	*i = (u32)((gpa - x->table_gpa) / MSIX_ENTRY_SIZE);
	*reg = (u32)((gpa - x->table_gpa) % MSIX_ENTRY_SIZE);
	return true;
}

static u32 *entry_word(struct vpci_msix_entry *e, u32 reg)
{
	return reg < 4 ? &e->addr_lo : reg < 8 ? &e->addr_hi : reg < 12 ? &e->data : &e->ctrl;
}

bool vpci_msix_mmio_read(struct vpci *v, u64 gpa, u32 size, u64 *val)
{
	struct vpci_dev *d = trap_dev(v, gpa, size);
	u32 i, reg;

	if (!d)
		return false;
	struct vpci_msix *x = &d->msix;
	*val = 0;
	if (table_at(x, gpa, &i, &reg)) {
		/* §7.7.2: aligned dword or qword accesses; a qword covers two registers. */
		u64 w = *entry_word(&x->e[i], reg & ~3u);
		if (size == 8 && (reg & 4) == 0)
			w |= (u64)*entry_word(&x->e[i], reg + 4) << 32;
		*val = w >> (8 * (reg & 3));
		if (size < 8)
			*val &= size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1;
		return true;
	}
	u32 off = (u32)(gpa - x->page_gpa);
	*val = size == 8 ? io_read64(x->real, off) : io_read32(x->real, off & ~3u) >> (8 * (off & 3));
	if (size < 4)
		*val &= (1ULL << (8 * size)) - 1;
	return true;
}

bool vpci_msix_mmio_write(struct vpci *v, u64 gpa, u32 size, u64 val)
{
	struct vpci_dev *d = trap_dev(v, gpa, size);
	u32 i, reg;

	if (!d)
		return false;
	struct vpci_msix *x = &d->msix;
	if (table_at(x, gpa, &i, &reg)) {
		struct vpci_msix_entry *e = &x->e[i];
		for (u32 k = 0; k < size; k += 4) {
			u32 *w = entry_word(e, (reg + k) & ~3u), sh = 8 * ((reg + k) & 3);
			u32 m = (size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1) << sh;
			*w = (*w & ~m) | ((u32)(val >> (8 * k)) << sh & m);
		}
		e->ctrl &= MSIX_E_MASK;         /* the rest of Vector Control is reserved */
		e->refused_told = false;
		entry_sync(v, d, i);
		return true;
	}
	u32 off = (u32)(gpa - x->page_gpa);
	if (size == 8)
		io_write64(x->real, off, val);
	else if (size == 4)
		io_write32(x->real, off, (u32)val);
	else
		v->denied_writes++;     /* no narrower door: dropped, counted */
	return true;
}

void vpci_msix_off(struct vpci *v)
{
	for (u32 k = 0; k < v->nr; k++) {
		struct vpci_dev *d = &v->dev[k];
		if (!d->msix.cap || !(d->msix.ctrl & MSIX_CTRL_EN))
			continue;
		d->msix.ctrl = 0;
		pci_cfg_write(d->sbdf, (u16)(d->msix.cap + MSIX_CTRL), 2, 0);
		for (u32 i = 0; i < d->msix.nr; i++)
			entry_sync(v, d, i);
	}
}
