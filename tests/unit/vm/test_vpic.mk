# vm/dev/vpic.c: the 8259A pair a partition's guest programs.
UNIT_TESTS += test_vpic
test_vpic_SRCS := tests/unit/vm/test_vpic.c vm/dev/vpic.c kernel/lib.c
