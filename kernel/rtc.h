/*
 * Wall-clock time: the calendar (UTC, proleptic Gregorian, 1970-2099),
 * the MC146818A's register encodings of it (kernel/rtc_hw.h), and the
 * host's own CMOS clock read once at start-up, which the partitions'
 * virtual clocks (vm/dev/vrtc.h) follow.
 */
#ifndef KERNEL_RTC_H
#define KERNEL_RTC_H
#include "kernel/types.h"
#include "kernel/rtc_hw.h"

struct rtc_date {
	u32 year;               /* 1970-2099 */
	u8 month, day;          /* 1-12, 1-31 */
	u8 hour, min, sec;      /* 0-23, 0-59, 0-59 */
	u8 wday;                /* 1-7, Sunday = 1, as the RTC counts */
};

/* Seconds since 1970-01-01 00:00:00 UTC; d must be valid (rtc_date_valid). */
u64 rtc_date_to_epoch(const struct rtc_date *d);
/* The date of epoch seconds s (years past 2099 are clamped to 2099-12-31 23:59:59). */
void rtc_epoch_to_date(u64 s, struct rtc_date *d);
bool rtc_date_valid(const struct rtc_date *d);

/*
 * The clock's time bytes (RTC_SECONDS .. RTC_YEAR, indexed by register;
 * the alarm bytes untouched) for d, in reg_b's data mode (BCD or binary)
 * and hour mode (24 or 12 with RTC_HOURS_PM).
 */
void rtc_encode(const struct rtc_date *d, u8 reg_b, u8 regs[RTC_YEAR + 1]);
/* The inverse, for years 2000-2099; -HV_EINVAL for bytes that are no date. */
int rtc_decode(const u8 regs[RTC_YEAR + 1], u8 reg_b, struct rtc_date *d);

/*
 * Reads the host's CMOS clock (the update-in-progress handshake, two
 * equal reads) and remembers it against the monotonic clock; logs the
 * date, or that there is no clock (-HV_ENODEV: all registers read
 * 0xff) or no date in it (-HV_EINVAL). Either way rtc_now() works after
 * it, counting from 2000-01-01 00:00:00 when nothing was read.
 */
int rtc_init(void);
/* The wall clock now, in epoch seconds. */
u64 rtc_now(void);

#endif
