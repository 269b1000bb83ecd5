/*
 * The AMD SVM back end (struct virt_ops svm_ops): EFER.SVME and a host save
 * area per CPU, one VMCB per vCPU with nested paging and an ASID per
 * partition, permission maps for ports and MSRs, and the exit decoder that
 * turns VMCB exit codes into vendor-neutral struct vm_exit.
 * Spec: AMD APM Vol. 2 chapter 15 (15.5 VMRUN and its consistency checks,
 * 15.9-15.13 intercepts, 15.10 IOIO, 15.11 MSRPM, 15.25 nested paging),
 * appendix B (VMCB) and C (exit codes).
 */
#define LOG_SUBSYS "svm"
#include "vm/cpu/svm.h"
#include "vm/cpu/msr.h"
#include "kernel/smp.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/mem.h"
#include "kernel/hw/svm.h"

#define CR0_PE                  BIT_ULL(0)
#define CR0_ET                  BIT_ULL(4)
#define CR0_NE                  BIT_ULL(5)
#define CR0_WP                  BIT_ULL(16)
#define CR0_PG                  BIT_ULL(31)
#define CR4_PAE                 BIT_ULL(5)
#define RFLAGS_FIXED            BIT_ULL(1)
#define DR6_INIT                0xffff0ff0ULL
#define DR7_INIT                0x400ULL

struct svm_vcpu {
	struct vmcb *vmcb;
	u8 *iopm, *msrpm;
	u64 vmcb_pa, iopm_pa, msrpm_pa;
	u64 host_save_pa;       /* VMSAVE area for the host's own FS/GS/TR/... */
	bool flush_next;        /* TLB_CONTROL on the next VMRUN */
	struct svm_nmi nmi;     /* the guest's NMI blocking, kept by Sluice (svm.h) */
};

/* Per physical CPU: the VM_HSAVE_PA page, and the vCPU it runs (its pages kept for a re-init). */
static u64 hsave_pa[SMP_MAX_CPUS];
static struct svm_vcpu vcpus[SMP_MAX_CPUS];
static bool have_nrips;
static bool have_page1gb;               /* 1 GiB leaves in the nested table (CPUID 8000_0001 EDX) */

void svm_iopm_fill(u8 *iopm, const struct vcpu_policy *pol)
{
	memset(iopm, 0xff, SVM_IOPM_PAGES * PAGE_SIZE);
	for (u32 i = 0; i < pol->nr_io; i++)
		for (u32 port = pol->io[i].base; port < (u32)pol->io[i].base + pol->io[i].len && port < 0x10000; port++)
			iopm[port / 8] &= (u8)~(1u << (port % 8));
}

/* MSRPM: 2 bits per MSR (read, write) in three 2 KiB blocks (APM 15.11 table 15-5); -1 outside them. */
static int msrpm_bit(u32 msr)
{
	static const struct { u32 first; u32 offset; } ranges[] = {
		{ 0x00000000, 0x000 }, { 0xc0000000, 0x800 }, { 0xc0010000, 0x1000 },
	};
	for (u32 i = 0; i < ARRAY_SIZE(ranges); i++)
		if (msr >= ranges[i].first && msr < ranges[i].first + 0x2000)
			return (int)(ranges[i].offset * 8 + (msr - ranges[i].first) * 2);
	return -1;
}

static void msrpm_allow(void *ctx, u32 msr, bool write)
{
	u8 *msrpm = ctx;
	int bit = msrpm_bit(msr);
	if (bit >= 0) {
		bit += write;
		msrpm[bit / 8] &= (u8)~(1u << (bit % 8));
	}
}

/*
 * Every MSR exits but those vm/cpu/msr.c passes through: on SVM these live
 * in the VMCB and VMLOAD/VMSAVE switch them (APM 15.5.2), or Sluice never
 * uses them on the guest's CPU; EFER is intercepted (SVME must stay set).
 */
void svm_msrpm_fill(u8 *msrpm)
{
	memset(msrpm, 0xff, SVM_MSRPM_PAGES * PAGE_SIZE);
	msr_for_each_pass(msrpm_allow, msrpm);
}

bool svm_msrpm_intercepts(const u8 *msrpm, u32 msr, bool write)
{
	int bit = msrpm_bit(msr);
	if (bit < 0)
		return true;            /* MSRs outside the map always exit */
	bit += write;
	return msrpm[bit / 8] & (1u << (bit % 8));
}

