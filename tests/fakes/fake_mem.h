/*
 * Fake physical memory for host tests: host buffers placed at chosen
 * "physical" addresses. phys_to_virt() answers only inside a placed buffer,
 * so a table length running past the mapping is seen as it would be on a
 * machine. Put fake memory at 0x80000000 and up so pa/va mix-ups fail.
 */
#ifndef TESTS_FAKES_FAKE_MEM_H
#define TESTS_FAKES_FAKE_MEM_H
#include "kernel/types.h"

#define FAKE_MEM_BASE           0x80000000ULL

/* Places a zeroed buffer of size bytes at pa; returns its host pointer. */
void *fake_mem_add(u64 pa, u64 size);
/* Places a copy of data at pa. */
void *fake_mem_add_copy(u64 pa, const void *data, u64 size);
/*
 * Places the caller's buffer of size bytes at pa (large ones: memory that
 * is mapped but not committed until written); reset forgets it unfreed.
 */
void fake_mem_add_buffer(u64 pa, u64 size, void *buf);
/* Frees every placed buffer. */
void fake_mem_reset(void);

#endif
