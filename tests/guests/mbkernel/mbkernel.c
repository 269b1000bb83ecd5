/*
 * mbkernel: a standard Multiboot (version 1) kernel that knows nothing of
 * Sluice. Checks the boot loader's magic, prints the memory sizes, the
 * memory map, the loader's name, the command line and the modules from the
 * information structure (Multiboot 0.6.96 section 3.3), then reads QEMU's
 * fw_cfg as test kernels built for QEMU do (ports 0x510/0x511: signature,
 * ID, CPU counts, RAM size, command line) and checks it against the
 * Multiboot information. Output goes to COM1; the verdict to port 0xf4
 * (QEMU's isa-debug-exit convention; 0 = success here).
 */
#include "tests/guests/lib/uart.h"

#define MB_BOOTLOADER_MAGIC     0x2BADB002u
#define MB_INFO_MEMORY          (1u << 0)
#define MB_INFO_CMDLINE         (1u << 2)
#define MB_INFO_MODS            (1u << 3)
#define MB_INFO_MEM_MAP         (1u << 6)
#define MB_INFO_LOADER_NAME     (1u << 9)
#define DEBUG_EXIT_PORT         0xf4
#define PAGE_SIZE               4096u
/* QEMU's fw_cfg (docs/config.md, "fw_cfg"): the selector and data ports, the keys read here. */
#define FW_CFG_PORT_SEL         0x510
#define FW_CFG_PORT_DATA        0x511
#define FW_CFG_SIGNATURE        0x00
#define FW_CFG_ID               0x01
#define FW_CFG_RAM_SIZE         0x03
#define FW_CFG_NB_CPUS          0x05
#define FW_CFG_MAX_CPUS         0x0f
#define FW_CFG_CMDLINE_SIZE     0x14
#define FW_CFG_CMDLINE_DATA     0x15
#define CMDLINE_MAX             256

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

struct mb_module {
	uint32_t mod_start, mod_end;    /* [start, end) */
	uint32_t string, reserved;
} __attribute__((packed));

extern const char _start[], _end[];     /* the kernel's extent (mbkernel.ld) */
static unsigned failures;

