/*
 * selftest=svm: the SVM back end on the boot CPU, without partitions.
 * Two tiny hand-assembled guests run under a nested table (PT_FMT_NPT) over
 * a few pages: a PROT32 one (paging off) exits on CPUID, OUT, VMMCALL, a
 * write to an unmapped GPA, HLT and a triple fault; a LONG64 one, on its
 * own 4 KiB identity tables (PT_FMT_X86 in guest memory), does VMMCALL.
 * Each exit decoded as expected is one check line. The test steps rip over
 * the instructions itself (it knows their lengths); it is a test of the
 * back end, not of the common exit handler (vm/part/exit.c).
 */
#define LOG_SUBSYS "svm"
#include "vm/cpu/svm.h"
#include "kernel/smp.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/check.h"
#include "kernel/page_alloc.h"
#include "kernel/pgtable.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/mem.h"

#define MSR_GS_BASE             0xc0000101
#define MSR_KERNEL_GS_BASE      0xc0000102
#define EFER_LMA_BIT            BIT_ULL(10)

/* Guest physical layout: GUEST_PAGES pages at GPA 0, nothing above. */
#define GUEST_PAGES             12
#define CODE32_GPA              0x1000
#define CODE64_GPA              0x2000
#define IDTR_GPA                0x3000          /* 6 zero bytes: an IDT with limit 0 */
#define STACK_TOP_GPA           0x5000
#define TABLES_GPA              0x8000          /* the LONG64 guest's page tables, up to the end */
#define UNMAPPED_GPA            0x400000
#define SELFTEST_ASID           1

/*
 * PROT32 guest, at CODE32_GPA. The offsets are where each exit must be
 * reported; the lengths are what the test adds to rip to go on.
 */
static const u8 code32[] = {
	0x31, 0xc0,                                     /* 0x00 xor eax, eax */
	0x0f, 0xa2,                                     /* 0x02 cpuid */
	0x66, 0xba, 0xf8, 0x03,                         /* 0x04 mov dx, 0x3f8 */
	0xb0, 0x53,                                     /* 0x08 mov al, 'S' */
	0xee,                                           /* 0x0a out dx, al */
	0x0f, 0x01, 0xd9,                               /* 0x0b vmmcall */
	0xc7, 0x05, 0x00, 0x00, 0x40, 0x00,             /* 0x0e mov dword [0x400000], */
	0x78, 0x56, 0x34, 0x12,                         /*      0x12345678 */
	0xf4,                                           /* 0x18 hlt */
	0x0f, 0x01, 0x1d, 0x00, 0x30, 0x00, 0x00,       /* 0x19 lidt [IDTR_GPA] */
	0xcc,                                           /* 0x20 int3: #BP -> #GP -> #DF -> shutdown */
};
#define C32_CPUID               0x02
#define C32_OUT                 0x0a
#define C32_VMMCALL             0x0b
#define C32_MOV                 0x0e
#define C32_MOV_LEN             10
#define C32_HLT                 0x18

/* LONG64 guest, at CODE64_GPA: shows that GPRs go in and come out through the wrapper. */
static const u8 code64[] = {
	0x48, 0xc7, 0xc0, 0x34, 0x12, 0x00, 0x00,       /* 0x00 mov rax, 0x1234 */
	0x48, 0x89, 0xca,                               /* 0x07 mov rdx, rcx */
	0xbb, 0x78, 0x56, 0x34, 0x12,                   /* 0x0a mov ebx, 0x12345678 */
	0x0f, 0x01, 0xd9,                               /* 0x0f vmmcall */
	0xf4,                                           /* 0x12 hlt */
};
#define C64_VMMCALL             0x0f
#define C64_HLT                 0x12
#define C64_RCX_IN              0xfeedface00c0ffeeULL

#define VMMCALL_LEN             3
#define CPUID_LEN               2

/* The LONG64 guest's tables come from its own memory: entries hold GPAs. */
struct guest_arena {
	u8 *va;                 /* GPA 0 in the host's direct map */
	u64 next_gpa, end_gpa;
};

static void *arena_alloc(void *ctx, u64 *pa)
{
	struct guest_arena *a = ctx;
	if (a->next_gpa >= a->end_gpa)
		return NULL;
	*pa = a->next_gpa;
	a->next_gpa += PAGE_SIZE;
	memset(a->va + *pa, 0, PAGE_SIZE);
	return a->va + *pa;
}

static void arena_free(void *ctx, u64 pa)
{
	(void)ctx;
	(void)pa;               /* guest memory goes back as a whole */
}

static void *arena_va(void *ctx, u64 pa)
{
	struct guest_arena *a = ctx;
	return pa < a->end_gpa ? a->va + pa : NULL;
}

