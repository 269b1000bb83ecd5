/*
 * Host tests for kernel/memmap.c: sorting, overlap resolution by type,
 * merging, page trimming, malformed entries, table limits, and two
 * realistic maps (SeaBIOS e820 on QEMU q35, an OVMF UEFI map).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "kernel/memmap.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "tests/fakes/fake_log.h"

#define USABLE          BOOT_MEM_USABLE
#define RESERVED        BOOT_MEM_RESERVED
#define ACPI            BOOT_MEM_ACPI
#define NVS             BOOT_MEM_NVS
#define BAD             BOOT_MEM_BAD
#define MMIO            BOOT_MEM_MMIO

/* Raw entries as [start, end) so tables read like the firmware's dumps. */
#define RAW(s, e, t)            { .base = (s), .size = (e) - (s), .type = (t) }
#define RAWF(s, e, t, fw)       { .base = (s), .size = (e) - (s), .type = (t), .fw_type = (fw) }

struct want { u64 start, end; u32 type; };

static struct memmap out;
static struct memmap_stats st;
static struct boot_mmap_entry raw[MEMMAP_MAX + 1];

static void dump(const struct memmap *m)
{
	for (u32 i = 0; i < m->nr; i++)
		print_message("  [%#lx-%#lx) %s\n", m->e[i].base, m->e[i].base + m->e[i].size,
			      memmap_type_name(m->e[i].type));
}

/* Fails unless m holds exactly the n entries of w, in order. */
static void assert_map(const struct memmap *m, const struct want *w, u32 n)
{
	if (m->nr != n) {
		dump(m);
		fail_msg("got %u entries, want %u", m->nr, n);
	}
	for (u32 i = 0; i < n; i++) {
		const struct boot_mmap_entry *e = &m->e[i];
		if (e->base != w[i].start || e->base + e->size != w[i].end || e->type != w[i].type) {
			dump(m);
			fail_msg("entry %u: got [%#lx-%#lx) %s, want [%#lx-%#lx) %s", i, e->base,
				 e->base + e->size, memmap_type_name(e->type), w[i].start,
				 w[i].end, memmap_type_name(w[i].type));
		}
	}
}

#define NORMALISE(in)   memmap_normalise((in), ARRAY_SIZE(in), &out, &st)
#define ASSERT_MAP(...) do { \
		static const struct want w_[] = { __VA_ARGS__ }; \
		assert_map(&out, w_, ARRAY_SIZE(w_)); \
	} while (0)

static int setup(void **state __unused)
{
	memset(&out, 0xa5, sizeof(out));        /* stale contents must not leak through */
	memset(&st, 0xa5, sizeof(st));
	assert_int_equal(log_set_levels("info"), 0);
	fake_log_capture();
	return 0;
}

static void entries_are_sorted_by_base(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x300000, 0x400000, USABLE),
		RAW(0x100000, 0x200000, ACPI),
		RAW(0x500000, 0x600000, RESERVED),
		RAW(0x000000, 0x080000, USABLE),
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x000000, 0x080000, USABLE }, { 0x100000, 0x200000, ACPI },
		   { 0x300000, 0x400000, USABLE }, { 0x500000, 0x600000, RESERVED });
	assert_int_equal(st.overlaps, 0);
	assert_int_equal(st.merged, 0);
}

static void overlap_of_usable_and_reserved_becomes_reserved(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x100000, 0x300000, USABLE),
		RAW(0x200000, 0x400000, RESERVED),
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x100000, 0x200000, USABLE }, { 0x200000, 0x400000, RESERVED });
	assert_int_equal(st.overlaps, 1);
}

