/*
 * The MSR policy of every partition (vm/cpu/msr.h): one row per MSR or
 * range, its read and write policy, and why. Sources: Intel SDM vol 4
 * "Model-Specific Registers" (table 2-2, architectural MSRs) and AMD APM
 * vol 2 appendix A "MSR Cross-Reference". Portable.
 *
 * The rule of the table: a guest reaches directly only registers that are
 * its own (the back end switches them, or Sluice never uses them on the
 * CPU the guest owns); Sluice answers for the registers whose real value
 * would let a guest reach beyond its partition or that describe hardware
 * the partition does not have; harmless ones kernels touch on every boot
 * read 0; everything else is #GP, as on a CPU without that MSR. Nothing
 * here parks a partition: a refused MSR is the guest's own error to handle.
 */
#include "vm/cpu/msr.h"
#include "kernel/lib.h"

#define R(first, last, rd, wr, name, why) { first, last, rd, wr, name, why }

const struct msr_rule msr_rules[] = {
	/* ---- the guest's own: no exit ---- */
	R(0x00000010, 0x00000010, MSR_PASS, MSR_ZERO, "IA32_TSC",
	  "RDTSC runs without an exit too; a write would move the machine's TSC under every partition, so it is dropped (counted)"),
	R(0x00000174, 0x00000176, MSR_PASS, MSR_PASS, "IA32_SYSENTER_CS/ESP/EIP",
	  "guest state the VMCB (VMLOAD/VMSAVE) and the VMCS switch"),
	R(0xc0000081, 0xc0000084, MSR_PASS, MSR_PASS, "STAR/LSTAR/CSTAR/SFMASK",
	  "SVM switches them (VMLOAD/VMSAVE); VMX does not, but Sluice never runs SYSCALL on a guest's CPU"),
	R(0xc0000100, 0xc0000102, MSR_PASS, MSR_PASS, "FS.base/GS.base/KernelGSBase",
	  "guest state both back ends switch (KernelGSBase: Sluice never runs SWAPGS)"),
	R(0xc0000103, 0xc0000103, MSR_PASS, MSR_PASS, "TSC_AUX",
	  "what RDTSCP and RDPID return; Sluice never reads it on a guest's CPU and zeroes it when a vCPU starts"),

	/* ---- Sluice's view (vm/part/msr.c) ---- */
	R(0x0000001b, 0x0000001b, MSR_VIRT, MSR_VIRT, "IA32_APIC_BASE",
	  "the partition's local APIC (vm/dev/vlapic.c): enable, xAPIC/x2APIC mode switches, base fixed"),
	R(0x0000003a, 0x0000003a, MSR_VIRT, MSR_GP, "IA32_FEATURE_CONTROL",
	  "reads locked with VMX and SMX off: a partition gets no VMX; locked, so writes #GP as on hardware"),
	R(0x000000fe, 0x000000fe, MSR_VIRT, MSR_GP, "IA32_MTRRCAP",
	  "no fixed or variable MTRRs, no WC: memory types are the nested tables' (write-back); read-only"),
	R(0x000001a0, 0x000001a0, MSR_VIRT, MSR_ZERO, "IA32_MISC_ENABLE",
	  "reads the CPU's value (fast strings, XD not disabled); writes would change the CPU for Sluice too: dropped"),
	R(0x00000277, 0x00000277, MSR_VIRT, MSR_VIRT, "IA32_PAT",
	  "the guest's PAT, kept in the VMCB (G_PAT) or the VMCS and switched at every entry; reserved types #GP"),
	R(0x000002ff, 0x000002ff, MSR_VIRT, MSR_VIRT, "IA32_MTRR_DEF_TYPE",
	  "a consistent write-back-only set: E and type WB or UC kept per vCPU, no effect on memory types"),
	R(0x000006e0, 0x000006e0, MSR_VIRT, MSR_VIRT, "IA32_TSC_DEADLINE",
	  "the local APIC timer's deadline mode (vm/dev/vlapic.c)"),
	R(0x00000800, 0x000008ff, MSR_VIRT, MSR_VIRT, "x2APIC registers",
	  "the partition's local APIC in x2APIC mode (vm/dev/vlapic.c)"),
	R(0x4b564d04, 0x4b564d04, MSR_VIRT, MSR_VIRT, "KVM_PV_EOI_EN",
	  "KVM's paravirtual EOI (vm/dev/vlapic.c) with paravirt = pv-eoi; without it #GP, as CPUID offers no KVM leaves"),
	R(0xc0000080, 0xc0000080, MSR_VIRT, MSR_VIRT, "EFER",
	  "SCE, LME and NXE are the guest's; SVME is Sluice's and LMA the CPU's"),

	/* ---- read 0, writes dropped and counted ---- */
	R(0x00000017, 0x00000017, MSR_ZERO, MSR_GP, "IA32_PLATFORM_ID",
	  "microcode loaders read it; platform 0"),
	R(0x0000008b, 0x0000008b, MSR_ZERO, MSR_ZERO, "IA32_BIOS_SIGN_ID",
	  "the microcode revision: none to load in a partition"),
	R(0x000000c1, 0x000000c8, MSR_ZERO, MSR_ZERO, "IA32_PMC0-7",
	  "no performance counters in a partition (CPUID leaf 0xA is 0)"),
	R(0x00000179, 0x00000179, MSR_ZERO, MSR_GP, "IA32_MCG_CAP",
	  "no machine-check banks; read-only"),
	R(0x0000017a, 0x0000017a, MSR_ZERO, MSR_ZERO, "IA32_MCG_STATUS",
	  "no machine check in progress"),
	R(0x00000186, 0x0000018d, MSR_ZERO, MSR_ZERO, "IA32_PERFEVTSEL0-7",
	  "no performance counters in a partition"),
	R(0x000001d9, 0x000001d9, MSR_ZERO, MSR_ZERO, "IA32_DEBUGCTL",
	  "no LBR or branch trace in a partition"),
	R(0x00000309, 0x0000030b, MSR_ZERO, MSR_ZERO, "IA32_FIXED_CTR0-2",
	  "no performance counters in a partition"),
	R(0x0000038d, 0x00000390, MSR_ZERO, MSR_ZERO, "IA32_FIXED_CTR_CTRL/PERF_GLOBAL_*",
	  "no performance counters in a partition"),
	R(0xc0000300, 0xc0000303, MSR_ZERO, MSR_ZERO, "AMD PerfCntrGlobal*",
	  "no performance counters in a partition (CPUID 8000_0022 is 0)"),
	R(0xc0010000, 0xc0010007, MSR_ZERO, MSR_ZERO, "AMD PerfEvtSel0-3/PerfCtr0-3",
	  "the legacy counters every AMD CPU has: kernels zero them; none in a partition"),
	R(0xc0010010, 0xc0010010, MSR_ZERO, MSR_ZERO, "AMD SYSCFG",
	  "no memory encryption or MTRR extensions to set in a partition"),
	R(0xc0010015, 0xc0010015, MSR_ZERO, MSR_ZERO, "AMD HWCR",
	  "hardware configuration is Sluice's"),
	R(0xc0010114, 0xc0010114, MSR_ZERO, MSR_ZERO, "AMD VM_CR",
	  "a partition gets no SVM (CPUID hides it)"),
	R(0xc0010200, 0xc001020b, MSR_ZERO, MSR_ZERO, "AMD PerfEvtSel/PerfCtr (core)",
	  "no performance counters in a partition (CPUID hides PerfCtrExtCore)"),
	R(0xc0011029, 0xc0011029, MSR_ZERO, MSR_ZERO, "AMD DE_CFG",
	  "kernels set LFENCE serializing there; the CPU's setting is Sluice's"),
};
const u32 msr_nr_rules = ARRAY_SIZE(msr_rules);

