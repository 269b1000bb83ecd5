/*
 * Guest SMP: a partition's IPIs between its own vCPUs, and the MP
 * initialization protocol for its APs (Intel SDM vol 3 9.4
 * "Multiple-Processor (MP) Initialization"): INIT makes an AP wait for a
 * SIPI, a SIPI starts a waiting AP in real mode at CS = vector << 8, IP 0.
 * The guest's virtual local APIC decodes the ICR write and calls
 * partition_ipi; nothing here reaches a CPU outside the partition. Not
 * done: logical destination mode, NMI/SMI to guests.
 */
#define LOG_SUBSYS "part"
#include "vm/part/partition.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/smp.h"
#include "vm/dev/vlapic.h"

/* The ICR's fields are vm/dev/vlapic.h's; an all-ones destination ID is a broadcast (SDM vol 3 11.6.1, 11.12.9). */
#define APIC_ID_BROADCAST_XAPIC 0xffu
#define APIC_ID_BROADCAST_X2APIC 0xffffffffu

static const char *const drop_text[PART_IPI_DROP_NR] = {
	[PART_IPI_OUTSIDE] = "aimed outside the partition",
	[PART_IPI_MODE] = "delivery mode not given to guests",
	[PART_IPI_BSP] = "INIT or SIPI to the BSP or to the sender",
	[PART_IPI_SIPI_IGNORED] = "SIPI to a CPU not waiting for one",
	[PART_IPI_NOT_ACCEPTED] = "fixed IPI its destination's local APIC did not accept",
};

struct part_vcpu *partition_vcpu_by_apic_id(struct partition *p, u32 apic_id)
{
	for (u32 i = 0; i < p->nr_vcpus; i++)
		if (p->vcpus[i].lapic.id == apic_id)
			return &p->vcpus[i];
	return NULL;
}

struct part_vcpu *partition_vcpu_on_cpu(struct partition *p, u32 cpu)
{
	for (u32 i = 0; i < p->nr_vcpus; i++)
		if (p->vcpus[i].v.cpu == cpu)
			return &p->vcpus[i];
	return NULL;
}

struct part_vcpu *partition_vcpu_of(struct partition *p, const struct vcpu *v)
{
	for (u32 i = 0; i < p->nr_vcpus; i++)
		if (&p->vcpus[i].v == v)
			return &p->vcpus[i];
	return NULL;
}

void partition_kick_vcpus(struct partition *p, u32 except_cpu)
{
	for (u32 i = 0; i < p->cfg->nr_cpus; i++)
		if (p->cfg->cpus[i] != except_cpu)
			smp_kick(p->cfg->cpus[i]);
}

/* Counts a dropped IPI; its kind's first is logged. Returns -HV_ENOENT. */
static int drop(struct partition *p, enum part_ipi_drop kind, u32 from, u32 dest, u32 icr_lo)
{
	/*
	 * The second SIPI of INIT-SIPI-SIPI (SDM vol 3 9.4.4.1) finds the AP
	 * started by the first: ignored by the book, so no warning.
	 */
	if (__atomic_fetch_add(&p->ipi_dropped[kind], 1, __ATOMIC_RELAXED) == 0)
		log_write(kind == PART_IPI_SIPI_IGNORED ? LOG_INFO : LOG_WARN, p->cfg->name,
			  "IPI from APIC ID 0x%x to APIC ID 0x%x (ICR 0x%08x) dropped: %s (further ones counted)",
			  from, dest, icr_lo, drop_text[kind]);
	return -HV_ENOENT;
}

