/*
 * Guest partitions: the [partition] sections of sluice.conf that give cpus
 * and an image. Each owns its CPUs, memory and devices for its whole life
 * (static partitioning, no scheduler). The same GPA -> HPA map feeds the
 * CPU side (nested paging, built here with kernel/pgtable.h in the back
 * end's format) and the device side (the partition's IOMMU domain, built
 * by vm/config/partition_cfg.c). A partition runs one vCPU on each of its CPUs
 * (the first is the BSP, the others wait for INIT-SIPI-SIPI); its exits are
 * handled here, vendor-neutral (vm/cpu/virt.h): CPUID, MSRs, port I/O (virtual
 * COM1, debug exit, PCI config ports), the virtual ECAM window (MMIO
 * decoded from the faulting MOV), hypercalls (vm/part/guest_abi.h). Anything
 * else a guest does that Sluice does not allow parks the partition: its
 * CPUs stop, its devices lose bus mastering, its state is logged once;
 * the other partitions go on.
 */
#ifndef VM_PARTITION_H
#define VM_PARTITION_H
#include "kernel/types.h"
#include "kernel/pgtable.h"
#include "iommu/iommu.h"
#include "kernel/spinlock.h"
#include "vm/config/partition_cfg.h"
#include "vm/cpu/virt.h"
#include "vm/dev/vpci.h"
#include "vm/dev/vuart.h"
#include "vm/dev/fwcfg.h"
#include "vm/dev/vlapic.h"
#include "vm/dev/vpic.h"
#include "vm/dev/vpit.h"
#include "vm/dev/vrtc.h"
#include "vm/part/guest_abi.h"
#include "vm/part/guest_image.h"
#include "vm/part/image_check.h"

/* Garbage hypercalls a partition may make before it is parked for spinning Sluice. */
#define PART_MAX_BAD_HYPERCALLS 64
/* Unclaimed port accesses logged per partition (all are counted). */
#define PART_LOG_UNCLAIMED      4
/*
 * INIT exits at one guest rip after which the CPU is taken not to consume
 * the INIT (it stays pending and every entry exits again, as in Bochs 2.7):
 * the guest cannot run, its partition is parked.
 */
#define PART_INIT_STUCK         10000

enum part_state {
	PART_IDLE = 0,          /* set up, not started */
	PART_RUNNING,
	PART_EXITED,            /* exit hypercall or debug-exit port */
	PART_HALTED,            /* HLT with interrupts off: nothing can wake it */
	PART_PARKED,            /* contained after a fault */
	PART_FAILED,            /* could not be set up or entered */
	PART_STOPPED,           /* stopped by a time limit (vm/part/limits.c) */
};

/*
 * One vCPU of a partition, on its own physical CPU (cfg->cpus[i] runs
 * vcpus[i]; vcpus[0] is the BSP). An AP follows the MP initialization
 * protocol (Intel SDM vol 3 9.4 "Multiple-Processor (MP) Initialization"):
 * it runs no guest code until its BSP sends INIT then a SIPI
 * (partition_ipi), which start it in real mode at CS = vector << 8, IP 0;
 * another INIT puts it back to waiting.
 */
enum part_vcpu_state {
	PART_VCPU_WAIT_SIPI = 0,        /* an AP after INIT (and at start): no guest code runs */
	PART_VCPU_RUNNING,              /* in the guest (the BSP from the entry on) */
};
#define PART_VCPU_INIT          0x100u         /* part_vcpu.pending: an INIT to take */
#define PART_VCPU_SIPI          0x200u         /* a SIPI to take, vector in bits 7:0 */

