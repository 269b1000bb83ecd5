/*
 * What a partition's vCPU exits for, handled the same for every back end
 * (the exits arrive decoded, vm/cpu/virt.h). The rule: emulate what a
 * guest is allowed to reach (CPUID, the MSRs of vm/cpu/msr.c, its local
 * APIC, its virtual COM1, the debug exit port, the ACPI power ports of
 * a partition given tables (vm/part/acpi.c), its virtual PCI config
 * space, hypercalls); raise in the guest the exception a CPU raises for
 * what a partition does not have (#GP for an MSR, #UD for VMX or SVM
 * instructions), so its own handlers run; end the partition when it says
 * so, and park it for what Sluice cannot emulate or what would reach
 * beyond it. Nothing here stops the machine except on-fault = stop.
 */
#include "vm/part/partition.h"
#include "vm/part/limits.h"
#include "vm/cpu/insn.h"
#include "vm/cpu/gwalk.h"
#include "vm/cpu/cpuid.h"
#include "vm/part/attack.h"
#include "vm/part/map.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/fmt.h"
#include "kernel/check.h"
#include "kernel/smp.h"
#include "kernel/tsc.h"
#include "kernel/irq_stray.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/mem.h"
#include "kernel/hw/pci_cfg.h"
#include "kernel/hw/time.h"
#include "pci/pci.h"
#include "pci/pci_hw.h"

#define CR0_PE                  BIT_ULL(0)
#define X86_UD                  6               /* #UD, SDM vol 3 table 6-1 */
#define X86_GP                  13              /* #GP */
/* Exceptions injected for instructions a partition may not run, logged per partition (all counted). */
#define EXC_LOG_INJECTED        8

/* ---- guest memory ---- */

static int read_gpa64(void *ctx, u64 gpa, u64 *val)
{
	const u64 *q = part_guest_ptr(ctx, gpa, 8, false);
	if (!q)
		return -HV_ENOENT;
	*val = *q;
	return 0;
}

