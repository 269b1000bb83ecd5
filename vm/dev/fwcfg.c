/*
 * A partition's read-only fw_cfg (vm/dev/fwcfg.h): the selector and data
 * ports of the traditional interface, the signature and feature items, the
 * RAM size, the CPU counts and the command line. Items are made on each
 * read from the partition's own figures; there is no file directory, no
 * DMA interface and nothing a guest can write.
 */
#include "vm/dev/fwcfg.h"
#include "kernel/lib.h"

void fwcfg_init(struct fwcfg *f, bool on, u64 ram_size, u16 cpus, const char *cmdline)
{
	memset(f, 0, sizeof(*f));
	f->on = on;
	f->ram_size = ram_size;
	f->cpus = cpus;
	f->cmdline = cmdline ? cmdline : "";
}

void fwcfg_reset(struct fwcfg *f)
{
	f->selector = FWCFG_SIGNATURE;
	f->offset = 0;
}

bool fwcfg_claims(const struct fwcfg *f, u16 port)
{
	return f->on && (port == FWCFG_PORT_SEL || port == FWCFG_PORT_DATA);
}

/*
 * The selected item's bytes: *data points at them (buf for the numeric
 * items, little-endian as QEMU stores them). Returns their length, 0 for a
 * key with no item.
 */
static u32 item(const struct fwcfg *f, u8 buf[8], const u8 **data)
{
	u64 num;
	u32 len;

	*data = buf;
	if (f->selector & FWCFG_SEL_ARCH_LOCAL)
		return 0;               /* no architecture item (ACPI, e820, ...) is offered */
	switch (f->selector & FWCFG_SEL_KEY) {
	case FWCFG_SIGNATURE:
		memcpy(buf, "QEMU", 4);
		return 4;
	case FWCFG_ID:
		num = FWCFG_ID_TRADITIONAL;
		len = 4;
		break;
	case FWCFG_RAM_SIZE:
		num = f->ram_size;
		len = 8;
		break;
	case FWCFG_NB_CPUS:
	case FWCFG_MAX_CPUS:
		num = f->cpus;
		len = 2;
		break;
	case FWCFG_CMDLINE_SIZE:
		num = strlen(f->cmdline) + 1;
		len = 4;
		break;
	case FWCFG_CMDLINE_DATA:
		*data = (const u8 *)f->cmdline;
		return (u32)strlen(f->cmdline) + 1;
	default:
		return 0;
	}
	for (u32 i = 0; i < len; i++)
		buf[i] = (u8)(num >> (8 * i));
	return len;
}

u32 fwcfg_in(struct fwcfg *f, u16 port, u32 size)
{
	u8 buf[8];
	const u8 *data;

	if (!fwcfg_claims(f, port) || size != 1) {
		f->bad_accesses++;
		return 0xffffffffu;
	}
	u32 len = item(f, buf, &data);
	f->reads++;
	/* SPEC: "After the data offset has passed the end of this maximum data length, then any reads will return a data value of 0x00". */
	if (f->offset >= len)
		return 0;
	return data[f->offset++];
}

void fwcfg_out(struct fwcfg *f, u16 port, u32 size, u32 val)
{
	if (port == FWCFG_PORT_SEL && size == 2 && f->on) {
		/* SPEC: "Setting the selector register will cause the data offset to be set to zero." */
		f->selector = (u16)val;
		f->offset = 0;
		f->selects++;
		return;
	}
	if (size == 1 && fwcfg_claims(f, port))
		f->writes_dropped++;
	else
		f->bad_accesses++;
}
