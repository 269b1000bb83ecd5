/*
 * The operator's console commands (docs/config.md, console=on): what
 * kernel/console.c runs, on the boot CPU, while partitions run or before
 * any does. Reading commands (lspci, dmar, units, partitions, walk,
 * faults) only log; acting ones (park, restart, remap) ask the
 * partition's own BSP through the request of vm/part/limits.h, as a time
 * limit does, so no command touches a running vCPU's state from here.
 */
#ifndef VM_PART_OPERATOR_H
#define VM_PART_OPERATOR_H
#include "kernel/console.h"
#include "iommu/iommu.h"
#include "iommu/dmar.h"
#include "vm/part/map.h"

struct partition_set;

struct operator {
	struct partition_set *ps;       /* the running partitions (may have none) */
	const struct iommu_ops *iommu;  /* NULL: no IOMMU came up */
	const struct dmar_info *dmar;   /* NULL: no DMAR table */
	struct map_machine map;         /* what `map` describes (vm/part/map.h) */
	struct partition *attached;     /* `console NAME`: typed bytes go to its virtual COM1 */
	struct partition *draining;     /* after Ctrl-]: its guest still has typed bytes to read */
	u64 drain_deadline_ns;          /* until then the console waits for it */
	bool waiting;                   /* `wait`: input held until run_over */
	bool run_over;                  /* set by the caller: every partition ended and was judged */
};

/* The byte that brings the terminal back from `console NAME`: Ctrl-], as telnet's. */
#define OPERATOR_ESCAPE         0x1d
/* How long after Ctrl-] the console waits for the guest to read what was typed. */
#define OPERATOR_DRAIN_MS       2000

/* The command table, in help's order. */
extern const struct console_cmd operator_cmds[];
extern const u32 operator_nr_cmds;

/* env filled for op's commands reading bytes from getc. */
void operator_console_env(struct console_env *env, struct operator *op, int (*getc)(void));

#endif
