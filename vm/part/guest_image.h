/*
 * The guest image loader: places a partition's boot image in the
 * partition's memory and says where its vCPU starts. Two entry modes:
 *
 * elf64 (Sluice's own mode, for tests/guests/): an ELF64 x86-64 executable
 * whose PT_LOAD segments go to their physical addresses (p_paddr = GPA).
 * The vCPU starts in 64-bit long mode with paging on: identity-mapped
 * tables (GPA = VA, 2 MiB pages where alignment allows) cover every region
 * of the partition (writable as the region is) plus the extra ranges the
 * caller lists (ECAM window, device BARs: read/write, uncached). The tables,
 * a GDT (0x08: 64-bit code, 0x10: data) and the struct sluice_start_info
 * page (vm/part/guest_abi.h) sit in free pages above the image, in the lowest
 * writable region with room. Interrupts off, RFLAGS = 0x2, RDI = GPA of the
 * start info, RSP = 0 (undefined: the guest sets its own stack).
 *
 * multiboot: a Multiboot 0.6.96 (version 1) kernel: header in the first
 * 8192 bytes, ELF32 segments at p_paddr or the a.out kludge addresses
 * (flag 16). The vCPU starts as that spec's section 3.2 says: 32-bit
 * protected mode, paging off, flat segments, EAX = 0x2BADB002, EBX = GPA
 * of a Multiboot information structure (mem_lower/mem_upper, a memory map
 * with one type-1 entry per region, boot_loader_name "Sluice", the command
 * line, the modules) placed above the image like the elf64 pages; each
 * module's bytes follow on pages of their own (struct guest_boot). With
 * pc_vectors, the real-mode PIC vectors and handlers of GUEST_PC_STUB_GPA
 * too: the memory must cover them apart from everything else placed.
 *
 * linux: an x86 bzImage (Linux boot protocol 2.12 or later with the 64-bit
 * entry), loaded by vm/part/linux_boot.c as its header says; the vCPU
 * starts in 64-bit mode at the protected-mode kernel's offset 0x200 with
 * RSI = GPA of boot_params (vm/part/linux_boot.h has the memory layout).
 * The command line is boot's; an initrd is boot's first module.
 *
 * The loader writes guest memory only through the regions' host pointers
 * and zeroes everything of a segment past its file bytes. It does not map
 * anything in the nested table (the caller does) and keeps no state.
 */
#ifndef VM_GUEST_IMAGE_H
#define VM_GUEST_IMAGE_H
#include "kernel/types.h"
#include "kernel/pgtable.h"
#include "vm/cpu/virt.h"
#include "vm/part/guest_abi.h"

enum guest_image_mode {
	GUEST_IMAGE_ELF64,
	GUEST_IMAGE_MULTIBOOT,
	GUEST_IMAGE_LINUX,
};

/* Larger images are refused (a boot module, read whole from the ESP). */
#define GUEST_IMAGE_MAX_SIZE    (64 * MiB)
/* Program headers looked at; more is refused. */
#define GUEST_IMAGE_MAX_PHDRS   32
/* The GDT the elf64 entry loads: selectors. */
#define GUEST_GDT_CS64          0x08
#define GUEST_GDT_DS            0x10

/* One range of the partition's memory. host == NULL: not reachable (check only). */
struct guest_region {
	u64 gpa, size;
	void *host;             /* the bytes behind gpa, in Sluice's address space */
	bool writable;          /* the guest and its devices may write it */
};

/* A range outside the regions the elf64 tables map too (identity, uncached). */
struct guest_extra {
	u64 gpa, size;
};

/* Multiboot modules (section 3.3 "mods_count"/"mods_addr") one kernel may be handed. */
#define GUEST_MAX_MODULES       4
/* A command line or a module's string, NUL included (the config's value limit). */
#define GUEST_STRING_MAX        160

struct guest_module {
	const void *data;       /* its bytes; NULL in a check, where only size counts */
	u64 size;
	const char *string;     /* its string in the information: "NAME" or "NAME ARGS" */
};

/*
 * What a PC's firmware leaves for the 8259A's interrupts in real mode
 * (struct guest_boot.pc_vectors, legacy-pic): interrupt vector table
 * entries 0x08-0x0f (master) and 0x70-0x77 (slave) pointing at two
 * handlers in the page at GUEST_PC_STUB_GPA that end the interrupt at the
 * PIC(s) (a non-specific EOI) and return (IRET). The guest may replace
 * any of them.
 */
#define GUEST_PC_IVT_SIZE       0x400           /* 256 vectors of offset:segment */
#define GUEST_PC_STUB_GPA       0xff000ULL      /* the last page below 1 MiB, where a PC's BIOS code sits */
#define GUEST_PC_STUB_SEG       0xff00
#define GUEST_PC_STUB_MASTER    0x00            /* offsets in that segment */
#define GUEST_PC_STUB_SLAVE     0x10

