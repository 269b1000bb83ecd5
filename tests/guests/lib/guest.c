/* Guest start, exit, hypercalls, verdicts and the memory helpers of lib/guest.h. */
#include "tests/guests/lib/guest.h"
#include "kernel/fmt.h"

const struct sluice_start_info *guest_si;

/*
 * The one place that knows the hypercall instructions. The CPU's vendor
 * (CPUID leaf 0, EBX:EDX:ECX) picks one, once, in guest_start() before the
 * guest's own code runs (so its one CPUID exit lies outside any measured
 * loop): VMMCALL on AMD (APM vol 3 "VMMCALL": it exits to an SVM
 * hypervisor) and VMCALL on Intel (SDM vol 2B "VMCALL": a VM exit in VMX
 * non-root operation). The other one would raise #UD in the guest.
 * Hygon's CPUs are AMD's design and use VMMCALL.
 */
enum hc_insn { HC_NONE, HC_VMMCALL, HC_VMCALL };
static enum hc_insn hc_insn;

const char *guest_cpu_vendor(void)
{
	static char vendor[13];
	uint32_t a, b, c, d;

	if (!vendor[0]) {
		cpuid(0, &a, &b, &c, &d);
		memcpy(vendor, &b, 4);
		memcpy(vendor + 4, &d, 4);
		memcpy(vendor + 8, &c, 4);
		vendor[12] = '\0';
	}
	return vendor;
}

static enum hc_insn hc_insn_pick(void)
{
	const char *v = guest_cpu_vendor();

	if (!memcmp(v, "GenuineIntel", 12))
		return HC_VMCALL;
	if (!memcmp(v, "AuthenticAMD", 12) || !memcmp(v, "HygonGenuine", 12))
		return HC_VMMCALL;
	return HC_NONE;
}

long sluice_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	long ret;

	switch (hc_insn) {
	case HC_VMCALL:
		__asm__ volatile("vmcall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "memory");
		return ret;
	case HC_VMMCALL:
		__asm__ volatile("vmmcall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "memory");
		return ret;
	default:
		/* No way to call Sluice: say so and end through the debug-exit port. */
		gprintf("%s: FAILED: CPUID vendor \"%s\" has no known hypercall instruction\n", guest_name,
			guest_cpu_vendor());
		outb(SLUICE_PORT_DEBUG_EXIT, 3);
		for (;;)
			__asm__ volatile("cli; hlt");
	}
}

long hc_console(const char *s, size_t n)
{
	return sluice_hypercall(SLUICE_HC_CONSOLE, (uint64_t)(uintptr_t)s, n, 0);
}

long hc_dma_verify(uint64_t gpa, uint64_t expect_gpa, uint64_t len)
{
	return sluice_hypercall(SLUICE_HC_DMA_VERIFY, gpa, expect_gpa, len);
}

bool verdict(bool pass, const char *fmt, ...)
{
	char text[SLUICE_HC_VERDICT_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	gprintf("%s: %s: %s\n", guest_name, pass ? "passed" : "FAILED", text);
	sluice_hypercall(SLUICE_HC_VERDICT, pass, (uint64_t)(uintptr_t)text, 0);
	return pass;
}

void guest_exit(uint32_t code)
{
	gprintf("%s: exit %u\n", guest_name, code);
	sluice_hypercall(SLUICE_HC_EXIT, code, 0, 0);
	/* Only reached if the hypercall did not end us: the isa-debug-exit convention. */
	outb(SLUICE_PORT_DEBUG_EXIT, (uint8_t)code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void guest_start(const struct sluice_start_info *si);
void guest_start(const struct sluice_start_info *si)
{
	hc_insn = hc_insn_pick();
	guest_si = si;
	if (!si || si->magic != SLUICE_START_MAGIC || si->version != SLUICE_START_VERSION) {
		gprintf("%s: FAILED: no start info at RDI (magic 0x%x)\n", guest_name, si ? si->magic : 0);
		guest_exit(2);
	}
	guest_exit((uint32_t)guest_main(si));
}

bool guest_owns(uint64_t gpa, uint64_t len)
{
	for (uint32_t i = 0; i < guest_si->nr_mem && i < SLUICE_START_MAX_MEM; i++) {
		const struct sluice_start_mem *m = &guest_si->mem[i];
		if (gpa < m->gpa + m->size && m->gpa < gpa + len)
			return true;
	}
	return false;
}

#define PTE_P           (1ULL << 0)
#define PTE_RW          (1ULL << 1)
#define PTE_PS          (1ULL << 7)     /* in a PD entry: a 2 MiB page (SDM vol 3 4.5) */
#define PTE_ADDR        0x000ffffffffff000ULL
#define SZ_2M           (2 * MiB)

/* The next level's table for entry *e, made from *free_gpa if absent. Tables are identity-mapped (GPA = VA). */
static uint64_t *next_table(uint64_t *e, uint64_t *free_gpa)
{
	if (!(*e & PTE_P)) {
		memset((void *)(uintptr_t)*free_gpa, 0, GUEST_PAGE);
		*e = *free_gpa | PTE_P | PTE_RW;
		*free_gpa += GUEST_PAGE;
	}
	return (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
}

/* Maps the 2 MiB page at gpa (identity) in the tables CR3 points to; false if something is there. */
static bool map_2m(uint64_t gpa, uint64_t *free_gpa)
{
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(cr3 & PTE_ADDR);
	uint64_t *pdpt = next_table(&pml4[(gpa >> 39) & 511], free_gpa);
	uint64_t *pd = next_table(&pdpt[(gpa >> 30) & 511], free_gpa);
	uint64_t *pde = &pd[(gpa >> 21) & 511];
	if (*pde & PTE_P)
		return false;
	*pde = gpa | PTE_P | PTE_RW | PTE_PS;
	__asm__ volatile("invlpg (%0)" : : "r"((uintptr_t)gpa) : "memory");
	return true;
}

static bool in_ecam(uint64_t gpa, uint64_t len)
{
	uint64_t size = ((uint64_t)guest_si->ecam_bus_end - guest_si->ecam_bus_start + 1) * MiB;
	return guest_si->ecam_gpa && gpa < guest_si->ecam_gpa + size && guest_si->ecam_gpa < gpa + len;
}

uint64_t guest_map_outside(uint64_t *free_gpa)
{
	uint64_t top = 0;
	for (uint32_t i = 0; i < guest_si->nr_mem && i < SLUICE_START_MAX_MEM; i++)
		if (guest_si->mem[i].gpa + guest_si->mem[i].size > top)
			top = guest_si->mem[i].gpa + guest_si->mem[i].size;
	uint64_t out = (top + SZ_2M - 1) & ~(SZ_2M - 1);
	while (guest_owns(out, SZ_2M) || in_ecam(out, SZ_2M) || !map_2m(out, free_gpa))
		out += SZ_2M;
	return out;
}
