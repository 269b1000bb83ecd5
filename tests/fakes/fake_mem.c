/* Host implementation of kernel/hw/mem.h over placed buffers. */
#include <stdlib.h>
#include <string.h>
#include "kernel/hw/mem.h"
#include "tests/fakes/fake_mem.h"

#define FAKE_MEM_REGIONS        64

static struct { u64 pa, size; u8 *buf; bool borrowed; } regions[FAKE_MEM_REGIONS];
static unsigned nr_regions;

void *fake_mem_add(u64 pa, u64 size)
{
	if (nr_regions == FAKE_MEM_REGIONS)
		abort();
	u8 *buf = calloc(1, size ? size : 1);
	if (!buf)
		abort();
	regions[nr_regions].pa = pa;
	regions[nr_regions].size = size;
	regions[nr_regions].buf = buf;
	regions[nr_regions].borrowed = false;
	nr_regions++;
	return buf;
}

void fake_mem_add_buffer(u64 pa, u64 size, void *buf)
{
	if (nr_regions == FAKE_MEM_REGIONS)
		abort();
	regions[nr_regions].pa = pa;
	regions[nr_regions].size = size;
	regions[nr_regions].buf = buf;
	regions[nr_regions].borrowed = true;
	nr_regions++;
}

void *fake_mem_add_copy(u64 pa, const void *data, u64 size)
{
	void *p = fake_mem_add(pa, size);
	memcpy(p, data, size);
	return p;
}

void fake_mem_reset(void)
{
	for (unsigned i = 0; i < nr_regions; i++)
		if (!regions[i].borrowed)
			free(regions[i].buf);
	nr_regions = 0;
}

void *phys_to_virt(u64 pa, u64 len)
{
	for (unsigned i = 0; i < nr_regions; i++) {
		u64 b = regions[i].pa, s = regions[i].size;
		if (pa >= b && pa - b <= s && len <= s - (pa - b))
			return regions[i].buf + (pa - b);
	}
	return NULL;
}

u64 virt_to_phys(const void *va)
{
	const u8 *p = va;
	for (unsigned i = 0; i < nr_regions; i++)
		if (p >= regions[i].buf && p < regions[i].buf + regions[i].size)
			return regions[i].pa + (u64)(p - regions[i].buf);
	return ~0ULL;
}
