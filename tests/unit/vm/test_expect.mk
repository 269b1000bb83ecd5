# vm/part/expect.c: the check at a partition's end, every end against every expectation.
UNIT_TESTS += test_expect
test_expect_SRCS := tests/unit/vm/test_expect.c vm/part/expect.c kernel/fmt.c kernel/lib.c
