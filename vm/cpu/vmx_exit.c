/*
 * VMX exit decoding: the exit reason, qualification and interruption
 * information a VM exit leaves in the VMCS, turned into the vendor-neutral
 * struct vm_exit; and the SDM's words for exit reasons and VM-instruction
 * errors, for the log.
 * Spec: Intel SDM Vol. 3C 28.2 "Recording VM-Exit Information ..." (exit
 * qualifications for I/O instructions and EPT violations), 25.9 "VM-Exit
 * Information Fields", 31.4 "VM Instruction Error Numbers", Vol. 3D
 * appendix C "VMX Basic Exit Reasons". Portable: reads no VMCS itself.
 */
#include "vm/cpu/vmx.h"
#include "kernel/lib.h"

/* Appendix C, in the SDM's words. */
static const char *const exit_names[VMX_EXIT_NR] = {
	[VMX_EXIT_EXCEPTION_NMI] = "Exception or non-maskable interrupt (NMI)",
	[VMX_EXIT_EXTERNAL_INTERRUPT] = "External interrupt",
	[VMX_EXIT_TRIPLE_FAULT] = "Triple fault",
	[VMX_EXIT_INIT] = "INIT signal",
	[VMX_EXIT_SIPI] = "Start-up IPI (SIPI)",
	[VMX_EXIT_IO_SMI] = "I/O system-management interrupt (SMI)",
	[VMX_EXIT_OTHER_SMI] = "Other SMI",
	[VMX_EXIT_INTERRUPT_WINDOW] = "Interrupt window",
	[VMX_EXIT_NMI_WINDOW] = "NMI window",
	[VMX_EXIT_TASK_SWITCH] = "Task switch",
	[VMX_EXIT_CPUID] = "CPUID", [VMX_EXIT_GETSEC] = "GETSEC", [VMX_EXIT_HLT] = "HLT",
	[VMX_EXIT_INVD] = "INVD", [VMX_EXIT_INVLPG] = "INVLPG", [VMX_EXIT_RDPMC] = "RDPMC",
	[VMX_EXIT_RDTSC] = "RDTSC", [VMX_EXIT_RSM] = "RSM", [VMX_EXIT_VMCALL] = "VMCALL",
	[VMX_EXIT_VMCLEAR] = "VMCLEAR", [VMX_EXIT_VMLAUNCH] = "VMLAUNCH", [VMX_EXIT_VMPTRLD] = "VMPTRLD",
	[VMX_EXIT_VMPTRST] = "VMPTRST", [VMX_EXIT_VMREAD] = "VMREAD", [VMX_EXIT_VMRESUME] = "VMRESUME",
	[VMX_EXIT_VMWRITE] = "VMWRITE", [VMX_EXIT_VMXOFF] = "VMXOFF", [VMX_EXIT_VMXON] = "VMXON",
	[VMX_EXIT_CR_ACCESS] = "Control-register accesses",
	[VMX_EXIT_MOV_DR] = "MOV DR",
	[VMX_EXIT_IO_INSTRUCTION] = "I/O instruction",
	[VMX_EXIT_RDMSR] = "RDMSR", [VMX_EXIT_WRMSR] = "WRMSR",
	[VMX_EXIT_INVALID_GUEST_STATE] = "VM-entry failure due to invalid guest state",
	[VMX_EXIT_MSR_LOADING] = "VM-entry failure due to MSR loading",
	[VMX_EXIT_MWAIT] = "MWAIT",
	[VMX_EXIT_MONITOR_TRAP_FLAG] = "Monitor trap flag",
	[VMX_EXIT_MONITOR] = "MONITOR", [VMX_EXIT_PAUSE] = "PAUSE",
	[VMX_EXIT_MACHINE_CHECK] = "VM-entry failure due to machine-check event",
	[VMX_EXIT_TPR_BELOW_THRESHOLD] = "TPR below threshold",
	[VMX_EXIT_APIC_ACCESS] = "APIC access",
	[VMX_EXIT_VIRTUALIZED_EOI] = "Virtualized EOI",
	[VMX_EXIT_GDTR_IDTR] = "Access to GDTR or IDTR",
	[VMX_EXIT_LDTR_TR] = "Access to LDTR or TR",
	[VMX_EXIT_EPT_VIOLATION] = "EPT violation",
	[VMX_EXIT_EPT_MISCONFIG] = "EPT misconfiguration",
	[VMX_EXIT_INVEPT] = "INVEPT", [VMX_EXIT_RDTSCP] = "RDTSCP",
	[VMX_EXIT_PREEMPTION_TIMER] = "VMX-preemption timer expired",
	[VMX_EXIT_INVVPID] = "INVVPID", [VMX_EXIT_WBINVD] = "WBINVD or WBNOINVD", [VMX_EXIT_XSETBV] = "XSETBV",
	[VMX_EXIT_APIC_WRITE] = "APIC write", [VMX_EXIT_RDRAND] = "RDRAND", [VMX_EXIT_INVPCID] = "INVPCID",
	[VMX_EXIT_VMFUNC] = "VMFUNC", [VMX_EXIT_ENCLS] = "ENCLS", [VMX_EXIT_RDSEED] = "RDSEED",
	[VMX_EXIT_PML_FULL] = "Page-modification log full",
	[VMX_EXIT_XSAVES] = "XSAVES", [VMX_EXIT_XRSTORS] = "XRSTORS",
};

