/*
 * Host tests for vm/part/linux_boot.c: a bzImage built in the test (the
 * setup header of the Linux boot protocol, a protected-mode kernel of
 * marked bytes) loaded into host buffers standing in for a partition's
 * memory. The header checks and their refusals, the e820 map, kernel and
 * initrd placement, boot_params as the kernel reads it, the GDT and the
 * 64-bit entry state, the identity tables walked with pt_lookup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "vm/part/linux_boot.h"
#include "kernel/err.h"
#include "kernel/pgtable.h"
#include "tests/fakes/fake_log.h"

#define LOW_SIZE        (64 * MiB)
#define PREF            0x1000000ULL    /* 16 MiB, as x86-64 kernels ask */
#define INIT_SIZE       0x800000u
#define SETUP_SECTS     3
#define SETUP_SIZE      ((SETUP_SECTS + 1) * 512)
#define KERNEL_BYTES    0x3000u
#define ECAM_GPA        0xe0000000ULL
#define ECAM_SIZE       0x1000000ULL

static u8 *low;
static struct guest_region mem[1];
static u8 img[SETUP_SIZE + KERNEL_BYTES];
static u8 initrd[3 * PAGE_SIZE + 100];
static char why[200];
static struct guest_load_result res;
static struct guest_boot boot;

static void put16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void put32(u8 *p, u32 v) { put16(p, (u16)v); put16(p + 2, (u16)(v >> 16)); }
static void put64(u8 *p, u64 v) { put32(p, (u32)v); put32(p + 4, (u32)(v >> 32)); }
static u32 get32(const u8 *p) { return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }
static u64 get64(const u8 *p) { return (u64)get32(p) | (u64)get32(p + 4) << 32; }

/* A bzImage as Debian 12's 6.1 kernel's header has it, protocol 2.15. */
static void bzimage(void)
{
	memset(img, 0, sizeof(img));
	img[0x1f1] = SETUP_SECTS;
	put32(img + 0x1f4, KERNEL_BYTES / 16);          /* syssize */
	put16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;                              /* jmp short: the header ends at 0x202 + 0x66 */
	img[0x201] = 0x66;
	memcpy(img + 0x202, "HdrS", 4);
	put16(img + 0x206, 0x020f);
	img[0x211] = 0x01;                              /* LOADED_HIGH */
	put32(img + 0x22c, 0x7fffffff);                 /* initrd_addr_max */
	put32(img + 0x230, 0x200000);                   /* kernel_alignment */
	img[0x234] = 1;                                 /* relocatable */
	put16(img + 0x236, 0x7f);                       /* xloadflags: 64-bit entry and more */
	put32(img + 0x238, 2047);                       /* cmdline_size */
	put64(img + 0x258, PREF);
	put32(img + 0x260, INIT_SIZE);
	for (u32 i = 0; i < KERNEL_BYTES; i++)
		img[SETUP_SIZE + i] = (u8)(i * 7);
}

