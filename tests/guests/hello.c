/*
 * hello: the smallest check that the elf64 entry works. Prints who and
 * where it is (partition, CPU, CPUID vendor, the hypervisor bit), lists
 * its memory and devices from the start info, and passes.
 */
#include "tests/guests/lib/guest.h"

const char guest_name[] = "hello";

int guest_main(const struct sluice_start_info *si)
{
	uint32_t a, b, c, d;

	gprintf("hello: greetings from partition %s\n", si->name);
	gprintf("hello: running on CPU %u\n", si->cpu);
	gprintf("hello: CPUID vendor %s\n", guest_cpu_vendor());
	/* CPUID.1:ECX bit 31 is reserved for hypervisors to say they are there. */
	cpuid(1, &a, &b, &c, &d);
	bool in_vm = (c >> 31) & 1;
	gprintf("hello: running in a VM: %s\n", in_vm ? "yes" : "no");
	for (uint32_t i = 0; i < si->nr_mem && i < SLUICE_START_MAX_MEM; i++)
		gprintf("hello: memory 0x%016llx size 0x%llx %s%s\n", (unsigned long long)si->mem[i].gpa,
			(unsigned long long)si->mem[i].size, si->mem[i].access & SLUICE_MEM_READ ? "r" : "-",
			si->mem[i].access & SLUICE_MEM_WRITE ? "w" : "-");
	for (uint32_t i = 0; i < si->nr_dev && i < SLUICE_START_MAX_DEV; i++) {
		uint32_t s = si->dev[i].sbdf;
		gprintf("hello: device " BDF_FMT "\n", BDF_ARGS(s));
	}
	gprintf("hello: %u memory regions, %u devices, free memory from 0x%016llx\n", si->nr_mem, si->nr_dev,
		(unsigned long long)si->free_gpa);
	verdict(in_vm, "CPUID.1:ECX[31] says a hypervisor is present");
	verdict(si->nr_mem > 0 && guest_owns(si->free_gpa, 1), "start info lists my memory, free_gpa inside it");
	return 0;
}
