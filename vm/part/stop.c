/*
 * How a partition ends, whichever way it goes (its guest exits or halts,
 * it is parked, the boot CPU asks it to stop, its CPU is lost): one final
 * state, its devices' DMA stopped, its memory out of the IOMMU, ATS off,
 * its counters logged. Exit handling (vm/part/exit.c), the restart
 * (vm/part/partition.c) and the boot CPU's watch (vm/part/run.c) call
 * these steps; nothing here calls back into them.
 */
#include "vm/part/partition.h"
#include "vm/part/attack.h"
#include "vm/part/map.h"
#include "vm/part/expect.h"
#include "vm/part/limits.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/check.h"
#include "kernel/smp.h"
#include "pci/pci.h"

u64 partition_exits(const struct partition *p, enum vm_exit_reason r)
{
	u64 t = 0;
	for (u32 i = 0; i < PART_MAX_CPUS; i++)
		t += __atomic_load_n(&p->vcpus[i].exits[r], __ATOMIC_RELAXED);
	return t;
}

u64 partition_total_exits(const struct partition *p)
{
	u64 t = 0;
	for (u32 r = 1; r < VM_EXIT_NR; r++)
		t += partition_exits(p, (enum vm_exit_reason)r);
	return t;
}

/* Its local APICs' counters, every vCPU's summed (nothing when no APIC did anything). */
static void log_lapic_counters(const struct partition *p)
{
	u64 ticks = 0, injected = 0, eois = 0, self_ipis = 0, sent = 0, failed = 0, pv_eois = 0;

	for (u32 i = 0; i < p->nr_vcpus; i++) {
		const struct vlapic *l = &p->vcpus[i].lapic;
		ticks += l->ticks;
		injected += l->injected;
		eois += l->eois;
		self_ipis += l->self_ipis;
		sent += l->ipis_sent;
		failed += l->ipis_failed;
		pv_eois += l->pv_eois;
	}
	if (ticks || injected || eois || sent)
		log_write(LOG_INFO, p->cfg->name, "counters: local APIC: %llu timer ticks, %llu interrupts injected, %llu EOIs, %llu self-IPIs, %llu IPIs sent (%llu dropped)",
			  (unsigned long long)ticks, (unsigned long long)injected, (unsigned long long)eois,
			  (unsigned long long)self_ipis, (unsigned long long)sent, (unsigned long long)failed);
	if (p->cfg->pv_eoi)
		log_write(LOG_INFO, p->cfg->name, "counters: pv-eoi: %llu EOIs skipped (signalled in the guest's word, done at the next exit), %llu written",
			  (unsigned long long)pv_eois, (unsigned long long)(eois - pv_eois));
}

/* A partition with several vCPUs: its IPIs and, per vCPU, its exits and SIPIs (one-vCPU partitions print none of it). */
static void log_smp_counters(const struct partition *p)
{
	if (p->nr_vcpus < 2)
		return;
	log_write(LOG_INFO, p->cfg->name,
		  "counters: IPIs %llu delivered, dropped %llu outside the partition, %llu bad mode, %llu INIT/SIPI to the BSP, %llu SIPIs ignored, %llu fixed not accepted",
		  (unsigned long long)p->ipi_sent, (unsigned long long)p->ipi_dropped[PART_IPI_OUTSIDE],
		  (unsigned long long)p->ipi_dropped[PART_IPI_MODE], (unsigned long long)p->ipi_dropped[PART_IPI_BSP],
		  (unsigned long long)p->ipi_dropped[PART_IPI_SIPI_IGNORED],
		  (unsigned long long)p->ipi_dropped[PART_IPI_NOT_ACCEPTED]);
	for (u32 i = 0; i < p->nr_vcpus; i++) {
		const struct part_vcpu *pv = &p->vcpus[i];
		u64 t = 0;
		for (u32 r = 1; r < VM_EXIT_NR; r++)
			t += pv->exits[r];
		log_write(LOG_INFO, p->cfg->name, "counters: CPU %u (%s): %llu exits, %u SIPIs taken", pv->v.cpu,
			  i ? "AP" : "BSP", (unsigned long long)t, pv->sipis);
	}
}

/* The unclaimed port accesses by port: "0x0080 0r/12w, 0x0061 3r/1w", and the rest past the table. */
static void log_unclaimed_ports(const struct partition *p)
{
	char buf[PART_UNCLAIMED_PORTS * 32 + 64];
	size_t n = 0;

	if (!p->nr_unclaimed_ports)
		return;
	for (u32 i = 0; i < p->nr_unclaimed_ports && n < sizeof(buf); i++) {
		const struct part_port_count *c = &p->unclaimed_ports[i];
		n += (size_t)fmt_snprintf(buf + n, sizeof(buf) - n, "%s0x%04x %llur/%lluw", i ? ", " : "", c->port,
					  (unsigned long long)c->reads, (unsigned long long)c->writes);
	}
	if (p->unclaimed_other && n < sizeof(buf))
		fmt_snprintf(buf + n, sizeof(buf) - n, "; %llu to other ports", (unsigned long long)p->unclaimed_other);
	log_write(LOG_INFO, p->cfg->name, "counters: unclaimed ports (reads/writes): %s", buf);
}

