/*
 * smp: a two-CPU guest. Its BSP starts its AP the way an operating system
 * does (Intel SDM vol 3 9.4.4: INIT, then SIPI twice) by writing its
 * local APIC's ICR (x2APIC MSR 0x830); the AP runs the real-mode
 * trampoline (smp_tramp.S) to long mode with the BSP's GDT and page
 * tables and reports in shared memory. The two CPUs then exchange fixed
 * IPIs through their ICRs, each taken by an IDT gate that counts it and
 * writes EOI. The BSP checks that IPIs aimed outside its partition are
 * refused (through the paravirtual ICR, SLUICE_HC_IPI, which returns the
 * result), and ends the partition while the AP still spins: the AP must
 * be stopped with it. With args = ap-fault the AP instead reads memory
 * outside the partition while the BSP spins without exits: the park must
 * stop the BSP too.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/irq.h"

const char guest_name[] = "smp";

#define SMP_TRAMP_BASE          0x8000          /* smp_tramp.S: SIPI vector 0x08 */
#define ICR_INIT_ASSERT         0x00004500u     /* SDM vol 3 11.6.1: INIT, level assert */
#define ICR_INIT_DEASSERT       0x00008500u
#define ICR_SIPI                0x00004600u
#define ICR_FIXED               0x00004000u
#define SPIN_LIMIT              200000000ULL
#define IPI_VECTOR              0x40
#define ROUND_TRIPS             20
#define MSR_X2APIC_ID           0x802
#define MSR_X2APIC_EOI          0x80b
#define MSR_X2APIC_ICR          0x830

extern const uint8_t smp_tramp_start[], smp_tramp_end[], smp_tramp_gdtr[], smp_tramp_cr3[], smp_tramp_rsp[],
	smp_tramp_entry[];

static volatile uint32_t ap_alive, ap_apic_id, ap_fault, ap_start_pong;
static volatile uint64_t ap_fault_gpa;  /* args = ap-fault: where the AP reads, outside the partition */
static volatile uint64_t ipis_taken[8];         /* by APIC ID: fixed IPIs each CPU's gate took */
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

/* This CPU's local APIC in x2APIC mode, software-enabled (spurious vector 0xff). */
/* An IPI through this CPU's ICR (x2APIC: destination in bits 63:32). */
static void icr(uint32_t dest, uint32_t lo)
{
	wrmsr(MSR_X2APIC_ICR, (uint64_t)dest << 32 | lo);
}

/* The IPI gate's handler (lib/irq.h): counts the IPI for this CPU, EOI. */
static void ipi_taken(void)
{
	ipis_taken[rdmsr(MSR_X2APIC_ID) & 7]++;
	wrmsr(MSR_X2APIC_EOI, 0);
}

