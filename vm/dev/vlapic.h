/*
 * A guest CPU's local APIC: the register file of the xAPIC (MMIO at the
 * guest's APIC base) and of the x2APIC (MSRs 0x800-0x8ff), IA32_APIC_BASE
 * switching between disabled, xAPIC and x2APIC, the LVT timer in one-shot,
 * periodic and TSC-deadline modes computed against the real clock,
 * IRR/ISR/TPR/PPR priority, EOI and the ICR. Portable: the caller arms the
 * physical timer for vlapic_next_deadline() and injects vlapic_pending().
 * Spec: Intel SDM Vol. 3A chapter 11 "Advanced Programmable Interrupt
 * Controller" (11.4 local APIC, 11.5.4 APIC timer, 11.6.1 ICR, 11.8 IRR,
 * ISR, EOI, 11.12 x2APIC).
 */
#ifndef VM_VLAPIC_H
#define VM_VLAPIC_H
#include "kernel/types.h"

/* §11.4.4 IA32_APIC_BASE */
#define MSR_IA32_APIC_BASE              0x0000001b
#define  APIC_BASE_BSP                  BIT_ULL(8)
#define  APIC_BASE_EXTD                 BIT_ULL(10)     /* x2APIC mode */
#define  APIC_BASE_EN                   BIT_ULL(11)
#define  APIC_BASE_ADDR                 GENMASK_ULL(51, 12)
#define APIC_BASE_DEFAULT               0xfee00000ULL
#define MSR_IA32_TSC_DEADLINE           0x000006e0      /* §11.5.4.1 */
/* §11.12.1: x2APIC register at MSR 0x800 + xAPIC offset / 16. */
#define X2APIC_MSR_FIRST                0x00000800
#define X2APIC_MSR_LAST                 0x000008ff

/* §11.4.1 Table 11-1: register offsets in the xAPIC page. */
#define LAPIC_ID                        0x020
#define LAPIC_VERSION                   0x030
#define LAPIC_TPR                       0x080
#define LAPIC_APR                       0x090
#define LAPIC_PPR                       0x0a0
#define LAPIC_EOI                       0x0b0
#define LAPIC_RRD                       0x0c0
#define LAPIC_LDR                       0x0d0
#define LAPIC_DFR                       0x0e0
#define LAPIC_SVR                       0x0f0
#define  LAPIC_SVR_ENABLE               BIT_ULL(8)
#define LAPIC_ISR0                      0x100   /* eight registers, 0x10 apart */
#define LAPIC_TMR0                      0x180
#define LAPIC_IRR0                      0x200
#define LAPIC_ESR                       0x280
#define  ESR_SEND_ILLEGAL               BIT_ULL(5)
#define  ESR_RECV_ILLEGAL               BIT_ULL(6)
#define  ESR_ILLEGAL_REG                BIT_ULL(7)
#define LAPIC_LVT_CMCI                  0x2f0
#define LAPIC_ICR_LO                    0x300
#define  ICR_VECTOR                     GENMASK_ULL(7, 0)
#define  ICR_DM                         GENMASK_ULL(10, 8)
#define   ICR_DM_FIXED                  0
#define   ICR_DM_LOWEST                 1
#define   ICR_DM_SMI                    2
#define   ICR_DM_NMI                    4
#define   ICR_DM_INIT                   5
#define   ICR_DM_STARTUP                6
#define  ICR_DEST_LOGICAL               BIT_ULL(11)
#define  ICR_LEVEL_ASSERT               BIT_ULL(14)
#define  ICR_TRIGGER_LEVEL              BIT_ULL(15)
#define  ICR_SHORTHAND                  GENMASK_ULL(19, 18)
#define   ICR_SH_NONE                   0
#define   ICR_SH_SELF                   1
#define   ICR_SH_ALL                    2
#define   ICR_SH_OTHERS                 3
#define LAPIC_ICR_HI                    0x310   /* xAPIC: destination in bits 31:24 */
#define LAPIC_LVT_TIMER                 0x320
#define  LVT_VECTOR                     GENMASK_ULL(7, 0)
#define  LVT_MASKED                     BIT_ULL(16)
#define  LVT_TIMER_MODE                 GENMASK_ULL(18, 17)
#define   TIMER_ONESHOT                 0
#define   TIMER_PERIODIC                1
#define   TIMER_TSC_DEADLINE            2
#define LAPIC_LVT_THERMAL               0x330
#define LAPIC_LVT_PERF                  0x340
#define LAPIC_LVT_LINT0                 0x350
#define LAPIC_LVT_LINT1                 0x360
/* §11.5.1 Figure 11-8: the LINT0/LINT1 entries' delivery mode and trigger mode. */
#define  LVT_DM                         GENMASK_ULL(10, 8)
#define   LVT_DM_NMI                    4
#define   LVT_DM_EXTINT                 7
#define  LVT_TRIGGER_LEVEL              BIT_ULL(15)
#define LAPIC_LVT_ERROR                 0x370
#define LAPIC_TIMER_INIT                0x380
#define LAPIC_TIMER_CUR                 0x390
#define LAPIC_TIMER_DIV                 0x3e0
#define LAPIC_SELF_IPI                  0x3f0   /* x2APIC only (MSR 0x83f), WO */
#define LAPIC_VERSION_VALUE             0x00060014u     /* version 0x14, max LVT entry 6 (CMCI .. error) */

