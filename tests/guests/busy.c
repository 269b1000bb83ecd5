/*
 * busy: work that keeps every general register live for a while, so that
 * whatever Sluice does with the CPU meanwhile (interrupts, NMIs, INITs sent
 * to it by selftest=irq) must leave the guest's state as it was. Runs
 * BUSY_ROUNDS rounds of a register-heavy mix, each twice, printing one
 * line per round; a round whose two runs differ, or a total that is not
 * the one computed before the first round, is a FAILED verdict.
 */
#include "tests/guests/lib/guest.h"

const char guest_name[] = "busy";

#define BUSY_ROUNDS             16
#define BUSY_STEPS              400000

/* Eight values mixed together, so the compiler keeps them in registers across the whole loop. */
static uint64_t mix(uint64_t seed, uint32_t steps)
{
	uint64_t a = seed, b = seed ^ 0x9e3779b97f4a7c15ULL, c = seed * 3, d = ~seed;
	uint64_t e = seed + 1, f = seed << 7, g = seed >> 3, h = seed ^ 0xdeadbeefULL;

	for (uint32_t i = 0; i < steps; i++) {
		a += b ^ (c >> 3);
		b = (b << 13 | b >> 51) ^ d;
		c += e * 0x2545f4914f6cdd1dULL;
		d ^= a + f;
		e = (e << 7 | e >> 57) + g;
		f += h ^ c;
		g ^= (a << 5) + i;
		h += d ^ b;
	}
	return a ^ b ^ c ^ d ^ e ^ f ^ g ^ h;
}

int guest_main(const struct sluice_start_info *si)
{
	uint64_t total = 0, want = 0;
	uint32_t bad = 0;

	for (uint32_t r = 0; r < BUSY_ROUNDS; r++)
		want ^= mix(r + 1, 1000) * (r + 1);
	gprintf("busy: %s on CPU %u: %u rounds of %u steps\n", si->name, si->cpu, BUSY_ROUNDS, BUSY_STEPS);
	for (uint32_t r = 0; r < BUSY_ROUNDS; r++) {
		uint64_t x = mix(r + 1, BUSY_STEPS), y = mix(r + 1, BUSY_STEPS);
		bad += x != y;
		total ^= mix(r + 1, 1000) * (r + 1);
		gprintf("busy: round %u: 0x%016llx%s\n", r, (unsigned long long)x, x != y ? " (runs differ)" : "");
	}
	verdict(bad == 0 && total == want, "%u rounds computed twice alike (%u differ), total 0x%016llx as computed first",
		BUSY_ROUNDS, bad, (unsigned long long)total);
	return bad || total != want;
}
