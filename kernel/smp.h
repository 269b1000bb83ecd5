/*
 * The CPUs of the machine: every processor the MADT lists (enabled or
 * online-capable) gets a struct cpu, indexed in MADT order (the index the
 * config's `cpus =` uses). The boot CPU keeps Sluice's own services
 * (console, fault interrupts, monitor); the others are started with
 * INIT-SIPI-SIPI through the trampoline in boot/ and wait, halted, for
 * work. A CPU that does not come up is logged and left out.
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H
#include "kernel/types.h"

#define SMP_MAX_CPUS            16
#define SMP_STACK_SIZE          (16 * KiB)
#define SMP_WAKE_VECTOR         0xf0    /* smp_kick's IPI: its handler only acknowledges it */

struct acpi_info;

enum cpu_state {
	CPU_ABSENT = 0,         /* no such MADT entry */
	CPU_OFFLINE,            /* listed, disabled or failed to start */
	CPU_IDLE,               /* running Sluice, waiting for work */
	CPU_BUSY,               /* running work (e.g. a partition's vCPU) */
};

struct cpu {
	struct cpu *self;       /* first: %gs:0 holds the struct's address */
	u32 index;              /* MADT order */
	u32 apic_id;
	bool bsp;
	volatile enum cpu_state state;
	u64 stack_top;
	/* Work posted by smp_run_on(): fn(arg) runs once on this CPU. */
	void (*volatile fn)(void *arg);
	void *volatile arg;
	void *vm;               /* vm/'s per-CPU state (struct vcpu), NULL when none */
	volatile u64 kicks_taken;       /* wake-up IPIs its handler ran for (smp_cpu_answers) */
};

/*
 * Records every CPU of the MADT, makes the running one (the BSP) cpu
 * `index`-of-its-APIC-ID with GS pointing at it. Call once the local APIC
 * is up. Returns the number of CPUs listed.
 */
int smp_init(const struct acpi_info *acpi);
/*
 * Starts every listed AP with INIT-SIPI-SIPI through the trampoline copied
 * to trampoline_pa (a free page below 1 MiB) and waits (bounded) for each
 * to report in; a CPU that does not answer is logged and marked
 * CPU_OFFLINE. Logs one line per CPU and a summary "smp: N of M CPUs
 * online". Returns the number online (boot CPU included).
 */
int smp_start_aps(u64 trampoline_pa);
/* The running CPU (through GS). */
struct cpu *smp_this_cpu(void);
/* Its index, 0 before the CPUs are set up (what log lines and stray counts name). */
unsigned smp_this_index(void);
/* CPU by index, or NULL (absent or out of range). */
struct cpu *smp_cpu(u32 index);
u32 smp_nr_cpus(void);          /* listed in the MADT */
/*
 * Has CPU index run fn(arg) (once, from its idle loop; fn may never
 * return). Returns 0, -HV_ENOENT (no such CPU), -HV_ENODEV (offline or the
 * boot CPU) or -HV_EBUSY (already has work).
 */
int smp_run_on(u32 index, void (*fn)(void *arg), void *arg);
/* Sends the wake-up IPI so a CPU halted in its idle loop or in a guest leaves it. */
void smp_kick(u32 index);
/* Called by the wake-up IPI's handler on the CPU that took it. */
void smp_kick_taken(void);
/*
 * Whether CPU index still takes interrupts: kicks it and waits up to
 * timeout_us for its handler to run. A CPU that an INIT reset (it waits
 * for a start-up IPI) never answers. Returns 0, -HV_ETIMEDOUT, or
 * -HV_ENOENT / -HV_ENODEV as smp_run_on.
 */
int smp_cpu_answers(u32 index, u64 timeout_us);
/*
 * Brings an AP that was reset (INIT) back to Sluice: INIT-SIPI-SIPI through
 * the trampoline smp_start_aps used, on its own stack again; whatever it
 * ran is forgotten (its work, its stack frames). It comes back idle.
 * Returns 0, -HV_ENODEV (the boot CPU, or no trampoline) or -HV_ETIMEDOUT
 * (then it is CPU_OFFLINE). One line either way.
 */
int smp_cpu_restart(u32 index);
/* The boot CPU's index. */
u32 smp_boot_cpu(void);
/*
 * Halts the running CPU until done(arg) holds, waking on every interrupt
 * (smp_kick or any other). done is checked with interrupts masked and the
 * halt lets them in atomically, so a kick between the check and the halt
 * is never lost.
 */
void smp_wait_until(bool (*done)(void *arg), void *arg);

#endif