const char *vmx_exit_name(u32 basic)
{
	return basic < VMX_EXIT_NR && exit_names[basic] ? exit_names[basic] : "?";
}

/* 31.4, table "VM-Instruction Error Numbers", in the SDM's words. */
static const char *const insn_errors[VMXERR_NR] = {
	[VMXERR_VMCALL_IN_ROOT] = "VMCALL executed in VMX root operation",
	[VMXERR_VMCLEAR_BAD_ADDR] = "VMCLEAR with invalid physical address",
	[VMXERR_VMCLEAR_VMXON_PTR] = "VMCLEAR with VMXON pointer",
	[VMXERR_VMLAUNCH_NOT_CLEAR] = "VMLAUNCH with non-clear VMCS",
	[VMXERR_VMRESUME_NOT_LAUNCHED] = "VMRESUME with non-launched VMCS",
	[VMXERR_VMRESUME_AFTER_VMXOFF] = "VMRESUME after VMXOFF (VMXOFF and VMXON between VMLAUNCH and VMRESUME)",
	[VMXERR_ENTRY_BAD_CONTROLS] = "VM entry with invalid control field(s)",
	[VMXERR_ENTRY_BAD_HOST_STATE] = "VM entry with invalid host-state field(s)",
	[VMXERR_VMPTRLD_BAD_ADDR] = "VMPTRLD with invalid physical address",
	[VMXERR_VMPTRLD_VMXON_PTR] = "VMPTRLD with VMXON pointer",
	[VMXERR_VMPTRLD_BAD_REVISION] = "VMPTRLD with incorrect VMCS revision identifier",
	[VMXERR_UNSUPPORTED_FIELD] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[VMXERR_VMWRITE_READ_ONLY] = "VMWRITE to read-only VMCS component",
	[VMXERR_VMXON_IN_ROOT] = "VMXON executed in VMX root operation",
	[VMXERR_ENTRY_BAD_EXEC_VMCS] = "VM entry with invalid executive-VMCS pointer",
	[VMXERR_ENTRY_NONLAUNCHED_EXEC] = "VM entry with non-launched executive VMCS",
	[VMXERR_ENTRY_EXEC_NOT_VMXON] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[VMXERR_VMCALL_NONCLEAR] = "VMCALL with non-clear VMCS",
	[VMXERR_VMCALL_BAD_EXIT_CTLS] = "VMCALL with invalid VM-exit control fields",
	[VMXERR_VMCALL_BAD_MSEG_REV] = "VMCALL with incorrect MSEG revision identifier",
	[VMXERR_VMXOFF_DUAL_MONITOR] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[VMXERR_VMCALL_BAD_SMM_FEATURES] = "VMCALL with invalid SMM-monitor features",
	[VMXERR_ENTRY_BAD_EXEC_CONTROLS] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[VMXERR_ENTRY_MOV_SS_BLOCKING] = "VM entry with events blocked by MOV SS",
	[VMXERR_INVEPT_INVVPID_BAD_OPERAND] = "Invalid operand to INVEPT/INVVPID",
};

const char *vmx_insn_error_name(u32 err)
{
	return err < VMXERR_NR && insn_errors[err] ? insn_errors[err] : "?";
}

