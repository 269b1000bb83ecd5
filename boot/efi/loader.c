/*
 * Sluice's own UEFI loader. Reads \sluice\boot.cfg from its own volume,
 * places the kernel ELF and the modules, fills struct boot_info
 * (kernel/boot_info.h) with the command line, the RSDP and the final memory
 * map, exits boot services and jumps to the kernel's entry64. It builds no
 * page tables, GDT or stack: the kernel starts on the firmware's.
 * Spec: UEFI Specification 2.10, §4.6 "EFI Configuration Table", §7.2
 * "Memory Allocation Services", §7.4 "Image Services" (ExitBootServices);
 * ACPI 6.5, §5.2.5.3 "Root System Description Pointer (RSDP) Structure".
 */
#include "boot/efi/loader.h"
#include "boot/efi/boot_cfg.h"
#include "boot/efi/efi_mmap.h"
#include "kernel/boot_info.h"

#define BOOT_CFG_SIZE_MAX       (64 * KiB)
#define ALLOCS_MAX              128     /* kernel runs and claims, modules, boot_info */
#define MMAP_SLACK_DESCS        32      /* room for the map to grow meanwhile */
#define EXIT_TRIES              8       /* GetMemoryMap + ExitBootServices rounds */

/* ACPI 6.5 §5.2.5.3: RSDP fields used here. */
#define RSDP_SIG                "RSD PTR "
#define RSDP_REVISION_OFF       15      /* 0: ACPI 1.0, 20 bytes; 2+: 2.0 */
#define RSDP_LENGTH_OFF         20      /* 32 bit, revision 2+ only */
#define RSDP_V1_LEN             20

typedef __attribute__((sysv_abi, noreturn)) void (*kernel_entry_fn)(struct boot_info *bi);

static struct {
	u64 pa, pages;
} allocs[ALLOCS_MAX];
static u32 nr_allocs;
static struct boot_cfg cfg;             /* ~7 KiB: keep it off the stack */
static u64 long_cmdline_pa;             /* a cmdline longer than boot_info holds, whole; 0: none */

/*
 * AllocatePages() for EfiLoaderCode (the kernel is entered before it sets up
 * its own page tables, so its pages must not be no-execute under firmware
 * NX policies; everything else rides along), remembered so a failed boot can give
 * the pages back. *pa is the wanted address for AllocateAddress and the
 * result in every case. Returns the firmware's status; the caller reports.
 */
EFI_STATUS pages_alloc(EFI_ALLOCATE_TYPE how, u64 pages, u64 *pa)
{
	EFI_PHYSICAL_ADDRESS addr = *pa;
	EFI_STATUS st;

	if (nr_allocs == ALLOCS_MAX)
		return EFI_OUT_OF_RESOURCES;
	st = uefi_call_wrapper(BS->AllocatePages, 4, how, EfiLoaderCode, pages, &addr);
	if (EFI_ERROR(st))
		return st;
	allocs[nr_allocs].pa = addr;
	allocs[nr_allocs].pages = pages;
	nr_allocs++;
	*pa = addr;
	return EFI_SUCCESS;
}

static void pages_free_all(void)
{
	while (nr_allocs) {
		nr_allocs--;
		uefi_call_wrapper(BS->FreePages, 2, allocs[nr_allocs].pa, allocs[nr_allocs].pages);
	}
}

/* One line per firmware range that is not free memory in [pa, pa + size). */
void mmap_explain(u64 pa, u64 size)
{
	UINTN n, key, desc_size, i;
	UINT32 version;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&n, &key, &desc_size, &version);

	if (!map)
		return;
	for (i = 0; i < n; i++) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)((u8 *)map + i * desc_size);
		u64 end = d->PhysicalStart + d->NumberOfPages * EFI_MMAP_PAGE_SIZE;

		if (d->PhysicalStart < pa + size && end > pa && d->Type != EfiConventionalMemory)
			con_line("  0x%016lx-0x%016lx is %s", d->PhysicalStart, end, efi_mmap_type_name(d->Type));
	}
	FreePool(map);
}

static bool reclaimable_type(u32 type)
{
	return type == EfiConventionalMemory || type == EfiBootServicesCode ||
	       type == EfiBootServicesData;
}

