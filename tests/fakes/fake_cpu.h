/*
 * A fake CPU for host tests of code that asks CPUID and MSRs (vendor and
 * feature probes, EFER and other enables): the cpuid/rdmsr/wrmsr doors of
 * kernel/hw/cpu.h over a table of leaves and a table of MSRs. It replaces
 * fake_hw.c's constant versions: link one or the other, not both.
 */
#ifndef TESTS_FAKES_FAKE_CPU_H
#define TESTS_FAKES_FAKE_CPU_H
#include "kernel/types.h"

#define FAKE_CPU_MAX_LEAVES     32
#define FAKE_CPU_MAX_MSRS       32

/* No leaves (CPUID answers zeros), every MSR reads 0, no writes counted. */
void fake_cpu_reset(void);
/* CPUID leaf (any subleaf) answers these registers from now on. */
void fake_cpu_set_cpuid(u32 leaf, u32 eax, u32 ebx, u32 ecx, u32 edx);
/* Leaf 0: largest basic leaf max_leaf and a 12-character vendor string. */
void fake_cpu_set_vendor(const char *vendor, u32 max_leaf);
void fake_cpu_set_msr(u32 msr, u64 val);
u64 fake_cpu_msr(u32 msr);
/* wrmsr() calls to msr since the reset. */
unsigned fake_cpu_msr_writes(u32 msr);

#endif