static void seg(struct vmcb_seg *s, u16 sel, u16 attr, u32 limit, u64 base)
{
	s->sel = sel;
	s->attr = attr;
	s->limit = limit;
	s->base = base;
}

/*
 * Real mode as after INIT and SIPI (APM vol 2 14.1.3 table 14-1, with the
 * SIPI's CS): PE and PG clear, 64 KiB segments. With nested paging the
 * guest's real-mode addresses are GPAs (15.25 "Nested Paging"), so no paging is faked.
 */
static void real_mode(struct vmcb *vmcb, const struct vcpu_entry *e)
{
	seg(&vmcb->cs, e->real_cs, SEG_ATTR_REAL_CODE, 0xffff, (u64)e->real_cs << 4);
	seg(&vmcb->ds, 0, SEG_ATTR_REAL_DATA, 0xffff, 0);
	vmcb->es = vmcb->ds;
	vmcb->ss = vmcb->ds;
	vmcb->fs = vmcb->ds;
	vmcb->gs = vmcb->ds;
	seg(&vmcb->gdtr, 0, 0, 0xffff, 0);
	seg(&vmcb->idtr, 0, 0, 0xffff, 0);
	vmcb->cr0 = CR0_ET;
	vmcb->efer = EFER_SVME;
}

void svm_vmcb_setup(struct vmcb *vmcb, const struct vcpu_entry *e, u32 asid, u64 ncr3,
		    u64 iopm_pa, u64 msrpm_pa)
{
	memset(vmcb, 0, sizeof(*vmcb));
	/* INTR/NMI: a kick or an NMI gets the CPU back to Sluice. VMRUN must be intercepted (15.5.1). */
	vmcb->intercept1 = INTERCEPT1_INTR | INTERCEPT1_NMI | INTERCEPT1_INIT | INTERCEPT1_CPUID |
			   INTERCEPT1_RSM | INTERCEPT1_INVD | INTERCEPT1_HLT | INTERCEPT1_INVLPGA |
			   INTERCEPT1_IOIO_PROT | INTERCEPT1_MSR_PROT | INTERCEPT1_TASK_SWITCH |
			   INTERCEPT1_SHUTDOWN;
	/*
	 * Not intercepted: RDTSC/RDTSCP (the VMCB's TSC offset applies), RDPRU
	 * (APERF/MPERF of a CPU the partition owns alone), CR and DR accesses
	 * (nested paging makes the guest's CR3 its own business).
	 */
	vmcb->intercept2 = INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL | INTERCEPT2_VMLOAD | INTERCEPT2_VMSAVE |
			   INTERCEPT2_STGI | INTERCEPT2_CLGI | INTERCEPT2_SKINIT | INTERCEPT2_MONITOR |
			   INTERCEPT2_MWAIT;
	vmcb->iopm_base_pa = iopm_pa;
	vmcb->msrpm_base_pa = msrpm_pa;
	vmcb->asid = asid;
	vmcb->tlb_control = TLB_CONTROL_FLUSH_ALL;
	/* The guest's IF masks only virtual interrupts; physical ones follow the host's IF (15.21.1). */
	vmcb->vintr = V_INTR_MASKING;
	vmcb->np_control = NP_ENABLE;
	vmcb->n_cr3 = ncr3;
	vmcb->g_pat = SVM_GUEST_PAT;

	bool lm = e->mode == VCPU_MODE_LONG64;
	seg(&vmcb->cs, 0x08, lm ? SEG_ATTR_CODE64 : SEG_ATTR_CODE32, 0xffffffff, 0);
	seg(&vmcb->ds, 0x10, SEG_ATTR_DATA, 0xffffffff, 0);
	vmcb->es = vmcb->ds;
	vmcb->ss = vmcb->ds;
	vmcb->fs = vmcb->ds;
	vmcb->gs = vmcb->ds;
	seg(&vmcb->gdtr, 0, 0, e->gdt_limit, e->gdt_base);
	seg(&vmcb->idtr, 0, 0, 0, 0);
	seg(&vmcb->ldtr, 0, SEG_ATTR_LDT, 0, 0);
	seg(&vmcb->tr, 0, SEG_ATTR_TSS_BUSY, 0x67, 0);
	vmcb->cpl = 0;
	if (e->mode == VCPU_MODE_REAL16)
		real_mode(vmcb, e);
	else if (lm) {
		vmcb->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
		vmcb->cr4 = CR4_PAE;
		vmcb->cr3 = e->cr3;
		vmcb->efer = EFER_SVME | EFER_LME | EFER_LMA;
	} else {
		/* Multiboot v1 machine state (spec 3.2): protected mode, paging off. */
		vmcb->cr0 = CR0_PE | CR0_ET;
		vmcb->efer = EFER_SVME;         /* SVME must be set in the guest's EFER too (15.5.1) */
	}
	vmcb->dr6 = DR6_INIT;
	vmcb->dr7 = DR7_INIT;
	vmcb->rflags = e->rflags | RFLAGS_FIXED;
	vmcb->rip = e->rip;
	vmcb->rsp = e->rsp;
	vmcb->rax = e->regs.rax;
}