bool mmap_range_reclaimable(u64 pa, u64 size)
{
	UINTN n, key, desc_size, i;
	UINT32 version;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&n, &key, &desc_size, &version);
	u64 covered = 0;
	bool ok = true;

	if (!map)
		return false;
	for (i = 0; i < n; i++) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)((u8 *)map + i * desc_size);
		u64 start = MAX(d->PhysicalStart, pa);
		u64 end = MIN(d->PhysicalStart + d->NumberOfPages * EFI_MMAP_PAGE_SIZE, pa + size);

		if (start >= end)
			continue;
		if (!reclaimable_type(d->Type))
			ok = false;
		covered += end - start;
	}
	FreePool(map);
	/* Descriptors never overlap: full coverage means no hole (not RAM) inside. */
	return ok && covered == size;
}

EFI_STATUS mmap_claim_free(u64 pa, u64 size)
{
	UINTN n, key, desc_size, i;
	UINT32 version;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&n, &key, &desc_size, &version);
	EFI_STATUS st = EFI_SUCCESS;

	if (!map)
		return EFI_OUT_OF_RESOURCES;
	for (i = 0; i < n && !EFI_ERROR(st); i++) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)((u8 *)map + i * desc_size);
		u64 start = MAX(d->PhysicalStart, pa);
		u64 end = MIN(d->PhysicalStart + d->NumberOfPages * EFI_MMAP_PAGE_SIZE, pa + size);

		if (start < end && d->Type == EfiConventionalMemory)
			st = pages_alloc(AllocateAddress, (end - start) / PAGE_SIZE, &start);
	}
	FreePool(map);
	return st;
}

