/*
 * entry = linux: an x86 bzImage started through the Linux boot protocol
 * (the kernel's Documentation/arch/x86/boot.rst: the real-mode setup
 * header at 0x1f1, struct boot_params, the 64-bit entry at offset 0x200
 * of the protected-mode kernel). Sluice plays the boot loader: no
 * real-mode setup code runs.
 *
 * Memory of a Linux partition (its memory must cover 0 to 1 MiB,
 * writable):
 *   0x1000   the GDT: 0x08 and 0x10 (__BOOT_CS) 64-bit code, 0x18
 *            (__BOOT_DS) data
 *   0x2000   boot_params (the "zero page"), the image's setup header in it
 *   0x3000   the command line
 *   0x4000-  identity page tables for every region (2 MiB pages where
 *            alignment allows), up to LINUX_LOW_RAM_END
 *   0xe0000-0xfffff  reserved: the firmware tables (the caller writes them)
 *   the kernel at its preferred address, or the lowest address aligned as
 *   its header asks where its init_size fits (relocatable kernels only)
 *   the initrd as high as fits below its initrd_addr_max, clear of the
 *   kernel's init_size.
 * The e820 map: RAM [0, 0x9fc00), reserved [0x9fc00, 0xa0000) and
 * [0xe0000, 0x100000) as a PC's BIOS leaves them, nothing at the VGA
 * window [0xa0000, 0xe0000), RAM for every other writable range of the
 * partition, reserved for read-only ones and for the caller's reserved
 * range (the ECAM window, so that Linux trusts its MCFG entry).
 */
#ifndef VM_LINUX_BOOT_H
#define VM_LINUX_BOOT_H
#include "kernel/types.h"
#include "vm/part/guest_image.h"

#define LINUX_GDT_GPA           0x1000ULL
#define LINUX_BOOT_PARAMS_GPA   0x2000ULL
#define LINUX_CMDLINE_GPA       0x3000ULL
#define LINUX_TABLES_GPA        0x4000ULL
#define LINUX_LOW_RAM_END       0x9fc00ULL
#define LINUX_VGA_GPA           0xa0000ULL
#define LINUX_BIOS_GPA          0xe0000ULL      /* the firmware tables go here (ACPI, vm/part/acpi_tables.h) */
#define LINUX_BIOS_END          0x100000ULL
#define LINUX_LOW_NEEDED        0x100000ULL     /* a Linux partition's memory covers [0, this) */
#define LINUX_CMDLINE_MAX       512             /* characters of command line (the config's plus what Sluice adds) */

/* Boot protocol versions (setup header "version"): 2.12 brought xloadflags and the 64-bit entry. */
#define LINUX_PROTO_MIN         0x020c
#define LINUX_PROTO_RSDP        0x020e          /* 2.14: boot_params.acpi_rsdp_addr */

/* One e820 entry (boot_params.e820_table): the types Sluice gives. */
#define LINUX_E820_RAM          1
#define LINUX_E820_RESERVED     2
#define LINUX_E820_MAX          128             /* E820_MAX_ENTRIES_ZEROPAGE */
struct linux_e820 {
	u64 addr, size;
	u32 type;
};

/* What the setup header says (boot.rst "THE REAL-MODE KERNEL HEADER"). */
struct linux_image {
	u16 version;
	u32 setup_size;         /* (setup_sects + 1) * 512: the protected-mode kernel follows */
	u64 kernel_size;        /* the protected-mode kernel's bytes in the file */
	u32 hdr_end;            /* the header's end (0x202 + the byte at 0x201), copied into boot_params */
	u8 loadflags;
	u16 xloadflags;
	bool relocatable;
	u32 kernel_alignment;
	u64 pref_address;
	u32 init_size;          /* memory the kernel needs from its load address to decompress and start */
	u32 initrd_addr_max;
	u32 cmdline_size;
};

/*
 * Reads and checks the header of a bzImage of size bytes. Returns 0, or
 * -HV_EINVAL (not a bzImage, a header that contradicts the file) or
 * -HV_ENOTSUP (a protocol older than 2.12, no 64-bit entry, a zImage),
 * with the reason in why.
 */
int linux_image_parse(const void *img, size_t size, struct linux_image *li, char *why, size_t len);

/*
 * The e820 map of a partition with memory mem (layout above) and one more
 * reserved range [rsv_gpa, rsv_gpa + rsv_size) (size 0: none), sorted by
 * address. Returns the number of entries, or 0 when more than max.
 */
u32 linux_e820_build(const struct guest_region *mem, u32 nr_mem, u64 rsv_gpa, u64 rsv_size, struct linux_e820 *out,
		     u32 max);

/* guest_image_check() and guest_image_load() for GUEST_IMAGE_LINUX (same contracts). */
int linux_boot_check(const void *img, size_t size, const struct guest_region *mem, u32 nr_mem,
		     const struct guest_boot *boot, char *why, size_t len);
int linux_boot_load(const void *img, size_t size, const struct guest_region *mem, u32 nr_mem,
		    const struct guest_boot *boot, struct guest_load_result *res, char *why, size_t len);

#endif