static const struct { u64 code; enum vm_exit_reason reason; } simple_exits[] = {
	{ SVM_EXIT_CPUID, VM_EXIT_CPUID },
	{ SVM_EXIT_HLT, VM_EXIT_HLT },
	{ SVM_EXIT_SHUTDOWN, VM_EXIT_SHUTDOWN },
	{ SVM_EXIT_INIT, VM_EXIT_INIT },
	{ SVM_EXIT_VMMCALL, VM_EXIT_HYPERCALL },
	{ SVM_EXIT_INTR, VM_EXIT_INTR },
	{ SVM_EXIT_NMI, VM_EXIT_INTR },
	{ SVM_EXIT_SMI, VM_EXIT_INTR },
	{ SVM_EXIT_VMRUN, VM_EXIT_FORBIDDEN },
	{ SVM_EXIT_VMLOAD, VM_EXIT_FORBIDDEN },
	{ SVM_EXIT_VMSAVE, VM_EXIT_FORBIDDEN },
	{ SVM_EXIT_STGI, VM_EXIT_FORBIDDEN },
	{ SVM_EXIT_CLGI, VM_EXIT_FORBIDDEN },
	{ SVM_EXIT_SKINIT, VM_EXIT_FORBIDDEN },
	{ SVM_EXIT_INVLPGA, VM_EXIT_FORBIDDEN },
	{ SVM_EXIT_RSM, VM_EXIT_FORBIDDEN },
	{ SVM_EXIT_INVD, VM_EXIT_INVD },
	{ SVM_EXIT_MONITOR, VM_EXIT_FORBIDDEN },
	{ SVM_EXIT_MWAIT, VM_EXIT_FORBIDDEN },
	{ SVM_EXIT_TASK_SWITCH, VM_EXIT_TASK_SWITCH },
	{ SVM_EXIT_INVALID, VM_EXIT_ENTRY_FAILED },
	{ SVM_EXIT_VINTR, VM_EXIT_INTR_WINDOW },
};

/* Exit codes in the APM's words (appendix C), for logs. */
static const struct { u64 code; const char *name; } exit_names[] = {
	{ SVM_EXIT_INTR, "INTR" }, { SVM_EXIT_NMI, "NMI" }, { SVM_EXIT_SMI, "SMI" }, { SVM_EXIT_INIT, "INIT" }, { SVM_EXIT_VINTR, "VINTR" },
	{ SVM_EXIT_CPUID, "CPUID" }, { SVM_EXIT_RSM, "RSM" }, { SVM_EXIT_IRET, "IRET" }, { SVM_EXIT_INVD, "INVD" }, { SVM_EXIT_HLT, "HLT" },
	{ SVM_EXIT_INVLPGA, "INVLPGA" }, { SVM_EXIT_IOIO, "IOIO" }, { SVM_EXIT_MSR, "MSR" },
	{ SVM_EXIT_TASK_SWITCH, "TASK_SWITCH" }, { SVM_EXIT_SHUTDOWN, "SHUTDOWN" }, { SVM_EXIT_VMRUN, "VMRUN" },
	{ SVM_EXIT_VMMCALL, "VMMCALL" }, { SVM_EXIT_VMLOAD, "VMLOAD" }, { SVM_EXIT_VMSAVE, "VMSAVE" },
	{ SVM_EXIT_STGI, "STGI" }, { SVM_EXIT_CLGI, "CLGI" }, { SVM_EXIT_SKINIT, "SKINIT" },
	{ SVM_EXIT_MONITOR, "MONITOR" }, { SVM_EXIT_MWAIT, "MWAIT" }, { SVM_EXIT_RDPRU, "RDPRU" },
	{ SVM_EXIT_NPF, "NPF" }, { SVM_EXIT_INVALID, "INVALID" },
};