/* memmap_setup: the problems met, one WARN each, then the map's lines. */
static void setup_warns_of_what_it_resolved_then_prints(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x100000, 0x300000, USABLE),
		RAW(0x200000, 0x400000, RESERVED),
		RAW(0x500000, 0x600000, 99),
	};
	struct memmap m;
	fake_log_capture();
	memmap_setup(in, ARRAY_SIZE(in), &m);
	assert_true(fake_log_has("WARN mem: firmware memory map had 1 overlapping entries; resolved conservatively"));
	assert_true(fake_log_has("WARN mem: 1 entries of unknown type taken as reserved"));
	assert_false(fake_log_has("too large"));
	assert_int_equal(m.nr, 3);
	assert_true(fake_log_has("INFO mem: "));
}

static void reserved_inside_usable_splits_it_in_three(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x200000, 0x201000, RESERVED),
		RAW(0x100000, 0x800000, USABLE),
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x100000, 0x200000, USABLE }, { 0x200000, 0x201000, RESERVED },
		   { 0x201000, 0x800000, USABLE });
	assert_int_equal(st.overlaps, 1);
}

static void three_way_overlap_takes_the_most_restrictive_type_on_each_part(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x0000000, 0x1000000, USABLE),
		RAW(0x0400000, 0x0c00000, ACPI),
		RAW(0x0600000, 0x0800000, BAD),
		RAW(0x0a00000, 0x0e00000, NVS),
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x0000000, 0x0400000, USABLE }, { 0x0400000, 0x0600000, ACPI },
		   { 0x0600000, 0x0800000, BAD }, { 0x0800000, 0x0a00000, ACPI },
		   { 0x0a00000, 0x0e00000, NVS }, { 0x0e00000, 0x1000000, USABLE });
	/* usable-ACPI, usable-bad, usable-NVS, ACPI-bad, ACPI-NVS */
	assert_int_equal(st.overlaps, 5);
}

/* Every pair of types, each way round: the overlap goes to the one later in order[]. */
static void overlap_takes_the_more_restrictive_of_each_pair_of_types(void **state __unused)
{
	static const u32 order[] = { USABLE, ACPI, NVS, RESERVED, MMIO, BAD };
	for (u32 i = 0; i < ARRAY_SIZE(order); i++) {
		for (u32 j = i + 1; j < ARRAY_SIZE(order); j++) {
			u32 lo = order[i], hi = order[j];
			struct boot_mmap_entry in[2] = {
				RAW(0x1000, 0x3000, lo), RAW(0x2000, 0x4000, hi),
			};
			struct want w1[] = { { 0x1000, 0x2000, lo }, { 0x2000, 0x4000, hi } };
			assert_int_equal(memmap_normalise(in, 2, &out, NULL), 0);
			assert_map(&out, w1, 2);

			in[0].type = hi;
			in[1].type = lo;
			struct want w2[] = { { 0x1000, 0x3000, hi }, { 0x3000, 0x4000, lo } };
			assert_int_equal(memmap_normalise(in, 2, &out, NULL), 0);
			assert_map(&out, w2, 2);
		}
	}
}

static void overlapping_entries_of_one_type_become_one(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x100000, 0x300000, RESERVED),
		RAW(0x200000, 0x500000, RESERVED),
		RAW(0x280000, 0x290000, RESERVED),
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x100000, 0x500000, RESERVED });
	assert_int_equal(st.overlaps, 3);
	assert_int_equal(st.merged, 0);
}

static void touching_entries_of_one_type_are_merged(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x200000, 0x300000, USABLE),
		RAW(0x100000, 0x200000, USABLE),
		RAW(0x300000, 0x301000, USABLE),
		RAW(0x400000, 0x500000, USABLE),   /* a gap before it: stays apart */
		RAW(0x500000, 0x600000, RESERVED), /* touches, but another type */
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x100000, 0x301000, USABLE }, { 0x400000, 0x500000, USABLE },
		   { 0x500000, 0x600000, RESERVED });
	assert_int_equal(st.merged, 2);
	assert_int_equal(st.overlaps, 0);
}

