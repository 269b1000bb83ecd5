/*
 * Door: the VMX instructions (Intel SDM Vol. 3C chapter 31 "VMX Instruction
 * Reference") and the host state a VMCS needs that only instructions read.
 * Each VMX instruction reports through RFLAGS (31.2 "Conventions"): CF set
 * is VMfailInvalid (no current VMCS), ZF set is VMfailValid (the current
 * VMCS's VM-instruction error field says why).
 * vmx_hw_run() writes HOST_RSP and HOST_RIP of the current VMCS, loads the
 * guest's general registers from *regs, enters with VMLAUNCH (launched
 * false) or VMRESUME, and at the VM exit stores them back and restores the
 * host's RFLAGS (a VM exit clears IF: an interrupt that made the guest
 * exit is taken then).
 */
#ifndef KERNEL_HW_VMX_H
#define KERNEL_HW_VMX_H
#include "kernel/types.h"

struct guest_regs;

#define VMX_OK                  0
#define VMX_FAIL_INVALID        1       /* CF = 1 */
#define VMX_FAIL_VALID          2       /* ZF = 1: read VM-instruction error */

int vmx_hw_vmxon(u64 region_pa);
int vmx_hw_vmclear(u64 vmcs_pa);
int vmx_hw_vmptrld(u64 vmcs_pa);
/* The current VMCS's field (encoding from vm/cpu/vmx_hw.h); 0 when the read fails. */
u64 vmcs_read(u32 field);
int vmcs_write(u32 field, u64 val);
int vmx_hw_invept(u32 type, u64 eptp);
int vmx_hw_invvpid(u32 type, u16 vpid, u64 gla);
/* VM_OK after a VM exit (guest registers in *regs), VMX_FAIL_* when VMLAUNCH/VMRESUME failed. */
int vmx_hw_run(struct guest_regs *regs, bool launched);
/*
 * XSETBV on this CPU for a guest (VMX makes every guest XSETBV exit; XCR0 is
 * not switched, as on SVM where the guest writes it directly). Sets
 * CR4.OSXSAVE for the instruction if Sluice runs without it.
 */
void vmx_hw_xsetbv(u32 xcr, u64 val);
/* Passes an NMI that a VM exit consumed (NMI exiting) on to Sluice's own handler (INT 2). */
void vmx_hw_nmi(void);

/* What a VMCS's host-state area needs from this CPU's registers and tables (25.5 "Host-State Area"). */
struct vmx_host_state {
	u64 cr0, cr3, cr4;
	u64 gdt_base, idt_base, tr_base;
	u16 cs, ss, ds, es, fs, gs, tr;
};
void vmx_hw_host_state(struct vmx_host_state *h);
/* CR0, CR2 or CR4 (n = 0, 2, 4) of this CPU; writes take CR0 or CR4. */
u64 vmx_hw_read_cr(unsigned n);
void vmx_hw_write_cr(unsigned n, u64 val);

#endif
