/*
 * remap: asks Sluice to move its memory while it runs (SLUICE_HC_REMAP,
 * issue 7). Its second region gets a pattern, is moved, and must read the
 * same from its new host pages (Sluice zeroes the old ones, so a stale
 * translation would read zeros); then the region holding its own code and
 * stack is moved under it; a GPA where no region starts is refused; then
 * it asks to be restarted, and its second run finds its memory zeroed.
 * Sluice runs the invalidation sequence each time (IOTLB, the device-TLB of
 * every ATS function of the partition, one wait). Built with REMAP_BENCH
 * (remap-bench, for make bench) it moves its data region REMAP_BENCH_MOVES
 * times instead and ends.
 */
#include "tests/guests/lib/guest.h"

const char guest_name[] = "remap";

static uint64_t pattern(uint64_t i)
{
	return 0x72656d6170000000ULL ^ (i * 0x9e3779b97f4a7c15ULL);
}

#define MARK    0x6d61726bULL       /* left in the data region before asking for a restart */

/* The words of p[0..words) that no longer hold their pattern. */
static uint64_t differing(const volatile uint64_t *p, uint64_t words)
{
	uint64_t bad = 0;
	for (uint64_t i = 0; i < words; i++)
		bad += p[i] != pattern(i);
	return bad;
}

int guest_main(const struct sluice_start_info *si)
{
	const struct sluice_start_mem *data = NULL, *code = NULL;

	for (uint32_t i = 0; i < si->nr_mem && i < SLUICE_START_MAX_MEM; i++) {
		if (guest_owns(si->free_gpa, 1) && si->free_gpa >= si->mem[i].gpa &&
		    si->free_gpa < si->mem[i].gpa + si->mem[i].size)
			code = &si->mem[i];
		else if ((si->mem[i].access & SLUICE_MEM_WRITE) && !data)
			data = &si->mem[i];
	}
	if (!verdict(data && code, "a data region and the region I run in (start info)"))
		return 1;
	if (si->restarts) {
		/* Second run: memory zeroed by the restart, nothing of the first run left. */
		volatile uint64_t *q = (volatile uint64_t *)(uintptr_t)data->gpa;
		uint64_t left = 0;
		for (uint64_t i = 0; i < data->size / 8; i++)
			left += q[i] != 0;
		verdict(si->restarts == 1, "restarted once (start info says %u)", si->restarts);
		verdict(left == 0, "nothing of my first run is left in my memory (%llu words not zero)",
			(unsigned long long)left);
		return 0;
	}
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)data->gpa;
	uint64_t words = data->size / 8;
	for (uint64_t i = 0; i < words; i++)
		p[i] = pattern(i);
	long r = sluice_hypercall(SLUICE_HC_REMAP, data->gpa, 0, 0);
	verdict(r == 0, "region at 0x%016llx moved to new host memory (%ld)", (unsigned long long)data->gpa, r);
	uint64_t bad = differing(p, words);
	verdict(bad == 0, "its %llu words read the same afterwards (%llu differ)", (unsigned long long)words,
		(unsigned long long)bad);

#ifdef REMAP_BENCH
	/* make bench (bench/ats): the data region moved again and again, each move an unmap and a map batch. */
	unsigned k;
	for (k = 0; k < REMAP_BENCH_MOVES && r == 0; k++)
		r = sluice_hypercall(SLUICE_HC_REMAP, data->gpa, 0, 0);
	bad = differing(p, words);
	verdict(r == 0 && bad == 0, "bench: %u more moves of the region at 0x%016llx, its words the same (%llu differ)", k,
		(unsigned long long)data->gpa, (unsigned long long)bad);
	return 0;
#endif
	/* The region with this code, its stack and the start info. */
	r = sluice_hypercall(SLUICE_HC_REMAP, code->gpa, 0, 0);
	verdict(r == 0 && si->magic == SLUICE_START_MAGIC, "the region I run in moved under me, and I run on (%ld)", r);

	r = sluice_hypercall(SLUICE_HC_REMAP, data->gpa + 0x1000, 0, 0);
	verdict(r == -SLUICE_HC_EINVAL, "a GPA where no region starts is refused (%ld)", r);

	/* Start over: the restart must not come back here. */
	p[0] = MARK;
	gprintf("remap: asking for a restart\n");
	r = sluice_hypercall(SLUICE_HC_RESTART, 0, 0, 0);
	verdict(false, "the restart hypercall came back (%ld)", r);
	return 1;
}