static const struct msr_rule unknown = { 0, 0, MSR_GP, MSR_GP, "unknown",
	"not an MSR a partition has: #GP, as on a CPU without it" };

const struct msr_rule *msr_rule(u32 msr)
{
	for (u32 i = 0; i < msr_nr_rules; i++)
		if (msr >= msr_rules[i].first && msr <= msr_rules[i].last)
			return &msr_rules[i];
	return &unknown;
}

void msr_for_each_pass(void (*allow)(void *ctx, u32 msr, bool write), void *ctx)
{
	for (u32 i = 0; i < msr_nr_rules; i++)
		for (u32 m = msr_rules[i].first; m <= msr_rules[i].last; m++) {
			if (msr_rules[i].rd == MSR_PASS)
				allow(ctx, m, false);
			if (msr_rules[i].wr == MSR_PASS)
				allow(ctx, m, true);
		}
}

bool msr_pat_valid(u64 pat)
{
	for (u32 i = 0; i < 8; i++) {
		u8 t = (u8)(pat >> (8 * i));
		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

bool msr_mtrr_def_type_valid(u64 val)
{
	u64 type = val & MTRR_DEF_TYPE_TYPE;
	return !(val & ~(MTRR_DEF_TYPE_TYPE | MTRR_DEF_TYPE_FE | MTRR_DEF_TYPE_E)) && !(val & MTRR_DEF_TYPE_FE) &&
	       (type == MEMTYPE_WB || type == MEMTYPE_UC);
}

bool msr_efer_valid(u64 cur, u64 val, bool paging)
{
	val &= ~EFER_LMA;
	if (val & ~(EFER_SCE | EFER_LME | EFER_NXE))
		return false;
	return !paging || (val & EFER_LME) == (cur & EFER_LME);
}
