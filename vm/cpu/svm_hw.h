/*
 * AMD SVM hardware layouts: the VMCB (control area and state save area),
 * intercept bits, exit codes and exit information fields, the I/O and MSR
 * permission maps.
 * Spec: AMD64 Architecture Programmer's Manual Vol. 2 (rev 3.42), chapter 15
 * "Secure Virtual Machine" and appendix B "Layout of VMCB", appendix C
 * "SVM Intercept Exit Codes".
 */
#ifndef VM_SVM_HW_H
#define VM_SVM_HW_H
#include "kernel/types.h"
#include "vm/cpu/msr.h"          /* EFER and the other architectural MSRs */

/* CPUID (APM Vol. 3 appendix E) */
#define CPUID_8000_0001_ECX_SVM         BIT_ULL(2)
#define CPUID_8000_0001_EDX_PAGE1GB     BIT_ULL(26)     /* Page1GB: 1 GiB pages, in nested tables too (their format is the host's) */
#define CPUID_SVM_LEAF                  0x8000000a      /* EAX revision, EBX NASID, EDX features */
#define  SVM_FEAT_NP                    BIT_ULL(0)
#define  SVM_FEAT_NRIPS                 BIT_ULL(3)
#define  SVM_FEAT_FLUSH_BY_ASID         BIT_ULL(6)
#define  SVM_FEAT_DECODE_ASSISTS        BIT_ULL(7)

/* MSRs (APM 15.30) */
#define MSR_VM_CR                       0xc0010114
#define  VM_CR_R_INIT                   BIT_ULL(1)      /* INIT becomes #SX, error code 1 (15.30.1) */
#define  VM_CR_SVMDIS                   BIT_ULL(4)
#define MSR_VM_HSAVE_PA                 0xc0010117

/* Segment in the state save area (APM 15.5.2: attributes packed as 12 bits). */
struct __packed vmcb_seg {
	u16 sel;
	u16 attr;               /* type[3:0] S[4] DPL[6:5] P[7] AVL[8] L[9] D/B[10] G[11] */
	u32 limit;
	u64 base;
};
#define SEG_ATTR_CODE64                 0x0a9b  /* execute/read, accessed, S, P, L, G */
#define SEG_ATTR_CODE32                 0x0c9b  /* execute/read, accessed, S, P, D, G */
#define SEG_ATTR_DATA                   0x0c93  /* read/write, accessed, S, P, D/B, G */
#define SEG_ATTR_REAL_CODE              0x009b  /* real mode: execute/read, accessed, S, P (14.1.3 table 14-1) */
#define SEG_ATTR_REAL_DATA              0x0093  /* real mode: read/write, accessed, S, P */
#define SEG_ATTR_TSS_BUSY               0x008b  /* busy 32/64-bit TSS, P */
#define SEG_ATTR_LDT                    0x0082  /* LDT, P */
#define SEG_ATTR_L                      BIT_ULL(9)
#define SEG_ATTR_DB                     BIT_ULL(10)

