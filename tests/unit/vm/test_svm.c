/*
 * Host tests for vm/svm.c: the VMCB a vCPU starts from (intercepts, ASID,
 * nested paging, both entry modes), the I/O and MSR permission maps bit by
 * bit (APM 15.10.1, 15.11), the exit decoder for each exit code Sluice
 * handles, and one vcpu_run() round trip through a fake VMRUN.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/svm.h"
#include "kernel/smp.h"
#include "kernel/err.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
#include "kernel/hw/svm.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_ram.h"

#define RAM     0x40000000ULL

static struct vmcb vmcb;
static u8 iopm[SVM_IOPM_PAGES * PAGE_SIZE], msrpm[SVM_MSRPM_PAGES * PAGE_SIZE];

/* ---- fake VMRUN: the guest "runs" and leaves the exit the test asked for ---- */
static void (*guest)(struct vmcb *m, struct guest_regs *r);
static u64 run_vmcb_pa, run_host_pa;
static struct vmcb at_entry;

void svm_hw_run(u64 vmcb_pa, u64 host_save_pa, struct guest_regs *regs)
{
	struct vmcb *m = phys_to_virt(vmcb_pa, sizeof(*m));
	assert_non_null(m);
	run_vmcb_pa = vmcb_pa;
	run_host_pa = host_save_pa;
	at_entry = *m;
	guest(m, regs);
}

static int setup(void **state)
{
	(void)state;
	fake_hw_reset();
	fake_ram_init(RAM, 4 * MiB);
	memset(&vmcb, 0, sizeof(vmcb));
	return 0;
}

static const struct vcpu_entry long64 = {
	.mode = VCPU_MODE_LONG64, .rip = 0x100000, .rsp = 0x106000, .rflags = 0, .cr3 = 0x109000,
	.gdt_base = 0x108000, .gdt_limit = 23, .regs = { .rdi = 0x107000, .rax = 7 },
};

static void long64_entry_state(void **state)
{
	(void)state;
	svm_vmcb_setup(&vmcb, &long64, 3, 0x55000, 0x66000, 0x77000);
	/* VMRUN must be intercepted or VMRUN fails (15.5.1); the rest is Sluice's list. */
	assert_true(vmcb.intercept2 & INTERCEPT2_VMRUN);
	assert_true(vmcb.intercept2 & INTERCEPT2_VMMCALL);
	u32 want1 = INTERCEPT1_INTR | INTERCEPT1_NMI | INTERCEPT1_INIT | INTERCEPT1_CPUID | INTERCEPT1_HLT |
		    INTERCEPT1_IOIO_PROT | INTERCEPT1_MSR_PROT | INTERCEPT1_SHUTDOWN;
	assert_int_equal(vmcb.intercept1 & want1, want1);
	assert_int_equal(vmcb.asid, 3);
	assert_int_equal(vmcb.np_control, NP_ENABLE);
	assert_int_equal(vmcb.n_cr3, 0x55000);
	assert_int_equal(vmcb.iopm_base_pa, 0x66000);
	assert_int_equal(vmcb.msrpm_base_pa, 0x77000);
	assert_int_equal(vmcb.vintr, V_INTR_MASKING);
	assert_int_equal(vmcb.tlb_control, TLB_CONTROL_FLUSH_ALL);
	assert_int_equal(vmcb.g_pat, 0x0007040600070406ULL);
	assert_int_equal(vmcb.cr0, 0x80010031);         /* PG WP NE ET PE */
	assert_int_equal(vmcb.cr4, 0x20);               /* PAE */
	assert_int_equal(vmcb.cr3, 0x109000);
	assert_int_equal(vmcb.efer, 0x1500);            /* SVME LMA LME */
	assert_int_equal(vmcb.cs.attr, 0xa9b);          /* L=1, D=0: 64-bit code */
	assert_int_equal(vmcb.cs.sel, 0x08);
	assert_int_equal(vmcb.ss.attr, 0xc93);
	assert_int_equal(vmcb.tr.attr, 0x8b);
	assert_int_equal(vmcb.gdtr.base, 0x108000);
	assert_int_equal(vmcb.gdtr.limit, 23);
	assert_int_equal(vmcb.rflags, 0x2);
	assert_int_equal(vmcb.rip, 0x100000);
	assert_int_equal(vmcb.rsp, 0x106000);
	assert_int_equal(vmcb.rax, 7);
	assert_int_equal(vmcb.cpl, 0);
}

