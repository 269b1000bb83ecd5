/*
 * The PC's 8254 interval timer and system control port B, which gates
 * its counter 2 and shows that counter's output.
 * Spec: Intel 8254 Programmable Interval Timer data sheet, order number
 * 231164-005: "Control Word Format", "Read-Back Command", "Status Byte";
 * the ports are the IBM PC AT's (PC AT Technical Reference, "System Timer"
 * at 0x40-0x43 and "System Control Port B" at 0x61: bit 0 counter 2's
 * GATE and bit 1 the speaker enable, written and read back, bits 2 and 3
 * the parity and I/O channel check enables, bit 4 the refresh request,
 * which toggles every 15.085 us, bit 5 counter 2's OUT; bits 6 and 7, the
 * check errors, read only).
 */
#ifndef KERNEL_PIT_HW_H
#define KERNEL_PIT_HW_H
#include "kernel/types.h"

#define PIT_PORT_COUNTER0       0x40
#define PIT_PORT_COUNTER1       0x41
#define PIT_PORT_COUNTER2       0x42
#define PIT_PORT_CONTROL        0x43
/* The PC's input clock: 14.31818 MHz / 12. */
#define PIT_HZ                  1193182ULL

/* "Control Word Format" (port 0x43, write only). */
#define PIT_CW_BCD              BIT_ULL(0)
#define PIT_CW_MODE             GENMASK_ULL(3, 1)       /* 6 and 7 are modes 2 and 3 */
#define PIT_CW_RW               GENMASK_ULL(5, 4)
#define  PIT_RW_LATCH           0       /* Counter Latch Command */
#define  PIT_RW_LSB             1
#define  PIT_RW_MSB             2
#define  PIT_RW_LSB_MSB         3
#define PIT_CW_SC               GENMASK_ULL(7, 6)
#define  PIT_SC_READ_BACK       3
/* "Read-Back Command": SC = 11; bits active low. */
#define PIT_RB_CNT0             BIT_ULL(1)
#define PIT_RB_NOT_STATUS       BIT_ULL(4)
#define PIT_RB_NOT_COUNT        BIT_ULL(5)
/* "Status Byte". */
#define PIT_ST_NULL_COUNT       BIT_ULL(6)
#define PIT_ST_OUTPUT           BIT_ULL(7)

/* System control port B. */
#define PORT_B                  0x61
#define  PORT_B_GATE2           BIT_ULL(0)
#define  PORT_B_SPEAKER         BIT_ULL(1)
#define  PORT_B_RW              GENMASK_ULL(3, 0)
#define  PORT_B_REFRESH         BIT_ULL(4)
#define  PORT_B_OUT2            BIT_ULL(5)
#define PORT_B_REFRESH_NS       15085

#endif
