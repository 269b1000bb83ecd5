/*
 * The Intel VMX back end (struct virt_ops vmx_ops): IA32_FEATURE_CONTROL,
 * the CR0/CR4 fixed bits and VMXON per CPU (each CPU that runs a vCPU then
 * stays in VMX root operation, where INIT is blocked), one VMCS per vCPU
 * with EPT, a VPID per partition, I/O and MSR bitmaps, and the run loop
 * through the VMLAUNCH/VMRESUME door. Controls and exit decoding are in
 * vmx_caps.c and vmx_exit.c.
 * Spec: Intel SDM Vol. 3C 24.7-24.8 (entering VMX operation, restrictions),
 * 25.4-25.8 (guest state, host state, controls), 27.2-27.3 (VM-entry
 * checks), 28.2 (exit information), 29.4.3 (INVEPT/INVVPID).
 */
#define LOG_SUBSYS "vmx"
#include "vm/cpu/vmx.h"
#include "kernel/smp.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/page_alloc.h"
#include "kernel/tsc.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/mem.h"
#include "kernel/hw/vmx.h"

#define RFLAGS_FIXED            BIT_ULL(1)
#define DR7_INIT                0x400ULL
#define GUEST_PAT               0x0007040600070406ULL   /* the power-on PAT (SDM Vol. 3A 13.12.4) */

struct vmx_vcpu {
	u64 vmcs_pa, io_bitmap_pa, msr_bitmap_pa;
	u64 vapic_pa;           /* the virtual-APIC page: CR8 reads and writes the TPR shadow in it */
	u8 *vapic;
	u8 *io_bitmap, *msr_bitmap;
	u64 eptp;
	u16 vpid;
	bool launched;          /* VMRESUME from now on (VMCLEAR makes it false again) */
	bool flush_next;        /* INVEPT + INVVPID before the next entry */
	u32 proc;               /* the primary processor-based controls as last written */
	bool vid;               /* virtual-interrupt delivery: vectors go through the virtual-APIC page */
	u32 event;              /* VM-entry interruption information for the next entry, 0: none */
	u32 event_error, event_len;
	u32 interruptibility;   /* the guest's, at the last exit */
	u32 slice_ticks;        /* VMX-preemption timer value for VMX_IF0_SLICE_US, 0: no timer (see vmx_vcpu_run) */
	bool slice_on;          /* the pin-based controls as last written have the timer on */
	u64 exit_rip;           /* the guest's rip at the last exit */
	/* The last exit as read on the vCPU's CPU, for vcpu_dump (which may run on another CPU, outside VMX operation). */
	struct vmx_exit_info last;
	u64 last_cs_ar;
};

/* Per physical CPU: its VMXON region, and the vCPU it runs (pages kept for a re-init). */
static u64 vmxon_pa[SMP_MAX_CPUS];
static struct vmx_vcpu vcpus[SMP_MAX_CPUS];
static struct vmx_caps caps;
static u32 proc2_on, pin_on;    /* the secondary and pin-based controls vcpu_init sets (from probe) */

/* How long a guest with interrupts off runs before the VMX-preemption timer brings it out (see vmx_vcpu_run). */
#define VMX_IF0_SLICE_US        10000

/* The revision identifier every VMXON region and VMCS starts with (A.1, 25.2). */
static int region_init(u64 pa)
{
	u32 *r = phys_to_virt(pa, PAGE_SIZE);
	if (!r)
		return -HV_ERANGE;
	*r = (u32)FIELD_GET(VMX_BASIC_REVISION, caps.basic);
	return 0;
}

/* A failed VMX instruction, in the SDM's words. Returns -HV_EIO. */
static int insn_failed(const char *insn, int hw)
{
	if (hw == VMX_FAIL_VALID) {
		u32 err = (u32)vmcs_read(VMCS_VM_INSTRUCTION_ERROR);
		log_err("%s failed: VM-instruction error %u \"%s\"", insn, err, vmx_insn_error_name(err));
	} else {
		log_err("%s failed: VMfailInvalid (CF set: no current VMCS, or a bad region)", insn);
	}
	return -HV_EIO;
}

/*
 * IA32_FEATURE_CONTROL on this CPU: enabled and locked when the firmware
 * left it open; 0, or -HV_ENOTSUP (logged) when it is locked with VMXON
 * outside SMX off.
 */
static int feature_control(void)
{
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL), write;
	if (vmx_feature_control_decide(fc, &write)) {
		log_err("VT-x is turned off by the firmware: IA32_FEATURE_CONTROL 0x%llx is locked without VMXON outside SMX; no guests on this CPU",
			(unsigned long long)fc);
		return -HV_ENOTSUP;
	}
	if (write)
		wrmsr(MSR_IA32_FEATURE_CONTROL, write);
	return 0;
}