static int setup(void **state)
{
	(void)state;
	low = aligned_alloc(PAGE_SIZE, LOW_SIZE);
	assert_non_null(low);
	memset(low, 0xcc, LOW_SIZE);
	mem[0] = (struct guest_region){ .gpa = 0, .size = LOW_SIZE, .host = low, .writable = true };
	bzimage();
	for (u32 i = 0; i < sizeof(initrd); i++)
		initrd[i] = (u8)(i ^ 0x5a);
	memset(&boot, 0, sizeof(boot));
	boot.cmdline = "console=ttyS0 sluice.tag=p1";
	boot.nr_mods = 1;
	boot.mods[0] = (struct guest_module){ .data = initrd, .size = sizeof(initrd), .string = "initrd" };
	boot.acpi_rsdp = 0xe0000;
	boot.reserved_gpa = ECAM_GPA;
	boot.reserved_size = ECAM_SIZE;
	why[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(low);
	return 0;
}

static int load(void)
{
	return guest_image_load(img, sizeof(img), GUEST_IMAGE_LINUX, mem, 1, NULL, 0, NULL, &boot, &res, why,
				sizeof(why));
}

static int parse(void)
{
	struct linux_image li;
	return linux_image_parse(img, sizeof(img), &li, why, sizeof(why));
}

static void header_fields_are_read(void **state)
{
	(void)state;
	struct linux_image li;
	assert_int_equal(linux_image_parse(img, sizeof(img), &li, why, sizeof(why)), 0);
	assert_int_equal(li.version, 0x020f);
	assert_int_equal(li.setup_size, SETUP_SIZE);
	assert_int_equal(li.kernel_size, KERNEL_BYTES);
	assert_int_equal(li.hdr_end, 0x268);
	assert_true(li.relocatable);
	assert_int_equal(li.kernel_alignment, 0x200000);
	assert_int_equal(li.pref_address, PREF);
	assert_int_equal(li.init_size, INIT_SIZE);
	/* setup_sects 0 means 4 (boot.rst). */
	img[0x1f1] = 0;
	put32(img + 0x1f4, 0x100);
	assert_int_equal(linux_image_parse(img, sizeof(img), &li, why, sizeof(why)), 0);
	assert_int_equal(li.setup_size, 5 * 512);
}

/* Every refusal names what is wrong. */
static void bad_images_are_refused(void **state)
{
	(void)state;
	img[0x1fe] = 0;
	assert_int_equal(parse(), -HV_EINVAL);
	assert_non_null(strstr(why, "not a bzImage"));
	bzimage();
	img[0x204] = 'x';
	assert_int_equal(parse(), -HV_EINVAL);
	bzimage();
	assert_int_equal(linux_image_parse(img, 0x200, &(struct linux_image){ 0 }, why, sizeof(why)), -HV_EINVAL);
	bzimage();
	put16(img + 0x206, 0x020b);
	assert_int_equal(parse(), -HV_ENOTSUP);
	assert_string_equal(why, "boot protocol 2.11; Sluice needs 2.12 or later (the 64-bit entry)");
	bzimage();
	put16(img + 0x236, 0x7e);
	assert_int_equal(parse(), -HV_ENOTSUP);
	assert_non_null(strstr(why, "no 64-bit entry point"));
	bzimage();
	img[0x211] = 0;
	assert_int_equal(parse(), -HV_ENOTSUP);
	assert_non_null(strstr(why, "zImage"));
	bzimage();
	put32(img + 0x1f4, KERNEL_BYTES / 16 + 1);
	assert_int_equal(parse(), -HV_EINVAL);
	assert_non_null(strstr(why, "truncated"));
	bzimage();
	put32(img + 0x260, KERNEL_BYTES - 1);
	assert_int_equal(parse(), -HV_EINVAL);
	assert_non_null(strstr(why, "init_size"));
	bzimage();
	put32(img + 0x230, 0x3000);
	assert_int_equal(parse(), -HV_EINVAL);
	assert_non_null(strstr(why, "kernel_alignment"));
	bzimage();
	img[0x1f1] = 200;       /* setup bigger than the file */
	assert_int_equal(parse(), -HV_EINVAL);
	bzimage();
	img[0x201] = 0xff;      /* header past the e820 table's offset */
	assert_int_equal(parse(), -HV_EINVAL);
	/* guest_image_check goes the same way, writing nothing. */
	assert_int_equal(guest_image_check(img, sizeof(img), GUEST_IMAGE_LINUX, mem, 1, &boot, why, sizeof(why)), -HV_EINVAL);
	assert_int_equal(low[PREF], 0xcc);
}

static void e820_is_a_pc_map(void **state)
{
	(void)state;
	struct linux_e820 e[8];
	struct guest_region two[2] = {
		{ .gpa = 0x40000000, .size = 0x100000, .writable = false },
		{ .gpa = 0, .size = LOW_SIZE, .writable = true },
	};
	u32 n = linux_e820_build(two, 2, ECAM_GPA, ECAM_SIZE, e, 8);
	assert_int_equal(n, 6);
	struct linux_e820 want[6] = {
		{ 0, 0x9fc00, LINUX_E820_RAM },
		{ 0x9fc00, 0x400, LINUX_E820_RESERVED },
		{ 0xe0000, 0x20000, LINUX_E820_RESERVED },
		{ 0x100000, LOW_SIZE - 0x100000, LINUX_E820_RAM },
		{ 0x40000000, 0x100000, LINUX_E820_RESERVED },  /* read-only memory */
		{ ECAM_GPA, ECAM_SIZE, LINUX_E820_RESERVED },
	};
	for (u32 i = 0; i < 6; i++) {
		assert_int_equal(e[i].addr, want[i].addr);
		assert_int_equal(e[i].size, want[i].size);
		assert_int_equal(e[i].type, want[i].type);
	}
	/* Too many for the table: 0, never a cut map. */
	assert_int_equal(linux_e820_build(two, 2, ECAM_GPA, ECAM_SIZE, e, 5), 0);
	/* A region above 1 MiB only: one entry. */
	struct guest_region hi = { .gpa = 0x200000, .size = 0x100000, .writable = true };
	assert_int_equal(linux_e820_build(&hi, 1, 0, 0, e, 8), 1);
	assert_int_equal(e[0].addr, 0x200000);
}

static void loads_as_the_boot_protocol_says(void **state)
{
	(void)state;
	assert_int_equal(guest_image_check(img, sizeof(img), GUEST_IMAGE_LINUX, mem, 1, &boot, why, sizeof(why)), 0);
	assert_int_equal(load(), 0);
	/* The protected-mode kernel at its preferred address, init_size zeroed past its bytes. */
	assert_memory_equal(low + PREF, img + SETUP_SIZE, KERNEL_BYTES);
	assert_int_equal(low[PREF + KERNEL_BYTES], 0);
	assert_int_equal(low[PREF + INIT_SIZE - 1], 0);
	assert_int_equal(low[PREF + INIT_SIZE], 0xcc);
	/* The 64-bit entry: offset 0x200, RSI = boot_params, long mode with our GDT. */
	assert_int_equal(res.entry.mode, VCPU_MODE_LONG64);
	assert_int_equal(res.entry.rip, PREF + 0x200);
	assert_int_equal(res.entry.regs.rsi, LINUX_BOOT_PARAMS_GPA);
	assert_int_equal(res.entry.rflags, 0x2);
	assert_int_equal(res.entry.gdt_base, LINUX_GDT_GPA);
	assert_int_equal(res.entry.gdt_limit, 31);
	assert_int_equal(get64(low + LINUX_GDT_GPA + 0x10), 0x00af9b000000ffffULL);    /* __BOOT_CS */
	assert_int_equal(get64(low + LINUX_GDT_GPA + 0x18), 0x00cf93000000ffffULL);    /* __BOOT_DS */
	assert_int_equal(res.boot_params_gpa, LINUX_BOOT_PARAMS_GPA);

	const u8 *bp = low + LINUX_BOOT_PARAMS_GPA;
	/* The setup header copied, then the loader's fields. */
	assert_memory_equal(bp + 0x202, "HdrS", 4);
	assert_int_equal(get32(bp + 0x260), INIT_SIZE);
	assert_int_equal(bp[0x210], 0xff);
	assert_int_equal(bp[0x1ef], 0);                 /* the sentinel the kernel checks */
	assert_int_equal(get32(bp + 0x228), LINUX_CMDLINE_GPA);
	assert_string_equal((const char *)low + LINUX_CMDLINE_GPA, "console=ttyS0 sluice.tag=p1");
	assert_int_equal(get64(bp + 0x070), 0xe0000);   /* acpi_rsdp_addr */
	/* The initrd as high as initrd_addr_max allows: the top of memory here. */
	u32 rd = get32(bp + 0x218);
	assert_int_equal(rd, (LOW_SIZE - sizeof(initrd)) & ~(u64)(PAGE_SIZE - 1));
	assert_int_equal(get32(bp + 0x21c), sizeof(initrd));
	assert_memory_equal(low + rd, initrd, sizeof(initrd));
	/* e820: the PC map and the ECAM window. */
	assert_int_equal(bp[0x1e8], 5);
	assert_int_equal(get64(bp + 0x2d0), 0);
	assert_int_equal(get64(bp + 0x2d0 + 8), 0x9fc00);
	assert_int_equal(get32(bp + 0x2d0 + 16), LINUX_E820_RAM);
	assert_int_equal(get64(bp + 0x2d0 + 4 * 20), ECAM_GPA);
	assert_int_equal(get32(bp + 0x2d0 + 4 * 20 + 16), LINUX_E820_RESERVED);
	/* The identity tables cover the kernel and boot_params. */
	struct guest_arena a;
	guest_arena_init(&a, mem, 1, 0, 0);
	struct pt pt = { .fmt = PT_FMT_X86, .levels = 4, .root_pa = res.entry.cr3, .mem = &a.pm };
	u64 pa;
	assert_int_equal(pt_lookup(&pt, PREF + 0x200, &pa, NULL, NULL), 0);
	assert_int_equal(pa, PREF + 0x200);
	assert_int_equal(pt_lookup(&pt, LINUX_BOOT_PARAMS_GPA, &pa, NULL, NULL), 0);
	assert_true(res.entry.cr3 >= LINUX_TABLES_GPA && res.entry.cr3 < LINUX_LOW_RAM_END);
	/* An image below protocol 2.14 has no acpi_rsdp_addr field: left 0. */
	put16(img + 0x206, 0x020d);
	assert_int_equal(load(), 0);
	assert_int_equal(get64(low + LINUX_BOOT_PARAMS_GPA + 0x070), 0);
}

static void placement_follows_the_header(void **state)
{
	(void)state;
	/* A relocatable kernel whose preferred address is outside the memory: the lowest aligned place above 1 MiB. */
	put64(img + 0x258, 0x80000000ULL);
	assert_int_equal(load(), 0);
	assert_int_equal(res.entry.rip, 0x200000 + 0x200);
	/* Not relocatable: refused. */
	img[0x234] = 0;
	assert_int_equal(load(), -HV_ERANGE);
	assert_non_null(strstr(why, "not relocatable"));
	bzimage();
	/* initrd_addr_max below the top: the initrd under it, clear of the kernel. */
	put32(img + 0x22c, PREF + INIT_SIZE + 0x10000 - 1);
	assert_int_equal(load(), 0);
	u32 rd = get32(low + LINUX_BOOT_PARAMS_GPA + 0x218);
	assert_true(rd + sizeof(initrd) <= PREF || rd >= PREF + INIT_SIZE);
	assert_true(rd + sizeof(initrd) <= PREF + INIT_SIZE + 0x10000);
	/* An initrd that fits nowhere. */
	put32(img + 0x22c, 0x1fffff);
	boot.mods[0].size = 2 * MiB;
	assert_int_equal(load(), -HV_ENOMEM);
	assert_non_null(strstr(why, "initrd"));
}

static void boot_refusals(void **state)
{
	(void)state;
	/* Memory not covering the first MiB. */
	struct guest_region hi = { .gpa = 0x100000, .size = LOW_SIZE - 0x100000, .host = low, .writable = true };
	assert_int_equal(guest_image_load(img, sizeof(img), GUEST_IMAGE_LINUX, &hi, 1, NULL, 0, NULL, &boot, &res, why,
					  sizeof(why)), -HV_ERANGE);
	assert_non_null(strstr(why, "from 0 to 1 MiB"));
	/* A command line longer than Sluice's limit. */
	char longline[LINUX_CMDLINE_MAX + 10];
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	boot.cmdline = longline;
	assert_int_equal(load(), -HV_ERANGE);
	assert_non_null(strstr(why, "command line"));
	boot.cmdline = "";
	/* Two modules: a kernel takes one initrd. */
	boot.nr_mods = 2;
	boot.mods[1] = boot.mods[0];
	assert_int_equal(load(), -HV_ERANGE);
	boot.nr_mods = 0;
	/* No initrd, no command line: both fields 0. */
	assert_int_equal(load(), 0);
	assert_int_equal(get32(low + LINUX_BOOT_PARAMS_GPA + 0x21c), 0);
	assert_int_equal(low[LINUX_CMDLINE_GPA], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(header_fields_are_read, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_images_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(e820_is_a_pc_map, setup, teardown),
		cmocka_unit_test_setup_teardown(loads_as_the_boot_protocol_says, setup, teardown),
		cmocka_unit_test_setup_teardown(placement_follows_the_header, setup, teardown),
		cmocka_unit_test_setup_teardown(boot_refusals, setup, teardown),
	};
	fake_log_capture();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
