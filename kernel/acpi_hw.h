/*
 * Spec: ACPI Specification 6.5 (UEFI Forum, August 2022), chapter 5.2
 * "ACPI System Description Tables", with what a guest's tables need from
 * §4.8.3.7 (sleep registers), §6.4 (resource descriptors) and chapter 20
 * (AML encoding); MCFG from the PCI Firmware Specification
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
#define ACPI_XSDT_REVISION      1
#define ACPI_XSDT_ENTRY_SIZE    8

/* §5.2.12 "Multiple APIC Description Table (MADT)", signature "APIC". */
#define ACPI_MADT_REVISION      5       /* ACPI 6.3 on; 6.5's revision 6 changed no structure used here */
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
#define ACPI_MCFG_REVISION              1
#define ACPI_MCFG_ENTRIES               44
#define ACPI_MCFG_ENTRY_SIZE            16
#define ACPI_MCFG_ENT_BASE              0       /* 64 bit */
#define ACPI_MCFG_ENT_SEGMENT           8       /* 16 bit */
#define ACPI_MCFG_ENT_BUS_START         10
#define ACPI_MCFG_ENT_BUS_END           11
#define ACPI_MCFG_BASE_ALIGN            (1ULL << 20)    /* 1 MiB: one bus */

/*
 * §5.2.3.2 "Generic Address Structure (GAS)": 12 bytes, how a register
 * of a fixed-hardware feature is reached.
 */
#define ACPI_GAS_SPACE_ID       0
#define  ACPI_GAS_SPACE_MEMORY  0       /* System Memory */
#define  ACPI_GAS_SPACE_IO      1       /* System I/O */
#define ACPI_GAS_BIT_WIDTH      1
#define ACPI_GAS_BIT_OFFSET     2
#define ACPI_GAS_ACCESS_SIZE    3
#define  ACPI_GAS_ACCESS_BYTE   1
#define  ACPI_GAS_ACCESS_WORD   2
#define  ACPI_GAS_ACCESS_DWORD  3
#define  ACPI_GAS_ACCESS_QWORD  4
#define ACPI_GAS_ADDRESS        4       /* 64 bit */
#define ACPI_GAS_SIZE           12

/*
 * Microsoft "Serial Port Console Redirection Table (SPCR)", revision 4
 * (table revisions 2-4 share this layout up to ACPI_SPCR_REV2_SIZE; 3 adds
 * the UART clock, 4 the precise baud rate), signature "SPCR".
 */
#define ACPI_SPCR_INTERFACE_TYPE        36      /* DBG2 serial port subtype */
#define  ACPI_SPCR_TYPE_16550           0x00    /* fully 16550-compatible */
#define  ACPI_SPCR_TYPE_16550_SUBSET    0x01    /* 16550 subset compatible with DBGP revision 1 */
#define  ACPI_SPCR_TYPE_16550_GAS       0x12    /* 16550-compatible with parameters defined in Generic Address Structure */
#define ACPI_SPCR_BASE_ADDRESS          40      /* GAS; address 0: redirection disabled */
#define ACPI_SPCR_BAUD_RATE             58      /* code, ACPI_SPCR_BAUD_* */
#define  ACPI_SPCR_BAUD_AS_IS           0       /* the firmware's setting */
#define  ACPI_SPCR_BAUD_9600            3
#define  ACPI_SPCR_BAUD_19200           4
#define  ACPI_SPCR_BAUD_57600           6
#define  ACPI_SPCR_BAUD_115200          7
#define ACPI_SPCR_PARITY                59      /* 0: no parity (the only value defined) */
#define ACPI_SPCR_STOP_BITS             60      /* 1: one stop bit (the only value defined) */
#define ACPI_SPCR_REV2_SIZE             80
#define ACPI_SPCR_UART_CLOCK            76      /* 32 bit, Hz, revision 3 on; 0: not given */
#define ACPI_SPCR_PRECISE_BAUD          80      /* 32 bit, revision 4 on; 0: use ACPI_SPCR_BAUD_RATE */
#define ACPI_SPCR_REV4_SIZE             84      /* up to the namespace string's length and offset */

