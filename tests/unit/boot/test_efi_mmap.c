/*
 * Host tests for boot/efi/efi_mmap.c: the EFI type table, sorting, merging
 * (same firmware type first, then same boot type only when the map would not
 * fit), dropped and clipped descriptors, descriptor sizes other than 40 (OVMF
 * reports 48), the BOOT_MMAP_MAX limit, and an OVMF-like q35 map. The
 * descriptor layout and type numbers are checked against gnu-efi's efi.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <efi.h>
#include "boot/efi/efi_mmap.h"
#include "kernel/err.h"

#define USABLE          BOOT_MEM_USABLE
#define RESERVED        BOOT_MEM_RESERVED
#define ACPI            BOOT_MEM_ACPI
#define NVS             BOOT_MEM_NVS
#define BAD             BOOT_MEM_BAD
#define MMIO            BOOT_MEM_MMIO

#define PG              EFI_MMAP_PAGE_SIZE
#define NMAX            BOOT_MMAP_MAX
#define OVMF_DESC_SIZE  48      /* what OVMF's GetMemoryMap() reports */
#define POISON          0xee    /* fills descriptor tails and untouched output */

/* ---- the copied layout against gnu-efi ------------------------------------ */

_Static_assert(sizeof(struct efi_mem_desc) == sizeof(EFI_MEMORY_DESCRIPTOR), "size");
_Static_assert(offsetof(struct efi_mem_desc, type) == offsetof(EFI_MEMORY_DESCRIPTOR, Type), "Type");
_Static_assert(offsetof(struct efi_mem_desc, phys_start) == offsetof(EFI_MEMORY_DESCRIPTOR, PhysicalStart), "PhysicalStart");
_Static_assert(offsetof(struct efi_mem_desc, virt_start) == offsetof(EFI_MEMORY_DESCRIPTOR, VirtualStart), "VirtualStart");
_Static_assert(offsetof(struct efi_mem_desc, nr_pages) == offsetof(EFI_MEMORY_DESCRIPTOR, NumberOfPages), "NumberOfPages");
_Static_assert(offsetof(struct efi_mem_desc, attr) == offsetof(EFI_MEMORY_DESCRIPTOR, Attribute), "Attribute");
_Static_assert(EFI_MMAP_PAGE_SIZE == EFI_PAGE_SIZE, "EFI_PAGE_SIZE");

/* A descriptor as the tests write it; virt/attr set to noise the code must ignore. */
struct desc { u32 type; u64 base; u64 pages; };

static u8 map[(NMAX + 8) * 64];
static struct boot_mmap_entry scratch[NMAX + 8];
static struct boot_mmap_entry out[NMAX + 8];
static bool truncated;

/* Writes n descriptors at a stride of desc_size; returns the map size in bytes. */
static u64 build(const struct desc *d, u32 n, u64 desc_size)
{
	assert_true(n * desc_size <= sizeof(map));
	/* Stepping by sizeof instead of desc_size would read these bytes. */
	memset(map, POISON, sizeof(map));
	for (u32 i = 0; i < n; i++) {
		struct efi_mem_desc e = {
			.type = d[i].type,
			.pad = 0x5a5a5a5a,
			.phys_start = d[i].base,
			.virt_start = 0xffff800000000000ULL | d[i].base,
			.nr_pages = d[i].pages,
			.attr = EFI_MEMORY_WB | EFI_MEMORY_RUNTIME,
		};
		memcpy(map + i * desc_size, &e, sizeof(e));
	}
	return n * desc_size;
}

static int translate_max(u64 map_size, u64 desc_size, u32 max)
{
	memset(out, POISON, sizeof(out));
	truncated = true;       /* must be cleared */
	return efi_mmap_translate(map, map_size, desc_size, scratch, out, max, &truncated);
}

/* Builds d[n] at desc_size and translates it into at most BOOT_MMAP_MAX entries. */
static int translate(const struct desc *d, u32 n, u64 desc_size)
{
	return translate_max(build(d, n, desc_size), desc_size, NMAX);
}

static void assert_entry(u32 i, u64 start, u64 end, u32 type, u32 fw_type)
{
	if (out[i].base != start || out[i].base + out[i].size != end ||
	    out[i].type != type || out[i].fw_type != fw_type)
		print_error("out[%u] = [%#lx-%#lx) type %u fw %u, want [%#lx-%#lx) type %u fw %u\n",
			    i, out[i].base, out[i].base + out[i].size, out[i].type, out[i].fw_type,
			    start, end, type, fw_type);
	assert_int_equal(out[i].base, start);
	assert_int_equal(out[i].size, end - start);
	assert_int_equal(out[i].type, type);
	assert_int_equal(out[i].fw_type, fw_type);
}

