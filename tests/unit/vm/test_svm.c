/*
 * Host tests for vm/cpu/svm.c and vm/cpu/virt.c: the vendor pick and SVM probe on
 * fake CPUID leaves and MSRs, cpu_enable, the VMCB a vCPU starts from
 * (intercepts, ASID, nested paging, both entry modes), the I/O and MSR
 * permission maps bit by bit (APM 15.10.1, 15.11), the exit decoder for
 * each exit code Sluice handles, and vcpu_run() round trips through a fake
 * VMRUN.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "vm/cpu/svm.h"
#include "vm/cpu/msr.h"
#include "kernel/smp.h"
#include "kernel/err.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
#include "kernel/hw/svm.h"
#include "tests/fakes/fake_cpu.h"
#include "tests/fakes/fake_log.h"
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
	fake_cpu_reset();
	fake_log_capture();
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

static void real16_entry_state_after_sipi(void **state)
{
	(void)state;
	/* SIPI vector 0x09: CS = 0x0900, base 0x9000, ip 0 (SDM vol 3 9.4.4). */
	struct vcpu_entry e = { .mode = VCPU_MODE_REAL16, .real_cs = 0x0900, .rip = 0 };
	svm_vmcb_setup(&vmcb, &e, 2, 0x55000, 0, 0);
	assert_int_equal(vmcb.cr0, 0x10);               /* ET only: PE and PG clear */
	assert_int_equal(vmcb.cr4, 0);
	assert_int_equal(vmcb.efer, EFER_SVME);
	assert_int_equal(vmcb.cs.sel, 0x0900);
	assert_int_equal(vmcb.cs.base, 0x9000);
	assert_int_equal(vmcb.cs.limit, 0xffff);
	assert_int_equal(vmcb.cs.attr, 0x9b);           /* no D, no L, no G: 16-bit code */
	const struct vmcb_seg *data[] = { &vmcb.ds, &vmcb.es, &vmcb.ss, &vmcb.fs, &vmcb.gs };
	for (u32 i = 0; i < ARRAY_SIZE(data); i++) {
		assert_int_equal(data[i]->sel, 0);
		assert_int_equal(data[i]->base, 0);
		assert_int_equal(data[i]->limit, 0xffff);
		assert_int_equal(data[i]->attr, 0x93);
	}
	assert_int_equal(vmcb.idtr.limit, 0xffff);
	assert_int_equal(vmcb.gdtr.limit, 0xffff);
	assert_int_equal(vmcb.tr.attr, 0x8b);
	assert_int_equal(vmcb.rip, 0);
	assert_int_equal(vmcb.rflags, 0x2);
	assert_int_equal(vmcb.np_control, NP_ENABLE);
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
	assert_false(svm_msrpm_intercepts(msrpm, 0x10, false));         /* TSC: read passed, */
	assert_true(svm_msrpm_intercepts(msrpm, 0x10, true));           /* write intercepted */
	assert_true(svm_msrpm_intercepts(msrpm, 0xc0010117, true));     /* VM_HSAVE_PA */
	assert_true(svm_msrpm_intercepts(msrpm, 0x40000000, false));    /* outside the map: always */
	/* Every MSR in the map exits exactly when vm/cpu/msr.c does not pass it. */
	for (u32 i = 0; i < msr_nr_rules; i++)
		for (u32 m = msr_rules[i].first; m <= msr_rules[i].last; m++) {
			assert_int_equal(svm_msrpm_intercepts(msrpm, m, false), msr_rules[i].rd != MSR_PASS);
			assert_int_equal(svm_msrpm_intercepts(msrpm, m, true), msr_rules[i].wr != MSR_PASS);
		}
	/* TSC (0x10): byte 4, read bit 0 clear, write bit 1 set. */
	assert_int_equal(msrpm[4] & 3u, 2u);
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
	x = decode(SVM_EXIT_NPF, NPF_FINAL | NPF_W | NPF_US, 0x1000000, 0x5000, 0, false);
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
	assert_true(x.exc.has_error);
	assert_int_equal(x.exc.error_code, 2);
	/* Only vectors that push one have an error code (APM 8.2); EXITINFO1 is junk otherwise. */
	static const struct { u8 vec; bool err; } excs[] = {
		{ 0, false }, { 1, false }, { 3, false }, { 6, false }, { 7, false }, { 8, true }, { 10, true },
		{ 11, true }, { 12, true }, { 13, true }, { 16, false }, { 17, true }, { 18, false },
		{ 21, true }, { 29, true }, { 30, true }, { 31, false },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(excs); i++) {
		x = decode(SVM_EXIT_EXCP_BASE + excs[i].vec, 0x18, 0, 0, 0, false);
		assert_int_equal(x.reason, VM_EXIT_EXCEPTION);
		assert_int_equal(x.exc.vector, excs[i].vec);
		assert_int_equal(x.exc.has_error, excs[i].err);
		assert_int_equal(x.exc.error_code, excs[i].err ? 0x18 : 0);
	}
	/* 0x60 is INTR, not vector 32. */
	assert_int_equal(decode(SVM_EXIT_EXCP_BASE + 32, 0, 0, 0, 0, false).reason, VM_EXIT_INTR);

	assert_int_equal(decode(SVM_EXIT_CPUID, 0, 0, 0, 0, false).reason, VM_EXIT_CPUID);
	assert_int_equal(decode(SVM_EXIT_HLT, 0, 0, 0, 0, false).reason, VM_EXIT_HLT);
	assert_int_equal(decode(SVM_EXIT_VMMCALL, 0, 0, 0, 0, false).reason, VM_EXIT_HYPERCALL);
	assert_int_equal(decode(SVM_EXIT_SHUTDOWN, 0, 0, 0, 0, false).reason, VM_EXIT_SHUTDOWN);
	assert_int_equal(decode(SVM_EXIT_INIT, 0, 0, 0, 0, false).reason, VM_EXIT_INIT);
	assert_int_equal(decode(SVM_EXIT_INTR, 0, 0, 0, 0, false).reason, VM_EXIT_INTR);
	assert_int_equal(decode(SVM_EXIT_NMI, 0, 0, 0, 0, false).reason, VM_EXIT_INTR);
	static const u64 forbidden[] = { SVM_EXIT_VMRUN, SVM_EXIT_VMLOAD, SVM_EXIT_VMSAVE, SVM_EXIT_STGI,
					 SVM_EXIT_CLGI, SVM_EXIT_SKINIT, SVM_EXIT_INVLPGA,
					 SVM_EXIT_RSM, SVM_EXIT_MONITOR, SVM_EXIT_MWAIT };
	for (unsigned i = 0; i < ARRAY_SIZE(forbidden); i++)
		assert_int_equal(decode(forbidden[i], 0, 0, 0, 0, false).reason, VM_EXIT_FORBIDDEN);
	assert_int_equal(decode(SVM_EXIT_INVD, 0, 0, 0, 0, false).reason, VM_EXIT_INVD);
	assert_int_equal(decode(SVM_EXIT_TASK_SWITCH, 0, 0, 0, 0, false).reason, VM_EXIT_TASK_SWITCH);
	assert_int_equal(decode(SVM_EXIT_INVALID, 0, 0, 0, 0, false).reason, VM_EXIT_ENTRY_FAILED);
	assert_string_equal(svm_exit_name(SVM_EXIT_NPF), "NPF");
	assert_string_equal(svm_exit_name(SVM_EXIT_EXCP_BASE + 13), "EXCP");
	assert_string_equal(svm_exit_name(SVM_EXIT_INVALID), "INVALID");
	assert_string_equal(svm_exit_name(0x6e), "?");
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

