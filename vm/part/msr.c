/*
 * A partition's RDMSR and WRMSR exits, by the policy of vm/cpu/msr.c: the
 * registers Sluice keeps a view of (its local APIC, EFER and PAT in the
 * back end's guest state, the write-back-only MTRR set, the locked feature
 * control), the ones that read 0 with their writes dropped, and #GP for
 * everything else, as a CPU without the register raises it. Passed-through
 * MSRs never exit; if one does (a back end without the bitmap bit), it is
 * refused like an unknown one. Portable, host-tested (tests/unit/vm/test_exit.c).
 */
#include "vm/part/partition.h"
#include "vm/cpu/msr.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "kernel/hw/cpu.h"

#define CR0_PG                  BIT_ULL(31)
#define CPUID_81_EDX_RDTSCP     BIT(27)         /* AMD APM vol 3 E.4.2, SDM vol 2A CPUID */
#define CPUID_7_ECX_RDPID       BIT(22)
/* The power-on IA32_MTRR_DEF_TYPE a partition starts with: MTRRs on, default type write-back (SDM vol 3 13.11.2.1). */
#define MTRR_DEF_TYPE_START     (MTRR_DEF_TYPE_E | MEMTYPE_WB)
/* Refused accesses logged per partition (all counted). */
#define MSR_LOG_REFUSED         8

void partition_msr_reset(struct part_vcpu *pv)
{
	pv->mtrr_def_type = MTRR_DEF_TYPE_START;
}

void partition_msr_cpu_start(void)
{
	struct cpuid_regs e1, l7;

	/* TSC_AUX is passed through and not switched: the CPU's value from an earlier guest goes. */
	cpuid(0x80000001u, 0, &e1);
	cpuid(7, 0, &l7);
	if ((e1.edx & CPUID_81_EDX_RDTSCP) || (l7.ecx & CPUID_7_ECX_RDPID))
		wrmsr(MSR_TSC_AUX, 0);
}

/*
 * MSR_KVM_PV_EOI_EN (vm/dev/vlapic.h) of a partition with paravirt =
 * pv-eoi. 0, or -HV_EPERM (#GP) with *why set.
 */
static int pv_eoi_access(struct partition *p, struct part_vcpu *pv, bool write, u64 *val, const char **why)
{
	if (!p->cfg->pv_eoi) {
		*why = "paravirt = pv-eoi is not set for this partition";
		return -HV_EPERM;
	}
	if (!write) {
		*val = pv->lapic.pv_eoi_msr;
		return 0;
	}
	u64 gpa = *val & KVM_PV_EOI_EN_GPA;
	u32 *word = NULL;
	if (*val & KVM_PV_EOI_EN_ENABLE) {
		const struct part_region *r = part_region_at(p->cfg, gpa, sizeof(*word));
		/* SPEC: msr.rst: "a 4-byte aligned physical address of a 4 byte memory area which must be in guest RAM". */
		if (r && !r->rmrr)
			word = part_guest_ptr(p->cfg, gpa, sizeof(*word), true);
	}
	if (*val & KVM_PV_EOI_EN_RSVD)
		*why = "bit 1 is reserved: the word's address must be 4-byte aligned";
	else if ((*val & KVM_PV_EOI_EN_ENABLE) && !word)
		*why = "the paravirtual EOI word is not in the partition's RAM";
	return vlapic_pv_eoi_msr_write(&pv->lapic, *val, word) ? -HV_EPERM : 0;
}

/* RDMSR/WRMSR of a register Sluice answers for (MSR_VIRT). 0, or -HV_EPERM: #GP, *why set when the reason is particular. */
static int virt_access(struct partition *p, struct part_vcpu *pv, u32 msr, bool write, u64 *val, const char **why)
{
	struct vcpu *v = &pv->v;

	if (msr == MSR_KVM_PV_EOI_EN)
		return pv_eoi_access(p, pv, write, val, why);
	if (vlapic_msr_claims(msr))
		return write ? vlapic_msr_write(&pv->lapic, msr, *val) : vlapic_msr_read(&pv->lapic, msr, val);
	switch (msr) {
	case MSR_EFER:
		if (write && !msr_efer_valid(v->efer, *val, v->cr0 & CR0_PG))
			return -HV_EPERM;
		break;
	case MSR_IA32_PAT:
		if (write && !msr_pat_valid(*val))
			return -HV_EPERM;
		break;
	case MSR_IA32_MTRR_DEF_TYPE:
		if (write && !msr_mtrr_def_type_valid(*val))
			return -HV_EPERM;
		if (write)
			pv->mtrr_def_type = *val;
		*val = pv->mtrr_def_type;
		return 0;
	case MSR_IA32_FEATURE_CONTROL:
		*val = FEATURE_CONTROL_LOCK;  /* locked; VMX inside and outside SMX off */
		return 0;
	case MSR_IA32_MTRRCAP:
		*val = 0;                       /* no variable or fixed ranges, no WC, no SMRR */
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*val = rdmsr(MSR_IA32_MISC_ENABLE);
		return 0;
	default:
		return -HV_EPERM;
	}
	/* EFER and PAT live in the back end's guest state. */
	if (!p->ops || !p->ops->state_msr || p->ops->state_msr(v, msr, write, val))
		return -HV_EPERM;
	return 0;
}

int partition_msr(struct partition *p, struct part_vcpu *pv, u32 msr, bool write, u64 *val)
{
	const struct msr_rule *r = msr_rule(msr);
	enum msr_policy pol = write ? r->wr : r->rd;
	int ret = -HV_EPERM;
	const char *why = NULL;

	if (pol == MSR_VIRT)
		ret = virt_access(p, pv, msr, write, val, &why);
	else if (pol == MSR_ZERO) {
		if (write)
			__atomic_add_fetch(&p->msr_dropped, 1, __ATOMIC_RELAXED);
		else
			*val = 0;
		ret = 0;
	}
	if (!ret)
		return 0;
	u64 n = __atomic_add_fetch(&p->msr_refused, 1, __ATOMIC_RELAXED);
	if (!why)
		why = pol == MSR_VIRT ? (write ? "a value it may not take" : "not readable in its present state") :
		      write && r->rd != MSR_GP ? "read-only" : "no such MSR in a partition";
	const char *more = n == MSR_LOG_REFUSED ? "; further ones counted, not logged" : "";
	if (n > MSR_LOG_REFUSED)
		return -HV_EPERM;
	if (write)
		log_write(LOG_WARN, p->cfg->name, "wrmsr 0x%08x (%s) = 0x%016llx: #GP in the guest (%s%s)", msr, r->name,
			  (unsigned long long)*val, why, more);
	else
		log_write(LOG_WARN, p->cfg->name, "rdmsr 0x%08x (%s): #GP in the guest (%s%s)", msr, r->name, why, more);
	return -HV_EPERM;
}