/* The n entries written must be followed by untouched output. */
static void assert_nothing_after(u32 n)
{
	static struct boot_mmap_entry poison;

	memset(&poison, POISON, sizeof(poison));
	assert_memory_equal(&out[n], &poison, sizeof(poison));
}

/* ---- type translation ------------------------------------------------------ */

static const struct {
	u32 efi;
	u32 boot;
	const char *name;
} types[] = {
	{ EfiReservedMemoryType,        RESERVED, "EfiReservedMemoryType" },
	{ EfiLoaderCode,                USABLE,   "EfiLoaderCode" },
	{ EfiLoaderData,                USABLE,   "EfiLoaderData" },
	{ EfiBootServicesCode,          USABLE,   "EfiBootServicesCode" },
	{ EfiBootServicesData,          USABLE,   "EfiBootServicesData" },
	{ EfiRuntimeServicesCode,       RESERVED, "EfiRuntimeServicesCode" },
	{ EfiRuntimeServicesData,       RESERVED, "EfiRuntimeServicesData" },
	{ EfiConventionalMemory,        USABLE,   "EfiConventionalMemory" },
	{ EfiUnusableMemory,            BAD,      "EfiUnusableMemory" },
	{ EfiACPIReclaimMemory,         ACPI,     "EfiACPIReclaimMemory" },
	{ EfiACPIMemoryNVS,             NVS,      "EfiACPIMemoryNVS" },
	{ EfiMemoryMappedIO,            MMIO,     "EfiMemoryMappedIO" },
	{ EfiMemoryMappedIOPortSpace,   MMIO,     "EfiMemoryMappedIOPortSpace" },
	{ EfiPalCode,                   RESERVED, "EfiPalCode" },
	/* Past gnu-efi 3.0's enum: the spec's numbers (UEFI 2.10 §7.2.1). */
	{ 14,                           RESERVED, "EfiPersistentMemory" },
	{ 15,                           RESERVED, "EfiUnacceptedMemoryType" },
	/* EfiMaxMemoryType in 2.10, then the OEM and OS loader ranges. */
	{ 16,                           RESERVED, "(OEM/OS type)" },
	{ 0x6fffffff,                   RESERVED, "(OEM/OS type)" },
	{ 0x70000000,                   RESERVED, "(OEM/OS type)" },
	{ 0x80000000,                   RESERVED, "(OEM/OS type)" },
	{ 0xffffffff,                   RESERVED, "(OEM/OS type)" },
};

static void type_numbers_match_gnu_efi(void **state)
{
	(void)state;
	assert_int_equal(EFI_MT_RESERVED, EfiReservedMemoryType);
	assert_int_equal(EFI_MT_LOADER_CODE, EfiLoaderCode);
	assert_int_equal(EFI_MT_LOADER_DATA, EfiLoaderData);
	assert_int_equal(EFI_MT_BS_CODE, EfiBootServicesCode);
	assert_int_equal(EFI_MT_BS_DATA, EfiBootServicesData);
	assert_int_equal(EFI_MT_RT_CODE, EfiRuntimeServicesCode);
	assert_int_equal(EFI_MT_RT_DATA, EfiRuntimeServicesData);
	assert_int_equal(EFI_MT_CONVENTIONAL, EfiConventionalMemory);
	assert_int_equal(EFI_MT_UNUSABLE, EfiUnusableMemory);
	assert_int_equal(EFI_MT_ACPI_RECLAIM, EfiACPIReclaimMemory);
	assert_int_equal(EFI_MT_ACPI_NVS, EfiACPIMemoryNVS);
	assert_int_equal(EFI_MT_MMIO, EfiMemoryMappedIO);
	assert_int_equal(EFI_MT_MMIO_PORT, EfiMemoryMappedIOPortSpace);
	assert_int_equal(EFI_MT_PAL_CODE, EfiPalCode);
	/* gnu-efi 3.0 ends at PalCode; the spec then has Persistent and Unaccepted. */
	assert_int_equal(EFI_MT_PERSISTENT, EfiPalCode + 1);
	assert_int_equal(EFI_MT_UNACCEPTED, EfiPalCode + 2);
}

