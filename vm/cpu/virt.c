/*
 * Picks the CPU virtualization back end once at boot, from the CPU's
 * vendor (CPUID 0): SVM on AMD (and Hygon, the same core), VMX on Intel.
 * The back end's probe checks the features it needs.
 * It also names the exit reasons every back end reports (struct vm_exit)
 * and logs the vendor-neutral vCPU state both back ends' dumps start with.
 */
#define LOG_SUBSYS "virt"
#include "vm/cpu/virt.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/hw/cpu.h"

const struct virt_ops *virt_pick(void)
{
	struct cpuid_regs r;
	char vendor[13];

	cpuid(0, 0, &r);
	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = '\0';
	if (!strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine")) {
		if (svm_ops.probe())
			return NULL;
		log_info("CPU virtualization: %s (%s)", svm_ops.name, vendor);
		return &svm_ops;
	}
	if (!strcmp(vendor, "GenuineIntel")) {
		if (vmx_ops.probe())
			return NULL;
		log_info("CPU virtualization: %s (%s)", vmx_ops.name, vendor);
		return &vmx_ops;
	}
	log_warn("CPU vendor \"%s\": no CPU virtualization back end; no guest partitions", vendor);
	return NULL;
}

void vm_exit_msr_operands(const struct vcpu *v, struct vm_exit *x)
{
	if (x->reason != VM_EXIT_MSR_READ && x->reason != VM_EXIT_MSR_WRITE)
		return;
	x->msr.index = (u32)v->regs.rcx;
	x->msr.value = (v->regs.rdx & 0xffffffff) << 32 | (v->regs.rax & 0xffffffff);
}

const char *vm_exit_reason_name(enum vm_exit_reason r)
{
	static const char *const names[VM_EXIT_NR] = {
		[VM_EXIT_NONE] = "none", [VM_EXIT_CPUID] = "cpuid", [VM_EXIT_MSR_READ] = "rdmsr",
		[VM_EXIT_MSR_WRITE] = "wrmsr", [VM_EXIT_IO] = "io", [VM_EXIT_HLT] = "hlt",
		[VM_EXIT_SHUTDOWN] = "shutdown", [VM_EXIT_INIT] = "init", [VM_EXIT_HYPERCALL] = "hypercall",
		[VM_EXIT_NPF] = "npf", [VM_EXIT_INTR] = "intr", [VM_EXIT_FORBIDDEN] = "forbidden",
		[VM_EXIT_EXCEPTION] = "exception", [VM_EXIT_ENTRY_FAILED] = "entry-failed",
		[VM_EXIT_INTR_WINDOW] = "intr-window", [VM_EXIT_SLICE] = "slice", [VM_EXIT_TASK_SWITCH] = "task-switch",
		[VM_EXIT_INVD] = "invd", [VM_EXIT_FAULT] = "fault",
		[VM_EXIT_UNKNOWN] = "unknown",
	};
	return r < VM_EXIT_NR && names[r] ? names[r] : "?";
}

void vcpu_log_state(const struct vcpu *v, const char *who)
{
	log_write(LOG_WARN, who, "rip 0x%016llx rsp 0x%016llx rflags 0x%08llx cpl %u",
		  (unsigned long long)v->rip, (unsigned long long)v->rsp, (unsigned long long)v->rflags, v->cpl);
	log_write(LOG_WARN, who, "cr0 0x%08llx cr2 0x%016llx cr3 0x%016llx cr4 0x%08llx efer 0x%llx",
		  (unsigned long long)v->cr0, (unsigned long long)v->cr2, (unsigned long long)v->cr3,
		  (unsigned long long)v->cr4, (unsigned long long)v->efer);
	log_write(LOG_WARN, who, "rax 0x%016llx rbx 0x%016llx rcx 0x%016llx rdx 0x%016llx",
		  (unsigned long long)v->regs.rax, (unsigned long long)v->regs.rbx,
		  (unsigned long long)v->regs.rcx, (unsigned long long)v->regs.rdx);
}
