/*
 * The PC's pair of 8259A interrupt controllers as a partition's guest sees
 * them: the master at ports 0x20/0x21, the slave at 0xa0/0xa1 cascaded on
 * the master's IR2, in x86 (8086) mode. ICW1-ICW4, the interrupt mask
 * (OCW1), EOI, rotation and priority commands (OCW2), IRR/ISR reads, poll
 * and special mask mode (OCW3), fully nested priority, the acknowledge
 * cycle that turns a request into a vector. Portable, host-tested.
 * Spec: Intel 8259A Programmable Interrupt Controller (8259A/8259A-2)
 * data sheet, order number 231468-003: "Interrupt Sequence",
 * "Programming the 8259A" (Initialization Command Words, Operation
 * Command Words), "The Fully Nested Mode", "End of Interrupt",
 * "Automatic Rotation", "Special Mask Mode", "Poll Command", "Reading the
 * 8259A Status", "Cascade Mode".
 * Left out: level-triggered inputs (ICW1 LTIM is counted and the inputs
 * stay edge-triggered; the chipset's ELCR at 0x4d0 is not there), 8080
 * mode (ICW4 uPM = 0, or no ICW4, is counted; vectors stay 8086-style),
 * buffered mode (no effect here).
 */
#ifndef VM_DEV_VPIC_H
#define VM_DEV_VPIC_H
#include "kernel/types.h"

/* The PC/AT's I/O addresses: A0 = 0 (command) and A0 = 1 (data) of each chip. */
#define VPIC_MASTER_CMD         0x20
#define VPIC_MASTER_DATA        0x21
#define VPIC_SLAVE_CMD          0xa0
#define VPIC_SLAVE_DATA         0xa1
#define VPIC_CASCADE_IR         2       /* the master's input the slave's INT drives */

/* "Initialization Command Words": ICW1 is a write with A0 = 0 and D4 = 1. */
#define ICW1_IC4                BIT_ULL(0)      /* ICW4 follows */
#define ICW1_SNGL               BIT_ULL(1)      /* single chip: no ICW3 */
#define ICW1_ADI                BIT_ULL(2)      /* call address interval (8080 mode only) */
#define ICW1_LTIM               BIT_ULL(3)      /* level-triggered inputs */
#define ICW1_SELECT             BIT_ULL(4)
#define ICW2_VECTOR             GENMASK_ULL(7, 3)       /* T7-T3: the vector's upper bits in 8086 mode */
#define ICW4_UPM                BIT_ULL(0)      /* 8086/8088 mode */
#define ICW4_AEOI               BIT_ULL(1)      /* automatic end of interrupt */
#define ICW4_MS                 BIT_ULL(2)      /* master (buffered mode) */
#define ICW4_BUF                BIT_ULL(3)      /* buffered mode */
#define ICW4_SFNM               BIT_ULL(4)      /* special fully nested mode */

/* "Operation Command Words": OCW2 (A0 = 0, D4:D3 = 00) and OCW3 (A0 = 0, D4:D3 = 01). */
#define OCW_SELECT              GENMASK_ULL(4, 3)
#define  OCW_SELECT_OCW2        0
#define  OCW_SELECT_OCW3        1
#define OCW2_LEVEL              GENMASK_ULL(2, 0)       /* L2-L0: the IR a specific command names */
#define OCW2_CMD                GENMASK_ULL(7, 5)       /* R, SL, EOI */
#define  OCW2_ROTATE_AEOI_CLEAR 0
#define  OCW2_EOI               1       /* non-specific EOI */
#define  OCW2_NOP               2
#define  OCW2_SPECIFIC_EOI      3
#define  OCW2_ROTATE_AEOI_SET   4
#define  OCW2_ROTATE_EOI        5       /* rotate on non-specific EOI */
#define  OCW2_SET_PRIORITY      6
#define  OCW2_ROTATE_SPECIFIC   7       /* rotate on specific EOI */
#define OCW3_RIS                BIT_ULL(0)      /* with RR: 1 reads ISR, 0 reads IRR */
#define OCW3_RR                 BIT_ULL(1)      /* read register command */
#define OCW3_POLL               BIT_ULL(2)
#define OCW3_SMM                BIT_ULL(5)      /* with ESMM: special mask mode on or off */
#define OCW3_ESMM               BIT_ULL(6)
/* "Poll Command": the byte read after a poll. */
#define VPIC_POLL_INT           BIT_ULL(7)      /* an interrupt was pending; W2-W0 its IR */

/* What a PC's firmware leaves programmed (the vector bases of the PC/AT's BIOS). */
#define VPIC_FW_MASTER_BASE     0x08
#define VPIC_FW_SLAVE_BASE      0x70

struct vpic_chip {
	u8 irr, isr, imr;
	u8 base;                /* ICW2: vectors base | IR */
	u8 icw3;                /* stored: the cascade is wired as on a PC (slave on IR2) */
	u8 lowest;              /* the IR with the lowest priority (7 after ICW1; rotation moves it) */
	u8 init_step;           /* 0: operating; 2, 3, 4: ICWn expected next */
	bool ic4, single, aeoi, sfnm, rotate_aeoi;
	bool smm;               /* special mask mode */
	bool read_isr;          /* OCW3 RR: a command-port read gives the ISR, else the IRR */
	bool poll;              /* OCW3 P: the next command-port read is a poll */
};

struct vpic {
	struct vpic_chip chip[2];       /* [0] master, [1] slave */
	/* Counters, for the partition's summary. */
	u64 delivered, spurious, eois, unsupported;
};

/*
 * The state a PC's firmware leaves: both chips initialized (edge, cascade,
 * 8086 mode, normal EOI), vector bases 0x08 and 0x70, every input masked
 * but the master's IR0 (the timer) and IR2 (the cascade). Counters zero.
 */
void vpic_reset_firmware(struct vpic *v);
/* Whether port is one of the four. */
bool vpic_claims(u16 port);
/* A byte read of a claimed port: IRR, ISR or a poll at the command port, the IMR at the data port. */
u8 vpic_in(struct vpic *v, u16 port);
/* A byte write of a claimed port: ICW1, OCW2 or OCW3 at the command port; ICW2-4 or OCW1 at the data port. */
void vpic_out(struct vpic *v, u16 port, u8 val);
/* A rising edge on input irq (0-15): its IRR bit is set (masked or not, as the chip latches it). */
void vpic_edge(struct vpic *v, u32 irq);
/*
 * Whether the master's INT output is asserted: an unmasked request whose
 * priority is above every IR in service (the slave's through IR2). The
 * IR (0-15) that would be acknowledged, or -1.
 */
int vpic_output(const struct vpic *v);
/*
 * The acknowledge cycle (INTA): the highest request moves from IRR to
 * ISR (not with AEOI) and its vector is returned; with no request left,
 * the chip's IR7 vector without an ISR bit, counted as spurious.
 */
u8 vpic_ack(struct vpic *v);
/* Whether input irq (0-15) is unmasked all the way to the master's output (the slave's through IR2). */
bool vpic_unmasked(const struct vpic *v, u32 irq);

#endif