static void every_efi_type_maps_to_its_boot_type(void **state)
{
	(void)state;
	for (u32 i = 0; i < ARRAY_SIZE(types); i++) {
		if (efi_mmap_boot_type(types[i].efi) != types[i].boot)
			print_error("EFI type %#x\n", types[i].efi);
		assert_int_equal(efi_mmap_boot_type(types[i].efi), types[i].boot);
	}
}

static void every_efi_type_has_the_spec_name(void **state)
{
	(void)state;
	for (u32 i = 0; i < ARRAY_SIZE(types); i++)
		assert_string_equal(efi_mmap_type_name(types[i].efi), types[i].name);
}

/* One page of each type, a page apart: nothing may merge. */
static void every_efi_type_is_translated_in_a_map(void **state)
{
	(void)state;
	struct desc d[ARRAY_SIZE(types)];
	u32 n = ARRAY_SIZE(types);

	for (u32 i = 0; i < n; i++)
		d[i] = (struct desc){ types[i].efi, (u64)i * 2 * PG, 1 };
	assert_int_equal(translate(d, n, sizeof(struct efi_mem_desc)), n);
	assert_false(truncated);
	for (u32 i = 0; i < n; i++)
		assert_entry(i, (u64)i * 2 * PG, (u64)i * 2 * PG + PG, types[i].boot, types[i].efi);
	assert_nothing_after(n);
}

static void boot_services_memory_becomes_usable(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_BS_CODE, 0x100000, 0x10 },
		{ EFI_MT_BS_DATA, 0x200000, 0x20 },
	};

	assert_int_equal(translate(d, 2, sizeof(struct efi_mem_desc)), 2);
	assert_entry(0, 0x100000, 0x110000, USABLE, EFI_MT_BS_CODE);
	assert_entry(1, 0x200000, 0x220000, USABLE, EFI_MT_BS_DATA);
}

static void runtime_services_memory_stays_reserved(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_RT_CODE, 0x7f000000, 0x100 },
		{ EFI_MT_RT_DATA, 0x7f200000, 0x80 },
	};

	assert_int_equal(translate(d, 2, sizeof(struct efi_mem_desc)), 2);
	assert_entry(0, 0x7f000000, 0x7f100000, RESERVED, EFI_MT_RT_CODE);
	assert_entry(1, 0x7f200000, 0x7f280000, RESERVED, EFI_MT_RT_DATA);
}

/* ---- sorting and merging --------------------------------------------------- */

static void adjacent_descriptors_of_the_same_type_merge(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_CONVENTIONAL, 0x100000, 0x100 },
		{ EFI_MT_CONVENTIONAL, 0x200000, 0x100 },
		{ EFI_MT_CONVENTIONAL, 0x300000, 0x1 },
	};

	assert_int_equal(translate(d, 3, sizeof(struct efi_mem_desc)), 1);
	assert_false(truncated);
	assert_entry(0, 0x100000, 0x301000, USABLE, EFI_MT_CONVENTIONAL);
	assert_nothing_after(1);
}

static void adjacent_reserved_types_merge_too(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_ACPI_NVS, 0x800000, 8 },
		{ EFI_MT_ACPI_NVS, 0x808000, 8 },
		{ EFI_MT_MMIO, 0xe0000000, 0x8000 },
		{ EFI_MT_MMIO, 0xe8000000, 0x8000 },
	};

	assert_int_equal(translate(d, 4, sizeof(struct efi_mem_desc)), 2);
	assert_entry(0, 0x800000, 0x810000, NVS, EFI_MT_ACPI_NVS);
	assert_entry(1, 0xe0000000, 0xf0000000, MMIO, EFI_MT_MMIO);
}

static void non_adjacent_descriptors_are_not_merged(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_CONVENTIONAL, 0x100000, 0x100 },       /* ends 0x200000 */
		{ EFI_MT_CONVENTIONAL, 0x201000, 0x100 },       /* one page gap */
	};

	assert_int_equal(translate(d, 2, sizeof(struct efi_mem_desc)), 2);
	assert_entry(0, 0x100000, 0x200000, USABLE, EFI_MT_CONVENTIONAL);
	assert_entry(1, 0x201000, 0x301000, USABLE, EFI_MT_CONVENTIONAL);
}

