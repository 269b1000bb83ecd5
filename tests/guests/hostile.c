/*
 * hostile: a guest that attacks with its own device. Needs [sluice]
 * attack-test = on. It asks Sluice for the foreign targets
 * (SLUICE_HC_ATTACK_TARGETS: another partition's memory, Sluice's image and
 * heap, the IOMMU's tables, another device's registers, past its own
 * memory), programs its QEMU edu (docs/specs/edu.rst) to DMA-read each into
 * its own memory and to DMA-write a pattern over each, and judges every
 * attack: the engine finished, VT-d counted a fault against this partition
 * (SLUICE_HC_DMA_FAULTS), and a read brought nothing (its destination holds
 * only what a blocked read gives: one byte value throughout). Then Sluice
 * compares every target with its snapshot and logs the matrix
 * (SLUICE_HC_ATTACK_CHECK). The mode comes from [partition] args:
 * "dma" (the default) is the DMA attacks above; "msi" DMA-writes
 * interrupt messages into the MSI window (Intel SDM vol 3 11.11, VT-d
 * 5.1.2): remappable format with a forged handle and a handle past the
 * table (interrupt remapping blocks both; QEMU records the fault with no
 * source ID, so it is not charged to me), then, last, the handle of the
 * victim's entry (index 1, the first Sluice hands out: its IRTE accepts
 * only the victim's function, so hardware blocks it with fault 0x26;
 * QEMU checks the source only when the request carries one, and edu DMA
 * carries none),
 * compatibility format with fixed, NMI and SMI delivery (blocked on
 * hardware by remapping with CFI clear; QEMU passes them, and Sluice must
 * survive); "msi-init N" sends one INIT to the witness's CPU N, then one
 * to my own (a CPU in guest mode takes it as an intercepted exit); and
 * "msi-init-sluice" one to CPU 0, which runs Sluice and no guest (QEMU
 * resets it: its own scenario).
 */
#include "tests/guests/lib/edu.h"

const char guest_name[] = "hostile";

int strcmp(const char *a, const char *b);       /* kernel/libc.c */

#define EDU_IDENT_MAGIC_VAL 0xed        /* BAR0 0x00, low byte (edu.rst) */
#define MARK            0x5a    /* the read destination before the attack */
/*
 * Times are TSC ticks / 1000: microseconds on a 1 GHz TSC, less on a
 * faster one (2.6 GHz: 0.38 of them), so each is generous.
 */
#define FAULT_WAIT_US   1000000 /* for VT-d to count the fault (the unit records one at a time) */
#define FAULT_TRIES     3
#define PACE_US         1000000 /* between attacks: Sluice logs 4 faults per source per second */

static uint8_t staged[EDU_BUF_SIZE] __attribute__((aligned(4096)));
static uint8_t got[EDU_BUF_SIZE] __attribute__((aligned(4096)));
static struct sluice_attack_list list __attribute__((aligned(4096)));
static struct sluice_attack_result res[SLUICE_ATTACK_MAX_RESULTS];
static uint32_t nr_res;
static volatile uint8_t *bar0;

/* TSC ticks / 1000 (see above). */
static uint64_t now_us(void)
{
	return rdtsc() / 1000;
}

static void pause_us(uint64_t us)
{
	for (uint64_t t0 = now_us(); now_us() - t0 < us;)
		;
}

static long dma_faults(void)
{
	return sluice_hypercall(SLUICE_HC_DMA_FAULTS, 0, 0, 0);
}

/* Waits until VT-d has counted more than before against me; the new count. */
static long wait_fault(long before)
{
	long now = dma_faults();
	for (uint64_t t0 = now_us(); now <= before && now_us() - t0 < FAULT_WAIT_US;)
		now = dma_faults();
	return now;
}

static void record(uint32_t target, const char *what, uint32_t result, long faults)
{
	if (nr_res == ARRAY_SIZE(res))
		return;
	struct sluice_attack_result *r = &res[nr_res++];
	r->target = target;
	r->result = result;
	r->faults = (uint32_t)faults;
	size_t n = strlen(what);
	if (n >= sizeof(r->what))
		n = sizeof(r->what) - 1;
	memcpy(r->what, what, n);
	r->what[n] = '\0';
}