static int vmx_probe(void)
{
	struct cpuid_regs r;
	struct vmx_controls ctl;
	char why[160];
	u64 eptp;

	cpuid(1, 0, &r);
	if (!(r.ecx & CPUID_1_ECX_VMX)) {
		log_warn("this CPU has no VMX (CPUID.1:ECX bit 5): no guest partitions");
		return -HV_ENOTSUP;
	}
	if (feature_control())
		return -HV_ENOTSUP;
	vmx_caps_read(&caps);
	log_info("capabilities basic=0x%016llx pin=0x%016llx proc=0x%016llx proc2=0x%016llx exit=0x%016llx entry=0x%016llx ept_vpid=0x%016llx misc=0x%016llx",
		 (unsigned long long)caps.basic, (unsigned long long)caps.pin, (unsigned long long)caps.proc,
		 (unsigned long long)caps.proc2, (unsigned long long)caps.exit, (unsigned long long)caps.entry,
		 (unsigned long long)caps.ept_vpid, (unsigned long long)caps.misc);
	if (vmx_controls_compute(&caps, false, &ctl, why, sizeof(why)) ||
	    vmx_controls_compute(&caps, true, &ctl, why, sizeof(why))) {
		log_err("VMX without what Sluice needs: %s", why);
		return -HV_ENOTSUP;
	}
	proc2_on = ctl.proc2;
	pin_on = ctl.pin;
	if (FIELD_GET(VMX_BASIC_REGION_SIZE, caps.basic) > PAGE_SIZE) {
		log_err("VMCS region of %llu bytes: more than a page", (unsigned long long)FIELD_GET(VMX_BASIC_REGION_SIZE, caps.basic));
		return -HV_ENOTSUP;
	}
	if (vmx_eptp(caps.ept_vpid, 0, &eptp)) {
		log_err("EPT without a 4-level walk or a usable memory type (IA32_VMX_EPT_VPID_CAP 0x%016llx)",
			(unsigned long long)caps.ept_vpid);
		return -HV_ENOTSUP;
	}
	if (!(caps.ept_vpid & EPT_CAP_INVEPT) || !(caps.ept_vpid & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)) ||
	    !(caps.ept_vpid & VPID_CAP_INVVPID) ||
	    !(caps.ept_vpid & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL))) {
		log_err("no INVEPT or INVVPID of a usable type (IA32_VMX_EPT_VPID_CAP 0x%016llx)",
			(unsigned long long)caps.ept_vpid);
		return -HV_ENOTSUP;
	}
	if (ctl.proc2 & PROC2_VIRT_INTR_DELIVERY)
		log_info("virtual-interrupt delivery on: guests' vectors through the virtual-APIC page, their x2APIC EOI without an exit");
	else
		log_info("no virtual-interrupt delivery: guests' vectors injected as events, every EOI exits");
	if (FIELD_GET(VMX_CTLS_ALLOWED1, caps.pin) & PIN_PREEMPTION_TIMER)
		log_info("VMX-preemption timer: a guest entered with interrupts off exits within %u ms", VMX_IF0_SLICE_US / 1000);
	else
		log_warn("no VMX-preemption timer: a guest entered with interrupts off answers kicks only where the CPU follows the SDM");
	log_info("VMX revision 0x%llx, EPT (4-level, %s%s%s), VPID, unrestricted guest, %s",
		 (unsigned long long)FIELD_GET(VMX_BASIC_REVISION, caps.basic),
		 (caps.ept_vpid & EPT_CAP_MT_WB) ? "write-back" : "uncached",
		 (caps.ept_vpid & EPT_CAP_2M) ? ", 2M" : "", (caps.ept_vpid & EPT_CAP_1G) ? ", 1G" : "",
		 (caps.basic & VMX_BASIC_TRUE_CTLS) ? "TRUE controls" : "default-1 controls");
	return 0;
}

/* CR0 and CR4 as VMX operation requires them (24.8, A.7, A.8): NE and VMXE set here. */
static void fix_host_crs(void)
{
	u64 cr0 = vmx_hw_read_cr(0), cr4 = vmx_hw_read_cr(4);
	u64 want0 = vmx_cr_fixed(cr0, caps.cr0_fixed0, caps.cr0_fixed1);
	u64 want4 = vmx_cr_fixed(cr4 | X86_CR4_VMXE, caps.cr4_fixed0, caps.cr4_fixed1);
	if (want0 != cr0)
		vmx_hw_write_cr(0, want0);
	if (want4 != cr4)
		vmx_hw_write_cr(4, want4);
}

/*
 * Puts this CPU in VMX root operation, once: it stays there while Sluice
 * runs (no VMXOFF), so INIT signals are blocked on it (24.8). 0, or
 * -HV_ENOTSUP / -HV_ENOMEM / -HV_EIO (logged).
 */
static int vmx_cpu_enable(struct cpu *c)
{
	int ret, hw;

	if (c->index >= SMP_MAX_CPUS)
		return -HV_ERANGE;
	if (vmxon_pa[c->index])
		return 0;
	if ((ret = feature_control()))
		return ret;
	u64 pa;
	if (!page_alloc_zeroed(1, &pa))
		return -HV_ENOMEM;
	if ((ret = region_init(pa))) {
		page_free(pa, 1);
		return ret;
	}
	fix_host_crs();
	if ((hw = vmx_hw_vmxon(pa))) {
		page_free(pa, 1);
		return insn_failed("VMXON", hw);
	}
	vmxon_pa[c->index] = pa;
	log_info("CPU %u in VMX root operation (VMXON region 0x%016llx)", c->index, (unsigned long long)pa);
	return 0;
}

/* The VMCS, the two I/O bitmaps, the MSR bitmap and the virtual-APIC page: allocated on the first vcpu_init on this CPU and kept. */
static int vcpu_pages(struct vmx_vcpu *s)
{
	if (!s->vmcs_pa && !page_alloc_zeroed(1, &s->vmcs_pa))
		return -HV_ENOMEM;
	if (!s->io_bitmap && !(s->io_bitmap = page_alloc_zeroed(VMX_IO_BITMAP_PAGES, &s->io_bitmap_pa)))
		return -HV_ENOMEM;
	if (!s->msr_bitmap && !(s->msr_bitmap = page_alloc_zeroed(1, &s->msr_bitmap_pa)))
		return -HV_ENOMEM;
	if (!s->vapic && !(s->vapic = page_alloc_zeroed(1, &s->vapic_pa)))
		return -HV_ENOMEM;
	return 0;
}

