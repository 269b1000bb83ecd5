/*
 * Capability lists (PCIe Base 6.3 §7.5.1.1.11 legacy list from 34h,
 * §7.6.3 extended list from 100h). Lists come from devices and firmware:
 * every pointer is checked (range, alignment, loops, entry count) before it
 * is followed, and a bad one cuts the list with one WARN. Reads only the
 * registers the device model records; enables nothing.
 */
#define LOG_SUBSYS "pci"
#include "kernel/log.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "pci/pci_hw.h"
#include "pci/pcie_hw.h"
#include "pci/ats_hw.h"
#include "pci/sriov_hw.h"
#include "pci/pci_internal.h"

#define LEGACY_MAX_CAPS ((PCI_CFG_LEGACY_SIZE - PCI_CAP_MIN_OFF) / 4)
#define EXT_MAX_CAPS    ((PCI_CFG_EXT_SIZE - PCI_ECAP_START) / 4)

/* Bytes a capability must have for the registers read from it here. */
static const struct { bool ext; u16 id; u16 size; } cap_sizes[] = {
	{ false, PCI_CAP_ID_EXP, PCIE_CAPS + 2 },       /* Device Control 2 is checked apart */
	{ true, PCI_ECAP_ID_ACS, ACS_SIZE },
	{ true, PCI_ECAP_ID_ARI, ARI_SIZE },
	{ true, PCI_ECAP_ID_ATS, ATS_CTRL + 2 },
	{ true, PCI_ECAP_ID_SRIOV, SRIOV_SIZE },
};

/* One walk over one list; the cursor is validated before it is followed. */
struct cap_walk {
	u32 sbdf;
	bool ext;
	u16 pos;                /* next entry to visit, 0: end */
	u16 from;               /* where pos was read: 34h, 100h's caller, or an entry */
	u16 cur;                /* entry walk_next() returned */
	u32 count;
	u8 seen[PCI_CFG_EXT_SIZE / 4 / 8];
	char why[80];           /* why the list was cut; "" when it simply ended */
};

