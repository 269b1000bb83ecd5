/*
 * The check at a partition's end: did its run end the way it was meant to?
 * A guest partition passes when it exits by itself with code 0 (the debug-
 * exit port or the exit hypercall), or ends the way its config's `expect =`
 * names (parked, halted, stopped by its own time limit, exit N). Any other
 * end is a failed check: parked, halted for good, a non-zero code, a stop
 * by a time limit, never started, its CPU lost (a park), still running
 * when the run ended. Portable and pure, host-tested; vm/part/stop.c logs
 * the verdict once per partition.
 */
#ifndef VM_PART_EXPECT_H
#define VM_PART_EXPECT_H
#include "kernel/types.h"
#include "vm/config/partition_cfg.h"
#include "vm/part/limits.h"
#include "vm/part/partition.h"

/* How one partition ended, as its partition struct records it. */
struct part_end {
	enum part_state state;
	bool started;           /* its vCPU was posted to its CPU */
	enum part_stop stop;    /* PART_STOPPED: which limit stopped it */
	u64 code;               /* PART_EXITED: the guest's exit code */
	const char *why;        /* PART_PARKED, PART_HALTED, PART_STOPPED, PART_FAILED: the reason ("" or NULL: none) */
};

/* The longest text partition_end_judge writes that the log can hold whole. */
#define PART_END_TEXT_MAX       256

/*
 * Judges end against the config's expectation (want, and want_code for
 * PART_EXPECT_EXIT): true when it is the end the config expects. buf gets
 * one readable line without the partition's name, e.g. "exited with code
 * 0", "parked as its config expects (read GPA ...)", "parked: read GPA
 * ...", "exited with code 0; its config has expect = parked".
 */
bool partition_end_judge(const struct part_end *end, enum part_expect want, u32 want_code, char *buf, size_t len);

#endif
