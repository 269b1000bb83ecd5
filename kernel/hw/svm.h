/*
 * Door: the SVM instructions (AMD APM Vol. 2 chapter 15). svm_hw_run()
 * enters a guest and comes back at its next #VMEXIT:
 *   CLGI; VMSAVE host_save_pa (the host's FS/GS/TR/LDTR, KernelGSBase,
 *   STAR family, SYSENTER: VMRUN does not switch them); VMLOAD vmcb_pa;
 *   guest GPRs from *regs (RAX and RSP live in the VMCB); VMRUN vmcb_pa;
 *   GPRs back to *regs; VMSAVE vmcb_pa; VMLOAD host_save_pa; STGI.
 * So the host's GS base (the per-CPU pointer) is back before anything can
 * interrupt; an interrupt that made the guest exit is taken at STGI.
 */
#ifndef KERNEL_HW_SVM_H
#define KERNEL_HW_SVM_H
#include "kernel/types.h"

struct guest_regs;

void svm_hw_run(u64 vmcb_pa, u64 host_save_pa, struct guest_regs *regs);

#endif
