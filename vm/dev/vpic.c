/*
 * A partition's 8259A pair (vm/dev/vpic.h). Each chip resolves its own
 * requests by rotating priority (the IR after `lowest` is the highest);
 * the slave's INT is a level input on the master's IR2, computed when
 * asked rather than latched in the master's IRR.
 */
#include "vm/dev/vpic.h"
#include "kernel/lib.h"

/* An IR's rank on its chip: 0 is the highest priority ("The Fully Nested Mode", "Automatic Rotation"). */
static u32 rank(const struct vpic_chip *c, u32 ir)
{
	return (ir - c->lowest - 1) & 7;
}

/* The highest-priority IR set in bits, or -1. */
static int best(const struct vpic_chip *c, u8 bits)
{
	for (u32 i = 0; i < 8; i++) {
		u32 ir = (c->lowest + 1 + i) & 7;
		if (bits & (1u << ir))
			return (int)ir;
	}
	return -1;
}

static int chip_output(const struct vpic *v, u32 n);

/* The requests chip n sees: its IRR, and on the master the slave's INT at IR2. */
static u8 requests(const struct vpic *v, u32 n)
{
	u8 req = v->chip[n].irr;
	if (n == 0 && !v->chip[0].single && chip_output(v, 1) >= 0)
		req |= 1u << VPIC_CASCADE_IR;
	return req;
}

/*
 * Chip n's INT: its highest unmasked request when that outranks every IR
 * in service (in special mask mode only unmasked ones count; in special
 * fully nested mode the master's IR2 does not block the slave's own
 * higher requests). The IR, or -1.
 */
static int chip_output(const struct vpic *v, u32 n)
{
	const struct vpic_chip *c = &v->chip[n];
	if (c->init_step)
		return -1;
	int ir = best(c, requests(v, n) & ~c->imr);
	if (ir < 0)
		return -1;
	u8 in = c->smm ? c->isr & ~c->imr : c->isr;
	if (n == 0 && c->sfnm && ir == VPIC_CASCADE_IR)
		in &= ~(1u << VPIC_CASCADE_IR);
	int cur = best(c, in);
	if (cur >= 0 && rank(c, (u32)cur) <= rank(c, (u32)ir))
		return -1;
	return ir;
}

static void chip_init_done(struct vpic_chip *c, u8 base, u8 icw3)
{
	memset(c, 0, sizeof(*c));
	c->base = base;
	c->icw3 = icw3;
	c->lowest = 7;
	c->ic4 = true;
}

void vpic_reset_firmware(struct vpic *v)
{
	memset(v, 0, sizeof(*v));
	chip_init_done(&v->chip[0], VPIC_FW_MASTER_BASE, 1u << VPIC_CASCADE_IR);
	chip_init_done(&v->chip[1], VPIC_FW_SLAVE_BASE, VPIC_CASCADE_IR);
	v->chip[0].imr = (u8)~(BIT_ULL(0) | BIT_ULL(VPIC_CASCADE_IR));
	v->chip[1].imr = 0xff;
}

bool vpic_claims(u16 port)
{
	return port == VPIC_MASTER_CMD || port == VPIC_MASTER_DATA || port == VPIC_SLAVE_CMD || port == VPIC_SLAVE_DATA;
}

/* An IR acknowledged on chip c: out of the IRR, into the ISR unless AEOI (which may rotate). */
static void take(struct vpic_chip *c, u32 ir, bool from_irr)
{
	if (from_irr)
		c->irr &= (u8)~(1u << ir);
	if (!c->aeoi)
		c->isr |= (u8)(1u << ir);
	else if (c->rotate_aeoi)
		c->lowest = (u8)ir;
}

u8 vpic_ack(struct vpic *v)
{
	int ir = chip_output(v, 0);
	if (ir < 0) {
		/* SPEC: with no request at the INTA, "the 8259A will issue an IR7". */
		v->spurious++;
		return (u8)(v->chip[0].base | 7);
	}
	if (ir != VPIC_CASCADE_IR || v->chip[0].single) {
		take(&v->chip[0], (u32)ir, true);
		v->delivered++;
		return (u8)(v->chip[0].base | ir);
	}
	int sir = chip_output(v, 1);
	take(&v->chip[0], VPIC_CASCADE_IR, false);
	if (sir < 0) {
		v->spurious++;
		return (u8)(v->chip[1].base | 7);
	}
	take(&v->chip[1], (u32)sir, true);
	v->delivered++;
	return (u8)(v->chip[1].base | sir);
}

int vpic_output(const struct vpic *v)
{
	int ir = chip_output(v, 0);
	if (ir == VPIC_CASCADE_IR && !v->chip[0].single) {
		int sir = chip_output(v, 1);
		return sir < 0 ? -1 : 8 + sir;
	}
	return ir;
}

bool vpic_unmasked(const struct vpic *v, u32 irq)
{
	const struct vpic_chip *m = &v->chip[0];
	if (m->init_step)
		return false;
	if (irq < 8)
		return !(m->imr & (1u << irq));
	return !v->chip[1].init_step && !(v->chip[1].imr & (1u << (irq - 8))) && !(m->imr & (1u << VPIC_CASCADE_IR));
}

