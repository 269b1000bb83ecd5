/*
 * Host tests for vm/part/acpi_tables.c: the tables a partition's guest
 * finds, read back field by field at the offsets of kernel/acpi_hw.h, by
 * Sluice's own ACPI parser (kernel/acpi.c, on fake physical memory: the
 * same walk from the RSDP Linux makes), and by ACPICA: iasl disassembles
 * every table without a warning, and the DSDT's AML is byte for byte what
 * iasl compiles from the ASL it stands for. The iasl tests skip with a
 * message when iasl (acpica-tools) is absent. Also the power ports'
 * decision, value by value.
 */
#define _GNU_SOURCE     /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm/part/acpi_tables.h"
#include "kernel/acpi.h"
#include "kernel/acpi_hw.h"
#include "kernel/err.h"
#include "tests/fakes/fake_log.h"
#include "tests/fakes/fake_mem.h"

#define GPA             (FAKE_MEM_BASE + 0x9f000)      /* where the guest sees the tables */
#define ECAM            0xb0000000ULL
#define BUF_SIZE        32768

static u8 *buf;
static u64 rsdp_gpa;
static u32 used;
static u32 ids3[3] = { 0, 1, 2 };
static const struct acpi_window windows[2] = { { 0xfe000000ULL, 0x4000 }, { 0x800000000ULL, 0x100000 } };

static struct acpi_guest guest(u32 nr, const u32 *ids, u64 ecam)
{
	return (struct acpi_guest){ .nr_cpus = nr, .apic_ids = ids, .ecam_gpa = ecam, .bus_start = 0, .bus_end = 0xff,
				    .nr_windows = ecam ? 2 : 0, .windows = ecam ? windows : NULL };
}

static int setup(void **state __unused)
{
	buf = malloc(BUF_SIZE);
	assert_non_null(buf);
	memset(buf, 0xa5, BUF_SIZE);
	fake_mem_reset();
	fake_log_capture();
	return 0;
}

static int teardown(void **state __unused)
{
	free(buf);
	fake_mem_reset();
	return 0;
}

static void build(const struct acpi_guest *g)
{
	assert_int_equal(acpi_guest_build(g, buf, GPA, BUF_SIZE, &rsdp_gpa, &used), 0);
	assert_int_equal(rsdp_gpa, GPA);
	assert_true(used > 0 && used <= BUF_SIZE);
}

static u8 sum(const u8 *p, u32 n)
{
	u8 s = 0;
	while (n--)
		s = (u8)(s + *p++);
	return s;
}

/* The table the guest finds at gpa (inside what was laid). */
static u8 *at(u64 gpa)
{
	assert_true(gpa >= GPA && gpa < GPA + used);
	return buf + (gpa - GPA);
}

/* The XSDT's table with signature sig, NULL when it lists none. */
static u8 *find(const char *sig)
{
	u8 *x = at(get_le64(buf + ACPI_RSDP_XSDT_ADDR));
	u32 n = (get_le32(x + ACPI_HDR_LENGTH) - ACPI_HDR_SIZE) / ACPI_XSDT_ENTRY_SIZE;
	for (u32 i = 0; i < n; i++) {
		u8 *t = at(get_le64(x + ACPI_HDR_SIZE + i * ACPI_XSDT_ENTRY_SIZE));
		if (!memcmp(t, sig, 4))
			return t;
	}
	return NULL;
}

static void assert_header(const u8 *t, const char *sig, u8 revision)
{
	assert_memory_equal(t, sig, 4);
	assert_int_equal(t[ACPI_HDR_REVISION], revision);
	assert_memory_equal(t + ACPI_HDR_OEMID, "SLUICE", 6);
	assert_memory_equal(t + ACPI_HDR_OEM_TABLE_ID, "SLUICEPT", 8);
	assert_int_equal(get_le32(t + ACPI_HDR_OEM_REVISION), 1);
	assert_memory_equal(t + ACPI_HDR_CREATOR_ID, "SLCE", 4);
	assert_int_equal(get_le32(t + ACPI_HDR_CREATOR_REV), ACPI_GUEST_CREATOR_REVISION);
	assert_int_equal(sum(t, get_le32(t + ACPI_HDR_LENGTH)), 0);
	assert_int_equal((t - buf) % 16, 0);
}

