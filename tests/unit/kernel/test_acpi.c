/*
 * kernel/acpi.c on fake physical memory. The MADT, MCFG, DMAR, HPET and
 * SSDT come from ASL sources in tests/fixtures/acpi/, compiled by iasl;
 * the RSDP, RSDT and XSDT are built here because they hold addresses.
 * Malformed input is made by patching a compiled table and re-summing it.
 * Every fake buffer is exactly as long as its content, so a read past a
 * table's mapping is an ASan failure, not a silent pass.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/acpi.h"
#include "kernel/acpi_hw.h"
#include "kernel/err.h"
#include "kernel/hw/mem.h"
#include "tests/fakes/fake_log.h"
#include "tests/fakes/fake_mem.h"

#ifndef ACPI_FIXTURE_DIR
#define ACPI_FIXTURE_DIR        "build/host/fixtures/acpi"
#endif

/* Where the standard machine's tables live. */
#define XSDT_PA                 0x80000100ULL
#define RSDT_PA                 0x80000200ULL
#define MADT_PA                 0x80001000ULL
#define MCFG_PA                 0x80002000ULL
#define DMAR_PA                 0x80003000ULL
#define HPET_PA                 0x80004000ULL
#define SSDT_PA                 0x80005000ULL
#define SSDT2_PA                0x80006000ULL
#define NOWHERE_PA              0x90000000ULL   /* never mapped */

static struct acpi_info *ai;
static u8 rsdp[ACPI_RSDP_V2_SIZE];

/* Reads build/host/fixtures/acpi/NAME.aml; the caller frees it. */
static u8 *fixture_load(const char *name, u32 *len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s.aml", ACPI_FIXTURE_DIR, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (build it with make build/host/test_acpi)", path);
	u8 *buf = malloc(65536);
	assert_non_null(buf);
	*len = (u32)fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static u8 sum(const u8 *p, u32 n)
{
	u8 s = 0;
	while (n--)
		s = (u8)(s + *p++);
	return s;
}

/* Makes the first len bytes of table t sum to zero again. */
static void table_resum(u8 *t, u32 len)
{
	t[ACPI_HDR_CHECKSUM] = 0;
	t[ACPI_HDR_CHECKSUM] = (u8)-sum(t, len);
}

/* Places fixture name at pa, mapping only map_len bytes of it (0: all). */
static void fixture_place(const char *name, u64 pa, u32 map_len)
{
	u32 len;
	u8 *buf = fixture_load(name, &len);
	fake_mem_add_copy(pa, buf, map_len ? map_len : len);
	free(buf);
}

/* Builds an RSDT (entry_size 4) or XSDT (8) at pa listing the n addresses. */
static u8 *root_build(u64 pa, const char *sig, const u64 *entries, u32 n, u32 entry_size)
{
	u32 len = ACPI_HDR_SIZE + n * entry_size;
	u8 *t = fake_mem_add(pa, len);

	memcpy(t, sig, 4);
	memcpy(t + ACPI_HDR_LENGTH, &len, 4);
	t[ACPI_HDR_REVISION] = 1;
	memcpy(t + ACPI_HDR_OEMID, "SLUICE", 6);
	memcpy(t + ACPI_HDR_OEM_TABLE_ID, "ROOTTBL ", 8);
	for (u32 i = 0; i < n; i++)
		memcpy(t + ACPI_HDR_SIZE + i * entry_size, &entries[i], entry_size);
	table_resum(t, len);
	return t;
}

/* Fills buf with an RSDP of revision rev (0 or 2) and valid checksums. */
static void rsdp_build(u8 *buf, u8 rev, u32 rsdt_pa, u64 xsdt_pa)
{
	u32 len = ACPI_RSDP_V2_SIZE;

	memset(buf, 0, ACPI_RSDP_V2_SIZE);
	memcpy(buf, "RSD PTR ", 8);
	memcpy(buf + ACPI_RSDP_OEMID, "BOCHS ", 6);
	buf[ACPI_RSDP_REVISION] = rev;
	memcpy(buf + ACPI_RSDP_RSDT_ADDR, &rsdt_pa, 4);
	buf[ACPI_RSDP_CHECKSUM] = (u8)-sum(buf, ACPI_RSDP_V1_SIZE);
	if (rev < 2)
		return;
	memcpy(buf + ACPI_RSDP_LENGTH, &len, 4);
	memcpy(buf + ACPI_RSDP_XSDT_ADDR, &xsdt_pa, 8);
	buf[ACPI_RSDP_EXT_CHECKSUM] = (u8)-sum(buf, ACPI_RSDP_V2_SIZE);
}

