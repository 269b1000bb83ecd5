/*
 * A fake VMX CPU for host tests of vm/cpu/vmx.c: the doors of
 * kernel/hw/vmx.h over VMCS field tables kept per VMCS region. VMXON
 * wants CR4.VMXE and a region with the right revision; VMPTRLD wants the
 * revision too; VMLAUNCH wants a clear VMCS and VMRESUME a launched one
 * (31.4 errors 4 and 5, as the hardware reports them). A "guest" hook runs
 * in place of the guest and leaves the exit the test asks for.
 */
#ifndef TESTS_FAKES_FAKE_VMX_H
#define TESTS_FAKES_FAKE_VMX_H
#include "kernel/types.h"
#include "kernel/hw/vmx.h"

struct guest_regs;

/* Forgets every VMCS and the VMXON state; CRs: CR0 PE|PG|ET, CR4 PAE; revision 0x2b. */
void fake_vmx_reset(void);
void fake_vmx_set_revision(u32 rev);
/* Runs in place of the guest on VMLAUNCH/VMRESUME: sets exit fields with fake_vmcs_set, changes regs. */
extern void (*fake_vmx_guest)(struct guest_regs *regs);
/* A field of the VMCS at vmcs_pa (what VMREAD would give with it current); set writes read-only fields too. */
u64 fake_vmcs_get(u64 vmcs_pa, u32 field);
void fake_vmcs_set(u32 field, u64 val);         /* in the current VMCS */
u64 fake_vmx_current(void);                     /* current-VMCS pointer, ~0 when none */
u64 fake_vmx_vmxon_pa(void);                    /* 0 before VMXON */
extern u64 fake_vmx_cr[5];                      /* CR0..CR4 as the door reads and writes them */
extern unsigned fake_vmx_launches, fake_vmx_resumes, fake_vmx_nmis;
extern unsigned fake_vmx_invept, fake_vmx_invvpid;
extern unsigned fake_vmx_xsetbvs;              /* vmx_hw_xsetbv() calls; XCR0 as last set */
extern u64 fake_vmx_xcr0;
extern u32 fake_vmx_last_invept_type, fake_vmx_last_invvpid_type;
extern u64 fake_vmx_last_invept_eptp;
extern u16 fake_vmx_last_invvpid_vpid;

#endif
