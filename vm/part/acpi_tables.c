/*
 * A partition's firmware tables (vm/part/acpi_tables.h), written byte by
 * byte in little-endian order (ACPI tables are packed and unaligned,
 * kernel/acpi_hw.h) into a buffer the guest sees at a GPA: RSDP (ACPI 6.5
 * §5.2.5.3), XSDT (§5.2.8), FADT (§5.2.9, hardware-reduced: §4.1 "Hardware-
 * Reduced ACPI"), DSDT (§5.2.11.1, its AML hand-encoded by chapter 20),
 * MADT (§5.2.12) and MCFG (PCI Firmware 3.3 §4.1.2). Each table starts on
 * a 16-byte boundary. Pointers between tables are patched once every
 * table has its place, and the checksums are summed last. No FACS (a
 * hardware-reduced FADT may omit it), no RSDT, no I/O APIC, no DMAR.
 */
#include "vm/part/acpi_tables.h"
#include "kernel/acpi_hw.h"
#include "kernel/err.h"
#include "kernel/lib.h"

#define TABLE_ALIGN     16

/* The buffer being laid: at is the next byte; full once something did not fit (nothing is written past len). */
struct out {
	u8 *buf;
	u32 len, at;
	bool full;
};

static bool room(struct out *o, u32 n)
{
	if (!o->full && n > o->len - o->at)
		o->full = true;
	return !o->full;
}

static void put_bytes(struct out *o, const void *src, u32 n)
{
	if (!room(o, n))
		return;
	memcpy(o->buf + o->at, src, n);
	o->at += n;
}

/* n bytes of val, least significant first. */
static void put_le(struct out *o, u64 val, u32 n)
{
	if (!room(o, n))
		return;
	for (u32 i = 0; i < n; i++)
		o->buf[o->at++] = (u8)(val >> (8 * i));
}

static void put8(struct out *o, u64 val)  { put_le(o, val, 1); }
static void put16(struct out *o, u64 val) { put_le(o, val, 2); }
static void put32(struct out *o, u64 val) { put_le(o, val, 4); }
static void put64(struct out *o, u64 val) { put_le(o, val, 8); }

static void put_zeros(struct out *o, u32 n)
{
	if (!room(o, n))
		return;
	memset(o->buf + o->at, 0, n);
	o->at += n;
}

static void pad_to(struct out *o, u32 align)
{
	put_zeros(o, (align - o->at % align) % align);
}

/* Overwrites n bytes at off (already laid) with val. */
static void patch_le(struct out *o, u32 off, u64 val, u32 n)
{
	if (o->full)
		return;
	for (u32 i = 0; i < n; i++)
		o->buf[off + i] = (u8)(val >> (8 * i));
}

static u8 sum(const u8 *p, u32 n)
{
	u8 s = 0;
	while (n--)
		s = (u8)(s + *p++);
	return s;
}

/* §5.2.6 "System Description Table Header", Length and Checksum left for table_close. Returns its offset. */
static u32 table_open(struct out *o, const char *sig, u8 revision)
{
	pad_to(o, TABLE_ALIGN);
	u32 start = o->at;
	put_bytes(o, sig, 4);
	put32(o, 0);                    /* Length */
	put8(o, revision);
	put8(o, 0);                     /* Checksum */
	put_bytes(o, ACPI_GUEST_OEM_ID, ACPI_OEMID_LEN);
	put_bytes(o, ACPI_GUEST_OEM_TABLE_ID, 8);
	put32(o, ACPI_GUEST_OEM_REVISION);
	put_bytes(o, ACPI_GUEST_CREATOR_ID, 4);
	put32(o, ACPI_GUEST_CREATOR_REVISION);
	return start;
}

/* The table at start ends at o->at: its Length. */
static void table_close(struct out *o, u32 start)
{
	patch_le(o, start + ACPI_HDR_LENGTH, o->at - start, 4);
}