/* Its DMA faults: drained (raised), logged and suppressed by the log's rate limit, and per device. */
static void log_fault_counters(const struct partition *p)
{
	u64 raised = p->cfg->iommu ? iommu_domain_faults(p->cfg->iommu) : 0, logged = 0, suppressed = 0;
	char buf[LOG_LINE_MAX / 2];
	size_t n = 0;

	if (!raised)
		return;
	iommu_domain_fault_counts(p->cfg->iommu, &logged, &suppressed);
	buf[0] = '\0';
	for (u32 i = 0; i < p->cfg->nr_devices && n < sizeof(buf); i++)
		n += (size_t)fmt_snprintf(buf + n, sizeof(buf) - n, ", " BDF_FMT " %llu", BDF_ARGS(p->cfg->devices[i].sbdf),
					  (unsigned long long)p->dev_faults[i]);
	log_write(LOG_INFO, p->cfg->name, "counters: DMA faults %llu raised, %llu logged, %llu suppressed (per device%s)",
		  (unsigned long long)raised, (unsigned long long)logged, (unsigned long long)suppressed, buf);
}

void partition_log_counters(struct partition *p)
{
	char buf[LOG_LINE_MAX / 2];
	u64 c[VM_EXIT_NR], total = 0;

	for (u32 r = 0; r < VM_EXIT_NR; r++) {
		c[r] = r ? partition_exits(p, (enum vm_exit_reason)r) : 0;
		total += c[r];
	}
	log_write(LOG_INFO, p->cfg->name, "counters: %llu exits (%s)", (unsigned long long)total,
		  exit_reasons_format(c, buf, sizeof(buf)));
	if (p->io_loop_ios)
		log_write(LOG_INFO, p->cfg->name, "counters: %llu I/Os in marked loops, %llu VM exits, %llu.%02llu exits per I/O",
			  (unsigned long long)p->io_loop_ios, (unsigned long long)p->io_loop_exits,
			  (unsigned long long)(p->io_loop_exits / p->io_loop_ios),
			  (unsigned long long)(p->io_loop_exits * 100 / p->io_loop_ios % 100));
	log_write(LOG_INFO, p->cfg->name,
		  "counters: %llu console bytes, %llu unclaimed port accesses, %llu bad hypercalls, %llu config writes filtered, %llu DMA faults, verdicts %u pass %u fail",
		  (unsigned long long)p->console_bytes, (unsigned long long)p->io_unclaimed,
		  (unsigned long long)p->bad_hypercalls, (unsigned long long)p->vpci.denied_writes,
		  (unsigned long long)(p->cfg->iommu ? iommu_domain_faults(p->cfg->iommu) : 0),
		  p->verdict_pass, p->verdict_fail);
	if (p->user_hypercalls)
		log_write(LOG_INFO, p->cfg->name, "counters: %llu hypercalls from user mode refused", (unsigned long long)p->user_hypercalls);
	if (p->marks || p->mark_refused)
		log_write(LOG_INFO, p->cfg->name, "counters: mark port: %llu intervals measured, %llu writes refused",
			  (unsigned long long)p->marks, (unsigned long long)p->mark_refused);
	log_fault_counters(p);
	log_unclaimed_ports(p);
	if (p->rtc.time_writes || p->rtc.ro_writes || p->rtc.nmi_mask_writes)
		log_write(LOG_INFO, p->cfg->name, "counters: CMOS clock: %llu time writes dropped (the clock is read-only), %llu Register C/D writes dropped, %llu index writes with the NMI mask bit",
			  (unsigned long long)p->rtc.time_writes, (unsigned long long)p->rtc.ro_writes,
			  (unsigned long long)p->rtc.nmi_mask_writes);
	if (p->msr_refused || p->msr_dropped || p->exc_injected)
		log_write(LOG_INFO, p->cfg->name, "counters: %llu MSR accesses refused with #GP, %llu MSR writes dropped, %llu #UD/#GP raised for instructions",
			  (unsigned long long)p->msr_refused, (unsigned long long)p->msr_dropped, (unsigned long long)p->exc_injected);
	if (p->acpi_ignored)
		log_write(LOG_INFO, p->cfg->name, "counters: %llu ACPI power-port accesses with no power action",
			  (unsigned long long)p->acpi_ignored);
	if (p->fwcfg.selects || p->fwcfg.reads || p->fwcfg.writes_dropped || p->fwcfg.bad_accesses)
		log_write(LOG_INFO, p->cfg->name, "counters: fw_cfg: %llu selects, %llu bytes read, %llu writes dropped, %llu accesses of a width it refuses",
			  (unsigned long long)p->fwcfg.selects, (unsigned long long)p->fwcfg.reads,
			  (unsigned long long)p->fwcfg.writes_dropped, (unsigned long long)p->fwcfg.bad_accesses);
	if (p->legacy)
		log_write(LOG_INFO, p->cfg->name, "counters: legacy PIC and PIT: %llu PIT edges, %llu PIC interrupts delivered, %llu spurious, %llu EOIs, %llu unsupported settings, %llu accesses to PIT counter 1",
			  (unsigned long long)p->pit.edges, (unsigned long long)p->pic.delivered,
			  (unsigned long long)p->pic.spurious, (unsigned long long)p->pic.eois,
			  (unsigned long long)(p->pic.unsupported + p->pit.unsupported), (unsigned long long)p->pit.other_accesses);
	if (p->pit2.other_accesses || p->pit2.unsupported)
		log_write(LOG_INFO, p->cfg->name, "counters: PIT counter 2: %llu unsupported settings (BCD, modes 1 and 5), %llu accesses for counters the partition does not have",
			  (unsigned long long)p->pit2.unsupported, (unsigned long long)p->pit2.other_accesses);
	if (p->irq_enabled)
		log_write(LOG_INFO, p->cfg->name, "counters: device interrupts: %u MSI enable(s), %llu interrupt(s) delivered, %llu dropped (local APIC disabled)",
			  p->irq_enabled, (unsigned long long)p->irq_delivered, (unsigned long long)p->irq_dropped);
	log_lapic_counters(p);
	log_smp_counters(p);
	if (p->cfg->iommu) {
		char inv[LOG_LINE_MAX / 2];
		iommu_domain_inv_format(p->cfg->iommu, inv, sizeof(inv));
		log_write(LOG_INFO, p->cfg->name, "counters: invalidations for its domain: %s", inv[0] ? inv : "none");
		struct iommu_change_counts c;
		iommu_domain_change_counts(p->cfg->iommu, &c);
		log_write(LOG_INFO, p->cfg->name, "counters: map changes for its domain: %llu maps took %llu batches of %llu descriptors and %llu write-buffer flushes; %llu unmaps took %llu batches of %llu descriptors and %llu write-buffer flushes",
			  (unsigned long long)c.changes[0], (unsigned long long)c.batches[0],
			  (unsigned long long)c.descriptors[0], (unsigned long long)c.wb_flushes[0],
			  (unsigned long long)c.changes[1], (unsigned long long)c.batches[1],
			  (unsigned long long)c.descriptors[1], (unsigned long long)c.wb_flushes[1]);
	}
}

