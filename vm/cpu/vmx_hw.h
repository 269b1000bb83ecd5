/*
 * Intel VMX architecture: capability MSRs, VM-execution/exit/entry control
 * bits, VMCS field encodings, exit reasons and qualifications, the EPTP,
 * and the VM-instruction error numbers.
 * Spec: Intel 64 and IA-32 Architectures Software Developer's Manual,
 * Vol. 3C (order 326019, 2023 revisions: chapter 24 "Introduction to VMX
 * Operation", 25 "Virtual Machine Control Structures", 28 "VM Exits", 29
 * "VMX Support for Address Translation", 31 "VMX Instruction Reference"),
 * Vol. 3D appendix A "VMX Capability Reporting Facility", B "Field
 * Encoding in VMCS", C "VMX Basic Exit Reasons". Section titles are given
 * beside the numbers, which move between revisions.
 */
#ifndef VM_VMX_HW_H
#define VM_VMX_HW_H
#include "kernel/types.h"
#include "vm/cpu/msr.h"          /* EFER, PAT, IA32_FEATURE_CONTROL */

/* CPUID.1:ECX (Vol. 2A CPUID, "Feature Information") */
#define CPUID_1_ECX_VMX                 BIT_ULL(5)
#define CPUID_1_ECX_SMX                 BIT_ULL(6)

/* Control-register bits VMX needs (Vol. 3A 2.5 "Control Registers") */
#define X86_CR0_PE                      BIT_ULL(0)
#define X86_CR0_ET                      BIT_ULL(4)
#define X86_CR0_NE                      BIT_ULL(5)
#define X86_CR0_WP                      BIT_ULL(16)
#define X86_CR0_PG                      BIT_ULL(31)
#define X86_CR4_PAE                     BIT_ULL(5)
#define X86_CR4_VMXE                    BIT_ULL(13)
#define MSR_IA32_FS_BASE                0xc0000100
#define MSR_IA32_GS_BASE                0xc0000101
#define MSR_IA32_SYSENTER_CS            0x174
#define MSR_IA32_SYSENTER_ESP           0x175
#define MSR_IA32_SYSENTER_EIP           0x176

/* 24.7 "Enabling and Entering VMX Operation": IA32_FEATURE_CONTROL */
/* (MSR_IA32_FEATURE_CONTROL and FEATURE_CONTROL_LOCK: vm/cpu/msr.h) */
#define  FEATURE_CONTROL_VMX_IN_SMX     BIT_ULL(1)
#define  FEATURE_CONTROL_VMX_OUTSIDE_SMX BIT_ULL(2)

/* Appendix A: the capability MSRs */
#define MSR_IA32_VMX_BASIC              0x480   /* A.1 "Basic VMX Information" */
#define  VMX_BASIC_REVISION             GENMASK_ULL(30, 0)
#define  VMX_BASIC_REGION_SIZE          GENMASK_ULL(44, 32)     /* VMXON/VMCS region bytes, at most 4096 */
#define  VMX_BASIC_PA32                 BIT_ULL(48)     /* regions must be below 4 GiB */
#define  VMX_BASIC_MEMTYPE              GENMASK_ULL(53, 50)     /* 6: write-back */
#define  VMX_BASIC_INS_OUTS_INFO        BIT_ULL(54)
#define  VMX_BASIC_TRUE_CTLS            BIT_ULL(55)     /* the IA32_VMX_TRUE_*_CTLS MSRs exist */
#define MSR_IA32_VMX_PINBASED_CTLS      0x481   /* A.3.1 */
#define MSR_IA32_VMX_PROCBASED_CTLS     0x482   /* A.3.2 */
#define MSR_IA32_VMX_EXIT_CTLS          0x483   /* A.4 */
#define MSR_IA32_VMX_ENTRY_CTLS         0x484   /* A.5 */
#define MSR_IA32_VMX_MISC               0x485   /* A.6 */
#define MSR_IA32_VMX_CR0_FIXED0         0x486   /* A.7: bits set here must be 1 in CR0 */
#define MSR_IA32_VMX_CR0_FIXED1         0x487   /* A.7: bits clear here must be 0 */
#define MSR_IA32_VMX_CR4_FIXED0         0x488   /* A.8 */
#define MSR_IA32_VMX_CR4_FIXED1         0x489   /* A.8 */
#define MSR_IA32_VMX_VMCS_ENUM          0x48a   /* A.9 */
#define MSR_IA32_VMX_PROCBASED_CTLS2    0x48b   /* A.3.3 (no TRUE variant) */
#define MSR_IA32_VMX_EPT_VPID_CAP       0x48c   /* A.10 */
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d   /* A.3.1, when VMX_BASIC_TRUE_CTLS */
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e  /* A.3.2 */
#define MSR_IA32_VMX_TRUE_EXIT_CTLS     0x48f   /* A.4 */
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS    0x490   /* A.5 */
/* A control MSR: bits 31:0 the allowed 0-settings (a 1 there forces the control to 1), bits 63:32 the allowed 1-settings. */
#define  VMX_CTLS_ALLOWED0              GENMASK_ULL(31, 0)
#define  VMX_CTLS_ALLOWED1              GENMASK_ULL(63, 32)

