/*
 * Spec: Intel VT-d Architecture Specification (D51397), rev 4.x, §11.4
 * "Register Descriptions" (§10.4 in rev 3.x).
 * VT-d remapping unit registers: offsets from the DRHD register base, access
 * widths and the fields Sluice reads or writes. Memory structures (root,
 * context and second-stage entries, descriptors, fault records) are in
 * iommu/vtd_hw.h.
 */
#ifndef IOMMU_VTD_REGS_H
#define IOMMU_VTD_REGS_H
#include "kernel/types.h"

/* §11.4.1 Version Register */
#define VTD_VER_REG             0x000   /* Version, 32 bit, RO */
#define  VTD_VER_MAX            GENMASK_ULL(7, 4)
#define  VTD_VER_MIN            GENMASK_ULL(3, 0)

/* §11.4.2 Capability Register */
#define VTD_CAP_REG             0x008   /* Capability, 64 bit, RO */
#define  VTD_CAP_ND             GENMASK_ULL(2, 0)     /* 2^(4 + 2*ND) domain IDs */
#define  VTD_CAP_AFL            BIT_ULL(3)            /* Advanced Fault Logging */
#define  VTD_CAP_RWBF           BIT_ULL(4)            /* Required Write-Buffer Flushing */
#define  VTD_CAP_PLMR           BIT_ULL(5)            /* Protected Low-Memory Region */
#define  VTD_CAP_PHMR           BIT_ULL(6)            /* Protected High-Memory Region */
#define  VTD_CAP_CM             BIT_ULL(7)            /* Caching Mode */
#define  VTD_CAP_SAGAW          GENMASK_ULL(12, 8)    /* Supported Adjusted Guest Address Widths */
#define   VTD_SAGAW_39          BIT_ULL(1)            /* 39-bit, 3-level tables */
#define   VTD_SAGAW_48          BIT_ULL(2)            /* 48-bit, 4-level tables */
#define   VTD_SAGAW_57          BIT_ULL(3)            /* 57-bit, 5-level tables */
#define  VTD_CAP_MGAW           GENMASK_ULL(21, 16)   /* Maximum Guest Address Width - 1 */
#define  VTD_CAP_ZLR            BIT_ULL(22)           /* Zero Length Read */
#define  VTD_CAP_FRO            GENMASK_ULL(33, 24)   /* Fault-recording Register Offset / 16 */
#define  VTD_CAP_SLLPS          GENMASK_ULL(37, 34)   /* Second Stage Large Page Support (VTD_SLLPS_*) */
#define  VTD_CAP_PSI            BIT_ULL(39)           /* Page Selective Invalidation */
#define  VTD_CAP_NFR            GENMASK_ULL(47, 40)   /* Number of Fault-recording Registers - 1 */
#define  VTD_CAP_MAMV           GENMASK_ULL(53, 48)   /* Maximum Address Mask Value */
#define  VTD_CAP_DWD            BIT_ULL(54)           /* Write Draining */
#define  VTD_CAP_DRD            BIT_ULL(55)           /* Read Draining */
#define  VTD_CAP_FS1GP          BIT_ULL(56)           /* First Stage 1-GByte Page */
#define  VTD_CAP_PI             BIT_ULL(59)           /* Posted Interrupts */
#define  VTD_CAP_FS5LP          BIT_ULL(60)           /* First Stage 5-level Paging */
#define  VTD_CAP_ESIRTPS        BIT_ULL(62)           /* Enhanced Set IRTP Support */
#define  VTD_CAP_ESRTPS         BIT_ULL(63)           /* Enhanced Set RTP Support */

