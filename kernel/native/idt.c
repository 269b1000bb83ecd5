/*
 * Descriptor tables: per CPU a flat 64-bit GDT with a TSS whose IST stacks
 * take #DF, NMI and #MC, one each (so a kernel stack overflow still gets a
 * FATAL block, and an NMI cannot land on the stack of a vector 18 that a
 * device sent); one IDT for all, whose 256 gates go to isr.asm. What each
 * arrival is, and what to do with it, is kernel/irq_stray.c's decision.
 * Spec: Intel SDM Vol. 3A sections 3.4.5 (segment descriptors),
 * 7.7 (64-bit TSS), 6.14.1 (64-bit IDT gate descriptors).
 */
#include "kernel/native/idt.h"
#include "kernel/native/x86.h"
#include "kernel/fatal.h"
#include "kernel/apic.h"
#include "kernel/smp.h"
#include "kernel/irq_stray.h"
#include "kernel/hw/cpu.h"

#define GDT_CODE                0x08
#define GDT_DATA                0x10
#define GDT_TSS                 0x18
#define IDT_GATE_INTR           0x8e    /* P, DPL0, 64-bit interrupt gate */
#define IST_DF                  1
#define IST_NMI                 2
#define IST_MC                  3
#define NR_IST                  3
#define IST_STACK_SIZE          8192

struct __packed tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
};
_Static_assert(sizeof(struct tss64) == 104, "SDM 7.7");

struct idt_gate { u64 lo, hi; };

/* Slot 0: the boot CPU from its first instruction in C; slot i + 1: CPU index i. */
#define NR_SLOTS                (SMP_MAX_CPUS + 1)

static u64 gdt[NR_SLOTS][5] __attribute__((aligned(16)));
static struct tss64 tss[NR_SLOTS] __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static u8 ist_stack[NR_SLOTS][NR_IST][IST_STACK_SIZE] __attribute__((aligned(16)));
extern const u64 isr_table[256];

static struct { void (*fn)(void *arg); void *arg; } irq_handlers[256];

void irq_register(u8 vector, void (*fn)(void *arg), void *arg)
{
	irq_handlers[vector].arg = arg;
	irq_handlers[vector].fn = fn;
}

static void set_gate(unsigned v, u64 handler, unsigned ist)
{
	idt[v].lo = (handler & 0xffff) | (u64)GDT_CODE << 16 | (u64)ist << 32 |
		    (u64)IDT_GATE_INTR << 40 | ((handler >> 16) & 0xffff) << 48;
	idt[v].hi = handler >> 32;
}

static void gdt_load(unsigned slot)
{
	u64 *g = gdt[slot];
	struct tss64 *t = &tss[slot];
	u64 base = (u64)(uintptr_t)t, limit = sizeof(*t) - 1;

	g[0] = 0;
	g[1] = 0x00209a0000000000ULL;           /* code: L, P, DPL0 */
	g[2] = 0x0000920000000000ULL;           /* data: P, W */
	g[3] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ULL << 40 |
	       ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	g[4] = base >> 32;
	for (unsigned i = 0; i < NR_IST; i++)
		t->ist[i] = (u64)(uintptr_t)(ist_stack[slot][i] + IST_STACK_SIZE);
	t->iomap_base = sizeof(*t);

	struct desc_ptr gp = { sizeof(gdt[slot]) - 1, (u64)(uintptr_t)g };
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "ltr %w3"
			 : : "m"(gp), "i"(GDT_CODE), "r"(GDT_DATA), "r"(GDT_TSS)
			 : "rax", "memory");
}

static void idt_load(void)
{
	struct desc_ptr ip = { sizeof(idt) - 1, (u64)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(ip) : "memory");
}

/* smp_kick's IPI only has to wake the CPU; that it ran is counted (smp_cpu_answers). */
static void wake(void *arg)
{
	(void)arg;
	smp_kick_taken();
}

void idt_init(void)
{
	gdt_load(0);
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, isr_table[v], v == 2 ? IST_NMI : v == 8 ? IST_DF : v == 18 ? IST_MC : 0);
	irq_register(SMP_WAKE_VECTOR, wake, NULL);
	idt_load();
}

void idt_init_ap(u32 index)
{
	gdt_load(index + 1);
	idt_load();
}

static void stop_others(void)
{
	apic_send_nmi_others();
}

void irq_setup_stop(void)
{
	fatal_set_stop_others(stop_others);
}

/*
 * Called by isr.asm for every vector. kernel/irq_stray.c decides from what
 * is seen here (error code pushed, the APIC's ISR bit, a handler, a FATAL
 * in progress); the ISR is read only when the answer depends on it.
 */
void exception_dispatch(struct trap_frame *f);
void exception_dispatch(struct trap_frame *f)
{
	u8 v = (u8)f->vector;
	struct irq_seen s = {
		.vector = v,
		.error_code = f->vector & TRAP_FRAME_ERR,
		.error_code_val = (u32)f->error_code,
		.has_handler = irq_handlers[v].fn != NULL,
		.stopping = v == IRQ_VECTOR_NMI && fatal_stopping(),
	};
	bool eoi;

	f->vector = v;
	/* An error code on the stack already says "exception": the APIC is not asked then. */
	if (v != IRQ_VECTOR_NMI && !s.error_code && (v < 32 || !s.has_handler))
		s.in_service = apic_in_service(v);
	switch (irq_decide(&s, &eoi)) {
	case IRQ_RUN_HANDLER:
		irq_handlers[v].fn(irq_handlers[v].arg);
		break;
	case IRQ_STRAY:
		irq_stray_note(v, "interrupt");
		break;
	case IRQ_STRAY_NMI:
		irq_stray_note(v, "NMI");
		break;
	case IRQ_STRAY_INIT:
		irq_stray_note_init(smp_this_index(), "taken as #SX in Sluice");
		break;
	case IRQ_STOP:
		cpu_halt_forever();
	case IRQ_EXCEPTION: {
		struct fatal_cregs cr = { read_cr0(), read_cr2(), read_cr3(), read_cr4() };
		fatal_exception(f, &cr);
	}
	}
	if (eoi)
		apic_eoi();
}
