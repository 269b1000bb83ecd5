/*
 * Spec: PCI Express Base Specification, Revision 6.3 (PCI-SIG, 2024);
 * capability IDs from the PCI Code and ID Assignment Specification, rev 1.x.
 * The PCI-compatible configuration header (first 64 bytes) and the legacy
 * capability list; everything PCIe-specific is in pci/pcie_hw.h.
 */
#ifndef PCI_PCI_HW_H
#define PCI_PCI_HW_H
#include "kernel/types.h"

/* §7.5.1.1 Type 0/1 Common Configuration Space */
#define PCI_VENDOR_ID           0x00    /* 16 bit, RO; 0xffff: no function answers */
#define PCI_DEVICE_ID           0x02    /* 16 bit, RO */
#define PCI_COMMAND             0x04    /* 16 bit, RW (§7.5.1.1.3) */
#define  PCI_COMMAND_IO         BIT_ULL(0)      /* I/O Space Enable */
#define  PCI_COMMAND_MEM        BIT_ULL(1)      /* Memory Space Enable */
#define  PCI_COMMAND_MASTER     BIT_ULL(2)      /* Bus Master Enable */
#define PCI_STATUS              0x06    /* 16 bit (§7.5.1.1.4) */
#define  PCI_STATUS_CAP_LIST    BIT_ULL(4)      /* Capabilities List */
#define PCI_CLASS_REV           0x08    /* 32 bit, RO: class code 31:8, revision 7:0 */
#define  PCI_CLASS_CODE         GENMASK_ULL(31, 8)
#define PCI_HEADER_TYPE         0x0e    /* 8 bit, RO (§7.5.1.1.9) */
#define  PCI_HEADER_LAYOUT      GENMASK_ULL(6, 0)       /* 0: type 0, 1: type 1 */
#define  PCI_HEADER_MF          BIT_ULL(7)      /* Multi-Function Device */
#define PCI_CAP_PTR             0x34    /* 8 bit, RO (§7.5.1.1.11) */

#define PCI_HEADER_NORMAL       0       /* type 0: endpoints */
#define PCI_HEADER_BRIDGE       1       /* type 1: bridges and ports */
#define PCI_HEADER_CARDBUS      2       /* PCI-to-CardBus; no BARs sized here */

/* Class code of a host bridge (base 06h, sub 00h), shifted as in pci_dev.class. */
#define PCI_CLASS_HOST_BRIDGE   0x0600
/*
 * PCI Code and ID Assignment Specification, §1 "Class Codes": base classes
 * and the subclasses of the platform's own functions (pci_dev.class >> 16
 * is the base, (class >> 8) & 0xff the subclass).
 */
#define PCI_BASE_BRIDGE         0x06    /* §1.7 Bridge Device */
#define  PCI_SUB_HOST           0x00    /* Host bridge */
#define  PCI_SUB_ISA            0x01    /* ISA bridge (LPC on current chipsets) */
#define PCI_BASE_SYSTEM         0x08    /* §1.9 Base System Peripherals */
#define  PCI_SUB_PIC            0x00    /* 8259 PIC, I/O APIC, I/O(x) APIC */
#define  PCI_SUB_DMA            0x01    /* 8237 / ISA / EISA DMA controller */
#define  PCI_SUB_TIMER          0x02    /* 8254, ISA/EISA timers, HPET */
#define  PCI_SUB_RTC            0x03    /* real-time clock */
#define  PCI_SUB_HOTPLUG        0x04    /* PCI hot-plug controller */
#define  PCI_SUB_IOMMU          0x06    /* IOMMU */
#define  PCI_SUB_RCEC           0x07    /* Root Complex Event Collector */
#define PCI_BASE_SERIAL_BUS     0x0c    /* §1.13 Serial Bus Controllers */
#define  PCI_SUB_SMBUS          0x05    /* SMBus (System Management Bus) */

/*
 * §7.5.1.2.1 Base Address Registers (type 0: 10h-24h, six; type 1: 10h-14h,
 * two). Bit 0 tells memory from I/O; a memory BAR's bits 2:1 give its
 * width and bit 3 prefetchability. Writing all-ones and reading back gives
 * the size mask: address bits below the size are read-only zero.
 */
