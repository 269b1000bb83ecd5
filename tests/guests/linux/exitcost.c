/*
 * exitcost: the cost of one VM exit round trip, as a Linux guest's user
 * space sees it (docs/testing.md, "Exit round trips"). Built static by
 * tools/linux-image into the test initramfs as /bin/exitcost; the init runs
 * it for sluice.exitcost=N. The same binary runs in a Sluice partition, in
 * the KVM guest of make bench's peer and in Linux booted directly by QEMU,
 * where nothing exits: the reference.
 *
 *   exitcost N      N round trips per batch (1..1000000), BATCHES batches per kind
 *
 * Each kind is one loop of five instructions, the same but for the third:
 *
 *   mov $NR, %eax; xor %ecx, %ecx; INSN; dec %r8; jnz 1b
 *
 *   nop      NOP: no exit anywhere, the baseline
 *   cpuid    CPUID leaf 0 (EAX=0, ECX=0): intercepted by every hypervisor
 *   vmmcall  VMMCALL with RAX=2 (SLUICE_HC_START_INFO, vm/part/guest_abi.h):
 *            both hypervisors refuse a hypercall from CPL 3 after a full exit,
 *            Sluice with -SLUICE_HC_EPERM (RAX=-4), KVM with -KVM_EPERM
 *            (RAX=-1); with no hypervisor the CPU raises #UD (SIGILL here)
 *   inb61    IN AL, 0x61 (port B): emulated by Sluice itself
 *            (vm/part/legacy.c); under KVM by QEMU in the host's user
 *            space (KVM's io_exits count each, docs/testing.md); where
 *            the IN faults at CPL 3 despite ioperm (#GP, SIGSEGV here: the
 *            KVM guest under QEMU's SVM, docs/testing.md) not available
 *   pread61  pread(2) of 1 byte at offset 0x61 of /dev/port: the kernel
 *            does the same IN at CPL 0, so it runs wherever Linux does; with
 *            no hypervisor its figure is the system call's own cost, under
 *            one that plus the exit's. Not the five-instruction loop but a C
 *            loop around the call, whose few instructions the nop loop's
 *            subtraction leaves in on every side alike
 *
 * A batch is timed with RDTSC before and after its N iterations. Under QEMU
 * with -icount shift=0 the TSC advances by one per instruction executed,
 * so a batch's ticks over N are the instructions of one iteration,
 * hypervisor included. Prints one line per kind, stable for tools/exitcost.py:
 *
 *   KIND: N round trips x B batches, ticks per round trip min X median Y max Z, K at the min[, rax=0xR]
 *   KIND: not available (WHY)
 *   spin: M iterations of the nop loop in T ticks, E beyond its 5 instructions each
 *
 * The spin line is one long run of the nop loop (SPIN iterations, 100
 * million instructions: 100 ms of virtual time under -icount shift=0),
 * whose ticks beyond the loop's own instructions are what else ran in that
 * time: the guest's timer interrupts, the hypervisor's exits for them and,
 * since QEMU's icount is one counter for all CPUs, the other CPUs'
 * instructions (docs/testing.md).
 * X, Y and Z with two decimals; K counts the batches that took exactly the
 * fewest ticks (the others had something else run in them: an interrupt,
 * another CPU's instructions). Each kind's batches, and the spin as kind 5,
 * are framed by writes of 200 + kind number to Sluice's mark port (0xe8,
 * SLUICE_PORT_MARK) and of 0 after them, so Sluice logs the exits of each
 * (vm/part/mark.c) and the peer's tools/peer-l2 reads KVM's counters; the
 * writes go through /dev/port (the kernel's OUT at CPL 0), as the init's
 * own marks do, since a user-mode OUT faults in the KVM guest; where
 * nothing answers there the writes go nowhere. Each write is followed by
 * MARK_WAIT_NS of sleep: peer-l2 reads KVM's counters some milliseconds
 * after the byte, while the guest runs on, and the sleep keeps that read
 * out of the batches (its own few timer exits are counted instead).
 * Exits 0, or 1 with one line on standard error.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <time.h>
#include <unistd.h>

#define BATCHES         15
#define SPIN            20000000        /* nop loop iterations of the spin line */
#define LOOP_INSNS      5               /* instructions per iteration of every loop */
#define MAX_N           1000000
#define MARK_PORT       0xe8            /* SLUICE_PORT_MARK */
#define MARK_BASE       200
#define PORT_B          0x61
#define HC_START_INFO   2               /* SLUICE_HC_START_INFO */
#define MARK_WAIT_NS    20000000        /* sleep after each mark write: 20 ms */

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

/* One loop of n iterations with INSN third; returns RAX after the last one. */
#define LOOP(name, nr, insn)                                                    \
	static uint64_t name(uint64_t n)                                        \
	{                                                                       \
		uint64_t rax;                                                   \
		__asm__ volatile("mov %1, %%r8\n"                               \
				 "1: mov $" #nr ", %%eax\n"                     \
				 "xor %%ecx, %%ecx\n"                           \
				 insn "\n"                                      \
				 "dec %%r8\n"                                   \
				 "jnz 1b\n"                                     \
				 : "=&a"(rax)                                   \
				 : "r"(n)                                       \
				 : "rbx", "rcx", "rdx", "r8", "cc", "memory");  \
		return rax;                                                     \
	}

LOOP(loop_nop, 0, "nop")
LOOP(loop_cpuid, 0, "cpuid")
LOOP(loop_vmmcall, 2, "vmmcall")      /* 2: HC_START_INFO */
LOOP(loop_inb61, 0, "inb $0x61, %%al")