struct part_vcpu {
	struct vcpu v;
	volatile u32 state;             /* enum part_vcpu_state, written by its own CPU */
	u32 pending;                    /* PART_VCPU_INIT | PART_VCPU_SIPI | vector, set by partition_ipi (atomic) */
	bool started;                   /* its thread was posted to its CPU */
	volatile bool done;             /* that thread has finished */
	struct vlapic lapic;            /* its local APIC (vm/part/lapic.c) */
	bool halted;                    /* HLT with interrupts on: waits for a vector */
	bool window;                    /* the interrupt window is asked for */
	bool nmi_window;                /* the NMI window is asked for */
	u32 nmi_pending;                /* an NMI IPI for it not yet injected (atomic: any CPU of its partition sets it) */
	u64 nmis;                       /* NMIs injected */
	u32 sipis;                      /* SIPIs that started it */
	u64 exits[VM_EXIT_NR];          /* written by its own CPU only; summed for the partition */
	u64 mtrr_def_type;              /* IA32_MTRR_DEF_TYPE as the guest wrote it (vm/part/msr.c) */
	volatile u64 entry_ns, exit_ns; /* its CPU's last VM entry and exit (time_now_ns), for the watchdog's log */
	u64 init_rip;                   /* rip at its last INIT exit, and how many came there in a row */
	u32 init_same;
};

/* IPIs partition_ipi did not deliver, by kind (each logged once per partition, all counted). */
enum part_ipi_drop {
	PART_IPI_OUTSIDE = 0,           /* aimed at an APIC ID that is not one of the partition's CPUs */
	PART_IPI_MODE,                  /* a delivery mode Sluice does not give guests (SMI, NMI, ExtINT, logical) */
	PART_IPI_BSP,                   /* INIT or SIPI to the BSP (or to the sender itself) */
	PART_IPI_SIPI_IGNORED,          /* SIPI to an AP not waiting for one (the SDM has it ignored) */
	PART_IPI_NOT_ACCEPTED,          /* fixed IPI its destination's local APIC refused (none, disabled, vector < 16) */
	PART_IPI_DROP_NR
};

/* Unclaimed ports counted one by one (struct partition.unclaimed_ports). */
#define PART_UNCLAIMED_PORTS    16

