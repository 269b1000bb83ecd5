# kernel/smp.c: CPU list, INIT-SIPI-SIPI, CPUs that never answer, run_on rules.
UNIT_TESTS += test_smp
test_smp_SRCS := tests/unit/kernel/test_smp.c kernel/smp.c kernel/wait.c kernel/page_alloc.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_hw.c tests/fakes/fake_mem.c tests/fakes/fake_log.c
