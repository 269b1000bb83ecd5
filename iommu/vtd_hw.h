/*
 * Spec: Intel VT-d Architecture Specification (D51397), rev 4.x/5.0.
 * VT-d structures in memory, legacy mode: root and context entries,
 * second-stage paging entries ("second-level" before rev 3.x), 128-bit
 * invalidation descriptors, the fault recording register's fields and the
 * fault reasons. MMIO offsets and CAP/ECAP fields: iommu/vtd_regs.h.
 */
#ifndef IOMMU_VTD_HW_H
#define IOMMU_VTD_HW_H
#include "kernel/types.h"

#define VTD_TABLE_SIZE          4096    /* every table below is one 4 KiB page */

/* §9.1 Root Entry: 128 bits, one per bus; the table is indexed by bus. */
#define VTD_RE_LO_P             BIT_ULL(0)              /* Present */
#define VTD_RE_LO_RSVD          GENMASK_ULL(11, 1)
#define VTD_RE_LO_CTP           GENMASK_ULL(63, 12)     /* Context-table Pointer (HAW-1:12) */
/* The upper 64 bits are reserved in legacy mode (scalable mode uses them). */
#define VTD_ROOT_ENTRIES        256
struct vtd_root_entry { u64 lo, hi; };
_Static_assert(sizeof(struct vtd_root_entry) == 16, "§9.1");

/*
 * §9.3 Context Entry: 128 bits, one per devfn in a bus's context table.
 * A present entry names a domain (DID) and its second-stage table (SSPTPTR,
 * with AW levels); TT says which requests it translates.
 */
#define VTD_CE_LO_P             BIT_ULL(0)              /* Present */
#define VTD_CE_LO_FPD           BIT_ULL(1)              /* Fault Processing Disable */
#define VTD_CE_LO_TT            GENMASK_ULL(3, 2)       /* Translation Type */
#define  VTD_TT_UNTRANSLATED    0       /* untranslated requests only, through SSPTPTR */
#define  VTD_TT_DEVTLB          1       /* also ATS translation requests (ECAP.DT) */
#define  VTD_TT_PASSTHROUGH     2       /* untranslated requests pass through (ECAP.PT) */
#define VTD_CE_LO_RSVD          GENMASK_ULL(11, 4)
#define VTD_CE_LO_SSPTPTR       GENMASK_ULL(63, 12)     /* second-stage table (HAW-1:12) */
#define VTD_CE_HI_AW            GENMASK_ULL(2, 0)       /* Address Width */
#define VTD_CE_HI_IGN           GENMASK_ULL(6, 3)       /* ignored by hardware */
#define VTD_CE_HI_DID           GENMASK_ULL(23, 8)      /* Domain Identifier */
#define VTD_CE_HI_RSVD          (BIT_ULL(7) | GENMASK_ULL(63, 24))
#define VTD_CONTEXT_ENTRIES     256
struct vtd_context_entry { u64 lo, hi; };
_Static_assert(sizeof(struct vtd_context_entry) == 16, "§9.3");

/*
 * AW (context entry) and the bits of CAP.SAGAW share one encoding: value n
 * is an AGAW of 30 + 9n bits walked with n + 2 levels, and SAGAW bit n says
 * the unit supports it. Rev 4.x defines n = 1 (39-bit, 3 levels), 2 (48-bit,
 * 4 levels) and 3 (57-bit, 5 levels); n = 0 (30-bit) was dropped.
 */
#define VTD_AW_39               1
#define VTD_AW_48               2
#define VTD_AW_57               3
#define VTD_AW_LEVELS(aw)       ((unsigned)(aw) + 2)
#define VTD_AW_BITS(aw)         (30u + 9u * (unsigned)(aw))
#define VTD_LEVELS_BITS(levels) (12u + 9u * (unsigned)(levels))   /* 3 -> 39, 4 -> 48 */

/*
 * §9.8 Second-Stage Paging Entries. One 4 KiB table of 512 entries per
 * level; level 1 entries map 4 KiB, PS at level 2 maps 2 MiB and at level 3
 * 1 GiB (when CAP.SLLPS says so); PS is reserved at levels 4 and 5. An entry
 * with R, W (and X) all clear is not present. Permissions are ANDed along the
 * walk. Bits 63 and 61:52 are ignored; bits 51:HAW are reserved.
 */
