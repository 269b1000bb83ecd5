/*
 * ends: a guest that ends the way its `args` say, for the check at a
 * partition's end (docs/config.md, `expect`): "exit N" returns N (the exit
 * hypercall), "hlt" halts with interrupts off (nothing can wake it),
 * "hlt-sti" halts with interrupts on and nothing armed that could interrupt
 * it, "park" reads a page outside its memory (Sluice parks it). Anything
 * else is a failed verdict and exit code 1.
 */
#include "tests/guests/lib/guest.h"

const char guest_name[] = "ends";

/* "exit N": N (decimal, up to 32 bits) into *code; false for anything else. */
static bool exit_code(const char *a, uint32_t *code)
{
	uint64_t n = 0;

	if (memcmp(a, "exit ", 5) || !a[5])
		return false;
	for (a += 5; *a; a++) {
		if (*a < '0' || *a > '9' || (n = n * 10 + (uint64_t)(*a - '0')) > 0xffffffffULL)
			return false;
	}
	*code = (uint32_t)n;
	return true;
}

int guest_main(const struct sluice_start_info *si)
{
	uint32_t code;
	uint64_t free_gpa = (si->free_gpa + GUEST_PAGE - 1) & ~(GUEST_PAGE - 1);

	if (exit_code(si->args, &code)) {
		gprintf("ends: partition %s exits with code %u\n", si->name, code);
		return (int)code;
	}
	if (!memcmp(si->args, "hlt", 4)) {
		gprintf("ends: partition %s halts with interrupts off\n", si->name);
		__asm__ volatile("cli; hlt" ::: "memory");
		verdict(false, "HLT with interrupts off came back");
		return 1;
	}
	/* No IDT: an interrupt would fault, but with no timer, MSI or other CPU none can come. */
	if (!memcmp(si->args, "hlt-sti", 8)) {
		gprintf("ends: partition %s halts with interrupts on, nothing armed\n", si->name);
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		verdict(false, "HLT with nothing to wake it came back");
		return 1;
	}
	if (!memcmp(si->args, "park", 5)) {
		uint64_t out = guest_map_outside(&free_gpa);
		gprintf("ends: partition %s reads 0x%016llx, outside its memory\n", si->name, (unsigned long long)out);
		(void)*(volatile uint64_t *)(uintptr_t)out;
		verdict(false, "the read outside my memory came back");
		return 1;
	}
	verdict(false, "args '%s': use exit N, hlt, hlt-sti or park", si->args);
	return 1;
}
