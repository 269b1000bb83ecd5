/*
 * The PC's legacy devices a partition has: its CMOS clock (vm/dev/vrtc.h)
 * and the 8254's counter 2 with port 0x61, which every partition has,
 * and its legacy timer path (legacy-pic = on, docs/config.md): the
 * 8259A pair and the 8254's counter 0 (vm/dev/vpic.h, vm/dev/vpit.h) in
 * the state a PC's firmware leaves them, the PIC's INTR wired to the
 * BSP's LINT0 (vm/dev/vlapic.h vlapic_extint_passes), as on a PC whose
 * other CPUs do not see the PIC. The devices are shared by the
 * partition's CPUs (any may program them), under legacy_lock; only the
 * BSP's entries poll the PIT and take the PIC's vector.
 */
#include "vm/part/partition.h"
#include "kernel/smp.h"
#include "kernel/rtc.h"
#include "kernel/hw/time.h"

/*
 * Port B (kernel/pit_hw.h) as a partition reads it: its written bits
 * (GATE2 gates counter 2; the parity and check enables are kept, there is
 * nothing to check), the refresh toggle, counter 2's OUT; the check error
 * bits read 0.
 */

void partition_legacy_init(struct partition *p)
{
	vrtc_reset(&p->rtc);
	vpit_reset_counter2(&p->pit2);
	p->port_b = 0;
	p->legacy = p->cfg->legacy_pic;
	if (!p->legacy)
		return;
	vpic_reset_firmware(&p->pic);
	vpit_reset_firmware(&p->pit, time_now_ns());
	vlapic_virtual_wire(&p->vcpus[0].lapic);
}

/* The PIT's edges until now on IR0 (legacy_lock held). Returns its next edge's time (0: none). */
static u64 tick(struct partition *p, u64 now)
{
	u64 next;

	if (vpit_poll(&p->pit, now, &next))
		vpic_edge(&p->pic, 0);
	return next;
}

/* Whether one byte port is a legacy device of p's. */
static bool claims(const struct partition *p, u16 at)
{
	return vrtc_claims(at) || at == PORT_B || at == PIT_PORT_COUNTER2 || at == PIT_PORT_CONTROL ||
	       (p->legacy && (vpic_claims(at) || vpit_claims(at)));
}

/*
 * An 8254 control word: counter 2's to its counter, a read-back to each
 * counter it names that the partition has, the rest to counter 0 with
 * legacy-pic, else counted by counter 2 as not its own.
 */
static void pit_control(struct partition *p, u8 val, u64 now)
{
	u32 sc = (u32)FIELD_GET(PIT_CW_SC, val);
	u8 cnt0 = PIT_RB_CNT0, cnt1 = (u8)(PIT_RB_CNT0 << 1), cnt2 = (u8)(PIT_RB_CNT0 << 2);

	if (sc == PIT_SC_READ_BACK && p->legacy) {
		if (val & (cnt0 | cnt1))
			vpit_out(&p->pit, PIT_PORT_CONTROL, (u8)(val & ~cnt2), now);
		if (val & cnt2)
			vpit_out(&p->pit2, PIT_PORT_CONTROL, (u8)(val & ~(cnt0 | cnt1)), now);
	} else if (sc == 2 || sc == PIT_SC_READ_BACK || !p->legacy) {
		vpit_out(&p->pit2, PIT_PORT_CONTROL, val, now);
	} else {
		vpit_out(&p->pit, PIT_PORT_CONTROL, val, now);
	}
}

/* One byte at port at (legacy_lock held): the byte read, or val written. */
static u8 legacy_byte(struct partition *p, u16 at, bool in, u8 val, u64 now)
{
	if (vrtc_claims(at)) {
		if (in)
			return vrtc_in(&p->rtc, at, rtc_now());
		vrtc_out(&p->rtc, at, val);
	} else if (at == PORT_B) {
		if (in)
			return (u8)(p->port_b | (now / PORT_B_REFRESH_NS % 2 ? PORT_B_REFRESH : 0) |
				    (vpit_output(&p->pit2, now) ? PORT_B_OUT2 : 0));
		p->port_b = (u8)(val & PORT_B_RW);
		vpit_gate(&p->pit2, val & PORT_B_GATE2, now);
	} else if (at == PIT_PORT_COUNTER2) {
		if (in)
			return vpit_in(&p->pit2, at, now);
		vpit_out(&p->pit2, at, val, now);
	} else if (at == PIT_PORT_CONTROL && !in) {
		pit_control(p, val, now);
	} else if (at == PIT_PORT_CONTROL) {
		return vpit_in(p->legacy ? &p->pit : &p->pit2, at, now);       /* write-only: 0, counted */
	} else if (vpic_claims(at)) {
		if (in)
			return vpic_in(&p->pic, at);
		vpic_out(&p->pic, at, val);
	} else if (vpit_claims(at)) {
		if (in)
			return vpit_in(&p->pit, at, now);
		vpit_out(&p->pit, at, val, now);
	} else if (in) {
		return 0xff;            /* past the device, inside a wide access: nothing there */
	}
	return 0;
}

bool partition_legacy_port(struct partition *p, struct part_vcpu *pv, u16 port, u32 size, bool in, u32 *val)
{
	if (!claims(p, port))
		return false;
	u64 now = time_now_ns();
	spin_lock(&p->legacy_lock);
	if (p->legacy)
		tick(p, now);
	/* A wider access is one byte access per port, as the ISA bus splits it. */
	for (u32 i = 0; i < size; i++) {
		u16 at = (u16)(port + i);
		u8 b = legacy_byte(p, at, in, (u8)(*val >> (8 * i)), now);
		if (in)
			*val = (i ? *val : 0) | (u32)b << (8 * i);
	}
	spin_unlock(&p->legacy_lock);
	/* The BSP's next entry looks at the PIC again; from another CPU it is kicked to do so. */
	if (p->legacy && !in && pv && pv != &p->vcpus[0] && p->vcpus[0].state == PART_VCPU_RUNNING)
		smp_kick(p->vcpus[0].v.cpu);
	return true;
}

u64 partition_legacy_poll(struct partition *p, struct part_vcpu *pv, u64 now, bool *pending)
{
	*pending = false;
	if (!p->legacy || pv != &p->vcpus[0])
		return 0;
	bool wired = vlapic_extint_passes(&pv->lapic);
	spin_lock(&p->legacy_lock);
	u64 next = tick(p, now);
	*pending = wired && vpic_output(&p->pic) >= 0;
	/* Its edges need a wake-up only when IR0 can reach the CPU. */
	if (!wired || !vpic_unmasked(&p->pic, 0))
		next = 0;
	spin_unlock(&p->legacy_lock);
	return next;
}

u8 partition_legacy_ack(struct partition *p)
{
	spin_lock(&p->legacy_lock);
	u8 vector = vpic_ack(&p->pic);
	spin_unlock(&p->legacy_lock);
	return vector;
}