/*
 * The standard machine: MADT (q35 shape), MCFG, DMAR and HPET, listed by an
 * XSDT; the RSDT lists all but the DMAR so tests can tell which was used.
 */
static void machine_build(void)
{
	const u64 x[] = { MADT_PA, MCFG_PA, DMAR_PA, HPET_PA };
	const u64 r[] = { MADT_PA, MCFG_PA, HPET_PA };

	fixture_place("madt_qemu", MADT_PA, 0);
	fixture_place("mcfg", MCFG_PA, 0);
	fixture_place("dmar", DMAR_PA, 0);
	fixture_place("hpet", HPET_PA, 0);
	root_build(XSDT_PA, "XSDT", x, 4, ACPI_XSDT_ENTRY_SIZE);
	root_build(RSDT_PA, "RSDT", r, 3, ACPI_RSDT_ENTRY_SIZE);
	rsdp_build(rsdp, 2, (u32)RSDT_PA, XSDT_PA);
}

/* A 2.0 RSDP, and an XSDT listing pas[i] with fixture names[i] there (NULL: nothing). */
static void xsdt_machine(const char *const *names, const u64 *pas, u32 n)
{
	for (u32 i = 0; i < n; i++)
		if (names[i])
			fixture_place(names[i], pas[i], 0);
	root_build(XSDT_PA, "XSDT", pas, n, ACPI_XSDT_ENTRY_SIZE);
	rsdp_build(rsdp, 2, 0, XSDT_PA);
}

static void assert_cpu(u32 i, u32 apic_id, u32 uid, bool x2apic, bool enabled, bool online_capable)
{
	assert_int_equal(ai->cpus[i].apic_id, apic_id);
	assert_int_equal(ai->cpus[i].uid, uid);
	assert_int_equal(ai->cpus[i].x2apic, x2apic);
	assert_int_equal(ai->cpus[i].enabled, enabled);
	assert_int_equal(ai->cpus[i].online_capable, online_capable);
}

/* nr_warnings must count exactly the WARN and ERR lines acpi_init printed. */
static void assert_warnings_logged(void)
{
	assert_int_equal(ai->nr_warnings, fake_log_count(" WARN acpi: ") + fake_log_count(" ERR  acpi: "));
}

static int setup(void **state __unused)
{
	ai = calloc(1, sizeof(*ai));
	assert_non_null(ai);
	fake_mem_reset();
	fake_log_capture();
	return 0;
}

static int teardown(void **state __unused)
{
	free(ai);
	fake_mem_reset();
	return 0;
}

/* ---- RSDP ---------------------------------------------------------------- */

static void rsdp_v1_uses_the_rsdt(void **state __unused)
{
	machine_build();
	rsdp_build(rsdp, 0, (u32)RSDT_PA, 0);
	assert_int_equal(acpi_init(rsdp, ACPI_RSDP_V1_SIZE, ai), 0);
	assert_int_equal(ai->rsdp_revision, 0);
	assert_string_equal(ai->oem_id, "BOCHS");
	assert_false(ai->using_xsdt);
	assert_int_equal(ai->xsdt_pa, 0);
	assert_int_equal(ai->nr_tables, 3);
	assert_true(fake_log_has("c0 INFO acpi: RSDT 0x0000000080000200 len 48 rev 1 SLUICE\n"));
	assert_true(fake_log_has("c0 INFO acpi: DMAR absent (no VT-d)\n"));
	assert_int_equal(ai->nr_warnings, 0);
}

