# vm/dev/vpit.c: counter 0 of the 8254 on a given clock.
UNIT_TESTS += test_vpit
test_vpit_SRCS := tests/unit/vm/test_vpit.c vm/dev/vpit.c kernel/lib.c
