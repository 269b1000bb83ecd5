/*
 * Host tests for vm/part/guest_image.c: ELF64 images for the elf64 entry and
 * Multiboot v1 kernels (ELF32 and the a.out kludge), built in the test
 * with <elf.h>, loaded into host buffers standing in for a partition's
 * memory. Placement, the vCPU entry state, the start info and Multiboot
 * information contents, the guest's page tables (walked with pt_lookup
 * through the loader's own pt_mem), and every refusal with its reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include "vm/part/guest_image.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "tests/fakes/fake_log.h"

#define LOW_SIZE        (4 * MiB)
#define HIGH_GPA        0x10000000ULL
#define HIGH_SIZE       (1 * MiB)
#define LINK            0x100000ULL
#define ECAM_GPA        0xe0000000ULL
#define FILL            0xcc

static u8 *low, *high;
static struct guest_region mem[2];
static u8 img[16384];
static size_t img_size;
static char why[160];
static struct sluice_start_info si;
static struct guest_load_result res;

static int setup(void **state)
{
	(void)state;
	low = aligned_alloc(PAGE_SIZE, LOW_SIZE);
	high = aligned_alloc(PAGE_SIZE, HIGH_SIZE);
	assert_non_null(low);
	assert_non_null(high);
	memset(low, FILL, LOW_SIZE);
	memset(high, FILL, HIGH_SIZE);
	mem[0] = (struct guest_region){ .gpa = 0, .size = LOW_SIZE, .host = low, .writable = true };
	mem[1] = (struct guest_region){ .gpa = HIGH_GPA, .size = HIGH_SIZE, .host = high, .writable = true };
	memset(img, 0, sizeof(img));
	img_size = 0;
	why[0] = '\0';
	memset(&si, 0, sizeof(si));
	si.magic = SLUICE_START_MAGIC;
	si.version = SLUICE_START_VERSION;
	strcpy(si.name, "p1");
	si.cpu = 1;
	si.nr_mem = 2;
	si.mem[0] = (struct sluice_start_mem){ .gpa = 0, .size = LOW_SIZE, .access = 3 };
	si.mem[1] = (struct sluice_start_mem){ .gpa = HIGH_GPA, .size = HIGH_SIZE, .access = 3 };
	si.ecam_gpa = ECAM_GPA;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(low);
	free(high);
	return 0;
}

/* ---- image builders ---- */

struct tseg {
	u32 type, flags;
	u64 off, vaddr, paddr, filesz, memsz;
};

static void elf64_build(u64 entry, const struct tseg *s, unsigned n)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (u16)n;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	for (unsigned i = 0; i < n; i++)
		ph[i] = (Elf64_Phdr){ .p_type = s[i].type, .p_flags = s[i].flags, .p_offset = s[i].off,
				      .p_vaddr = s[i].vaddr, .p_paddr = s[i].paddr, .p_filesz = s[i].filesz,
				      .p_memsz = s[i].memsz, .p_align = 0x1000 };
	img_size = 0x3000;
}

/* Two segments as tests/guests/guest.ld makes them: code at 1 MiB (file 0x1000), data + bss at 1 MiB + 8 KiB. */
static void elf64_guest(void)
{
	struct tseg s[2] = {
		{ PT_LOAD, PF_R | PF_X, 0x1000, LINK, LINK, 0x100, 0x100 },
		{ PT_LOAD, PF_R | PF_W, 0x2000, LINK + 0x2000, LINK + 0x2000, 0x10, 0x5000 },
	};
	elf64_build(LINK + 0x40, s, 2);
	for (unsigned i = 0; i < 0x100; i++)
		img[0x1000 + i] = (u8)i;
	memset(img + 0x2000, 0xab, 0x10);
}

static int load64(const struct guest_extra *x, u32 nx)
{
	return guest_image_load(img, img_size, GUEST_IMAGE_ELF64, mem, 2, x, nx, &si, NULL, &res, why, sizeof(why));
}

static int check64(void)
{
	return guest_image_check(img, img_size, GUEST_IMAGE_ELF64, mem, 2, NULL, why, sizeof(why));
}

