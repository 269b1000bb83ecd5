/*
 * A fake machine's RAM for host tests: size bytes of fake physical memory
 * at pa (tests/fakes/fake_mem.h), described by a one-entry memory map and
 * handed to the real page allocator, so code under test allocates tables
 * the way it does at boot. Aborts if the allocator refuses the map.
 */
#ifndef TESTS_FAKES_FAKE_RAM_H
#define TESTS_FAKES_FAKE_RAM_H
#include "kernel/types.h"

/* Forgets all fake memory, then places and hands out [pa, pa+size). */
void fake_ram_init(u64 pa, u64 size);

#endif