/* The guest takes the injected interrupt, then exits on HLT with it in service. */
static void takes_event_then_hlt(struct vmcb *m, struct guest_regs *r)
{
	(void)r;
	m->exitcode = SVM_EXIT_HLT;
	m->exitintinfo = 0;
	m->eventinj &= ~EVENT_V;
}

/* The guest's IDT page faulted in the nested table while the event was being delivered. */
static void npf_during_delivery(struct vmcb *m, struct guest_regs *r)
{
	(void)r;
	m->exitcode = SVM_EXIT_NPF;
	m->exitinfo1 = NPF_W;
	m->exitinfo2 = 0x1000;
	m->exitintinfo = m->eventinj;
	m->eventinj = 0;
}

static void sti_hlt(struct vmcb *m, struct guest_regs *r)
{
	(void)r;
	m->rflags |= RFLAGS_IF;
	m->int_state = INT_STATE_SHADOW;
	m->exitcode = SVM_EXIT_HLT;
}

static void vintr_exit(struct vmcb *m, struct guest_regs *r)
{
	(void)r;
	m->exitcode = SVM_EXIT_VINTR;
}

/* The guest's NMI handler: its IRET is intercepted before it runs, then the step over it traps. */
static void nmi_taken_then_iret(struct vmcb *m, struct guest_regs *r)
{
	(void)r;
	m->eventinj = 0;
	m->exitcode = SVM_EXIT_IRET;
}

