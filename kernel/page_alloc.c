/*
 * Physical page allocator: a sorted table of free [start, end) page ranges,
 * kept merged (no two ranges touch). It never reads or writes the memory it
 * hands out and does not track owners, so a free of pages that were never
 * allocated (but are not free) goes unnoticed. One lock covers the table.
 */
#define LOG_SUBSYS "mem"
#include "kernel/page_alloc.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/spinlock.h"

/* The highest exclusive end a page range can have. */
#define PA_TOP          ALIGN_DOWN(~0ULL, PAGE_SIZE)

struct range {
	u64 start, end;         /* page-aligned, start < end */
};

static struct range ranges[PAGE_ALLOC_RANGES_MAX];
static u32 nr_ranges;
static struct spinlock lock = SPINLOCK_INIT;

/* Index of the first range ending above pa; nr_ranges when there is none. */
static u32 first_above(u64 pa)
{
	u32 lo = 0, hi = nr_ranges;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		if (ranges[mid].end > pa)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void delete_ranges(u32 i, u32 count)
{
	memmove(&ranges[i], &ranges[i + count],
		(nr_ranges - i - count) * sizeof(ranges[0]));
	nr_ranges -= count;
}

/* True when some page of [start, end) is free. */
static bool overlaps_free(u64 start, u64 end)
{
	u32 i = first_above(start);
	return i < nr_ranges && ranges[i].start < end;
}

/* True when every page of [start, end) is free: ranges are merged, so one holds it. */
static bool all_free(u64 start, u64 end)
{
	u32 i = first_above(start);
	return i < nr_ranges && ranges[i].start <= start && ranges[i].end >= end;
}

/*
 * Adds [start, end), which must not overlap a free range, merging it with
 * the ranges it touches. Returns 0 or -HV_ENOMEM when it needs a new slot
 * and the table is full.
 */
static int insert(u64 start, u64 end)
{
	u32 i = first_above(start);
	bool join_prev = i > 0 && ranges[i - 1].end == start;
	bool join_next = i < nr_ranges && ranges[i].start == end;

	if (join_prev && join_next) {
		ranges[i - 1].end = ranges[i].end;
		delete_ranges(i, 1);
	} else if (join_prev) {
		ranges[i - 1].end = end;
	} else if (join_next) {
		ranges[i].start = start;
	} else {
		if (nr_ranges == PAGE_ALLOC_RANGES_MAX)
			return -HV_ENOMEM;
		memmove(&ranges[i + 1], &ranges[i], (nr_ranges - i) * sizeof(ranges[0]));
		ranges[i] = (struct range){ start, end };
		nr_ranges++;
	}
	return 0;
}

/*
 * Takes [start, end) out of the free ranges, whatever part of it is free.
 * Returns 0, or -HV_ENOMEM (nothing changed) when a range must be split and
 * the table is full.
 */
static int carve(u64 start, u64 end)
{
	u32 i = first_above(start);

	if (i < nr_ranges && ranges[i].start < start && ranges[i].end > end) {
		if (nr_ranges == PAGE_ALLOC_RANGES_MAX)
			return -HV_ENOMEM;
		memmove(&ranges[i + 2], &ranges[i + 1],
			(nr_ranges - i - 1) * sizeof(ranges[0]));
		ranges[i + 1] = (struct range){ end, ranges[i].end };
		ranges[i].end = start;
		nr_ranges++;
		return 0;
	}
	if (i < nr_ranges && ranges[i].start < start) {
		ranges[i].end = start;  /* keeps its head; its tail lies inside */
		i++;
	}
	u32 j = i;
	while (j < nr_ranges && ranges[j].end <= end)
		j++;
	if (j < nr_ranges && ranges[j].start < end)
		ranges[j].start = end;  /* keeps its tail */
	delete_ranges(i, j - i);
	return 0;
}

/*
 * Checks a page run for page_alloc_fixed and page_free and turns it into
 * [*start, *end). Returns 0 or -HV_EINVAL (unaligned, empty, wraps).
 */
static int page_run(u64 pa, u64 npages, u64 *start, u64 *end)
{
	if (!IS_ALIGNED(pa, PAGE_SIZE) || npages == 0 || npages > (~0ULL >> PAGE_SHIFT))
		return -HV_EINVAL;
	u64 size = npages << PAGE_SHIFT;
	if (size > PA_TOP - pa)
		return -HV_EINVAL;
	*start = pa;
	*end = pa + size;
	return 0;
}

/*
 * Empties the table, then frees the usable entries of m, each trimmed
 * inward to pages. Returns 0 or -HV_ENOMEM (the table holds what fitted).
 */
int page_alloc_init(const struct memmap *m)
{
	int ret = 0;

	spin_lock(&lock);
	nr_ranges = 0;
	for (u32 i = 0; i < m->nr && ret == 0; i++) {
		const struct boot_mmap_entry *e = &m->e[i];
		if (e->type != BOOT_MEM_USABLE || e->size > ~0ULL - e->base)
			continue;
		u64 end = ALIGN_DOWN(e->base + e->size, PAGE_SIZE);
		if (e->base >= end)
			continue;
		u64 start = ALIGN_UP(e->base, PAGE_SIZE);
		if (start == end)
			continue;
		/* A normalised map never overlaps itself; take the union if one does. */
		ret = carve(start, end);
		if (ret == 0)
			ret = insert(start, end);
	}
	spin_unlock(&lock);
	return ret;
}

/* See page_alloc.h. A range reaching past 2^64 is reserved to the top. */
int page_alloc_reserve(u64 pa, u64 size, const char *why)
{
	u64 start = ALIGN_DOWN(pa, PAGE_SIZE);
	u64 end = pa >= PA_TOP || size > PA_TOP - pa ? PA_TOP : ALIGN_UP(pa + size, PAGE_SIZE);
	int ret = 0;

	if (size == 0)
		return 0;
	spin_lock(&lock);
	if (start < end)
		ret = carve(start, end);
	spin_unlock(&lock);
	log_dbg("reserve [0x%016lx-0x%016lx] %s%s", start, end - 1, why ? why : "?",
		ret < 0 ? ": table full" : "");
	return ret;
}

/*
 * First fit: the lowest aligned run of npages free pages. Changes the table
 * only on success.
 */
int page_alloc_pages(u64 npages, u64 align, u64 *pa)
{
	int ret = -HV_ENOMEM;

	if (npages == 0 || npages > (~0ULL >> PAGE_SHIFT) || align < PAGE_SIZE ||
	    (align & (align - 1)) || !pa)
		return -HV_EINVAL;
	u64 size = npages << PAGE_SHIFT;

	spin_lock(&lock);
	for (u32 i = 0; i < nr_ranges; i++) {
		u64 a = ALIGN_UP(ranges[i].start, align);
		if (a < ranges[i].start)
			break;          /* aligning wrapped: nothing higher fits */
		if (a >= ranges[i].end || ranges[i].end - a < size)
			continue;
		ret = carve(a, a + size);
		if (ret == 0)
			*pa = a;
		break;
	}
	spin_unlock(&lock);
	return ret;
}

int page_alloc_fixed(u64 pa, u64 npages)
{
	u64 start, end;
	int ret = page_run(pa, npages, &start, &end);

	if (ret < 0)
		return ret;
	spin_lock(&lock);
	ret = all_free(start, end) ? carve(start, end) : -HV_EBUSY;
	spin_unlock(&lock);
	return ret;
}

/*
 * Returns [pa, pa + npages pages) to the free ranges, merged with its
 * neighbours. -HV_EINVAL (nothing changed) when any page is already free or
 * the run is malformed; -HV_ENOMEM when it needs a slot and the table is full.
 */
int page_free(u64 pa, u64 npages)
{
	u64 start, end;
	int ret = page_run(pa, npages, &start, &end);

	if (ret < 0)
		return ret;
	spin_lock(&lock);
	ret = overlaps_free(start, end) ? -HV_EINVAL : insert(start, end);
	spin_unlock(&lock);
	return ret;
}

u64 page_alloc_free_pages(void)
{
	u64 pages = 0;

	spin_lock(&lock);
	for (u32 i = 0; i < nr_ranges; i++)
		pages += (ranges[i].end - ranges[i].start) >> PAGE_SHIFT;
	spin_unlock(&lock);
	return pages;
}

/* Pages touched by [pa, pa+size) count; an empty range is free, a wrapping one is not. */
bool page_alloc_is_free(u64 pa, u64 size)
{
	bool ret;

	if (size == 0)
		return true;
	if (pa >= PA_TOP || size > PA_TOP - pa)
		return false;
	spin_lock(&lock);
	ret = all_free(ALIGN_DOWN(pa, PAGE_SIZE), ALIGN_UP(pa + size, PAGE_SIZE));
	spin_unlock(&lock);
	return ret;
}

/* Logs each free range (end inclusive) and a total, at debug level. */
void page_alloc_print(void)
{
	u64 pages = 0;

	spin_lock(&lock);
	for (u32 i = 0; i < nr_ranges; i++) {
		u64 n = (ranges[i].end - ranges[i].start) >> PAGE_SHIFT;
		log_dbg("free [0x%016lx-0x%016lx] %lu pages", ranges[i].start,
			ranges[i].end - 1, n);
		pages += n;
	}
	log_dbg("free: %u ranges, %lu pages (%lu MiB)", nr_ranges, pages,
		pages >> (20 - PAGE_SHIFT));
	spin_unlock(&lock);
}
