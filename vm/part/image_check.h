/*
 * vm/part/image_check.c: a guest partition's image and modules checked
 * against the boot modules and its memory, and the helpers the partition
 * build shares with that check.
 */
#ifndef VM_PART_IMAGE_CHECK_H
#define VM_PART_IMAGE_CHECK_H
#include "kernel/types.h"
#include "kernel/boot_info.h"
#include "vm/config/partition_cfg.h"
#include "vm/part/guest_image.h"

/* The boot modules, for partition_image_check(). */
struct partition_module_list {
	const struct boot_module *m;
	u32 nr;
};

/*
 * The image check partition_check() calls (struct partition_host.image_check):
 * ctx is a struct partition_module_list.
 */
int partition_image_check(void *ctx, const struct partition_cfg *d, u32 *line, char *why, size_t len);

/* The boot module named name, or NULL. */
const struct boot_module *part_boot_module_find(const struct boot_module *m, u32 nr, const char *name);
/* The partition's memory as the loader sees it: GPA ranges with host pointers (at most max). */
u32 part_memory_view(const struct partition_cfg *d, struct guest_region *v, u32 max);
/*
 * What d's Multiboot or Linux kernel is handed: its command line and its
 * modules' (Linux: its initrd's) boot modules, bytes included when data.
 * 0, or -HV_ENOENT with *missing the module line whose boot module does
 * not exist. An elf64 guest gets nothing.
 */
int part_guest_boot(const struct partition_cfg *d, const struct boot_module *mods, u32 nr_mods, bool data,
		    struct guest_boot *b, const struct part_module **missing);
/* The loader's mode and the log's name of an entry mode (entry = ...). */
enum guest_image_mode part_entry_mode(enum guest_entry e);
const char *part_entry_name(enum guest_entry e);

#endif