static void iret_stepped(struct vmcb *m, struct guest_regs *r)
{
	(void)r;
	m->rflags &= ~BIT_ULL(8);               /* the IRET loaded the guest's own flags */
	m->rip = 0x100200;
	m->dr6 |= BIT_ULL(14);
	m->exitcode = SVM_EXIT_EXCP_BASE + 1;
}

/* An NMI stays blocked from its injection to the end of its handler's IRET, as on a CPU (APM 15.20, 15.21). */
static void nmis_are_blocked_until_the_handlers_iret(void **state)
{
	(void)state;
	struct vcpu v = { .cpu = 13, .tag = 1, .pt_root = 0x55000 };
	struct vcpu_policy pol = { 0 };
	struct vm_exit x;

	assert_int_equal(svm_ops.vcpu_init(&v, &long64, &pol), 0);
	v.rflags |= RFLAGS_IF;
	assert_true(svm_ops.nmi_ready(&v));
	svm_ops.nmi_inject(&v);
	assert_false(svm_ops.nmi_ready(&v));
	svm_ops.intr_window(&v, true);                  /* a vector waits meanwhile */
	guest = nmi_taken_then_iret;
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(at_entry.eventinj, EVENT_V | (2u << 8) | 2);
	assert_true(at_entry.intercept1 & INTERCEPT1_IRET);
	assert_int_equal(x.reason, VM_EXIT_NONE);       /* Sluice's own: common code sees nothing */
	assert_false(svm_ops.nmi_ready(&v));            /* the IRET has not run yet */
	assert_false(svm_ops.intr_ready(&v));           /* nothing lands in the step */
	guest = iret_stepped;
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_true(at_entry.rflags & BIT_ULL(8));      /* TF over the IRET */
	assert_true(at_entry.intercept_exc & BIT(1));
	assert_false(at_entry.intercept1 & INTERCEPT1_IRET);
	assert_false(at_entry.vintr & V_IRQ);           /* the window held off while stepping */
	assert_int_equal(x.reason, VM_EXIT_NONE);
	assert_true(svm_ops.nmi_ready(&v));             /* open after the IRET */
	guest = takes_event_then_hlt;
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_false(at_entry.rflags & BIT_ULL(8));
	assert_false(at_entry.intercept_exc & BIT(1));
	assert_true(at_entry.vintr & V_IRQ);            /* and the window back */
	assert_int_equal(at_entry.dr6 & BIT_ULL(14), 0);
}