/*
 * KVM's paravirtual EOI, the guest ABI Linux speaks (Linux
 * Documentation/virt/kvm/x86/msr.rst "MSR_KVM_PV_EOI_EN", cpuid.rst
 * "KVM_FEATURE_PV_EOI"): the guest names a 4-byte word of its RAM; bit 0
 * there, set by the hypervisor, says the interrupt in service may be
 * ended by clearing the bit instead of writing EOI. The hypervisor does
 * that EOI at its next exit.
 */
#define MSR_KVM_PV_EOI_EN               0x4b564d04
#define  KVM_PV_EOI_EN_ENABLE           BIT_ULL(0)
#define  KVM_PV_EOI_EN_RSVD             BIT_ULL(1)      /* the word is 4-byte aligned: bits 63:2 its GPA */
#define  KVM_PV_EOI_EN_GPA              GENMASK_ULL(63, 2)
#define KVM_PV_EOI_PENDING              BIT(0)          /* in the guest's word */

/*
 * The rate the guest's APIC timer counts at before its divider. Real
 * APICs count at the bus or crystal clock; a guest learns this one from
 * docs/architecture.md (or measures it against its TSC, as Linux does).
 */
#define VLAPIC_TIMER_HZ                 100000000ULL
#define VLAPIC_NR_LVT                   7       /* CMCI, timer, thermal, perf, LINT0, LINT1, error */

enum vlapic_mode { VLAPIC_DISABLED, VLAPIC_XAPIC, VLAPIC_X2APIC };

struct vlapic {
	u32 id;                         /* the APIC ID (xAPIC: bits 31:24 of its register) */
	u64 base;                       /* IA32_APIC_BASE as the guest last wrote it */
	bool has_tsc_deadline;          /* CPUID.1:ECX[24] as the guest sees it */
	u32 tpr, svr, ldr, dfr, icr_lo, icr_hi;
	u32 esr, esr_pending;           /* ESR as last latched by a write; errors since */
	u32 lvt[VLAPIC_NR_LVT];
	u32 isr[8], tmr[8];
	u32 irr[8];                     /* set from any CPU (vlapic_accept): atomics */
	u32 timer_init, timer_div;
	u64 timer_start_ns;             /* when the count was (re)loaded */
	u64 timer_period_ns;            /* init count * divider at VLAPIC_TIMER_HZ */
	u64 timer_deadline_ns;          /* the next expiry; 0: not armed */
	u64 tsc_deadline;               /* IA32_TSC_DEADLINE as written; 0 once fired */
	/*
	 * An IPI the guest sent to another APIC ID, an INIT or a start-up
	 * (vm/part: partition_ipi). Returns >= 0 when delivered or handed
	 * on, < 0 when dropped (counted in ipis_failed).
	 */
	int (*ipi)(void *ctx, u32 from, u32 dest, u32 icr_lo);
	void *ctx;
	/* A vector became pending while the vCPU may be in its guest or halted: wake it (smp_kick). */
	void (*notify)(void *ctx);
	u32 vid_irr[8];                 /* what vlapic_vid_enter moved to the page's VIRR */
	bool vid_in;                    /* the page holds the state: vlapic_vid_enter without its exit yet */
	/* Paravirtual EOI (vlapic_pv_eoi_*): MSR_KVM_PV_EOI_EN as written, the guest's word when enabled. */
	u64 pv_eoi_msr;
	u32 *pv_eoi_word;
	bool pv_eoi_set;                /* bit 0 of the word was set at the last entry */
	/* Counters (read from any CPU: snapshots). */
	u64 injected, eois, ticks, self_ipis, ipis_sent, ipis_failed, accepts;
	u64 pv_eois;                    /* EOIs the guest signalled by clearing the word's bit (no exit) */
};

/*
 * Reset state (§11.4.7.1 and 11.12.5): xAPIC mode at APIC_BASE_DEFAULT,
 * software-disabled, every LVT masked, counters zero. id is the APIC ID,
 * bsp sets IA32_APIC_BASE.BSP. The hooks stay as they are.
 */
void vlapic_reset(struct vlapic *l, u32 id, bool bsp, bool has_tsc_deadline);
enum vlapic_mode vlapic_mode(const struct vlapic *l);
/*
 * The state a PC's firmware leaves the BSP's local APIC in, "virtual wire
 * mode" (MultiProcessor Specification 1.4, 3.6.2.2 "Virtual Wire Mode"):
 * software-enabled (SVR 0x1ff), LINT0 unmasked in ExtINT mode, LINT1 NMI,
 * both level-triggered. Apply after vlapic_reset.
 */
