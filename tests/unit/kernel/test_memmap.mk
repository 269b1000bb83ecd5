UNIT_TESTS += test_memmap
test_memmap_SRCS := tests/unit/kernel/test_memmap.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_log.c
