/*
 * sluice.conf, second pass: what the keys mean. Every partition is checked
 * whole, against the others, the memory map, the page allocator and the
 * PCI tree, before anything is claimed or programmed (docs/conventions.md section 4).
 * Unknown sections and keys are errors: nothing is silently ignored.
 * Each line is checked against the lines before it, so the errors come
 * out in line order.
 */
#define LOG_SUBSYS "part"
#include "vm/config/partition_cfg.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/page_alloc.h"
#include "pci/pci.h"
#include "pci/nvme_hw.h"
#include "pci/pci_hw.h"
#include "iommu/dmar.h"
#include "kernel/duration.h"

/* Lines of the keys a partition may give once (0: not yet). */
struct once {
	u32 cpus, image, entry, on_fault, nsid, time_limit, fault_limit, args, fw_cfg, cmdline, module, expect, legacy_pic, paravirt;
	u32 initrd;
};

/* A decimal number (the whole string, digits only: no 0x) that fits 32 bits. */
static bool parse_dec(const char *s, u32 *v)
{
	u64 x;
	if (str_to_dec(s, strlen(s), &x) || x > 0xffffffffULL)
		return false;
	*v = (u32)x;
	return true;
}

#define FAULT_LIMIT_UNSET       0xffffffffu     /* no dma-fault-limit in the section: [sluice]'s applies */

/* dma-fault-limit = N: 0 (no limit) to PART_DMA_FAULT_LIMIT_MAX. */
static void parse_fault_limit(struct config *c, const struct config_entry *e, u32 *limit)
{
	u32 n = 0;
	if (parse_dec(e->value, &n) && n <= PART_DMA_FAULT_LIMIT_MAX)
		*limit = n;
	else
		config_error(c, e->line, "dma-fault-limit = %s: a number of faults from 0 (no limit) to %u",
			     e->value, PART_DMA_FAULT_LIMIT_MAX);
}

/* KEY = on|off into *on; anything else is an error naming the key. */
static void parse_on_off(struct config *c, const struct config_entry *e, bool *on)
{
	if (!strcmp(e->value, "on") || !strcmp(e->value, "off"))
		*on = !strcmp(e->value, "on");
	else
		config_error(c, e->line, "%s = %s: use on or off", e->key, e->value);
}

/*
 * module = NAME [ARGS]: NAME a boot module (checked with the image), the
 * whole value its Multiboot string; up to PART_MAX_MODULES lines, in order.
 * *first is the first module line (0: none yet).
 */
static void parse_module(struct config *c, const struct config_entry *e, struct partition_cfg *d, u32 *first)
{
	size_t n = 0;

	if (!*first)
		*first = e->line;
	while (e->value[n] && e->value[n] != ' ' && e->value[n] != '\t')
		n++;
	if (!n || n >= PART_IMAGE_LEN) {
		config_error(c, e->line, "module = %s: use NAME [ARGS], NAME a boot module name of 1-%u characters", e->value,
			     PART_IMAGE_LEN - 1);
		return;
	}
	if (d->nr_modules == PART_MAX_MODULES) {
		config_error(c, e->line, "module = %s: more than %u modules", e->value, PART_MAX_MODULES);
		return;
	}
	struct part_module *m = &d->modules[d->nr_modules++];
	memcpy(m->name, e->value, n);
	m->name[n] = '\0';
	str_copy(m->string, e->value, sizeof(m->string));
	m->line = e->line;
}

/* time-limit = DURATION (kernel/duration.h). */
static void parse_time_limit(struct config *c, const struct config_entry *e, struct partition_cfg *d)
{
	size_t n;
	const char *rest = e->value, *v = config_word(&rest, &n);
	int ret = duration_parse(v, n, &d->time_limit_ms);
	if (!ret && !strcmp(rest, "expected"))
		config_error(c, e->line, "time-limit = %s: 'expected' has its own key now: time-limit = DURATION and expect = time-limit",
			     e->value);
	else if (ret || *rest)
		config_error(c, e->line, "time-limit = %s: use DURATION, a duration from 1ms to 24h with its unit (e.g. 500ms, 10s, 2m, 1h)",
			     e->value);
	else
		return;
	d->time_limit_ms = 0;
}

/* expect = parked | halted | time-limit | exit N: how the guest's run is meant to end (docs/config.md). */
static void parse_expect(struct config *c, const struct config_entry *e, struct partition_cfg *d)
{
	size_t n;
	const char *rest = e->value, *v = config_word(&rest, &n);
	u32 code = 0;

	if (!strcmp(e->value, "parked"))
		d->expect = PART_EXPECT_PARKED;
	else if (!strcmp(e->value, "halted"))
		d->expect = PART_EXPECT_HALTED;
	else if (!strcmp(e->value, "time-limit"))
		d->expect = PART_EXPECT_TIME_LIMIT;
	else if (n == 4 && !strncmp(v, "exit", 4) && parse_dec(rest, &code))
		d->expect_code = code;
	else
		config_error(c, e->line, "expect = %s: use parked, halted, time-limit or exit N (N a decimal exit code, 0 to 4294967295)",
			     e->value);
}

/* expect = ... against the section's other keys (after them all, whatever their order). */
static void check_expect(struct config *c, const struct partition_cfg *d, const struct once *once)
{
	if (!once->expect)
		return;
	if (!d->guest)
		config_error(c, once->expect, "partition %s: expect without cpus and image (a partition without a guest never runs)",
			     d->name);
	else if (d->expect == PART_EXPECT_TIME_LIMIT && !once->time_limit)
		config_error(c, once->expect, "partition %s: expect = time-limit without a time-limit = DURATION", d->name);
	else if (d->expect == PART_EXPECT_PARKED && d->on_fault == FAULT_STOP)
		config_error(c, once->expect, "partition %s: expect = parked with on-fault = stop, which makes a park stop the machine as a failure",
			     d->name);
}

/* CPUs claimed so far, for "CPU n in two partitions". */
struct cpu_claim {
	u32 line;
	const char *part;
};
static struct cpu_claim cpu_owner[256];

static bool name_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* "[SSSS:]BB:DD.F", all hex, the whole string. */
static bool parse_sbdf(const char *s, u32 *sbdf)
{
	return pci_sbdf_parse(s, strlen(s), sbdf);
}

/* ---- [sluice] ---- */

/* attack-witness = NAME gpa=A: the words in that order (checked against the partitions in check_attack). */
static void parse_witness(struct config *c, const struct config_entry *e, struct sluice_cfg *s)
{
	size_t n;
	const char *g = e->value, *v = config_word(&g, &n);
	if (!n || n >= sizeof(s->attack.witness) || strncmp(g, "gpa=", 4) ||
	    str_to_u64(g + 4, strlen(g + 4), false, &s->attack.witness_gpa)) {
		config_error(c, e->line, "attack-witness = %s: use NAME gpa=A (a partition and one of its regions)", v);
		s->attack.witness_line = 0;
		return;
	}
	memcpy(s->attack.witness, v, n);
	s->attack.witness[n] = '\0';
}

