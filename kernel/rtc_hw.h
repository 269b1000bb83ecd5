/*
 * The PC's CMOS real-time clock: a Motorola MC146818A behind an index
 * port and a data port.
 * Spec: Motorola MC146818A Real-Time Clock Plus RAM (RTC) data sheet,
 * "Address Map", "Time, Calendar and Alarm Data Modes" (Table 3),
 * "Register A" to "Register D"; the ports are the IBM PC AT's (PC AT
 * Technical Reference, "CMOS RAM" / "Real-Time Clock": index at 0x70,
 * bit 7 of it masks NMI on a PC, data at 0x71, 128 bytes).
 */
#ifndef KERNEL_RTC_HW_H
#define KERNEL_RTC_HW_H
#include "kernel/types.h"

#define RTC_PORT_INDEX          0x70
#define RTC_PORT_DATA           0x71
#define  RTC_INDEX_NMI_OFF      BIT_ULL(7)      /* the PC's NMI mask, not the RTC's */
#define  RTC_INDEX_REG          GENMASK_ULL(6, 0)
#define RTC_NR_REGS             128

/* "Address Map": time and calendar bytes, alarms between them. */
#define RTC_SECONDS             0x00
#define RTC_SECONDS_ALARM       0x01
#define RTC_MINUTES             0x02
#define RTC_MINUTES_ALARM       0x03
#define RTC_HOURS               0x04
#define  RTC_HOURS_PM           BIT_ULL(7)      /* 12-hour mode */
#define RTC_HOURS_ALARM         0x05
#define RTC_DAY_OF_WEEK         0x06            /* 1-7, Sunday = 1 */
#define RTC_DAY_OF_MONTH        0x07
#define RTC_MONTH               0x08
#define RTC_YEAR                0x09            /* 0-99 */
#define RTC_REG_A               0x0a
#define  RTC_A_UIP              BIT_ULL(7)      /* update in progress, read only */
#define  RTC_A_DV               GENMASK_ULL(6, 4)
#define  RTC_A_RS               GENMASK_ULL(3, 0)
#define  RTC_A_PC_DEFAULT       0x26            /* 32.768 kHz time base, 1024 Hz periodic rate */
#define RTC_REG_B               0x0b
#define  RTC_B_SET              BIT_ULL(7)
#define  RTC_B_PIE              BIT_ULL(6)
#define  RTC_B_AIE              BIT_ULL(5)
#define  RTC_B_UIE              BIT_ULL(4)
#define  RTC_B_SQWE             BIT_ULL(3)
#define  RTC_B_DM_BINARY        BIT_ULL(2)      /* 0: BCD */
#define  RTC_B_24H              BIT_ULL(1)
#define  RTC_B_DSE              BIT_ULL(0)
#define RTC_REG_C               0x0c            /* interrupt flags, read only, cleared by reading */
#define RTC_REG_D               0x0d
#define  RTC_D_VRT              BIT_ULL(7)      /* valid RAM and time */
#define RTC_FIRST_RAM           0x0e            /* 0x0e-0x7f: battery-backed RAM on a PC */

#endif
