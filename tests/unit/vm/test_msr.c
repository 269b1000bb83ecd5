/*
 * Host tests for vm/cpu/msr.c (the MSR policy table: its rows are sorted
 * and disjoint, each has a reason, lookups find the right row, unknown
 * MSRs are #GP both ways; the value checks for EFER, PAT and the MTRR
 * default type) and vm/cpu/cpuid.c (the CPUID a vCPU sees: the guest's CR4
 * bits, its topology, the masked features, the hypervisor leaves).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/cpu/msr.h"
#include "vm/cpu/cpuid.h"
#include "kernel/lib.h"

static void rows_are_sorted_disjoint_and_explained(void **state)
{
	(void)state;
	for (u32 i = 0; i < msr_nr_rules; i++) {
		const struct msr_rule *r = &msr_rules[i];
		assert_true(r->first <= r->last);
		assert_non_null(r->name);
		assert_true(r->why && strlen(r->why) > 10);
		for (u32 j = 0; j < msr_nr_rules; j++)
			if (j != i)
				assert_true(r->last < msr_rules[j].first || r->first > msr_rules[j].last);
		assert_ptr_equal(msr_rule(r->first), r);
		assert_ptr_equal(msr_rule(r->last), r);
		/* A write passed through whose read exits would be odd: reads pass wherever writes do. */
		if (r->wr == MSR_PASS)
			assert_int_equal(r->rd, MSR_PASS);
	}
}

static void lookups_follow_the_table(void **state)
{
	(void)state;
	const struct msr_rule *r = msr_rule(0xc0000082);       /* LSTAR */
	assert_int_equal(r->rd, MSR_PASS);
	assert_int_equal(r->wr, MSR_PASS);
	r = msr_rule(0x10);                                     /* TSC: read passes, a write is dropped */
	assert_int_equal(r->rd, MSR_PASS);
	assert_int_equal(r->wr, MSR_ZERO);
	assert_int_equal(msr_rule(0xc0000080)->wr, MSR_VIRT);   /* EFER */
	assert_int_equal(msr_rule(0x277)->rd, MSR_VIRT);        /* PAT */
	assert_int_equal(msr_rule(0x80f)->wr, MSR_VIRT);        /* x2APIC SVR */
	assert_int_equal(msr_rule(0x3a)->wr, MSR_GP);           /* feature control: locked */
	assert_int_equal(msr_rule(0xc0010006)->rd, MSR_ZERO);   /* AMD PerfCtr2 */
	r = msr_rule(0x480);                                    /* VMX_BASIC: a partition has no VMX */
	assert_string_equal(r->name, "unknown");
	assert_int_equal(r->rd, MSR_GP);
	assert_int_equal(r->wr, MSR_GP);
	assert_int_equal(msr_rule(0xc0010117)->wr, MSR_GP);     /* VM_HSAVE_PA */
	assert_int_equal(msr_rule(0xffffffff)->rd, MSR_GP);
}

static u32 passes[2];
static void count_pass(void *ctx, u32 msr, bool write)
{
	(void)ctx;
	(void)msr;
	passes[write]++;
}

static void passed_registers_are_listed_once(void **state)
{
	(void)state;
	msr_for_each_pass(count_pass, NULL);
	/* TSC, SYSENTER x3, STAR..SFMASK x4, FS/GS/KernelGS x3, TSC_AUX: 12 reads; the same but TSC: 11 writes. */
	assert_int_equal(passes[0], 12);
	assert_int_equal(passes[1], 11);
}

