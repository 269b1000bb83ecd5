/*
 * Host tests for vm/part/irq.c: the host vectors and IRTEs a partition's
 * device MSIs get, the requester an entry accepts (the function, or the
 * bus range behind a PCIe-to-PCI bridge: VT-d 9.10 SVT), slot
 * exhaustion and reuse, and the handler's delivery, counted per
 * partition. The IOMMU, the CPUs, the guest local APIC and the attack
 * snapshots are this file's fakes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "vm/part/irq.h"
#include "vm/part/partition.h"
#include "kernel/err.h"
#include "kernel/log.h"
#include "kernel/smp.h"
#include "kernel/lib.h"
#include "tests/fakes/fake_log.h"
#include "tests/unit/pci/pci_topo.h"

#define EP              PCI_SBDF(0, 0, 3, 0)    /* on the root bus */
#define BRIDGE          PCI_SBDF(0, 0, 4, 0)    /* PCIe-to-PCI bridge, buses 5-6 */
#define BEHIND          PCI_SBDF(0, 5, 1, 0)

/* ---- fakes ---- */
static struct cpu cpus[4];
struct cpu *smp_cpu(u32 index) { return index < 4 ? &cpus[index] : NULL; }

static unsigned snapshots;
void attack_sluice_wrote(const char *name) { (void)name; snapshots++; }

static struct { unsigned calls; u8 vector; int ret; } accept;
int vlapic_accept(struct vlapic *l, u8 vector)
{
	(void)l;
	accept.calls++;
	accept.vector = vector;
	return accept.ret;
}

static struct iommu_domain *dom = (struct iommu_domain *)&dom;       /* any non-NULL handle */
static struct { unsigned allocs, frees; struct iommu_intr_src src; u32 apic_id; u8 vector; int ret; u32 next; } io;

static int fake_intr_alloc(struct iommu_domain *d, const struct iommu_intr_src *src, u32 apic_id, u8 vector,
			   struct iommu_msi_msg *msg)
{
	assert_ptr_equal(d, dom);
	if (io.ret)
		return io.ret;
	io.allocs++;
	io.src = *src;
	io.apic_id = apic_id;
	io.vector = vector;
	msg->handle = ++io.next;
	msg->addr = 0xfee00010 | msg->handle << 5;
	msg->data = 0;
	return 0;
}

static int fake_intr_free(struct iommu_domain *d, const struct iommu_intr_src *src, u32 handle)
{
	(void)d; (void)src; (void)handle;
	io.frees++;
	return 0;
}

static const struct iommu_ops ops = { .name = "fake", .intr_alloc = fake_intr_alloc, .intr_free = fake_intr_free };
static struct partition_cfg cfg;
static struct partition part;

static int setup(void **state)
{
	(void)state;
	topo_reset();
	topo_ep(EP, 0x1234, 0x11e8, 0);
	topo_port(BRIDGE, 0x7, 5, 6);           /* §7.5.3.2 port type 0111b: PCI Express to PCI/PCI-X Bridge */
	fake_pci_add(BEHIND, 0x1234, 0x11e8, 0x00ff00, 0);
	assert_true(pci_scan() > 0);
	memset(&io, 0, sizeof(io));
	memset(&accept, 0, sizeof(accept));
	memset(&cfg, 0, sizeof(cfg));
	memset(&part, 0, sizeof(part));
	for (u32 i = 0; i < 4; i++)
		cpus[i].apic_id = 0x10 + i;
	str_copy(cfg.name, "p", sizeof(cfg.name));
	cfg.nr_cpus = 1;
	cfg.cpus[0] = 2;
	cfg.iommu = dom;
	cfg.iommu_ops = &ops;
	part.cfg = &cfg;
	/* The slots are static: free what an earlier test left taken. */
	for (u32 i = 0; i < PART_IRQ_NR; i++) {
		part_irq_ops.disable(&part, EP, i);
		part_irq_ops.disable(&part, BEHIND, i);
	}
	memset(&io, 0, sizeof(io));
	fake_log_capture();
	return 0;
}

static int enable(u32 sbdf, u8 gvec, u64 *addr, u32 *cookie)
{
	u32 data = 0xffff;
	int ret = part_irq_ops.enable(&part, sbdf, gvec, addr, &data, cookie);
	if (!ret)
		assert_int_equal(data, 0);
	return ret;
}

