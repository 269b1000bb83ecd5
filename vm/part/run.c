/*
 * Guest partitions run: one vCPU on each CPU of a partition (its BSP
 * from the image's entry, its APs once INIT-SIPI-SIPI start them), each
 * handling its exits (vm/part/exit.c) until the partition ends; the boot CPU starts
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
#include "kernel/fmt.h"
#include "kernel/smp.h"
#include "kernel/apic.h"
#include "kernel/wait.h"
#include "kernel/hw/cpu.h"
#include "kernel/hw/time.h"

/* Its thread ends: the others are kicked out of the guest (they see p's state), the boot CPU is told. */
static void vcpu_thread_end(struct partition *p, struct part_vcpu *pv)
{
	if (p->nr_vcpus > 1)
		log_info("%s: vCPU on CPU %u stopped (partition %s)", p->cfg->name, pv->v.cpu, part_state_name(p->state));
	partition_kick_vcpus(p, pv->v.cpu);
	partition_vcpu_finished(p, pv);
	smp_kick(smp_boot_cpu());       /* the boot CPU waits for partitions to end */
}

/* p fails (CPU cpu could not start or run its vCPU: what, ret), unless it already ended; its end check follows. */
static void partition_fail(struct partition *p, u32 cpu, const char *what, int ret)
{
	spin_lock(&p->lock);
	bool first = p->state == PART_RUNNING || p->state == PART_IDLE;
	if (first) {
		p->state = PART_FAILED;
		fmt_snprintf(p->why, sizeof(p->why), "CPU %u %s: %s", cpu, what, hv_strerror(ret));
	}
	spin_unlock(&p->lock);
	if (first)
		partition_end_check(p);
}

static void vcpu_thread_fail(struct partition *p, struct part_vcpu *pv, int ret)
{
	log_err("%s: CPU %u cannot run it: %s", p->cfg->name, pv->v.cpu, hv_strerror(ret));
	partition_fail(p, pv->v.cpu, "cannot run it", ret);
	vcpu_thread_end(p, pv);
}

struct ap_wait {
	struct partition *p;
	struct part_vcpu *pv;
};

static bool ap_woken(void *arg)
{
	const struct ap_wait *w = arg;
	return w->p->state != PART_RUNNING || __atomic_load_n(&w->pv->pending, __ATOMIC_ACQUIRE);
}

/*
 * An AP waiting for SIPI (SDM vol 3 9.4): halted until partition_ipi or
 * the partition's end kicks it; set up in real mode when a SIPI came.
 * 0: it runs the guest now; 1: the partition ended; or the vCPU's error.
 */
static int ap_wait_sipi(struct partition *p, struct part_vcpu *pv)
{
	struct ap_wait w = { p, pv };
	struct vcpu_entry e;

	for (;;) {
		smp_wait_until(ap_woken, &w);
		if (p->state != PART_RUNNING)
			return 1;
		if (!partition_vcpu_take_start(p, pv, &e))
			continue;
		int ret = p->ops->vcpu_init(&pv->v, &e, &p->policy);
		if (ret)
			return ret;
		log_write(LOG_INFO, p->cfg->name, "CPU %u: SIPI vector 0x%02x, started in real mode at 0x%05x",
			  pv->v.cpu, (unsigned)(e.real_cs >> 8), (unsigned)e.real_cs << 4);
		return 0;
	}
}

struct halt_wait { struct partition *p; struct part_vcpu *pv; u64 *armed; };

static void timer_arm(u64 deadline, u64 *armed);