/* Copies up to len bytes of the instruction at the guest's rip (page by page). Returns the bytes fetched. */
static size_t fetch_insn(struct partition *p, const struct vcpu *v, u8 *buf, size_t len)
{
	const struct gwalk_regs gr = { .cr0 = v->cr0, .cr3 = v->cr3, .cr4 = v->cr4, .efer = v->efer };
	size_t got = 0;

	u64 base = v->cs_long ? 0 : v->cs_base;
	while (got < len) {
		u64 va = base + v->rip + got, gpa;
		if (gwalk(&gr, va, false, true, read_gpa64, p->cfg, &gpa))
			break;
		size_t n = MIN(len - got, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		const u8 *src = part_guest_ptr(p->cfg, gpa, n, false);
		if (!src)
			break;
		memcpy(buf + got, src, n);
		got += n;
	}
	return got;
}

/* ---- registers ---- */

static u64 *gpr(struct vcpu *v, u32 n)
{
	switch (n) {
	case 0: return &v->regs.rax;
	case 1: return &v->regs.rcx;
	case 2: return &v->regs.rdx;
	case 3: return &v->regs.rbx;
	case 4: return &v->rsp;
	case 5: return &v->regs.rbp;
	case 6: return &v->regs.rsi;
	case 7: return &v->regs.rdi;
	case 8: return &v->regs.r8;
	case 9: return &v->regs.r9;
	case 10: return &v->regs.r10;
	case 11: return &v->regs.r11;
	case 12: return &v->regs.r12;
	case 13: return &v->regs.r13;
	case 14: return &v->regs.r14;
	default: return &v->regs.r15;
	}
}

static u64 size_mask(u32 size)
{
	return size >= 8 ? ~0ULL : BIT_ULL(size * 8) - 1;
}

/* Writes val (size bytes) to register n as the CPU would: 32-bit writes zero the upper half. */
static void set_reg(struct vcpu *v, u32 n, bool high8, u32 size, u64 val)
{
	if (high8) {
		u64 *r = gpr(v, n - 4);
		*r = (*r & ~0xff00ULL) | (val & 0xff) << 8;
		return;
	}
	u64 *r = gpr(v, n);
	if (size >= 4)
		*r = val & size_mask(size);
	else
		*r = (*r & ~size_mask(size)) | (val & size_mask(size));
}

static u64 get_reg(struct vcpu *v, u32 n, bool high8, u32 size)
{
	if (high8)
		return (*gpr(v, n - 4) >> 8) & 0xff;
	return *gpr(v, n) & size_mask(size);
}

/*
 * Moves rip past the exiting instruction: the hardware's length when it
 * gave one, else the decoder's. 0, or parks (the instruction cannot be read
 * or decoded).
 */
static int skip_insn(struct partition *p, struct vcpu *v, const struct vm_exit *e)
{
	if (e->insn_len) {
		v->rip += e->insn_len;
		return 0;
	}
	u8 buf[INSN_MAX_LEN];
	struct insn in;
	size_t got = fetch_insn(p, v, buf, sizeof(buf));
	if (!(v->cr0 & CR0_PE)) {
		/* Real mode (an AP before its trampoline leaves it): only the prefix-free exits it may make. */
		bool two = got >= 2 && buf[0] == 0x0f && (buf[1] == 0x30 || buf[1] == 0x32 || buf[1] == 0xa2 || buf[1] == 0x08);
		bool hlt = got >= 1 && buf[0] == 0xf4;
		if (!two && !hlt)
			return partition_park(p, v, "cannot decode the real-mode instruction at cs:ip 0x%04llx:0x%04llx",
					      (unsigned long long)(v->cs_base >> 4), (unsigned long long)v->rip);
		v->rip += hlt ? 1 : 2;
		return 0;
	}
	int ret = insn_decode(buf, got, v->cs_long, &in);
	if (ret)
		return partition_park(p, v, "cannot decode the instruction at rip 0x%016llx (%s)",
			    (unsigned long long)v->rip, hv_strerror(ret));
	v->rip += in.len;
	return 0;
}

/* ---- CPUID and MSRs ---- */

/*
 * The guest's own fault, raised at its rip as the CPU would (the
 * instruction does not complete): its IDT handler runs. Counted, the first
 * few logged.
 */
static int raise_exc(struct partition *p, struct vcpu *v, u8 vector, bool has_error, u32 error, const char *what)
{
	if (!p->ops || !p->ops->exc_inject)
		return partition_park(p, v, "%s at rip 0x%016llx (this back end cannot raise exception %u)", what,
				      (unsigned long long)v->rip, vector);
	p->ops->exc_inject(v, vector, has_error, error);
	u64 n = __atomic_add_fetch(&p->exc_injected, 1, __ATOMIC_RELAXED);
	if (n <= EXC_LOG_INJECTED)
		log_write(LOG_WARN, p->cfg->name, "%s at rip 0x%016llx: %s in the guest%s", what, (unsigned long long)v->rip,
			  vector == X86_UD ? "#UD" : vector == X86_GP ? "#GP" : "an exception",
			  n == EXC_LOG_INJECTED ? " (further ones counted, not logged)" : "");
	return 0;
}

static int do_cpuid(struct partition *p, struct vcpu *v, const struct vm_exit *e)
{
	u32 leaf = (u32)v->regs.rax, sub = (u32)v->regs.rcx;
	const struct part_vcpu *pv = partition_vcpu_of(p, v);
	struct cpuid_regs r;

	cpuid(0, 0, &r);
	const struct cpuid_guest g = { .apic_id = pv ? pv->lapic.id : v->cpu, .nr_cpus = p->nr_vcpus, .cr4 = v->cr4,
				       .max_basic = r.eax, .tsc_khz = tsc_khz(), .timer_hz = VLAPIC_TIMER_HZ,
				       .kvm_pv_eoi = p->cfg->pv_eoi };
	cpuid(leaf, sub, &r);
	cpuid_guest(leaf, sub, &g, &r);
	if (p->ops && p->ops->cpuid_adjust)
		p->ops->cpuid_adjust(leaf, sub, &r);
	v->regs.rax = r.eax;
	v->regs.rbx = r.ebx;
	v->regs.rcx = r.ecx;
	v->regs.rdx = r.edx;
	return skip_insn(p, v, e);
}

/* RDMSR/WRMSR by the policy of vm/cpu/msr.c (vm/part/msr.c): done, or the #GP the CPU would raise. */
static int do_msr(struct partition *p, struct vcpu *v, const struct vm_exit *e)
{
	struct part_vcpu *pv = partition_vcpu_of(p, v);
	bool wr = e->reason == VM_EXIT_MSR_WRITE;
	u64 val = e->msr.value;

	if (!pv || partition_msr(p, pv, e->msr.index, wr, &val)) {
		if (!p->ops || !p->ops->exc_inject)
			return partition_park(p, v, "%s 0x%08x refused (this back end cannot raise #GP)", wr ? "wrmsr" : "rdmsr",
					      e->msr.index);
		p->ops->exc_inject(v, X86_GP, true, 0);
		return 0;
	}
	if (!wr) {
		v->regs.rax = (u32)val;
		v->regs.rdx = val >> 32;
	}
	return skip_insn(p, v, e);
}

/* ---- port I/O ---- */

/* One access of size bytes: true when handled (val in or out), false: nobody claims the port. */
static bool port_access(struct partition *p, struct part_vcpu *pv, u16 port, u32 size, bool in, u32 *val)
{
	if (partition_legacy_port(p, pv, port, size, in, val))      /* vm/part/legacy.c */
		return true;
	if (partition_mark_port(p, port, size, in, val))            /* vm/part/mark.c */
		return true;
	if (vuart_claims(&p->uart, port)) {
		for (u32 i = 0; i < size; i++) {
			if (in)
				*val = (i ? *val : 0) | (u32)vuart_in(&p->uart, (u16)(port + i)) << (8 * i);
			else
				vuart_out(&p->uart, (u16)(port + i), (u8)(*val >> (8 * i)));
		}
		if (!in && port == p->uart.base)
			p->console_bytes++;
		return true;
	}
	if (fwcfg_claims(&p->fwcfg, port)) {   /* vm/dev/fwcfg.h */
		if (in)
			*val = fwcfg_in(&p->fwcfg, port, size);
		else
			fwcfg_out(&p->fwcfg, port, size, *val);
		return true;
	}
	if (in)
		return vpci_port_in(&p->vpci, port, size, val);
	return vpci_port_out(&p->vpci, port, size, *val);
}

/* One more access to a port nobody claims, by port (the end summary's per-port counters). */
static void count_unclaimed(struct partition *p, u16 port, bool in)
{
	u32 i = 0;

	while (i < p->nr_unclaimed_ports && p->unclaimed_ports[i].port != port)
		i++;
	if (i == p->nr_unclaimed_ports) {
		if (i == PART_UNCLAIMED_PORTS) {
			p->unclaimed_other++;
			return;
		}
		p->unclaimed_ports[p->nr_unclaimed_ports++] = (struct part_port_count){ .port = port };
	}
	if (in)
		p->unclaimed_ports[i].reads++;
	else
		p->unclaimed_ports[i].writes++;
}

static int do_io(struct partition *p, struct vcpu *v, const struct vm_exit *e)
{
	u16 port = e->io.port;
	u32 size = e->io.size, val = (u32)v->regs.rax;

	if (e->io.string)
		return partition_park(p, v, "string I/O (%s) on port 0x%04x: not emulated", e->io.in ? "INS" : "OUTS", port);
	if (size != 1 && size != 2 && size != 4)
		return partition_park(p, v, "I/O of %u bytes on port 0x%04x", size, port);
	if (port == SLUICE_PORT_DEBUG_EXIT && !e->io.in)
		return partition_end(p, PART_EXITED, val & size_mask(size), "debug-exit port");
	int power = p->acpi ? partition_acpi_io(p, port, size, e->io.in, &val) : -1;   /* vm/part/acpi.c */
	if (power > 0)
		return 1;
	if (power < 0 && !port_access(p, partition_vcpu_of(p, v), port, size, e->io.in, &val)) {
		/* Nothing there, as on a real bus: reads float high, writes vanish. */
		count_unclaimed(p, port, e->io.in);
		if (p->io_unclaimed++ < PART_LOG_UNCLAIMED)
			log_write(LOG_WARN, p->cfg->name, "%s port 0x%04x (%u bytes): no such device, %s",
				  e->io.in ? "read" : "write", port, size, e->io.in ? "reads all-ones" : "dropped");
		val = ~0u;
	}
	if (e->io.in)
		set_reg(v, 0, false, size, val);
	return skip_insn(p, v, e);
}

/* ---- MMIO: the virtual ECAM window, the xAPIC page and trapped MSI-X table pages ---- */

static int do_npf(struct partition *p, struct vcpu *v, const struct vm_exit *e)
{
	u64 gpa = e->npf.gpa;
	const struct part_region *r = part_region_at(p->cfg, gpa, 1);
	struct part_vcpu *pv = partition_vcpu_of(p, v);
	bool lapic = pv && vlapic_mmio_claims(&pv->lapic, gpa);
	bool msix = !lapic && vpci_msix_trapped(&p->vpci, gpa);       /* vm/dev/vpci_msix.c */
	const char *what = lapic ? "local APIC" : msix ? "MSI-X table" : "PCI config";

	if (r)
		return partition_park(p, v, "%s GPA 0x%016llx of its %s memory at rip 0x%016llx",
			    e->npf.fetch ? "executed" : e->npf.write ? "wrote" : "read", (unsigned long long)gpa,
			    part_access_name(r->prot), (unsigned long long)v->rip);
	if (!lapic && !msix && (gpa < p->vpci.ecam_gpa || gpa >= p->vpci.ecam_gpa + ((u64)p->vpci.bus_end + 1) * MiB))
		return partition_park(p, v, "%s GPA 0x%016llx, which is not its memory, at rip 0x%016llx",
			    e->npf.fetch ? "executed" : e->npf.write ? "wrote" : "read", (unsigned long long)gpa,
			    (unsigned long long)v->rip);
	u8 buf[INSN_MAX_LEN];
	struct insn in;
	size_t got = fetch_insn(p, v, buf, sizeof(buf));
	int ret = insn_decode(buf, got, v->cs_long, &in);
	if (ret || in.kind == INSN_OTHER || (in.size == 8 && !msix) || e->npf.fetch)
		return partition_park(p, v, "%s access at GPA 0x%016llx by an instruction Sluice does not emulate (rip 0x%016llx)",
			    what, (unsigned long long)gpa, (unsigned long long)v->rip);
	u32 val = 0;
	u64 val64 = 0;
	if (in.kind == INSN_MMIO_LOAD) {
		if (msix)
			ret = (vpci_msix_mmio_read(&p->vpci, gpa, in.size, &val64), 0);
		else
			ret = lapic ? vlapic_mmio_read(&pv->lapic, gpa, in.size, &val) : (vpci_ecam_read(&p->vpci, gpa, in.size, &val), 0);
		if (!ret)
			set_reg(v, in.reg, in.high8, in.reg_size, msix ? val64 : val);
	} else if (msix) {
		val64 = in.kind == INSN_MMIO_STORE_IMM ? (u64)in.imm : get_reg(v, in.reg, in.high8, in.size);
		vpci_msix_mmio_write(&p->vpci, gpa, in.size, val64);
	} else {
		val = (u32)(in.kind == INSN_MMIO_STORE_IMM ? in.imm : get_reg(v, in.reg, in.high8, in.size));
		ret = lapic ? vlapic_mmio_write(&pv->lapic, gpa, in.size, val) : (vpci_ecam_write(&p->vpci, gpa, in.size, val), 0);
	}
	if (ret && lapic)
		return partition_park(p, v, "local APIC access of %u bytes at GPA 0x%016llx: its registers are aligned 32-bit words (rip 0x%016llx)",
				      in.size, (unsigned long long)gpa, (unsigned long long)v->rip);
	v->rip += in.len;
	return 0;
}

/* ---- hypercalls (vm/part/guest_abi.h) ---- */

/* A NUL-ended guest string of at most max bytes into buf. */
static bool guest_string(struct partition *p, u64 gpa, char *buf, size_t max)
{
	for (size_t i = 0; i < max; i++) {
		const char *c = part_guest_ptr(p->cfg, gpa + i, 1, false);
		if (!c)
			return false;
		buf[i] = (*c >= 0x20 && *c < 0x7f) || !*c ? *c : '.';
		if (!*c)
			return true;
	}
	buf[max - 1] = '\0';
	return true;
}

static s64 hc_dma_verify(struct partition *p, u64 gpa, u64 want_gpa, u64 len)
{
	const struct part_region *r = part_region_at(p->cfg, gpa, len);
	const struct part_region *w = part_region_at(p->cfg, want_gpa, len);
	if (!len || len > PAGE_SIZE || !r || !w)
		return -SLUICE_HC_EFAULT;
	u64 hpa = r->hpa + (gpa - r->gpa), want_hpa = w->hpa + (want_gpa - w->gpa);
	const u8 *got = phys_to_virt(hpa, len), *want = phys_to_virt(want_hpa, len);
	u64 diff = attack_bytes_changed(got, want, len);
	check(diff == 0, "%s: 0x%llx bytes at GPA 0x%016llx = HPA 0x%016llx match the pattern at GPA 0x%016llx = HPA 0x%016llx%s",
	      p->cfg->name, (unsigned long long)len, (unsigned long long)gpa, (unsigned long long)hpa,
	      (unsigned long long)want_gpa, (unsigned long long)want_hpa, diff ? " (they differ)" : "");
	return diff ? 1 : 0;
}

/*
 * An I/O loop's begin (0) and end (1, ios): the exits between the two
 * hypercalls, which are themselves not counted.
 */
static s64 hc_io_loop(struct partition *p, u64 what, u64 ios)
{
	u64 ns;
	if (what == 0) {
		partition_interval_begin(p);
		return 0;
	}
	if (what != 1 || p->io_loop_start == ~0ULL)
		return -SLUICE_HC_EINVAL;
	u64 exits = partition_interval_end(p, VM_EXIT_HYPERCALL, NULL, &ns);
	p->io_loop_ios += ios;
	p->io_loop_exits += exits;
	vuart_flush(&p->uart);
	log_write(LOG_INFO, p->cfg->name, "I/O loop: %llu I/Os, %llu VM exits, %llu us, %llu I/Os per second",
		  (unsigned long long)ios, (unsigned long long)exits, (unsigned long long)(ns / 1000),
		  (unsigned long long)(ns ? ios * 1000000000ULL / ns : 0));
	return (s64)exits;
}

/*
 * partition_remap from p's own CPU (SLUICE_HC_REMAP or the operator's
 * request): a refusal is the caller's error; an IOMMU failure after its
 * tables changed (a device that did not answer its invalidation) parks the
 * partition: its devices could still hold the old translations. Returns
 * 0, the refusal (-HV_ENOENT, -HV_EPERM, -HV_ENOMEM; logged by
 * partition_remap), or 1: parked.
 */
static int remap_or_park(struct partition *p, struct vcpu *v, u64 gpa)
{
	int ret = partition_remap(p, gpa);
	if (!ret) {
		map_log_partition(p);   /* the region's new HPA */
		return 0;
	}
	if (ret == -HV_ENOENT || ret == -HV_EPERM || ret == -HV_ENOMEM)
		return ret;
	p->inv_timed_out = ret == -HV_ETIMEDOUT;
	return partition_park(p, v, "memory remap of gpa 0x%016llx failed: %s", (unsigned long long)gpa, hv_strerror(ret));
}

static s64 hc_remap(struct partition *p, struct vcpu *v, u64 gpa, bool *ended)
{
	int ret = remap_or_park(p, v, gpa);
	if (ret == -HV_ENOENT || ret == -HV_EPERM)
		return -SLUICE_HC_EINVAL;
	if (ret == -HV_ENOMEM)
		return -SLUICE_HC_EIO;
	*ended = ret == 1;
	return ret;
}

/* partition_restart from p's own CPU; a failure parks p (returns 1), else 0 with p->restarted set. */
static int restart_or_park(struct partition *p, struct vcpu *v)
{
	int ret = partition_restart(p);
	if (!ret) {
		map_log_partition(p);
		return 0;
	}
	p->inv_timed_out = ret == -HV_ETIMEDOUT;
	return partition_park(p, v, "restart failed: %s", hv_strerror(ret));
}

/* The line that says p's vCPU starts over (p->restarted cleared). */
static void log_restarted(struct partition *p, const struct vcpu *v)
{
	p->restarted = false;
	log_write(LOG_INFO, p->cfg->name, "restarted (%u so far), entry 0x%016llx", p->restarts,
		  (unsigned long long)v->rip);
}

s64 (*partition_hypercalls[PART_MAX_HYPERCALL])(struct partition *p, u64 a0, u64 a1, u64 a2);

static s64 hypercall(struct partition *p, struct vcpu *v, bool *ended)
{
	u64 nr = v->regs.rax, a0 = v->regs.rdi, a1 = v->regs.rsi, a2 = v->regs.rdx;
	char text[SLUICE_HC_CONSOLE_MAX + 1];

	switch (nr) {
	case SLUICE_HC_CONSOLE: {
		if (a1 > SLUICE_HC_CONSOLE_MAX || !part_guest_ptr(p->cfg, a0, a1, false))
			return -SLUICE_HC_EFAULT;
		const char *s = part_guest_ptr(p->cfg, a0, a1, false);
		for (u64 i = 0; i < a1; i++)
			vuart_out(&p->uart, p->uart.base, (u8)s[i]);
		p->console_bytes += a1;
		return (s64)a1;
	}
	case SLUICE_HC_START_INFO:
		return (s64)p->start_info_gpa;
	case SLUICE_HC_VERDICT:
		if (!guest_string(p, a1, text, SLUICE_HC_VERDICT_MAX))
			return -SLUICE_HC_EFAULT;
		vuart_flush(&p->uart);
		if (a0)
			p->verdict_pass++;
		else
			p->verdict_fail++;
		check(a0 != 0, "%s: %s", p->cfg->name, text);
		return 0;
	case SLUICE_HC_EXIT:
		*ended = true;
		return partition_end(p, PART_EXITED, a0, "exit hypercall");
	case SLUICE_HC_DMA_VERIFY:
		return hc_dma_verify(p, a0, a1, a2);
	case SLUICE_HC_IO_LOOP:
		return hc_io_loop(p, a0, a1);
	case SLUICE_HC_DMA_FAULTS:
		return p->cfg->iommu ? (s64)iommu_domain_faults(p->cfg->iommu) : 0;
	case SLUICE_HC_REMAP:
		return hc_remap(p, v, a0, ended);
	case SLUICE_HC_IPI: {
		if (a0 > 0xffffffffULL || a1 > 0xffffffffULL)
			return -SLUICE_HC_EINVAL;
		const struct part_vcpu *pv = partition_vcpu_of(p, v);
		return !pv || partition_ipi(p, pv->lapic.id, (u32)a0, (u32)a1) ? -SLUICE_HC_EINVAL : 0;
	}
	case SLUICE_HC_LAPIC:
		return partition_hc_lapic(p, v, a0, a1);
	case SLUICE_HC_RESTART:
		/* 0, p->restarted: the new vCPU state stays as it is. */
		*ended = restart_or_park(p, v) != 0;
		return *ended;
	default:
		return nr < ARRAY_SIZE(partition_hypercalls) && partition_hypercalls[nr] ? partition_hypercalls[nr](p, a0, a1, a2) : -SLUICE_HC_EINVAL;
	}
}

static int do_hypercall(struct partition *p, struct vcpu *v, const struct vm_exit *e)
{
	bool ended = false;

	/*
	 * Hypercalls are the guest kernel's: one from user mode (CPL > 0,
	 * any process of a Linux partition) gets -EPERM and nothing else,
	 * not even a count towards the bad-hypercall limit, which would let
	 * a process park its own partition.
	 */
	if (v->cpl) {
		if (p->user_hypercalls++ == 0)
			log_write(LOG_WARN, p->cfg->name, "hypercall rax=0x%llx from CPL %u at rip 0x%016llx refused: only the guest's kernel may call Sluice (further ones counted)",
				  (unsigned long long)v->regs.rax, v->cpl, (unsigned long long)v->rip);
		v->regs.rax = (u64)-SLUICE_HC_EPERM;
		return skip_insn(p, v, e);
	}
	s64 ret = hypercall(p, v, &ended);

	if (ended)
		return 1;
	if (p->restarted) {
		log_restarted(p, v);
		return 0;
	}
	if (ret < 0 && ++p->bad_hypercalls > PART_MAX_BAD_HYPERCALLS)
		return partition_park(p, v, "more than %u bad hypercalls (last: rax=0x%llx)", PART_MAX_BAD_HYPERCALLS,
			    (unsigned long long)v->regs.rax);
	v->regs.rax = (u64)ret;
	return skip_insn(p, v, e);
}

/*
 * A stop the boot CPU asked for (vm/part/limits.h), acted on here, on p's own
 * CPU, at whatever exit came first (the kick's INTR for a guest that makes
 * none). A time limit ends p as stopped (its end check passes only with
 * expect = time-limit); a device past its DMA fault limit gets p's on-fault.
 */
static int take_stop_request(struct partition *p, struct vcpu *v, enum part_stop why)
{
	char text[128];

	partition_stop_text(p, why, text, sizeof(text));
	if (why == PART_STOP_DMA_FAULTS)
		return partition_park(p, v, "%s", text);
	str_copy(p->why, text, sizeof(p->why));
	return partition_end(p, PART_STOPPED, 0, text);
}

/*
 * What the operator asked on the console (vm/part/limits.h), on p's BSP at
 * whatever exit came first: 1 when p ended (parked), 2 when it restarted
 * (the exit's state is gone: enter the new one), 0 to handle the exit as
 * usual.
 */
static int take_op_request(struct partition *p, struct part_vcpu *pv, enum part_op op, u64 gpa)
{
	struct vcpu *v = &pv->v;

	switch (op) {
	case PART_OP_PARK:
		return partition_park(p, v, "parked by the operator (console park)");
	case PART_OP_RESTART:
		if (restart_or_park(p, v))
			return 1;
		pv->halted = false;
		log_restarted(p, v);
		return 2;
	case PART_OP_REMAP: {
		int ret = remap_or_park(p, v, gpa);
		return ret == 1 ? 1 : 0;        /* a refusal was logged by partition_remap */
	}
	case PART_OP_NONE:
		break;
	}
	return 0;
}

int partition_handle_exit(struct partition *p, struct vcpu *v, const struct vm_exit *e)
{
	struct part_vcpu *pv = partition_vcpu_of(p, v);
	if (e->reason < VM_EXIT_NR && pv)
		pv->exits[e->reason]++;
	if (p->state != PART_RUNNING)
		return 1;       /* parked or ended from another CPU */
	partition_tpr_from_guest(p, v);
	enum part_stop why = partition_stop_pending(p);
	if (why != PART_STOP_NONE)
		return take_stop_request(p, v, why);
	u64 op_gpa;
	enum part_op op = pv == &p->vcpus[0] ? partition_op_pending(p, &op_gpa) : PART_OP_NONE;
	if (op != PART_OP_NONE) {
		int r = take_op_request(p, pv, op, op_gpa);
		partition_op_done(p);
		if (r)
			return r == 1;
	}
	switch (e->reason) {
	case VM_EXIT_CPUID:
		return do_cpuid(p, v, e);
	case VM_EXIT_MSR_READ:
	case VM_EXIT_MSR_WRITE:
		return do_msr(p, v, e);
	case VM_EXIT_IO:
		return do_io(p, v, e);
	case VM_EXIT_NPF:
		return do_npf(p, v, e);
	case VM_EXIT_HYPERCALL:
		return do_hypercall(p, v, e);
	case VM_EXIT_HLT: {
		u64 hlt_rip = v->rip;
		if (skip_insn(p, v, e))
			return 1;
		if (!(v->rflags & RFLAGS_IF)) {
			/*
			 * An AP halted with interrupts off is out of the guest's
			 * use until an INIT (SDM vol 3 9.4): it waits for INIT-SIPI
			 * while its other CPUs go on, as Linux's CPUs do in
			 * stop_this_cpu() before the BSP powers off. The BSP, or
			 * the last CPU running, ends the partition.
			 */
			if (pv && pv != &p->vcpus[0] && partition_others_running(p, pv)) {
				log_write(LOG_INFO, p->cfg->name, "CPU %u: HLT with interrupts off at rip 0x%016llx: stopped, it waits for INIT-SIPI",
					  v->cpu, (unsigned long long)hlt_rip);
				pv->state = PART_VCPU_WAIT_SIPI;
				return 0;
			}
			return partition_end(p, PART_HALTED, 0, "HLT with interrupts off");
		}
		if (pv && !partition_halt_wakeable(p, pv))
			return partition_end(p, PART_HALTED, 0,
					     "HLT with interrupts on, but nothing can interrupt it (no timer armed, no device MSI, no other CPU running)");
		if (pv)
			pv->halted = true;      /* the vCPU loop waits for a vector (vm/part/run.c) */
		return 0;
	}
	case VM_EXIT_INTR_WINDOW:
	case VM_EXIT_INTR:
	case VM_EXIT_SLICE:
	case VM_EXIT_NONE:
		return 0;
	case VM_EXIT_SHUTDOWN:
		return partition_park(p, v, "triple fault (shutdown) at rip 0x%016llx", (unsigned long long)v->rip);
	case VM_EXIT_INIT:
		/*
		 * Another partition's device can send this CPU an INIT (a DMA write
		 * to the MSI window): parking would let it stop this partition.
		 * The intercept consumed it; the guest goes on, unless the INIT
		 * stays pending and the guest cannot run at all.
		 */
		irq_stray_note_init(v->cpu, "intercepted in the guest");
		if (!pv)
			return 0;
		pv->init_same = v->rip == pv->init_rip ? pv->init_same + 1 : 1;
		pv->init_rip = v->rip;
		if (pv->init_same >= PART_INIT_STUCK)
			return partition_park(p, v, "an INIT made its CPU exit %u times at rip 0x%016llx: the CPU does not consume it",
					      pv->init_same, (unsigned long long)v->rip);
		return 0;
	case VM_EXIT_FORBIDDEN: {
		/* An instruction a partition does not have (CPUID hides VMX, SVM, SMX, MONITOR): #UD, as such a CPU raises. */
		char what[96];
		fmt_snprintf(what, sizeof(what), "executed an instruction it does not have (exit code 0x%llx)",
			     (unsigned long long)e->hw_code);
		return raise_exc(p, v, X86_UD, false, 0, what);
	}
	case VM_EXIT_FAULT:
		return raise_exc(p, v, e->exc.vector, e->exc.has_error, e->exc.error_code, "an instruction that faults (checked by the back end)");
	case VM_EXIT_INVD:
		return skip_insn(p, v, e);      /* its memory is write-back and coherent: nothing to drop */
	case VM_EXIT_TASK_SWITCH:
		return partition_park(p, v, "a hardware task switch at rip 0x%016llx: Sluice does not emulate task switches",
				      (unsigned long long)v->rip);
	case VM_EXIT_EXCEPTION:
		return partition_park(p, v, "exception %u (error code 0x%x) at rip 0x%016llx", e->exc.vector,
			    e->exc.error_code, (unsigned long long)v->rip);
	case VM_EXIT_ENTRY_FAILED:
		return partition_park(p, v, "the CPU refused the guest state (exit code 0x%llx)", (unsigned long long)e->hw_code);
	default:
		return partition_park(p, v, "unexpected exit %s (code 0x%llx, info 0x%llx 0x%llx) at rip 0x%016llx",
			    vm_exit_reason_name(e->reason), (unsigned long long)e->hw_code,
			    (unsigned long long)e->info1, (unsigned long long)e->info2,
			    (unsigned long long)v->rip);
	}
}

