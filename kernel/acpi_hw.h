/*
 * Spec: ACPI Specification 6.5 (UEFI Forum, August 2022), chapter 5.2
 * "ACPI System Description Tables"; MCFG from the PCI Firmware Specification
 * 3.3; the DMAR header from Intel VT-d Architecture Specification (D51397).
 * Byte offsets and sizes only: tables are packed and unaligned, so code reads
 * them with get_le16/32/64 instead of overlaying C structs.
 */
#ifndef KERNEL_ACPI_HW_H
#define KERNEL_ACPI_HW_H
#include "kernel/types.h"

/* §5.2.5.1 "Finding the RSDP on IA-PC Systems". */
#define ACPI_BDA_EBDA_SEG       0x40e   /* 16-bit real-mode segment of the EBDA */
#define ACPI_EBDA_SCAN_SIZE     1024    /* only the first KiB is searched */
#define ACPI_BIOS_ROM_START     0xe0000
#define ACPI_BIOS_ROM_END       0x100000        /* exclusive */
#define ACPI_RSDP_ALIGN         16

/* §5.2.5.3 "Root System Description Pointer (RSDP) Structure". */
#define ACPI_RSDP_SIGNATURE     "RSD PTR "
#define ACPI_RSDP_SIG           0       /* 8 bytes */
#define ACPI_RSDP_CHECKSUM      8       /* covers the first 20 bytes */
#define ACPI_RSDP_OEMID         9       /* 6 bytes */
#define ACPI_RSDP_REVISION      15      /* 0: ACPI 1.0, 2: ACPI 2.0 and later */
#define ACPI_RSDP_RSDT_ADDR     16      /* 32 bit */
#define ACPI_RSDP_V1_SIZE       20
#define ACPI_RSDP_LENGTH        20      /* 32 bit, whole structure (rev >= 2) */
#define ACPI_RSDP_XSDT_ADDR     24      /* 64 bit */
#define ACPI_RSDP_EXT_CHECKSUM  32      /* covers Length bytes */
#define ACPI_RSDP_V2_SIZE       36

/* §5.2.6 "System Description Table Header": common to every table below. */
#define ACPI_HDR_SIG            0       /* 4 bytes */
#define ACPI_HDR_LENGTH         4       /* 32 bit, header included */
#define ACPI_HDR_REVISION       8
#define ACPI_HDR_CHECKSUM       9       /* whole table sums to 0 */
#define ACPI_HDR_OEMID          10      /* 6 bytes */
#define ACPI_HDR_OEM_TABLE_ID   16      /* 8 bytes */
#define ACPI_HDR_OEM_REVISION   24
#define ACPI_HDR_CREATOR_ID     28
#define ACPI_HDR_CREATOR_REV    32
#define ACPI_HDR_SIZE           36
#define ACPI_OEMID_LEN          6

/* §5.2.7 "Root System Description Table (RSDT)": 32-bit entries. */
#define ACPI_RSDT_ENTRY_SIZE    4
/* §5.2.8 "Extended System Description Table (XSDT)": 64-bit entries. */
#define ACPI_XSDT_ENTRY_SIZE    8

/* §5.2.12 "Multiple APIC Description Table (MADT)", signature "APIC". */
#define ACPI_MADT_LAPIC_ADDR    36      /* 32 bit */
#define ACPI_MADT_FLAGS         40      /* 32 bit */
#define  ACPI_MADT_PCAT_COMPAT  BIT_ULL(0)      /* dual 8259s present */
#define ACPI_MADT_ENTRIES       44      /* first Interrupt Controller Structure */
#define ACPI_MADT_ENT_TYPE      0       /* every entry: type, then length */
#define ACPI_MADT_ENT_LEN       1