static void overlapping_descriptors_are_left_to_the_kernel(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_CONVENTIONAL, 0x100000, 0x100 },
		{ EFI_MT_CONVENTIONAL, 0x180000, 0x100 },
	};

	assert_int_equal(translate(d, 2, sizeof(struct efi_mem_desc)), 2);
	assert_entry(0, 0x100000, 0x200000, USABLE, EFI_MT_CONVENTIONAL);
	assert_entry(1, 0x180000, 0x280000, USABLE, EFI_MT_CONVENTIONAL);
}

static void adjacent_usable_ranges_of_different_firmware_types_stay_apart(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_BS_CODE, 0x0, 1 },
		{ EFI_MT_CONVENTIONAL, 0x1000, 0x9f },
		{ EFI_MT_LOADER_DATA, 0xa0000, 0x10 },
	};

	assert_int_equal(translate(d, 3, sizeof(struct efi_mem_desc)), 3);
	assert_entry(0, 0x0, 0x1000, USABLE, EFI_MT_BS_CODE);
	assert_entry(1, 0x1000, 0xa0000, USABLE, EFI_MT_CONVENTIONAL);
	assert_entry(2, 0xa0000, 0xb0000, USABLE, EFI_MT_LOADER_DATA);
}

static void adjacent_ranges_of_different_boot_types_never_merge(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_CONVENTIONAL, 0x0, 1 },
		{ EFI_MT_ACPI_RECLAIM, 0x1000, 1 },
		{ EFI_MT_ACPI_NVS, 0x2000, 1 },
		{ EFI_MT_RESERVED, 0x3000, 1 },
	};

	/* Even when only one entry is allowed: the map is cut, not mislabelled. */
	assert_int_equal(translate_max(build(d, 4, sizeof(struct efi_mem_desc)),
				       sizeof(struct efi_mem_desc), 1), 1);
	assert_true(truncated);
	assert_entry(0, 0x0, 0x1000, USABLE, EFI_MT_CONVENTIONAL);
	assert_nothing_after(1);
}

static void unsorted_map_comes_out_sorted_and_merged(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_MMIO, 0xfec00000, 1 },
		{ EFI_MT_CONVENTIONAL, 0x300000, 0x100 },
		{ EFI_MT_ACPI_RECLAIM, 0x7000000, 0x10 },
		{ EFI_MT_CONVENTIONAL, 0x100000, 0x100 },
		{ EFI_MT_CONVENTIONAL, 0x200000, 0x100 },
	};

	assert_int_equal(translate(d, 5, sizeof(struct efi_mem_desc)), 3);
	assert_entry(0, 0x100000, 0x400000, USABLE, EFI_MT_CONVENTIONAL);
	assert_entry(1, 0x7000000, 0x7010000, ACPI, EFI_MT_ACPI_RECLAIM);
	assert_entry(2, 0xfec00000, 0xfec01000, MMIO, EFI_MT_MMIO);
	assert_nothing_after(3);
}

/* ---- dropped, clipped and malformed descriptors ----------------------------- */

static void zero_page_descriptors_are_dropped(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_CONVENTIONAL, 0x100000, 0x100 },
		{ EFI_MT_RESERVED, 0x150000, 0 },       /* inside, but empty */
		{ EFI_MT_CONVENTIONAL, 0x200000, 0x100 },
		{ EFI_MT_MMIO, 0xfee00000, 0 },
	};

	assert_int_equal(translate(d, 4, sizeof(struct efi_mem_desc)), 1);
	assert_entry(0, 0x100000, 0x300000, USABLE, EFI_MT_CONVENTIONAL);
	assert_nothing_after(1);
}

static void range_ending_at_the_top_of_memory_is_kept_whole(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_MMIO, 0xfffffffffffff000ULL, 1 },
	};

	assert_int_equal(translate(d, 1, sizeof(struct efi_mem_desc)), 1);
	assert_int_equal(out[0].base, 0xfffffffffffff000ULL);
	assert_int_equal(out[0].size, 0x1000);
}

static void range_running_off_the_top_is_clipped(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_MMIO, 0xffffffffffffe000ULL, 4 },
		{ EFI_MT_RESERVED, 0x100000, 0x10000000000000ULL },     /* 2^52 pages: 2^64 bytes */
	};

	assert_int_equal(translate(d, 2, sizeof(struct efi_mem_desc)), 2);
	assert_entry(0, 0x100000, 0x100000 + (0 - 0x100000ULL), RESERVED, EFI_MT_RESERVED);
	assert_int_equal(out[0].size, 0xfffffffffff00000ULL);
	assert_int_equal(out[1].base, 0xffffffffffffe000ULL);
	assert_int_equal(out[1].size, 0x2000);
	assert_int_equal(out[1].type, MMIO);
}

