/*
 * The CPUID a partition's vCPU sees (vm/cpu/cpuid.h). Bit positions: Intel
 * SDM vol 2A CPUID tables 3-8 ("Information Returned by CPUID"), 3-10/3-11
 * (leaf 1 ECX/EDX), AMD APM vol 3 appendix E (leaves 8000_00xx). Portable.
 *
 * Masked are features whose registers or instructions a partition does not
 * get: the MSRs vm/cpu/msr.c refuses (performance monitoring, debug store,
 * thermal and power, speculation controls, CET, PKS, XSS), the instructions
 * Sluice intercepts as #UD (VMX, SVM, SMX, MONITOR/MWAIT), and the platform
 * extensions (SGX, PT, RDT, SEV). What the CPU gives a guest directly stays.
 */
#include "vm/cpu/cpuid.h"
#include "kernel/lib.h"

/* Leaf 1 */
#define L1_ECX_DTES64           BIT(2)
#define L1_ECX_MONITOR          BIT(3)
#define L1_ECX_DS_CPL           BIT(4)
#define L1_ECX_VMX              BIT(5)
#define L1_ECX_SMX              BIT(6)
#define L1_ECX_EST              BIT(7)
#define L1_ECX_TM2              BIT(8)
#define L1_ECX_PDCM             BIT(15)
#define L1_ECX_X2APIC           BIT(21)
#define L1_ECX_OSXSAVE          BIT(27)
#define L1_ECX_HYPERVISOR       BIT(31)
#define L1_EDX_APIC             BIT(9)
#define L1_EDX_DS               BIT(21)
#define L1_EDX_ACPI             BIT(22)
#define L1_EDX_HTT              BIT(28)
#define L1_EDX_TM               BIT(29)
#define L1_EDX_PBE              BIT(31)
/* Leaf 7 sub 0 */
#define L7_EBX_TSC_ADJUST       BIT(1)          /* IA32_TSC_ADJUST: not in vm/cpu/msr.c's table (#GP) */
#define L7_EBX_SGX              BIT(2)
#define L7_EBX_RDT_M            BIT(12)
#define L7_EBX_RDT_A            BIT(15)
#define L7_EBX_PT               BIT(25)
#define L7_ECX_OSPKE            BIT(4)
#define L7_ECX_WAITPKG          BIT(5)
#define L7_ECX_CET_SS           BIT(7)
#define L7_ECX_SGX_LC           BIT(30)
#define L7_ECX_PKS              BIT(31)
#define L7_EDX_PCONFIG          BIT(18)
#define L7_EDX_CET_IBT          BIT(20)
#define L7_EDX_SPEC             0xfc000000u     /* 31:26: IBRS/IBPB, STIBP, L1D_FLUSH, ARCH_CAPABILITIES, CORE_CAPABILITIES, SSBD */
/* Leaf 0xD sub 1 */
#define LD1_EAX_XSAVES          BIT(3)
/* Leaf 8000_0001 */
#define E1_ECX_SVM              BIT(2)
#define E1_ECX_IBS              BIT(10)
#define E1_ECX_SKINIT           BIT(12)
#define E1_ECX_WDT              BIT(13)
#define E1_ECX_LWP              BIT(15)
#define E1_ECX_PERFCTR_CORE     BIT(23)
#define E1_ECX_PERFCTR_NB       BIT(24)
#define E1_ECX_PERFCTR_LLC      BIT(28)
#define E1_ECX_MWAITX           BIT(29)
/* Leaf 8000_0008 EBX: IBPB (12), IBRS (14), STIBP (15), STIBP always on (17), SSBD (24), VIRT_SSBD (25), SSB_NO (26) */
#define E8_EBX_SPEC             (BIT(12) | BIT(14) | BIT(15) | BIT(16) | BIT(17) | BIT(18) | BIT(24) | BIT(25))

static void zero(struct cpuid_regs *r)
{
	r->eax = r->ebx = r->ecx = r->edx = 0;
}

/* Leaves 0xB and 0x1F (SDM vol 3 10.4.8.1): one thread per core, the partition's CPUs as the cores of one package. */
static void topology(u32 sub, const struct cpuid_guest *g, struct cpuid_regs *r)
{
	if (sub == 0) {                         /* SMT level: one thread, no bits */
		r->eax = 0;
		r->ebx = 1;
		r->ecx = (1u << 8) | sub;
	} else if (sub == 1) {                  /* core level: every APIC ID below 256 in the one package */
		r->eax = 8;
		r->ebx = g->nr_cpus;
		r->ecx = (2u << 8) | sub;
	} else {                                /* no further level */
		r->eax = r->ebx = 0;
		r->ecx = sub & 0xff;
	}
	r->edx = g->apic_id;
}

