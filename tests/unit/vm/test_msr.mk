# vm/cpu/msr.c and vm/cpu/cpuid.c: the MSR policy table and its value checks, the CPUID a vCPU sees.
UNIT_TESTS += test_msr
test_msr_SRCS := tests/unit/vm/test_msr.c vm/cpu/msr.c vm/cpu/cpuid.c kernel/lib.c