static void pieces_left_by_an_overlap_merge_with_touching_entries(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x100000, 0x200000, USABLE),
		RAW(0x180000, 0x280000, RESERVED),
		RAW(0x280000, 0x300000, RESERVED),
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x100000, 0x180000, USABLE }, { 0x180000, 0x300000, RESERVED });
	assert_int_equal(st.merged, 1);
	assert_int_equal(st.overlaps, 1);
}

static void usable_entries_are_trimmed_inward_to_whole_pages(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x0000, 0x9fc00, USABLE),
		RAW(0x9fc00, 0xa0000, RESERVED),
		RAW(0x100800, 0x2007ff, USABLE),
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x0000, 0x9f000, USABLE }, { 0x9fc00, 0xa0000, RESERVED },
		   { 0x101000, 0x200000, USABLE });
}

static void usable_entry_without_a_whole_page_is_dropped(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x100800, 0x101800, USABLE),        /* 4 KiB, but straddles a page boundary */
		RAW(0x200000, 0x200fff, USABLE),
		RAW(0x300000, 0x301000, USABLE),
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x300000, 0x301000, USABLE });
}

static void usable_ram_cut_by_a_reserved_byte_range_loses_the_partial_pages(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x100000, 0x400000, USABLE),
		RAW(0x200100, 0x200200, ACPI),
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x100000, 0x200000, USABLE }, { 0x200100, 0x200200, ACPI },
		   { 0x201000, 0x400000, USABLE });
}

static void non_usable_entries_keep_their_exact_bounds(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x9fc00, 0xa0000, RESERVED),
		RAW(0x7fb7f123, 0x7fb87456, ACPI),
		RAW(0xfed00000, 0xfed00400, MMIO),
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x9fc00, 0xa0000, RESERVED }, { 0x7fb7f123, 0x7fb87456, ACPI },
		   { 0xfed00000, 0xfed00400, MMIO });
}

static void unknown_types_become_reserved_and_are_counted(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x100000, 0x200000, 0),
		RAW(0x200000, 0x300000, 7),
		RAW(0x400000, 0x500000, USABLE),
		RAW(0x480000, 0x490000, 0xffffffff),
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x100000, 0x300000, RESERVED }, { 0x400000, 0x480000, USABLE },
		   { 0x480000, 0x490000, RESERVED }, { 0x490000, 0x500000, USABLE });
	assert_int_equal(st.unknown_types, 3);
	assert_int_equal(st.merged, 1);
}

/*
 * Random maps against a model that types every 256-byte cell of a 256 KiB
 * space by its most restrictive cover, then trims usable runs to pages.
 */
#define CELL            0x100ULL
#define NR_CELLS        1024
static void random_maps_agree_with_a_cell_by_cell_model(void **state __unused)
{
	static const u32 rank[8] = { 3, 0, 3, 1, 2, 5, 4, 3 };  /* by raw type; 0, 7: unknown */
	static const u32 type_at_rank[6] = { USABLE, ACPI, NVS, RESERVED, MMIO, BAD };
	u32 model[NR_CELLS], seed = 12345;

	for (u32 iter = 0; iter < 2000; iter++) {
		u32 n = 1 + iter % 24;
		memset(model, 0, sizeof(model));       /* 0: no entry, else 1 + rank */
		for (u32 i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			u32 first = (seed >> 8) % NR_CELLS, len = (seed >> 20) % 64, type = (seed >> 4) % 8;
			len = MIN(len, NR_CELLS - first);
			raw[i] = (struct boot_mmap_entry)RAW(first * CELL, (first + len) * CELL, type);
			for (u32 c = first; c < first + len; c++)
				model[c] = MAX(model[c], 1 + rank[type]);
		}
		for (u32 a = 0; a < NR_CELLS;) {       /* trim each usable run to pages */
			u32 b = a + 1;
			while (b < NR_CELLS && model[b] == model[a])
				b++;
			u32 lo = (u32)(ALIGN_UP(a * CELL, PAGE_SIZE) / CELL);
			u32 hi = (u32)(ALIGN_DOWN(b * CELL, PAGE_SIZE) / CELL);
			for (u32 c = a, usable = model[a] == 1; usable && c < b; c++)
				if (c < lo || c >= hi)
					model[c] = 0;
			a = b;
		}
		assert_int_equal(memmap_normalise(raw, n, &out, &st), 0);
		u32 c = 0;
		for (u32 i = 0; i < out.nr; i++) {
			const struct boot_mmap_entry *e = &out.e[i];
			assert_true(e->size != 0 && e->base % CELL == 0 && e->size % CELL == 0);
			if (i > 0) {    /* sorted, disjoint, and touching only across types */
				const struct boot_mmap_entry *p = &out.e[i - 1];
				assert_true(p->base + p->size <= e->base);
				assert_true(p->base + p->size < e->base || p->type != e->type);
			}
			for (; c < e->base / CELL; c++)
				assert_int_equal(model[c], 0);
			for (; c < (e->base + e->size) / CELL; c++)
				assert_int_equal(type_at_rank[model[c] - 1], e->type);
		}
		for (; c < NR_CELLS; c++)
			assert_int_equal(model[c], 0);
	}
}

