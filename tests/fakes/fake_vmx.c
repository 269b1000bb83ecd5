/* A fake VMX CPU: VMCS field tables per region, launch states, a guest hook (tests/fakes/fake_vmx.h). */
#include <stdlib.h>
#include <string.h>
#include "kernel/hw/vmx.h"
#include "kernel/hw/mem.h"
#include "vm/cpu/vmx_hw.h"
#include "tests/fakes/fake_vmx.h"

#define MAX_VMCS        8
#define NR_ENC          0x8000          /* encodings are 15 bits (appendix B) */

static struct { u64 pa; bool launched; u64 *f; } vmcs[MAX_VMCS];
static int cur = -1;
static u64 vmxon_pa;
static u32 revision = 0x2b;
void (*fake_vmx_guest)(struct guest_regs *regs);
u64 fake_vmx_cr[5];
unsigned fake_vmx_launches, fake_vmx_resumes, fake_vmx_nmis, fake_vmx_invept, fake_vmx_invvpid, fake_vmx_xsetbvs;
u64 fake_vmx_xcr0;
u32 fake_vmx_last_invept_type, fake_vmx_last_invvpid_type;
u64 fake_vmx_last_invept_eptp;
u16 fake_vmx_last_invvpid_vpid;

void fake_vmx_reset(void)
{
	for (int i = 0; i < MAX_VMCS; i++) {
		free(vmcs[i].f);
		vmcs[i].f = NULL;
		vmcs[i].pa = 0;
	}
	cur = -1;
	vmxon_pa = 0;
	revision = 0x2b;
	fake_vmx_guest = NULL;
	memset(fake_vmx_cr, 0, sizeof(fake_vmx_cr));
	fake_vmx_cr[0] = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
	fake_vmx_cr[4] = X86_CR4_PAE;
	fake_vmx_launches = fake_vmx_resumes = fake_vmx_nmis = fake_vmx_invept = fake_vmx_invvpid = 0;
	fake_vmx_xsetbvs = 0;
	fake_vmx_xcr0 = 1;
}

void fake_vmx_set_revision(u32 rev)
{
	revision = rev;
}

static bool revision_ok(u64 pa)
{
	const u32 *r = phys_to_virt(pa, 4);
	return r && *r == revision;
}

static int slot(u64 pa, bool create)
{
	for (int i = 0; i < MAX_VMCS; i++)
		if (vmcs[i].f && vmcs[i].pa == pa)
			return i;
	if (!create)
		return -1;
	for (int i = 0; i < MAX_VMCS; i++)
		if (!vmcs[i].f) {
			vmcs[i].f = calloc(NR_ENC, sizeof(u64));
			vmcs[i].pa = pa;
			vmcs[i].launched = false;
			return i;
		}
	abort();                /* more VMCSs than the fake holds */
}

/* VMfailValid with an error number in the current VMCS, or VMfailInvalid without one. */
static int fail(u32 err)
{
	if (cur < 0)
		return VMX_FAIL_INVALID;
	vmcs[cur].f[VMCS_VM_INSTRUCTION_ERROR] = err;
	return VMX_FAIL_VALID;
}

int vmx_hw_vmxon(u64 pa)
{
	if (!(fake_vmx_cr[4] & X86_CR4_VMXE))
		abort();        /* #UD on real hardware */
	if (vmxon_pa)
		return fail(VMXERR_VMXON_IN_ROOT);
	if (!pa || !IS_ALIGNED(pa, PAGE_SIZE) || !revision_ok(pa))
		return VMX_FAIL_INVALID;
	vmxon_pa = pa;
	return VMX_OK;
}

int vmx_hw_vmclear(u64 pa)
{
	if (!vmxon_pa)
		abort();
	if (!IS_ALIGNED(pa, PAGE_SIZE))
		return fail(VMXERR_VMCLEAR_BAD_ADDR);
	if (pa == vmxon_pa)
		return fail(VMXERR_VMCLEAR_VMXON_PTR);
	int i = slot(pa, true);
	vmcs[i].launched = false;
	if (cur == i)
		cur = -1;
	return VMX_OK;
}

