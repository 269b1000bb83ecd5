/*
 * Shared set-up of the VT-d unit tests: fresh fakes (CPU, port and MMIO
 * doors, log capture at info) and ram_size bytes of fake RAM under the real
 * page allocator, where the driver allocates its tables.
 */
#ifndef TESTS_UNIT_IOMMU_VTD_FIXTURE_H
#define TESTS_UNIT_IOMMU_VTD_FIXTURE_H
#include "kernel/log.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_io.h"
#include "tests/fakes/fake_log.h"
#include "tests/fakes/fake_mem.h"
#include "tests/fakes/fake_ram.h"

static inline void vtd_fixture_reset(u64 ram_size)
{
	fake_hw_reset();
	fake_io_reset();
	fake_log_capture();
	log_set_levels("info");
	fake_ram_init(FAKE_MEM_BASE, ram_size);
}

static inline int vtd_fixture_teardown(void **state)
{
	(void)state;
	fake_io_reset();
	fake_mem_reset();
	return 0;
}

#endif
