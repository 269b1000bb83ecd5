/*
 * The SVM back end's portable pieces, for vm/cpu/svm.c and its host tests:
 * the VMCB set-up from a vendor-neutral entry state, the permission maps
 * and the exit decoder. The ops table is svm_ops (vm/cpu/virt.h).
 */
#ifndef VM_SVM_H
#define VM_SVM_H
#include "vm/cpu/virt.h"
#include "vm/cpu/svm_hw.h"

/* Fills the 12 KiB IOPM: every port intercepted except the policy's ranges. */
void svm_iopm_fill(u8 *iopm, const struct vcpu_policy *pol);
/* Fills the 8 KiB MSRPM: every MSR intercepted except the MSR_PASS ones of vm/cpu/msr.c. */
void svm_msrpm_fill(u8 *msrpm);
/* Whether the MSRPM intercepts a read (write = false) or write of msr. */
bool svm_msrpm_intercepts(const u8 *msrpm, u32 msr, bool write);
/* Control area (intercepts, ASID, nested paging, maps) and guest state for entry e. */
void svm_vmcb_setup(struct vmcb *vmcb, const struct vcpu_entry *e, u32 asid, u64 ncr3,
		    u64 iopm_pa, u64 msrpm_pa);
/*
 * Decodes the VMCB's exit into *exit (vendor-neutral). rip is the guest's
 * RIP at the exit; nrips says whether the VMCB's next_rip is valid.
 */
void svm_decode_exit(const struct vmcb *vmcb, bool nrips, struct vm_exit *exit);
/*
 * Interrupt injection on the VMCB (APM 15.20, 15.21): whether an external
 * interrupt can be injected at the next VMRUN with the guest at rip with
 * rflags (IF set, no interrupt shadow at that rip, EVENTINJ free); queue one; ask for the VINTR
 * intercept (a V_IRQ the guest takes as soon as it can, intercepted
 * before delivery) or cancel it; after an exit, put an event whose
 * delivery the exit interrupted (EXITINTINFO) back into EVENTINJ.
 */
bool svm_intr_ready_vmcb(const struct vmcb *vmcb, u64 rip, u64 rflags);
void svm_intr_inject_vmcb(struct vmcb *vmcb, u8 vector);
void svm_intr_window_vmcb(struct vmcb *vmcb, bool on);
void svm_event_requeue(struct vmcb *vmcb);
/*
 * Guest NMIs (APM 15.20, 15.21): SVM does not tell when the guest's NMI
 * handler ends, so after injecting one the back end keeps NMIs blocked
 * itself, intercepts the handler's IRET and single-steps over it (TF, #DB
 * intercepted): the next NMI can go in at the instruction boundary after
 * the IRET, as on a CPU. svm_nmi_exit takes the IRET and #DB exits that are
 * this mechanism's (the guest sees nothing of them: *x becomes
 * VM_EXIT_NONE) and returns whether it did.
 */
struct svm_nmi {
	bool masked, stepping, tf_set;
	bool window;            /* the interrupt window is wanted: held off while stepping, so no VINTR lands in the step */
};
bool svm_nmi_ready_vmcb(const struct vmcb *vmcb, const struct svm_nmi *n, u64 rip);
void svm_nmi_inject_vmcb(struct vmcb *vmcb, struct svm_nmi *n);
bool svm_nmi_exit(struct vmcb *vmcb, struct svm_nmi *n, struct vm_exit *x);
/* Interrupts wait while stepping over the IRET (an injected one would push TF into its frame). */
bool svm_intr_ready_nmi(const struct vmcb *vmcb, const struct svm_nmi *n, u64 rip, u64 rflags);
void svm_intr_window_nmi(struct vmcb *vmcb, struct svm_nmi *n, bool on);
/* Queues exception vector (with error when has_error and the guest is in protected mode) for the next VMRUN. */
void svm_exc_inject_vmcb(struct vmcb *vmcb, u8 vector, bool has_error, u32 error);
/* The exit code's name in the APM's words ("NPF", "IOIO", "EXCP" for 0x40-0x5f), "?" when unknown. */
const char *svm_exit_name(u64 code);

/*
 * selftest=svm (vm/cpu/svm_selftest.c): probes, enables SVM on this CPU and
 * runs two tiny guests; one check line per exit decoded as expected.
 * Uses this CPU's vCPU state and a few pages it gives back.
 */
void svm_selftest_run(void);

/*
 * Whether the boot CPU took VM_CR.R_INIT at svm_probe: an INIT outside a
 * guest then becomes #SX instead of a reset. False on QEMU, which does not
 * implement it and resets a CPU right after an INIT intercept
 * (docs/architecture.md, "Containment: interrupts").
 */
bool svm_redirects_init(void);

#endif