/* Runs until an exit that is not a physical interrupt (those are the host's: taken at STGI). */
static int run(struct vcpu *v, struct vm_exit *x)
{
	for (u32 i = 0; i < 1000; i++) {
		int ret = svm_ops.vcpu_run(v, x);
		if (ret || x->reason != VM_EXIT_INTR)
			return ret;
	}
	return -HV_ETIMEDOUT;
}

/* One step: run, then whether the exit is `want` at guest rip `rip`. */
static bool step(struct vcpu *v, struct vm_exit *x, enum vm_exit_reason want, u64 rip)
{
	int ret = run(v, x);
	if (ret) {
		log_err("vcpu_run: %s", hv_strerror(ret));
		return false;
	}
	if (x->reason != want || v->rip != rip) {
		log_err("exit %s (code 0x%llx, info 0x%llx 0x%llx) at rip 0x%llx; expected %s at 0x%llx",
			vm_exit_reason_name(x->reason), (unsigned long long)x->hw_code,
			(unsigned long long)x->info1, (unsigned long long)x->info2,
			(unsigned long long)v->rip, vm_exit_reason_name(want), (unsigned long long)rip);
		svm_ops.vcpu_dump(v, LOG_SUBSYS);
		return false;
	}
	return true;
}

static void guest_prot32(struct vcpu *v, u8 *mem)
{
	struct vcpu_entry e = { .mode = VCPU_MODE_PROT32, .rip = CODE32_GPA, .rsp = STACK_TOP_GPA };
	struct vcpu_policy pol = { 0 };
	struct vm_exit x;
	u64 base = CODE32_GPA;
	bool ok;

	memcpy(mem + CODE32_GPA, code32, sizeof(code32));
	int ret = svm_ops.vcpu_init(v, &e, &pol);
	if (!check(ret == 0, "svm: PROT32 vCPU set up (ASID %u)", v->tag)) {
		log_err("vcpu_init: %s", hv_strerror(ret));
		return;
	}
	ok = step(v, &x, VM_EXIT_CPUID, base + C32_CPUID) && x.hw_code == SVM_EXIT_CPUID && !v->cs_long &&
	     v->cs_db && (v->cr0 & 1) && !(v->cr0 & BIT_ULL(31));
	if (!check(ok, "svm: CPUID exit decoded at rip 0x%llx (32-bit CS, paging off)", (unsigned long long)v->rip))
		return;
	v->rip += CPUID_LEN;

	/* IOIO gives the next RIP in EXITINFO2 even without NRIPS (APM 15.10.2). */
	ok = step(v, &x, VM_EXIT_IO, base + C32_OUT) && x.io.port == 0x3f8 && x.io.size == 1 && !x.io.in &&
	     !x.io.string && !x.io.rep && x.insn_len == 1 && (v->regs.rax & 0xff) == 'S';
	if (!check(ok, "svm: OUT to port 0x%x decoded at rip 0x%llx (size %u, length %u from EXITINFO2, al 0x%02llx)",
		   x.io.port, (unsigned long long)v->rip, x.io.size, x.insn_len,
		   (unsigned long long)(v->regs.rax & 0xff)))
		return;
	v->rip += x.insn_len;

	ok = step(v, &x, VM_EXIT_HYPERCALL, base + C32_VMMCALL);
	if (!check(ok, "svm: VMMCALL exit decoded at rip 0x%llx", (unsigned long long)v->rip))
		return;
	v->rip += VMMCALL_LEN;

	ok = step(v, &x, VM_EXIT_NPF, base + C32_MOV) && x.npf.gpa == UNMAPPED_GPA && x.npf.write &&
	     !x.npf.present && !x.npf.fetch;
	if (!check(ok, "svm: nested page fault decoded at rip 0x%llx: write to not-present GPA 0x%016llx",
		   (unsigned long long)v->rip, (unsigned long long)x.npf.gpa))
		return;
	v->rip += C32_MOV_LEN;

	ok = step(v, &x, VM_EXIT_HLT, base + C32_HLT);
	if (!check(ok, "svm: HLT exit decoded at rip 0x%llx", (unsigned long long)v->rip))
		return;
	v->rip += 1;

	/* The rip a shutdown reports is the faulting one, but the APM does not promise it: not checked. */
	ret = run(v, &x);
	check(ret == 0 && x.reason == VM_EXIT_SHUTDOWN && x.hw_code == SVM_EXIT_SHUTDOWN,
	      "svm: triple fault decoded as shutdown (exit 0x%llx) at rip 0x%llx",
	      (unsigned long long)x.hw_code, (unsigned long long)v->rip);
}