/* §5.2.9 "Fixed ACPI Description Table (FADT)", signature "FACP", Table 5.9. */
#define ACPI_FADT_REVISION              6       /* major version of the ACPI 6.x layout */
#define ACPI_FADT_MINOR_VERSION         5       /* ACPI 6.5 */
#define ACPI_FADT_FIRMWARE_CTRL         36      /* 32 bit, FACS */
#define ACPI_FADT_DSDT                  40      /* 32 bit */
#define ACPI_FADT_PM_PROFILE            45      /* Preferred_PM_Profile */
#define ACPI_FADT_SCI_INT               46      /* 16 bit */
#define ACPI_FADT_SMI_CMD               48      /* 32 bit, 0: no SMM to hand ACPI over from */
#define ACPI_FADT_PM1A_EVT_BLK          56      /* 32 bit */
#define ACPI_FADT_PM_TMR_BLK            76      /* 32 bit */
#define ACPI_FADT_PM_TMR_LEN            91
#define ACPI_FADT_IAPC_BOOT_ARCH        109     /* 16 bit, §5.2.9.3 */
#define  ACPI_FADT_LEGACY_DEVICES       BIT_ULL(0)      /* LPC/ISA devices the OS cannot enumerate */
#define  ACPI_FADT_8042                 BIT_ULL(1)
#define  ACPI_FADT_VGA_NOT_PRESENT      BIT_ULL(2)
#define  ACPI_FADT_MSI_NOT_SUPPORTED    BIT_ULL(3)
#define  ACPI_FADT_PCIE_ASPM_CONTROLS   BIT_ULL(4)      /* OSPM must not enable ASPM */
#define  ACPI_FADT_CMOS_RTC_NOT_PRESENT BIT_ULL(5)
#define ACPI_FADT_FLAGS                 112     /* 32 bit, Table 5.10 "Fixed ACPI Description Table Fixed Feature Flags" */
#define  ACPI_FADT_WBINVD               BIT_ULL(0)
#define  ACPI_FADT_PWR_BUTTON           BIT_ULL(4)      /* set: no fixed-feature power button */
#define  ACPI_FADT_SLP_BUTTON           BIT_ULL(5)      /* set: no fixed-feature sleep button */
#define  ACPI_FADT_RESET_REG_SUP        BIT_ULL(10)
#define  ACPI_FADT_FORCE_APIC_PHYSICAL_DESTINATION_MODE BIT_ULL(19)
#define  ACPI_FADT_HW_REDUCED_ACPI      BIT_ULL(20)
#define ACPI_FADT_RESET_REG             116     /* GAS */
#define ACPI_FADT_RESET_VALUE           128
#define ACPI_FADT_MINOR                 131     /* FADT Minor Version */
#define ACPI_FADT_X_FIRMWARE_CTRL       132     /* 64 bit */
#define ACPI_FADT_X_DSDT                140     /* 64 bit */
#define ACPI_FADT_X_PM_TMR_BLK          208     /* GAS */
#define ACPI_FADT_SLEEP_CONTROL_REG     244     /* GAS, HW-reduced ACPI only */
#define ACPI_FADT_SLEEP_STATUS_REG      256     /* GAS, HW-reduced ACPI only */
#define ACPI_FADT_HYPERVISOR_VENDOR     268     /* 64 bit, Hypervisor Vendor Identity */
#define ACPI_FADT_SIZE                  276

/*
 * §4.8.3.7 "Sleep Control and Status Registers" (HW-reduced ACPI): 8-bit
 * registers. Writing SLP_TYPx with SLP_EN puts the machine in that sleep
 * state; WAK_STS is set on wake and cleared by writing 1.
 */
#define ACPI_SLEEP_CONTROL_SLP_TYP      GENMASK_ULL(4, 2)
#define ACPI_SLEEP_CONTROL_SLP_EN       BIT_ULL(5)
#define ACPI_SLEEP_STATUS_WAK_STS       BIT_ULL(7)
/* §7.4.2 "\_Sx (System States)": S5 is soft off. */
#define ACPI_SLEEP_S5                   5

/* §5.2.11.1 "Differentiated System Description Table (DSDT)": revision 2 gives AML 64-bit integers. */
#define ACPI_DSDT_REVISION              2

/*
 * §20.2 "ACPI Machine Language (AML) Grammar" (ACPI 6.5 chapter 20):
 * the opcodes the guest DSDT uses.
 */
#define AML_ZERO_OP             0x00
#define AML_ONE_OP              0x01
#define AML_NAME_OP             0x08
#define AML_BYTE_PREFIX         0x0a
#define AML_WORD_PREFIX         0x0b
#define AML_DWORD_PREFIX        0x0c
#define AML_QWORD_PREFIX        0x0e
#define AML_SCOPE_OP            0x10
#define AML_BUFFER_OP           0x11
#define AML_PACKAGE_OP          0x12
#define AML_EXT_OP_PREFIX       0x5b
#define  AML_DEVICE_OP          0x82    /* after AML_EXT_OP_PREFIX */
#define AML_NAMESEG_LEN         4
/* §20.2.4 "Package Length Encoding": bits 7:6 of the lead byte count the bytes after it. */
#define AML_PKGLEN_1_MAX        0x3f
#define AML_PKGLEN_MAX          0x0fffffff

/*
 * §6.4 "Resource Data Types for ACPI": large items (bit 7 of the tag set),
 * a 16-bit length after the tag.
 */
#define ACPI_RES_QWORD_ADDR     0x8a    /* §6.4.3.5.1 "QWord Address Space Descriptor" */
#define ACPI_RES_QWORD_LEN      43
#define ACPI_RES_WORD_ADDR      0x88    /* §6.4.3.5.3 "Word Address Space Descriptor" */
#define ACPI_RES_WORD_LEN       13
#define ACPI_RES_TYPE_MEMORY    0       /* Resource Type byte */
#define ACPI_RES_TYPE_BUS       2
#define  ACPI_RES_FLAG_CONSUMER BIT_ULL(0)      /* General Flags: the device consumes the range (0: it produces it) */
#define  ACPI_RES_FLAG_MIF      BIT_ULL(2)      /* General Flags: minimum address fixed */
#define  ACPI_RES_FLAG_MAF      BIT_ULL(3)      /* maximum address fixed */
#define  ACPI_RES_MEM_RW        BIT_ULL(0)      /* memory Type Specific Flags: read-write */
#define ACPI_RES_IO_PORT        0x47    /* §6.4.2.5 "I/O Port Descriptor" (small item, 7 bytes of data) */
#define ACPI_RES_IO_DECODE16    0x01    /* its information byte: decodes 16 address bits */
#define ACPI_RES_END_TAG        0x79    /* §6.4.2.9 "End Tag": small item, then a checksum byte (0: none) */

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