/* The table at start sums to zero (once nothing in it changes any more). */
static void table_sum(struct out *o, u32 start)
{
	if (o->full)
		return;
	u8 *t = o->buf + start;
	u32 len = get_le32(t + ACPI_HDR_LENGTH);
	t[ACPI_HDR_CHECKSUM] = 0;
	t[ACPI_HDR_CHECKSUM] = (u8)-sum(t, len);
}

/* §5.2.3.2: an 8-bit System I/O register at port, reached by byte accesses. */
static void put_gas_io8(struct out *o, u16 port)
{
	put8(o, ACPI_GAS_SPACE_IO);
	put8(o, 8);                     /* Register Bit Width */
	put8(o, 0);                     /* Register Bit Offset */
	put8(o, ACPI_GAS_ACCESS_BYTE);
	put64(o, port);
}

/* ---- AML (ACPI 6.5 chapter 20) ---- */

/* A PkgLength opens at o->at: what follows until aml_close is its content. */
static u32 aml_open(struct out *o)
{
	return o->at;
}

/*
 * §20.2.4 "Package Length Encoding": the content laid since start is
 * moved up to make room for the shortest encoding of its length (which
 * counts its own bytes), written in front of it.
 */
static void aml_close(struct out *o, u32 start)
{
	if (o->full)
		return;
	u32 n = o->at - start, k = 1;
	while (k < 4 && n + k > (k == 1 ? AML_PKGLEN_1_MAX : (1u << (4 + 8 * (k - 1))) - 1))
		k++;
	u32 total = n + k;
	if (total > AML_PKGLEN_MAX || !room(o, k))
		return;
	memmove(o->buf + start + k, o->buf + start, n);
	o->at += k;
	if (k == 1) {
		o->buf[start] = (u8)total;
		return;
	}
	o->buf[start] = (u8)((k - 1) << 6 | (total & 0xf));
	for (u32 i = 1; i < k; i++)
		o->buf[start + i] = (u8)(total >> (4 + 8 * (i - 1)));
}

/* §20.2.3 "Data Objects Encoding": the shortest ComputationalData for v. */
static void aml_int(struct out *o, u64 v)
{
	if (v == 0) {
		put8(o, AML_ZERO_OP);
	} else if (v == 1) {
		put8(o, AML_ONE_OP);
	} else if (v <= 0xff) {
		put8(o, AML_BYTE_PREFIX);
		put8(o, v);
	} else if (v <= 0xffff) {
		put8(o, AML_WORD_PREFIX);
		put16(o, v);
	} else if (v <= 0xffffffffULL) {
		put8(o, AML_DWORD_PREFIX);
		put32(o, v);
	} else {
		put8(o, AML_QWORD_PREFIX);
		put64(o, v);
	}
}

/* Name (seg, ...): the object follows. seg is a full NameSeg ("_S5_"). */
static void aml_name(struct out *o, const char *seg)
{
	put8(o, AML_NAME_OP);
	put_bytes(o, seg, AML_NAMESEG_LEN);
}

/*
 * §6.1.5 "_HID (Hardware ID)": a compressed EISA ID ("PNP0A08"), the
 * three letters in five bits each (A = 1) and the four hex digits, stored
 * most significant byte first as a DWord.
 */
static void aml_eisa_id(struct out *o, const char *id)
{
	u16 letters = (u16)((id[0] - '@') << 10 | (id[1] - '@') << 5 | (id[2] - '@'));
	u32 product = 0;
	for (u32 i = 3; i < 7; i++)
		product = product << 4 | (u32)(id[i] <= '9' ? id[i] - '0' : id[i] - 'A' + 10);
	put8(o, AML_DWORD_PREFIX);
	put8(o, letters >> 8);
	put8(o, letters & 0xff);
	put8(o, product >> 8);
	put8(o, product & 0xff);
}