/* VMWRITEs in a row: the first that fails is remembered, the rest are skipped. */
struct writer { int hw; u32 field; };

static void w(struct writer *wr, u32 field, u64 val)
{
	if (wr->hw)
		return;
	wr->hw = vmcs_write(field, val);
	if (wr->hw)
		wr->field = field;
}

/* 25.5 "Host-State Area": where a VM exit lands (RSP and RIP are vmx_hw_run's, per entry). */
static void host_state(struct writer *wr)
{
	struct vmx_host_state h;

	vmx_hw_host_state(&h);
	w(wr, VMCS_HOST_CR0, h.cr0);
	w(wr, VMCS_HOST_CR3, h.cr3);
	w(wr, VMCS_HOST_CR4, h.cr4);
	/* 27.2.3: host selectors with RPL and TI clear. */
	w(wr, VMCS_HOST_CS_SEL, h.cs & ~7u);
	w(wr, VMCS_HOST_SS_SEL, h.ss & ~7u);
	w(wr, VMCS_HOST_DS_SEL, h.ds & ~7u);
	w(wr, VMCS_HOST_ES_SEL, h.es & ~7u);
	w(wr, VMCS_HOST_FS_SEL, h.fs & ~7u);
	w(wr, VMCS_HOST_GS_SEL, h.gs & ~7u);
	w(wr, VMCS_HOST_TR_SEL, h.tr & ~7u);
	w(wr, VMCS_HOST_FS_BASE, rdmsr(MSR_IA32_FS_BASE));
	/* GS base: the per-CPU pointer (struct cpu) smp_hw_cpu_setup put there. */
	w(wr, VMCS_HOST_GS_BASE, rdmsr(MSR_IA32_GS_BASE));
	w(wr, VMCS_HOST_TR_BASE, h.tr_base);
	w(wr, VMCS_HOST_GDTR_BASE, h.gdt_base);
	w(wr, VMCS_HOST_IDTR_BASE, h.idt_base);
	w(wr, VMCS_HOST_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS));
	w(wr, VMCS_HOST_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
	w(wr, VMCS_HOST_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
	w(wr, VMCS_HOST_IA32_EFER, rdmsr(MSR_EFER));
	w(wr, VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
}

static void seg_at(struct writer *wr, u32 sel_field, u16 sel, u32 ar, u32 limit, u64 base)
{
	/* The selector, limit, AR and base fields of one segment sit at the same index in their groups (B.1.2, B.3.3, B.4.3). */
	u32 i = sel_field - VMCS_GUEST_ES_SEL;
	w(wr, sel_field, sel);
	w(wr, VMCS_GUEST_ES_LIMIT + i, limit);
	w(wr, VMCS_GUEST_ES_AR + i, ar);
	w(wr, VMCS_GUEST_ES_BASE + i, base);
}

static void seg(struct writer *wr, u32 sel_field, u16 sel, u32 ar, u32 limit)
{
	seg_at(wr, sel_field, sel, ar, limit, 0);
}

/*
 * Real mode as INIT and SIPI leave an AP (SDM vol 3 10.1.1 table 10-1,
 * with the SIPI's CS), entered through unrestricted guest: CR0.PE and PG
 * clear, 64 KiB segments with base = selector << 4 (27.3.1.2 checks them
 * against that), IDTR and GDTR limit 0xffff.
 */
static void real_mode(struct writer *wr, const struct vcpu_entry *e)
{
	seg_at(wr, VMCS_GUEST_CS_SEL, e->real_cs, VMX_AR_REAL_CODE, 0xffff, (u64)e->real_cs << 4);
	seg(wr, VMCS_GUEST_DS_SEL, 0, VMX_AR_REAL_DATA, 0xffff);
	seg(wr, VMCS_GUEST_ES_SEL, 0, VMX_AR_REAL_DATA, 0xffff);
	seg(wr, VMCS_GUEST_SS_SEL, 0, VMX_AR_REAL_DATA, 0xffff);
	seg(wr, VMCS_GUEST_FS_SEL, 0, VMX_AR_REAL_DATA, 0xffff);
	seg(wr, VMCS_GUEST_GS_SEL, 0, VMX_AR_REAL_DATA, 0xffff);
	w(wr, VMCS_GUEST_GDTR_LIMIT, 0xffff);
	w(wr, VMCS_GUEST_IDTR_LIMIT, 0xffff);
}

/*
 * 25.4 "Guest-State Area" for entry e. CR0 and CR4 get the bits VMX
 * operation fixes (NE, VMXE; PE and PG are the guest's own with
 * unrestricted guest, 27.3.1.1); the guest/host masks and read shadows
 * show the guest the values it was started with for those bits.
 */
static void guest_state(struct writer *wr, const struct vcpu_entry *e)
{
	bool lm = e->mode == VCPU_MODE_LONG64;
	u64 cr0 = lm ? X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG :
		  e->mode == VCPU_MODE_REAL16 ? X86_CR0_ET : X86_CR0_PE | X86_CR0_ET;
	u64 cr4 = lm ? X86_CR4_PAE : 0;
	u64 fixed0_cr0 = caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);
	u64 mask0 = (fixed0_cr0 | ~caps.cr0_fixed1) & 0xffffffffULL;
	u64 mask4 = (caps.cr4_fixed0 | ~caps.cr4_fixed1) & 0xffffffffULL;

	w(wr, VMCS_GUEST_CR0, vmx_cr_fixed(cr0, fixed0_cr0, caps.cr0_fixed1));
	w(wr, VMCS_GUEST_CR4, vmx_cr_fixed(cr4, caps.cr4_fixed0, caps.cr4_fixed1));
	w(wr, VMCS_CR0_GUEST_HOST_MASK, mask0);
	w(wr, VMCS_CR0_READ_SHADOW, cr0);
	w(wr, VMCS_CR4_GUEST_HOST_MASK, mask4);
	w(wr, VMCS_CR4_READ_SHADOW, cr4);
	w(wr, VMCS_GUEST_CR3, lm ? e->cr3 : 0);
	w(wr, VMCS_GUEST_IA32_EFER, lm ? EFER_LME | EFER_LMA : 0);
	w(wr, VMCS_GUEST_IA32_PAT, GUEST_PAT);
	w(wr, VMCS_GUEST_IA32_DEBUGCTL, 0);
	w(wr, VMCS_GUEST_DR7, DR7_INIT);
	seg(wr, VMCS_GUEST_CS_SEL, 0x08, lm ? VMX_AR_CODE64 : VMX_AR_CODE32, 0xffffffff);
	seg(wr, VMCS_GUEST_DS_SEL, 0x10, VMX_AR_DATA, 0xffffffff);
	seg(wr, VMCS_GUEST_ES_SEL, 0x10, VMX_AR_DATA, 0xffffffff);
	seg(wr, VMCS_GUEST_SS_SEL, 0x10, VMX_AR_DATA, 0xffffffff);
	seg(wr, VMCS_GUEST_FS_SEL, 0x10, VMX_AR_DATA, 0xffffffff);
	seg(wr, VMCS_GUEST_GS_SEL, 0x10, VMX_AR_DATA, 0xffffffff);
	seg(wr, VMCS_GUEST_LDTR_SEL, 0, VMX_AR_UNUSABLE, 0);
	seg(wr, VMCS_GUEST_TR_SEL, 0, VMX_AR_TSS_BUSY, 0x67);
	w(wr, VMCS_GUEST_GDTR_BASE, e->gdt_base);
	w(wr, VMCS_GUEST_GDTR_LIMIT, e->gdt_limit);
	w(wr, VMCS_GUEST_IDTR_BASE, 0);
	w(wr, VMCS_GUEST_IDTR_LIMIT, 0);
	if (e->mode == VCPU_MODE_REAL16)
		real_mode(wr, e);
	w(wr, VMCS_GUEST_SYSENTER_CS, 0);
	w(wr, VMCS_GUEST_SYSENTER_ESP, 0);
	w(wr, VMCS_GUEST_SYSENTER_EIP, 0);
	w(wr, VMCS_GUEST_RFLAGS, e->rflags | RFLAGS_FIXED);
	w(wr, VMCS_GUEST_RIP, e->rip);
	w(wr, VMCS_GUEST_RSP, e->rsp);
	w(wr, VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_ACTIVE);
	w(wr, VMCS_GUEST_INTERRUPTIBILITY, 0);
	w(wr, VMCS_GUEST_PENDING_DBG, 0);
	w(wr, VMCS_LINK_POINTER, VMX_LINK_POINTER_NONE);
}

static void controls(struct writer *wr, const struct vmx_controls *ctl, const struct vmx_vcpu *s)
{
	w(wr, VMCS_PIN_CONTROLS, ctl->pin);
	w(wr, VMCS_PROC_CONTROLS, ctl->proc);
	w(wr, VMCS_PROC_CONTROLS2, ctl->proc2);
	w(wr, VMCS_EXIT_CONTROLS, ctl->exit);
	w(wr, VMCS_ENTRY_CONTROLS, ctl->entry);
	w(wr, VMCS_EXCEPTION_BITMAP, 0);
	w(wr, VMCS_PF_ERROR_MASK, 0);
	w(wr, VMCS_PF_ERROR_MATCH, 0);
	w(wr, VMCS_CR3_TARGET_COUNT, 0);
	w(wr, VMCS_EXIT_MSR_STORE_COUNT, 0);
	w(wr, VMCS_EXIT_MSR_LOAD_COUNT, 0);
	w(wr, VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	w(wr, VMCS_ENTRY_INTR_INFO, 0);
	w(wr, VMCS_IO_BITMAP_A, s->io_bitmap_pa);
	w(wr, VMCS_IO_BITMAP_B, s->io_bitmap_pa + PAGE_SIZE);
	w(wr, VMCS_MSR_BITMAP, s->msr_bitmap_pa);
	/* TPR shadow alone (26.2.1.1): threshold 0 never exits; the guest's CR8 stays in this page. */
	w(wr, VMCS_VIRTUAL_APIC_PAGE_ADDR, s->vapic_pa);
	w(wr, VMCS_TPR_THRESHOLD, 0);
	if (ctl->proc2 & PROC2_VIRT_INTR_DELIVERY) {
		/* 30.1.3: no vector's EOI exits; RVI and SVI are vlapic_vid_enter's, before each entry. */
		for (u32 i = 0; i < 4; i++)
			w(wr, VMCS_EOI_EXIT_BITMAP0 + 2 * i, 0);
		w(wr, VMCS_GUEST_INTR_STATUS, 0);
	}
	w(wr, VMCS_EPT_POINTER, s->eptp);
	w(wr, VMCS_VPID, s->vpid);
	w(wr, VMCS_TSC_OFFSET, 0);
}

static int vmx_vcpu_init(struct vcpu *v, const struct vcpu_entry *e, const struct vcpu_policy *pol)
{
	struct vmx_controls ctl;
	struct writer wr = { 0 };
	char why[160];
	int ret, hw;

	if (v->cpu >= SMP_MAX_CPUS || !v->tag || v->tag > 0xffff)
		return -HV_EINVAL;
	struct vmx_vcpu *s = &vcpus[v->cpu];
	if ((ret = vcpu_pages(s)))
		return ret;
	if (vmx_controls_compute(&caps, e->mode == VCPU_MODE_LONG64, &ctl, why, sizeof(why))) {
		log_err("CPU %u: %s", v->cpu, why);
		return -HV_ENOTSUP;
	}
	if ((ret = vmx_eptp(caps.ept_vpid, v->pt_root, &s->eptp)))
		return ret;
	s->vpid = (u16)v->tag;
	vmx_io_bitmap_fill(s->io_bitmap, pol);
	vmx_msr_bitmap_fill(s->msr_bitmap);
	/* 30.5: with virtual-interrupt delivery a WRMSR to the x2APIC EOI is EOI virtualization, not the real APIC's. */
	s->vid = ctl.proc2 & PROC2_VIRT_INTR_DELIVERY;
	/* controls() writes the pin-based word without the timer; the TSC is calibrated by now. */
	s->slice_on = false;
	s->slice_ticks = (FIELD_GET(VMX_CTLS_ALLOWED1, caps.pin) & PIN_PREEMPTION_TIMER) ?
			 vmx_slice_ticks(caps.misc, tsc_khz(), VMX_IF0_SLICE_US) : 0;
	if (s->vid)
		vmx_msr_bitmap_allow(s->msr_bitmap, X2APIC_MSR_EOI, true);
	memset(s->vapic, 0, PAGE_SIZE);         /* a restart's guest starts with TPR 0 too */
	/* 25.11.3: VMCLEAR before first use makes the launch state "clear", so VMLAUNCH comes next. */
	if ((ret = region_init(s->vmcs_pa)))
		return ret;
	if ((hw = vmx_hw_vmclear(s->vmcs_pa)))
		return insn_failed("VMCLEAR", hw);
	if ((hw = vmx_hw_vmptrld(s->vmcs_pa)))
		return insn_failed("VMPTRLD", hw);
	controls(&wr, &ctl, s);
	host_state(&wr);
	guest_state(&wr, e);
	if (wr.hw) {
		char what[32];
		fmt_snprintf(what, sizeof(what), "VMWRITE of field 0x%04x", wr.field);
		return insn_failed(what, wr.hw);
	}
	s->launched = false;
	s->flush_next = true;
	s->proc = ctl.proc;
	s->event = s->interruptibility = 0;
	s->exit_rip = e->rip;
	memset(&s->last, 0, sizeof(s->last));
	s->last_cs_ar = 0;
	v->hw = s;
	v->regs = e->regs;
	v->rip = e->rip;
	v->rsp = e->rsp;
	v->rflags = e->rflags | RFLAGS_FIXED;
	return 0;
}

/* INVEPT and INVVPID for this vCPU's context: single-context where the CPU has it (A.10), else all. */
static void flush(const struct vmx_vcpu *s)
{
	int hw;
	if ((hw = vmx_hw_invept((caps.ept_vpid & EPT_CAP_INVEPT_SINGLE) ? INVEPT_SINGLE_CONTEXT : INVEPT_ALL_CONTEXT,
				s->eptp)))
		insn_failed("INVEPT", hw);
	if ((hw = vmx_hw_invvpid((caps.ept_vpid & VPID_CAP_INVVPID_SINGLE) ? INVVPID_SINGLE_CONTEXT :
				 INVVPID_ALL_CONTEXT, s->vpid, 0)))
		insn_failed("INVVPID", hw);
}

/* The guest state common code reads, from the VMCS after an exit. */
static u64 state_from_vmcs(struct vcpu *v)
{
	u64 cs_ar = vmcs_read(VMCS_GUEST_CS_AR);

	v->rip = vmcs_read(VMCS_GUEST_RIP);
	v->rsp = vmcs_read(VMCS_GUEST_RSP);
	v->rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	v->cr0 = vmcs_read(VMCS_GUEST_CR0);
	v->cr3 = vmcs_read(VMCS_GUEST_CR3);
	v->cr4 = vmcs_read(VMCS_GUEST_CR4);
	v->efer = vmcs_read(VMCS_GUEST_IA32_EFER);
	/* VMX does not switch CR2 (25.4.1 lists no CR2): the guest's is still in the register. */
	v->cr2 = vmx_hw_read_cr(2);
	v->cpl = (u8)FIELD_GET(VMX_AR_DPL, vmcs_read(VMCS_GUEST_SS_AR));
	v->cs_long = cs_ar & VMX_AR_L;
	v->cs_db = cs_ar & VMX_AR_DB;
	v->cs_base = vmcs_read(VMCS_GUEST_CS_BASE);
	return cs_ar;
}

/*
 * XSETBV exits unconditionally on VMX (26.1.2) while SVM lets the guest run
 * it: a valid one is done here for the guest (its CPU is its own, XCR0 is
 * not switched either way) and the exit reaches common code as
 * VM_EXIT_NONE, rip past it. An invalid one is the #GP(0) the CPU raises
 * (SDM vol 2 XSETBV "Protected Mode Exceptions"): VM_EXIT_FAULT. The #UD
 * (CR4.OSXSAVE clear) and the CPL #GP come before the exit (26.1.1).
 */
static void xsetbv(struct vcpu *v, const struct vmx_exit_info *in, struct vm_exit *x)
{
	struct cpuid_regs r;
	u32 xcr = (u32)v->regs.rcx;
	u64 val = (v->regs.rdx & 0xffffffff) << 32 | (v->regs.rax & 0xffffffff);

	cpuid(0xd, 0, &r);
	if (vmx_xsetbv_check(xcr, val, (u64)r.edx << 32 | r.eax) || !in->insn_len || in->insn_len > 15) {
		x->reason = VM_EXIT_FAULT;
		x->exc.vector = 13;
		x->exc.has_error = true;
		x->exc.error_code = 0;
		return;
	}
	vmx_hw_xsetbv(xcr, val);
	v->rip += in->insn_len;
	x->reason = VM_EXIT_NONE;
}

/*
 * SPEC: an exit during event delivery leaves the event in the IDT-vectoring
 * information field (25.9.3); it goes back as the next entry's event, with
 * its error code and, for software events, the instruction length (27.6.1).
 */
static void requeue(struct vmx_vcpu *s)
{
	u32 idt = (u32)vmcs_read(VMCS_IDT_VECTORING_INFO);

	if (!(idt & INTR_INFO_VALID))
		return;
	s->event = idt & ~(u32)INTR_INFO_NMI_UNBLOCK;    /* bit 12 is reserved on entry */
	s->event_error = (u32)vmcs_read(VMCS_IDT_VECTORING_ERROR_CODE);
	s->event_len = (u32)vmcs_read(VMCS_EXIT_INSTRUCTION_LEN);
}

/*
 * A guest entered with RFLAGS.IF clear runs under the VMX-preemption timer
 * (26.5.1), which exits after VMX_IF0_SLICE_US whatever the guest does:
 * Bochs 2.7 evaluates its interrupt mask at VM entry before it counts the
 * CPU as in a guest, so with the guest's IF clear it holds back every
 * external interrupt, and with it the "external-interrupt exiting" exit,
 * until the guest itself changes IF (docs/platform.md). Without the timer
 * a guest that runs with interrupts off would never answer a kick or its
 * own time limit there. On hardware the exit is merely early; its cost is
 * one exit per slice while a guest keeps interrupts off.
 */
static int slice(const struct vcpu *v, struct vmx_vcpu *s)
{
	bool on = s->slice_ticks && !(v->rflags & RFLAGS_IF);

	if (on != s->slice_on) {
		if (vmcs_write(VMCS_PIN_CONTROLS, pin_on | (on ? PIN_PREEMPTION_TIMER : 0)))
			return insn_failed("VMWRITE", VMX_FAIL_VALID);
		s->slice_on = on;
	}
	if (on && vmcs_write(VMCS_GUEST_PREEMPTION_TIMER, s->slice_ticks))
		return insn_failed("VMWRITE", VMX_FAIL_VALID);
	return 0;
}

static int vmx_vcpu_run(struct vcpu *v, struct vm_exit *x)
{
	struct vmx_vcpu *s = v->hw;
	struct vmx_exit_info in;
	int hw, ret;

	if (vmcs_write(VMCS_GUEST_RIP, v->rip) || vmcs_write(VMCS_GUEST_RSP, v->rsp) ||
	    vmcs_write(VMCS_GUEST_RFLAGS, v->rflags | RFLAGS_FIXED))
		return insn_failed("VMWRITE", VMX_FAIL_VALID);
	/* The STI/MOV SS shadow covered the instruction at the exit: common code emulated it. */
	if (v->rip != s->exit_rip && (s->interruptibility & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))) {
		s->interruptibility &= ~(u32)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS);
		if (vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, s->interruptibility))
			return insn_failed("VMWRITE", VMX_FAIL_VALID);
	}
	/* 27.6 (event injection); the valid bit is cleared at every VM exit (25.9.2), so this is once. */
	if (s->event) {
		if (vmcs_write(VMCS_ENTRY_INTR_INFO, s->event) ||
		    vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR_CODE, s->event_error) ||
		    vmcs_write(VMCS_ENTRY_INSTRUCTION_LEN, s->event_len))
			return insn_failed("VMWRITE", VMX_FAIL_VALID);
		s->event = 0;
	}
	if ((ret = slice(v, s)))
		return ret;
	if (s->flush_next) {
		flush(s);
		s->flush_next = false;
	}
	if ((hw = vmx_hw_run(&v->regs, s->launched))) {
		memset(x, 0, sizeof(*x));
		x->reason = VM_EXIT_ENTRY_FAILED;
		return insn_failed(s->launched ? "VMRESUME" : "VMLAUNCH", hw);
	}
	s->launched = true;
	in.reason = (u32)vmcs_read(VMCS_EXIT_REASON);
	in.qual = vmcs_read(VMCS_EXIT_QUALIFICATION);
	in.gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDR);
	in.intr_info = (u32)vmcs_read(VMCS_EXIT_INTR_INFO);
	in.intr_error = (u32)vmcs_read(VMCS_EXIT_INTR_ERROR_CODE);
	in.insn_len = (u32)vmcs_read(VMCS_EXIT_INSTRUCTION_LEN);
	s->last_cs_ar = state_from_vmcs(v);
	s->last = in;
	s->exit_rip = v->rip;
	s->interruptibility = (u32)vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
	requeue(s);
	vmx_decode_exit(&in, x);
	if (x->reason == VM_EXIT_ENTRY_FAILED) {
		u32 basic = (u32)FIELD_GET(VMX_EXIT_REASON_BASIC, in.reason);
		log_err("VM entry failed: exit reason %u \"%s\", qualification 0x%llx", basic, vmx_exit_name(basic),
			(unsigned long long)in.qual);
	}
	/* NMI exiting consumed Sluice's NMI (a stop from a FATAL, say): hand it to the host's handler. */
	if (FIELD_GET(VMX_EXIT_REASON_BASIC, in.reason) == VMX_EXIT_EXCEPTION_NMI &&
	    FIELD_GET(INTR_INFO_TYPE, in.intr_info) == INTR_TYPE_NMI)
		vmx_hw_nmi();
	if (FIELD_GET(VMX_EXIT_REASON_BASIC, in.reason) == VMX_EXIT_XSETBV)
		xsetbv(v, &in, x);
	vm_exit_msr_operands(v, x);
	return 0;
}

