/*
 * Normalising the boot memory map (E820, Multiboot2 or UEFI, already
 * translated to enum boot_mem_type). Every raw entry becomes two edges; one
 * sweep over the sorted edges gives each stretch of addresses the most
 * restrictive type covering it and merges touching stretches of one type.
 * This file only describes memory: page_alloc.c decides what is handed out.
 */
#define LOG_SUBSYS "mem"
#include "kernel/memmap.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"

#define NR_RANKS        6

/*
 * Restrictiveness, least first: where entries overlap, the highest rank wins.
 * Reserved and MMIO are equally off-limits; where they overlap the result is
 * called MMIO, the more specific name for what is there.
 */
static const u8 rank_of[BOOT_MEM_TYPE_MAX + 1] = {
	[BOOT_MEM_USABLE] = 0, [BOOT_MEM_ACPI] = 1, [BOOT_MEM_NVS] = 2,
	[BOOT_MEM_RESERVED] = 3, [BOOT_MEM_MMIO] = 4, [BOOT_MEM_BAD] = 5,
};
static const u32 type_of[NR_RANKS] = {
	BOOT_MEM_USABLE, BOOT_MEM_ACPI, BOOT_MEM_NVS,
	BOOT_MEM_RESERVED, BOOT_MEM_MMIO, BOOT_MEM_BAD,
};

static const char *const type_names[BOOT_MEM_TYPE_MAX + 1] = {
	[BOOT_MEM_USABLE] = "usable", [BOOT_MEM_RESERVED] = "reserved",
	[BOOT_MEM_ACPI] = "ACPI", [BOOT_MEM_NVS] = "ACPI NVS",
	[BOOT_MEM_BAD] = "bad", [BOOT_MEM_MMIO] = "MMIO",
};

struct edge {
	u64 pa;
	u8 rank;
	u8 start;               /* 1: the entry begins at pa; 0: it ends just below pa */
};

/* Work space of memmap_normalise: used on the boot CPU only, before SMP. */
static struct edge edges[2 * MEMMAP_MAX];

const char *memmap_type_name(u32 type)
{
	if (type > BOOT_MEM_TYPE_MAX || !type_names[type])
		return "unknown";
	return type_names[type];
}

static bool type_known(u32 type)
{
	return type >= 1 && type <= BOOT_MEM_TYPE_MAX;
}

/*
 * An entry takes part when it is non-empty and its exclusive end fits in 64
 * bits. Wrapping entries are dropped rather than clipped: they are firmware
 * garbage, and no x86-64 machine has physical addresses near 2^64 (52 bits
 * at most), so an entry reaching 2^64 is dropped too.
 */
static bool raw_ok(const struct boot_mmap_entry *e)
{
	return e->size != 0 && e->size <= ~0ULL - e->base;
}

static u8 raw_rank(const struct boot_mmap_entry *e)
{
	return rank_of[type_known(e->type) ? e->type : BOOT_MEM_RESERVED];
}

/* Edge order: by address; at one address, ends before starts (touching is not overlap). */
static bool edge_before(const struct edge *a, const struct edge *b)
{
	if (a->pa != b->pa)
		return a->pa < b->pa;
	return a->start < b->start;
}

static void sift_down(struct edge *v, u32 root, u32 n)
{
	for (;;) {
		u32 child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && edge_before(&v[child], &v[child + 1]))
			child++;
		if (!edge_before(&v[root], &v[child]))
			return;
		struct edge t = v[root];
		v[root] = v[child];
		v[child] = t;
		root = child;
	}
}

