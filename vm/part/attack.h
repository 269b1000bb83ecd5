/*
 * Attack tests ([sluice] attack-test = on, docs/config.md): a hostile guest
 * asks where Sluice's own structures and a witness partition's memory are
 * (SLUICE_HC_ATTACK_TARGETS), aims its own device's DMA at them, and asks
 * Sluice to compare each with the snapshot taken before
 * (SLUICE_HC_ATTACK_CHECK). Sluice logs one check line per target and the
 * attack matrix. Without attack-test both hypercalls are refused.
 */
#ifndef VM_ATTACK_H
#define VM_ATTACK_H
#include "kernel/types.h"
#include "vm/part/guest_abi.h"

#define ATTACK_SNAP_MAX         (512 * KiB)     /* bytes snapshotted per target */
#define ATTACK_MMIO_BYTES       12              /* edu: identification, liveness, factorial (QEMU edu.rst) */

struct partition;
struct partition_set;
struct sluice_cfg;

/* What the attack tests are told about Sluice itself. */
struct attack_host {
	u64 image_ro_pa, image_ro_size;         /* text and rodata: nothing writes them after boot */
};

/*
 * With s->attack.on: logs the WARN, takes a heap page as a canary (filled
 * with a pattern), fills the witness's target region with a pattern, and
 * takes the page past each other guest partition's highest region as a
 * guard (when free), so a read of any of them shows what leaked. Without
 * attack-test it only turns the hypercalls off. 0 or -HV_ENOMEM.
 */
int attack_setup(const struct sluice_cfg *s, struct partition_set *ps, const struct attack_host *h);
/*
 * SLUICE_HC_ATTACK_TARGETS for p (vm/main.c puts it in
 * partition_hypercalls; a1, a2 unused): the targets into its page at
 * gpa, each snapshotted (earlier snapshots dropped). The number of targets, or
 * -SLUICE_HC_EINVAL (attack-test off), -SLUICE_HC_EFAULT (the page is not
 * p's writable memory), -SLUICE_HC_EIO (no memory for the snapshots).
 */
s64 attack_hc_targets(struct partition *p, u64 gpa, u64 a1, u64 a2);
/*
 * SLUICE_HC_ATTACK_CHECK for p (added as the one above; a2 unused): one check line per target, the matrix of
 * p's n results at gpa (n may be 0), the bytes changed in all targets; or
 * -SLUICE_HC_EINVAL (off, no targets yet, n too large), -SLUICE_HC_EFAULT.
 */
s64 attack_hc_check(struct partition *p, u64 gpa, u64 n, u64 a2);
/*
 * p has ended (exited or parked, its devices stopped): when it took
 * snapshots and never asked for the comparison, Sluice runs it (one check
 * line per target), so an attacker that is stopped mid-way is judged too.
 */
void attack_partition_ended(const struct partition *p);
/* The bytes that differ between a and b (n bytes each). */
u64 attack_bytes_changed(const u8 *a, const u8 *b, u64 n);
/*
 * Sluice itself just changed the target named name (iommu-irt: an
 * interrupt remapping entry for a partition's MSI): its snapshot is taken
 * again, logged, so the check compares against what Sluice wrote. No-op
 * without attack-test or such a target.
 */
void attack_sluice_wrote(const char *name);

#endif