/* Moves p to a final state once; false when it already was in one (another CPU got there first). */
static bool set_final(struct partition *p, enum part_state st)
{
	spin_lock(&p->lock);
	bool first = p->state == PART_RUNNING || p->state == PART_IDLE;
	if (first)
		p->state = st;
	spin_unlock(&p->lock);
	return first;
}

static void stop_devices(struct partition *p);

void partition_end_check(struct partition *p)
{
	char text[PART_END_TEXT_MAX];

	if (__atomic_exchange_n(&p->end_checked, 1, __ATOMIC_ACQ_REL))
		return;
	const struct part_end end = {
		.state = p->state,
		.started = p->started,
		.stop = partition_stop_pending(p),
		.code = p->exit_code,
		.why = p->why,
	};
	bool ok = partition_end_judge(&end, p->cfg->expect, p->cfg->expect_code, text, sizeof(text));
	check(ok, "%s: %s", p->cfg->name, text);
}

void partitions_check_ends(struct partition_set *ps)
{
	for (u32 i = 0; i < ps->nr; i++)
		partition_end_check(&ps->p[i]);
}

int partition_end(struct partition *p, enum part_state st, u64 code, const char *how)
{
	if (!set_final(p, st))
		return 1;
	vuart_flush(&p->uart);
	p->exit_code = code;
	/* A halt's reason (interrupts off, or nothing left that could wake it) is what its end check says. */
	if (st == PART_HALTED)
		str_copy(p->why, how, sizeof(p->why));
	log_write(LOG_INFO, p->cfg->name, "%s: partition %s (code %llu)", how, part_state_name(st),
		  (unsigned long long)code);
	map_log_partition(p);
	partition_end_check(p);
	stop_devices(p);
	partition_log_counters(p);
	attack_partition_ended(p);
	return 1;
}

