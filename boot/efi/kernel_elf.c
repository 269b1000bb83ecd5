/*
 * Loads the Sluice kernel ELF64 (ET_EXEC, EM_X86_64): every PT_LOAD segment
 * at its p_paddr in EfiLoaderData pages taken with AllocateAddress, file
 * bytes read straight into place and the rest zeroed, then finds the
 * kernel's struct sluice_efi_header (kernel/boot_info.h). No relocation.
 * Where firmware holds part of a range only until ExitBootServices (OVMF
 * keeps its DXE volume at 9-21 MiB as EfiBootServicesData), the range is
 * staged elsewhere and kernel_move.c copies it into place after the exit;
 * any other owner is an error.
 */
#include "boot/efi/loader.h"
#include "boot/efi/elf64.h"
#include "kernel/boot_info.h"

#define EFI_HDR_WINDOW          (32 * KiB)      /* boot_info.h: header lies here */

struct run {                    /* page-rounded physical range to allocate */
	u64 start, end;
	u64 load_pa;                    /* where its bytes go now: start or staging */
};

static EFI_STATUS check_ehdr(const struct elf64_ehdr *eh, u64 file_size,
			     const char *path)
{
	const u8 *id = eh->e_ident;

	if (id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F')
		return con_fail(EFI_LOAD_ERROR, "%s is not an ELF file", path);
	if (id[ELF_EI_CLASS] != ELF_CLASS64 || id[ELF_EI_DATA] != ELF_DATA2LSB ||
	    id[ELF_EI_VERSION] != ELF_EV_CURRENT)
		return con_fail(EFI_LOAD_ERROR, "%s is not a little-endian ELF64 file (class %u data %u)", path, id[ELF_EI_CLASS], id[ELF_EI_DATA]);
	if (eh->e_machine != ELF_EM_X86_64 || eh->e_type != ELF_ET_EXEC)
		return con_fail(EFI_LOAD_ERROR, "%s: need EM_X86_64 ET_EXEC, got machine %u type %u", path, eh->e_machine, eh->e_type);
	if (eh->e_phnum == 0 || eh->e_phnum > KERNEL_PHDRS_MAX ||
	    eh->e_phentsize < sizeof(struct elf64_phdr))
		return con_fail(EFI_LOAD_ERROR, "%s: bad program header table (%u entries of %u bytes)", path, eh->e_phnum, eh->e_phentsize);
	if (eh->e_phoff > file_size ||
	    (u64)eh->e_phnum * eh->e_phentsize > file_size - eh->e_phoff)
		return con_fail(EFI_LOAD_ERROR, "%s: program headers run past the end of the file", path);
	return EFI_SUCCESS;
}

/*
 * Reads the PT_LOAD headers with a non-zero p_memsz into seg[] in file order
 * and checks each against the file and the address space. Returns the count
 * in *n.
 */
static EFI_STATUS read_segments(EFI_FILE_HANDLE fh, const char *path,
				const struct elf64_ehdr *eh, u64 file_size,
				struct elf64_phdr *seg, u32 *n)
{
	struct elf64_phdr ph;
	EFI_STATUS st;
	u32 i;

	*n = 0;
	for (i = 0; i < eh->e_phnum; i++) {
		st = file_read_at(fh, path, eh->e_phoff + (u64)i * eh->e_phentsize,
				  &ph, sizeof(ph));
		if (EFI_ERROR(st))
			return st;
		if (ph.p_type != ELF_PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > file_size ||
		    ph.p_filesz > file_size - ph.p_offset)
			return con_fail(EFI_LOAD_ERROR, "%s: PT_LOAD %u (offset 0x%lx filesz 0x%lx memsz 0x%lx) does not fit the file", path, i, ph.p_offset, ph.p_filesz, ph.p_memsz);
		if (ph.p_paddr + ph.p_memsz < ph.p_paddr ||
		    ALIGN_UP(ph.p_paddr + ph.p_memsz, PAGE_SIZE) == 0)
			return con_fail(EFI_LOAD_ERROR, "%s: PT_LOAD %u at 0x%016lx wraps the address space", path, i, ph.p_paddr);
		seg[(*n)++] = ph;
	}
	if (*n == 0)
		return con_fail(EFI_LOAD_ERROR, "%s has no PT_LOAD segment", path);
	return EFI_SUCCESS;
}

/*
 * Page-rounds the segments into disjoint runs (two segments may share a page)
 * and refuses segments whose bytes overlap. Returns the count in *nr.
 */
static EFI_STATUS plan_runs(const struct elf64_phdr *seg, u32 n, const char *path,
			    struct run *runs, u32 *nr)
{
	const struct elf64_phdr *by_pa[KERNEL_PHDRS_MAX], *t;
	u32 i, j;

	for (i = 0; i < n; i++) {
		t = &seg[i];
		for (j = i; j > 0 && by_pa[j - 1]->p_paddr > t->p_paddr; j--)
			by_pa[j] = by_pa[j - 1];
		by_pa[j] = t;
	}
	*nr = 0;
	for (i = 0; i < n; i++) {
		u64 start = ALIGN_DOWN(by_pa[i]->p_paddr, PAGE_SIZE);
		u64 end = ALIGN_UP(by_pa[i]->p_paddr + by_pa[i]->p_memsz, PAGE_SIZE);

		if (i && by_pa[i - 1]->p_paddr + by_pa[i - 1]->p_memsz > by_pa[i]->p_paddr)
			return con_fail(EFI_LOAD_ERROR, "%s: PT_LOAD segments at 0x%016lx and 0x%016lx overlap", path, by_pa[i - 1]->p_paddr, by_pa[i]->p_paddr);
		if (*nr && runs[*nr - 1].end >= start) {
			runs[*nr - 1].end = MAX(runs[*nr - 1].end, end);
			continue;
		}
		runs[*nr].start = start;
		runs[*nr].end = end;
		(*nr)++;
	}
	return EFI_SUCCESS;
}

/* Where the byte the kernel wants at pa is now. */
static u64 load_addr(const struct run *runs, u32 nr, u64 pa)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (pa >= runs[i].start && pa < runs[i].end)
			return runs[i].load_pa + (pa - runs[i].start);
	return pa;      /* unreachable: plan_runs() covers every segment */
}