static void injection_follows_if_shadow_and_pending_events(void **state)
{
	(void)state;
	struct vcpu v = { .cpu = 12, .tag = 1, .pt_root = 0x55000 };
	struct vcpu_policy pol = { 0 };
	struct vm_exit x;

	assert_int_equal(svm_ops.vcpu_init(&v, &long64, &pol), 0);
	/* IF clear: not ready; the window asks for a V_IRQ whose delivery is intercepted. */
	assert_false(svm_ops.intr_ready(&v));
	svm_ops.intr_window(&v, true);
	guest = vintr_exit;
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_true(at_entry.intercept1 & INTERCEPT1_VINTR);
	assert_true(at_entry.vintr & V_IRQ);
	assert_true(at_entry.vintr & V_INTR_MASKING);
	assert_int_equal(x.reason, VM_EXIT_INTR_WINDOW);
	svm_ops.intr_window(&v, false);
	/* sti; hlt: IF set, but the HLT sits in STI's shadow; once common code moved rip past it, ready. */
	guest = sti_hlt;
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_true(v.rflags & RFLAGS_IF);
	assert_false(svm_ops.intr_ready(&v));
	v.rip += 1;
	assert_true(svm_ops.intr_ready(&v));
	svm_ops.intr_inject(&v, 0x40);
	assert_false(svm_ops.intr_ready(&v));          /* one event at a time */
	guest = takes_event_then_hlt;
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(at_entry.eventinj, EVENT_V | 0x40);
	assert_int_equal(at_entry.int_state & INT_STATE_SHADOW, 0);
	assert_false(at_entry.intercept1 & INTERCEPT1_VINTR);
	assert_false(at_entry.vintr & V_IRQ);
	assert_int_equal(x.reason, VM_EXIT_HLT);
	assert_true(svm_ops.intr_ready(&v));
	/* Delivery interrupted by an NPF: the event goes back in for the next entry. */
	svm_ops.intr_inject(&v, 0x41);
	guest = npf_during_delivery;
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(x.reason, VM_EXIT_NPF);
	assert_false(svm_ops.intr_ready(&v));
	guest = takes_event_then_hlt;
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(at_entry.eventinj, EVENT_V | 0x41);
	/* The TPR goes in as V_TPR (its class), and what the guest's CR8 left comes back. */
	svm_ops.tpr_set(&v, 0x53);
	guest = takes_event_then_hlt;
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(FIELD_GET(V_TPR, at_entry.vintr), 5);
	assert_true(at_entry.vintr & V_INTR_MASKING);
	assert_int_equal(svm_ops.tpr_get(&v), 0x50);
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
	/* The dump names the state and the exit. */
	svm_ops.vcpu_dump(&v, "p1");
	assert_true(fake_log_has("p1: rip 0x0000000000100014 rsp 0x0000000000106000 rflags 0x00000002 cpl 0"));
	assert_true(fake_log_has("efer 0x1500"));
	assert_true(fake_log_has("cs 0008 attr 0xa9b, exit 0x7c MSR info 0x1 0x0"));
	/* Later entries do not flush again. */
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(at_entry.tlb_control, TLB_CONTROL_NONE);
	assert_int_equal(v.cs_base, 0);
	/* The guest's EFER write as common code checked it: LMA stays the CPU's, SVME Sluice's (15.5.1). */
	u64 val = 0x900;
	assert_int_equal(svm_ops.state_msr(&v, 0xc0000080, true, &val), 0);
	assert_int_equal(v.efer, 0x1d00);
	assert_int_equal(val, 0xd00);                   /* what RDMSR shows the guest: no SVME */
	/* The guest's PAT is G_PAT (15.25.8); other MSRs are not the back end's. */
	val = 0x0606060606060606ULL;
	assert_int_equal(svm_ops.state_msr(&v, 0x277, true, &val), 0);
	assert_int_equal(svm_ops.state_msr(&v, 0x10, false, &val), -HV_ENOENT);
	/* #GP(0) raised: an exception event with its error code (15.20). */
	svm_ops.exc_inject(&v, 13, true, 0);
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(at_entry.efer, 0x1d00);
	assert_int_equal(at_entry.g_pat, 0x0606060606060606ULL);
	assert_int_equal(at_entry.eventinj, EVENT_V | EVENT_EV | (3u << 8) | 13);
	/* #UD has none; in real mode no exception pushes one. */
	struct vmcb rm = { .cr0 = 0x10 };
	svm_exc_inject_vmcb(&rm, 13, true, 0);
	assert_int_equal(rm.eventinj, EVENT_V | (3u << 8) | 13);
	/* ASID 0 is the host's: refused. */
	struct vcpu bad = { .cpu = 1, .tag = 0 };
	assert_int_equal(svm_ops.vcpu_init(&bad, &long64, &pol), -HV_EINVAL);
}