static void empty_map_gives_no_entries(void **state)
{
	(void)state;
	assert_int_equal(translate_max(0, OVMF_DESC_SIZE, NMAX), 0);
	assert_false(truncated);
	assert_nothing_after(0);
}

static void descriptor_size_below_the_struct_is_rejected(void **state)
{
	(void)state;
	static const struct desc d[] = { { EFI_MT_CONVENTIONAL, 0x100000, 1 } };
	u64 size = build(d, 1, 48);

	assert_int_equal(translate_max(size, 0, NMAX), -HV_EINVAL);
	assert_int_equal(translate_max(size, 32, NMAX), -HV_EINVAL);
	assert_int_equal(translate_max(size, 39, NMAX), -HV_EINVAL);
	assert_false(truncated);
	assert_nothing_after(0);
}

static void descriptor_size_not_a_multiple_of_8_is_rejected(void **state)
{
	(void)state;
	static const struct desc d[] = { { EFI_MT_CONVENTIONAL, 0x100000, 1 } };
	u64 size = build(d, 1, 48);

	assert_int_equal(translate_max(size, 41, NMAX), -HV_EINVAL);
	assert_int_equal(translate_max(size, 44, NMAX), -HV_EINVAL);
	assert_nothing_after(0);
}

static void descriptor_size_of_48_is_stepped_by_that_size(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_CONVENTIONAL, 0x100000, 0x100 },
		{ EFI_MT_ACPI_RECLAIM, 0x7f000000, 0x20 },
		{ EFI_MT_RT_DATA, 0x7f800000, 0x10 },
		{ EFI_MT_MMIO, 0xffc00000, 0x400 },
	};

	assert_int_equal(translate(d, 4, OVMF_DESC_SIZE), 4);
	assert_false(truncated);
	assert_entry(0, 0x100000, 0x200000, USABLE, EFI_MT_CONVENTIONAL);
	assert_entry(1, 0x7f000000, 0x7f020000, ACPI, EFI_MT_ACPI_RECLAIM);
	assert_entry(2, 0x7f800000, 0x7f810000, RESERVED, EFI_MT_RT_DATA);
	assert_entry(3, 0xffc00000, 0x100000000, MMIO, EFI_MT_MMIO);
	assert_nothing_after(4);
}

static void large_descriptor_size_is_stepped_by_that_size(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_CONVENTIONAL, 0x100000, 0x100 },
		{ EFI_MT_ACPI_NVS, 0x800000, 4 },
	};

	assert_int_equal(translate(d, 2, 64), 2);
	assert_entry(0, 0x100000, 0x200000, USABLE, EFI_MT_CONVENTIONAL);
	assert_entry(1, 0x800000, 0x804000, NVS, EFI_MT_ACPI_NVS);
}

static void trailing_partial_descriptor_is_ignored(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_CONVENTIONAL, 0x100000, 0x100 },
		{ EFI_MT_ACPI_NVS, 0x800000, 4 },
		{ EFI_MT_MMIO, 0xfec00000, 1 },
	};

	/* The third descriptor's 40 bytes are there, its 48-byte slot is not. */
	assert_int_equal(translate_max(build(d, 3, OVMF_DESC_SIZE) - 8, OVMF_DESC_SIZE, NMAX), 2);
	assert_entry(0, 0x100000, 0x200000, USABLE, EFI_MT_CONVENTIONAL);
	assert_entry(1, 0x800000, 0x804000, NVS, EFI_MT_ACPI_NVS);
	assert_nothing_after(2);
}

/* ---- the BOOT_MMAP_MAX limit ------------------------------------------------ */

static struct desc big[NMAX + 8];

/* n one-page ranges two pages apart, written highest first. */
static u32 spaced_out_reversed(u32 n)
{
	for (u32 i = 0; i < n; i++)
		big[n - 1 - i] = (struct desc){ EFI_MT_CONVENTIONAL, (u64)i * 2 * PG, 1 };
	return n;
}

/*
 * n one-page ranges in adjacent pairs, pairs a page apart; in each pair one
 * range is BS data and the other conventional memory, the order alternating.
 */