void partition_dma_stop(struct partition *p)
{
	for (u32 i = 0; i < p->cfg->nr_devices; i++) {
		u32 sbdf = p->cfg->devices[i].sbdf;
		pci_bus_master_off(sbdf);
		log_write(LOG_INFO, p->cfg->name, "device " BDF_FMT ": bus mastering off", BDF_ARGS(sbdf));
	}
}

/* The function at sbdf when ATS is enabled on it, else NULL. */
static struct pci_dev *ats_function(u32 sbdf)
{
	struct pci_dev *pd = pci_find(sbdf);
	return pd && pd->ecap_ats && ats_enabled(pd) ? pd : NULL;
}

/* ATS off on the function, then in the IOMMU (its ATC may hold translations no invalidation reached). */
static void ats_off(struct partition *p, u32 sbdf)
{
	struct pci_dev *pd = ats_function(sbdf);
	if (!pd)
		return;
	ats_disable(pd);
	if (p->cfg->iommu && p->cfg->iommu_ops->set_ats)
		p->cfg->iommu_ops->set_ats(p->cfg->iommu, sbdf, NULL, NULL, 0);
	log_write(LOG_INFO, p->cfg->name, "device " BDF_FMT ": ATS off", BDF_ARGS(sbdf));
}

/*
 * Partition stop (it exited or is parked): its devices stop DMA (bus
 * mastering off), its memory leaves the IOMMU through the invalidation
 * sequence (IOTLB, then the device-TLB of each ATS function, one wait:
 * done while ATS is still on, so the invalidations reach the ATCs), then
 * ATS goes off and each VF is reset (FLR): it keeps nothing for its next
 * owner. After an invalidation time-out ATS goes off first, so no wait
 * hangs on a device that did not answer.
 */
static void stop_devices(struct partition *p)
{
	struct partition_cfg *d = p->cfg;

	partition_dma_stop(p);
	/* Its devices' MSIs off and their remapping entries cleared. */
	vpci_msi_off(&p->vpci);
	vpci_msix_off(&p->vpci);
	/* Faults its devices raised before they stopped count in its summary, whichever CPU takes the interrupt. */
	if (d->iommu)
		d->iommu_ops->poll_faults();
	for (u32 i = 0; i < d->nr_devices && p->inv_timed_out; i++)
		ats_off(p, d->devices[i].sbdf);
	if (d->iommu) {
		u32 atc = 0;
		for (u32 i = 0; i < d->nr_devices; i++)
			atc += ats_function(d->devices[i].sbdf) != NULL;
		int ret = partition_iommu_unmap(p);
		if (ret)
			log_write(LOG_ERR, d->name, "memory not out of the IOMMU: %s (its devices stay stopped)",
				  hv_strerror(ret));
		else
			log_write(LOG_INFO, d->name, "memory out of the IOMMU: %u region(s) unmapped, IOTLB%s invalidated",
				  d->nr_regions, atc ? " and the device-TLB of each ATS function" : "");
	}
	for (u32 i = 0; i < d->nr_devices; i++) {
		u32 sbdf = d->devices[i].sbdf;
		ats_off(p, sbdf);
		/* A VF is reset too: it stops for good and keeps nothing for its next owner. */
		const struct pci_dev *vf = d->devices[i].vfn ? pci_find(sbdf) : NULL;
		char what[160];
		if (vf) {
			int ret = pci_reset_function(vf, what, sizeof(what));
			log_write(ret == -HV_EIO ? LOG_ERR : LOG_INFO, d->name, "device " BDF_FMT ": %s", BDF_ARGS(sbdf),
				  what);
		}
	}
}

int partition_park(struct partition *p, struct vcpu *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	if (!set_final(p, PART_PARKED))
		return 1;
	vuart_flush(&p->uart);
	log_write(LOG_WARN, p->cfg->name, "parked: %s", p->why);
	map_log_partition(p);
	partition_end_check(p);
	if (p->ops && p->ops->vcpu_dump)
		p->ops->vcpu_dump(v, p->cfg->name);
	stop_devices(p);
	partition_kick_vcpus(p, v->cpu);
	partition_log_counters(p);
	attack_partition_ended(p);
	/* Its end check above failed: the config refuses expect = parked with on-fault = stop. */
	if (p->cfg->on_fault == FAULT_STOP) {
		log_write(LOG_ERR, p->cfg->name, "on-fault = stop: stopping the machine");
		check_finish();
	}
	return 1;
}

void partition_cpu_lost(struct partition *p, u32 cpu)
{
	struct part_vcpu *pv = partition_vcpu_on_cpu(p, cpu);
	struct vcpu *v = pv ? &pv->v : &p->vcpus[0].v;

	partition_park(p, v, "its CPU %u was reset under it (an INIT Sluice could not consume); guest state lost", cpu);
	/* That vCPU's thread is gone: it counts as finished (the others end at their kick). */
	if (pv && pv->started)
		partition_vcpu_finished(p, pv);
	else
		__atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
}