/* A.10 "VPID and EPT Capabilities" (IA32_VMX_EPT_VPID_CAP) */
#define  EPT_CAP_EXEC_ONLY              BIT_ULL(0)
#define  EPT_CAP_PWL4                   BIT_ULL(6)      /* page-walk length 4 */
#define  EPT_CAP_PWL5                   BIT_ULL(7)
#define  EPT_CAP_MT_UC                  BIT_ULL(8)      /* EPT structures may be uncacheable */
#define  EPT_CAP_MT_WB                  BIT_ULL(14)     /* ... or write-back */
#define  EPT_CAP_2M                     BIT_ULL(16)     /* PDE may map a 2 MiB page */
#define  EPT_CAP_1G                     BIT_ULL(17)     /* PDPTE may map a 1 GiB page */
#define  EPT_CAP_INVEPT                 BIT_ULL(20)
#define  EPT_CAP_AD                     BIT_ULL(21)
#define  EPT_CAP_INVEPT_SINGLE          BIT_ULL(25)
#define  EPT_CAP_INVEPT_ALL             BIT_ULL(26)
#define  VPID_CAP_INVVPID               BIT_ULL(32)
#define  VPID_CAP_INVVPID_ADDR          BIT_ULL(40)
#define  VPID_CAP_INVVPID_SINGLE        BIT_ULL(41)
#define  VPID_CAP_INVVPID_ALL           BIT_ULL(42)
#define  VPID_CAP_INVVPID_SINGLE_NG     BIT_ULL(43)

/* 25.6.1 "Pin-Based VM-Execution Controls" */
#define PIN_EXTINT_EXITING              BIT_ULL(0)
#define PIN_NMI_EXITING                 BIT_ULL(3)
#define PIN_VIRTUAL_NMIS                BIT_ULL(5)
#define PIN_PREEMPTION_TIMER            BIT_ULL(6)
#define PIN_POSTED_INTERRUPTS           BIT_ULL(7)

/* 25.6.2 "Processor-Based VM-Execution Controls", table "Definitions of Primary Processor-Based ..." */
#define PROC_INTR_WINDOW_EXITING        BIT_ULL(2)
#define PROC_TSC_OFFSETTING             BIT_ULL(3)
#define PROC_HLT_EXITING                BIT_ULL(7)
#define PROC_INVLPG_EXITING             BIT_ULL(9)
#define PROC_MWAIT_EXITING              BIT_ULL(10)
#define PROC_RDPMC_EXITING              BIT_ULL(11)
#define PROC_RDTSC_EXITING              BIT_ULL(12)
#define PROC_CR3_LOAD_EXITING           BIT_ULL(15)
#define PROC_CR3_STORE_EXITING          BIT_ULL(16)
#define PROC_CR8_LOAD_EXITING           BIT_ULL(19)
#define PROC_CR8_STORE_EXITING          BIT_ULL(20)
#define PROC_TPR_SHADOW                 BIT_ULL(21)
#define PROC_NMI_WINDOW_EXITING         BIT_ULL(22)
#define PROC_MOV_DR_EXITING             BIT_ULL(23)
#define PROC_UNCOND_IO_EXITING          BIT_ULL(24)
#define PROC_USE_IO_BITMAPS             BIT_ULL(25)
#define PROC_MONITOR_TRAP_FLAG          BIT_ULL(27)
#define PROC_USE_MSR_BITMAPS            BIT_ULL(28)
#define PROC_MONITOR_EXITING            BIT_ULL(29)
#define PROC_PAUSE_EXITING              BIT_ULL(30)
#define PROC_SECONDARY_CONTROLS         BIT_ULL(31)

