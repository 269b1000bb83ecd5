/*
 * What the VMX capability MSRs allow, turned into what Sluice programs:
 * the five control words (each control set where Sluice wants it or the
 * allowed-0 settings force it, refused by name where the allowed-1
 * settings lack it), the IA32_FEATURE_CONTROL decision, the EPTP, the CR0
 * and CR4 fixed bits, and the I/O and MSR bitmaps.
 * Spec: Intel SDM Vol. 3D appendix A (A.2 "Reserved Controls and Default
 * Settings", A.3-A.5, A.7-A.8, A.10), Vol. 3C 24.7, 25.6.4, 25.6.9, 25.6.11.
 * Portable: MSRs through rdmsr, nothing written here.
 */
#include "vm/cpu/vmx.h"
#include "vm/cpu/msr.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/pgtable.h"
#include "kernel/hw/cpu.h"

void vmx_caps_read(struct vmx_caps *c)
{
	bool true_ctls;

	memset(c, 0, sizeof(*c));
	c->basic = rdmsr(MSR_IA32_VMX_BASIC);
	true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
	/* A.2: with bit 55 set, the TRUE MSRs report which default-1 controls may be 0. */
	c->pin = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	c->proc = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
	c->exit = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	c->entry = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	/* A.3.3: IA32_VMX_PROCBASED_CTLS2 exists only if "activate secondary controls" may be 1. */
	if (FIELD_GET(VMX_CTLS_ALLOWED1, c->proc) & PROC_SECONDARY_CONTROLS)
		c->proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
	/* A.10: IA32_VMX_EPT_VPID_CAP exists only if EPT or VPID may be enabled. */
	if (FIELD_GET(VMX_CTLS_ALLOWED1, c->proc2) & (PROC2_ENABLE_EPT | PROC2_ENABLE_VPID))
		c->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	c->misc = rdmsr(MSR_IA32_VMX_MISC);
}

/* A control Sluice needs set (on) or clear (off), with the name the refusal gives. */
struct need { u32 bit; bool on; const char *name; };

/*
 * INTR/NMI exiting: a kick or an NMI gets the CPU back to Sluice.
 * CR3 load/store exiting stay off: with EPT the guest's CR3 is its own
 * business (the non-TRUE MSR forces them on, A.3.2).
 */
static const struct need pin_needs[] = {
	{ PIN_EXTINT_EXITING, true, "external-interrupt exiting" },
	{ PIN_NMI_EXITING, true, "NMI exiting" },
};
static const struct need proc_needs[] = {
	{ PROC_HLT_EXITING, true, "HLT exiting" },
	{ PROC_MWAIT_EXITING, true, "MWAIT exiting" },
	{ PROC_MONITOR_EXITING, true, "MONITOR exiting" },
	{ PROC_USE_IO_BITMAPS, true, "use I/O bitmaps" },
	{ PROC_USE_MSR_BITMAPS, true, "use MSR bitmaps" },
	{ PROC_SECONDARY_CONTROLS, true, "activate secondary controls" },
	/*
	 * Without it (and without CR8-load exiting) MOV to CR8 would write
	 * the real TPR of the CPU (SDM 27.3 "Changes to Instruction Behavior
	 * in VMX Non-Root Operation"): a guest could mask Sluice's own kicks.
	 */
	{ PROC_TPR_SHADOW, true, "use TPR shadow" },
	{ PROC_CR3_LOAD_EXITING, false, "CR3-load exiting" },
	{ PROC_CR3_STORE_EXITING, false, "CR3-store exiting" },
};
/* Unrestricted guest: the Multiboot v1 entry state has paging off. */
static const struct need proc2_needs[] = {
	{ PROC2_ENABLE_EPT, true, "enable EPT" },
	{ PROC2_ENABLE_VPID, true, "enable VPID" },
	{ PROC2_UNRESTRICTED_GUEST, true, "unrestricted guest" },
};
/* The host is 64-bit; EFER and PAT switch with every entry and exit. */
static const struct need exit_needs[] = {
	{ EXIT_HOST_ADDR_SPACE_SIZE, true, "host address-space size" },
	{ EXIT_SAVE_IA32_PAT, true, "save IA32_PAT" },
	{ EXIT_LOAD_IA32_PAT, true, "load IA32_PAT" },
	{ EXIT_SAVE_IA32_EFER, true, "save IA32_EFER" },
	{ EXIT_LOAD_IA32_EFER, true, "load IA32_EFER" },
	{ EXIT_ACK_INTR_ON_EXIT, false, "acknowledge interrupt on exit" },
};
static const struct need entry_needs[] = {
	{ ENTRY_LOAD_IA32_PAT, true, "load IA32_PAT" },
	{ ENTRY_LOAD_IA32_EFER, true, "load IA32_EFER" },
	{ ENTRY_TO_SMM, false, "entry to SMM" },
};
static const struct need entry_ia32e[] = {
	{ ENTRY_IA32E_MODE_GUEST, true, "IA-32e mode guest" },
};

