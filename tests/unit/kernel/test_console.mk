UNIT_TESTS += test_console
test_console_SRCS := tests/unit/kernel/test_console.c kernel/console.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