/* 25.6.2, table "Definitions of Secondary Processor-Based VM-Execution Controls" */
#define PROC2_VIRT_APIC_ACCESSES        BIT_ULL(0)
#define PROC2_ENABLE_EPT                BIT_ULL(1)
#define PROC2_DESC_TABLE_EXITING        BIT_ULL(2)
#define PROC2_ENABLE_RDTSCP             BIT_ULL(3)
#define PROC2_VIRT_X2APIC               BIT_ULL(4)
#define PROC2_ENABLE_VPID               BIT_ULL(5)
#define PROC2_WBINVD_EXITING            BIT_ULL(6)
#define PROC2_UNRESTRICTED_GUEST        BIT_ULL(7)
#define PROC2_APIC_REG_VIRT             BIT_ULL(8)
#define PROC2_VIRT_INTR_DELIVERY        BIT_ULL(9)
/* Vol. 3A 11.12.1 Table 11-6: the x2APIC EOI register's MSR, which "virtualize x2APIC mode" with virtual-interrupt delivery virtualizes (30.5). */
#define X2APIC_MSR_EOI                  0x0000080b
#define PROC2_ENABLE_INVPCID            BIT_ULL(12)
#define PROC2_ENABLE_VMFUNC             BIT_ULL(13)
#define PROC2_VMCS_SHADOWING            BIT_ULL(14)
#define PROC2_ENABLE_XSAVES             BIT_ULL(20)

/* 25.7.1 "VM-Exit Controls" */
#define EXIT_SAVE_DEBUG_CONTROLS        BIT_ULL(2)
#define EXIT_HOST_ADDR_SPACE_SIZE       BIT_ULL(9)      /* the host runs in 64-bit mode */
#define EXIT_LOAD_PERF_GLOBAL_CTRL      BIT_ULL(12)
#define EXIT_ACK_INTR_ON_EXIT           BIT_ULL(15)
#define EXIT_SAVE_IA32_PAT              BIT_ULL(18)
#define EXIT_LOAD_IA32_PAT              BIT_ULL(19)
#define EXIT_SAVE_IA32_EFER             BIT_ULL(20)
#define EXIT_LOAD_IA32_EFER             BIT_ULL(21)
#define EXIT_SAVE_PREEMPTION_TIMER      BIT_ULL(22)

/* 25.8.1 "VM-Entry Controls" */
#define ENTRY_LOAD_DEBUG_CONTROLS       BIT_ULL(2)
#define ENTRY_IA32E_MODE_GUEST          BIT_ULL(9)
#define ENTRY_TO_SMM                    BIT_ULL(10)
#define ENTRY_DEACT_DUAL_MONITOR        BIT_ULL(11)
#define ENTRY_LOAD_PERF_GLOBAL_CTRL     BIT_ULL(13)
#define ENTRY_LOAD_IA32_PAT             BIT_ULL(14)
#define ENTRY_LOAD_IA32_EFER            BIT_ULL(15)

/*
 * Appendix B "Field Encoding in VMCS" (and 25.11.2 "VMREAD, VMWRITE, and
 * Encodings of VMCS Fields"): a 32-bit encoding with
 *   bit 0      access type (0 full, 1 high: the upper half of a 64-bit field)
 *   bits 9:1   index
 *   bits 11:10 type (0 control, 1 VM-exit information, 2 guest state, 3 host state)
 *   bit 12     reserved, 0
 *   bits 14:13 width (0 16-bit, 1 64-bit, 2 32-bit, 3 natural width)
 */
#define VMCS_ENC_ACCESS_HIGH            BIT_ULL(0)
#define VMCS_ENC_INDEX                  GENMASK_ULL(9, 1)
#define VMCS_ENC_TYPE                   GENMASK_ULL(11, 10)
#define  VMCS_TYPE_CONTROL              0
#define  VMCS_TYPE_EXIT_INFO            1       /* read-only */
#define  VMCS_TYPE_GUEST                2
#define  VMCS_TYPE_HOST                 3
#define VMCS_ENC_RESERVED               BIT_ULL(12)
#define VMCS_ENC_WIDTH                  GENMASK_ULL(14, 13)
#define  VMCS_WIDTH_16                  0
#define  VMCS_WIDTH_64                  1
#define  VMCS_WIDTH_32                  2
#define  VMCS_WIDTH_NATURAL             3