/* Heapsort: O(n log n), no recursion, no allocation. */
static void sort_edges(struct edge *v, u32 n)
{
	for (u32 i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (u32 end = n; end-- > 1;) {
		struct edge t = v[0];
		v[0] = v[end];
		v[end] = t;
		sift_down(v, 0, end);
	}
}

static u32 top_rank(const u32 cnt[NR_RANKS])
{
	for (u32 r = NR_RANKS; r-- > 0;)
		if (cnt[r])
			return r;
	return NR_RANKS;
}

/*
 * The firmware code for a result entry starting at pa with rank r: that of
 * the first raw entry of rank r covering pa. Only the log reads it.
 */
static u32 fw_type_at(const struct boot_mmap_entry *in, u32 n, u64 pa, u32 r)
{
	for (u32 i = 0; i < n; i++)
		if (raw_ok(&in[i]) && raw_rank(&in[i]) == r &&
		    in[i].base <= pa && pa - in[i].base < in[i].size)
			return in[i].fw_type;
	return 0;
}

/*
 * Appends [base, end) to out. Usable RAM is first trimmed inward to whole
 * pages; what is cut off is left out of the map, and an entry holding no
 * whole page disappears. Returns 0 or -HV_ENOMEM when out is full.
 */
static int emit(struct memmap *out, u64 base, u64 end, u32 type, u32 fw_type)
{
	if (type == BOOT_MEM_USABLE) {
		u64 top = ALIGN_DOWN(end, PAGE_SIZE);
		if (base >= top)        /* also keeps ALIGN_UP(base) from wrapping */
			return 0;
		base = ALIGN_UP(base, PAGE_SIZE);
		end = top;
		if (base == end)
			return 0;
	}
	if (out->nr == MEMMAP_MAX)
		return -HV_ENOMEM;
	out->e[out->nr++] = (struct boot_mmap_entry){
		.base = base, .size = end - base, .type = type, .fw_type = fw_type,
	};
	return 0;
}

/*
 * Normalises in[0..n) into *out (which must not alias in); see memmap.h.
 * More than MEMMAP_MAX raw entries is -HV_ENOMEM too: the work space holds
 * that many. On error out->nr is 0. *st, when given, is filled either way.
 * Not reentrant (static work space).
 */
int memmap_normalise(const struct boot_mmap_entry *in, u32 n, struct memmap *out,
		     struct memmap_stats *st)
{
	struct memmap_stats s = { 0 };
	u32 cnt[NR_RANKS] = { 0 }, active = 0, ne = 0, cur_rank = 0, cur_fw = 0;
	u64 cur_base = 0;
	bool open = false;
	int ret = 0;

	out->nr = 0;
	if (n > MEMMAP_MAX) {
		ret = -HV_ENOMEM;
		goto done;
	}
	for (u32 i = 0; i < n; i++) {
		const struct boot_mmap_entry *e = &in[i];
		if (!raw_ok(e)) {
			s.dropped_empty++;
			continue;
		}
		if (!type_known(e->type))
			s.unknown_types++;
		u8 r = raw_rank(e);
		edges[ne++] = (struct edge){ .pa = e->base, .rank = r, .start = 1 };
		edges[ne++] = (struct edge){ .pa = e->base + e->size, .rank = r };
	}
	sort_edges(edges, ne);

	/*
	 * Between two consecutive edge addresses the set of covering entries
	 * is fixed, so the stretch takes the top rank of that set. The open
	 * result entry is emitted when the rank changes or a gap begins.
	 */
	for (u32 i = 0; i < ne;) {
		u64 pa = edges[i].pa;
		u32 started = 0, ended = 0;

		for (; i < ne && edges[i].pa == pa; i++) {
			u8 r = edges[i].rank;
			if (edges[i].start) {
				s.overlaps += active;   /* each one still open overlaps it */
				cnt[r]++;
				active++;
				started |= 1u << r;
			} else {
				cnt[r]--;
				active--;
				ended |= 1u << r;
			}
		}
		u32 r = top_rank(cnt);
		if (open && r == cur_rank) {
			if (started & ended & (1u << r))
				s.merged++;     /* one entry ends where the next begins */
			continue;
		}
		if (open) {
			ret = emit(out, cur_base, pa, type_of[cur_rank], cur_fw);
			if (ret < 0)
				goto done;
			open = false;
		}
		if (active) {
			open = true;
			cur_base = pa;
			cur_rank = r;
			cur_fw = fw_type_at(in, n, pa, r);
		}
	}
done:
	if (ret < 0)
		out->nr = 0;
	if (st)
		*st = s;
	return ret;
}

u64 memmap_usable_bytes_above(const struct memmap *m, u64 pa)
{
	u64 sum = 0;

	for (u32 i = 0; i < m->nr; i++) {
		const struct boot_mmap_entry *e = &m->e[i];
		u64 end = e->base + e->size;
		if (e->type != BOOT_MEM_USABLE || end <= pa)
			continue;
		sum += end - MAX(e->base, pa);
	}
	return sum;
}

u64 memmap_top(const struct memmap *m)
{
	u64 top = 0;

	for (u32 i = 0; i < m->nr; i++)
		top = MAX(top, m->e[i].base + m->e[i].size);
	return top;
}

/*
 * A size for a log line: the largest of GiB, MiB, KiB that divides it
 * exactly or of which it holds at least 100 (so within 1%); bytes otherwise.
 */
static void size_human(u64 size, u64 *val, const char **unit)
{
	static const struct { u64 bytes; const char *name; } units[] = {
		{ GiB, "GiB" }, { MiB, "MiB" }, { KiB, "KiB" },
	};

	for (u32 i = 0; i < ARRAY_SIZE(units); i++) {
		u64 v = size / units[i].bytes;
		if (v && (size % units[i].bytes == 0 || v >= 100)) {
			*val = v;
			*unit = units[i].name;
			return;
		}
	}
	*val = size;
	*unit = "B";
}

/* Logs one INFO line per entry (end inclusive), then a summary line. */
void memmap_print(const struct memmap *m)
{
	for (u32 i = 0; i < m->nr; i++) {
		const struct boot_mmap_entry *e = &m->e[i];
		const char *unit;
		u64 val;

		size_human(e->size, &val, &unit);
		log_info("[0x%016lx-0x%016lx] %s %lu %s", e->base, e->base + e->size - 1,
			 memmap_type_name(e->type), val, unit);
	}
	log_info("%u entries, usable %lu MiB", m->nr, (u64)(memmap_usable_bytes_above(m, 0) / MiB));
}

void memmap_setup(const struct boot_mmap_entry *in, u32 n, struct memmap *out)
{
	struct memmap_stats st;

	if (memmap_normalise(in, n, out, &st))
		log_warn("memory map too large; entries past %u dropped", MEMMAP_MAX);
	if (st.overlaps)
		log_warn("firmware memory map had %u overlapping entries; resolved conservatively", st.overlaps);
	if (st.unknown_types)
		log_warn("%u entries of unknown type taken as reserved", st.unknown_types);
	memmap_print(out);
}
