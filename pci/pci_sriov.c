/*
 * SR-IOV, PF side (PCIe Base 6.3 §9.3.3): enable VFs (ARI Capable
 * Hierarchy, System Page Size, NumVFs, then offset and stride), check each
 * VF's routing ID against the bus range below the parent bridge, size and
 * place the VF BARs (pci/pci_space.c grows or moves bridge windows when
 * firmware left no room), wait the spec's 100 ms, and add every VF to the
 * device table; disable them again. Command registers are left alone: the
 * PF's does not govern VF BARs (VF Memory Space Enable does), and a VF's
 * own (Bus Master Enable; Memory Space Enable, hardwired 0 on real VFs but
 * what QEMU 10 maps VF BARs by) is for whoever is given the VF.
 * Not done: VF migration.
 */
#define LOG_SUBSYS "pci"
#include "pci/pci.h"
#include "pci/pci_internal.h"
#include "pci/pci_hw.h"
#include "pci/pci_space.h"
#include "pci/sriov_hw.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/wait.h"


static u16 rd16(const struct pci_dev *d, u16 off) { return (u16)pci_cfg_read(d->sbdf, off, 2); }
static u32 rd32(const struct pci_dev *d, u16 off) { return pci_cfg_read(d->sbdf, off, 4); }
static void wr16(const struct pci_dev *d, u16 off, u16 v) { pci_cfg_write(d->sbdf, off, 2, v); }
static void wr32(const struct pci_dev *d, u16 off, u32 v) { pci_cfg_write(d->sbdf, off, 4, v); }

/* What sriov_vf_enable() changes before VF Enable, to put back on failure. */
struct sriov_saved {
	u16 ctrl, num_vfs;
	u32 page_size;
	u32 vf_bar[SRIOV_NR_VF_BARS];
};

static void save(const struct pci_dev *pf, struct sriov_saved *sv)
{
	u16 cap = pf->sriov.cap;

	sv->ctrl = rd16(pf, cap + SRIOV_CTRL);
	sv->num_vfs = rd16(pf, cap + SRIOV_NUM_VFS);
	sv->page_size = rd32(pf, cap + SRIOV_SYS_PGSIZE);
	for (u32 i = 0; i < SRIOV_NR_VF_BARS; i++)
		sv->vf_bar[i] = rd32(pf, (u16)(cap + SRIOV_VF_BAR(i)));
}

/* Puts the capability back as save() found it; VF Enable is clear throughout. */
static void restore(const struct pci_dev *pf, const struct sriov_saved *sv)
{
	u16 cap = pf->sriov.cap;

	wr16(pf, cap + SRIOV_CTRL, (u16)(sv->ctrl & ~(SRIOV_CTRL_VFE | SRIOV_CTRL_VF_MSE)));
	wr16(pf, cap + SRIOV_NUM_VFS, sv->num_vfs);
	wr32(pf, cap + SRIOV_SYS_PGSIZE, sv->page_size);
	for (u32 i = 0; i < SRIOV_NR_VF_BARS; i++)
		wr32(pf, (u16)(cap + SRIOV_VF_BAR(i)), sv->vf_bar[i]);
	wr16(pf, cap + SRIOV_CTRL, sv->ctrl);
}

/*
 * Checks that every VF's routing ID lies on a bus below the PF's parent
 * bridge (secondary..subordinate), or in the host bridge's range on a root
 * bus, and is not taken by a function the scan found. Logs one ERR.
 */