static int port_fd = -1;        /* /dev/port, read and write */

/* n reads of port B through the kernel; returns the last byte read, or
 * ~0 when a read failed (errno says why). */
static uint64_t loop_pread61(uint64_t n)
{
	unsigned char b = 0;

	while (n--)
		if (pread(port_fd, &b, 1, PORT_B) != 1)
			return ~(uint64_t)0;
	return b;
}

struct kind {
	const char *name;
	uint64_t (*loop)(uint64_t n);
	int show_rax;
};

static const struct kind kinds[] = {
	{ "nop", loop_nop, 0 },
	{ "cpuid", loop_cpuid, 0 },
	{ "vmmcall", loop_vmmcall, 1 },
	{ "inb61", loop_inb61, 0 },
	{ "pread61", loop_pread61, 0 },
};

static sigjmp_buf undefined;

static void on_fault(int sig)
{
	siglongjmp(undefined, sig);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ticks / n with two decimals, rounded down. */
static void per_trip(char *buf, size_t size, uint64_t ticks, uint64_t n)
{
	uint64_t c = ticks * 100 / n;

	snprintf(buf, size, "%llu.%02llu", (unsigned long long)(c / 100), (unsigned long long)(c % 100));
}

static void mark(unsigned v)
{
	unsigned char b = (unsigned char)v;

	if (port_fd >= 0 && pwrite(port_fd, &b, 1, MARK_PORT) != 1) {
		fprintf(stderr, "exitcost: cannot write %u to port 0x%x through /dev/port: %s\n", v, MARK_PORT,
			strerror(errno));
		exit(1);
	}
	if (port_fd >= 0)
		nanosleep(&(struct timespec){ .tv_nsec = MARK_WAIT_NS }, NULL);
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long n;
	int have_b, b_errno, port_errno, sig;

	if (argc != 2) {
		fprintf(stderr, "exitcost: usage: exitcost N (round trips per batch, 1..%d)\n", MAX_N);
		return 1;
	}
	errno = 0;
	n = strtoul(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || n < 1 || n > MAX_N) {
		fprintf(stderr, "exitcost: '%s': want a number of round trips per batch, 1..%d\n", argv[1], MAX_N);
		return 1;
	}
	have_b = ioperm(PORT_B, 1, 1) == 0;
	b_errno = errno;
	port_fd = open("/dev/port", O_RDWR);
	port_errno = errno;
	if (signal(SIGILL, on_fault) == SIG_ERR || signal(SIGSEGV, on_fault) == SIG_ERR) {
		fprintf(stderr, "exitcost: cannot catch SIGILL and SIGSEGV: %s\n", strerror(errno));
		return 1;
	}
	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const struct kind *kd = &kinds[k];
		uint64_t t[BATCHES], rax = 0;
		unsigned at_min = 0;
		char lo[32], med[32], hi[32];

		if (kd->loop == loop_inb61 && !have_b) {
			printf("%s: not available (ioperm of port 0x%x: %s)\n", kd->name, PORT_B, strerror(b_errno));
			continue;
		}
		if (kd->loop == loop_pread61 && port_fd < 0) {
			printf("%s: not available (open /dev/port: %s)\n", kd->name, strerror(port_errno));
			continue;
		}
		sig = sigsetjmp(undefined, 1);
		if (sig) {
			mark(0);
			if (sig == SIGILL && kd->loop == loop_vmmcall) {
				printf("%s: not available (#UD: no hypervisor answers it)\n", kd->name);
			} else if (sig == SIGSEGV && kd->loop == loop_inb61) {
				printf("%s: not available (#GP at CPL 3 despite ioperm)\n", kd->name);
			} else {
				fprintf(stderr, "exitcost: %s: signal %d\n", kd->name, sig);
				return 1;
			}
			continue;
		}
		mark(MARK_BASE + k);
		for (unsigned b = 0; b < BATCHES; b++) {
			uint64_t t0 = tsc();
			rax = kd->loop(n);
			t[b] = tsc() - t0;
			if (kd->loop == loop_pread61 && rax == ~(uint64_t)0) {
				fprintf(stderr, "exitcost: pread of port 0x%x through /dev/port: %s\n", PORT_B,
					strerror(errno));
				return 1;
			}
		}
		mark(0);
		qsort(t, BATCHES, sizeof(t[0]), cmp_u64);
		while (at_min < BATCHES && t[at_min] == t[0])
			at_min++;
		per_trip(lo, sizeof(lo), t[0], n);
		per_trip(med, sizeof(med), t[BATCHES / 2], n);
		per_trip(hi, sizeof(hi), t[BATCHES - 1], n);
		printf("%s: %lu round trips x %d batches, ticks per round trip min %s median %s max %s, %u at the min",
		       kd->name, n, BATCHES, lo, med, hi, at_min);
		if (kd->show_rax)
			printf(", rax=0x%llx", (unsigned long long)rax);
		printf("\n");
	}
	mark(MARK_BASE + sizeof(kinds) / sizeof(kinds[0]));
	uint64_t t0 = tsc();
	loop_nop(SPIN);
	uint64_t spin = tsc() - t0;
	mark(0);
	uint64_t own = (uint64_t)SPIN * LOOP_INSNS;
	printf("spin: %d iterations of the nop loop in %llu ticks, %lld beyond its %d instructions each\n", SPIN,
	       (unsigned long long)spin, (long long)(spin - own), LOOP_INSNS);
	return fflush(stdout) ? 1 : 0;
}