/* ---- the tables, read back ---- */

static void every_table_sums_to_zero_and_is_reached_from_the_rsdp(void **state __unused)
{
	struct acpi_guest g = guest(3, ids3, ECAM);
	build(&g);
	assert_memory_equal(buf, "RSD PTR ", 8);
	assert_int_equal(buf[ACPI_RSDP_REVISION], 2);
	assert_memory_equal(buf + ACPI_RSDP_OEMID, "SLUICE", 6);
	assert_int_equal(sum(buf, ACPI_RSDP_V1_SIZE), 0);
	assert_int_equal(get_le32(buf + ACPI_RSDP_LENGTH), ACPI_RSDP_V2_SIZE);
	assert_int_equal(sum(buf, ACPI_RSDP_V2_SIZE), 0);
	assert_int_equal(get_le32(buf + ACPI_RSDP_RSDT_ADDR), 0);       /* XSDT only */
	u8 *x = at(get_le64(buf + ACPI_RSDP_XSDT_ADDR));
	assert_header(x, "XSDT", 1);
	assert_int_equal(get_le32(x + ACPI_HDR_LENGTH), ACPI_HDR_SIZE + 3 * ACPI_XSDT_ENTRY_SIZE);
	u8 *fadt = find("FACP"), *madt = find("APIC"), *mcfg = find("MCFG");
	assert_non_null(fadt);
	assert_non_null(madt);
	assert_non_null(mcfg);
	assert_header(fadt, "FACP", 6);
	assert_header(madt, "APIC", 5);
	assert_header(mcfg, "MCFG", 1);
	u8 *dsdt = at(get_le64(fadt + ACPI_FADT_X_DSDT));
	assert_header(dsdt, "DSDT", 2);
	/* Nothing the XSDT does not name, and nothing laid past used. */
	assert_null(find("DSDT"));
	assert_null(find("DMAR"));
	assert_int_equal(used, (u32)(mcfg - buf) + get_le32(mcfg + ACPI_HDR_LENGTH));
	assert_int_equal(buf[used], 0xa5);
}

static void fadt_is_hardware_reduced_with_the_power_ports(void **state __unused)
{
	struct acpi_guest g = guest(1, ids3, ECAM);
	build(&g);
	u8 *f = find("FACP");
	assert_int_equal(get_le32(f + ACPI_HDR_LENGTH), ACPI_FADT_SIZE);
	assert_int_equal(f[ACPI_FADT_MINOR], 5);
	u32 flags = get_le32(f + ACPI_FADT_FLAGS);
	assert_true(flags & ACPI_FADT_HW_REDUCED_ACPI);
	assert_true(flags & ACPI_FADT_RESET_REG_SUP);
	assert_true(flags & ACPI_FADT_FORCE_APIC_PHYSICAL_DESTINATION_MODE);
	u16 boot = get_le16(f + ACPI_FADT_IAPC_BOOT_ARCH);
	assert_int_equal(boot & (ACPI_FADT_LEGACY_DEVICES | ACPI_FADT_8042 | ACPI_FADT_MSI_NOT_SUPPORTED), 0);
	assert_true(boot & ACPI_FADT_VGA_NOT_PRESENT);
	assert_false(boot & ACPI_FADT_CMOS_RTC_NOT_PRESENT);     /* the partition's clock (vm/dev/vrtc.h) */
	assert_true(boot & ACPI_FADT_PCIE_ASPM_CONTROLS);
	/* No FACS, no 32-bit DSDT, no SCI, no SMI, no PM1 block, no PM timer. */
	assert_int_equal(get_le32(f + ACPI_FADT_FIRMWARE_CTRL), 0);
	assert_int_equal(get_le64(f + ACPI_FADT_X_FIRMWARE_CTRL), 0);
	assert_int_equal(get_le32(f + ACPI_FADT_DSDT), 0);
	assert_int_equal(get_le16(f + ACPI_FADT_SCI_INT), 0);
	assert_int_equal(get_le32(f + ACPI_FADT_SMI_CMD), 0);
	assert_int_equal(get_le32(f + ACPI_FADT_PM1A_EVT_BLK), 0);
	assert_int_equal(get_le32(f + ACPI_FADT_PM_TMR_BLK), 0);
	assert_int_equal(f[ACPI_FADT_PM_TMR_LEN], 0);
	assert_int_equal(get_le64(f + ACPI_FADT_X_PM_TMR_BLK + ACPI_GAS_ADDRESS), 0);
	/* The three registers: 8-bit System I/O, byte access, at Sluice's ports. */
	static const struct { u32 off; u16 port; } regs[] = {
		{ ACPI_FADT_RESET_REG, ACPI_GUEST_RESET_PORT },
		{ ACPI_FADT_SLEEP_CONTROL_REG, ACPI_GUEST_SLEEP_CONTROL_PORT },
		{ ACPI_FADT_SLEEP_STATUS_REG, ACPI_GUEST_SLEEP_STATUS_PORT },
	};
	for (u32 i = 0; i < 3; i++) {
		const u8 *gas = f + regs[i].off;
		assert_int_equal(gas[ACPI_GAS_SPACE_ID], ACPI_GAS_SPACE_IO);
		assert_int_equal(gas[ACPI_GAS_BIT_WIDTH], 8);
		assert_int_equal(gas[ACPI_GAS_BIT_OFFSET], 0);
		assert_int_equal(gas[ACPI_GAS_ACCESS_SIZE], ACPI_GAS_ACCESS_BYTE);
		assert_int_equal(get_le64(gas + ACPI_GAS_ADDRESS), regs[i].port);
	}
	assert_int_equal(f[ACPI_FADT_RESET_VALUE], 0x06);
	assert_memory_equal(f + ACPI_FADT_HYPERVISOR_VENDOR, "SLUICE\0\0", 8);
}

