/*
 * The calendar and the host's CMOS clock (kernel/rtc.h). Days from a
 * civil date count in 400-year eras of 146097 days, with March as the
 * first month so that the leap day ends a year; 1970-01-01 is day
 * 719468 of that count.
 * Spec: Motorola MC146818A data sheet (kernel/rtc_hw.h), "Update Cycle":
 * the time bytes are stable while Register A's UIP reads 0 and for at
 * least 244 us after; an update takes at most 1984 us.
 */
#define LOG_SUBSYS "time"
#include "kernel/rtc.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/wait.h"
#include "kernel/hw/pio.h"
#include "kernel/hw/time.h"

#define DAYS_0000_TO_1970       719468ULL
#define DAYS_PER_ERA            146097ULL
#define SECS_PER_DAY            86400ULL
#define YEAR_FIRST              1970
#define YEAR_LAST               2099
#define RTC_UIP_WAIT_US         10000   /* five update cycles */
#define RTC_READ_TRIES          5

/* 2000-01-01 00:00:00: the clock of a machine with none. */
#define EPOCH_2000              946684800ULL

static const u8 month_days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

static bool leap(u32 y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool rtc_date_valid(const struct rtc_date *d)
{
	if (d->year < YEAR_FIRST || d->year > YEAR_LAST || d->month < 1 || d->month > 12 || d->day < 1)
		return false;
	u32 last = month_days[d->month - 1] + (d->month == 2 && leap(d->year));
	return d->day <= last && d->hour < 24 && d->min < 60 && d->sec < 60;
}

u64 rtc_date_to_epoch(const struct rtc_date *d)
{
	u64 y = d->year - (d->month <= 2);
	u64 era = y / 400, yoe = y % 400;
	u64 mp = (d->month + 9) % 12;                           /* March = 0 */
	u64 doy = (153 * mp + 2) / 5 + d->day - 1;
	u64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	u64 days = era * DAYS_PER_ERA + doe - DAYS_0000_TO_1970;
	return days * SECS_PER_DAY + d->hour * 3600ULL + d->min * 60ULL + d->sec;
}

void rtc_epoch_to_date(u64 s, struct rtc_date *d)
{
	static const struct rtc_date last = { YEAR_LAST, 12, 31, 23, 59, 59, 0 };
	if (s > rtc_date_to_epoch(&last))
		s = rtc_date_to_epoch(&last);
	u64 days = s / SECS_PER_DAY, rem = s % SECS_PER_DAY;
	u64 z = days + DAYS_0000_TO_1970;
	u64 era = z / DAYS_PER_ERA, doe = z % DAYS_PER_ERA;
	u64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	u64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	u64 mp = (5 * doy + 2) / 153;
	d->day = (u8)(doy - (153 * mp + 2) / 5 + 1);
	d->month = (u8)(mp < 10 ? mp + 3 : mp - 9);
	d->year = (u32)(era * 400 + yoe + (d->month <= 2));
	d->hour = (u8)(rem / 3600);
	d->min = (u8)(rem / 60 % 60);
	d->sec = (u8)(rem % 60);
	d->wday = (u8)((days + 4) % 7 + 1);                     /* 1970-01-01 was a Thursday */
}

static u8 to_bcd(u8 v) { return (u8)(v / 10 << 4 | v % 10); }

/* v from the clock's data mode; 0xff when a BCD digit is not one. */
static u8 from_mode(u8 v, bool binary)
{
	if (binary)
		return v;
	if ((v & 0xf) > 9 || (v >> 4) > 9)
		return 0xff;
	return (u8)((v >> 4) * 10 + (v & 0xf));
}

void rtc_encode(const struct rtc_date *d, u8 reg_b, u8 regs[RTC_YEAR + 1])
{
	bool bin = reg_b & RTC_B_DM_BINARY;
	u8 hour = d->hour, pm = 0;

	if (!(reg_b & RTC_B_24H)) {             /* 12 AM is 0 o'clock, 12 PM is noon */
		pm = hour >= 12 ? RTC_HOURS_PM : 0;
		hour = (u8)(hour % 12 ? hour % 12 : 12);
	}
	regs[RTC_SECONDS] = bin ? d->sec : to_bcd(d->sec);
	regs[RTC_MINUTES] = bin ? d->min : to_bcd(d->min);
	regs[RTC_HOURS] = (u8)((bin ? hour : to_bcd(hour)) | pm);
	regs[RTC_DAY_OF_WEEK] = d->wday;
	regs[RTC_DAY_OF_MONTH] = bin ? d->day : to_bcd(d->day);
	regs[RTC_MONTH] = bin ? d->month : to_bcd(d->month);
	regs[RTC_YEAR] = bin ? (u8)(d->year % 100) : to_bcd((u8)(d->year % 100));
}

int rtc_decode(const u8 regs[RTC_YEAR + 1], u8 reg_b, struct rtc_date *d)
{
	bool bin = reg_b & RTC_B_DM_BINARY;
	u8 hour_byte = regs[RTC_HOURS];
	bool pm = !(reg_b & RTC_B_24H) && (hour_byte & RTC_HOURS_PM);
	u8 hour = from_mode(reg_b & RTC_B_24H ? hour_byte : (u8)(hour_byte & ~RTC_HOURS_PM), bin);
	u8 year = from_mode(regs[RTC_YEAR], bin);

	if (!(reg_b & RTC_B_24H)) {
		if (hour < 1 || hour > 12)
			return -HV_EINVAL;
		hour = (u8)(hour % 12 + (pm ? 12 : 0));
	}
	if (year > 99)
		return -HV_EINVAL;
	*d = (struct rtc_date){ .year = 2000u + year, .month = from_mode(regs[RTC_MONTH], bin),
				.day = from_mode(regs[RTC_DAY_OF_MONTH], bin), .hour = hour,
				.min = from_mode(regs[RTC_MINUTES], bin), .sec = from_mode(regs[RTC_SECONDS], bin) };
	if (!rtc_date_valid(d))
		return -HV_EINVAL;
	d->wday = 0;
	struct rtc_date full;
	rtc_epoch_to_date(rtc_date_to_epoch(d), &full);
	d->wday = full.wday;                    /* the clock's own weekday byte is not trusted */
	return 0;
}

/* ---- the host's clock ---- */

static u64 boot_epoch = EPOCH_2000, boot_ns;

static u8 cmos_read(u8 reg)
{
	pio_out8(RTC_PORT_INDEX, reg);          /* NMI stays unmasked (bit 7 clear) */
	return pio_in8(RTC_PORT_DATA);
}

static bool update_done(void *arg)
{
	(void)arg;
	return !(cmos_read(RTC_REG_A) & RTC_A_UIP);
}

/* The time bytes once, outside an update. */
static int read_once(u8 regs[RTC_YEAR + 1])
{
	int ret = wait_until(update_done, NULL, RTC_UIP_WAIT_US);
	if (ret)
		return ret;
	for (u8 r = RTC_SECONDS; r <= RTC_YEAR; r++)
		regs[r] = cmos_read(r);
	return 0;
}

int rtc_init(void)
{
	u8 a[RTC_YEAR + 1], b[RTC_YEAR + 1];
	u8 reg_b = cmos_read(RTC_REG_B);
	struct rtc_date d;
	int ret = -HV_EINVAL;

	boot_epoch = EPOCH_2000;
	boot_ns = time_now_ns();
	if (reg_b == 0xff && cmos_read(RTC_REG_A) == 0xff && cmos_read(RTC_REG_D) == 0xff) {
		log_warn("no CMOS clock (its registers read 0xff): partitions' clocks start at 2000-01-01 00:00:00");
		return -HV_ENODEV;
	}
	for (u32 i = 0; i < RTC_READ_TRIES; i++) {
		ret = read_once(a);
		if (!ret)
			ret = read_once(b);
		if (ret)
			break;
		if (!memcmp(a, b, sizeof(a))) {
			ret = rtc_decode(a, reg_b, &d);
			break;
		}
		ret = -HV_ETIMEDOUT;            /* it ticked between the reads: once more */
	}
	if (ret) {
		log_warn("CMOS clock unreadable (%s): partitions' clocks start at 2000-01-01 00:00:00", hv_strerror(ret));
		return ret;
	}
	boot_ns = time_now_ns();
	boot_epoch = rtc_date_to_epoch(&d);
	log_info("host clock %04u-%02u-%02u %02u:%02u:%02u UTC (CMOS, %s, %s)", d.year, d.month, d.day, d.hour,
		 d.min, d.sec, reg_b & RTC_B_DM_BINARY ? "binary" : "BCD", reg_b & RTC_B_24H ? "24-hour" : "12-hour");
	return 0;
}

u64 rtc_now(void)
{
	return boot_epoch + (time_now_ns() - boot_ns) / 1000000000ULL;
}