static void guest_long64(struct vcpu *v, u8 *mem)
{
	struct guest_arena a = { .va = mem, .next_gpa = TABLES_GPA, .end_gpa = GUEST_PAGES * PAGE_SIZE };
	struct pt_mem pm = { .alloc = arena_alloc, .free = arena_free, .va = arena_va, .ctx = &a };
	struct pt gpt = { 0 };
	struct vm_exit x;

	/* Identity map of the guest's pages, 4 KiB leaves (the tables sit in the mapped range too). */
	int ret = pt_init(&gpt, PT_FMT_X86, 4, 0, &pm);
	if (!ret)
		ret = pt_map(&gpt, 0, 0, GUEST_PAGES * PAGE_SIZE, PT_READ | PT_WRITE | PT_EXEC);
	if (!check(ret == 0, "svm: LONG64 guest's identity tables built in its memory (%llu tables)",
		   (unsigned long long)gpt.tables))
		return;
	memcpy(mem + CODE64_GPA, code64, sizeof(code64));
	struct vcpu_entry e = { .mode = VCPU_MODE_LONG64, .rip = CODE64_GPA, .rsp = STACK_TOP_GPA,
				.cr3 = gpt.root_pa, .regs = { .rcx = C64_RCX_IN } };
	struct vcpu_policy pol = { 0 };
	ret = svm_ops.vcpu_init(v, &e, &pol);
	if (!check(ret == 0, "svm: LONG64 vCPU set up (ASID %u)", v->tag))
		return;
	bool ok = step(v, &x, VM_EXIT_HYPERCALL, CODE64_GPA + C64_VMMCALL) && v->cs_long &&
		  (v->efer & EFER_LMA_BIT) && v->cr3 == gpt.root_pa && v->regs.rax == 0x1234 &&
		  v->regs.rdx == C64_RCX_IN && v->regs.rbx == 0x12345678;
	if (!check(ok, "svm: LONG64 VMMCALL decoded at rip 0x%llx (64-bit CS, rax 0x%llx rbx 0x%llx rdx 0x%llx)",
		   (unsigned long long)v->rip, (unsigned long long)v->regs.rax,
		   (unsigned long long)v->regs.rbx, (unsigned long long)v->regs.rdx))
		return;
	v->rip += VMMCALL_LEN;
	ok = step(v, &x, VM_EXIT_HLT, CODE64_GPA + C64_HLT);
	check(ok, "svm: LONG64 HLT exit decoded at rip 0x%llx", (unsigned long long)v->rip);
}

void svm_selftest_run(void)
{
	struct cpu *c = smp_this_cpu();
	u64 guest_hpa;
	struct pt npt;

	log_warn("selftest: the SVM back end with two tiny guests on this CPU");
	if (!check(svm_ops.probe() == 0, "svm: this CPU has SVM with nested paging"))
		return;
	int ret = c ? svm_ops.cpu_enable(c) : -HV_ENODEV;
	if (!check(ret == 0, "svm: enabled on CPU %u (EFER.SVME, host save area)", c ? c->index : 0))
		return;
	if (page_alloc_pages(GUEST_PAGES, PAGE_SIZE, &guest_hpa)) {
		check(false, "svm: %u guest pages allocated", GUEST_PAGES);
		return;
	}
	u8 *mem = phys_to_virt(guest_hpa, GUEST_PAGES * PAGE_SIZE);
	ret = mem ? pt_init(&npt, svm_ops.pt_format, 4, 0, &pt_mem_host) : -HV_ENOMEM;
	if (!ret) {
		memset(mem, 0, GUEST_PAGES * PAGE_SIZE);
		ret = pt_map(&npt, 0, guest_hpa, GUEST_PAGES * PAGE_SIZE, PT_READ | PT_WRITE | PT_EXEC);
		if (ret)
			pt_destroy(&npt);
	}
	if (!check(ret == 0, "svm: nested table maps GPA 0x0-0x%llx to HPA 0x%016llx",
		   (unsigned long long)(GUEST_PAGES * PAGE_SIZE - 1), (unsigned long long)guest_hpa)) {
		page_free(guest_hpa, GUEST_PAGES);
		return;
	}

	/* The per-CPU pointer lives in GS base: VMLOAD of the host area must bring it back. */
	u64 gs = rdmsr(MSR_GS_BASE), kgs = rdmsr(MSR_KERNEL_GS_BASE);
	struct vcpu v = { .cpu = c->index, .tag = SELFTEST_ASID, .pt_root = npt.root_pa };
	guest_prot32(&v, mem);
	guest_long64(&v, mem);
	check(rdmsr(MSR_GS_BASE) == gs && rdmsr(MSR_KERNEL_GS_BASE) == kgs && smp_this_cpu() == c,
	      "svm: host GS base 0x%016llx and KernelGSBase kept across VMRUN", (unsigned long long)gs);
	pt_destroy(&npt);
	page_free(guest_hpa, GUEST_PAGES);
}