static void prot32_entry_state(void **state)
{
	(void)state;
	struct vcpu_entry e = { .mode = VCPU_MODE_PROT32, .rip = 0x10000c, .regs = { .rax = 0x2badb002, .rbx = 0x104000 } };
	svm_vmcb_setup(&vmcb, &e, 1, 0x55000, 0, 0);
	/* Multiboot v1 state (spec 3.2): PE without PG, flat 32-bit segments. */
	assert_int_equal(vmcb.cr0, 0x11);
	assert_int_equal(vmcb.cr4, 0);
	assert_int_equal(vmcb.efer, EFER_SVME);
	assert_int_equal(vmcb.cs.attr, 0xc9b);
	assert_int_equal(vmcb.cs.limit, 0xffffffff);
	assert_int_equal(vmcb.ds.base, 0);
	assert_int_equal(vmcb.rax, 0x2badb002);
}

static bool port_intercepted(u16 port)
{
	return iopm[port / 8] & (1u << (port % 8));
}

static void io_permission_map(void **state)
{
	(void)state;
	struct vcpu_policy pol = { .nr_io = 2, .io = { { 0xc000, 0x20 }, { 0xfff8, 8 } } };
	svm_iopm_fill(iopm, &pol);
	assert_true(port_intercepted(0x3f8));
	assert_true(port_intercepted(0xcf8));
	assert_true(port_intercepted(0xbfff));
	assert_false(port_intercepted(0xc000));
	assert_false(port_intercepted(0xc01f));
	assert_true(port_intercepted(0xc020));
	assert_false(port_intercepted(0xffff));
	/* The third page covers accesses that run past port 0xffff (15.10.1): intercepted. */
	assert_int_equal(iopm[0x2000], 0xff);
}

static void msr_permission_map(void **state)
{
	(void)state;
	svm_msrpm_fill(msrpm);
	assert_true(svm_msrpm_intercepts(msrpm, 0xc0000080, false));    /* EFER: SVME must stay */
	assert_true(svm_msrpm_intercepts(msrpm, 0xc0000080, true));
	assert_true(svm_msrpm_intercepts(msrpm, 0x1b, true));           /* APIC base */
	assert_true(svm_msrpm_intercepts(msrpm, 0x10, false));          /* TSC */
	assert_true(svm_msrpm_intercepts(msrpm, 0xc0010117, true));     /* VM_HSAVE_PA */
	assert_true(svm_msrpm_intercepts(msrpm, 0x40000000, false));    /* outside the map: always */
	for (u32 i = 0; i < svm_nr_msr_passthrough; i++) {
		assert_false(svm_msrpm_intercepts(msrpm, svm_msr_passthrough[i], false));
		assert_false(svm_msrpm_intercepts(msrpm, svm_msr_passthrough[i], true));
	}
	/* LSTAR (C000_0082): block 2 at byte 0x800, bits 2n/2n+1 of MSR n (table 15-5). */
	assert_int_equal(msrpm[0x800 + 0x82 / 4] & (3u << ((0x82 % 4) * 2)), 0);
	assert_int_equal(msrpm[0x800 + 0x80 / 4] & 3u, 3u);     /* EFER, MSR C000_0080 */
	/* SYSENTER_CS (0x174): block 1. */
	assert_int_equal(msrpm[0x174 / 4] & (3u << ((0x174 % 4) * 2)), 0);
}

static struct vm_exit decode(u64 code, u64 i1, u64 i2, u64 rip, u64 nrip, bool nrips)
{
	struct vm_exit x;
	vmcb.exitcode = code;
	vmcb.exitinfo1 = i1;
	vmcb.exitinfo2 = i2;
	vmcb.rip = rip;
	vmcb.next_rip = nrip;
	svm_decode_exit(&vmcb, nrips, &x);
	return x;
}