#define VTD_SSPTE_R             BIT_ULL(0)              /* Read */
#define VTD_SSPTE_W             BIT_ULL(1)              /* Write */
#define VTD_SSPTE_X             BIT_ULL(2)              /* Execute (not used by Sluice) */
#define VTD_SSPTE_PS            BIT_ULL(7)              /* Page Size: this entry is a leaf */
#define VTD_SSPTE_SNP           BIT_ULL(11)             /* Snoop; reserved unless ECAP.SC */
#define VTD_SSPTE_ADDR          GENMASK_ULL(51, 12)     /* next table or page (HAW-1:12) */
#define VTD_SSPTE_TM            BIT_ULL(62)             /* Transient Mapping; needs ECAP.DT */
#define VTD_SSPTE_IGN           (BIT_ULL(63) | GENMASK_ULL(61, 52))
#define VTD_SSPT_ENTRIES        512
/* log2 of what one entry at level l maps, and the index of address a at level l. */
#define VTD_LEVEL_SHIFT(l)      (12u + 9u * ((unsigned)(l) - 1))
#define VTD_LEVEL_INDEX(a, l)   ((unsigned)(((a) >> VTD_LEVEL_SHIFT(l)) & (VTD_SSPT_ENTRIES - 1)))

/*
 * §6.5.2 Queued Invalidation Interface: 128-bit descriptors (256-bit ones
 * exist only in scalable mode). The descriptor type is 7 bits split over
 * bits 11:9 (high part, zero for every type here) and 3:0.
 */
#define VTD_DESC_LO_TYPE        GENMASK_ULL(3, 0)
#define VTD_DESC_LO_TYPE_HI     GENMASK_ULL(11, 9)
#define  VTD_DESC_CC            0x1     /* context-cache invalidate */
#define  VTD_DESC_IOTLB         0x2     /* IOTLB invalidate */
#define  VTD_DESC_DEVTLB        0x3     /* device-TLB invalidate */
#define  VTD_DESC_IEC           0x4     /* interrupt entry cache invalidate */
#define  VTD_DESC_WAIT          0x5     /* invalidation wait */

/* §6.5.2.1 Context-cache Invalidate Descriptor. The upper 64 bits are reserved. */
#define VTD_CC_LO_G             GENMASK_ULL(5, 4)       /* Granularity */
#define  VTD_CC_G_GLOBAL        1
#define  VTD_CC_G_DOMAIN        2
#define  VTD_CC_G_DEVICE        3
#define VTD_CC_LO_DID           GENMASK_ULL(31, 16)     /* Domain-ID */
#define VTD_CC_LO_SID           GENMASK_ULL(47, 32)     /* Source-ID */
#define VTD_CC_LO_FM            GENMASK_ULL(49, 48)     /* Function Mask: ignore SID bits 2:0 */

/* §6.5.2.3 IOTLB Invalidate Descriptor. */
#define VTD_IOTLB_LO_G          GENMASK_ULL(5, 4)       /* Granularity */
#define  VTD_IOTLB_G_GLOBAL     1
#define  VTD_IOTLB_G_DOMAIN     2
#define  VTD_IOTLB_G_PAGE       3       /* page-selective-within-domain */
#define VTD_IOTLB_LO_DW         BIT_ULL(6)              /* Drain Writes (CAP.DWD) */
#define VTD_IOTLB_LO_DR         BIT_ULL(7)              /* Drain Reads (CAP.DRD) */
#define VTD_IOTLB_LO_DID        GENMASK_ULL(31, 16)     /* Domain-ID */
#define VTD_IOTLB_HI_AM         GENMASK_ULL(5, 0)       /* Address Mask: 2^AM pages (<= CAP.MAMV) */
#define VTD_IOTLB_HI_IH         BIT_ULL(6)              /* Invalidation Hint: only leaves changed */
#define VTD_IOTLB_HI_ADDR       GENMASK_ULL(63, 12)

/*
 * §6.5.2.5 Device-TLB Invalidate Descriptor. PFSID (the PF's source-id,
 * for a VF) is used only when ECAP.DIT=1; otherwise the bits are reserved
 * (QEMU checks). With S=1 the size is 2^(n+1) pages, n being the number of
 * 1 bits in ADDR from bit 12 up to the first 0.
 */
#define VTD_DEVTLB_LO_PFSID_LO  GENMASK_ULL(15, 12)     /* PFSID bits 3:0 */
#define VTD_DEVTLB_LO_MIP       GENMASK_ULL(20, 16)     /* Max Invs Pending (ATS queue depth) */
#define VTD_DEVTLB_LO_SID       GENMASK_ULL(47, 32)     /* Source-ID of the device */
#define VTD_DEVTLB_LO_PFSID_HI  GENMASK_ULL(63, 52)     /* PFSID bits 15:4 */
#define VTD_DEVTLB_HI_S         BIT_ULL(0)              /* Size: range encoded in ADDR */
#define VTD_DEVTLB_HI_ADDR      GENMASK_ULL(63, 12)

