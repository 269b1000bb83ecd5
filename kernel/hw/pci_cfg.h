/*
 * Door: PCI configuration space. An SBDF is segment << 16 | bus << 8 |
 * device << 3 | function (the routing ID in the low 16 bits). Natively
 * ECAM (from MCFG) serves every segment/bus range it lists, with port
 * 0xCF8/0xCFC for segment 0 when there is no MCFG; tests use a fake.
 */
#ifndef KERNEL_HW_PCI_CFG_H
#define KERNEL_HW_PCI_CFG_H
#include "kernel/types.h"

#define PCI_SBDF(s, b, d, f)    ((u32)(s) << 16 | (u32)(b) << 8 | (u32)(d) << 3 | (u32)(f))
#define PCI_SEG(sbdf)           ((u16)((sbdf) >> 16))
#define PCI_BUS(sbdf)           ((u8)((sbdf) >> 8))
#define PCI_DEV(sbdf)           ((u8)(((sbdf) >> 3) & 0x1f))
#define PCI_FN(sbdf)            ((u8)((sbdf) & 7))
#define PCI_RID(sbdf)           ((u16)(sbdf))
#define PCI_DEVFN(sbdf)         ((u8)(sbdf))

/* A function in log lines: bb:dd.f, or ssss:bb:dd.f with its segment. */
#define BDF_FMT                 "%02x:%02x.%x"
#define BDF_ARGS(sbdf)          PCI_BUS(sbdf), PCI_DEV(sbdf), PCI_FN(sbdf)
#define SBDF_FMT                "%04x:" BDF_FMT
#define SBDF_ARGS(sbdf)         PCI_SEG(sbdf), BDF_ARGS(sbdf)

/*
 * width is 1, 2 or 4 and off must be aligned to it. A read that no device
 * answers, or that the access method cannot reach (off >= 256 without
 * ECAM, a segment without ECAM), returns all-ones; such writes are dropped.
 */
u32  pci_cfg_read(u32 sbdf, u16 off, u8 width);
void pci_cfg_write(u32 sbdf, u16 off, u8 width, u32 val);
/* Largest config offset + 1 the access method gives this function: 4096 or 256. */
u32  pci_cfg_size(u32 sbdf);

#endif
