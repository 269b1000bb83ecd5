/*
 * Measured intervals: the VM exits, by reason, and the time between two
 * marks the guest sets. SLUICE_HC_IO_LOOP marks them with hypercalls; a
 * Linux partition (entry = linux), which makes no hypercalls, with byte
 * writes to SLUICE_PORT_MARK (vm/part/guest_abi.h): N in 1..255 opens
 * interval N, 0 closes it and logs one line. Only one interval is open at
 * a time; the marks' own exits are not counted.
 */
#define LOG_SUBSYS "part"
#include "vm/part/partition.h"
#include "kernel/log.h"
#include "kernel/fmt.h"
#include "kernel/lib.h"
#include "kernel/hw/time.h"

void partition_interval_begin(struct partition *p)
{
	for (u32 r = 0; r < VM_EXIT_NR; r++)
		p->io_loop_by_reason[r] = partition_exits(p, (enum vm_exit_reason)r);
	p->io_loop_t0 = time_now_ns();
	p->io_loop_start = partition_total_exits(p);
}

/*
 * Closes the open interval from inside an exit of reason self (its own exit,
 * left out as the one that opened it was). Returns its exits; by_reason
 * (when not NULL) gets them by reason, *ns its length.
 */
u64 partition_interval_end(struct partition *p, enum vm_exit_reason self, u64 by_reason[VM_EXIT_NR], u64 *ns)
{
	u64 exits = partition_total_exits(p) - 1 - p->io_loop_start;

	*ns = time_now_ns() - p->io_loop_t0;
	for (u32 r = 0; by_reason && r < VM_EXIT_NR; r++)
		by_reason[r] = partition_exits(p, (enum vm_exit_reason)r) - p->io_loop_by_reason[r] - (r == self);
	p->io_loop_start = ~0ULL;
	return exits;
}

/* "io 3, npf 1" of the nonzero counts c[1..], "none" without any. Returns buf. */
char *exit_reasons_format(const u64 c[VM_EXIT_NR], char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (u32 r = 1; r < VM_EXIT_NR && n < size; r++)
		if (c[r])
			n += (size_t)fmt_snprintf(buf + n, size - n, "%s%s %llu", n ? ", " : "",
						  vm_exit_reason_name((enum vm_exit_reason)r), (unsigned long long)c[r]);
	if (!n)
		str_copy(buf, "none", size);
	return buf;
}

static void mark_refuse(struct partition *p, const char *why, u32 val)
{
	if (p->mark_refused++ < PART_LOG_UNCLAIMED)
		log_write(LOG_WARN, p->cfg->name, "mark port 0x%04x: %s (value 0x%x)", SLUICE_PORT_MARK, why, val);
}

/*
 * One access to the mark port from a Linux partition's exit: true when it
 * was one (a read gives the open interval's number, 0: none), false: the
 * port is not the mark port or the partition is not a Linux one.
 */
bool partition_mark_port(struct partition *p, u16 port, u32 size, bool in, u32 *val)
{
	if (port != SLUICE_PORT_MARK || p->cfg->entry != GUEST_ENTRY_LINUX)
		return false;
	if (in) {
		*val = p->mark_open;
		return true;
	}
	u32 b = *val & 0xff;
	if (size != 1)
		mark_refuse(p, "writes are single bytes, dropped", *val);
	else if (b && p->io_loop_start != ~0ULL)
		mark_refuse(p, "an interval is open already, dropped", b);
	else if (b) {
		p->mark_open = (u8)b;
		partition_interval_begin(p);
	} else if (!p->mark_open)
		mark_refuse(p, "no interval is open to close, dropped", b);
	else {
		u64 c[VM_EXIT_NR], ns;
		char buf[LOG_LINE_MAX / 2];
		u64 exits = partition_interval_end(p, VM_EXIT_IO, c, &ns);
		vuart_flush(&p->uart);
		log_write(LOG_INFO, p->cfg->name, "mark %u: %llu VM exits in %llu us (%s)", p->mark_open,
			  (unsigned long long)exits, (unsigned long long)(ns / 1000), exit_reasons_format(c, buf, sizeof(buf)));
		p->mark_open = 0;
		p->marks++;
	}
	return true;
}