static void rsdp_v2_prefers_the_xsdt(void **state __unused)
{
	machine_build();
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), 0);
	assert_int_equal(ai->rsdp_revision, 2);
	assert_true(ai->using_xsdt);
	assert_int_equal(ai->xsdt_pa, XSDT_PA);
	assert_int_equal(ai->rsdt_pa, RSDT_PA);
	assert_int_equal(ai->nr_tables, 4);
	assert_string_equal(ai->tables[0].sig, "APIC");
	assert_int_equal(ai->tables[0].pa, MADT_PA);
	assert_int_equal(ai->tables[0].len, 144);
	assert_true(ai->tables[0].checksum_ok);
	assert_true(fake_log_has("c0 INFO acpi: XSDT 0x0000000080000100 len 68 rev 1 SLUICE\n"));
	assert_true(fake_log_has("c0 INFO acpi: APIC 0x0000000080001000 len 144 rev 3 SLUICE\n"));
	assert_true(fake_log_has("c0 INFO acpi: HPET 0x0000000080004000 len 56 rev 1 SLUICE\n"));
	assert_int_equal(ai->nr_warnings, 0);
}

static void rsdp_v2_without_xsdt_address_uses_the_rsdt(void **state __unused)
{
	machine_build();
	rsdp_build(rsdp, 2, (u32)RSDT_PA, 0);
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), 0);
	assert_false(ai->using_xsdt);
	assert_int_equal(ai->nr_tables, 3);
	assert_int_equal(ai->nr_warnings, 0);
}

static void rsdp_with_bad_checksum_is_rejected(void **state __unused)
{
	machine_build();
	rsdp[ACPI_RSDP_CHECKSUM] ^= 0x01;
	assert_int_equal(acpi_rsdp_check(rsdp, sizeof(rsdp)), -HV_ECHKSUM);
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), -HV_ECHKSUM);
	assert_true(fake_log_has("c0 ERR  acpi: RSDP rejected: bad checksum\n"));
	assert_int_equal(ai->nr_tables, 0);
	assert_warnings_logged();
}

static void rsdp_with_bad_extended_checksum_is_rejected(void **state __unused)
{
	rsdp_build(rsdp, 2, (u32)RSDT_PA, XSDT_PA);
	/* Past byte 20: the 1.0 checksum still holds, the extended one not. */
	rsdp[ACPI_RSDP_XSDT_ADDR + 4] ^= 0x10;
	assert_int_equal(acpi_rsdp_check(rsdp, sizeof(rsdp)), -HV_ECHKSUM);
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), -HV_ECHKSUM);
	assert_warnings_logged();
}

static void rsdp_without_signature_or_room_is_invalid(void **state __unused)
{
	rsdp_build(rsdp, 0, (u32)RSDT_PA, 0);
	assert_int_equal(acpi_rsdp_check(rsdp, ACPI_RSDP_V1_SIZE), 0);
	assert_int_equal(acpi_rsdp_check(rsdp, ACPI_RSDP_V1_SIZE - 1), -HV_EINVAL);
	assert_int_equal(acpi_rsdp_check(NULL, ACPI_RSDP_V1_SIZE), -HV_EINVAL);
	rsdp[0] = 'X';
	assert_int_equal(acpi_rsdp_check(rsdp, ACPI_RSDP_V1_SIZE), -HV_EINVAL);

	/* A 2.0 RSDP: Length is checked (against 36 and the buffer) before its sum. */
	rsdp_build(rsdp, 2, (u32)RSDT_PA, XSDT_PA);
	assert_int_equal(acpi_rsdp_check(rsdp, ACPI_RSDP_V1_SIZE), -HV_EINVAL);
	rsdp[ACPI_RSDP_LENGTH] = 40;
	assert_int_equal(acpi_rsdp_check(rsdp, sizeof(rsdp)), -HV_EINVAL);
	rsdp[ACPI_RSDP_LENGTH] = 20;
	assert_int_equal(acpi_rsdp_check(rsdp, sizeof(rsdp)), -HV_EINVAL);
}

