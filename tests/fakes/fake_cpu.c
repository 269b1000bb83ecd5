/* A fake CPU: CPUID leaves and MSRs from tables (tests/fakes/fake_cpu.h). */
#include <stdlib.h>
#include <string.h>
#include "kernel/hw/cpu.h"
#include "tests/fakes/fake_cpu.h"

static struct { u32 leaf; struct cpuid_regs r; } leaves[FAKE_CPU_MAX_LEAVES];
static unsigned nr_leaves;
static struct { u32 msr; u64 val; unsigned writes; } msrs[FAKE_CPU_MAX_MSRS];
static unsigned nr_msrs;

void fake_cpu_reset(void)
{
	nr_leaves = 0;
	nr_msrs = 0;
}

void fake_cpu_set_cpuid(u32 leaf, u32 eax, u32 ebx, u32 ecx, u32 edx)
{
	unsigned i = 0;
	while (i < nr_leaves && leaves[i].leaf != leaf)
		i++;
	if (i == FAKE_CPU_MAX_LEAVES)
		abort();        /* the test asked for more leaves than the fake holds */
	if (i == nr_leaves)
		nr_leaves++;
	leaves[i].leaf = leaf;
	leaves[i].r = (struct cpuid_regs){ eax, ebx, ecx, edx };
}

void fake_cpu_set_vendor(const char *vendor, u32 max_leaf)
{
	u32 w[3];
	if (strlen(vendor) != 12)
		abort();
	memcpy(w, vendor, 12);
	/* The vendor string is EBX, EDX, ECX in that order. */
	fake_cpu_set_cpuid(0, max_leaf, w[0], w[2], w[1]);
}

void cpuid(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
	(void)subleaf;
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < nr_leaves; i++)
		if (leaves[i].leaf == leaf)
			*r = leaves[i].r;
}

static unsigned msr_slot(u32 msr)
{
	unsigned i = 0;
	while (i < nr_msrs && msrs[i].msr != msr)
		i++;
	if (i == FAKE_CPU_MAX_MSRS)
		abort();
	if (i == nr_msrs)
		msrs[nr_msrs++] = (typeof(msrs[0])){ .msr = msr };
	return i;
}

void fake_cpu_set_msr(u32 msr, u64 val)
{
	msrs[msr_slot(msr)].val = val;
}

u64 fake_cpu_msr(u32 msr)
{
	return msrs[msr_slot(msr)].val;
}

unsigned fake_cpu_msr_writes(u32 msr)
{
	return msrs[msr_slot(msr)].writes;
}

u64 rdmsr(u32 msr)
{
	return fake_cpu_msr(msr);
}

void wrmsr(u32 msr, u64 val)
{
	unsigned i = msr_slot(msr);
	msrs[i].val = val;
	msrs[i].writes++;
}