void vlapic_virtual_wire(struct vlapic *l);
/*
 * Whether an 8259A's INTR reaches the CPU through this APIC: the APIC
 * globally disabled (§11.4.3: LINT0 is then the plain INTR pin), or LINT0
 * unmasked in ExtINT delivery mode (§11.5.1). Such an interrupt bypasses
 * the IRR, ISR and PPR; its vector is the 8259A's.
 */
bool vlapic_extint_passes(const struct vlapic *l);

/*
 * Marks vector pending (IRR), from any CPU; calls notify when it was not
 * pending already. Vectors 0-15 are illegal (§11.8.3.1): ESR records them
 * and nothing is pending. Returns 0 or -HV_EINVAL (illegal vector, or the
 * APIC is disabled).
 */
int vlapic_accept(struct vlapic *l, u8 vector);

/*
 * The timer at time now: raises its vector (unless masked) when the
 * deadline passed, reloads a periodic count. Returns the next deadline in
 * ns (0: none armed), what the physical timer must be armed for.
 */
u64 vlapic_poll(struct vlapic *l, u64 now_ns);

/*
 * The highest-priority vector pending that may be delivered now: its
 * class above the PPR (TPR and the highest in service, §11.8.3.1), APIC
 * enabled. Returns it, or -1.
 */
int vlapic_pending(const struct vlapic *l);
/* The vector was delivered to the guest: IRR to ISR (§11.8.4). Counts it. */
void vlapic_ack(struct vlapic *l, u8 vector);

/*
 * Virtual-interrupt delivery (SDM Vol. 3C 30.1.1, 30.2, 30.5): page is the
 * virtual-APIC page, its VIRR and VISR at the offsets of the xAPIC's IRR
 * and ISR. The CPU delivers from VIRR into VISR and the guest's EOI
 * clears VISR, neither with an exit; the vlapic stays the state between
 * an exit and the next entry.
 * vlapic_vid_enter, before an entry: the pending vectors move from the IRR
 * to VIRR (none while the APIC is disabled), the ISR is copied to VISR.
 * Returns the guest interrupt status: SVI in bits 15:8, RVI in 7:0.
 * vlapic_vid_exit, after an exit: vectors gone from VIRR were delivered
 * (counted as injected), VISR bits gone were EOIs (counted); the ISR
 * becomes VISR and VIRR's undelivered vectors return to the IRR. Only
 * once per vlapic_vid_enter: a second call changes nothing.
 */
u16 vlapic_vid_enter(struct vlapic *l, u8 *page);
void vlapic_vid_exit(struct vlapic *l, u8 *page);

/*
 * IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC MSRs. Whether msr is
 * one of them; read and write return 0 or -HV_EINVAL where the hardware
 * raises #GP (a write-only or reserved register, the wrong mode, an
 * illegal mode transition, reserved bits).
 */
bool vlapic_msr_claims(u32 msr);
int vlapic_msr_read(struct vlapic *l, u32 msr, u64 *val);
int vlapic_msr_write(struct vlapic *l, u32 msr, u64 val);

/*
 * MSR_KVM_PV_EOI_EN written: val as the guest wrote it, word Sluice's
 * pointer to the 4 bytes at its GPA (the caller checked they are the
 * partition's RAM; NULL when it is not enabled). Returns 0, or -HV_EINVAL
 * (#GP: the reserved bit 1, or enabled without a word). Disabling with
 * the bit set takes it back from the guest.
 */
int vlapic_pv_eoi_msr_write(struct vlapic *l, u64 val, u32 *word);
/*
 * After an exit, before anything else touches the APIC: the bit set at
 * the last entry and cleared by the guest is its EOI, done now (counted
 * in pv_eois); a bit still set is taken back (the guest then writes EOI,
 * which it is always allowed to do).
 */
void vlapic_pv_eoi_from_guest(struct vlapic *l);
/*
 * Before an entry, after the injection: sets the guest's bit when the EOI
 * it will write may be skipped: paravirtual EOI enabled, no virtual-
 * interrupt delivery, exactly one vector in service, edge-triggered
 * (TMR clear), and nothing in the IRR that the EOI would have to let in.
 */
void vlapic_pv_eoi_to_guest(struct vlapic *l);

/* Whether gpa is in the xAPIC page (xAPIC mode only). */
bool vlapic_mmio_claims(const struct vlapic *l, u64 gpa);
/*
 * One MMIO access of size bytes at gpa in the xAPIC page. Registers are
 * 32 bits at 16-byte alignment (§11.4.1); other accesses answer
 * -HV_EINVAL. Reads of reserved offsets give 0 and writes to read-only
 * ones are dropped, as the hardware does (ESR bit 7 records them).
 */
int vlapic_mmio_read(struct vlapic *l, u64 gpa, u32 size, u32 *val);
int vlapic_mmio_write(struct vlapic *l, u64 gpa, u32 size, u32 val);

#endif
