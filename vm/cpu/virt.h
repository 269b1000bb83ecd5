/*
 * CPU virtualization as common vm/ code sees it: one ops table per vendor
 * (svm_ops, vmx_ops), picked once at boot from CPUID, as bhyve
 * picks vmm_ops. Common code sees only the vendor-neutral struct vcpu state
 * and decoded struct vm_exit; vm/svm*.c and vm/vmx*.c never call each other.
 */
#ifndef VM_VIRT_H
#define VM_VIRT_H
#include "kernel/types.h"
#include "kernel/pgtable.h"

struct cpu;                     /* kernel/smp.h */
struct cpuid_regs;              /* kernel/hw/cpu.h */

#define RFLAGS_IF               BIT_ULL(9)      /* the guest takes maskable interrupts */

/* General-purpose registers not kept in the VMCB/VMCS (rax is here too: the back end syncs it). */
struct guest_regs {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

enum vcpu_mode {
	VCPU_MODE_LONG64,       /* CR0.PG|PE, CR4.PAE, EFER.LME|LMA, 64-bit CS */
	VCPU_MODE_PROT32,       /* CR0.PE only, flat 32-bit segments (the Multiboot v1 state) */
	/*
	 * Real mode as a SIPI leaves an AP (Intel SDM vol 3 9.4 "Multiple-
	 * Processor (MP) Initialization", 10.1 "Initialization Overview"):
	 * CR0.PE clear, CS = real_cs with base real_cs << 4, the other
	 * segments 0, every limit 0xffff, ip = rip.
	 */
	VCPU_MODE_REAL16,
};

/* Where a vCPU starts. */
struct vcpu_entry {
	enum vcpu_mode mode;
	u64 rip, rsp, rflags;
	u64 cr3;                /* LONG64: the guest's PML4 (GPA) */
	u64 gdt_base;           /* GPA of a GDT the guest may reload from; 0 = none */
	u16 gdt_limit;
	u16 real_cs;            /* REAL16: the CS selector (a SIPI's vector << 8) */
	struct guest_regs regs; /* e.g. rdi = start info, or eax/ebx for Multiboot */
};

/* What a partition allows a vCPU to reach directly; everything else exits. */
struct vcpu_policy {
	/* I/O ports passed through (the partition's devices' I/O BARs): [base, base+len). */
	u32 nr_io;
	struct { u16 base, len; } io[8];
};

enum vm_exit_reason {
	VM_EXIT_NONE = 0,
	VM_EXIT_CPUID,
	VM_EXIT_MSR_READ,       /* msr.index; result to rax/rdx */
	VM_EXIT_MSR_WRITE,      /* msr.index, msr.value (from edx:eax) */
	VM_EXIT_IO,             /* io.* */
	VM_EXIT_HLT,
	VM_EXIT_SHUTDOWN,       /* triple fault */
	VM_EXIT_INIT,           /* INIT signal (physical, e.g. another CPU's INIT IPI) */
	VM_EXIT_HYPERCALL,      /* VMMCALL / VMCALL */
	VM_EXIT_NPF,            /* npf.*: nested/EPT page fault */
	VM_EXIT_INTR,           /* a physical interrupt arrived (e.g. smp_kick): nothing for the guest */
	VM_EXIT_FORBIDDEN,      /* an instruction a partition does not have (VMRUN, VMXON, MONITOR, RSM, ...): #UD in the guest */
	VM_EXIT_TASK_SWITCH,    /* a hardware task switch (a task gate, a far jump to a TSS): not emulated */
	VM_EXIT_INVD,           /* INVD: done as a no-op (the guest's memory is write-back; its dirty lines stay) */
	VM_EXIT_FAULT,          /* the back end found the exiting instruction faults (exc.*, e.g. XSETBV's #GP): injected */
	VM_EXIT_EXCEPTION,      /* an intercepted guest exception (exc.vector, exc.error_code) */
	VM_EXIT_ENTRY_FAILED,   /* the hardware refused the guest state (VMEXIT_INVALID / VM-entry failure) */
	VM_EXIT_INTR_WINDOW,    /* the guest can take an interrupt now (asked for with intr_window) */
	VM_EXIT_SLICE,          /* the back end's own time slice ended (VMX-preemption timer): nothing for the guest */
	VM_EXIT_UNKNOWN,        /* hw_code says what */
	VM_EXIT_NR
};

struct vm_exit {
	enum vm_exit_reason reason;
	u64 hw_code;            /* the vendor's exit code, for logs and counters */
	u64 info1, info2;       /* the vendor's raw exit information, for logs */
	u32 insn_len;           /* length of the exiting instruction when the hardware said (0: decode at rip) */
	union {
		struct { u16 port; u8 size; bool in, string, rep; } io;
		struct { u32 index; u64 value; } msr;
		struct { u64 gpa; bool write, fetch, present; } npf;
		struct { u8 vector; bool has_error; u32 error_code; } exc;
	};
};

/*
 * A vCPU: vendor-neutral state the back end fills in after every exit
 * (registers, control registers, mode) and loads before the next entry
 * (registers, rip, rsp, rflags: what common code may change). hw is the
 * back end's (VMCB, save areas).
 */
struct vcpu {
	struct partition *part;
	u32 cpu;                /* physical CPU index */
	u32 tag;                /* ASID (SVM) / VPID (VMX) */
	u64 pt_root;            /* the nested table's root (nCR3 / EPTP address) */
	struct guest_regs regs;
	u64 rip, rsp, rflags;
	u64 cr0, cr2, cr3, cr4, efer;   /* read-only for common code */
	u8 cpl;
	bool cs_long, cs_db;    /* CS.L, CS.D: 64-bit / 32-bit default operand size */
	u64 cs_base;            /* CS base: rip is relative to it outside 64-bit mode (real mode: selector << 4) */
	void *hw;
};

struct virt_ops {
	const char *name;                               /* "svm" or "vmx" */
	const char *tag_name;                           /* what struct vcpu's tag is called: "ASID" or "VPID" */
	enum pt_format pt_format;                       /* PT_FMT_NPT or PT_FMT_EPT */
	/* The large leaves the nested table may use (PT_LARGE_*); NULL: 2 MiB and 1 GiB. After probe. */
	u32 (*pt_large)(void);
	/* Whether this CPU can run it (logs what is missing). 0 or -HV_ENOTSUP. */
	int (*probe)(void);
	/* On each physical CPU that will run a vCPU, from that CPU. */
	int (*cpu_enable)(struct cpu *c);
	/* Allocates the back end's state and sets the entry state. From the vCPU's CPU. */
	int (*vcpu_init)(struct vcpu *v, const struct vcpu_entry *e, const struct vcpu_policy *pol);
	/* Enters the guest until the next exit, decoded into *exit. 0, or -HV_E* when entry itself failed. */
	int (*vcpu_run)(struct vcpu *v, struct vm_exit *exit);
	/* The guest's TLB entries (its ASID/VPID) go at the next entry: the nested table changed. */
	void (*vcpu_flush_tlb)(struct vcpu *v);
	/*
	 * Whether an INIT that reaches a CPU running a guest is consumed there
	 * (the guest exits and goes on) instead of resetting the CPU. After probe.
	 */
	bool (*init_consumed)(void);
	/*
	 * MSRs whose guest value lives in the back end's guest state (VMCB,
	 * VMCS): EFER (a write already checked with msr_efer_valid: SCE, LME,
	 * NXE the guest's; LMA stays the CPU's, SVME Sluice's and hidden from
	 * reads) and IA32_PAT (checked with msr_pat_valid). In the guest state
	 * from the next entry on. 0, or -HV_ENOENT for any other MSR.
	 */
	int (*state_msr)(struct vcpu *v, u32 msr, bool write, u64 *val);
	/*
	 * Raises exception vector in the guest at the next entry, as the CPU
	 * raises a fault at the current rip (rip is not moved; the guest's
	 * IDT handler runs). has_error: push error (dropped in real mode,
	 * where no exception pushes one). Replaces an interrupt queued for the
	 * same entry (intr_ready is false until it is delivered).
	 */
	void (*exc_inject)(struct vcpu *v, u8 vector, bool has_error, u32 error);
	/*
	 * Takes out of CPUID leaf/sub's answer what this back end cannot give a
	 * guest on this CPU (e.g. VMX without "enable RDTSCP": RDTSCP and
	 * RDPID raise #UD in the guest). After probe. NULL: nothing.
	 */
	void (*cpuid_adjust)(u32 leaf, u32 sub, struct cpuid_regs *r);
	/*
	 * External interrupts for the guest (its local APIC's vectors, vm/dev/vlapic.h).
	 * intr_ready: whether the guest takes one at the next entry (RFLAGS.IF
	 * set, no STI/MOV SS shadow, no event already queued or being
	 * re-delivered after an exit that interrupted its delivery).
	 * intr_inject: delivers vector at the next entry through the event
	 * injection field (call only when ready). intr_window: on, the guest
	 * exits with VM_EXIT_INTR_WINDOW as soon as it can take one; off
	 * cancels. All from the vCPU's CPU, after vcpu_init.
	 */
	/*
	 * The guest's task priority as MOV CR8 left it (TPR[7:4] in bits 7:4;
	 * SVM V_TPR, VMX the TPR shadow of the virtual-APIC page), and set
	 * before an entry from the local APIC's TPR. CR8 never reaches the
	 * CPU's own TPR.
	 */
	u8 (*tpr_get)(struct vcpu *v);
	void (*tpr_set)(struct vcpu *v, u8 tpr);
	bool (*intr_ready)(struct vcpu *v);
	void (*intr_inject)(struct vcpu *v, u8 vector);
	void (*intr_window)(struct vcpu *v, bool on);
	/*
	 * NMIs for the guest (an NMI IPI from its own local APIC): nmi_ready
	 * whether one can be injected at the next entry (NMIs not blocked by
	 * an earlier NMI's handler, which they are until its IRET completes;
	 * no event already queued); nmi_inject queues one (vector 2);
	 * nmi_window on makes the guest exit as soon as NMIs are unblocked.
	 * NULL: this back end or CPU cannot block NMIs for the guest
	 * (VMX without "virtual NMIs"), and guests' NMI IPIs are dropped.
	 */
	bool (*nmi_ready)(struct vcpu *v);
	void (*nmi_inject)(struct vcpu *v);
	void (*nmi_window)(struct vcpu *v, bool on);
	/*
	 * Virtual-interrupt delivery (VMX where the CPU offers it): the vCPU's
	 * virtual-APIC page, whose VIRR and VISR the guest's vectors go
	 * through instead of intr_inject (vlapic_vid_enter/exit), or NULL
	 * when this back end or CPU injects. vid_status sets RVI and SVI for
	 * the next entry. NULL ops: never. From the vCPU's CPU.
	 */
	u8 *(*vid_page)(struct vcpu *v);
	void (*vid_status)(struct vcpu *v, u16 status);
	/* Logs the guest state (registers, control registers, segments), a few lines. */
	void (*vcpu_dump)(const struct vcpu *v, const char *who);
};

extern const struct virt_ops svm_ops, vmx_ops;
/* The back end for this CPU's vendor, or NULL (logged). */
const struct virt_ops *virt_pick(void);
const char *vm_exit_reason_name(enum vm_exit_reason r);
/*
 * RDMSR/WRMSR exits: the MSR (ECX) and, for a write, EDX:EAX from the
 * vCPU's registers (Intel SDM vol 2 RDMSR/WRMSR; neither the VMCB nor the
 * exit qualification carries them). Both back ends call it after an exit.
 */
void vm_exit_msr_operands(const struct vcpu *v, struct vm_exit *x);
/* Logs rip/rsp/rflags/cpl, the control registers and rax..rdx, three WARN lines under who. */
void vcpu_log_state(const struct vcpu *v, const char *who);

#endif
