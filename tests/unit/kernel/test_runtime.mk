UNIT_TESTS += test_runtime
test_runtime_SRCS := tests/unit/kernel/test_runtime.c kernel/check.c kernel/wait.c kernel/tsc.c kernel/fatal.c kernel/uart16550.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_hw.c tests/fakes/fake_io.c tests/fakes/fake_mem.c tests/fakes/fake_log.c
