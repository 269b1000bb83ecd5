# vm/dev/vlapic.c: the guest local APIC's registers through MSRs and MMIO, mode switches, priorities, EOI, the ICR and the timer modes on a fake clock.
UNIT_TESTS += test_vlapic
test_vlapic_SRCS := tests/unit/vm/test_vlapic.c vm/dev/vlapic.c kernel/tsc.c kernel/lib.c kernel/err.c tests/fakes/fake_hw.c
