/*
 * Spec: UEFI Specification 2.10, §7.2 "Memory Allocation Services"
 * (EFI_MEMORY_TYPE, EFI_BOOT_SERVICES.GetMemoryMap(), EFI_MEMORY_DESCRIPTOR).
 * Turns the firmware's memory map into boot_info.mmap. Plain C with its own
 * copy of the descriptor layout, so it also builds and runs on the host.
 */
#ifndef BOOT_EFI_EFI_MMAP_H
#define BOOT_EFI_EFI_MMAP_H

#include "kernel/types.h"
#include "kernel/boot_info.h"

/* §7.2.1 EFI_MEMORY_TYPE (gnu-efi 3.0 stops at PalCode). */
enum efi_mem_type {
	EFI_MT_RESERVED = 0,
	EFI_MT_LOADER_CODE = 1,
	EFI_MT_LOADER_DATA = 2,
	EFI_MT_BS_CODE = 3,
	EFI_MT_BS_DATA = 4,
	EFI_MT_RT_CODE = 5,
	EFI_MT_RT_DATA = 6,
	EFI_MT_CONVENTIONAL = 7,
	EFI_MT_UNUSABLE = 8,
	EFI_MT_ACPI_RECLAIM = 9,
	EFI_MT_ACPI_NVS = 10,
	EFI_MT_MMIO = 11,
	EFI_MT_MMIO_PORT = 12,
	EFI_MT_PAL_CODE = 13,
	EFI_MT_PERSISTENT = 14,
	EFI_MT_UNACCEPTED = 15,         /* added in 2.9 */
};

/*
 * §7.2.3 EFI_MEMORY_DESCRIPTOR. SPEC: "The size, in bytes, of an individual
 * EFI_MEMORY_DESCRIPTOR" is returned by GetMemoryMap() and may exceed this
 * struct: step through a map by that size, never by sizeof.
 */
struct efi_mem_desc {
	u32 type;
	u32 pad;
	u64 phys_start;
	u64 virt_start;
	u64 nr_pages;                   /* 4 KiB pages, whatever the CPU */
	u64 attr;
};
_Static_assert(sizeof(struct efi_mem_desc) == 40, "§7.2.3");

#define EFI_MMAP_PAGE_SIZE      4096ULL

/* BOOT_MEM_* for an EFI type; unknown types are BOOT_MEM_RESERVED. */
u32 efi_mmap_boot_type(u32 efi_type);
/* The spec's name for an EFI type ("EfiBootServicesData"), for the log. */
const char *efi_mmap_type_name(u32 efi_type);

/*
 * Translates map_size bytes of desc_size-byte descriptors into out[max]:
 * sorted by base, zero-sized entries dropped, adjacent ranges of the same
 * type and firmware type merged. When that still exceeds max, ranges of the
 * same BOOT_MEM type are merged regardless of firmware type (fw_type is the
 * lowest range's); when even that exceeds max the highest ranges are dropped
 * and *truncated is set. scratch must hold map_size / desc_size entries.
 * Allocates nothing and calls nothing, so it is safe after ExitBootServices.
 * Returns the number of entries in out, or -HV_EINVAL for a bad desc_size.
 */
int efi_mmap_translate(const void *map, u64 map_size, u64 desc_size,
		       struct boot_mmap_entry *scratch,
		       struct boot_mmap_entry *out, u32 max, bool *truncated);

#endif