static int vf_rids_check(const struct pci_dev *pf, u16 n, u16 offset, u16 stride)
{
	u32 s = pf->sbdf;
	u8 lo, hi;

	if (pf->parent) {
		lo = pf->parent->sec_bus;
		hi = pf->parent->sub_bus;
	} else if (pci_host_bridge_range(PCI_SEG(s), PCI_BUS(s), &lo, &hi)) {
		lo = hi = PCI_BUS(s);
	}
	if (!offset || (n > 1 && !stride)) {
		log_err(SBDF_FMT ": First VF Offset %u, VF Stride %u cannot address %u VFs; no VFs enabled",
			SBDF_ARGS(s), offset, stride, n);
		return -HV_EINVAL;
	}
	for (u32 i = 1; i <= n; i++) {
		u32 rid = sriov_vf_rid(pf, offset, stride, i);
		u32 vf = PCI_SBDF(PCI_SEG(s), 0, 0, 0) | (rid & 0xffff);
		if (rid > 0xffff || PCI_BUS(vf) < lo || PCI_BUS(vf) > hi) {
			log_err(SBDF_FMT ": VF %u routing ID 0x%05x (bus 0x%02x) is outside buses 0x%02x-0x%02x %s; no VFs enabled",
				SBDF_ARGS(s), i, rid, rid >> 8, lo, hi,
				pf->parent ? "below the parent bridge" : "of the host bridge");
			return -HV_ERANGE;
		}
		if (pci_find(vf)) {
			log_err(SBDF_FMT ": VF %u routing ID " SBDF_FMT " is taken by a function found in the scan; no VFs enabled",
				SBDF_ARGS(s), i, SBDF_ARGS(vf));
			return -HV_EEXIST;
		}
	}
	return 0;
}

/*
 * Sizes the six VF BARs (VF Enable and VF MSE clear) into pf->sriov.vf_bars
 * (size per VF, addr as firmware left it). Returns 0, or -HV_EINVAL after
 * one ERR for an I/O VF BAR or one that does not size.
 */
static int vf_bars_probe(struct pci_dev *pf)
{
	u16 base = (u16)(pf->sriov.cap + SRIOV_VF_BAR0);
	u16 end = (u16)(base + 4 * SRIOV_NR_VF_BARS);

	memset(pf->sriov.vf_bars, 0, sizeof(pf->sriov.vf_bars));
	for (u32 i = 0; i < SRIOV_NR_VF_BARS; i++) {
		struct pci_bar *b = &pf->sriov.vf_bars[i];
		bool is64;
		if (pci_bar_probe(pf->sbdf, (u16)(base + 4 * i), end, b, &is64) ||
		    b->type == PCI_BAR_IO) {
			log_err(SBDF_FMT ": VF BAR%u (0x%03x) %s; no VFs enabled", SBDF_ARGS(pf->sbdf),
				i, base + 4 * i, b->type == PCI_BAR_IO ? "is an I/O BAR, which VFs may not have" : "does not size");
			return -HV_EINVAL;
		}
		if (is64)
			i++;
	}
	return 0;
}

/*
 * Places every VF BAR for n VFs and programs the VF BAR registers (VF MSE
 * still clear). Returns 0 or -HV_ENOMEM / -HV_ERANGE after one ERR; a
 * window grown for an earlier VF BAR then stays grown (nothing uses the
 * room, and the log said so).
 */
