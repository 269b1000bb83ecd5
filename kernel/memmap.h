/*
 * The physical memory map, normalised from whatever the boot path reported:
 * sorted by base, no zero-size entries, no overlaps, adjacent entries of one
 * type merged, usable RAM trimmed inward to whole pages.
 */
#ifndef KERNEL_MEMMAP_H
#define KERNEL_MEMMAP_H
#include "kernel/types.h"
#include "kernel/boot_info.h"

#define MEMMAP_MAX              BOOT_MMAP_MAX

struct memmap {
	u32 nr;
	struct boot_mmap_entry e[MEMMAP_MAX];
};

struct memmap_stats {
	u32 dropped_empty;      /* zero-size or wrapping entries dropped */
	u32 overlaps;           /* pairs of overlapping entries resolved */
	u32 unknown_types;      /* types outside enum boot_mem_type, taken as reserved */
	u32 merged;             /* adjacent same-type entries merged */
};

/*
 * Normalises n raw entries into *out. Overlaps are resolved conservatively:
 * where two entries overlap, the overlap takes the more restrictive type
 * (usable < ACPI < NVS < reserved/MMIO < bad), so RAM is never invented.
 * Returns 0, or -HV_ENOMEM when there are more than MEMMAP_MAX raw entries
 * or the result does not fit MEMMAP_MAX entries (out->nr is then 0).
 * in and out must not overlap; uses static scratch space (boot CPU only).
 * st may be NULL.
 */
int memmap_normalise(const struct boot_mmap_entry *in, u32 n, struct memmap *out,
		     struct memmap_stats *st);
const char *memmap_type_name(u32 type);
/* Bytes of usable RAM at or above pa. */
u64 memmap_usable_bytes_above(const struct memmap *m, u64 pa);
/* End (exclusive) of the highest entry of any type; 0 for an empty map. */
u64 memmap_top(const struct memmap *m);
/* Logs the map, one line per entry, under subsystem "mem". */
void memmap_print(const struct memmap *m);
/*
 * memmap_normalise, then one WARN per problem it met (entries dropped,
 * overlaps resolved, unknown types), then memmap_print: the boot's and
 * tools/sluice-check's memory map lines, from one place.
 */
void memmap_setup(const struct boot_mmap_entry *in, u32 n, struct memmap *out);

#endif
