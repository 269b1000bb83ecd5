# vm/part/acpi_tables.c: the tables a partition's guest finds, read back by offset, by kernel/acpi.c on fake memory and by iasl (skipped without it); the power ports' decision.
UNIT_TESTS += test_acpi_tables
test_acpi_tables_SRCS := tests/unit/vm/test_acpi_tables.c vm/part/acpi_tables.c kernel/acpi.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_mem.c tests/fakes/fake_log.c
