/*
 * echo: reads lines from its COM1 (polling LSR.DR, as a driver without
 * interrupts does) and prints each back, for the operator console's
 * `console NAME`. Never ends on its own: a time limit or quit stops it.
 */
#include "tests/guests/lib/guest.h"

const char guest_name[] = "echo";

#define COM1            0x3f8
#define COM1_LSR        (COM1 + 5)
#define LSR_DR          0x01

int guest_main(const struct sluice_start_info *si)
{
	char line[80];
	unsigned len = 0;

	gprintf("echo: partition %s reads its COM1; type a line\n", si->name);
	for (;;) {
		if (!(inb(COM1_LSR) & LSR_DR))
			continue;
		char c = (char)inb(COM1);
		if (c == '\r' || c == '\n') {
			line[len] = '\0';
			if (len)
				gprintf("echo: got '%s'\n", line);
			len = 0;
		} else if (len < sizeof(line) - 1) {
			line[len++] = c;
		}
	}
	return 0;
}
