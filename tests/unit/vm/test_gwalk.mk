# vm/cpu/gwalk.c: the guest's page tables walked in every paging mode.
UNIT_TESTS += test_gwalk
test_gwalk_SRCS := tests/unit/vm/test_gwalk.c vm/cpu/gwalk.c
