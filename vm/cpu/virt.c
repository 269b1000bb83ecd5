/*
 * Picks the CPU virtualization back end once at boot, from the CPU's
 * vendor (CPUID 0): SVM on AMD (and Hygon, the same core), VMX (a later
 * issue) on Intel. The back end's probe checks the features it needs.
 */
#define LOG_SUBSYS "virt"
#include "vm/cpu/virt.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/hw/cpu.h"

const struct virt_ops *virt_pick(void)
{
	struct cpuid_regs r;
	char vendor[13];

	cpuid(0, 0, &r);
	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = '\0';
	if (!strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine")) {
		if (svm_ops.probe())
			return NULL;
		log_info("CPU virtualization: %s (%s)", svm_ops.name, vendor);
		return &svm_ops;
	}
	if (!strcmp(vendor, "GenuineIntel")) {
		log_warn("GenuineIntel: vmx back end not built yet; no guest partitions");
		return NULL;
	}
	log_warn("CPU vendor \"%s\": no CPU virtualization back end; no guest partitions", vendor);
	return NULL;
}
