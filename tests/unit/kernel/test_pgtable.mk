# kernel/pgtable.c: the one page-table builder, in its four entry formats.
UNIT_TESTS += test_pgtable
test_pgtable_SRCS := tests/unit/kernel/test_pgtable.c kernel/pgtable.c kernel/page_alloc.c kernel/page_zero.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_mem.c tests/fakes/fake_ram.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
