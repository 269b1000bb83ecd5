/*
 * storm: a fault storm from a device the partition owns. Drives its edu to
 * DMA-write outside all of the partition's memory, one transfer after
 * another, for ever: each is a DMA fault the IOMMU blocks. Only MMIO to
 * its BAR (no VM exits) except a console line every STORM_REPORT
 * transfers. Sluice must turn the device's bus mastering off at the
 * partition's dma-fault-limit and park the partition (on-fault = park).
 * Built with -DSTORM_INSIDE (guest storm-inside) it is the baseline: the
 * same transfers, into its own free memory (no fault), STORM_INSIDE of
 * them, then it exits.
 */
#include "tests/guests/lib/edu.h"

const char guest_name[] = "storm";

#define STORM_REPORT    10

int guest_main(const struct sluice_start_info *si)
{
	uint32_t bdf;
	volatile uint8_t *bar0;

	if (guest_edu_open(&bdf, &bar0))
		return 1;
#ifdef STORM_INSIDE
	uint64_t out = (si->free_gpa + GUEST_PAGE - 1) & ~(GUEST_PAGE - 1), end = STORM_INSIDE;
	const char *where = "inside my memory", *how = "transfers";
#else
	uint64_t out = guest_edu_outside(si), end = 0;
	const char *where = "outside my memory", *how = "without end";
#endif
	gprintf("storm: partition %s: edu at " BDF_FMT " DMA-writes to 0x%016llx, %s, %s\n", si->name, BDF_ARGS(bdf),
		(unsigned long long)out, where, how);
	for (uint64_t n = 1; !end || n <= end; n++) {
		if (!guest_edu_run(bar0, EDU_BUF_ADDR, out, EDU_BUF_SIZE, EDU_DMA_CMD_TO_BUS))
			gprintf("storm: transfer %llu never finished\n", (unsigned long long)n);
		if (n % STORM_REPORT == 0)
			gprintf("storm: %llu transfers started\n", (unsigned long long)n);
	}
	return 0;       /* STORM_INSIDE only: the storm never ends by itself */
}
