UNIT_TESTS += test_page_alloc
test_page_alloc_SRCS := tests/unit/kernel/test_page_alloc.c kernel/page_alloc.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_log.c
