UNIT_TESTS += test_log
test_log_SRCS := tests/unit/kernel/test_log.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_log.c
