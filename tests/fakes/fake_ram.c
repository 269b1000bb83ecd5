/* One usable RAM range in fake memory, owned by the real page allocator. */
#include <stdlib.h>
#include "tests/fakes/fake_ram.h"
#include "tests/fakes/fake_mem.h"
#include "kernel/memmap.h"
#include "kernel/page_alloc.h"

void fake_ram_init(u64 pa, u64 size)
{
	static struct memmap map;
	struct boot_mmap_entry e = { .base = pa, .size = size, .type = BOOT_MEM_USABLE };

	fake_mem_reset();
	fake_mem_add(pa, size);
	if (memmap_normalise(&e, 1, &map, NULL) || page_alloc_init(&map))
		abort();
}
