/*
 * The operator's console commands (vm/part/operator.h). Each checks its
 * words before it acts and answers bad ones with -HV_EINVAL (the console
 * prints the usage line). Partition names are the config's. What a
 * command reads while partitions run (counters, states) is a snapshot.
 */
#define LOG_SUBSYS "console"
#include "vm/part/operator.h"
#include "vm/part/partition.h"
#include "vm/part/limits.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/fmt.h"
#include "kernel/err.h"
#include "kernel/hw/pci_cfg.h"
#include "kernel/smp.h"
#include "kernel/hw/time.h"
#include "pci/pci.h"

/* The partition named name, or NULL (logged). */
static struct partition *find_partition(const struct operator *op, const char *name)
{
	for (u32 i = 0; op->ps && i < op->ps->nr; i++)
		if (!strcmp(op->ps->p[i].cfg->name, name))
			return &op->ps->p[i];
	log_warn("no partition named '%s' (partitions lists them)", name);
	return NULL;
}

/* The partition whose config assigns sbdf (k its index there), or NULL. */
static const struct partition *owner_of(const struct operator *op, u32 sbdf, u32 *k)
{
	for (u32 i = 0; op->ps && i < op->ps->nr; i++) {
		const struct partition_cfg *d = op->ps->p[i].cfg;
		for (u32 j = 0; j < d->nr_devices; j++)
			if (d->devices[j].sbdf == sbdf) {
				*k = j;
				return &op->ps->p[i];
			}
	}
	return NULL;
}

/*
 * lspci -nnv's vocabulary: the function's line as `lspci -nn` prints it
 * (slot, class name [class], Device [vendor:device]; no names database),
 * then indented: its IOMMU group as `lspci -v` says it, the partition it
 * belongs to (Sluice's counterpart of "Kernel driver in use"), and for
 * a VF its PF, for a PF its SR-IOV capability, and its ATS capability,
 * in the words of `lspci -vv`.
 */
static int cmd_lspci(void *ctx, unsigned argc, char **argv)
{
	const struct operator *op = ctx;
	(void)argc;
	(void)argv;

	for (u32 i = 0; i < pci_nr_devs(); i++) {
		const struct pci_dev *d = pci_dev_at(i);
		const char *cname = pci_class_name(d->class);
		u32 k;
		const struct partition *p = owner_of(op, d->sbdf, &k);
		log_info("lspci: " BDF_FMT " %s [%04x]: Device [%04x:%04x]", BDF_ARGS(d->sbdf), cname ? cname : "Class",
			 d->class >> 8, d->vendor, d->device);
		if (d->kind == PCI_KIND_VF && d->pf)
			log_info("lspci: \tPhysical function: " BDF_FMT ", Virtual Function %u", BDF_ARGS(d->pf->sbdf), d->vf_index);
		log_info("lspci: \tIOMMU group: %u", d->group);
		log_info("lspci: \tPartition: %s", p ? p->cfg->name : "none");
		if (d->ecap_sriov)
			log_info("lspci: \tCapabilities: [%03x] Single Root I/O Virtualization (SR-IOV): Enable%c, Initial VFs: %u, Total VFs: %u, Number of VFs: %u",
				 d->ecap_sriov, d->sriov.enabled ? '+' : '-', d->sriov.initial_vfs, d->sriov.total_vfs, d->sriov.num_vfs);
		if (d->ecap_ats)
			log_info("lspci: \tCapabilities: [%03x] Address Translation Service (ATS): Enable%c", d->ecap_ats,
				 ats_enabled(d) ? '+' : '-');
	}
	return 0;
}

static int cmd_dmar(void *ctx, unsigned argc, char **argv)
{
	const struct operator *op = ctx;
	(void)argc;
	(void)argv;

	if (!op->dmar) {
		log_info("no DMAR table: this machine has no remapping units");
		return 0;
	}
	dmar_print(op->dmar);
	return 0;
}

static int cmd_units(void *ctx, unsigned argc, char **argv)
{
	const struct operator *op = ctx;
	(void)argc;
	(void)argv;

	if (!op->iommu || !op->iommu->log_units) {
		log_info("no IOMMU came up: no remapping units");
		return 0;
	}
	op->iommu->log_units();
	return 0;
}

/*
 * Each partition as the machine map describes it (the same `map:` lines
 * the log has and tools/sluice-map draws), why it ended if it did, and its
 * counters so far.
 */
static int cmd_partitions(void *ctx, unsigned argc, char **argv)
{
	const struct operator *op = ctx;
	(void)argc;
	(void)argv;

	if (!op->ps || !op->ps->nr) {
		log_info("no partitions");
		return 0;
	}
	for (u32 i = 0; i < op->ps->nr; i++) {
		struct partition *p = &op->ps->p[i];
		map_log_partition(p);
		if (p->why[0])
			log_info("%s: %s: %s", p->cfg->name, part_state_name(p->state), p->why);
		if (p->started)
			partition_log_counters(p);
	}
	return 0;
}

static int cmd_map(void *ctx, unsigned argc, char **argv)
{
	const struct operator *op = ctx;
	(void)argc;
	(void)argv;

	map_log(&op->map);
	return 0;
}