static void decodes_exits(void **state)
{
	(void)state;
	/* OUT DX, AL to COM1: port in [31:16], SZ8, next RIP in EXITINFO2. */
	struct vm_exit x = decode(SVM_EXIT_IOIO, 0x03f80010, 0x101235, 0x101234, 0, false);
	assert_int_equal(x.reason, VM_EXIT_IO);
	assert_int_equal(x.io.port, 0x3f8);
	assert_int_equal(x.io.size, 1);
	assert_false(x.io.in);
	assert_int_equal(x.insn_len, 1);
	assert_int_equal(x.hw_code, SVM_EXIT_IOIO);
	/* REP INSW from 0xcfc. */
	x = decode(SVM_EXIT_IOIO, 0x0cfc0000 | IOIO_TYPE_IN | IOIO_STR | IOIO_REP | IOIO_SZ16, 0x2002, 0x2000, 0, false);
	assert_true(x.io.in && x.io.string && x.io.rep);
	assert_int_equal(x.io.size, 2);
	assert_int_equal(x.insn_len, 2);
	x = decode(SVM_EXIT_IOIO, 0x00f40000 | IOIO_SZ32, 0x10, 0x10, 0, false);
	assert_int_equal(x.io.size, 4);
	assert_int_equal(x.insn_len, 0);        /* a next RIP that is not after rip: decode instead */

	assert_int_equal(decode(SVM_EXIT_MSR, 0, 0, 0, 0, false).reason, VM_EXIT_MSR_READ);
	assert_int_equal(decode(SVM_EXIT_MSR, 1, 0, 0, 0, false).reason, VM_EXIT_MSR_WRITE);

	/* #NPF: write to a not-present GPA, and an instruction fetch. */
	x = decode(SVM_EXIT_NPF, 0x100000006ULL, 0x1000000, 0x5000, 0, false);
	assert_int_equal(x.reason, VM_EXIT_NPF);
	assert_int_equal(x.npf.gpa, 0x1000000);
	assert_true(x.npf.write);
	assert_false(x.npf.present);
	assert_false(x.npf.fetch);
	x = decode(SVM_EXIT_NPF, NPF_ID | NPF_P, 0x2000, 0x2000, 0, false);
	assert_true(x.npf.fetch && x.npf.present);

	x = decode(SVM_EXIT_EXCP_BASE + 14, 0x2, 0xdead000, 0, 0, false);
	assert_int_equal(x.reason, VM_EXIT_EXCEPTION);
	assert_int_equal(x.exc.vector, 14);
	assert_int_equal(x.exc.error_code, 2);

	assert_int_equal(decode(SVM_EXIT_CPUID, 0, 0, 0, 0, false).reason, VM_EXIT_CPUID);
	assert_int_equal(decode(SVM_EXIT_HLT, 0, 0, 0, 0, false).reason, VM_EXIT_HLT);
	assert_int_equal(decode(SVM_EXIT_VMMCALL, 0, 0, 0, 0, false).reason, VM_EXIT_HYPERCALL);
	assert_int_equal(decode(SVM_EXIT_SHUTDOWN, 0, 0, 0, 0, false).reason, VM_EXIT_SHUTDOWN);
	assert_int_equal(decode(SVM_EXIT_INIT, 0, 0, 0, 0, false).reason, VM_EXIT_INIT);
	assert_int_equal(decode(SVM_EXIT_INTR, 0, 0, 0, 0, false).reason, VM_EXIT_INTR);
	assert_int_equal(decode(SVM_EXIT_NMI, 0, 0, 0, 0, false).reason, VM_EXIT_INTR);
	static const u64 forbidden[] = { SVM_EXIT_VMRUN, SVM_EXIT_VMLOAD, SVM_EXIT_VMSAVE, SVM_EXIT_STGI,
					 SVM_EXIT_CLGI, SVM_EXIT_SKINIT, SVM_EXIT_INVLPGA, SVM_EXIT_INVD,
					 SVM_EXIT_RSM, SVM_EXIT_MONITOR, SVM_EXIT_MWAIT, SVM_EXIT_TASK_SWITCH };
	for (unsigned i = 0; i < ARRAY_SIZE(forbidden); i++)
		assert_int_equal(decode(forbidden[i], 0, 0, 0, 0, false).reason, VM_EXIT_FORBIDDEN);
	assert_int_equal(decode(SVM_EXIT_INVALID, 0, 0, 0, 0, false).reason, VM_EXIT_ENTRY_FAILED);
	x = decode(0x6e, 0, 0, 0, 0, false);    /* RDTSC: never intercepted */
	assert_int_equal(x.reason, VM_EXIT_UNKNOWN);
	assert_int_equal(x.hw_code, 0x6e);
}

