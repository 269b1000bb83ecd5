/* Multiboot2 information -> boot_info. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "kernel/mb2.h"
#include "kernel/hw/mem.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "tests/fakes/fake_mem.h"
#include "tests/fakes/fake_log.h"

#define INFO_PA                 (FAKE_MEM_BASE + 0x10000)

static u8 buf[4096];
static u32 len;
static struct boot_info bi;

static void put32(u32 off, u32 v) { memcpy(buf + off, &v, 4); }
static void put64(u32 off, u64 v) { memcpy(buf + off, &v, 8); }

static u32 tag(u32 type, u32 size)
{
	u32 off = len;
	put32(off, type);
	put32(off + 4, size);
	len += (size + 7) & ~7u;
	return off;
}

static void begin(void)
{
	memset(buf, 0, sizeof(buf));
	len = 8;
}

static void finish(void)
{
	tag(0, 8);
	put32(0, len);
	fake_mem_reset();
	fake_mem_add_copy(INFO_PA, buf, len);
}

static int setup(void **state)
{
	(void)state;
	fake_log_capture();
	begin();
	return 0;
}

static void mmap_entry(u32 off, u64 base, u64 size, u32 type)
{
	put64(off, base);
	put64(off + 8, size);
	put32(off + 16, type);
}

static void grub_bios_info_becomes_boot_info(void **state)
{
	(void)state;
	u32 t = tag(1, 8 + 17);
	memcpy(buf + t + 8, "exit=qemu log=dbg", 17);
	t = tag(2, 8 + 10);
	memcpy(buf + t + 8, "GRUB 2.06", 10);
	t = tag(3, 16 + 12);
	put32(t + 8, 0x2000000);
	put32(t + 12, 0x2000123);
	memcpy(buf + t + 16, "sluice.conf", 12);
	t = tag(6, 16 + 3 * 24);
	put32(t + 8, 24);
	mmap_entry(t + 16, 0, 0x9fc00, 1);
	mmap_entry(t + 40, 0xf0000, 0x10000, 2);
	mmap_entry(t + 64, 0x100000, 0x1ff00000, 1);
	t = tag(14, 8 + 20);
	memcpy(buf + t + 8, "RSD PTR ", 8);
	finish();

	assert_int_equal(mb2_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, &bi), 0);
	assert_string_equal(bi.cmdline, "exit=qemu log=dbg");
	assert_string_equal(bi.loader, "GRUB 2.06");
	assert_int_equal(bi.source, BOOT_SRC_MB2_BIOS);
	assert_int_equal(bi.nr_modules, 1);
	assert_string_equal(bi.modules[0].name, "sluice.conf");
	assert_int_equal(bi.modules[0].start_pa, 0x2000000);
	assert_int_equal(bi.modules[0].size, 0x123);
	assert_int_equal(bi.nr_mmap, 3);
	assert_int_equal(bi.mmap[1].type, BOOT_MEM_RESERVED);
	assert_int_equal(bi.mmap[2].base, 0x100000);
	assert_int_equal(bi.mmap[2].size, 0x1ff00000);
	assert_int_equal(bi.mmap[2].type, BOOT_MEM_USABLE);
	assert_int_equal(bi.rsdp_len, 20);
	assert_memory_equal(bi.rsdp, "RSD PTR ", 8);
}

static void e820_types_are_translated(void **state)
{
	(void)state;
	u32 t = tag(6, 16 + 5 * 24);
	put32(t + 8, 24);
	for (u32 i = 0; i < 5; i++)
		mmap_entry(t + 16 + i * 24, i * 0x1000, 0x1000, i + 1);
	finish();
	assert_int_equal(mb2_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, &bi), 0);
	assert_int_equal(bi.mmap[0].type, BOOT_MEM_USABLE);
	assert_int_equal(bi.mmap[1].type, BOOT_MEM_RESERVED);
	assert_int_equal(bi.mmap[2].type, BOOT_MEM_ACPI);
	assert_int_equal(bi.mmap[3].type, BOOT_MEM_NVS);
	assert_int_equal(bi.mmap[4].type, BOOT_MEM_BAD);
	assert_int_equal(bi.mmap[4].fw_type, 5);
}

static void acpi2_rsdp_wins_over_acpi1_copy(void **state)
{
	(void)state;
	u32 t = tag(15, 8 + 36);
	memcpy(buf + t + 8, "RSD PTR v2", 10);
	t = tag(14, 8 + 20);
	memcpy(buf + t + 8, "RSD PTR v1", 10);
	finish();
	assert_int_equal(mb2_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, &bi), 0);
	assert_int_equal(bi.rsdp_len, 36);
	assert_memory_equal(bi.rsdp, "RSD PTR v2", 10);
}

static void efi_system_table_tag_marks_an_efi_boot(void **state)
{
	(void)state;
	u32 t = tag(12, 16);
	put64(t + 8, 0x7f9e0018);
	finish();
	assert_int_equal(mb2_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, &bi), 0);
	assert_int_equal(bi.source, BOOT_SRC_MB2_EFI);
	assert_int_equal(bi.efi_system_table_pa, 0x7f9e0018);
}

static void wrong_magic_is_rejected(void **state)
{
	(void)state;
	finish();
	assert_int_equal(mb2_parse(0x2badb002, INFO_PA, &bi), -HV_EINVAL);
	assert_int_equal(bi.nr_mmap, 0);
}

static void tag_running_past_total_size_is_malformed(void **state)
{
	(void)state;
	u32 t = tag(1, 16);
	finish();
	put32(t + 4, 4000);     /* size beyond total */
	fake_mem_reset();
	fake_mem_add_copy(INFO_PA, buf, len);
	assert_int_equal(mb2_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, &bi), -HV_EINVAL);
}