#define MB_MAGIC 0x1BADB002u

static void mb_header(size_t at, u32 flags)
{
	u32 h[8] = { MB_MAGIC, flags, (u32)(0u - MB_MAGIC - flags) };
	memcpy(img + at, h, sizeof(h));
}

/* An ELF32 Multiboot kernel: one segment at 1 MiB from file offset 0x1000, header at its start. */
static void mb_elf32(u32 flags)
{
	Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_386;
	eh->e_entry = LINK + 0xc;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf32_Phdr);
	eh->e_phnum = 1;
	Elf32_Phdr *ph = (Elf32_Phdr *)(img + sizeof(*eh));
	*ph = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = LINK, .p_paddr = LINK,
			    .p_filesz = 0x200, .p_memsz = 0x3000, .p_flags = PF_R | PF_W | PF_X };
	mb_header(0x1000, flags);
	img[0x1000 + 0x100] = 0x5a;
	img_size = 0x1200;
}

static int load_mb(void)
{
	return guest_image_load(img, img_size, GUEST_IMAGE_MULTIBOOT, mem, 2, NULL, 0, NULL, NULL, &res, why, sizeof(why));
}

static struct pt guest_pt(struct guest_arena *a)
{
	guest_arena_init(a, mem, 2, 0, 0);
	return (struct pt){ .fmt = PT_FMT_X86, .levels = 4, .large = PT_LARGE_2M, .root_pa = res.entry.cr3,
			    .mem = &a->pm };
}

/* ---- elf64: placement and state ---- */

static void elf64_copies_segments_and_zeroes_bss(void **state)
{
	(void)state;
	elf64_guest();
	assert_int_equal(load64(NULL, 0), 0);
	for (unsigned i = 0; i < 0x100; i++)
		assert_int_equal(low[LINK + i], i);
	assert_int_equal(low[LINK + 0x100], FILL);      /* between segments: untouched */
	assert_int_equal(low[LINK + 0x2000], 0xab);
	assert_int_equal(low[LINK + 0x200f], 0xab);
	for (unsigned i = 0x10; i < 0x5000; i++)
		assert_int_equal(low[LINK + 0x2000 + i], 0);
	assert_int_equal(low[LINK - 1], FILL);
	assert_int_equal(res.image_lo, LINK);
	assert_int_equal(res.image_hi, LINK + 0x7000);
	assert_int_equal(res.placed[0].gpa, LINK);
	assert_string_equal(res.placed[0].what, "segment");
}

static void elf64_entry_is_long_mode_with_start_info_in_rdi(void **state)
{
	(void)state;
	elf64_guest();
	assert_int_equal(load64(NULL, 0), 0);
	assert_int_equal(res.entry.mode, VCPU_MODE_LONG64);
	assert_int_equal(res.entry.rip, LINK + 0x40);
	assert_int_equal(res.entry.rflags, 0x2);       /* IF clear */
	assert_int_equal(res.entry.regs.rdi, res.start_info_gpa);
	/* Everything the loader adds sits above the image, page aligned, in the lowest region. */
	assert_true(res.start_info_gpa >= res.image_hi);
	assert_true(IS_ALIGNED(res.start_info_gpa, PAGE_SIZE));
	assert_true(res.entry.cr3 > res.start_info_gpa && res.entry.cr3 < LOW_SIZE);
	assert_true(res.free_gpa > res.entry.cr3 && res.free_gpa <= LOW_SIZE);
	assert_true(res.entry.gdt_base > res.start_info_gpa && res.entry.gdt_base < res.entry.cr3);
	assert_int_equal(res.entry.gdt_limit, 23);
	u64 code, data;
	memcpy(&code, low + res.entry.gdt_base + GUEST_GDT_CS64, 8);
	memcpy(&data, low + res.entry.gdt_base + GUEST_GDT_DS, 8);
	assert_true(code & BIT_ULL(53));        /* L: 64-bit code */
	assert_true(code & BIT_ULL(47));        /* P */
	assert_int_equal((code >> 40) & 0x8, 0x8);      /* executable */
	assert_int_equal((data >> 40) & 0x8, 0);        /* data */
	assert_true(data & BIT_ULL(47));
}

