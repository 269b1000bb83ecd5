/*
 * Bus memory address space for BARs and bridge windows that Sluice places
 * itself (VF BARs when firmware left no room): the ranges the host bridge
 * decodes, first-fit allocation clear of every BAR and window in the
 * device list, and placement below a bridge that grows or moves the
 * bridge windows on the way up (type 1 header, PCIe Base 6.3 §7.5.1.3.8-10).
 * No I/O space, and no _CRS: the ranges come from the memory map (right on
 * QEMU; on real servers the DSDT's _CRS is the authority).
 */
#define LOG_SUBSYS "pci"
#include "pci/pci_space.h"
#include "pci/pci_hw.h"
#include "kernel/direct_map.h"
#include "kernel/err.h"
#include "kernel/log.h"

#define WINDOW_ALIGN            PCI_MEM_WIN_ALIGN       /* memory windows: whole MiB */
#define FOUR_GIB                (4 * GiB)
#define PATH_MAX_DEPTH          16      /* bridges between a function and its host bridge */
#define SCAN_MAX_STEPS          4096    /* candidate positions tried per range */

static struct pci_space_range ranges[PCI_SPACE_MAX_RANGES];
static u32 nr_ranges;

void pci_space_reset(void)
{
	nr_ranges = 0;
}

/*
 * Registers [base, base + size) as memory space the host bridge decodes.
 * above_4g says the range is for 64-bit BARs and windows (it must then lie
 * wholly above 4 GiB; otherwise wholly below). Returns 0, -HV_EINVAL for
 * an empty, wrapping or misplaced range, -HV_EEXIST when it overlaps one
 * already registered, -HV_ENOMEM when the table is full.
 */
int pci_space_add(u64 base, u64 size, bool above_4g)
{
	u64 end = base + size;

	if (!size || end < base || (above_4g && base < FOUR_GIB) || (!above_4g && end > FOUR_GIB))
		return -HV_EINVAL;
	for (u32 i = 0; i < nr_ranges; i++)
		if (base < ranges[i].base + ranges[i].size && ranges[i].base < end)
			return -HV_EEXIST;
	if (nr_ranges == PCI_SPACE_MAX_RANGES)
		return -HV_ENOMEM;

	u32 at = nr_ranges;
	while (at > 0 && ranges[at - 1].base > base) {
		ranges[at] = ranges[at - 1];
		at--;
	}
	ranges[at] = (struct pci_space_range){ base, size, above_4g };
	nr_ranges++;
	log_dbg("bus address space [0x%016llx-0x%016llx] registered for reassignment (%s)",
		(unsigned long long)base, (unsigned long long)(end - 1),
		above_4g ? "64-bit" : "32-bit");
	return 0;
}

static bool is_ram(u32 type)
{
	return type == BOOT_MEM_USABLE || type == BOOT_MEM_ACPI || type == BOOT_MEM_NVS;
}

/*
 * Appends [lo, hi) minus every memory-map entry, each piece trimmed inward
 * to whole MiB, to out[*n..max). The map is sorted and free of overlaps.
 */
static void add_gaps(const struct memmap *m, u64 lo, u64 hi, bool above_4g,
		     struct pci_space_range *out, u32 *n, u32 max)
{
	u64 at = lo;

	for (u32 i = 0; i <= m->nr && at < hi; i++) {
		u64 eb = i < m->nr ? m->e[i].base : hi;
		u64 ee = i < m->nr ? m->e[i].base + m->e[i].size : hi;
		if (ee <= at)
			continue;
		u64 b = ALIGN_UP(at, WINDOW_ALIGN), e = ALIGN_DOWN(MIN(eb, hi), WINDOW_ALIGN);
		if (b < e && *n < max)
			out[(*n)++] = (struct pci_space_range){ b, e - b, above_4g };
		at = MAX(at, ee);
	}
}

u32 pci_space_from_memmap(const struct memmap *m, u32 phys_bits,
			  struct pci_space_range *out, u32 max)
{
	u64 low_top = 0, ram_top = 0;
	u32 n = 0;

