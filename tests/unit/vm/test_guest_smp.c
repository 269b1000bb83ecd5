/*
 * Host tests for vm/part/smp.c: the ICR a guest writes reaches its own
 * partition's CPUs only (SDM vol 3 11.6.1 fields), INIT and SIPI follow
 * the MP initialization protocol (9.4: INIT makes an AP wait, a SIPI
 * starts a waiting AP in real mode at vector << 8, later SIPIs are
 * ignored), everything else is dropped, counted, logged once per kind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/part/partition.h"
#include "kernel/err.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_log.h"

/* ICR low words as a guest writes them (SDM vol 3 11.6.1). */
#define ICR_INIT_ASSERT         0x00004500u     /* INIT, level assert */
#define ICR_INIT_DEASSERT       0x00008500u     /* INIT, level de-assert, level triggered */
#define ICR_SIPI(v)             (0x00004600u | (v))
#define ICR_FIXED(v)            (0x00004000u | (v))
#define ICR_NMI                 0x00004400u
#define ICR_SMI                 0x00004200u
#define ICR_LOGICAL             0x00000800u
#define ICR_ALL_BUT_SELF        0x000c0000u
#define ICR_ALL                 0x00080000u

static struct partition_cfg cfg;
static struct partition part;
static u32 kicks[8];

void smp_kick(u32 index)
{
	assert_true(index < 8);
	kicks[index]++;
}

/* A partition on CPUs 1 (BSP), 2 and 3, as partitions_build sets it up; CPU 4 is another partition's. */
static int setup(void **state)
{
	(void)state;
	fake_log_capture();
	memset(kicks, 0, sizeof(kicks));
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, "smp0");
	cfg.nr_cpus = 3;
	cfg.cpus[0] = 1;
	cfg.cpus[1] = 2;
	cfg.cpus[2] = 3;
	memset(&part, 0, sizeof(part));
	part.cfg = &cfg;
	part.state = PART_RUNNING;
	part.nr_vcpus = 3;
	for (u32 i = 0; i < 3; i++) {
		part.vcpus[i].v.part = &part;
		part.vcpus[i].v.cpu = cfg.cpus[i];
		/* APIC IDs equal to the CPU numbers here: the IPI logic follows whatever IDs vm/part/lapic.c gave. */
		part.vcpus[i].lapic.id = cfg.cpus[i];
		part.vcpus[i].state = i ? PART_VCPU_WAIT_SIPI : PART_VCPU_RUNNING;
	}
	return 0;
}

static struct part_vcpu *ap(u32 cpu)
{
	return partition_vcpu_by_apic_id(&part, cpu);
}

static void init_sipi_sipi_starts_the_ap_in_real_mode(void **state)
{
	(void)state;
	struct vcpu_entry e;

	assert_int_equal(partition_ipi(&part, 1, 2, ICR_INIT_ASSERT), 0);
	assert_int_equal(partition_ipi(&part, 1, 2, ICR_INIT_DEASSERT), 0);     /* nothing for a vCPU */
	assert_int_equal(kicks[2], 1);
	assert_int_equal(partition_ipi(&part, 1, 2, ICR_SIPI(0x09)), 0);
	assert_int_equal(kicks[2], 2);
	/* The AP, on its CPU: INIT then the SIPI taken together. */
	assert_true(partition_vcpu_take_start(&part, ap(2), &e));
	assert_int_equal(e.mode, VCPU_MODE_REAL16);
	assert_int_equal(e.real_cs, 0x0900);
	assert_int_equal(e.rip, 0);
	assert_int_equal(ap(2)->state, PART_VCPU_RUNNING);
	assert_int_equal(ap(2)->sipis, 1);
	/* The second SIPI of the sequence finds it running: ignored, as the SDM has it. */
	assert_int_equal(partition_ipi(&part, 1, 2, ICR_SIPI(0x09)), -HV_ENOENT);
	assert_false(partition_vcpu_take_start(&part, ap(2), &e));
	assert_int_equal(part.ipi_sent, 2);
	assert_int_equal(part.ipi_dropped[PART_IPI_SIPI_IGNORED], 1);
	assert_true(fake_log_has("INFO smp0: IPI from APIC ID 0x"));   /* by the book: said, not warned */
	assert_false(fake_log_has("WARN smp0: IPI from APIC ID"));
	/* The other AP was not touched. */
	assert_int_equal(kicks[3], 0);
	assert_int_equal(ap(3)->state, PART_VCPU_WAIT_SIPI);
}