/* The MADT's entries, each checked against apic_ids[i] with UID i. */
static void assert_madt(const u32 *ids, u32 nr)
{
	u8 *m = find("APIC");
	assert_int_equal(get_le32(m + ACPI_MADT_LAPIC_ADDR), 0xfee00000u);
	assert_int_equal(get_le32(m + ACPI_MADT_FLAGS) & ACPI_MADT_PCAT_COMPAT, 0);
	u32 len = get_le32(m + ACPI_HDR_LENGTH), off = ACPI_MADT_ENTRIES, i = 0;
	while (off < len) {
		const u8 *e = m + off;
		assert_true(i < nr);
		if (ids[i] < 255 && i < 256) {
			assert_int_equal(e[ACPI_MADT_ENT_TYPE], ACPI_MADT_TYPE_LAPIC);
			assert_int_equal(e[ACPI_MADT_ENT_LEN], ACPI_MADT_LAPIC_SIZE);
			assert_int_equal(e[ACPI_MADT_LAPIC_UID], i);
			assert_int_equal(e[ACPI_MADT_LAPIC_ID], ids[i]);
			assert_int_equal(get_le32(e + ACPI_MADT_LAPIC_FLAGS), ACPI_MADT_LAPIC_ENABLED);
		} else {
			assert_int_equal(e[ACPI_MADT_ENT_TYPE], ACPI_MADT_TYPE_X2APIC);
			assert_int_equal(e[ACPI_MADT_ENT_LEN], ACPI_MADT_X2APIC_SIZE);
			assert_int_equal(get_le32(e + ACPI_MADT_X2APIC_ID), ids[i]);
			assert_int_equal(get_le32(e + ACPI_MADT_X2APIC_UID), i);
			assert_int_equal(get_le32(e + ACPI_MADT_X2APIC_FLAGS), ACPI_MADT_LAPIC_ENABLED);
		}
		off += e[ACPI_MADT_ENT_LEN];
		i++;
	}
	assert_int_equal(off, len);
	assert_int_equal(i, nr);
}

static void madt_lists_one_cpu(void **state __unused)
{
	struct acpi_guest g = guest(1, ids3, ECAM);
	build(&g);
	assert_madt(ids3, 1);
	assert_int_equal(get_le32(find("APIC") + ACPI_HDR_LENGTH), ACPI_MADT_ENTRIES + ACPI_MADT_LAPIC_SIZE);
}

static void madt_lists_three_cpus(void **state __unused)
{
	struct acpi_guest g = guest(3, ids3, ECAM);
	build(&g);
	assert_madt(ids3, 3);
	assert_int_equal(get_le32(find("APIC") + ACPI_HDR_LENGTH), ACPI_MADT_ENTRIES + 3 * ACPI_MADT_LAPIC_SIZE);
}

