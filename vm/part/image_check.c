/*
 * Whether a guest partition's image and modules exist among the boot
 * modules and fit its memory, before anything is claimed: the check
 * partition_check() calls (struct partition_host.image_check), and the
 * helpers vm/part/partition.c loads the image with. Apart from the
 * partition build so that tools/sluice-check runs the same check.
 */
#define LOG_SUBSYS "part"
#include "vm/part/image_check.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/hw/mem.h"

const struct boot_module *part_boot_module_find(const struct boot_module *m, u32 nr, const char *name)
{
	for (u32 i = 0; i < nr; i++)
		if (!strcmp(m[i].name, name))
			return &m[i];
	return NULL;
}

/* The partition's memory as the loader sees it: GPA ranges with host pointers. */
u32 part_memory_view(const struct partition_cfg *d, struct guest_region *v, u32 max)
{
	u32 n = 0;
	for (u32 i = 0; i < d->nr_regions && n < max; i++) {
		const struct part_region *r = &d->regions[i];
		if (r->rmrr)
			continue;
		v[n].gpa = r->gpa;
		v[n].size = r->size;
		v[n].host = r->claimed || r->hpa_fixed ? phys_to_virt(r->hpa, r->size) : NULL;
		v[n].writable = (r->prot & IOMMU_WRITE) != 0;
		n++;
	}
	return n;
}

/*
 * What d's Multiboot or Linux kernel is handed: its command line and its
 * modules' (Linux: its initrd's) boot modules, bytes included when data.
 * 0, or -HV_ENOENT with *missing the module line whose boot module does
 * not exist. An elf64 guest gets nothing (the config check refuses the
 * keys for it).
 */
int part_guest_boot(const struct partition_cfg *d, const struct boot_module *mods, u32 nr_mods, bool data,
		    struct guest_boot *b, const struct part_module **missing)
{
	bool is_linux = d->entry == GUEST_ENTRY_LINUX;
	const struct part_module *list = is_linux ? &d->initrd : d->modules;
	u32 nr = is_linux ? (d->initrd.name[0] ? 1 : 0) : d->nr_modules;

	memset(b, 0, sizeof(*b));
	if (d->entry == GUEST_ENTRY_ELF64)
		return 0;
	b->pc_vectors = d->legacy_pic && !is_linux;
	b->cmdline = d->cmdline;
	for (u32 i = 0; i < nr && i < GUEST_MAX_MODULES; i++) {
		const struct boot_module *m = part_boot_module_find(mods, nr_mods, list[i].name);
		if (!m) {
			*missing = &list[i];
			return -HV_ENOENT;
		}
		struct guest_module *g = &b->mods[b->nr_mods++];
		g->data = data ? phys_to_virt(m->start_pa, m->size) : NULL;
		g->size = m->size;
		g->string = list[i].string;
	}
	return 0;
}

/* Per entry mode (enum guest_entry): the loader's mode, its name in the log, the key naming its boot modules. */
static const struct {
	enum guest_image_mode mode;
	const char *name, *module_key;
} entries[] = {
	[GUEST_ENTRY_ELF64] = { GUEST_IMAGE_ELF64, "elf64", "module" },
	[GUEST_ENTRY_MULTIBOOT] = { GUEST_IMAGE_MULTIBOOT, "multiboot", "module" },
	[GUEST_ENTRY_LINUX] = { GUEST_IMAGE_LINUX, "linux", "initrd" },
};

enum guest_image_mode part_entry_mode(enum guest_entry e) { return entries[e].mode; }
const char *part_entry_name(enum guest_entry e) { return entries[e].name; }

int partition_image_check(void *ctx, const struct partition_cfg *d, u32 *line, char *why, size_t len)
{
	const struct partition_module_list *ml = ctx;
	const struct boot_module *m = part_boot_module_find(ml->m, ml->nr, d->image);
	const struct part_module *missing = NULL;
	struct guest_region view[PART_MAX_REGIONS];
	struct guest_boot boot;

	if (!m) {
		fmt_snprintf(why, len, "no boot module named '%s'", d->image);
		return -HV_ENOENT;
	}
	const void *img = phys_to_virt(m->start_pa, m->size);
	if (!img) {
		fmt_snprintf(why, len, "module '%s' is outside the direct map", d->image);
		return -HV_ERANGE;
	}
	if (part_guest_boot(d, ml->m, ml->nr, false, &boot, &missing)) {
		*line = missing->line;
		fmt_snprintf(why, len, "%s = %s: no boot module named '%s'", entries[d->entry].module_key, missing->string,
			     missing->name);
		return -HV_ENOENT;
	}
	u32 n = part_memory_view(d, view, ARRAY_SIZE(view));
	for (u32 i = 0; i < n; i++)
		view[i].host = NULL;    /* not claimed yet: check only */
	enum guest_image_mode mode = entries[d->entry].mode;
	u32 nr_mods = boot.nr_mods;
	/* The image alone first, then one module more at a time: a problem is the image's, or the first module's that does not fit. */
	for (u32 k = 0; k <= nr_mods; k++) {
		boot.nr_mods = k;
		int ret = guest_image_check(img, m->size, mode, view, n, &boot, why, len);
		if (ret && k) {
			char what[128];
			str_copy(what, why, sizeof(what));
			const struct part_module *pm = d->entry == GUEST_ENTRY_LINUX ? &d->initrd : &d->modules[k - 1];
			*line = pm->line;
			fmt_snprintf(why, len, "%s = %s: %llu bytes do not fit: %s", entries[d->entry].module_key, pm->string,
				     (unsigned long long)boot.mods[k - 1].size, what);
		}
		if (ret)
			return ret;
	}
	return 0;
}