struct partition {
	struct partition_cfg *cfg;         /* name, regions (HPAs claimed), devices, cpus, image */
	const struct virt_ops *ops;
	struct pt npt;                  /* the CPU side of the GPA -> HPA map */
	struct vpci vpci;
	struct vuart uart;
	struct fwcfg fwcfg;             /* QEMU's fw_cfg ports, unless fw-cfg = off (vm/dev/fwcfg.h) */
	/* The legacy timer path (legacy-pic = on, vm/part/legacy.c): PIC and PIT, the PIC wired to the BSP. */
	bool legacy;
	struct spinlock legacy_lock;    /* also the CMOS clock's */
	struct vrtc rtc;                /* every partition's CMOS clock (vm/dev/vrtc.h) */
	struct vpit pit2;               /* every partition's 8254 counter 2, gated by port 0x61 */
	u8 port_b;                      /* port 0x61's written bits */
	struct vpic pic;
	struct vpit pit;
	struct spinlock lock;           /* state changes */
	volatile enum part_state state;
	bool started;                   /* its vCPU thread was posted to its CPU */
	volatile bool done;             /* that thread has finished (its last line logged) */
	u64 exit_code;
	char why[160];                  /* why it parked, stopped or failed */
	u32 end_checked;                /* its end was judged (partition_end_check, atomic): once */
	u32 nr_vcpus;                   /* cfg->nr_cpus: one vCPU per CPU of `cpus =` */
	struct part_vcpu vcpus[PART_MAX_CPUS];  /* [0]: the BSP */
	u32 vcpus_live;                 /* vCPU threads started and not finished (atomic); 0 sets done */
	struct vcpu_entry entry;        /* where the loader said the guest starts (the BSP) */
	struct vcpu_policy policy;      /* ports passed through (its devices' I/O BARs) */
	u64 start_info_gpa;
	/* SLUICE_HC_LAPIC's timed interval (the vCPU that asked: its local APIC's counters). */
	bool lapic_marked;              /* SLUICE_HC_LAPIC: an interval is open, its start counters: */
	u64 lapic_mark_ns, lapic_mark_exits, lapic_mark_ticks, lapic_mark_injected, lapic_mark_eois;
	/* Counters, printed when the partition ends. */
	u64 io_unclaimed, bad_hypercalls, console_bytes;
	u64 user_hypercalls;            /* from CPL > 0, refused (-SLUICE_HC_EPERM) */
	/* io_unclaimed by port, the first PART_UNCLAIMED_PORTS ports in the order met (the end summary lists them). */
	u32 nr_unclaimed_ports;
	struct part_port_count { u16 port; u64 reads, writes; } unclaimed_ports[PART_UNCLAIMED_PORTS];
	u64 unclaimed_other;            /* accesses to ports past the table */
	/* MSR accesses refused with #GP, MSR writes dropped, exceptions injected for instructions it may not run (atomic). */
	u64 msr_refused, msr_dropped, exc_injected;
	u64 ipi_sent, ipi_dropped[PART_IPI_DROP_NR];    /* partition_ipi: delivered or started, and dropped */
	struct spinlock exit_lock;      /* one exit of the partition handled at a time (vm/part/run.c) */
	u32 verdict_pass, verdict_fail;
	/* I/O loops the guest marked (SLUICE_HC_IO_LOOP): exits counted inside them. */
	u64 io_loop_start;              /* total exits when the open loop began, ~0: none open */
	u64 io_loop_t0;                 /* time_now_ns() when it began */
	u64 io_loop_ios, io_loop_exits;
	u64 io_loop_by_reason[VM_EXIT_NR];      /* exits by reason when it began (vm/part/mark.c) */
	/* The mark port's intervals (SLUICE_PORT_MARK, entry = linux): the open one's number (0: none), those closed, writes refused. */
	u8 mark_open;
	u64 marks, mark_refused;
	/* For a restart (SLUICE_HC_RESTART): its set, the loader's extra mappings, the count. */
	struct partition_set *set;
	struct guest_extra extra[16];
	u32 nr_extra;
	u32 restarts;
	bool restarted;                 /* set by partition_restart: the vCPU state is new, not the exit's */
	u64 watchdog_exits;             /* its exits at the watchdog's last look (partitions_watchdog) */
	bool inv_timed_out;             /* an invalidation of its domain timed out: ATS goes off before the stop's unmap */
	/* Containment (vm/part/limits.h): set on the boot CPU, acted on by its own vCPU. */
	u64 start_ns;                   /* time_now_ns() when it was started */
	u32 stop_request;               /* enum part_stop, written once (atomically) */
	u64 stop_request_ns;            /* when it was asked */
	u32 fault_sbdf;                 /* the device that reached its dma-fault-limit */
	u32 op_request;                 /* enum part_op from the console, taken by its BSP (atomic) */
	u64 op_gpa;                     /* PART_OP_REMAP's region */
	u64 dev_faults[PART_MAX_DEVICES];     /* DMA faults drained, per device of its domain */
	/* Its firmware tables (vm/part/acpi.c): given (entry = linux), its power ports act; writes there that asked for nothing. */
	bool acpi;
	u64 acpi_ignored;
	/* Device interrupts (vm/part/irq.c): MSIs the guest enabled, interrupts handed to its local APIC or dropped. */
	u32 irq_enabled;
	volatile u64 irq_delivered, irq_dropped;
};

struct boot_module;

struct partition_set {
	u32 nr;
	struct partition p[PART_MAX];
	u64 ecam_gpa;                   /* virtual ECAM window, the same for every guest */
	u32 ecam_bus_end;
	const struct boot_module *mods; /* the images, for restarts */
	u32 nr_mods;
	const struct sluice_cfg *cfg;   /* the config the partitions came from (the machine map reads it) */
	/*
	 * The boot CPU's other duty while it waits (vm/main.c sets it: the
	 * operator console's poll), called at each look; true ends the run
	 * (every running partition asked to stop, partitions_request_quit).
	 */
	bool (*poll)(void *ctx);
	void *poll_ctx;
};

/* The image check and its module list: vm/part/image_check.h. */

