/*
 * fence: memory isolation seen from inside. Writes and reads back a
 * pattern in its own memory (must pass), then maps a page outside every
 * region of its start info into its own page tables and touches it. The
 * nested table has nothing there, so Sluice must stop the partition at the
 * first access: if the access comes back, the fence is broken.
 */
#include "tests/guests/lib/guest.h"

const char guest_name[] = "fence";

static uint64_t next_free;

int guest_main(const struct sluice_start_info *si)
{
	next_free = (si->free_gpa + GUEST_PAGE - 1) & ~(GUEST_PAGE - 1);
	volatile uint64_t *mine = (volatile uint64_t *)(uintptr_t)next_free;
	next_free += GUEST_PAGE;
	if (!guest_owns((uint64_t)(uintptr_t)mine, GUEST_PAGE)) {
		verdict(false, "no free page of my own at 0x%016llx", (unsigned long long)(uintptr_t)mine);
		return 1;
	}
	for (uint32_t i = 0; i < GUEST_PAGE / 8; i++)
		mine[i] = 0x5a5a000000000000ULL ^ ((uint64_t)i * 0x9e3779b97f4a7c15ULL);
	uint32_t bad = 0;
	for (uint32_t i = 0; i < GUEST_PAGE / 8; i++)
		bad += mine[i] != (0x5a5a000000000000ULL ^ ((uint64_t)i * 0x9e3779b97f4a7c15ULL));
	verdict(bad == 0, "pattern written and read back at 0x%016llx (%u bad words)",
		(unsigned long long)(uintptr_t)mine, bad);

	/* Outside: 2 MiB aligned, past the highest region, not the ECAM window, mapped in my tables. */
	uint64_t out = guest_map_outside(&next_free);
	gprintf("fence: reading 0x%016llx, outside every region of mine: Sluice must stop me here\n",
		(unsigned long long)out);
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)out;
	uint64_t v = *p;
	gprintf("fence: read 0x%016llx came back (0x%llx); writing it\n", (unsigned long long)out,
		(unsigned long long)v);
	*p = 0xdeadbeefULL;
	verdict(false, "access to 0x%016llx outside my memory came back", (unsigned long long)out);
	return 1;
}
