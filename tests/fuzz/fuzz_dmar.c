/*
 * libFuzzer target for the DMAR parser: any bytes through dmar_parse(),
 * dmar_print(), dmar_resolve_scopes() against a made-up bus, and the
 * lookups, with the log formatted and dropped (no sink). Built by
 * `make fuzz` with clang -fsanitize=fuzzer,address,undefined.
 */
#include <stddef.h>
#include <stdint.h>
#include "iommu/dmar.h"
#include "kernel/hw/pci_cfg.h"
#include "kernel/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A bus that answers for some functions and not others, deterministically:
 * even devices are bridges whose secondary bus is the next one, so
 * multi-hop paths lead somewhere, and bus numbers can run out at 0xff.
 */
u32 pci_cfg_read(u32 sbdf, u16 off, u8 width)
{
	u32 ones = width == 4 ? ~0u : (1u << (8 * width)) - 1;
	u8 bus = PCI_BUS(sbdf), dev = PCI_DEV(sbdf), fn = PCI_FN(sbdf);
	bool bridge = !(dev & 1);

	if ((bus + dev + fn) % 5 == 4)
		return ones;
	switch (off) {
	case 0x00: return 0x8086 & ones;
	case 0x0e: return bridge ? 0x01 : 0x00;
	case 0x19: return bridge ? (u8)(bus + 1) : 0;
	case 0x1a: return bridge ? (u8)(bus + 1 + fn) : 0;
	default: return 0;
	}
}

void pci_cfg_write(u32 sbdf, u16 off, u8 width, u32 val)
{
	(void)sbdf, (void)off, (void)width, (void)val;
}

u32 pci_cfg_size(u32 sbdf)
{
	(void)sbdf;
	return 4096;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dmar_info d;
	static const u32 probes[] = {
		PCI_SBDF(0, 0, 2, 0), PCI_SBDF(0, 1, 0, 0), PCI_SBDF(0, 2, 0, 0),
		PCI_SBDF(0, 0, 0x1f, 0), PCI_SBDF(1, 0x40, 0, 0), PCI_SBDF(0, 0xff, 0x1f, 7),
	};

	static bool once;

	if (!once) {
		log_set_levels("debug");        /* dmar_unit_for's DBG line too */
		once = true;
	}
	if (size > 65536)
		return 0;
	if (dmar_parse(data, (u32)size, &d))
		return 0;
	dmar_print(&d);
	dmar_resolve_scopes(&d);
	dmar_print(&d);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct dmar_unit *u = dmar_unit_for(&d, probes[i]);
		const struct dmar_unit *c = dmar_unit_claiming(&d, probes[i]);
		if (u && (u != c || u->broken))
			__builtin_trap();       /* dmar_unit_for answers the claiming unit or nothing */
		(void)dmar_atsr_covers(&d, probes[i]);
		(void)dmar_satc_for(&d, probes[i]);
		for (u32 k = 0; dmar_rmrr_for(&d, probes[i], &k); k++)
			if (k >= d.nr_rmrrs || d.rmrrs[k].broken)
				__builtin_trap();
	}
	if (d.nr_scopes > DMAR_MAX_SCOPES || d.nr_units > DMAR_MAX_UNITS)
		__builtin_trap();
	return 0;
}
