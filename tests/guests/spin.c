/*
 * spin: a guest that never ends and never exits: interrupts off, a jump to
 * itself (args = interrupts-on: with them on; write-loop: writing its free
 * memory byte by byte, write-loop-small: one page of it, interrupts off).
 * Only a time limit (the partition's time-limit or the command line's)
 * ends it: Sluice's boot CPU kicks its CPU with an IPI, which forces a VM
 * exit whatever the guest's own interrupt flag says.
 */
#include "tests/guests/lib/guest.h"

const char guest_name[] = "spin";

int guest_main(const struct sluice_start_info *si)
{
	if (!memcmp(si->args, "write-loop", 10)) {
		/* Interrupts off, writing its free memory byte by byte for ever (as kvm-unit-tests' sieve does). */
		volatile uint8_t *b = (volatile uint8_t *)(uintptr_t)si->free_gpa;
		uint64_t n = si->mem[0].gpa + si->mem[0].size - si->free_gpa;
		if (!memcmp(si->args, "write-loop-small", 17))
			n = 4096;
		gprintf("spin: partition %s on CPU %u: writing %llu bytes in a loop, interrupts off\n", si->name, si->cpu,
			(unsigned long long)n);
		__asm__ volatile("cli" ::: "memory");
		for (uint8_t v = 0;; v++)
			for (uint64_t i = 0; i < n; i++)
				b[i] = v;
	}
	if (!memcmp(si->args, "interrupts-on", 14)) {
		/* The same with RFLAGS.IF set: an external interrupt must make it exit too. */
		gprintf("spin: partition %s on CPU %u: spinning with interrupts on, no exits from here on\n", si->name,
			si->cpu);
		__asm__ volatile("sti\n1: jmp 1b" ::: "memory");
	}
	gprintf("spin: partition %s on CPU %u: spinning with interrupts off, no exits from here on\n", si->name,
		si->cpu);
	__asm__ volatile("cli\n1: jmp 1b" ::: "memory");
	return 1;       /* never reached */
}
