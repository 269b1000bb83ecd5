/*
 * Spec: PCI Express Base Specification, Revision 6.3 (PCI-SIG, 2024),
 * chapter 10 "ATS Specification", §10.5.1 "ATS Extended Capability".
 * Offsets are from the capability's start; the access width is in the comment.
 */
#ifndef PCI_ATS_HW_H
#define PCI_ATS_HW_H
#include "kernel/types.h"

/* §10.5.1.1 "ATS Extended Capability Header". */
#define PCI_ECAP_ID_ATS         0x000f

/* §10.5.1.2 "ATS Capability Register". */
#define ATS_CAP                 0x04    /* 16 bit, RO */
#define  ATS_CAP_QDEPTH         GENMASK_ULL(4, 0)       /* Invalidate Queue Depth; 0 means 32 */
#define  ATS_CAP_PAGE_ALIGNED   BIT_ULL(5)      /* Page Aligned Request */
#define  ATS_CAP_GLOBAL_INV     BIT_ULL(6)      /* Global Invalidate Supported */
#define  ATS_CAP_RELAXED_ORDER  BIT_ULL(7)      /* Relaxed Ordering Supported */
#define ATS_QDEPTH_MAX          32

/*
 * §10.5.1.3 "ATS Control Register". STU (Smallest Translation Unit) is
 * log2(unit / 4096); it is RsvdP in a VF, which uses its PF's STU. STU is
 * programmed before Enable is set.
 */
#define ATS_CTRL                0x06    /* 16 bit, RW */
#define  ATS_CTRL_STU           GENMASK_ULL(4, 0)
#define  ATS_CTRL_ENABLE        BIT_ULL(15)
#define ATS_STU_MAX             31

#endif