	for (u32 i = 0; i < m->nr; i++) {
		const struct boot_mmap_entry *e = &m->e[i];
		if (!is_ram(e->type))
			continue;
		ram_top = MAX(ram_top, e->base + e->size);
		if (e->base < FOUR_GIB)
			low_top = MAX(low_top, MIN(e->base + e->size, FOUR_GIB));
	}
	if (low_top < PCI_IOAPIC_BASE)
		add_gaps(m, low_top, PCI_IOAPIC_BASE, false, out, &n, max);

	if (!phys_bits)
		phys_bits = PCI_PHYS_BITS_MIN;
	u64 hi_end = phys_bits >= 64 ? ~0ULL : 1ULL << phys_bits;
	hi_end = MIN(hi_end, DIRECT_MAP_END);
	u64 hi_start = MAX(FOUR_GIB, ALIGN_UP(ram_top, GiB));
	if (hi_start < hi_end)
		add_gaps(m, hi_start, hi_end, true, out, &n, max);

	log_dbg("bus address space taken from the memory map, QEMU-grade: on real servers the host bridge's _CRS (DSDT) is the authority and Sluice does not parse AML yet");
	return n;
}

u32 pci_space_nr_ranges(void)
{
	return nr_ranges;
}

const struct pci_space_range *pci_space_range_at(u32 i)
{
	return i < nr_ranges ? &ranges[i] : NULL;
}

bool pci_space_covers(u64 base, u64 size)
{
	for (u32 i = 0; i < nr_ranges; i++)
		if (base >= ranges[i].base && size <= ranges[i].size &&
		    base - ranges[i].base <= ranges[i].size - size)
			return true;
	return false;
}

/* True when d sits somewhere below bridge b. */
static bool is_below(const struct pci_dev *d, const struct pci_dev *b)
{
	for (const struct pci_dev *p = d->parent; p; p = p->parent)
		if (p == b)
			return true;
	return false;
}

/* [b, b + bs) against [a, a + as); on overlap *next = a + as. */
static bool overlaps(u64 b, u64 bs, u64 a, u64 as, u64 *next)
{
	if (!as || !(b < a + as && a < b + bs))
		return false;
	if (next)
		*next = a + as;
	return true;
}

static bool window_hit(u64 b, u64 bs, const struct pci_window *w, u64 shift, u64 *next)
{
	if (w->base > w->limit)
		return false;
	return overlaps(b, bs, w->base + shift, w->limit - w->base + 1, next);
}

bool pci_space_collides(u64 base, u64 size, const struct pci_space_view *v, u64 *next)
{
	static const struct pci_space_view none;

	if (!v)
		v = &none;
	for (u32 i = 0; i < pci_nr_devs(); i++) {
		const struct pci_dev *d = pci_dev_at(i);
		if (v->container && v->skip_below && is_below(d, v->container))
			continue;
		u64 sh = v->shift_root && is_below(d, v->shift_root) ? v->shift : 0;
		for (u32 j = 0; j < PCI_NR_BARS; j++) {
			const struct pci_bar *b = &d->bars[j];
			if ((b->type == PCI_BAR_MEM32 || b->type == PCI_BAR_MEM64) && b->addr &&
			    overlaps(base, size, b->addr + sh, b->size, next))
				return true;
		}
		if (d->hdr_type != PCI_HEADER_BRIDGE)
			continue;
		/* A container's own window, and its ancestors', are there to hold it. */
		if (v->container && (d == v->container || is_below(v->container, d)))
			continue;
		if (window_hit(base, size, &d->mem_win, sh, next) ||
		    window_hit(base, size, &d->pref_win, sh, next))
			return true;
	}
	for (u32 i = 0; i < v->nr_extra; i++)
		if (overlaps(base, size, v->extra[i].base, v->extra[i].size, next))
			return true;
	return false;
}

/* First fit of size bytes aligned to align in r; 0 and *base or -HV_ENOMEM. */
static int fit(const struct pci_space_range *r, u64 size, u64 align, u64 *base)
{
	u64 end = r->base + r->size, at = ALIGN_UP(r->base, align), next;

	while (at >= r->base && at < end && size <= end - at) {
		if (!pci_space_collides(at, size, NULL, &next)) {
			*base = at;
			return 0;
		}
		at = ALIGN_UP(next, align);
	}
	return -HV_ENOMEM;
}