void cpuid_guest(u32 leaf, u32 sub, const struct cpuid_guest *g, struct cpuid_regs *r)
{
	if (leaf >= CPUID_HV_LEAF && leaf <= 0x4fffffffu) {
		zero(r);
		if (leaf == CPUID_HV_LEAF) {
			const char *sig = g->kvm_pv_eoi ? CPUID_KVM_SIGNATURE : CPUID_HV_SIGNATURE;
			/* the largest hypervisor leaf */
			r->eax = g->tsc_khz ? CPUID_HV_FREQ_LEAF : g->kvm_pv_eoi ? CPUID_KVM_FEATURES : CPUID_HV_LEAF;
			r->ebx = get_le32(sig);
			r->ecx = get_le32(sig + 4);
			r->edx = get_le32(sig + 8);
		} else if (leaf == CPUID_KVM_FEATURES && g->kvm_pv_eoi) {
			r->eax = KVM_FEATURE_PV_EOI;
		} else if (leaf == CPUID_HV_FREQ_LEAF && g->tsc_khz) {
			r->eax = (u32)g->tsc_khz;
			r->ebx = (u32)(g->timer_hz / 1000);
		}
		return;
	}
	/* Leaves past the CPU's last one that Sluice adds (0x15, 0x16): nothing of the CPU's answer. */
	if (g->tsc_khz && leaf > g->max_basic && leaf <= CPUID_FREQ_MAX_BASIC)
		zero(r);
	switch (leaf) {
	case 0:
		if (g->tsc_khz && r->eax < CPUID_FREQ_MAX_BASIC)
			r->eax = CPUID_FREQ_MAX_BASIC;
		break;
	case 0x15:
		/*
		 * SDM vol 2A CPUID leaf 15H: TSC = ECX (the "crystal", Hz) * EBX / EAX.
		 * The crystal is the rate the guest's APIC timer counts at, as
		 * Linux assumes for it; the ratio gives the TSC's rate.
		 */
		if (g->tsc_khz && g->timer_hz >= 1000) {
			/*
			 * Linux multiplies crystal kHz by EBX in 32 bits: EBX at most
			 * 2^32 / crystal kHz, EAX as large as that allows, so the
			 * ratio is within 1 / EBX of the TSC's (23 ppm at 100 MHz).
			 */
			u64 crystal_khz = g->timer_hz / 1000, n_max = 0xffffffffULL / crystal_khz;
			u64 den = MAX(n_max * crystal_khz / g->tsc_khz, 1);
			r->eax = (u32)den;
			r->ebx = (u32)((g->tsc_khz * den + crystal_khz / 2) / crystal_khz);
			r->ecx = (u32)g->timer_hz;
			r->edx = 0;
		}
		break;
	case 0x16:                              /* EAX base, EBX maximum, ECX bus (reference) frequency, MHz */
		if (g->tsc_khz) {
			r->eax = r->ebx = (u32)(g->tsc_khz / 1000);
			r->ecx = (u32)(g->timer_hz / 1000000);
			r->edx = 0;
		}
		break;
	case 1:
		r->ebx = (r->ebx & 0x0000ffffu) | (g->apic_id << 24) | (MIN(g->nr_cpus, 255u) << 16);
		r->ecx &= ~(L1_ECX_DTES64 | L1_ECX_MONITOR | L1_ECX_DS_CPL | L1_ECX_VMX | L1_ECX_SMX | L1_ECX_EST |
			    L1_ECX_TM2 | L1_ECX_PDCM | L1_ECX_OSXSAVE);
		r->ecx |= L1_ECX_HYPERVISOR | L1_ECX_X2APIC | (g->cr4 & X86_CR4_OSXSAVE_BIT ? L1_ECX_OSXSAVE : 0);
		r->edx &= ~(L1_EDX_DS | L1_EDX_ACPI | L1_EDX_TM | L1_EDX_PBE);
		r->edx |= L1_EDX_APIC | L1_EDX_HTT;
		break;
	case 4:                                 /* EAX 31:26: cores per package - 1 (while the cache type is not "none") */
		if (r->eax & 0x1f)
			r->eax = (r->eax & 0x03ffffffu) | ((MIN(g->nr_cpus, 64u) - 1) << 26);
		break;
	case 5:                                 /* MONITOR/MWAIT */
	case 6:                                 /* thermal and power management */
	case 0xa:                               /* architectural performance monitoring */
	case 0xf: case 0x10:                    /* RDT */
	case 0x12:                              /* SGX */
	case 0x14:                              /* processor trace */
		zero(r);
		break;
	case 7:
		if (sub != 0)
			break;
		r->ebx &= ~(L7_EBX_TSC_ADJUST | L7_EBX_SGX | L7_EBX_RDT_M | L7_EBX_RDT_A | L7_EBX_PT);
		r->ecx &= ~(L7_ECX_OSPKE | L7_ECX_WAITPKG | L7_ECX_CET_SS | L7_ECX_SGX_LC | L7_ECX_PKS);
		r->ecx |= g->cr4 & X86_CR4_PKE_BIT ? L7_ECX_OSPKE : 0;
		r->edx &= ~(L7_EDX_PCONFIG | L7_EDX_CET_IBT | L7_EDX_SPEC);
		break;
	case 0xb:
	case 0x1f:
		if (r->ebx)                     /* the CPU has the leaf */
			topology(sub, g, r);
		break;
	case 0xd:
		if (sub == 1) {                 /* XSAVES and the XSS state components: no IA32_XSS */
			r->eax &= ~LD1_EAX_XSAVES;
			r->ecx = r->edx = 0;
		}
		break;
	case 0x80000001u:
		r->ecx &= ~(E1_ECX_SVM | E1_ECX_IBS | E1_ECX_SKINIT | E1_ECX_WDT | E1_ECX_LWP | E1_ECX_PERFCTR_CORE |
			    E1_ECX_PERFCTR_NB | E1_ECX_PERFCTR_LLC | E1_ECX_MWAITX);
		break;
	case 0x80000008u:                       /* ECX 7:0: cores - 1; 15:12 0: the legacy APIC ID split */
		r->ebx &= ~E8_EBX_SPEC;
		r->ecx = (r->ecx & ~0xf0ffu) | ((MIN(g->nr_cpus, 256u) - 1) & 0xff);
		break;
	case 0x8000000au:                       /* SVM */
	case 0x8000001fu:                       /* SEV */
	case 0x80000022u:                       /* performance monitoring v2 */
		zero(r);
		break;
	case 0x8000001eu:                       /* extended APIC ID, one thread per core, node 0 */
		r->eax = g->apic_id;
		r->ebx = g->apic_id & 0xff;
		r->ecx = 0;
		r->edx = 0;
		break;
	}
}
