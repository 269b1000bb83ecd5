/*
 * A partition's CMOS clock: the MC146818A at ports 0x70/0x71 as its guest
 * sees it (kernel/rtc_hw.h). The time and calendar bytes follow the wall
 * clock Sluice read from the host's own clock at start-up (kernel/rtc.h),
 * in the data and hour modes the guest sets in Register B; the clock is
 * read-only: writes to the time bytes are dropped and counted, so a
 * guest cannot move another partition's or Sluice's time. Register A's
 * UIP always reads 0 (each read is consistent by itself: the bytes are
 * computed from one wall-clock second), Register D reads VRT (valid),
 * Register C reads 0: no update, alarm or periodic interrupt is ever
 * raised (a partition has no I/O APIC and no IRQ 8); the interrupt
 * enables of Register B are kept but do nothing. The alarm bytes and the
 * 114 bytes of RAM (0x0e-0x7f) are the partition's own.
 * Portable: the caller passes the wall clock.
 */
#ifndef VM_DEV_VRTC_H
#define VM_DEV_VRTC_H
#include "kernel/types.h"
#include "kernel/rtc_hw.h"

struct vrtc {
	u8 index;               /* the register port 0x71 reaches */
	u8 regs[RTC_NR_REGS];   /* A, B, the alarms and RAM; the time bytes are computed */
	u64 time_writes;        /* writes to the time bytes, dropped */
	u64 ro_writes;          /* writes to Registers C and D, dropped */
	u64 nmi_mask_writes;    /* index writes with bit 7 (the PC's NMI mask: no NMI reaches a partition) */
};

/* As firmware leaves it: 24-hour BCD, the PC's time base, RAM zero. */
void vrtc_reset(struct vrtc *r);
bool vrtc_claims(u16 port);
/* A byte read at port 0x70 (0xff: the index is write-only on a PC) or 0x71, at wall clock now_s (epoch seconds). */
u8 vrtc_in(struct vrtc *r, u16 port, u64 now_s);
void vrtc_out(struct vrtc *r, u16 port, u8 val);

#endif