/* The VMCB: one 4 KiB page, control area at 0, state save area at 0x400 (appendix B). */
struct __packed vmcb {
	/* control area */
	u32 intercept_cr;               /* 0x000: reads [15:0], writes [31:16] */
	u32 intercept_dr;               /* 0x004 */
	u32 intercept_exc;              /* 0x008: one bit per exception vector */
	u32 intercept1;                 /* 0x00c: INTERCEPT1_* */
	u32 intercept2;                 /* 0x010: INTERCEPT2_* */
	u32 intercept3;                 /* 0x014 */
	u8 rsvd0[0x03c - 0x018];
	u16 pause_filter_thresh;        /* 0x03c */
	u16 pause_filter_count;         /* 0x03e */
	u64 iopm_base_pa;               /* 0x040 */
	u64 msrpm_base_pa;              /* 0x048 */
	u64 tsc_offset;                 /* 0x050 */
	u32 asid;                       /* 0x058 */
	u8 tlb_control;                 /* 0x05c: TLB_CONTROL_* */
	u8 rsvd1[3];
	u64 vintr;                      /* 0x060: V_TPR, V_IRQ, ..., V_INTR_MASKING[24] */
	u64 int_state;                  /* 0x068: interrupt shadow [0] */
	u64 exitcode;                   /* 0x070 */
	u64 exitinfo1;                  /* 0x078 */
	u64 exitinfo2;                  /* 0x080 */
	u64 exitintinfo;                /* 0x088 */
	u64 np_control;                 /* 0x090: NP_ENABLE[0] */
	u64 avic_apic_bar;              /* 0x098 */
	u64 ghcb_pa;                    /* 0x0a0 */
	u64 eventinj;                   /* 0x0a8 */
	u64 n_cr3;                      /* 0x0b0 */
	u64 lbr_virt;                   /* 0x0b8 */
	u32 clean;                      /* 0x0c0: VMCB clean bits */
	u32 rsvd2;
	u64 next_rip;                   /* 0x0c8: with NRIPS */
	u8 insn_len;                    /* 0x0d0: with decode assists */
	u8 insn_bytes[15];              /* 0x0d1 */
	u8 rsvd3[0x400 - 0x0e0];
	/* state save area */
	struct vmcb_seg es, cs, ss, ds, fs, gs; /* 0x400 .. 0x450 */
	struct vmcb_seg gdtr, ldtr, idtr, tr;   /* 0x460 .. 0x490 */
	u8 rsvd4[0x4cb - 0x4a0];
	u8 cpl;                         /* 0x4cb */
	u32 rsvd5;
	u64 efer;                       /* 0x4d0 */
	u8 rsvd6[0x548 - 0x4d8];
	u64 cr4;                        /* 0x548 */
	u64 cr3;                        /* 0x550 */
	u64 cr0;                        /* 0x558 */
	u64 dr7;                        /* 0x560 */
	u64 dr6;                        /* 0x568 */
	u64 rflags;                     /* 0x570 */
	u64 rip;                        /* 0x578 */
	u8 rsvd7[0x5d8 - 0x580];
	u64 rsp;                        /* 0x5d8 */
	u8 rsvd8[0x5f8 - 0x5e0];
	u64 rax;                        /* 0x5f8 */
	u64 star;                       /* 0x600 */
	u64 lstar;                      /* 0x608 */
	u64 cstar;                      /* 0x610 */
	u64 sfmask;                     /* 0x618 */
	u64 kernel_gs_base;             /* 0x620 */
	u64 sysenter_cs;                /* 0x628 */
	u64 sysenter_esp;               /* 0x630 */
	u64 sysenter_eip;               /* 0x638 */
	u64 cr2;                        /* 0x640 */
	u8 rsvd9[0x668 - 0x648];
	u64 g_pat;                      /* 0x668 */
	u8 rsvd10[4096 - 0x670];
};
_Static_assert(__builtin_offsetof(struct vmcb, iopm_base_pa) == 0x040, "APM B-1");
_Static_assert(__builtin_offsetof(struct vmcb, exitcode) == 0x070, "APM B-1");
_Static_assert(__builtin_offsetof(struct vmcb, n_cr3) == 0x0b0, "APM B-1");
_Static_assert(__builtin_offsetof(struct vmcb, next_rip) == 0x0c8, "APM B-1");
_Static_assert(__builtin_offsetof(struct vmcb, es) == 0x400, "APM B-2");
_Static_assert(__builtin_offsetof(struct vmcb, tr) == 0x490, "APM B-2");
_Static_assert(__builtin_offsetof(struct vmcb, cpl) == 0x4cb, "APM B-2");
_Static_assert(__builtin_offsetof(struct vmcb, efer) == 0x4d0, "APM B-2");
_Static_assert(__builtin_offsetof(struct vmcb, cr4) == 0x548, "APM B-2");
_Static_assert(__builtin_offsetof(struct vmcb, rip) == 0x578, "APM B-2");
_Static_assert(__builtin_offsetof(struct vmcb, rsp) == 0x5d8, "APM B-2");
_Static_assert(__builtin_offsetof(struct vmcb, rax) == 0x5f8, "APM B-2");
_Static_assert(__builtin_offsetof(struct vmcb, cr2) == 0x640, "APM B-2");
_Static_assert(__builtin_offsetof(struct vmcb, g_pat) == 0x668, "APM B-2");
_Static_assert(sizeof(struct vmcb) == 4096, "one page");

/* Intercept vector 3 (offset 0x00c), APM B-1 */
#define INTERCEPT1_INTR                 BIT_ULL(0)
#define INTERCEPT1_NMI                  BIT_ULL(1)
#define INTERCEPT1_VINTR                BIT_ULL(4)      /* a virtual interrupt (V_IRQ) would be taken */
#define INTERCEPT1_INIT                 BIT_ULL(3)
#define INTERCEPT1_CPUID                BIT_ULL(18)
#define INTERCEPT1_RSM                  BIT_ULL(19)
#define INTERCEPT1_IRET                 BIT_ULL(20)     /* IRET: the guest's NMI handler ends (15.21.2) */
#define INTERCEPT1_INVD                 BIT_ULL(22)
#define INTERCEPT1_HLT                  BIT_ULL(24)
#define INTERCEPT1_INVLPGA              BIT_ULL(26)
#define INTERCEPT1_IOIO_PROT            BIT_ULL(27)
#define INTERCEPT1_MSR_PROT             BIT_ULL(28)
#define INTERCEPT1_TASK_SWITCH          BIT_ULL(29)
#define INTERCEPT1_SHUTDOWN             BIT_ULL(31)
/* Intercept vector 4 (offset 0x010) */
#define INTERCEPT2_VMRUN                BIT_ULL(0)
#define INTERCEPT2_VMMCALL              BIT_ULL(1)
#define INTERCEPT2_VMLOAD               BIT_ULL(2)
#define INTERCEPT2_VMSAVE               BIT_ULL(3)
#define INTERCEPT2_STGI                 BIT_ULL(4)
#define INTERCEPT2_CLGI                 BIT_ULL(5)
#define INTERCEPT2_SKINIT               BIT_ULL(6)
#define INTERCEPT2_MONITOR              BIT_ULL(10)
#define INTERCEPT2_MWAIT                BIT_ULL(11)