static void str_put(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

/*
 * A cmdline longer than boot_info holds is copied whole (NUL-terminated)
 * into pages of its own before the text goes: the kernel refuses it, but
 * reads all of it for exit= so the run still ends as asked.
 */
static EFI_STATUS keep_long_cmdline(void)
{
	u64 pa = 0;
	EFI_STATUS st;

	if (cfg.cmdline_len < BOOT_CMDLINE_LEN)
		return EFI_SUCCESS;
	st = pages_alloc(AllocateAnyPages, ALIGN_UP(cfg.cmdline_len + 1, PAGE_SIZE) / PAGE_SIZE, &pa);
	if (EFI_ERROR(st))
		return con_fail(st, "no memory for the %u-character cmdline", cfg.cmdline_len);
	CopyMem((void *)(uintptr_t)pa, cfg.cmdline_text, cfg.cmdline_len);
	((char *)(uintptr_t)pa)[cfg.cmdline_len] = '\0';
	long_cmdline_pa = pa;
	return EFI_SUCCESS;
}

/* Reads and parses \sluice\boot.cfg into cfg. */
static EFI_STATUS read_boot_cfg(EFI_FILE_HANDLE root)
{
	char err[BOOT_CFG_ERR_LEN];
	EFI_FILE_HANDLE fh;
	EFI_STATUS st;
	char *text;
	u64 size;

	st = file_open(root, BOOT_CFG_PATH, &fh, &size);
	if (EFI_ERROR(st))
		return st;
	if (size > BOOT_CFG_SIZE_MAX) {
		file_close(fh);
		return con_fail(EFI_LOAD_ERROR, "%s is %lu bytes, more than %llu", BOOT_CFG_PATH, size, BOOT_CFG_SIZE_MAX);
	}
	text = AllocatePool(size + 1);
	if (!text) {
		file_close(fh);
		return con_fail(EFI_OUT_OF_RESOURCES, "no memory for %s", BOOT_CFG_PATH);
	}
	st = file_read_at(fh, BOOT_CFG_PATH, 0, text, size);
	file_close(fh);
	if (!EFI_ERROR(st) && boot_cfg_parse(text, size, &cfg, err, sizeof(err)) < 0)
		st = con_fail(EFI_LOAD_ERROR, "%s: %s", BOOT_CFG_PATH, err);
	if (!EFI_ERROR(st))
		st = keep_long_cmdline();
	FreePool(text);
	return st;
}

/* Reads each module into its own EfiLoaderData pages and records it in bi. */
static EFI_STATUS load_modules(EFI_FILE_HANDLE root, struct boot_info *bi)
{
	EFI_FILE_HANDLE fh;
	EFI_STATUS st;
	u64 size, pages, pa;
	u32 i;

	for (i = 0; i < cfg.nr_modules; i++) {
		const struct boot_cfg_module *m = &cfg.modules[i];

		st = file_open(root, m->path, &fh, &size);
		if (EFI_ERROR(st))
			return st;
		/* An empty module still gets a page, so start_pa is never 0. */
		pages = MAX(ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE, 1);
		pa = 0;
		st = pages_alloc(AllocateAnyPages, pages, &pa);
		if (EFI_ERROR(st)) {
			file_close(fh);
			return con_fail(st, "no memory for module %s (%lu bytes)", m->name, size);
		}
		st = file_read_at(fh, m->path, 0, (void *)(uintptr_t)pa, size);
		file_close(fh);
		if (EFI_ERROR(st))
			return st;
		/* Zero the tail so a text module reads as NUL-terminated. */
		ZeroMem((u8 *)(uintptr_t)pa + size, pages * PAGE_SIZE - size);
		bi->modules[i].start_pa = pa;
		bi->modules[i].size = size;
		str_put(bi->modules[i].name, sizeof(bi->modules[i].name), m->name);
		bi->nr_modules = i + 1;
		con_line("module %s at 0x%016lx, %lu bytes", m->name, pa, size);
	}
	return EFI_SUCCESS;
}

static bool guid_equal(const EFI_GUID *a, const EFI_GUID *b)
{
	const u8 *x = (const u8 *)a, *y = (const u8 *)b;
	size_t i;

	for (i = 0; i < sizeof(*a); i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* The RSDP the configuration table points at for guid, or NULL. */
static const u8 *rsdp_find(EFI_GUID *guid)
{
	const u8 *p;
	UINTN i, j;

	for (i = 0; i < ST->NumberOfTableEntries; i++) {
		if (!guid_equal(&ST->ConfigurationTable[i].VendorGuid, guid))
			continue;
		p = ST->ConfigurationTable[i].VendorTable;
		for (j = 0; j < 8 && p; j++)
			if (p[j] != (u8)RSDP_SIG[j])
				p = NULL;
		if (p)
			return p;
	}
	return NULL;
}

/*
 * Copies the RSDP into bi: the ACPI 2.0 table GUID first, then 1.0. No RSDP
 * is not an error here (rsdp_len stays 0); the kernel decides. Checksums are
 * the kernel's job too.
 */
static void fill_rsdp(struct boot_info *bi)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	const u8 *p = rsdp_find(&acpi20);
	u32 len = RSDP_V1_LEN;

	if (!p)
		p = rsdp_find(&acpi10);
	if (!p)
		return;
	if (p[RSDP_REVISION_OFF] >= 2)
		len = MIN(MAX(get_le32(p + RSDP_LENGTH_OFF), RSDP_V1_LEN), BOOT_RSDP_MAX);
	CopyMem(bi->rsdp, p, len);
	bi->rsdp_len = len;
	bi->rsdp_pa = (u64)(uintptr_t)p;
}

/* Allocates and fills boot_info, all but the memory map. */
static EFI_STATUS boot_info_create(struct boot_info **out)
{
	struct boot_info *bi;
	u64 pages = ALIGN_UP(sizeof(*bi), PAGE_SIZE) / PAGE_SIZE;
	u64 pa = 0;
	EFI_STATUS st;

	st = pages_alloc(AllocateAnyPages, pages, &pa);
	if (EFI_ERROR(st))
		return con_fail(st, "no memory for boot_info (%lu pages)", pages);
	bi = (struct boot_info *)(uintptr_t)pa;
	ZeroMem(bi, pages * PAGE_SIZE);
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->source = BOOT_SRC_UEFI;
	str_put(bi->loader, sizeof(bi->loader), LOADER_NAME);
	str_put(bi->cmdline, sizeof(bi->cmdline), cfg.cmdline);
	bi->cmdline_len = cfg.cmdline_len;
	bi->cmdline_pa = long_cmdline_pa;
	fill_rsdp(bi);
	bi->efi_system_table_pa = (u64)(uintptr_t)ST;
	*out = bi;
	return EFI_SUCCESS;
}

struct mmap_buf {
	EFI_MEMORY_DESCRIPTOR *map;
	struct boot_mmap_entry *scratch;        /* efi_mmap_translate() sorts here */
	UINTN size;                             /* bytes allocated for map */
	UINTN map_size, key, desc_size;         /* from the last GetMemoryMap() */
	UINT32 desc_version;
};

static void mmap_buf_free(struct mmap_buf *m)
{
	if (m->map)
		FreePool(m->map);
	if (m->scratch)
		FreePool(m->scratch);
	m->map = NULL;
	m->scratch = NULL;
}

/*
 * Sizes the map buffer from a GetMemoryMap() probe plus slack, since these
 * very allocations (and anything else until the final call) can add
 * descriptors. Memory allocation services stay legal even after a failed
 * ExitBootServices(), so a retry may come back here.
 */
static EFI_STATUS mmap_buf_alloc(struct mmap_buf *m)
{
	EFI_STATUS st;

	mmap_buf_free(m);
	m->map_size = 0;
	st = uefi_call_wrapper(BS->GetMemoryMap, 5, &m->map_size, NULL, &m->key,
			       &m->desc_size, &m->desc_version);
	if (st != EFI_BUFFER_TOO_SMALL)
		return EFI_ERROR(st) ? st : EFI_DEVICE_ERROR;
	if (m->desc_size < sizeof(struct efi_mem_desc) || m->desc_size % 8)
		return EFI_UNSUPPORTED;
	m->size = m->map_size + MMAP_SLACK_DESCS * m->desc_size;
	m->map = AllocatePool(m->size);
	m->scratch = AllocatePool(m->size / m->desc_size * sizeof(*m->scratch));
	if (!m->map || !m->scratch) {
		mmap_buf_free(m);
		return EFI_OUT_OF_RESOURCES;
	}
	return EFI_SUCCESS;
}

static EFI_STATUS mmap_get(struct mmap_buf *m)
{
	m->map_size = m->size;
	return uefi_call_wrapper(BS->GetMemoryMap, 5, &m->map_size, m->map, &m->key,
				 &m->desc_size, &m->desc_version);
}

static int mmap_to_boot_info(struct mmap_buf *m, struct boot_info *bi, bool *truncated)
{
	int n = efi_mmap_translate(m->map, m->map_size, m->desc_size, m->scratch,
				   bi->mmap, BOOT_MMAP_MAX, truncated);

	bi->nr_mmap = n < 0 ? 0 : (u32)n;
	return n;
}

/*
 * When kernel ranges are to be moved after the exit: checks that none of
 * them lands on what the loader hands over (boot_info, modules) or still
 * reads after the exit (the memory map buffers). No moves: nothing to do.
 */
static EFI_STATUS check_moves(const struct kernel_image *k, const struct boot_info *bi,
			      const struct mmap_buf *m)
{
	struct live_range live[BOOT_MODULES_MAX + 3];
	u32 nr_live = 0, i;

	if (!k->nr_moves)
		return EFI_SUCCESS;
	live[nr_live++] = (struct live_range){ (u64)(uintptr_t)bi, sizeof(*bi), "boot_info" };
	live[nr_live++] = (struct live_range){ (u64)(uintptr_t)m->map, m->size, "the memory map buffer" };
	live[nr_live++] = (struct live_range){ (u64)(uintptr_t)m->scratch, m->size / m->desc_size * sizeof(*m->scratch), "the memory map buffer" };
	for (i = 0; i < bi->nr_modules; i++)
		live[nr_live++] = (struct live_range){ bi->modules[i].start_pa, MAX(bi->modules[i].size, 1), "a module" };
	return kernel_moves_check(k, live, nr_live);
}

/*
 * The final GetMemoryMap() and ExitBootServices(), retried while the map key
 * goes stale (EFI_INVALID_PARAMETER). SPEC: after the first call, "should
 * not make calls to any boot service function other than Memory Allocation
 * Services", so from here errors go to COM1 only. *tries counts rounds.
 */
static EFI_STATUS exit_boot_services(EFI_HANDLE image, struct mmap_buf *m,
				     const struct kernel_image *k,
				     const struct boot_info *bi, u32 *tries)
{
	EFI_STATUS st = EFI_INVALID_PARAMETER;

	for (*tries = 1; *tries <= EXIT_TRIES; (*tries)++) {
		st = mmap_get(m);
		if (st == EFI_BUFFER_TOO_SMALL) {
			st = mmap_buf_alloc(m);
			if (EFI_ERROR(st))
				return con_fail(st, "cannot grow the memory map buffer");
			/* New buffers: check them against the moves again. */
			st = check_moves(k, bi, m);
			if (EFI_ERROR(st))
				return st;
			continue;
		}
		if (EFI_ERROR(st))
			return con_fail(st, "GetMemoryMap failed");
		if (m->desc_size < sizeof(struct efi_mem_desc) || m->desc_size % 8)
			return con_fail(EFI_UNSUPPORTED, "memory descriptor size %lu", m->desc_size);
		/* Nothing between here and the call may allocate or print. */
		st = uefi_call_wrapper(BS->ExitBootServices, 2, image, m->key);
		con_boot_services_gone();
		if (st == EFI_SUCCESS)
			return EFI_SUCCESS;
		if (st != EFI_INVALID_PARAMETER)
			return con_fail(st, "ExitBootServices failed");
	}
	return con_fail(st, "ExitBootServices: memory map key still stale after %u tries", EXIT_TRIES);
}

/* Everything up to the jump; returns only on failure. */
static EFI_STATUS boot(EFI_HANDLE image, struct mmap_buf *m, bool *exit_tried)
{
	EFI_FILE_HANDLE root;
	struct kernel_image k;
	struct boot_info *bi = NULL;
	kernel_entry_fn entry;
	bool truncated;
	EFI_STATUS st;
	u32 tries;
	int n;

	st = file_volume_open(image, &root);
	if (EFI_ERROR(st))
		return st;
	st = read_boot_cfg(root);
	/* The kernel goes first, before other allocations can land on its addresses. */
	if (!EFI_ERROR(st))
		st = kernel_load(root, cfg.kernel_path, &k);
	if (!EFI_ERROR(st))
		st = boot_info_create(&bi);
	if (!EFI_ERROR(st))
		st = load_modules(root, bi);
	uefi_call_wrapper(root->Close, 1, root);
	if (EFI_ERROR(st))
		return st;

	st = mmap_buf_alloc(m);
	if (EFI_ERROR(st))
		return con_fail(st, "cannot size the memory map");
	st = mmap_get(m);
	if (EFI_ERROR(st))
		return con_fail(st, "GetMemoryMap failed");
	n = mmap_to_boot_info(m, bi, &truncated);
	if (n < 0)
		return con_fail(EFI_UNSUPPORTED, "memory descriptor size %lu", m->desc_size);
	st = check_moves(&k, bi, m);
	if (EFI_ERROR(st))
		return st;
	if (bi->rsdp_len)
		con_line("kernel 0x%016lx-0x%016lx entry 0x%016lx, %u modules, rsdp 0x%016lx, %d memory map entries", k.start_pa, k.end_pa, k.entry_pa, bi->nr_modules, bi->rsdp_pa, n);
	else
		con_line("kernel 0x%016lx-0x%016lx entry 0x%016lx, %u modules, rsdp none, %d memory map entries", k.start_pa, k.end_pa, k.entry_pa, bi->nr_modules, n);

	*exit_tried = true;
	st = exit_boot_services(image, m, &k, bi, &tries);
	if (EFI_ERROR(st))
		return st;

	/* Boot services are gone: COM1 and plain memory only from here on. */
	mmap_to_boot_info(m, bi, &truncated);
	kernel_moves_run(&k);
	if (truncated)
		con_line("WARN: memory map truncated to %u entries", BOOT_MMAP_MAX);
	con_line("exited boot services (try %u), %u memory map entries, jumping to 0x%016lx", tries, bi->nr_mmap, k.entry_pa);
	entry = (kernel_entry_fn)(uintptr_t)k.entry_pa;
	__asm__ volatile("cli" : : : "memory");
	entry(bi);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	struct mmap_buf m = { 0 };
	bool exit_tried = false;
	EFI_STATUS st;

	InitializeLib(image, systab);
	con_init();
	con_line("started, UEFI %u.%u, firmware rev 0x%08x", ST->Hdr.Revision >> 16, (ST->Hdr.Revision & 0xffff) / 10, ST->FirmwareRevision);
	st = boot(image, &m, &exit_tried);
	/* After any ExitBootServices() call, giving memory back is pointless. */
	if (!exit_tried) {
		mmap_buf_free(&m);
		pages_free_all();
	}
	return st;
}