static void verdict(bool ok, const char *what)
{
	gprintf("mbkernel: %s: %s\n", ok ? "passed" : "FAILED", what);
	failures += !ok;
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static uint32_t str_len(const char *s)
{
	uint32_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* n bytes of fw_cfg item key into buf, as QEMU's traditional interface gives them. */
static void fw_cfg_read(uint16_t key, void *buf, uint32_t n)
{
	uint8_t *b = buf;
	outw(FW_CFG_PORT_SEL, key);
	for (uint32_t i = 0; i < n; i++)
		b[i] = inb(FW_CFG_PORT_DATA);
}

static uint64_t fw_cfg_le(uint16_t key, uint32_t n)
{
	uint8_t b[8];
	uint64_t v = 0;
	fw_cfg_read(key, b, n);
	for (uint32_t i = n; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

/* Ranges [a, a + an) and [b, b + bn) share a byte. */
static bool overlap(uint32_t a, uint32_t an, uint32_t b, uint32_t bn)
{
	return a < b + bn && b < a + an;
}

/* Each module: where, its string, its size, an FNV-1a of its bytes and its first line; placed as section 3.3 asks. */
static void modules(const struct mb_info *mbi, const char *cmdline)
{
	const struct mb_module *m = (const struct mb_module *)(uintptr_t)mbi->mods_addr;
	uint32_t kernel = (uint32_t)(uintptr_t)_start, kernel_size = (uint32_t)(_end - _start);
	bool placed = true;

	gprintf("mbkernel: %u module(s)\n", mbi->mods_count);
	for (uint32_t i = 0; i < mbi->mods_count; i++, m++) {
		const uint8_t *b = (const uint8_t *)(uintptr_t)m->mod_start;
		uint32_t size = m->mod_end - m->mod_start, hash = 2166136261u;
		char line[41];
		uint32_t n = 0;
		for (uint32_t j = 0; j < size; j++)
			hash = (hash ^ b[j]) * 16777619u;
		for (; n < size && n < sizeof(line) - 1 && b[n] != '\n'; n++)
			line[n] = b[n] >= 0x20 && b[n] < 0x7f ? (char)b[n] : '.';
		line[n] = '\0';
		gprintf("mbkernel: module %u at 0x%08x-0x%08x '%s': %u bytes, fnv1a 0x%08x, first line '%s'\n", i,
			m->mod_start, m->mod_end, (const char *)(uintptr_t)m->string, size, hash, line);
		/* The header's flag 0 asked for page-aligned modules; none may lie on the kernel, the information or the command line. */
		placed &= !(m->mod_start % PAGE_SIZE) && m->mod_end >= m->mod_start &&
			  !overlap(m->mod_start, size, kernel, kernel_size) &&
			  !overlap(m->mod_start, size, (uint32_t)(uintptr_t)mbi, sizeof(*mbi)) &&
			  !overlap(m->mod_start, size, mbi->mods_addr, mbi->mods_count * (uint32_t)sizeof(*m)) &&
			  !(cmdline && overlap(m->mod_start, size, mbi->cmdline, str_len(cmdline) + 1));
	}
	if (mbi->mods_count)
		verdict(placed, "modules page-aligned, clear of the kernel, the information and the command line");
}

/*
 * QEMU's fw_cfg, as a kvm-unit-tests kernel reads it, checked against the
 * Multiboot information: RAM size = the memory map's RAM, the command line
 * the same. ram is the memory map's type-1 bytes, cmdline NULL when none.
 */
static void fw_cfg(uint64_t ram, const char *cmdline)
{
	uint8_t sig[4];
	char line[CMDLINE_MAX];

	fw_cfg_read(FW_CFG_SIGNATURE, sig, sizeof(sig));
	if (sig[0] != 'Q' || sig[1] != 'E' || sig[2] != 'M' || sig[3] != 'U') {
		gprintf("mbkernel: no fw_cfg (signature reads %02x %02x %02x %02x)\n", sig[0], sig[1], sig[2], sig[3]);
		return;
	}
	uint32_t id = (uint32_t)fw_cfg_le(FW_CFG_ID, 4);
	uint64_t ram_size = fw_cfg_le(FW_CFG_RAM_SIZE, 8);
	uint32_t cpus = (uint32_t)fw_cfg_le(FW_CFG_NB_CPUS, 2), max_cpus = (uint32_t)fw_cfg_le(FW_CFG_MAX_CPUS, 2);
	uint32_t size = (uint32_t)fw_cfg_le(FW_CFG_CMDLINE_SIZE, 4);
	gprintf("mbkernel: fw_cfg: signature QEMU, id 0x%x, %u CPU(s) (max %u), RAM size 0x%llx, command line of %u bytes\n",
		id, cpus, max_cpus, (unsigned long long)ram_size, size);
	verdict(id == 1, "fw_cfg offers its traditional interface and no DMA");
	verdict(cpus >= 1 && cpus == max_cpus, "fw_cfg CPU count");
	verdict(ram_size == ram, "fw_cfg RAM size is the memory map's RAM");
	if (size > sizeof(line) || !size) {
		verdict(false, "fw_cfg command line size");
		return;
	}
	fw_cfg_read(FW_CFG_CMDLINE_DATA, line, size);
	gprintf("mbkernel: fw_cfg command line '%s'\n", line);
	verdict(line[size - 1] == '\0' && str_eq(line, cmdline ? cmdline : ""), "fw_cfg command line is the Multiboot one");
}

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
	uint64_t ram_bytes = 0;
	for (uint32_t off = 0; off + sizeof(struct mb_mmap) <= mbi->mmap_length + 0u; n++) {
		const struct mb_mmap *e = (const struct mb_mmap *)(uintptr_t)(mbi->mmap_addr + off);
		gprintf("mbkernel: mmap 0x%016llx size 0x%llx type %u\n", (unsigned long long)e->base_addr,
			(unsigned long long)e->length, e->type);
		ram += e->type == 1;
		ram_bytes += e->type == 1 ? e->length : 0;
		off += e->size + 4;
	}
	if (mbi->flags & MB_INFO_LOADER_NAME)
		gprintf("mbkernel: boot loader %s\n", (const char *)(uintptr_t)mbi->boot_loader_name);
	if (!ram || !mbi->mem_upper) {
		gprintf("mbkernel: FAILED: no RAM in the memory map\n");
		finish(1);
	}
	gprintf("mbkernel: passed: %u memory map entries\n", n);
	const char *cmdline = mbi->flags & MB_INFO_CMDLINE ? (const char *)(uintptr_t)mbi->cmdline : NULL;
	if (cmdline)
		gprintf("mbkernel: command line '%s'\n", cmdline);
	if (mbi->flags & MB_INFO_MODS)
		modules(mbi, cmdline);
	fw_cfg(ram_bytes, cmdline);
	finish(failures ? 1 : 0);
}