/* §6.5.2.7 Interrupt Entry Cache Invalidate Descriptor. Upper 64 bits reserved. */
#define VTD_IEC_LO_G            BIT_ULL(4)      /* Granularity: 0 global, 1 index-selective */
#define VTD_IEC_LO_IM           GENMASK_ULL(31, 27)     /* Index Mask: 2^IM entries */
#define VTD_IEC_LO_IIDX         GENMASK_ULL(47, 32)     /* Interrupt Index */

/*
 * §6.5.2.8 Invalidation Wait Descriptor. SW writes Status Data (32 bits) to
 * Status Address once everything before it has completed; IF raises the
 * invalidation completion event instead. QEMU aborts on a descriptor with
 * both, so Sluice never builds one.
 */
#define VTD_WAIT_LO_IF          BIT_ULL(4)      /* Interrupt Flag */
#define VTD_WAIT_LO_SW          BIT_ULL(5)      /* Status Write */
#define VTD_WAIT_LO_FN          BIT_ULL(6)      /* Fence: later descriptors wait for this one */
#define VTD_WAIT_LO_PD          BIT_ULL(7)      /* Page-request Drain (reserved in QEMU) */
#define VTD_WAIT_LO_STATDATA    GENMASK_ULL(63, 32)
#define VTD_WAIT_HI_STATADDR    GENMASK_ULL(63, 2)      /* 4-byte aligned */

/*
 * §9.10 "Interrupt Remapping Table Entry (IRTE) for Remapped Interrupts"
 * (§9.11 is the posted form, IM = 1, which Sluice never writes). 128 bits,
 * indexed by the interrupt_index of a remappable-format request (§5.1.2).
 * An entry with P clear blocks the interrupt and records fault 0x22; a
 * zeroed table is "every entry not present". DST holds the APIC ID in bits
 * 15:8 (xAPIC, IRTA.EIME = 0) or all 32 bits (x2APIC, EIME = 1).
 */
#define VTD_IRTE_LO_P           BIT_ULL(0)              /* Present */
#define VTD_IRTE_LO_FPD         BIT_ULL(1)              /* Fault Processing Disable */
#define VTD_IRTE_LO_DM          BIT_ULL(2)              /* Destination Mode: 1 logical */
#define VTD_IRTE_LO_RH          BIT_ULL(3)              /* Redirection Hint */
#define VTD_IRTE_LO_TM          BIT_ULL(4)              /* Trigger Mode: 1 level */
#define VTD_IRTE_LO_DLM         GENMASK_ULL(7, 5)       /* Delivery Mode */
#define  VTD_IRTE_DLM_FIXED     0
#define VTD_IRTE_LO_IM          BIT_ULL(15)             /* IRTE Mode: 0 remapped, 1 posted (§9.11) */
#define VTD_IRTE_LO_V           GENMASK_ULL(23, 16)     /* Vector */
#define VTD_IRTE_LO_DST         GENMASK_ULL(63, 32)     /* Destination ID */
#define  VTD_IRTE_DST_XAPIC     GENMASK_ULL(15, 8)      /* within DST: the 8-bit APIC ID when EIME = 0 */
#define VTD_IRTE_HI_SID         GENMASK_ULL(15, 0)      /* Source Identifier */
#define  VTD_IRTE_SID_START_BUS GENMASK_ULL(15, 8)      /* within SID, SVT = 10: first bus */
#define  VTD_IRTE_SID_END_BUS   GENMASK_ULL(7, 0)       /* within SID, SVT = 10: last bus */
#define VTD_IRTE_HI_SQ          GENMASK_ULL(17, 16)     /* Source-id Qualifier */
#define  VTD_IRTE_SQ_ALL        0                       /* SVT = 01: compare all 16 bits of SID */
#define VTD_IRTE_HI_SVT         GENMASK_ULL(19, 18)     /* Source Validation Type */
#define  VTD_IRTE_SVT_NONE      0                       /* no check (Sluice never writes it) */
#define  VTD_IRTE_SVT_SID       1                       /* requester-id equals SID (under SQ) */
#define  VTD_IRTE_SVT_BUS       2                       /* requester's bus within SID's bus range */
struct vtd_irte { u64 lo, hi; };
_Static_assert(sizeof(struct vtd_irte) == 16, "§9.10");

/*
 * §5.1.2.2 "Interrupt Requests in Remappable Format": a DMA write of 32
 * bits to 0xFEEx_xxxx with address bit 4 set. interrupt_index is the
 * 16-bit handle (address bits 19:5 and bit 2), plus the data's subhandle
 * when SHV (bit 3) is set. Bit 4 clear is Compatibility format (§5.1.2.1),
 * which the unit passes only with GCMD.CFI set and IRTA.EIME clear.
 */