/*
 * Builds every guest partition of s (partitions already checked, claimed and
 * programmed into the IOMMU): nested table, image loaded, start
 * information, virtual devices. A partition that cannot be built is logged
 * and marked failed; the others go on. Returns the number ready.
 */
int partitions_build(struct partition_set *ps, struct sluice_cfg *s, const struct virt_ops *ops,
		     const struct boot_module *mods, u32 nr_mods, u64 ecam_gpa, u32 ecam_bus_end);
/* Starts each ready partition on its first CPU. Returns the number started. */
int partitions_start(struct partition_set *ps);
/* Partitions built and not yet started. */
u32 partitions_ready(const struct partition_set *ps);
/*
 * Waits until every started partition has ended. Without time limits (none
 * in the config, run_limit_ms 0) there is no bound; with them the boot CPU
 * polls the deadlines and asks a partition past its own limit, or every
 * partition once the run's limit passes, to stop (vm/part/limits.h). Its
 * poll hook runs at each look; when it says quit, every running partition
 * is asked to stop the same way. Returns 0,
 * or -HV_ETIMEDOUT when a partition asked to stop did not (logged, a
 * failed check).
 */
int partitions_wait(struct partition_set *ps, u64 run_limit_ms);
/*
 * The watchdog's sweep: each running partition's CPU is kicked and must
 * answer within PART_CPU_ANSWER_US; one that does not was reset under its
 * guest (an INIT QEMU does not let Sluice consume): it is brought back
 * (smp_cpu_restart) and its partition parked (partition_cpu_lost).
 * Returns how many partitions lost their CPU. A CPU answers in
 * microseconds; under emulation on a busy host a virtual CPU's thread
 * can go unscheduled for over a second (seen with two emulators on two
 * cores: a Linux partition's CPU reset 200 ms after its kick), so the
 * wait is 2 s: a CPU that is really lost is found that much later.
 */
#define PART_CPU_ANSWER_US      2000000
u32 partitions_sweep(struct partition_set *ps);
/*
 * The same sweep as partitions_wait runs it, every PART_WATCHDOG_MS: only a
 * partition that made no exit since the last look and is not inside a
 * marked I/O loop (SLUICE_HC_IO_LOOP: its exits are being counted) is
 * kicked, so a guest that exits anyway is never disturbed.
 */
#define PART_WATCHDOG_MS        1000
u32 partitions_watchdog(struct partition_set *ps);

/*
 * One exit, vendor-neutral: 0 to enter the guest again, 1 when the
 * partition has ended (exited, halted, parked). Portable, host-tested.
 */
int partition_handle_exit(struct partition *p, struct vcpu *v, const struct vm_exit *e);

/* ---- MSRs (vm/part/msr.c, the policy of vm/cpu/msr.c) ---- */
/* A vCPU's MSR state as a CPU has it at reset (MTRRs on, default write-back). */
void partition_msr_reset(struct part_vcpu *pv);
/* On a CPU about to run a vCPU: the passed-through registers Sluice does not switch start as at reset (TSC_AUX 0). */
void partition_msr_cpu_start(void);
/*
 * RDMSR (*val out) or WRMSR (*val in) of msr by pv's guest. 0: done (the
 * caller moves rip past it), or -HV_EPERM: the CPU's answer is #GP(0)
 * (logged, counted; the caller injects it).
 */
int partition_msr(struct partition *p, struct part_vcpu *pv, u32 msr, bool write, u64 *val);

/* ---- the local APIC (vm/part/lapic.c), one per vCPU ---- */
/*
 * Resets pv's local APIC (xAPIC at its default base, BSP flag for
 * vcpus[0]) and its wait state. Its APIC ID is its index in the partition:
 * a partition's guest sees APIC IDs 0 (the BSP) to nr_cpus - 1, as on a
 * machine of its own, whatever physical CPUs it runs on.
 */
void partition_lapic_init(struct partition *p, struct part_vcpu *pv);
/*
 * Before an entry, on pv's CPU: the timer polled at now, the highest
 * pending vector injected when the guest can take it (the vCPU is no
 * longer halted), else the interrupt window asked for. Returns the
 * timer's next deadline (ns, 0: none): the physical timer's.
 */
