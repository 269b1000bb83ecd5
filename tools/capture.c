/*
 * tools/capture.h: a capture of tools/capture-server loaded into the host
 * doors. Config spaces go into tests/fakes/fake_pci.c with the bits
 * software may change made writable (Command, BAR address bits above each
 * BAR's size, bridge bus numbers and windows, the PCIe, MSI, MSI-X, ACS,
 * ATS and SR-IOV control registers); a PF's SR-IOV Control write with VF
 * Enable set brings NumVFs VFs at First VF Offset and VF Stride (PCIe Base
 * Specification §9.3.3.9, §9.3.3.10), each with the config space the
 * capture holds for that VF, else its first captured sibling's, else the
 * PF's own without the SR-IOV capability.
 */
#include <dirent.h>
#include <sys/mman.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tools/capture.h"
#include "tests/fakes/fake_pci.h"
#include "tests/fakes/fake_mem.h"
#include "tests/fakes/fake_hw.h"
#include "pci/pci_hw.h"
#include "pci/pcie_hw.h"
#include "pci/sriov_hw.h"
#include "pci/ats_hw.h"

#define PROG                    "sluice-check"
#define MAX_FILE                (1u << 20)
#define ACPI_FAKE_BASE          (1ULL << 60)    /* the tables in fake memory, far from any RAM a capture maps */
#define ACPI_FAKE_STRIDE        0x100000ULL
#define RES_IOV_FIRST           7       /* Linux's resource lines: BARs 0-5, ROM, then the VF BARs */
#define NR_RES_LINES            13

struct res { u64 start, end; };

struct vf_cfg {
	u32 sbdf, pf;
	u8 cfg[4096];
};

/* PFs: their VF config spaces and how many of them the capture had. */
static struct vf_cfg *vfs;
static u32 nr_vfs, synthesized;

u32 capture_vfs_synthesized(void) { return synthesized; }