/* §6.4.3.5.3: the bus numbers the host bridge decodes, fixed. */
static void res_bus_range(struct out *o, u8 start, u8 end)
{
	put8(o, ACPI_RES_WORD_ADDR);
	put16(o, ACPI_RES_WORD_LEN);
	put8(o, ACPI_RES_TYPE_BUS);
	put8(o, ACPI_RES_FLAG_MIF | ACPI_RES_FLAG_MAF);        /* producer, positive decode */
	put8(o, 0);
	put16(o, 0);                    /* granularity */
	put16(o, start);
	put16(o, end);
	put16(o, 0);                    /* translation */
	put16(o, (u32)end - start + 1);
}

/*
 * §6.4.3.5.1: a fixed memory range, read-write, non-cacheable (device
 * registers): a window the device passes down (producer), or a range it
 * takes for itself (consumer).
 */
static void res_mem_range(struct out *o, const struct acpi_window *w, bool consumer)
{
	put8(o, ACPI_RES_QWORD_ADDR);
	put16(o, ACPI_RES_QWORD_LEN);
	put8(o, ACPI_RES_TYPE_MEMORY);
	put8(o, ACPI_RES_FLAG_MIF | ACPI_RES_FLAG_MAF | (consumer ? ACPI_RES_FLAG_CONSUMER : 0));
	put8(o, ACPI_RES_MEM_RW);
	put64(o, 0);                    /* granularity */
	put64(o, w->base);
	put64(o, w->base + w->size - 1);
	put64(o, 0);                    /* translation */
	put64(o, w->size);
}

#define RES_BUS_SIZE    (3 + ACPI_RES_WORD_LEN)
#define RES_MEM_SIZE    (3 + ACPI_RES_QWORD_LEN)
#define RES_END_SIZE    2

/* Device (name) { Name (_HID, EisaId (hid)) ...: its content follows until aml_close of what it returns. */
static u32 aml_device_open(struct out *o, const char *name, const char *hid)
{
	put8(o, AML_EXT_OP_PREFIX);
	put8(o, AML_DEVICE_OP);
	u32 dev = aml_open(o);
	put_bytes(o, name, AML_NAMESEG_LEN);
	aml_name(o, "_HID");
	aml_eisa_id(o, hid);
	return dev;
}

/* Name (_CRS, ResourceTemplate () { ...: size bytes of descriptors follow, then aml_crs_close. */
static u32 aml_crs_open(struct out *o, u32 size)
{
	aml_name(o, "_CRS");
	put8(o, AML_BUFFER_OP);
	u32 buf = aml_open(o);
	aml_int(o, size + RES_END_SIZE);
	return buf;
}

static void aml_crs_close(struct out *o, u32 buf)
{
	put8(o, ACPI_RES_END_TAG);
	put8(o, 0);
	aml_close(o, buf);
}

/*
 * Device (\_SB.ECAM): a motherboard resource (PNP0C02) holding the ECAM
 * window. Linux uses an MCFG entry only when firmware reserves its range
 * so (PCI Firmware 3.3 §4.1.2 asks for it); without a usable 0xcf8
 * mechanism to fall back on, it would see no PCI at all.
 */
static void dsdt_ecam_reserved(struct out *o, const struct acpi_guest *g)
{
	const struct acpi_window ecam = {
		g->ecam_gpa + ((u64)g->bus_start << 20), ((u64)g->bus_end - g->bus_start + 1) << 20,
	};
	u32 dev = aml_device_open(o, "ECAM", "PNP0C02");
	u32 buf = aml_crs_open(o, RES_MEM_SIZE);
	res_mem_range(o, &ecam, true);
	aml_crs_close(o, buf);
	aml_close(o, dev);
}

/*
 * Device (\_SB.PCI0): the PCI Express host bridge (PNP0A08, compatible
 * with PNP0A03) of segment 0, buses bus_start..bus_end, the windows its
 * functions' BARs sit in. Linux enumerates PCI from such a device (and
 * reaches its config space through the MCFG entry of the same buses).
 */
