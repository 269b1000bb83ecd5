# The firmware tables a partition's guest finds and the power ports they name (vm/part/acpi_tables.h).
CORE_SRCS += vm/part/acpi_tables.c