static void vmx_vcpu_dump(const struct vcpu *v, const char *who)
{
	const struct vmx_vcpu *s = v->hw;

	vcpu_log_state(v, who);
	if (s) {
		u32 basic = (u32)FIELD_GET(VMX_EXIT_REASON_BASIC, s->last.reason);
		log_write(LOG_WARN, who, "cs ar 0x%llx, exit reason %u%s \"%s\" qualification 0x%llx gpa 0x%016llx",
			  (unsigned long long)s->last_cs_ar, basic,
			  (s->last.reason & VMX_EXIT_REASON_ENTRY_FAILURE) ? " (VM-entry failure)" : "", vmx_exit_name(basic),
			  (unsigned long long)s->last.qual, (unsigned long long)s->last.gpa);
		log_write(LOG_WARN, who, "interruptibility 0x%x, primary controls 0x%08x, TPR shadow 0x%02x, queued event 0x%08x",
			  s->interruptibility, s->proc, s->vapic ? s->vapic[0x80] : 0, s->event);
	}
}

/*
 * 24.8: INIT is blocked in VMX root operation, and in non-root operation
 * it causes a VM exit instead of a reset; every CPU that runs a vCPU stays
 * in root operation (vmx_cpu_enable), so an INIT is always consumed.
 */
static bool vmx_init_consumed(void)
{
	return true;
}