static void values_are_checked_as_a_cpu_does(void **state)
{
	(void)state;
	assert_true(msr_pat_valid(0x0007040600070406ULL));      /* the power-on PAT */
	assert_true(msr_pat_valid(0x0001050600070406ULL));      /* WC and WP in use */
	assert_false(msr_pat_valid(0x0007040600070402ULL));     /* type 2 */
	assert_false(msr_pat_valid(0x0007040600070403ULL));     /* type 3 */
	assert_false(msr_pat_valid(0x0807040600070406ULL));     /* type 8 */
	assert_true(msr_mtrr_def_type_valid(0x806));
	assert_true(msr_mtrr_def_type_valid(0x006));
	assert_true(msr_mtrr_def_type_valid(0x800));            /* UC by default */
	assert_false(msr_mtrr_def_type_valid(0xc06));           /* FE: no fixed ranges */
	assert_false(msr_mtrr_def_type_valid(0x801));           /* WC: not in a write-back-only set */
	assert_false(msr_mtrr_def_type_valid(0x1806));          /* reserved bit 12 */
	assert_true(msr_efer_valid(0, EFER_SCE | EFER_LME | EFER_NXE, false));
	assert_true(msr_efer_valid(0, EFER_LME | EFER_LMA, false));             /* LMA is ignored */
	assert_false(msr_efer_valid(0, EFER_SVME, false));                      /* Sluice's */
	assert_false(msr_efer_valid(0, BIT_ULL(14), false));                    /* FFXSR and the like */
	assert_false(msr_efer_valid(EFER_LME, 0, true));        /* LME off while paging */
	assert_true(msr_efer_valid(EFER_LME, EFER_LME | EFER_NXE, true));
}

static const struct cpuid_guest one = { .apic_id = 3, .nr_cpus = 1 };

static void cpuid_follows_the_guests_cr4(void **state)
{
	(void)state;
	struct cpuid_guest g = one;
	struct cpuid_regs r = { .ecx = BIT(27) | BIT(5) | BIT(3), .edx = 0 };   /* the host's OSXSAVE, VMX, MONITOR */
	cpuid_guest(1, 0, &g, &r);
	assert_false(r.ecx & BIT(27));                  /* the guest's CR4.OSXSAVE is clear */
	assert_false(r.ecx & BIT(5));
	assert_false(r.ecx & BIT(3));
	assert_true(r.ecx & BIT(31));                   /* hypervisor */
	assert_true(r.ecx & BIT(21));                   /* x2APIC */
	assert_true(r.edx & BIT(9));                    /* APIC */
	assert_int_equal(r.ebx >> 24, 3);
	assert_int_equal((r.ebx >> 16) & 0xff, 1);
	g.cr4 = X86_CR4_OSXSAVE_BIT;
	r = (struct cpuid_regs){ 0 };
	cpuid_guest(1, 0, &g, &r);
	assert_true(r.ecx & BIT(27));
	r = (struct cpuid_regs){ .ebx = BIT(1) | BIT(0), .ecx = BIT(4) | BIT(3) | BIT(31), .edx = BIT(26) | BIT(4) };
	cpuid_guest(7, 0, &g, &r);
	assert_int_equal(r.ebx, BIT(0));                /* TSC_ADJUST goes (no IA32_TSC_ADJUST), FSGSBASE stays */
	assert_false(r.ecx & BIT(4));                   /* OSPKE: CR4.PKE clear */
	assert_true(r.ecx & BIT(3));                    /* PKU itself stays */
	assert_false(r.ecx & BIT(31));                  /* PKS: no IA32_PKRS */
	assert_false(r.edx & BIT(26));                  /* IBRS: no SPEC_CTRL */
	assert_true(r.edx & BIT(4));                    /* FSRM */
	g.cr4 |= X86_CR4_PKE_BIT;
	r = (struct cpuid_regs){ 0 };
	cpuid_guest(7, 0, &g, &r);
	assert_true(r.ecx & BIT(4));
}

static void cpuid_topology_is_the_partitions(void **state)
{
	(void)state;
	struct cpuid_guest g = { .apic_id = 5, .nr_cpus = 3 };
	struct cpuid_regs r = { .eax = 1, .ebx = 2, .ecx = 0x100, .edx = 0 };
	cpuid_guest(0xb, 0, &g, &r);
	assert_int_equal(r.ebx, 1);                     /* one thread per core */
	assert_int_equal(r.edx, 5);
	r = (struct cpuid_regs){ .ebx = 16 };
	cpuid_guest(0xb, 1, &g, &r);
	assert_int_equal(r.ebx, 3);                     /* its three CPUs */
	assert_int_equal(r.ecx, 0x201);
	r = (struct cpuid_regs){ .ecx = 0xf00f };
	cpuid_guest(0x80000008u, 0, &g, &r);
	assert_int_equal(r.ecx, 2);                     /* NC = cores - 1, legacy APIC ID split */
	r = (struct cpuid_regs){ 0 };
	cpuid_guest(0xb, 0, &g, &r);                    /* no such leaf on this CPU: stays empty */
	assert_int_equal(r.edx, 0);
}

