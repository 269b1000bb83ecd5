# iommu/vtd_walk.c over tables from the real builder in fake memory.
UNIT_TESTS += test_vtd_walk
test_vtd_walk_SRCS := tests/unit/iommu/test_vtd_walk.c iommu/vtd_walk.c iommu/vtd_pagetable.c kernel/pgtable.c iommu/vtd_fault.c kernel/page_alloc.c kernel/page_zero.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_mem.c tests/fakes/fake_ram.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
$(HOST)/test_vtd_walk: $(wildcard iommu/*.h)