/* ---- vendor pick, probe, cpu_enable ---- */

/* A CPU like QEMU's -cpu max under TCG: AMD, SVM with NPT, no NRIPS (docs/platform.md). */
static void amd_cpu(u32 svm_edx)
{
	fake_cpu_set_vendor("AuthenticAMD", 0x10);
	fake_cpu_set_cpuid(0x80000000, 0x8000001f, 0, 0, 0);
	fake_cpu_set_cpuid(0x80000001, 0, 0, CPUID_8000_0001_ECX_SVM, 0);
	fake_cpu_set_cpuid(CPUID_SVM_LEAF, 1, 16, 0, svm_edx);
}

static void picks_svm_on_amd_with_nested_paging(void **state)
{
	(void)state;
	amd_cpu(SVM_FEAT_NP);
	assert_ptr_equal(virt_pick(), &svm_ops);
	assert_true(fake_log_has("SVM revision 1, 16 ASIDs, nested paging, no next-RIP save"));
	assert_true(fake_log_has("CPU virtualization: svm (AuthenticAMD)"));
	assert_int_equal(svm_ops.pt_format, PT_FMT_NPT);
}

/* VM_CR.R_INIT, where the CPU keeps it: an INIT outside a guest becomes #SX, not a reset. */
static void probe_and_cpu_enable_redirect_init(void **state)
{
	(void)state;
	amd_cpu(SVM_FEAT_NP);
	assert_int_equal(svm_ops.probe(), 0);
	assert_true(fake_cpu_msr(MSR_VM_CR) & VM_CR_R_INIT);
	assert_true(svm_redirects_init());
	assert_true(fake_log_has("INFO svm: INIT outside a guest becomes #SX (VM_CR.R_INIT set on the boot CPU)"));
	struct cpu c = { .index = 5 };
	fake_cpu_set_msr(MSR_VM_CR, 0);
	assert_int_equal(svm_ops.cpu_enable(&c), 0);
	assert_int_equal(fake_cpu_msr(MSR_VM_CR), VM_CR_R_INIT);
}

/* 1 GiB nested leaves only where CPUID 8000_0001 EDX says the CPU has 1 GiB pages (QEMU's qemu64 does not). */
static void nested_leaves_follow_the_page1gb_bit(void **state)
{
	(void)state;
	amd_cpu(SVM_FEAT_NP);
	assert_int_equal(svm_ops.probe(), 0);
	assert_int_equal(svm_ops.pt_large(), PT_LARGE_2M);
	assert_true(fake_log_has("nested leaves of 4 KiB, 2 MiB (no 1 GiB pages: CPUID 8000_0001 EDX bit 26 clear)"));
	fake_cpu_set_cpuid(0x80000001, 0, 0, CPUID_8000_0001_ECX_SVM, CPUID_8000_0001_EDX_PAGE1GB);
	assert_int_equal(svm_ops.probe(), 0);
	assert_int_equal(svm_ops.pt_large(), PT_LARGE_2M | PT_LARGE_1G);
	assert_true(fake_log_has("nested leaves of 4 KiB, 2 MiB and 1 GiB"));
}

