/*
 * A partition's legacy timer path (legacy-pic = on, docs/config.md): the
 * 8259A pair and the 8254's counter 0 (vm/dev/vpic.h, vm/dev/vpit.h) in
 * the state a PC's firmware leaves them, the PIC's INTR wired to the
 * BSP's LINT0 (vm/dev/vlapic.h vlapic_extint_passes), as on a PC whose
 * other CPUs do not see the PIC. The devices are shared by the
 * partition's CPUs (any may program them), under legacy_lock; only the
 * BSP's entries poll the PIT and take the PIC's vector.
 */
#include "vm/part/partition.h"
#include "kernel/smp.h"
#include "kernel/hw/time.h"

void partition_legacy_init(struct partition *p)
{
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

bool partition_legacy_port(struct partition *p, struct part_vcpu *pv, u16 port, u32 size, bool in, u32 *val)
{
	if (!p->legacy || !(vpic_claims(port) || vpit_claims(port)))
		return false;
	u64 now = time_now_ns();
	spin_lock(&p->legacy_lock);
	tick(p, now);
	/* A wider access is one byte access per port, as the ISA bus splits it. */
	for (u32 i = 0; i < size; i++) {
		u16 at = (u16)(port + i);
		bool pic = vpic_claims(at), pit = vpit_claims(at);
		u8 b = 0xff;
		if (in && pic)
			b = vpic_in(&p->pic, at);
		else if (in && pit)
			b = vpit_in(&p->pit, at, now);
		else if (pic)
			vpic_out(&p->pic, at, (u8)(*val >> (8 * i)));
		else if (pit)
			vpit_out(&p->pit, at, (u8)(*val >> (8 * i)), now);
		if (in)
			*val = (i ? *val : 0) | (u32)b << (8 * i);
	}
	spin_unlock(&p->legacy_lock);
	/* The BSP's next entry looks at the PIC again; from another CPU it is kicked to do so. */
	if (!in && pv && pv != &p->vcpus[0] && p->vcpus[0].state == PART_VCPU_RUNNING)
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