#define VTD_MSI_ADDR_BASE       0xfee00000u
#define VTD_MSI_ADDR_HANDLE_LO  GENMASK_ULL(19, 5)      /* handle bits 14:0 */
#define VTD_MSI_ADDR_FORMAT     BIT_ULL(4)              /* 1: remappable */
#define VTD_MSI_ADDR_SHV        BIT_ULL(3)              /* SubHandle Valid */
#define VTD_MSI_ADDR_HANDLE_HI  BIT_ULL(2)              /* handle bit 15 */

/*
 * §11.4.14 Fault Recording Registers [n]: 128 bits each, read as two 64-bit
 * halves. _HI fields are bits 127:64 shifted down by 64. FI holds page
 * address bits 63:12 of the faulting request (for an interrupt-remapping
 * fault, bits 63:48 hold the interrupt index). T1 = 0 is a write, 1 a read
 * (or AtomicOp) when T2 = 0; T2 = 1 marks page and translation requests.
 * F is write-1-to-clear.
 */
#define VTD_FRCD_LO_FI          GENMASK_ULL(63, 12)     /* Fault Info */
#define VTD_FRCD_LO_IR_INDEX    GENMASK_ULL(63, 48)     /* interrupt_index, IR faults */
#define VTD_FRCD_HI_SID         GENMASK_ULL(15, 0)      /* 79:64 Source Identifier */
#define VTD_FRCD_HI_T2          BIT_ULL(28)             /* 92 Type bit 2 */
#define VTD_FRCD_HI_PRIV        BIT_ULL(29)             /* 93 Privilege Mode Requested */
#define VTD_FRCD_HI_EXE         BIT_ULL(30)             /* 94 Execute Permission Requested */
#define VTD_FRCD_HI_PP          BIT_ULL(31)             /* 95 PASID Present */
#define VTD_FRCD_HI_FR          GENMASK_ULL(39, 32)     /* 103:96 Fault Reason */
#define VTD_FRCD_HI_PV          GENMASK_ULL(59, 40)     /* 123:104 PASID Value */
#define VTD_FRCD_HI_AT          GENMASK_ULL(61, 60)     /* 125:124 Address Type */
#define VTD_FRCD_HI_T1          BIT_ULL(62)             /* 126 Type bit 1: 0 write, 1 read */
#define VTD_FRCD_HI_F           BIT_ULL(63)             /* 127 Fault (RW1C) */
#define VTD_FRCD_SIZE           16

/*
 * §7.1.3 and Appendix C "Non-Recoverable Fault Reason Encodings": what the
 * hardware puts in FR. Texts in the spec's words: vtd_fault_reason_text().
 */
enum vtd_fault_reason {
	VTD_FR_NONE = 0x00,             /* reserved: "no fault" in walker results */
	VTD_FR_ROOT_P = 0x01,           /* root entry P = 0 */
	VTD_FR_CTX_P = 0x02,            /* context entry P = 0 */
	VTD_FR_CTX_INVALID = 0x03,      /* context entry programmed wrong (AW, TT, SSPTPTR) */
	VTD_FR_BEYOND_AGAW = 0x04,      /* address above 2^min(MGAW, AGAW) - 1 */
	VTD_FR_WRITE = 0x05,            /* write without W */
	VTD_FR_READ = 0x06,             /* read without R */
	VTD_FR_SSPTE_ACCESS = 0x07,     /* next-level table unreadable */
	VTD_FR_ROOT_ACCESS = 0x08,      /* root table unreadable */
	VTD_FR_CTX_ACCESS = 0x09,       /* context table unreadable */
	VTD_FR_ROOT_RSVD = 0x0a,        /* reserved bit in a present root entry */
	VTD_FR_CTX_RSVD = 0x0b,         /* reserved bit in a present context entry */
	VTD_FR_SSPTE_RSVD = 0x0c,       /* reserved bit in a present second-stage entry */
	VTD_FR_TT_BLOCKED = 0x0d,       /* request type blocked by TT */
	VTD_FR_IR_REQ_RSVD = 0x20,      /* interrupt remapping faults: 0x20-0x27 */
	VTD_FR_IR_INDEX = 0x21,
	VTD_FR_IR_IRTE_P = 0x22,
	VTD_FR_IR_TABLE_ACCESS = 0x23,
	VTD_FR_IR_IRTE_RSVD = 0x24,
	VTD_FR_IR_COMPAT = 0x25,
	VTD_FR_IR_SID = 0x26,
	VTD_FR_IR_PID_ACCESS = 0x27,    /* posted interrupt descriptor unreadable */
};
#define VTD_FR_IS_IR(fr)        ((fr) >= 0x20 && (fr) <= 0x2f)

#endif