static int vf_bars_place(struct pci_dev *pf, u16 n)
{
	struct pci_range taken[SRIOV_NR_VF_BARS];
	u8 idx[SRIOV_NR_VF_BARS];
	u32 nr = 0;

	for (u8 i = 0; i < SRIOV_NR_VF_BARS; i++) {
		const struct pci_bar *b = &pf->sriov.vf_bars[i];
		if (!b->size)
			continue;
		if (b->size > ~0ULL / n) {
			log_err(SBDF_FMT ": VF BAR%u of %u x 0x%llx bytes does not fit the address space; no VFs enabled",
				SBDF_ARGS(pf->sbdf), i, n, (unsigned long long)b->size);
			return -HV_ERANGE;
		}
		struct pci_space_req req = {
			.size = b->size * n, .align = b->size, .prefetch = b->prefetch,
			.is64 = b->type == PCI_BAR_MEM64, .fw_addr = b->addr,
		};
		u64 addr;
		if (pci_space_place(pf->parent, &req, taken, nr, &addr)) {
			log_err(SBDF_FMT ": no room for VF BAR%u (%u x 0x%llx bytes, %s%s) even after moving bridge windows; no VFs enabled",
				SBDF_ARGS(pf->sbdf), i, n, (unsigned long long)b->size,
				b->type == PCI_BAR_MEM64 ? "64-bit" : "32-bit",
				b->prefetch ? " prefetchable" : "");
			return -HV_ENOMEM;
		}
		log_dbg(SBDF_FMT ": VF BAR%u: %u x 0x%llx bytes at 0x%016llx (%s)",
			SBDF_ARGS(pf->sbdf), i, n, (unsigned long long)b->size, (unsigned long long)addr,
			addr == b->addr ? "kept: the register already pointed there" : "placed by Sluice");
		taken[nr] = (struct pci_range){ addr, req.size, b->size };
		idx[nr++] = i;
	}
	/* A later placement may have moved an earlier one along with its window. */
	for (u32 k = 0; k < nr; k++) {
		struct pci_bar *b = &pf->sriov.vf_bars[idx[k]];
		u16 off = (u16)(pf->sriov.cap + SRIOV_VF_BAR(idx[k]));
		b->addr = taken[k].base;
		wr32(pf, off, (u32)(b->addr & PCI_BAR_MEM_ADDR) | (u32)(rd32(pf, off) & ~PCI_BAR_MEM_ADDR));
		if (b->type == PCI_BAR_MEM64)
			wr32(pf, off + 4, (u32)(b->addr >> 32));
	}
	return 0;
}

/* Fills a VF's pci_dev from its PF and its own config space. */
static void vf_dev_fill(struct pci_dev *vf, struct pci_dev *pf, u16 index)
{
	u32 cls = rd32(vf, PCI_CLASS_REV);

	vf->vendor = pf->vendor;                /* the VF's own ID registers read 0xffff */
	vf->device = pf->sriov.vf_device;
	vf->class = (u32)FIELD_GET(PCI_CLASS_CODE, cls);
	vf->hdr_type = PCI_HEADER_NORMAL;
	vf->kind = PCI_KIND_VF;
	vf->parent = pf->parent;
	vf->pf = pf;
	vf->vf_index = index;
	for (u32 i = 0; i < PCI_NR_BARS; i++) {
		const struct pci_bar *b = &pf->sriov.vf_bars[i];
		vf->bars[i] = *b;
		if (b->size)
			vf->bars[i].addr = b->addr + (u64)(index - 1) * b->size;
	}
	pci_caps_read(vf);
	if (cls == ~0u)
		log_warn(SBDF_FMT ": VF %u does not answer configuration reads (class reads 0xffffffff)",
			 SBDF_ARGS(vf->sbdf), index);
}

