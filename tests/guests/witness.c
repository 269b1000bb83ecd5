/*
 * witness: measurable work of its own while another partition misbehaves.
 * WITNESS_ROUNDS rounds, each a block of computation (an FNV-1a hash over
 * WITNESS_BLOCK bytes of its memory, timed with RDTSC) and a 4 KiB edu DMA
 * there and back (checked byte for byte). The DMAs are one marked I/O loop
 * (SLUICE_HC_IO_LOOP), so Sluice logs its wall time; each round's TSC
 * cycles are printed, for comparison with a run without the other
 * partition.
 */
#include "tests/guests/lib/edu.h"

const char guest_name[] = "witness";

#define WITNESS_ROUNDS  20
#define WITNESS_BLOCK   (256 * 1024)
#define WITNESS_PASSES  4

static uint8_t src[EDU_BUF_SIZE] __attribute__((aligned(4096)));
static uint8_t dst[EDU_BUF_SIZE] __attribute__((aligned(4096)));
static uint8_t block[WITNESS_BLOCK] __attribute__((aligned(4096)));

static uint32_t hash_block(uint32_t h)
{
	for (uint32_t p = 0; p < WITNESS_PASSES; p++)
		for (uint32_t i = 0; i < WITNESS_BLOCK; i++)
			h = (h ^ block[i]) * 16777619u;
	return h;
}

int guest_main(const struct sluice_start_info *si)
{
	uint32_t bdf, h = 2166136261u, bad = 0, stuck = 0;
	volatile uint8_t *bar0;
	uint64_t min = ~0ULL, max = 0, total = 0;

	if (guest_edu_open(&bdf, &bar0))
		return 1;
	for (uint32_t i = 0; i < WITNESS_BLOCK; i++)
		block[i] = (uint8_t)(i * 7 + 3);
	gprintf("witness: partition %s on CPU %u: %u rounds of a hash over %u KiB x %u and a 4 KiB edu DMA there and back\n",
		si->name, si->cpu, WITNESS_ROUNDS, WITNESS_BLOCK / 1024, WITNESS_PASSES);
	sluice_hypercall(SLUICE_HC_IO_LOOP, 0, 0, 0);
	for (uint32_t r = 0; r < WITNESS_ROUNDS; r++) {
		uint64_t t0 = rdtsc();
		h = hash_block(h);
		uint64_t t = rdtsc() - t0;
		total += t;
		min = t < min ? t : min;
		max = t > max ? t : max;
		for (uint32_t i = 0; i < EDU_BUF_SIZE; i++) {
			src[i] = (uint8_t)(h >> (i % 4 * 8)) ^ (uint8_t)i;
			dst[i] = 0;
		}
		stuck += !guest_edu_run(bar0, (uint64_t)(uintptr_t)src, EDU_BUF_ADDR, EDU_BUF_SIZE, 0);
		stuck += !guest_edu_run(bar0, EDU_BUF_ADDR, (uint64_t)(uintptr_t)dst, EDU_BUF_SIZE, EDU_DMA_CMD_TO_BUS);
		bad += memcmp(src, dst, EDU_BUF_SIZE) != 0;
		gprintf("witness: round %u: hash 0x%08x in %llu TSC cycles\n", r + 1, h, (unsigned long long)t);
	}
	sluice_hypercall(SLUICE_HC_IO_LOOP, 1, 2 * WITNESS_ROUNDS, 0);
	gprintf("witness: hash blocks took %llu TSC cycles in all (min %llu, max %llu per round)\n",
		(unsigned long long)total, (unsigned long long)min, (unsigned long long)max);
	verdict(bad == 0 && stuck == 0, "%u rounds of work done, every DMA came back intact (%u differ, %u stuck)",
		WITNESS_ROUNDS, bad, stuck);
	return 0;
}
