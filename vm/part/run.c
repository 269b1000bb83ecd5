/*
 * Guest partitions run: one vCPU on each partition's first CPU handling
 * exits (vm/part/exit.c) until the partition ends; the boot CPU starts
 * them, then waits, watching their limits and whether their CPUs still
 * answer.
 */
#define LOG_SUBSYS "part"
#include "vm/part/partition.h"
#include "vm/part/limits.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/check.h"
#include "kernel/smp.h"
#include "kernel/apic.h"
#include "kernel/wait.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/time.h"

/* A vector became pending for p's vCPU, maybe from another CPU: its CPU leaves the guest or its halt. */
static void vcpu_notify(void *arg)
{
	struct partition *p = arg;
	if (smp_this_index() != p->vcpu.cpu)
		smp_kick(p->vcpu.cpu);
}

struct halt_wait { struct partition *p; u64 *armed; };

static void timer_arm(u64 deadline, u64 *armed);

/* The halt ends, or goes on with the timer armed again if it ran out early. */
static bool halt_over(void *arg)
{
	struct halt_wait *w = arg;
	if (partition_halt_over(w->p))
		return true;
	timer_arm(w->p->lapic.timer_deadline_ns, w->armed);
	return false;
}

/*
 * The guest's timer runs on this CPU's own APIC timer (the partition owns
 * the CPU): armed for its next deadline whenever that changes, or when the
 * one-shot ran out before it (its rate was measured on the boot CPU
 * against the TSC, and may be off a little: it can end early, and its
 * interrupt may have come while Sluice handled an exit). Its interrupt
 * makes the guest exit (INTR) or ends a halt; its handler only
 * acknowledges it (SMP_WAKE_VECTOR): the vector the guest gets comes from
 * vlapic_poll.
 */
static void timer_arm(u64 deadline, u64 *armed)
{
	if (!deadline || (deadline == *armed && !apic_timer_expired()))
		return;
	u64 now = time_now_ns();
	/* One microsecond late rather than early: the one-shot counts whole microseconds. */
	if (!apic_timer_oneshot(deadline > now ? deadline - now + 1000 : 1, SMP_WAKE_VECTOR))
		*armed = deadline;
}

/* The body of a partition's CPU: enable, enter, handle exits until the partition ends. */
static void vcpu_thread(void *arg)
{
	struct partition *p = arg;
	struct vcpu *v = &p->vcpu;
	struct vm_exit e;
	u64 armed = 0;
	int ret = p->ops->cpu_enable(smp_this_cpu());
	if (!ret)
		ret = p->ops->vcpu_init(v, &p->entry, &p->policy);
	if (ret) {
		log_err("%s: CPU %u cannot run it: %s", p->cfg->name, v->cpu, hv_strerror(ret));
		spin_lock(&p->lock);
		p->state = PART_FAILED;
		spin_unlock(&p->lock);
		__atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
		smp_kick(smp_boot_cpu());
		return;
	}
	log_info("%s: running on CPU %u (%s, %s %u), entry 0x%016llx", p->cfg->name, v->cpu, p->ops->name,
		 p->ops->tag_name, v->tag, (unsigned long long)v->rip);
	p->lapic.notify = vcpu_notify;
	for (;;) {
		/*
		 * Interrupts off from the timer's arming to the entry: a timer that
		 * runs out in between stays pending and ends the guest at once
		 * (an INTR exit), instead of being taken here and lost to the guest.
		 */
		u64 flags = cpu_irq_save();
		u64 next = partition_intr_prepare(p, v, time_now_ns());
		timer_arm(next, &armed);
		memset(&e, 0, sizeof(e));
		if (p->halted) {
			/* HLT with interrupts on: this CPU sleeps until the timer, a vector from elsewhere or a stop. */
			cpu_irq_restore(flags);
			struct halt_wait w = { p, &armed };
			smp_wait_until(halt_over, &w);
			e.reason = VM_EXIT_NONE;        /* not an exit: only the stop checks of partition_handle_exit */
		} else {
			ret = p->ops->vcpu_run(v, &e);
			cpu_irq_restore(flags);
			if (ret)
				e.reason = VM_EXIT_ENTRY_FAILED;
		}
		if (partition_handle_exit(p, v, &e))
			break;
	}
	__atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
	smp_kick(smp_boot_cpu());       /* the boot CPU waits for partitions to end */
}

u32 partitions_ready(const struct partition_set *ps)
{
	u32 n = 0;
	for (u32 i = 0; i < ps->nr; i++)
		n += ps->p[i].state == PART_IDLE;
	return n;
}