/* APIC IDs from 255 up (and UIDs past a byte) take x2APIC entries; 254 is the last Local APIC one. */
static void madt_gives_x2apic_entries_from_apic_id_255(void **state __unused)
{
	static const u32 mixed[5] = { 0, 254, 255, 300, 7 };
	struct acpi_guest g = guest(5, mixed, ECAM);
	build(&g);
	assert_madt(mixed, 5);
	u8 *m = find("APIC");
	assert_int_equal(m[ACPI_MADT_ENTRIES + 2 * ACPI_MADT_LAPIC_SIZE], ACPI_MADT_TYPE_X2APIC);
	/* A 300-CPU partition with APIC IDs 0..299. */
	u32 *many = malloc(300 * sizeof(*many));
	for (u32 i = 0; i < 300; i++)
		many[i] = i;
	g = guest(300, many, ECAM);
	build(&g);
	assert_madt(many, 300);
	assert_int_equal(get_le32(find("APIC") + ACPI_HDR_LENGTH),
			 ACPI_MADT_ENTRIES + 255 * ACPI_MADT_LAPIC_SIZE + 45 * ACPI_MADT_X2APIC_SIZE);
	free(many);
}

static void mcfg_has_one_allocation_for_the_virtual_ecam(void **state __unused)
{
	struct acpi_guest g = guest(1, ids3, ECAM);
	g.bus_start = 2;
	g.bus_end = 9;
	build(&g);
	u8 *m = find("MCFG");
	assert_int_equal(get_le32(m + ACPI_HDR_LENGTH), ACPI_MCFG_ENTRIES + ACPI_MCFG_ENTRY_SIZE);
	const u8 *e = m + ACPI_MCFG_ENTRIES;
	assert_int_equal(get_le64(e + ACPI_MCFG_ENT_BASE), ECAM);
	assert_int_equal(get_le16(e + ACPI_MCFG_ENT_SEGMENT), 0);
	assert_int_equal(e[ACPI_MCFG_ENT_BUS_START], 2);
	assert_int_equal(e[ACPI_MCFG_ENT_BUS_END], 9);
}

static void no_ecam_means_no_mcfg_and_no_host_bridge(void **state __unused)
{
	struct acpi_guest g = guest(1, ids3, 0);
	build(&g);
	assert_null(find("MCFG"));
	u8 *x = at(get_le64(buf + ACPI_RSDP_XSDT_ADDR));
	assert_int_equal(get_le32(x + ACPI_HDR_LENGTH), ACPI_HDR_SIZE + 2 * ACPI_XSDT_ENTRY_SIZE);
	u8 *d = at(get_le64(find("FACP") + ACPI_FADT_X_DSDT));
	/* Name (_S5, Package () { 5, 0 }): NameOp "_S5_" PackageOp PkgLength NumElements BytePrefix 5 Zero. */
	static const u8 s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x05, 0x00 };
	assert_memory_equal(d + ACPI_HDR_SIZE, s5, sizeof(s5));
	/* Then Scope (\_SB) with COM1 and the clock only: no host bridge, no ECAM reservation. */
	u32 len = get_le32(d + ACPI_HDR_LENGTH);
	assert_non_null(memmem(d, len, "COM1", 4));
	assert_non_null(memmem(d, len, "RTC_", 4));
	assert_null(memmem(d, len, "PCI0", 4));
	assert_null(memmem(d, len, "ECAM", 4));
}