const char *svm_exit_name(u64 code)
{
	if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32)
		return "EXCP";
	for (u32 i = 0; i < ARRAY_SIZE(exit_names); i++)
		if (exit_names[i].code == code)
			return exit_names[i].name;
	return "?";
}

/*
 * Exceptions that push an error code (APM Vol. 2 8.2, table 8-1): #DF, #TS,
 * #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX. For intercepted exceptions
 * EXITINFO1 holds it (15.12); for the others EXITINFO1 is undefined.
 */
static bool vector_has_error_code(u8 v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

void svm_decode_exit(const struct vmcb *vmcb, bool nrips, struct vm_exit *x)
{
	u64 code = vmcb->exitcode, i1 = vmcb->exitinfo1, i2 = vmcb->exitinfo2;

	memset(x, 0, sizeof(*x));
	x->hw_code = code;
	x->info1 = i1;
	x->info2 = i2;
	x->reason = VM_EXIT_UNKNOWN;
	for (u32 i = 0; i < ARRAY_SIZE(simple_exits); i++)
		if (simple_exits[i].code == code)
			x->reason = simple_exits[i].reason;
	if (code == SVM_EXIT_IOIO) {
		x->reason = VM_EXIT_IO;
		x->io.port = (u16)FIELD_GET(IOIO_PORT, i1);
		x->io.size = (i1 & IOIO_SZ32) ? 4 : (i1 & IOIO_SZ16) ? 2 : 1;
		x->io.in = i1 & IOIO_TYPE_IN;
		x->io.string = i1 & IOIO_STR;
		x->io.rep = i1 & IOIO_REP;
		/* EXITINFO2 is the next RIP for IOIO whether or not NRIPS exists (15.10.2). */
		if (i2 > vmcb->rip && i2 - vmcb->rip <= 15)
			x->insn_len = (u32)(i2 - vmcb->rip);
	} else if (code == SVM_EXIT_MSR) {
		x->reason = i1 == MSR_EXIT_WRITE ? VM_EXIT_MSR_WRITE : VM_EXIT_MSR_READ;
		x->msr.index = 0;       /* filled from RCX by svm_vcpu_run: the VMCB has no copy */
	} else if (code == SVM_EXIT_NPF) {
		x->reason = VM_EXIT_NPF;
		x->npf.gpa = i2;
		x->npf.write = i1 & NPF_W;
		x->npf.fetch = i1 & NPF_ID;
		x->npf.present = i1 & NPF_P;
	} else if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32) {
		x->reason = VM_EXIT_EXCEPTION;
		x->exc.vector = (u8)(code - SVM_EXIT_EXCP_BASE);
		x->exc.has_error = vector_has_error_code(x->exc.vector);
		x->exc.error_code = x->exc.has_error ? (u32)i1 : 0;
	}
	if (!x->insn_len && nrips && vmcb->next_rip > vmcb->rip && vmcb->next_rip - vmcb->rip <= 15 &&
	    (x->reason == VM_EXIT_CPUID || x->reason == VM_EXIT_MSR_READ || x->reason == VM_EXIT_MSR_WRITE ||
	     x->reason == VM_EXIT_HLT || x->reason == VM_EXIT_HYPERCALL))
		x->insn_len = (u32)(vmcb->next_rip - vmcb->rip);
}

/* ---- interrupt injection (APM 15.20, 15.21) ---- */

/* The shadow covers only the instruction at the exit's rip: once common code moved rip past it, it is gone. */
bool svm_intr_ready_vmcb(const struct vmcb *vmcb, u64 rip, u64 rflags)
{
	bool shadow = (vmcb->int_state & INT_STATE_SHADOW) && rip == vmcb->rip;
	return (rflags & RFLAGS_IF) && !shadow && !(vmcb->eventinj & EVENT_V);
}