/* 2 MiB / 1 GiB EPT leaves where IA32_VMX_EPT_VPID_CAP bits 16 and 17 allow them (A.10). */
static u32 vmx_pt_large(void)
{
	return vmx_ept_large(caps.ept_vpid);
}

/* 30.1.1 "Virtualized APIC Registers": VTPR is the byte at offset 0x80 of the virtual-APIC page. */
#define VAPIC_VTPR              0x80

static u8 vmx_tpr_get(struct vcpu *v)
{
	const struct vmx_vcpu *s = v->hw;
	return __atomic_load_n(&s->vapic[VAPIC_VTPR], __ATOMIC_RELAXED);
}

static void vmx_tpr_set(struct vcpu *v, u8 tpr)
{
	struct vmx_vcpu *s = v->hw;
	__atomic_store_n(&s->vapic[VAPIC_VTPR], tpr, __ATOMIC_RELAXED);
}

static u8 *vmx_vid_page(struct vcpu *v)
{
	struct vmx_vcpu *s = v->hw;
	return s && s->vid ? s->vapic : NULL;
}

static void vmx_vid_status(struct vcpu *v, u16 status)
{
	(void)v;        /* its VMCS is the current one, on its CPU */
	if (vmcs_write(VMCS_GUEST_INTR_STATUS, status))
		insn_failed("VMWRITE", VMX_FAIL_VALID);
}

