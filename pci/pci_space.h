/*
 * Bus memory address space Sluice hands out itself, when firmware left no
 * room (VF BARs): the host bridge's ranges, first-fit allocation clear of
 * every BAR and window, and placement inside a bridge's memory windows,
 * growing or moving them (pci/pci_space.c). pci_space_add() is in pci/pci.h.
 */
#ifndef PCI_PCI_SPACE_H
#define PCI_PCI_SPACE_H
#include "kernel/types.h"
#include "kernel/memmap.h"
#include "pci/pci.h"

#define PCI_SPACE_MAX_RANGES    16
#define PCI_IOAPIC_BASE         0xfec00000ULL   /* the 32-bit space ends here */
#define PCI_PHYS_BITS_MIN       36              /* when CPUID 0x80000008 is absent */

struct pci_space_range {
	u64 base, size;
	bool above_4g;          /* for 64-bit BARs and windows only */
};

/* Bus memory [base, base + size), aligned to align (a power of two). */
struct pci_range {
	u64 base, size, align;
};

/*
 * What counts as taken when looking for room: every memory BAR and open
 * bridge window in the device list, except
 *  - the windows of container and of its ancestors (they are to hold it),
 *  - with skip_below, everything below container as well,
 * with everything below shift_root counted at address + shift (a subtree
 * about to move), plus the extra ranges.
 */
struct pci_space_view {
	const struct pci_dev *container;
	bool skip_below;
	const struct pci_dev *shift_root;
	u64 shift;
	const struct pci_range *extra;
	u32 nr_extra;
};

/* Forgets every registered range (tests; boot registers once). */
void pci_space_reset(void);

/*
 * Guesses the host bridge's memory apertures from the memory map: the gap
 * from the end of the highest RAM (usable, ACPI, NVS) below 4 GiB up to the
 * IOAPIC at 0xfec00000, and from the first 1 GiB boundary above all RAM (at
 * least 4 GiB) up to the smaller of 2^phys_bits and the direct map's end;
 * every memory-map entry is cut out and each piece trimmed to whole MiB.
 * Fills at most max ranges of out; returns how many.
 */
u32 pci_space_from_memmap(const struct memmap *m, u32 phys_bits,
			  struct pci_space_range *out, u32 max);

/* The registered ranges, sorted by base. */
u32 pci_space_nr_ranges(void);
const struct pci_space_range *pci_space_range_at(u32 i);

/* True when [base, base + size) lies inside one registered range. */
bool pci_space_covers(u64 base, u64 size);

/*
 * True when [base, base + size) overlaps something v (NULL: no exception)
 * counts as taken; then *next (may be NULL) is where that thing ends.
 */
bool pci_space_collides(u64 base, u64 size, const struct pci_space_view *v, u64 *next);

/*
 * Finds the lowest size bytes aligned to align inside one registered
 * range that collide with nothing, trying ranges above 4 GiB first when
 * above_4g allows them. The space counts as taken once it is programmed
 * into a BAR or window. Returns 0 and *base, -HV_ENOMEM or -HV_EINVAL.
 */
int pci_space_alloc(u64 size, u64 align, bool above_4g, u64 *base);

/* A memory range to place below a bridge (one VF BAR for all its VFs). */
struct pci_space_req {
	u64 size;               /* bytes */
	u64 align;              /* power of two */
	bool prefetch;          /* may use prefetchable windows */
	bool is64;              /* may lie above 4 GiB */
	u64 fw_addr;            /* where firmware put it; 0: nowhere */
};

/*
 * Places req below parent (NULL: on a host bridge's root bus), in order of
 * least disturbance: where firmware put it, if that lies inside parent's
 * window and collides with nothing; in free space of parent's window;
 * by growing the windows from parent up to the root port (next to a
 * window, into a higher window's free space, or into pci_space at the
 * top); by moving the top bridge's window with everything inside it to a
 * fresh pci_space region. Prefetchable requests try prefetchable windows
 * first, then the non-prefetchable one (below 4 GiB). taken[0..nr_taken)
 * are ranges placed before in the same batch and not yet programmed: a
 * move shifts their bases too, so the caller programs them afterwards.
 * Bridge windows that change are programmed (with memory decoding off,
 * then on) and logged at INFO; bridges on the path are left with Memory
 * Space Enable set. Returns 0 and *addr, or -HV_ENOMEM when there is no
 * room (nothing changed by the failed attempt). Kept simple: a move is
 * refused when VFs already live below the top bridge, and it adds room
 * only at the top of the moved window, which a deeper bridge with a
 * sibling window right above its own cannot grow into.
 */
int pci_space_place(struct pci_dev *parent, const struct pci_space_req *req,
		    struct pci_range *taken, u32 nr_taken, u64 *addr);

#endif
