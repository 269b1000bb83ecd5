/* A partition's read-only CMOS clock (vm/dev/vrtc.h). */
#include "vm/dev/vrtc.h"
#include "kernel/rtc.h"
#include "kernel/lib.h"

void vrtc_reset(struct vrtc *r)
{
	memset(r, 0, sizeof(*r));
	r->regs[RTC_REG_A] = RTC_A_PC_DEFAULT;
	r->regs[RTC_REG_B] = RTC_B_24H;
	r->regs[RTC_REG_D] = RTC_D_VRT;
	r->index = RTC_REG_D;
}

bool vrtc_claims(u16 port)
{
	return port == RTC_PORT_INDEX || port == RTC_PORT_DATA;
}

static bool time_byte(u8 reg)
{
	return reg <= RTC_YEAR && reg != RTC_SECONDS_ALARM && reg != RTC_MINUTES_ALARM && reg != RTC_HOURS_ALARM;
}

u8 vrtc_in(struct vrtc *r, u16 port, u64 now_s)
{
	if (port != RTC_PORT_DATA)
		return 0xff;
	if (time_byte(r->index)) {
		struct rtc_date d;
		u8 t[RTC_YEAR + 1];
		rtc_epoch_to_date(now_s, &d);
		rtc_encode(&d, r->regs[RTC_REG_B], t);
		return t[r->index];
	}
	if (r->index == RTC_REG_A)
		return (u8)(r->regs[RTC_REG_A] & ~RTC_A_UIP);
	return r->regs[r->index];              /* C stays 0, D stays VRT */
}

void vrtc_out(struct vrtc *r, u16 port, u8 val)
{
	if (port == RTC_PORT_INDEX) {
		if (val & RTC_INDEX_NMI_OFF)
			r->nmi_mask_writes++;
		r->index = (u8)(val & RTC_INDEX_REG);
		return;
	}
	if (time_byte(r->index))
		r->time_writes++;
	else if (r->index == RTC_REG_C || r->index == RTC_REG_D)
		r->ro_writes++;
	else if (r->index == RTC_REG_A)
		r->regs[RTC_REG_A] = (u8)(val & ~RTC_A_UIP);
	else
		r->regs[r->index] = val;
}