/* attack-witness needs attack-test = on and names a guest partition with a device and a region at gpa. */
static void check_attack(struct config *c, const struct sluice_cfg *s)
{
	u32 line = s->attack.witness_line;

	if (!line)
		return;
	if (!s->attack.on) {
		config_error(c, line, "attack-witness without attack-test = on");
		return;
	}
	for (u32 i = 0; i < s->nr; i++) {
		const struct partition_cfg *d = &s->d[i];
		if (strcmp(d->name, s->attack.witness))
			continue;
		bool region = false;
		for (u32 k = 0; k < d->nr_regions; k++)
			region |= d->regions[k].gpa == s->attack.witness_gpa;
		if (!d->guest || !d->nr_devices || !region)
			config_error(c, line, "attack-witness: partition %s needs cpus, image, a device and a memory region at gpa 0x%llx",
				     d->name, (unsigned long long)s->attack.witness_gpa);
		return;
	}
	config_error(c, line, "attack-witness: no partition %s", s->attack.witness);
}

/*
 * Why Sluice cannot remap device interrupts on this host, or NULL when it
 * can: an IOMMU is needed, and the DMAR must declare interrupt remapping
 * (INTR_REMAP) without asking to keep x2APIC off (X2APIC_OPT_OUT; VT-d
 * §8.1 "DMA Remapping Reporting Structure").
 */
static const char *intr_remap_refusal(const struct partition_host *h, const struct sluice_cfg *s)
{
	if (!s->iommu)
		return "iommu = off";
	if (!h->dmar)
		return "no DMAR table: no IOMMU";
	if (!(h->dmar->flags & ACPI_DMAR_INTR_REMAP))
		return "the DMAR does not declare interrupt remapping (INTR_REMAP clear)";
	if (h->dmar->flags & ACPI_DMAR_X2APIC_OPT_OUT)
		return "the DMAR sets X2APIC_OPT_OUT: firmware asks that interrupt remapping not be relied on in x2APIC mode";
	return NULL;
}

/*
 * A guest that owns an MSI-capable function can make it write any
 * interrupt message; only interrupt remapping confines that message to an
 * entry Sluice wrote. Without it such a device line is an error unless
 * [sluice] unsafe-interrupts = on, which is a WARN. A VF not enabled yet
 * is judged by its PF's capabilities.
 */
static void check_interrupts(struct config *c, const struct partition_host *h, const struct sluice_cfg *s)
{
	const char *why = intr_remap_refusal(h, s);

	if (s->unsafe_interrupts && why)
		log_warn("%s:%u: unsafe-interrupts = on: guests own MSI-capable devices though Sluice cannot remap their interrupts (%s); such a device can send any interrupt to any CPU",
			 c->file, s->unsafe_interrupts_line, why);
	else if (s->unsafe_interrupts)
		log_info("%s:%u: unsafe-interrupts = on changes nothing: Sluice remaps device interrupts here",
			 c->file, s->unsafe_interrupts_line);
	if (!why || s->unsafe_interrupts)
		return;
	for (u32 i = 0; i < s->nr; i++) {
		const struct partition_cfg *d = &s->d[i];
		for (u32 k = 0; d->guest && k < d->nr_devices; k++) {
			const struct part_device *dev = &d->devices[k];
			const struct pci_dev *p = pci_find(dev->sbdf);
			if (!p && dev->vfn)
				p = pci_find(dev->pf_sbdf);
			if (p && (p->cap_msi || p->cap_msix))
				config_error(c, dev->line, "device " BDF_FMT " (partition %s) can send MSIs, and Sluice cannot remap interrupts here (%s); assign it to no guest, or set [sluice] unsafe-interrupts = on",
					     BDF_ARGS(dev->sbdf), d->name, why);
		}
	}
}

/*
 * With iommu = on, every assigned function needs a remapping unit that
 * translates its DMA: the DMAR's rule (VT-d §8.3, iommu/dmar.h
 * dmar_unit_for) must name a unit, and one Sluice uses. A VF is judged by
 * its PF, as firmware lists PFs only. Functions not in the PCI tree have
 * their error already.
 */
static void check_units(struct config *c, const struct partition_host *h, const struct sluice_cfg *s)
{
	if (!s->iommu || !h->dmar)
		return;
	for (u32 i = 0; i < s->nr; i++) {
		const struct partition_cfg *d = &s->d[i];
		for (u32 k = 0; k < d->nr_devices; k++) {
			const struct part_device *dev = &d->devices[k];
			u32 sbdf = dev->vfn ? dev->pf_sbdf : dev->sbdf;
			char name[32];

			if (!pci_find(sbdf) || dmar_unit_for(h->dmar, sbdf))
				continue;
			int n = PCI_SEG(sbdf) ? fmt_snprintf(name, sizeof(name), "%04x:", PCI_SEG(sbdf)) : 0;
			n += fmt_snprintf(name + n, sizeof(name) - (size_t)n, BDF_FMT, BDF_ARGS(sbdf));
			if (dev->vfn)
				fmt_snprintf(name + n, sizeof(name) - (size_t)n, "/vf%u", dev->vfn);
			const struct dmar_unit *u = dmar_unit_claiming(h->dmar, sbdf);
			if (u)
				config_error(c, dev->line, "device %s (partition %s): its remapping unit, DRHD %u at 0x%016llx, is not used (%s); its DMA cannot be isolated",
					     name, d->name, (u32)(u - h->dmar->units), (unsigned long long)u->base_pa, u->why ? u->why : "broken");
			else
				config_error(c, dev->line, "device %s (partition %s): no remapping unit covers it (no DRHD of segment %04x names it or a bridge above it, and none has INCLUDE_PCI_ALL); its DMA cannot be isolated",
					     name, d->name, PCI_SEG(sbdf));
		}
	}
}

/* Offers e to the modules' keys: true when one owns it. */
static bool module_key(struct config *c, const struct sluice_keys *const *k, const struct config_entry *e)
{
	for (; k && *k; k++)
		if ((*k)->parse(c, e))
			return true;
	return false;
}

static void check_sluice(struct config *c, const struct sluice_keys *const *keys, u32 si, struct sluice_cfg *s)
{
	u32 iommu_line = 0, devtlb_line = 0, fault_limit_line = 0;

	if (c->sections[si].named)
		config_error(c, c->sections[si].line, "[sluice] takes no name");
	for (u32 i = 0; i < c->nr_entries; i++) {
		const struct config_entry *e = &c->entries[i];
		if (e->section != si)
			continue;
		if (!strcmp(e->key, "iommu")) {
			if (config_once(c, e, &iommu_line))
				parse_on_off(c, e, &s->iommu);
		} else if (!strcmp(e->key, "devtlb-timeout-ms")) {
			if (!config_once(c, e, &devtlb_line))
				continue;
			u32 ms = 0;
			if (!parse_dec(e->value, &ms) || !ms || ms > 90000)
				config_error(c, e->line, "devtlb-timeout-ms = %s: milliseconds from 1 to 90000 (PCIe's limit)",
					     e->value);
			else
				s->devtlb_timeout_ms = ms;
		} else if (!strcmp(e->key, "attack-test")) {
			if (config_once(c, e, &s->attack.line))
				parse_on_off(c, e, &s->attack.on);
		} else if (!strcmp(e->key, "attack-witness")) {
			if (config_once(c, e, &s->attack.witness_line))
				parse_witness(c, e, s);
		} else if (!strcmp(e->key, "unsafe-interrupts")) {
			if (config_once(c, e, &s->unsafe_interrupts_line))
				parse_on_off(c, e, &s->unsafe_interrupts);
		} else if (!strcmp(e->key, "dma-fault-limit")) {
			if (config_once(c, e, &fault_limit_line))
				parse_fault_limit(c, e, &s->dma_fault_limit);
		} else if (!module_key(c, keys, e)) {
			char more[64] = "";
			size_t n = 0;
			for (const struct sluice_keys *const *k = keys; k && *k && n < sizeof(more); k++)
				n += (size_t)fmt_snprintf(more + n, sizeof(more) - n, ", %s", (*k)->names);
			config_error(c, e->line, "unknown key '%s' in [sluice] (known: iommu, devtlb-timeout-ms, dma-fault-limit, unsafe-interrupts, attack-test, attack-witness%s)", e->key, more);
		}
	}
}