static void dsdt_host_bridge(struct out *o, const struct acpi_guest *g)
{
	u32 dev = aml_device_open(o, "PCI0", "PNP0A08");
	aml_name(o, "_CID");
	aml_eisa_id(o, "PNP0A03");
	aml_name(o, "_SEG");
	aml_int(o, 0);
	aml_name(o, "_UID");
	aml_int(o, 0);
	aml_name(o, "_BBN");
	aml_int(o, g->bus_start);
	u32 buf = aml_crs_open(o, RES_BUS_SIZE + g->nr_windows * RES_MEM_SIZE);
	res_bus_range(o, g->bus_start, g->bus_end);
	for (u32 i = 0; i < g->nr_windows; i++)
		res_mem_range(o, &g->windows[i], false);
	aml_crs_close(o, buf);
	aml_close(o, dev);
	dsdt_ecam_reserved(o, g);
}

/* §6.4.2.5 "I/O Port Descriptor": 16-bit decode, one fixed range of len ports. */
#define RES_IO_SIZE     8
static void res_io(struct out *o, u16 base, u8 len)
{
	put8(o, ACPI_RES_IO_PORT);
	put8(o, ACPI_RES_IO_DECODE16);
	put16(o, base);
	put16(o, base);
	put8(o, 1);                     /* alignment */
	put8(o, len);
}

/*
 * Device (\_SB.COM1): the partition's 16550 at 0x3f8 (PNP0501), with no
 * interrupt: the partition has no interrupt controller for its IRQ 4, and
 * Linux's 8250 driver polls a port that has none (with IRQ 4 the legacy
 * ttyS0 never sent /init's output).
 */
static void dsdt_com1(struct out *o)
{
	u32 dev = aml_device_open(o, "COM1", "PNP0501");
	aml_name(o, "_UID");
	aml_int(o, 1);
	u32 buf = aml_crs_open(o, RES_IO_SIZE);
	res_io(o, ACPI_GUEST_COM1_PORT, 8);
	aml_crs_close(o, buf);
	aml_close(o, dev);
}

/*
 * Device (\_SB.RTC): the partition's CMOS clock at 0x70-0x71 (PNP0B00,
 * vm/dev/vrtc.h), with no interrupt (no I/O APIC for its IRQ 8). Without
 * it Linux waits 1 s for the update-in-progress bit of an absent clock,
 * then starts at 1970.
 */
static void dsdt_rtc(struct out *o)
{
	u32 dev = aml_device_open(o, "RTC_", "PNP0B00");
	u32 buf = aml_crs_open(o, RES_IO_SIZE);
	res_io(o, ACPI_GUEST_RTC_PORT, 2);
	aml_crs_close(o, buf);
	aml_close(o, dev);
}

/*
 * The DSDT: Name (_S5, Package () { 5, 0 }), the SLP_TYPa/SLP_TYPb pair
 * Linux writes to the sleep control register to power off (§7.4.2
 * "\_Sx (System States)"), when there is PCI the host bridge and its
 * ECAM reserved, COM1 and the clock.
 */
static u32 dsdt(struct out *o, const struct acpi_guest *g)
{
	u32 t = table_open(o, "DSDT", ACPI_DSDT_REVISION);
	aml_name(o, "_S5_");
	put8(o, AML_PACKAGE_OP);
	u32 pkg = aml_open(o);
	put8(o, 2);                     /* NumElements */
	aml_int(o, ACPI_SLEEP_S5);
	aml_int(o, 0);
	aml_close(o, pkg);
	put8(o, AML_SCOPE_OP);
	u32 scope = aml_open(o);
	put_bytes(o, "_SB_", AML_NAMESEG_LEN);  /* at the DSDT's root: \_SB_ */
	if (g->ecam_gpa)
		dsdt_host_bridge(o, g);
	dsdt_com1(o);
	dsdt_rtc(o);
	aml_close(o, scope);
	table_close(o, t);
	return t;
}