enum vmcs_field {
	/* B.1.1 16-bit control fields */
	VMCS_VPID                       = 0x0000,
	/* B.1.2 16-bit guest-state fields */
	VMCS_GUEST_ES_SEL               = 0x0800,
	VMCS_GUEST_CS_SEL               = 0x0802,
	VMCS_GUEST_SS_SEL               = 0x0804,
	VMCS_GUEST_DS_SEL               = 0x0806,
	VMCS_GUEST_FS_SEL               = 0x0808,
	VMCS_GUEST_GS_SEL               = 0x080a,
	VMCS_GUEST_LDTR_SEL             = 0x080c,
	VMCS_GUEST_TR_SEL               = 0x080e,
	VMCS_GUEST_INTR_STATUS          = 0x0810,       /* RVI in 7:0, SVI in 15:8 (25.4.2) */
	/* B.1.3 16-bit host-state fields */
	VMCS_HOST_ES_SEL                = 0x0c00,
	VMCS_HOST_CS_SEL                = 0x0c02,
	VMCS_HOST_SS_SEL                = 0x0c04,
	VMCS_HOST_DS_SEL                = 0x0c06,
	VMCS_HOST_FS_SEL                = 0x0c08,
	VMCS_HOST_GS_SEL                = 0x0c0a,
	VMCS_HOST_TR_SEL                = 0x0c0c,
	/* B.2.1 64-bit control fields (full; high = +1) */
	VMCS_IO_BITMAP_A                = 0x2000,
	VMCS_IO_BITMAP_B                = 0x2002,
	VMCS_MSR_BITMAP                 = 0x2004,
	VMCS_EXIT_MSR_STORE_ADDR        = 0x2006,
	VMCS_EXIT_MSR_LOAD_ADDR         = 0x2008,
	VMCS_ENTRY_MSR_LOAD_ADDR        = 0x200a,
	VMCS_TSC_OFFSET                 = 0x2010,
	VMCS_VIRTUAL_APIC_PAGE_ADDR     = 0x2012,
	VMCS_EPT_POINTER                = 0x201a,
	VMCS_EOI_EXIT_BITMAP0           = 0x201c,       /* four 64-bit fields, 2 apart (25.6.8) */
	/* B.2.2 64-bit read-only data field */
	VMCS_GUEST_PHYSICAL_ADDR        = 0x2400,
	/* B.2.3 64-bit guest-state fields */
	VMCS_LINK_POINTER               = 0x2800,
	VMCS_GUEST_IA32_DEBUGCTL        = 0x2802,
	VMCS_GUEST_IA32_PAT             = 0x2804,
	VMCS_GUEST_IA32_EFER            = 0x2806,
	/* B.2.4 64-bit host-state fields */
	VMCS_HOST_IA32_PAT              = 0x2c00,
	VMCS_HOST_IA32_EFER             = 0x2c02,
	/* B.3.1 32-bit control fields */
	VMCS_PIN_CONTROLS               = 0x4000,
	VMCS_PROC_CONTROLS              = 0x4002,
	VMCS_EXCEPTION_BITMAP           = 0x4004,
	VMCS_PF_ERROR_MASK              = 0x4006,
	VMCS_PF_ERROR_MATCH             = 0x4008,
	VMCS_CR3_TARGET_COUNT           = 0x400a,
	VMCS_EXIT_CONTROLS              = 0x400c,
	VMCS_EXIT_MSR_STORE_COUNT       = 0x400e,
	VMCS_EXIT_MSR_LOAD_COUNT        = 0x4010,
	VMCS_ENTRY_CONTROLS             = 0x4012,
	VMCS_ENTRY_MSR_LOAD_COUNT       = 0x4014,
	VMCS_ENTRY_INTR_INFO            = 0x4016,
	VMCS_ENTRY_EXCEPTION_ERROR_CODE = 0x4018,
	VMCS_ENTRY_INSTRUCTION_LEN      = 0x401a,
	VMCS_TPR_THRESHOLD              = 0x401c,
	VMCS_PROC_CONTROLS2             = 0x401e,
	/* B.3.2 32-bit read-only data fields */
	VMCS_VM_INSTRUCTION_ERROR       = 0x4400,
	VMCS_EXIT_REASON                = 0x4402,
	VMCS_EXIT_INTR_INFO             = 0x4404,
	VMCS_EXIT_INTR_ERROR_CODE       = 0x4406,
	VMCS_IDT_VECTORING_INFO         = 0x4408,
	VMCS_IDT_VECTORING_ERROR_CODE   = 0x440a,
	VMCS_EXIT_INSTRUCTION_LEN       = 0x440c,
	VMCS_EXIT_INSTRUCTION_INFO      = 0x440e,
	/* B.3.3 32-bit guest-state fields */
	VMCS_GUEST_ES_LIMIT             = 0x4800,
	VMCS_GUEST_CS_LIMIT             = 0x4802,
	VMCS_GUEST_SS_LIMIT             = 0x4804,
	VMCS_GUEST_DS_LIMIT             = 0x4806,
	VMCS_GUEST_FS_LIMIT             = 0x4808,
	VMCS_GUEST_GS_LIMIT             = 0x480a,
	VMCS_GUEST_LDTR_LIMIT           = 0x480c,
	VMCS_GUEST_TR_LIMIT             = 0x480e,
	VMCS_GUEST_GDTR_LIMIT           = 0x4810,
	VMCS_GUEST_IDTR_LIMIT           = 0x4812,
	VMCS_GUEST_ES_AR                = 0x4814,
	VMCS_GUEST_CS_AR                = 0x4816,
	VMCS_GUEST_SS_AR                = 0x4818,
	VMCS_GUEST_DS_AR                = 0x481a,
	VMCS_GUEST_FS_AR                = 0x481c,
	VMCS_GUEST_GS_AR                = 0x481e,
	VMCS_GUEST_LDTR_AR              = 0x4820,
	VMCS_GUEST_TR_AR                = 0x4822,
	VMCS_GUEST_INTERRUPTIBILITY     = 0x4824,
	VMCS_GUEST_ACTIVITY_STATE       = 0x4826,
	VMCS_GUEST_SYSENTER_CS          = 0x482a,
	VMCS_GUEST_PREEMPTION_TIMER     = 0x482e,       /* VMX-preemption timer value (B.3.3) */
	/* B.3.4 32-bit host-state field */
	VMCS_HOST_SYSENTER_CS           = 0x4c00,
	/* B.4.1 natural-width control fields */
	VMCS_CR0_GUEST_HOST_MASK        = 0x6000,
	VMCS_CR4_GUEST_HOST_MASK        = 0x6002,
	VMCS_CR0_READ_SHADOW            = 0x6004,
	VMCS_CR4_READ_SHADOW            = 0x6006,
	/* B.4.2 natural-width read-only data fields */
	VMCS_EXIT_QUALIFICATION         = 0x6400,
	VMCS_GUEST_LINEAR_ADDR          = 0x640a,
	/* B.4.3 natural-width guest-state fields */
	VMCS_GUEST_CR0                  = 0x6800,
	VMCS_GUEST_CR3                  = 0x6802,
	VMCS_GUEST_CR4                  = 0x6804,
	VMCS_GUEST_ES_BASE              = 0x6806,
	VMCS_GUEST_CS_BASE              = 0x6808,
	VMCS_GUEST_SS_BASE              = 0x680a,
	VMCS_GUEST_DS_BASE              = 0x680c,
	VMCS_GUEST_FS_BASE              = 0x680e,
	VMCS_GUEST_GS_BASE              = 0x6810,
	VMCS_GUEST_LDTR_BASE            = 0x6812,
	VMCS_GUEST_TR_BASE              = 0x6814,
	VMCS_GUEST_GDTR_BASE            = 0x6816,
	VMCS_GUEST_IDTR_BASE            = 0x6818,
	VMCS_GUEST_DR7                  = 0x681a,
	VMCS_GUEST_RSP                  = 0x681c,
	VMCS_GUEST_RIP                  = 0x681e,
	VMCS_GUEST_RFLAGS               = 0x6820,
	VMCS_GUEST_PENDING_DBG          = 0x6822,
	VMCS_GUEST_SYSENTER_ESP         = 0x6824,
	VMCS_GUEST_SYSENTER_EIP         = 0x6826,
	/* B.4.4 natural-width host-state fields */
	VMCS_HOST_CR0                   = 0x6c00,
	VMCS_HOST_CR3                   = 0x6c02,
	VMCS_HOST_CR4                   = 0x6c04,
	VMCS_HOST_FS_BASE               = 0x6c06,
	VMCS_HOST_GS_BASE               = 0x6c08,
	VMCS_HOST_TR_BASE               = 0x6c0a,
	VMCS_HOST_GDTR_BASE             = 0x6c0c,
	VMCS_HOST_IDTR_BASE             = 0x6c0e,
	VMCS_HOST_SYSENTER_ESP          = 0x6c10,
	VMCS_HOST_SYSENTER_EIP          = 0x6c12,
	VMCS_HOST_RSP                   = 0x6c14,
	VMCS_HOST_RIP                   = 0x6c16,
};