static void refuses_amd_without_what_svm_needs(void **state)
{
	(void)state;
	amd_cpu(0);                                     /* SVM without NPT */
	assert_null(virt_pick());
	assert_true(fake_log_has("without nested paging"));

	amd_cpu(SVM_FEAT_NP);
	fake_cpu_set_msr(MSR_VM_CR, VM_CR_SVMDIS);      /* the firmware turned it off */
	assert_null(virt_pick());
	assert_true(fake_log_has("disabled by the firmware (VM_CR.SVMDIS)"));

	fake_cpu_reset();
	amd_cpu(SVM_FEAT_NP);
	fake_cpu_set_cpuid(0x80000001, 0, 0, 0, 0);     /* no SVM bit */
	assert_null(virt_pick());
	assert_true(fake_log_has("no SVM (CPUID 8000_0001 ECX bit 2)"));

	fake_cpu_reset();
	amd_cpu(SVM_FEAT_NP);
	fake_cpu_set_cpuid(0x80000000, 0x80000008, 0, 0, 0);   /* leaf 8000_000A absent: not read */
	assert_null(virt_pick());
	assert_true(fake_log_has("largest extended leaf 0x80000008"));
}

static void intel_and_others_get_no_svm(void **state)
{
	(void)state;
	fake_cpu_set_vendor("GenuineIntel", 0x16);
	fake_cpu_set_cpuid(0x80000001, 0, 0, CPUID_8000_0001_ECX_SVM, 0);      /* even if it said so */
	assert_null(virt_pick());                       /* no VMX bit either: the vmx back end declines */
	assert_true(fake_log_has("this CPU has no VMX (CPUID.1:ECX bit 5)"));
	assert_false(fake_log_has("CPU virtualization: svm"));
	fake_cpu_set_vendor("VIA VIA VIA ", 1);
	assert_null(virt_pick());
	assert_true(fake_log_has("CPU vendor \"VIA VIA VIA \": no CPU virtualization back end"));
}

static void cpu_enable_sets_svme_and_host_save_area(void **state)
{
	(void)state;
	struct cpu c = { .index = 1 };
	fake_cpu_set_msr(MSR_EFER, EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE);
	assert_int_equal(svm_ops.cpu_enable(&c), 0);
	assert_int_equal(fake_cpu_msr(MSR_EFER), EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE | EFER_SVME);
	u64 hsave = fake_cpu_msr(MSR_VM_HSAVE_PA);
	assert_true(hsave >= RAM && hsave < RAM + 4 * MiB);
	assert_int_equal(hsave % PAGE_SIZE, 0);
	assert_false(page_alloc_is_free(hsave, PAGE_SIZE));

	/* Enabling again (the same CPU) keeps its page. */
	u64 free = page_alloc_free_pages();
	assert_int_equal(svm_ops.cpu_enable(&c), 0);
	assert_int_equal(fake_cpu_msr(MSR_VM_HSAVE_PA), hsave);
	assert_int_equal(page_alloc_free_pages(), free);

	/* SVMDIS: refused, EFER not touched. */
	struct cpu other = { .index = 2 };
	fake_cpu_set_msr(MSR_VM_CR, VM_CR_SVMDIS);
	unsigned writes = fake_cpu_msr_writes(MSR_EFER);
	assert_int_equal(svm_ops.cpu_enable(&other), -HV_ENOTSUP);
	assert_int_equal(fake_cpu_msr_writes(MSR_EFER), writes);
	struct cpu past = { .index = SMP_MAX_CPUS };
	assert_int_equal(svm_ops.cpu_enable(&past), -HV_ERANGE);
}

static void cpuid_exit(struct vmcb *m, struct guest_regs *r)
{
	(void)r;
	m->exitcode = SVM_EXIT_CPUID;
	m->next_rip = m->rip + 2;
}

