/*
 * Guest image loader (vm/part/guest_image.h): ELF64 images for the elf64 entry
 * mode, Multiboot 0.6.96 kernels (ELF32 or the a.out kludge) for the
 * multiboot mode. ELF: System V gABI, "ELF Header" and "Program Header";
 * Multiboot: "The Multiboot Specification" version 0.6.96, sections 3.1
 * (OS image format), 3.2 (machine state) and 3.3 (boot information).
 * Symbol tables and video modes of Multiboot are not offered.
 */
#define LOG_SUBSYS "image"
#include "vm/part/guest_image.h"
#include "vm/part/linux_boot.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"

/* gABI "ELF Header": e_ident and the fields read here (offsets for ELF64 / ELF32). */
#define EI_CLASS                4
#define EI_DATA                 5
#define ELFCLASS32              1
#define ELFCLASS64              2
#define ELFDATA2LSB             1
#define ET_EXEC                 2
#define EM_386                  3
#define EM_X86_64               62
#define PT_LOAD                 1
#define PF_W                    0x2
#define ELF64_EHDR_SIZE         64
#define ELF64_PHDR_SIZE         56
#define ELF32_EHDR_SIZE         52
#define ELF32_PHDR_SIZE         32

/* Multiboot 0.6.96 section 3.1.1: the header, 4-byte aligned in the first 8192 bytes. */
#define MB_HEADER_MAGIC         0x1BADB002u
#define MB_SEARCH               8192
#define MB_FLAG_PAGE_ALIGN      BIT_ULL(0)      /* modules on 4 KiB boundaries (Sluice always aligns them) */
#define MB_FLAG_MEMORY_INFO     BIT_ULL(1)      /* mem_* fields required (always given) */
#define MB_FLAG_VIDEO_MODE      BIT_ULL(2)      /* a graphics mode: not offered */
#define MB_FLAG_AOUT_KLUDGE     BIT_ULL(16)     /* load addresses are in the header */
#define MB_FLAGS_REQUIRED       GENMASK_ULL(15, 0)
/* Section 3.2: EAX on entry. */
#define MB_BOOTLOADER_MAGIC     0x2BADB002u
/* Section 3.3: the information structure and the flags Sluice sets. */
#define MB_INFO_MEMORY          BIT_ULL(0)
#define MB_INFO_CMDLINE         BIT_ULL(2)
#define MB_INFO_MODS            BIT_ULL(3)
#define MB_INFO_MEM_MAP         BIT_ULL(6)
#define MB_INFO_LOADER_NAME     BIT_ULL(9)
#define MB_INFO_FLAGS           0
#define MB_INFO_MEM_LOWER       4
#define MB_INFO_MEM_UPPER       8
#define MB_INFO_CMDLINE_ADDR    16
#define MB_INFO_MODS_COUNT      20
#define MB_INFO_MODS_ADDR       24
#define MB_INFO_MMAP_LENGTH     44
#define MB_INFO_MMAP_ADDR       48
#define MB_INFO_LOADER_NAME_ADDR 64
#define MB_INFO_SIZE            120     /* up to and including the framebuffer fields */
#define MB_MMAP_ENTRY_SIZE      24      /* size (u32, not counting itself), base_addr, length, type */
#define MB_MMAP_RAM             1
#define MB_MOD_ENTRY_SIZE       16      /* mod_start, mod_end (exclusive), string, reserved */
#define MB_LOWER_MAX            (640 * KiB)

/* Intel SDM vol 3 3.4.5 "Segment Descriptors": flat 64-bit code (L=1) and data. */
#define GDT_CODE64              0x00af9b000000ffffULL
#define GDT_DATA                0x00cf93000000ffffULL

#define RFLAGS_FIXED            0x2ULL  /* bit 1 reads as 1; IF clear */

struct seg {
	u64 gpa, memsz, off, filesz;
	bool write;
};

/* What the headers say, before anything is written. */
struct image {
	struct seg seg[GUEST_IMAGE_MAX_PHDRS];
	u32 nr;
	u64 entry;
	u64 lo, hi;
};