int pci_space_alloc(u64 size, u64 align, bool above_4g, u64 *base)
{
	if (!size || !align || (align & (align - 1)))
		return -HV_EINVAL;
	/* Space above 4 GiB first: the 32-bit hole is small and many need it. */
	for (int pass = above_4g ? 0 : 1; pass < 2; pass++)
		for (u32 i = 0; i < nr_ranges; i++)
			if (ranges[i].above_4g == (pass == 0) && !fit(&ranges[i], size, align, base))
				return 0;
	return -HV_ENOMEM;
}

/* ---- placement below a bridge ---------------------------------------------- */

struct placer {
	struct pci_dev *path[PATH_MAX_DEPTH];   /* parent, its parent, ... the root port */
	u32 depth;
	u64 size, align;
	bool pref;              /* the window kind being tried */
	bool above_ok;          /* the range may lie above 4 GiB */
	struct pci_range *taken;
	u32 nr_taken;
	/* each path bridge's window as valid() last found it must become */
	u64 hull_base[PATH_MAX_DEPTH], hull_limit[PATH_MAX_DEPTH];
};

static u16 rd16(const struct pci_dev *d, u16 off) { return (u16)pci_cfg_read(d->sbdf, off, 2); }
static u32 rd32(const struct pci_dev *d, u16 off) { return pci_cfg_read(d->sbdf, off, 4); }
static void wr16(const struct pci_dev *d, u16 off, u16 v) { pci_cfg_write(d->sbdf, off, 2, v); }
static void wr32(const struct pci_dev *d, u16 off, u32 v) { pci_cfg_write(d->sbdf, off, 4, v); }

static struct pci_window *win(struct pci_dev *b, bool pref)
{
	return pref ? &b->pref_win : &b->mem_win;
}

static bool win_open(const struct pci_window *w)
{
	return w->base <= w->limit;
}

/* pci_windows_read() marks an optional window the bridge lacks this way. */
static bool win_absent(const struct pci_window *w)
{
	return w->base == ~0ULL && w->limit == 0;
}

static bool inside(u64 a, u64 size, const struct pci_window *w)
{
	return win_open(w) && size && a >= w->base && a + size - 1 >= a && a + size - 1 <= w->limit;
}

static bool is_mem_bar(const struct pci_bar *b)
{
	return (b->type == PCI_BAR_MEM32 || b->type == PCI_BAR_MEM64) && b->size;
}

/*
 * Whether pl->size bytes at v will do: v collides with nothing but the
 * windows meant to hold it, and each path bridge's window, grown to take
 * v in (whole MiB), swallows nothing of its neighbours; the top bridge may
 * grow only into registered space. With shift_root (always the top bridge),
 * everything below it is judged as if moved by shift. Fills pl->hull_*.
 */
static bool valid(struct placer *pl, u64 v, const struct pci_dev *shift_root, u64 shift)
{
	u64 end = v + pl->size;

	if (end < v || (!pl->above_ok && end > FOUR_GIB))
		return false;
	struct pci_space_view vv = {
		.container = pl->depth ? pl->path[0] : NULL,
		.shift_root = shift_root, .shift = shift,
		.extra = pl->taken, .nr_extra = pl->nr_taken,
	};
	if (pci_space_collides(v, pl->size, &vv, NULL))
		return false;
	if (!pl->depth)
		return pci_space_covers(v, pl->size);

	u64 lo = v, hi = end - 1, sh = shift_root ? shift : 0;
	for (u32 k = 0; k < pl->depth; k++) {
		struct pci_dev *b = pl->path[k];
		const struct pci_window *w = win(b, pl->pref);
		if (win_open(w)) {
			lo = MIN(lo, w->base + sh);
			hi = MAX(hi, w->limit + sh);
		}
		lo = ALIGN_DOWN(lo, WINDOW_ALIGN);
		hi = ALIGN_UP(hi + 1, WINDOW_ALIGN) - 1;
		/* The non-prefetchable window, and a 32-bit prefetchable one, end below 4 GiB. */
		if (hi >= FOUR_GIB && !(pl->pref && b->pref_win.is64))
			return false;
		struct pci_space_view hv = {
			.container = b, .skip_below = true, .shift_root = shift_root, .shift = shift,
		};
		if (pci_space_collides(lo, hi - lo + 1, &hv, NULL))
			return false;
		pl->hull_base[k] = lo;
		pl->hull_limit[k] = hi;
	}
	if (shift_root)
		return true;    /* the top window moves to a region allocated for it */
	const struct pci_window *w = win(pl->path[pl->depth - 1], pl->pref);
	if (!win_open(w))
		return pci_space_covers(lo, hi - lo + 1);
	if (lo < w->base && !pci_space_covers(lo, w->base - lo))
		return false;
	return hi <= w->limit || pci_space_covers(w->limit + 1, hi - w->limit);
}

