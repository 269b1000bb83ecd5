# kernel/tsc.c's sources in order (CPUID 0x15/0x16, the HPET, the PIT) and
# kernel/hpet.c against the HPET fixture (tests/fixtures/acpi/hpet.asl) and a
# fake timer block whose counter follows the fake TSC.
UNIT_TESTS += test_tsc
test_tsc_SRCS := tests/unit/kernel/test_tsc.c kernel/tsc.c kernel/hpet.c kernel/lib.c kernel/err.c tests/fakes/fake_hw.c tests/fakes/fake_io.c tests/fakes/fake_mem.c
test_tsc_CFLAGS := -DACPI_FIXTURE_DIR='"$(CURDIR)/$(HOST)/fixtures/acpi"'
$(HOST)/test_tsc: | $(ACPI_FIXTURES)
