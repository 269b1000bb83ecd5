/*
 * The CPUID a partition's vCPU sees: the CPU's answer, then what follows the
 * guest's own state (OSXSAVE, OSPKE), its topology (its own CPUs, its own
 * APIC IDs), the hypervisor leaves, and the features a partition does not
 * get masked (Intel SDM vol 2A CPUID, AMD APM vol 3 appendix E). Portable:
 * the caller runs CPUID on the real CPU and passes the answer in.
 */
#ifndef VM_CPU_CPUID_H
#define VM_CPU_CPUID_H
#include "kernel/types.h"
#include "kernel/hw/cpu.h"

#define CPUID_HV_LEAF           0x40000000u     /* the hypervisor leaves' base */
/*
 * EAX: the TSC's rate in kHz, EBX: the local APIC timer's in kHz, as other
 * hypervisors give them in this leaf (0 when Sluice does not know them).
 */
#define CPUID_HV_FREQ_LEAF      0x40000010u
/* Leaves 0x15 (TSC / crystal ratio) and 0x16 (frequencies) exist for every guest that knows its TSC rate. */
#define CPUID_FREQ_MAX_BASIC    0x16u
#define CPUID_HV_SIGNATURE      "SluiceHV    "  /* EBX, ECX, EDX of leaf 0x40000000 */
/*
 * A partition with paravirt = pv-eoi sees KVM's leaves instead (Linux
 * Documentation/virt/kvm/x86/cpuid.rst), the ABI Linux guests speak: the
 * signature, and in KVM_CPUID_FEATURES only the features Sluice has.
 */
#define CPUID_KVM_SIGNATURE     "KVMKVMKVM\0\0\0"      /* EBX, ECX, EDX of leaf 0x40000000 */
#define CPUID_KVM_FEATURES      0x40000001u     /* EAX: feature bits, EDX: hints (none) */
#define  KVM_FEATURE_PV_EOI     BIT(6)          /* MSR_KVM_PV_EOI_EN (vm/dev/vlapic.h) */

/* What a vCPU's CPUID depends on. */
struct cpuid_guest {
	u32 apic_id;            /* its local APIC ID */
	u32 nr_cpus;            /* the partition's vCPUs */
	u64 cr4;                /* the guest's CR4 at the exit */
	u32 max_basic;          /* the CPU's largest basic leaf (leaf 0 EAX) */
	u64 tsc_khz;            /* the TSC's rate (0: unknown, no frequency leaves) */
	u64 timer_hz;           /* the rate the guest's local APIC timer counts at (divide by 1) */
	bool kvm_pv_eoi;        /* paravirt = pv-eoi: KVM's signature and KVM_FEATURE_PV_EOI */
};

/* CR4 bits CPUID reflects (SDM vol 3 2.5). */
#define X86_CR4_OSXSAVE_BIT     BIT_ULL(18)
#define X86_CR4_PKE_BIT         BIT_ULL(22)

/*
 * Turns the CPU's answer *r for leaf/sub into the guest's. Leaves
 * 0x40000000-0x4fffffff are Sluice's own and do not read *r.
 */
void cpuid_guest(u32 leaf, u32 sub, const struct cpuid_guest *g, struct cpuid_regs *r);

#endif
