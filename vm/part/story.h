/*
 * The story of a run (vm/part/story.c): one INFO line per stage of the path
 * (docs/architecture.md; stage 0 no IOMMU, 1 DMA remapping, 2 ATS,
 * 3 SR-IOV), each saying what the hardware gives and what Sluice did with
 * it, then one line per partition with its verdict. Subsystem `story`.
 */
#ifndef VM_PART_STORY_H
#define VM_PART_STORY_H
#include "kernel/types.h"
#include "vm/config/partition_cfg.h"

/* Stage 0, after the bus scan: the functions found and their isolation groups. */
void story_stage0(void);
/* Stage 1, once s is programmed: its DMA domains, regions and attached functions. */
void story_stage1(const struct sluice_cfg *s);
/* Stage 2: assigned functions with ATS, and those s enabled it for. */
void story_stage2(const struct sluice_cfg *s);
/* Stage 3: PFs and their VFs, those enabled, and the VFs s handed to partitions. */
void story_stage3(const struct sluice_cfg *s);
/* A partition's end: its state (as part_state_name says it), exit code and checks. */
void story_verdict(const char *name, const char *state, u64 code, u32 pass, u32 fail);

#endif