static void a_sipi_counts_only_while_the_ap_waits(void **state)
{
	(void)state;
	struct vcpu_entry e;

	/* At start an AP waits: a SIPI alone starts it. */
	assert_int_equal(partition_ipi(&part, 1, 3, ICR_SIPI(0x10)), 0);
	/* A second SIPI before the first was taken is ignored; the first one's vector stays. */
	assert_int_equal(partition_ipi(&part, 1, 3, ICR_SIPI(0x20)), -HV_ENOENT);
	assert_true(partition_vcpu_take_start(&part, ap(3), &e));
	assert_int_equal(e.real_cs, 0x1000);
	/* Running: INIT puts it back to waiting, and nothing starts it without a SIPI. */
	assert_int_equal(partition_ipi(&part, 1, 3, ICR_INIT_ASSERT), 0);
	assert_false(partition_vcpu_take_start(&part, ap(3), &e));
	assert_int_equal(ap(3)->state, PART_VCPU_WAIT_SIPI);
	assert_true(fake_log_has("smp0: CPU 3: INIT, waiting for SIPI"));
	/* A SIPI, then an INIT before the AP took it: the INIT wins, the SIPI is forgotten. */
	assert_int_equal(partition_ipi(&part, 1, 3, ICR_SIPI(0x30)), 0);
	assert_int_equal(partition_ipi(&part, 1, 3, ICR_INIT_ASSERT), 0);
	assert_false(partition_vcpu_take_start(&part, ap(3), &e));
	assert_int_equal(partition_ipi(&part, 1, 3, ICR_SIPI(0x40)), 0);
	assert_true(partition_vcpu_take_start(&part, ap(3), &e));
	assert_int_equal(e.real_cs, 0x4000);
	assert_int_equal(ap(3)->sipis, 2);
}

static void anything_outside_the_partition_is_dropped_counted_and_logged_once(void **state)
{
	(void)state;
	/* CPU 4 is another partition's; 7 nobody's. */
	assert_int_equal(partition_ipi(&part, 1, 4, ICR_INIT_ASSERT), -HV_ENOENT);
	assert_int_equal(partition_ipi(&part, 1, 4, ICR_SIPI(0x09)), -HV_ENOENT);
	assert_int_equal(partition_ipi(&part, 2, 7, ICR_FIXED(0x40)), -HV_ENOENT);
	assert_int_equal(kicks[4] + kicks[7], 0);
	assert_int_equal(part.ipi_dropped[PART_IPI_OUTSIDE], 3);
	assert_int_equal(part.ipi_sent, 0);
	assert_int_equal(fake_log_count("dropped: aimed outside the partition"), 1);
	assert_true(fake_log_has("smp0: IPI from APIC ID 0x1 to APIC ID 0x4 (ICR 0x00004500) dropped: aimed outside the partition (further ones counted)"));
}

static void init_or_sipi_to_the_bsp_or_itself_is_dropped(void **state)
{
	(void)state;
	assert_int_equal(partition_ipi(&part, 2, 1, ICR_INIT_ASSERT), -HV_ENOENT);
	assert_int_equal(partition_ipi(&part, 2, 1, ICR_SIPI(0x09)), -HV_ENOENT);
	assert_int_equal(partition_ipi(&part, 2, 2, ICR_INIT_ASSERT), -HV_ENOENT);
	assert_int_equal(part.ipi_dropped[PART_IPI_BSP], 3);
	assert_int_equal(kicks[1] + kicks[2], 0);
	assert_int_equal(part.vcpus[0].pending, 0);
	assert_int_equal(fake_log_count("INIT or SIPI to the BSP"), 1);
}

/* A back end that can hold NMIs for a guest (the IPI code only asks whether it can inject one). */
static void stub_nmi_inject(struct vcpu *v)
{
	(void)v;
}
static const struct virt_ops nmi_ops = { .name = "stub", .nmi_inject = stub_nmi_inject };

