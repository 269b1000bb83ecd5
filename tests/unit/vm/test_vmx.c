/*
 * Host tests for the VMX back end's portable pieces: VMCS field encodings
 * against appendix B's rules, controls computed from capability MSRs
 * (Bochs' corei7_skylake_x, a real Coffee Lake host, and CPUs that lack what
 * Sluice needs), the IA32_FEATURE_CONTROL decision, the EPTP, the I/O and
 * MSR bitmaps bit by bit, the exit decoder for every handled reason, and
 * vmx_ops on a fake VMX CPU (tests/fakes/fake_vmx.c): the vendor pick,
 * VMXON, the VMCS a vCPU starts from, and vcpu_run round trips through a
 * fake VMLAUNCH/VMRESUME.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/cpu/vmx.h"
#include "vm/cpu/msr.h"
#include "kernel/hw/cpu.h"
#include "kernel/err.h"
#include "kernel/pgtable.h"
#include "kernel/page_alloc.h"
#include "kernel/smp.h"
#include "kernel/hw/mem.h"
#include "tests/fakes/fake_cpu.h"
#include "tests/fakes/fake_log.h"
#include "tests/fakes/fake_ram.h"
#include "tests/fakes/fake_tsc.h"
#include "tests/fakes/fake_vmx.h"

#define RAM     0x40000000ULL

/* The VMRUN door of vm/cpu/svm.c (linked through vm/cpu/virt.c): an Intel test never enters SVM. */
void svm_hw_run(u64 vmcb_pa, u64 host_save_pa, struct guest_regs *regs)
{
	(void)vmcb_pa;
	(void)host_save_pa;
	(void)regs;
	fail_msg("svm_hw_run called in test_vmx");
}

/* ---- appendix B: every encoding Sluice uses, with the group the SDM lists it in ---- */