int sriov_vf_enable(struct pci_dev *pf, u16 num_vfs)
{
	if (!pf)
		return -HV_EINVAL;
	u32 s = pf->sbdf;
	u16 cap = pf->sriov.cap;
	if (!cap) {
		log_err(SBDF_FMT ": has no SR-IOV capability; no VFs enabled", SBDF_ARGS(s));
		return -HV_ENOTSUP;
	}
	u16 total = rd16(pf, cap + SRIOV_TOTAL_VFS);
	if (!total) {
		log_err(SBDF_FMT ": SR-IOV TotalVFs is 0; no VFs enabled", SBDF_ARGS(s));
		return -HV_ENOTSUP;
	}
	if (!num_vfs || num_vfs > total) {
		log_err(SBDF_FMT ": %u VFs requested, TotalVFs is %u; no VFs enabled",
			SBDF_ARGS(s), num_vfs, total);
		return -HV_EINVAL;
	}
	struct sriov_saved sv;
	save(pf, &sv);
	if (sv.ctrl & SRIOV_CTRL_VFE) {
		log_err(SBDF_FMT ": VFs already enabled (NumVFs %u); disable them first",
			SBDF_ARGS(s), sv.num_vfs);
		return -HV_EBUSY;
	}
	if (pci_nr_devs() + num_vfs > PCI_MAX_DEVS) {
		log_err(SBDF_FMT ": %u VFs do not fit the device table (%u of %u used); no VFs enabled",
			SBDF_ARGS(s), num_vfs, pci_nr_devs(), PCI_MAX_DEVS);
		return -HV_ENOMEM;
	}
	u32 sup = rd32(pf, cap + SRIOV_SUP_PGSIZE);
	if (!(sup & SRIOV_PGSIZE_4K)) {
		log_err(SBDF_FMT ": SR-IOV Supported Page Sizes 0x%08x lack 4 KiB; no VFs enabled",
			SBDF_ARGS(s), sup);
		return -HV_ENOTSUP;
	}

	/*
	 * ARI Capable Hierarchy, System Page Size and NumVFs decide the offset,
	 * the stride and the VF BAR sizes, so all three are written before any
	 * of those is read. ARI Capable Hierarchy exists only in the lowest PF
	 * (RsvdP elsewhere); it is set when the port above forwards ARI.
	 */
	bool ari = pf->parent && pf->parent->ari_forwarding;
	bool lowest = ari ? PCI_DEVFN(s) == 0 : PCI_FN(s) == 0;
	u16 ctrl = (u16)(sv.ctrl & ~(SRIOV_CTRL_VFE | SRIOV_CTRL_VF_MSE));
	if (lowest)
		ctrl = (u16)(ari ? ctrl | SRIOV_CTRL_ARI : ctrl & ~SRIOV_CTRL_ARI);
	wr16(pf, cap + SRIOV_CTRL, ctrl);
	wr32(pf, cap + SRIOV_SYS_PGSIZE, SRIOV_PGSIZE_4K);
	wr16(pf, cap + SRIOV_NUM_VFS, num_vfs);
	u16 got = rd16(pf, cap + SRIOV_NUM_VFS);
	if (got != num_vfs) {
		log_err(SBDF_FMT ": NumVFs reads %u after %u was written; no VFs enabled",
			SBDF_ARGS(s), got, num_vfs);
		restore(pf, &sv);
		return -HV_EIO;
	}
	u16 offset = rd16(pf, cap + SRIOV_VF_OFFSET), stride = rd16(pf, cap + SRIOV_VF_STRIDE);
	int ret = vf_rids_check(pf, num_vfs, offset, stride);
	if (!ret)
		ret = vf_bars_probe(pf);
	if (!ret)
		ret = vf_bars_place(pf, num_vfs);
	if (ret) {
		restore(pf, &sv);
		return ret;
	}

	struct pci_sriov *sr = &pf->sriov;
	sr->total_vfs = total;
	sr->initial_vfs = rd16(pf, cap + SRIOV_INITIAL_VFS);
	sr->num_vfs = num_vfs;
	sr->offset = offset;
	sr->stride = stride;
	sr->vf_device = rd16(pf, cap + SRIOV_VF_DID);
	sr->sup_page_sizes = sup;
	sr->page_size = SRIOV_PGSIZE_4K;

	/*
	 * SPEC: §9.3.3.3.1: after setting VF Enable, software waits at least
	 * 100 ms before it sends a request (even a config read) to a VF.
	 */
	wr16(pf, cap + SRIOV_CTRL, (u16)(ctrl | SRIOV_CTRL_VFE | SRIOV_CTRL_VF_MSE));
	sr->enabled = true;
	udelay(SRIOV_VFE_SET_WAIT_US);

	char line[LOG_LINE_MAX];
	for (u16 i = 1; i <= num_vfs; i++) {
		u32 vsbdf = PCI_SBDF(PCI_SEG(s), 0, 0, 0) | sriov_vf_rid(pf, offset, stride, i);
		struct pci_dev *vf = pci_dev_add(vsbdf);
		if (!vf) {      /* checked above; the table cannot have shrunk */
			log_err(SBDF_FMT ": device table full at VF %u; VFs disabled again",
				SBDF_ARGS(s), i);
			sriov_vf_disable(pf);
			return -HV_ENOMEM;
		}
		vf_dev_fill(vf, pf, i);
	}
	pci_groups_compute();
	for (u32 i = 0; i < pci_nr_devs(); i++) {
		const struct pci_dev *vf = pci_dev_at(i);
		if (vf->pf != pf)
			continue;
		pci_dev_describe(vf, line, sizeof(line));
		log_info("%s", line);
	}
	log_dbg(SBDF_FMT ": SR-IOV InitialVFs %u TotalVFs %u, page sizes 0x%08x (4 KiB used), ARI Capable Hierarchy %s",
		SBDF_ARGS(s), sr->initial_vfs, total, sup,
		ctrl & SRIOV_CTRL_ARI ? "set" : "clear");
	log_info(SBDF_FMT ": enabled %u VFs (offset %u stride %u, VF device 0x%04x)",
		 SBDF_ARGS(s), num_vfs, offset, stride, sr->vf_device);
	return 0;
}

