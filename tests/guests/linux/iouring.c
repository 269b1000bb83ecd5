/*
 * iouring: O_DIRECT reads or writes of one block at a time through io_uring,
 * completed by the device's interrupt or by polling its completion queue
 * (docs/testing.md, "Polled I/O"). Built static by tools/linux-image into
 * the test initramfs as /bin/iouring; the init runs it for sluice.iopoll.
 *
 *   iouring read|write irq|poll DEVICE BS COUNT SKIP MARK
 *
 * COUNT I/Os of BS bytes, one in flight, from block SKIP on. poll sets the
 * ring up with IORING_SETUP_IOPOLL: Linux 6.1 polls only for such I/O
 * (block/fops.c polls the bios of asynchronous direct I/O marked HIPRI,
 * which is what io_uring's IOPOLL submits; synchronous preadv2 with
 * RWF_HIPRI no longer polls) and only on a poll queue (nvme's
 * poll_queues parameter); on a device without one the bio loses its poll
 * flag and the interrupt completes it while io_uring spins. irq sets the
 * ring up without it: the same path, completed by the interrupt.
 *
 * Like the init's dd runs (tests/guests/linux/init), the run is framed by
 * writes of MARK and 0 to Sluice's mark port (0xe8, through /dev/port) outside its timing and
 * by the lines "sluice-linux: bench mark=MARK start" and "... end" written
 * to /dev/kmsg right around the I/O, and ends with one line in the init's
 * bench format, OP being read-irq, read-poll, write-irq or write-poll:
 *
 *   sluice-linux: bench OP bs=BS: COUNT I/Os, BYTES bytes in MS ms: N IO/s, K KiB/s
 *
 * Exits 0, or 1 with one line on standard error.
 */
#define _GNU_SOURCE     /* O_DIRECT */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MARK_PORT       0xe8            /* SLUICE_PORT_MARK */
#define ENTRIES         4

struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int kmsg = -1;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n = snprintf(line, sizeof(line), "sluice-linux: ");

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (write(kmsg, line, (size_t)n) < 0)
		fprintf(stderr, "iouring: /dev/kmsg: %s\n", strerror(errno));
}

static int die(const char *what)
{
	fprintf(stderr, "iouring: %s: %s\n", what, strerror(errno));
	return 1;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* Sets r up with entries entries (IOPOLL with poll). Returns 0 or -1 (errno). */
static int ring_setup(struct ring *r, int poll)
{
	struct io_uring_params p;
	size_t sq_size, cq_size;
	uint8_t *sq, *cq;

	memset(&p, 0, sizeof(p));
	p.flags = poll ? IORING_SETUP_IOPOLL : 0;
	r->fd = (int)syscall(__NR_io_uring_setup, ENTRIES, &p);
	if (r->fd < 0)
		return -1;
	sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -1;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* One I/O, submitted and waited for. Returns its result (bytes or -errno). */
static int ring_io(struct ring *r, int op, int fd, void *buf, unsigned len, uint64_t off)
{
	unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	struct io_uring_sqe *sqe = &r->sqes[idx];
	int res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = (uint8_t)op;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)buf;
	sqe->len = len;
	sqe->off = off;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	/*
	 * Submitted by the first call; then each call reaps what completed
	 * (polling the device's queue once on an IOPOLL ring) without waiting.
	 */
	for (unsigned submit = 1;; submit = 0) {
		if (syscall(__NR_io_uring_enter, r->fd, submit, 0, IORING_ENTER_GETEVENTS, NULL, 0) < 0 && errno != EINTR)
			return -errno;
		head = *r->cq_head;
		if (head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
			break;
	}
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* One byte to Sluice's mark port through /dev/port (fd < 0: nothing). */
static void mark_port(int fd, unsigned char v)
{
	if (fd >= 0 && pwrite(fd, &v, 1, MARK_PORT) != 1)
		fprintf(stderr, "iouring: mark %u through /dev/port: %s\n", v, strerror(errno));
}

int main(int argc, char **argv)
{
	unsigned long bs, count, skip, mark;
	int write_op, poll, fd;
	struct ring r;
	void *buf;

	if (argc != 8 || (strcmp(argv[1], "read") && strcmp(argv[1], "write")) ||
	    (strcmp(argv[2], "irq") && strcmp(argv[2], "poll"))) {
		fprintf(stderr, "iouring: usage: iouring read|write irq|poll DEVICE BS COUNT SKIP MARK\n");
		return 1;
	}
	write_op = !strcmp(argv[1], "write");
	poll = !strcmp(argv[2], "poll");
	bs = strtoul(argv[4], NULL, 10);
	count = strtoul(argv[5], NULL, 10);
	skip = strtoul(argv[6], NULL, 10);
	mark = strtoul(argv[7], NULL, 10);
	if (!bs || bs % 512 || bs > (1ul << 20) || !count || !mark || mark > 255) {
		fprintf(stderr, "iouring: want BS a multiple of 512 up to 1 MiB, COUNT from 1, MARK 1..255\n");
		return 1;
	}
	kmsg = open("/dev/kmsg", O_WRONLY);
	if (kmsg < 0)
		return die("/dev/kmsg");
	fd = open(argv[3], (write_op ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0)
		return die(argv[3]);
	if (posix_memalign(&buf, 4096, bs))
		return die("buffer");
	memset(buf, 0, bs);
	if (ring_setup(&r, poll))
		return die(poll ? "io_uring_setup with IORING_SETUP_IOPOLL" : "io_uring_setup");
	/*
	 * The marks go through /dev/port, as the init's do: the kernel does the
	 * OUT at CPL 0. A process's own OUT (ioperm) faults in a KVM guest under
	 * QEMU's emulation (docs/testing.md, "The peer"); with no /dev/port (or
	 * no Sluice behind the port) the run is only unmarked.
	 */
	int port = open("/dev/port", O_WRONLY);

	mark_port(port, (unsigned char)mark);
	uint64_t t0 = now_ns();
	say("bench mark=%lu start\n", mark);
	for (unsigned long i = 0; i < count; i++) {
		int res = ring_io(&r, write_op ? IORING_OP_WRITE : IORING_OP_READ, fd, buf, (unsigned)bs,
				  (skip + i) * bs);
		if (res != (int)bs) {
			errno = res < 0 ? -res : EIO;
			fprintf(stderr, "iouring: %s %s of %lu bytes at block %lu: %s\n", argv[1], argv[2], bs, skip + i,
				res < 0 ? strerror(-res) : "short");
			return 1;
		}
	}
	say("bench mark=%lu end\n", mark);
	uint64_t ns = now_ns() - t0;
	mark_port(port, 0);
	say("bench %s-%s bs=%lu: %lu I/Os, %lu bytes in %llu ms: %llu IO/s, %llu KiB/s\n", argv[1], argv[2], bs, count,
	    bs * count, (unsigned long long)(ns / 1000000), (unsigned long long)(count * 1000000000ull / ns),
	    (unsigned long long)(bs * count * 1000000000ull / ns / 1024));
	return 0;
}