u64 partition_intr_prepare(struct partition *p, struct part_vcpu *pv, u64 now);
/* After an exit: a task priority the guest set through CR8 becomes its local APIC's TPR. */
void partition_tpr_from_guest(struct partition *p, struct vcpu *v);
/* Whether a halted vCPU has to wake: a vector pending for it, or p stopped, parked or asked to stop. */
bool partition_halt_over(struct partition *p, struct part_vcpu *pv);
/*
 * Whether anything can ever wake pv from a HLT with interrupts on: a
 * vector or NMI pending, its local APIC timer armed, a device MSI enabled,
 * another of p's vCPUs running (an IPI), or for the BSP with legacy-pic
 * the PIT's IRQ0 unmasked and reaching it. With none of these the HLT is
 * its last instruction.
 */
bool partition_halt_wakeable(struct partition *p, struct part_vcpu *pv);
/* Whether a vCPU of p other than pv runs guest code (state PART_VCPU_RUNNING). */
bool partition_others_running(const struct partition *p, const struct part_vcpu *pv);
/*
 * The earliest of pv's timers (its local APIC's, and for the BSP of a
 * partition with legacy-pic the PIT's while its IRQ0 can reach the CPU):
 * ns, 0 for none. What a halted vCPU's physical timer is armed for.
 */
u64 partition_timer_deadline(struct partition *p, struct part_vcpu *pv);
/* SLUICE_HC_LAPIC from v: what the guest gets in RAX. */
s64 partition_hc_lapic(struct partition *p, struct vcpu *v, u64 what, u64 guest_ticks);

/* ---- the CMOS clock and the legacy timer path (vm/part/legacy.c), legacy-pic = on ---- */
/*
 * The clock as firmware leaves it; p->legacy from its config; on: PIC
 * and PIT as a PC's firmware leaves them, the BSP's APIC in virtual wire
 * mode.
 */
void partition_legacy_init(struct partition *p);
/*
 * A guest IN or OUT of size bytes at port by pv: true when the clock,
 * counter 2 and port 0x61, or with legacy-pic the PIC and counter 0 took
 * it (*val read or written), false when none claims the port.
 */
bool partition_legacy_port(struct partition *p, struct part_vcpu *pv, u16 port, u32 size, bool in, u32 *val);
/*
 * Before an entry of pv at now: the PIT's edges raised on IR0; *pending
 * whether the PIC's INTR reaches pv now (the BSP, its LINT0 passing
 * ExtINT). Returns the PIT's next edge when it can reach the CPU (ns, 0:
 * none). 0 and not pending for an AP or without legacy-pic.
 */
u64 partition_legacy_poll(struct partition *p, struct part_vcpu *pv, u64 now, bool *pending);
/* The PIC's acknowledge cycle: the vector to inject (IR7's when the request went away: spurious). */
u8 partition_legacy_ack(struct partition *p);

/* ---- ACPI (vm/part/acpi.c) ---- */
/*
 * Lays p's firmware tables (vm/part/acpi_tables.h) into its memory at gpa,
 * len bytes it can write: its vCPUs (APIC ID = index), the set's virtual
 * ECAM, its functions' memory BARs as host bridge windows. Sets p->acpi.
 * Returns 0 and *rsdp_gpa, or -HV_E* (logged): -HV_EBUSY when a passed-
 * through I/O BAR of its functions holds a power port.
 */
int partition_acpi_load(struct partition *p, u64 gpa, u32 len, u64 *rsdp_gpa);
/*
 * A guest IN or OUT of size bytes at port (*val in or out) of a partition
 * with tables: -1 when it is not a power port, 0 when done (a read gives
 * 0; a write asking for nothing is logged and counted), 1 when it ended
 * the partition (power off or reset: exited, code 0).
 */
int partition_acpi_io(struct partition *p, u16 port, u32 size, bool in, u32 *val);