static void zero_size_entries_are_dropped_and_counted(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x100000, 0x100000, RESERVED),
		RAW(0x000000, 0x200000, USABLE),
		{ .base = 0x150000, .size = 0, .type = BAD },
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x000000, 0x200000, USABLE });
	assert_int_equal(st.dropped_empty, 2);
	assert_int_equal(st.overlaps, 0);
}

static void wrapping_entries_are_dropped_and_counted(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		{ .base = 0x100000, .size = ~0ULL, .type = RESERVED },
		{ .base = 0xfffffffffffff000ULL, .size = 0x2000, .type = USABLE },
		{ .base = 0xfffffffffffff000ULL, .size = 0x1000, .type = RESERVED },  /* reaches 2^64 */
		RAW(0x000000, 0x200000, USABLE),
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0x000000, 0x200000, USABLE });
	assert_int_equal(st.dropped_empty, 3);
}

static void entry_ending_just_below_2_64_is_kept(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		{ .base = 0xffffffff00000000ULL, .size = 0xffffffffULL, .type = RESERVED },
		{ .base = 0xfffffffffffff000ULL, .size = 0xfff, .type = USABLE },
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0xffffffff00000000ULL, 0xffffffffffffffffULL, RESERVED });
	assert_int_equal(st.dropped_empty, 0);
	assert_true(memmap_top(&out) == 0xffffffffffffffffULL);
}

static void map_without_usable_ram_is_kept_with_no_usable_bytes(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0xf0000, 0x100000, RESERVED),
		RAW(0xb0000000, 0xc0000000, RESERVED),
		RAW(0xfee00000, 0xfee01000, MMIO),
		RAW(0x100000, 0x100fff, USABLE),        /* no whole page */
	};
	assert_int_equal(NORMALISE(in), 0);
	ASSERT_MAP({ 0xf0000, 0x100000, RESERVED }, { 0xb0000000, 0xc0000000, RESERVED },
		   { 0xfee00000, 0xfee01000, MMIO });
	assert_true(memmap_usable_bytes_above(&out, 0) == 0);
	assert_true(memmap_top(&out) == 0xfee01000);
}

static void empty_map_normalises_to_nothing(void **state __unused)
{
	assert_int_equal(memmap_normalise(NULL, 0, &out, &st), 0);
	assert_int_equal(out.nr, 0);
	assert_true(memmap_top(&out) == 0);
	assert_true(memmap_usable_bytes_above(&out, 0) == 0);
}

/* One usable range with k one-page holes normalises to 2k+1 entries. */
static u32 holes_map(u32 k)
{
	u32 n = 0;
	raw[n++] = (struct boot_mmap_entry)RAW(0, 0x40000000, USABLE);
	for (u32 i = 0; i < k; i++)
		raw[n++] = (struct boot_mmap_entry)RAW(0x100000 + i * 0x2000ULL,
						       0x101000 + i * 0x2000ULL, RESERVED);
	return n;
}