int sriov_vf_disable(struct pci_dev *pf)
{
	if (!pf)
		return -HV_EINVAL;
	u16 cap = pf->sriov.cap;
	if (!cap) {
		log_err(SBDF_FMT ": has no SR-IOV capability; nothing to disable", SBDF_ARGS(pf->sbdf));
		return -HV_ENOTSUP;
	}
	u16 ctrl = rd16(pf, cap + SRIOV_CTRL);
	if (!(ctrl & SRIOV_CTRL_VFE) && !pf->sriov.enabled)
		return 0;

	/*
	 * SPEC: §9.3.3.3.1: after clearing VF Enable, software allows 1.0 s
	 * before it reads any field of the SR-IOV capability again.
	 */
	wr16(pf, cap + SRIOV_CTRL, (u16)(ctrl & ~(SRIOV_CTRL_VFE | SRIOV_CTRL_VF_MSE)));
	udelay(SRIOV_VFE_CLEAR_WAIT_US);
	wr16(pf, cap + SRIOV_NUM_VFS, 0);
	u32 n = pci_dev_remove_vfs(pf);
	pf->sriov.enabled = false;
	pf->sriov.num_vfs = 0;
	pci_groups_compute();
	/* The VF BARs keep their addresses: enabling again finds them in place. */
	log_info(SBDF_FMT ": disabled %u VFs", SBDF_ARGS(pf->sbdf), n);
	return 0;
}

/* Parses "[SSSS:]BB:DD.F:N" (hex SBDF, decimal or 0x count) from [w, w+n). */
static bool parse_request(const char *w, size_t n, u32 *sbdf, u16 *num)
{
	size_t c = n;
	u64 count;

	while (c && w[c - 1] != ':')
		c--;
	if (c < 2 || !pci_sbdf_parse(w, c - 1, sbdf) ||
	    str_to_u64(w + c, n - c, false, &count) || !count || count > 0xffff)
		return false;
	*num = (u16)count;
	return true;
}

/*
 * Applies every request of the sriov= word, in order, going on after a
 * failure. Bad syntax gets a WARN naming the request, an unknown function
 * an ERR; sriov_vf_enable() logs its own failures. Returns 0 when every
 * request succeeded, else -HV_EINVAL (each failure was logged).
 */
int sriov_apply_spec(const char *spec)
{
	int failed = 0;

	for (const char *p = spec; p && *p;) {
		const char *e = p;
		while (*e && *e != ',')
			e++;
		size_t n = (size_t)(e - p);
		u32 sbdf;
		u16 num;
		if (!n) {
			/* ",," or a trailing comma: nothing asked */
		} else if (!parse_request(p, n, &sbdf, &num)) {
			log_warn("sriov=: bad request '%.*s' (use [SSSS:]BB:DD.F:N, hex address, N VFs); skipped",
				 (int)n, p);
			failed++;
		} else if (!pci_find(sbdf)) {
			log_err("sriov=: no function " SBDF_FMT " to enable VFs on", SBDF_ARGS(sbdf));
			failed++;
		} else if (sriov_vf_enable(pci_find(sbdf), num)) {
			failed++;
		}
		p = *e ? e + 1 : e;
	}
	return failed ? -HV_EINVAL : 0;
}
