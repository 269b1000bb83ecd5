/*
 * NVMe controller registers, queue entries, admin and I/O commands, and the
 * data structures Sluice reads (Identify, the Secondary Controller List).
 * Spec: NVM Express Base Specification 2.0c, sections 3.1 (controller
 * registers), 4.1-4.2 (submission/completion entries), 4.3 (PRPs), 5
 * (admin commands: 5.17 Identify, 5.23 Namespace Attachment, 5.27
 * Virtualization Management), 8.26 (virtualization enhancements); NVM
 * Command Set Specification 1.0c section 3.2 (Read, Write).
 */
#ifndef PCI_NVME_HW_H
#define PCI_NVME_HW_H
#include "kernel/types.h"

#define NVME_CLASS_CODE         0x010802        /* mass storage, NVM, NVMe I/O controller */

/* Controller registers (BAR0), 3.1.3 */
#define NVME_REG_CAP            0x00    /* 64 bit */
#define  NVME_CAP_MQES          GENMASK_ULL(15, 0)      /* max queue entries, 0-based */
#define  NVME_CAP_TO            GENMASK_ULL(31, 24)     /* ready timeout, 500 ms units */
#define  NVME_CAP_DSTRD         GENMASK_ULL(35, 32)     /* doorbell stride: 4 << DSTRD bytes */
#define  NVME_CAP_CSS_NVM       BIT_ULL(37)
#define  NVME_CAP_MPSMIN        GENMASK_ULL(51, 48)     /* 2^(12 + MPSMIN) */
#define NVME_REG_VS             0x08
#define NVME_REG_INTMS          0x0c
#define NVME_REG_CC             0x14
#define  NVME_CC_EN             BIT_ULL(0)
#define  NVME_CC_CSS            GENMASK_ULL(6, 4)       /* 0: NVM command set */
#define  NVME_CC_MPS            GENMASK_ULL(10, 7)      /* 0: 4 KiB pages */
#define  NVME_CC_SHN            GENMASK_ULL(15, 14)
#define  NVME_CC_IOSQES         GENMASK_ULL(19, 16)     /* 6: 64-byte entries */
#define  NVME_CC_IOCQES         GENMASK_ULL(23, 20)     /* 4: 16-byte entries */
#define NVME_REG_CSTS           0x1c
#define  NVME_CSTS_RDY          BIT_ULL(0)
#define  NVME_CSTS_CFS          BIT_ULL(1)              /* controller fatal status */
#define NVME_REG_AQA            0x24
#define  NVME_AQA_ASQS          GENMASK_ULL(11, 0)      /* 0-based */
#define  NVME_AQA_ACQS          GENMASK_ULL(27, 16)
#define NVME_REG_ASQ            0x28    /* 64 bit */
#define NVME_REG_ACQ            0x30    /* 64 bit */
#define NVME_REG_DBS            0x1000  /* doorbells: SQ y tail at 2y, CQ y head at 2y+1 strides */

#define NVME_PAGE_SIZE          4096
#define NVME_SQE_SIZE           64
#define NVME_CQE_SIZE           16