static void next_rip_used_when_the_cpu_saves_it(void **state)
{
	(void)state;
	struct vcpu v = { .cpu = 4, .tag = 1, .pt_root = 0x55000 };
	struct vcpu_policy pol = { 0 };
	struct vm_exit x;

	guest = cpuid_exit;
	amd_cpu(SVM_FEAT_NP | SVM_FEAT_NRIPS);
	assert_int_equal(svm_ops.probe(), 0);
	assert_int_equal(svm_ops.vcpu_init(&v, &long64, &pol), 0);
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(x.reason, VM_EXIT_CPUID);
	assert_int_equal(x.insn_len, 2);
	/* The same exit on a CPU without NRIPS (QEMU TCG): unknown, common code decodes. */
	amd_cpu(SVM_FEAT_NP);
	assert_int_equal(svm_ops.probe(), 0);
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(x.insn_len, 0);
}

static void hlt_exit(struct vmcb *m, struct guest_regs *r)
{
	(void)r;
	m->exitcode = SVM_EXIT_HLT;
}

static void vcpu_reinit_reuses_pages(void **state)
{
	(void)state;
	struct vcpu v = { .cpu = 3, .tag = 2, .pt_root = 0x55000 };
	struct vcpu_policy pol = { .nr_io = 1, .io = { { 0x3f8, 8 } } };
	struct vm_exit x;

	guest = hlt_exit;
	assert_int_equal(svm_ops.vcpu_init(&v, &long64, &pol), 0);
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	u64 vmcb_pa = run_vmcb_pa, host_pa = run_host_pa, free = page_alloc_free_pages();
	const u8 *map = phys_to_virt(at_entry.iopm_base_pa, SVM_IOPM_PAGES * PAGE_SIZE);
	assert_non_null(map);
	assert_int_equal(map[0x3f8 / 8], 0);            /* COM1 passed */

	/* A second guest on the same CPU: same pages, nothing allocated, new state and a new flush. */
	struct vcpu_entry e = { .mode = VCPU_MODE_PROT32, .rip = 0x1000 };
	struct vcpu_policy none = { 0 };
	v.tag = 5;
	assert_int_equal(svm_ops.vcpu_init(&v, &e, &none), 0);
	assert_int_equal(page_alloc_free_pages(), free);
	assert_int_equal(svm_ops.vcpu_run(&v, &x), 0);
	assert_int_equal(run_vmcb_pa, vmcb_pa);
	assert_int_equal(run_host_pa, host_pa);
	assert_int_equal(at_entry.tlb_control, TLB_CONTROL_FLUSH_ALL);
	assert_int_equal(at_entry.asid, 5);
	assert_int_equal(at_entry.cs.attr, SEG_ATTR_CODE32);
	assert_int_equal(map[0x3f8 / 8], 0xff);         /* the new policy's map */
	assert_int_equal(x.reason, VM_EXIT_HLT);
	assert_false(v.cs_long);
	assert_true(v.cs_db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(picks_svm_on_amd_with_nested_paging, setup),
		cmocka_unit_test_setup(probe_and_cpu_enable_redirect_init, setup),
		cmocka_unit_test_setup(nested_leaves_follow_the_page1gb_bit, setup),
		cmocka_unit_test_setup(refuses_amd_without_what_svm_needs, setup),
		cmocka_unit_test_setup(intel_and_others_get_no_svm, setup),
		cmocka_unit_test_setup(cpu_enable_sets_svme_and_host_save_area, setup),
		cmocka_unit_test_setup(long64_entry_state, setup),
		cmocka_unit_test_setup(prot32_entry_state, setup),
		cmocka_unit_test_setup(real16_entry_state_after_sipi, setup),
		cmocka_unit_test_setup(io_permission_map, setup),
		cmocka_unit_test_setup(msr_permission_map, setup),
		cmocka_unit_test_setup(decodes_exits, setup),
		cmocka_unit_test_setup(next_rip_only_with_nrips, setup),
		cmocka_unit_test_setup(vcpu_run_round_trip, setup),
		cmocka_unit_test_setup(injection_follows_if_shadow_and_pending_events, setup),
		cmocka_unit_test_setup(nmis_are_blocked_until_the_handlers_iret, setup),
		cmocka_unit_test_setup(vcpu_reinit_reuses_pages, setup),
		cmocka_unit_test_setup(next_rip_used_when_the_cpu_saves_it, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
