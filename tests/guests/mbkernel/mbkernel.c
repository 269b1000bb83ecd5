/*
 * mbkernel: a standard Multiboot (version 1) kernel that knows nothing of
 * Sluice. Checks the boot loader's magic, prints the memory sizes, the
 * memory map and the loader's name from the information structure
 * (Multiboot 0.6.96 section 3.3) to COM1 and reports through port 0xf4
 * (QEMU's isa-debug-exit convention; 0 = success here).
 */
#include "tests/guests/lib/uart.h"

#define MB_BOOTLOADER_MAGIC     0x2BADB002u
#define MB_INFO_MEMORY          (1u << 0)
#define MB_INFO_MEM_MAP         (1u << 6)
#define MB_INFO_LOADER_NAME     (1u << 9)
#define DEBUG_EXIT_PORT         0xf4

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
} __attribute__((packed));

struct mb_mmap {
	uint32_t size;                  /* of the rest of the entry */
	uint64_t base_addr, length;
	uint32_t type;
} __attribute__((packed));

static __attribute__((noreturn)) void finish(uint8_t code)
{
	gprintf("mbkernel: result %u\n", code);
	outb(DEBUG_EXIT_PORT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void mb_main(uint32_t magic, const struct mb_info *mbi);
void mb_main(uint32_t magic, const struct mb_info *mbi)
{
	gprintf("mbkernel: started, eax=0x%08x ebx=0x%08x\n", magic, (uint32_t)(uintptr_t)mbi);
	if (magic != MB_BOOTLOADER_MAGIC) {
		gprintf("mbkernel: FAILED: eax is not 0x2BADB002\n");
		finish(1);
	}
	gprintf("mbkernel: passed: multiboot magic\n");
	if (!(mbi->flags & MB_INFO_MEMORY) || !(mbi->flags & MB_INFO_MEM_MAP)) {
		gprintf("mbkernel: FAILED: flags 0x%08x lack memory information\n", mbi->flags);
		finish(1);
	}
	gprintf("mbkernel: mem_lower %u KiB, mem_upper %u KiB\n", mbi->mem_lower, mbi->mem_upper);
	uint32_t n = 0, ram = 0;
	for (uint32_t off = 0; off + sizeof(struct mb_mmap) <= mbi->mmap_length + 0u; n++) {
		const struct mb_mmap *e = (const struct mb_mmap *)(uintptr_t)(mbi->mmap_addr + off);
		gprintf("mbkernel: mmap 0x%016llx size 0x%llx type %u\n", (unsigned long long)e->base_addr,
			(unsigned long long)e->length, e->type);
		ram += e->type == 1;
		off += e->size + 4;
	}
	if (mbi->flags & MB_INFO_LOADER_NAME)
		gprintf("mbkernel: boot loader %s\n", (const char *)(uintptr_t)mbi->boot_loader_name);
	if (!ram || !mbi->mem_upper) {
		gprintf("mbkernel: FAILED: no RAM in the memory map\n");
		finish(1);
	}
	gprintf("mbkernel: passed: %u memory map entries\n", n);
	finish(0);
}