/* The device reads the target into its buffer, then writes the buffer into my memory. */
static void attack_read(uint32_t i, const struct sluice_attack_target *t, uint64_t len)
{
	long before = dma_faults(), after = before;
	bool done = true;
	for (uint32_t try = 0; try < FAULT_TRIES && after == before; try++) {
		memset(got, MARK, len);
		done = guest_edu_run(bar0, t->iova, EDU_BUF_ADDR, len, 0) &&
		       guest_edu_run(bar0, EDU_BUF_ADDR, (uint64_t)(uintptr_t)got, len, EDU_DMA_CMD_TO_BUS);
		after = wait_fault(before);
	}
	uint32_t other = 0;
	for (uint64_t k = 1; k < len; k++)
		other += got[k] != got[0];
	bool blocked = done && after > before && other == 0;
	verdict(blocked, "dma-read of %s at 0x%llx (0x%llx bytes) blocked: %ld fault(s) on me, my copy all 0x%02x (%u differ)",
		t->name, (unsigned long long)t->iova, (unsigned long long)len, after - before, got[0], other);
	record(i, "dma-read", blocked ? SLUICE_ATTACK_BLOCKED : SLUICE_ATTACK_UNCOUNTED, after - before);
	pause_us(PACE_US);
}

/* The device takes my pattern into its buffer, then writes it over the target. */
static void attack_write(uint32_t i, const struct sluice_attack_target *t, uint64_t len)
{
	long before = dma_faults(), after = before;
	bool done = true;
	for (uint32_t k = 0; k < len; k++)
		staged[k] = (uint8_t)(0xa5 ^ k ^ (k >> 8));
	for (uint32_t try = 0; try < FAULT_TRIES && after == before; try++) {
		done = guest_edu_run(bar0, (uint64_t)(uintptr_t)staged, EDU_BUF_ADDR, len, 0) &&
		       guest_edu_run(bar0, EDU_BUF_ADDR, t->iova, len, EDU_DMA_CMD_TO_BUS);
		after = wait_fault(before);
	}
	bool blocked = done && after > before;
	verdict(blocked, "dma-write of %s at 0x%llx (0x%llx bytes) blocked: %ld fault(s) on me",
		t->name, (unsigned long long)t->iova, (unsigned long long)len, after - before);
	record(i, "dma-write", blocked ? SLUICE_ATTACK_BLOCKED : SLUICE_ATTACK_UNCOUNTED, after - before);
	pause_us(PACE_US);
}

/* Finds my edu, turns on memory decoding and bus mastering, checks it answers. */
static bool edu_setup(void)
{
	uint32_t bdf;
	if (guest_edu_open(&bdf, &bar0))
		return false;
	gprintf("hostile: my edu at " BDF_FMT ", BAR0 0x%016llx\n", BDF_ARGS(bdf),
		(unsigned long long)(uintptr_t)bar0);
	return verdict((*(volatile uint32_t *)bar0 & 0xff) == EDU_IDENT_MAGIC_VAL, "edu identification");
}

/* SDM vol 3 11.11.1 Message Address Register (compatibility format). */
#define MSI_BASE                0xfee00000u
#define MSI_DEST(apic)          ((uint32_t)(apic) << 12)
/* VT-d 5.1.2.2 Interrupt Requests in Remappable Format. */
#define MSI_REMAP               (1u << 4)       /* Interrupt Format: remappable */
#define MSI_SHV                 (1u << 3)       /* SubHandle Valid */
#define MSI_HANDLE(h)           ((((uint32_t)(h) & 0x7fff) << 5) | ((((uint32_t)(h) >> 15) & 1) << 2))
/* SDM vol 3 11.11.2 Message Data Register. */
#define MSI_DM_FIXED            (0u << 8)
#define MSI_DM_SMI              (2u << 8)
#define MSI_DM_NMI              (4u << 8)
#define MSI_DM_INIT             (5u << 8)
#define MSI_LEVEL_ASSERT        (1u << 14)

/*
 * The device writes data (4 bytes) to addr in the MSI window, once (every
 * try would be one more interrupt). A fault counted against me: blocked.
 * Otherwise a message meant to be blocked (want_blocked) is "uncounted":
 * QEMU's edu DMA carries no requester ID, so interrupt remapping records
 * the fault with source ID ff:1f.7 and Sluice cannot charge it to me (the
 * log has it). Any other message went through, and I am still here to say
 * so: Sluice survived it.
 */
static void attack_msi(const char *what, uint32_t addr, uint32_t data, bool want_blocked)
{
	long before = dma_faults();
	memcpy(staged, &data, sizeof(data));
	bool done = guest_edu_run(bar0, (uint64_t)(uintptr_t)staged, EDU_BUF_ADDR, 4, 0) &&
		    guest_edu_run(bar0, EDU_BUF_ADDR, addr, 4, EDU_DMA_CMD_TO_BUS);
	long after = want_blocked ? wait_fault(before) : dma_faults();
	uint32_t r = after > before ? SLUICE_ATTACK_BLOCKED :
		     want_blocked ? SLUICE_ATTACK_UNCOUNTED : SLUICE_ATTACK_SURVIVED;
	verdict(done, "%s (0x%08x = 0x%08x) sent: %s, %ld fault(s) on me; I run on", what, addr, data,
		r == SLUICE_ATTACK_BLOCKED ? "blocked" : r == SLUICE_ATTACK_UNCOUNTED ? "uncounted" : "passed",
		after - before);
	record(SLUICE_ATTACK_NO_TARGET, what, r, after - before);
	pause_us(PACE_US);
}