u8 *capture_read_file(const char *path, size_t *len, bool must)
{
	FILE *f = fopen(path, "rb");
	u8 *buf;

	if (!f) {
		if (must)
			fprintf(stderr, "%s: %s: cannot open: %s\n", PROG, path, strerror(errno));
		return NULL;
	}
	buf = malloc(MAX_FILE + 1);
	if (!buf)
		abort();
	*len = fread(buf, 1, MAX_FILE + 1, f);
	fclose(f);
	if (*len > MAX_FILE) {
		fprintf(stderr, "%s: %s: larger than %u bytes\n", PROG, path, MAX_FILE);
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/* Linux's resource file: "0xSTART 0xEND 0xFLAGS" per line. */
static void read_resources(const char *dir, const char *name, struct res *r)
{
	size_t len;
	char p[4096];
	u8 *t;

	memset(r, 0, sizeof(*r) * NR_RES_LINES);
	snprintf(p, sizeof(p), "%s/pci/%s/resource", dir, name);
	t = capture_read_file(p, &len, false);
	if (!t)
		return;
	char *s = (char *)t;
	for (u32 i = 0; i < NR_RES_LINES && *s; i++) {
		unsigned long long a, b, fl;
		if (sscanf(s, "%llx %llx %llx", &a, &b, &fl) == 3)
			r[i] = (struct res){ a, b };
		s = strchr(s, '\n');
		if (!s)
			break;
		s++;
	}
	free(t);
}

static u64 res_size(const struct res *r)
{
	return r->end > r->start ? r->end - r->start + 1 : 0;
}

/* Makes the capture's BAR at off writable above its size (a power of two). */
static void bar_mask(struct fake_fn *f, u16 off, u64 size, const char *name, u32 i)
{
	u32 lo = fake_pci_r32(f, off);
	bool io = lo & 1, is64 = !io && ((lo >> 1) & 3) == 2;

	if (!size || (size & (size - 1))) {
		if (lo & (io ? ~3u : ~0xfu))
			fprintf(stderr, "%s: note: %s BAR at 0x%02x (index %u): Linux gives no size; taken as unimplemented\n",
				PROG, name, off, i);
		fake_pci_w32(f, off, 0);
		if (is64)
			fake_pci_w32(f, off + 4, 0);
		return;
	}
	fake_pci_set_wmask(f, off, 4, (u32)~(size - 1) & (io ? ~3u : ~0xfu));
	if (is64)
		fake_pci_set_wmask(f, off + 4, 4, (u32)(~(size - 1) >> 32));
}

/* The control registers Sluice writes, writable as on hardware. */
static void cap_masks(struct fake_fn *f)
{
	u16 off = fake_pci_r8(f, PCI_CAP_PTR) & ~3u;

	for (u32 n = 0; off >= 0x40 && n < 48; n++, off = fake_pci_r8(f, off + 1) & ~3u) {
		switch (fake_pci_r8(f, off)) {
		case 0x01:      /* Power Management: PMCSR PowerState, PME_En */
			fake_pci_set_wmask(f, off + 4, 2, 0x0103);
			break;
		case 0x05:      /* MSI: Enable, Multiple Message Enable, address, data */
			fake_pci_set_wmask(f, off + 2, 2, 0x0071);
			fake_pci_set_wmask(f, off + 4, 4, ~3u);
			fake_pci_set_wmask(f, off + 8, 4, ~0u);
			fake_pci_set_wmask(f, off + 12, 4, ~0u);
			break;
		case 0x11:      /* MSI-X: Enable, Function Mask */
			fake_pci_set_wmask(f, off + 2, 2, 0xc000);
			break;
		case 0x10:      /* PCI Express: Device, Link and Device 2 Control */
			fake_pci_set_wmask(f, off + 8, 2, 0xffff);
			fake_pci_set_wmask(f, off + 0x10, 2, 0xffff);
			fake_pci_set_wmask(f, off + 0x28, 2, 0xffff);
			break;
		}
	}
	off = 0x100;
	for (u32 n = 0; off >= 0x100 && off < 4096 && n < 96; n++) {
		u32 h = fake_pci_r32(f, off);
		if (!h || h == ~0u)
			break;
		switch (h & 0xffff) {
		case PCI_ECAP_ID_ACS:
			fake_pci_set_wmask(f, off + ACS_CTRL, 2, 0x7f);
			break;
		case 0x000f:    /* ATS: Enable, STU */
			fake_pci_set_wmask(f, off + 6, 2, 0x801f);
			break;
		}
		off = (u16)(h >> 20);
	}
}

static u16 ecap_find(const u8 *cfg, u16 id)
{
	u16 off = 0x100;
	for (u32 n = 0; off >= 0x100 && off < 4096 && n < 96; n++) {
		u32 h;
		memcpy(&h, cfg + off, 4);
		if (!h || h == ~0u)
			return 0;
		if ((h & 0xffff) == id)
			return off;
		off = (u16)(h >> 20);
	}
	return 0;
}

/* The captured config space of VF `index` (1-based) of pf, or NULL. */
static const u8 *vf_config(u32 pf, u32 index, bool *exact)
{
	u32 k = 0;
	const u8 *first = NULL;

	for (u32 i = 0; i < nr_vfs; i++) {
		if (vfs[i].pf != pf)
			continue;
		if (!first)
			first = vfs[i].cfg;
		if (++k == index) {
			*exact = true;
			return vfs[i].cfg;
		}
	}
	*exact = false;
	return first;
}

static void sriov_remove_vfs(struct fake_fn *pf, u16 cap, u16 n)
{
	u16 offset = fake_pci_r16(pf, cap + SRIOV_VF_OFFSET), stride = fake_pci_r16(pf, cap + SRIOV_VF_STRIDE);
	for (u32 i = 0; i < n; i++)
		fake_pci_remove((pf->sbdf & 0xffff0000u) | ((PCI_RID(pf->sbdf) + offset + i * stride) & 0xffff));
}

/* SR-IOV Control written: VFs appear with VF Enable, go with its clearing. */
static void sriov_hook(struct fake_fn *pf, u16 off, u8 width, u32 val)
{
	/* priv: the SR-IOV capability's offset, and above bit 16 how many VFs are present. */
	uintptr_t priv = (uintptr_t)pf->priv;
	u16 cap = (u16)priv, ctrl = (u16)(cap + SRIOV_CTRL), live = (u16)(priv >> 16);
	u16 rid = PCI_RID(pf->sbdf);

	(void)val;
	if (off + width <= ctrl || off > ctrl)
		return;
	bool vfe = fake_pci_r16(pf, ctrl) & SRIOV_CTRL_VFE;
	if (!vfe) {
		sriov_remove_vfs(pf, cap, live);
		pf->priv = (void *)(uintptr_t)cap;
		return;
	}
	if (live)
		return;
	u16 n = fake_pci_r16(pf, cap + SRIOV_NUM_VFS);
	u16 offset = fake_pci_r16(pf, cap + SRIOV_VF_OFFSET), stride = fake_pci_r16(pf, cap + SRIOV_VF_STRIDE);
	for (u32 i = 1; i <= n; i++) {
		u32 vrid = rid + offset + (i - 1) * stride;
		if (vrid > 0xffff)
			break;
		u32 sbdf = (pf->sbdf & 0xffff0000u) | vrid;
		bool exact;
		const u8 *src = vf_config(pf->sbdf, i, &exact);
		struct fake_fn *vf = fake_pci_add(sbdf, 0xffff, 0xffff, 0, 0);
		if (src) {
			memcpy(vf->cfg, src, sizeof(vf->cfg));
		} else {
			/* No VF of this PF captured: the PF's space without IDs, BARs and SR-IOV. */
			memcpy(vf->cfg, pf->cfg, sizeof(vf->cfg));
			fake_pci_w32(vf, PCI_VENDOR_ID, ~0u);
			for (u16 b = PCI_BAR0; b < PCI_BAR_TYPE0_END; b += 4)
				fake_pci_w32(vf, b, 0);
			u16 prev = 0, o = 0x100;
			for (u32 k = 0; o >= 0x100 && o < 4096 && k < 96; k++) {
				u32 h = fake_pci_r32(vf, o);
				if ((h & 0xffff) == 0x0010) {
					u32 next = h >> 20;
					if (prev)
						fake_pci_w32(vf, prev, (fake_pci_r32(vf, prev) & 0xfffff) | next << 20);
					else
						fake_pci_w32(vf, o, next ? 0 : 0);     /* first: an empty header ends the list */
					break;
				}
				if (!h || h == ~0u)
					break;
				prev = o;
				o = (u16)(h >> 20);
			}
		}
		if (!exact)
			synthesized++;
		memset(vf->wmask, 0, sizeof(vf->wmask));
		fake_pci_set_wmask(vf, PCI_COMMAND, 2, 0x0547);
		cap_masks(vf);
		pf->priv = (void *)((uintptr_t)cap | (uintptr_t)i << 16);
	}
}

/* "SSSS:BB:DD.F" -> sbdf, or false. */
static bool parse_name(const char *s, u32 *sbdf)
{
	unsigned seg, bus, dev, fn;
	char end;
	if (sscanf(s, "%4x:%2x:%2x.%1x%c", &seg, &bus, &dev, &fn, &end) != 4 || dev > 31 || fn > 7)
		return false;
	*sbdf = PCI_SBDF(seg, bus, dev, fn);
	return true;
}

static bool vf_bars_zero;

static int load_fn(const char *dir, const char *name, u32 sbdf)
{
	char p[4096];
	size_t len;
	u8 *cfg;

	snprintf(p, sizeof(p), "%s/pci/%s/config", dir, name);
	cfg = capture_read_file(p, &len, true);
	if (!cfg)
		return -1;
	if (len != 256 && len != 4096) {
		fprintf(stderr, "%s: %s: %zu bytes, want 256 or 4096 (capture-server runs as root)\n", PROG, p, len);
		free(cfg);
		return -1;
	}
	snprintf(p, sizeof(p), "%s/pci/%s/physfn", dir, name);
	size_t plen;
	u8 *phys = capture_read_file(p, &plen, false);
	if (phys) {
		u32 pf;
		char *nl = strchr((char *)phys, '\n');
		if (nl)
			*nl = '\0';
		if (!parse_name((char *)phys, &pf)) {
			fprintf(stderr, "%s: %s: '%s' is not SSSS:BB:DD.F\n", PROG, p, (char *)phys);
			free(phys);
			free(cfg);
			return -1;
		}
		free(phys);
		if (nr_vfs == CAPTURE_MAX_VFS) {
			fprintf(stderr, "%s: more than %u VFs in the capture\n", PROG, CAPTURE_MAX_VFS);
			free(cfg);
			return -1;
		}
		vfs[nr_vfs].sbdf = sbdf;
		vfs[nr_vfs].pf = pf;
		memset(vfs[nr_vfs].cfg, 0, 4096);
		memcpy(vfs[nr_vfs].cfg, cfg, len);
		nr_vfs++;
		free(cfg);
		return 1;
	}

	u16 vendor, device;
	memcpy(&vendor, cfg, 2);
	memcpy(&device, cfg + 2, 2);
	struct fake_fn *f = fake_pci_add(sbdf, vendor, device, 0, cfg[PCI_HEADER_TYPE]);
	memcpy(f->cfg, cfg, len);
	free(cfg);

	struct res r[NR_RES_LINES];
	read_resources(dir, name, r);
	u8 layout = fake_pci_r8(f, PCI_HEADER_TYPE) & 0x7f;
	u32 nbars = layout == PCI_HEADER_NORMAL ? 6 : layout == PCI_HEADER_BRIDGE ? 2 : 0;
	for (u32 i = 0; i < nbars; i++) {
		u16 off = (u16)(PCI_BAR0 + 4 * i);
		u32 lo = fake_pci_r32(f, off);
		bar_mask(f, off, res_size(&r[i]), name, i);
		if (!(lo & 1) && ((lo >> 1) & 3) == 2)
			i++;
	}
	cap_masks(f);
	u16 cap = ecap_find(f->cfg, 0x0010);
	if (cap) {
		u16 total = fake_pci_r16(f, cap + SRIOV_TOTAL_VFS);
		/* A fresh boot finds VFs off, whatever Linux had enabled. */
		fake_pci_w16(f, cap + SRIOV_CTRL, fake_pci_r16(f, cap + SRIOV_CTRL) & ~(SRIOV_CTRL_VFE | SRIOV_CTRL_VF_MSE));
		fake_pci_w16(f, cap + SRIOV_NUM_VFS, 0);
		fake_pci_set_wmask(f, cap + SRIOV_CTRL, 2, 0x001f);
		fake_pci_set_wmask(f, cap + SRIOV_NUM_VFS, 2, 0xffff);
		fake_pci_set_wmask(f, cap + SRIOV_SYS_PGSIZE, 4, ~0u);
		for (u32 i = 0; i < SRIOV_NR_VF_BARS; i++) {
			u16 off = (u16)(cap + SRIOV_VF_BAR0 + 4 * i);
			u32 lo = fake_pci_r32(f, off);
			u64 size = total ? res_size(&r[RES_IOV_FIRST + i]) / total : 0;
			if (vf_bars_zero && size) {
				fake_pci_w32(f, off, lo & 0xf);
				if (!(lo & 1) && ((lo >> 1) & 3) == 2)
					fake_pci_w32(f, off + 4, 0);
			}
			bar_mask(f, off, size, name, i);
			if (!(lo & 1) && ((lo >> 1) & 3) == 2)
				i++;
		}
		f->priv = (void *)(uintptr_t)cap;
		f->hook = sriov_hook;
	}
	return 0;
}

static int load_pci(const char *dir, struct capture *c)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/pci", dir);
	DIR *d = opendir(p);
	if (!d) {
		fprintf(stderr, "%s: %s: cannot open: %s\n", PROG, p, strerror(errno));
		return -1;
	}
	if (!vfs)
		vfs = calloc(CAPTURE_MAX_VFS, sizeof(*vfs));
	if (!vfs)
		abort();
	nr_vfs = 0;
	synthesized = 0;
	/* readdir's order is the file system's: sorted, so VFs come in routing-ID order. */
	struct dirent **names;
	closedir(d);
	int n = scandir(p, &names, NULL, alphasort);
	if (n < 0)
		return -1;
	int ret = 0;
	for (int i = 0; i < n; i++) {
		u32 sbdf;
		const char *name = names[i]->d_name;
		if (name[0] == '.')
			continue;
		if (!parse_name(name, &sbdf)) {
			fprintf(stderr, "%s: %s/%s: the name is not SSSS:BB:DD.F\n", PROG, p, name);
			ret = -1;
			break;
		}
		if (c->nr_fns + nr_vfs >= FAKE_PCI_MAX_FNS) {
			fprintf(stderr, "%s: more than %u functions in the capture\n", PROG, FAKE_PCI_MAX_FNS);
			ret = -1;
			break;
		}
		int r = load_fn(dir, name, sbdf);
		if (r < 0) {
			ret = -1;
			break;
		}
		if (r == 0)
			c->nr_fns++;
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	c->nr_vfs = nr_vfs;
	if (!ret && !c->nr_fns) {
		fprintf(stderr, "%s: %s: no PCI function\n", PROG, p);
		ret = -1;
	}
	return ret;
}

static u8 checksum(const u8 *p, u32 n)
{
	u8 s = 0;
	for (u32 i = 0; i < n; i++)
		s = (u8)(s + p[i]);
	return (u8)-s;
}

/*
 * The captured tables in fake memory, listed by an XSDT behind an ACPI 2.0
 * RSDP (ACPI 6.5 §5.2.5.3 RSDP Structure, §5.2.8 XSDT), so acpi_init()
 * reads them as it does at boot. Their addresses are made up.
 */
static int load_acpi(const char *dir, struct capture *c)
{
	static const char *const sigs[] = { "APIC", "MCFG", "DMAR", "SPCR" };
	u64 pas[4];
	u32 n = 0;

	for (u32 i = 0; i < 4; i++) {
		char p[4096];
		size_t len;
		snprintf(p, sizeof(p), "%s/acpi/%s", dir, sigs[i]);
		u8 *t = capture_read_file(p, &len, false);
		if (!t)
			continue;
		if (len < 36 || memcmp(t, sigs[i], 4)) {
			fprintf(stderr, "%s: %s: not an ACPI %s table\n", PROG, p, sigs[i]);
			free(t);
			return -1;
		}
		pas[n] = ACPI_FAKE_BASE + (n + 1) * ACPI_FAKE_STRIDE;
		fake_mem_add_copy(pas[n], t, len);
		free(t);
		n++;
		c->have_madt |= i == 0;
		c->have_mcfg |= i == 1;
		c->have_dmar |= i == 2;
	}
	u32 xlen = 36 + 8 * n;
	u8 *x = fake_mem_add(ACPI_FAKE_BASE + 0x1000, xlen);
	memcpy(x, "XSDT", 4);
	memcpy(x + 4, &xlen, 4);
	x[8] = 1;
	memcpy(x + 10, "SLUICE", 6);
	memcpy(x + 16, "CAPTURE ", 8);
	for (u32 i = 0; i < n; i++)
		memcpy(x + 36 + 8 * i, &pas[i], 8);
	x[9] = checksum(x, xlen);
	u8 *r = fake_mem_add(ACPI_FAKE_BASE, 36);
	u64 xpa = ACPI_FAKE_BASE + 0x1000;
	u32 rlen = 36;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "SLUICE", 6);
	r[15] = 2;
	memcpy(r + 20, &rlen, 4);
	memcpy(r + 24, &xpa, 8);
	r[8] = checksum(r, 20);
	r[32] = checksum(r, 36);
	c->rsdp_pa = ACPI_FAKE_BASE;
	c->rsdp_len = rlen;
	return 0;
}

/* Linux's names for the firmware's types (drivers/firmware/memmap.c, e820 names). */
static u32 mem_type(const char *s)
{
	if (!strncmp(s, "System RAM", 10))
		return BOOT_MEM_USABLE;
	if (!strncmp(s, "ACPI Tables", 11))
		return BOOT_MEM_ACPI;
	if (!strncmp(s, "ACPI Non-volatile Storage", 25))
		return BOOT_MEM_NVS;
	if (!strncmp(s, "Unusable memory", 15))
		return BOOT_MEM_BAD;
	return BOOT_MEM_RESERVED;
}

static int load_memmap(const char *dir, struct capture *c)
{
	size_t len;
	char p[4096];
	snprintf(p, sizeof(p), "%s/memmap", dir);
	char *t = (char *)capture_read_file(p, &len, true);
	if (!t)
		return -1;
	u32 line = 0;
	for (char *s = t; *s; line++) {
		char *nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		unsigned long long a, b;
		int used = 0;
		if (*s) {
			if (sscanf(s, "%llx %llx %n", &a, &b, &used) < 2 || !used || b < a) {
				fprintf(stderr, "%s: %s:%u: want \"0xSTART 0xEND TYPE\"\n", PROG, p, line + 1);
				free(t);
				return -1;
			}
			if (c->nr_mmap == BOOT_MMAP_MAX) {
				fprintf(stderr, "%s: %s: more than %u entries\n", PROG, p, BOOT_MMAP_MAX);
				free(t);
				return -1;
			}
			u32 type = mem_type(s + used);
			c->mmap[c->nr_mmap++] = (struct boot_mmap_entry){ a, b - a + 1, type, type };
		}
		if (!nl)
			break;
		s = nl + 1;
	}
	free(t);
	/*
	 * Usable RAM is memory Sluice reaches (its direct map): the config's
	 * set-up zeroes the regions it claims there. Mapped, not committed,
	 * until written. FAKE_MEM_REGIONS bounds how many ranges.
	 */
	for (u32 i = 0; i < c->nr_mmap; i++) {
		const struct boot_mmap_entry *e = &c->mmap[i];
		if (e->type != BOOT_MEM_USABLE || e->base + e->size <= 1 * MiB || c->nr_ram == CAPTURE_MAX_RAM)
			continue;
		void *m = mmap(NULL, e->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED) {
			fprintf(stderr, "%s: %s: cannot map 0x%llx bytes standing for RAM\n", PROG, p,
				(unsigned long long)e->size);
			return -1;
		}
		fake_mem_add_buffer(e->base, e->size, m);
		c->nr_ram++;
	}
	if (!c->nr_mmap) {
		fprintf(stderr, "%s: %s: no entries\n", PROG, p);
		return -1;
	}
	return 0;
}

static int load_cpuinfo(const char *dir, struct capture *c)
{
	size_t len;
	char p[4096];
	snprintf(p, sizeof(p), "%s/cpuinfo", dir);
	char *t = (char *)capture_read_file(p, &len, true);
	if (!t)
		return -1;
	for (char *s = t; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL) {
		sscanf(s, "cpus %u", &c->nr_cpus);
		sscanf(s, "physical-address-bits %u", &c->phys_bits);
	}
	free(t);
	return 0;
}

int capture_load(const char *dir, struct capture *c, bool vf_bars_unassigned)
{
	size_t len;
	char p[4096];

	memset(c, 0, sizeof(*c));
	c->dir = dir;
	vf_bars_zero = vf_bars_unassigned;
	snprintf(p, sizeof(p), "%s/header", dir);
	char *h = (char *)capture_read_file(p, &len, true);
	if (!h)
		return -1;
	unsigned v = 0;
	if (sscanf(h, "sluice-capture %u", &v) != 1 || v != CAPTURE_FORMAT) {
		fprintf(stderr, "%s: %s: not a capture of format %u (tools/capture-server writes one)\n",
			PROG, p, CAPTURE_FORMAT);
		free(h);
		return -1;
	}
	free(h);
	fake_pci_reset();
	fake_mem_reset();
	/* No real time passes: each clock read moves 1 ms, so waits (the 100 ms after VF Enable) end. */
	fake_hw_reset();
	fake_time_step_ns = 1000000;
	if (load_pci(dir, c) || load_acpi(dir, c) || load_memmap(dir, c) || load_cpuinfo(dir, c))
		return -1;
	return 0;
}
