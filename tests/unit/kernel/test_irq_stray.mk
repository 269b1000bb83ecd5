# kernel/irq_stray.c: interrupt or exception for vectors 0-31, EOI rules, counts, the log's rate limit.
UNIT_TESTS += test_irq_stray
test_irq_stray_SRCS := tests/unit/kernel/test_irq_stray.c kernel/irq_stray.c kernel/fatal.c kernel/check.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
