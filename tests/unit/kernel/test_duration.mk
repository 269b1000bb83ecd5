# kernel/duration.c: time-limit durations, parsed and printed.
UNIT_TESTS += test_duration
test_duration_SRCS := tests/unit/kernel/test_duration.c kernel/duration.c kernel/fmt.c kernel/lib.c kernel/err.c