static void elf64_start_info_is_copied_with_free_gpa(void **state)
{
	(void)state;
	elf64_guest();
	assert_int_equal(load64(NULL, 0), 0);
	const struct sluice_start_info *g = (const void *)(low + res.start_info_gpa);
	assert_int_equal(g->magic, SLUICE_START_MAGIC);
	assert_string_equal(g->name, "p1");
	assert_int_equal(g->cpu, 1);
	assert_int_equal(g->nr_mem, 2);
	assert_int_equal(g->mem[1].gpa, HIGH_GPA);
	assert_int_equal(g->ecam_gpa, ECAM_GPA);
	assert_int_equal(g->free_gpa, res.free_gpa);
	assert_int_equal(si.free_gpa, res.free_gpa);
	assert_int_equal(res.table_pages, (res.free_gpa - res.entry.cr3) / PAGE_SIZE);
}

static void elf64_tables_identity_map_regions_and_extras(void **state)
{
	(void)state;
	struct guest_arena a;
	struct guest_extra x[2] = { { ECAM_GPA, 2 * MiB }, { 0xfea00000, 0x1000 } };
	u64 pa, size;
	u32 prot;

	elf64_guest();
	mem[1].writable = false;
	assert_int_equal(load64(x, 2), 0);
	struct pt pt = guest_pt(&a);

	assert_int_equal(pt_lookup(&pt, LINK + 0x40, &pa, &prot, &size), 0);
	assert_int_equal(pa, LINK + 0x40);
	assert_int_equal(size, 2 * MiB);
	assert_true(prot & PT_WRITE);
	assert_true(prot & PT_EXEC);
	assert_int_equal(pt_lookup(&pt, LOW_SIZE - 1, &pa, NULL, NULL), 0);
	assert_int_equal(pa, LOW_SIZE - 1);
	/* The read-only region: mapped, not writable. */
	assert_int_equal(pt_lookup(&pt, HIGH_GPA + 0x1234, &pa, &prot, NULL), 0);
	assert_int_equal(pa, HIGH_GPA + 0x1234);
	assert_false(prot & PT_WRITE);
	/* Extras: read/write, uncached, identity. */
	assert_int_equal(pt_lookup(&pt, ECAM_GPA + 0x18000, &pa, &prot, &size), 0);
	assert_int_equal(pa, ECAM_GPA + 0x18000);
	assert_true(prot & PT_WRITE);
	assert_true(prot & PT_UNCACHED);
	assert_int_equal(pt_lookup(&pt, 0xfea00010, &pa, &prot, &size), 0);
	assert_int_equal(pa, 0xfea00010);
	assert_int_equal(size, PAGE_SIZE);
	/* Nothing else. */
	assert_int_equal(pt_lookup(&pt, LOW_SIZE, NULL, NULL, NULL), -HV_ENOENT);
	assert_int_equal(pt_lookup(&pt, HIGH_GPA + HIGH_SIZE, NULL, NULL, NULL), -HV_ENOENT);
	assert_int_equal(pt_lookup(&pt, 0xfea01000, NULL, NULL, NULL), -HV_ENOENT);
}

static void elf64_check_only_needs_no_host_memory(void **state)
{
	(void)state;
	elf64_guest();
	mem[0].host = NULL;
	mem[1].host = NULL;
	assert_int_equal(check64(), 0);
	mem[0].host = low;
	for (unsigned i = 0; i < LOW_SIZE; i += 4096)
		assert_int_equal(low[i], FILL);
}

static void elf64_load_refuses_memory_without_host(void **state)
{
	(void)state;
	elf64_guest();
	mem[0].host = NULL;
	assert_int_equal(load64(NULL, 0), -HV_EINVAL);
	assert_non_null(strstr(why, "no host mapping"));
}

/* ---- elf64: refusals ---- */

#define expect_refusal(call, err, text) do {                    \
		assert_int_equal((call), (err));                \
		assert_non_null(strstr(why, (text)));           \
	} while (0)