void vpic_edge(struct vpic *v, u32 irq)
{
	if (irq < 16)
		v->chip[irq / 8].irr |= (u8)(1u << (irq % 8));
}

/* "Poll Command": the read acknowledges the chip's highest request, as an INTA would, without a vector. */
static u8 poll(struct vpic *v, u32 n)
{
	struct vpic_chip *c = &v->chip[n];
	int ir = chip_output(v, n);
	c->poll = false;
	if (ir < 0)
		return 0;
	take(c, (u32)ir, !(n == 0 && ir == VPIC_CASCADE_IR && !c->single));
	return (u8)(VPIC_POLL_INT | ir);
}

u8 vpic_in(struct vpic *v, u16 port)
{
	u32 n = port == VPIC_SLAVE_CMD || port == VPIC_SLAVE_DATA;
	struct vpic_chip *c = &v->chip[n];

	if (port == VPIC_MASTER_DATA || port == VPIC_SLAVE_DATA)
		return c->imr;
	if (c->poll)
		return poll(v, n);
	return c->read_isr ? c->isr : requests(v, n);
}

/* OCW2: EOIs, rotation, priority ("End of Interrupt", "Automatic Rotation", "Specific Rotation"). */
static void ocw2(struct vpic *v, struct vpic_chip *c, u8 val)
{
	u32 l = (u32)FIELD_GET(OCW2_LEVEL, val);
	int ir;

	switch (FIELD_GET(OCW2_CMD, val)) {
	case OCW2_EOI:
	case OCW2_ROTATE_EOI:
		v->eois++;
		/* SPEC: a non-specific EOI "will automatically reset the highest IS bit of those that are set". */
		ir = best(c, c->isr);
		if (ir < 0)
			return;
		c->isr &= (u8)~(1u << ir);
		if (FIELD_GET(OCW2_CMD, val) == OCW2_ROTATE_EOI)
			c->lowest = (u8)ir;
		return;
	case OCW2_SPECIFIC_EOI:
	case OCW2_ROTATE_SPECIFIC:
		v->eois++;
		c->isr &= (u8)~(1u << l);
		if (FIELD_GET(OCW2_CMD, val) == OCW2_ROTATE_SPECIFIC)
			c->lowest = (u8)l;
		return;
	case OCW2_SET_PRIORITY:
		c->lowest = (u8)l;
		return;
	case OCW2_ROTATE_AEOI_SET:
		c->rotate_aeoi = true;
		return;
	case OCW2_ROTATE_AEOI_CLEAR:
		c->rotate_aeoi = false;
		return;
	default:
		return;         /* OCW2_NOP */
	}
}

static void ocw3(struct vpic_chip *c, u8 val)
{
	if (val & OCW3_ESMM)
		c->smm = (val & OCW3_SMM) != 0;
	if (val & OCW3_POLL)
		c->poll = true;
	if (val & OCW3_RR)
		c->read_isr = (val & OCW3_RIS) != 0;
}

/* ICW2-ICW4 in turn after an ICW1, then OCW1 (the mask). */
static void data_write(struct vpic *v, struct vpic_chip *c, u8 val)
{
	switch (c->init_step) {
	case 2:
		c->base = (u8)(val & ICW2_VECTOR);
		c->init_step = c->single ? (c->ic4 ? 4 : 0) : 3;
		return;
	case 3:
		c->icw3 = val;
		c->init_step = c->ic4 ? 4 : 0;
		return;
	case 4:
		c->aeoi = (val & ICW4_AEOI) != 0;
		c->sfnm = (val & ICW4_SFNM) != 0;
		if (!(val & ICW4_UPM))
			v->unsupported++;
		c->init_step = 0;
		return;
	default:
		c->imr = val;
	}
}

void vpic_out(struct vpic *v, u16 port, u8 val)
{
	u32 n = port == VPIC_SLAVE_CMD || port == VPIC_SLAVE_DATA;
	struct vpic_chip *c = &v->chip[n];

	if (port == VPIC_MASTER_DATA || port == VPIC_SLAVE_DATA) {
		data_write(v, c, val);
		return;
	}
	if (val & ICW1_SELECT) {
		/*
		 * SPEC: ICW1 resets the edge sense circuit, clears the IMR, gives
		 * IR7 the lowest priority, clears special mask mode and selects
		 * IRR reads; without IC4 every ICW4 function is zero. Requests
		 * and the ISR are dropped too (an edge must come again).
		 */
		memset(c, 0, sizeof(*c));
		c->lowest = 7;
		c->ic4 = (val & ICW1_IC4) != 0;
		c->single = (val & ICW1_SNGL) != 0;
		c->init_step = 2;
		/* Level-triggered inputs, and 8080 mode (what no ICW4 means), are not offered: counted. */
		if ((val & ICW1_LTIM) || !(val & ICW1_IC4))
			v->unsupported++;
		return;
	}
	if (FIELD_GET(OCW_SELECT, val) == OCW_SELECT_OCW2)
		ocw2(v, c, val);
	else
		ocw3(c, val);           /* D4:D3 = 01: with D4 clear nothing else is left */
}