/* First position in [lo, hi] where valid() holds, stepping past what collides. */
static bool scan(struct placer *pl, u64 lo, u64 hi, u64 *v)
{
	struct pci_space_view vv = {
		.container = pl->depth ? pl->path[0] : NULL,
		.extra = pl->taken, .nr_extra = pl->nr_taken,
	};
	u64 at = ALIGN_UP(lo, pl->align), next;

	for (u32 n = 0; n < SCAN_MAX_STEPS && at >= lo && at <= hi && pl->size - 1 <= hi - at; n++) {
		if (pci_space_collides(at, pl->size, &vv, &next)) {
			at = ALIGN_UP(next, pl->align);
		} else if (valid(pl, at, NULL, 0)) {
			*v = at;
			return true;
		} else {
			at = ALIGN_UP(at + 1, MAX(pl->align, WINDOW_ALIGN));
		}
	}
	return false;
}

static const char *win_name(bool pref)
{
	return pref ? "bridge prefetchable memory window" : "bridge memory window";
}

/*
 * Programs bridge b's window with its memory decoding off; afterwards
 * Command is restored, with Memory Space Enable set when enable.
 */
static void window_write(struct pci_dev *b, bool pref, u64 base, u64 limit, bool enable)
{
	u16 cmd = rd16(b, PCI_COMMAND);
	u32 lohi = (u32)((base >> 16) & 0xfff0) | (u32)(limit & 0xfff00000);

	wr16(b, PCI_COMMAND, (u16)(cmd & ~PCI_COMMAND_MEM));
	if (pref) {
		wr32(b, PCI_PREF_BASE, lohi);
		if (b->pref_win.is64) {
			wr32(b, PCI_PREF_BASE_UPPER, (u32)(base >> 32));
			wr32(b, PCI_PREF_LIMIT_UPPER, (u32)(limit >> 32));
		}
	} else {
		wr32(b, PCI_MEM_BASE, lohi);
	}
	wr16(b, PCI_COMMAND, (u16)(enable ? cmd | PCI_COMMAND_MEM : cmd));
	win(b, pref)->base = base;
	win(b, pref)->limit = limit;
}

/*
 * Gives each path bridge the window valid() computed, logging those that
 * change; every path bridge ends with Memory Space Enable set, since what
 * was placed is reached through it.
 */
static void apply_hulls(struct placer *pl)
{
	for (u32 k = 0; k < pl->depth; k++) {
		struct pci_dev *b = pl->path[k];
		struct pci_window *w = win(b, pl->pref);
		bool open = win_open(w);
		if (open && w->base == pl->hull_base[k] && w->limit == pl->hull_limit[k]) {
			u16 cmd = rd16(b, PCI_COMMAND);
			if (!(cmd & PCI_COMMAND_MEM))
				wr16(b, PCI_COMMAND, (u16)(cmd | PCI_COMMAND_MEM));
			continue;
		}
		window_write(b, pl->pref, pl->hull_base[k], pl->hull_limit[k], true);
		log_info(SBDF_FMT ": %s %s [0x%016llx-0x%016llx] for VF BARs (firmware left no room)",
			 SBDF_ARGS(b->sbdf), win_name(pl->pref), open ? "grown to" : "opened at",
			 (unsigned long long)pl->hull_base[k], (unsigned long long)pl->hull_limit[k]);
	}
}

