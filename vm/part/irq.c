/*
 * Host vectors for partitions' device MSIs (vm/part/irq.h). A slot is one
 * host vector: taken when a guest enables its function's MSI
 * (vm/dev/vpci_msi.c), freed when it disables it or the partition stops.
 * The entry is written through iommu_ops.intr_alloc: it names the one
 * requester allowed (the function, or the bus range behind a PCIe-to-PCI
 * bridge, VT-d §9.10 SVT) and the partition's first CPU.
 */
#include "vm/part/irq.h"
#include "vm/part/partition.h"
#include "vm/part/attack.h"
#include "vm/dev/vlapic.h"
#include "kernel/err.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "pci/pci.h"

struct part_irq {
	struct partition *p;            /* NULL: free */
	u32 sbdf;
	u8 gvec;
	u32 handle;                     /* the IRTE */
	struct iommu_intr_src src;
	volatile u64 count;
};

static struct part_irq slots[PART_IRQ_NR];
static struct spinlock slots_lock;
static volatile u64 stray;

/*
 * The requester an IRTE must accept from sbdf: its routing ID, or, when a
 * PCIe-to-PCI bridge is upstream, the bridge's secondary-to-subordinate
 * buses (such a bridge may take ownership of the request: PCIe-to-PCI/PCI-X
 * Bridge spec §2.3, and VT-d §9.10 SVT = 10 is for this case).
 */
static void intr_src(u32 sbdf, struct iommu_intr_src *s)
{
	memset(s, 0, sizeof(*s));
	s->sbdf = sbdf;
	for (const struct pci_dev *d = pci_find(sbdf); d; d = d->parent) {
		if (d->kind == PCI_KIND_PCIE_PCI_BRIDGE) {
			s->bus_range = true;
			s->bus_first = d->sec_bus;
			s->bus_last = d->sub_bus;
		}
	}
}

static int irq_enable(void *ctx, u32 sbdf, u8 gvec, u64 *addr, u32 *data, u32 *cookie)
{
	struct partition *p = ctx;
	const struct partition_cfg *c = p->cfg;
	struct iommu_msi_msg msg;
	struct part_irq *s = NULL;

	if (!c->iommu || !c->iommu_ops || !c->iommu_ops->intr_alloc || !c->nr_cpus)
		return -HV_ENOTSUP;
	const struct cpu *cpu = smp_cpu(c->cpus[0]);
	if (!cpu)
		return -HV_ENODEV;
	spin_lock(&slots_lock);
	for (u32 i = 0; i < PART_IRQ_NR && !s; i++)
		if (!slots[i].p)
			s = &slots[i];
	if (s)
		s->p = p;
	spin_unlock(&slots_lock);
	if (!s)
		return -HV_ENOMEM;
	u8 hvec = (u8)(PART_IRQ_FIRST + (s - slots));
	intr_src(sbdf, &s->src);
	int ret = c->iommu_ops->intr_alloc(c->iommu, &s->src, cpu->apic_id, hvec, &msg);
	if (ret) {
		__atomic_store_n(&s->p, NULL, __ATOMIC_RELEASE);
		return ret;
	}
	s->sbdf = sbdf;
	s->gvec = gvec;
	s->handle = msg.handle;
	s->count = 0;
	attack_sluice_wrote("iommu-irt");
	*addr = msg.addr;
	*data = msg.data;
	*cookie = (u32)(s - slots);
	p->irq_enabled++;
	if (s->src.bus_range)
		log_write(LOG_INFO, c->name, "device " BDF_FMT " MSI: guest vector 0x%02x on host vector 0x%02x, CPU %u (APIC ID %u); IRTE 0x%04x accepts buses %02x-%02x (behind a PCIe-to-PCI bridge); device sends 0x%08llx = 0x%08x",
			  BDF_ARGS(sbdf), gvec, hvec, c->cpus[0], cpu->apic_id, msg.handle, s->src.bus_first,
			  s->src.bus_last, (unsigned long long)msg.addr, msg.data);
	else
		log_write(LOG_INFO, c->name, "device " BDF_FMT " MSI: guest vector 0x%02x on host vector 0x%02x, CPU %u (APIC ID %u); IRTE 0x%04x accepts only " BDF_FMT "; device sends 0x%08llx = 0x%08x",
			  BDF_ARGS(sbdf), gvec, hvec, c->cpus[0], cpu->apic_id, msg.handle, BDF_ARGS(sbdf),
			  (unsigned long long)msg.addr, msg.data);
	return 0;
}

bool part_irq_lab_no_iec;

static void irq_disable(void *ctx, u32 sbdf, u32 cookie)
{
	struct partition *p = ctx;
	struct part_irq *s = cookie < PART_IRQ_NR ? &slots[cookie] : NULL;

	if (!s || s->p != p || s->sbdf != sbdf)
		return;
	int ret = p->cfg->iommu_ops->intr_free(p->cfg->iommu, &s->src, s->handle);
	attack_sluice_wrote("iommu-irt");
	log_write(ret ? LOG_ERR : LOG_INFO, p->cfg->name, "device " BDF_FMT " MSI off: host vector 0x%02x freed after %llu interrupt(s); IRTE 0x%04x %s",
		  BDF_ARGS(sbdf), PART_IRQ_FIRST + cookie, (unsigned long long)s->count, s->handle,
		  ret ? hv_strerror(ret) : part_irq_lab_no_iec ? "cleared, interrupt entry cache NOT invalidated (lab switch skip-iec-inv)"
						  : "cleared and invalidated");
	__atomic_store_n(&s->p, NULL, __ATOMIC_RELEASE);
}

const struct vpci_irq_ops part_irq_ops = { irq_enable, irq_disable };

void part_irq_host(void *slot)
{
	u32 i = (u32)(uintptr_t)slot;
	struct part_irq *s = i < PART_IRQ_NR ? &slots[i] : NULL;
	struct partition *p = s ? __atomic_load_n(&s->p, __ATOMIC_ACQUIRE) : NULL;

	if (!p) {
		u64 n = __atomic_add_fetch(&stray, 1, __ATOMIC_RELAXED);
		log_write(LOG_WARN, "irq", "host vector 0x%02x: interrupt with no device MSI behind it (%llu so far): acknowledged, ignored",
			  PART_IRQ_FIRST + i, (unsigned long long)n);
		return;
	}
	__atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
	part_irq_deliver(p, s->sbdf, (u8)(PART_IRQ_FIRST + i), s->gvec);
}

void part_irq_deliver(struct partition *p, u32 sbdf, u8 hvec, u8 gvec)
{
	/* The first vCPU's local APIC marks it pending (IRR) and wakes it; refused while that APIC is disabled. */
	int ret = vlapic_accept(&p->vcpus[0].lapic, gvec);  /* the first CPU, where its IRTE points */
	u64 n = ret ? __atomic_add_fetch(&p->irq_dropped, 1, __ATOMIC_RELAXED)
		    : __atomic_add_fetch(&p->irq_delivered, 1, __ATOMIC_RELAXED);

	if (n <= PART_IRQ_LOG_FIRST)
		log_write(ret ? LOG_WARN : LOG_INFO, p->cfg->name, "device " BDF_FMT " interrupt on host vector 0x%02x: guest vector 0x%02x %s (%llu so far)",
			  BDF_ARGS(sbdf), hvec, gvec, ret ? "dropped: the guest's local APIC is disabled" : "raised",
			  (unsigned long long)n);
}
