/*
 * entry = linux (vm/part/linux_boot.h): the x86 Linux boot protocol, as
 * the kernel's Documentation/arch/x86/boot.rst describes it ("THE
 * REAL-MODE KERNEL HEADER", "64-bit BOOT PROTOCOL"); struct boot_params
 * offsets from the kernel's arch/x86/include/uapi/asm/bootparam.h and
 * Documentation/arch/x86/zero-page.rst.
 */
#define LOG_SUBSYS "image"
#include "vm/part/linux_boot.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/pgtable.h"

/* The setup header, at its offsets in the image and in boot_params alike. */
#define HDR_START               0x1f1
#define HDR_SETUP_SECTS         0x1f1   /* u8; 0 means 4 */
#define HDR_SYSSIZE             0x1f4   /* u32, 16-byte units */
#define HDR_BOOT_FLAG           0x1fe   /* u16, 0xaa55 */
#define HDR_JUMP_LEN            0x201   /* the jump's displacement byte: the header ends at 0x202 + it */
#define HDR_MAGIC               0x202   /* u32, "HdrS" */
#define HDR_VERSION             0x206   /* u16 */
#define HDR_TYPE_OF_LOADER      0x210   /* u8 */
#define HDR_LOADFLAGS           0x211   /* u8 */
#define HDR_RAMDISK_IMAGE       0x218   /* u32 */
#define HDR_RAMDISK_SIZE        0x21c   /* u32 */
#define HDR_CMD_LINE_PTR        0x228   /* u32 */
#define HDR_INITRD_ADDR_MAX     0x22c   /* u32 */
#define HDR_KERNEL_ALIGNMENT    0x230   /* u32 */
#define HDR_RELOCATABLE         0x234   /* u8 */
#define HDR_XLOADFLAGS          0x236   /* u16 */
#define HDR_CMDLINE_SIZE        0x238   /* u32 */
#define HDR_PREF_ADDRESS        0x258   /* u64 */
#define HDR_INIT_SIZE           0x260   /* u32 */
#define HDR_MIN_END             0x264   /* an image shorter than this has no init_size */

#define BOOT_FLAG               0xaa55
#define HDRS_MAGIC              0x53726448u     /* "HdrS" */
#define LOADED_HIGH             BIT_ULL(0)
#define XLF_KERNEL_64           BIT_ULL(0)
#define LOADER_UNDEFINED        0xff    /* type_of_loader: a loader without an assigned ID */
#define ENTRY_64_OFFSET         0x200   /* the 64-bit entry, from the protected-mode kernel's start */

/* boot_params fields outside the setup header. */
#define BP_ACPI_RSDP_ADDR       0x070   /* u64, protocol 2.14 */
#define BP_EXT_RAMDISK_IMAGE    0x0c0   /* u32: bits 63:32 */
#define BP_EXT_RAMDISK_SIZE     0x0c4
#define BP_EXT_CMD_LINE_PTR     0x0c8
#define BP_E820_ENTRIES         0x1e8   /* u8 */
#define BP_E820_TABLE           0x2d0   /* 128 entries of 20 bytes: addr, size, type */
#define BP_E820_ENTRY_SIZE      20
#define BP_HDR_MAX_END          BP_E820_TABLE

/* The GDT (boot.rst "64-bit BOOT PROTOCOL": __BOOT_CS 0x10, __BOOT_DS 0x18); SDM vol 3 3.4.5. */
#define GDT_CODE64              0x00af9b000000ffffULL
#define GDT_DATA                0x00cf93000000ffffULL
#define GDT_ENTRIES             4

#define RFLAGS_FIXED            0x2ULL