/* ---- root tables ---------------------------------------------------------- */

static void unmapped_xsdt_falls_back_to_rsdt(void **state __unused)
{
	machine_build();
	rsdp_build(rsdp, 2, (u32)RSDT_PA, NOWHERE_PA);
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), 0);
	assert_false(ai->using_xsdt);
	assert_int_equal(ai->nr_tables, 3);
	assert_true(fake_log_has("c0 WARN acpi: XSDT at 0x0000000090000000 is not mapped; falling back to the RSDT\n"));
	assert_int_equal(ai->nr_warnings, 1);
}

static void no_usable_root_table_is_an_error(void **state __unused)
{
	machine_build();
	u8 *xsdt = phys_to_virt(XSDT_PA, ACPI_HDR_SIZE);
	u8 *rsdt = phys_to_virt(RSDT_PA, ACPI_HDR_SIZE);
	xsdt[ACPI_HDR_CHECKSUM] ^= 1;
	rsdt[ACPI_HDR_CHECKSUM] ^= 1;
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), -HV_ECHKSUM);
	assert_int_equal(ai->nr_tables, 0);
	assert_true(fake_log_has("c0 ERR  acpi: RSDT at 0x0000000080000200 has a bad checksum ("));
	assert_int_equal(ai->nr_warnings, 2);
	assert_warnings_logged();
}

/* ---- listed tables -------------------------------------------------------- */

static void table_running_past_its_mapping_is_skipped(void **state __unused)
{
	/* The MADT says 144 bytes; only 100 exist. */
	fixture_place("madt_qemu", MADT_PA, 100);
	xsdt_machine((const char *[]){ NULL, "hpet" }, (const u64[]){ MADT_PA, HPET_PA }, 2);
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), 0);
	assert_int_equal(ai->nr_tables, 1);
	assert_string_equal(ai->tables[0].sig, "HPET");
	assert_null(acpi_find(ai, "APIC", 0));
	assert_false(ai->have_madt);
	assert_true(fake_log_has("c0 ERR  acpi: table APIC at 0x0000000080001000 len 144 runs past mapped memory, skipped\n"));
	assert_warnings_logged();
}

static void table_whose_header_is_not_mapped_is_skipped(void **state __unused)
{
	xsdt_machine((const char *[]){ NULL, NULL, "hpet" }, (const u64[]){ NOWHERE_PA, 0, HPET_PA }, 3);
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), 0);
	assert_int_equal(ai->nr_tables, 1);
	assert_true(fake_log_has("c0 ERR  acpi: table at 0x0000000090000000: header not mapped, skipped\n"));
	/* The null entry is skipped without a line. */
	assert_int_equal(fake_log_count("header not mapped"), 1);
	assert_warnings_logged();
}

static void find_returns_the_nth_table_of_a_signature(void **state __unused)
{
	xsdt_machine((const char *[]){ "ssdt", "hpet", "ssdt" }, (const u64[]){ SSDT_PA, HPET_PA, SSDT2_PA }, 3);
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), 0);
	assert_int_equal(acpi_find(ai, "SSDT", 0)->pa, SSDT_PA);
	assert_int_equal(acpi_find(ai, "SSDT", 1)->pa, SSDT2_PA);
	assert_null(acpi_find(ai, "SSDT", 2));
	assert_int_equal(acpi_find(ai, "HPET", 0)->pa, HPET_PA);
	assert_null(acpi_find(ai, "FACP", 0));
	assert_null(acpi_find(ai, "SSD", 0));
	assert_null(acpi_find(NULL, "SSDT", 0));
	assert_true(fake_log_has("c0 INFO acpi: SSDT 0x0000000080006000 len 50 rev 2 SLUICE\n"));
}

/* ---- MADT ----------------------------------------------------------------- */