/* Rewrites BAR j of d at addr with d's memory decoding off. */
static void bar_move(struct pci_dev *d, u32 j, u64 addr)
{
	u16 off = (u16)(PCI_BAR0 + 4 * j);
	u16 cmd = rd16(d, PCI_COMMAND);
	u32 lo = rd32(d, off);

	wr16(d, PCI_COMMAND, (u16)(cmd & ~PCI_COMMAND_MEM));
	wr32(d, off, (u32)(addr & PCI_BAR_MEM_ADDR) | (u32)(lo & ~PCI_BAR_MEM_ADDR));
	if (d->bars[j].type == PCI_BAR_MEM64)
		wr32(d, off + 4, (u32)(addr >> 32));
	wr16(d, PCI_COMMAND, cmd);
	d->bars[j].addr = addr;
}

/*
 * Last resort: moves the top bridge's window, with every BAR and window
 * inside it, by one shift to a fresh pci_space region with room for
 * pl->size more bytes at its end. Refused when VFs live below the top
 * bridge (their BARs are their PF's registers). Returns true with *v at
 * the end of the new window; valid() must then be run for the path below.
 */
static bool move_top(struct placer *pl, u64 *v)
{
	if (!pl->depth)
		return false;
	struct pci_dev *top = pl->path[pl->depth - 1];
	struct pci_window old = *win(top, pl->pref);
	if (!win_open(&old))
		return false;

	/* The shift keeps every alignment if the new base is aligned to the largest. */
	u64 align = MAX(WINDOW_ALIGN, pl->align);
	bool high = pl->above_ok;
	for (u32 i = 0; i < pci_nr_devs(); i++) {
		const struct pci_dev *d = pci_dev_at(i);
		if (!is_below(d, top))
			continue;
		if (d->kind == PCI_KIND_VF)
			return false;
		for (u32 j = 0; j < PCI_NR_BARS; j++) {
			if (is_mem_bar(&d->bars[j]) && inside(d->bars[j].addr, d->bars[j].size, &old)) {
				align = MAX(align, d->bars[j].size);
				high = high && d->bars[j].type == PCI_BAR_MEM64;
			}
		}
		if (d->hdr_type == PCI_HEADER_BRIDGE && pl->pref && win_open(&d->pref_win) &&
		    !d->pref_win.is64)
			high = false;
	}
	for (u32 i = 0; i < pl->nr_taken; i++)
		if (inside(pl->taken[i].base, pl->taken[i].size, &old))
			align = MAX(align, pl->taken[i].align);

	u64 old_size = old.limit - old.base + 1;
	u64 need = ALIGN_UP(ALIGN_UP(old_size, pl->align) + pl->size, WINDOW_ALIGN), r;
	if (pci_space_alloc(need, align, high, &r))
		return false;
	u64 shift = r - old.base;       /* modulo 2^64: a move down works too */
	u64 at = r + ALIGN_UP(old_size, pl->align);
	for (u32 i = 0; i < pl->nr_taken; i++)
		if (inside(pl->taken[i].base, pl->taken[i].size, &old))
			pl->taken[i].base += shift;
	if (!valid(pl, at, top, shift)) {
		for (u32 i = 0; i < pl->nr_taken; i++)
			if (inside(pl->taken[i].base - shift, pl->taken[i].size, &old))
				pl->taken[i].base -= shift;
		return false;
	}

	/* Decoding off at the top while everything below it moves. */
	u16 cmd = rd16(top, PCI_COMMAND);
	wr16(top, PCI_COMMAND, (u16)(cmd & ~PCI_COMMAND_MEM));
	for (u32 i = 0; i < pci_nr_devs(); i++) {
		struct pci_dev *d = pci_dev_at(i);
		if (!is_below(d, top))
			continue;
		for (u32 j = 0; j < PCI_NR_BARS; j++)
			if (is_mem_bar(&d->bars[j]) && inside(d->bars[j].addr, d->bars[j].size, &old))
				bar_move(d, j, d->bars[j].addr + shift);
		struct pci_window *w = win(d, pl->pref);
		if (d->hdr_type == PCI_HEADER_BRIDGE && inside(w->base, w->limit - w->base + 1, &old))
			window_write(d, pl->pref, w->base + shift, w->limit + shift, false);
	}
	window_write(top, pl->pref, r, r + need - 1, false);
	wr16(top, PCI_COMMAND, (u16)(cmd | PCI_COMMAND_MEM));
	log_info(SBDF_FMT ": %s moved to [0x%016llx-0x%016llx] for VF BARs (firmware left no room)",
		 SBDF_ARGS(top->sbdf), win_name(pl->pref), (unsigned long long)r,
		 (unsigned long long)(r + need - 1));
	*v = at;
	return true;
}