int linux_image_parse(const void *img, size_t size, struct linux_image *li, char *why, size_t len)
{
	const u8 *b = img;

	memset(li, 0, sizeof(*li));
	if (!b || size < HDR_MIN_END || get_le16(b + HDR_BOOT_FLAG) != BOOT_FLAG || get_le32(b + HDR_MAGIC) != HDRS_MAGIC) {
		fmt_snprintf(why, len, "not a bzImage (no boot flag 0xaa55 at 0x1fe and \"HdrS\" at 0x202)");
		return -HV_EINVAL;
	}
	li->version = get_le16(b + HDR_VERSION);
	if (li->version < LINUX_PROTO_MIN) {
		fmt_snprintf(why, len, "boot protocol %u.%02u; Sluice needs 2.12 or later (the 64-bit entry)",
			     li->version >> 8, li->version & 0xff);
		return -HV_ENOTSUP;
	}
	li->loadflags = b[HDR_LOADFLAGS];
	li->xloadflags = get_le16(b + HDR_XLOADFLAGS);
	if (!(li->loadflags & LOADED_HIGH)) {
		fmt_snprintf(why, len, "a zImage (loadflags bit 0 clear: loaded below 1 MiB); only bzImages are booted");
		return -HV_ENOTSUP;
	}
	if (!(li->xloadflags & XLF_KERNEL_64)) {
		fmt_snprintf(why, len, "no 64-bit entry point (xloadflags 0x%x, bit 0 clear)", li->xloadflags);
		return -HV_ENOTSUP;
	}
	u32 sects = b[HDR_SETUP_SECTS] ? b[HDR_SETUP_SECTS] : 4;
	li->setup_size = (sects + 1) * 512;
	if (li->setup_size + ENTRY_64_OFFSET >= size) {
		fmt_snprintf(why, len, "setup of %u bytes leaves no protected-mode kernel in %zu bytes", li->setup_size, size);
		return -HV_EINVAL;
	}
	li->kernel_size = size - li->setup_size;
	u64 syssize = (u64)get_le32(b + HDR_SYSSIZE) * 16;
	if (syssize > li->kernel_size) {
		fmt_snprintf(why, len, "syssize says %llu bytes of kernel, the file holds %llu (truncated?)",
			     (unsigned long long)syssize, (unsigned long long)li->kernel_size);
		return -HV_EINVAL;
	}
	li->hdr_end = 0x202 + b[HDR_JUMP_LEN];
	if (li->hdr_end < HDR_MIN_END || li->hdr_end > BP_HDR_MAX_END) {
		fmt_snprintf(why, len, "setup header ends at 0x%x, outside [0x%x, 0x%x]", li->hdr_end, HDR_MIN_END,
			     BP_HDR_MAX_END);
		return -HV_EINVAL;
	}
	li->relocatable = b[HDR_RELOCATABLE];
	li->kernel_alignment = get_le32(b + HDR_KERNEL_ALIGNMENT);
	li->pref_address = get_le64(b + HDR_PREF_ADDRESS);
	li->init_size = get_le32(b + HDR_INIT_SIZE);
	li->initrd_addr_max = get_le32(b + HDR_INITRD_ADDR_MAX);
	li->cmdline_size = get_le32(b + HDR_CMDLINE_SIZE);
	if (li->relocatable && (li->kernel_alignment < PAGE_SIZE || (li->kernel_alignment & (li->kernel_alignment - 1)))) {
		fmt_snprintf(why, len, "kernel_alignment 0x%x is not a power of two of at least 4 KiB", li->kernel_alignment);
		return -HV_EINVAL;
	}
	if (li->init_size < li->kernel_size) {
		fmt_snprintf(why, len, "init_size 0x%x is smaller than the kernel's 0x%llx bytes", li->init_size,
			     (unsigned long long)li->kernel_size);
		return -HV_EINVAL;
	}
	return 0;
}

/* ---- e820 ---- */

static void e820_add(struct linux_e820 *out, u32 *n, u32 max, u64 a, u64 e, u32 type)
{
	if (a >= e)
		return;
	if (*n < max)
		out[*n] = (struct linux_e820){ .addr = a, .size = e - a, .type = type };
	(*n)++;
}

