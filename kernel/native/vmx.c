/*
 * Native VMX door (kernel/hw/vmx.h): the VMX instructions as inline
 * assembly with their CF/ZF results, and the host state only instructions
 * read (control registers, descriptor tables, selectors). VMLAUNCH and
 * VMRESUME live in vmx_entry.asm.
 * Spec: Intel SDM Vol. 3C 31.2 "Conventions", 31.3 "VMX Instructions".
 */
#include "kernel/hw/vmx.h"
#include "kernel/native/x86.h"

/* 31.2: CF = VMfailInvalid, ZF = VMfailValid. */
static int result(u8 cf, u8 zf)
{
	return cf ? VMX_FAIL_INVALID : zf ? VMX_FAIL_VALID : VMX_OK;
}

int vmx_hw_vmxon(u64 region_pa)
{
	u8 cf, zf;
	__asm__ volatile("vmxon %2; setc %0; setz %1" : "=qm"(cf), "=qm"(zf) : "m"(region_pa) : "cc", "memory");
	return result(cf, zf);
}

int vmx_hw_vmclear(u64 vmcs_pa)
{
	u8 cf, zf;
	__asm__ volatile("vmclear %2; setc %0; setz %1" : "=qm"(cf), "=qm"(zf) : "m"(vmcs_pa) : "cc", "memory");
	return result(cf, zf);
}

int vmx_hw_vmptrld(u64 vmcs_pa)
{
	u8 cf, zf;
	__asm__ volatile("vmptrld %2; setc %0; setz %1" : "=qm"(cf), "=qm"(zf) : "m"(vmcs_pa) : "cc", "memory");
	return result(cf, zf);
}

u64 vmcs_read(u32 field)
{
	u64 val;
	u8 cf, zf;
	__asm__ volatile("vmread %3, %0; setc %1; setz %2"
			 : "=r"(val), "=qm"(cf), "=qm"(zf) : "r"((u64)field) : "cc");
	return result(cf, zf) ? 0 : val;
}

int vmcs_write(u32 field, u64 val)
{
	u8 cf, zf;
	__asm__ volatile("vmwrite %2, %3; setc %0; setz %1"
			 : "=qm"(cf), "=qm"(zf) : "r"(val), "r"((u64)field) : "cc", "memory");
	return result(cf, zf);
}

int vmx_hw_invept(u32 type, u64 eptp)
{
	struct { u64 eptp, zero; } desc = { eptp, 0 };
	u8 cf, zf;
	__asm__ volatile("invept %2, %3; setc %0; setz %1"
			 : "=qm"(cf), "=qm"(zf) : "m"(desc), "r"((u64)type) : "cc", "memory");
	return result(cf, zf);
}

int vmx_hw_invvpid(u32 type, u16 vpid, u64 gla)
{
	struct { u64 vpid, gla; } desc = { vpid, gla };
	u8 cf, zf;
	__asm__ volatile("invvpid %2, %3; setc %0; setz %1"
			 : "=qm"(cf), "=qm"(zf) : "m"(desc), "r"((u64)type) : "cc", "memory");
	return result(cf, zf);
}

void vmx_hw_xsetbv(u32 xcr, u64 val)
{
	u64 cr4 = read_cr4();
	const u64 osxsave = 1ULL << 18;         /* CR4.OSXSAVE: XSETBV is #UD without it */

	if (!(cr4 & osxsave))
		__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | osxsave) : "memory");
	__asm__ volatile("xsetbv" : : "c"(xcr), "a"((u32)val), "d"((u32)(val >> 32)) : "memory");
	if (!(cr4 & osxsave))
		__asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

void vmx_hw_nmi(void)
{
	__asm__ volatile("int $2" ::: "memory");
}

/* The base of the TSS descriptor at selector tr in the GDT at gdt (16 bytes in long mode, SDM Vol. 3A 8.2.3). */
static u64 tss_base(u64 gdt, u16 tr)
{
	const u64 *d = (const u64 *)(uintptr_t)(gdt + (tr & ~7u));
	return ((d[0] >> 16) & 0xffffff) | ((d[0] >> 56) & 0xff) << 24 | (d[1] & 0xffffffff) << 32;
}

void vmx_hw_host_state(struct vmx_host_state *h)
{
	struct desc_ptr gdtr, idtr;

	__asm__ volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
	__asm__ volatile("mov %%cs, %0" : "=r"(h->cs));
	__asm__ volatile("mov %%ss, %0" : "=r"(h->ss));
	__asm__ volatile("mov %%ds, %0" : "=r"(h->ds));
	__asm__ volatile("mov %%es, %0" : "=r"(h->es));
	__asm__ volatile("mov %%fs, %0" : "=r"(h->fs));
	__asm__ volatile("mov %%gs, %0" : "=r"(h->gs));
	__asm__ volatile("str %0" : "=r"(h->tr));
	h->cr0 = read_cr0();
	h->cr3 = read_cr3();
	h->cr4 = read_cr4();
	h->gdt_base = gdtr.base;
	h->idt_base = idtr.base;
	h->tr_base = tss_base(gdtr.base, h->tr);
}

u64 vmx_hw_read_cr(unsigned n)
{
	return n == 0 ? read_cr0() : n == 2 ? read_cr2() : n == 4 ? read_cr4() : 0;
}

void vmx_hw_write_cr(unsigned n, u64 val)
{
	if (n == 0)
		__asm__ volatile("mov %0, %%cr0" : : "r"(val) : "memory");
	else if (n == 4)
		__asm__ volatile("mov %0, %%cr4" : : "r"(val) : "memory");
}