static int cmd_walk(void *ctx, unsigned argc, char **argv)
{
	const struct operator *op = ctx;
	u32 sbdf;
	u64 iova;

	(void)argc;
	if (!pci_sbdf_parse(argv[0], strlen(argv[0]), &sbdf) || str_to_u64(argv[1], strlen(argv[1]), false, &iova) ||
	    (strcmp(argv[2], "r") && strcmp(argv[2], "w")))
		return -HV_EINVAL;
	if (!op->iommu || !op->iommu->walk) {
		log_info("no IOMMU is translating: nothing to walk");
		return 0;
	}
	return op->iommu->walk(sbdf, iova, argv[2][0] == 'w');
}

static void faults_line(void *ctx, const char *text)
{
	(void)ctx;
	log_info("faults: %s", text);
}

static const struct map_sink faults_sink = { faults_line, NULL };

static int cmd_faults(void *ctx, unsigned argc, char **argv)
{
	const struct operator *op = ctx;
	u32 shown = 0;
	(void)argc;
	(void)argv;

	if (op->iommu && op->iommu->poll_faults)
		op->iommu->poll_faults();       /* records still pending are drained and logged first */
	map_faults_describe(&faults_sink);
	log_info("faults: counts per partition and device (the log's rate limit may have left some unlogged):");
	for (u32 i = 0; op->ps && i < op->ps->nr; i++) {
		const struct partition_cfg *d = op->ps->p[i].cfg;
		u64 logged = 0, suppressed = 0;
		if (!d->iommu)
			continue;
		iommu_domain_fault_counts(d->iommu, &logged, &suppressed);
		log_info("faults: %s: %llu raised, %llu logged, %llu suppressed", d->name,
			 (unsigned long long)iommu_domain_faults(d->iommu), (unsigned long long)logged,
			 (unsigned long long)suppressed);
		for (u32 k = 0; k < d->nr_devices; k++, shown++)
			log_info("faults: %s: device " BDF_FMT ": %llu (dma-fault-limit %u)", d->name,
				 BDF_ARGS(d->devices[k].sbdf), (unsigned long long)op->ps->p[i].dev_faults[k], d->dma_fault_limit);
	}
	if (!shown)
		log_info("faults: no partition has a device behind an IOMMU");
	return 0;
}

/* Asks name's BSP to do what at its next exit; one line saying so. */
static int ask(const struct operator *op, const char *name, enum part_op what, u64 gpa, const char *verb)
{
	struct partition *p = find_partition(op, name);
	if (!p)
		return 0;
	if (what == PART_OP_PARK && p->cfg->on_fault == FAULT_STOP) {
		log_warn("%s has on-fault = stop: parking it would stop the machine (quit ends the run)", name);
		return 0;
	}
	/* partition_restart refuses these, and a failed restart parks: refused here instead. */
	if (what == PART_OP_RESTART && p->nr_vcpus > 1) {
		log_warn("%s has %u vCPUs: restart is for one-vCPU partitions", name, p->nr_vcpus);
		return 0;
	}
	int ret = partition_request_op(p, what, gpa);
	if (ret == -HV_EPERM)
		log_warn("%s is %s, not running: nothing to %s", name, part_state_name(p->state), verb);
	else if (ret == -HV_EBUSY)
		log_warn("%s: an earlier request is not yet taken; try again", name);
	else
		log_info("%s: asking CPU %u to %s it", name, p->cfg->cpus[0], verb);
	return 0;
}

static int cmd_park(void *ctx, unsigned argc, char **argv)
{
	(void)argc;
	return ask(ctx, argv[0], PART_OP_PARK, 0, "park");
}

static int cmd_restart(void *ctx, unsigned argc, char **argv)
{
	(void)argc;
	return ask(ctx, argv[0], PART_OP_RESTART, 0, "restart");
}

static int cmd_remap(void *ctx, unsigned argc, char **argv)
{
	u64 gpa;

	(void)argc;
	if (str_to_u64(argv[1], strlen(argv[1]), false, &gpa))
		return -HV_EINVAL;
	return ask(ctx, argv[0], PART_OP_REMAP, gpa, "remap a region of");
}

static int cmd_console(void *ctx, unsigned argc, char **argv)
{
	struct operator *op = ctx;
	struct partition *p = find_partition(op, argv[0]);

	(void)argc;
	if (!p)
		return 0;
	if (!partition_running(p)) {
		log_warn("%s is %s, not running: no guest to type to", argv[0], part_state_name(p->state));
		return 0;
	}
	op->attached = p;
	log_info("attached to %s's COM1: what you type goes to its guest; Ctrl-] comes back", argv[0]);
	return 0;
}

/*
 * The console's pass hook: while attached, each byte goes to the
 * partition's virtual COM1 (one dropped when its guest does not read:
 * counted), until Ctrl-] or the partition's end brings the terminal back.
 */
