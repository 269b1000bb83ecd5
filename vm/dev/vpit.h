/*
 * One counter of the PC's 8254 interval timer as a partition's guest
 * sees it: counter 0 (data port 0x40), whose OUT drives IR0 of the
 * partition's 8259A (vm/dev/vpic.h) with legacy-pic = on, or counter 2
 * (port 0x42), the speaker's, whose GATE and OUT are bits 0 and 5 of
 * port 0x61, which every partition has (kernels time their TSC with it);
 * the control word at port 0x43 is the dispatcher's to route (SC field,
 * read-back bits). Modes 0 to 5 with a binary 16-bit count (0 counts
 * 65536), LSB/MSB access, the counter latch and read-back commands,
 * counting at 1.193182 MHz on the real clock. Portable: the caller polls
 * it at the deadline it returns. Counter 1 (port 0x41, the old DRAM
 * refresh) is not offered: a control word or read-back naming it is
 * counted.
 * Spec: Intel 8254 Programmable Interval Timer data sheet, order number
 * 231164-005: "Control Word Format", "Write Operations", "Read Operations"
 * (Counter Latch Command, Read-Back Command, Status Byte), "Mode
 * Definitions" (modes 0-5, and what GATE does in each).
 * Left out: BCD counting (counted, the count stays binary); modes 1 and 5,
 * triggered by a GATE edge, never start (counter 0's GATE is tied high on
 * a PC; counter 2 in those modes is counted as unsupported).
 */
#ifndef VM_DEV_VPIT_H
#define VM_DEV_VPIT_H
#include "kernel/types.h"
#include "kernel/pit_hw.h"

/* What a PC's firmware leaves in counter 0: rate generator, count 0 (65536): 18.2 Hz. */
#define VPIT_FW_MODE            2

struct vpit {
	u8 counter;             /* 0 or 2: which of the 8254's counters this is */
	u8 mode, rw;            /* from the last control word */
	bool bcd;
	u32 count;              /* the count loaded (1-65536) */
	u32 next_count;         /* modes 2, 3: a count written while counting, loaded at the period's end (0: none) */
	bool counting;          /* a count was written after the control word */
	bool fired;             /* modes 0, 4: the terminal count was reached */
	u64 start_ns;           /* when the current period (or the one-shot) began */
	bool write_msb;         /* LSB/MSB access: the next byte written is the MSB */
	u8 write_lsb;
	bool read_msb;          /* LSB/MSB access: the next byte read is the MSB */
	bool latched;           /* a latched count waits to be read */
	u16 latch;
	bool latch_msb;         /* its next byte is the MSB */
	bool status_latched;
	u8 status;
	bool gate_low;          /* GATE low: modes 0, 2, 3 and 4 hold their count (counter 2 only) */
	bool paused;            /* counting, held by GATE low at: */
	u16 frozen;
	bool frozen_out;
	/* Counters, for the partition's summary. */
	u64 edges, other_accesses, unsupported;
};

/* Counter 0 as a PC's firmware leaves it: VPIT_FW_MODE, count 65536, LSB/MSB access, counting from now_ns. */
void vpit_reset_firmware(struct vpit *t, u64 now_ns);
/* Counter 2 as firmware leaves it: no count written, GATE low (port 0x61 bit 0 clear), mode 0, LSB/MSB access. */
void vpit_reset_counter2(struct vpit *t);
/* Whether port is one of 0x40-0x43. */
bool vpit_claims(u16 port);
/*
 * A byte read at this counter's data port: latched status, latched count
 * or the live count. Any other port (another counter's, the control
 * port) reads 0, counted.
 */
u8 vpit_in(struct vpit *t, u16 port, u64 now_ns);
/*
 * A byte write: a control word (port 0x43; one for another counter is
 * counted, a read-back acts on this counter when it names it) or a count
 * byte at this counter's data port.
 */
void vpit_out(struct vpit *t, u16 port, u8 val, u64 now_ns);
/* GATE at now_ns: low holds the count in modes 0, 2, 3 and 4; rising, modes 2 and 3 reload. */
void vpit_gate(struct vpit *t, bool high, u64 now_ns);
/* OUT's level at now_ns (port 0x61 bit 5 for counter 2). */
bool vpit_output(const struct vpit *t, u64 now_ns);
/*
 * The counter at now_ns: the rising edges of OUT since the last poll
 * (periods missed count as one, as the 8259A latches one request).
 * Returns how many edges there were (0 or 1) and sets *next_ns to the next
 * one (0: none will come).
 */
u32 vpit_poll(struct vpit *t, u64 now_ns, u64 *next_ns);
/* The period of OUT in ns for the loaded count (0 for the one-shot modes and while not counting). */
u64 vpit_period_ns(const struct vpit *t);

#endif