#define TLB_CONTROL_NONE                0
#define TLB_CONTROL_FLUSH_ALL           1       /* every ASID: the only flush without FlushByAsid */
/* VMCB offset 0x060 (APM 15.21.1 "Virtual Interrupt Control"; B-1) */
#define V_TPR                           GENMASK_ULL(3, 0)       /* CR8 of the guest, with V_INTR_MASKING */
#define V_IRQ                           BIT_ULL(8)
#define V_INTR_PRIO                     GENMASK_ULL(19, 16)
#define V_IGN_TPR                       BIT_ULL(20)
#define V_INTR_MASKING                  BIT_ULL(24)
/* VMCB offset 0x068 */
#define INT_STATE_SHADOW                BIT_ULL(0)      /* interrupt shadow: STI or MOV SS just ran */
/* EVENTINJ (0x0a8) and EXITINTINFO (0x088), APM 15.20 "Event Injection" */
#define EVENT_VECTOR                    GENMASK_ULL(7, 0)
#define EVENT_TYPE                      GENMASK_ULL(10, 8)
#define  EVENT_TYPE_INTR                0       /* external or virtual interrupt */
#define  EVENT_TYPE_NMI                 2
#define  EVENT_TYPE_EXCEPTION           3       /* a fault or trap (#GP, #UD, ...) */
#define EVENT_EV                        BIT_ULL(11)     /* error code valid */
#define EVENT_V                         BIT_ULL(31)
#define NP_ENABLE                       BIT_ULL(0)
#define SVM_GUEST_PAT                   0x0007040600070406ULL   /* the reset value (APM Vol. 2 7.8.2) */

/* Exit codes, appendix C */
#define SVM_EXIT_EXCP_BASE              0x040
#define SVM_EXIT_INTR                   0x060
#define SVM_EXIT_NMI                    0x061
#define SVM_EXIT_SMI                    0x062
#define SVM_EXIT_INIT                   0x063
#define SVM_EXIT_VINTR                  0x064
#define SVM_EXIT_CPUID                  0x072
#define SVM_EXIT_RSM                    0x073
#define SVM_EXIT_IRET                   0x074
#define SVM_EXIT_INVD                   0x076
#define SVM_EXIT_HLT                    0x078
#define SVM_EXIT_INVLPGA                0x07a
#define SVM_EXIT_IOIO                   0x07b
#define SVM_EXIT_MSR                    0x07c
#define SVM_EXIT_TASK_SWITCH            0x07d
#define SVM_EXIT_SHUTDOWN               0x07f
#define SVM_EXIT_VMRUN                  0x080
#define SVM_EXIT_VMMCALL                0x081
#define SVM_EXIT_VMLOAD                 0x082
#define SVM_EXIT_VMSAVE                 0x083
#define SVM_EXIT_STGI                   0x084
#define SVM_EXIT_CLGI                   0x085
#define SVM_EXIT_SKINIT                 0x086
#define SVM_EXIT_MONITOR                0x08a
#define SVM_EXIT_MWAIT                  0x08b
#define SVM_EXIT_RDPRU                  0x08e
#define SVM_EXIT_NPF                    0x400
#define SVM_EXIT_INVALID                0xffffffffffffffffULL   /* VMRUN refused the state (15.5.1) */

/* IOIO EXITINFO1 (APM 15.10.2); EXITINFO2 is the next RIP. */
#define IOIO_TYPE_IN                    BIT_ULL(0)
#define IOIO_STR                        BIT_ULL(2)
#define IOIO_REP                        BIT_ULL(3)
#define IOIO_SZ8                        BIT_ULL(4)
#define IOIO_SZ16                       BIT_ULL(5)
#define IOIO_SZ32                       BIT_ULL(6)
#define IOIO_PORT                       GENMASK_ULL(31, 16)
/* MSR EXITINFO1 (15.11): 0 read, 1 write. */
#define MSR_EXIT_WRITE                  1
/* #NPF EXITINFO1: a page-fault error code (15.25.6); EXITINFO2 the GPA. */
#define NPF_P                           BIT_ULL(0)
#define NPF_W                           BIT_ULL(1)
#define NPF_US                          BIT_ULL(2)
#define NPF_RSV                         BIT_ULL(3)      /* a reserved bit set in a nested entry */
#define NPF_ID                          BIT_ULL(4)
#define NPF_FINAL                       BIT_ULL(32)     /* faulted translating the final GPA */
#define NPF_GUEST_TABLE                 BIT_ULL(33)     /* faulted translating a guest page-table access */

/* Permission maps (15.10.1, 15.11): 12 KiB for 64K ports, 8 KiB for three MSR ranges. */
#define SVM_IOPM_PAGES                  3
#define SVM_MSRPM_PAGES                 2

#endif
