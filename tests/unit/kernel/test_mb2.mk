UNIT_TESTS += test_mb2
test_mb2_SRCS := tests/unit/kernel/test_mb2.c kernel/mb2.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_mem.c tests/fakes/fake_log.c
