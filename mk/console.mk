# The log's UART (kernel/serial.h: serial=, SPCR, COM1) and the SPCR table it reads.
CORE_SRCS += kernel/serial.c kernel/spcr.c
# The spcr-com2 scenario hands this table to QEMU (-acpitable, tests/scenarios/spcr-com2/qemu.args).
ALL_EXTRA += $(HOST)/fixtures/acpi/spcr_com2.aml
