/*
 * EFI memory map -> boot_info.mmap (UEFI 2.10 §7.2). No UEFI calls: the
 * loader runs this after ExitBootServices on the final map, and host tests
 * can run it on recorded maps. The kernel normalises the result again
 * (overlaps, alignment); this only sorts, translates and merges.
 */
#include "boot/efi/efi_mmap.h"
#include "kernel/err.h"
#include "kernel/lib.h"

u32 efi_mmap_boot_type(u32 efi_type)
{
	switch (efi_type) {
	case EFI_MT_CONVENTIONAL:
	case EFI_MT_BS_CODE:
	case EFI_MT_BS_DATA:
	case EFI_MT_LOADER_CODE:
	case EFI_MT_LOADER_DATA:
		return BOOT_MEM_USABLE;
	case EFI_MT_ACPI_RECLAIM:
		return BOOT_MEM_ACPI;
	case EFI_MT_ACPI_NVS:
		return BOOT_MEM_NVS;
	case EFI_MT_UNUSABLE:
		return BOOT_MEM_BAD;
	case EFI_MT_MMIO:
	case EFI_MT_MMIO_PORT:
		return BOOT_MEM_MMIO;
	default:        /* Reserved, Runtime*, PalCode, Persistent, Unaccepted */
		return BOOT_MEM_RESERVED;
	}
}

const char *efi_mmap_type_name(u32 efi_type)
{
	static const char *const names[] = {
		[EFI_MT_RESERVED] = "EfiReservedMemoryType",
		[EFI_MT_LOADER_CODE] = "EfiLoaderCode",
		[EFI_MT_LOADER_DATA] = "EfiLoaderData",
		[EFI_MT_BS_CODE] = "EfiBootServicesCode",
		[EFI_MT_BS_DATA] = "EfiBootServicesData",
		[EFI_MT_RT_CODE] = "EfiRuntimeServicesCode",
		[EFI_MT_RT_DATA] = "EfiRuntimeServicesData",
		[EFI_MT_CONVENTIONAL] = "EfiConventionalMemory",
		[EFI_MT_UNUSABLE] = "EfiUnusableMemory",
		[EFI_MT_ACPI_RECLAIM] = "EfiACPIReclaimMemory",
		[EFI_MT_ACPI_NVS] = "EfiACPIMemoryNVS",
		[EFI_MT_MMIO] = "EfiMemoryMappedIO",
		[EFI_MT_MMIO_PORT] = "EfiMemoryMappedIOPortSpace",
		[EFI_MT_PAL_CODE] = "EfiPalCode",
		[EFI_MT_PERSISTENT] = "EfiPersistentMemory",
		[EFI_MT_UNACCEPTED] = "EfiUnacceptedMemoryType",
	};

	return efi_type < ARRAY_SIZE(names) ? names[efi_type] : "(OEM/OS type)";
}

/* Insertion sort by base: maps hold a few hundred entries, mostly sorted already. */
static void sort_by_base(struct boot_mmap_entry *e, u32 n)
{
	struct boot_mmap_entry t;
	u32 i, j;

	for (i = 1; i < n; i++) {
		t = e[i];
		for (j = i; j > 0 && e[j - 1].base > t.base; j--)
			e[j] = e[j - 1];
		e[j] = t;
	}
}

/* Merges e[0..n) in place; returns the new count. */
static u32 merge(struct boot_mmap_entry *e, u32 n, bool keep_fw_type)
{
	u32 i, out = 0;

	for (i = 0; i < n; i++) {
		struct boot_mmap_entry *prev = out ? &e[out - 1] : NULL;

		if (prev && prev->base + prev->size == e[i].base &&
		    prev->type == e[i].type &&
		    (!keep_fw_type || prev->fw_type == e[i].fw_type)) {
			prev->size += e[i].size;
			continue;
		}
		e[out++] = e[i];
	}
	return out;
}

int efi_mmap_translate(const void *map, u64 map_size, u64 desc_size,
		       struct boot_mmap_entry *scratch,
		       struct boot_mmap_entry *out, u32 max, bool *truncated)
{
	const u8 *p = map;
	struct efi_mem_desc d;
	u64 off, size;
	u32 n = 0;

	*truncated = false;
	if (desc_size < sizeof(d) || desc_size % 8)
		return -HV_EINVAL;
	for (off = 0; off + desc_size <= map_size; off += desc_size) {
		memcpy(&d, p + off, sizeof(d));
		if (d.nr_pages == 0)
			continue;
		size = d.nr_pages * EFI_MMAP_PAGE_SIZE;
		/* A range running off the top of the address space is clipped to it. */
		if (d.nr_pages > (~0ULL >> 12) || d.phys_start + size < d.phys_start)
			size = 0 - d.phys_start;
		if (size == 0)
			continue;
		scratch[n].base = d.phys_start;
		scratch[n].size = size;
		scratch[n].type = efi_mmap_boot_type(d.type);
		scratch[n].fw_type = d.type;
		n++;
	}
	sort_by_base(scratch, n);
	n = merge(scratch, n, true);
	if (n > max)
		n = merge(scratch, n, false);
	if (n > max) {
		n = max;
		*truncated = true;
	}
	memcpy(out, scratch, n * sizeof(*out));
	return (int)n;
}