/* What a Multiboot kernel is handed besides its image (NULL: an empty command line, no module). */
struct guest_boot {
	bool pc_vectors;        /* the real-mode PIC vectors and their handlers (above) */
	const char *cmdline;    /* NULL or "": empty */
	u32 nr_mods;
	struct guest_module mods[GUEST_MAX_MODULES];
	/* linux only: what boot_params says besides the image (vm/part/linux_boot.h). */
	u64 acpi_rsdp;          /* boot_params.acpi_rsdp_addr; 0: none */
	u64 reserved_gpa, reserved_size;        /* listed as reserved in the e820 map (the ECAM window); size 0: none */
};

/* One thing the loader put in guest memory, for the log. */
struct guest_placed {
	const char *what;       /* "segment", "page tables", "gdt", "start info", "multiboot info", "module", "real-mode PIC ..." */
	u64 gpa, size;
};
#define GUEST_MAX_PLACED        (GUEST_IMAGE_MAX_PHDRS + 6 + GUEST_MAX_MODULES)

struct guest_load_result {
	struct vcpu_entry entry;
	u64 start_info_gpa;     /* elf64: the start info page; 0 for multiboot */
	u64 mb_info_gpa;        /* multiboot: the information structure; 0 for elf64 */
	u64 boot_params_gpa;    /* linux: the zero page; 0 otherwise */
	u64 image_lo, image_hi; /* GPAs the segments span: [lo, hi) */
	u64 free_gpa;           /* first free byte above everything placed (in the same region) */
	u64 table_pages;        /* elf64: page-table pages used */
	u32 nr_placed;
	struct guest_placed placed[GUEST_MAX_PLACED];
};

/*
 * Checks an image against a partition's memory without writing anything
 * (regions may have host == NULL): format, segments inside the regions and
 * apart, writable segments in writable regions, entry inside a segment,
 * room above the image for what the loader adds (for a Multiboot kernel,
 * the information page and boot's modules, each from a page boundary; an
 * elf64 image takes no boot). Returns 0, or -HV_EINVAL (malformed),
 * -HV_ENOTSUP (wrong class, machine or Multiboot flags; a boot for
 * elf64), -HV_ECHKSUM (Multiboot checksum), -HV_ERANGE (a segment outside
 * the memory, image too big, too many modules, a string too long) or
 * -HV_ENOMEM (no room), with the reason in why.
 */
int guest_image_check(const void *img, size_t size, enum guest_image_mode mode,
		      const struct guest_region *mem, u32 nr_mem, const struct guest_boot *boot,
		      char *why, size_t why_len);

/*
 * Checks, then loads the image: copies the segments and zeroes their bss,
 * builds what the entry mode needs (above), and fills *res. si (elf64
 * only) is the caller's start information; the loader sets its free_gpa
 * and copies it to the start info page. boot (Multiboot only, may be
 * NULL) gives the command line and the modules, whose bytes are copied.
 * Every region written needs a host pointer. Returns 0, or the errors of guest_image_check(), -HV_ENOMEM (the
 * tables did not fit) or -HV_EEXIST (an extra range overlaps a region),
 * with the reason in why. On failure guest memory may hold part of the image.
 */
int guest_image_load(const void *img, size_t size, enum guest_image_mode mode,
		     const struct guest_region *mem, u32 nr_mem,
		     const struct guest_extra *extra, u32 nr_extra,
		     struct sluice_start_info *si, const struct guest_boot *boot,
		     struct guest_load_result *res, char *why, size_t why_len);

/* Logs what *res placed where, one INFO line each: "<who>: placed segment at [first-last]". */
void guest_image_log(const char *who, const struct guest_load_result *res);

/*
 * Table memory inside guest memory: pages are taken from [next, end) and
 * entries hold GPAs; va() reaches any GPA of the regions through the host
 * pointers. With next == end it only translates (e.g. to pt_lookup a
 * loaded guest's tables: struct pt { .root_pa = entry.cr3, .mem = ... }).
 */
struct guest_arena {
	const struct guest_region *mem;
	u32 nr_mem;
	u64 next, end;          /* GPAs, page aligned, inside one region */
	struct pt_mem pm;
};
void guest_arena_init(struct guest_arena *a, const struct guest_region *mem, u32 nr_mem, u64 next, u64 end);
/* The host address of [gpa, gpa + len) if one region holds it all, else NULL. */
void *guest_gpa_to_host(const struct guest_region *mem, u32 nr_mem, u64 gpa, u64 len);

/* For the entry modes' loaders (vm/part/linux_boot.c). */
/* The region that holds all of [gpa, gpa + len), or NULL. */
const struct guest_region *guest_region_of(const struct guest_region *mem, u32 nr_mem, u64 gpa, u64 len);
/* Adds a line to res's placed list (for guest_image_log). */
void guest_placed_add(struct guest_load_result *res, const char *what, u64 gpa, u64 size);
/* Maps every region (as writable as it is, executable) and extra range (uncached) at GPA = VA in pt. */
int guest_identity_map(struct pt *pt, const struct guest_region *mem, u32 nr_mem, const struct guest_extra *extra,
		       u32 nr_extra, char *why, size_t len);

#endif