/*
 * Takes the pages of run r: in place, or when firmware boot-services memory
 * is in the way, its free pieces plus a staging copy recorded in k->moves.
 */
static EFI_STATUS alloc_run(struct run *r, struct kernel_image *k)
{
	u64 size = r->end - r->start, pa = r->start;
	struct kernel_move *mv;
	EFI_STATUS st;

	st = pages_alloc(AllocateAddress, size / PAGE_SIZE, &pa);
	if (!EFI_ERROR(st)) {
		r->load_pa = pa;
		return EFI_SUCCESS;
	}
	if (st != EFI_NOT_FOUND || !mmap_range_reclaimable(r->start, size)) {
		con_fail(st, "kernel range 0x%016lx-0x%016lx is not free", r->start, r->end);
		mmap_explain(r->start, size);
		return st;
	}
	/* Claim the free pieces first so no later allocation lands in them. */
	st = mmap_claim_free(r->start, size);
	if (EFI_ERROR(st))
		return con_fail(st, "cannot claim the free part of kernel range 0x%016lx-0x%016lx", r->start, r->end);
	pa = 0;
	st = pages_alloc(AllocateAnyPages, size / PAGE_SIZE, &pa);
	if (EFI_ERROR(st))
		return con_fail(st, "no memory to stage kernel range 0x%016lx-0x%016lx", r->start, r->end);
	r->load_pa = pa;
	mv = &k->moves[k->nr_moves++];
	mv->dst_pa = r->start;
	mv->src_pa = pa;
	mv->size = size;
	con_line("kernel range 0x%016lx-0x%016lx is boot-services memory: staged at 0x%016lx, moved after ExitBootServices", r->start, r->end, pa);
	return EFI_SUCCESS;
}