/* ---- [partition "NAME"]: one key at a time ---- */

/*
 * sbdf, given as a plain function, may be a VF: one already enabled (its
 * PF and index from enumeration), or one a PF would place there once
 * enabled, by its First VF Offset and VF Stride (SR-IOV §9.3.3.10-11,
 * as read now: vf_setup checks the VF lands there with VF Enable set).
 * A function enumeration found as itself is not a VF. True, with its PF
 * and N in *pf_sbdf and *vfn, when one does.
 */
static bool vf_by_routing_id(u32 sbdf, u32 *pf_sbdf, u32 *vfn)
{
	const struct pci_dev *f = pci_find(sbdf);

	if (f) {
		if (f->kind != PCI_KIND_VF || !f->pf)
			return false;
		*pf_sbdf = f->pf->sbdf;
		*vfn = f->vf_index;
		return true;
	}
	for (u32 i = 0; i < pci_nr_devs(); i++) {
		const struct pci_dev *pf = pci_dev_at(i);
		if (!pf->ecap_sriov || pf->pf || PCI_SEG(pf->sbdf) != PCI_SEG(sbdf))
			continue;
		for (u32 n = 1; n <= pf->sriov.total_vfs; n++) {
			if (sriov_vf_rid(pf, pf->sriov.offset, pf->sriov.stride, n) == PCI_RID(sbdf)) {
				*pf_sbdf = pf->sbdf;
				*vfn = n;
				return true;
			}
		}
	}
	return false;
}

/*
 * memory = gpa=X size=Y [hpa=Z] [access=r|rw]: fields in any order, each
 * once, numbers decimal or 0x hex with an optional K/M/G suffix.
 */
static struct part_region *parse_memory(struct config *c, const struct config_entry *e,
					   struct partition_cfg *d)
{
	static const char *const fields[] = { "gpa", "size", "hpa", "access" };
	u64 val[3] = { 0 };
	bool seen[4] = { false };
	u32 prot = IOMMU_READ | IOMMU_WRITE;
	const char *p = e->value;

	while (*p) {
		size_t wlen;
		const char *w = config_word(&p, &wlen), *eq = w;
		while (eq < w + wlen && *eq != '=')
			eq++;
		if (eq == w + wlen || eq == w || eq + 1 == w + wlen) {
			config_error(c, e->line, "memory: '%.*s' is not field=value (gpa=, size=, hpa=, access=)",
				     (int)wlen, w);
			return NULL;
		}
		size_t flen = (size_t)(eq - w), vlen = wlen - flen - 1;
		u32 f = 0;
		while (f < ARRAY_SIZE(fields) && (strlen(fields[f]) != flen || strncmp(fields[f], w, flen)))
			f++;
		if (f == ARRAY_SIZE(fields)) {
			config_error(c, e->line, "memory: unknown field '%.*s' (gpa, size, hpa, access)",
				     (int)flen, w);
			return NULL;
		}
		if (seen[f]) {
			config_error(c, e->line, "memory: %s given twice", fields[f]);
			return NULL;
		}
		seen[f] = true;
		if (f == 3) {
			if (vlen == 1 && eq[1] == 'r')
				prot = IOMMU_READ;
			else if (vlen == 2 && !strncmp(eq + 1, "rw", 2))
				prot = IOMMU_READ | IOMMU_WRITE;
			else {
				config_error(c, e->line, "memory: access=%.*s: use r or rw", (int)vlen, eq + 1);
				return NULL;
			}
			continue;
		}
		int ret = str_to_u64(eq + 1, vlen, true, &val[f]);
		if (ret) {
			config_error(c, e->line, "memory: %s=%.*s is %s", fields[f], (int)vlen, eq + 1,
				     ret == -HV_ERANGE ? "too large" :
				     "not a number (decimal or 0x hex, optional K/M/G)");
			return NULL;
		}
	}
	if (!seen[0] || !seen[1]) {
		config_error(c, e->line, "memory: needs gpa= and size=");
		return NULL;
	}
	u64 gpa = val[0], size = val[1], hpa = val[2];
	if (!size || !IS_ALIGNED(gpa, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) ||
	    (seen[2] && !IS_ALIGNED(hpa, PAGE_SIZE))) {
		config_error(c, e->line, "memory: gpa, hpa and size must be multiples of 4 KiB, size not 0");
		return NULL;
	}
	if (gpa >= PART_GPA_LIMIT || size > PART_GPA_LIMIT - gpa) {
		config_error(c, e->line, "memory: gpa range ends past 2^48, the widest bus address");
		return NULL;
	}
	/* The end (hpa + size) must be a number too: every later check computes it. */
	if (seen[2] && size > ~0ULL - hpa) {
		config_error(c, e->line, "memory: hpa=0x%016llx size=0x%llx: the range wraps past 2^64",
			     (unsigned long long)hpa, (unsigned long long)size);
		return NULL;
	}
	if (d->nr_regions == PART_MAX_REGIONS) {
		config_error(c, e->line, "memory: more than %u regions in partition %s",
			     PART_MAX_REGIONS, d->name);
		return NULL;
	}
	struct part_region *r = &d->regions[d->nr_regions++];
	r->gpa = gpa;
	r->size = size;
	r->hpa = hpa;
	r->hpa_fixed = seen[2];
	r->prot = prot;
	r->line = e->line;
	return r;
}

static struct part_device *parse_device(struct config *c, const struct config_entry *e,
					  struct partition_cfg *d)
{
	char addr[CONFIG_VALUE_LEN];
	const char *p = e->value;
	bool rmrr_identity = false, ats = false;
	u32 sbdf;
	size_t len;