u32 linux_e820_build(const struct guest_region *mem, u32 nr_mem, u64 rsv_gpa, u64 rsv_size, struct linux_e820 *out,
		     u32 max)
{
	u32 n = 0;

	for (u32 i = 0; i < nr_mem; i++) {
		u64 a = mem[i].gpa, e = mem[i].gpa + mem[i].size;
		u32 type = mem[i].writable ? LINUX_E820_RAM : LINUX_E820_RESERVED;
		/* A PC's first MiB: RAM, the EBDA's last KiB, the VGA window (absent), the BIOS area. */
		e820_add(out, &n, max, a, MIN(e, LINUX_LOW_RAM_END), type);
		e820_add(out, &n, max, MAX(a, LINUX_LOW_RAM_END), MIN(e, LINUX_VGA_GPA), LINUX_E820_RESERVED);
		e820_add(out, &n, max, MAX(a, LINUX_BIOS_GPA), MIN(e, LINUX_BIOS_END), LINUX_E820_RESERVED);
		e820_add(out, &n, max, MAX(a, LINUX_BIOS_END), e, type);
	}
	if (rsv_size)
		e820_add(out, &n, max, rsv_gpa, rsv_gpa + rsv_size, LINUX_E820_RESERVED);
	if (n > max)
		return 0;
	/* By address (insertion sort: a few entries). */
	for (u32 i = 1; i < n; i++) {
		struct linux_e820 t = out[i];
		u32 j = i;
		for (; j && out[j - 1].addr > t.addr; j--)
			out[j] = out[j - 1];
		out[j] = t;
	}
	return n;
}

/* ---- placement ---- */

/* [a, a + size) inside one writable region, at or above 1 MiB. */
static bool fits(const struct guest_region *mem, u32 nr_mem, u64 a, u64 size)
{
	const struct guest_region *r = guest_region_of(mem, nr_mem, a, size);
	return a >= LINUX_LOW_NEEDED && a + size > a && r && r->writable;
}

/* The preferred address, else (relocatable) the lowest aligned address where init_size fits. */
static int kernel_place(const struct linux_image *li, const struct guest_region *mem, u32 nr_mem, u64 *at,
			char *why, size_t len)
{
	if (fits(mem, nr_mem, li->pref_address, li->init_size)) {
		*at = li->pref_address;
		return 0;
	}
	if (!li->relocatable) {
		fmt_snprintf(why, len, "the kernel is not relocatable and its preferred address 0x%llx (init_size 0x%x) is not in the partition's writable memory",
			     (unsigned long long)li->pref_address, li->init_size);
		return -HV_ERANGE;
	}
	u64 best = 0;
	for (u32 i = 0; i < nr_mem; i++) {
		u64 a = ALIGN_UP(MAX(mem[i].gpa, LINUX_LOW_NEEDED), li->kernel_alignment);
		if (fits(mem, nr_mem, a, li->init_size) && (!best || a < best))
			best = a;
	}
	if (!best) {
		fmt_snprintf(why, len, "no writable memory above 1 MiB holds the kernel's init_size 0x%x at a 0x%x alignment",
			     li->init_size, li->kernel_alignment);
		return -HV_ENOMEM;
	}
	*at = best;
	return 0;
}

/* As high as fits under initrd_addr_max, clear of the kernel's [k, k_end). */
static int initrd_place(const struct linux_image *li, u64 size, u64 k, u64 k_end, const struct guest_region *mem,
			u32 nr_mem, u64 *at, char *why, size_t len)
{
	u64 limit = (u64)li->initrd_addr_max + 1, best = 0;

	for (u32 i = 0; i < nr_mem; i++) {
		u64 top = MIN(mem[i].gpa + mem[i].size, limit);
		if (top < size)
			continue;
		u64 a = ALIGN_DOWN(top - size, PAGE_SIZE);
		if (a < k_end && k < a + size)
			a = k >= size ? ALIGN_DOWN(k - size, PAGE_SIZE) : 0;
		if (a && fits(mem, nr_mem, a, size) && !(a < k_end && k < a + size) && a > best)
			best = a;
	}
	if (!best) {
		fmt_snprintf(why, len, "no writable memory between 1 MiB and initrd_addr_max 0x%x holds the initrd's %llu bytes beside the kernel",
			     li->initrd_addr_max, (unsigned long long)size);
		return -HV_ENOMEM;
	}
	*at = best;
	return 0;
}

/* Everything a load checks, with the places it would use. */
struct plan {
	struct linux_image li;
	u64 kernel, initrd, initrd_size;
};

