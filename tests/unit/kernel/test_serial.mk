# kernel/spcr.c against SPCR tables compiled by iasl from tests/fixtures/acpi/spcr_*.asl
# (patched copies for what iasl 2020 cannot write), kernel/uart16550.c on
# I/O ports and MMIO, and kernel/serial.c's choice of UART and early-log replay.
UNIT_TESTS += test_serial
test_serial_SRCS := tests/unit/kernel/test_serial.c kernel/serial.c kernel/spcr.c kernel/uart16550.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_hw.c tests/fakes/fake_io.c tests/fakes/fake_mem.c tests/fakes/fake_log.c
test_serial_CFLAGS := -DACPI_FIXTURE_DIR='"$(CURDIR)/$(HOST)/fixtures/acpi"'
$(HOST)/test_serial: | $(ACPI_FIXTURES)