	config_word(&p, &len);
	str_copy(addr, e->value, MIN(sizeof(addr), len + 1));
	/* Options after the address, each once: rmrr=identity, ats=on. */
	while (*p) {
		const char *w = config_word(&p, &len);
		if (len == 13 && !strncmp(w, "rmrr=identity", 13) && !rmrr_identity) {
			rmrr_identity = true;
		} else if (len == 6 && !strncmp(w, "ats=on", 6) && !ats) {
			ats = true;
		} else {
			config_error(c, e->line, "device: option '%.*s' is not supported (known: rmrr=identity, ats=on, each once)",
				     (int)len, w);
			return NULL;
		}
	}
	/* PF/vfN: a VF, numbered from 1 as the SR-IOV spec does. */
	u32 vfn = 0;
	for (char *q = addr; *q; q++)
		if (*q == '/') {
			*q = '\0';
			const char *n = q + 1;
			if (strncmp(n, "vf", 2) || !n[2] || !parse_dec(n + 2, &vfn) || !vfn || vfn > 0xffff) {
				config_error(c, e->line, "device: '%s': a VF is PF/vfN with N from 1", e->value);
				return NULL;
			}
			break;
		}
	if (!parse_sbdf(addr, &sbdf)) {
		config_error(c, e->line, "device: '%s' is not [SSSS:]BB:DD.F (hex)", addr);
		return NULL;
	}
	/* A VF may be named by its routing ID too: it becomes PF/vfN. */
	u32 named_rid = 0, pf_sbdf;
	if (!vfn && vf_by_routing_id(sbdf, &pf_sbdf, &vfn)) {
		log_info("%s:%u: device " BDF_FMT " is " BDF_FMT "/vf%u (its routing ID)", c->file, e->line,
			 BDF_ARGS(sbdf), BDF_ARGS(pf_sbdf), vfn);
		named_rid = sbdf;
		sbdf = pf_sbdf;
	}
	if (vfn && rmrr_identity) {
		config_error(c, e->line, "device: rmrr=identity is for physical functions, not a VF");
		return NULL;
	}
	if (d->nr_devices == PART_MAX_DEVICES) {
		config_error(c, e->line, "device: more than %u devices in partition %s",
			     PART_MAX_DEVICES, d->name);
		return NULL;
	}
	struct part_device *dev = &d->devices[d->nr_devices++];
	dev->sbdf = vfn ? PART_SBDF_PENDING : sbdf;
	dev->pf_sbdf = vfn ? sbdf : 0;
	dev->vfn = (u16)vfn;
	dev->named_rid = named_rid;
	dev->line = e->line;
	dev->rmrr_identity = rmrr_identity;
	dev->ats = ats;
	return dev;
}

/*
 * cpus = N[,N...]: decimal CPU indexes (MADT order), each in one partition
 * only, each present and online, never the boot CPU (it runs Sluice's own
 * services: console, fault interrupts).
 */
static void parse_cpus(struct config *c, const struct partition_host *h, const struct config_entry *e,
		       struct partition_cfg *d)
{
	const char *p = e->value;

	for (;;) {
		const char *n = p;
		while (*p && *p != ',')
			p++;
		const char *t = n;
		size_t len = (size_t)(p - n);
		config_trim(&t, &len);
		u64 cpu;
		/* Decimal only: "0x3" is not CPU 3 (a mask would be read as one, wrongly). */
		if (str_to_dec(t, len, &cpu) || cpu >= ARRAY_SIZE(cpu_owner)) {
			config_error(c, e->line, "cpus: '%.*s' is not a CPU index (decimal, 0-%u)", (int)len, t,
				     (unsigned)ARRAY_SIZE(cpu_owner) - 1);
			return;
		}
		if (cpu_owner[cpu].line) {
			config_error(c, e->line, "cpus: CPU %llu is already partition %s's (line %u)",
				     (unsigned long long)cpu, cpu_owner[cpu].part, cpu_owner[cpu].line);
			return;
		}
		if (cpu >= h->nr_cpus) {
			config_error(c, e->line, "cpus: CPU %llu does not exist (the MADT lists %u: 0-%u)",
				     (unsigned long long)cpu, h->nr_cpus, h->nr_cpus ? h->nr_cpus - 1 : 0);
			return;
		}
		if (cpu == h->boot_cpu) {
			config_error(c, e->line, "cpus: CPU %llu is the boot CPU, which runs Sluice's own services",
				     (unsigned long long)cpu);
			return;
		}
		if (cpu >= 64 || !(h->cpus_online & BIT_ULL(cpu))) {
			config_error(c, e->line, "cpus: CPU %llu did not come online at boot", (unsigned long long)cpu);
			return;
		}
		if (d->nr_cpus == PART_MAX_CPUS) {
			config_error(c, e->line, "cpus: more than %u CPUs in one partition", PART_MAX_CPUS);
			return;
		}
		cpu_owner[cpu].line = e->line;
		cpu_owner[cpu].part = d->name;
		d->cpus[d->nr_cpus++] = (u32)cpu;
		if (!*p)
			return;
		p++;
	}
}

/* ---- each region and device against everything before it ---- */

/*
 * Why [hpa, hpa+size) is not free in the page allocator, from the memory
 * map: a firmware range, a hole, or (all usable RAM) Sluice's own memory.
 */
static void explain_busy(struct config *c, const struct part_region *r, const struct memmap *m)
{
	u64 end = r->hpa + r->size, covered = r->hpa;

	for (u32 i = 0; m && i < m->nr; i++) {
		const struct boot_mmap_entry *e = &m->e[i];
		if (!ranges_overlap(e->base, e->size, r->hpa, r->size))
			continue;
		if (e->type != BOOT_MEM_USABLE) {
			config_error(c, r->line, "memory: hpa [0x%016llx-0x%016llx] is not RAM: it overlaps %s range [0x%016llx-0x%016llx]",
				     (unsigned long long)r->hpa, (unsigned long long)end - 1,
				     memmap_type_name(e->type), (unsigned long long)e->base,
				     (unsigned long long)(e->base + e->size - 1));
			return;
		}
		if (e->base > covered)
			break;
		covered = MAX(covered, e->base + e->size);
	}
	if (m && covered < end) {
		config_error(c, r->line, "memory: hpa [0x%016llx-0x%016llx] is not RAM: 0x%016llx is in no memory map entry",
			     (unsigned long long)r->hpa, (unsigned long long)end - 1,
			     (unsigned long long)covered);
		return;
	}
	config_error(c, r->line, "memory: hpa [0x%016llx-0x%016llx] overlaps Sluice's own memory (kernel, boot modules, low memory or its tables)",
		     (unsigned long long)r->hpa, (unsigned long long)end - 1);
}

/*
 * The newest region r of d (the last partition of s): its GPAs against
 * d's other regions, a fixed HPA against every fixed HPA so far, then
 * (unless it is an RMRR) against the memory map and the page allocator.
 */