static void result_of_exactly_memmap_max_entries_fits(void **state __unused)
{
	u32 n = holes_map((MEMMAP_MAX - 1) / 2);
	assert_int_equal(memmap_normalise(raw, n, &out, &st), 0);
	assert_int_equal(out.nr, MEMMAP_MAX - 1);
	n = holes_map(MEMMAP_MAX / 2 - 1);
	raw[n++] = (struct boot_mmap_entry)RAW(0x50000000, 0x50001000, MMIO);
	assert_int_equal(memmap_normalise(raw, n, &out, &st), 0);
	assert_int_equal(out.nr, MEMMAP_MAX);
}

static void result_over_memmap_max_entries_is_enomem(void **state __unused)
{
	u32 n = holes_map(MEMMAP_MAX / 2);      /* 2 * 256 + 1 = 513 entries */
	assert_int_equal(memmap_normalise(raw, n, &out, &st), -HV_ENOMEM);
	assert_int_equal(out.nr, 0);
}

static void more_than_memmap_max_raw_entries_is_enomem(void **state __unused)
{
	for (u32 i = 0; i < MEMMAP_MAX + 1; i++)
		raw[i] = (struct boot_mmap_entry)RAW(i * 0x1000ULL, (i + 1) * 0x1000ULL, USABLE);
	assert_int_equal(memmap_normalise(raw, MEMMAP_MAX + 1, &out, &st), -HV_ENOMEM);
	assert_int_equal(out.nr, 0);
	assert_int_equal(memmap_normalise(raw, MEMMAP_MAX, &out, &st), 0);
	ASSERT_MAP({ 0, MEMMAP_MAX * 0x1000ULL, USABLE });
	assert_int_equal(st.merged, MEMMAP_MAX - 1);
}

/* SeaBIOS e820 for qemu-system-x86_64 -machine q35 -m 4G: type 1 RAM, 2 reserved. */
static const struct boot_mmap_entry qemu_e820[] = {
	RAWF(0x0000000000, 0x000009fc00, USABLE, 1),
	RAWF(0x000009fc00, 0x00000a0000, RESERVED, 2),
	RAWF(0x00000f0000, 0x0000100000, RESERVED, 2),
	RAWF(0x0000100000, 0x007ffe0000, USABLE, 1),
	RAWF(0x007ffe0000, 0x0080000000, RESERVED, 2),
	RAWF(0x00b0000000, 0x00c0000000, RESERVED, 2),  /* PCIe MMCONFIG */
	RAWF(0x00fed1c000, 0x00fed20000, RESERVED, 2),  /* ICH9 RCRB */
	RAWF(0x00feffc000, 0x00ff000000, RESERVED, 2),
	RAWF(0x00fffc0000, 0x0100000000, RESERVED, 2),  /* BIOS flash */
	RAWF(0x0100000000, 0x0180000000, USABLE, 1),
	RAWF(0xfd00000000, 0x10000000000, RESERVED, 2), /* HyperTransport hole */
};