static void modes_guests_do_not_get_are_dropped(void **state)
{
	(void)state;
	/* NMI only where the back end can block a guest's NMIs until its IRET. */
	assert_int_equal(partition_ipi(&part, 1, 2, ICR_NMI), -HV_ENOENT);
	assert_int_equal(partition_ipi(&part, 1, 2, ICR_SMI), -HV_ENOENT);
	assert_int_equal(partition_ipi(&part, 1, 2, ICR_INIT_ASSERT | ICR_LOGICAL), -HV_ENOENT);
	assert_int_equal(part.ipi_dropped[PART_IPI_MODE], 3);
	assert_int_equal(ap(2)->pending, 0);
	assert_int_equal(kicks[2], 0);
}

static void broadcasts_reach_the_partitions_own_aps_only(void **state)
{
	(void)state;
	struct vcpu_entry e;

	/* All-but-self INIT then SIPI from the BSP: both APs, never the BSP, never CPU 4. */
	assert_int_equal(partition_ipi(&part, 1, 0, ICR_INIT_ASSERT | ICR_ALL_BUT_SELF), 0);
	assert_int_equal(partition_ipi(&part, 1, 0, ICR_SIPI(0x08) | ICR_ALL), 0);
	/* Physical destination 0xff is every CPU too. */
	assert_int_equal(partition_ipi(&part, 1, 0xff, ICR_SIPI(0x08)), -HV_ENOENT);   /* both already hold one */
	assert_int_equal(kicks[2], 2);
	assert_int_equal(kicks[3], 2);
	assert_int_equal(kicks[1] + kicks[4], 0);
	assert_true(partition_vcpu_take_start(&part, ap(2), &e));
	assert_true(partition_vcpu_take_start(&part, ap(3), &e));
	assert_int_equal(e.real_cs, 0x0800);
	assert_int_equal(part.vcpus[0].pending, 0);
}

#define lapic(i)        (part.vcpus[i].lapic)

/* What vm/part/lapic.c's notify hook does: the vCPU's CPU is kicked. */
static void notify_kick(void *ctx)
{
	smp_kick(((struct part_vcpu *)ctx)->v.cpu);
}

/* Each vCPU's local APIC, as the vCPU's set-up gives it: APIC ID = its CPU. */
static void with_lapics(void)
{
	for (u32 i = 0; i < 3; i++) {
		vlapic_reset(&part.vcpus[i].lapic, cfg.cpus[i], i == 0, false);
		part.vcpus[i].lapic.notify = notify_kick;
		part.vcpus[i].lapic.ctx = &part.vcpus[i];
	}
}

/* The local APIC's ICR hook, as vm/part/lapic.c wires it. */
static int lapic_to_partition(void *ctx, u32 from, u32 dest, u32 icr_lo)
{
	return partition_ipi(((struct part_vcpu *)ctx)->v.part, from, dest, icr_lo);
}

/* An NMI IPI is held for its vCPU, which is kicked; to itself too (vm/dev/vlapic.c passes a self-NMI on). */
static void nmis_are_held_for_their_vcpu(void **state)
{
	(void)state;
	with_lapics();
	part.ops = &nmi_ops;
	assert_int_equal(partition_ipi(&part, 1, 3, ICR_NMI), 0);
	assert_int_equal(ap(3)->nmi_pending, 1);
	assert_int_equal(kicks[3], 1);
	assert_int_equal(ap(2)->nmi_pending, 0);
	/* Through the BSP's ICR, to itself (APIC ID 1 here): not kept by its local APIC, held by the partition. */
	lapic(0).ipi = lapic_to_partition;
	assert_int_equal(vlapic_msr_write(&lapic(0), 0x1b, 0xfee00c00 | 0x100), 0);
	assert_int_equal(vlapic_msr_write(&lapic(0), 0x80f, 0x1ff), 0);
	assert_int_equal(vlapic_msr_write(&lapic(0), 0x830, (u64)1 << 32 | ICR_NMI), 0);
	assert_int_equal(part.vcpus[0].nmi_pending, 1);
	assert_int_equal(lapic(0).ipis_failed, 0);
	assert_int_equal(vlapic_pending(&lapic(0)), -1);
	assert_int_equal(part.ipi_dropped[PART_IPI_MODE], 0);
}