static void check_region(struct config *c, const struct partition_host *h, const struct sluice_cfg *s,
			 const struct partition_cfg *d, const struct part_region *r)
{
	const char *what = r->rmrr ? "device: its RMRR" : "memory";

	if (ranges_overlap(r->gpa, r->size, PART_INTR_GPA, PART_INTR_SIZE)) {
		config_error(c, r->line, "%s: gpa [0x%016llx-0x%016llx] overlaps the interrupt address range [0x%016llx-0x%016llx], where a DMA write is an interrupt request and no device reaches memory",
			     what, (unsigned long long)r->gpa, (unsigned long long)(r->gpa + r->size - 1),
			     (unsigned long long)PART_INTR_GPA,
			     (unsigned long long)(PART_INTR_GPA + PART_INTR_SIZE - 1));
		return;
	}
	for (const struct part_region *o = d->regions; o < r; o++)
		if (ranges_overlap(r->gpa, r->size, o->gpa, o->size)) {
			config_error(c, r->line, "%s: gpa [0x%016llx-0x%016llx] overlaps line %u of partition %s",
				     what, (unsigned long long)r->gpa, (unsigned long long)(r->gpa + r->size - 1),
				     o->line, d->name);
			return;
		}
	if (!r->hpa_fixed)
		return;
	/* A fixed HPA (an RMRR's too) against every fixed HPA so far. */
	for (const struct partition_cfg *od = s->d; od <= d; od++)
		for (const struct part_region *o = od->regions; o < od->regions + od->nr_regions && o != r; o++)
			if (o->hpa_fixed && ranges_overlap(r->hpa, r->size, o->hpa, o->size)) {
				config_error(c, r->line, "%s: hpa [0x%016llx-0x%016llx] overlaps partition %s's memory (line %u)",
					     what, (unsigned long long)r->hpa,
					     (unsigned long long)(r->hpa + r->size - 1), od->name, o->line);
				return;
			}
	/* An RMRR is firmware's memory by definition: not the allocator's. */
	if (!r->rmrr && !page_alloc_is_free(r->hpa, r->size))
		explain_busy(c, r, h->memmap);
}

/*
 * Firmware may DMA to a device's RMRRs at any time (USB legacy emulation,
 * management engines), so such a device is assignable only when its line
 * says rmrr=identity; then every RMRR becomes an identity region (GPA = HPA,
 * rw) of its partition, checked like the others.
 */
static void check_rmrrs(struct config *c, const struct partition_host *h, const struct sluice_cfg *s,
			struct partition_cfg *d, const struct part_device *dev)
{
	u32 found = 0;

	for (u32 pos = 0; dmar_rmrr_for(h->dmar, dev->sbdf, &pos); pos++) {
		u64 base = h->dmar->rmrrs[pos].base_pa, end = h->dmar->rmrrs[pos].end_pa;
		found++;
		/* Rounded out to pages, its end must still be a number. */
		if (end >= ~0ULL - PAGE_SIZE + 1) {
			config_error(c, dev->line, "device " BDF_FMT ": its RMRR [0x%016llx-0x%016llx] wraps past 2^64",
				     BDF_ARGS(dev->sbdf), (unsigned long long)base, (unsigned long long)end);
			return;
		}
		if (!dev->rmrr_identity) {
			config_error(c, dev->line, "device " BDF_FMT " has an RMRR [0x%016llx-0x%016llx] firmware may DMA to; assignable only with rmrr=identity",
				     BDF_ARGS(dev->sbdf), (unsigned long long)base, (unsigned long long)end);
			return;
		}
		if (d->nr_regions == PART_MAX_REGIONS) {
			config_error(c, dev->line, "device " BDF_FMT ": no room for its RMRR in partition %s (%u regions)",
				     BDF_ARGS(dev->sbdf), d->name, PART_MAX_REGIONS);
			return;
		}
		struct part_region *r = &d->regions[d->nr_regions++];
		memset(r, 0, sizeof(*r));
		r->gpa = r->hpa = ALIGN_DOWN(base, PAGE_SIZE);
		r->size = ALIGN_UP(end + 1, PAGE_SIZE) - r->gpa;
		r->prot = IOMMU_READ | IOMMU_WRITE;
		r->hpa_fixed = r->rmrr = true;
		r->line = dev->line;
		check_region(c, h, s, d, r);
	}
	if (dev->rmrr_identity && !found)
		config_error(c, dev->line, "device " BDF_FMT ": rmrr=identity, but no RMRR names it",
			     BDF_ARGS(dev->sbdf));
}

static bool is_bridge(const struct pci_dev *p)
{
	return p->kind != PCI_KIND_VF && (p->hdr_type & PCI_HEADER_LAYOUT) != PCI_HEADER_NORMAL;
}

/*
 * Functions that belong to the whole machine, by class code (PCI Code and
 * ID Assignment Specification §1): a partition owning one could reach
 * what every partition and Sluice depend on. ANY_SUB: the whole base class.
 * SD host controllers (08/05) and "other system peripheral" (08/80,
 * vendors' accelerators among them) stay assignable.
 */
#define ANY_SUB 0x100
static const struct platform_class {
	u8 base;
	u16 sub;
	const char *name, *why;
} platform_classes[] = {
	{ PCI_BASE_BRIDGE, PCI_SUB_HOST, "host bridge", "its registers set up memory and the PCI hierarchy of the whole machine" },
	{ PCI_BASE_BRIDGE, PCI_SUB_ISA, "ISA/LPC bridge", "it decodes the machine's legacy devices (interrupt controllers, timers, RTC, firmware flash)" },
	{ PCI_BASE_BRIDGE, ANY_SUB, "bridge", "a bridge carries other functions' traffic; assign the functions below it" },
	{ PCI_BASE_SYSTEM, PCI_SUB_PIC, "interrupt controller", "it delivers interrupts to every CPU" },
	{ PCI_BASE_SYSTEM, PCI_SUB_DMA, "system DMA controller", "it does DMA for the machine's legacy devices" },
	{ PCI_BASE_SYSTEM, PCI_SUB_TIMER, "system timer", "Sluice and every partition depend on its time and interrupts" },
	{ PCI_BASE_SYSTEM, PCI_SUB_RTC, "real-time clock", "it keeps the machine's time and wake-ups" },
	{ PCI_BASE_SYSTEM, PCI_SUB_HOTPLUG, "PCI hot-plug controller", "it powers and resets other functions' slots" },
	{ PCI_BASE_SYSTEM, PCI_SUB_IOMMU, "IOMMU", "a remapping unit enforces every partition's isolation" },
	{ PCI_BASE_SYSTEM, PCI_SUB_RCEC, "root complex event collector", "it reports other functions' errors" },
	{ PCI_BASE_SERIAL_BUS, PCI_SUB_SMBUS, "SMBus controller", "it reaches the machine's memory SPD, clocks and sensors" },
};

/* The platform_classes entry matching class (base << 16 | sub << 8 | prog-if), or NULL. */
static const struct platform_class *platform_class(u32 class)
{
	u8 base = (u8)(class >> 16), sub = (u8)(class >> 8);

	for (u32 i = 0; i < ARRAY_SIZE(platform_classes); i++) {
		const struct platform_class *pc = &platform_classes[i];
		if (pc->base == base && (pc->sub == ANY_SUB || pc->sub == sub))
			return pc;
	}
	return NULL;
}

/*
 * A function the platform keeps: one the DMAR names as an IOAPIC's or
 * HPET's source ID, or one of platform_classes. True after one error line.
 */
