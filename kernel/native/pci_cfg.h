/* Set-up of the native configuration door (kernel/hw/pci_cfg.h). */
#ifndef KERNEL_NATIVE_PCI_CFG_H
#define KERNEL_NATIVE_PCI_CFG_H
#include "kernel/types.h"

/* Registers one MCFG range (base is bus 0's); returns 0, or -1 when full or unmapped. */
int pci_cfg_native_add_ecam(u64 base, u16 seg, u8 bus_start, u8 bus_end);

#endif