static bool operator_pass(void *ctx, u8 b)
{
	struct operator *op = ctx;
	struct partition *p = op->attached;

	if (!p)
		return false;
	if (b != OPERATOR_ESCAPE && partition_running(p)) {
		vuart_rx_put(&p->uart, b);
		return true;
	}
	op->attached = NULL;
	op->draining = p;
	op->drain_deadline_ns = time_now_ns() + OPERATOR_DRAIN_MS * 1000000ULL;
	log_info("back from %s's COM1 (%s), %llu typed byte(s) dropped", p->cfg->name,
		 b == OPERATOR_ESCAPE ? "Ctrl-]" : "it ended", (unsigned long long)p->uart.rx_dropped);
	return b == OPERATOR_ESCAPE;
}

static int cmd_wait(void *ctx, unsigned argc, char **argv)
{
	struct operator *op = ctx;
	(void)argc;
	(void)argv;
	op->waiting = true;
	log_info("waiting for every partition to end and its verdict; what is typed meanwhile is read after");
	return 0;
}

static int cmd_quit(void *ctx, unsigned argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	return CONSOLE_QUIT;
}

const struct console_cmd operator_cmds[] = {
	{ "lspci", "", "PCI functions as lspci -nnv names them: class, IDs, PF of a VF, IOMMU group, partition, SR-IOV, ATS", 0, 0, cmd_lspci },
	{ "dmar", "", "the ACPI DMAR table: units, scopes, reserved memory", 0, 0, cmd_dmar },
	{ "units", "", "each remapping unit: capabilities, translation, fault and invalidation counters", 0, 0, cmd_units },
	{ "partitions", "", "state, CPUs, memory GPA -> HPA, devices (map: lines), exits by reason", 0, 0, cmd_partitions },
	{ "map", "", "the whole machine map: CPUs, units, partitions, Sluice's PFs (what tools/sluice-map draws)", 0, 0, cmd_map },
	{ "walk", "[SSSS:]BB:DD.F IOVA r|w", "the IOMMU's translation of one request, step by step", 3, 3, cmd_walk },
	{ "iommu walk", "[SSSS:]BB:DD.F IOVA r|w", "the same as walk", 3, 3, cmd_walk },
	{ "faults", "", "the last faults logged, decoded, with their owners; counts per partition and device", 0, 0, cmd_faults },
	{ "park", "NAME", "contain a running partition as after a fault", 1, 1, cmd_park },
	{ "restart", "NAME", "restart a running one-vCPU partition (memory zeroed, image reloaded)", 1, 1, cmd_restart },
	{ "remap", "NAME GPA", "move the region at GPA of a running partition to new host memory", 2, 2, cmd_remap },
	{ "console", "NAME", "type to a running partition's COM1 (its output is in the log); Ctrl-] comes back", 1, 1, cmd_console },
	{ "wait", "", "read nothing more until every partition has ended and been judged (typed-ahead scripts)", 0, 0, cmd_wait },
	{ "quit", "", "stop every partition the orderly way and end the run", 0, 0, cmd_quit },
	{ "exit", "", "the same as quit", 0, 0, cmd_quit },
};
const u32 operator_nr_cmds = ARRAY_SIZE(operator_cmds);

/*
 * After Ctrl-]: whether the guest still reads what was typed (busy), for
 * at most OPERATOR_DRAIN_MS; bytes left then are said once.
 */
static bool draining(struct operator *op)
{
	struct partition *p = op->draining;
	u32 left = p ? vuart_rx_waiting(&p->uart) : 0;

	if (!p)
		return false;
	if (left && partition_running(p) && time_now_ns() < op->drain_deadline_ns)
		return true;
	if (left)
		log_warn("%s: its guest did not read %u typed byte(s) within %u ms", p->cfg->name, left,
			 (unsigned)OPERATOR_DRAIN_MS);
	op->draining = NULL;
	return false;
}

/*
 * The console's busy hook: the guest of the last `console NAME` still
 * reading what was typed, or a park, restart or remap asked and not yet
 * done by its partition's BSP. Its CPU is kicked again (a kick that lands
 * while the CPU is in Sluice is lost); a request its partition can no
 * longer take (its vCPU thread has finished) is dropped, one line.
 */
static bool operator_busy(void *ctx)
{
	struct operator *op = ctx;
	bool busy = draining(op);

	if (op->waiting && !op->run_over)
		busy = true;
	else if (op->waiting) {
		op->waiting = false;
		log_info("every partition has ended and been judged: reading again");
	}
	for (u32 i = 0; op->ps && i < op->ps->nr; i++) {
		struct partition *p = &op->ps->p[i];
		if (__atomic_load_n(&p->op_request, __ATOMIC_ACQUIRE) == PART_OP_NONE)
			continue;
		if (__atomic_load_n(&p->done, __ATOMIC_ACQUIRE)) {
			partition_op_done(p);
			log_warn("%s: ended (%s) before it took the request", p->cfg->name, part_state_name(p->state));
			continue;
		}
		smp_kick(p->cfg->cpus[0]);
		busy = true;
	}
	return busy;
}

void operator_console_env(struct console_env *env, struct operator *op, int (*getc)(void))
{
	env->getc = getc;
	env->cmds = operator_cmds;
	env->nr_cmds = operator_nr_cmds;
	env->ctx = op;
	env->busy = operator_busy;
	env->pass = operator_pass;
}