int vmx_hw_vmptrld(u64 pa)
{
	if (!vmxon_pa)
		abort();
	if (pa == vmxon_pa)
		return fail(VMXERR_VMPTRLD_VMXON_PTR);
	if (!revision_ok(pa))
		return fail(VMXERR_VMPTRLD_BAD_REVISION);
	cur = slot(pa, true);
	return VMX_OK;
}

u64 vmcs_read(u32 field)
{
	if (cur < 0 || field >= NR_ENC)
		return 0;
	return vmcs[cur].f[field];
}

int vmcs_write(u32 field, u64 val)
{
	if (cur < 0)
		return VMX_FAIL_INVALID;
	if (field >= NR_ENC || (field & VMCS_ENC_RESERVED))
		return fail(VMXERR_UNSUPPORTED_FIELD);
	if (FIELD_GET(VMCS_ENC_TYPE, field) == VMCS_TYPE_EXIT_INFO)
		return fail(VMXERR_VMWRITE_READ_ONLY);
	vmcs[cur].f[field] = val;
	return VMX_OK;
}

int vmx_hw_invept(u32 type, u64 eptp)
{
	fake_vmx_invept++;
	fake_vmx_last_invept_type = type;
	fake_vmx_last_invept_eptp = eptp;
	return VMX_OK;
}

int vmx_hw_invvpid(u32 type, u16 vpid, u64 gla)
{
	(void)gla;
	fake_vmx_invvpid++;
	fake_vmx_last_invvpid_type = type;
	fake_vmx_last_invvpid_vpid = vpid;
	return VMX_OK;
}

int vmx_hw_run(struct guest_regs *regs, bool launched)
{
	if (cur < 0)
		return VMX_FAIL_INVALID;
	if (!launched && vmcs[cur].launched)
		return fail(VMXERR_VMLAUNCH_NOT_CLEAR);
	if (launched && !vmcs[cur].launched)
		return fail(VMXERR_VMRESUME_NOT_LAUNCHED);
	if (launched)
		fake_vmx_resumes++;
	else
		fake_vmx_launches++;
	vmcs[cur].launched = true;
	if (fake_vmx_guest)
		fake_vmx_guest(regs);
	return VMX_OK;
}

void vmx_hw_xsetbv(u32 xcr, u64 val)
{
	fake_vmx_xsetbvs++;
	fake_vmx_xcr0 = xcr == 0 ? val : fake_vmx_xcr0;
}

void vmx_hw_nmi(void)
{
	fake_vmx_nmis++;
}

void vmx_hw_host_state(struct vmx_host_state *h)
{
	*h = (struct vmx_host_state){
		.cr0 = fake_vmx_cr[0], .cr3 = fake_vmx_cr[3], .cr4 = fake_vmx_cr[4],
		.gdt_base = 0xffff800000101000ULL, .idt_base = 0xffff800000102000ULL,
		.tr_base = 0xffff800000103000ULL,
		.cs = 0x08, .ss = 0x10, .ds = 0x10, .es = 0x10, .fs = 0, .gs = 0, .tr = 0x18,
	};
}

u64 vmx_hw_read_cr(unsigned n)
{
	return n < 5 ? fake_vmx_cr[n] : 0;
}

void vmx_hw_write_cr(unsigned n, u64 val)
{
	if (n == 0 || n == 4)
		fake_vmx_cr[n] = val;
}

u64 fake_vmcs_get(u64 pa, u32 field)
{
	int i = slot(pa, false);
	return i < 0 || field >= NR_ENC ? 0 : vmcs[i].f[field];
}

void fake_vmcs_set(u32 field, u64 val)
{
	if (cur < 0 || field >= NR_ENC)
		abort();
	vmcs[cur].f[field] = val;
}

u64 fake_vmx_current(void)
{
	return cur < 0 ? ~0ULL : vmcs[cur].pa;
}

u64 fake_vmx_vmxon_pa(void)
{
	return vmxon_pa;
}