int partitions_start(struct partition_set *ps)
{
	int started = 0;

	/* Faults are charged to their device from the first DMA on. */
	partition_limits_set(ps);
	iommu_fault_sink = partition_dma_fault;
	for (u32 i = 0; i < ps->nr; i++) {
		struct partition *p = &ps->p[i];
		if (p->state != PART_IDLE)
			continue;
		p->state = PART_RUNNING;
		p->started = true;
		p->start_ns = time_now_ns();
		int ret = smp_run_on(p->cfg->cpus[0], vcpu_thread, p);
		if (ret) {
			p->state = PART_FAILED;
			p->started = false;
			check(false, "%s: started on CPU %u (%s)", p->cfg->name, p->cfg->cpus[0], hv_strerror(ret));
			continue;
		}
		started++;
	}
	return started;
}

static bool all_ended(void *arg)
{
	struct partition_set *ps = arg;
	/* Ended means its thread is done: the state changes before its last lines are logged. */
	for (u32 i = 0; i < ps->nr; i++)
		if (ps->p[i].started && !__atomic_load_n(&ps->p[i].done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

/* Halted waits end when all ended or when a stop was asked (the fault interrupt asks): then polling takes over. */
/* A look at the deadlines is due: the boot CPU's one-shot APIC timer ran out. */
static bool ended_or_look(void *arg)
{
	return all_ended(arg) || apic_timer_expired();
}

int partitions_wait(struct partition_set *ps, u64 run_limit_ms)
{
	u64 run_deadline = run_limit_ms ? time_now_ns() + run_limit_ms * 1000000ULL : 0;
	u64 next_watch = time_now_ns() + PART_WATCHDOG_MS * 1000000ULL;
	int ret = 0;

	while (!all_ended(ps) && !ret) {
		/*
		 * A guest spinning with interrupts off makes no exit, and a CPU
		 * reset under its guest makes none either: the boot CPU watches
		 * the clock for both, halted between looks (its APIC timer wakes
		 * it), or busy when that timer is not there.
		 */
		if (!apic_timer_oneshot(LIMITS_POLL_US * 1000ULL, SMP_WAKE_VECTOR))
			smp_wait_until(ended_or_look, ps);
		else
			wait_until(all_ended, ps, LIMITS_POLL_US);
		if (all_ended(ps))
			break;
		u64 now = time_now_ns();
		ret = partition_limits_poll(ps, now, run_deadline);
		if (now >= next_watch) {
			partitions_watchdog(ps);
			next_watch = time_now_ns() + PART_WATCHDOG_MS * 1000000ULL;
		}
	}
	for (u32 i = 0; i < ps->nr; i++) {
		const struct partition *p = &ps->p[i];
		log_info("%s: %s%s%s", p->cfg->name, part_state_name(p->state), p->why[0] ? ": " : "", p->why);
	}
	if (ret)
		check(false, "partitions asked to stop did so within %u ms", (unsigned)LIMITS_STOP_GRACE_MS);
	return ret;
}

/* A CPU reset while holding the log lock: freed first (see partitions_sweep). */
static void sweep_log_lock(void)
{
	/*
	 * A CPU reset while holding the log lock leaves the others spinning on
	 * it with interrupts off, so they would not answer a kick either: a
	 * holder that does not answer is freed from the lock first.
	 */
	int h = log_holder();
	const struct cpu *me = smp_this_cpu();
	if (h >= 0 && (!me || (u32)h != me->index) && smp_cpu_answers((u32)h, PART_CPU_ANSWER_US) == -HV_ETIMEDOUT)
		log_cpu_lost((unsigned)h);
}

/* p's CPU kicked; 1 when it did not answer and p was parked for it. */
static u32 sweep_one(struct partition *p)
{
	u32 cpu = p->cfg->cpus[0];

	if (!partition_running(p))
		return 0;
	if (smp_cpu_answers(cpu, PART_CPU_ANSWER_US) != -HV_ETIMEDOUT)
		return 0;
	log_err("%s: CPU %u does not answer a kick within %u ms: reset under its guest", p->cfg->name, cpu,
		PART_CPU_ANSWER_US / 1000);
	smp_cpu_restart(cpu);
	partition_cpu_lost(p, cpu);
	return 1;
}

u32 partitions_sweep(struct partition_set *ps)
{
	u32 lost = 0;

	sweep_log_lock();
	for (u32 i = 0; i < ps->nr; i++)
		lost += sweep_one(&ps->p[i]);
	return lost;
}

u32 partitions_watchdog(struct partition_set *ps)
{
	u32 lost = 0;
	bool lock_swept = false;

	for (u32 i = 0; i < ps->nr; i++) {
		struct partition *p = &ps->p[i];
		if (!partition_watchdog_quiet(p, partition_total_exits(p)))
			continue;
		/* Only now: a CPU reset holding the lock makes no exit, so its partition is quiet too. */
		if (!lock_swept) {
			sweep_log_lock();
			lock_swept = true;
		}
		lost += sweep_one(p);
	}
	return lost;
}
