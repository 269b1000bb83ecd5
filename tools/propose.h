/*
 * sluice-check --propose: a starting sluice.conf for the captured machine,
 * one partition per isolation group of assignable functions, or per VF of
 * the PFs the command line's sriov= enables, each with memory from the
 * map. Partitions the config check refuses are dropped (each named in a
 * comment with the check's reason) until the rest passes, so the proposal
 * passes sluice-check itself.
 */
#ifndef TOOLS_PROPOSE_H
#define TOOLS_PROPOSE_H
#include "kernel/types.h"
#include "kernel/memmap.h"

struct partition_host;

/* Prints the proposal on stdout. Returns 0, or -1 when no partition is left. */
int propose_config(const struct memmap *m, const struct partition_host *h);

#endif