void svm_intr_inject_vmcb(struct vmcb *vmcb, u8 vector)
{
	vmcb->eventinj = EVENT_V | FIELD_PREP(EVENT_TYPE, EVENT_TYPE_INTR) | FIELD_PREP(EVENT_VECTOR, vector);
}

/*
 * The window: a virtual interrupt of the highest priority, TPR ignored,
 * whose delivery is intercepted (VINTR), so the guest exits at the first
 * instruction boundary where its IF and shadow allow one (15.21.4).
 */
void svm_intr_window_vmcb(struct vmcb *vmcb, bool on)
{
	if (on) {
		vmcb->vintr |= V_IRQ | FIELD_PREP(V_INTR_PRIO, 0xf) | V_IGN_TPR;
		vmcb->intercept1 |= INTERCEPT1_VINTR;
	} else {
		vmcb->vintr &= ~(V_IRQ | V_INTR_PRIO | V_IGN_TPR);
		vmcb->intercept1 &= ~(u32)INTERCEPT1_VINTR;
	}
}

/* ---- guest NMIs (svm.h) ---- */

#define RFLAGS_TF               BIT_ULL(8)
#define EXC_DB                  1

bool svm_nmi_ready_vmcb(const struct vmcb *vmcb, const struct svm_nmi *n, u64 rip)
{
	bool shadow = (vmcb->int_state & INT_STATE_SHADOW) && rip == vmcb->rip;
	return !n->masked && !n->stepping && !shadow && !(vmcb->eventinj & EVENT_V);
}

void svm_nmi_inject_vmcb(struct vmcb *vmcb, struct svm_nmi *n)
{
	vmcb->eventinj = EVENT_V | FIELD_PREP(EVENT_TYPE, EVENT_TYPE_NMI) | FIELD_PREP(EVENT_VECTOR, 2);
	n->masked = true;
	vmcb->intercept1 |= INTERCEPT1_IRET;
}

bool svm_nmi_exit(struct vmcb *vmcb, struct svm_nmi *n, struct vm_exit *x)
{
	if (x->hw_code == SVM_EXIT_IRET && n->masked) {
		/* The intercept comes before the IRET runs: step over it, NMIs open once it is done. */
		n->masked = false;
		n->stepping = true;
		n->tf_set = !(vmcb->rflags & RFLAGS_TF);
		vmcb->intercept1 &= ~(u32)INTERCEPT1_IRET;
		vmcb->intercept_exc |= BIT(EXC_DB);
		svm_intr_window_vmcb(vmcb, false);
		x->reason = VM_EXIT_NONE;
		return true;
	}
	if (x->hw_code == SVM_EXIT_EXCP_BASE + EXC_DB && n->stepping) {
		/* The trap after the IRET (TF was set at its start, SDM vol 3 18.3.1.4): not the guest's. */
		n->stepping = false;
		vmcb->intercept_exc &= ~BIT(EXC_DB);
		vmcb->dr6 &= ~BIT_ULL(14);              /* BS */
		svm_intr_window_vmcb(vmcb, n->window);
		x->reason = VM_EXIT_NONE;
		return true;
	}
	return false;
}

bool svm_intr_ready_nmi(const struct vmcb *vmcb, const struct svm_nmi *n, u64 rip, u64 rflags)
{
	return !n->stepping && svm_intr_ready_vmcb(vmcb, rip, rflags);
}

void svm_intr_window_nmi(struct vmcb *vmcb, struct svm_nmi *n, bool on)
{
	n->window = on;
	svm_intr_window_vmcb(vmcb, on && !n->stepping);
}

/*
 * SPEC: "EXITINTINFO ... contains the event that was being delivered when
 * the intercept occurred" (15.7.2): it goes back into EVENTINJ, or the
 * guest would lose it (an NPF on its IDT or stack, an INTR during delivery).
 */
void svm_event_requeue(struct vmcb *vmcb)
{
	vmcb->eventinj = (vmcb->exitintinfo & EVENT_V) ? vmcb->exitintinfo : 0;
}

/* ---- the ops ---- */

/*
 * VM_CR.R_INIT: an INIT the CPU takes outside a guest (after an INIT
 * intercept, once STGI sets GIF) becomes #SX with error code 1, which
 * kernel/irq_stray.c counts, instead of resetting the CPU. Written and read
 * back: an implementation without it (QEMU) keeps the bit clear. Returns
 * whether it stuck.
 */