static bool platform_function(struct config *c, const struct partition_host *h,
			      const struct part_device *dev, const struct pci_dev *p)
{
	const struct dmar_scope *sc = dmar_platform_scope(h->dmar, dev->sbdf);
	const struct platform_class *pc = p ? platform_class(p->class) : NULL;

	if (sc && p) {
		config_error(c, dev->line, "device " BDF_FMT ": class %02x/%02x, but the DMAR names it as %s %u (device scope type %u); interrupt and timer hardware stays Sluice's",
			     BDF_ARGS(dev->sbdf), (p->class >> 16) & 0xff, (p->class >> 8) & 0xff,
			     dmar_scope_type_name(sc->type), sc->enum_id, sc->type);
		return true;
	}
	if (sc) {
		config_error(c, dev->line, "device " BDF_FMT ": no PCI function, the DMAR names it as %s %u (device scope type %u); interrupt and timer hardware stays Sluice's",
			     BDF_ARGS(dev->sbdf), dmar_scope_type_name(sc->type), sc->enum_id, sc->type);
		return true;
	}
	if (!pc)
		return false;
	config_error(c, dev->line, "device " BDF_FMT ": class %02x/%02x (%s) is the platform's: %s",
		     BDF_ARGS(dev->sbdf), (p->class >> 16) & 0xff, (p->class >> 8) & 0xff, pc->name, pc->why);
	return true;
}

/*
 * The newest device dev of d (the last partition of s): assigned once,
 * present, not a bridge, and its isolation group in no earlier partition.
 */
/* A VF (PF/vfN): its PF has SR-IOV and that many VFs; each VF once; the PF itself stays Sluice's. */
static void check_vf(struct config *c, const struct partition_host *h, const struct sluice_cfg *s,
		     struct partition_cfg *d, const struct part_device *dev)
{
	const struct pci_dev *pf = pci_find(dev->pf_sbdf);

	for (const struct partition_cfg *od = s->d; od <= d; od++)
		for (const struct part_device *o = od->devices; o < od->devices + od->nr_devices && o != dev; o++) {
			if (o->vfn == dev->vfn && o->pf_sbdf == dev->pf_sbdf) {
				config_error(c, dev->line, "device " BDF_FMT "/vf%u is already assigned (partition %s, line %u)",
					     BDF_ARGS(dev->pf_sbdf), dev->vfn, od->name, o->line);
				return;
			}
			if (!o->vfn && o->sbdf == dev->pf_sbdf) {
				config_error(c, dev->line, "device " BDF_FMT "/vf%u: its PF is partition %s's (line %u); a PF whose VFs are assigned stays Sluice's",
					     BDF_ARGS(dev->pf_sbdf), dev->vfn, od->name, o->line);
				return;
			}
		}
	if (!pf) {
		config_error(c, dev->line, "device %04x:" BDF_FMT " is not in the PCI tree",
			     PCI_SEG(dev->pf_sbdf), BDF_ARGS(dev->pf_sbdf));
		return;
	}
	if (!pf->ecap_sriov || pf->pf) {
		config_error(c, dev->line, "device " BDF_FMT "/vf%u: " BDF_FMT " has no SR-IOV capability",
			     BDF_ARGS(dev->pf_sbdf), dev->vfn, BDF_ARGS(dev->pf_sbdf));
		return;
	}
	if (dev->vfn > pf->sriov.total_vfs) {
		config_error(c, dev->line, "device " BDF_FMT "/vf%u: the PF has %u VFs (TotalVFs)",
			     BDF_ARGS(dev->pf_sbdf), dev->vfn, pf->sriov.total_vfs);
		return;
	}
	/*
	 * Its VFs will sit below the PF's bridge: when a bridge on the way up
	 * does not isolate, they join that bridge's isolation group, the PF's,
	 * and the PF stays Sluice's (pci_groups_compute's rule 2).
	 */
	const struct pci_dev *breaker = pf->parent ? pci_acs_path_breaker(pf->parent) : NULL;
	if (breaker) {
		config_error(c, dev->line, "device " BDF_FMT "/vf%u: " BDF_FMT " above its PF does not isolate (no ACS redirection): the VF would share isolation group %u with the PF, which stays Sluice's",
			     BDF_ARGS(dev->pf_sbdf), dev->vfn, BDF_ARGS(breaker->sbdf), pf->group);
		return;
	}
	if (!h->vf_setup)
		config_error(c, dev->line, "device " BDF_FMT "/vf%u: this Sluice cannot set VFs up",
			     BDF_ARGS(dev->pf_sbdf), dev->vfn);
}

static void check_device(struct config *c, const struct partition_host *h, const struct sluice_cfg *s,
			 struct partition_cfg *d, const struct part_device *dev)
{
	const struct pci_dev *p = pci_find(dev->sbdf);

	if (dev->vfn) {
		check_vf(c, h, s, d, dev);
		return;
	}
	for (const struct partition_cfg *od = s->d; od <= d; od++)
		for (const struct part_device *o = od->devices; o < od->devices + od->nr_devices && o != dev; o++)
			if (o->vfn && o->pf_sbdf == dev->sbdf) {
				config_error(c, dev->line, "device " BDF_FMT " is the PF of " BDF_FMT "/vf%u (partition %s, line %u); it stays Sluice's",
					     BDF_ARGS(dev->sbdf), BDF_ARGS(o->pf_sbdf), o->vfn, od->name, o->line);
				return;
			}

	for (const struct partition_cfg *od = s->d; od <= d; od++)
		for (const struct part_device *o = od->devices; o < od->devices + od->nr_devices && o != dev; o++)
			if (o->sbdf == dev->sbdf) {
				config_error(c, dev->line, "device " BDF_FMT " is already assigned (partition %s, line %u)",
					     BDF_ARGS(dev->sbdf), od->name, o->line);
				return;
			}
	if (!p && platform_function(c, h, dev, p))
		return;         /* an IOAPIC's source ID needs no function behind it */
	if (!p) {
		config_error(c, dev->line, "device %04x:" BDF_FMT " is not in the PCI tree",
			     PCI_SEG(dev->sbdf), BDF_ARGS(dev->sbdf));
		return;
	}
	if (is_bridge(p)) {
		config_error(c, dev->line, "device " BDF_FMT " is a bridge; assign the functions below it",
			     BDF_ARGS(dev->sbdf));
		return;
	}
	if (platform_function(c, h, dev, p))
		return;
	/* An isolation group goes to one partition whole (or stays unassigned). */
	for (const struct partition_cfg *od = s->d; od < d; od++)
		for (const struct part_device *o = od->devices; o < od->devices + od->nr_devices; o++) {
			const struct pci_dev *q = pci_find(o->sbdf);
			if (q && q->group == p->group) {
				config_error(c, dev->line, "device " BDF_FMT " shares isolation group %u with " BDF_FMT " of partition %s (line %u); a group goes to one partition",
					     BDF_ARGS(dev->sbdf), p->group, BDF_ARGS(o->sbdf), od->name,
					     o->line);
				return;
			}
		}
	check_rmrrs(c, h, s, d, dev);
}

/* The PF of an NVMe VF of d (a device PF/vfN whose PF is an NVMe controller), or NULL. */
static const struct part_device *nvme_vf(const struct partition_cfg *d, u32 *count)
{
	const struct part_device *found = NULL;
	*count = 0;
	for (u32 i = 0; i < d->nr_devices; i++) {
		const struct pci_dev *pf = d->devices[i].vfn ? pci_find(d->devices[i].pf_sbdf) : NULL;
		if (pf && pf->class == NVME_CLASS_CODE) {
			found = found ? found : &d->devices[i];
			(*count)++;
		}
	}
	return found;
}

