/* The local APIC of the running CPU: xAPIC (MMIO) or x2APIC (MSRs), IPIs and its timer. */
#ifndef KERNEL_APIC_H
#define KERNEL_APIC_H
#include "kernel/types.h"

struct apic_info {
	bool x2apic;            /* running in x2APIC mode */
	u32 id;
	u32 version;            /* bits 7:0 of the version register */
	u32 max_lvt;            /* highest LVT entry index */
	u64 base_pa;            /* xAPIC MMIO base from IA32_APIC_BASE */
	bool bsp;               /* IA32_APIC_BASE.BSP */
};

/*
 * Enables this CPU's local APIC: x2APIC mode when CPUID.1:ECX.x2APIC says
 * the CPU has it, xAPIC at madt_pa (or the MSR's base when madt_pa is 0)
 * otherwise; software-enables it through the spurious vector register.
 * Fills *ai. Returns 0, -HV_ENODEV when CPUID shows no APIC, or -HV_EIO
 * when the xAPIC page cannot be mapped.
 */
int apic_init(u64 madt_pa, struct apic_info *ai);
/* This CPU's APIC ID (x2APIC ID when in x2APIC mode); 0 before apic_init. */
u32 apic_id(void);
/*
 * Masks every line of the two 8259 PICs: firmware leaves the timer on, and
 * its vectors (0x08-0x0f after a BIOS) would land on CPU exceptions.
 */
void legacy_pic_mask(void);
/*
 * Whether vector is in service on this CPU's local APIC (its ISR bit,
 * SDM §11.8.4): set from the moment the APIC dispatched an interrupt with
 * that vector until its EOI; never set by a CPU exception. False before
 * apic_init.
 */
bool apic_in_service(u8 vector);
/* Signals end of interrupt to this CPU's local APIC. */
void apic_eoi(void);
/*
 * On an AP: enables its local APIC in the mode apic_init() chose on the
 * boot CPU. Returns 0 or -HV_ENODEV (apic_init never succeeded).
 */
int apic_ap_enable(void);
/*
 * Inter-processor interrupts to one APIC ID (SDM §11.6.1): INIT, start-up
 * with the real-mode page number of the code to run (SIPI), and a fixed
 * vector. Return 0, -HV_ERANGE (an ID xAPIC cannot address),
 * -HV_ETIMEDOUT (xAPIC delivery status stuck) or -HV_ENODEV (no APIC).
 */
int apic_send_init(u32 dest);
int apic_send_startup(u32 dest, u8 page);
int apic_send_ipi(u32 dest, u8 vector);
/* An NMI to one APIC ID; an NMI to every CPU but this one (shorthand, SDM §11.6.1). */
int apic_send_nmi(u32 dest);
int apic_send_nmi_others(void);
/*
 * The running CPU's APIC timer (SDM §11.5.4), one-shot, divided by 16.
 * apic_timer_calibrate measures its rate against the TSC over 10 ms (call
 * on the boot CPU once the TSC is calibrated): 0 and the ticks per second
 * in *hz, -HV_ENODEV (no APIC) or -HV_EIO (it did not count).
 * apic_timer_oneshot sends vector to this CPU once ns have passed (at
 * least one tick): 0, or -HV_ENODEV when not calibrated.
 * apic_timer_expired: the last one-shot has run out (or none was armed).
 */
int apic_timer_calibrate(u64 *hz);
int apic_timer_oneshot(u64 ns, u8 vector);
bool apic_timer_expired(void);

#endif