/* Submission queue entry, 4.2 (common command format). */
struct __packed nvme_sqe {
	u8 opc;
	u8 flags;               /* FUSE [1:0], PSDT [7:6]: 0 = PRPs */
	u16 cid;
	u32 nsid;
	u32 cdw2, cdw3;
	u64 mptr;
	u64 prp1, prp2;
	u32 cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
_Static_assert(sizeof(struct nvme_sqe) == NVME_SQE_SIZE, "NVMe 4.2");

/* Completion queue entry, 4.2.1. */
struct __packed nvme_cqe {
	u32 dw0;                /* command specific result */
	u32 dw1;
	u16 sqhd;               /* submission queue head */
	u16 sqid;
	u16 cid;
	u16 status;             /* P [0], SC [8:1], SCT [11:9], CRD [13:12], M [14], DNR [15] */
};
_Static_assert(sizeof(struct nvme_cqe) == NVME_CQE_SIZE, "NVMe 4.2.1");
#define NVME_CQE_PHASE          BIT_ULL(0)
#define NVME_CQE_SF             GENMASK_ULL(15, 1)      /* status field: SC | SCT << 8 | ... */
#define NVME_STATUS_SC          GENMASK_ULL(7, 0)       /* within the status field */
#define NVME_STATUS_SCT         GENMASK_ULL(10, 8)

/* Status codes (SCT 0 generic, 1 command specific), 4.2.3 */
#define NVME_SC_SUCCESS                 0x000
#define NVME_SC_INVALID_OPCODE          0x001
#define NVME_SC_INVALID_FIELD           0x002
#define NVME_SC_DATA_TRANSFER_ERROR     0x004
#define NVME_SC_INVALID_NS              0x00b
#define NVME_SC_LBA_RANGE               0x080
#define NVME_SC_INVALID_QID             0x101   /* SCT 1 */
#define NVME_SC_INVALID_QSIZE           0x102
#define NVME_SC_NS_ALREADY_ATTACHED     0x118
#define NVME_SC_NS_NOT_ATTACHED         0x11a
#define NVME_SC_INVALID_CTRL_ID         0x11f
#define NVME_SC_INVALID_SEC_CTRL_STATE  0x120
#define NVME_SC_INVALID_NR_CTRL_RES     0x121
#define NVME_SC_INVALID_RES_ID          0x122

/* Admin opcodes, 5 */
#define NVME_ADM_DELETE_SQ      0x00
#define NVME_ADM_CREATE_SQ      0x01
#define NVME_ADM_DELETE_CQ      0x04
#define NVME_ADM_CREATE_CQ      0x05
#define NVME_ADM_IDENTIFY       0x06
#define NVME_ADM_NS_ATTACH      0x15
#define NVME_ADM_VIRT_MGMT      0x1c
/* NVM command set I/O opcodes */
#define NVME_CMD_WRITE          0x01
#define NVME_CMD_READ           0x02

/* Identify CNS values, 5.17.1 */
#define NVME_CNS_NS             0x00
#define NVME_CNS_CTRL           0x01
#define NVME_CNS_ACTIVE_NS_LIST 0x02
/* Create I/O Completion Queue, CDW11: PC in bit 0, IEN in bit 1, IV in bits 31:16. */
#define NVME_CQ_IEN             BIT_ULL(1)
#define NVME_CNS_PRIMARY_CAPS   0x14
#define NVME_CNS_SECONDARY_LIST 0x15
#define NVME_CNS_NS_ALLOCATED   0x11    /* Identify Namespace for an allocated NSID, attached or not */
#define NVME_CNS_NS_CTRL_LIST   0x12    /* controllers attached to NSID */

/* Identify Controller fields Sluice reads (5.17.2.1) */
#define NVME_ID_CTRL_VID        0
#define NVME_ID_CTRL_SN         4       /* 20 bytes, ASCII */
#define NVME_ID_CTRL_MN         24      /* 40 bytes */
#define NVME_ID_CTRL_CNTLID     78
#define NVME_ID_CTRL_OACS       256
#define  NVME_OACS_NS_MGMT      BIT_ULL(3)
#define  NVME_OACS_VIRT_MGMT    BIT_ULL(7)
#define NVME_ID_CTRL_NN         516     /* number of namespaces */
/* Identify Namespace (NVM command set 4.1.5.1) */
#define NVME_ID_NS_NSZE         0       /* size in logical blocks */
#define NVME_ID_NS_FLBAS        26
#define NVME_ID_NS_LBAF0        128     /* LBA formats, 4 bytes each: LBADS [23:16] */

/* Secondary Controller List (5.17.2.13): count, then 32-byte entries from byte 32. */
#define NVME_SEC_LIST_MAX       127
struct __packed nvme_sec_ctrl {
	u16 scid;               /* secondary controller identifier */
	u16 pcid;               /* its primary */
	u8 scs;                 /* bit 0: online */
	u8 rsvd5[3];
	u16 vfn;                /* VF number, 1-based */
	u16 nvq, nvi;           /* flexible queue and interrupt resources assigned */
	u8 rsvd14[18];
};
_Static_assert(sizeof(struct nvme_sec_ctrl) == 32, "NVMe 5.17.2.13");
#define NVME_SEC_SCS_ONLINE     BIT_ULL(0)

/* Primary Controller Capabilities (5.17.2.12): the flexible resources. */
#define NVME_PRI_VQFRT          32      /* VQ flexible resources total, u32 */
#define NVME_PRI_VQRFA          36      /* assigned to secondaries, u32 */
#define NVME_PRI_VQRFAP         40      /* allocated to the primary, u16 */
#define NVME_PRI_VQFRSM         44      /* the most one secondary may be assigned, u16 */
#define NVME_PRI_VIFRT          64
#define NVME_PRI_VIRFA          68
#define NVME_PRI_VIRFAP         72

/* Virtualization Management (5.27): CDW10 ACT [3:0], RT [10:8], CNTLID [31:16]; CDW11 NR [15:0]. */
#define NVME_VM_ACT_PRIMARY_FLEX        1
#define NVME_VM_ACT_SECONDARY_OFFLINE   7
#define NVME_VM_ACT_SECONDARY_ASSIGN    8
#define NVME_VM_ACT_SECONDARY_ONLINE    9
#define NVME_VM_RT_VQ                   0
#define NVME_VM_RT_VI                   1

/* Namespace Attachment (5.23): CDW10 SEL; data = controller list (count, then IDs). */
#define NVME_NS_ATTACH          0
#define NVME_NS_DETACH          1

#endif