/* §5.2.12.2 "Processor Local APIC Structure". */
#define ACPI_MADT_TYPE_LAPIC            0
#define ACPI_MADT_LAPIC_UID             2
#define ACPI_MADT_LAPIC_ID              3
#define ACPI_MADT_LAPIC_FLAGS           4       /* 32 bit, Local APIC Flags */
#define ACPI_MADT_LAPIC_SIZE            8
#define  ACPI_MADT_LAPIC_ENABLED        BIT_ULL(0)
#define  ACPI_MADT_LAPIC_ONLINE_CAPABLE BIT_ULL(1)      /* ACPI 6.3 and later */

/* §5.2.12.3 "I/O APIC Structure". */
#define ACPI_MADT_TYPE_IOAPIC           1
#define ACPI_MADT_IOAPIC_ID             2
#define ACPI_MADT_IOAPIC_ADDR           4       /* 32 bit */
#define ACPI_MADT_IOAPIC_GSI_BASE       8       /* 32 bit */
#define ACPI_MADT_IOAPIC_SIZE           12

/* §5.2.12.5 "Interrupt Source Override Structure". */
#define ACPI_MADT_TYPE_OVERRIDE         2
#define ACPI_MADT_OVR_BUS               2       /* 0: ISA */
#define ACPI_MADT_OVR_SOURCE            3       /* bus-relative IRQ */
#define ACPI_MADT_OVR_GSI               4       /* 32 bit */
#define ACPI_MADT_OVR_FLAGS             8       /* 16 bit, MPS INTI Flags */
#define ACPI_MADT_OVR_SIZE              10
/* MPS INTI Flags: 0 in either field means "conforms to the bus". */
#define  ACPI_MPS_INTI_POLARITY         GENMASK_ULL(1, 0)       /* 1 high, 3 low */
#define  ACPI_MPS_INTI_TRIGGER          GENMASK_ULL(3, 2)       /* 1 edge, 3 level */

/* §5.2.12.8 "Local APIC Address Override Structure". */
#define ACPI_MADT_TYPE_LAPIC_OVERRIDE   5
#define ACPI_MADT_LAPIC_OVR_ADDR        4       /* 64 bit */
#define ACPI_MADT_LAPIC_OVR_SIZE        12

/* §5.2.12.12 "Processor Local x2APIC Structure". */
#define ACPI_MADT_TYPE_X2APIC           9
#define ACPI_MADT_X2APIC_ID             4       /* 32 bit */
#define ACPI_MADT_X2APIC_FLAGS          8       /* 32 bit, Local APIC Flags */
#define ACPI_MADT_X2APIC_UID            12      /* 32 bit */
#define ACPI_MADT_X2APIC_SIZE           16

/*
 * PCI Firmware Specification 3.3, §4.1.2 "MCFG Table Description": 8
 * reserved bytes after the header, then one 16-byte allocation structure per
 * segment and bus range. The base is where bus 0 of the segment would be.
 */
#define ACPI_MCFG_ENTRIES               44
#define ACPI_MCFG_ENTRY_SIZE            16
#define ACPI_MCFG_ENT_BASE              0       /* 64 bit */
#define ACPI_MCFG_ENT_SEGMENT           8       /* 16 bit */
#define ACPI_MCFG_ENT_BUS_START         10
#define ACPI_MCFG_ENT_BUS_END           11
#define ACPI_MCFG_BASE_ALIGN            (1ULL << 20)    /* 1 MiB: one bus */

/*
 * VT-d §8.1 "DMA Remapping Reporting Structure": only the header here;
 * the remapping structures after it belong to iommu/.
 */
#define ACPI_DMAR_HAW                   36      /* host address width - 1 */
#define ACPI_DMAR_FLAGS                 37
#define  ACPI_DMAR_INTR_REMAP           BIT_ULL(0)
#define  ACPI_DMAR_X2APIC_OPT_OUT       BIT_ULL(1)
#define  ACPI_DMAR_DMA_CTRL_OPT_IN      BIT_ULL(2)
#define ACPI_DMAR_STRUCTURES            48      /* first remapping structure */

#endif
