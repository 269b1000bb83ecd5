# kernel/acpi.c against ACPI tables compiled at test time from ASL sources in
# tests/fixtures/acpi/ by iasl (acpica-tools). The test opens the compiled
# tables from ACPI_FIXTURE_DIR (absolute, so it runs from any directory).
UNIT_TESTS += test_acpi
test_acpi_SRCS := tests/unit/kernel/test_acpi.c kernel/acpi.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_mem.c tests/fakes/fake_log.c
test_acpi_CFLAGS := -DACPI_FIXTURE_DIR='"$(CURDIR)/$(HOST)/fixtures/acpi"'

ACPI_FIXTURES := $(patsubst tests/fixtures/acpi/%.asl,$(HOST)/fixtures/acpi/%.aml,$(sort $(wildcard tests/fixtures/acpi/*.asl)))

# Order-only: the test reads the tables at run time, so a new table needs no relink.
$(HOST)/test_acpi: | $(ACPI_FIXTURES)

# Data tables and the SSDT alike; iasl's chatter is shown only when it fails.
$(HOST)/fixtures/acpi/%.aml: tests/fixtures/acpi/%.asl
	@mkdir -p $(dir $@)
	@iasl -vs -p $(basename $@) $< >$@.log 2>&1 || { cat $@.log; rm -f $@ $@.log; exit 1; }
	@rm -f $@.log