/* An endpoint's entry accepts its routing ID only and targets the partition's first CPU. */
static void entry_names_the_function_and_the_first_cpu(void **state)
{
	(void)state;
	u64 addr;
	u32 cookie;
	assert_int_equal(enable(EP, 0x41, &addr, &cookie), 0);
	assert_int_equal(io.src.sbdf, EP);
	assert_false(io.src.bus_range);
	assert_int_equal(io.apic_id, 0x12);
	assert_int_equal(io.vector, PART_IRQ_FIRST);
	assert_int_equal(addr, 0xfee00030);
	assert_int_equal(part.irq_enabled, 1);
	assert_int_equal(snapshots > 0, 1);
	assert_true(fake_log_has("INFO p: device 00:03.0 MSI: guest vector 0x41 on host vector 0x50, CPU 2 (APIC ID 18); IRTE 0x0001 accepts only 00:03.0; device sends 0xfee00030 = 0x00000000\n"));
	part_irq_ops.disable(&part, EP, cookie);
	assert_int_equal(io.frees, 1);
	assert_true(fake_log_has("INFO p: device 00:03.0 MSI off: host vector 0x50 freed after 0 interrupt(s); IRTE 0x0001 cleared and invalidated\n"));
	/* Another partition's cookie, or a wrong function, frees nothing. */
	assert_int_equal(enable(EP, 0x41, &addr, &cookie), 0);
	struct partition other = part;
	part_irq_ops.disable(&other, EP, cookie);
	part_irq_ops.disable(&part, BEHIND, cookie);
	assert_int_equal(io.frees, 1);
	/* With the lab switch skip-iec-inv the line does not claim the invalidation. */
	part_irq_lab_no_iec = true;
	part_irq_ops.disable(&part, EP, cookie);
	part_irq_lab_no_iec = false;
	assert_true(fake_log_has("cleared, interrupt entry cache NOT invalidated (lab switch skip-iec-inv)\n"));
}

/* Behind a PCIe-to-PCI bridge the entry accepts the bridge's bus range (SVT = 10). */
static void behind_a_pcie_to_pci_bridge_the_bus_range(void **state)
{
	(void)state;
	u64 addr;
	u32 cookie;
	assert_int_equal(pci_find(BRIDGE)->kind, PCI_KIND_PCIE_PCI_BRIDGE);
	assert_int_equal(enable(BEHIND, 0x42, &addr, &cookie), 0);
	assert_true(io.src.bus_range);
	assert_int_equal(io.src.bus_first, 5);
	assert_int_equal(io.src.bus_last, 6);
	assert_true(fake_log_has("IRTE 0x0001 accepts buses 05-06 (behind a PCIe-to-PCI bridge)"));
}

/* 64 host vectors, then -HV_ENOMEM; a freed one is taken again; IOMMU errors and no domain leave no slot taken. */
static void slots_run_out_and_come_back(void **state)
{
	(void)state;
	u64 addr;
	u32 cookie, first = 0;
	for (u32 i = 0; i < PART_IRQ_NR; i++) {
		assert_int_equal(enable(EP, 0x41, &addr, &cookie), 0);
		if (!i)
			first = cookie;
		assert_int_equal(io.vector, PART_IRQ_FIRST + i);
	}
	assert_int_equal(enable(EP, 0x41, &addr, &cookie), -HV_ENOMEM);
	part_irq_ops.disable(&part, EP, first);
	assert_int_equal(enable(EP, 0x41, &addr, &cookie), 0);
	assert_int_equal(io.vector, PART_IRQ_FIRST);
	for (u32 i = 0; i < PART_IRQ_NR; i++)
		part_irq_ops.disable(&part, EP, i);
	io.ret = -HV_ENOTSUP;
	assert_int_equal(enable(EP, 0x41, &addr, &cookie), -HV_ENOTSUP);
	io.ret = 0;
	assert_int_equal(enable(EP, 0x41, &addr, &cookie), 0);
	assert_int_equal(io.vector, PART_IRQ_FIRST);            /* the failed one gave its slot back */
	part_irq_ops.disable(&part, EP, cookie);
	cfg.iommu = NULL;
	assert_int_equal(enable(EP, 0x41, &addr, &cookie), -HV_ENOTSUP);
}

/* The handler raises the guest vector in the partition's local APIC and counts; a free slot is a stray. */
static void handler_delivers_and_counts(void **state)
{
	(void)state;
	u64 addr;
	u32 cookie;
	assert_int_equal(enable(EP, 0x41, &addr, &cookie), 0);
	for (u32 i = 0; i < 5; i++)
		part_irq_host((void *)(uintptr_t)cookie);
	assert_int_equal(accept.calls, 5);
	assert_int_equal(accept.vector, 0x41);
	assert_int_equal(part.irq_delivered, 5);
	assert_true(fake_log_has("INFO p: device 00:03.0 interrupt on host vector 0x50: guest vector 0x41 raised (3 so far)\n"));
	assert_false(fake_log_has("raised (4 so far)"));
	accept.ret = -HV_EINVAL;
	part_irq_host((void *)(uintptr_t)cookie);
	assert_int_equal(part.irq_dropped, 1);
	assert_true(fake_log_has("WARN p: device 00:03.0 interrupt on host vector 0x50: guest vector 0x41 dropped: the guest's local APIC is disabled (1 so far)\n"));
	part_irq_ops.disable(&part, EP, cookie);
	assert_true(fake_log_has("MSI off: host vector 0x50 freed after 6 interrupt(s)"));
	part_irq_host((void *)(uintptr_t)cookie);
	assert_int_equal(accept.calls, 6);
	assert_true(fake_log_has("WARN irq: host vector 0x50: interrupt with no device MSI behind it (1 so far): acknowledged, ignored\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(entry_names_the_function_and_the_first_cpu, setup),
		cmocka_unit_test_setup(behind_a_pcie_to_pci_bridge_the_bus_range, setup),
		cmocka_unit_test_setup(slots_run_out_and_come_back, setup),
		cmocka_unit_test_setup(handler_delivers_and_counts, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