/* The halt ends, or goes on with the timer armed again if it ran out early. */
static bool halt_over(void *arg)
{
	struct halt_wait *w = arg;
	if (partition_halt_over(w->p, w->pv) || (__atomic_load_n(&w->pv->pending, __ATOMIC_ACQUIRE) & PART_VCPU_INIT))
		return true;
	timer_arm(partition_timer_deadline(w->p, w->pv), w->armed);
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

/*
 * The body of one vCPU's CPU: enable, enter (the BSP at the image's entry,
 * an AP once a SIPI starts it), handle exits until the partition ends.
 * The exits of one partition are handled one at a time (p->exit_lock):
 * its virtual devices and counters are shared.
 */
static void vcpu_thread(void *arg)
{
	struct part_vcpu *pv = arg;
	struct vcpu *v = &pv->v;
	struct partition *p = v->part;
	bool bsp = pv == &p->vcpus[0];
	struct vm_exit e;
	u64 armed = 0;
	int ret = p->ops->cpu_enable(smp_this_cpu());
	partition_msr_cpu_start();
	if (!ret && bsp)
		ret = p->ops->vcpu_init(v, &p->entry, &p->policy);
	if (ret) {
		vcpu_thread_fail(p, pv, ret);
		return;
	}
	if (bsp)
		log_info("%s: running on CPU %u (%s, %s %u), entry 0x%016llx", p->cfg->name, v->cpu, p->ops->name,
			 p->ops->tag_name, v->tag, (unsigned long long)v->rip);
	else
		log_info("%s: AP on CPU %u waits for INIT-SIPI-SIPI from its BSP (CPU %u)", p->cfg->name, v->cpu,
			 p->vcpus[0].v.cpu);
	for (;;) {
		if (pv->state == PART_VCPU_WAIT_SIPI) {
			ret = ap_wait_sipi(p, pv);
			if (ret < 0) {
				vcpu_thread_fail(p, pv, ret);
				return;
			}
			if (ret)
				break;
		}
		/*
		 * Interrupts off from the timer's arming to the entry: a timer that
		 * runs out in between stays pending and ends the guest at once
		 * (an INTR exit), instead of being taken here and lost to the guest.
		 */
		u64 flags = cpu_irq_save();
		u64 now = time_now_ns();
		u64 next = partition_intr_prepare(p, pv, now);
		timer_arm(next, &armed);
		memset(&e, 0, sizeof(e));
		if (pv->halted) {
			/* HLT with interrupts on: this CPU sleeps until the timer, a vector from elsewhere or a stop. */
			cpu_irq_restore(flags);
			struct halt_wait w = { p, pv, &armed };
			smp_wait_until(halt_over, &w);
			e.reason = VM_EXIT_NONE;        /* not an exit: only the stop checks of partition_handle_exit */
		} else {
			pv->entry_ns = now;     /* the clock read for the timer, just before the entry */
			ret = p->ops->vcpu_run(v, &e);
			pv->exit_ns = time_now_ns();
			cpu_irq_restore(flags);
			if (ret)
				e.reason = VM_EXIT_ENTRY_FAILED;
			/*
			 * A physical interrupt took the CPU out of the guest: this is a
			 * kick's answer (smp_cpu_answers) even where the exit consumed
			 * the interrupt, so that the wake-up handler never runs (Bochs
			 * 2.7's VMX acknowledges it without "acknowledge interrupt on
			 * exit", docs/platform.md).
			 */
			if (e.reason == VM_EXIT_INTR)
				smp_kick_taken();
		}
		spin_lock(&p->exit_lock);
		ret = partition_handle_exit(p, v, &e);
		spin_unlock(&p->exit_lock);
		if (ret)
			break;
		/* An INIT partition_ipi left for it: back to waiting for SIPI (a SIPI with it is taken there). */
		if (!bsp && (__atomic_load_n(&pv->pending, __ATOMIC_ACQUIRE) & PART_VCPU_INIT)) {
			struct vcpu_entry sipi;
			pv->halted = false;
			if (partition_vcpu_take_start(p, pv, &sipi) &&
			    (ret = p->ops->vcpu_init(v, &sipi, &p->policy))) {
				vcpu_thread_fail(p, pv, ret);
				return;
			}
		}
	}
	vcpu_thread_end(p, pv);
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
		/* Counted live before any posts: a thread that ends at once must not make p done early. */
		p->vcpus_live = p->nr_vcpus;
		int ret = 0;
		u32 i = 0;
		for (; i < p->nr_vcpus && !ret; i++) {
			p->vcpus[i].started = true;
			ret = smp_run_on(p->vcpus[i].v.cpu, vcpu_thread, &p->vcpus[i]);
			if (ret)
				p->vcpus[i].started = false;
		}
		if (ret) {
			u32 cpu = p->vcpus[i - 1].v.cpu;
			log_err("%s: CPU %u cannot be given its vCPU: %s", p->cfg->name, cpu, hv_strerror(ret));
			p->started = i > 1;
			partition_fail(p, cpu, "cannot be given its vCPU", ret);
			if (i == 1)
				continue;
			/* Some vCPUs run: p fails as a whole, they end at their kick. */
			for (u32 j = i - 1; j < p->nr_vcpus; j++)
				partition_vcpu_finished(p, &p->vcpus[j]);
			partition_kick_vcpus(p, ~0u);
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
	bool quit = false;

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
		if (!quit && ps->poll && ps->poll(ps->poll_ctx)) {
			quit = true;
			partitions_request_quit(ps, time_now_ns());
		}
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

/* p's CPUs kicked; 1 when one did not answer and p was parked for it. */
static u32 sweep_one(struct partition *p)
{
	for (u32 i = 0; i < p->nr_vcpus; i++) {
		u32 cpu = p->vcpus[i].v.cpu;
		if (!partition_running(p) || p->vcpus[i].done)
			return 0;
		if (smp_cpu_answers(cpu, PART_CPU_ANSWER_US) != -HV_ETIMEDOUT)
			continue;
		const struct part_vcpu *pv = &p->vcpus[i];
		u64 in = pv->entry_ns, out = pv->exit_ns, now = time_now_ns();
		bool guest = in > out;
		log_err("%s: CPU %u does not answer a kick within %u ms (%s for %llu ms): reset under its guest", p->cfg->name,
			cpu, PART_CPU_ANSWER_US / 1000, guest ? "in its guest" : "out of its guest",
			(unsigned long long)((now - (guest ? in : out)) / 1000000));
		smp_cpu_restart(cpu);
		partition_cpu_lost(p, cpu);
		return 1;
	}
	return 0;
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