static bool vmx_intr_ready(struct vcpu *v)
{
	const struct vmx_vcpu *s = v->hw;
	bool shadow = (s->interruptibility & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) && v->rip == s->exit_rip;
	return (v->rflags & RFLAGS_IF) && !shadow && !s->event;
}

static void vmx_intr_inject(struct vcpu *v, u8 vector)
{
	struct vmx_vcpu *s = v->hw;
	s->event = (u32)(INTR_INFO_VALID | FIELD_PREP(INTR_INFO_TYPE, INTR_TYPE_EXT_INTR) | FIELD_PREP(INTR_INFO_VECTOR, vector));
	s->event_error = s->event_len = 0;
}

/* One window-exiting control on or off, where the CPU has it (else the guest's next exit of another kind is the window). */
static void window_control(struct vmx_vcpu *s, u32 bit, bool on)
{
	u32 proc = on ? s->proc | bit : s->proc & ~bit;

	if (on && !(FIELD_GET(VMX_CTLS_ALLOWED1, caps.proc) & bit))
		return;
	if (proc != s->proc && !vmcs_write(VMCS_PROC_CONTROLS, proc))
		s->proc = proc;
}

/* Interrupt-window exiting (24.6.2 Table 24-6 bit 2, 26.2 "exits at the start of the next instruction with RFLAGS.IF = 1 and no blocking"). */
static void vmx_intr_window(struct vcpu *v, bool on)
{
	window_control(v->hw, (u32)PROC_INTR_WINDOW_EXITING, on);
}