static void elf64_refuses_a_file_that_is_not_elf(void **state)
{
	(void)state;
	memcpy(img, "[sluice]\niommu = on\n", 20);
	img_size = 20;
	expect_refusal(check64(), -HV_EINVAL, "not an ELF image");
	expect_refusal(load64(NULL, 0), -HV_EINVAL, "not an ELF image");
}

static void elf64_refuses_wrong_class_and_machine(void **state)
{
	(void)state;
	elf64_guest();
	img[EI_CLASS] = ELFCLASS32;
	expect_refusal(check64(), -HV_ENOTSUP, "ELF class 1");
	elf64_guest();
	((Elf64_Ehdr *)img)->e_machine = EM_AARCH64;
	expect_refusal(check64(), -HV_ENOTSUP, "ELF machine 183");
	elf64_guest();
	((Elf64_Ehdr *)img)->e_type = ET_DYN;
	expect_refusal(check64(), -HV_ENOTSUP, "ELF type 3");
}

static void elf64_refuses_an_image_without_pt_load(void **state)
{
	(void)state;
	struct tseg s[1] = { { PT_NOTE, PF_R, 0x1000, LINK, LINK, 0x10, 0x10 } };
	elf64_build(LINK, s, 1);
	expect_refusal(check64(), -HV_EINVAL, "no PT_LOAD segment");
}

static void elf64_refuses_a_segment_outside_the_memory(void **state)
{
	(void)state;
	struct tseg s[1] = { { PT_LOAD, PF_R | PF_X, 0x1000, LOW_SIZE - 0x800, LOW_SIZE - 0x800, 0x10, 0x1000 } };
	elf64_build(LOW_SIZE - 0x800, s, 1);
	expect_refusal(check64(), -HV_ERANGE, "outside the partition's memory");
	/* The partition-refused scenario's case: 64 KiB of memory, a guest linked at 1 MiB. */
	elf64_guest();
	mem[0].size = 64 * KiB;
	expect_refusal(check64(), -HV_ERANGE, "[0x0000000000100000-0x00000000001000ff] is outside");
}

static void elf64_refuses_overlapping_segments(void **state)
{
	(void)state;
	struct tseg s[2] = {
		{ PT_LOAD, PF_R | PF_X, 0x1000, LINK, LINK, 0x100, 0x2000 },
		{ PT_LOAD, PF_R | PF_W, 0x2000, LINK + 0x1fff, LINK + 0x1fff, 0x10, 0x10 },
	};
	elf64_build(LINK, s, 2);
	expect_refusal(check64(), -HV_EINVAL, "overlap");
}

static void elf64_refuses_filesz_above_memsz(void **state)
{
	(void)state;
	struct tseg s[1] = { { PT_LOAD, PF_R | PF_X, 0x1000, LINK, LINK, 0x200, 0x100 } };
	elf64_build(LINK, s, 1);
	expect_refusal(check64(), -HV_EINVAL, "filesz 0x200 > memsz 0x100");
}

static void elf64_refuses_an_entry_outside_the_segments(void **state)
{
	(void)state;
	elf64_guest();
	((Elf64_Ehdr *)img)->e_entry = LINK + 0x1000;   /* the gap between code and data */
	expect_refusal(check64(), -HV_EINVAL, "entry 0x101000 is outside every loaded segment");
}

static void elf64_refuses_segments_not_identity_linked(void **state)
{
	(void)state;
	struct tseg s[1] = { { PT_LOAD, PF_R | PF_X, 0x1000, 0xffffffff80000000ULL, LINK, 0x10, 0x10 } };
	elf64_build(0xffffffff80000000ULL, s, 1);
	expect_refusal(check64(), -HV_EINVAL, "identity-mapped");
}

static void elf64_refuses_file_bytes_past_the_end(void **state)
{
	(void)state;
	struct tseg s[1] = { { PT_LOAD, PF_R | PF_X, 0x2f00, LINK, LINK, 0x200, 0x200 } };
	elf64_build(LINK, s, 1);
	expect_refusal(check64(), -HV_EINVAL, "past the end of the image");
	elf64_guest();
	((Elf64_Ehdr *)img)->e_phoff = img_size - 8;
	expect_refusal(check64(), -HV_EINVAL, "program headers past the end");
}