/* Looks for the header 8-byte aligned in the first 32 KiB of seg's file bytes. */
static bool find_efi_header(const struct elf64_phdr *seg, const struct run *runs,
			    u32 nr, u64 *entry)
{
	u64 window = MIN(seg->p_filesz, EFI_HDR_WINDOW);
	u64 end = seg->p_paddr + window;
	u64 pa;

	for (pa = ALIGN_UP(seg->p_paddr, 8); pa + sizeof(struct sluice_efi_header) <= end; pa += 8) {
		const struct sluice_efi_header *h = (const void *)(uintptr_t)load_addr(runs, nr, pa);

		if (h->magic == SLUICE_EFI_HDR_MAGIC) {
			*entry = h->entry64;
			return true;
		}
	}
	return false;
}

/*
 * Loads path into memory. On success *k describes the image, including any
 * moves still to do; its pages stay allocated as EfiLoaderData (released by
 * loader.c if a later step fails).
 */
EFI_STATUS kernel_load(EFI_FILE_HANDLE root, const char *path,
		       struct kernel_image *k)
{
	struct elf64_phdr seg[KERNEL_PHDRS_MAX];
	struct run runs[KERNEL_PHDRS_MAX];
	struct elf64_ehdr eh;
	EFI_FILE_HANDLE fh;
	u64 file_size;
	u32 n, nr, i;
	bool entry_inside = false;
	EFI_STATUS st;

	k->nr_moves = 0;
	st = file_open(root, path, &fh, &file_size);
	if (EFI_ERROR(st))
		return st;
	if (file_size < sizeof(eh)) {
		st = con_fail(EFI_LOAD_ERROR, "%s is too short for an ELF header (%lu bytes)", path, file_size);
		goto out;
	}
	st = file_read_at(fh, path, 0, &eh, sizeof(eh));
	if (!EFI_ERROR(st))
		st = check_ehdr(&eh, file_size, path);
	if (!EFI_ERROR(st))
		st = read_segments(fh, path, &eh, file_size, seg, &n);
	if (!EFI_ERROR(st))
		st = plan_runs(seg, n, path, runs, &nr);
	if (EFI_ERROR(st))
		goto out;

	for (i = 0; i < nr; i++) {
		st = alloc_run(&runs[i], k);
		if (EFI_ERROR(st))
			goto out;
		ZeroMem((void *)(uintptr_t)runs[i].load_pa, runs[i].end - runs[i].start);
	}
	for (i = 0; i < n; i++) {
		if (seg[i].p_filesz) {
			u64 to = load_addr(runs, nr, seg[i].p_paddr);

			st = file_read_at(fh, path, seg[i].p_offset,
					  (void *)(uintptr_t)to, seg[i].p_filesz);
			if (EFI_ERROR(st))
				goto out;
		}
	}

	if (!find_efi_header(&seg[0], runs, nr, &k->entry_pa)) {
		st = con_fail(EFI_LOAD_ERROR, "%s: no sluice_efi_header (magic 0x%016llx) in the first 32 KiB of its first PT_LOAD", path, SLUICE_EFI_HDR_MAGIC);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (k->entry_pa >= seg[i].p_paddr && k->entry_pa < seg[i].p_paddr + seg[i].p_memsz)
			entry_inside = true;
	if (!entry_inside) {
		st = con_fail(EFI_LOAD_ERROR, "%s: entry64 0x%016lx is outside every PT_LOAD segment", path, k->entry_pa);
		goto out;
	}
	k->start_pa = runs[0].start;
	k->end_pa = runs[nr - 1].end;
	k->nr_segments = n;
out:
	file_close(fh);
	return st;
}
