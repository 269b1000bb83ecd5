/*
 * smp: a two-CPU guest. Its BSP starts its AP the way an operating system
 * does (Intel SDM vol 3 9.4.4: INIT, then SIPI twice), through the
 * paravirtual ICR (SLUICE_HC_IPI: the same filter as the local APIC's
 * ICR); the AP runs the real-mode trampoline (smp_tramp.S) to long mode
 * with the BSP's GDT and page tables and reports in shared memory. The
 * BSP then checks that IPIs aimed outside its partition are refused, and
 * ends the partition while the AP still spins: the AP must be stopped
 * with it. With args = ap-fault the AP instead writes an MSR no
 * partition may write while the BSP spins without exits: the park must
 * stop the BSP too. Fixed IPIs between the two CPUs need the virtual local APIC
 * and are not exercised here yet.
 */
#include "tests/guests/lib/guest.h"

const char guest_name[] = "smp";

#define SMP_TRAMP_BASE          0x8000          /* smp_tramp.S: SIPI vector 0x08 */
#define ICR_INIT_ASSERT         0x00004500u     /* SDM vol 3 11.6.1: INIT, level assert */
#define ICR_INIT_DEASSERT       0x00008500u
#define ICR_SIPI                0x00004600u
#define SPIN_LIMIT              200000000ULL

extern const uint8_t smp_tramp_start[], smp_tramp_end[], smp_tramp_gdtr[], smp_tramp_cr3[], smp_tramp_rsp[],
	smp_tramp_entry[];

static volatile uint32_t ap_alive, ap_apic_id, ap_fault;
static volatile uint64_t ap_cr0, ap_efer, ap_rsp, ap_spins;
static uint8_t ap_stack[8192] __attribute__((aligned(16)));

/* 0 when s starts with word followed by the end or a blank. */
static int strcmp_prefix(const char *s, const char *word)
{
	size_t n = strlen(word);
	return memcmp(s, word, n) || (s[n] && s[n] != ' ');
}

