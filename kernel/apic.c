/*
 * Local APIC bring-up for the running CPU. Interrupt delivery, the APIC timer
 * and IPIs come with the SMP issue; this sets the mode and reads identity.
 * Spec: Intel SDM Vol. 3A chapter 11 "Advanced Programmable Interrupt
 * Controller", sections 11.4.4 (IA32_APIC_BASE), 11.12 (x2APIC).
 */
#include "kernel/apic.h"
#include "kernel/err.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/io.h"
#include "kernel/hw/pio.h"

#define MSR_IA32_APIC_BASE      0x1b
#define  APIC_BASE_BSP          BIT_ULL(8)
#define  APIC_BASE_EXTD         BIT_ULL(10)     /* x2APIC mode */
#define  APIC_BASE_EN           BIT_ULL(11)
#define  APIC_BASE_ADDR         GENMASK_ULL(51, 12)
#define CPUID1_ECX_X2APIC       BIT_ULL(21)
#define CPUID1_EDX_APIC         BIT_ULL(9)
/* xAPIC register offsets; the x2APIC MSR is 0x800 + offset / 16. */
#define APIC_ID                 0x020
#define APIC_VERSION            0x030
#define  APIC_VERSION_VER       GENMASK_ULL(7, 0)
#define  APIC_VERSION_MAXLVT    GENMASK_ULL(23, 16)
#define APIC_EOI                0x0b0   /* end of interrupt, WO */
#define APIC_SVR                0x0f0   /* spurious interrupt vector */
#define  APIC_SVR_ENABLE        BIT_ULL(8)
#define APIC_SPURIOUS_VECTOR    0xff
#define X2APIC_MSR(off)         (0x800 + ((off) >> 4))

static struct io_region *xapic;
static bool x2;

static u32 apic_read(u32 off)
{
	return x2 ? (u32)rdmsr(X2APIC_MSR(off)) : io_read32(xapic, off);
}

static void apic_write(u32 off, u32 v)
{
	if (x2)
		wrmsr(X2APIC_MSR(off), v);
	else
		io_write32(xapic, off, v);
}

u32 apic_id(void)
{
	if (x2)
		return apic_read(APIC_ID);
	if (xapic)
		return apic_read(APIC_ID) >> 24;
	return 0;
}

#define PIC1_DATA               0x21
#define PIC2_DATA               0xa1

void legacy_pic_mask(void)
{
	pio_out8(PIC1_DATA, 0xff);
	pio_out8(PIC2_DATA, 0xff);
}

void apic_eoi(void)
{
	if (x2 || xapic)
		apic_write(APIC_EOI, 0);
}

int apic_init(u64 madt_pa, struct apic_info *ai)
{
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	if (!(r.edx & CPUID1_EDX_APIC))
		return -HV_ENODEV;
	u64 base = rdmsr(MSR_IA32_APIC_BASE);
	ai->bsp = base & APIC_BASE_BSP;
	ai->base_pa = base & APIC_BASE_ADDR;
	if (r.ecx & CPUID1_ECX_X2APIC) {
		/* SPEC: xAPIC -> x2APIC is EN=1 then EXTD=1; both set at once is allowed. */
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);
		x2 = true;
	} else {
		wrmsr(MSR_IA32_APIC_BASE, (base & ~APIC_BASE_EXTD) | APIC_BASE_EN);
		u64 pa = madt_pa ? madt_pa : ai->base_pa;
		xapic = io_map(pa, PAGE_SIZE, "lapic");
		if (!xapic)
			return -HV_EIO;
		ai->base_pa = pa;
		x2 = false;
	}
	apic_write(APIC_SVR, (u32)(APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR));
	u32 ver = apic_read(APIC_VERSION);
	ai->x2apic = x2;
	ai->id = apic_id();
	ai->version = (u32)FIELD_GET(APIC_VERSION_VER, ver);
	ai->max_lvt = (u32)FIELD_GET(APIC_VERSION_MAXLVT, ver);
	return 0;
}
