# vm/part/smp.c: a partition's IPIs (ICR filtering: its own CPUs only), INIT-SIPI-SIPI for its APs, the kicks.
UNIT_TESTS += test_guest_smp
test_guest_smp_SRCS := tests/unit/vm/test_guest_smp.c vm/part/smp.c vm/dev/vlapic.c kernel/tsc.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