/* namespace = N goes with exactly one NVMe VF, and one partition per namespace of a controller. */
static void check_namespace(struct config *c, const struct sluice_cfg *s, const struct partition_cfg *d)
{
	u32 n = 0;
	const struct part_device *vf = nvme_vf(d, &n);

	if (n > 1) {
		config_error(c, vf->line, "partition %s has %u NVMe VFs; one, with its namespace, per partition",
			     d->name, n);
	} else if (vf && !d->nsid_line) {
		config_error(c, vf->line, "device " BDF_FMT "/vf%u is an NVMe VF: give partition %s its namespace (namespace = N)",
			     BDF_ARGS(vf->pf_sbdf), vf->vfn, d->name);
	} else if (!vf && d->nsid_line && d->nsid) {
		config_error(c, d->nsid_line, "namespace = %u: partition %s has no NVMe VF (device = PF/vfN) for it",
			     d->nsid, d->name);
	} else if (vf && d->nsid) {
		for (const struct partition_cfg *od = s->d; od < d; od++) {
			const struct part_device *ovf = nvme_vf(od, &n);
			if (ovf && ovf->pf_sbdf == vf->pf_sbdf && od->nsid == d->nsid)
				config_error(c, d->nsid_line, "namespace = %u is partition %s's already (line %u)",
					     d->nsid, od->name, od->nsid_line);
		}
	}
}

/*
 * A guest partition as a whole: some writable memory to run in, the
 * virtual ECAM window free in its address space, and an image that exists
 * and fits (h->image_check: the loader's own checks).
 */
static void check_guest(struct config *c, const struct partition_host *h, struct partition_cfg *d)
{
	bool writable = false;
	char why[160];

	for (u32 i = 0; i < d->nr_regions; i++) {
		const struct part_region *r = &d->regions[i];
		writable |= (r->prot & IOMMU_WRITE) && !r->rmrr;
		if (h->ecam_size && ranges_overlap(r->gpa, r->size, h->ecam_gpa, h->ecam_size))
			config_error(c, r->line, "memory: gpa [0x%016llx-0x%016llx] overlaps the guests' virtual PCI config window [0x%016llx-0x%016llx]",
				     (unsigned long long)r->gpa, (unsigned long long)(r->gpa + r->size - 1),
				     (unsigned long long)h->ecam_gpa,
				     (unsigned long long)(h->ecam_gpa + h->ecam_size - 1));
	}
	/* Device BARs appear in the guest at their bus addresses: no RAM region may cover them. */
	for (u32 j = 0; j < d->nr_devices; j++) {
		const struct pci_dev *pd = pci_find(d->devices[j].sbdf);
		for (u32 b = 0; pd && b < PCI_NR_BARS; b++) {
			const struct pci_bar *bar = &pd->bars[b];
			if (bar->type != PCI_BAR_MEM32 && bar->type != PCI_BAR_MEM64)
				continue;
			for (u32 i = 0; bar->size && i < d->nr_regions; i++) {
				const struct part_region *r = &d->regions[i];
				if (ranges_overlap(r->gpa, r->size, bar->addr, bar->size))
					config_error(c, r->line, "memory: gpa [0x%016llx-0x%016llx] overlaps " BDF_FMT " BAR%u [0x%016llx-0x%016llx], which the guest sees at its bus address",
						     (unsigned long long)r->gpa,
						     (unsigned long long)(r->gpa + r->size - 1),
						     BDF_ARGS(pd->sbdf), b, (unsigned long long)bar->addr,
						     (unsigned long long)(bar->addr + bar->size - 1));
			}
		}
	}
	if (!writable) {
		config_error(c, d->line, "partition %s: a guest needs a writable memory region to run in", d->name);
		return;
	}
	if (!d->image[0])
		return;         /* its line is already an error */
	if (!h->image_check) {
		config_error(c, d->image_line, "image = %s: this Sluice cannot start guests (no CPU virtualization back end)",
			     d->image);
		return;
	}
	why[0] = '\0';
	u32 line = d->image_line;
	if (!h->image_check(h->image_ctx, d, &line, why, sizeof(why)))
		return;
	if (line != d->image_line)
		config_error(c, line, "%s", why[0] ? why : "refused");
	else
		config_error(c, d->image_line, "image = %s: %s", d->image, why[0] ? why : "refused");
}

static void check_partition(struct config *c, const struct partition_host *h, u32 si,
			    struct sluice_cfg *s)
{
	const struct config_section *sec = &c->sections[si];
	struct once once = { 0 };

