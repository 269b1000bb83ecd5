/*
 * Native MMIO door: volatile loads and stores through the identity map.
 * Regions come from a small static pool; a mapping past the direct map is
 * refused. Caching comes from the firmware's MTRRs (MMIO holes are UC there).
 */
#include "kernel/hw/io.h"
#include "kernel/hw/mem.h"
#include "kernel/spinlock.h"

#define IO_REGIONS_MAX          64

struct io_region {
	u64 pa;
	u64 size;
	const char *name;
	volatile u8 *va;
};

static struct io_region regions[IO_REGIONS_MAX];
static unsigned nr_regions;
static struct spinlock io_lock = SPINLOCK_INIT;

struct io_region *io_map(u64 pa, u64 size, const char *name)
{
	struct io_region *r = NULL;
	void *va = phys_to_virt(pa, size);

	if (!va || size == 0)
		return NULL;
	spin_lock(&io_lock);
	for (unsigned i = 0; i < nr_regions; i++)
		if (regions[i].pa == pa && regions[i].size == size)
			r = &regions[i];
	if (!r && nr_regions < IO_REGIONS_MAX) {
		r = &regions[nr_regions++];
		r->pa = pa;
		r->size = size;
		r->name = name;
		r->va = va;
	}
	spin_unlock(&io_lock);
	return r;
}

u8 io_read8(const struct io_region *r, u32 off)
{
	return *(volatile u8 *)(r->va + off);
}

u32 io_read32(const struct io_region *r, u32 off)
{
	return *(volatile u32 *)(r->va + off);
}

u64 io_read64(const struct io_region *r, u32 off)
{
	return *(volatile u64 *)(r->va + off);
}

void io_write8(const struct io_region *r, u32 off, u8 val)
{
	*(volatile u8 *)(r->va + off) = val;
}

void io_write32(const struct io_region *r, u32 off, u32 val)
{
	*(volatile u32 *)(r->va + off) = val;
}

void io_write64(const struct io_region *r, u32 off, u64 val)
{
	*(volatile u64 *)(r->va + off) = val;
}