/* 25.4.1 "Guest Register State": segment access rights (the descriptor's type..G bits, plus "unusable") */
#define VMX_AR_TYPE                     GENMASK_ULL(3, 0)
#define VMX_AR_S                        BIT_ULL(4)
#define VMX_AR_DPL                      GENMASK_ULL(6, 5)
#define VMX_AR_P                        BIT_ULL(7)
#define VMX_AR_L                        BIT_ULL(13)
#define VMX_AR_DB                       BIT_ULL(14)
#define VMX_AR_G                        BIT_ULL(15)
#define VMX_AR_UNUSABLE                 BIT_ULL(16)
#define VMX_AR_CODE64                   0xa09b  /* execute/read accessed, S, P, L, G */
#define VMX_AR_CODE32                   0xc09b  /* execute/read accessed, S, P, D, G */
#define VMX_AR_DATA                     0xc093  /* read/write accessed, S, P, B, G */
#define VMX_AR_REAL_CODE                0x009b  /* real mode (unrestricted guest): execute/read accessed, S, P */
#define VMX_AR_REAL_DATA                0x0093  /* real mode: read/write accessed, S, P (27.3.1.2) */
#define VMX_AR_LDT                      0x0082  /* LDT, P */
#define VMX_AR_TSS_BUSY                 0x008b  /* busy 32/64-bit TSS, P */