static int plan(const void *img, size_t size, const struct guest_region *mem, u32 nr_mem,
		const struct guest_boot *boot, struct plan *pl, char *why, size_t len)
{
	const char *cmdline = boot && boot->cmdline ? boot->cmdline : "";
	int ret = linux_image_parse(img, size, &pl->li, why, len);

	if (ret)
		return ret;
	const struct guest_region *low = guest_region_of(mem, nr_mem, 0, LINUX_LOW_NEEDED);
	if (!low || !low->writable) {
		fmt_snprintf(why, len, "entry = linux needs writable memory from 0 to 1 MiB (boot_params, page tables and firmware tables live there)");
		return -HV_ERANGE;
	}
	if (strlen(cmdline) >= LINUX_CMDLINE_MAX || (pl->li.cmdline_size && strlen(cmdline) > pl->li.cmdline_size)) {
		fmt_snprintf(why, len, "command line of %zu characters, at most %u (and the kernel's cmdline_size %u)",
			     strlen(cmdline), LINUX_CMDLINE_MAX - 1, pl->li.cmdline_size);
		return -HV_ERANGE;
	}
	if (boot && boot->nr_mods > 1) {
		fmt_snprintf(why, len, "%u boot modules for a Linux kernel; it takes one initrd", boot->nr_mods);
		return -HV_ERANGE;
	}
	if ((ret = kernel_place(&pl->li, mem, nr_mem, &pl->kernel, why, len)))
		return ret;
	pl->initrd = pl->initrd_size = 0;
	if (boot && boot->nr_mods && boot->mods[0].size) {
		pl->initrd_size = boot->mods[0].size;
		ret = initrd_place(&pl->li, pl->initrd_size, pl->kernel, pl->kernel + pl->li.init_size, mem, nr_mem,
				   &pl->initrd, why, len);
	}
	return ret;
}

int linux_boot_check(const void *img, size_t size, const struct guest_region *mem, u32 nr_mem,
		     const struct guest_boot *boot, char *why, size_t len)
{
	struct plan pl;
	return plan(img, size, mem, nr_mem, boot, &pl, why, len);
}

/* ---- loading ---- */

static void boot_params_fill(u8 *bp, const u8 *img, const struct plan *pl, const struct guest_boot *boot,
			     const struct linux_e820 *e820, u32 nr_e820)
{
	memset(bp, 0, PAGE_SIZE);
	memcpy(bp + HDR_START, img + HDR_START, pl->li.hdr_end - HDR_START);
	bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	put_le32(bp + HDR_CMD_LINE_PTR, (u32)LINUX_CMDLINE_GPA);
	put_le32(bp + BP_EXT_CMD_LINE_PTR, (u32)(LINUX_CMDLINE_GPA >> 32));
	put_le32(bp + HDR_RAMDISK_IMAGE, (u32)pl->initrd);
	put_le32(bp + HDR_RAMDISK_SIZE, (u32)pl->initrd_size);
	put_le32(bp + BP_EXT_RAMDISK_IMAGE, (u32)(pl->initrd >> 32));
	put_le32(bp + BP_EXT_RAMDISK_SIZE, (u32)(pl->initrd_size >> 32));
	if (boot && pl->li.version >= LINUX_PROTO_RSDP)
		put_le64(bp + BP_ACPI_RSDP_ADDR, boot->acpi_rsdp);
	bp[BP_E820_ENTRIES] = (u8)nr_e820;
	for (u32 i = 0; i < nr_e820; i++) {
		u8 *ent = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;
		put_le64(ent, e820[i].addr);
		put_le64(ent + 8, e820[i].size);
		put_le32(ent + 16, e820[i].type);
	}
}