/* §11.4.3 Extended Capability Register */
#define VTD_ECAP_REG            0x010   /* Extended Capability, 64 bit, RO */
#define  VTD_ECAP_C             BIT_ULL(0)            /* Page-walk Coherency */
#define  VTD_ECAP_QI            BIT_ULL(1)            /* Queued Invalidation */
#define  VTD_ECAP_DT            BIT_ULL(2)            /* Device-TLB */
#define  VTD_ECAP_IR            BIT_ULL(3)            /* Interrupt Remapping */
#define  VTD_ECAP_EIM           BIT_ULL(4)            /* Extended Interrupt Mode */
#define  VTD_ECAP_PT            BIT_ULL(6)            /* Pass Through */
#define  VTD_ECAP_SC            BIT_ULL(7)            /* Snoop Control */
#define  VTD_ECAP_IRO           GENMASK_ULL(17, 8)    /* IOTLB Register Offset / 16 */
#define  VTD_ECAP_MHMV          GENMASK_ULL(23, 20)   /* Maximum Handle Mask Value */
#define  VTD_ECAP_SMTS          BIT_ULL(43)           /* Scalable Mode Translation Support */
#define  VTD_ECAP_SLTS          BIT_ULL(46)           /* Second Stage Translation Support */
#define  VTD_ECAP_FLTS          BIT_ULL(47)           /* First Stage Translation Support */
#define  VTD_ECAP_DIT           BIT_ULL(49)           /* Device-TLB Invalidation Throttle: PFSID in device-TLB descriptors */

/*
 * §11.4.4 Global Command and Status Registers. GCMD is written from the
 * current GSTS, one bit changed at a time; the one-shot commands (SRTP, SFL,
 * WBF, SIRTP) are not carried over from status.
 */
#define VTD_GCMD_REG            0x018   /* Global Command, 32 bit, WO */
#define  VTD_GCMD_TE            BIT_ULL(31)           /* Translation Enable */
#define  VTD_GCMD_SRTP          BIT_ULL(30)           /* Set Root Table Pointer */
#define  VTD_GCMD_SFL           BIT_ULL(29)           /* Set Fault Log */
#define  VTD_GCMD_EAFL          BIT_ULL(28)           /* Enable Advanced Fault Logging */
#define  VTD_GCMD_WBF           BIT_ULL(27)           /* Write Buffer Flush */
#define  VTD_GCMD_QIE           BIT_ULL(26)           /* Queued Invalidation Enable */
#define  VTD_GCMD_IRE           BIT_ULL(25)           /* Interrupt Remapping Enable */
#define  VTD_GCMD_SIRTP         BIT_ULL(24)           /* Set Interrupt Remap Table Pointer */
#define  VTD_GCMD_CFI           BIT_ULL(23)           /* Compatibility Format Interrupt */
#define  VTD_GCMD_ONE_SHOT      (VTD_GCMD_SRTP | VTD_GCMD_SFL | VTD_GCMD_WBF | VTD_GCMD_SIRTP)
#define VTD_GSTS_REG            0x01c   /* Global Status, 32 bit, RO */
#define  VTD_GSTS_TES           BIT_ULL(31)
#define  VTD_GSTS_RTPS          BIT_ULL(30)
#define  VTD_GSTS_FLS           BIT_ULL(29)
#define  VTD_GSTS_AFLS          BIT_ULL(28)
#define  VTD_GSTS_WBFS          BIT_ULL(27)
#define  VTD_GSTS_QIES          BIT_ULL(26)
#define  VTD_GSTS_IRES          BIT_ULL(25)
#define  VTD_GSTS_IRTPS         BIT_ULL(24)
#define  VTD_GSTS_CFIS          BIT_ULL(23)

/* §11.4.5 Root Table Address Register */
#define VTD_RTADDR_REG          0x020   /* Root Table Address, 64 bit, RW */
#define  VTD_RTADDR_RTA         GENMASK_ULL(63, 12)
#define  VTD_RTADDR_TTM         GENMASK_ULL(11, 10)   /* 00: legacy, 01: scalable */