/* Basic reasons that map one to one. */
static const struct { u16 basic; enum vm_exit_reason reason; } simple_exits[] = {
	{ VMX_EXIT_EXTERNAL_INTERRUPT, VM_EXIT_INTR },
	{ VMX_EXIT_INTERRUPT_WINDOW, VM_EXIT_INTR_WINDOW },
	{ VMX_EXIT_NMI_WINDOW, VM_EXIT_INTR_WINDOW },
	{ VMX_EXIT_PREEMPTION_TIMER, VM_EXIT_SLICE },
	{ VMX_EXIT_IO_SMI, VM_EXIT_INTR },
	{ VMX_EXIT_OTHER_SMI, VM_EXIT_INTR },
	{ VMX_EXIT_TRIPLE_FAULT, VM_EXIT_SHUTDOWN },
	{ VMX_EXIT_INIT, VM_EXIT_INIT },
	{ VMX_EXIT_CPUID, VM_EXIT_CPUID },
	{ VMX_EXIT_HLT, VM_EXIT_HLT },
	{ VMX_EXIT_VMCALL, VM_EXIT_HYPERCALL },
	{ VMX_EXIT_RDMSR, VM_EXIT_MSR_READ },
	{ VMX_EXIT_WRMSR, VM_EXIT_MSR_WRITE },
	{ VMX_EXIT_TASK_SWITCH, VM_EXIT_TASK_SWITCH },
	{ VMX_EXIT_INVD, VM_EXIT_INVD },
	/* Instructions a partition does not have (#UD in the guest): VMX itself, SMX, SMM, MONITOR/MWAIT. */
	{ VMX_EXIT_GETSEC, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_RSM, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_VMCLEAR, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_VMLAUNCH, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_VMPTRLD, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_VMPTRST, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_VMREAD, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_VMRESUME, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_VMWRITE, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_VMXOFF, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_VMXON, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_INVEPT, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_INVVPID, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_VMFUNC, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_MWAIT, VM_EXIT_FORBIDDEN },
	{ VMX_EXIT_MONITOR, VM_EXIT_FORBIDDEN },
	/* vmx.c does a valid one for the guest, or makes it the #GP a CPU raises. */
	{ VMX_EXIT_XSETBV, VM_EXIT_FAULT },
	{ VMX_EXIT_INVALID_GUEST_STATE, VM_EXIT_ENTRY_FAILED },
	{ VMX_EXIT_MSR_LOADING, VM_EXIT_ENTRY_FAILED },
	{ VMX_EXIT_MACHINE_CHECK, VM_EXIT_ENTRY_FAILED },
};

/* Exits caused by an instruction whose length the VMCS reports (25.9.4 "Information for VM Exits Due to Instruction Execution"). */
static bool has_insn_len(enum vm_exit_reason r)
{
	return r == VM_EXIT_CPUID || r == VM_EXIT_MSR_READ || r == VM_EXIT_MSR_WRITE || r == VM_EXIT_HLT ||
	       r == VM_EXIT_HYPERCALL || r == VM_EXIT_IO || r == VM_EXIT_INVD;
}

void vmx_decode_exit(const struct vmx_exit_info *in, struct vm_exit *x)
{
	u32 basic = (u32)FIELD_GET(VMX_EXIT_REASON_BASIC, in->reason);
	u64 q = in->qual;

	memset(x, 0, sizeof(*x));
	x->hw_code = in->reason;
	x->info1 = q;
	x->info2 = in->gpa;
	x->reason = VM_EXIT_UNKNOWN;
	/* 27.8 "VM-Entry Failures During or After Loading Guest State": bit 31, the basic reason says why. */
	if (in->reason & VMX_EXIT_REASON_ENTRY_FAILURE) {
		x->reason = VM_EXIT_ENTRY_FAILED;
		return;
	}
	for (u32 i = 0; i < ARRAY_SIZE(simple_exits); i++)
		if (simple_exits[i].basic == basic)
			x->reason = simple_exits[i].reason;
	if (basic == VMX_EXIT_EXCEPTION_NMI) {
		u32 type = (u32)FIELD_GET(INTR_INFO_TYPE, in->intr_info);
		x->info2 = in->intr_info;
		if (type == INTR_TYPE_NMI) {
			x->reason = VM_EXIT_INTR;       /* NMI exiting: the run code passes it on to Sluice */
		} else {
			x->reason = VM_EXIT_EXCEPTION;
			x->exc.vector = (u8)FIELD_GET(INTR_INFO_VECTOR, in->intr_info);
			x->exc.has_error = in->intr_info & INTR_INFO_ERROR_CODE_VALID;
			x->exc.error_code = x->exc.has_error ? in->intr_error : 0;
		}
	} else if (basic == VMX_EXIT_IO_INSTRUCTION) {
		x->reason = VM_EXIT_IO;
		x->io.port = (u16)FIELD_GET(IO_QUAL_PORT, q);
		x->io.size = (u8)(FIELD_GET(IO_QUAL_SIZE_MINUS1, q) + 1);
		x->io.in = q & IO_QUAL_IN;
		x->io.string = q & IO_QUAL_STRING;
		x->io.rep = q & IO_QUAL_REP;
	} else if (basic == VMX_EXIT_EPT_VIOLATION) {
		x->reason = VM_EXIT_NPF;
		x->npf.gpa = in->gpa;
		x->npf.write = q & EPT_QUAL_WRITE;
		x->npf.fetch = q & EPT_QUAL_FETCH;
		/* Bits 5:3 say what the entries allowed: any set means the GPA was mapped. */
		x->npf.present = q & (EPT_QUAL_READABLE | EPT_QUAL_WRITABLE | EPT_QUAL_EXECUTABLE);
	}
	if (has_insn_len(x->reason) && in->insn_len >= 1 && in->insn_len <= 15)
		x->insn_len = in->insn_len;
}