/* ---- guest SMP (vm/part/smp.c) ---- */
/*
 * The vCPU of p whose local APIC ID (as the guest sees it: the vCPU's
 * index in the partition, the BSP 0, vm/part/lapic.c) is apic_id, or NULL.
 */
struct part_vcpu *partition_vcpu_by_apic_id(struct partition *p, u32 apic_id);
/* The vCPU of p on physical CPU cpu, or NULL. */
struct part_vcpu *partition_vcpu_on_cpu(struct partition *p, u32 cpu);
/* The part_vcpu that holds v. */
struct part_vcpu *partition_vcpu_of(struct partition *p, const struct vcpu *v);
/*
 * An IPI the vCPU with APIC ID from wrote to its local APIC's ICR (vm/dev/
 * vlapic.c calls this): icr_lo is the ICR's low 32 bits (vector, delivery
 * mode, destination mode, level, trigger, shorthand: Intel SDM vol 3
 * 11.6.1 "Interrupt Command Register (ICR)"), dest_apic_id its
 * destination (physical mode; 0xff or 0xffffffff without a shorthand:
 * every CPU of p but the sender, whose own local APIC took its part).
 * Only p's own CPUs are reached: INIT to an AP puts it back to waiting
 * for SIPI, a SIPI to an AP waiting for one starts it, a fixed IPI is
 * accepted by the destination's local APIC (vlapic_accept) and its CPU
 * kicked. Anything else is dropped and counted (one log line per kind).
 * Returns 0 (delivered, or nothing to do: INIT de-assert), or
 * -HV_ENOENT (dropped; p->ipi_dropped says why), as struct vlapic's ipi
 * hook has it.
 */
int partition_ipi(struct partition *p, u32 from, u32 dest_apic_id, u32 icr_lo);
/*
 * An AP's pending INIT and SIPI taken, on its own CPU: INIT makes it wait
 * for SIPI, a SIPI while it waits fills *e with the real-mode entry and
 * returns true (the caller sets the vCPU up from it).
 */
bool partition_vcpu_take_start(struct partition *p, struct part_vcpu *pv, struct vcpu_entry *e);
/* pv's thread has finished (or its CPU is gone): once every started vCPU's has, p is done. */
void partition_vcpu_finished(struct partition *p, struct part_vcpu *pv);
/* Kicks the CPU of every vCPU of p but the one on except_cpu (they leave the guest and see p's state). */
void partition_kick_vcpus(struct partition *p, u32 except_cpu);

/* ---- ending (vm/part/stop.c) ---- */
const char *part_state_name(enum part_state s);
/* Its exits so far, all reasons, every vCPU (read from any CPU: a snapshot). */
u64 partition_total_exits(const struct partition *p);
/* vm/part/mark.c: measured intervals (SLUICE_HC_IO_LOOP, SLUICE_PORT_MARK). */
void partition_interval_begin(struct partition *p);
u64 partition_interval_end(struct partition *p, enum vm_exit_reason self, u64 by_reason[VM_EXIT_NR], u64 *ns);
bool partition_mark_port(struct partition *p, u16 port, u32 size, bool in, u32 *val);
char *exit_reasons_format(const u64 c[VM_EXIT_NR], char *buf, size_t size);
/* Its exits for one reason, every vCPU summed. */
u64 partition_exits(const struct partition *p, enum vm_exit_reason r);
/*
 * p ended on its own (exit, debug port, HLT, a stop the boot CPU asked
 * for): final state st once, its devices stopped as a park's are, its
 * counters logged. Returns 1 (the vCPU loop's "ended").
 */
int partition_end(struct partition *p, enum part_state st, u64 code, const char *how);
/*
 * Contains p: its state logged once, its devices' DMA stopped, its other
 * CPUs kicked out of the guest. With on-fault = stop the machine stops
 * instead (one failed check and the result line). Returns 1.
 */
int partition_park(struct partition *p, struct vcpu *v, const char *fmt, ...) __printf(3, 4);
/*
 * p's CPU was found reset under it (an INIT QEMU takes right after its
 * intercept, docs/architecture.md): its guest's registers are gone, so p is
 * parked as for any fault (devices stopped, memory out of the IOMMU, its
 * on-fault applies) and marked done, its vCPU thread being gone too.
 * Called on another CPU (the one that found it), after the CPU was
 * brought back (smp_cpu_restart).
 */