static u32 adjacent_pairs(u32 n)
{
	for (u32 i = 0; i < n; i++) {
		u32 pair = i / 2;
		bool bs_first = pair % 2 == 0;
		bool second = i % 2;

		big[i] = (struct desc){
			(bs_first != second) ? EFI_MT_BS_DATA : EFI_MT_CONVENTIONAL,
			(u64)pair * 3 * PG + (second ? PG : 0), 1,
		};
	}
	return n;
}

static void map_of_exactly_boot_mmap_max_ranges_fits(void **state)
{
	(void)state;
	u32 n = spaced_out_reversed(NMAX);

	assert_int_equal(translate(big, n, OVMF_DESC_SIZE), NMAX);
	assert_false(truncated);
	for (u32 i = 0; i < NMAX; i++)
		assert_entry(i, (u64)i * 2 * PG, (u64)i * 2 * PG + PG, USABLE, EFI_MT_CONVENTIONAL);
	assert_nothing_after(NMAX);
}

static void map_that_fits_keeps_firmware_types_apart(void **state)
{
	(void)state;
	u32 n = adjacent_pairs(NMAX);

	assert_int_equal(translate(big, n, OVMF_DESC_SIZE), NMAX);
	assert_false(truncated);
	assert_entry(0, 0x0, 0x1000, USABLE, EFI_MT_BS_DATA);
	assert_entry(1, 0x1000, 0x2000, USABLE, EFI_MT_CONVENTIONAL);
	assert_entry(2, 0x3000, 0x4000, USABLE, EFI_MT_CONVENTIONAL);
	assert_entry(3, 0x4000, 0x5000, USABLE, EFI_MT_BS_DATA);
	/* Pair 255 is odd: conventional memory first, BS data second. */
	assert_entry(NMAX - 1, (NMAX / 2 - 1) * 3 * PG + PG, (NMAX / 2 - 1) * 3 * PG + 2 * PG,
		     USABLE, EFI_MT_BS_DATA);
}

static void map_over_the_limit_merges_across_firmware_types(void **state)
{
	(void)state;
	u32 n = adjacent_pairs(NMAX + 2);

	assert_int_equal(translate(big, n, OVMF_DESC_SIZE), n / 2);
	assert_false(truncated);
	for (u32 p = 0; p < n / 2; p++)
		/* fw_type is the lower range's, not the smaller number. */
		assert_entry(p, (u64)p * 3 * PG, (u64)p * 3 * PG + 2 * PG, USABLE,
			     p % 2 == 0 ? EFI_MT_BS_DATA : EFI_MT_CONVENTIONAL);
	assert_nothing_after(n / 2);
}

static void map_still_over_the_limit_drops_the_highest_ranges(void **state)
{
	(void)state;
	u32 n = spaced_out_reversed(NMAX + 3);

	assert_int_equal(translate(big, n, OVMF_DESC_SIZE), NMAX);
	assert_true(truncated);
	assert_entry(0, 0x0, 0x1000, USABLE, EFI_MT_CONVENTIONAL);
	assert_entry(NMAX - 1, (u64)(NMAX - 1) * 2 * PG, (u64)(NMAX - 1) * 2 * PG + PG,
		     USABLE, EFI_MT_CONVENTIONAL);
	assert_nothing_after(NMAX);
}

static void smaller_limit_merges_then_truncates(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_MMIO, 0xfec00000, 1 },
		{ EFI_MT_CONVENTIONAL, 0x1000, 0x9f },
		{ EFI_MT_ACPI_RECLAIM, 0x7f000000, 0x20 },
		{ EFI_MT_BS_CODE, 0x0, 1 },
	};
	u64 size = build(d, 4, OVMF_DESC_SIZE);

	/* Four ranges; three once usable memory merges across firmware types. */
	assert_int_equal(translate_max(size, OVMF_DESC_SIZE, 4), 4);
	assert_false(truncated);
	assert_int_equal(translate_max(size, OVMF_DESC_SIZE, 3), 3);
	assert_false(truncated);
	assert_entry(0, 0x0, 0xa0000, USABLE, EFI_MT_BS_CODE);
	assert_entry(1, 0x7f000000, 0x7f020000, ACPI, EFI_MT_ACPI_RECLAIM);
	assert_entry(2, 0xfec00000, 0xfec01000, MMIO, EFI_MT_MMIO);
	assert_nothing_after(3);
	assert_int_equal(translate_max(size, OVMF_DESC_SIZE, 2), 2);
	assert_true(truncated);
	assert_entry(0, 0x0, 0xa0000, USABLE, EFI_MT_BS_CODE);
	assert_entry(1, 0x7f000000, 0x7f020000, ACPI, EFI_MT_ACPI_RECLAIM);
	assert_nothing_after(2);
}