/*
 * Guest NMIs with "virtual NMIs" (25.3): the CPU sets blocking by NMI when
 * it delivers one and clears it at the handler's IRET. Injection needs
 * that bit and blocking by MOV SS or STI clear (26.2.1.5.1); NMI-window
 * exiting (bit 22) brings the guest out as soon as they are.
 */
static bool vmx_nmi_ready(struct vcpu *v)
{
	const struct vmx_vcpu *s = v->hw;
	u32 block = INTERRUPTIBILITY_NMI | (v->rip == s->exit_rip ? INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS : 0);
	return !(s->interruptibility & block) && !s->event;
}

static void vmx_nmi_inject(struct vcpu *v)
{
	struct vmx_vcpu *s = v->hw;
	s->event = (u32)(INTR_INFO_VALID | FIELD_PREP(INTR_INFO_TYPE, INTR_TYPE_NMI) | FIELD_PREP(INTR_INFO_VECTOR, 2));
	s->event_error = s->event_len = 0;
}

/* 26.2.1.1: NMI-window exiting only with virtual NMIs; without them the guest's next exit of any kind is the window. */
static void vmx_nmi_window(struct vcpu *v, bool on)
{
	if (pin_on & PIN_VIRTUAL_NMIS)
		window_control(v->hw, (u32)PROC_NMI_WINDOW_EXITING, on);
}

