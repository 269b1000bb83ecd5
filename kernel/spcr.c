/*
 * SPCR: the firmware's serial console, as the Microsoft "Serial Port Console
 * Redirection Table" (revision 4; revisions 2 and 3 are its prefixes)
 * describes it. Only 16550-compatible UARTs are taken; interrupts, flow
 * control, terminal type and the PCI location are not used (Sluice polls).
 */
#include "kernel/spcr.h"
#include "kernel/acpi_hw.h"
#include "kernel/err.h"
#include "kernel/lib.h"

/* GAS access size (1 byte .. 8 bytes) in bits; 0 for "undefined (legacy)". */
static unsigned access_bits(u8 size)
{
	return size >= ACPI_GAS_ACCESS_BYTE && size <= ACPI_GAS_ACCESS_QWORD ? 8u << (size - 1) : 0;
}

static u32 baud_of(u8 code)
{
	switch (code) {
	case ACPI_SPCR_BAUD_9600: return 9600;
	case ACPI_SPCR_BAUD_19200: return 19200;
	case ACPI_SPCR_BAUD_57600: return 57600;
	case ACPI_SPCR_BAUD_115200: return 115200;
	default: return 0;
	}
}

static int refuse(struct spcr_info *info, int err, const char *why)
{
	info->why = why;
	return err;
}

int spcr_parse(const u8 *t, u32 len, struct spcr_info *info)
{
	memset(info, 0, sizeof(*info));
	if (len < ACPI_HDR_SIZE || memcmp(t + ACPI_HDR_SIG, "SPCR", 4))
		return refuse(info, -HV_EINVAL, "not an SPCR table");
	if (get_le32(t + ACPI_HDR_LENGTH) > len)
		return refuse(info, -HV_EINVAL, "table longer than the bytes given");
	if (len < ACPI_SPCR_REV2_SIZE || get_le32(t + ACPI_HDR_LENGTH) < ACPI_SPCR_REV2_SIZE)
		return refuse(info, -HV_EINVAL, "table shorter than the 80 bytes of revisions 1 and 2");
	info->revision = t[ACPI_HDR_REVISION];
	info->type = t[ACPI_SPCR_INTERFACE_TYPE];
	len = get_le32(t + ACPI_HDR_LENGTH);
	if (info->type != ACPI_SPCR_TYPE_16550 && info->type != ACPI_SPCR_TYPE_16550_SUBSET &&
	    info->type != ACPI_SPCR_TYPE_16550_GAS)
		return refuse(info, -HV_ENOTSUP, "interface type is not a 16550 (0x00, 0x01 or 0x12)");

	const u8 *gas = t + ACPI_SPCR_BASE_ADDRESS;
	struct uart_port *p = &info->port;
	p->base = get_le64(gas + ACPI_GAS_ADDRESS);
	if (!p->base)
		return refuse(info, -HV_ENODEV, "base address 0: console redirection is off");
	unsigned bits = access_bits(gas[ACPI_GAS_ACCESS_SIZE]);
	if (!bits)
		bits = gas[ACPI_GAS_BIT_WIDTH];
	if (gas[ACPI_GAS_SPACE_ID] == ACPI_GAS_SPACE_IO) {
		p->space = UART_SPACE_IO;
		if (bits != 8)
			return refuse(info, -HV_ENOTSUP, "I/O port UART with registers other than 8 bits wide");
		if (p->base > 0xfff8)
			return refuse(info, -HV_ENOTSUP, "I/O port base past 0xfff8");
	} else if (gas[ACPI_GAS_SPACE_ID] == ACPI_GAS_SPACE_MEMORY) {
		p->space = UART_SPACE_MMIO;
		if (bits != 8 && bits != 32)
			return refuse(info, -HV_ENOTSUP, "MMIO UART with registers neither 8 nor 32 bits wide");
	} else {
		return refuse(info, -HV_ENOTSUP, "base address neither in system I/O nor system memory");
	}
	p->reg_width = (u8)bits;
	if (gas[ACPI_GAS_BIT_OFFSET])
		return refuse(info, -HV_ENOTSUP, "registers at a nonzero bit offset");

	u8 code = t[ACPI_SPCR_BAUD_RATE];
	p->baud = baud_of(code);
	if (!p->baud && code != ACPI_SPCR_BAUD_AS_IS)
		return refuse(info, -HV_ENOTSUP, "baud rate code is none the table defines (0, 3, 4, 6, 7)");
	if (t[ACPI_SPCR_PARITY] != 0)
		return refuse(info, -HV_ENOTSUP, "parity other than none");
	if (t[ACPI_SPCR_STOP_BITS] != 1)
		return refuse(info, -HV_ENOTSUP, "stop bits other than one");
	if (info->revision >= 3 && len >= ACPI_SPCR_UART_CLOCK + 4)
		p->clock_hz = get_le32(t + ACPI_SPCR_UART_CLOCK);
	/* Revision 4: a nonzero precise baud rate replaces the code. */
	if (info->revision >= 4 && len >= ACPI_SPCR_REV4_SIZE && get_le32(t + ACPI_SPCR_PRECISE_BAUD))
		p->baud = get_le32(t + ACPI_SPCR_PRECISE_BAUD);
	return 0;
}