/* 25.4.2 "Guest Non-Register State" */
#define VMX_ACTIVITY_ACTIVE             0
#define VMX_ACTIVITY_HLT                1
#define VMX_LINK_POINTER_NONE           0xffffffffffffffffULL   /* no shadow VMCS: must be all ones */

/* 25.6.11 "Extended-Page-Table Pointer (EPTP)" */
#define EPTP_MEMTYPE                    GENMASK_ULL(2, 0)
#define  EPTP_MEMTYPE_UC                0
#define  EPTP_MEMTYPE_WB                6
#define EPTP_PWL_MINUS1                 GENMASK_ULL(5, 3)
#define EPTP_AD                         BIT_ULL(6)
#define EPTP_PML4                       GENMASK_ULL(51, 12)

/* 29.4.3 "Invalidating Cached Translation Information": INVEPT and INVVPID types (31, "INVEPT", "INVVPID") */
#define INVEPT_SINGLE_CONTEXT           1
#define INVEPT_ALL_CONTEXT              2
#define INVVPID_ADDRESS                 0
#define INVVPID_SINGLE_CONTEXT          1
#define INVVPID_ALL_CONTEXT             2

/* 25.6.4 "I/O-Bitmap Addresses", 25.6.9 "MSR-Bitmap Address": one page each */
#define VMX_IO_BITMAP_PAGES             2       /* A: ports 0000-7FFF, B: 8000-FFFF */
#define VMX_MSR_BITMAP_READ_LO          0x000   /* MSRs 00000000-00001FFF */
#define VMX_MSR_BITMAP_READ_HI          0x400   /* MSRs C0000000-C0001FFF */
#define VMX_MSR_BITMAP_WRITE_LO         0x800
#define VMX_MSR_BITMAP_WRITE_HI         0xc00