/* Sluice's own ACPI walk (kernel/acpi.c) finds what Linux must: the CPUs, x2APIC ones marked, the MCFG, no warning. */
static void sluice_acpi_parser_reads_the_tables_back(void **state __unused)
{
	static const u32 ids[4] = { 0, 1, 2, 256 };
	struct acpi_guest g = guest(4, ids, ECAM);
	build(&g);
	fake_mem_add_copy(GPA, buf, used);
	assert_int_equal(acpi_rsdp_check(buf, ACPI_RSDP_V2_SIZE), 0);
	struct acpi_info *ai = calloc(1, sizeof(*ai));
	assert_int_equal(acpi_init(buf, ACPI_RSDP_V2_SIZE, ai), 0);
	assert_int_equal(ai->nr_warnings, 0);
	assert_true(ai->using_xsdt);
	assert_true(ai->have_madt);
	assert_int_equal(ai->lapic_pa, 0xfee00000u);
	assert_int_equal(ai->madt_flags, 0);
	assert_int_equal(ai->nr_cpus, 4);
	for (u32 i = 0; i < 4; i++) {
		assert_int_equal(ai->cpus[i].apic_id, ids[i]);
		assert_int_equal(ai->cpus[i].uid, i);
		assert_int_equal(ai->cpus[i].x2apic, ids[i] >= 255);
		assert_true(ai->cpus[i].enabled);
	}
	assert_int_equal(ai->nr_ioapics, 0);
	assert_int_equal(ai->nr_mcfg, 1);
	assert_int_equal(ai->mcfg[0].base, ECAM);
	assert_int_equal(ai->mcfg[0].bus_end, 0xff);
	assert_false(ai->have_dmar);
	for (u32 i = 0; i < ai->nr_tables; i++)
		assert_true(ai->tables[i].checksum_ok);
	free(ai);
}

/* ---- bad input and small buffers ---- */

static void every_too_small_length_is_refused_without_writing_past_it(void **state __unused)
{
	struct acpi_guest g = guest(3, ids3, ECAM);
	build(&g);
	u8 *want = malloc(used);
	memcpy(want, buf, used);
	for (u32 len = 0; len < used; len++) {
		/* Exactly len bytes: ASan stops a write past them. */
		u8 *small = malloc(len ? len : 1);
		u64 r = 0x1234;
		u32 u = 0x5678;
		assert_int_equal(acpi_guest_build(&g, small, GPA, len, &r, &u), -HV_ENOSPC);
		assert_int_equal(r, 0x1234);
		assert_int_equal(u, 0x5678);
		free(small);
	}
	/* Exactly enough is enough, and gives the same bytes. */
	u8 *exact = malloc(used);
	u32 u;
	assert_int_equal(acpi_guest_build(&g, exact, GPA, used, &rsdp_gpa, &u), 0);
	assert_int_equal(u, used);
	assert_memory_equal(exact, want, used);
	free(exact);
	free(want);
}

static void bad_guests_are_refused(void **state __unused)
{
	static const u32 dup[2] = { 1, 1 };
	const struct acpi_window empty = { 0xfe000000ULL, 0 }, wraps = { ~0ULL - 0xfff, 0x2000 };
	struct acpi_window many[ACPI_GUEST_MAX_WINDOWS + 1];
	for (u32 i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = (struct acpi_window){ 0xfe000000ULL + i * 0x1000, 0x1000 };
	struct acpi_guest g;
	u64 r;
	u32 u;

#define REFUSED(what, gpa) do { \
		int ret_ = acpi_guest_build(&g, buf, gpa, BUF_SIZE, &r, &u); \
		if (ret_ != -HV_EINVAL) \
			fail_msg("%s: %d, want -HV_EINVAL", what, ret_); \
	} while (0)
	g = guest(0, ids3, ECAM);
	REFUSED("no CPUs", GPA);
	g = guest(1, NULL, ECAM);
	REFUSED("no APIC IDs", GPA);
	g = guest(2, dup, ECAM);
	REFUSED("one APIC ID twice", GPA);
	g = guest(1, ids3, ECAM);
	REFUSED("tables not on 16 bytes", GPA + 8);
	g = guest(1, ids3, ECAM + 0x1000);
	REFUSED("ECAM not on a bus boundary", GPA);
	g = guest(1, ids3, ECAM);
	g.bus_start = 3;
	g.bus_end = 2;
	REFUSED("buses backwards", GPA);
	g = guest(1, ids3, ECAM);
	g.windows = &empty;
	g.nr_windows = 1;
	REFUSED("empty window", GPA);
	g.windows = &wraps;
	REFUSED("window past the top", GPA);
	g.windows = many;
	g.nr_windows = ARRAY_SIZE(many);
	REFUSED("too many windows", GPA);
	g = guest(1, ids3, 0);
	g.windows = windows;
	g.nr_windows = 1;
	REFUSED("windows without a host bridge", GPA);
#undef REFUSED
	assert_int_equal(buf[0], 0xa5);         /* nothing laid */
	/* The same with everything right. */
	g = guest(1, ids3, ECAM);
	assert_int_equal(acpi_guest_build(&g, buf, GPA, BUF_SIZE, &r, &u), 0);
}