static void cpuid_masks_what_a_partition_lacks(void **state)
{
	(void)state;
	struct cpuid_regs r = { .eax = 0x12345678, .ebx = 1, .ecx = 2, .edx = 3 };
	cpuid_guest(0xa, 0, &one, &r);                  /* no PMU */
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	r = (struct cpuid_regs){ .ecx = BIT(2) | BIT(23) | BIT(0) };
	cpuid_guest(0x80000001u, 0, &one, &r);
	assert_int_equal(r.ecx, BIT(0));                /* SVM and PerfCtrExtCore go, LAHF stays */
	r = (struct cpuid_regs){ .eax = 0xf, .ecx = 0x100, .edx = 1 };
	cpuid_guest(0xd, 1, &one, &r);
	assert_int_equal(r.eax, 0x7);                   /* no XSAVES */
	assert_int_equal(r.ecx | r.edx, 0);
	r = (struct cpuid_regs){ .eax = 7 };
	cpuid_guest(0x8000000au, 0, &one, &r);
	assert_int_equal(r.eax, 0);
}

/* Leaf 0x40000000's EBX, ECX, EDX: the hypervisor's 12-byte signature. */
static const char *signature(const struct cpuid_regs *r)
{
	static char sig[12];
	memcpy(sig, &r->ebx, 4);
	memcpy(sig + 4, &r->ecx, 4);
	memcpy(sig + 8, &r->edx, 4);
	return sig;
}

static void cpuid_hypervisor_leaves_are_sluices(void **state)
{
	(void)state;
	struct cpuid_regs r = { .eax = 0xdead };
	cpuid_guest(0x40000000u, 0, &one, &r);
	assert_int_equal(r.eax, 0x40000000u);
	assert_memory_equal(signature(&r), "SluiceHV    ", 12);
	r = (struct cpuid_regs){ .eax = 0xdead, .ebx = 1 };
	cpuid_guest(0x40000001u, 0, &one, &r);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
}

/* paravirt = pv-eoi: KVM's signature, and of KVM's features only PV EOI (bit 6); its hints 0. */
static void cpuid_with_pv_eoi_offers_kvms_leaves_and_only_pv_eoi(void **state)
{
	(void)state;
	struct cpuid_guest g = one;
	g.kvm_pv_eoi = true;
	struct cpuid_regs r = { .eax = 0xdead };
	cpuid_guest(0x40000000u, 0, &g, &r);
	assert_int_equal(r.eax, 0x40000001u);
	assert_memory_equal(signature(&r), "KVMKVMKVM\0\0\0", 12);
	r = (struct cpuid_regs){ .eax = 0xdead, .edx = 0xdead };
	cpuid_guest(0x40000001u, 0, &g, &r);
	assert_int_equal(r.eax, BIT(6));
	assert_int_equal(r.ebx | r.ecx | r.edx, 0);
	/* With the frequency leaf the largest leaf is that one's, still past the features. */
	g.tsc_khz = 2500000;
	g.timer_hz = 100000000;
	cpuid_guest(0x40000000u, 0, &g, &r);
	assert_int_equal(r.eax, 0x40000010u);
}