static bool wait_count(volatile uint64_t *c, uint64_t n)
{
	for (uint64_t i = 0; i < SPIN_LIMIT; i++) {
		if (*c >= n)
			return true;
		pause();
	}
	return false;
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
	ap_efer = rdmsr(0xc0000080);
	ap_apic_id = b >> 24;
	guest_irq_handler(IPI_VECTOR, ipi_taken);      /* the same gate, loaded on this CPU */
	guest_x2apic_on();
	__asm__ volatile("sti" ::: "memory");
	__atomic_store_n(&ap_alive, 1, __ATOMIC_RELEASE);
	/* Ping-pong: each fixed IPI from the BSP is answered with one to the BSP. */
	uint64_t answered = 0;
	while (__atomic_load_n(&ap_start_pong, __ATOMIC_ACQUIRE) && answered < ROUND_TRIPS) {
		if (ipis_taken[ap_apic_id & 7] > answered) {
			answered++;
			icr(guest_si->cpus[0], ICR_FIXED | IPI_VECTOR);
		}
		ap_spins++;
		pause();
	}
	/* args = ap-fault: once the BSP has checked it, the AP reads memory that is not the partition's. */
	while (__atomic_load_n(&ap_fault, __ATOMIC_ACQUIRE) == 1) {
		ap_spins++;
		pause();
	}
	if (ap_fault == 2)
		(void)*(volatile uint64_t *)(uintptr_t)ap_fault_gpa;
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
	if (!verdict(si->nr_cpus >= 2 && si->cpus[0] == 0, "the start info lists my CPUs, the BSP first with APIC ID 0"))
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
	gprintf("smp: trampoline of %u bytes at 0x%x, starting the AP with APIC ID %u\n", (unsigned)n, SMP_TRAMP_BASE, ap);

	guest_irq_handler(IPI_VECTOR, ipi_taken);
	guest_x2apic_on();
	ap_start_pong = !fault;
	/* INIT (assert, then de-assert as operating systems send it), SIPI, SIPI: through the ICR. */
	icr(ap, ICR_INIT_ASSERT);
	icr(ap, ICR_INIT_DEASSERT);
	icr(ap, ICR_SIPI | (SMP_TRAMP_BASE >> 12));
	bool alive = wait_alive();
	icr(ap, ICR_SIPI | (SMP_TRAMP_BASE >> 12));
	verdict(alive, "INIT-SIPI-SIPI through my ICR: the AP with APIC ID %u reached 64-bit C code", ap);
	verdict(ap_apic_id == ap, "the AP sees its own APIC ID %u in CPUID (got %u)", ap, ap_apic_id);
	verdict((ap_cr0 & 0x80000001u) == 0x80000001u && (ap_efer & 0x500) == 0x500,
		"the AP runs with paging in long mode (CR0 0x%llx, EFER 0x%llx)", (unsigned long long)ap_cr0,
		(unsigned long long)ap_efer);
	verdict(ap_rsp > (uint64_t)(uintptr_t)ap_stack && ap_rsp <= rsp, "the AP runs on the stack I gave it");
	uint64_t s0 = ap_spins;
	for (int i = 0; i < 100000 && ap_spins == s0; i++)
		pause();
	verdict(ap_spins != s0, "the AP runs alongside me (%llu spins seen)", (unsigned long long)ap_spins);

	if (!fault) {
		/* Fixed IPIs both ways: each one the BSP sends is answered by the AP's gate and main loop. */
		__asm__ volatile("sti" ::: "memory");
		uint32_t me = si->cpus[0] & 7, it = ap & 7;
		bool ok = true;
		uint64_t i = 0;
		for (; i < ROUND_TRIPS && ok; i++) {
			icr(ap, ICR_FIXED | IPI_VECTOR);
			ok = wait_count(&ipis_taken[it], i + 1) && wait_count(&ipis_taken[me], i + 1);
		}
		__asm__ volatile("cli" ::: "memory");
		verdict(ok && ipis_taken[it] == ROUND_TRIPS && ipis_taken[me] == ROUND_TRIPS,
			"%u fixed IPIs 0x%x to the AP and %u back, each taken by the other CPU's gate (%llu, %llu)",
			ROUND_TRIPS, IPI_VECTOR, ROUND_TRIPS, (unsigned long long)ipis_taken[it],
			(unsigned long long)ipis_taken[me]);
	}

	/* Outside the partition: an APIC ID past my CPUs names no CPU of mine (on the machine it may be another partition's). */
	uint32_t out = si->nr_cpus;
	icr(out, ICR_FIXED | IPI_VECTOR);       /* through the ICR too: nothing tells me, Sluice counts it */
	verdict(ipi(out, ICR_INIT_ASSERT) < 0, "INIT to APIC ID %u (not mine) refused", out);
	verdict(ipi(out, ICR_SIPI | 0x08) < 0, "SIPI to APIC ID %u (not mine) refused", out);
	verdict(ipi(si->cpus[0], ICR_INIT_ASSERT) < 0, "INIT to myself (the BSP) refused");
	if (fault) {
		/* The AP's fault parks the partition: this CPU, spinning with no exit, must be stopped with it. */
		uint64_t free_gpa = (si->free_gpa + GUEST_PAGE - 1) & ~(GUEST_PAGE - 1);
		ap_fault_gpa = guest_map_outside(&free_gpa);
		gprintf("smp: the AP faults now (reads 0x%016llx, not ours); I spin until Sluice stops me\n",
			(unsigned long long)ap_fault_gpa);
		__atomic_store_n(&ap_fault, 2, __ATOMIC_RELEASE);
		for (;;)
			pause();
	}
	gprintf("smp: ending the partition with the AP still spinning\n");
	return 0;
}