static void tag_smaller_than_its_header_is_malformed(void **state)
{
	(void)state;
	u32 t = tag(1, 8);
	finish();
	put32(t + 4, 4);
	fake_mem_reset();
	fake_mem_add_copy(INFO_PA, buf, len);
	assert_int_equal(mb2_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, &bi), -HV_EINVAL);
}

static void missing_end_tag_is_malformed(void **state)
{
	(void)state;
	tag(2, 16);
	put32(0, len);
	fake_mem_reset();
	fake_mem_add_copy(INFO_PA, buf, len);
	assert_int_equal(mb2_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, &bi), -HV_EINVAL);
}

static void info_outside_memory_is_rejected(void **state)
{
	(void)state;
	finish();
	assert_int_equal(mb2_parse(MB2_BOOTLOADER_MAGIC, 0x1000, &bi), -HV_EINVAL);
	/* total_size claims more than is mapped */
	put32(0, 8192);
	fake_mem_reset();
	fake_mem_add_copy(INFO_PA, buf, 4096);
	assert_int_equal(mb2_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, &bi), -HV_EINVAL);
}

static void too_many_modules_keeps_the_first_ones(void **state)
{
	(void)state;
	for (u32 i = 0; i < BOOT_MODULES_MAX + 2; i++) {
		u32 t = tag(3, 16 + 2);
		put32(t + 8, 0x1000 * i);
		put32(t + 12, 0x1000 * i + 1);
		buf[t + 16] = (u8)('a' + i);
	}
	finish();
	assert_int_equal(mb2_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, &bi), -HV_ENOMEM);
	assert_int_equal(bi.nr_modules, BOOT_MODULES_MAX);
	assert_string_equal(bi.modules[1].name, "b");
}

/* A command line longer than boot_info holds: cut there, and its whole length and place kept. */
static void long_cmdline_keeps_its_length_and_place(void **state)
{
	(void)state;
	char line[600];
	memset(line, 'a', sizeof(line));
	memcpy(line + sizeof(line) - 10, " exit=qemu", 10);
	u32 t = tag(1, 8 + sizeof(line) + 1);
	memcpy(buf + t + 8, line, sizeof(line));
	finish();
	assert_int_equal(mb2_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, &bi), 0);
	assert_int_equal(bi.cmdline_len, 600);
	assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_LEN - 1);
	assert_true(bi.cmdline_pa == INFO_PA + t + 8);
	assert_memory_equal(phys_to_virt(bi.cmdline_pa, 600), line, 600);
	/* 511 characters fit: no second copy needed. */
	begin();
	t = tag(1, 8 + BOOT_CMDLINE_LEN);
	memset(buf + t + 8, 'b', BOOT_CMDLINE_LEN - 1);
	finish();
	assert_int_equal(mb2_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, &bi), 0);
	assert_int_equal(bi.cmdline_len, BOOT_CMDLINE_LEN - 1);
	assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_LEN - 1);
	assert_true(bi.cmdline_pa == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(grub_bios_info_becomes_boot_info, setup),
		cmocka_unit_test_setup(e820_types_are_translated, setup),
		cmocka_unit_test_setup(acpi2_rsdp_wins_over_acpi1_copy, setup),
		cmocka_unit_test_setup(efi_system_table_tag_marks_an_efi_boot, setup),
		cmocka_unit_test_setup(wrong_magic_is_rejected, setup),
		cmocka_unit_test_setup(tag_running_past_total_size_is_malformed, setup),
		cmocka_unit_test_setup(tag_smaller_than_its_header_is_malformed, setup),
		cmocka_unit_test_setup(missing_end_tag_is_malformed, setup),
		cmocka_unit_test_setup(info_outside_memory_is_rejected, setup),
		cmocka_unit_test_setup(too_many_modules_keeps_the_first_ones, setup),
		cmocka_unit_test_setup(long_cmdline_keeps_its_length_and_place, setup),
	};
	return cmocka_run_group_tests_name("mb2", tests, NULL, NULL);
}