static void madt_lists_cpus_ioapic_and_overrides(void **state __unused)
{
	machine_build();
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), 0);
	assert_true(ai->have_madt);
	assert_int_equal(ai->lapic_pa, 0xfee00000);
	assert_int_equal(ai->madt_flags, 1);
	assert_int_equal(ai->nr_cpus, 4);
	for (u32 i = 0; i < 4; i++)
		assert_cpu(i, i, i, false, true, false);
	assert_int_equal(ai->nr_ioapics, 1);
	assert_int_equal(ai->ioapics[0].pa, 0xfec00000);
	assert_int_equal(ai->nr_overrides, 5);
	assert_int_equal(ai->overrides[2].flags, 0x000d);
	/* These lines print the stored entries, so they check them too. */
	assert_true(fake_log_has("c0 INFO acpi: MADT: 4 CPUs (APIC IDs 0,1,2,3), 1 IOAPIC(s), lapic 0x00000000fee00000\n"));
	assert_true(fake_log_has("c0 INFO acpi: MADT: IOAPIC 0 at 0x00000000fec00000 gsi 0\n"));
	assert_true(fake_log_has("c0 INFO acpi: MADT: override bus 0 irq 0 -> gsi 2 flags 0x0000 (conforms, conforms)\n"));
	assert_true(fake_log_has("c0 INFO acpi: MADT: override bus 0 irq 9 -> gsi 9 flags 0x000d (active high, level)\n"));
	assert_int_equal(ai->nr_warnings, 0);
}

/* APIC IDs 2 (xAPIC) and 257 (x2APIC) are disabled and must not appear. */
static void madt_counts_xapic_and_x2apic_cpus_but_not_disabled_ones(void **state __unused)
{
	xsdt_machine((const char *[]){ "madt_x2apic" }, (const u64[]){ MADT_PA }, 1);
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), 0);
	assert_int_equal(ai->madt_flags, 0);
	assert_int_equal(ai->lapic_pa, 0xfee000000ULL);   /* from the type 5 override */
	assert_int_equal(ai->nr_cpus, 5);
	assert_cpu(0, 0, 0, false, true, false);
	assert_cpu(1, 4, 2, false, false, true);
	assert_cpu(2, 6, 3, false, true, false);        /* online-capable is reserved */
	assert_cpu(3, 0x100, 0x100, true, true, false);
	assert_cpu(4, 0x102, 0x102, true, true, false);
	assert_int_equal(ai->nr_ioapics, 2);
	assert_int_equal(ai->ioapics[1].id, 9);
	assert_int_equal(ai->ioapics[1].gsi_base, 24);
	assert_int_equal(ai->nr_overrides, 1);
	assert_int_equal(ai->overrides[0].gsi, 20);
	assert_true(fake_log_has("c0 INFO acpi: MADT: local APIC address override 0x0000000fee000000\n"));
	assert_true(fake_log_has("c0 INFO acpi: MADT: override bus 0 irq 9 -> gsi 20 flags 0x000f (active low, level)\n"));
	assert_true(fake_log_has("c0 INFO acpi: MADT: 5 CPUs (APIC IDs 0,4,6,256,258), 2 IOAPIC(s), lapic 0x0000000fee000000\n"));
	assert_int_equal(ai->nr_warnings, 0);
}

/* ---- MCFG and DMAR -------------------------------------------------------- */

static void mcfg_with_two_segments(void **state __unused)
{
	xsdt_machine((const char *[]){ "madt_qemu", "mcfg" }, (const u64[]){ MADT_PA, MCFG_PA }, 2);
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), 0);
	assert_int_equal(ai->nr_mcfg, 2);
	assert_int_equal(ai->mcfg[0].base, 0xb0000000);
	assert_int_equal(ai->mcfg[0].bus_end, 0xff);
	assert_int_equal(ai->mcfg[1].segment, 1);
	assert_int_equal(ai->mcfg[1].base, 0x4000000000ULL);
	assert_true(fake_log_has("c0 INFO acpi: MCFG: segment 0 buses 0x00-0xff ECAM 0x00000000b0000000\n"));
	assert_true(fake_log_has("c0 INFO acpi: MCFG: segment 1 buses 0x00-0x7f ECAM 0x0000004000000000\n"));
	assert_int_equal(ai->nr_warnings, 0);
}

