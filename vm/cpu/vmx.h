/*
 * The VMX back end's portable pieces, for vm/cpu/vmx*.c and their host
 * tests: what the capability MSRs allow (controls, EPTP, large EPT pages),
 * the IA32_FEATURE_CONTROL decision, the I/O and MSR bitmaps, and the exit
 * decoder that turns VMCS exit information into struct vm_exit. The ops
 * table is vmx_ops (vm/cpu/virt.h).
 */
#ifndef VM_VMX_H
#define VM_VMX_H
#include "vm/cpu/virt.h"
#include "vm/cpu/vmx_hw.h"

/* The capability MSRs Sluice reads (appendix A), TRUE variants already chosen. */
struct vmx_caps {
	u64 basic;
	u64 pin, proc, proc2, exit, entry;      /* allowed-0 in 31:0, allowed-1 in 63:32 */
	u64 ept_vpid;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 misc;               /* IA32_VMX_MISC (A.6): bits 4:0 the preemption timer's rate */
};

/* The control words a VMCS gets. */
struct vmx_controls {
	u32 pin, proc, proc2, exit, entry;
};

/*
 * Reads the capability MSRs through rdmsr: the TRUE control MSRs when
 * IA32_VMX_BASIC[55] says they exist (A.2), the secondary controls only
 * when the primary ones allow "activate secondary controls", the EPT/VPID
 * capabilities only when a secondary control allows EPT or VPID.
 */
void vmx_caps_read(struct vmx_caps *c);

/*
 * The controls Sluice runs guests with, for a vCPU entering in long mode
 * (ia32e) or not: Sluice's wanted bits, plus every bit the allowed-0
 * settings force, minus nothing; virtual-interrupt delivery with
 * "virtualize x2APIC mode" when the allowed-1 settings offer both. Returns 0, or -HV_ENOTSUP with why
 * naming the first control Sluice needs that the allowed-1 settings lack
 * (or that is forced on and must stay off).
 */
int vmx_controls_compute(const struct vmx_caps *c, bool ia32e, struct vmx_controls *out, char *why, size_t len);

/*
 * IA32_FEATURE_CONTROL (24.7): unlocked -> *write is the value that enables
 * VMXON outside SMX and locks (the caller writes it), 0 returned; locked
 * with VMXON outside SMX allowed -> *write = 0, 0 returned; locked without
 * it -> -HV_ENOTSUP (the firmware turned VT-x off).
 */
int vmx_feature_control_decide(u64 fc, u64 *write);

/*
 * The EPTP for a 4-level table at root_pa (25.6.11): write-back when the
 * capability allows it, else uncacheable; no accessed/dirty flags.
 * Returns 0, or -HV_ENOTSUP (no 4-level walk, neither memory type).
 */
int vmx_eptp(u64 ept_vpid_cap, u64 root_pa, u64 *eptp);
/* The large EPT leaves the capability allows (PT_LARGE_2M / PT_LARGE_1G). */
u32 vmx_ept_large(u64 ept_vpid_cap);

/*
 * The VMX-preemption timer value for us microseconds on a CPU whose TSC
 * runs at tsc_khz: the timer counts down once each time bit X of the TSC
 * changes, X being IA32_VMX_MISC[4:0] (26.5.1, A.6). At least 1 (0 exits
 * before the guest's first instruction), at most the 32-bit field's
 * maximum.
 */
u32 vmx_slice_ticks(u64 misc, u64 tsc_khz, u32 us);

/* Fixed CR0/CR4 bits (A.7, A.8) applied to val: fixed0 bits set, bits clear in fixed1 cleared. */
u64 vmx_cr_fixed(u64 val, u64 fixed0, u64 fixed1);

/* Fills the I/O bitmaps A and B (2 pages): every port exits except the policy's ranges. */
void vmx_io_bitmap_fill(u8 *bitmaps, const struct vcpu_policy *pol);
/* Fills the MSR bitmap (1 page): every MSR exits except the MSR_PASS ones of vm/cpu/msr.c. */
void vmx_msr_bitmap_fill(u8 *bitmap);
/* Lets a read (write = false) or write of msr through the MSR bitmap without an exit. */
void vmx_msr_bitmap_allow(u8 *bitmap, u32 msr, bool write);
/* Whether the MSR bitmap makes a read (write = false) or write of msr exit. */
bool vmx_msr_bitmap_intercepts(const u8 *bitmap, u32 msr, bool write);

/*
 * Whether XSETBV may set XCR[xcr] to val on a CPU whose CPUID.(EAX=0DH,
 * ECX=0) EDX:EAX is supported (Vol. 1 13.3, Vol. 2 "XSETBV"): XCR0 only,
 * x87 set, no bit the CPU lacks, AVX only with SSE, the AVX-512 state
 * components all or none and only with AVX. 0 or -HV_EINVAL.
 */
int vmx_xsetbv_check(u32 xcr, u64 val, u64 supported);
/* The VM-entry interruption information that raises hardware exception vector (error code only when prot: CR0.PE). */
u32 vmx_exc_event(u8 vector, bool has_error, bool prot);

/* What a VM exit left in the VMCS's exit-information fields (25.9), read by the run code. */
struct vmx_exit_info {
	u32 reason;             /* the full exit reason field: basic reason and bit 31 */
	u64 qual;               /* exit qualification */
	u64 gpa;                /* guest-physical address (EPT violation / misconfiguration) */
	u32 intr_info, intr_error;
	u32 insn_len;           /* VM-exit instruction length */
};

/* Decodes an exit into *exit (vendor-neutral). MSR index and value are the run code's (from RCX, EDX:EAX). */
void vmx_decode_exit(const struct vmx_exit_info *in, struct vm_exit *exit);
/* A basic exit reason in the SDM's words (appendix C), "?" when unknown. */
const char *vmx_exit_name(u32 basic);
/* A VM-instruction error number in the SDM's words (31.4), "?" when unknown. */
const char *vmx_insn_error_name(u32 err);

#endif