/* ---- an OVMF q35 map, as OVMF hands it over (48-byte descriptors) ------------ */

static void ovmf_q35_map_translates_as_expected(void **state)
{
	(void)state;
	static const struct desc d[] = {
		{ EFI_MT_BS_CODE,       0x0000000000000000, 0x1 },
		{ EFI_MT_CONVENTIONAL,  0x0000000000001000, 0x9f },
		{ EFI_MT_CONVENTIONAL,  0x0000000000100000, 0x700 },
		{ EFI_MT_ACPI_NVS,      0x0000000000800000, 0x8 },
		{ EFI_MT_CONVENTIONAL,  0x0000000000808000, 0x3 },
		{ EFI_MT_ACPI_NVS,      0x000000000080b000, 0x1 },
		{ EFI_MT_CONVENTIONAL,  0x000000000080c000, 0x4 },
		{ EFI_MT_ACPI_NVS,      0x0000000000810000, 0xf0 },
		{ EFI_MT_BS_DATA,       0x0000000000900000, 0x100 },
		{ EFI_MT_CONVENTIONAL,  0x0000000000a00000, 0x1600 },
		{ EFI_MT_LOADER_DATA,   0x0000000002000000, 0x2000 },
		{ EFI_MT_LOADER_CODE,   0x0000000004000000, 0x40 },
		{ EFI_MT_CONVENTIONAL,  0x0000000004040000, 0x7a000 - 0x4040 },
		{ EFI_MT_BS_DATA,       0x000000007a000000, 0x1000 },
		{ EFI_MT_BS_DATA,       0x000000007b000000, 0x800 },
		{ EFI_MT_RT_DATA,       0x000000007b800000, 0x100 },
		{ EFI_MT_RT_CODE,       0x000000007b900000, 0x100 },
		{ EFI_MT_RT_DATA,       0x000000007ba00000, 0x100 },
		{ EFI_MT_RESERVED,      0x000000007bb00000, 0x80 },
		{ EFI_MT_ACPI_RECLAIM,  0x000000007bb80000, 0x10 },
		{ EFI_MT_ACPI_RECLAIM,  0x000000007bb90000, 0x70 },
		{ EFI_MT_ACPI_NVS,      0x000000007bc00000, 0x80 },
		{ EFI_MT_BS_DATA,       0x000000007bc80000, 0x3380 },
		{ EFI_MT_RESERVED,      0x000000007f000000, 0x1000 },
		{ EFI_MT_MMIO,          0x00000000b0000000, 0x10000 },
		{ EFI_MT_RESERVED,      0x00000000fed1c000, 0x4 },
		{ EFI_MT_MMIO,          0x00000000ffc00000, 0x400 },
		{ EFI_MT_CONVENTIONAL,  0x0000000100000000, 0x40000 },
		{ EFI_MT_RESERVED,      0x000000fd00000000, 0x300000 },
	};

	/* 29 descriptors; two pairs of same-type neighbours merge. */
	assert_int_equal(translate(d, ARRAY_SIZE(d), OVMF_DESC_SIZE), 27);
	assert_false(truncated);
	assert_entry(0,  0x0,         0x1000,        USABLE,   EFI_MT_BS_CODE);
	assert_entry(1,  0x1000,      0xa0000,       USABLE,   EFI_MT_CONVENTIONAL);
	assert_entry(2,  0x100000,    0x800000,      USABLE,   EFI_MT_CONVENTIONAL);
	assert_entry(3,  0x800000,    0x808000,      NVS,      EFI_MT_ACPI_NVS);
	assert_entry(4,  0x808000,    0x80b000,      USABLE,   EFI_MT_CONVENTIONAL);
	assert_entry(5,  0x80b000,    0x80c000,      NVS,      EFI_MT_ACPI_NVS);
	assert_entry(6,  0x80c000,    0x810000,      USABLE,   EFI_MT_CONVENTIONAL);
	assert_entry(7,  0x810000,    0x900000,      NVS,      EFI_MT_ACPI_NVS);
	assert_entry(8,  0x900000,    0xa00000,      USABLE,   EFI_MT_BS_DATA);
	assert_entry(9,  0xa00000,    0x2000000,     USABLE,   EFI_MT_CONVENTIONAL);
	assert_entry(10, 0x2000000,   0x4000000,     USABLE,   EFI_MT_LOADER_DATA);
	assert_entry(11, 0x4000000,   0x4040000,     USABLE,   EFI_MT_LOADER_CODE);
	assert_entry(12, 0x4040000,   0x7a000000,    USABLE,   EFI_MT_CONVENTIONAL);
	assert_entry(13, 0x7a000000,  0x7b800000,    USABLE,   EFI_MT_BS_DATA);
	assert_entry(14, 0x7b800000,  0x7b900000,    RESERVED, EFI_MT_RT_DATA);
	assert_entry(15, 0x7b900000,  0x7ba00000,    RESERVED, EFI_MT_RT_CODE);
	assert_entry(16, 0x7ba00000,  0x7bb00000,    RESERVED, EFI_MT_RT_DATA);
	assert_entry(17, 0x7bb00000,  0x7bb80000,    RESERVED, EFI_MT_RESERVED);
	assert_entry(18, 0x7bb80000,  0x7bc00000,    ACPI,     EFI_MT_ACPI_RECLAIM);
	assert_entry(19, 0x7bc00000,  0x7bc80000,    NVS,      EFI_MT_ACPI_NVS);
	assert_entry(20, 0x7bc80000,  0x7f000000,    USABLE,   EFI_MT_BS_DATA);
	assert_entry(21, 0x7f000000,  0x80000000,    RESERVED, EFI_MT_RESERVED);
	assert_entry(22, 0xb0000000,  0xc0000000,    MMIO,     EFI_MT_MMIO);
	assert_entry(23, 0xfed1c000,  0xfed20000,    RESERVED, EFI_MT_RESERVED);
	assert_entry(24, 0xffc00000,  0x100000000,   MMIO,     EFI_MT_MMIO);
	assert_entry(25, 0x100000000, 0x140000000,   USABLE,   EFI_MT_CONVENTIONAL);
	assert_entry(26, 0xfd00000000, 0x10000000000, RESERVED, EFI_MT_RESERVED);
	assert_nothing_after(27);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(type_numbers_match_gnu_efi),
		cmocka_unit_test(every_efi_type_maps_to_its_boot_type),
		cmocka_unit_test(every_efi_type_has_the_spec_name),
		cmocka_unit_test(every_efi_type_is_translated_in_a_map),
		cmocka_unit_test(boot_services_memory_becomes_usable),
		cmocka_unit_test(runtime_services_memory_stays_reserved),
		cmocka_unit_test(adjacent_descriptors_of_the_same_type_merge),
		cmocka_unit_test(adjacent_reserved_types_merge_too),
		cmocka_unit_test(non_adjacent_descriptors_are_not_merged),
		cmocka_unit_test(overlapping_descriptors_are_left_to_the_kernel),
		cmocka_unit_test(adjacent_usable_ranges_of_different_firmware_types_stay_apart),
		cmocka_unit_test(adjacent_ranges_of_different_boot_types_never_merge),
		cmocka_unit_test(unsorted_map_comes_out_sorted_and_merged),
		cmocka_unit_test(zero_page_descriptors_are_dropped),
		cmocka_unit_test(range_ending_at_the_top_of_memory_is_kept_whole),
		cmocka_unit_test(range_running_off_the_top_is_clipped),
		cmocka_unit_test(empty_map_gives_no_entries),
		cmocka_unit_test(descriptor_size_below_the_struct_is_rejected),
		cmocka_unit_test(descriptor_size_not_a_multiple_of_8_is_rejected),
		cmocka_unit_test(descriptor_size_of_48_is_stepped_by_that_size),
		cmocka_unit_test(large_descriptor_size_is_stepped_by_that_size),
		cmocka_unit_test(trailing_partial_descriptor_is_ignored),
		cmocka_unit_test(map_of_exactly_boot_mmap_max_ranges_fits),
		cmocka_unit_test(map_that_fits_keeps_firmware_types_apart),
		cmocka_unit_test(map_over_the_limit_merges_across_firmware_types),
		cmocka_unit_test(map_still_over_the_limit_drops_the_highest_ranges),
		cmocka_unit_test(smaller_limit_merges_then_truncates),
		cmocka_unit_test(ovmf_q35_map_translates_as_expected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
