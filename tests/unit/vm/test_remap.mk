# vm/part/remap.c: memory remap of a running partition, over fake RAM with the real page allocator and nested table.
UNIT_TESTS += test_remap
test_remap_SRCS := tests/unit/vm/test_remap.c vm/part/remap.c kernel/pgtable.c kernel/page_alloc.c kernel/page_zero.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_mem.c tests/fakes/fake_ram.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