static void mcfg_skips_inverted_bus_range_and_warns_on_misaligned_base(void **state __unused)
{
	xsdt_machine((const char *[]){ "madt_qemu", "mcfg_bad" }, (const u64[]){ MADT_PA, MCFG_PA }, 2);
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), 0);
	assert_int_equal(ai->nr_mcfg, 1);
	assert_int_equal(ai->mcfg[0].segment, 2);
	assert_int_equal(ai->mcfg[0].base, 0xb0080000);
	assert_true(fake_log_has("c0 ERR  acpi: MCFG: segment 0 buses 0x20-0x1f: start is past end, entry skipped\n"));
	assert_true(fake_log_has("c0 WARN acpi: MCFG: segment 2 ECAM 0x00000000b0080000 is not 1 MiB aligned\n"));
	assert_int_equal(ai->nr_warnings, 2);
	assert_warnings_logged();
}

static void mcfg_absent_means_port_cf8(void **state __unused)
{
	xsdt_machine((const char *[]){ "madt_qemu" }, (const u64[]){ MADT_PA }, 1);
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), 0);
	assert_int_equal(ai->nr_mcfg, 0);
	assert_true(fake_log_has("c0 INFO acpi: MCFG: absent (no ECAM; port 0xCF8 access)\n"));
	assert_int_equal(ai->nr_warnings, 0);
}

static void dmar_header_present(void **state __unused)
{
	machine_build();
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), 0);
	assert_true(ai->have_dmar);
	assert_int_equal(ai->dmar_pa, DMAR_PA);
	assert_int_equal(ai->dmar_haw, 38);             /* the table stores width - 1 */
	assert_true(fake_log_has("c0 INFO acpi: DMAR present at 0x0000000080003000 len 72 haw 39 bits flags 0x01\n"));
}

static void dmar_absent_means_no_vtd(void **state __unused)
{
	machine_build();
	rsdp_build(rsdp, 0, (u32)RSDT_PA, 0);           /* the RSDT lacks the DMAR */
	assert_int_equal(acpi_init(rsdp, ACPI_RSDP_V1_SIZE, ai), 0);
	assert_false(ai->have_dmar);
	assert_true(fake_log_has("c0 INFO acpi: DMAR absent (no VT-d)\n"));
}

/* ---- one-byte damage to the standard machine ----------------------------- */

/*
 * Each case sets byte off of the table at pa to val, re-sums the table over resum_len
 * bytes (0: leaves the checksum broken on purpose) and runs acpi_init: it
 * must succeed, print exactly one WARN/ERR line (line) and keep what the
 * counts say. Each case runs as its own test, named after its struct.
 */
struct damage {
	u64 pa;
	u32 off, resum_len;
	u8 val;
	const char *line;
	u32 nr_tables, nr_cpus, nr_ioapics, nr_overrides;
	bool have_dmar;
};

/* OEM Revision (offset 24) is a byte nobody reads: changing it only breaks the sum. */
static const struct damage bad_xsdt_falls_back_to_rsdt = {
	XSDT_PA, 24, 0, 0x77, "c0 WARN acpi: XSDT at 0x0000000080000100 has a bad checksum (",
	3, 4, 1, 5, false };
static const struct damage xsdt_with_wrong_signature_falls_back_to_rsdt = {
	XSDT_PA, 0, 68, 'F', "c0 WARN acpi: XSDT at 0x0000000080000100 has signature \"FSDT\"; falling back to the RSDT\n",
	3, 4, 1, 5, false };
/* One entry more than is mapped; the length is checked before the sum. */
static const struct damage xsdt_longer_than_its_mapping_falls_back_to_rsdt = {
	XSDT_PA, ACPI_HDR_LENGTH, 0, 76, "c0 WARN acpi: XSDT at 0x0000000080000100 len 76 runs past mapped memory; falling back to the RSDT\n",
	3, 4, 1, 5, false };
static const struct damage table_with_bad_checksum_is_listed_and_parsed = {
	MADT_PA, 24, 0, 0x77, "c0 WARN acpi: table APIC at 0x0000000080001000 has a bad checksum (",
	4, 4, 1, 5, true };