/* 28.2.1 "Basic VM-Exit Information": the exit reason field */
#define VMX_EXIT_REASON_BASIC           GENMASK_ULL(15, 0)
#define VMX_EXIT_REASON_ENTRY_FAILURE   BIT_ULL(31)

/* Appendix C "VMX Basic Exit Reasons" */
enum vmx_exit_reason {
	VMX_EXIT_EXCEPTION_NMI          = 0,
	VMX_EXIT_EXTERNAL_INTERRUPT     = 1,
	VMX_EXIT_TRIPLE_FAULT           = 2,
	VMX_EXIT_INIT                   = 3,
	VMX_EXIT_SIPI                   = 4,
	VMX_EXIT_IO_SMI                 = 5,
	VMX_EXIT_OTHER_SMI              = 6,
	VMX_EXIT_INTERRUPT_WINDOW       = 7,
	VMX_EXIT_NMI_WINDOW             = 8,
	VMX_EXIT_TASK_SWITCH            = 9,
	VMX_EXIT_CPUID                  = 10,
	VMX_EXIT_GETSEC                 = 11,
	VMX_EXIT_HLT                    = 12,
	VMX_EXIT_INVD                   = 13,
	VMX_EXIT_INVLPG                 = 14,
	VMX_EXIT_RDPMC                  = 15,
	VMX_EXIT_RDTSC                  = 16,
	VMX_EXIT_RSM                    = 17,
	VMX_EXIT_VMCALL                 = 18,
	VMX_EXIT_VMCLEAR                = 19,
	VMX_EXIT_VMLAUNCH               = 20,
	VMX_EXIT_VMPTRLD                = 21,
	VMX_EXIT_VMPTRST                = 22,
	VMX_EXIT_VMREAD                 = 23,
	VMX_EXIT_VMRESUME               = 24,
	VMX_EXIT_VMWRITE                = 25,
	VMX_EXIT_VMXOFF                 = 26,
	VMX_EXIT_VMXON                  = 27,
	VMX_EXIT_CR_ACCESS              = 28,
	VMX_EXIT_MOV_DR                 = 29,
	VMX_EXIT_IO_INSTRUCTION         = 30,
	VMX_EXIT_RDMSR                  = 31,
	VMX_EXIT_WRMSR                  = 32,
	VMX_EXIT_INVALID_GUEST_STATE    = 33,   /* VM-entry failure */
	VMX_EXIT_MSR_LOADING            = 34,   /* VM-entry failure */
	VMX_EXIT_MWAIT                  = 36,
	VMX_EXIT_MONITOR_TRAP_FLAG      = 37,
	VMX_EXIT_MONITOR                = 39,
	VMX_EXIT_PAUSE                  = 40,
	VMX_EXIT_MACHINE_CHECK          = 41,   /* VM-entry failure */
	VMX_EXIT_TPR_BELOW_THRESHOLD    = 43,
	VMX_EXIT_APIC_ACCESS            = 44,
	VMX_EXIT_VIRTUALIZED_EOI        = 45,
	VMX_EXIT_GDTR_IDTR              = 46,
	VMX_EXIT_LDTR_TR                = 47,
	VMX_EXIT_EPT_VIOLATION          = 48,
	VMX_EXIT_EPT_MISCONFIG          = 49,
	VMX_EXIT_INVEPT                 = 50,
	VMX_EXIT_RDTSCP                 = 51,
	VMX_EXIT_PREEMPTION_TIMER       = 52,
	VMX_EXIT_INVVPID                = 53,
	VMX_EXIT_WBINVD                 = 54,
	VMX_EXIT_XSETBV                 = 55,
	VMX_EXIT_APIC_WRITE             = 56,
	VMX_EXIT_RDRAND                 = 57,
	VMX_EXIT_INVPCID                = 58,
	VMX_EXIT_VMFUNC                 = 59,
	VMX_EXIT_ENCLS                  = 60,
	VMX_EXIT_RDSEED                 = 61,
	VMX_EXIT_PML_FULL               = 62,
	VMX_EXIT_XSAVES                 = 63,
	VMX_EXIT_XRSTORS                = 64,
	VMX_EXIT_NR                     = 65,
};

