/*
 * Time limits and DMA fault limits (vm/part/limits.h): the boot CPU's side.
 * Deadlines are checked against time_now_ns() while the boot CPU waits for
 * the partitions; faults are counted per device as the IOMMU drains them.
 * Either way the partition's own vCPU is asked to stop (a request and a
 * kick), never stopped from here: only its CPU touches its vCPU state.
 */
#define LOG_SUBSYS "part"
#include "vm/part/limits.h"
#include "vm/part/partition.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/duration.h"
#include "kernel/smp.h"
#include "kernel/hw/pci_cfg.h"
#include "kernel/hw/time.h"
#include "pci/pci.h"
#include "pci/pci_hw.h"

#define NS_PER_MS               1000000ULL

static struct partition_set *limits_set;

bool partition_running(const struct partition *p)
{
	return p->started && p->state == PART_RUNNING && !__atomic_load_n(&p->done, __ATOMIC_ACQUIRE);
}

enum part_stop partition_limit_due(const struct partition *p, u64 now_ns, u64 run_deadline_ns)
{
	if (!partition_running(p) || partition_stop_pending(p) != PART_STOP_NONE)
		return PART_STOP_NONE;
	u64 limit = p->cfg->time_limit_ms;
	if (limit && now_ns - p->start_ns >= limit * NS_PER_MS)
		return PART_STOP_TIME_LIMIT;
	if (run_deadline_ns && now_ns >= run_deadline_ns)
		return PART_STOP_RUN_LIMIT;
	return PART_STOP_NONE;
}

