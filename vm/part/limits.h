/*
 * Containment by limits: what stops a partition that never ends on its own
 * (time-limit, per partition and for the whole run) and a device that
 * keeps faulting (dma-fault-limit). The boot CPU decides: it watches the
 * deadlines while it waits (partitions_wait) and it drains DMA faults (the
 * fault interrupt). It never touches a partition's vCPU: it sets a stop
 * request and kicks the partition's CPU (an IPI forces a VM exit, SVM
 * intercepts INTR), and the vCPU acts on the request at that exit
 * (vm/part/exit.c), through the same stop path as any other end. Portable,
 * host-tested.
 */
#ifndef VM_LIMITS_H
#define VM_LIMITS_H
#include "kernel/types.h"

struct partition;
struct partition_set;
struct iommu_domain;

enum part_stop {
	PART_STOP_NONE = 0,
	PART_STOP_TIME_LIMIT,   /* its own time-limit passed */
	PART_STOP_RUN_LIMIT,    /* the command line's time-limit passed */
	PART_STOP_DMA_FAULTS,   /* a device reached dma-fault-limit */
	PART_STOP_QUIT,         /* the operator typed quit on the console */
};

/*
 * What the operator asked of a running partition on the console
 * (vm/part/operator.c): acted on by its BSP at its next exit, as a stop is.
 */
enum part_op {
	PART_OP_NONE = 0,
	PART_OP_PARK,           /* contained as after a fault (partition_park) */
	PART_OP_RESTART,        /* partition_restart, as SLUICE_HC_RESTART does */
	PART_OP_REMAP,          /* partition_remap of the region at op_gpa, as SLUICE_HC_REMAP does */
};

/* How often the boot CPU looks at the deadlines while partitions run. */
#define LIMITS_POLL_US          10000
/* How long a partition asked to stop has before the run ends without it. */
#define LIMITS_STOP_GRACE_MS    2000

/*
 * The stop p is due at now_ns: its own time limit (counted from its start)
 * before the run's (run_deadline_ns, 0: none), or PART_STOP_NONE. Only for
 * a partition that runs and has no request yet.
 */
enum part_stop partition_limit_due(const struct partition *p, u64 now_ns, u64 run_deadline_ns);
/*
 * Asks p's vCPU to stop for why and kicks its CPU. The first request wins;
 * returns false when p already had one.
 */
bool partition_request_stop(struct partition *p, enum part_stop why, u64 now_ns);
/* The request p's vCPU must act on, or PART_STOP_NONE. */
enum part_stop partition_stop_pending(const struct partition *p);
/*
 * Asks p's BSP to do op (gpa: PART_OP_REMAP's region) at its next exit and
 * kicks its CPU (boot CPU). 0, -HV_EPERM when p does not run or is asked
 * to stop, -HV_EBUSY while an earlier request is not yet taken.
 */
int partition_request_op(struct partition *p, enum part_op op, u64 gpa);
/*
 * The operation p's BSP must do now (*gpa its address), PART_OP_NONE when
 * none. It stays asked (the console waits) until partition_op_done.
 */
enum part_op partition_op_pending(const struct partition *p, u64 *gpa);
/* The operation asked of p is over (done, refused or never to be taken): the console reads on. */
void partition_op_done(struct partition *p);
/*
 * The operator's quit (boot CPU): every running partition asked to stop
 * (PART_STOP_QUIT), one line; partition_limits_poll then watches them as
 * for a time limit. Returns how many were asked.
 */
u32 partitions_request_quit(struct partition_set *ps, u64 now_ns);
/*
 * One look at the deadlines (boot CPU): each running partition past its
 * limit is asked to stop (one line each); each one asked and not yet done
 * is kicked again (a kick that lands while its CPU is in Sluice is lost).
 * Returns -HV_ETIMEDOUT when one was asked more than LIMITS_STOP_GRACE_MS
 * ago and still runs (logged), else 0.
 */
int partition_limits_poll(struct partition_set *ps, u64 now_ns, u64 run_deadline_ns);

/*
 * What the vCPU logs when it stops for why: the text ("time limit 2s
 * reached") into buf. Whether the config expected that end is the end
 * check's (vm/part/expect.h); a DMA fault stop is the on-fault policy's.
 */
void partition_stop_text(const struct partition *p, enum part_stop why, char *buf, size_t len);

/*
 * The IOMMU's fault sink (iommu_fault_sink): one fault drained for a device
 * sbdf attached to dom. Counts it against its device; the fault that makes
 * the count reach the partition's dma-fault-limit turns the device's bus
 * mastering off and asks the partition to stop (its on-fault decides how).
 * Runs on the boot CPU, in the fault interrupt or a poll.
 */
void partition_dma_fault(struct iommu_domain *dom, u32 sbdf);
/* The partitions partition_dma_fault looks in (set when they start). */
void partition_limits_set(struct partition_set *ps);
/*
 * Counts one fault in *count; true exactly when the count reaches limit
 * (limit 0: never). Later faults count on and return false.
 */
bool dma_fault_limit_reached(u64 *count, u32 limit);

/* p was started, runs, and its vCPU thread has not finished (any CPU may ask). */
bool partition_running(const struct partition *p);

/*
 * The watchdog's look at p (partitions_watchdog), given its exits so far:
 * true when p runs, made no exit since the last look and is not inside a
 * marked I/O loop, so its CPU must be kicked to prove it alive (a CPU
 * reset under its guest makes no exit). Records exits for the next look.
 */
bool partition_watchdog_quiet(struct partition *p, u64 exits);

#endif