/* 28.2.1, table "Exit Qualification for I/O Instructions" */
#define IO_QUAL_SIZE_MINUS1             GENMASK_ULL(2, 0)       /* 0: 1 byte, 1: 2, 3: 4 */
#define IO_QUAL_IN                      BIT_ULL(3)
#define IO_QUAL_STRING                  BIT_ULL(4)
#define IO_QUAL_REP                     BIT_ULL(5)
#define IO_QUAL_IMM                     BIT_ULL(6)      /* port in the instruction, not DX */
#define IO_QUAL_PORT                    GENMASK_ULL(31, 16)

/* 28.2.1, table "Exit Qualification for EPT Violations" */
#define EPT_QUAL_READ                   BIT_ULL(0)
#define EPT_QUAL_WRITE                  BIT_ULL(1)
#define EPT_QUAL_FETCH                  BIT_ULL(2)
#define EPT_QUAL_READABLE               BIT_ULL(3)      /* what the entries allowed: any set = present */
#define EPT_QUAL_WRITABLE               BIT_ULL(4)
#define EPT_QUAL_EXECUTABLE             BIT_ULL(5)
#define EPT_QUAL_GLA_VALID              BIT_ULL(7)

/* 25.9.2 "Information for VM Exits Due to Vectored Events": VM-exit interruption information */
#define INTR_INFO_VECTOR                GENMASK_ULL(7, 0)
#define INTR_INFO_TYPE                  GENMASK_ULL(10, 8)
#define  INTR_TYPE_EXT_INTR             0
#define  INTR_TYPE_NMI                  2
#define  INTR_TYPE_HW_EXCEPTION         3
#define  INTR_TYPE_SW_INTR              4
#define  INTR_TYPE_PRIV_SW_EXCEPTION    5
#define  INTR_TYPE_SW_EXCEPTION         6
#define INTR_INFO_ERROR_CODE_VALID      BIT_ULL(11)
#define INTR_INFO_NMI_UNBLOCK           BIT_ULL(12)
#define INTR_INFO_VALID                 BIT_ULL(31)
/* 25.4.2 Table 25-3 "Format of Interruptibility State" */
#define INTERRUPTIBILITY_STI            BIT_ULL(0)
#define INTERRUPTIBILITY_MOV_SS         BIT_ULL(1)
#define INTERRUPTIBILITY_NMI            BIT_ULL(3)      /* blocking by NMI (virtual NMIs: until the guest's IRET) */

/* 31.4 "VM Instruction Error Numbers" */
enum vmx_insn_error {
	VMXERR_VMCALL_IN_ROOT           = 1,
	VMXERR_VMCLEAR_BAD_ADDR         = 2,
	VMXERR_VMCLEAR_VMXON_PTR        = 3,
	VMXERR_VMLAUNCH_NOT_CLEAR       = 4,
	VMXERR_VMRESUME_NOT_LAUNCHED    = 5,
	VMXERR_VMRESUME_AFTER_VMXOFF    = 6,
	VMXERR_ENTRY_BAD_CONTROLS       = 7,
	VMXERR_ENTRY_BAD_HOST_STATE     = 8,
	VMXERR_VMPTRLD_BAD_ADDR         = 9,
	VMXERR_VMPTRLD_VMXON_PTR        = 10,
	VMXERR_VMPTRLD_BAD_REVISION     = 11,
	VMXERR_UNSUPPORTED_FIELD        = 12,
	VMXERR_VMWRITE_READ_ONLY        = 13,
	VMXERR_VMXON_IN_ROOT            = 15,
	VMXERR_ENTRY_BAD_EXEC_VMCS      = 16,
	VMXERR_ENTRY_NONLAUNCHED_EXEC   = 17,
	VMXERR_ENTRY_EXEC_NOT_VMXON     = 18,
	VMXERR_VMCALL_NONCLEAR          = 19,
	VMXERR_VMCALL_BAD_EXIT_CTLS     = 20,
	VMXERR_VMCALL_BAD_MSEG_REV      = 22,
	VMXERR_VMXOFF_DUAL_MONITOR      = 23,
	VMXERR_VMCALL_BAD_SMM_FEATURES  = 24,
	VMXERR_ENTRY_BAD_EXEC_CONTROLS  = 25,
	VMXERR_ENTRY_MOV_SS_BLOCKING    = 26,
	VMXERR_INVEPT_INVVPID_BAD_OPERAND = 28,
	VMXERR_NR                       = 29,
};

#endif
