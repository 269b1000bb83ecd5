# iommu/vtd_pagetable.c kernel/pgtable.c over fake memory at 0x80000000 with the real page allocator.
UNIT_TESTS += test_vtd_pagetable
test_vtd_pagetable_SRCS := tests/unit/iommu/test_vtd_pagetable.c iommu/vtd_pagetable.c kernel/pgtable.c kernel/page_alloc.c kernel/page_zero.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_mem.c tests/fakes/fake_ram.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
$(HOST)/test_vtd_pagetable: $(wildcard iommu/*.h)
