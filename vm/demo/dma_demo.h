/*
 * The stage 0 and stage 1 demonstrations of the worked example
 * (docs/architecture.md) with real device DMA (QEMU's edu devices), asked
 * for with `demo = dma` in [sluice]:
 *  - stage 0 (iommu = off): EP2 is told to write its partition's GPA; with
 *    no IOMMU the bus address is an HPA, and another partition's canary is
 *    overwritten. The check passes when the hazard is shown.
 *  - stage 1 (iommu = on), the worked example: EP1 and EP2 write the same
 *    bus address and each lands in its own partition's memory; a write
 *    outside the partition and a write through a read-only mapping fault
 *    and change nothing; where every unit remaps interrupts, EP2's DMA
 *    write of a remappable-format interrupt request is blocked and
 *    faulted against its partition.
 */
#ifndef VM_DMA_DEMO_H
#define VM_DMA_DEMO_H
#include "kernel/types.h"
#include "vm/config/partition_cfg.h"
#include "iommu/iommu.h"

#define DEMO_LEN                0x80    /* bytes per transfer, as in the worked example */
#define DEMO_GUARD              0x40    /* canary bytes on each side of a target */
#define DEMO_STAGE_OFF          0x1000  /* where an EP's pattern is staged in its region */
#define DEMO_CANARY             0xc5
#define DEMO_GUARD_BYTE         0xe7

/*
 * Byte i of the pattern EP n (1 or 2) writes: EP1 0x40-0x7f, EP2 0x80-0xbf,
 * so no byte equals its twin's, the canary or the guard.
 */
static inline u8 dma_demo_pattern(u32 n, u32 i)
{
	return (u8)(n * 0x40 + i / 2);
}

/*
 * Runs stage 0 or stage 1 (by s->iommu) on the first two partitions that
 * each own an edu device and a writable region of at least two pages
 * (EP1, EP2 in config order). ops is the IOMMU the set was programmed
 * through (NULL with iommu = off). Writes canaries and patterns only into
 * the partitions' claimed memory and into free pages it borrows from the
 * page allocator and gives back. Every verdict is a check().
 */
void dma_demo_run(struct sluice_cfg *s, const struct iommu_ops *ops);

#endif