/* ---- the data tables ---- */

/*
 * FADT, ACPI 6.5 layout (276 bytes): HW_REDUCED_ACPI, so no PM1 blocks,
 * PM timer, GPEs, SCI or SMI command; the sleep registers and the reset
 * register are byte ports of Sluice's (vm/part/acpi_tables.h). X_DSDT is
 * patched by the caller. IAPC_BOOT_ARCH: no 8042, no VGA, no
 * ASPM (a VF's link is its PF's, which the partition does not own); MSI
 * supported. FORCE_APIC_PHYSICAL_DESTINATION_MODE: Sluice delivers
 * physical-destination IPIs only.
 */
static u32 fadt(struct out *o)
{
	u32 t = table_open(o, "FACP", ACPI_FADT_REVISION);
	put_zeros(o, ACPI_FADT_SIZE - ACPI_HDR_SIZE);
	if (o->full)
		return t;
	patch_le(o, t + ACPI_FADT_IAPC_BOOT_ARCH,
		 ACPI_FADT_VGA_NOT_PRESENT | ACPI_FADT_PCIE_ASPM_CONTROLS, 2);
	patch_le(o, t + ACPI_FADT_FLAGS,
		 ACPI_FADT_WBINVD | ACPI_FADT_PWR_BUTTON | ACPI_FADT_SLP_BUTTON | ACPI_FADT_RESET_REG_SUP |
		 ACPI_FADT_FORCE_APIC_PHYSICAL_DESTINATION_MODE | ACPI_FADT_HW_REDUCED_ACPI, 4);
	struct out gas = { .buf = o->buf, .len = o->len };
	gas.at = t + ACPI_FADT_RESET_REG;
	put_gas_io8(&gas, ACPI_GUEST_RESET_PORT);
	patch_le(o, t + ACPI_FADT_RESET_VALUE, ACPI_GUEST_RESET_VALUE, 1);
	patch_le(o, t + ACPI_FADT_MINOR, ACPI_FADT_MINOR_VERSION, 1);
	gas.at = t + ACPI_FADT_SLEEP_CONTROL_REG;
	put_gas_io8(&gas, ACPI_GUEST_SLEEP_CONTROL_PORT);
	gas.at = t + ACPI_FADT_SLEEP_STATUS_REG;
	put_gas_io8(&gas, ACPI_GUEST_SLEEP_STATUS_PORT);
	patch_le(o, t + ACPI_FADT_HYPERVISOR_VENDOR, get_le64("SLUICE\0\0"), 8);
	table_close(o, t);
	return t;
}

/*
 * MADT: the Local APIC at its default address, no 8259s (PCAT_COMPAT
 * clear), and one enabled entry per vCPU with its index as ACPI Processor
 * UID: a Processor Local APIC structure (§5.2.12.2) for an APIC ID below
 * 255 and a UID that fits its byte, a Processor Local x2APIC structure
 * (§5.2.12.12) otherwise, as §5.2.12.12 asks. No I/O APIC (no GSI reaches
 * a partition but through MSI) and no Local APIC NMI structure (its LINT
 * pins are wired to nothing; NMIs come as IPIs).
 */
static u32 madt(struct out *o, const struct acpi_guest *g)
{
	u32 t = table_open(o, "APIC", ACPI_MADT_REVISION);
	put32(o, ACPI_GUEST_LAPIC_ADDR);
	put32(o, 0);                    /* Flags: no PCAT_COMPAT */
	for (u32 i = 0; i < g->nr_cpus; i++) {
		u32 id = g->apic_ids[i];
		if (id < 0xff && i <= 0xff) {
			put8(o, ACPI_MADT_TYPE_LAPIC);
			put8(o, ACPI_MADT_LAPIC_SIZE);
			put8(o, i);
			put8(o, id);
			put32(o, ACPI_MADT_LAPIC_ENABLED);
		} else {
			put8(o, ACPI_MADT_TYPE_X2APIC);
			put8(o, ACPI_MADT_X2APIC_SIZE);
			put16(o, 0);            /* Reserved */
			put32(o, id);
			put32(o, ACPI_MADT_LAPIC_ENABLED);
			put32(o, i);
		}
	}
	table_close(o, t);
	return t;
}