/* ---- ACPICA's view ---- */

static bool have_iasl(void)
{
	if (system("command -v iasl >/dev/null 2>&1") == 0)
		return true;
	print_message("iasl (acpica-tools) not found: skipped\n");
	return false;
}

static char dir[64];

static void temp_dir(void)
{
	strcpy(dir, "/tmp/sluice-acpi-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void temp_dir_remove(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void write_file(const char *name, const void *data, size_t n)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

/* Reads dir/name into a new NUL-ended buffer (*n its length); NULL when absent. */
static char *read_file(const char *name, size_t *n)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *s = malloc(1 << 20);
	*n = fread(s, 1, (1 << 20) - 1, f);
	s[*n] = '\0';
	fclose(f);
	return s;
}

/*
 * iasl -d on each table: it must succeed and neither its messages nor the
 * disassembly may hold a warning, an error or "Incorrect" (a checksum).
 * The RSDP is left out: iasl 20200925 does not take one alone from a
 * binary file; kernel/acpi.c checks it above.
 */
static void iasl_disassembles_every_table_without_a_warning(void **state __unused)
{
	if (!have_iasl())
		return;
	struct acpi_guest g = guest(3, (const u32[]){ 0, 1, 300 }, ECAM);
	build(&g);
	temp_dir();
	static const char *const sigs[] = { "FACP", "DSDT", "APIC", "MCFG", "XSDT" };
	for (u32 i = 0; i < ARRAY_SIZE(sigs); i++) {
		u8 *t = !strcmp(sigs[i], "DSDT") ? at(get_le64(find("FACP") + ACPI_FADT_X_DSDT)) :
			!strcmp(sigs[i], "XSDT") ? at(get_le64(buf + ACPI_RSDP_XSDT_ADDR)) : find(sigs[i]);
		char name[16], cmd[256];
		snprintf(name, sizeof(name), "%s.dat", sigs[i]);
		write_file(name, t, get_le32(t + ACPI_HDR_LENGTH));
		snprintf(cmd, sizeof(cmd), "cd %s && timeout 60 iasl -d %s > %s.log 2>&1", dir, name, sigs[i]);
		if (system(cmd) != 0)
			fail_msg("iasl -d %s failed (log in %s)", name, dir);
		size_t n;
		snprintf(name, sizeof(name), "%s.log", sigs[i]);
		char *log = read_file(name, &n);
		snprintf(name, sizeof(name), "%s.dsl", sigs[i]);
		char *dsl = read_file(name, &n);
		assert_non_null(log);
		assert_non_null(dsl);
		for (const char *const *bad = (const char *const[]){ "Warning", "Error", "Incorrect", NULL }; *bad; bad++)
			if (strstr(log, *bad) || strstr(dsl, *bad))
				fail_msg("iasl on %s says \"%s\" (files in %s)", sigs[i], *bad, dir);
		if (!strcmp(sigs[i], "DSDT")) {
			assert_non_null(strstr(dsl, "Name (_S5, Package (0x02)"));
			assert_non_null(strstr(dsl, "EisaId (\"PNP0A08\")"));
			assert_non_null(strstr(dsl, "EisaId (\"PNP0C02\")"));
			assert_non_null(strstr(dsl, "QWordMemory"));
		}
		if (!strcmp(sigs[i], "FACP"))
			assert_non_null(strstr(dsl, "Hardware Reduced (V5) : 1"));
		free(log);
		free(dsl);
	}
	temp_dir_remove();
}

/*
 * The DSDT's AML is what iasl compiles from its ASL (the header aside:
 * iasl signs it as its own compiler): \_S5, the host bridge of buses
 * 1-0x3f with its two windows, the ECAM of those buses reserved.
 */
static void dsdt_aml_is_what_iasl_compiles(void **state __unused)
{
	if (!have_iasl())
		return;
	struct acpi_guest g = guest(2, ids3, ECAM);
	g.bus_start = 1;
	g.bus_end = 0x3f;
	build(&g);
	static const char asl[] =
		"DefinitionBlock (\"\", \"DSDT\", 2, \"SLUICE\", \"SLUICEPT\", 1)\n{\n"
		"    Name (_S5, Package () { 5, 0 })\n"
		"    Scope (\\_SB)\n    {\n        Device (PCI0)\n        {\n"
		"            Name (_HID, EisaId (\"PNP0A08\"))\n"
		"            Name (_CID, EisaId (\"PNP0A03\"))\n"
		"            Name (_SEG, 0)\n            Name (_UID, 0)\n            Name (_BBN, 1)\n"
		"            Name (_CRS, ResourceTemplate ()\n            {\n"
		"                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, 1, 0x3f, 0, 0x3f)\n"
		"                QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,\n"
		"                    0, 0xfe000000, 0xfe003fff, 0, 0x4000)\n"
		"                QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,\n"
		"                    0, 0x800000000, 0x8000fffff, 0, 0x100000)\n"
		"            })\n        }\n"
		"        Device (ECAM)\n        {\n"
		"            Name (_HID, EisaId (\"PNP0C02\"))\n"
		"            Name (_CRS, ResourceTemplate ()\n            {\n"
		"                QWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,\n"
		"                    0, 0xb0100000, 0xb3ffffff, 0, 0x3f00000)\n"
		"            })\n        }\n"
		"        Device (COM1)\n        {\n"
		"            Name (_HID, EisaId (\"PNP0501\"))\n            Name (_UID, 1)\n"
		"            Name (_CRS, ResourceTemplate () { IO (Decode16, 0x3f8, 0x3f8, 1, 8) })\n"
		"        }\n"
		"        Device (RTC)\n        {\n"
		"            Name (_HID, EisaId (\"PNP0B00\"))\n"
		"            Name (_CRS, ResourceTemplate () { IO (Decode16, 0x70, 0x70, 1, 2) })\n"
		"        }\n    }\n}\n";
	temp_dir();
	write_file("ref.asl", asl, sizeof(asl) - 1);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "cd %s && timeout 60 iasl -p ref ref.asl > ref.log 2>&1", dir);
	if (system(cmd) != 0)
		fail_msg("iasl could not compile the reference DSDT (log in %s)", dir);
	size_t n;
	u8 *ref = (u8 *)read_file("ref.aml", &n);
	assert_non_null(ref);
	u8 *d = at(get_le64(find("FACP") + ACPI_FADT_X_DSDT));
	assert_int_equal(get_le32(d + ACPI_HDR_LENGTH), n);
	assert_memory_equal(d + ACPI_HDR_SIZE, ref + ACPI_HDR_SIZE, n - ACPI_HDR_SIZE);
	free(ref);
	temp_dir_remove();
}