static void qemu_e820_map_is_normalised(void **state __unused)
{
	assert_int_equal(NORMALISE(qemu_e820), 0);
	ASSERT_MAP({ 0x0000000000, 0x000009f000, USABLE },
		   { 0x000009fc00, 0x00000a0000, RESERVED },
		   { 0x00000f0000, 0x0000100000, RESERVED },
		   { 0x0000100000, 0x007ffe0000, USABLE },
		   { 0x007ffe0000, 0x0080000000, RESERVED },
		   { 0x00b0000000, 0x00c0000000, RESERVED },
		   { 0x00fed1c000, 0x00fed20000, RESERVED },
		   { 0x00feffc000, 0x00ff000000, RESERVED },
		   { 0x00fffc0000, 0x0100000000, RESERVED },
		   { 0x0100000000, 0x0180000000, USABLE },
		   { 0xfd00000000, 0x10000000000, RESERVED });
	assert_int_equal(st.dropped_empty, 0);
	assert_int_equal(st.overlaps, 0);
	assert_int_equal(st.unknown_types, 0);
	assert_int_equal(st.merged, 0);
	assert_true(memmap_top(&out) == 0x10000000000ULL);
	assert_true(memmap_usable_bytes_above(&out, 0) ==
		    0x9f000 + (0x7ffe0000 - 0x100000) + 2 * GiB);
	assert_true(memmap_usable_bytes_above(&out, 0x7ff00000) == 0xe0000 + 2 * GiB);
	assert_true(memmap_usable_bytes_above(&out, 0x100000000) == 2 * GiB);
	assert_true(memmap_usable_bytes_above(&out, 0x180000000) == 0);
}

static void print_logs_one_line_per_entry_and_a_summary(void **state __unused)
{
	assert_int_equal(NORMALISE(qemu_e820), 0);
	memmap_print(&out);
	assert_int_equal(fake_log_count("\n"), 12);
	assert_true(fake_log_has("c0 INFO mem: [0x0000000000000000-0x000000000009efff] usable 636 KiB\n"));
	assert_true(fake_log_has("c0 INFO mem: [0x000000000009fc00-0x000000000009ffff] reserved 1 KiB\n"));
	assert_true(fake_log_has("c0 INFO mem: [0x0000000000100000-0x000000007ffdffff] usable 2046 MiB\n"));
	assert_true(fake_log_has("c0 INFO mem: [0x00000000b0000000-0x00000000bfffffff] reserved 256 MiB\n"));
	assert_true(fake_log_has("c0 INFO mem: [0x0000000100000000-0x000000017fffffff] usable 2 GiB\n"));
	assert_true(fake_log_has("c0 INFO mem: [0x000000fd00000000-0x000000ffffffffff] reserved 12 GiB\n"));
	assert_true(fake_log_has("c0 INFO mem: 11 entries, usable 4095 MiB\n"));
}

static void print_shows_odd_sizes_in_bytes_and_names_every_type(void **state __unused)
{
	static const struct boot_mmap_entry in[] = {
		RAW(0x1000, 0x1234, ACPI),
		RAW(0x2000, 0x3000, NVS),
		RAW(0x4000, 0x5000, BAD),
		RAW(0x6000, 0x7000, MMIO),
	};
	assert_int_equal(NORMALISE(in), 0);
	memmap_print(&out);
	assert_true(fake_log_has("mem: [0x0000000000001000-0x0000000000001233] ACPI 564 B\n"));
	assert_true(fake_log_has("] ACPI NVS 4 KiB\n"));
	assert_true(fake_log_has("] bad 4 KiB\n"));
	assert_true(fake_log_has("] MMIO 4 KiB\n"));
	assert_true(fake_log_has("mem: 4 entries, usable 0 MiB\n"));
	assert_string_equal(memmap_type_name(USABLE), "usable");
	assert_string_equal(memmap_type_name(RESERVED), "reserved");
	assert_string_equal(memmap_type_name(0), "unknown");
	assert_string_equal(memmap_type_name(99), "unknown");
}

/* EFI memory types, as the loader reports them in fw_type. */
enum { EFI_RSVD = 0, EFI_LCODE = 1, EFI_LDATA = 2, EFI_BSCODE = 3, EFI_BSDATA = 4,
       EFI_RTCODE = 5, EFI_RTDATA = 6, EFI_CONV = 7, EFI_ACPI = 9, EFI_NVS = 10,
       EFI_MMIO = 11 };

/*
 * An OVMF q35 -m 2G map, already translated by the loader: boot services
 * and loader memory count as usable, runtime services as reserved. It comes
 * out of GetMemoryMap() sorted; here it is fed in reverse.
 */