/* §11.4.6 Context Command Register (register-based invalidation) */
#define VTD_CCMD_REG            0x028   /* Context Command, 64 bit, RW */
#define  VTD_CCMD_ICC           BIT_ULL(63)           /* Invalidate Context-Cache; clear = done */
#define  VTD_CCMD_CIRG          GENMASK_ULL(62, 61)   /* requested granularity */
#define  VTD_CCMD_CAIG          GENMASK_ULL(60, 59)   /* actual granularity */
#define   VTD_CCMD_G_GLOBAL     1
#define   VTD_CCMD_G_DOMAIN     2
#define   VTD_CCMD_G_DEVICE     3
#define  VTD_CCMD_FM            GENMASK_ULL(33, 32)   /* Function Mask */
#define  VTD_CCMD_SID           GENMASK_ULL(31, 16)
#define  VTD_CCMD_DID           GENMASK_ULL(15, 0)

/* §11.4.7 Fault Logging: Fault Status, Fault Event Control/Data/Address Registers */
#define VTD_FSTS_REG            0x034   /* Fault Status, 32 bit, RW1C */
#define  VTD_FSTS_PFO           BIT_ULL(0)            /* Primary Fault Overflow */
#define  VTD_FSTS_PPF           BIT_ULL(1)            /* Primary Pending Fault (RO) */
#define  VTD_FSTS_AFO           BIT_ULL(2)            /* Advanced Fault Overflow */
#define  VTD_FSTS_APF           BIT_ULL(3)            /* Advanced Pending Fault */
#define  VTD_FSTS_IQE           BIT_ULL(4)            /* Invalidation Queue Error */
#define  VTD_FSTS_ICE           BIT_ULL(5)            /* Invalidation Completion Error */
#define  VTD_FSTS_ITE           BIT_ULL(6)            /* Invalidation Time-out Error */
#define  VTD_FSTS_FRI           GENMASK_ULL(15, 8)    /* Fault Record Index */
#define VTD_FECTL_REG           0x038   /* Fault Event Control, 32 bit, RW */
#define  VTD_FECTL_IM           BIT_ULL(31)           /* Interrupt Mask */
#define  VTD_FECTL_IP           BIT_ULL(30)           /* Interrupt Pending (RO) */
#define VTD_FEDATA_REG          0x03c   /* Fault Event Data, 32 bit, RW */
#define VTD_FEADDR_REG          0x040   /* Fault Event Address, 32 bit, RW */
#define VTD_FEUADDR_REG         0x044   /* Fault Event Upper Address, 32 bit, RW */
/* §5.1.6 (compatibility-format MSI): 0xFEE in 31:20, destination APIC ID in 19:12. */
#define  VTD_FEADDR_MSI_BASE    0xfee00000u
#define  VTD_FEADDR_DEST        GENMASK_ULL(19, 12)
#define VTD_FEUADDR_REG         0x044   /* Fault Event Upper Address, 32 bit, RW */

/* §11.4.9 Protected Memory: Protected Memory Enable Register */
#define VTD_PMEN_REG            0x064   /* Protected Memory Enable, 32 bit, RW */
#define  VTD_PMEN_EPM           BIT_ULL(31)           /* Enable Protected Memory */
#define  VTD_PMEN_PRS           BIT_ULL(0)            /* Protected Region Status (RO) */

/* §11.4.10 Invalidation Queue Interface: IQH, IQT, IQA, ICS (128-bit descriptors) */
#define VTD_IQH_REG             0x080   /* Invalidation Queue Head, 64 bit, RO */
#define VTD_IQT_REG             0x088   /* Invalidation Queue Tail, 64 bit, RW */
#define  VTD_IQ_QH_QT           GENMASK_ULL(18, 4)    /* descriptor index, in both */
#define VTD_IQA_REG             0x090   /* Invalidation Queue Address, 64 bit, RW */
#define  VTD_IQA_IQA            GENMASK_ULL(63, 12)
#define  VTD_IQA_DW             BIT_ULL(11)           /* 0: 128-bit descriptors */
#define  VTD_IQA_QS             GENMASK_ULL(2, 0)     /* 2^QS pages of queue */
#define VTD_ICS_REG             0x09c   /* Invalidation Completion Status, 32 bit, RW1C */
#define  VTD_ICS_IWC            BIT_ULL(0)            /* Invalidation Wait Descriptor Complete */
/* §11.4 "Invalidation Queue Error Record Register" (VT-d 3.0 on; reads 0 where a unit keeps no record). */
#define VTD_IQERCD_REG          0x0b0   /* Invalidation Queue Error Record, 64 bit, RO */
#define  VTD_IQERCD_ICESID      GENMASK_ULL(63, 48)   /* source of an Invalidation Completion Error */
#define  VTD_IQERCD_ITESID      GENMASK_ULL(47, 32)   /* source of an Invalidation Time-out Error */
#define  VTD_IQERCD_IQEI        GENMASK_ULL(3, 0)     /* why the descriptor at IQH was refused (IQE) */