static void next_rip_only_with_nrips(void **state)
{
	(void)state;
	/* QEMU TCG has no NRIPS: the length stays unknown and common code decodes it. */
	assert_int_equal(decode(SVM_EXIT_CPUID, 0, 0, 0x1000, 0x1002, false).insn_len, 0);
	assert_int_equal(decode(SVM_EXIT_CPUID, 0, 0, 0x1000, 0x1002, true).insn_len, 2);
	assert_int_equal(decode(SVM_EXIT_VMMCALL, 0, 0, 0x1000, 0x1003, true).insn_len, 3);
	/* Not for exits whose next RIP is meaningless. */
	assert_int_equal(decode(SVM_EXIT_NPF, 0, 0, 0x1000, 0x1003, true).insn_len, 0);
}

static void wrmsr_efer(struct vmcb *m, struct guest_regs *r)
{
	m->exitcode = SVM_EXIT_MSR;
	m->exitinfo1 = MSR_EXIT_WRITE;
	m->rip += 0x10;
	m->rax = 0x11112222dead0501ULL;
	r->rcx = 0xc0000080;
	r->rdx = 0x0000000100000000ULL | 0x2;
	m->cs.attr = SEG_ATTR_CODE64;
	m->cpl = 0;
}

static void vcpu_run_round_trip(void **state)
{
	(void)state;
	struct vcpu v = { .cpu = 2, .tag = 1, .pt_root = 0x55000 };
	struct vcpu_policy pol = { 0 };
	struct vm_exit x;

	assert_int_equal(svm_ops.vcpu_init(&v, &long64, &pol), 0);
	assert_int_equal(v.rip, 0x100000);
	assert_int_equal(v.regs.rdi, 0x107000);
	v.rip = 0x100004;
	v.regs.rax = 99;
	guest = wrmsr_efer;
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	/* What common code changed went in; the first entry flushes the TLB. */
	assert_int_equal(at_entry.rip, 0x100004);
	assert_int_equal(at_entry.rax, 99);
	assert_int_equal(at_entry.tlb_control, TLB_CONTROL_FLUSH_ALL);
	assert_int_equal(at_entry.asid, 1);
	assert_int_equal(at_entry.n_cr3, 0x55000);
	assert_true(run_host_pa != 0 && run_host_pa != run_vmcb_pa);
	/* What the guest left came out, with the MSR index and value from RCX and EDX:EAX. */
	assert_int_equal(x.reason, VM_EXIT_MSR_WRITE);
	assert_int_equal(x.msr.index, 0xc0000080);
	assert_int_equal(x.msr.value, 0x2dead0501ULL);      /* EDX[31:0]:EAX[31:0], upper halves dropped */
	assert_int_equal(v.rip, 0x100014);
	assert_true(v.cs_long);
	assert_int_equal(v.efer, 0x1500);
	/* Later entries do not flush again. */
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(at_entry.tlb_control, TLB_CONTROL_NONE);
	/* ASID 0 is the host's: refused. */
	struct vcpu bad = { .cpu = 1, .tag = 0 };
	assert_int_equal(svm_ops.vcpu_init(&bad, &long64, &pol), -HV_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(long64_entry_state, setup),
		cmocka_unit_test_setup(prot32_entry_state, setup),
		cmocka_unit_test_setup(io_permission_map, setup),
		cmocka_unit_test_setup(msr_permission_map, setup),
		cmocka_unit_test_setup(decodes_exits, setup),
		cmocka_unit_test_setup(next_rip_only_with_nrips, setup),
		cmocka_unit_test_setup(vcpu_run_round_trip, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