static u32 ovmf_map(void)
{
	static const struct boot_mmap_entry head[] = {
		RAWF(0x00000000, 0x00001000, USABLE, EFI_BSDATA),
		RAWF(0x00001000, 0x000a0000, USABLE, EFI_CONV),
		RAWF(0x00100000, 0x00800000, USABLE, EFI_CONV),
		RAWF(0x00800000, 0x00808000, NVS, EFI_NVS),
		RAWF(0x00808000, 0x0080b000, USABLE, EFI_CONV),
		RAWF(0x0080b000, 0x0080c000, NVS, EFI_NVS),
		RAWF(0x0080c000, 0x00810000, USABLE, EFI_BSDATA),
		RAWF(0x00810000, 0x00900000, NVS, EFI_NVS),
		RAWF(0x00900000, 0x01580000, USABLE, EFI_BSDATA),
		RAWF(0x01580000, 0x3e8ef000, USABLE, EFI_CONV),
		RAWF(0x3e8ef000, 0x3e90f000, USABLE, EFI_LDATA),
		RAWF(0x3e90f000, 0x3f2b7000, USABLE, EFI_CONV),
		RAWF(0x3f2b7000, 0x3f2b8000, USABLE, EFI_LCODE),
	};
	static const struct boot_mmap_entry tail[] = {
		RAWF(0x7e96f000, 0x7fb7f000, USABLE, EFI_BSDATA),
		RAWF(0x7fb7f000, 0x7fb87000, ACPI, EFI_ACPI),
		RAWF(0x7fb87000, 0x7fb8b000, NVS, EFI_NVS),
		RAWF(0x7fb8b000, 0x7ff78000, USABLE, EFI_BSDATA),
		RAWF(0x7ff78000, 0x80000000, NVS, EFI_NVS),
		RAWF(0xb0000000, 0xc0000000, RESERVED, EFI_RSVD),
		RAWF(0xffc00000, 0x100000000, MMIO, EFI_MMIO),
	};
	struct boot_mmap_entry tmp[128];
	u32 n = 0;

	for (u32 i = 0; i < ARRAY_SIZE(head); i++)
		tmp[n++] = head[i];
	for (u32 i = 0; i < 64; i++)    /* driver images: BS code and data, 16 KiB each */
		tmp[n++] = (struct boot_mmap_entry)RAWF(0x3f2b8000 + i * 0x4000ULL,
			0x3f2bc000 + i * 0x4000ULL, USABLE, i % 2 ? EFI_BSDATA : EFI_BSCODE);
	tmp[n++] = (struct boot_mmap_entry)RAWF(0x3f3b8000, 0x7e8ef000, USABLE, EFI_CONV);
	for (u32 i = 0; i < 16; i++)    /* runtime drivers: RT code and data, 32 KiB each */
		tmp[n++] = (struct boot_mmap_entry)RAWF(0x7e8ef000 + i * 0x8000ULL,
			0x7e8f7000 + i * 0x8000ULL, RESERVED, i % 2 ? EFI_RTDATA : EFI_RTCODE);
	for (u32 i = 0; i < ARRAY_SIZE(tail); i++)
		tmp[n++] = tail[i];
	for (u32 i = 0; i < n; i++)
		raw[i] = tmp[n - 1 - i];
	return n;
}