/*
 * §11.4 "Interrupt Remapping Table Address Register" (§10.4.29 in rev 3.x).
 * Written only while interrupt remapping is off, then latched by
 * GCMD.SIRTP (confirmed in GSTS.IRTPS). The table holds 2^(S+1) 128-bit
 * IRTEs (§9.10); EIME selects x2APIC destinations and is reserved unless
 * ECAP.EIM.
 */
#define VTD_IRTA_REG            0x0b8   /* Interrupt Remapping Table Address, 64 bit, RW */
#define  VTD_IRTA_IRTA          GENMASK_ULL(63, 12)   /* table base, 4 KiB aligned */
#define  VTD_IRTA_EIME          BIT_ULL(11)           /* Extended Interrupt Mode Enable (x2APIC) */
#define  VTD_IRTA_S             GENMASK_ULL(3, 0)     /* Size: 2^(S+1) entries */
#define  VTD_IRTA_S_MAX         15                    /* 65536 entries */

/*
 * §11.4.8 IOTLB Registers, at ECAP.IRO * 16: Invalidate Address first, IOTLB
 * Invalidate 8 bytes on.
 * (Register-based invalidation, used only when ECAP.QI = 0.)
 */
#define VTD_IVA_OFF             0x000   /* Invalidate Address, 64 bit, WO */
#define  VTD_IVA_ADDR           GENMASK_ULL(63, 12)
#define  VTD_IVA_IH             BIT_ULL(6)            /* Invalidation Hint */
#define  VTD_IVA_AM             GENMASK_ULL(5, 0)     /* Address Mask: 2^AM pages */
#define VTD_IOTLB_OFF           0x008   /* IOTLB Invalidate, 64 bit, RW */
#define  VTD_IOTLB_IVT          BIT_ULL(63)           /* Invalidate IOTLB; clear = done */
#define  VTD_IOTLB_IIRG         GENMASK_ULL(61, 60)   /* requested granularity */
#define  VTD_IOTLB_IAIG         GENMASK_ULL(58, 57)   /* actual granularity */
#define   VTD_IOTLB_IIRG_GLOBAL 1
#define   VTD_IOTLB_IIRG_DOMAIN 2
#define   VTD_IOTLB_IIRG_PAGE   3
#define  VTD_IOTLB_DR           BIT_ULL(49)           /* Drain Reads */
#define  VTD_IOTLB_DW           BIT_ULL(48)           /* Drain Writes */
#define  VTD_IOTLB_DID          GENMASK_ULL(47, 32)

/*
 * §11.4.7.6 Fault Recording Registers, 128 bit each, NFR+1 of them at
 * CAP.FRO * 16 (VTD_FRCD_SIZE and the fields are in iommu/vtd_hw.h). F is
 * bit 127, i.e. bit 31 of the dword at +12; writing 1 there clears the record.
 */
#define VTD_FRCD_LO_OFF         0x0     /* 64 bit: fault information */
#define VTD_FRCD_HI_OFF         0x8     /* 64 bit: F, T, reason, source ID */
#define VTD_FRCD_F_DW_OFF       0xc     /* 32 bit: the dword holding F */
#define  VTD_FRCD_F_DW          BIT_ULL(31)

/* Register window: everything up to here fits one page unless FRO/IRO say more. */
#define VTD_REG_WINDOW          0x1000

#endif