static bool init_redirected;

static bool redirect_init(void)
{
	u64 cr = rdmsr(MSR_VM_CR);
	if (!(cr & VM_CR_R_INIT))
		wrmsr(MSR_VM_CR, cr | VM_CR_R_INIT);
	return rdmsr(MSR_VM_CR) & VM_CR_R_INIT;
}

bool svm_redirects_init(void)
{
	return init_redirected;
}

static int svm_probe(void)
{
	struct cpuid_regs r;

	cpuid(0x80000000, 0, &r);
	if (r.eax < CPUID_SVM_LEAF) {
		log_info("this CPU has no CPUID leaf 8000_000A (largest extended leaf 0x%08x): no SVM", r.eax);
		return -HV_ENOTSUP;
	}
	cpuid(0x80000001, 0, &r);
	if (!(r.ecx & CPUID_8000_0001_ECX_SVM)) {
		log_info("this CPU has no SVM (CPUID 8000_0001 ECX bit 2)");
		return -HV_ENOTSUP;
	}
	have_page1gb = r.edx & CPUID_8000_0001_EDX_PAGE1GB;
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		log_err("SVM is disabled by the firmware (VM_CR.SVMDIS)");
		return -HV_ENOTSUP;
	}
	cpuid(CPUID_SVM_LEAF, 0, &r);
	if (!(r.edx & SVM_FEAT_NP)) {
		log_err("SVM without nested paging: Sluice needs it (CPUID 8000_000A EDX bit 0)");
		return -HV_ENOTSUP;
	}
	have_nrips = r.edx & SVM_FEAT_NRIPS;
	log_info("SVM revision %u, %u ASIDs, nested paging, %s, %s, nested leaves of 4 KiB, 2 MiB%s", r.eax & 0xff, r.ebx,
		 have_nrips ? "next-RIP save" : "no next-RIP save (instruction lengths decoded)",
		 (r.edx & SVM_FEAT_DECODE_ASSISTS) ? "decode assists" : "no decode assists",
		 have_page1gb ? " and 1 GiB" : " (no 1 GiB pages: CPUID 8000_0001 EDX bit 26 clear)");
	init_redirected = redirect_init();
	if (init_redirected)
		log_info("INIT outside a guest becomes #SX (VM_CR.R_INIT set on the boot CPU)");
	else
		log_warn("VM_CR.R_INIT does not stick: an INIT outside a guest resets the CPU it reaches");
	return 0;
}

static int svm_cpu_enable(struct cpu *c)
{
	if (c->index >= SMP_MAX_CPUS)
		return -HV_ERANGE;
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
		return -HV_ENOTSUP;
	if (!hsave_pa[c->index] && !page_alloc_zeroed(1, &hsave_pa[c->index]))
		return -HV_ENOMEM;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, hsave_pa[c->index]);
	redirect_init();        /* svm_probe said once whether the CPU has it */
	return 0;
}

/*
 * The vCPU's VMCB, permission maps and host VMSAVE area: allocated on the
 * first vcpu_init on this CPU and kept, so a later vcpu_init on the same
 * CPU (a restart, the self-test's second guest) reuses them. 0 or -HV_ENOMEM
 * (what was allocated stays for the next try).
 */
static int vcpu_pages(struct svm_vcpu *s)
{
	if (!s->iopm && !(s->iopm = page_alloc_zeroed(SVM_IOPM_PAGES, &s->iopm_pa)))
		return -HV_ENOMEM;
	if (!s->msrpm && !(s->msrpm = page_alloc_zeroed(SVM_MSRPM_PAGES, &s->msrpm_pa)))
		return -HV_ENOMEM;
	if (!s->vmcb && !(s->vmcb = page_alloc_zeroed(1, &s->vmcb_pa)))
		return -HV_ENOMEM;
	if (!s->host_save_pa && !page_alloc_zeroed(1, &s->host_save_pa))
		return -HV_ENOMEM;
	return 0;
}

