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
#include "kernel/wait.h"

#define MSR_IA32_APIC_BASE      0x1b
#define  APIC_BASE_BSP          BIT_ULL(8)
#define  APIC_BASE_EXTD         BIT_ULL(10)     /* x2APIC mode */
#define  APIC_BASE_EN           BIT_ULL(11)
#define  APIC_BASE_ADDR         GENMASK_ULL(51, 12)
/*
 * The legacy 8259A pair's interrupt mask registers (OCW1, written to the
 * data ports): 0xff masks every IRQ, so the BIOS's PIC timer never reaches
 * a CPU through LINT0 in ExtINT mode once Sluice runs on the local APIC.
 */
#define PIC_MASTER_DATA         0x21
#define PIC_SLAVE_DATA          0xa1
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
/* In-Service Register, SDM §11.8.4: eight 32-bit registers at 0x100-0x170, vector v in bit v % 32 of ISR[v / 32]. */
#define APIC_ISR0               0x100
/* Interrupt command register, SDM §11.6.1: low at 0x300, destination at 0x310 (xAPIC); one 64-bit MSR 0x830 (x2APIC). */
#define APIC_ICR_LO             0x300
#define APIC_ICR_HI             0x310
#define  ICR_VECTOR             GENMASK_ULL(7, 0)
#define  ICR_DM_FIXED           (0ULL << 8)
#define  ICR_DM_NMI             (4ULL << 8)
#define  ICR_DM_INIT            (5ULL << 8)
#define  ICR_DM_STARTUP         (6ULL << 8)
#define  ICR_BUSY               BIT_ULL(12)     /* delivery status, xAPIC only */
#define  ICR_LEVEL_ASSERT       BIT_ULL(14)
#define  ICR_DEST_ALL_BUT_SELF  (3ULL << 18)    /* destination shorthand */
#define ICR_SEND_TIMEOUT_US     10000
#define X2APIC_MSR(off)         (0x800 + ((off) >> 4))
/* Timer, SDM §11.5.4 "APIC Timer": one-shot, the count runs down at the bus clock / divide. */
#define APIC_LVT_TIMER          0x320
#define  LVT_VECTOR             GENMASK_ULL(7, 0)
#define  LVT_MASKED             BIT_ULL(16)
#define  LVT_TIMER_ONESHOT      (0ULL << 17)    /* timer mode, bits 18:17 */
#define APIC_TIMER_INIT         0x380   /* initial count, RW */
#define APIC_TIMER_CUR          0x390   /* current count, RO: stays 0 once a one-shot ran out */
#define APIC_TIMER_DIV          0x3e0   /* divide configuration, RW */
#define  TIMER_DIV_16           0x3     /* bits 3,1:0 = 0,11 (Figure 11-10) */
#define TIMER_CALIB_US          10000

static struct io_region *xapic;
static bool x2;
static u64 timer_hz;            /* APIC timer ticks per second after the divider; 0: not calibrated */

static u32 apic_read(u32 off);

static bool icr_idle(void *arg)
{
	(void)arg;
	return !(apic_read(APIC_ICR_LO) & ICR_BUSY);
}

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

bool apic_in_service(u8 vector)
{
	if (!x2 && !xapic)
		return false;
	return apic_read(APIC_ISR0 + 0x10 * (vector / 32)) & (1u << (vector % 32));
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
	pio_out8(PIC_SLAVE_DATA, 0xff);
	pio_out8(PIC_MASTER_DATA, 0xff);
	apic_write(APIC_SVR, (u32)(APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR));
	u32 ver = apic_read(APIC_VERSION);
	ai->x2apic = x2;
	ai->id = apic_id();
	ai->version = (u32)FIELD_GET(APIC_VERSION_VER, ver);
	ai->max_lvt = (u32)FIELD_GET(APIC_VERSION_MAXLVT, ver);
	return 0;
}

int apic_ap_enable(void)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);

	if (x2)
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);
	else if (xapic)
		wrmsr(MSR_IA32_APIC_BASE, (base & ~APIC_BASE_EXTD) | APIC_BASE_EN);
	else
		return -HV_ENODEV;
	apic_write(APIC_SVR, (u32)(APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR));
	return 0;
}

/*
 * One IPI to one physical destination. xAPIC: destination first (writing
 * the low half sends), then wait for the delivery status to clear (SDM
 * §11.6.1); x2APIC: one MSR write, no status to poll (§11.12.9).
 */
static int send_icr(u32 dest, u64 lo)
{
	if (x2) {
		wrmsr(X2APIC_MSR(APIC_ICR_LO), (u64)dest << 32 | lo);
		return 0;
	}
	if (!xapic)
		return -HV_ENODEV;
	if (dest > 0xff)
		return -HV_ERANGE;
	/* An interrupt handler may send an IPI too (a kick from the fault interrupt): not between HI and LO. */
	u64 flags = cpu_irq_save();
	apic_write(APIC_ICR_HI, dest << 24);
	apic_write(APIC_ICR_LO, (u32)lo);
	cpu_irq_restore(flags);
	return wait_until(icr_idle, NULL, ICR_SEND_TIMEOUT_US);
}

int apic_send_init(u32 dest)
{
	return send_icr(dest, ICR_DM_INIT | ICR_LEVEL_ASSERT);
}

int apic_send_startup(u32 dest, u8 page)
{
	return send_icr(dest, ICR_DM_STARTUP | ICR_LEVEL_ASSERT | page);
}

int apic_send_ipi(u32 dest, u8 vector)
{
	return send_icr(dest, ICR_DM_FIXED | ICR_LEVEL_ASSERT | FIELD_PREP(ICR_VECTOR, vector));
}

int apic_send_nmi(u32 dest)
{
	return send_icr(dest, ICR_DM_NMI | ICR_LEVEL_ASSERT);
}

int apic_send_nmi_others(void)
{
	return send_icr(0, ICR_DM_NMI | ICR_LEVEL_ASSERT | ICR_DEST_ALL_BUT_SELF);
}

int apic_timer_calibrate(u64 *hz)
{
	if (!x2 && !xapic)
		return -HV_ENODEV;
	apic_write(APIC_LVT_TIMER, (u32)(LVT_MASKED | LVT_TIMER_ONESHOT));
	apic_write(APIC_TIMER_DIV, TIMER_DIV_16);
	apic_write(APIC_TIMER_INIT, 0xffffffffu);
	udelay(TIMER_CALIB_US);
	u32 left = apic_read(APIC_TIMER_CUR);
	apic_write(APIC_TIMER_INIT, 0);         /* stops it */
	if (!left || left == 0xffffffffu)
		return -HV_EIO;                 /* ran out (absurdly fast) or never counted */
	timer_hz = (u64)(0xffffffffu - left) * (1000000 / TIMER_CALIB_US);
	*hz = timer_hz;
	return 0;
}

int apic_timer_oneshot(u64 ns, u8 vector)
{
	if (!timer_hz)
		return -HV_ENODEV;
	u64 count = ns / 1000 * timer_hz / 1000000;
	count = count ? MIN(count, 0xffffffffULL) : 1;
	apic_write(APIC_LVT_TIMER, (u32)(FIELD_PREP(LVT_VECTOR, vector) | LVT_TIMER_ONESHOT));
	apic_write(APIC_TIMER_DIV, TIMER_DIV_16);       /* an AP's divider is at its reset value: the rate is the boot CPU's */
	apic_write(APIC_TIMER_INIT, (u32)count);
	return 0;
}

bool apic_timer_expired(void)
{
	return apic_read(APIC_TIMER_CUR) == 0;
}
