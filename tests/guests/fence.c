/*
 * fence: memory isolation seen from inside. Writes and reads back a
 * pattern in its own memory (must pass), then maps a page outside every
 * region of its start info into its own page tables and touches it. The
 * nested table has nothing there, so Sluice must stop the partition at the
 * first access: if the access comes back, the fence is broken.
 */
#include "tests/guests/lib/guest.h"

const char guest_name[] = "fence";

#define PTE_P           (1ULL << 0)
#define PTE_RW          (1ULL << 1)
#define PTE_PS          (1ULL << 7)     /* in a PD entry: a 2 MiB page (SDM vol 3 4.5) */
#define PTE_ADDR        0x000ffffffffff000ULL
#define SZ_2M           (2 * MiB)

static uint64_t next_free;

static uint64_t *table_alloc(void)
{
	uint64_t *t = (uint64_t *)(uintptr_t)next_free;
	memset(t, 0, GUEST_PAGE);
	next_free += GUEST_PAGE;
	return t;
}

/* The next level's table for entry *e, made if absent. Tables are identity-mapped (GPA = VA). */
static uint64_t *next_table(uint64_t *e)
{
	if (!(*e & PTE_P))
		*e = (uint64_t)(uintptr_t)table_alloc() | PTE_P | PTE_RW;
	return (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
}

/* Maps the 2 MiB page at gpa (identity) in the tables CR3 points to; false if something is there. */
static bool map_2m(uint64_t gpa)
{
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(cr3 & PTE_ADDR);
	uint64_t *pdpt = next_table(&pml4[(gpa >> 39) & 511]);
	uint64_t *pd = next_table(&pdpt[(gpa >> 30) & 511]);
	uint64_t *pde = &pd[(gpa >> 21) & 511];
	if (*pde & PTE_P)
		return false;
	*pde = gpa | PTE_P | PTE_RW | PTE_PS;
	__asm__ volatile("invlpg (%0)" : : "r"((uintptr_t)gpa) : "memory");
	return true;
}

static bool in_ecam(uint64_t gpa, uint64_t len)
{
	const struct sluice_start_info *si = guest_si;
	uint64_t size = ((uint64_t)si->ecam_bus_end - si->ecam_bus_start + 1) * MiB;
	return si->ecam_gpa && gpa < si->ecam_gpa + size && si->ecam_gpa < gpa + len;
}

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

	/* Outside: 2 MiB aligned, past the highest region, not the ECAM window. */
	uint64_t top = 0;
	for (uint32_t i = 0; i < si->nr_mem && i < SLUICE_START_MAX_MEM; i++)
		if (si->mem[i].gpa + si->mem[i].size > top)
			top = si->mem[i].gpa + si->mem[i].size;
	uint64_t out = (top + SZ_2M - 1) & ~(SZ_2M - 1);
	while (guest_owns(out, SZ_2M) || in_ecam(out, SZ_2M) || !map_2m(out))
		out += SZ_2M;
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