static int svm_vcpu_init(struct vcpu *v, const struct vcpu_entry *e, const struct vcpu_policy *pol)
{
	if (v->cpu >= SMP_MAX_CPUS || !v->tag)
		return -HV_EINVAL;
	struct svm_vcpu *s = &vcpus[v->cpu];
	int ret = vcpu_pages(s);
	if (ret)
		return ret;
	svm_iopm_fill(s->iopm, pol);
	svm_msrpm_fill(s->msrpm);
	svm_vmcb_setup(s->vmcb, e, v->tag, v->pt_root, s->iopm_pa, s->msrpm_pa);
	s->flush_next = true;
	s->nmi = (struct svm_nmi){ 0 };
	v->hw = s;
	v->regs = e->regs;
	v->rip = e->rip;
	v->rsp = e->rsp;
	v->rflags = s->vmcb->rflags;
	return 0;
}

/* The guest state common code reads, from the VMCB after an exit. */
static void state_from_vmcb(struct vcpu *v, const struct vmcb *vmcb)
{
	v->rip = vmcb->rip;
	v->rsp = vmcb->rsp;
	v->rflags = vmcb->rflags;
	v->regs.rax = vmcb->rax;
	v->cr0 = vmcb->cr0;
	v->cr2 = vmcb->cr2;
	v->cr3 = vmcb->cr3;
	v->cr4 = vmcb->cr4;
	v->efer = vmcb->efer;
	v->cpl = vmcb->cpl;
	v->cs_long = vmcb->cs.attr & SEG_ATTR_L;
	v->cs_db = vmcb->cs.attr & SEG_ATTR_DB;
	v->cs_base = vmcb->cs.base;
}

static int svm_vcpu_run(struct vcpu *v, struct vm_exit *x)
{
	struct svm_vcpu *s = v->hw;
	struct vmcb *vmcb = s->vmcb;

	if (vmcb->rip != v->rip)
		vmcb->int_state &= ~INT_STATE_SHADOW;   /* the instruction it covered was emulated */
	vmcb->rip = v->rip;
	vmcb->rsp = v->rsp;
	vmcb->rflags = v->rflags | RFLAGS_FIXED;
	if (s->nmi.stepping && s->nmi.tf_set)
		vmcb->rflags |= RFLAGS_TF;      /* over the NMI handler's IRET, which then loads the guest's own */
	vmcb->rax = v->regs.rax;
	/* Without FlushByAsid only "flush all" is defined (15.16.1): once, on the first entry. */
	vmcb->tlb_control = s->flush_next ? TLB_CONTROL_FLUSH_ALL : TLB_CONTROL_NONE;
	s->flush_next = false;
	vmcb->exitcode = 0;
	svm_hw_run(s->vmcb_pa, s->host_save_pa, &v->regs);
	svm_event_requeue(vmcb);
	state_from_vmcb(v, vmcb);
	svm_decode_exit(vmcb, have_nrips, x);
	svm_nmi_exit(vmcb, &s->nmi, x);
	vm_exit_msr_operands(v, x);
	return 0;
}

static void svm_vcpu_dump(const struct vcpu *v, const char *who)
{
	const struct svm_vcpu *s = v->hw;
	const struct vmcb *m = s ? s->vmcb : NULL;

	vcpu_log_state(v, who);
	if (m)
		log_write(LOG_WARN, who, "cs %04x attr 0x%03x, exit 0x%llx %s info 0x%llx 0x%llx, exitintinfo 0x%llx",
			  m->cs.sel, m->cs.attr, (unsigned long long)m->exitcode, svm_exit_name(m->exitcode),
			  (unsigned long long)m->exitinfo1, (unsigned long long)m->exitinfo2,
			  (unsigned long long)m->exitintinfo);
}

/*
 * EFER as the guest wrote it; LMA is the CPU's, SVME Sluice's (15.5.1: it
 * must stay set in the guest) and hidden from the guest's reads. PAT: with
 * nested paging the guest's PAT is the VMCB's G_PAT (15.25.8).
 */
static int svm_state_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	struct svm_vcpu *s = v->hw;
	if (msr == MSR_EFER) {
		if (write)
			s->vmcb->efer = (*val & ~(EFER_LMA | EFER_SVME)) | (s->vmcb->efer & EFER_LMA) | EFER_SVME;
		v->efer = s->vmcb->efer;
		*val = v->efer & ~EFER_SVME;
		return 0;
	}
	if (msr == MSR_IA32_PAT) {
		if (write)
			s->vmcb->g_pat = *val;
		*val = s->vmcb->g_pat;
		return 0;
	}
	return -HV_ENOENT;
}

