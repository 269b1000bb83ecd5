/*
 * spin: a guest that never ends and never exits: interrupts off, a jump to
 * itself. Only a time limit (the partition's time-limit or the command
 * line's) ends it: Sluice's boot CPU kicks its CPU with an IPI, which
 * forces a VM exit whatever the guest's own interrupt flag says.
 */
#include "tests/guests/lib/guest.h"

const char guest_name[] = "spin";

int guest_main(const struct sluice_start_info *si)
{
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