/* The EPT changed: this VPID's and this EPTP's cached translations go before the next entry. */
static void vmx_vcpu_flush_tlb(struct vcpu *v)
{
	struct vmx_vcpu *s = v->hw;
	if (s)
		s->flush_next = true;
}

/*
 * EFER as the guest wrote it, LMA kept (the CPU's: it follows CR0.PG and
 * LME, and a VM exit saves it into the "IA-32e mode guest" entry control,
 * SDM vol 3 28.3); PAT, which the VMCS loads at entry and saves at exit
 * (25.4.1). The current VMCS is this vCPU's, on its CPU.
 */
static int vmx_state_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	u32 field = msr == MSR_EFER ? VMCS_GUEST_IA32_EFER : msr == MSR_IA32_PAT ? VMCS_GUEST_IA32_PAT : 0;
	if (!field)
		return -HV_ENOENT;
	u64 cur = vmcs_read(field);
	if (write) {
		cur = msr == MSR_EFER ? (*val & ~EFER_LMA) | (cur & EFER_LMA) : *val;
		if (vmcs_write(field, cur))
			insn_failed("VMWRITE", VMX_FAIL_VALID);
	}
	if (msr == MSR_EFER)
		v->efer = cur;
	*val = cur;
	return 0;
}

/*
 * 27.6.1.1: a hardware exception through the VM-entry interruption
 * information; "deliver error code" only in protected mode (26.2.1.3:
 * it must be 0 when the guest's CR0.PE is 0 under unrestricted guest).
 */
u32 vmx_exc_event(u8 vector, bool has_error, bool prot)
{
	return (u32)(INTR_INFO_VALID | FIELD_PREP(INTR_INFO_TYPE, INTR_TYPE_HW_EXCEPTION) |
		     FIELD_PREP(INTR_INFO_VECTOR, vector) | (has_error && prot ? INTR_INFO_ERROR_CODE_VALID : 0));
}

static void vmx_exc_inject(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	struct vmx_vcpu *s = v->hw;
	s->event = vmx_exc_event(vector, has_error, v->cr0 & X86_CR0_PE);
	s->event_error = error;
	s->event_len = 0;
}

/* Without "enable RDTSCP" (24.6.2 table 24-7), RDTSCP and RDPID raise #UD in the guest: CPUID says they are absent. */
static void vmx_cpuid_adjust(u32 leaf, u32 sub, struct cpuid_regs *r)
{
	if (proc2_on & PROC2_ENABLE_RDTSCP)
		return;
	if (leaf == 0x80000001u)
		r->edx &= ~BIT(27);                /* RDTSCP */
	else if (leaf == 7 && sub == 0)
		r->ecx &= ~BIT(22);                /* RDPID */
}

const struct virt_ops vmx_ops = {
	.name = "vmx",
	.tag_name = "VPID",
	.pt_format = PT_FMT_EPT,
	.pt_large = vmx_pt_large,
	.probe = vmx_probe,
	.cpu_enable = vmx_cpu_enable,
	.vcpu_init = vmx_vcpu_init,
	.vcpu_run = vmx_vcpu_run,
	.vcpu_dump = vmx_vcpu_dump,
	.init_consumed = vmx_init_consumed,
	.vcpu_flush_tlb = vmx_vcpu_flush_tlb,
	.state_msr = vmx_state_msr,
	.exc_inject = vmx_exc_inject,
	.cpuid_adjust = vmx_cpuid_adjust,
	.tpr_get = vmx_tpr_get,
	.tpr_set = vmx_tpr_set,
	.intr_ready = vmx_intr_ready,
	.intr_inject = vmx_intr_inject,
	.intr_window = vmx_intr_window,
	.nmi_ready = vmx_nmi_ready,
	.nmi_inject = vmx_nmi_inject,
	.nmi_window = vmx_nmi_window,
	.vid_page = vmx_vid_page,
	.vid_status = vmx_vid_status,
};