static void walk_start(struct cap_walk *w, u32 sbdf, bool ext)
{
	memset(w, 0, sizeof(*w));
	w->sbdf = sbdf;
	w->ext = ext;
	if (ext) {
		u32 hdr;
		/* Conventional functions and the 0xCF8 path have no extended space. */
		if (pci_cfg_size(sbdf) < PCI_CFG_EXT_SIZE)
			return;
		hdr = pci_cfg_read(sbdf, PCI_ECAP_START, 4);
		if (hdr == 0 || hdr == ~0u)
			return;
		w->pos = PCI_ECAP_START;
		w->from = 0;
	} else {
		if (!(pci_cfg_read(sbdf, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
			return;
		w->pos = (u16)pci_cfg_read(sbdf, PCI_CAP_PTR, 1);
		w->from = PCI_CAP_PTR;
	}
}

static bool cut(struct cap_walk *w, const char *fmt, ...) __printf(2, 3);
static bool cut(struct cap_walk *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	w->pos = 0;
	return false;
}

static u16 needed_size(bool ext, u16 id)
{
	for (size_t i = 0; i < ARRAY_SIZE(cap_sizes); i++)
		if (cap_sizes[i].ext == ext && cap_sizes[i].id == id)
			return cap_sizes[i].size;
	return ext ? 4 : 2;
}

/*
 * Moves to the next entry: returns true with its ID in *id and offset in
 * w->cur, or false at the end of the list or when it had to be cut
 * (w->why says why).
 */
static bool walk_next(struct cap_walk *w, u16 *id)
{
	u16 p = w->pos, min = w->ext ? PCI_ECAP_START : PCI_CAP_MIN_OFF;
	u32 limit = w->ext ? PCI_CFG_EXT_SIZE : PCI_CFG_LEGACY_SIZE;
	u32 max = w->ext ? EXT_MAX_CAPS : LEGACY_MAX_CAPS;
	u16 next;

	if (!p)
		return false;
	if (p < min)
		return cut(w, "pointer 0x%02x at 0x%02x is below 0x%02x", p, w->from, min);
	if (p & 3)
		return cut(w, "pointer 0x%02x at 0x%02x is not dword aligned", p, w->from);
	if (w->seen[p / 4 / 8] & (1u << (p / 4 % 8)))
		return cut(w, "pointer 0x%02x at 0x%02x loops back", p, w->from);
	if (w->count >= max)
		return cut(w, "more than %u entries", max);
	w->seen[p / 4 / 8] |= (u8)(1u << (p / 4 % 8));
	w->count++;

	if (w->ext) {
		u32 hdr = pci_cfg_read(w->sbdf, p, 4);
		if (hdr == 0 || hdr == ~0u)
			return cut(w, "entry at 0x%03x reads 0x%08x", p, hdr);
		*id = (u16)FIELD_GET(PCI_ECAP_HDR_ID, hdr);
		next = (u16)FIELD_GET(PCI_ECAP_HDR_NEXT, hdr);
	} else {
		u16 hdr = (u16)pci_cfg_read(w->sbdf, p, 2);
		if ((hdr & 0xff) == 0xff)
			return cut(w, "entry at 0x%02x reads ID 0xff", p);
		*id = hdr & 0xff;
		next = hdr >> 8;
	}
	if (p + needed_size(w->ext, *id) > limit)
		return cut(w, "capability 0x%02x at 0x%02x runs past the end of the %u-byte space",
			   *id, p, limit);
	w->cur = p;
	w->from = p;
	w->pos = next;
	return true;
}

static u16 find(u32 sbdf, bool ext, u16 want)
{
	struct cap_walk w;
	u16 id;

	walk_start(&w, sbdf, ext);
	while (walk_next(&w, &id))
		if (id == want)
			return w.cur;
	return 0;
}

u16 pci_cap_find(u32 sbdf, u8 id) { return find(sbdf, false, id); }
u16 pci_ecap_find(u32 sbdf, u16 id) { return find(sbdf, true, id); }

int pci_pcie_type(const struct pci_dev *d)
{
	if (!d->cap_pcie)
		return -1;
	return (int)FIELD_GET(PCIE_CAPS_TYPE, pci_cfg_read(d->sbdf, d->cap_pcie + PCIE_CAPS, 2));
}

static void set_first(u16 *field, u16 off)
{
	if (!*field)
		*field = off;
}

static void record_legacy(struct pci_dev *d, u8 id, u16 off)
{
	if (d->nr_cap_ids < PCI_MAX_CAP_IDS)
		d->cap_ids[d->nr_cap_ids++] = id;
	switch (id) {
	case PCI_CAP_ID_PM: set_first(&d->cap_pm, off); break;
	case PCI_CAP_ID_MSI: set_first(&d->cap_msi, off); break;
	case PCI_CAP_ID_MSIX: set_first(&d->cap_msix, off); break;
	case PCI_CAP_ID_EXP: set_first(&d->cap_pcie, off); break;
	}
}

static void record_ext(struct pci_dev *d, u16 id, u16 off)
{
	u32 s = d->sbdf;

	if (d->nr_ecap_ids < PCI_MAX_CAP_IDS)
		d->ecap_ids[d->nr_ecap_ids++] = id;
	switch (id) {
	case PCI_ECAP_ID_AER: set_first(&d->ecap_aer, off); break;
	case PCI_ECAP_ID_ARI: set_first(&d->ecap_ari, off); break;
	case PCI_ECAP_ID_PRI: set_first(&d->ecap_pri, off); break;
	case PCI_ECAP_ID_PASID: set_first(&d->ecap_pasid, off); break;
	case PCI_ECAP_ID_ACS:
		if (d->ecap_acs)
			break;
		d->ecap_acs = off;
		d->acs_cap = (u16)pci_cfg_read(s, off + ACS_CAP, 2);
		d->acs_ctrl = (u16)pci_cfg_read(s, off + ACS_CTRL, 2);
		break;
	case PCI_ECAP_ID_ATS:
		if (d->ecap_ats)
			break;
		d->ecap_ats = off;
		u16 cap = (u16)pci_cfg_read(s, off + ATS_CAP, 2);
		d->ats_qdepth = (u8)FIELD_GET(ATS_CAP_QDEPTH, cap);
		d->ats_page_aligned = cap & ATS_CAP_PAGE_ALIGNED;
		break;
	case PCI_ECAP_ID_SRIOV:
		/* Only what the log line shows; pci/pci_sriov.c reads the rest. */
		if (d->ecap_sriov)
			break;
		d->ecap_sriov = off;
		d->sriov.cap = off;
		d->sriov.total_vfs = (u16)pci_cfg_read(s, off + SRIOV_TOTAL_VFS, 2);
		d->sriov.offset = (u16)pci_cfg_read(s, off + SRIOV_VF_OFFSET, 2);
		d->sriov.stride = (u16)pci_cfg_read(s, off + SRIOV_VF_STRIDE, 2);
		break;
	}
}

static void walk_log_cut(struct pci_dev *d, const struct cap_walk *w)
{
	if (!w->why[0])
		return;
	d->caps_broken = true;
	log_warn(SBDF_FMT ": %s capability list cut: %s",
		 SBDF_ARGS(d->sbdf),
		 w->ext ? "extended" : "legacy", w->why);
}

void pci_caps_read(struct pci_dev *d)
{
	struct cap_walk w;
	u16 id;

	d->cap_pm = d->cap_msi = d->cap_msix = d->cap_pcie = 0;
	d->ecap_aer = d->ecap_acs = d->ecap_ari = d->ecap_ats = 0;
	d->ecap_sriov = d->ecap_pri = d->ecap_pasid = 0;
	d->nr_cap_ids = d->nr_ecap_ids = 0;
	d->caps_broken = false;
	d->acs_cap = d->acs_ctrl = 0;
	d->ats_qdepth = 0;
	d->ats_page_aligned = false;
	d->ari_forwarding = false;

	walk_start(&w, d->sbdf, false);
	while (walk_next(&w, &id))
		record_legacy(d, (u8)id, w.cur);
	walk_log_cut(d, &w);

	walk_start(&w, d->sbdf, true);
	while (walk_next(&w, &id))
		record_ext(d, id, w.cur);
	walk_log_cut(d, &w);

	/* Device Control 2 exists from capability version 2, in 3Ch bytes. */
	int type = pci_pcie_type(d);
	if ((type == PCIE_TYPE_ROOT_PORT || type == PCIE_TYPE_DOWNSTREAM) &&
	    FIELD_GET(PCIE_CAPS_VER, pci_cfg_read(d->sbdf, d->cap_pcie + PCIE_CAPS, 2)) >= 2 &&
	    d->cap_pcie + PCIE_CAP_SIZE_V2 <= PCI_CFG_LEGACY_SIZE)
		d->ari_forwarding = pci_cfg_read(d->sbdf, d->cap_pcie + PCIE_DEVCTL2, 2) & PCIE_DEVCTL2_ARI_FWD;
}