static void msi_attacks(const struct sluice_start_info *si, uint32_t witness_cpu)
{
	attack_msi("msi remap forged handle 0", MSI_BASE | MSI_REMAP | MSI_HANDLE(0), 0, true);
	attack_msi("msi remap handle 0x7fff past table", MSI_BASE | MSI_REMAP | MSI_HANDLE(0x7fff), 0, true);
	attack_msi("msi fixed 0x30 to cpu0", MSI_BASE | MSI_DEST(0), MSI_DM_FIXED | 0x30, false);
	attack_msi("msi fixed 0x30 to witness cpu", MSI_BASE | MSI_DEST(witness_cpu), MSI_DM_FIXED | 0x30, false);
	attack_msi("msi fixed 0x30 to my cpu", MSI_BASE | MSI_DEST(si->cpu), MSI_DM_FIXED | 0x30, false);
	attack_msi("msi nmi to cpu0", MSI_BASE | MSI_DEST(0), MSI_DM_NMI | MSI_LEVEL_ASSERT, false);
	attack_msi("msi nmi to witness cpu", MSI_BASE | MSI_DEST(witness_cpu), MSI_DM_NMI | MSI_LEVEL_ASSERT, false);
	attack_msi("msi smi to cpu0", MSI_BASE | MSI_DEST(0), MSI_DM_SMI | MSI_LEVEL_ASSERT, false);
	attack_msi("msi remap victim's handle 1", MSI_BASE | MSI_REMAP | MSI_HANDLE(1), 0, true);
}

/* The number after the mode word in args ("msi 2"), or def. */
static uint32_t arg_number(const char *args, uint32_t def)
{
	const char *p = args;
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return def;
	uint32_t n = 0;
	while (*p >= '0' && *p <= '9')
		n = n * 10 + (uint32_t)(*p++ - '0');
	return n;
}

static void dma_attacks(void)
{
	for (uint32_t i = 0; i < list.nr; i++) {
		const struct sluice_attack_target *t = &list.t[i];
		uint64_t len = t->size < EDU_BUF_SIZE ? t->size : EDU_BUF_SIZE;
		gprintf("hostile: target %u %s iova 0x%016llx hpa 0x%016llx size 0x%llx\n", i, t->name,
			(unsigned long long)t->iova, (unsigned long long)t->hpa, (unsigned long long)t->size);
		attack_read(i, t, len);
		attack_write(i, t, len);
	}
}

int guest_main(const struct sluice_start_info *si)
{
	char mode[16] = "dma";
	uint32_t n = 0;
	while (si->args[n] && si->args[n] != ' ' && n < sizeof(mode) - 1) {
		mode[n] = si->args[n];
		n++;
	}
	if (n)
		mode[n] = '\0';
	uint32_t witness_cpu = arg_number(si->args, 2);
	gprintf("hostile: partition %s on CPU %u, mode %s\n", si->name, si->cpu, mode);
	if (!edu_setup())
		return 1;
	/* The snapshots come first: every mode ends with Sluice's comparison. */
	long nt = sluice_hypercall(SLUICE_HC_ATTACK_TARGETS, (uint64_t)(uintptr_t)&list, 0, 0);
	if (!verdict(nt > 0 && (uint32_t)nt == list.nr, "Sluice named %ld targets", nt))
		return 1;
	if (!strcmp(mode, "dma")) {
		dma_attacks();
	} else if (!strcmp(mode, "msi")) {
		msi_attacks(si, witness_cpu);
	} else if (!strcmp(mode, "msi-init")) {
		attack_msi("msi init to witness cpu", MSI_BASE | MSI_DEST(witness_cpu), MSI_DM_INIT | MSI_LEVEL_ASSERT, false);
		attack_msi("msi init to my cpu", MSI_BASE | MSI_DEST(si->cpu), MSI_DM_INIT | MSI_LEVEL_ASSERT, false);
	} else if (!strcmp(mode, "msi-init-sluice")) {
		attack_msi("msi init to cpu0", MSI_BASE | MSI_DEST(0), MSI_DM_INIT | MSI_LEVEL_ASSERT, false);
	} else {
		verdict(false, "unknown mode '%s' in args (known: dma, msi, msi-init, msi-init-sluice)", mode);
		return 1;
	}
	long changed = sluice_hypercall(SLUICE_HC_ATTACK_CHECK, (uint64_t)(uintptr_t)res, nr_res, 0);
	verdict(changed == 0, "Sluice finds 0 bytes changed in every target (%ld)", changed);
	return 0;
}
