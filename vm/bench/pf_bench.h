/*
 * make bench's PF benchmark ([sluice] pf-bench = PF namespace=N ios=N):
 * Sluice's own NVMe driver on a namespace attached to the PF's own
 * controller, timed against the guests' VF rounds. The mechanism does not
 * know it: vm/main.c wires its three parts into the seams below.
 */
#ifndef VM_PF_BENCH_H
#define VM_PF_BENCH_H
#include "vm/part/vf_setup.h"
#include "vm/part/partition.h"

/* The pf-bench key (struct partition_host.keys): parsed, then checked against the partitions. */
extern const struct sluice_keys pf_bench_keys;
/*
 * On the PF pf-bench names (vf_pf_user): its namespace on the PF's own
 * controller, then the I/O queue pair and one round of ios I/Os on the
 * boot CPU before any partition starts, a check that the driver works.
 */
extern const struct vf_pf_user pf_bench_user;
/*
 * SLUICE_HC_PF_BENCH (partition_hypercalls): one round of ios I/Os on
 * the PF, on the calling CPU, for a partition with a VF of it. Returns 0,
 * -SLUICE_HC_EINVAL (no pf-bench set up, p has no VF of the PF, or ios is
 * not even and within the namespace) or -SLUICE_HC_EIO (an I/O failed).
 */
s64 pf_bench_hypercall(struct partition *p, u64 ios, u64 a1, u64 a2);

#endif