static inline void pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static uint64_t rdmsr64(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

/* The AP's first C code, in 64-bit mode on ap_stack: it says where it is, then spins until the end. */
__attribute__((noreturn, used)) static void ap_main(void)
{
	uint32_t a, b, c, d;
	uint64_t cr0, rsp;

	__asm__ volatile("mov %%cr0, %0; mov %%rsp, %1" : "=r"(cr0), "=r"(rsp));
	cpuid(1, &a, &b, &c, &d);
	ap_cr0 = cr0;
	ap_rsp = rsp;
	ap_efer = rdmsr64(0xc0000080);
	ap_apic_id = b >> 24;
	__atomic_store_n(&ap_alive, 1, __ATOMIC_RELEASE);
	/* args = ap-fault: once the BSP has checked it, the AP writes an MSR no partition may write. */
	while (__atomic_load_n(&ap_fault, __ATOMIC_ACQUIRE) == 1) {
		ap_spins++;
		pause();
	}
	if (ap_fault == 2)
		__asm__ volatile("wrmsr" ::"c"(0x1234u), "a"(0), "d"(0));
	/* No HLT: with no interrupts to wake it that would end the partition. It spins until the BSP ends it. */
	for (;;) {
		ap_spins++;
		pause();
	}
}

/* The paravirtual ICR write; its result (0, or < 0: dropped). */
static long ipi(uint32_t apic_id, uint32_t icr)
{
	return sluice_hypercall(SLUICE_HC_IPI, apic_id, icr, 0);
}

static bool wait_alive(void)
{
	for (uint64_t i = 0; i < SPIN_LIMIT; i++) {
		if (__atomic_load_n(&ap_alive, __ATOMIC_ACQUIRE))
			return true;
		pause();
	}
	return false;
}

int guest_main(const struct sluice_start_info *si)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr;
	uint64_t cr3;

	gprintf("smp: partition %s, BSP on CPU %u, %u CPUs\n", si->name, si->cpu, si->nr_cpus);
	if (!verdict(si->nr_cpus >= 2 && si->cpus[0] == si->cpu, "the start info lists my CPUs, the BSP first"))
		return 1;
	uint32_t ap = si->cpus[1];
	bool fault = !strcmp_prefix(si->args, "ap-fault");
	ap_fault = fault;
	/* The trampoline and its parameters at the SIPI vector's page. */
	uint8_t *t = (uint8_t *)(uintptr_t)SMP_TRAMP_BASE;
	size_t n = (size_t)(smp_tramp_end - smp_tramp_start);
	memcpy(t, smp_tramp_start, n);
	__asm__ volatile("sgdt %0; mov %%cr3, %1" : "=m"(gdtr), "=r"(cr3));
	memcpy(t + (smp_tramp_gdtr - smp_tramp_start), &gdtr.limit, 2);
	memcpy(t + (smp_tramp_gdtr - smp_tramp_start) + 2, &gdtr.base, 8);
	uint64_t rsp = (uint64_t)(uintptr_t)(ap_stack + sizeof(ap_stack)), entry = (uint64_t)(uintptr_t)ap_main;
	memcpy(t + (smp_tramp_cr3 - smp_tramp_start), &cr3, 8);
	memcpy(t + (smp_tramp_rsp - smp_tramp_start), &rsp, 8);
	memcpy(t + (smp_tramp_entry - smp_tramp_start), &entry, 8);
	gprintf("smp: trampoline of %u bytes at 0x%x, starting the AP on CPU %u\n", (unsigned)n, SMP_TRAMP_BASE, ap);

	/* INIT (assert, then de-assert as operating systems send it), SIPI, SIPI. */
	long r_init = ipi(ap, ICR_INIT_ASSERT);
	long r_deassert = ipi(ap, ICR_INIT_DEASSERT);
	long r_sipi1 = ipi(ap, ICR_SIPI | (SMP_TRAMP_BASE >> 12));
	bool alive = wait_alive();
	long r_sipi2 = ipi(ap, ICR_SIPI | (SMP_TRAMP_BASE >> 12));
	verdict(r_init == 0 && r_deassert == 0 && r_sipi1 == 0, "INIT and SIPI to my AP accepted (%ld %ld %ld)", r_init,
		r_deassert, r_sipi1);
	verdict(alive, "the AP on CPU %u reached 64-bit C code", ap);
	verdict(r_sipi2 < 0, "the second SIPI found the AP running and was ignored (%ld)", r_sipi2);
	verdict(ap_apic_id == ap, "the AP sees its own APIC ID %u in CPUID (got %u)", ap, ap_apic_id);
	verdict((ap_cr0 & 0x80000001u) == 0x80000001u && (ap_efer & 0x500) == 0x500,
		"the AP runs with paging in long mode (CR0 0x%llx, EFER 0x%llx)", (unsigned long long)ap_cr0,
		(unsigned long long)ap_efer);
	verdict(ap_rsp > (uint64_t)(uintptr_t)ap_stack && ap_rsp <= rsp, "the AP runs on the stack I gave it");
	uint64_t s0 = ap_spins;
	for (int i = 0; i < 100000 && ap_spins == s0; i++)
		pause();
	verdict(ap_spins != s0, "the AP runs alongside me (%llu spins seen)", (unsigned long long)ap_spins);

	/* Outside the partition: CPU 0 is Sluice's boot CPU; nothing may reach it. */
	verdict(ipi(0, ICR_INIT_ASSERT) < 0, "INIT to APIC ID 0 (not mine) refused");
	verdict(ipi(0, ICR_SIPI | 0x08) < 0, "SIPI to APIC ID 0 (not mine) refused");
	verdict(ipi(si->cpu, ICR_INIT_ASSERT) < 0, "INIT to myself (the BSP) refused");
	if (fault) {
		/* The AP's fault parks the partition: this CPU, spinning with no exit, must be stopped with it. */
		gprintf("smp: the AP faults now; I spin until Sluice stops me\n");
		__atomic_store_n(&ap_fault, 2, __ATOMIC_RELEASE);
		for (;;)
			pause();
	}
	gprintf("smp: ending the partition with the AP still spinning\n");
	return 0;
}