int linux_boot_load(const void *img, size_t size, const struct guest_region *mem, u32 nr_mem,
		    const struct guest_boot *boot, struct guest_load_result *res, char *why, size_t len)
{
	const char *cmdline = boot && boot->cmdline ? boot->cmdline : "";
	struct linux_e820 e820[LINUX_E820_MAX];
	struct guest_arena a;
	struct plan pl;
	struct pt pt;

	memset(res, 0, sizeof(*res));
	int ret = plan(img, size, mem, nr_mem, boot, &pl, why, len);
	if (ret)
		return ret;
	u32 nr_e820 = linux_e820_build(mem, nr_mem, boot ? boot->reserved_gpa : 0, boot ? boot->reserved_size : 0, e820,
				       LINUX_E820_MAX);
	if (!nr_e820) {
		fmt_snprintf(why, len, "%u memory regions make more than %u e820 entries", nr_mem, LINUX_E820_MAX);
		return -HV_ERANGE;
	}
	u8 *kernel = guest_gpa_to_host(mem, nr_mem, pl.kernel, pl.li.init_size);
	u8 *gdt = guest_gpa_to_host(mem, nr_mem, LINUX_GDT_GPA, PAGE_SIZE);
	u8 *bp = guest_gpa_to_host(mem, nr_mem, LINUX_BOOT_PARAMS_GPA, PAGE_SIZE);
	u8 *cl = guest_gpa_to_host(mem, nr_mem, LINUX_CMDLINE_GPA, PAGE_SIZE);
	u8 *initrd = pl.initrd_size ? guest_gpa_to_host(mem, nr_mem, pl.initrd, pl.initrd_size) : NULL;
	if (!kernel || !gdt || !bp || !cl || (pl.initrd_size && (!initrd || !boot->mods[0].data))) {
		fmt_snprintf(why, len, "the kernel's or the boot structures' memory has no host mapping");
		return -HV_EINVAL;
	}

	/* The protected-mode kernel, its init_size zeroed past the file's bytes. */
	memcpy(kernel, (const u8 *)img + pl.li.setup_size, pl.li.kernel_size);
	memset(kernel + pl.li.kernel_size, 0, pl.li.init_size - pl.li.kernel_size);
	guest_placed_add(res, "kernel", pl.kernel, pl.li.init_size);
	if (pl.initrd_size) {
		memcpy(initrd, boot->mods[0].data, pl.initrd_size);
		guest_placed_add(res, "initrd", pl.initrd, pl.initrd_size);
	}
	memset(cl, 0, PAGE_SIZE);
	memcpy(cl, cmdline, strlen(cmdline) + 1);
	guest_placed_add(res, "command line", LINUX_CMDLINE_GPA, strlen(cmdline) + 1);
	boot_params_fill(bp, img, &pl, boot, e820, nr_e820);
	guest_placed_add(res, "boot_params", LINUX_BOOT_PARAMS_GPA, PAGE_SIZE);

	memset(gdt, 0, PAGE_SIZE);
	put_le64(gdt + 0x08, GDT_CODE64);
	put_le64(gdt + 0x10, GDT_CODE64);
	put_le64(gdt + 0x18, GDT_DATA);
	guest_placed_add(res, "gdt", LINUX_GDT_GPA, GDT_ENTRIES * 8);

	guest_arena_init(&a, mem, nr_mem, LINUX_TABLES_GPA, ALIGN_DOWN(LINUX_LOW_RAM_END, PAGE_SIZE));
	if ((ret = pt_init(&pt, PT_FMT_X86, 4, PT_LARGE_2M, &a.pm))) {
		fmt_snprintf(why, len, "guest page tables: no room for the root at 0x%llx", (unsigned long long)a.next);
		return ret;
	}
	if ((ret = guest_identity_map(&pt, mem, nr_mem, NULL, 0, why, len)))
		return ret;
	res->table_pages = pt.tables;
	guest_placed_add(res, "page tables", LINUX_TABLES_GPA, a.next - LINUX_TABLES_GPA);

	struct vcpu_entry *e = &res->entry;
	e->mode = VCPU_MODE_LONG64;
	e->rip = pl.kernel + ENTRY_64_OFFSET;
	e->rflags = RFLAGS_FIXED;
	e->cr3 = pt.root_pa;
	e->gdt_base = LINUX_GDT_GPA;
	e->gdt_limit = GDT_ENTRIES * 8 - 1;
	e->regs.rsi = LINUX_BOOT_PARAMS_GPA;
	res->boot_params_gpa = LINUX_BOOT_PARAMS_GPA;
	res->image_lo = pl.kernel;
	res->image_hi = pl.kernel + pl.li.init_size;
	res->free_gpa = a.next;
	return 0;
}
