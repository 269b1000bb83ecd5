# The firmware tables a partition's guest finds and the power ports they name (vm/part/acpi_tables.h, vm/part/acpi.c).
CORE_SRCS += vm/part/acpi_tables.c vm/part/acpi.c