/* ---- the power ports ---- */

/* The reset vector: mov al, 0x0e; mov dx, 0x0cf9; out dx, al; cli; hlt; jmp hlt; then zeros. */
static void reset_vector_resets_through_port_cf9(void **state __unused)
{
	static const u8 want[ACPI_GUEST_RESET_VECTOR_SIZE] = { 0xb0, 0x0e, 0xba, 0xf9, 0x0c, 0xee, 0xfa, 0xf4, 0xeb, 0xfd };
	u8 code[ACPI_GUEST_RESET_VECTOR_SIZE];
	memset(code, 0xcc, sizeof(code));
	acpi_guest_reset_vector(code);
	assert_memory_equal(code, want, sizeof(want));
	/* What its OUT does to a partition with tables. */
	assert_int_equal(acpi_power_port(0xcf9, 1, false, code[1]), ACPI_POWER_RESET_CF9);
}


static void power_ports_decide_by_port_size_and_value(void **state __unused)
{
	static const struct {
		u16 port;
		u32 size;
		bool in;
		u32 val;
		enum acpi_power want;
	} cases[] = {
		/* Sleep control: SLP_EN | SLP_TYP 5 is S5, as Linux writes it (0x34). */
		{ 0x600, 1, false, 0x34, ACPI_POWER_OFF },
		{ 0x600, 1, false, 0x34 | 0xc3, ACPI_POWER_OFF },       /* the other bits change nothing */
		{ 0x600, 1, false, 0x14, ACPI_POWER_IGNORED },          /* SLP_TYP 5 without SLP_EN */
		{ 0x600, 1, false, 0x20 | 3 << 2, ACPI_POWER_IGNORED }, /* S3: no such state here */
		{ 0x600, 1, false, 0x20, ACPI_POWER_IGNORED },          /* S0 */
		{ 0x600, 2, false, 0x34, ACPI_POWER_IGNORED },          /* a byte register */
		{ 0x600, 1, true, 0, ACPI_POWER_QUIET },
		/* Sleep status: reads 0, clearing WAK_STS is fine. */
		{ 0x601, 1, true, 0, ACPI_POWER_QUIET },
		{ 0x601, 1, false, 0x80, ACPI_POWER_QUIET },
		{ 0x601, 1, false, 0x34, ACPI_POWER_IGNORED },
		/* Reset register: the FADT's value, or RST_CPU. */
		{ 0xcf9, 1, false, 0x06, ACPI_POWER_RESET },
		{ 0xcf9, 1, false, 0x0e, ACPI_POWER_RESET_CF9 },
		{ 0xcf9, 1, false, 0x04, ACPI_POWER_RESET_CF9 },
		{ 0xcf9, 1, false, 0x02, ACPI_POWER_IGNORED },          /* Linux's first write: SYS_RST alone */
		{ 0xcf9, 1, true, 0, ACPI_POWER_QUIET },
		{ 0xcf9, 4, false, 0x06, ACPI_POWER_IGNORED },
		/* The 8042: its pulse-reset command only. */
		{ 0x64, 1, false, 0xfe, ACPI_POWER_RESET_KBC },
		{ 0x64, 1, false, 0xfd, ACPI_POWER_NONE },
		{ 0x64, 1, true, 0, ACPI_POWER_NONE },
		{ 0x60, 1, false, 0xfe, ACPI_POWER_NONE },
		/* Neighbours are not power ports. */
		{ 0x5ff, 1, false, 0x34, ACPI_POWER_NONE },
		{ 0x602, 1, false, 0x34, ACPI_POWER_NONE },
		{ 0xcf8, 4, false, 0x80000000, ACPI_POWER_NONE },
		{ 0xcfa, 1, false, 0x06, ACPI_POWER_NONE },
	};
	for (u32 i = 0; i < ARRAY_SIZE(cases); i++) {
		enum acpi_power got = acpi_power_port(cases[i].port, cases[i].size, cases[i].in, cases[i].val);
		if (got != cases[i].want)
			fail_msg("case %u: port 0x%04x size %u %s 0x%x: %s, want %s", i, cases[i].port, cases[i].size,
				 cases[i].in ? "in" : "out", cases[i].val, acpi_power_name(got), acpi_power_name(cases[i].want));
	}
	assert_string_equal(acpi_power_name(ACPI_POWER_OFF), "ACPI power off (S5)");
	assert_string_equal(acpi_power_name(ACPI_POWER_RESET), "ACPI reset (reboot)");
	for (u32 a = 0; a < ACPI_POWER_NR; a++)
		assert_non_null(acpi_power_name((enum acpi_power)a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_table_sums_to_zero_and_is_reached_from_the_rsdp, setup, teardown),
		cmocka_unit_test_setup_teardown(fadt_is_hardware_reduced_with_the_power_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(madt_lists_one_cpu, setup, teardown),
		cmocka_unit_test_setup_teardown(madt_lists_three_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(madt_gives_x2apic_entries_from_apic_id_255, setup, teardown),
		cmocka_unit_test_setup_teardown(mcfg_has_one_allocation_for_the_virtual_ecam, setup, teardown),
		cmocka_unit_test_setup_teardown(no_ecam_means_no_mcfg_and_no_host_bridge, setup, teardown),
		cmocka_unit_test_setup_teardown(sluice_acpi_parser_reads_the_tables_back, setup, teardown),
		cmocka_unit_test_setup_teardown(every_too_small_length_is_refused_without_writing_past_it, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_guests_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(iasl_disassembles_every_table_without_a_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(dsdt_aml_is_what_iasl_compiles, setup, teardown),
		cmocka_unit_test(power_ports_decide_by_port_size_and_value),
		cmocka_unit_test(reset_vector_resets_through_port_cf9),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