static int fail(char *why, size_t len, int err, const char *fmt, ...) __printf(4, 5);
static int fail(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		fmt_vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

static bool elf_magic(const u8 *b, size_t size)
{
	return size >= 16 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
}

/* One program header, either class; vaddr is returned for the entry translation. */
static void phdr_read(const u8 *ph, bool is64, u32 *type, u32 *flags, u64 *off, u64 *vaddr, u64 *paddr,
		      u64 *filesz, u64 *memsz)
{
	*type = get_le32(ph);
	if (is64) {
		*flags = get_le32(ph + 4);
		*off = get_le64(ph + 8);
		*vaddr = get_le64(ph + 16);
		*paddr = get_le64(ph + 24);
		*filesz = get_le64(ph + 32);
		*memsz = get_le64(ph + 40);
	} else {
		*off = get_le32(ph + 4);
		*vaddr = get_le32(ph + 8);
		*paddr = get_le32(ph + 12);
		*filesz = get_le32(ph + 16);
		*memsz = get_le32(ph + 20);
		*flags = get_le32(ph + 24);
	}
}

/*
 * Reads the ELF headers (is64: ELF64 x86-64, else ELF32 i386) into im:
 * PT_LOAD segments at p_paddr, the entry translated from its virtual
 * address through the segment holding it.
 */
static int elf_parse(const u8 *b, size_t size, bool is64, struct image *im, char *why, size_t len)
{
	if (!elf_magic(b, size))
		return fail(why, len, -HV_EINVAL, "not an ELF image (no \\x7fELF magic)");
	if (b[EI_CLASS] != (is64 ? ELFCLASS64 : ELFCLASS32))
		return fail(why, len, -HV_ENOTSUP, "ELF class %u, expected %s", b[EI_CLASS],
			    is64 ? "ELFCLASS64 (elf64 entry)" : "ELFCLASS32 (Multiboot)");
	if (b[EI_DATA] != ELFDATA2LSB)
		return fail(why, len, -HV_ENOTSUP, "ELF data encoding %u, expected little-endian", b[EI_DATA]);
	size_t ehsize = is64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE;
	if (size < ehsize)
		return fail(why, len, -HV_EINVAL, "ELF header truncated (%zu bytes)", size);
	u16 type = get_le16(b + 16), machine = get_le16(b + 18);
	if (machine != (is64 ? EM_X86_64 : EM_386))
		return fail(why, len, -HV_ENOTSUP, "ELF machine %u, expected %s", machine,
			    is64 ? "EM_X86_64 (62)" : "EM_386 (3)");
	if (type != ET_EXEC)
		return fail(why, len, -HV_ENOTSUP, "ELF type %u, expected ET_EXEC (2)", type);
	u64 entry = is64 ? get_le64(b + 24) : get_le32(b + 24);
	u64 phoff = is64 ? get_le64(b + 32) : get_le32(b + 28);
	u16 phentsize = get_le16(b + (is64 ? 54 : 42));
	u16 phnum = get_le16(b + (is64 ? 56 : 44));
	u16 want = is64 ? ELF64_PHDR_SIZE : ELF32_PHDR_SIZE;
	if (phnum > GUEST_IMAGE_MAX_PHDRS)
		return fail(why, len, -HV_ERANGE, "%u program headers, at most %u", phnum, GUEST_IMAGE_MAX_PHDRS);
	if (phnum && phentsize != want)
		return fail(why, len, -HV_EINVAL, "program header size %u, expected %u", phentsize, want);
	if (phoff > size || (u64)phnum * want > size - phoff)
		return fail(why, len, -HV_EINVAL, "program headers past the end of the image");

	bool entry_found = false;
	im->nr = 0;
	for (u16 i = 0; i < phnum; i++) {
		u32 ptype, flags;
		u64 off, vaddr, paddr, filesz, memsz;
		phdr_read(b + phoff + (u64)i * want, is64, &ptype, &flags, &off, &vaddr, &paddr, &filesz, &memsz);
		if (ptype != PT_LOAD || memsz == 0)
			continue;
		if (filesz > memsz)
			return fail(why, len, -HV_EINVAL, "segment %u: filesz 0x%llx > memsz 0x%llx", i,
				    (unsigned long long)filesz, (unsigned long long)memsz);
		if (off > size || filesz > size - off)
			return fail(why, len, -HV_EINVAL, "segment %u: file bytes past the end of the image", i);
		if (paddr + memsz < paddr || (!is64 && paddr + memsz > 4 * GiB))
			return fail(why, len, -HV_ERANGE, "segment %u: address range wraps", i);
		/* The elf64 entry runs identity-mapped: code linked elsewhere would not run. */
		if (is64 && vaddr != paddr)
			return fail(why, len, -HV_EINVAL, "segment %u: vaddr 0x%llx != paddr 0x%llx (elf64 guests run identity-mapped)",
				    i, (unsigned long long)vaddr, (unsigned long long)paddr);
		struct seg *s = &im->seg[im->nr++];
		s->gpa = paddr;
		s->memsz = memsz;
		s->off = off;
		s->filesz = filesz;
		s->write = (flags & PF_W) != 0;
		if (!entry_found && entry >= vaddr && entry - vaddr < memsz) {
			im->entry = paddr + (entry - vaddr);
			entry_found = true;
		}
	}
	if (im->nr == 0)
		return fail(why, len, -HV_EINVAL, "no PT_LOAD segment");
	if (!entry_found)
		return fail(why, len, -HV_EINVAL, "entry 0x%llx is outside every loaded segment",
			    (unsigned long long)entry);
	return 0;
}

/* Multiboot 0.6.96 section 3.1.1: the first 4-byte aligned magic in the first 8192 bytes. */
static int mb_find(const u8 *b, size_t size, size_t *at)
{
	size_t end = MIN(size, (size_t)MB_SEARCH);
	for (size_t off = 0; off + 12 <= end; off += 4) {
		if (get_le32(b + off) == MB_HEADER_MAGIC) {
			*at = off;
			return 0;
		}
	}
	return -HV_ENOENT;
}

/* Section 3.1.3: the a.out kludge: one segment described by the header's address fields. */
static int mb_aout(const u8 *b, size_t size, size_t hdr, struct image *im, char *why, size_t len)
{
	if (hdr + 32 > size)
		return fail(why, len, -HV_EINVAL, "Multiboot header truncated before its address fields");
	u32 header_addr = get_le32(b + hdr + 12), load_addr = get_le32(b + hdr + 16);
	u32 load_end = get_le32(b + hdr + 20), bss_end = get_le32(b + hdr + 24);
	u32 entry = get_le32(b + hdr + 28);

	if (load_addr > header_addr || header_addr - load_addr > hdr)
		return fail(why, len, -HV_EINVAL, "Multiboot load_addr 0x%x does not fit header_addr 0x%x at file offset 0x%zx",
			    load_addr, header_addr, hdr);
	u64 off = hdr - (header_addr - load_addr);
	u64 filesz = load_end ? (u64)load_end - load_addr : size - off;
	if (load_end && load_end < load_addr)
		return fail(why, len, -HV_EINVAL, "Multiboot load_end_addr 0x%x below load_addr 0x%x", load_end, load_addr);
	if (off + filesz > size)
		return fail(why, len, -HV_EINVAL, "Multiboot load range is past the end of the image");
	u64 memsz = bss_end ? (u64)bss_end - load_addr : filesz;
	if (memsz < filesz)
		return fail(why, len, -HV_EINVAL, "Multiboot bss_end_addr 0x%x below the loaded bytes", bss_end);
	if (memsz == 0)
		return fail(why, len, -HV_EINVAL, "no PT_LOAD segment (empty Multiboot load range)");
	im->nr = 1;
	im->seg[0] = (struct seg){ .gpa = load_addr, .memsz = memsz, .off = off, .filesz = filesz, .write = true };
	if (entry < load_addr || entry - load_addr >= memsz)
		return fail(why, len, -HV_EINVAL, "entry 0x%x is outside every loaded segment", entry);
	im->entry = entry;
	return 0;
}

static int mb_parse(const u8 *b, size_t size, struct image *im, char *why, size_t len)
{
	size_t hdr;

	if (mb_find(b, size, &hdr))
		return fail(why, len, -HV_EINVAL, "no Multiboot header (magic 0x1BADB002) in the first %u bytes",
			    MB_SEARCH);
	u32 flags = get_le32(b + hdr + 4), sum = get_le32(b + hdr + 8);
	if ((u32)(MB_HEADER_MAGIC + flags + sum) != 0)
		return fail(why, len, -HV_ECHKSUM, "Multiboot header at 0x%zx: bad checksum 0x%08x", hdr, sum);
	if (flags & MB_FLAG_VIDEO_MODE)
		return fail(why, len, -HV_ENOTSUP, "Multiboot flags 0x%08x ask for a video mode (bit 2): not supported",
			    flags);
	/* SPEC: "If bit 0 to 15 are set ... and the boot loader does not understand them, it must fail." */
	u32 unknown = flags & MB_FLAGS_REQUIRED & ~(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO);
	if (unknown)
		return fail(why, len, -HV_ENOTSUP, "Multiboot flags 0x%08x: unsupported required bits 0x%x", flags,
			    unknown);
	if (flags & MB_FLAG_AOUT_KLUDGE)
		return mb_aout(b, size, hdr, im, why, len);
	if (!elf_magic(b, size))
		return fail(why, len, -HV_EINVAL, "not an ELF image and no a.out kludge (Multiboot flag 16)");
	return elf_parse(b, size, false, im, why, len);
}

const struct guest_region *guest_region_of(const struct guest_region *mem, u32 nr, u64 gpa, u64 len)
{
	for (u32 i = 0; i < nr; i++)
		if (gpa >= mem[i].gpa && len <= mem[i].size && gpa - mem[i].gpa <= mem[i].size - len)
			return &mem[i];
	return NULL;
}

void *guest_gpa_to_host(const struct guest_region *mem, u32 nr, u64 gpa, u64 len)
{
	const struct guest_region *r = guest_region_of(mem, nr, gpa, len);
	return r && r->host ? (u8 *)r->host + (gpa - r->gpa) : NULL;
}

/* Segments inside the memory, apart from each other, writable ones in writable regions. */
static int seg_check(struct image *im, const struct guest_region *mem, u32 nr_mem, char *why, size_t len)
{
	im->lo = ~0ULL;
	im->hi = 0;
	for (u32 i = 0; i < im->nr; i++) {
		const struct seg *s = &im->seg[i];
		const struct guest_region *r = guest_region_of(mem, nr_mem, s->gpa, s->memsz);
		if (!r)
			return fail(why, len, -HV_ERANGE, "segment [0x%016llx-0x%016llx] is outside the partition's memory",
				    (unsigned long long)s->gpa, (unsigned long long)(s->gpa + s->memsz - 1));
		if (s->write && !r->writable)
			return fail(why, len, -HV_EPERM, "writable segment at 0x%016llx is in read-only memory",
				    (unsigned long long)s->gpa);
		for (u32 j = 0; j < i; j++) {
			const struct seg *t = &im->seg[j];
			if (s->gpa < t->gpa + t->memsz && t->gpa < s->gpa + s->memsz)
				return fail(why, len, -HV_EINVAL, "segments at 0x%016llx and 0x%016llx overlap",
					    (unsigned long long)t->gpa, (unsigned long long)s->gpa);
		}
		im->lo = MIN(im->lo, s->gpa);
		im->hi = MAX(im->hi, s->gpa + s->memsz);
	}
	return 0;
}

/* Table pages one identity range may need: a PDPT per 512 GiB, a PD per 1 GiB, two PTs for its ends. */
static u64 range_tables(u64 gpa, u64 size)
{
	u64 end = gpa + size - 1;
	return (end >> 39) - (gpa >> 39) + 1 + (end >> 30) - (gpa >> 30) + 1 + 2;
}

/* Pages the loader adds above the image (an upper bound for elf64): Multiboot's information page, then each module from a page boundary. */
static u64 pages_needed(enum guest_image_mode mode, const struct guest_region *mem, u32 nr_mem,
			const struct guest_extra *extra, u32 nr_extra, const struct guest_boot *boot)
{
	if (mode == GUEST_IMAGE_MULTIBOOT) {
		u64 n = 1;
		for (u32 i = 0; boot && i < boot->nr_mods; i++)
			n += ALIGN_UP(boot->mods[i].size, PAGE_SIZE) / PAGE_SIZE;
		return n;
	}
	u64 n = 2 + 1;          /* start info, GDT, PML4 */
	for (u32 i = 0; i < nr_mem; i++)
		n += range_tables(mem[i].gpa, mem[i].size);
	for (u32 i = 0; i < nr_extra; i++)
		n += range_tables(extra[i].gpa, extra[i].size);
	return n;
}

/*
 * The lowest writable region with pages free above the image: [*start,
 * *end). Page 0 is never used, so a GPA of 0 always means "none".
 */
static int arena_find(const struct image *im, enum guest_image_mode mode, const struct guest_region *mem,
		      u32 nr_mem, u64 pages, u64 *start, u64 *end, char *why, size_t len)
{
	const struct guest_region *best = NULL;
	u64 best_start = 0, best_end = 0;
	u64 limit = mode == GUEST_IMAGE_MULTIBOOT ? 4 * GiB : ~0ULL;

	for (u32 i = 0; i < nr_mem; i++) {
		const struct guest_region *r = &mem[i];
		if (!r->writable || (best && r->gpa > best->gpa))
			continue;
		u64 s = ALIGN_UP(MAX(MAX(r->gpa, im->hi), PAGE_SIZE), PAGE_SIZE);
		u64 e = MIN(ALIGN_DOWN(r->gpa + r->size, PAGE_SIZE), limit);
		if (s >= e || (e - s) / PAGE_SIZE < pages)
			continue;
		best = r;
		best_start = s;
		best_end = e;
	}
	if (!best)
		return fail(why, len, -HV_ENOMEM, "no writable memory above the image (0x%016llx) for %llu pages",
			    (unsigned long long)im->hi, (unsigned long long)pages);
	*start = best_start;
	*end = best_end;
	return 0;
}

static int parse_and_check(const void *img, size_t size, enum guest_image_mode mode, const struct guest_region *mem,
			   u32 nr_mem, struct image *im, char *why, size_t len)
{
	if (!img || size == 0)
		return fail(why, len, -HV_EINVAL, "empty image");
	if (size > GUEST_IMAGE_MAX_SIZE)
		return fail(why, len, -HV_ERANGE, "image of %zu bytes is bigger than %llu", size,
			    (unsigned long long)GUEST_IMAGE_MAX_SIZE);
	int ret = mode == GUEST_IMAGE_MULTIBOOT ? mb_parse(img, size, im, why, len) :
		  elf_parse(img, size, true, im, why, len);
	if (ret)
		return ret;
	return seg_check(im, mem, nr_mem, why, len);
}

/* What boot asks of the loader, before anything is placed: Multiboot only, bounded strings and modules. */
static int boot_check(enum guest_image_mode mode, const struct guest_boot *boot, char *why, size_t len)
{
	if (!boot)
		return 0;
	if (mode != GUEST_IMAGE_MULTIBOOT && ((boot->cmdline && boot->cmdline[0]) || boot->nr_mods))
		return fail(why, len, -HV_ENOTSUP, "only a Multiboot kernel takes a command line and modules");
	if (boot->cmdline && strlen(boot->cmdline) >= GUEST_STRING_MAX)
		return fail(why, len, -HV_ERANGE, "command line of %zu characters, at most %u", strlen(boot->cmdline),
			    GUEST_STRING_MAX - 1);
	if (boot->nr_mods > GUEST_MAX_MODULES)
		return fail(why, len, -HV_ERANGE, "%u modules, at most %u", boot->nr_mods, GUEST_MAX_MODULES);
	for (u32 i = 0; i < boot->nr_mods; i++) {
		const struct guest_module *m = &boot->mods[i];
		if (!m->string || strlen(m->string) >= GUEST_STRING_MAX)
			return fail(why, len, -HV_ERANGE, "module %u: a string of at most %u characters", i, GUEST_STRING_MAX - 1);
		if (m->size > GUEST_IMAGE_MAX_SIZE)
			return fail(why, len, -HV_ERANGE, "module %s of %llu bytes is bigger than %llu", m->string,
				    (unsigned long long)m->size, (unsigned long long)GUEST_IMAGE_MAX_SIZE);
	}
	return 0;
}

static bool overlaps(u64 a, u64 a_end, u64 b, u64 b_end)
{
	return a < b_end && b < a_end;
}

/*
 * With boot->pc_vectors (Multiboot only): the vector table and the handler
 * page are writable memory of the partition, apart from the image and from
 * the information and modules at [start, start + pages).
 */
static int pc_vectors_check(const struct image *im, enum guest_image_mode mode, const struct guest_region *mem,
			    u32 nr_mem, const struct guest_boot *boot, u64 start, u64 pages, char *why, size_t len)
{
	const struct guest_region *ivt = guest_region_of(mem, nr_mem, 0, GUEST_PC_IVT_SIZE);
	const struct guest_region *stub = guest_region_of(mem, nr_mem, GUEST_PC_STUB_GPA, PAGE_SIZE);
	u64 stub_end = GUEST_PC_STUB_GPA + PAGE_SIZE;

	if (mode != GUEST_IMAGE_MULTIBOOT || !boot || !boot->pc_vectors)
		return 0;
	if (!ivt || !ivt->writable || !stub || !stub->writable)
		return fail(why, len, -HV_ERANGE, "legacy-pic needs writable memory at [0x0-0x3ff] (the real-mode vector table) and [0x%llx-0x%llx] (its handlers); give the partition memory from 0 to 1 MiB or set legacy-pic = off",
			    (unsigned long long)GUEST_PC_STUB_GPA, (unsigned long long)(stub_end - 1));
	if (overlaps(im->lo, im->hi, 0, GUEST_PC_IVT_SIZE) || overlaps(im->lo, im->hi, GUEST_PC_STUB_GPA, stub_end))
		return fail(why, len, -HV_EEXIST, "legacy-pic: the image [0x%016llx-0x%016llx] covers the real-mode vector table or the handler page [0x%llx-0x%llx]; set legacy-pic = off",
			    (unsigned long long)im->lo, (unsigned long long)(im->hi - 1), (unsigned long long)GUEST_PC_STUB_GPA, (unsigned long long)(stub_end - 1));
	if (overlaps(start, start + pages * PAGE_SIZE, GUEST_PC_STUB_GPA, stub_end))
		return fail(why, len, -HV_EEXIST, "legacy-pic: the Multiboot information and modules from 0x%016llx reach the handler page [0x%llx-0x%llx]; set legacy-pic = off",
			    (unsigned long long)start, (unsigned long long)GUEST_PC_STUB_GPA, (unsigned long long)(stub_end - 1));
	return 0;
}


/*
 * The PIC's real-mode vectors and their two handlers (guest_image.h): each
 * saves AX, writes OCW2 non-specific EOI (0x20) to the slave (for IRQ 8-15)
 * and the master, restores AX and returns with IRET. 16-bit code.
 */
static void pc_vectors_write(const struct guest_region *mem, u32 nr_mem, struct guest_load_result *res)
{
	static const u8 master[] = { 0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58, 0xcf };
	static const u8 slave[] = { 0x50, 0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20, 0x58, 0xcf };
	u8 *ivt = guest_gpa_to_host(mem, nr_mem, 0, GUEST_PC_IVT_SIZE);
	u8 *stub = guest_gpa_to_host(mem, nr_mem, GUEST_PC_STUB_GPA, PAGE_SIZE);

	memset(stub, 0, PAGE_SIZE);
	memcpy(stub + GUEST_PC_STUB_MASTER, master, sizeof(master));
	memcpy(stub + GUEST_PC_STUB_SLAVE, slave, sizeof(slave));
	for (u32 i = 0; i < 8; i++) {
		put_le32(ivt + (0x08 + i) * 4, (u32)GUEST_PC_STUB_SEG << 16 | GUEST_PC_STUB_MASTER);
		put_le32(ivt + (0x70 + i) * 4, (u32)GUEST_PC_STUB_SEG << 16 | GUEST_PC_STUB_SLAVE);
	}
	guest_placed_add(res, "real-mode PIC vectors", 0, GUEST_PC_IVT_SIZE);
	guest_placed_add(res, "real-mode PIC handlers", GUEST_PC_STUB_GPA, GUEST_PC_STUB_SLAVE + sizeof(slave));
}

int guest_image_check(const void *img, size_t size, enum guest_image_mode mode,
		      const struct guest_region *mem, u32 nr_mem, const struct guest_boot *boot,
		      char *why, size_t why_len)
{
	struct image im;
	u64 s, e;

	if (mode == GUEST_IMAGE_LINUX)
		return linux_boot_check(img, size, mem, nr_mem, boot, why, why_len);
	int ret = boot_check(mode, boot, why, why_len);
	if (!ret)
		ret = parse_and_check(img, size, mode, mem, nr_mem, &im, why, why_len);
	if (ret)
		return ret;
	u64 pages = pages_needed(mode, mem, nr_mem, NULL, 0, boot);
	ret = arena_find(&im, mode, mem, nr_mem, pages, &s, &e, why, why_len);
	if (ret)
		return ret;
	return pc_vectors_check(&im, mode, mem, nr_mem, boot, s, pages, why, why_len);
}

/* ---- table memory in guest pages ---- */

static void *arena_alloc(void *ctx, u64 *pa)
{
	struct guest_arena *a = ctx;
	if (a->next >= a->end)
		return NULL;
	void *p = guest_gpa_to_host(a->mem, a->nr_mem, a->next, PAGE_SIZE);
	if (!p)
		return NULL;
	memset(p, 0, PAGE_SIZE);
	*pa = a->next;
	a->next += PAGE_SIZE;
	return p;
}

/* Pages stay with the guest: nothing is handed back before the partition ends. */
static void arena_free(void *ctx, u64 pa)
{
	(void)ctx;
	(void)pa;
}

static void *arena_va(void *ctx, u64 pa)
{
	struct guest_arena *a = ctx;
	return guest_gpa_to_host(a->mem, a->nr_mem, pa, PAGE_SIZE);
}

void guest_arena_init(struct guest_arena *a, const struct guest_region *mem, u32 nr_mem, u64 next, u64 end)
{
	a->mem = mem;
	a->nr_mem = nr_mem;
	a->next = next;
	a->end = end;
	a->pm = (struct pt_mem){ .alloc = arena_alloc, .free = arena_free, .va = arena_va, .ctx = a };
}

/* ---- loading ---- */

void guest_placed_add(struct guest_load_result *res, const char *what, u64 gpa, u64 size)
{
	if (res->nr_placed < GUEST_MAX_PLACED)
		res->placed[res->nr_placed++] = (struct guest_placed){ .what = what, .gpa = gpa, .size = size };
}

static int segs_copy(const u8 *b, const struct image *im, const struct guest_region *mem, u32 nr_mem,
		     struct guest_load_result *res, char *why, size_t len)
{
	for (u32 i = 0; i < im->nr; i++) {
		const struct seg *s = &im->seg[i];
		u8 *dst = guest_gpa_to_host(mem, nr_mem, s->gpa, s->memsz);
		if (!dst)
			return fail(why, len, -HV_EINVAL, "segment at 0x%016llx: its memory has no host mapping",
				    (unsigned long long)s->gpa);
		memcpy(dst, b + s->off, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
		guest_placed_add(res, "segment", s->gpa, s->memsz);
	}
	return 0;
}

/*
 * Maps the pages of an extra range not mapped yet: two BARs may share a
 * page once rounded to pages, and mapping that page twice is no error.
 */
static int map_extra(struct pt *pt, u64 base, u64 size)
{
	u64 end = base + size, run = base;

	for (u64 a = base; a < end;) {
		u64 psize;
		if (pt_lookup(pt, a, NULL, NULL, &psize) != 0) {
			a += PAGE_SIZE;
			continue;
		}
		if (run < a) {
			int ret = pt_map(pt, run, run, a - run, PT_READ | PT_WRITE | PT_UNCACHED);
			if (ret)
				return ret;
		}
		a = ALIGN_DOWN(a, psize) + psize;
		run = a;
	}
	if (run < end)
		return pt_map(pt, run, run, end - run, PT_READ | PT_WRITE | PT_UNCACHED);
	return 0;
}

/* Regions read/write/execute as the region allows, extra ranges read/write uncached, all GPA = VA. */
int guest_identity_map(struct pt *pt, const struct guest_region *mem, u32 nr_mem, const struct guest_extra *extra,
		       u32 nr_extra, char *why, size_t len)
{
	for (u32 i = 0; i < nr_mem; i++) {
		u64 base = ALIGN_DOWN(mem[i].gpa, PAGE_SIZE);
		u64 size = ALIGN_UP(mem[i].gpa + mem[i].size, PAGE_SIZE) - base;
		u32 prot = PT_READ | PT_EXEC | (mem[i].writable ? PT_WRITE : 0);
		int ret = pt_map(pt, base, base, size, prot);
		if (ret)
			return fail(why, len, ret, "guest page tables: region 0x%016llx size 0x%llx: %s",
				    (unsigned long long)base, (unsigned long long)size, hv_strerror(ret));
	}
	for (u32 i = 0; i < nr_extra; i++) {
		u64 base = ALIGN_DOWN(extra[i].gpa, PAGE_SIZE);
		u64 size = ALIGN_UP(extra[i].gpa + extra[i].size, PAGE_SIZE) - base;
		for (u32 j = 0; j < nr_mem; j++)
			if (base < mem[j].gpa + mem[j].size && mem[j].gpa < base + size)
				return fail(why, len, -HV_EEXIST, "extra range 0x%016llx size 0x%llx overlaps the partition's memory",
					    (unsigned long long)base, (unsigned long long)size);
		int ret = map_extra(pt, base, size);
		if (ret)
			return fail(why, len, ret, "guest page tables: extra range 0x%016llx size 0x%llx: %s",
				    (unsigned long long)base, (unsigned long long)size, hv_strerror(ret));
	}
	return 0;
}

static int load_elf64(const struct image *im, const struct guest_region *mem, u32 nr_mem,
		      const struct guest_extra *extra, u32 nr_extra, u64 start, u64 end,
		      struct sluice_start_info *si, struct guest_load_result *res, char *why, size_t len)
{
	struct guest_arena a;
	struct pt pt;

	if (!si)
		return fail(why, len, -HV_EINVAL, "elf64 entry needs the start information");
	u64 si_gpa = start, gdt_gpa = start + PAGE_SIZE;
	u8 *si_page = guest_gpa_to_host(mem, nr_mem, si_gpa, PAGE_SIZE);
	u8 *gdt = guest_gpa_to_host(mem, nr_mem, gdt_gpa, PAGE_SIZE);
	if (!si_page || !gdt)
		return fail(why, len, -HV_EINVAL, "free memory at 0x%016llx has no host mapping",
			    (unsigned long long)start);
	guest_arena_init(&a, mem, nr_mem, start + 2 * PAGE_SIZE, end);
	int ret = pt_init(&pt, PT_FMT_X86, 4, PT_LARGE_2M, &a.pm);
	if (ret)
		return fail(why, len, ret, "guest page tables: no room for the root at 0x%016llx",
			    (unsigned long long)a.next);
	ret = guest_identity_map(&pt, mem, nr_mem, extra, nr_extra, why, len);
	if (ret)
		return ret;
	res->table_pages = pt.tables;
	guest_placed_add(res, "page tables", start + 2 * PAGE_SIZE, a.next - (start + 2 * PAGE_SIZE));

	memset(gdt, 0, PAGE_SIZE);
	put_le64(gdt + GUEST_GDT_CS64, GDT_CODE64);
	put_le64(gdt + GUEST_GDT_DS, GDT_DATA);
	guest_placed_add(res, "gdt", gdt_gpa, 3 * 8);

	si->free_gpa = a.next;
	memset(si_page, 0, PAGE_SIZE);
	memcpy(si_page, si, sizeof(*si));
	guest_placed_add(res, "start info", si_gpa, sizeof(*si));

	struct vcpu_entry *e = &res->entry;
	e->mode = VCPU_MODE_LONG64;
	e->rip = im->entry;
	e->rflags = RFLAGS_FIXED;
	e->cr3 = pt.root_pa;
	e->gdt_base = gdt_gpa;
	e->gdt_limit = 3 * 8 - 1;
	e->regs.rdi = si_gpa;
	res->start_info_gpa = si_gpa;
	res->free_gpa = a.next;
	return 0;
}

/* Section 3.3: mem_lower from the region at 0 (up to 640 KiB), mem_upper contiguous from 1 MiB. */
static void mb_mem_sizes(const struct guest_region *mem, u32 nr_mem, u32 *lower_kb, u32 *upper_kb)
{
	const struct guest_region *r0 = guest_region_of(mem, nr_mem, 0, 1);
	u64 upper = 1 * MiB;
	const struct guest_region *r;

	*lower_kb = r0 ? (u32)(MIN(r0->size, MB_LOWER_MAX) / KiB) : 0;
	while ((r = guest_region_of(mem, nr_mem, upper, 1)) != NULL && upper < 4 * GiB)
		upper = r->gpa + r->size;
	upper = MIN(upper, 4 * GiB);
	*upper_kb = (u32)((upper - 1 * MiB) / KiB);
}

/*
 * The information page at start: the structure (section 3.3), the memory
 * map, the loader's name, the module list, the command line and the
 * modules' strings, in that order; each module's bytes from the next page
 * boundary on, one after another.
 */
static int load_multiboot(const struct image *im, const struct guest_region *mem, u32 nr_mem, u64 start,
			  const struct guest_boot *boot, struct guest_load_result *res, char *why, size_t len)
{
	static const char loader_name[] = "Sluice";
	u8 *page = guest_gpa_to_host(mem, nr_mem, start, PAGE_SIZE);
	const char *cmdline = boot && boot->cmdline ? boot->cmdline : "";
	u32 nr_mods = boot ? boot->nr_mods : 0;
	u64 mmap_off = ALIGN_UP(MB_INFO_SIZE, 8);
	u64 name_off = mmap_off + (u64)nr_mem * MB_MMAP_ENTRY_SIZE;
	u64 mods_off = ALIGN_UP(name_off + sizeof(loader_name), 16);
	u64 cmdline_off = mods_off + (u64)nr_mods * MB_MOD_ENTRY_SIZE;
	u64 end = cmdline_off + strlen(cmdline) + 1;
	u32 lower, upper;

	for (u32 i = 0; i < nr_mods; i++)
		end += strlen(boot->mods[i].string) + 1;
	if (!page)
		return fail(why, len, -HV_EINVAL, "free memory at 0x%016llx has no host mapping",
			    (unsigned long long)start);
	if (end > PAGE_SIZE)
		return fail(why, len, -HV_ERANGE, "%u memory regions, the command line and %u module strings do not fit one Multiboot information page",
			    nr_mem, nr_mods);
	memset(page, 0, PAGE_SIZE);
	mb_mem_sizes(mem, nr_mem, &lower, &upper);
	put_le32(page + MB_INFO_FLAGS, MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MEM_MAP | MB_INFO_LOADER_NAME);
	put_le32(page + MB_INFO_MEM_LOWER, lower);
	put_le32(page + MB_INFO_MEM_UPPER, upper);
	put_le32(page + MB_INFO_CMDLINE_ADDR, (u32)(start + cmdline_off));
	put_le32(page + MB_INFO_MODS_COUNT, nr_mods);
	put_le32(page + MB_INFO_MODS_ADDR, (u32)(start + mods_off));
	put_le32(page + MB_INFO_MMAP_LENGTH, nr_mem * MB_MMAP_ENTRY_SIZE);
	put_le32(page + MB_INFO_MMAP_ADDR, (u32)(start + mmap_off));
	put_le32(page + MB_INFO_LOADER_NAME_ADDR, (u32)(start + name_off));
	for (u32 i = 0; i < nr_mem; i++) {
		u8 *ent = page + mmap_off + (u64)i * MB_MMAP_ENTRY_SIZE;
		/* SPEC: "size" is the size of the rest of the entry, not counting itself. */
		put_le32(ent, MB_MMAP_ENTRY_SIZE - 4);
		put_le64(ent + 4, mem[i].gpa);
		put_le64(ent + 12, mem[i].size);
		put_le32(ent + 20, MB_MMAP_RAM);
	}
	memcpy(page + name_off, loader_name, sizeof(loader_name));
	memcpy(page + cmdline_off, cmdline, strlen(cmdline) + 1);
	guest_placed_add(res, "multiboot info", start, end);

	/* The modules above the page, inside the arena arena_find checked for pages_needed(): apart from the image and the information. */
	u64 str_off = cmdline_off + strlen(cmdline) + 1, mod_gpa = start + PAGE_SIZE;
	for (u32 i = 0; i < nr_mods; i++) {
		const struct guest_module *m = &boot->mods[i];
		u8 *dst = m->size ? guest_gpa_to_host(mem, nr_mem, mod_gpa, m->size) : NULL;
		u8 *ent = page + mods_off + (u64)i * MB_MOD_ENTRY_SIZE;
		if (m->size && (!dst || !m->data))
			return fail(why, len, -HV_EINVAL, "module %s: no host mapping at 0x%016llx", m->string,
				    (unsigned long long)mod_gpa);
		if (m->size)
			memcpy(dst, m->data, m->size);
		put_le32(ent, (u32)mod_gpa);
		put_le32(ent + 4, (u32)(mod_gpa + m->size));
		put_le32(ent + 8, (u32)(start + str_off));
		memcpy(page + str_off, m->string, strlen(m->string) + 1);
		str_off += strlen(m->string) + 1;
		guest_placed_add(res, "module", mod_gpa, m->size);
		mod_gpa += ALIGN_UP(m->size, PAGE_SIZE);
	}

	struct vcpu_entry *e = &res->entry;
	e->mode = VCPU_MODE_PROT32;
	e->rip = im->entry;
	e->rflags = RFLAGS_FIXED;
	e->regs.rax = MB_BOOTLOADER_MAGIC;
	e->regs.rbx = start;
	res->mb_info_gpa = start;
	res->free_gpa = mod_gpa;
	if (boot && boot->pc_vectors)
		pc_vectors_write(mem, nr_mem, res);
	return 0;
}

int guest_image_load(const void *img, size_t size, enum guest_image_mode mode,
		     const struct guest_region *mem, u32 nr_mem,
		     const struct guest_extra *extra, u32 nr_extra,
		     struct sluice_start_info *si, const struct guest_boot *boot,
		     struct guest_load_result *res, char *why, size_t why_len)
{
	struct image im;
	u64 start, end;

	memset(res, 0, sizeof(*res));
	if (mode == GUEST_IMAGE_LINUX)
		return linux_boot_load(img, size, mem, nr_mem, boot, res, why, why_len);
	int ret = boot_check(mode, boot, why, why_len);
	if (!ret)
		ret = parse_and_check(img, size, mode, mem, nr_mem, &im, why, why_len);
	if (ret)
		return ret;
	u64 pages = pages_needed(mode, mem, nr_mem, extra, nr_extra, boot);
	ret = arena_find(&im, mode, mem, nr_mem, pages, &start, &end, why, why_len);
	if (!ret)
		ret = pc_vectors_check(&im, mode, mem, nr_mem, boot, start, pages, why, why_len);
	if (ret)
		return ret;
	res->image_lo = im.lo;
	res->image_hi = im.hi;
	ret = segs_copy(img, &im, mem, nr_mem, res, why, why_len);
	if (ret)
		return ret;
	if (mode == GUEST_IMAGE_MULTIBOOT)
		return load_multiboot(&im, mem, nr_mem, start, boot, res, why, why_len);
	return load_elf64(&im, mem, nr_mem, extra, nr_extra, start, end, si, res, why, why_len);
}

void guest_image_log(const char *who, const struct guest_load_result *res)
{
	for (u32 i = 0; i < res->nr_placed; i++) {
		const struct guest_placed *p = &res->placed[i];
		log_info("%s: placed %s at [0x%016llx-0x%016llx]", who, p->what, (unsigned long long)p->gpa,
			 (unsigned long long)(p->gpa + (p->size ? p->size : 1) - 1));
	}
	if (res->boot_params_gpa)
		log_info("%s: linux entry 0x%016llx, cr3 0x%016llx (%llu table pages), rsi (boot_params) 0x%016llx, free from 0x%016llx",
			 who, (unsigned long long)res->entry.rip, (unsigned long long)res->entry.cr3,
			 (unsigned long long)res->table_pages, (unsigned long long)res->boot_params_gpa,
			 (unsigned long long)res->free_gpa);
	else if (res->entry.mode == VCPU_MODE_LONG64)
		log_info("%s: elf64 entry 0x%016llx, cr3 0x%016llx (%llu table pages), start info 0x%016llx, free from 0x%016llx",
			 who, (unsigned long long)res->entry.rip, (unsigned long long)res->entry.cr3,
			 (unsigned long long)res->table_pages, (unsigned long long)res->start_info_gpa,
			 (unsigned long long)res->free_gpa);
	else
		log_info("%s: multiboot entry 0x%016llx, eax 0x%08llx, ebx (info) 0x%016llx, free from 0x%016llx", who,
			 (unsigned long long)res->entry.rip, (unsigned long long)res->entry.regs.rax,
			 (unsigned long long)res->mb_info_gpa, (unsigned long long)res->free_gpa);
}
