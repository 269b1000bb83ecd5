/*
 * Spec: PCI Express Base Specification, Revision 6.3 (PCI-SIG, 2024),
 * chapter 9 "Single Root I/O Virtualization and Sharing", §9.3.3
 * "SR-IOV Extended Capability". Offsets are from the capability's start in
 * the PF's extended configuration space; the access width is in the comment.
 */
#ifndef PCI_SRIOV_HW_H
#define PCI_SRIOV_HW_H
#include "kernel/types.h"

/* §9.3.3.1 "SR-IOV Extended Capability Header". */
#define PCI_ECAP_ID_SRIOV       0x0010
#define SRIOV_SIZE              0x40    /* bytes, header to migration state */

/* §9.3.3.2 "SR-IOV Capabilities Register". */
#define SRIOV_CAP               0x04    /* 32 bit, RO */
#define  SRIOV_CAP_VFM          BIT_ULL(0)      /* VF Migration Capable */
#define  SRIOV_CAP_ARI_PRESERVED BIT_ULL(1)     /* ARI Capable Hierarchy Preserved */
#define  SRIOV_CAP_VF_10BIT_TAG BIT_ULL(2)      /* VF 10-Bit Tag Requester Supported */
#define  SRIOV_CAP_VFM_IRQ      GENMASK_ULL(31, 21)     /* VF Migration Interrupt Message Number */

/* §9.3.3.3 "SR-IOV Control Register". */
#define SRIOV_CTRL              0x08    /* 16 bit, RW */
#define  SRIOV_CTRL_VFE         BIT_ULL(0)      /* VF Enable, §9.3.3.3.1 */
#define  SRIOV_CTRL_VFM_EN      BIT_ULL(1)      /* VF Migration Enable */
#define  SRIOV_CTRL_VFM_IRQ_EN  BIT_ULL(2)      /* VF Migration Interrupt Enable */
#define  SRIOV_CTRL_VF_MSE      BIT_ULL(3)      /* VF Memory Space Enable */
#define  SRIOV_CTRL_ARI         BIT_ULL(4)      /* ARI Capable Hierarchy (lowest PF only) */
#define  SRIOV_CTRL_VF_10BIT_TAG BIT_ULL(5)     /* VF 10-Bit Tag Requester Enable */

/*
 * §9.3.3.3.1 "VF Enable": software waits 100 ms after setting VF Enable
 * before it sends a request to a VF, and 1.0 s after clearing it before it
 * reads any field of this capability again.
 */
#define SRIOV_VFE_SET_WAIT_US   (100 * 1000)
#define SRIOV_VFE_CLEAR_WAIT_US (1000 * 1000)

/* §9.3.3.4 "SR-IOV Status Register". */
#define SRIOV_STATUS            0x0a    /* 16 bit, RW1C */
#define  SRIOV_STATUS_VFM       BIT_ULL(0)      /* VF Migration Status */

/* §9.3.3.5 - §9.3.3.8: how many VFs, and which PF each VF depends on. */
#define SRIOV_INITIAL_VFS       0x0c    /* 16 bit, RO, §9.3.3.5 "InitialVFs" */
#define SRIOV_TOTAL_VFS         0x0e    /* 16 bit, RO, §9.3.3.6 "TotalVFs" */
#define SRIOV_NUM_VFS           0x10    /* 16 bit, RW (RO while VF Enable), §9.3.3.7 "NumVFs" */
#define SRIOV_FN_LINK           0x12    /* 8 bit, RO, §9.3.3.8 "Function Dependency Link" */

/*
 * §9.3.3.9 "First VF Offset" and §9.3.3.10 "VF Stride": VF n (1-based)
 * has routing ID PF RID + First VF Offset + (n - 1) * VF Stride. Both may
 * change when NumVFs or ARI Capable Hierarchy is written: read them after.
 */
#define SRIOV_VF_OFFSET         0x14    /* 16 bit, RO */
#define SRIOV_VF_STRIDE         0x16    /* 16 bit, RO */
#define SRIOV_VF_DID            0x1a    /* 16 bit, RO, §9.3.3.11 "VF Device ID" */

/*
 * §9.3.3.12 "Supported Page Sizes" and §9.3.3.13 "System Page Size": bit n
 * stands for a page of 2^(n + 12) bytes. VF BARs are aligned to, and sized
 * in multiples of, the System Page Size, so it is set before VF BAR sizing.
 */
#define SRIOV_SUP_PGSIZE        0x1c    /* 32 bit, RO */
#define SRIOV_SYS_PGSIZE        0x20    /* 32 bit, RW, exactly one bit set */
#define  SRIOV_PGSIZE_4K        BIT_ULL(0)

/*
 * §9.3.3.14 "VF BAR0-5": laid out and sized like type 0 BARs (memory only,
 * 64-bit BARs take two slots); the size read back is that of one VF, and
 * VF n's copy sits at the programmed address + (n - 1) * size.
 */
#define SRIOV_VF_BAR0           0x24    /* 32 bit each, RW */
#define SRIOV_VF_BAR(i)         (SRIOV_VF_BAR0 + 4 * (i))
#define SRIOV_NR_VF_BARS        6

/* §9.3.3.15 "VF Migration State Array Offset". */
#define SRIOV_VFM_STATE         0x3c    /* 32 bit, RO */
#define  SRIOV_VFM_STATE_BIR    GENMASK_ULL(2, 0)       /* which PF BAR holds the array */
#define  SRIOV_VFM_STATE_OFFSET GENMASK_ULL(31, 3)      /* in 8-byte units */

#endif
