/*
 * Spec: IA-PC HPET (High Precision Event Timers) Specification, revision
 * 1.0a (Intel, October 2004). The general registers of one timer block
 * and the ACPI table that says where it is; the comparators are not used.
 */
#ifndef KERNEL_HPET_HW_H
#define KERNEL_HPET_HW_H
#include "kernel/types.h"

/* §3.2.4 "The ACPI 2.0 HPET Description Table (HPET)", signature "HPET". */
#define HPET_TBL_EVENT_TIMER_BLOCK_ID   36      /* 32 bit, a copy of GCAP_ID's low half */
#define HPET_TBL_BASE_ADDRESS           40      /* Generic Address Structure (kernel/acpi_hw.h), system memory */
#define HPET_TBL_SIZE                   56

/* §2.3.1 "Register Overview": a 1 KiB block. */
#define HPET_REGS_SIZE          0x400
/* §2.3.4 "General Capabilities and ID Register", 64 bit, RO. */
#define HPET_GCAP_ID            0x000
#define  HPET_GCAP_COUNT_SIZE_CAP       BIT_ULL(13)     /* 1: the main counter is 64 bits wide */
#define  HPET_GCAP_COUNTER_CLK_PERIOD   GENMASK_ULL(63, 32)     /* femtoseconds per tick */
/* "less than or equal to 0x05F5E100 (10^8 femptoseconds = 100 nanoseconds)" */
#define  HPET_PERIOD_MAX_FS     100000000ULL
/* §2.3.5 "General Configuration Register", 64 bit, RW. */
#define HPET_GEN_CONF           0x010
#define  HPET_GEN_CONF_ENABLE_CNF       BIT_ULL(0)      /* the main counter runs */
/* §2.3.7 "Main Counter Value Register", 64 bit (or 32 bit), RW. */
#define HPET_MAIN_CNT           0x0f0

#endif
