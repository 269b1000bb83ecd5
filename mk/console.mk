# The log's UART (kernel/serial.h: serial=, SPCR, COM1), the SPCR table it reads, and the HPET the TSC is measured against.
CORE_SRCS += kernel/serial.c kernel/spcr.c kernel/hpet.c
# The spcr-com2 scenario hands this table to QEMU (-acpitable, tests/scenarios/spcr-com2/qemu.args).
ALL_EXTRA += $(HOST)/fixtures/acpi/spcr_com2.aml