static void elf64_refuses_an_image_too_big(void **state)
{
	(void)state;
	elf64_guest();
	/* Refused on its size alone: nothing past img[] is read. */
	assert_int_equal(guest_image_check(img, GUEST_IMAGE_MAX_SIZE + 1, GUEST_IMAGE_ELF64, mem, 2, NULL, why,
					   sizeof(why)), -HV_ERANGE);
	assert_non_null(strstr(why, "bigger than"));
	((Elf64_Ehdr *)img)->e_phnum = GUEST_IMAGE_MAX_PHDRS + 1;
	expect_refusal(check64(), -HV_ERANGE, "program headers, at most");
}

static void elf64_refuses_writable_segment_in_read_only_memory(void **state)
{
	(void)state;
	elf64_guest();
	mem[0].writable = false;
	mem[1].writable = false;
	expect_refusal(check64(), -HV_EPERM, "writable segment at 0x0000000000102000 is in read-only memory");
}

static void elf64_refuses_when_nothing_fits_above_the_image(void **state)
{
	(void)state;
	elf64_guest();
	mem[0].size = LINK + 0x8000;            /* the image and one page */
	mem[1].writable = false;
	expect_refusal(check64(), -HV_ENOMEM, "no writable memory above the image");
	expect_refusal(load64(NULL, 0), -HV_ENOMEM, "no writable memory above the image");
}

static void elf64_refuses_an_extra_range_over_its_memory(void **state)
{
	(void)state;
	struct guest_extra x = { HIGH_GPA + 0x1000, 0x1000 };
	elf64_guest();
	expect_refusal(load64(&x, 1), -HV_EEXIST, "overlaps");
}

static void elf64_maps_extra_ranges_sharing_a_page_once(void **state)
{
	(void)state;
	struct guest_arena a;
	struct guest_extra x[3] = { { 0xfea00000, 0x10 }, { 0xfea00800, 0x2000 }, { 0xfea00000, 0x1000 } };
	elf64_guest();
	assert_int_equal(load64(x, 3), 0);
	struct pt pt = guest_pt(&a);
	for (u64 va = 0xfea00000; va < 0xfea03000; va += PAGE_SIZE)
		assert_int_equal(pt_lookup(&pt, va, NULL, NULL, NULL), 0);
	assert_int_equal(pt_lookup(&pt, 0xfea03000, NULL, NULL, NULL), -HV_ENOENT);
}

static void elf64_puts_its_pages_in_the_lowest_region_with_room(void **state)
{
	(void)state;
	elf64_guest();
	mem[0].size = LINK + 0x9000;            /* room for two pages only: not enough */
	assert_int_equal(load64(NULL, 0), 0);
	assert_true(res.start_info_gpa >= HIGH_GPA && res.free_gpa <= HIGH_GPA + HIGH_SIZE);
	assert_int_equal(res.entry.regs.rdi, HIGH_GPA);
}

/* ---- multiboot ---- */

static void mb_elf32_loads_and_enters_protected_mode(void **state)
{
	(void)state;
	mb_elf32(0x3);
	assert_int_equal(load_mb(), 0);
	assert_int_equal(low[LINK], 0x02);              /* the header's first byte: 0x1BADB002 little-endian */
	assert_int_equal(low[LINK + 0x100], 0x5a);
	assert_int_equal(low[LINK + 0x200], 0);         /* bss */
	assert_int_equal(low[LINK + 0x2fff], 0);
	assert_int_equal(res.entry.mode, VCPU_MODE_PROT32);
	assert_int_equal(res.entry.rip, LINK + 0xc);
	assert_int_equal(res.entry.regs.rax, 0x2BADB002);
	assert_int_equal(res.entry.regs.rbx, res.mb_info_gpa);
	assert_int_equal(res.entry.rflags, 0x2);
	assert_int_equal(res.start_info_gpa, 0);
	assert_int_equal(res.mb_info_gpa, LINK + 0x3000);      /* the first page above the image */
	assert_int_equal(res.free_gpa, LINK + 0x4000);
	assert_int_equal(low[LINK + 0x4000], FILL);
}