/* A TSC of 2.5 GHz, the APIC timer at 100 MHz, on a CPU whose last basic leaf is 0xd. */
static void cpuid_frequency_leaves(void **state)
{
	(void)state;
	const struct cpuid_guest g = { .apic_id = 0, .nr_cpus = 1, .max_basic = 0xd, .tsc_khz = 2500000,
				       .timer_hz = 100000000 };
	struct cpuid_regs r = { .eax = 0xd, .ebx = 0x68747541 };
	cpuid_guest(0, 0, &g, &r);
	assert_int_equal(r.eax, 0x16);                  /* raised, so the guest looks there */
	assert_int_equal(r.ebx, 0x68747541);            /* the vendor stays */
	/* 0x15: TSC = ECX * EBX / EAX; ECX the APIC timer's rate (Linux takes it as the crystal's). */
	r = (struct cpuid_regs){ .eax = 7, .ebx = 7, .ecx = 7, .edx = 7 };     /* what a CPU answers past its last leaf */
	cpuid_guest(0x15, 0, &g, &r);
	assert_int_equal(r.ecx, 100000000);
	assert_int_equal((u64)r.ecx * r.ebx / r.eax, 2500000000ULL);
	assert_int_equal(r.edx, 0);
	/* Linux computes crystal kHz * EBX / EAX in 32 bits: no overflow, within 30 ppm (Bochs' 99.994 MHz: 1 to 1). */
	static const u64 rates[] = { 2500000, 99994, 2596113, 3999999, 1000 };
	for (u32 i = 0; i < ARRAY_SIZE(rates); i++) {
		struct cpuid_guest t = g;
		t.tsc_khz = rates[i];
		cpuid_guest(0x15, 0, &t, &r);
		u32 khz = (u32)(r.ecx / 1000) * r.ebx / r.eax;         /* Linux's arithmetic */
		assert_true((u64)(r.ecx / 1000) * r.ebx <= 0xffffffffULL);
		assert_true(khz <= rates[i] + rates[i] * 30 / 1000000 + 1 && khz + rates[i] * 30 / 1000000 + 1 >= rates[i]);
	}
	r = (struct cpuid_regs){ .eax = 7, .ebx = 7, .ecx = 7, .edx = 7 };
	cpuid_guest(0x16, 0, &g, &r);
	assert_int_equal(r.eax, 2500);
	assert_int_equal(r.ebx, 2500);
	assert_int_equal(r.ecx, 100);
	/* Another leaf Sluice adds past the CPU's last: nothing of the CPU's answer. */
	r = (struct cpuid_regs){ .eax = 7, .ebx = 7, .ecx = 7, .edx = 7 };
	cpuid_guest(0x13, 0, &g, &r);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	/* The hypervisor leaves: 0x40000010 with both rates in kHz. */
	r = (struct cpuid_regs){ 0 };
	cpuid_guest(0x40000000u, 0, &g, &r);
	assert_int_equal(r.eax, 0x40000010u);
	cpuid_guest(0x40000010u, 0, &g, &r);
	assert_int_equal(r.eax, 2500000);
	assert_int_equal(r.ebx, 100000);
	/* A CPU that has the leaves keeps its leaf 0; an unknown TSC rate adds nothing. */
	struct cpuid_guest big = g;
	big.max_basic = 0x1f;
	r = (struct cpuid_regs){ .eax = 0x1f };
	cpuid_guest(0, 0, &big, &r);
	assert_int_equal(r.eax, 0x1f);
	r = (struct cpuid_regs){ .eax = 0xd };
	cpuid_guest(0, 0, &one, &r);
	assert_int_equal(r.eax, 0xd);
	r = (struct cpuid_regs){ .eax = 7, .ebx = 7, .ecx = 7, .edx = 7 };
	cpuid_guest(0x15, 0, &one, &r);
	assert_int_equal(r.eax, 7);
	cpuid_guest(0x40000010u, 0, &one, &r);
	assert_int_equal(r.eax | r.ebx, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rows_are_sorted_disjoint_and_explained),
		cmocka_unit_test(lookups_follow_the_table),
		cmocka_unit_test(passed_registers_are_listed_once),
		cmocka_unit_test(values_are_checked_as_a_cpu_does),
		cmocka_unit_test(cpuid_follows_the_guests_cr4),
		cmocka_unit_test(cpuid_topology_is_the_partitions),
		cmocka_unit_test(cpuid_masks_what_a_partition_lacks),
		cmocka_unit_test(cpuid_hypervisor_leaves_are_sluices),
		cmocka_unit_test(cpuid_with_pv_eoi_offers_kvms_leaves_and_only_pv_eoi),
		cmocka_unit_test(cpuid_frequency_leaves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