static void ovmf_map_with_many_small_entries_is_normalised(void **state __unused)
{
	u32 n = ovmf_map();
	assert_int_equal(n, 101);
	assert_int_equal(memmap_normalise(raw, n, &out, &st), 0);
	ASSERT_MAP({ 0x00000000, 0x000a0000, USABLE }, { 0x00100000, 0x00800000, USABLE },
		   { 0x00800000, 0x00808000, NVS }, { 0x00808000, 0x0080b000, USABLE },
		   { 0x0080b000, 0x0080c000, NVS }, { 0x0080c000, 0x00810000, USABLE },
		   { 0x00810000, 0x00900000, NVS }, { 0x00900000, 0x7e8ef000, USABLE },
		   { 0x7e8ef000, 0x7e96f000, RESERVED }, { 0x7e96f000, 0x7fb7f000, USABLE },
		   { 0x7fb7f000, 0x7fb87000, ACPI }, { 0x7fb87000, 0x7fb8b000, NVS },
		   { 0x7fb8b000, 0x7ff78000, USABLE }, { 0x7ff78000, 0x80000000, NVS },
		   { 0xb0000000, 0xc0000000, RESERVED }, { 0xffc00000, 0x100000000, MMIO });
	/* 0-0xa0000: 1; 0x900000 to 0x7e8ef000: 70 entries, 69; RT: 16 entries, 15 */
	assert_int_equal(st.merged, 1 + 69 + 15);
	assert_int_equal(st.overlaps, 0);
	assert_int_equal(st.dropped_empty, 0);
	/* A merged entry keeps the firmware code of the entry at its base. */
	assert_int_equal(out.e[0].fw_type, EFI_BSDATA);
	assert_int_equal(out.e[7].fw_type, EFI_BSDATA);
	assert_int_equal(out.e[8].fw_type, EFI_RTCODE);
	assert_int_equal(out.e[15].fw_type, EFI_MMIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(entries_are_sorted_by_base, setup),
		cmocka_unit_test_setup(overlap_of_usable_and_reserved_becomes_reserved, setup),
		cmocka_unit_test_setup(reserved_inside_usable_splits_it_in_three, setup),
		cmocka_unit_test_setup(three_way_overlap_takes_the_most_restrictive_type_on_each_part, setup),
		cmocka_unit_test_setup(overlap_takes_the_more_restrictive_of_each_pair_of_types, setup),
		cmocka_unit_test_setup(overlapping_entries_of_one_type_become_one, setup),
		cmocka_unit_test_setup(touching_entries_of_one_type_are_merged, setup),
		cmocka_unit_test_setup(pieces_left_by_an_overlap_merge_with_touching_entries, setup),
		cmocka_unit_test_setup(usable_entries_are_trimmed_inward_to_whole_pages, setup),
		cmocka_unit_test_setup(usable_entry_without_a_whole_page_is_dropped, setup),
		cmocka_unit_test_setup(usable_ram_cut_by_a_reserved_byte_range_loses_the_partial_pages, setup),
		cmocka_unit_test_setup(non_usable_entries_keep_their_exact_bounds, setup),
		cmocka_unit_test_setup(unknown_types_become_reserved_and_are_counted, setup),
		cmocka_unit_test_setup(random_maps_agree_with_a_cell_by_cell_model, setup),
		cmocka_unit_test_setup(zero_size_entries_are_dropped_and_counted, setup),
		cmocka_unit_test_setup(wrapping_entries_are_dropped_and_counted, setup),
		cmocka_unit_test_setup(entry_ending_just_below_2_64_is_kept, setup),
		cmocka_unit_test_setup(map_without_usable_ram_is_kept_with_no_usable_bytes, setup),
		cmocka_unit_test_setup(empty_map_normalises_to_nothing, setup),
		cmocka_unit_test_setup(result_of_exactly_memmap_max_entries_fits, setup),
		cmocka_unit_test_setup(result_over_memmap_max_entries_is_enomem, setup),
		cmocka_unit_test_setup(more_than_memmap_max_raw_entries_is_enomem, setup),
		cmocka_unit_test_setup(qemu_e820_map_is_normalised, setup),
		cmocka_unit_test_setup(print_logs_one_line_per_entry_and_a_summary, setup),
		cmocka_unit_test_setup(print_shows_odd_sizes_in_bytes_and_names_every_type, setup),
		cmocka_unit_test_setup(ovmf_map_with_many_small_entries_is_normalised, setup),
		cmocka_unit_test_setup(setup_warns_of_what_it_resolved_then_prints, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
