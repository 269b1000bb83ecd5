/*
 * ACPI table discovery (ACPI 6.5 §5.2): checks the RSDP, walks the XSDT or
 * RSDT, lists every table whose header and length check out, and summarises
 * the MADT, the MCFG and the DMAR header. Every byte is reached through
 * phys_to_virt() after its length is known to be mapped.
 * It does not interpret AML or the DMAR remapping structures (iommu/ does).
 */
#define LOG_SUBSYS "acpi"
#include "kernel/acpi.h"
#include "kernel/acpi_hw.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/hw/mem.h"

/* An RSDP claiming more than this is garbage, not a bigger structure. */
#define RSDP_MAX_LEN            4096
/* Conventional memory ends here; an EBDA lies below it. */
#define LOW_MEM_END             0xa0000

/* Every WARN and ERR that acpi_init prints is counted in ai->nr_warnings. */
#define acpi_warn(ai, fmt, ...) \
	do { (ai)->nr_warnings++; log_warn(fmt, ##__VA_ARGS__); } while (0)
#define acpi_err(ai, fmt, ...) \
	do { (ai)->nr_warnings++; log_err(fmt, ##__VA_ARGS__); } while (0)

/* ACPI checksums (§5.2.5.3, §5.2.6): a structure's bytes sum to 0 mod 256. */
static u8 sum8(const u8 *p, u32 n)
{
	u8 sum = 0;
	while (n--)
		sum = (u8)(sum + *p++);
	return sum;
}

/* Copies n bytes of firmware text for the log: stops at NUL, '?' for the unprintable. */
static void text_copy(char *dst, const u8 *src, u32 n)
{
	u32 i;
	for (i = 0; i < n && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	while (i > 0 && dst[i - 1] == ' ')
		i--;
	dst[i] = '\0';
}

int acpi_rsdp_check(const u8 *rsdp, u32 len)
{
	if (!rsdp || len < ACPI_RSDP_V1_SIZE ||
	    memcmp(rsdp + ACPI_RSDP_SIG, ACPI_RSDP_SIGNATURE, 8))
		return -HV_EINVAL;
	if (sum8(rsdp, ACPI_RSDP_V1_SIZE))
		return -HV_ECHKSUM;
	if (rsdp[ACPI_RSDP_REVISION] < 2)
		return 0;
	/* ACPI 2.0+: Length says how far the extended checksum reaches. */
	u32 full = len >= ACPI_RSDP_V2_SIZE ? get_le32(rsdp + ACPI_RSDP_LENGTH) : 0;
	if (full < ACPI_RSDP_V2_SIZE || full > len)
		return -HV_EINVAL;
	if (sum8(rsdp, full))
		return -HV_ECHKSUM;
	return 0;
}

/* Tries each 16-byte boundary in [start, end). Returns 0 and *pa, or -HV_ENOENT. */
static int rsdp_scan_range(u64 start, u64 end, u64 *pa)
{
	for (u64 cand = start; cand + ACPI_RSDP_V1_SIZE <= end; cand += ACPI_RSDP_ALIGN) {
		u32 len = ACPI_RSDP_V1_SIZE;
		const u8 *p = phys_to_virt(cand, len);
		if (!p || memcmp(p + ACPI_RSDP_SIG, ACPI_RSDP_SIGNATURE, 8))
			continue;
		if (p[ACPI_RSDP_REVISION] >= 2) {
			/* 2.0+: check as far as Length says, if that much is mapped. */
			const u8 *v2 = phys_to_virt(cand, ACPI_RSDP_V2_SIZE);
			len = v2 ? get_le32(v2 + ACPI_RSDP_LENGTH) : 0;
			if (len < ACPI_RSDP_V2_SIZE || len > RSDP_MAX_LEN)
				continue;
			p = phys_to_virt(cand, len);
			if (!p)
				continue;
		}
		if (acpi_rsdp_check(p, len) == 0) {
			*pa = cand;
			return 0;
		}
	}
	return -HV_ENOENT;
}

int acpi_rsdp_scan_bios(u64 *pa)
{
	const u8 *bda = phys_to_virt(ACPI_BDA_EBDA_SEG, 2);

	if (bda) {
		u64 ebda_pa = (u64)get_le16(bda) << 4;
		/* As in ACPICA: a pointer into the IVT/BDA or past low memory means no EBDA. */
		u64 end = MIN(ebda_pa + ACPI_EBDA_SCAN_SIZE, LOW_MEM_END);
		if (ebda_pa > 0x400 && ebda_pa < LOW_MEM_END &&
		    rsdp_scan_range(ebda_pa, end, pa) == 0)
			return 0;
	}
	return rsdp_scan_range(ACPI_BIOS_ROM_START, ACPI_BIOS_ROM_END, pa);
}

/* The INFO line every table gets: signature, address, length, revision, OEM. */
static void table_log(const u8 *hdr, u64 pa)
{
	char sig[5], oem[ACPI_OEMID_LEN + 1];

	text_copy(sig, hdr + ACPI_HDR_SIG, 4);
	text_copy(oem, hdr + ACPI_HDR_OEMID, ACPI_OEMID_LEN);
	log_info("%s 0x%016llx len %u rev %u %s", sig, (unsigned long long)pa,
		 get_le32(hdr + ACPI_HDR_LENGTH), hdr[ACPI_HDR_REVISION], oem);
}

/*
 * Maps and checks the root table sig ("XSDT"/"RSDT") at pa: mapped,
 * signature, length >= 36, checksum. Returns 0 with *out and *len, or
 * -HV_ERANGE / -HV_EINVAL / -HV_ECHKSUM with the reason in why.
 */
static int root_map(u64 pa, const char *sig, const u8 **out, u32 *len, char *why, size_t why_size)
{
	const u8 *t = phys_to_virt(pa, ACPI_HDR_SIZE);
	char found[5];

	if (!t) {
		fmt_snprintf(why, why_size, "is not mapped");
		return -HV_ERANGE;
	}
	if (memcmp(t + ACPI_HDR_SIG, sig, 4)) {
		text_copy(found, t + ACPI_HDR_SIG, 4);
		fmt_snprintf(why, why_size, "has signature \"%s\"", found);
		return -HV_EINVAL;
	}
	*len = get_le32(t + ACPI_HDR_LENGTH);
	if (*len < ACPI_HDR_SIZE) {
		fmt_snprintf(why, why_size, "has len %u, shorter than its header", *len);
		return -HV_EINVAL;
	}
	t = phys_to_virt(pa, *len);
	if (!t) {
		fmt_snprintf(why, why_size, "len %u runs past mapped memory", *len);
		return -HV_ERANGE;
	}
	u8 sum = sum8(t, *len);
	if (sum) {
		fmt_snprintf(why, why_size, "has a bad checksum (0x%02x, should be 0x%02x)",
			     t[ACPI_HDR_CHECKSUM], (u8)(t[ACPI_HDR_CHECKSUM] - sum));
		return -HV_ECHKSUM;
	}
	*out = t;
	return 0;
}

/*
 * Lists the table at pa in ai->tables (and prints its line) when its header
 * and whole length are mapped and the length covers the header. A bad
 * checksum is only a WARN: firmware gets it wrong and Linux carries on too.
 */
static void table_add(struct acpi_info *ai, u64 pa)
{
	const u8 *hdr = phys_to_virt(pa, ACPI_HDR_SIZE);
	char sig[5];

	/* Two steps: only the header says how much to map. */
	if (!hdr) {
		acpi_err(ai, "table at 0x%016llx: header not mapped, skipped",
			     (unsigned long long)pa);
		return;
	}
	text_copy(sig, hdr + ACPI_HDR_SIG, 4);
	u32 len = get_le32(hdr + ACPI_HDR_LENGTH);
	if (len < ACPI_HDR_SIZE) {
		acpi_err(ai, "table %s at 0x%016llx len %u is shorter than its 36-byte header, skipped",
			     sig, (unsigned long long)pa, len);
		return;
	}
	const u8 *t = phys_to_virt(pa, len);
	if (!t) {
		acpi_err(ai, "table %s at 0x%016llx len %u runs past mapped memory, skipped",
			     sig, (unsigned long long)pa, len);
		return;
	}
	if (ai->nr_tables == ACPI_MAX_TABLES) {
		acpi_warn(ai, "table %s at 0x%016llx: list full (%u tables), not listed",
			      sig, (unsigned long long)pa, ACPI_MAX_TABLES);
		return;
	}
	table_log(t, pa);
	struct acpi_table_ref *ref = &ai->tables[ai->nr_tables++];
	memcpy(ref->sig, t + ACPI_HDR_SIG, 4);
	ref->sig[4] = '\0';
	ref->pa = pa;
	ref->len = len;
	u8 sum = sum8(t, len);
	ref->checksum_ok = sum == 0;
	if (sum)
		acpi_warn(ai, "table %s at 0x%016llx has a bad checksum (0x%02x, should be 0x%02x)",
			      sig, (unsigned long long)pa, t[ACPI_HDR_CHECKSUM], (u8)(t[ACPI_HDR_CHECKSUM] - sum));
}

/*
 * Picks the root table: the XSDT when the RSDP has one, else (or when the
 * XSDT is bad) the RSDT. Returns 0 with *root, *len and *entry_size, or
 * a negative HV_E* after an ERR line when neither is usable.
 */
static int root_pick(struct acpi_info *ai, const u8 **root, u32 *len, u32 *entry_size)
{
	char why[80];
	int ret;

	/* SPEC: an OS that can use the XSDT uses it instead of the RSDT (§5.2.8). */
	if (ai->xsdt_pa) {
		ret = root_map(ai->xsdt_pa, "XSDT", root, len, why, sizeof(why));
		if (ret == 0) {
			ai->using_xsdt = true;
			*entry_size = ACPI_XSDT_ENTRY_SIZE;
			return 0;
		}
		acpi_warn(ai, "XSDT at 0x%016llx %s; falling back to the RSDT",
			      (unsigned long long)ai->xsdt_pa, why);
	}
	if (!ai->rsdt_pa) {
		acpi_err(ai, "no usable RSDT or XSDT (RSDT address is 0)");
		return -HV_ENOENT;
	}
	ret = root_map(ai->rsdt_pa, "RSDT", root, len, why, sizeof(why));
	if (ret < 0) {
		acpi_err(ai, "RSDT at 0x%016llx %s; no usable RSDT or XSDT",
			     (unsigned long long)ai->rsdt_pa, why);
		return ret;
	}
	*entry_size = ACPI_RSDT_ENTRY_SIZE;
	return 0;
}

/* MPS INTI polarity and trigger (§5.2.12.5), in the spec's words. */
static const char *const inti_polarity[] = { "conforms", "active high", "reserved", "active low" };
static const char *const inti_trigger[] = { "conforms", "edge", "reserved", "level" };

/* Adds one processor entry; disabled and not online-capable ones are not CPUs. */
static void madt_cpu_add(struct acpi_info *ai, u32 apic_id, u32 uid, u32 flags, bool x2apic)
{
	bool enabled = flags & ACPI_MADT_LAPIC_ENABLED;
	/* SPEC: "If the Enabled bit is set, this bit is reserved". */
	bool online_capable = !enabled && (flags & ACPI_MADT_LAPIC_ONLINE_CAPABLE);

	if (!enabled && !online_capable) {
		log_dbg("MADT: APIC ID %u disabled, ignored", apic_id);
		return;
	}
	if (ai->nr_cpus == ACPI_MAX_CPUS) {
		acpi_warn(ai, "MADT: more than %u CPUs, APIC ID %u ignored",
			      ACPI_MAX_CPUS, apic_id);
		return;
	}
	struct acpi_cpu *c = &ai->cpus[ai->nr_cpus++];
	c->apic_id = apic_id;
	c->uid = uid;
	c->x2apic = x2apic;
	c->enabled = enabled;
	c->online_capable = online_capable;
}

/* One Interrupt Controller Structure e of elen (>= 2) bytes at offset off. */
static void madt_entry(struct acpi_info *ai, const u8 *e, u32 elen, u32 off)
{
	/* Later revisions may grow an entry, so only a shorter one is refused. */
	static const u8 min_len[] = {
		[ACPI_MADT_TYPE_LAPIC] = ACPI_MADT_LAPIC_SIZE,
		[ACPI_MADT_TYPE_IOAPIC] = ACPI_MADT_IOAPIC_SIZE,
		[ACPI_MADT_TYPE_OVERRIDE] = ACPI_MADT_OVR_SIZE,
		[ACPI_MADT_TYPE_LAPIC_OVERRIDE] = ACPI_MADT_LAPIC_OVR_SIZE,
		[ACPI_MADT_TYPE_X2APIC] = ACPI_MADT_X2APIC_SIZE,
	};
	u8 type = e[ACPI_MADT_ENT_TYPE];

	/* Types we do not use (NMI, SAPIC, GIC, ...) are skipped by length. */
	if (type >= ARRAY_SIZE(min_len) || !min_len[type])
		return;
	if (elen < min_len[type]) {
		acpi_err(ai, "MADT: entry type %u at offset 0x%x has len %u, needs %u, skipped",
			     type, off, elen, min_len[type]);
		return;
	}
	switch (type) {
	case ACPI_MADT_TYPE_LAPIC:
		madt_cpu_add(ai, e[ACPI_MADT_LAPIC_ID], e[ACPI_MADT_LAPIC_UID],
			     get_le32(e + ACPI_MADT_LAPIC_FLAGS), false);
		break;
	case ACPI_MADT_TYPE_X2APIC:
		madt_cpu_add(ai, get_le32(e + ACPI_MADT_X2APIC_ID), get_le32(e + ACPI_MADT_X2APIC_UID),
			     get_le32(e + ACPI_MADT_X2APIC_FLAGS), true);
		break;
	case ACPI_MADT_TYPE_IOAPIC: {
		if (ai->nr_ioapics == ACPI_MAX_IOAPICS) {
			acpi_warn(ai, "MADT: more than %u IOAPICs, IOAPIC %u ignored",
				      ACPI_MAX_IOAPICS, e[ACPI_MADT_IOAPIC_ID]);
			break;
		}
		struct acpi_ioapic *io = &ai->ioapics[ai->nr_ioapics++];
		io->id = e[ACPI_MADT_IOAPIC_ID];
		io->pa = get_le32(e + ACPI_MADT_IOAPIC_ADDR);
		io->gsi_base = get_le32(e + ACPI_MADT_IOAPIC_GSI_BASE);
		log_info("MADT: IOAPIC %u at 0x%016llx gsi %u",
			 io->id, (unsigned long long)io->pa, io->gsi_base);
		break;
	}
	case ACPI_MADT_TYPE_OVERRIDE: {
		if (ai->nr_overrides == ACPI_MAX_OVERRIDES) {
			acpi_warn(ai, "MADT: more than %u overrides, irq %u ignored",
				      ACPI_MAX_OVERRIDES, e[ACPI_MADT_OVR_SOURCE]);
			break;
		}
		struct acpi_override *o = &ai->overrides[ai->nr_overrides++];
		o->bus = e[ACPI_MADT_OVR_BUS];
		o->source_irq = e[ACPI_MADT_OVR_SOURCE];
		o->gsi = get_le32(e + ACPI_MADT_OVR_GSI);
		o->flags = get_le16(e + ACPI_MADT_OVR_FLAGS);
		log_info("MADT: override bus %u irq %u -> gsi %u flags 0x%04x (%s, %s)",
			 o->bus, o->source_irq, o->gsi, o->flags,
			 inti_polarity[FIELD_GET(ACPI_MPS_INTI_POLARITY, o->flags)],
			 inti_trigger[FIELD_GET(ACPI_MPS_INTI_TRIGGER, o->flags)]);
		break;
	}
	case ACPI_MADT_TYPE_LAPIC_OVERRIDE:
		/* SPEC: when present, used instead of the header's 32-bit address. */
		ai->lapic_pa = get_le64(e + ACPI_MADT_LAPIC_OVR_ADDR);
		log_info("MADT: local APIC address override 0x%016llx",
			 (unsigned long long)ai->lapic_pa);
		break;
	}
}

/* Formats the counted CPUs' APIC IDs as "0,1,2,3", cut with ",..." when long. */
static void madt_ids(const struct acpi_info *ai, char *buf, size_t size)
{
	size_t o = 0;

	fmt_snprintf(buf, size, "none");
	for (u32 i = 0; i < ai->nr_cpus; i++) {
		int n = fmt_snprintf(buf + o, size - o, "%s%u", i ? "," : "", ai->cpus[i].apic_id);
		if (n < 0 || o + (size_t)n + 5 > size) {
			memcpy(buf + o, ",...", 5);
			return;
		}
		o += (size_t)n;
	}
}

/*
 * MADT (§5.2.12): the local APIC address, CPUs, IOAPICs and ISA overrides.
 * Only the first MADT is read. A zero-length entry or one running past the
 * table ends the walk (Linux stops the same way rather than loop forever);
 * what was read before it is kept.
 */
static void madt_parse(struct acpi_info *ai)
{
	const struct acpi_table_ref *ref = acpi_find(ai, "APIC", 0);
	char ids[128];

	if (!ref) {
		acpi_warn(ai, "MADT: absent (no local APIC or IOAPIC information)");
		return;
	}
	const u8 *t = phys_to_virt(ref->pa, ref->len);
	if (!t || ref->len < ACPI_MADT_ENTRIES) {
		acpi_err(ai, "MADT at 0x%016llx len %u is shorter than its 44-byte header, ignored",
			     (unsigned long long)ref->pa, ref->len);
		return;
	}
	ai->have_madt = true;
	ai->lapic_pa = get_le32(t + ACPI_MADT_LAPIC_ADDR);
	ai->madt_flags = get_le32(t + ACPI_MADT_FLAGS);
	/* Every entry starts with type and length; both must fit before either is trusted. */
	for (u32 off = ACPI_MADT_ENTRIES; off < ref->len;) {
		u32 elen = ref->len - off >= 2 ? t[off + ACPI_MADT_ENT_LEN] : 0;
		if (ref->len - off < 2 || elen > ref->len - off) {
			acpi_err(ai, "MADT: entry at offset 0x%x runs past the table (len %u), parsing stopped",
				     off, ref->len);
			break;
		}
		if (elen < 2) {
			acpi_err(ai, "MADT: entry type %u at offset 0x%x has len %u, parsing stopped",
				     t[off], off, elen);
			break;
		}
		madt_entry(ai, t + off, elen, off);
		off += elen;
	}
	madt_ids(ai, ids, sizeof(ids));
	log_info("MADT: %u CPUs (APIC IDs %s), %u IOAPIC(s), lapic 0x%016llx",
		 ai->nr_cpus, ids, ai->nr_ioapics, (unsigned long long)ai->lapic_pa);
}

/* MCFG: one ECAM window per segment and bus range; none means port 0xCF8. */
static void mcfg_parse(struct acpi_info *ai)
{
	const struct acpi_table_ref *ref = acpi_find(ai, "MCFG", 0);

	if (!ref) {
		log_info("MCFG: absent (no ECAM; port 0xCF8 access)");
		return;
	}
	const u8 *t = phys_to_virt(ref->pa, ref->len);
	if (!t || ref->len < ACPI_MCFG_ENTRIES) {
		acpi_err(ai, "MCFG at 0x%016llx len %u is shorter than its 44-byte header, ignored (port 0xCF8 access)",
			     (unsigned long long)ref->pa, ref->len);
		return;
	}
	u32 n = (ref->len - ACPI_MCFG_ENTRIES) / ACPI_MCFG_ENTRY_SIZE;
	u32 stray = (ref->len - ACPI_MCFG_ENTRIES) % ACPI_MCFG_ENTRY_SIZE;
	if (stray)
		acpi_warn(ai, "MCFG: len %u leaves %u stray bytes after %u entries",
			      ref->len, stray, n);
	for (u32 i = 0; i < n; i++) {
		const u8 *e = t + ACPI_MCFG_ENTRIES + i * ACPI_MCFG_ENTRY_SIZE;
		u64 base = get_le64(e + ACPI_MCFG_ENT_BASE);
		u16 seg = get_le16(e + ACPI_MCFG_ENT_SEGMENT);
		u8 bus_start = e[ACPI_MCFG_ENT_BUS_START], bus_end = e[ACPI_MCFG_ENT_BUS_END];

		if (bus_start > bus_end) {
			acpi_err(ai, "MCFG: segment %u buses 0x%02x-0x%02x: start is past end, entry skipped",
				     seg, bus_start, bus_end);
			continue;
		}
		/* Odd but usable (bus n is at base + n MiB): kept, for pci/ to judge. */
		if (!IS_ALIGNED(base, ACPI_MCFG_BASE_ALIGN))
			acpi_warn(ai, "MCFG: segment %u ECAM 0x%016llx is not 1 MiB aligned",
				      seg, (unsigned long long)base);
		if (ai->nr_mcfg == ACPI_MAX_MCFG) {
			acpi_warn(ai, "MCFG: more than %u entries, the rest ignored",
				      ACPI_MAX_MCFG);
			break;
		}
		struct acpi_mcfg *m = &ai->mcfg[ai->nr_mcfg++];
		m->base = base;
		m->segment = seg;
		m->bus_start = bus_start;
		m->bus_end = bus_end;
		log_info("MCFG: segment %u buses 0x%02x-0x%02x ECAM 0x%016llx",
			 seg, bus_start, bus_end, (unsigned long long)base);
	}
	if (ai->nr_mcfg == 0)
		acpi_warn(ai, "MCFG: no usable entries (no ECAM; port 0xCF8 access)");
}

/* DMAR: the header tells whether VT-d exists; iommu/ reads the structures. */
static void dmar_parse(struct acpi_info *ai)
{
	const struct acpi_table_ref *ref = acpi_find(ai, "DMAR", 0);

	if (!ref) {
		log_info("DMAR absent (no VT-d)");
		return;
	}
	const u8 *t = phys_to_virt(ref->pa, ref->len);
	if (!t || ref->len < ACPI_DMAR_STRUCTURES) {
		acpi_err(ai, "DMAR at 0x%016llx len %u is shorter than its 48-byte header, ignored (no VT-d)",
			     (unsigned long long)ref->pa, ref->len);
		return;
	}
	ai->have_dmar = true;
	ai->dmar_pa = ref->pa;
	ai->dmar_len = ref->len;
	/* Stored raw (width - 1, as VT-d §8.1 defines it); the log shows the width. */
	ai->dmar_haw = t[ACPI_DMAR_HAW];
	ai->dmar_flags = t[ACPI_DMAR_FLAGS];
	log_info("DMAR present at 0x%016llx len %u haw %u bits flags 0x%02x",
		 (unsigned long long)ref->pa, ref->len, ai->dmar_haw + 1u, ai->dmar_flags);
}

/*
 * Fills *ai from scratch (it is zeroed first). The root table itself is
 * described by rsdt_pa/xsdt_pa/using_xsdt and is not in ai->tables; a null
 * entry in it is skipped silently, as Linux does.
 */
int acpi_init(const u8 *rsdp, u32 rsdp_len, struct acpi_info *ai)
{
	const u8 *root;
	u32 root_len, entry_size;
	int ret;

	memset(ai, 0, sizeof(*ai));
	ret = acpi_rsdp_check(rsdp, rsdp_len);
	if (ret < 0) {
		acpi_err(ai, "RSDP rejected: %s",
			     ret == -HV_ECHKSUM ? "bad checksum" : "no signature or bad length");
		return ret;
	}
	/* Revision 0 is ACPI 1.0 (RSDT only); 2 covers every later version. */
	ai->rsdp_revision = rsdp[ACPI_RSDP_REVISION];
	text_copy(ai->oem_id, rsdp + ACPI_RSDP_OEMID, ACPI_OEMID_LEN);
	ai->rsdt_pa = get_le32(rsdp + ACPI_RSDP_RSDT_ADDR);
	if (ai->rsdp_revision >= 2)
		ai->xsdt_pa = get_le64(rsdp + ACPI_RSDP_XSDT_ADDR);
	log_info("RSDP rev %u %s rsdt 0x%016llx xsdt 0x%016llx",
		 ai->rsdp_revision, ai->oem_id, (unsigned long long)ai->rsdt_pa, (unsigned long long)ai->xsdt_pa);

	ret = root_pick(ai, &root, &root_len, &entry_size);
	if (ret < 0)
		return ret;
	u64 root_pa = ai->using_xsdt ? ai->xsdt_pa : ai->rsdt_pa;
	table_log(root, root_pa);

	u32 n = (root_len - ACPI_HDR_SIZE) / entry_size;
	for (u32 i = 0; i < n; i++) {
		const u8 *e = root + ACPI_HDR_SIZE + i * entry_size;
		u64 pa = entry_size == ACPI_XSDT_ENTRY_SIZE ? get_le64(e) : get_le32(e);
		if (pa)
			table_add(ai, pa);
	}

	/* Summaries after the list, so the tables print as one block. */
	madt_parse(ai);
	mcfg_parse(ai);
	dmar_parse(ai);
	return 0;
}

const struct acpi_table_ref *acpi_find(const struct acpi_info *ai, const char *sig, u32 n)
{
	if (!ai || !sig)
		return NULL;
	for (u32 i = 0; i < ai->nr_tables; i++)
		if (!strcmp(ai->tables[i].sig, sig) && n-- == 0)
			return &ai->tables[i];
	return NULL;
}