/* One IPI to one vCPU of p (never the BSP for INIT/SIPI). 1: reached, or a drop's -HV_ENOENT. */
static int deliver(struct partition *p, struct part_vcpu *to, u32 from, u32 icr_lo)
{
	u32 dm = (u32)FIELD_GET(ICR_DM, icr_lo), vec = (u32)FIELD_GET(ICR_VECTOR, icr_lo);

	if (dm == ICR_DM_INIT || dm == ICR_DM_STARTUP) {
		if (to == &p->vcpus[0] || to->lapic.id == from)
			return drop(p, PART_IPI_BSP, from, to->lapic.id, icr_lo);
		if (dm == ICR_DM_INIT) {
			/* A new INIT forgets a SIPI not yet taken: the AP starts waiting again. */
			__atomic_store_n(&to->pending, PART_VCPU_INIT, __ATOMIC_RELEASE);
		} else {
			u32 cur = __atomic_load_n(&to->pending, __ATOMIC_ACQUIRE);
			bool waiting = to->state == PART_VCPU_WAIT_SIPI || (cur & PART_VCPU_INIT);
			/* SPEC: 9.4.4 has the second SIPI of INIT-SIPI-SIPI ignored by an AP the first one started. */
			if (!waiting || (cur & PART_VCPU_SIPI) ||
			    !__atomic_compare_exchange_n(&to->pending, &cur, cur | PART_VCPU_SIPI | vec, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return drop(p, PART_IPI_SIPI_IGNORED, from, to->lapic.id, icr_lo);
		}
		smp_kick(to->v.cpu);
		return 1;
	}
	if (dm == ICR_DM_NMI) {
		/* Held for the vCPU until it can take it (vm/part/lapic.c); its CPU leaves the guest or its halt. */
		__atomic_store_n(&to->nmi_pending, 1, __ATOMIC_RELEASE);
		if (to->lapic.notify)
			to->lapic.notify(to->lapic.ctx);
		return 1;
	}
	/* Fixed and lowest priority (one destination here: the one named) go to its local APIC, any CPU may call. */
	/* Its notify hook kicks its CPU out of the guest or its halt: the vector goes in at its next entry. */
	if (vlapic_accept(&to->lapic, (u8)vec))
		return drop(p, PART_IPI_NOT_ACCEPTED, from, to->lapic.id, icr_lo);
	return 1;
}

int partition_ipi(struct partition *p, u32 from, u32 dest_apic_id, u32 icr_lo)
{
	u32 dm = (u32)FIELD_GET(ICR_DM, icr_lo), sh = (u32)FIELD_GET(ICR_SHORTHAND, icr_lo);
	int reached = 0, ret = 0;

	bool nmi = dm == ICR_DM_NMI && p->ops && p->ops->nmi_inject;
	if (dm != ICR_DM_FIXED && dm != ICR_DM_LOWEST && dm != ICR_DM_INIT && dm != ICR_DM_STARTUP && !nmi)
		return drop(p, PART_IPI_MODE, from, dest_apic_id, icr_lo);
	/* INIT level de-assert only synchronizes arbitration IDs: nothing for a vCPU (11.6.1). */
	if (dm == ICR_DM_INIT && !(icr_lo & ICR_LEVEL_ASSERT) && (icr_lo & ICR_TRIGGER_LEVEL))
		return 0;
	if (sh == ICR_SH_NONE && (icr_lo & ICR_DEST_LOGICAL))
		return drop(p, PART_IPI_MODE, from, dest_apic_id, icr_lo);
	bool bcast_id = sh == ICR_SH_NONE &&
			(dest_apic_id == APIC_ID_BROADCAST_XAPIC || dest_apic_id == APIC_ID_BROADCAST_X2APIC);
	bool all = sh == ICR_SH_ALL || sh == ICR_SH_OTHERS || bcast_id;
	if (!all) {
		u32 dest = sh == ICR_SH_SELF ? from : dest_apic_id;
		struct part_vcpu *to = partition_vcpu_by_apic_id(p, dest);
		if (!to)
			return drop(p, PART_IPI_OUTSIDE, from, dest, icr_lo);
		ret = deliver(p, to, from, icr_lo);
		if (ret < 0)
			return ret;
		__atomic_fetch_add(&p->ipi_sent, 1, __ATOMIC_RELAXED);
		return 0;
	}
	/* A broadcast reaches the partition's own CPUs: the only ones its guest knows. */
	for (u32 i = 0; i < p->nr_vcpus; i++) {
		struct part_vcpu *to = &p->vcpus[i];
		if ((sh == ICR_SH_OTHERS || bcast_id) && to->lapic.id == from)
			continue;
		if ((dm == ICR_DM_INIT || dm == ICR_DM_STARTUP) && (i == 0 || to->lapic.id == from))
			continue;       /* INIT/SIPI broadcasts start the APs only */
		ret = deliver(p, to, from, icr_lo);
		if (ret > 0) {
			reached++;
			__atomic_fetch_add(&p->ipi_sent, 1, __ATOMIC_RELAXED);
		}
	}
	return reached ? 0 : (ret < 0 ? ret : 0);
}

bool partition_vcpu_take_start(struct partition *p, struct part_vcpu *pv, struct vcpu_entry *e)
{
	u32 got = __atomic_exchange_n(&pv->pending, 0, __ATOMIC_ACQ_REL);

	if (got & PART_VCPU_INIT) {
		if (pv->state != PART_VCPU_WAIT_SIPI)
			log_write(LOG_INFO, p->cfg->name, "CPU %u: INIT, waiting for SIPI", pv->v.cpu);
		pv->state = PART_VCPU_WAIT_SIPI;
	}
	if (!(got & PART_VCPU_SIPI) || pv->state != PART_VCPU_WAIT_SIPI)
		return false;
	memset(e, 0, sizeof(*e));
	e->mode = VCPU_MODE_REAL16;
	e->real_cs = (u16)((got & 0xff) << 8);
	e->rip = 0;
	pv->state = PART_VCPU_RUNNING;
	pv->sipis++;
	return true;
}

void partition_vcpu_finished(struct partition *p, struct part_vcpu *pv)
{
	if (__atomic_exchange_n(&pv->done, true, __ATOMIC_ACQ_REL))
		return;
	if (__atomic_sub_fetch(&p->vcpus_live, 1, __ATOMIC_ACQ_REL) == 0)
		__atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
}