/*
 * One control word: the bits the allowed-0 settings force, plus the wanted
 * ones and the optional ones the allowed-1 settings permit. 0, or
 * -HV_ENOTSUP with why naming the first need the MSR cannot meet.
 */
static int one_word(u64 msr, const char *word, const struct need *needs, u32 nr, u32 optional, u32 *out,
		    char *why, size_t len)
{
	u32 forced = (u32)FIELD_GET(VMX_CTLS_ALLOWED0, msr), allowed = (u32)FIELD_GET(VMX_CTLS_ALLOWED1, msr);
	u32 v = forced | (optional & allowed);

	for (u32 i = 0; i < nr; i++) {
		const struct need *n = &needs[i];
		if (n->on && !(allowed & n->bit)) {
			fmt_snprintf(why, len, "%s control \"%s\" (bit %d) cannot be 1", word, n->name,
				     __builtin_ctz(n->bit));
			return -HV_ENOTSUP;
		}
		if (!n->on && (forced & n->bit)) {
			fmt_snprintf(why, len, "%s control \"%s\" (bit %d) cannot be 0", word, n->name,
				     __builtin_ctz(n->bit));
			return -HV_ENOTSUP;
		}
		if (n->on)
			v |= n->bit;
	}
	*out = v;
	return 0;
}

int vmx_controls_compute(const struct vmx_caps *c, bool ia32e, struct vmx_controls *out, char *why, size_t len)
{
	/* Optional: instructions the guest's CPUID may show; without these controls they raise #UD. */
	const u32 proc2_optional = PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID | PROC2_ENABLE_XSAVES;
	struct vmx_controls v;
	int ret;

	/* Optional: virtual NMIs, so that the CPU blocks a guest's NMIs until its handler's IRET (25.3, 26.6.1.2). */
	if ((ret = one_word(c->pin, "pin-based", pin_needs, ARRAY_SIZE(pin_needs), PIN_VIRTUAL_NMIS, &v.pin, why, len)) ||
	    (ret = one_word(c->proc, "primary processor-based", proc_needs, ARRAY_SIZE(proc_needs), 0, &v.proc,
			    why, len)) ||
	    (ret = one_word(c->proc2, "secondary processor-based", proc2_needs, ARRAY_SIZE(proc2_needs),
			    proc2_optional, &v.proc2, why, len)) ||
	    (ret = one_word(c->exit, "VM-exit", exit_needs, ARRAY_SIZE(exit_needs), 0, &v.exit, why, len)) ||
	    (ret = one_word(c->entry, "VM-entry", entry_needs, ARRAY_SIZE(entry_needs), 0, &v.entry, why, len)))
		return ret;
	/*
	 * Virtual-interrupt delivery with "virtualize x2APIC mode" (30.2,
	 * 30.5), both or neither: the guest's vectors go through the
	 * virtual-APIC page's VIRR and its x2APIC EOI (MSR 0x80b) is done by
	 * the CPU without an exit. Needs the TPR shadow and external-interrupt
	 * exiting (26.2.1.1), both set above; "virtualize APIC accesses" stays
	 * off, as the two x2APIC and xAPIC controls exclude each other.
	 */
	const u32 vid = PROC2_VIRT_X2APIC | PROC2_VIRT_INTR_DELIVERY;
	if ((FIELD_GET(VMX_CTLS_ALLOWED1, c->proc2) & vid) == vid && !(v.proc2 & PROC2_VIRT_APIC_ACCESSES))
		v.proc2 |= vid;
	if (ia32e) {
		u32 e;
		if ((ret = one_word(c->entry, "VM-entry", entry_ia32e, 1, 0, &e, why, len)))
			return ret;
		v.entry |= ENTRY_IA32E_MODE_GUEST;
	} else if (FIELD_GET(VMX_CTLS_ALLOWED0, c->entry) & ENTRY_IA32E_MODE_GUEST) {
		fmt_snprintf(why, len, "VM-entry control \"IA-32e mode guest\" (bit 9) cannot be 0");
		return -HV_ENOTSUP;
	}
	*out = v;
	return 0;
}

int vmx_feature_control_decide(u64 fc, u64 *write)
{
	*write = 0;
	if (!(fc & FEATURE_CONTROL_LOCK)) {
		/* 24.7: VMXON #GPs while the MSR is unlocked; set the enable and lock until the next reset. */
		*write = fc | FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCK;
		return 0;
	}
	return (fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX) ? 0 : -HV_ENOTSUP;
}