static const struct damage table_shorter_than_its_header_is_skipped = {
	HPET_PA, ACPI_HDR_LENGTH, 36, 20, "c0 ERR  acpi: table HPET at 0x0000000080004000 len 20 is shorter than its 36-byte header, skipped\n",
	3, 4, 1, 5, true };
/* The IOAPIC entry is at 0x4c; what came before it (4 CPUs) is kept. */
static const struct damage madt_zero_length_entry_stops_parsing = {
	MADT_PA, 0x4c + ACPI_MADT_ENT_LEN, 144, 0, "c0 ERR  acpi: MADT: entry type 1 at offset 0x4c has len 0, parsing stopped\n",
	4, 4, 0, 0, true };
/* Length 140 cuts the last entry (Local APIC NMI at 0x8a, 6 bytes) short. */
static const struct damage madt_entry_running_past_the_table_stops_parsing = {
	MADT_PA, ACPI_HDR_LENGTH, 140, 140, "c0 ERR  acpi: MADT: entry at offset 0x8a runs past the table (len 140), parsing stopped\n",
	4, 4, 1, 5, true };
/* The first override (10 bytes, at 0x58) retyped as a local APIC override (12). */
static const struct damage madt_entry_too_short_for_its_type_is_skipped = {
	MADT_PA, 0x58, 144, ACPI_MADT_TYPE_LAPIC_OVERRIDE, "c0 ERR  acpi: MADT: entry type 5 at offset 0x58 has len 10, needs 12, skipped\n",
	4, 4, 1, 4, true };
static const struct damage dmar_shorter_than_its_header_is_ignored = {
	DMAR_PA, ACPI_HDR_LENGTH, 40, 40, "c0 ERR  acpi: DMAR at 0x0000000080003000 len 40 is shorter than its 48-byte header, ignored (no VT-d)\n",
	4, 4, 1, 5, false };

static void damaged_machine(void **state)
{
	const struct damage *d = *state;

	machine_build();
	u8 *t = phys_to_virt(d->pa, MAX(d->off + 1, d->resum_len));
	assert_non_null(t);
	t[d->off] = d->val;
	if (d->resum_len)
		table_resum(t, d->resum_len);
	assert_int_equal(acpi_init(rsdp, sizeof(rsdp), ai), 0);
	assert_true(fake_log_has(d->line));
	assert_int_equal(ai->nr_warnings, 1);
	assert_warnings_logged();
	assert_int_equal(ai->nr_tables, d->nr_tables);
	assert_int_equal(ai->nr_cpus, d->nr_cpus);
	assert_int_equal(ai->nr_ioapics, d->nr_ioapics);
	assert_int_equal(ai->nr_overrides, d->nr_overrides);
	assert_int_equal(ai->have_dmar, d->have_dmar);
	assert_int_equal(ai->lapic_pa, 0xfee00000);
	if (d->pa == XSDT_PA)
		assert_true(fake_log_has("c0 INFO acpi: RSDT 0x0000000080000200 len 48 rev 1 SLUICE\n"));
	if (d->pa == MADT_PA && !d->resum_len)
		assert_false(acpi_find(ai, "APIC", 0)->checksum_ok);
}

/* ---- BIOS scan ------------------------------------------------------------ */

/* Low memory of a BIOS machine: IVT+BDA, an EBDA at 0x9fc00, the ROM area. */
static u8 *ebda, *rom;
static void bios_build(u16 ebda_seg)
{
	memcpy((u8 *)fake_mem_add(0, 0x500) + ACPI_BDA_EBDA_SEG, &ebda_seg, 2);
	ebda = fake_mem_add(0x9fc00, 0x400);
	rom = fake_mem_add(ACPI_BIOS_ROM_START, ACPI_BIOS_ROM_END - ACPI_BIOS_ROM_START);
}