/* MCFG: one allocation, segment 0, where bus 0 of the ECAM would be. */
static u32 mcfg(struct out *o, const struct acpi_guest *g)
{
	u32 t = table_open(o, "MCFG", ACPI_MCFG_REVISION);
	put64(o, 0);                    /* Reserved */
	put64(o, g->ecam_gpa);
	put16(o, 0);
	put8(o, g->bus_start);
	put8(o, g->bus_end);
	put32(o, 0);                    /* Reserved */
	table_close(o, t);
	return t;
}

static int check_guest(const struct acpi_guest *g, u64 gpa)
{
	if (!g->nr_cpus || !g->apic_ids || gpa % TABLE_ALIGN || g->bus_start > g->bus_end ||
	    g->ecam_gpa % ACPI_MCFG_BASE_ALIGN || g->nr_windows > ACPI_GUEST_MAX_WINDOWS ||
	    (g->nr_windows && (!g->ecam_gpa || !g->windows)))
		return -HV_EINVAL;
	for (u32 i = 0; i < g->nr_cpus; i++)
		for (u32 j = 0; j < i; j++)
			if (g->apic_ids[i] == g->apic_ids[j])
				return -HV_EINVAL;
	for (u32 i = 0; i < g->nr_windows; i++)
		if (!g->windows[i].size || g->windows[i].base + g->windows[i].size - 1 < g->windows[i].base)
			return -HV_EINVAL;
	return 0;
}

int acpi_guest_build(const struct acpi_guest *g, void *buf, u64 gpa, u32 len, u64 *rsdp_gpa, u32 *used)
{
	struct out o = { .buf = buf, .len = len };
	u32 tables[3], nr = 0;

	int ret = check_guest(g, gpa);
	if (ret)
		return ret;
	/* §5.2.5.3: revision 2, no RSDT; the XSDT address is patched below. */
	u32 rsdp = o.at;
	put_bytes(&o, ACPI_RSDP_SIGNATURE, 8);
	put8(&o, 0);
	put_bytes(&o, ACPI_GUEST_OEM_ID, ACPI_OEMID_LEN);
	put8(&o, 2);
	put32(&o, 0);
	put32(&o, ACPI_RSDP_V2_SIZE);
	put64(&o, 0);
	put8(&o, 0);
	put_zeros(&o, 3);               /* Reserved */
	u32 xsdt = table_open(&o, "XSDT", ACPI_XSDT_REVISION);
	u32 xsdt_entries = o.at;
	put_zeros(&o, (2 + (g->ecam_gpa ? 1 : 0)) * ACPI_XSDT_ENTRY_SIZE);
	table_close(&o, xsdt);
	u32 facp = fadt(&o);
	u32 dsdt_at = dsdt(&o, g);
	tables[nr++] = facp;
	tables[nr++] = madt(&o, g);
	if (g->ecam_gpa)
		tables[nr++] = mcfg(&o, g);
	if (o.full)
		return -HV_ENOSPC;

	patch_le(&o, rsdp + ACPI_RSDP_XSDT_ADDR, gpa + xsdt, 8);
	for (u32 i = 0; i < nr; i++)
		patch_le(&o, xsdt_entries + i * ACPI_XSDT_ENTRY_SIZE, gpa + tables[i], 8);
	patch_le(&o, facp + ACPI_FADT_X_DSDT, gpa + dsdt_at, 8);
	table_sum(&o, xsdt);
	table_sum(&o, dsdt_at);
	for (u32 i = 0; i < nr; i++)
		table_sum(&o, tables[i]);
	o.buf[rsdp + ACPI_RSDP_CHECKSUM] = (u8)-sum(o.buf + rsdp, ACPI_RSDP_V1_SIZE);
	o.buf[rsdp + ACPI_RSDP_EXT_CHECKSUM] = (u8)-sum(o.buf + rsdp, ACPI_RSDP_V2_SIZE);
	*rsdp_gpa = gpa + rsdp;
	*used = o.at;
	return 0;
}