	if (!sec->named) {
		config_error(c, sec->line, "[partition] needs a name: [partition \"NAME\"]");
		return;
	}
	if (!name_ok(sec->name)) {
		config_error(c, sec->line, "partition name '%s': use letters, digits, '-', '_', '.'",
			     sec->name);
		return;
	}
	/* The same name twice is config.c's error; in another case it would still read as one partition. */
	for (const struct partition_cfg *o = s->d; o < s->d + s->nr; o++)
		if (str_eq_nocase(o->name, sec->name)) {
			config_error(c, sec->line, "partition name '%s' differs from partition %s's (line %u) only in case; names must differ in more than case",
				     sec->name, o->name, o->line);
			return;
		}
	if (s->nr == PART_MAX) {
		config_error(c, sec->line, "more than %u partitions", PART_MAX);
		return;
	}
	struct partition_cfg *d = &s->d[s->nr++];
	str_copy(d->name, sec->name, sizeof(d->name));
	d->line = sec->line;
	d->dma_fault_limit = FAULT_LIMIT_UNSET;
	d->fw_cfg = true;
	for (u32 i = 0; i < c->nr_entries; i++) {
		const struct config_entry *e = &c->entries[i];
		const char *v = e->value;
		if (e->section != si)
			continue;
		if (!strcmp(e->key, "memory")) {
			const struct part_region *r = parse_memory(c, e, d);
			if (r)
				check_region(c, h, s, d, r);
		} else if (!strcmp(e->key, "device")) {
			const struct part_device *dev = parse_device(c, e, d);
			if (dev)
				check_device(c, h, s, d, dev);
		} else if (!strcmp(e->key, "cpus")) {
			if (config_once(c, e, &once.cpus))
				parse_cpus(c, h, e, d);
		} else if (!strcmp(e->key, "image")) {
			if (!config_once(c, e, &once.image))
				continue;
			if (!v[0] || strlen(v) >= sizeof(d->image))
				config_error(c, e->line, "image = '%s': a boot module name of 1-%u characters", v,
					     (unsigned)sizeof(d->image) - 1);
			str_copy(d->image, v, sizeof(d->image));
			d->image_line = e->line;
		} else if (!strcmp(e->key, "entry")) {
			if (!config_once(c, e, &once.entry))
				continue;
			if (!strcmp(v, "elf64"))
				d->entry = GUEST_ENTRY_ELF64;
			else if (!strcmp(v, "multiboot"))
				d->entry = GUEST_ENTRY_MULTIBOOT;
			else if (!strcmp(v, "linux"))
				d->entry = GUEST_ENTRY_LINUX;
			else
				config_error(c, e->line, "entry = %s: use elf64, multiboot or linux", v);
		} else if (!strcmp(e->key, "namespace")) {
			if (!config_once(c, e, &once.nsid))
				continue;
			u32 n = 0;
			if (!parse_dec(v, &n) || !n || n == 0xffffffff)
				config_error(c, e->line, "namespace = %s: an NVMe namespace ID from 1", v);
			d->nsid = n;
			d->nsid_line = e->line;
		} else if (!strcmp(e->key, "args")) {
			/* The config's value limit equals the start info's field: it always fits. */
			if (config_once(c, e, &once.args))
				str_copy(d->args, v, sizeof(d->args));
		} else if (!strcmp(e->key, "cmdline")) {
			/* The config's value limit (159 characters) is the Multiboot loader's and fw_cfg's. */
			if (config_once(c, e, &once.cmdline)) {
				str_copy(d->cmdline, v, sizeof(d->cmdline));
				d->cmdline_line = e->line;
			}
		} else if (!strcmp(e->key, "module")) {
			parse_module(c, e, d, &once.module);
		} else if (!strcmp(e->key, "initrd")) {
			if (!config_once(c, e, &once.initrd))
				continue;
			if (!v[0] || strlen(v) >= sizeof(d->initrd.name))
				config_error(c, e->line, "initrd = '%s': a boot module name of 1-%u characters", v,
					     (unsigned)sizeof(d->initrd.name) - 1);
			str_copy(d->initrd.name, v, sizeof(d->initrd.name));
			str_copy(d->initrd.string, v, sizeof(d->initrd.string));
			d->initrd.line = e->line;
		} else if (!strcmp(e->key, "fw-cfg")) {
			if (config_once(c, e, &once.fw_cfg))
				parse_on_off(c, e, &d->fw_cfg);
		} else if (!strcmp(e->key, "legacy-pic")) {
			if (config_once(c, e, &once.legacy_pic))
				parse_on_off(c, e, &d->legacy_pic);
		} else if (!strcmp(e->key, "paravirt")) {
			if (!config_once(c, e, &once.paravirt))
				continue;
			if (!strcmp(v, "pv-eoi") || !strcmp(v, "off"))
				d->pv_eoi = !strcmp(v, "pv-eoi");
			else
				config_error(c, e->line, "paravirt = %s: use pv-eoi (KVM's paravirtual EOI) or off", v);
		} else if (!strcmp(e->key, "on-fault")) {
			if (!config_once(c, e, &once.on_fault))
				continue;
			if (!strcmp(v, "park"))
				d->on_fault = FAULT_PARK;
			else if (!strcmp(v, "stop"))
				d->on_fault = FAULT_STOP;
			else
				config_error(c, e->line, "on-fault = %s: use park or stop", v);
		} else if (!strcmp(e->key, "time-limit")) {
			if (config_once(c, e, &once.time_limit))
				parse_time_limit(c, e, d);
		} else if (!strcmp(e->key, "expect")) {
			if (config_once(c, e, &once.expect))
				parse_expect(c, e, d);
		} else if (!strcmp(e->key, "unsafe-interrupts")) {
			if (config_once(c, e, &s->unsafe_interrupts_line))
				parse_on_off(c, e, &s->unsafe_interrupts);
		} else if (!strcmp(e->key, "dma-fault-limit")) {
			if (config_once(c, e, &once.fault_limit))
				parse_fault_limit(c, e, &d->dma_fault_limit);
		} else {
			config_error(c, e->line, "unknown key '%s' in [partition \"%s\"] (known: cpus, memory, device, namespace, image, entry, on-fault, time-limit, expect, dma-fault-limit, args, fw-cfg, legacy-pic, paravirt, cmdline, module, initrd)",
				     e->key, d->name);
		}
	}
	check_namespace(c, s, d);
	if (!once.cpus != !once.image) {
		config_error(c, sec->line, "partition %s: cpus and image go together (neither: a partition of devices and memory only)",
			     d->name);
	} else if (once.cpus) {
		d->guest = true;
		check_guest(c, h, d);
	} else if (once.entry) {
		config_error(c, once.entry, "partition %s: entry without image", d->name);
	}
	if (!once.image && once.args)
		config_error(c, once.args, "partition %s: args without image", d->name);
	if (once.cmdline && (!once.image || d->entry == GUEST_ENTRY_ELF64))
		config_error(c, once.cmdline, "partition %s: cmdline needs image with entry = multiboot or linux (an elf64 guest takes args)",
			     d->name);
	if (once.initrd && (!once.image || d->entry != GUEST_ENTRY_LINUX))
		config_error(c, once.initrd, "partition %s: initrd needs image with entry = linux", d->name);
	if (once.legacy_pic && d->legacy_pic && d->entry == GUEST_ENTRY_LINUX)
		config_error(c, once.legacy_pic, "partition %s: legacy-pic = on with entry = linux (its firmware tables say the machine has no 8259 PIC)",
			     d->name);
	if (once.module && (!once.image || d->entry != GUEST_ENTRY_MULTIBOOT))
		config_error(c, once.module, "partition %s: module needs image with entry = multiboot (an elf64 guest takes none)",
			     d->name);
	if (!once.image && once.fw_cfg)
		config_error(c, once.fw_cfg, "partition %s: fw-cfg without image (only a guest reads fw_cfg)", d->name);
	if (!once.image && once.legacy_pic)
		config_error(c, once.legacy_pic, "partition %s: legacy-pic without image (only a guest has a PIC)", d->name);
	if (!once.image && once.paravirt)
		config_error(c, once.paravirt, "partition %s: paravirt without image (only a guest has a CPU to see it)", d->name);
	if (!once.legacy_pic)
		d->legacy_pic = once.image && d->entry == GUEST_ENTRY_MULTIBOOT;
	d->legacy_pic_line = once.legacy_pic;
	if (once.time_limit && !d->guest)
		config_error(c, once.time_limit, "partition %s: time-limit without cpus and image (a partition without a guest never runs)",
			     d->name);
	check_expect(c, d, &once);
}

int partition_check(struct config *c, const struct partition_host *h, struct sluice_cfg *s)
{
	u32 before = c->nr_errors;

	memset(s, 0, sizeof(*s));
	memset(cpu_owner, 0, sizeof(cpu_owner));
	s->file = c->file;
	s->iommu = true;
	s->dma_fault_limit = PART_DMA_FAULT_LIMIT;
	for (u32 si = 0; si < c->nr_sections; si++) {
		const struct config_section *sec = &c->sections[si];
		if (!strcmp(sec->type, "sluice"))
			check_sluice(c, h->keys, si, s);
		else if (!strcmp(sec->type, "partition"))
			check_partition(c, h, si, s);
		else
			config_error(c, sec->line, "unknown section [%s] (known: [sluice], [partition \"NAME\"])",
				     sec->type);
	}
	for (const struct sluice_keys *const *k = h->keys; k && *k; k++)
		(*k)->check(c, s);
	check_attack(c, s);
	check_interrupts(c, h, s);
	check_units(c, h, s);
	for (u32 i = 0; i < s->nr; i++)
		if (s->d[i].dma_fault_limit == FAULT_LIMIT_UNSET)
			s->d[i].dma_fault_limit = s->dma_fault_limit;
	return c->nr_errors != before ? -HV_EINVAL : 0;
}