void partition_cpu_lost(struct partition *p, u32 cpu);
/*
 * The check at p's end (vm/part/expect.h): one "check: pass|FAIL NAME: ..."
 * line saying how it ended and whether its config expects that end. The
 * first call for p logs it; later ones do nothing. partition_end and
 * partition_park call it; so does the run for partitions that never
 * started or failed.
 */
void partition_end_check(struct partition *p);
/*
 * At the run's end: partition_end_check for every partition of ps not yet
 * judged (never started, failed, or still running after a stop request).
 */
void partitions_check_ends(struct partition_set *ps);
/* Its counters, as logged at its end: exits by reason, console bytes, DMA faults per device, ... (any CPU: a snapshot). */
void partition_log_counters(struct partition *p);
/* Bus mastering off on every device of p, one line each. */
void partition_dma_stop(struct partition *p);
/* The virtual COM1 whose lines go to Sluice's log as "NAME: line" (vm/part/console.c). */
void partition_console_init(struct partition *p);

/* The nested-table permissions of a region with IOMMU permissions iommu_prot (always executable). */
static inline u32 partition_npt_prot(u32 iommu_prot)
{
	return PT_READ | PT_EXEC | ((iommu_prot & IOMMU_WRITE) ? PT_WRITE : 0);
}

/*
 * Memory remap (issue 7): moves the region of p that starts at gpa to new
 * host memory while p's vCPU is stopped (called from its own exit, on its
 * CPU). Order: the IOMMU unmaps the region and runs the invalidation
 * sequence to its end (IOTLB, every ATS function's device-TLB, one wait),
 * so no device can still write the old pages; the nested table drops it;
 * the contents are copied; both tables map the new pages; the vCPU's TLB
 * is flushed at its next entry; the old pages are freed only then. A
 * region whose HPA the config fixed (hpa=) or an RMRR's is refused.
 * Returns 0, -HV_ENOENT (no region starts at gpa), -HV_EPERM (refused),
 * -HV_ENOMEM, or the IOMMU's error (the region stays where it was, unless
 * the failure came after the unmap: then the partition must be parked).
 */
int partition_remap(struct partition *p, u64 gpa);

/*
 * The hypercalls exit handling does not serve itself, by number (vm/main.c
 * fills them in before any partition starts; NULL: refused). A handler
 * gets p and the arguments (RDI, RSI, RDX) and returns what the guest gets
 * in RAX (>= 0, or a negative SLUICE_HC_E*).
 */
#define PART_MAX_HYPERCALL      16
extern s64 (*partition_hypercalls[PART_MAX_HYPERCALL])(struct partition *p, u64 a0, u64 a1, u64 a2);

/*
 * Partition stop and restart: every region of p leaves the IOMMU, and one
 * invalidation sequence covering them all runs to its wait (IOTLB, the
 * device-TLB of every ATS function, one wait), so once it returns no
 * device, ATC included, reaches p's memory. Every region is tried; 0 or
 * the first error (logged).
 */
int partition_iommu_unmap(struct partition *p);

/*
 * Restart's memory step: partition_iommu_unmap, then every region zeroed
 * (an RMRR's excepted), then mapped again at the same HPA. The nested
 * table is unchanged. 0, or the error that stopped it (the caller parks).
 */
int partition_memory_reset(struct partition *p);

/*
 * Restart (issue 7), on p's CPU from its own exit: its devices stop DMA
 * (bus mastering off), every region leaves the IOMMU (the invalidation
 * sequence, device-TLBs included, runs to its wait), its memory is zeroed
 * and mapped again, the image reloaded, VFs reset by FLR (ATS enabled
 * again where it was), and the vCPU starts over at the entry. 0, or the
 * error that stopped it (the caller parks p).
 */
int partition_restart(struct partition *p);

#endif