/* ---- the power ports ---- */

void acpi_guest_reset_vector(u8 code[ACPI_GUEST_RESET_VECTOR_SIZE])
{
	static const u8 stub[] = {
		0xb0, ACPI_GUEST_CF9_FULL_RESET,                /* mov al, 0x0e */
		0xba, ACPI_GUEST_RESET_PORT & 0xff, ACPI_GUEST_RESET_PORT >> 8, /* mov dx, 0x0cf9 */
		0xee,                                           /* out dx, al */
		0xfa,                                           /* cli */
		0xf4,                                           /* hlt */
		0xeb, 0xfd,                                     /* jmp hlt */
	};
	memset(code, 0, ACPI_GUEST_RESET_VECTOR_SIZE);
	memcpy(code, stub, sizeof(stub));
}


static const char *const power_names[ACPI_POWER_NR] = {
	[ACPI_POWER_NONE] = "not a power port",
	[ACPI_POWER_QUIET] = "nothing to do",
	[ACPI_POWER_IGNORED] = "no power action",
	[ACPI_POWER_OFF] = "ACPI power off (S5)",
	[ACPI_POWER_RESET] = "ACPI reset (reboot)",
	[ACPI_POWER_RESET_CF9] = "reset control register 0xcf9 (reboot)",
	[ACPI_POWER_RESET_KBC] = "8042 pulse reset (reboot)",
};

const char *acpi_power_name(enum acpi_power a)
{
	return (u32)a < ACPI_POWER_NR ? power_names[a] : "?";
}

enum acpi_power acpi_power_port(u16 port, u32 size, bool in, u32 val)
{
	if (port == ACPI_GUEST_KBC_PORT)
		return !in && size == 1 && (u8)val == ACPI_GUEST_KBC_PULSE_RESET ? ACPI_POWER_RESET_KBC : ACPI_POWER_NONE;
	if (port != ACPI_GUEST_SLEEP_CONTROL_PORT && port != ACPI_GUEST_SLEEP_STATUS_PORT && port != ACPI_GUEST_RESET_PORT)
		return ACPI_POWER_NONE;
	if (size != 1)
		return ACPI_POWER_IGNORED;
	if (in)
		return ACPI_POWER_QUIET;
	switch (port) {
	case ACPI_GUEST_SLEEP_CONTROL_PORT:
		/* §4.8.3.7: SLP_TYPx takes effect with SLP_EN; S5 is the only state a partition has. */
		if ((val & ACPI_SLEEP_CONTROL_SLP_EN) && FIELD_GET(ACPI_SLEEP_CONTROL_SLP_TYP, val) == ACPI_SLEEP_S5)
			return ACPI_POWER_OFF;
		return ACPI_POWER_IGNORED;
	case ACPI_GUEST_SLEEP_STATUS_PORT:
		/* Clearing WAK_STS (Linux does before it sleeps) is the one write with a meaning, and WAK_STS is never set. */
		return (u8)val == ACPI_SLEEP_STATUS_WAK_STS ? ACPI_POWER_QUIET : ACPI_POWER_IGNORED;
	default:
		if ((u8)val == ACPI_GUEST_RESET_VALUE)
			return ACPI_POWER_RESET;
		return (val & ACPI_GUEST_CF9_RST_CPU) ? ACPI_POWER_RESET_CF9 : ACPI_POWER_IGNORED;
	}
}