/* APM 15.20 "Event Injection": type 3 (exception), EV for the error code (never in real mode, 8.2). */
void svm_exc_inject_vmcb(struct vmcb *vmcb, u8 vector, bool has_error, u32 error)
{
	bool ev = has_error && (vmcb->cr0 & CR0_PE);
	vmcb->eventinj = EVENT_V | FIELD_PREP(EVENT_TYPE, EVENT_TYPE_EXCEPTION) | FIELD_PREP(EVENT_VECTOR, vector) |
			 (ev ? EVENT_EV | (u64)error << 32 : 0);
}

static void svm_exc_inject(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	struct svm_vcpu *s = v->hw;
	svm_exc_inject_vmcb(s->vmcb, vector, has_error, error);
}

static u8 svm_tpr_get(struct vcpu *v)
{
	const struct svm_vcpu *s = v->hw;
	return (u8)(FIELD_GET(V_TPR, s->vmcb->vintr) << 4);
}

static void svm_tpr_set(struct vcpu *v, u8 tpr)
{
	struct svm_vcpu *s = v->hw;
	s->vmcb->vintr = (s->vmcb->vintr & ~V_TPR) | FIELD_PREP(V_TPR, tpr >> 4);
}

static bool svm_intr_ready(struct vcpu *v)
{
	const struct svm_vcpu *s = v->hw;
	return svm_intr_ready_nmi(s->vmcb, &s->nmi, v->rip, v->rflags);
}

static void svm_intr_inject(struct vcpu *v, u8 vector)
{
	struct svm_vcpu *s = v->hw;
	svm_intr_inject_vmcb(s->vmcb, vector);
}

static void svm_intr_window(struct vcpu *v, bool on)
{
	struct svm_vcpu *s = v->hw;
	svm_intr_window_nmi(s->vmcb, &s->nmi, on);
}

static bool svm_nmi_ready(struct vcpu *v)
{
	const struct svm_vcpu *s = v->hw;
	return svm_nmi_ready_vmcb(s->vmcb, &s->nmi, v->rip);
}

static void svm_nmi_inject(struct vcpu *v)
{
	struct svm_vcpu *s = v->hw;
	svm_nmi_inject_vmcb(s->vmcb, &s->nmi);
}

/* Blocked NMIs open at the handler's IRET, which always exits while they are blocked: no window to ask for. */
static void svm_nmi_window(struct vcpu *v, bool on)
{
	(void)v;
	(void)on;
}

/*
 * The leaves the nested table may use: 2 MiB always (APM Vol. 2 15.25.5:
 * the nested table has the host's long-mode format), 1 GiB only where
 * the CPU has 1 GiB pages at all. After probe.
 */
static u32 svm_pt_large(void)
{
	return PT_LARGE_2M | (have_page1gb ? PT_LARGE_1G : 0);
}

/* The nested table changed: this ASID's entries go at the next VMRUN (flush all: see svm_vcpu_run). */
static void svm_vcpu_flush_tlb(struct vcpu *v)
{
	struct svm_vcpu *s = v->hw;
	if (s)
		s->flush_next = true;
}

const struct virt_ops svm_ops = {
	.name = "svm",
	.tag_name = "ASID",
	.pt_format = PT_FMT_NPT,
	.pt_large = svm_pt_large,
	.probe = svm_probe,
	.cpu_enable = svm_cpu_enable,
	.vcpu_init = svm_vcpu_init,
	.vcpu_run = svm_vcpu_run,
	.vcpu_dump = svm_vcpu_dump,
	.init_consumed = svm_redirects_init,
	.vcpu_flush_tlb = svm_vcpu_flush_tlb,
	.state_msr = svm_state_msr,
	.exc_inject = svm_exc_inject,
	.tpr_get = svm_tpr_get,
	.tpr_set = svm_tpr_set,
	.intr_ready = svm_intr_ready,
	.intr_inject = svm_intr_inject,
	.intr_window = svm_intr_window,
	.nmi_ready = svm_nmi_ready,
	.nmi_inject = svm_nmi_inject,
	.nmi_window = svm_nmi_window,
};
