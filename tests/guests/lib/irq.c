/* The guests' interrupts (lib/irq.h). */
#include "tests/guests/lib/irq.h"

#define MSR_APIC_BASE           0x1b
#define  APIC_BASE_EN           (1u << 11)
#define  APIC_BASE_EXTD         (1u << 10)
#define MSR_X2APIC_EOI          0x80b
#define MSR_X2APIC_SVR          0x80f
#define  SVR_ENABLE             (1u << 8)

static void (*handler)(void);
static uint64_t idt[256 * 2] __attribute__((aligned(16)));

void guest_irq_dispatch(void);
void guest_irq_dispatch(void)
{
	handler();
}

/* Entry: the frame leaves RSP 8 mod 16; nine pushes make it 16-aligned for the call. */
__asm__(".text\n.global guest_irq_gate\nguest_irq_gate:\n"
	"push %rax\npush %rcx\npush %rdx\npush %rsi\npush %rdi\npush %r8\npush %r9\npush %r10\npush %r11\n"
	"cld\ncall guest_irq_dispatch\n"
	"pop %r11\npop %r10\npop %r9\npop %r8\npop %rdi\npop %rsi\npop %rdx\npop %rcx\npop %rax\niretq\n");
extern char guest_irq_gate[];

void guest_irq_handler(uint8_t vector, void (*fn)(void))
{
	uint64_t h = (uint64_t)(uintptr_t)guest_irq_gate;

	handler = fn;
	/* Selector 0x08 (the loader's code segment), P, DPL 0, type 0xE. */
	idt[vector * 2] = (h & 0xffff) | 0x08ULL << 16 | 0x8eULL << 40 | ((h >> 16) & 0xffff) << 48;
	idt[vector * 2 + 1] = h >> 32;
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d) : "memory");
}

void guest_x2apic_on(void)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EN | APIC_BASE_EXTD);
	wrmsr(MSR_X2APIC_SVR, SVR_ENABLE | 0xff);
}

void guest_x2apic_eoi(void)
{
	wrmsr(MSR_X2APIC_EOI, 0);
}