#define PCI_BAR0                0x10    /* 32 bit, RW */
#define PCI_BAR_TYPE0_END       0x28    /* just past BAR5 */
#define PCI_BAR_TYPE1_END       0x18    /* just past BAR1 */
#define  PCI_BAR_SPACE_IO       BIT_ULL(0)
#define  PCI_BAR_IO_RSVD        BIT_ULL(1)
#define  PCI_BAR_IO_ADDR        GENMASK_ULL(31, 2)
#define  PCI_BAR_MEM_TYPE       GENMASK_ULL(2, 1)   /* 0: 32 bit, 1: below 1 MiB (old), 2: 64 bit */
#define   PCI_BAR_MEM_TYPE_32   0
#define   PCI_BAR_MEM_TYPE_1M   1
#define   PCI_BAR_MEM_TYPE_64   2
#define  PCI_BAR_MEM_PREFETCH   BIT_ULL(3)
#define  PCI_BAR_MEM_ADDR       GENMASK_ULL(31, 4)

/* §7.5.1.3 Type 1 Configuration Space Header */
#define PCI_PRIMARY_BUS         0x18    /* 8 bit, RW (§7.5.1.3.2) */
#define PCI_SECONDARY_BUS       0x19    /* 8 bit, RW (§7.5.1.3.3) */
#define PCI_SUBORDINATE_BUS     0x1a    /* 8 bit, RW (§7.5.1.3.4) */
/* §7.5.1.3.6 I/O Base/I/O Limit: bits 7:4 are address bits 15:12 */
#define PCI_IO_BASE             0x1c    /* 8 bit */
#define PCI_IO_LIMIT            0x1d    /* 8 bit */
#define  PCI_IO_ADDR            GENMASK_ULL(7, 4)
#define  PCI_IO_CAP             GENMASK_ULL(3, 0)       /* 0: 16-bit, 1: 32-bit decode */
#define   PCI_IO_CAP_32         1
/* §7.5.1.3.8 Memory Base/Limit: bits 15:4 are address bits 31:20 */
#define PCI_MEM_BASE            0x20    /* 16 bit */
#define PCI_MEM_LIMIT           0x22    /* 16 bit */
#define  PCI_MEM_ADDR           GENMASK_ULL(15, 4)
/* §7.5.1.3.9 Prefetchable Memory Base/Limit, same layout plus a type */
#define PCI_PREF_BASE           0x24    /* 16 bit */
#define PCI_PREF_LIMIT          0x26    /* 16 bit */
#define  PCI_PREF_CAP           GENMASK_ULL(3, 0)       /* 0: 32-bit, 1: 64-bit */
#define   PCI_PREF_CAP_64       1
#define PCI_PREF_BASE_UPPER     0x28    /* 32 bit (§7.5.1.3.10) */
#define PCI_PREF_LIMIT_UPPER    0x2c    /* 32 bit */
#define PCI_IO_BASE_UPPER       0x30    /* 16 bit (§7.5.1.3.11) */
#define PCI_IO_LIMIT_UPPER      0x32    /* 16 bit */
/* Window granularity: I/O 4 KiB, memory 1 MiB. */
#define PCI_IO_WIN_ALIGN        0x1000
#define PCI_MEM_WIN_ALIGN       0x100000

/*
 * §7.5.1.1.11 Capabilities Pointer and the legacy list: each entry is
 * ID (8 bit) then Next (8 bit). Entries live above the 64-byte header and
 * are dword aligned (the spec makes bits 1:0 of every pointer reserved 00b).
 */
#define PCI_CAP_ID              0x00
#define PCI_CAP_NEXT            0x01
#define PCI_CAP_MIN_OFF         0x40
#define PCI_CFG_LEGACY_SIZE     0x100

#define PCI_CAP_ID_PM           0x01    /* Power Management (§7.5.2) */
#define PCI_CAP_ID_MSI          0x05    /* MSI (§7.7.1) */
#define PCI_CAP_ID_EXP          0x10    /* PCI Express (§7.5.3) */
#define PCI_CAP_ID_MSIX         0x11    /* MSI-X (§7.7.2) */

#endif
