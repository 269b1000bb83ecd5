/*
 * Spec: PCI Express Base Specification, Revision 6.3 (PCI-SIG, 2024).
 * The PCI Express capability, the extended capability list and the two
 * extended capabilities enumeration acts on: ACS and ARI. The ATS and
 * SR-IOV structures are in pci/ats_hw.h and pci/sriov_hw.h.
 */
#ifndef PCI_PCIE_HW_H
#define PCI_PCIE_HW_H
#include "kernel/types.h"

/* §7.5.3 PCI Express Capability Structure (legacy list, ID 10h) */
#define PCIE_CAP_SIZE_V2        0x3c    /* bytes through Slot Status 2 (version 1 may end at 14h) */
#define PCIE_CAPS               0x02    /* 16 bit, RO (§7.5.3.2) */
#define  PCIE_CAPS_VER          GENMASK_ULL(3, 0)
#define  PCIE_CAPS_TYPE         GENMASK_ULL(7, 4)       /* Device/Port Type */
#define   PCIE_TYPE_ENDPOINT    0x0
#define   PCIE_TYPE_LEG_END     0x1     /* Legacy PCI Express Endpoint */
#define   PCIE_TYPE_ROOT_PORT   0x4
#define   PCIE_TYPE_UPSTREAM    0x5     /* Switch Upstream Port */
#define   PCIE_TYPE_DOWNSTREAM  0x6     /* Switch Downstream Port */
#define   PCIE_TYPE_PCIE_PCI    0x7     /* PCI Express to PCI/PCI-X Bridge */
#define   PCIE_TYPE_PCI_PCIE    0x8     /* PCI/PCI-X to PCI Express Bridge */
#define   PCIE_TYPE_RC_END      0x9     /* Root Complex Integrated Endpoint */
#define   PCIE_TYPE_RC_EC       0xa     /* Root Complex Event Collector */
#define PCIE_DEVCAP             0x04    /* 32 bit, RO (§7.5.3.3) */
#define  PCIE_DEVCAP_FLR        BIT_ULL(28)     /* Function Level Reset Capability */
#define PCIE_DEVCTL             0x08    /* 16 bit, RW (§7.5.3.4) */
#define  PCIE_DEVCTL_FLR        BIT_ULL(15)     /* Initiate Function Level Reset; reads 0 */
#define PCIE_FLR_WAIT_US        100000  /* §6.6.2: 100 ms before the function may be accessed */
#define PCIE_DEVCAP2            0x24    /* 32 bit, RO (§7.5.3.15); version 2 only */
#define  PCIE_DEVCAP2_ARI_FWD   BIT_ULL(5)      /* ARI Forwarding Supported */
#define PCIE_DEVCTL2            0x28    /* 16 bit, RW (§7.5.3.16); version 2 only */
#define  PCIE_DEVCTL2_ARI_FWD   BIT_ULL(5)      /* ARI Forwarding Enable */

/*
 * §7.6.3 PCI Express Extended Capability Header: ID 15:0, version 19:16,
 * next offset 31:20. The list starts at 100h; a header of 0 there means
 * no extended capabilities. Entries are dword aligned and never below 100h.
 */
#define PCI_ECAP_START          0x100
#define  PCI_ECAP_HDR_ID        GENMASK_ULL(15, 0)
#define  PCI_ECAP_HDR_VER       GENMASK_ULL(19, 16)
#define  PCI_ECAP_HDR_NEXT      GENMASK_ULL(31, 20)
#define PCI_CFG_EXT_SIZE        0x1000

/* Extended capability IDs (PCI Code and ID Assignment Specification) */
#define PCI_ECAP_ID_AER         0x0001  /* §7.8.4 Advanced Error Reporting */
#define PCI_ECAP_ID_ACS         0x000d  /* §7.7.11 Access Control Services */
#define PCI_ECAP_ID_ARI         0x000e  /* §7.8.8 Alternative Routing-ID Interpretation */
/* 0x000f ATS: PCI_ECAP_ID_ATS in pci/ats_hw.h; 0x0010 SR-IOV: pci/sriov_hw.h */
#define PCI_ECAP_ID_PRI         0x0013  /* §10.5.2 Page Request Interface */
#define PCI_ECAP_ID_PASID       0x001b  /* §7.8.9 PASID */

/*
 * §7.7.11 ACS Extended Capability (§6.12 Access Control Services). A bit
 * missing from the capability register is either not applicable or
 * hardwired on; Control bits enable the matching capability.
 */
#define ACS_SIZE                0x08    /* bytes, without the egress vector */
#define ACS_CAP                 0x04    /* 16 bit, RO (§7.7.11.2) */
#define ACS_CTRL                0x06    /* 16 bit, RW (§7.7.11.3) */
#define  ACS_SV                 BIT_ULL(0)      /* Source Validation */
#define  ACS_TB                 BIT_ULL(1)      /* Translation Blocking */
#define  ACS_RR                 BIT_ULL(2)      /* P2P Request Redirect */
#define  ACS_CR                 BIT_ULL(3)      /* P2P Completion Redirect */
#define  ACS_UF                 BIT_ULL(4)      /* Upstream Forwarding */
#define  ACS_EC                 BIT_ULL(5)      /* P2P Egress Control */
#define  ACS_DT                 BIT_ULL(6)      /* Direct Translated P2P */

/*
 * §7.8.8 ARI Extended Capability (§6.13 Alternative Routing-ID
 * Interpretation): below a port with ARI Forwarding Enable, the 8-bit
 * function number covers the old device and function fields, and the
 * functions of a device link upward through Next Function Number.
 */
#define ARI_SIZE                0x08
#define ARI_CAP                 0x04    /* 16 bit, RO (§7.8.8.2) */
#define  ARI_CAP_MFVC           BIT_ULL(0)      /* MFVC Function Groups Capability */
#define  ARI_CAP_ACS            BIT_ULL(1)      /* ACS Function Groups Capability */
#define  ARI_CAP_NEXT_FN        GENMASK_ULL(15, 8)      /* Next Function Number; 0: last */
#define ARI_CTRL                0x06    /* 16 bit, RW (§7.8.8.3) */

#endif