int vmx_eptp(u64 cap, u64 root_pa, u64 *eptp)
{
	if (!(cap & EPT_CAP_PWL4) || !(cap & (EPT_CAP_MT_WB | EPT_CAP_MT_UC)) || !IS_ALIGNED(root_pa, PAGE_SIZE))
		return -HV_ENOTSUP;
	*eptp = FIELD_PREP(EPTP_MEMTYPE, (cap & EPT_CAP_MT_WB) ? EPTP_MEMTYPE_WB : EPTP_MEMTYPE_UC) |
		FIELD_PREP(EPTP_PWL_MINUS1, 3) | (root_pa & EPTP_PML4);
	return 0;
}

u32 vmx_ept_large(u64 cap)
{
	return ((cap & EPT_CAP_2M) ? PT_LARGE_2M : 0) | ((cap & EPT_CAP_1G) ? PT_LARGE_1G : 0);
}

#define VMX_MISC_TIMER_RATE     GENMASK_ULL(4, 0)

u32 vmx_slice_ticks(u64 misc, u64 tsc_khz, u32 us)
{
	u64 ticks = (tsc_khz * us / 1000) >> FIELD_GET(VMX_MISC_TIMER_RATE, misc);

	return ticks == 0 ? 1 : ticks > 0xffffffffull ? 0xffffffffu : (u32)ticks;
}

u64 vmx_cr_fixed(u64 val, u64 fixed0, u64 fixed1)
{
	return (val | fixed0) & fixed1;
}

#define XCR0_X87                BIT_ULL(0)
#define XCR0_SSE                BIT_ULL(1)
#define XCR0_AVX                BIT_ULL(2)
#define XCR0_AVX512             GENMASK_ULL(7, 5)       /* opmask, ZMM_Hi256, Hi16_ZMM */

int vmx_xsetbv_check(u32 xcr, u64 val, u64 supported)
{
	if (xcr != 0 || !(val & XCR0_X87) || (val & ~supported))
		return -HV_EINVAL;
	if ((val & XCR0_AVX) && !(val & XCR0_SSE))
		return -HV_EINVAL;
	if ((val & XCR0_AVX512) && ((val & XCR0_AVX512) != XCR0_AVX512 || !(val & XCR0_AVX)))
		return -HV_EINVAL;
	return 0;
}

/* ---- bitmaps ---- */

/* 25.6.4: bitmap A covers ports 0000-7FFF, B 8000-FFFF, one bit each; a set bit makes the access exit. */
void vmx_io_bitmap_fill(u8 *bitmaps, const struct vcpu_policy *pol)
{
	memset(bitmaps, 0xff, VMX_IO_BITMAP_PAGES * PAGE_SIZE);
	for (u32 i = 0; i < pol->nr_io; i++)
		for (u32 port = pol->io[i].base; port < (u32)pol->io[i].base + pol->io[i].len && port < 0x10000; port++)
			bitmaps[port / 8] &= (u8)~(1u << (port % 8));
}

/* 25.6.9: the bit for msr in the read (or write) half, or -1 outside the two ranges (always exits). */
static int msr_bit(u32 msr, bool write)
{
	u32 base;
	if (msr <= 0x1fff)
		base = write ? VMX_MSR_BITMAP_WRITE_LO : VMX_MSR_BITMAP_READ_LO;
	else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
		base = write ? VMX_MSR_BITMAP_WRITE_HI : VMX_MSR_BITMAP_READ_HI;
	else
		return -1;
	return (int)(base * 8 + (msr & 0x1fff));
}

void vmx_msr_bitmap_allow(u8 *bitmap, u32 msr, bool write)
{
	int bit = msr_bit(msr, write);
	if (bit >= 0)
		bitmap[bit / 8] &= (u8)~(1u << (bit % 8));
}

static void bitmap_allow(void *ctx, u32 msr, bool write)
{
	vmx_msr_bitmap_allow(ctx, msr, write);
}

/*
 * Every MSR exits but those vm/cpu/msr.c passes through: FS/GS base and
 * SYSENTER are guest-state fields of the VMCS (25.4.1); STAR, LSTAR, CSTAR,
 * SFMASK, KernelGSBase and TSC_AUX are not switched by VMX, but Sluice
 * uses none of them on a guest's CPU. EFER and PAT exit (the VMCS loads them).
 */
void vmx_msr_bitmap_fill(u8 *bitmap)
{
	memset(bitmap, 0xff, PAGE_SIZE);
	msr_for_each_pass(bitmap_allow, bitmap);
}

bool vmx_msr_bitmap_intercepts(const u8 *bitmap, u32 msr, bool write)
{
	int bit = msr_bit(msr, write);
	return bit < 0 || (bitmap[bit / 8] & (1u << (bit % 8)));
}
