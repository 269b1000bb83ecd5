/*
 * The one description of the machine every boot path hands the kernel.
 * boot/mb2_entry.asm + kernel/mb2.c fill it from Multiboot2 (GRUB, BIOS or
 * UEFI); boot/efi/loader.c fills it straight from UEFI. The kernel never
 * looks at Multiboot2 or UEFI structures after this point.
 * This header is shared with the GNU-EFI loader: plain fixed-size C only.
 */
#ifndef KERNEL_BOOT_INFO_H
#define KERNEL_BOOT_INFO_H

#include <stdint.h>

#define BOOT_INFO_MAGIC         0x534c55494345424fULL  /* "SLUICEBO" */
#define BOOT_INFO_VERSION       2      /* 2: cmdline_len, cmdline_pa */

enum boot_source {
	BOOT_SRC_MB2_BIOS = 1,  /* Multiboot2 from a BIOS loader (GRUB i386-pc) */
	BOOT_SRC_MB2_EFI = 2,   /* Multiboot2 from an EFI loader (GRUB x86_64-efi) */
	BOOT_SRC_UEFI = 3,      /* Sluice's own GNU-EFI loader */
};

/* Memory types after translation from E820 / Multiboot2 / EFI. */
enum boot_mem_type {
	BOOT_MEM_USABLE = 1,
	BOOT_MEM_RESERVED = 2,
	BOOT_MEM_ACPI = 3,      /* ACPI reclaimable: tables live here */
	BOOT_MEM_NVS = 4,       /* ACPI NVS */
	BOOT_MEM_BAD = 5,
	BOOT_MEM_MMIO = 6,
	BOOT_MEM_TYPE_MAX = 6,
};

#define BOOT_MMAP_MAX           512
#define BOOT_MODULES_MAX        16
#define BOOT_NAME_LEN           64
#define BOOT_CMDLINE_LEN        512
#define BOOT_RSDP_MAX           36      /* ACPI 2.0+ RSDP length */

struct boot_mmap_entry {
	uint64_t base;
	uint64_t size;
	uint32_t type;          /* enum boot_mem_type */
	uint32_t fw_type;       /* the firmware's own code, for the log */
};

struct boot_module {
	uint64_t start_pa;
	uint64_t size;
	char name[BOOT_NAME_LEN];
};

struct boot_info {
	uint64_t magic;                 /* BOOT_INFO_MAGIC */
	uint32_t version;               /* BOOT_INFO_VERSION */
	uint32_t source;                /* enum boot_source */
	char loader[BOOT_NAME_LEN];     /* "GRUB 2.06", "sluice-efi" */
	char cmdline[BOOT_CMDLINE_LEN]; /* its first BOOT_CMDLINE_LEN - 1 characters */
	/*
	 * The whole command line as the loader had it: its length, and where
	 * it is (in the loader's memory, read once before the page allocator
	 * runs; 0 when it fits in cmdline). The kernel refuses one longer than
	 * cmdline holds, but still reads it whole for exit=.
	 */
	uint32_t cmdline_len;
	uint64_t cmdline_pa;
	uint8_t rsdp[BOOT_RSDP_MAX];    /* copy of the RSDP; rsdp_len 0 when none */
	uint32_t rsdp_len;
	uint64_t rsdp_pa;               /* where firmware had it; 0 when only a copy */
	uint32_t nr_mmap;
	uint32_t nr_modules;
	struct boot_mmap_entry mmap[BOOT_MMAP_MAX];
	struct boot_module modules[BOOT_MODULES_MAX];
	uint64_t efi_system_table_pa;   /* UEFI boots only; 0 otherwise */
};

/*
 * How Sluice's UEFI loader finds the kernel's 64-bit entry: this header sits
 * 8-byte aligned within the first 32 KiB of the kernel ELF's first PT_LOAD
 * segment (right after the Multiboot2 header). The loader jumps to entry64
 * with the System V ABI, RDI = struct boot_info * (in loader memory, which
 * the kernel copies first thing), interrupts off, after ExitBootServices,
 * still on the firmware's identity page tables and the loader's stack.
 * entry64 never returns.
 */
#define SLUICE_EFI_HDR_MAGIC    0x3436594e45454c53ULL  /* "SLEENY64" */
struct sluice_efi_header {
	uint64_t magic;
	uint64_t entry64;
};

#endif