static void bios_scan_finds_rsdp_in_ebda(void **state __unused)
{
	u64 pa = 0;
	bios_build(0x9fc0);
	rsdp_build(ebda + 0x40, 2, (u32)RSDT_PA, XSDT_PA);
	rsdp_build(rom + 0x10000, 0, (u32)RSDT_PA, 0);  /* the EBDA is searched first */
	assert_int_equal(acpi_rsdp_scan_bios(&pa), 0);
	assert_int_equal(pa, 0x9fc40);
}

static void bios_scan_finds_rsdp_in_bios_area(void **state __unused)
{
	u64 pa = 0;
	bios_build(0x9fc0);
	/* Decoys: bad checksum, then a valid one off the 16-byte grid. */
	rsdp_build(rom + 0x1000, 0, (u32)RSDT_PA, 0);
	rom[0x1000 + ACPI_RSDP_CHECKSUM] ^= 1;
	rsdp_build(rom + 0x2008, 0, (u32)RSDT_PA, 0);
	rsdp_build(rom + 0x15b10, 2, (u32)RSDT_PA, XSDT_PA);
	assert_int_equal(acpi_rsdp_scan_bios(&pa), 0);
	assert_int_equal(pa, 0xf5b10);
}

static void bios_scan_without_rsdp_finds_nothing(void **state __unused)
{
	u64 pa = 0;
	bios_build(0);
	/* An RSDP in the EBDA area is not found when the BDA names no EBDA. */
	rsdp_build(ebda, 0, (u32)RSDT_PA, 0);
	/* A 2.0 RSDP whose extended checksum fails does not count. */
	rsdp_build(rom + 0x100, 2, (u32)RSDT_PA, XSDT_PA);
	rom[0x100 + ACPI_RSDP_EXT_CHECKSUM] ^= 1;
	assert_int_equal(acpi_rsdp_scan_bios(&pa), -HV_ENOENT);
	/* Nor does a machine without low memory crash the scan. */
	fake_mem_reset();
	assert_int_equal(acpi_rsdp_scan_bios(&pa), -HV_ENOENT);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define DAMAGE(c) { .name = #c, .test_func = damaged_machine, .setup_func = setup, \
		    .teardown_func = teardown, .initial_state = (void *)&c }

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(rsdp_v1_uses_the_rsdt),
		T(rsdp_v2_prefers_the_xsdt),
		T(rsdp_v2_without_xsdt_address_uses_the_rsdt),
		T(rsdp_with_bad_checksum_is_rejected),
		T(rsdp_with_bad_extended_checksum_is_rejected),
		T(rsdp_without_signature_or_room_is_invalid),
		T(unmapped_xsdt_falls_back_to_rsdt),
		T(no_usable_root_table_is_an_error),
		T(table_running_past_its_mapping_is_skipped),
		T(table_whose_header_is_not_mapped_is_skipped),
		T(find_returns_the_nth_table_of_a_signature),
		T(madt_lists_cpus_ioapic_and_overrides),
		T(madt_counts_xapic_and_x2apic_cpus_but_not_disabled_ones),
		T(mcfg_with_two_segments),
		T(mcfg_skips_inverted_bus_range_and_warns_on_misaligned_base),
		T(mcfg_absent_means_port_cf8),
		T(dmar_header_present),
		T(dmar_absent_means_no_vtd),
		DAMAGE(bad_xsdt_falls_back_to_rsdt),
		DAMAGE(xsdt_with_wrong_signature_falls_back_to_rsdt),
		DAMAGE(xsdt_longer_than_its_mapping_falls_back_to_rsdt),
		DAMAGE(table_with_bad_checksum_is_listed_and_parsed),
		DAMAGE(table_shorter_than_its_header_is_skipped),
		DAMAGE(madt_zero_length_entry_stops_parsing),
		DAMAGE(madt_entry_running_past_the_table_stops_parsing),
		DAMAGE(madt_entry_too_short_for_its_type_is_skipped),
		DAMAGE(dmar_shorter_than_its_header_is_ignored),
		T(bios_scan_finds_rsdp_in_ebda),
		T(bios_scan_finds_rsdp_in_bios_area),
		T(bios_scan_without_rsdp_finds_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