/* Whether every bridge on the path has a 64-bit prefetchable window. */
static bool path_is64(const struct placer *pl)
{
	for (u32 k = 0; k < pl->depth; k++)
		if (!pl->path[k]->pref_win.is64)
			return false;
	return true;
}

/* One window kind (pl->pref): every way of pci_space_place() in turn. */
static bool place_kind(struct placer *pl, u64 fw_addr, bool is64, u64 *v)
{
	for (u32 k = 0; k < pl->depth; k++)
		if (pl->pref && win_absent(&pl->path[k]->pref_win))
			return false;
	pl->above_ok = is64 && (!pl->depth || (pl->pref && path_is64(pl)));

	/* Where firmware put it, if that needs no window to change. */
	if (fw_addr && IS_ALIGNED(fw_addr, pl->align)) {
		struct pci_space_view vv = { .extra = pl->taken, .nr_extra = pl->nr_taken };
		if (!pl->depth && !pci_space_collides(fw_addr, pl->size, &vv, NULL)) {
			*v = fw_addr;
			return true;
		}
		if (pl->depth && inside(fw_addr, pl->size, win(pl->path[0], pl->pref)) &&
		    valid(pl, fw_addr, NULL, 0)) {
			apply_hulls(pl);
			*v = fw_addr;
			return true;
		}
	}

	/* Free space in a path window, or right next to one. */
	bool found = false;
	for (u32 k = 0; k < pl->depth && !found; k++) {
		const struct pci_window *w = win(pl->path[k], pl->pref);
		if (!win_open(w))
			continue;
		found = scan(pl, w->base, w->limit, v);
		if (!found && w->limit + 1 > w->limit) {
			*v = ALIGN_UP(w->limit + 1, pl->align);
			found = valid(pl, *v, NULL, 0);
		}
		if (!found && w->base >= pl->size) {
			*v = ALIGN_DOWN(w->base - pl->size, pl->align);
			found = valid(pl, *v, NULL, 0);
		}
	}
	/* Anywhere in registered space: above 4 GiB first when allowed. */
	for (int pass = pl->above_ok ? 0 : 1; pass < 2 && !found; pass++) {
		for (u32 i = 0; i < nr_ranges && !found; i++)
			if (ranges[i].above_4g == (pass == 0))
				found = scan(pl, ranges[i].base, ranges[i].base + ranges[i].size - 1, v);
	}
	if (!found)
		found = move_top(pl, v) && valid(pl, *v, NULL, 0);
	if (found)
		apply_hulls(pl);
	return found;
}

int pci_space_place(struct pci_dev *parent, const struct pci_space_req *req,
		    struct pci_range *taken, u32 nr_taken, u64 *addr)
{
	struct placer pl = {
		.size = req->size, .align = req->align, .taken = taken, .nr_taken = nr_taken,
	};

	if (!req->size || !req->align || (req->align & (req->align - 1)))
		return -HV_EINVAL;
	for (struct pci_dev *b = parent; b; b = b->parent) {
		if (pl.depth == PATH_MAX_DEPTH)
			return -HV_ERANGE;
		pl.path[pl.depth++] = b;
	}
	pl.pref = req->prefetch && pl.depth;
	if (place_kind(&pl, req->fw_addr, req->is64, addr))
		return 0;
	if (pl.pref) {
		pl.pref = false;
		if (place_kind(&pl, req->fw_addr, req->is64, addr))
			return 0;
	}
	return -HV_ENOMEM;
}