static void mb_info_describes_memory_and_loader(void **state)
{
	(void)state;
	mb_elf32(0x3);
	assert_int_equal(load_mb(), 0);
	const u8 *info = low + res.mb_info_gpa;
	u32 f[17];
	memcpy(f, info, sizeof(f));
	assert_int_equal(f[0], (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
	assert_int_equal(f[5], 0);                      /* mods_count: none */
	assert_int_equal(f[1], 640);                    /* mem_lower, KiB */
	assert_int_equal(f[2], (LOW_SIZE - MiB) / KiB); /* mem_upper: up to the first hole */
	assert_string_equal((const char *)low + f[4], "");            /* cmdline */
	assert_int_equal(f[11], 2 * 24);                /* mmap_length */
	assert_string_equal((const char *)low + f[16], "Sluice");
	const u8 *e = low + f[12];
	u32 size, type;
	u64 base, len;
	memcpy(&size, e, 4);
	memcpy(&base, e + 4, 8);
	memcpy(&len, e + 12, 8);
	memcpy(&type, e + 20, 4);
	assert_int_equal(size, 20);
	assert_int_equal(base, 0);
	assert_int_equal(len, LOW_SIZE);
	assert_int_equal(type, 1);
	e += size + 4;
	memcpy(&base, e + 4, 8);
	memcpy(&len, e + 12, 8);
	memcpy(&type, e + 20, 4);
	assert_int_equal(base, HIGH_GPA);
	assert_int_equal(len, HIGH_SIZE);
	assert_int_equal(type, 1);
}

static void log_names_every_placement(void **state)
{
	(void)state;
	log_set_levels("info");
	log_set_cpu_fn(NULL);
	fake_log_capture();
	elf64_guest();
	assert_int_equal(load64(NULL, 0), 0);
	guest_image_log("p1", &res);
	assert_true(fake_log_has("image: p1: placed segment at [0x0000000000100000-0x00000000001000ff]"));
	assert_true(fake_log_has("image: p1: placed segment at [0x0000000000102000-0x0000000000106fff]"));
	assert_int_equal(fake_log_count("placed page tables"), 1);
	assert_int_equal(fake_log_count("placed gdt"), 1);
	assert_int_equal(fake_log_count("placed start info"), 1);
	assert_true(fake_log_has("p1: elf64 entry 0x0000000000100040"));
	fake_log_capture();
	mb_elf32(0x3);
	assert_int_equal(load_mb(), 0);
	guest_image_log("mb", &res);
	assert_true(fake_log_has("mb: placed multiboot info at [0x0000000000103000-"));
	assert_true(fake_log_has("mb: multiboot entry 0x000000000010000c, eax 0x2badb002, ebx (info) 0x0000000000103000"));
}

/* A Multiboot load with a command line and modules (boot), the bytes given. */
static u8 mod_a[5000], mod_b[3];
static struct guest_boot boot;

static void mb_boot(void)
{
	for (size_t i = 0; i < sizeof(mod_a); i++)
		mod_a[i] = (u8)(i * 7);
	memcpy(mod_b, "xyz", 3);
	boot = (struct guest_boot){ .cmdline = "tsc.flat -v", .nr_mods = 2 };
	boot.mods[0] = (struct guest_module){ .data = mod_a, .size = sizeof(mod_a), .string = "env" };
	boot.mods[1] = (struct guest_module){ .data = mod_b, .size = sizeof(mod_b), .string = "b one two" };
}

static int load_mb_boot(void)
{
	return guest_image_load(img, img_size, GUEST_IMAGE_MULTIBOOT, mem, 2, NULL, 0, NULL, &boot, &res, why, sizeof(why));
}

static int check_mb_boot(void)
{
	return guest_image_check(img, img_size, GUEST_IMAGE_MULTIBOOT, mem, 2, &boot, why, sizeof(why));
}

static void mb_info_carries_the_command_line_and_the_modules(void **state)
{
	(void)state;
	mb_elf32(0x3);
	mb_boot();
	assert_int_equal(check_mb_boot(), 0);
	assert_int_equal(load_mb_boot(), 0);
	u32 f[7], m[8];
	memcpy(f, low + res.mb_info_gpa, sizeof(f));
	assert_true(f[0] & (1u << 2));
	assert_true(f[0] & (1u << 3));
	assert_string_equal((const char *)low + f[4], "tsc.flat -v");
	assert_int_equal(f[5], 2);                              /* mods_count */
	memcpy(m, low + f[6], sizeof(m));
	/* Each module from a page boundary after the information page, [start, end) as GRUB and QEMU give it. */
	assert_int_equal(m[0], res.mb_info_gpa + PAGE_SIZE);
	assert_int_equal(m[1], m[0] + sizeof(mod_a));
	assert_string_equal((const char *)low + m[2], "env");
	assert_int_equal(m[4], m[0] + 2 * PAGE_SIZE);
	assert_int_equal(m[5], m[4] + 3);
	assert_string_equal((const char *)low + m[6], "b one two");
	assert_memory_equal(low + m[0], mod_a, sizeof(mod_a));
	assert_memory_equal(low + m[4], "xyz", 3);
	/* Nothing overlaps: the image below the information, the strings inside its page, free memory past the last module. */
	assert_true(res.image_hi <= res.mb_info_gpa);
	assert_true(f[4] > res.mb_info_gpa && f[4] < res.mb_info_gpa + PAGE_SIZE);
	assert_true(m[6] > res.mb_info_gpa && m[6] < res.mb_info_gpa + PAGE_SIZE);
	assert_int_equal(res.free_gpa, m[4] + PAGE_SIZE);
	assert_int_equal(low[res.free_gpa], FILL);
}

static void mb_modules_that_do_not_fit_are_refused(void **state)
{
	(void)state;
	mb_elf32(0x3);
	mb_boot();
	/* The image, the information page and the first module's two pages fit; the second module's page does not. */
	mem[0].size = LINK + 0x3000 + 3 * PAGE_SIZE;
	mem[1].writable = false;
	expect_refusal(check_mb_boot(), -HV_ENOMEM, "no writable memory above the image");
	boot.nr_mods = 1;
	assert_int_equal(check_mb_boot(), 0);
	assert_int_equal(load_mb_boot(), 0);
	/* Too many, too long, or for an elf64 image. */
	mb_boot();
	boot.nr_mods = GUEST_MAX_MODULES + 1;
	expect_refusal(check_mb_boot(), -HV_ERANGE, "5 modules, at most 4");
	mb_boot();
	char longline[GUEST_STRING_MAX + 1];
	memset(longline, 'a', GUEST_STRING_MAX);
	longline[GUEST_STRING_MAX] = '\0';
	boot.cmdline = longline;
	expect_refusal(check_mb_boot(), -HV_ERANGE, "command line of 160 characters, at most 159");
	mb_boot();
	elf64_guest();
	assert_int_equal(guest_image_check(img, img_size, GUEST_IMAGE_ELF64, mem, 2, &boot, why, sizeof(why)), -HV_ENOTSUP);
	assert_non_null(strstr(why, "only a Multiboot kernel takes a command line and modules"));
}

static void mb_upper_memory_spans_adjacent_regions(void **state)
{
	(void)state;
	mb_elf32(0x3);
	mem[0].size = 2 * MiB;
	mem[1] = (struct guest_region){ .gpa = 2 * MiB, .size = 1 * MiB, .host = high, .writable = true };
	assert_int_equal(load_mb(), 0);
	u32 upper;
	memcpy(&upper, low + res.mb_info_gpa + 8, 4);
	assert_int_equal(upper, 2 * 1024);
}

static void mb_aout_kludge_loads_at_header_addresses(void **state)
{
	(void)state;
	/* A flat binary: header at file offset 0x10, load_addr = 1 MiB, whole file, bss to +0x2000. */
	for (unsigned i = 0; i < 0x400; i++)
		img[i] = (u8)(i * 7);
	mb_header(0x10, (1u << 16) | 0x2);
	u32 addr[5] = { LINK + 0x10, LINK, 0, LINK + 0x2000, LINK + 0x40 };
	memcpy(img + 0x10 + 12, addr, sizeof(addr));
	img_size = 0x400;
	assert_int_equal(load_mb(), 0);
	assert_int_equal(low[LINK + 0x3ff], img[0x3ff]);
	assert_int_equal(low[LINK], img[0]);
	assert_int_equal(low[LINK + 0x400], 0);
	assert_int_equal(low[LINK + 0x1fff], 0);
	assert_int_equal(res.mb_info_gpa, LINK + 0x2000);
	assert_int_equal(res.entry.rip, LINK + 0x40);
	/* An entry outside the load range is refused. */
	addr[4] = LINK + 0x3000;
	memcpy(img + 0x10 + 12, addr, sizeof(addr));
	expect_refusal(load_mb(), -HV_EINVAL, "outside every loaded segment");
}

static void mb_refuses_without_header_in_first_8k(void **state)
{
	(void)state;
	mb_elf32(0x3);
	memset(img + 0x1000, 0, 12);
	mb_header(8192, 0x3);                   /* one word too late */
	img_size = 8192 + 32;
	expect_refusal(load_mb(), -HV_EINVAL, "no Multiboot header");
}

static void mb_refuses_bad_checksum(void **state)
{
	(void)state;
	mb_elf32(0x3);
	img[0x1000 + 8] ^= 1;
	expect_refusal(load_mb(), -HV_ECHKSUM, "bad checksum");
}

static void mb_refuses_video_mode_and_unknown_required_flags(void **state)
{
	(void)state;
	mb_elf32(0x7);
	expect_refusal(load_mb(), -HV_ENOTSUP, "video mode");
	mb_elf32(0x3 | (1u << 5));
	expect_refusal(load_mb(), -HV_ENOTSUP, "unsupported required bits 0x20");
	mb_elf32(0x3 | (1u << 20));             /* optional bits are ignored */
	assert_int_equal(load_mb(), 0);
}

static void mb_refuses_elf64_and_non_elf_without_kludge(void **state)
{
	(void)state;
	elf64_guest();
	mb_header(0x1000, 0x3);
	expect_refusal(load_mb(), -HV_ENOTSUP, "ELF class 2");
	memset(img, 0, 16);
	expect_refusal(load_mb(), -HV_EINVAL, "no a.out kludge");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(elf64_copies_segments_and_zeroes_bss, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_entry_is_long_mode_with_start_info_in_rdi, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_start_info_is_copied_with_free_gpa, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_tables_identity_map_regions_and_extras, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_check_only_needs_no_host_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_load_refuses_memory_without_host, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_refuses_a_file_that_is_not_elf, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_refuses_wrong_class_and_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_refuses_an_image_without_pt_load, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_refuses_a_segment_outside_the_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_refuses_overlapping_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_refuses_filesz_above_memsz, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_refuses_an_entry_outside_the_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_refuses_segments_not_identity_linked, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_refuses_file_bytes_past_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_refuses_an_image_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_refuses_writable_segment_in_read_only_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_refuses_when_nothing_fits_above_the_image, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_refuses_an_extra_range_over_its_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_maps_extra_ranges_sharing_a_page_once, setup, teardown),
		cmocka_unit_test_setup_teardown(elf64_puts_its_pages_in_the_lowest_region_with_room, setup, teardown),
		cmocka_unit_test_setup_teardown(mb_elf32_loads_and_enters_protected_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(mb_info_describes_memory_and_loader, setup, teardown),
		cmocka_unit_test_setup_teardown(log_names_every_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(mb_info_carries_the_command_line_and_the_modules, setup, teardown),
		cmocka_unit_test_setup_teardown(mb_modules_that_do_not_fit_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(mb_upper_memory_spans_adjacent_regions, setup, teardown),
		cmocka_unit_test_setup_teardown(mb_aout_kludge_loads_at_header_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(mb_refuses_without_header_in_first_8k, setup, teardown),
		cmocka_unit_test_setup_teardown(mb_refuses_bad_checksum, setup, teardown),
		cmocka_unit_test_setup_teardown(mb_refuses_video_mode_and_unknown_required_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(mb_refuses_elf64_and_non_elf_without_kludge, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
