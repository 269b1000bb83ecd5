/*
 * Multiboot2 boot information parsing.
 * Spec: Multiboot2 Specification 2.0, section 3.6 "Boot information format".
 * Takes the BIOS-style memory map (tag 6, which GRUB also builds on EFI) and
 * ignores the raw EFI map (tag 17); only the RSDP copy of ACPI is kept.
 */
#define LOG_SUBSYS "boot"
#include "kernel/mb2.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "kernel/hw/mem.h"

#define MB2_TAG_END             0
#define MB2_TAG_CMDLINE         1
#define MB2_TAG_LOADER          2
#define MB2_TAG_MODULE          3
#define MB2_TAG_MMAP            6
#define MB2_TAG_EFI64           12
#define MB2_TAG_ACPI_OLD        14
#define MB2_TAG_ACPI_NEW        15
#define MB2_TAG_EFI_MMAP        17
#define MB2_INFO_MAX            (1u << 20)      /* a sanity bound on total_size */

/* §3.6.8 memory map types (E820). */
static u32 e820_type(u32 t)
{
	switch (t) {
	case 1: return BOOT_MEM_USABLE;
	case 3: return BOOT_MEM_ACPI;
	case 4: return BOOT_MEM_NVS;
	case 5: return BOOT_MEM_BAD;
	default: return BOOT_MEM_RESERVED;
	}
}

/* Copies a NUL-terminated string field of at most max bytes. */
static void copy_str(char *dst, size_t size, const u8 *src, u32 max)
{
	size_t n = strnlen((const char *)src, max);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int parse_mmap(const u8 *t, u32 size, struct boot_info *bi)
{
	if (size < 16)
		return -HV_EINVAL;
	u32 esz = get_le32(t + 8);
	if (esz < 24 || esz % 8)
		return -HV_EINVAL;
	int ret = 0;
	for (u32 off = 16; off + esz <= size; off += esz) {
		if (bi->nr_mmap == BOOT_MMAP_MAX) {
			ret = -HV_ENOMEM;
			break;
		}
		struct boot_mmap_entry *e = &bi->mmap[bi->nr_mmap++];
		e->base = get_le64(t + off);
		e->size = get_le64(t + off + 8);
		e->fw_type = get_le32(t + off + 16);
		e->type = e820_type(e->fw_type);
	}
	return ret;
}

static int parse_module(const u8 *t, u32 size, struct boot_info *bi)
{
	if (size < 17)
		return -HV_EINVAL;
	if (bi->nr_modules == BOOT_MODULES_MAX)
		return -HV_ENOMEM;
	u32 start = get_le32(t + 8), end = get_le32(t + 12);
	if (end < start)
		return -HV_EINVAL;
	struct boot_module *m = &bi->modules[bi->nr_modules++];
	m->start_pa = start;
	m->size = end - start;
	copy_str(m->name, sizeof(m->name), t + 16, size - 16);
	return 0;
}

static void copy_rsdp(const u8 *t, u32 size, struct boot_info *bi)
{
	u32 n = size - 8;
	if (n > BOOT_RSDP_MAX)
		n = BOOT_RSDP_MAX;
	memcpy(bi->rsdp, t + 8, n);
	bi->rsdp_len = n;
	bi->rsdp_pa = 0;
}

int mb2_parse(u32 magic, u64 info_pa, struct boot_info *bi)
{
	int ret = 0;
	bool acpi_new = false;

	memset(bi, 0, sizeof(*bi));
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->source = BOOT_SRC_MB2_BIOS;
	if (magic != MB2_BOOTLOADER_MAGIC)
		return -HV_EINVAL;
	const u8 *hdr = phys_to_virt(info_pa, 8);
	if (!hdr || info_pa % 8)
		return -HV_EINVAL;
	u32 total = get_le32(hdr);
	if (total < 16 || total > MB2_INFO_MAX)
		return -HV_EINVAL;
	const u8 *info = phys_to_virt(info_pa, total);
	if (!info)
		return -HV_EINVAL;

	for (u32 off = 8; off + 8 <= total;) {
		const u8 *t = info + off;
		u32 type = get_le32(t), size = get_le32(t + 4);
		if (size < 8 || size > total - off)
			return -HV_EINVAL;
		if (type == MB2_TAG_END)
			return ret;
		int r = 0;
		switch (type) {
		case MB2_TAG_CMDLINE:
			/* Cut to what boot_info holds; the kernel sees the length and refuses it. */
			copy_str(bi->cmdline, sizeof(bi->cmdline), t + 8, size - 8);
			bi->cmdline_len = (u32)strnlen((const char *)t + 8, size - 8);
			bi->cmdline_pa = bi->cmdline_len >= sizeof(bi->cmdline) ? info_pa + off + 8 : 0;
			break;
		case MB2_TAG_LOADER:
			copy_str(bi->loader, sizeof(bi->loader), t + 8, size - 8);
			break;
		case MB2_TAG_MODULE:
			r = parse_module(t, size, bi);
			break;
		case MB2_TAG_MMAP:
			r = parse_mmap(t, size, bi);
			break;
		case MB2_TAG_EFI64:
			if (size >= 16)
				bi->efi_system_table_pa = get_le64(t + 8);
			bi->source = BOOT_SRC_MB2_EFI;
			break;
		case MB2_TAG_EFI_MMAP:
			bi->source = BOOT_SRC_MB2_EFI;
			break;
		case MB2_TAG_ACPI_OLD:
			/* An ACPI 2.0 RSDP (tag 15) wins over the 1.0 copy. */
			if (!acpi_new && size > 8)
				copy_rsdp(t, size, bi);
			break;
		case MB2_TAG_ACPI_NEW:
			if (size > 8) {
				copy_rsdp(t, size, bi);
				acpi_new = true;
			}
			break;
		default:
			break;
		}
		if (r == -HV_EINVAL)
			return r;
		if (r)
			ret = r;
		off += (size + 7) & ~7u;
	}
	/* No end tag inside total_size. */
	return -HV_EINVAL;
}
