/* Guest start, exit, hypercalls, verdicts and the memory helpers of lib/guest.h. */
#include "tests/guests/lib/guest.h"
#include "kernel/fmt.h"

const struct sluice_start_info *guest_si;

/*
 * The one place that knows the hypercall instruction: VMMCALL (AMD SVM,
 * APM vol 3 "VMMCALL"); an Intel (VMX) build uses VMCALL here.
 */
long sluice_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	long ret;
	__asm__ volatile("vmmcall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "memory");
	return ret;
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
