/*
 * The machine map: what the machine is made of once the partitions are set
 * up, as lines of key=value words, one line per item (CPU, partition,
 * memory region, function, remapping unit, fault). The log prints them as
 * `map:` lines, the operator console prints the same lines, and
 * tools/sluice-map draws them; the format is in docs/architecture.md
 * ("The machine map").
 */
#ifndef VM_PART_MAP_H
#define VM_PART_MAP_H
#include "kernel/types.h"
#include "vm/config/partition_cfg.h"
#include "vm/part/partition.h"
#include "iommu/iommu.h"

/* Longest map line, without the log's prefix. */
#define MAP_LINE_MAX    160

/* Where map lines go: line(ctx, text) once per item, text without a newline. */
struct map_sink {
	void (*line)(void *ctx, const char *text);
	void *ctx;
};

/* What the map is read from. */
struct map_machine {
	u32 nr_cpus;                    /* MADT CPUs 0..nr_cpus-1 */
	u32 boot_cpu;                   /* Sluice's own */
	u64 cpus_online;                /* bit i: CPU i runs */
	const struct sluice_cfg *cfg;   /* every partition of the config */
	const struct partition_set *ps; /* the guest partitions' state; NULL: none built */
	const struct iommu_ops *iommu;  /* its units; NULL: no IOMMU */
};

/*
 * Every line of the map, in this order: the CPUs, the remapping units,
 * then each partition with its regions and functions, then the functions
 * Sluice keeps for itself (the PFs whose VFs partitions own).
 */
void map_describe(const struct map_machine *m, const struct map_sink *out);
/*
 * One partition's lines: the partition (its state from p, or from d alone
 * when p is NULL: a partition without a guest), its regions, its functions.
 * s, the whole config, says which functions are PFs of others' VFs (NULL:
 * none is said to be).
 */
void map_describe_partition(const struct sluice_cfg *s, const struct partition_cfg *d, const struct partition *p,
			    const struct map_sink *out);
/* The map line of a logged fault into buf (at most len bytes); returns its length as fmt_snprintf does. */
int map_fault_format(const struct iommu_fault_note *n, char *buf, size_t len);

/* The same, as `map:` INFO lines of the log. */
void map_log(const struct map_machine *m);
void map_log_partition(const struct partition *p);
/*
 * iommu_fault_logged's function: one `map: fault` line, and the fault
 * kept, with its reason's words, among the last MAP_FAULTS_KEPT.
 */
void map_log_fault(const struct iommu_fault_note *n);
#define MAP_FAULTS_KEPT 32
/* The fault log the console's `faults` shows: a count line, then the kept faults, oldest first. */
void map_faults_describe(const struct map_sink *out);

#endif