static const struct { u32 enc; u8 width, type; const char *name; } fields[] = {
	{ VMCS_VPID, VMCS_WIDTH_16, VMCS_TYPE_CONTROL, "VPID" },
	{ VMCS_GUEST_ES_SEL, VMCS_WIDTH_16, VMCS_TYPE_GUEST, "guest ES" },
	{ VMCS_GUEST_CS_SEL, VMCS_WIDTH_16, VMCS_TYPE_GUEST, "guest CS" },
	{ VMCS_GUEST_INTR_STATUS, VMCS_WIDTH_16, VMCS_TYPE_GUEST, "guest interrupt status" },
	{ VMCS_GUEST_SS_SEL, VMCS_WIDTH_16, VMCS_TYPE_GUEST, "guest SS" },
	{ VMCS_GUEST_DS_SEL, VMCS_WIDTH_16, VMCS_TYPE_GUEST, "guest DS" },
	{ VMCS_GUEST_FS_SEL, VMCS_WIDTH_16, VMCS_TYPE_GUEST, "guest FS" },
	{ VMCS_GUEST_GS_SEL, VMCS_WIDTH_16, VMCS_TYPE_GUEST, "guest GS" },
	{ VMCS_GUEST_LDTR_SEL, VMCS_WIDTH_16, VMCS_TYPE_GUEST, "guest LDTR" },
	{ VMCS_GUEST_TR_SEL, VMCS_WIDTH_16, VMCS_TYPE_GUEST, "guest TR" },
	{ VMCS_HOST_ES_SEL, VMCS_WIDTH_16, VMCS_TYPE_HOST, "host ES" },
	{ VMCS_HOST_CS_SEL, VMCS_WIDTH_16, VMCS_TYPE_HOST, "host CS" },
	{ VMCS_HOST_SS_SEL, VMCS_WIDTH_16, VMCS_TYPE_HOST, "host SS" },
	{ VMCS_HOST_DS_SEL, VMCS_WIDTH_16, VMCS_TYPE_HOST, "host DS" },
	{ VMCS_HOST_FS_SEL, VMCS_WIDTH_16, VMCS_TYPE_HOST, "host FS" },
	{ VMCS_HOST_GS_SEL, VMCS_WIDTH_16, VMCS_TYPE_HOST, "host GS" },
	{ VMCS_HOST_TR_SEL, VMCS_WIDTH_16, VMCS_TYPE_HOST, "host TR" },
	{ VMCS_IO_BITMAP_A, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, "I/O bitmap A" },
	{ VMCS_IO_BITMAP_B, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, "I/O bitmap B" },
	{ VMCS_MSR_BITMAP, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, "MSR bitmaps" },
	{ VMCS_EXIT_MSR_STORE_ADDR, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, "exit MSR-store" },
	{ VMCS_EXIT_MSR_LOAD_ADDR, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, "exit MSR-load" },
	{ VMCS_ENTRY_MSR_LOAD_ADDR, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, "entry MSR-load" },
	{ VMCS_TSC_OFFSET, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, "TSC offset" },
	{ VMCS_EPT_POINTER, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, "EPTP" },
	{ VMCS_EOI_EXIT_BITMAP0, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, "EOI-exit bitmap 0" },
	{ VMCS_GUEST_PHYSICAL_ADDR, VMCS_WIDTH_64, VMCS_TYPE_EXIT_INFO, "guest-physical address" },
	{ VMCS_LINK_POINTER, VMCS_WIDTH_64, VMCS_TYPE_GUEST, "VMCS link pointer" },
	{ VMCS_GUEST_IA32_DEBUGCTL, VMCS_WIDTH_64, VMCS_TYPE_GUEST, "guest DEBUGCTL" },
	{ VMCS_GUEST_IA32_PAT, VMCS_WIDTH_64, VMCS_TYPE_GUEST, "guest PAT" },
	{ VMCS_GUEST_IA32_EFER, VMCS_WIDTH_64, VMCS_TYPE_GUEST, "guest EFER" },
	{ VMCS_HOST_IA32_PAT, VMCS_WIDTH_64, VMCS_TYPE_HOST, "host PAT" },
	{ VMCS_HOST_IA32_EFER, VMCS_WIDTH_64, VMCS_TYPE_HOST, "host EFER" },
	{ VMCS_PIN_CONTROLS, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, "pin-based" },
	{ VMCS_PROC_CONTROLS, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, "primary processor-based" },
	{ VMCS_EXCEPTION_BITMAP, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, "exception bitmap" },
	{ VMCS_PF_ERROR_MASK, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, "#PF error mask" },
	{ VMCS_PF_ERROR_MATCH, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, "#PF error match" },
	{ VMCS_CR3_TARGET_COUNT, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, "CR3-target count" },
	{ VMCS_EXIT_CONTROLS, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, "VM-exit controls" },
	{ VMCS_EXIT_MSR_STORE_COUNT, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, "exit MSR-store count" },
	{ VMCS_EXIT_MSR_LOAD_COUNT, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, "exit MSR-load count" },
	{ VMCS_ENTRY_CONTROLS, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, "VM-entry controls" },
	{ VMCS_ENTRY_MSR_LOAD_COUNT, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, "entry MSR-load count" },
	{ VMCS_ENTRY_INTR_INFO, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, "entry interruption info" },
	{ VMCS_PROC_CONTROLS2, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, "secondary processor-based" },
	{ VMCS_VM_INSTRUCTION_ERROR, VMCS_WIDTH_32, VMCS_TYPE_EXIT_INFO, "VM-instruction error" },
	{ VMCS_EXIT_REASON, VMCS_WIDTH_32, VMCS_TYPE_EXIT_INFO, "exit reason" },
	{ VMCS_EXIT_INTR_INFO, VMCS_WIDTH_32, VMCS_TYPE_EXIT_INFO, "exit interruption info" },
	{ VMCS_EXIT_INTR_ERROR_CODE, VMCS_WIDTH_32, VMCS_TYPE_EXIT_INFO, "exit interruption error" },
	{ VMCS_IDT_VECTORING_INFO, VMCS_WIDTH_32, VMCS_TYPE_EXIT_INFO, "IDT-vectoring info" },
	{ VMCS_IDT_VECTORING_ERROR_CODE, VMCS_WIDTH_32, VMCS_TYPE_EXIT_INFO, "IDT-vectoring error" },
	{ VMCS_EXIT_INSTRUCTION_LEN, VMCS_WIDTH_32, VMCS_TYPE_EXIT_INFO, "exit instruction length" },
	{ VMCS_EXIT_INSTRUCTION_INFO, VMCS_WIDTH_32, VMCS_TYPE_EXIT_INFO, "exit instruction info" },
	{ VMCS_GUEST_ES_LIMIT, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest ES limit" },
	{ VMCS_GUEST_CS_LIMIT, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest CS limit" },
	{ VMCS_GUEST_SS_LIMIT, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest SS limit" },
	{ VMCS_GUEST_DS_LIMIT, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest DS limit" },
	{ VMCS_GUEST_FS_LIMIT, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest FS limit" },
	{ VMCS_GUEST_GS_LIMIT, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest GS limit" },
	{ VMCS_GUEST_LDTR_LIMIT, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest LDTR limit" },
	{ VMCS_GUEST_TR_LIMIT, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest TR limit" },
	{ VMCS_GUEST_GDTR_LIMIT, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest GDTR limit" },
	{ VMCS_GUEST_IDTR_LIMIT, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest IDTR limit" },
	{ VMCS_GUEST_ES_AR, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest ES AR" },
	{ VMCS_GUEST_CS_AR, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest CS AR" },
	{ VMCS_GUEST_SS_AR, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest SS AR" },
	{ VMCS_GUEST_DS_AR, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest DS AR" },
	{ VMCS_GUEST_FS_AR, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest FS AR" },
	{ VMCS_GUEST_GS_AR, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest GS AR" },
	{ VMCS_GUEST_LDTR_AR, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest LDTR AR" },
	{ VMCS_GUEST_TR_AR, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest TR AR" },
	{ VMCS_GUEST_INTERRUPTIBILITY, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest interruptibility" },
	{ VMCS_GUEST_ACTIVITY_STATE, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest activity state" },
	{ VMCS_GUEST_SYSENTER_CS, VMCS_WIDTH_32, VMCS_TYPE_GUEST, "guest SYSENTER_CS" },
	{ VMCS_HOST_SYSENTER_CS, VMCS_WIDTH_32, VMCS_TYPE_HOST, "host SYSENTER_CS" },
	{ VMCS_CR0_GUEST_HOST_MASK, VMCS_WIDTH_NATURAL, VMCS_TYPE_CONTROL, "CR0 mask" },
	{ VMCS_CR4_GUEST_HOST_MASK, VMCS_WIDTH_NATURAL, VMCS_TYPE_CONTROL, "CR4 mask" },
	{ VMCS_CR0_READ_SHADOW, VMCS_WIDTH_NATURAL, VMCS_TYPE_CONTROL, "CR0 shadow" },
	{ VMCS_CR4_READ_SHADOW, VMCS_WIDTH_NATURAL, VMCS_TYPE_CONTROL, "CR4 shadow" },
	{ VMCS_EXIT_QUALIFICATION, VMCS_WIDTH_NATURAL, VMCS_TYPE_EXIT_INFO, "exit qualification" },
	{ VMCS_GUEST_LINEAR_ADDR, VMCS_WIDTH_NATURAL, VMCS_TYPE_EXIT_INFO, "guest-linear address" },
	{ VMCS_GUEST_CR0, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest CR0" },
	{ VMCS_GUEST_CR3, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest CR3" },
	{ VMCS_GUEST_CR4, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest CR4" },
	{ VMCS_GUEST_ES_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest ES base" },
	{ VMCS_GUEST_CS_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest CS base" },
	{ VMCS_GUEST_SS_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest SS base" },
	{ VMCS_GUEST_DS_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest DS base" },
	{ VMCS_GUEST_FS_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest FS base" },
	{ VMCS_GUEST_GS_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest GS base" },
	{ VMCS_GUEST_LDTR_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest LDTR base" },
	{ VMCS_GUEST_TR_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest TR base" },
	{ VMCS_GUEST_GDTR_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest GDTR base" },
	{ VMCS_GUEST_IDTR_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest IDTR base" },
	{ VMCS_GUEST_DR7, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest DR7" },
	{ VMCS_GUEST_RSP, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest RSP" },
	{ VMCS_GUEST_RIP, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest RIP" },
	{ VMCS_GUEST_RFLAGS, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest RFLAGS" },
	{ VMCS_GUEST_PENDING_DBG, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest pending debug" },
	{ VMCS_GUEST_SYSENTER_ESP, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest SYSENTER_ESP" },
	{ VMCS_GUEST_SYSENTER_EIP, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, "guest SYSENTER_EIP" },
	{ VMCS_HOST_CR0, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST, "host CR0" },
	{ VMCS_HOST_CR3, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST, "host CR3" },
	{ VMCS_HOST_CR4, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST, "host CR4" },
	{ VMCS_HOST_FS_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST, "host FS base" },
	{ VMCS_HOST_GS_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST, "host GS base" },
	{ VMCS_HOST_TR_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST, "host TR base" },
	{ VMCS_HOST_GDTR_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST, "host GDTR base" },
	{ VMCS_HOST_IDTR_BASE, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST, "host IDTR base" },
	{ VMCS_HOST_SYSENTER_ESP, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST, "host SYSENTER_ESP" },
	{ VMCS_HOST_SYSENTER_EIP, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST, "host SYSENTER_EIP" },
	{ VMCS_HOST_RSP, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST, "host RSP" },
	{ VMCS_HOST_RIP, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST, "host RIP" },
};

static void field_encodings_follow_appendix_b(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(fields); i++) {
		u32 e = fields[i].enc;
		if (FIELD_GET(VMCS_ENC_WIDTH, e) != fields[i].width || FIELD_GET(VMCS_ENC_TYPE, e) != fields[i].type)
			fail_msg("%s (0x%04x): width %llu type %llu, the SDM lists it as width %u type %u", fields[i].name,
				 e, (unsigned long long)FIELD_GET(VMCS_ENC_WIDTH, e),
				 (unsigned long long)FIELD_GET(VMCS_ENC_TYPE, e), fields[i].width, fields[i].type);
		/* Sluice names full fields only; bit 12 and bits 31:15 are reserved (B, 25.11.2). */
		assert_int_equal(e & VMCS_ENC_ACCESS_HIGH, 0);
		assert_int_equal(e & VMCS_ENC_RESERVED, 0);
		assert_int_equal(e >> 15, 0);
		/* Each encoding once. */
		for (unsigned j = 0; j < i; j++)
			if (fields[j].enc == e)
				fail_msg("%s and %s share 0x%04x", fields[i].name, fields[j].name, e);
	}
	/* Index is bits 9:1: guest segment selectors ES..TR are indexes 0..7 in SDM order. */
	assert_int_equal(FIELD_GET(VMCS_ENC_INDEX, VMCS_GUEST_TR_SEL), 7);
	assert_int_equal(FIELD_GET(VMCS_ENC_INDEX, VMCS_HOST_RIP), 11);
	assert_int_equal(FIELD_GET(VMCS_ENC_INDEX, VMCS_EPT_POINTER), 13);
}

static void insn_errors_and_exit_names_in_sdm_words(void **state)
{
	(void)state;
	assert_string_equal(vmx_insn_error_name(7), "VM entry with invalid control field(s)");
	assert_string_equal(vmx_insn_error_name(8), "VM entry with invalid host-state field(s)");
	assert_string_equal(vmx_insn_error_name(12), "VMREAD/VMWRITE from/to unsupported VMCS component");
	assert_string_equal(vmx_insn_error_name(28), "Invalid operand to INVEPT/INVVPID");
	assert_string_equal(vmx_insn_error_name(14), "?");      /* not assigned */
	assert_string_equal(vmx_insn_error_name(21), "?");
	assert_string_equal(vmx_insn_error_name(0), "?");
	assert_string_equal(vmx_insn_error_name(1000), "?");
	assert_string_equal(vmx_exit_name(48), "EPT violation");
	assert_string_equal(vmx_exit_name(33), "VM-entry failure due to invalid guest state");
	assert_string_equal(vmx_exit_name(30), "I/O instruction");
	assert_string_equal(vmx_exit_name(35), "?");
	assert_string_equal(vmx_exit_name(0xffff), "?");
}

/* ---- capability MSRs ---- */

/*
 * Bochs 2.7, cpu: model=corei7_skylake_x, as Sluice logs them at boot
 * ("vmx: capabilities ..."; docs/platform.md).
 */
static const struct vmx_caps bochs = {
	.basic = 0x00d810000000002bULL,
	.pin = 0x0000007f00000016ULL,
	.proc = 0xf7f9fffe04006172ULL,
	.proc2 = 0x02177fff00000000ULL,
	.exit = 0x007fffff00036dfbULL,
	.entry = 0x0000ffff000011fbULL,
	.ept_vpid = 0x00000f0106334141ULL,
	.cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
	.cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x003727ff,
	.misc = 0x00000000600401e0ULL,  /* as Sluice logged it under Bochs: preemption timer rate 0 */
};

/*
 * A real Intel host, not an emulator: CPUID family 6 model 158 stepping
 * 10 (Coffee Lake, 6 cores, 12 threads), its VMX MSRs as VirtualBox's
 * VBox.log printed them at start-up (docs/platform.md keeps them). TRUE
 * MSRs where bit 55 offers them; the non-TRUE PROCBASED of the same CPU
 * forces CR3-load and CR3-store exiting.
 */
static const struct vmx_caps real = {
	.basic = 0x00da040000000004ULL,
	.pin = 0x0000007f00000016ULL,
	.proc = 0xfff9fffe04006172ULL,
	.proc2 = 0x005fbcff00000000ULL,
	.exit = 0x01ffffff00036dfbULL,
	.entry = 0x0003ffff000011fbULL,
	.ept_vpid = 0x00000f0106734141ULL,
	.cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
	.cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x003727ff,
};

static void controls_for_bochs_skylake_x(void **state)
{
	(void)state;
	struct vmx_controls c;
	char why[160] = "";
	assert_int_equal(vmx_controls_compute(&bochs, true, &c, why, sizeof(why)), 0);
	/* Forced bits (allowed-0) are kept, and Sluice's own are on. */
	/* Virtual NMIs where offered: guests' NMIs blocked by the CPU until their IRET. */
	assert_int_equal(c.pin, 0x16 | PIN_EXTINT_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
	assert_int_equal(c.proc, 0x04006172 | PROC_HLT_EXITING | PROC_MWAIT_EXITING | PROC_MONITOR_EXITING |
			 PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS | PROC_SECONDARY_CONTROLS | PROC_TPR_SHADOW);
	assert_false(c.proc & (PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING | PROC_RDTSC_EXITING));
	/* proc2 allowed-1 0x02177fff offers bits 4 and 9: virtual-interrupt delivery with x2APIC virtualization. */
	assert_int_equal(c.proc2, PROC2_ENABLE_EPT | PROC2_ENABLE_VPID | PROC2_UNRESTRICTED_GUEST |
			 PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID | PROC2_ENABLE_XSAVES |
			 PROC2_VIRT_X2APIC | PROC2_VIRT_INTR_DELIVERY);
	assert_false(c.proc2 & (PROC2_VIRT_APIC_ACCESSES | PROC2_APIC_REG_VIRT));
	/* One of the two missing: neither (they are used together). */
	struct vmx_caps no_vid = bochs;
	no_vid.proc2 &= ~((u64)PROC2_VIRT_INTR_DELIVERY << 32);
	assert_int_equal(vmx_controls_compute(&no_vid, true, &c, why, sizeof(why)), 0);
	assert_false(c.proc2 & (PROC2_VIRT_X2APIC | PROC2_VIRT_INTR_DELIVERY));
	no_vid = bochs;
	no_vid.proc2 &= ~((u64)PROC2_VIRT_X2APIC << 32);
	assert_int_equal(vmx_controls_compute(&no_vid, true, &c, why, sizeof(why)), 0);
	assert_false(c.proc2 & (PROC2_VIRT_X2APIC | PROC2_VIRT_INTR_DELIVERY));
	assert_int_equal(vmx_controls_compute(&bochs, true, &c, why, sizeof(why)), 0);
	assert_int_equal(c.exit, 0x00036dfb | EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT |
			 EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER);
	assert_false(c.exit & EXIT_ACK_INTR_ON_EXIT);
	assert_int_equal(c.entry, 0x000011fb | ENTRY_LOAD_IA32_PAT | ENTRY_LOAD_IA32_EFER | ENTRY_IA32E_MODE_GUEST);
	assert_int_equal(vmx_controls_compute(&bochs, false, &c, why, sizeof(why)), 0);
	assert_false(c.entry & ENTRY_IA32E_MODE_GUEST);
	/* EPT: WB, 4 levels, 2M and 1G leaves. */
	u64 eptp;
	assert_int_equal(vmx_eptp(bochs.ept_vpid, 0x12345000, &eptp), 0);
	assert_int_equal(eptp, 0x12345000 | 0x18 | 6);
	assert_int_equal(vmx_ept_large(bochs.ept_vpid), PT_LARGE_2M | PT_LARGE_1G);
}

static void controls_for_a_real_intel_host(void **state)
{
	(void)state;
	struct vmx_controls c;
	char why[160] = "";
	assert_int_equal(vmx_controls_compute(&real, true, &c, why, sizeof(why)), 0);
	assert_int_equal(c.pin, 0x16 | PIN_EXTINT_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
	/* proc2 allowed-1 0x005fbcff: bit 4 but not bit 9, so no virtual-interrupt delivery: events injected. */
	assert_int_equal(c.proc2, PROC2_ENABLE_EPT | PROC2_ENABLE_VPID | PROC2_UNRESTRICTED_GUEST |
			 PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID | PROC2_ENABLE_XSAVES);
	assert_int_equal(c.entry & ENTRY_IA32E_MODE_GUEST, ENTRY_IA32E_MODE_GUEST);
	u64 eptp;
	assert_int_equal(vmx_eptp(real.ept_vpid, 0x7000, &eptp), 0);
	assert_int_equal(eptp, 0x7000 | 0x18 | 6);
	assert_int_equal(vmx_ept_large(real.ept_vpid), PT_LARGE_2M | PT_LARGE_1G);
	/* The non-TRUE PROCBASED MSR of the same CPU forces CR3-load exiting: refused by name. */
	struct vmx_caps old = real;
	old.proc = 0xfff9fffe0401e172ULL;
	assert_int_equal(vmx_controls_compute(&old, true, &c, why, sizeof(why)), -HV_ENOTSUP);
	assert_string_equal(why, "primary processor-based control \"CR3-load exiting\" (bit 15) cannot be 0");
}

static void refuses_a_cpu_missing_a_control(void **state)
{
	(void)state;
	struct vmx_controls c;
	char why[160] = "";
	struct vmx_caps no_ug = bochs;
	no_ug.proc2 &= ~((u64)PROC2_UNRESTRICTED_GUEST << 32);
	assert_int_equal(vmx_controls_compute(&no_ug, false, &c, why, sizeof(why)), -HV_ENOTSUP);
	assert_string_equal(why, "secondary processor-based control \"unrestricted guest\" (bit 7) cannot be 1");

	struct vmx_caps no_nmi = bochs;
	no_nmi.pin &= ~((u64)PIN_NMI_EXITING << 32);
	assert_int_equal(vmx_controls_compute(&no_nmi, false, &c, why, sizeof(why)), -HV_ENOTSUP);
	assert_string_equal(why, "pin-based control \"NMI exiting\" (bit 3) cannot be 1");

	struct vmx_caps no_secondary = bochs;
	no_secondary.proc &= ~((u64)PROC_SECONDARY_CONTROLS << 32);
	no_secondary.proc2 = 0;
	assert_int_equal(vmx_controls_compute(&no_secondary, false, &c, why, sizeof(why)), -HV_ENOTSUP);
	assert_string_equal(why, "primary processor-based control \"activate secondary controls\" (bit 31) cannot be 1");

	struct vmx_caps no_efer = bochs;
	no_efer.exit &= ~((u64)EXIT_LOAD_IA32_EFER << 32);
	assert_int_equal(vmx_controls_compute(&no_efer, false, &c, why, sizeof(why)), -HV_ENOTSUP);
	assert_string_equal(why, "VM-exit control \"load IA32_EFER\" (bit 21) cannot be 1");

	struct vmx_caps no_64 = bochs;
	no_64.entry &= ~((u64)ENTRY_IA32E_MODE_GUEST << 32);
	assert_int_equal(vmx_controls_compute(&no_64, false, &c, why, sizeof(why)), 0);
	assert_int_equal(vmx_controls_compute(&no_64, true, &c, why, sizeof(why)), -HV_ENOTSUP);
	assert_string_equal(why, "VM-entry control \"IA-32e mode guest\" (bit 9) cannot be 1");

	/* EPT without a 4-level walk or a usable memory type. */
	u64 eptp = 0;
	assert_int_equal(vmx_eptp(bochs.ept_vpid & ~EPT_CAP_PWL4, 0x1000, &eptp), -HV_ENOTSUP);
	assert_int_equal(vmx_eptp(bochs.ept_vpid & ~(EPT_CAP_MT_WB | EPT_CAP_MT_UC), 0x1000, &eptp), -HV_ENOTSUP);
	assert_int_equal(vmx_eptp(bochs.ept_vpid & ~EPT_CAP_MT_WB, 0x1000, &eptp), 0);
	assert_int_equal(eptp, 0x1000 | 0x18 | EPTP_MEMTYPE_UC);
	assert_int_equal(vmx_ept_large(EPT_CAP_2M), PT_LARGE_2M);
	assert_int_equal(vmx_ept_large(0), 0);
}

static void reads_true_msrs_only_when_basic_says_so(void **state)
{
	(void)state;
	struct vmx_caps c;
	fake_cpu_reset();
	fake_cpu_set_msr(MSR_IA32_VMX_BASIC, bochs.basic);
	fake_cpu_set_msr(MSR_IA32_VMX_PINBASED_CTLS, 0x1111);
	fake_cpu_set_msr(MSR_IA32_VMX_TRUE_PINBASED_CTLS, bochs.pin);
	fake_cpu_set_msr(MSR_IA32_VMX_PROCBASED_CTLS, 0x2222);
	fake_cpu_set_msr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, bochs.proc);
	fake_cpu_set_msr(MSR_IA32_VMX_TRUE_EXIT_CTLS, bochs.exit);
	fake_cpu_set_msr(MSR_IA32_VMX_TRUE_ENTRY_CTLS, bochs.entry);
	fake_cpu_set_msr(MSR_IA32_VMX_PROCBASED_CTLS2, bochs.proc2);
	fake_cpu_set_msr(MSR_IA32_VMX_EPT_VPID_CAP, bochs.ept_vpid);
	vmx_caps_read(&c);
	assert_int_equal(c.pin, bochs.pin);
	assert_int_equal(c.proc, bochs.proc);
	assert_int_equal(c.proc2, bochs.proc2);
	assert_int_equal(c.ept_vpid, bochs.ept_vpid);
	/* Bit 55 clear: the plain MSRs; no secondary controls allowed: CTLS2 and EPT_VPID_CAP not read. */
	fake_cpu_set_msr(MSR_IA32_VMX_BASIC, bochs.basic & ~VMX_BASIC_TRUE_CTLS);
	vmx_caps_read(&c);
	assert_int_equal(c.pin, 0x1111);
	assert_int_equal(c.proc, 0x2222);
	assert_int_equal(c.proc2, 0);
	assert_int_equal(c.ept_vpid, 0);
}

/* 26.5.1, A.6: one timer tick per change of TSC bit X, X = IA32_VMX_MISC[4:0]. */
static void slice_ticks_follow_the_timer_rate(void **state)
{
	(void)state;
	/* Bochs: rate 0, the timer counts TSC ticks; 10 ms of a 3 GHz TSC. */
	assert_int_equal(vmx_slice_ticks(bochs.misc, 3000000, 10000), 30000000);
	/* A Xeon's rate 5: one tick per 32 TSC ticks. */
	assert_int_equal(vmx_slice_ticks(0x5, 3000000, 10000), 937500);
	/* Only bits 4:0 are the rate. */
	assert_int_equal(vmx_slice_ticks(0xffffffe5ULL, 3000000, 10000), 937500);
	/* Never 0 (an exit before the guest's first instruction), never past the 32-bit field. */
	assert_int_equal(vmx_slice_ticks(0x1f, 1000, 1), 1);
	assert_int_equal(vmx_slice_ticks(0, 0, 10000), 1);
	assert_int_equal(vmx_slice_ticks(0, 5000000, 1000000), 0xffffffffu);
}

static void feature_control_decision(void **state)
{
	(void)state;
	u64 w = 1;
	/* Unlocked (a BIOS that left it open): enable outside SMX and lock. */
	assert_int_equal(vmx_feature_control_decide(0, &w), 0);
	assert_int_equal(w, FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
	assert_int_equal(vmx_feature_control_decide(FEATURE_CONTROL_VMX_IN_SMX, &w), 0);
	assert_int_equal(w, 0x7);
	/* Locked with VMXON allowed outside SMX (Bochs: 0x5): nothing to write. */
	assert_int_equal(vmx_feature_control_decide(0x5, &w), 0);
	assert_int_equal(w, 0);
	/* Locked without it: the firmware turned VT-x off. */
	assert_int_equal(vmx_feature_control_decide(FEATURE_CONTROL_LOCK, &w), -HV_ENOTSUP);
	assert_int_equal(vmx_feature_control_decide(FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_IN_SMX, &w), -HV_ENOTSUP);
	assert_int_equal(w, 0);
}

static void xsetbv_values(void **state)
{
	(void)state;
	const u64 cpu = 0xe7;          /* x87 SSE AVX, AVX-512 (bits 5-7) */
	assert_int_equal(vmx_xsetbv_check(0, 0x1, cpu), 0);
	assert_int_equal(vmx_xsetbv_check(0, 0x7, cpu), 0);
	assert_int_equal(vmx_xsetbv_check(0, 0xe7, cpu), 0);
	assert_int_equal(vmx_xsetbv_check(1, 0x1, cpu), -HV_EINVAL);   /* only XCR0 exists */
	assert_int_equal(vmx_xsetbv_check(0, 0x6, cpu), -HV_EINVAL);   /* x87 must stay */
	assert_int_equal(vmx_xsetbv_check(0, 0x5, cpu), -HV_EINVAL);   /* AVX without SSE */
	assert_int_equal(vmx_xsetbv_check(0, 0x27, cpu), -HV_EINVAL);  /* part of AVX-512 */
	assert_int_equal(vmx_xsetbv_check(0, 0xe3, cpu), -HV_EINVAL);  /* AVX-512 without AVX */
	assert_int_equal(vmx_xsetbv_check(0, 0x7, 0x3), -HV_EINVAL);   /* AVX the CPU lacks */
	assert_int_equal(vmx_xsetbv_check(0, 0x1 | BIT_ULL(62), ~0ULL), 0);
}

static void cr_fixed_bits(void **state)
{
	(void)state;
	/* Sluice's CR0 without NE gets NE; CR4 gets VMXE; bits clear in FIXED1 go. */
	assert_int_equal(vmx_cr_fixed(0x80010011, bochs.cr0_fixed0, bochs.cr0_fixed1), 0x80010031);
	assert_int_equal(vmx_cr_fixed(0x20, bochs.cr4_fixed0, bochs.cr4_fixed1), 0x2020);
	assert_int_equal(vmx_cr_fixed(0x800020, bochs.cr4_fixed0, bochs.cr4_fixed1), 0x2020);
}

/* ---- bitmaps ---- */

static u8 iobm[2 * 4096], msrbm[4096];

static bool port_exits(u16 port)
{
	return iobm[port / 8] & (1u << (port % 8));
}

static void io_bitmaps(void **state)
{
	(void)state;
	struct vcpu_policy pol = { .nr_io = 2, .io = { { 0xc000, 0x20 }, { 0x7ff8, 0x10 } } };
	vmx_io_bitmap_fill(iobm, &pol);
	assert_true(port_exits(0x3f8));
	assert_true(port_exits(0xcf8));
	assert_false(port_exits(0xc000));
	assert_false(port_exits(0xc01f));
	assert_true(port_exits(0xc020));
	/* A range across the A/B boundary: 0x7fff is the last bit of A, 0x8000 the first of B. */
	assert_false(port_exits(0x7fff));
	assert_int_equal(iobm[4095] & 0x80, 0);
	assert_int_equal(iobm[4096] & 0x01, 0);
	assert_true(port_exits(0x8008));
	assert_int_equal(iobm[8191], 0xff);
}

static void msr_bitmap(void **state)
{
	(void)state;
	vmx_msr_bitmap_fill(msrbm);
	assert_true(vmx_msr_bitmap_intercepts(msrbm, 0xc0000080, false));     /* EFER */
	assert_true(vmx_msr_bitmap_intercepts(msrbm, 0xc0000080, true));
	assert_true(vmx_msr_bitmap_intercepts(msrbm, 0x277, true));            /* PAT */
	assert_true(vmx_msr_bitmap_intercepts(msrbm, 0x3a, true));             /* FEATURE_CONTROL */
	assert_true(vmx_msr_bitmap_intercepts(msrbm, 0x480, false));           /* VMX_BASIC */
	assert_true(vmx_msr_bitmap_intercepts(msrbm, 0x40000000, false));      /* outside the ranges */
	assert_false(vmx_msr_bitmap_intercepts(msrbm, 0x10, false));
	assert_true(vmx_msr_bitmap_intercepts(msrbm, 0x10, true));
	/* Every MSR in the bitmap's ranges exits exactly when vm/cpu/msr.c does not pass it. */
	for (u32 i = 0; i < msr_nr_rules; i++)
		for (u32 m = msr_rules[i].first; m <= msr_rules[i].last; m++) {
			assert_int_equal(vmx_msr_bitmap_intercepts(msrbm, m, false), msr_rules[i].rd != MSR_PASS);
			assert_int_equal(vmx_msr_bitmap_intercepts(msrbm, m, true), msr_rules[i].wr != MSR_PASS);
		}
	/* 25.6.9 layout: LSTAR (C000_0082) read bit at 0x400 bytes + 0x82 bits, write bit at 0xc00 bytes. */
	assert_int_equal(msrbm[0x400 + 0x82 / 8] & (1u << (0x82 % 8)), 0);
	assert_int_equal(msrbm[0xc00 + 0x82 / 8] & (1u << (0x82 % 8)), 0);
	assert_int_equal(msrbm[0x800 + 0x10 / 8] & (1u << (0x10 % 8)), 1u << (0x10 % 8));     /* TSC write */
	assert_int_equal(msrbm[0x174 / 8] & (1u << (0x174 % 8)), 0);                           /* SYSENTER_CS read */
}

/* ---- exit decoding ---- */

static struct vm_exit decode(u32 reason, u64 qual, u64 gpa, u32 intr_info, u32 intr_error, u32 len)
{
	struct vmx_exit_info in = { reason, qual, gpa, intr_info, intr_error, len };
	struct vm_exit x;
	vmx_decode_exit(&in, &x);
	return x;
}

static void decodes_io_exits(void **state)
{
	(void)state;
	/* OUT DX, AL to COM1: size 1, out, port in 31:16, DX form. */
	struct vm_exit x = decode(VMX_EXIT_IO_INSTRUCTION, 0x03f80000, 0, 0, 0, 1);
	assert_int_equal(x.reason, VM_EXIT_IO);
	assert_int_equal(x.io.port, 0x3f8);
	assert_int_equal(x.io.size, 1);
	assert_false(x.io.in || x.io.string || x.io.rep);
	assert_int_equal(x.insn_len, 1);
	assert_int_equal(x.hw_code, VMX_EXIT_IO_INSTRUCTION);
	assert_int_equal(x.info1, 0x03f80000);
	/* REP INSW from 0xcfc. */
	x = decode(VMX_EXIT_IO_INSTRUCTION, 0x0cfc0000 | IO_QUAL_REP | IO_QUAL_STRING | IO_QUAL_IN | 1, 0, 0, 0, 2);
	assert_true(x.io.in && x.io.string && x.io.rep);
	assert_int_equal(x.io.size, 2);
	assert_int_equal(x.insn_len, 2);
	/* IN EAX, imm8 0xf4. */
	x = decode(VMX_EXIT_IO_INSTRUCTION, 0x00f40000 | IO_QUAL_IMM | IO_QUAL_IN | 3, 0, 0, 0, 2);
	assert_int_equal(x.io.port, 0xf4);
	assert_int_equal(x.io.size, 4);
	assert_true(x.io.in);
	/* A length the SDM cannot give (0 or over 15): decode at rip instead. */
	assert_int_equal(decode(VMX_EXIT_IO_INSTRUCTION, 0x3f80000, 0, 0, 0, 0).insn_len, 0);
	assert_int_equal(decode(VMX_EXIT_IO_INSTRUCTION, 0x3f80000, 0, 0, 0, 16).insn_len, 0);
}

static void decodes_ept_violations(void **state)
{
	(void)state;
	/* Write to a GPA nothing maps: bits 5:3 clear. */
	struct vm_exit x = decode(VMX_EXIT_EPT_VIOLATION, EPT_QUAL_WRITE | EPT_QUAL_GLA_VALID, 0x1000000, 0, 0, 3);
	assert_int_equal(x.reason, VM_EXIT_NPF);
	assert_int_equal(x.npf.gpa, 0x1000000);
	assert_true(x.npf.write);
	assert_false(x.npf.fetch);
	assert_false(x.npf.present);
	assert_int_equal(x.insn_len, 0);        /* MMIO emulation decodes the instruction itself */
	/* Fetch from a page mapped read/write only. */
	x = decode(VMX_EXIT_EPT_VIOLATION, EPT_QUAL_FETCH | EPT_QUAL_READABLE | EPT_QUAL_WRITABLE, 0x2000, 0, 0, 0);
	assert_true(x.npf.fetch && x.npf.present);
	assert_false(x.npf.write);
	/* Read of a present page (a read-only config window, say). */
	x = decode(VMX_EXIT_EPT_VIOLATION, EPT_QUAL_READ | EPT_QUAL_EXECUTABLE, 0xb0000000, 0, 0, 0);
	assert_true(x.npf.present);
	assert_false(x.npf.write || x.npf.fetch);
	assert_int_equal(x.info2, 0xb0000000);
}

static void decodes_every_handled_reason(void **state)
{
	(void)state;
	static const struct { u32 basic; enum vm_exit_reason want; bool len; } table[] = {
		{ VMX_EXIT_CPUID, VM_EXIT_CPUID, true },
		{ VMX_EXIT_HLT, VM_EXIT_HLT, true },
		{ VMX_EXIT_VMCALL, VM_EXIT_HYPERCALL, true },
		{ VMX_EXIT_RDMSR, VM_EXIT_MSR_READ, true },
		{ VMX_EXIT_WRMSR, VM_EXIT_MSR_WRITE, true },
		{ VMX_EXIT_TRIPLE_FAULT, VM_EXIT_SHUTDOWN, false },
		{ VMX_EXIT_INIT, VM_EXIT_INIT, false },
		{ VMX_EXIT_EXTERNAL_INTERRUPT, VM_EXIT_INTR, false },
		{ VMX_EXIT_OTHER_SMI, VM_EXIT_INTR, false },
		{ VMX_EXIT_PREEMPTION_TIMER, VM_EXIT_SLICE, false },
		{ VMX_EXIT_VMXON, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_VMLAUNCH, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_VMRESUME, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_VMCLEAR, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_VMPTRLD, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_VMPTRST, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_VMREAD, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_VMWRITE, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_VMXOFF, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_INVEPT, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_INVVPID, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_VMFUNC, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_INVD, VM_EXIT_INVD, true },
		{ VMX_EXIT_GETSEC, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_RSM, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_TASK_SWITCH, VM_EXIT_TASK_SWITCH, false },
		{ VMX_EXIT_MWAIT, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_MONITOR, VM_EXIT_FORBIDDEN, false },
		{ VMX_EXIT_XSETBV, VM_EXIT_FAULT, false },
		{ VMX_EXIT_EPT_MISCONFIG, VM_EXIT_UNKNOWN, false },
		{ VMX_EXIT_RDTSC, VM_EXIT_UNKNOWN, false },      /* never enabled */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(table); i++) {
		struct vm_exit x = decode(table[i].basic, 0x55, 0, 0, 0, 3);
		if (x.reason != table[i].want)
			fail_msg("exit %u (%s): reason %d, want %d", table[i].basic, vmx_exit_name(table[i].basic),
				 x.reason, table[i].want);
		assert_int_equal(x.insn_len, table[i].len ? 3 : 0);
		assert_int_equal(x.hw_code, table[i].basic);
	}
}

static void decodes_exceptions_nmis_and_entry_failures(void **state)
{
	(void)state;
	/* #GP(0x18) the exception bitmap intercepted. */
	u32 gp = INTR_INFO_VALID | INTR_INFO_ERROR_CODE_VALID | FIELD_PREP(INTR_INFO_TYPE, INTR_TYPE_HW_EXCEPTION) | 13;
	struct vm_exit x = decode(VMX_EXIT_EXCEPTION_NMI, 0, 0, gp, 0x18, 0);
	assert_int_equal(x.reason, VM_EXIT_EXCEPTION);
	assert_int_equal(x.exc.vector, 13);
	assert_true(x.exc.has_error);
	assert_int_equal(x.exc.error_code, 0x18);
	/* #UD: no error code, whatever the error field holds. */
	x = decode(VMX_EXIT_EXCEPTION_NMI, 0, 0, INTR_INFO_VALID | FIELD_PREP(INTR_INFO_TYPE, INTR_TYPE_HW_EXCEPTION) | 6,
		   0x77, 0);
	assert_int_equal(x.exc.vector, 6);
	assert_false(x.exc.has_error);
	assert_int_equal(x.exc.error_code, 0);
	/* An NMI (NMI exiting): Sluice's, not the guest's. */
	x = decode(VMX_EXIT_EXCEPTION_NMI, 0, 0, INTR_INFO_VALID | FIELD_PREP(INTR_INFO_TYPE, INTR_TYPE_NMI) | 2, 0, 0);
	assert_int_equal(x.reason, VM_EXIT_INTR);
	/* Entry failures: bit 31 with reason 33 (invalid guest state), 34 (MSR loading), 41 (machine check). */
	x = decode(VMX_EXIT_REASON_ENTRY_FAILURE | VMX_EXIT_INVALID_GUEST_STATE, 2, 0, 0, 0, 0);
	assert_int_equal(x.reason, VM_EXIT_ENTRY_FAILED);
	assert_int_equal(x.hw_code, 0x80000021);
	assert_int_equal(x.info1, 2);
	assert_int_equal(decode(VMX_EXIT_REASON_ENTRY_FAILURE | VMX_EXIT_MSR_LOADING, 1, 0, 0, 0, 0).reason,
			 VM_EXIT_ENTRY_FAILED);
	assert_int_equal(decode(VMX_EXIT_REASON_ENTRY_FAILURE | VMX_EXIT_MACHINE_CHECK, 0, 0, 0, 0, 0).reason,
			 VM_EXIT_ENTRY_FAILED);
	/* Bit 31 wins over whatever the basic reason would mean otherwise. */
	assert_int_equal(decode(VMX_EXIT_REASON_ENTRY_FAILURE | VMX_EXIT_CPUID, 0, 0, 0, 0, 2).reason,
			 VM_EXIT_ENTRY_FAILED);
}


/* ---- vmx_ops on a fake VMX CPU ---- */

/*
 * Every ops test below uses CPUs of its own: vm/cpu/vmx.c keeps per-CPU
 * state (VMXON done, the vCPU's pages) that a fresh fake RAM invalidates.
 */

static void bochs_cpu(const struct vmx_caps *c, u64 feature_control)
{
	fake_cpu_reset();
	fake_vmx_reset();
	fake_cpu_set_vendor("GenuineIntel", 0x16);
	fake_cpu_set_cpuid(1, 0x50654, 0, 0x77faf3bf, 0);
	fake_cpu_set_msr(MSR_IA32_FEATURE_CONTROL, feature_control);
	fake_cpu_set_msr(MSR_IA32_VMX_BASIC, c->basic);
	fake_cpu_set_msr(MSR_IA32_VMX_TRUE_PINBASED_CTLS, c->pin);
	fake_cpu_set_msr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, c->proc);
	fake_cpu_set_msr(MSR_IA32_VMX_TRUE_EXIT_CTLS, c->exit);
	fake_cpu_set_msr(MSR_IA32_VMX_TRUE_ENTRY_CTLS, c->entry);
	fake_cpu_set_msr(MSR_IA32_VMX_PROCBASED_CTLS2, c->proc2);
	fake_cpu_set_msr(MSR_IA32_VMX_EPT_VPID_CAP, c->ept_vpid);
	fake_cpu_set_msr(MSR_IA32_VMX_CR0_FIXED0, c->cr0_fixed0);
	fake_cpu_set_msr(MSR_IA32_VMX_CR0_FIXED1, c->cr0_fixed1);
	fake_cpu_set_msr(MSR_IA32_VMX_CR4_FIXED0, c->cr4_fixed0);
	fake_cpu_set_msr(MSR_IA32_VMX_CR4_FIXED1, c->cr4_fixed1);
	fake_cpu_set_msr(MSR_IA32_VMX_MISC, c->misc);
	fake_cpu_set_msr(MSR_IA32_GS_BASE, 0xffff800000200000ULL);
	fake_cpu_set_msr(MSR_EFER, EFER_LME | EFER_LMA | BIT_ULL(11));
}

static int ops_setup(void **state)
{
	(void)state;
	fake_log_capture();
	fake_ram_init(RAM, 4 * MiB);
	bochs_cpu(&bochs, 0x5);
	return 0;
}

static void picks_vmx_on_intel_with_what_it_needs(void **state)
{
	(void)state;
	assert_ptr_equal(virt_pick(), &vmx_ops);
	assert_true(fake_log_has("capabilities basic=0x00d810000000002b pin=0x0000007f00000016"));
	assert_true(fake_log_has("VMX revision 0x2b, EPT (4-level, write-back, 2M, 1G), VPID, unrestricted guest, TRUE controls"));
	assert_true(fake_log_has("CPU virtualization: vmx (GenuineIntel)"));
	assert_int_equal(vmx_ops.pt_format, PT_FMT_EPT);
	assert_int_equal(vmx_ops.pt_large(), PT_LARGE_2M | PT_LARGE_1G);
	assert_true(vmx_ops.init_consumed());
	/* A CPU whose EPT has 2 MiB pages only: the partition's table uses no 1 GiB leaf. */
	struct vmx_caps small = bochs;
	small.ept_vpid &= ~EPT_CAP_1G;
	bochs_cpu(&small, 0x5);
	assert_ptr_equal(virt_pick(), &vmx_ops);
	assert_int_equal(vmx_ops.pt_large(), PT_LARGE_2M);
	assert_int_equal(fake_cpu_msr_writes(MSR_IA32_FEATURE_CONTROL), 0);     /* locked by the firmware, on */
}

/* CPUID shows RDTSCP and RDPID only where "enable RDTSCP" can be set: without it they raise #UD in the guest. */
static void cpuid_hides_what_the_controls_cannot_give(void **state)
{
	(void)state;
	struct cpuid_regs e1 = { .edx = BIT(27) | BIT(11) }, l7 = { .ecx = BIT(22) | BIT(2) };
	bochs_cpu(&bochs, 0x5);
	assert_ptr_equal(virt_pick(), &vmx_ops);
	vmx_ops.cpuid_adjust(0x80000001u, 0, &e1);
	vmx_ops.cpuid_adjust(7, 0, &l7);
	assert_int_equal(e1.edx, BIT(27) | BIT(11));    /* Bochs's controls allow it: both stay */
	assert_int_equal(l7.ecx, BIT(22) | BIT(2));
	struct vmx_caps c = bochs;
	c.proc2 &= ~((u64)PROC2_ENABLE_RDTSCP << 32);
	bochs_cpu(&c, 0x5);
	assert_ptr_equal(virt_pick(), &vmx_ops);
	vmx_ops.cpuid_adjust(0x80000001u, 0, &e1);
	vmx_ops.cpuid_adjust(7, 0, &l7);
	assert_int_equal(e1.edx, BIT(11));              /* RDTSCP gone, SYSCALL stays */
	assert_int_equal(l7.ecx, BIT(2));               /* RDPID gone, UMIP stays */
}

static void feature_control_off_or_open(void **state)
{
	(void)state;
	bochs_cpu(&bochs, FEATURE_CONTROL_LOCK);
	assert_null(virt_pick());
	assert_int_equal(fake_log_count("VT-x is turned off by the firmware: IA32_FEATURE_CONTROL 0x1 is locked without VMXON outside SMX; no guests on this CPU"), 1);
	/* Open: Sluice enables VMXON outside SMX and locks. */
	bochs_cpu(&bochs, 0);
	assert_ptr_equal(virt_pick(), &vmx_ops);
	assert_int_equal(fake_cpu_msr(MSR_IA32_FEATURE_CONTROL), 0x5);
	/* No VMX bit: declined without touching the MSRs. */
	bochs_cpu(&bochs, 0);
	fake_cpu_set_cpuid(1, 0x50654, 0, 0x77faf3bf & ~(u32)CPUID_1_ECX_VMX, 0);
	assert_null(virt_pick());
	assert_int_equal(fake_cpu_msr_writes(MSR_IA32_FEATURE_CONTROL), 0);
}

static void probe_refuses_missing_controls_by_name(void **state)
{
	(void)state;
	struct vmx_caps c = bochs;
	c.proc2 &= ~((u64)PROC2_UNRESTRICTED_GUEST << 32);
	bochs_cpu(&c, 0x5);
	assert_null(virt_pick());
	assert_true(fake_log_has("ERR  vmx: VMX without what Sluice needs: secondary processor-based control \"unrestricted guest\" (bit 7) cannot be 1"));
	c = bochs;
	c.ept_vpid &= ~(VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL);
	bochs_cpu(&c, 0x5);
	assert_null(virt_pick());
	assert_true(fake_log_has("no INVEPT or INVVPID of a usable type"));
}

static void cpu_enable_fixes_crs_and_enters_root_operation(void **state)
{
	(void)state;
	struct cpu c = { .index = 1 };
	assert_int_equal(vmx_ops.probe(), 0);
	assert_int_equal(vmx_ops.cpu_enable(&c), 0);
	assert_true(fake_vmx_cr[4] & X86_CR4_VMXE);
	assert_true(fake_vmx_cr[0] & X86_CR0_NE);
	u64 pa = fake_vmx_vmxon_pa();
	assert_true(pa >= RAM && pa < RAM + 4 * MiB);
	assert_false(page_alloc_is_free(pa, PAGE_SIZE));
	assert_int_equal(*(u32 *)phys_to_virt(pa, 4), 0x2b);    /* the revision identifier */
	assert_true(fake_log_has("CPU 1 in VMX root operation"));
	/* Again on the same CPU: it stays in root operation, no second VMXON, no page. */
	u64 free = page_alloc_free_pages();
	assert_int_equal(vmx_ops.cpu_enable(&c), 0);
	assert_int_equal(page_alloc_free_pages(), free);
}

static const struct vcpu_entry long64 = {
	.mode = VCPU_MODE_LONG64, .rip = 0x100000, .rsp = 0x106000, .rflags = 0, .cr3 = 0x109000,
	.gdt_base = 0x108000, .gdt_limit = 23, .regs = { .rdi = 0x107000, .rax = 7 },
};

static u64 vmcs_pa;

static struct vcpu vcpu_on(u32 cpu, const struct vcpu_entry *e)
{
	struct cpu c = { .index = cpu };
	struct vcpu v = { .cpu = cpu, .tag = 3, .pt_root = 0x55000 };
	struct vcpu_policy pol = { .nr_io = 1, .io = { { 0xc000, 0x10 } } };
	assert_int_equal(vmx_ops.probe(), 0);
	assert_int_equal(vmx_ops.cpu_enable(&c), 0);
	assert_int_equal(vmx_ops.vcpu_init(&v, e, &pol), 0);
	vmcs_pa = fake_vmx_current();
	assert_int_not_equal(vmcs_pa, ~0ULL);
	return v;
}

#define F(field) fake_vmcs_get(vmcs_pa, field)

/* The real host's MSRs lack virtual-interrupt delivery: vectors are injected and every x2APIC EOI exits. */
static void vcpu_init_without_virtual_interrupt_delivery(void **state)
{
	(void)state;
	bochs_cpu(&real, 0x5);
	fake_vmx_set_revision(4);               /* the real CPU's VMCS revision (IA32_VMX_BASIC 30:0) */
	struct vcpu v = vcpu_on(14, &long64);
	assert_false(F(VMCS_PROC_CONTROLS2) & (PROC2_VIRT_INTR_DELIVERY | PROC2_VIRT_X2APIC));
	assert_true(F(VMCS_PROC_CONTROLS) & PROC_TPR_SHADOW);
	const u8 *msrbm = phys_to_virt(F(VMCS_MSR_BITMAP), PAGE_SIZE);
	assert_true(vmx_msr_bitmap_intercepts(msrbm, X2APIC_MSR_EOI, true));
	assert_null(vmx_ops.vid_page(&v));
	assert_true(fake_log_has("no virtual-interrupt delivery: guests' vectors injected as events, every EOI exits"));
}

static void vcpu_init_long64_vmcs(void **state)
{
	(void)state;
	struct vcpu v = vcpu_on(2, &long64);
	/* Controls as computed from Bochs' MSRs; EPT WB 4-level; VPID = the partition's tag. */
	assert_true(F(VMCS_PIN_CONTROLS) & PIN_EXTINT_EXITING);
	assert_true(F(VMCS_PROC_CONTROLS) & PROC_USE_IO_BITMAPS);
	assert_true(F(VMCS_PROC_CONTROLS2) & PROC2_UNRESTRICTED_GUEST);
	assert_true(F(VMCS_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST);
	assert_int_equal(F(VMCS_EPT_POINTER), 0x55000 | 0x1e);
	assert_int_equal(F(VMCS_VPID), 3);
	assert_int_equal(F(VMCS_LINK_POINTER), ~0ULL);
	/* The I/O bitmaps: the policy's ports pass, COM1 exits. */
	u64 io = F(VMCS_IO_BITMAP_A);
	const u8 *bm = phys_to_virt(io, 2 * PAGE_SIZE);
	assert_int_equal(F(VMCS_IO_BITMAP_B), io + PAGE_SIZE);
	assert_int_equal(bm[0xc000 / 8], 0);
	assert_int_equal(bm[0x3f8 / 8], 0xff);
	assert_non_null(phys_to_virt(F(VMCS_MSR_BITMAP), PAGE_SIZE));
	/* Guest state: long mode, flat 64-bit CS, CR4.VMXE hidden behind the mask. */
	assert_int_equal(F(VMCS_GUEST_CR0), 0x80010031);
	assert_int_equal(F(VMCS_GUEST_CR4), 0x2020);
	assert_int_equal(F(VMCS_CR4_READ_SHADOW), 0x20);
	assert_true(F(VMCS_CR4_GUEST_HOST_MASK) & X86_CR4_VMXE);
	assert_int_equal(F(VMCS_GUEST_IA32_EFER), 0x500);
	assert_int_equal(F(VMCS_GUEST_CR3), 0x109000);
	assert_int_equal(F(VMCS_GUEST_CS_AR), 0xa09b);
	assert_int_equal(F(VMCS_GUEST_CS_SEL), 0x08);
	assert_int_equal(F(VMCS_GUEST_SS_AR), 0xc093);
	assert_int_equal(F(VMCS_GUEST_TR_AR), 0x8b);
	assert_int_equal(F(VMCS_GUEST_LDTR_AR), VMX_AR_UNUSABLE);
	assert_int_equal(F(VMCS_GUEST_GDTR_BASE), 0x108000);
	assert_int_equal(F(VMCS_GUEST_GDTR_LIMIT), 23);
	assert_int_equal(F(VMCS_GUEST_RIP), 0x100000);
	assert_int_equal(F(VMCS_GUEST_RSP), 0x106000);
	assert_int_equal(F(VMCS_GUEST_RFLAGS), 0x2);
	assert_int_equal(F(VMCS_GUEST_IA32_PAT), 0x0007040600070406ULL);
	/* CR8 goes to a page of its own, never to the CPU's TPR. */
	assert_true(F(VMCS_PROC_CONTROLS) & PROC_TPR_SHADOW);
	assert_true(F(VMCS_VIRTUAL_APIC_PAGE_ADDR) && !(F(VMCS_VIRTUAL_APIC_PAGE_ADDR) & 0xfff));
	assert_int_equal(F(VMCS_TPR_THRESHOLD), 0);
	/* Virtual-interrupt delivery (Bochs offers it): no EOI exits, the x2APIC EOI write passes the MSR bitmap, nothing else of the APIC's does. */
	assert_true(F(VMCS_PROC_CONTROLS2) & PROC2_VIRT_INTR_DELIVERY);
	for (u32 i = 0; i < 4; i++)
		assert_int_equal(F(VMCS_EOI_EXIT_BITMAP0 + 2 * i), 0);
	const u8 *msrbm = phys_to_virt(F(VMCS_MSR_BITMAP), PAGE_SIZE);
	assert_false(vmx_msr_bitmap_intercepts(msrbm, X2APIC_MSR_EOI, true));
	assert_true(vmx_msr_bitmap_intercepts(msrbm, X2APIC_MSR_EOI, false));
	assert_true(vmx_msr_bitmap_intercepts(msrbm, 0x808, true));            /* TPR */
	assert_true(vmx_msr_bitmap_intercepts(msrbm, 0x83f, true));            /* self IPI */
	assert_true(vmx_msr_bitmap_intercepts(msrbm, 0x830, true));            /* ICR */
	assert_true(vmx_msr_bitmap_intercepts(msrbm, 0x838, true));            /* timer initial count */
	u8 *page = vmx_ops.vid_page(&v);
	assert_ptr_equal(page, phys_to_virt(F(VMCS_VIRTUAL_APIC_PAGE_ADDR), PAGE_SIZE));
	vmx_ops.vid_status(&v, 0x5132);
	assert_int_equal(F(VMCS_GUEST_INTR_STATUS), 0x5132);
	/* Host state: the per-CPU pointer in GS base, this CPU's CR3/GDT/IDT/TR, 64-bit EFER. */
	assert_int_equal(F(VMCS_HOST_GS_BASE), 0xffff800000200000ULL);
	assert_int_equal(F(VMCS_HOST_CR4), fake_vmx_cr[4]);
	assert_int_equal(F(VMCS_HOST_TR_SEL), 0x18);
	assert_int_equal(F(VMCS_HOST_TR_BASE), 0xffff800000103000ULL);
	assert_int_equal(F(VMCS_HOST_GDTR_BASE), 0xffff800000101000ULL);
	assert_int_equal(F(VMCS_HOST_IDTR_BASE), 0xffff800000102000ULL);
	assert_int_equal(F(VMCS_HOST_IA32_EFER), 0xd00);
	assert_int_equal(*(u32 *)phys_to_virt(vmcs_pa, 4), 0x2b);
	assert_int_equal(v.regs.rdi, 0x107000);
	/* VPID 0 is the host's. */
	struct vcpu bad = { .cpu = 1, .tag = 0 };
	struct vcpu_policy pol = { 0 };
	assert_int_equal(vmx_ops.vcpu_init(&bad, &long64, &pol), -HV_EINVAL);
}

static void vcpu_init_prot32_vmcs(void **state)
{
	(void)state;
	struct vcpu_entry e = { .mode = VCPU_MODE_PROT32, .rip = 0x10000c, .regs = { .rax = 0x2badb002, .rbx = 0x104000 } };
	vcpu_on(4, &e);
	/* Multiboot v1 state: PE without PG (unrestricted guest), NE forced but shadowed, no IA-32e. */
	assert_int_equal(F(VMCS_GUEST_CR0), 0x31);
	assert_int_equal(F(VMCS_CR0_READ_SHADOW), 0x11);
	assert_true(F(VMCS_CR0_GUEST_HOST_MASK) & X86_CR0_NE);
	assert_false(F(VMCS_CR0_GUEST_HOST_MASK) & (X86_CR0_PE | X86_CR0_PG));
	assert_int_equal(F(VMCS_GUEST_CR4), 0x2000);
	assert_int_equal(F(VMCS_GUEST_IA32_EFER), 0);
	assert_false(F(VMCS_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST);
	assert_int_equal(F(VMCS_GUEST_CS_AR), 0xc09b);
	assert_int_equal(F(VMCS_GUEST_CS_LIMIT), 0xffffffff);
	assert_int_equal(F(VMCS_GUEST_DS_BASE), 0);
}

static void vcpu_init_real16_vmcs_after_sipi(void **state)
{
	(void)state;
	/* SIPI vector 0x09: CS = 0x0900, base 0x9000, ip 0 (SDM vol 3 9.4.4). */
	struct vcpu_entry e = { .mode = VCPU_MODE_REAL16, .real_cs = 0x0900, .rip = 0 };
	vcpu_on(8, &e);
	/* PE and PG clear (unrestricted guest), NE forced but shadowed, no IA-32e. */
	assert_int_equal(F(VMCS_GUEST_CR0), 0x30);
	assert_int_equal(F(VMCS_CR0_READ_SHADOW), 0x10);
	assert_true(F(VMCS_PROC_CONTROLS2) & PROC2_UNRESTRICTED_GUEST);
	assert_false(F(VMCS_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST);
	assert_int_equal(F(VMCS_GUEST_IA32_EFER), 0);
	assert_int_equal(F(VMCS_GUEST_CR3), 0);
	assert_int_equal(F(VMCS_GUEST_CS_SEL), 0x0900);
	assert_int_equal(F(VMCS_GUEST_CS_BASE), 0x9000);
	assert_int_equal(F(VMCS_GUEST_CS_LIMIT), 0xffff);
	assert_int_equal(F(VMCS_GUEST_CS_AR), 0x9b);
	static const u32 data[] = { VMCS_GUEST_DS_SEL, VMCS_GUEST_ES_SEL, VMCS_GUEST_SS_SEL, VMCS_GUEST_FS_SEL,
				    VMCS_GUEST_GS_SEL };
	for (u32 i = 0; i < ARRAY_SIZE(data); i++) {
		u32 k = data[i] - VMCS_GUEST_ES_SEL;
		assert_int_equal(F(data[i]), 0);
		assert_int_equal(F(VMCS_GUEST_ES_BASE + k), 0);
		assert_int_equal(F(VMCS_GUEST_ES_LIMIT + k), 0xffff);
		assert_int_equal(F(VMCS_GUEST_ES_AR + k), 0x93);
	}
	assert_int_equal(F(VMCS_GUEST_TR_AR), 0x8b);
	assert_int_equal(F(VMCS_GUEST_LDTR_AR), VMX_AR_UNUSABLE);
	assert_int_equal(F(VMCS_GUEST_IDTR_LIMIT), 0xffff);
	assert_int_equal(F(VMCS_GUEST_GDTR_LIMIT), 0xffff);
	assert_int_equal(F(VMCS_GUEST_RIP), 0);
	assert_int_equal(F(VMCS_GUEST_RFLAGS), 0x2);
	/* The trampoline's WRMSR EFER.LME, as common code passes it on: LMA stays the CPU's. */
	struct vcpu v = { .cpu = 8 };
	u64 val = 0x500;
	assert_int_equal(vmx_ops.state_msr(&v, 0xc0000080, true, &val), 0);
	assert_int_equal(F(VMCS_GUEST_IA32_EFER), 0x100);
	assert_int_equal(v.efer, 0x100);
	/* PAT is the VMCS's guest field (25.4.1); other MSRs are not the back end's. */
	val = 0x0606060606060606ULL;
	assert_int_equal(vmx_ops.state_msr(&v, 0x277, true, &val), 0);
	assert_int_equal(F(VMCS_GUEST_IA32_PAT), 0x0606060606060606ULL);
	assert_int_equal(vmx_ops.state_msr(&v, 0x10, false, &val), -HV_ENOENT);
	/* 27.6.1.1: a hardware exception, with its error code only in protected mode. */
	assert_int_equal(vmx_exc_event(13, true, true), 0x80000b0d);
	assert_int_equal(vmx_exc_event(13, true, false), 0x8000030d);
	assert_int_equal(vmx_exc_event(6, false, true), 0x80000306);
}

/* The fake guests: each leaves one exit, as the CPU would record it. */
static void wrmsr_efer(struct guest_regs *r)
{
	fake_vmcs_set(VMCS_EXIT_REASON, VMX_EXIT_WRMSR);
	fake_vmcs_set(VMCS_EXIT_INSTRUCTION_LEN, 2);
	fake_vmcs_set(VMCS_GUEST_RIP, 0x100014);
	r->rax = 0x11112222dead0501ULL;
	r->rcx = 0xc0000080;
	r->rdx = 0x0000000100000000ULL | 0x2;
	r->r15 = 0x1515;
}

static void out_to_com1(struct guest_regs *r)
{
	(void)r;
	fake_vmcs_set(VMCS_EXIT_REASON, VMX_EXIT_IO_INSTRUCTION);
	fake_vmcs_set(VMCS_EXIT_QUALIFICATION, 0x03f80000);
	fake_vmcs_set(VMCS_EXIT_INSTRUCTION_LEN, 1);
}

static void bad_guest_state(struct guest_regs *r)
{
	(void)r;
	fake_vmcs_set(VMCS_EXIT_REASON, VMX_EXIT_REASON_ENTRY_FAILURE | VMX_EXIT_INVALID_GUEST_STATE);
	fake_vmcs_set(VMCS_EXIT_QUALIFICATION, 0);
}

static void xsetbv_avx(struct guest_regs *r)
{
	fake_vmcs_set(VMCS_EXIT_REASON, VMX_EXIT_XSETBV);
	fake_vmcs_set(VMCS_EXIT_INSTRUCTION_LEN, 3);
	fake_vmcs_set(VMCS_GUEST_RIP, 0x100100);
	r->rcx = 0;
	r->rax = 0x7;
	r->rdx = 0;
}

static void xsetbv_avx_without_sse(struct guest_regs *r)
{
	xsetbv_avx(r);
	r->rax = 0x5;
}

static void nmi_arrives(struct guest_regs *r)
{
	(void)r;
	fake_vmcs_set(VMCS_EXIT_REASON, VMX_EXIT_EXCEPTION_NMI);
	fake_vmcs_set(VMCS_EXIT_INTR_INFO, INTR_INFO_VALID | FIELD_PREP(INTR_INFO_TYPE, INTR_TYPE_NMI) | 2);
}

static u32 event_at_entry;

/* The guest takes the injected interrupt and halts. */
static void hlt_after_event(struct guest_regs *r)
{
	(void)r;
	event_at_entry = (u32)fake_vmcs_get(fake_vmx_current(), VMCS_ENTRY_INTR_INFO);
	fake_vmcs_set(VMCS_EXIT_REASON, VMX_EXIT_HLT);
	fake_vmcs_set(VMCS_EXIT_INSTRUCTION_LEN, 1);
	fake_vmcs_set(VMCS_IDT_VECTORING_INFO, 0);
	fake_vmcs_set(VMCS_ENTRY_INTR_INFO, 0);         /* 25.9.2: cleared at every exit */
}

/* An EPT violation while the event was being delivered (its IDT). */
static void ept_during_delivery(struct guest_regs *r)
{
	(void)r;
	u64 ev = fake_vmcs_get(fake_vmx_current(), VMCS_ENTRY_INTR_INFO);
	fake_vmcs_set(VMCS_EXIT_REASON, VMX_EXIT_EPT_VIOLATION);
	fake_vmcs_set(VMCS_IDT_VECTORING_INFO, ev);
	fake_vmcs_set(VMCS_ENTRY_INTR_INFO, 0);
}

static void window_exit(struct guest_regs *r)
{
	(void)r;
	fake_vmcs_set(VMCS_EXIT_REASON, VMX_EXIT_INTERRUPT_WINDOW);
	fake_vmcs_set(VMCS_GUEST_INTERRUPTIBILITY, INTERRUPTIBILITY_STI);
}

/* What the fake guest found at its entry, then the timer running out. */
static u64 entry_pin, entry_timer;

static void slice_runs_out(struct guest_regs *r)
{
	(void)r;
	entry_pin = fake_vmcs_get(fake_vmx_current(), VMCS_PIN_CONTROLS);
	entry_timer = fake_vmcs_get(fake_vmx_current(), VMCS_GUEST_PREEMPTION_TIMER);
	fake_vmcs_set(VMCS_EXIT_REASON, VMX_EXIT_PREEMPTION_TIMER);
}

/*
 * A guest entered with RFLAGS.IF clear runs under the preemption timer
 * (Bochs holds back external interrupts then, docs/platform.md); with IF
 * set the timer is off, and a CPU without the timer never gets it.
 */
static void interrupts_off_run_in_slices(void **state)
{
	(void)state;
	struct vm_exit x;

	fake_tsc_khz = 2000000;
	struct vcpu v = vcpu_on(10, &long64);
	assert_false(F(VMCS_PIN_CONTROLS) & PIN_PREEMPTION_TIMER);
	v.rflags = 0x2;
	fake_vmx_guest = slice_runs_out;
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(x.reason, VM_EXIT_SLICE);
	assert_true(entry_pin & PIN_PREEMPTION_TIMER);
	assert_true(entry_pin & PIN_EXTINT_EXITING);
	assert_int_equal(entry_timer, vmx_slice_ticks(bochs.misc, 2000000, 10000));
	/* Again with IF clear: the timer is reloaded, the controls stay. */
	fake_vmcs_set(VMCS_GUEST_PREEMPTION_TIMER, 7);
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(entry_timer, 20000000);
	/* IF set: the guest's own interrupt flag lets kicks in; the timer goes off. */
	v.rflags = 0x202;
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), 0);
	assert_false(entry_pin & PIN_PREEMPTION_TIMER);
	assert_true(entry_pin & PIN_EXTINT_EXITING);
	fake_tsc_khz = 3000000;

	/* No timer in the pin-based allowed-1 settings: never set, whatever IF says. */
	struct vmx_caps no_timer = bochs;
	no_timer.pin &= ~((u64)PIN_PREEMPTION_TIMER << 32);
	bochs_cpu(&no_timer, 0x5);
	struct vcpu w = vcpu_on(11, &long64);
	w.rflags = 0x2;
	assert_int_equal(vmx_ops.vcpu_run(&w, &x), 0);
	assert_false(entry_pin & PIN_PREEMPTION_TIMER);
	assert_true(fake_log_has("no VMX-preemption timer"));
}

static void injection_uses_the_entry_field_and_the_window(void **state)
{
	(void)state;
	struct vcpu v = vcpu_on(12, &long64);
	struct vm_exit x;

	assert_false(vmx_ops.intr_ready(&v));           /* IF clear */
	vmx_ops.intr_window(&v, true);
	assert_true(F(VMCS_PROC_CONTROLS) & PROC_INTR_WINDOW_EXITING);
	fake_vmx_guest = window_exit;
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(x.reason, VM_EXIT_INTR_WINDOW);
	vmx_ops.intr_window(&v, false);
	assert_false(F(VMCS_PROC_CONTROLS) & PROC_INTR_WINDOW_EXITING);
	/* Blocking by STI at this rip holds it; once common code moved rip, the blocking goes too. */
	v.rflags |= RFLAGS_IF;
	assert_false(vmx_ops.intr_ready(&v));
	v.rip += 1;
	assert_true(vmx_ops.intr_ready(&v));
	vmx_ops.intr_inject(&v, 0x40);
	assert_false(vmx_ops.intr_ready(&v));
	fake_vmx_guest = hlt_after_event;
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(event_at_entry, INTR_INFO_VALID | 0x40);
	assert_int_equal(F(VMCS_GUEST_INTERRUPTIBILITY), 0);
	assert_int_equal(x.reason, VM_EXIT_HLT);
	assert_true(vmx_ops.intr_ready(&v));
	/* An exit during delivery: the IDT-vectoring information is the next entry's event. */
	vmx_ops.intr_inject(&v, 0x41);
	fake_vmx_guest = ept_during_delivery;
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), 0);
	assert_false(vmx_ops.intr_ready(&v));
	fake_vmx_guest = hlt_after_event;
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(event_at_entry, INTR_INFO_VALID | 0x41);
	/* The TPR shadow is byte 0x80 of the virtual-APIC page. */
	vmx_ops.tpr_set(&v, 0x60);
	const u8 *vapic = phys_to_virt(F(VMCS_VIRTUAL_APIC_PAGE_ADDR), PAGE_SIZE);
	assert_int_equal(vapic[0x80], 0x60);
	assert_int_equal(vmx_ops.tpr_get(&v), 0x60);
	/* A new vcpu_init (a restart) starts from TPR 0. */
	struct vcpu_policy pol = { 0 };
	assert_int_equal(vmx_ops.vcpu_init(&v, &long64, &pol), 0);
	assert_int_equal(vmx_ops.tpr_get(&v), 0);
}

static void vcpu_run_round_trip(void **state)
{
	(void)state;
	struct vcpu v = vcpu_on(5, &long64);
	struct vm_exit x;

	v.rip = 0x100004;
	v.regs.rax = 99;
	fake_vmx_guest = wrmsr_efer;
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), 0);
	/* First entry: VMLAUNCH, after INVEPT and INVVPID of this context (single-context on Bochs). */
	assert_int_equal(fake_vmx_launches, 1);
	assert_int_equal(fake_vmx_resumes, 0);
	assert_int_equal(fake_vmx_invept, 1);
	assert_int_equal(fake_vmx_last_invept_type, INVEPT_SINGLE_CONTEXT);
	assert_int_equal(fake_vmx_last_invept_eptp, 0x55000 | 0x1e);
	assert_int_equal(fake_vmx_invvpid, 1);
	assert_int_equal(fake_vmx_last_invvpid_type, INVVPID_SINGLE_CONTEXT);
	assert_int_equal(fake_vmx_last_invvpid_vpid, 3);
	/* The exit came out decoded, the registers the guest left with it. */
	assert_int_equal(x.reason, VM_EXIT_MSR_WRITE);
	assert_int_equal(x.msr.index, 0xc0000080);
	assert_int_equal(x.msr.value, 0x2dead0501ULL);
	assert_int_equal(x.insn_len, 2);
	assert_int_equal(v.rip, 0x100014);
	assert_int_equal(v.regs.r15, 0x1515);
	assert_true(v.cs_long);
	assert_int_equal(v.efer, 0x500);
	assert_int_equal(v.cpl, 0);
	/* What common code changed went into the VMCS; the second entry resumes without flushing. */
	v.rip += x.insn_len;
	fake_vmx_guest = out_to_com1;
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(fake_vmx_resumes, 1);
	assert_int_equal(fake_vmx_invept, 1);
	assert_int_equal(x.reason, VM_EXIT_IO);
	assert_int_equal(x.io.port, 0x3f8);
	assert_int_equal(v.rip, 0x100016);
	/* A remap asks for a flush: INVEPT and INVVPID before the next entry only. */
	vmx_ops.vcpu_flush_tlb(&v);
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(fake_vmx_invept, 2);
	assert_int_equal(fake_vmx_invvpid, 2);
	/*
	 * The dump names the state and the exit in the SDM's words, from what
	 * the exit left: it may run on another CPU (a park from the boot CPU),
	 * where there is no current VMCS to read.
	 */
	assert_int_equal(vmx_hw_vmclear(vmcs_pa), VMX_OK);
	vmx_ops.vcpu_dump(&v, "p1");
	assert_true(fake_log_has("p1: rip 0x0000000000100016"));
	assert_true(fake_log_has("exit reason 30 \"I/O instruction\" qualification 0x3f80000"));
}

static void entry_failures_are_one_line_in_sdm_words(void **state)
{
	(void)state;
	struct vcpu v = vcpu_on(6, &long64);
	struct vm_exit x;

	fake_vmx_guest = bad_guest_state;
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(x.reason, VM_EXIT_ENTRY_FAILED);
	assert_int_equal(fake_log_count("ERR  vmx: VM entry failed: exit reason 33 \"VM-entry failure due to invalid guest state\", qualification 0x0"), 1);
	/* VMRESUME on a VMCS someone cleared: VMfailValid, error 5 decoded. */
	assert_int_equal(vmx_hw_vmclear(vmcs_pa), VMX_OK);
	assert_int_equal(vmx_hw_vmptrld(vmcs_pa), VMX_OK);
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), -HV_EIO);
	assert_int_equal(x.reason, VM_EXIT_ENTRY_FAILED);
	assert_true(fake_log_has("ERR  vmx: VMRESUME failed: VM-instruction error 5 \"VMRESUME with non-launched VMCS\""));
	/* An NMI that made the guest exit goes on to Sluice's own handler. */
	struct vcpu w = vcpu_on(6, &long64);    /* a new vCPU on the same CPU: VMCLEAR, VMLAUNCH again */
	fake_vmx_guest = nmi_arrives;
	assert_int_equal(vmx_ops.vcpu_run(&w, &x), 0);
	assert_int_equal(x.reason, VM_EXIT_INTR);
	assert_int_equal(fake_vmx_nmis, 1);
}

/* XSETBV exits on VMX only: a valid one is done for the guest, which goes on; a bad one is its #GP. */
static void xsetbv_is_done_for_the_guest(void **state)
{
	(void)state;
	struct vcpu v = vcpu_on(7, &long64);
	struct vm_exit x;

	fake_cpu_set_cpuid(0xd, 0x7, 0, 0, 0);
	fake_vmx_guest = xsetbv_avx;
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(x.reason, VM_EXIT_NONE);
	assert_int_equal(fake_vmx_xsetbvs, 1);
	assert_int_equal(fake_vmx_xcr0, 0x7);
	assert_int_equal(v.rip, 0x100103);
	fake_vmx_guest = xsetbv_avx_without_sse;
	assert_int_equal(vmx_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(x.reason, VM_EXIT_FAULT);          /* the #GP(0) a CPU raises */
	assert_int_equal(x.exc.vector, 13);
	assert_true(x.exc.has_error);
	assert_int_equal(x.exc.error_code, 0);
	assert_int_equal(x.hw_code, VMX_EXIT_XSETBV);
	assert_int_equal(fake_vmx_xsetbvs, 1);
	assert_int_equal(v.rip, 0x100100);
}

static void vmxon_failure_is_decoded(void **state)
{
	(void)state;
	struct cpu c = { .index = 3 };
	assert_int_equal(vmx_ops.probe(), 0);
	fake_vmx_set_revision(0x77);    /* the region carries 0x2b: VMXON fails */
	assert_int_equal(vmx_ops.cpu_enable(&c), -HV_EIO);
	assert_true(fake_log_has("ERR  vmx: VMXON failed: VMfailInvalid"));
	assert_int_equal(fake_vmx_vmxon_pa(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(field_encodings_follow_appendix_b),
		cmocka_unit_test(insn_errors_and_exit_names_in_sdm_words),
		cmocka_unit_test(controls_for_bochs_skylake_x),
		cmocka_unit_test(controls_for_a_real_intel_host),
		cmocka_unit_test(refuses_a_cpu_missing_a_control),
		cmocka_unit_test(reads_true_msrs_only_when_basic_says_so),
		cmocka_unit_test(feature_control_decision),
		cmocka_unit_test(slice_ticks_follow_the_timer_rate),
		cmocka_unit_test(cr_fixed_bits),
		cmocka_unit_test(xsetbv_values),
		cmocka_unit_test(io_bitmaps),
		cmocka_unit_test(msr_bitmap),
		cmocka_unit_test(decodes_io_exits),
		cmocka_unit_test(decodes_ept_violations),
		cmocka_unit_test(decodes_every_handled_reason),
		cmocka_unit_test(decodes_exceptions_nmis_and_entry_failures),
		cmocka_unit_test_setup(picks_vmx_on_intel_with_what_it_needs, ops_setup),
		cmocka_unit_test_setup(feature_control_off_or_open, ops_setup),
		cmocka_unit_test_setup(probe_refuses_missing_controls_by_name, ops_setup),
		cmocka_unit_test_setup(cpuid_hides_what_the_controls_cannot_give, ops_setup),
		cmocka_unit_test_setup(cpu_enable_fixes_crs_and_enters_root_operation, ops_setup),
		cmocka_unit_test_setup(vcpu_init_long64_vmcs, ops_setup),
		cmocka_unit_test_setup(vcpu_init_without_virtual_interrupt_delivery, ops_setup),
		cmocka_unit_test_setup(vcpu_init_prot32_vmcs, ops_setup),
		cmocka_unit_test_setup(vcpu_init_real16_vmcs_after_sipi, ops_setup),
		cmocka_unit_test_setup(vcpu_run_round_trip, ops_setup),
		cmocka_unit_test_setup(interrupts_off_run_in_slices, ops_setup),
		cmocka_unit_test_setup(entry_failures_are_one_line_in_sdm_words, ops_setup),
		cmocka_unit_test_setup(xsetbv_is_done_for_the_guest, ops_setup),
		cmocka_unit_test_setup(vmxon_failure_is_decoded, ops_setup),
		cmocka_unit_test_setup(injection_uses_the_entry_field_and_the_window, ops_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