static bool irr_has(const struct vlapic *l, u8 vec)
{
	return l->irr[vec / 32] & (1u << (vec % 32));
}

static void fixed_ipis_land_in_the_destinations_local_apic(void **state)
{
	(void)state;
	/* A local APIC that is off (IA32_APIC_BASE.EN clear, as memset leaves it) takes nothing: dropped, counted. */
	assert_int_equal(partition_ipi(&part, 1, 2, ICR_FIXED(0x40)), -HV_ENOENT);
	assert_int_equal(part.ipi_dropped[PART_IPI_NOT_ACCEPTED], 1);
	with_lapics();
	assert_int_equal(partition_ipi(&part, 1, 2, ICR_FIXED(0x40)), 0);
	assert_true(irr_has(&lapic(1), 0x40));
	assert_false(irr_has(&lapic(0), 0x40) || irr_has(&lapic(2), 0x40));
	assert_int_equal(kicks[2], 1);
	/* The AP answers: a fixed IPI back to the BSP. */
	assert_int_equal(partition_ipi(&part, 2, 1, ICR_FIXED(0x41)), 0);
	assert_true(irr_has(&lapic(0), 0x41));
	assert_int_equal(kicks[1], 1);
	/* An illegal vector is the destination's to refuse (SDM vol 3 11.8.3.1). */
	assert_int_equal(partition_ipi(&part, 1, 3, ICR_FIXED(0x05)), -HV_ENOENT);
	assert_int_equal(part.ipi_dropped[PART_IPI_NOT_ACCEPTED], 2);
	assert_int_equal(part.ipi_sent, 2);
	/* Outside the partition no local APIC is reached, whatever the vector. */
	assert_int_equal(partition_ipi(&part, 1, 4, ICR_FIXED(0x40)), -HV_ENOENT);
	assert_int_equal(kicks[4], 0);
}

static void a_broadcast_by_apic_id_skips_the_sender(void **state)
{
	(void)state;
	with_lapics();
	/* The vlapic hands "every other CPU" on as 0xffffffff; xAPIC's 0xff is the same here. */
	assert_int_equal(partition_ipi(&part, 2, 0xffffffffu, ICR_FIXED(0x50)), 0);
	assert_true(irr_has(&lapic(0), 0x50) && irr_has(&lapic(2), 0x50));
	assert_false(irr_has(&lapic(1), 0x50));
	assert_int_equal(partition_ipi(&part, 1, 0xff, ICR_FIXED(0x51)), 0);
	assert_true(irr_has(&lapic(1), 0x51) && irr_has(&lapic(2), 0x51));
	assert_false(irr_has(&lapic(0), 0x51));
	assert_int_equal(part.ipi_sent, 4);
}

static void kicks_every_other_vcpu(void **state)
{
	(void)state;
	partition_kick_vcpus(&part, 2);
	assert_int_equal(kicks[1], 1);
	assert_int_equal(kicks[2], 0);
	assert_int_equal(kicks[3], 1);
	/* The partition is done once every started vCPU's thread finished, each counted once. */
	part.vcpus_live = 2;
	partition_vcpu_finished(&part, &part.vcpus[0]);
	partition_vcpu_finished(&part, &part.vcpus[0]);
	assert_false(part.done);
	partition_vcpu_finished(&part, &part.vcpus[1]);
	assert_true(part.done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(init_sipi_sipi_starts_the_ap_in_real_mode, setup),
		cmocka_unit_test_setup(a_sipi_counts_only_while_the_ap_waits, setup),
		cmocka_unit_test_setup(anything_outside_the_partition_is_dropped_counted_and_logged_once, setup),
		cmocka_unit_test_setup(init_or_sipi_to_the_bsp_or_itself_is_dropped, setup),
		cmocka_unit_test_setup(modes_guests_do_not_get_are_dropped, setup),
		cmocka_unit_test_setup(broadcasts_reach_the_partitions_own_aps_only, setup),
		cmocka_unit_test_setup(fixed_ipis_land_in_the_destinations_local_apic, setup),
		cmocka_unit_test_setup(a_broadcast_by_apic_id_skips_the_sender, setup),
		cmocka_unit_test_setup(kicks_every_other_vcpu, setup),
		cmocka_unit_test_setup(nmis_are_held_for_their_vcpu, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