bool partition_request_stop(struct partition *p, enum part_stop why, u64 now_ns)
{
	u32 none = PART_STOP_NONE;
	if (!__atomic_compare_exchange_n(&p->stop_request, &none, (u32)why, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return false;
	p->stop_request_ns = now_ns;
	smp_kick(p->cfg->cpus[0]);
	return true;
}

enum part_stop partition_stop_pending(const struct partition *p)
{
	return (enum part_stop)__atomic_load_n(&p->stop_request, __ATOMIC_ACQUIRE);
}

int partition_request_op(struct partition *p, enum part_op op, u64 gpa)
{
	u32 none = PART_OP_NONE;

	if (!partition_running(p) || partition_stop_pending(p) != PART_STOP_NONE)
		return -HV_EPERM;
	if (__atomic_load_n(&p->op_request, __ATOMIC_ACQUIRE) != PART_OP_NONE)
		return -HV_EBUSY;
	p->op_gpa = gpa;        /* published by the exchange's release */
	if (!__atomic_compare_exchange_n(&p->op_request, &none, (u32)op, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return -HV_EBUSY;
	smp_kick(p->cfg->cpus[0]);
	return 0;
}

enum part_op partition_op_pending(const struct partition *p, u64 *gpa)
{
	enum part_op op = (enum part_op)__atomic_load_n(&p->op_request, __ATOMIC_ACQUIRE);

	*gpa = p->op_gpa;
	return op;
}

void partition_op_done(struct partition *p)
{
	__atomic_store_n(&p->op_request, (u32)PART_OP_NONE, __ATOMIC_RELEASE);
}

u32 partitions_request_quit(struct partition_set *ps, u64 now_ns)
{
	u32 asked = 0;

	for (u32 i = 0; i < ps->nr; i++)
		asked += partition_running(&ps->p[i]) && partition_request_stop(&ps->p[i], PART_STOP_QUIT, now_ns);
	log_info("quit: asking %u running partition(s) to stop", asked);
	return asked;
}

int partition_limits_poll(struct partition_set *ps, u64 now_ns, u64 run_deadline_ns)
{
	int ret = 0;

	for (u32 i = 0; i < ps->nr; i++) {
		struct partition *p = &ps->p[i];
		enum part_stop due = partition_limit_due(p, now_ns, run_deadline_ns);
		char text[96];
		if (due != PART_STOP_NONE && partition_request_stop(p, due, now_ns)) {
			partition_stop_text(p, due, text, sizeof(text));
			log_info("%s: %s after %llu ms: asking CPU %u to stop it", p->cfg->name, text,
				 (unsigned long long)((now_ns - p->start_ns) / NS_PER_MS), p->cfg->cpus[0]);
			continue;
		}
		if (!partition_running(p) || partition_stop_pending(p) == PART_STOP_NONE)
			continue;
		/* The fault interrupt may have asked after now_ns was read: then no time has passed. */
		if (now_ns >= p->stop_request_ns && now_ns - p->stop_request_ns >= LIMITS_STOP_GRACE_MS * NS_PER_MS) {
			log_err("%s: still running %u ms after it was asked to stop; the run ends without it",
				p->cfg->name, (unsigned)LIMITS_STOP_GRACE_MS);
			ret = -HV_ETIMEDOUT;
			continue;
		}
		smp_kick(p->cfg->cpus[0]);
	}
	return ret;
}

void partition_stop_text(const struct partition *p, enum part_stop why, char *buf, size_t len)
{
	char d[DURATION_TEXT_MAX];

	switch (why) {
	case PART_STOP_TIME_LIMIT:
		fmt_snprintf(buf, len, "time limit %s reached", duration_format(p->cfg->time_limit_ms, d, sizeof(d)));
		return;
	case PART_STOP_RUN_LIMIT:
		fmt_snprintf(buf, len, "the run's time limit reached (command line time-limit=)");
		return;
	case PART_STOP_DMA_FAULTS:
		fmt_snprintf(buf, len, "device " BDF_FMT " reached its DMA fault limit (dma-fault-limit = %u)",
			     BDF_ARGS(p->fault_sbdf), p->cfg->dma_fault_limit);
		return;
	case PART_STOP_QUIT:
		fmt_snprintf(buf, len, "stopped by the operator (console quit)");
		return;
	case PART_STOP_NONE:
		break;
	}
	fmt_snprintf(buf, len, "no stop asked");
}

bool dma_fault_limit_reached(u64 *count, u32 limit)
{
	return ++*count == limit && limit;
}

void partition_limits_set(struct partition_set *ps)
{
	limits_set = ps;
}

void partition_dma_fault(struct iommu_domain *dom, u32 sbdf)
{
	for (u32 i = 0; limits_set && i < limits_set->nr; i++) {
		struct partition *p = &limits_set->p[i];
		const struct partition_cfg *d = p->cfg;
		if (!d || d->iommu != dom)
			continue;
		for (u32 k = 0; k < d->nr_devices; k++) {
			if (d->devices[k].sbdf != sbdf || !dma_fault_limit_reached(&p->dev_faults[k], d->dma_fault_limit))
				continue;
			/* Its DMA stops now, for good; the partition follows at its vCPU's next exit. */
			vpci_revoke_master(&p->vpci, sbdf);
			pci_bus_master_off(sbdf);
			log_write(LOG_WARN, d->name, "device " BDF_FMT ": %u DMA faults (dma-fault-limit = %u): bus mastering off (command 0x%04x)",
				  BDF_ARGS(sbdf), d->dma_fault_limit, d->dma_fault_limit, pci_cfg_read(sbdf, PCI_COMMAND, 2));
			if (partition_running(p) && partition_stop_pending(p) == PART_STOP_NONE) {
				p->fault_sbdf = sbdf;
				partition_request_stop(p, PART_STOP_DMA_FAULTS, time_now_ns());
			}
		}
		return;
	}
}

bool partition_watchdog_quiet(struct partition *p, u64 exits)
{
	bool moved = exits != p->watchdog_exits;

	p->watchdog_exits = exits;
	/* A marked I/O loop counts its exits: a kick would be one of them. */
	return partition_running(p) && !moved && __atomic_load_n(&p->io_loop_start, __ATOMIC_RELAXED) == ~0ULL;
}
