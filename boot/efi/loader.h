/*
 * Sluice's GNU-EFI loader: the interfaces between its files.
 *   loader.c      efi_main: manifest, modules, boot_info, memory map, exit, jump
 *   kernel_elf.c  the kernel's ELF64 PT_LOAD segments at their physical addresses
 *   kernel_move.c placing them after ExitBootServices when firmware holds them
 *   file.c        files on the loader's own volume (Simple File System)
 *   console.c     one-line messages on ConOut and COM1
 *   boot_cfg.c, efi_mmap.c   portable parsing and translation (host-testable)
 * All code here runs on the firmware's identity map, so a physical address
 * is also a pointer. UEFI calls go through uefi_call_wrapper (ms_abi).
 */
#ifndef BOOT_EFI_LOADER_H
#define BOOT_EFI_LOADER_H

#include <efi.h>
#include <efilib.h>
#include "kernel/types.h"

#define LOADER_NAME             "sluice-efi"

/* console.c */
void con_init(void);
/* "sluice-efi: <text>" on ConOut (while boot services last) and on COM1. */
void con_line(const char *fmt, ...) __printf(1, 2);
/* "sluice-efi: ERROR: <text> (<status>)" on both; returns st. */
EFI_STATUS con_fail(EFI_STATUS st, const char *fmt, ...) __printf(2, 3);
/* From the first ExitBootServices() call on, only COM1 is written. */
void con_boot_services_gone(void);
const char *efi_status_name(EFI_STATUS st);

/* file.c: paths are ASCII with '\' separators; errors are reported here. */
EFI_STATUS file_volume_open(EFI_HANDLE image, EFI_FILE_HANDLE *root);
EFI_STATUS file_open(EFI_FILE_HANDLE root, const char *path,
		     EFI_FILE_HANDLE *fh, u64 *size);
EFI_STATUS file_read_at(EFI_FILE_HANDLE fh, const char *path, u64 off,
			void *buf, u64 n);
void file_close(EFI_FILE_HANDLE fh);

/* loader.c: page allocations, all EfiLoaderData, released on failure. */
EFI_STATUS pages_alloc(EFI_ALLOCATE_TYPE how, u64 pages, u64 *pa);
/* Logs which firmware memory ranges overlap [pa, pa + size). */
void mmap_explain(u64 pa, u64 size);
/*
 * True when [pa, pa + size) is all RAM that ExitBootServices() frees:
 * EfiConventionalMemory, EfiBootServicesCode or EfiBootServicesData.
 */
bool mmap_range_reclaimable(u64 pa, u64 size);
/* Allocates (pages_alloc) every free piece of [pa, pa + size). */
EFI_STATUS mmap_claim_free(u64 pa, u64 size);

/* kernel_elf.c */
#define KERNEL_PHDRS_MAX        32

/* A kernel range staged elsewhere, copied into place after ExitBootServices. */
struct kernel_move {
	u64 dst_pa, src_pa, size;
};

struct kernel_image {
	u64 start_pa, end_pa;           /* page-rounded span of all PT_LOADs */
	u64 entry_pa;                   /* sluice_efi_header.entry64 */
	u32 nr_segments;
	u32 nr_moves;
	struct kernel_move moves[KERNEL_PHDRS_MAX];
};
EFI_STATUS kernel_load(EFI_FILE_HANDLE root, const char *path,
		       struct kernel_image *k);

/* kernel_move.c */
struct live_range {                     /* memory that must survive the moves */
	u64 pa, size;
	const char *what;
};
/*
 * Called after the loader's last allocation: refuses (and reports) moves
 * whose destination overlaps live[] or what the kernel still runs on after
 * ExitBootServices: the page tables in CR3, the GDT, the IDT, the stack.
 */
EFI_STATUS kernel_moves_check(const struct kernel_image *k,
			      const struct live_range *live, u32 nr_live);
/* After ExitBootServices: performs the copies. */
void kernel_moves_run(const struct kernel_image *k);

#endif
