/*
 * A counter of a partition's 8254 (vm/dev/vpit.h), kept as the time its
 * current period began: the count a read sees and the edges OUT makes are
 * computed from the real clock when asked, never ticked.
 */
#include "vm/dev/vpit.h"
#include "kernel/lib.h"

#define NS_PER_S                1000000000ULL

/* Whole input-clock ticks in ns (split so that hours of ns do not overflow). */
static u64 ns_ticks(u64 ns)
{
	return ns / NS_PER_S * PIT_HZ + ns % NS_PER_S * PIT_HZ / NS_PER_S;
}

/* The ns that ticks ticks take, rounded up: polled then, the ticks have all passed. */
static u64 ticks_ns(u64 ticks)
{
	return (ticks * NS_PER_S + PIT_HZ - 1) / PIT_HZ;
}

static bool periodic(const struct vpit *t)
{
	return t->mode == 2 || t->mode == 3;
}

static bool one_shot(const struct vpit *t)
{
	return t->mode == 0 || t->mode == 4;
}

void vpit_reset_firmware(struct vpit *t, u64 now_ns)
{
	memset(t, 0, sizeof(*t));
	t->mode = VPIT_FW_MODE;
	t->rw = PIT_RW_LSB_MSB;
	t->count = 65536;
	t->counting = true;
	t->start_ns = now_ns;
}

void vpit_reset_counter2(struct vpit *t)
{
	memset(t, 0, sizeof(*t));
	t->counter = 2;
	t->rw = PIT_RW_LSB_MSB;
	t->count = 65536;
	t->gate_low = true;
}

static u16 data_port(const struct vpit *t)
{
	return (u16)(PIT_PORT_COUNTER0 + t->counter);
}

bool vpit_claims(u16 port)
{
	return port >= PIT_PORT_COUNTER0 && port <= PIT_PORT_CONTROL;
}

u64 vpit_period_ns(const struct vpit *t)
{
	return t->counting && periodic(t) ? ticks_ns(t->count) : 0;
}

u32 vpit_poll(struct vpit *t, u64 now_ns, u64 *next_ns)
{
	u32 edges = 0;

	*next_ns = 0;
	if (!t->counting || t->paused || !(periodic(t) || one_shot(t)))
		return 0;               /* modes 1 and 5 wait for a GATE edge that never comes */
	u64 elapsed = now_ns > t->start_ns ? ns_ticks(now_ns - t->start_ns) : 0;
	if (one_shot(t)) {
		if (t->fired)
			return 0;
		if (elapsed >= t->count) {
			/* Mode 0: OUT rises at the terminal count; mode 4: its strobe ends. Either is one edge. */
			t->fired = true;
			t->edges++;
			return 1;
		}
		*next_ns = t->start_ns + ticks_ns(t->count);
		return 0;
	}
	if (elapsed >= t->count) {
		/* SPEC (modes 2, 3): OUT rises again as the count reloads, once per period. */
		u64 periods = elapsed / t->count;
		/* Whole periods on from the start, to keep the phase; after a long time unpolled, from now. */
		if (periods < 256)
			t->start_ns += periods * t->count * NS_PER_S / PIT_HZ;
		else
			t->start_ns = now_ns - elapsed % t->count * NS_PER_S / PIT_HZ;
		edges = 1;
		t->edges++;
		if (t->next_count) {
			/* SPEC: a count written in mode 2 or 3 is loaded at the end of the current period. */
			t->count = t->next_count;
			t->next_count = 0;
		}
	}
	*next_ns = t->start_ns + ticks_ns(t->count);
	return edges;
}

/* The counting element as a read would see it at now_ns. */
static u16 current(const struct vpit *t, u64 now_ns)
{
	if (t->paused)
		return t->frozen;
	if (!t->counting || !(periodic(t) || one_shot(t)))
		return (u16)t->count;
	u64 e = now_ns > t->start_ns ? ns_ticks(now_ns - t->start_ns) : 0;
	if (one_shot(t))
		return (u16)(t->count - e);     /* it counts on past 0, wrapping */
	e %= t->count;
	if (t->mode == 2)
		return (u16)(t->count - e);
	/*
	 * SPEC (mode 3): the count goes down by two each clock and reloads at
	 * each half period; an odd count loses its odd one on the first clock
	 * of each half, so a read sees even values.
	 */
	u64 half = t->count / 2 ? t->count / 2 : 1;
	return (u16)((t->count & ~1ULL) - 2 * (e % half));
}

bool vpit_output(const struct vpit *t, u64 now_ns)
{
	if (t->paused)
		return t->frozen_out;
	if (!t->counting)
		return t->mode != 0;    /* SPEC: a control word sets OUT low in mode 0, high in the others */
	if (t->mode == 0)
		return t->fired || (now_ns > t->start_ns && ns_ticks(now_ns - t->start_ns) >= t->count);
	if (t->mode == 3) {
		u64 e = now_ns > t->start_ns ? ns_ticks(now_ns - t->start_ns) % t->count : 0;
		return e < (t->count + 1) / 2;
	}
	return true;
}

static u8 status_byte(const struct vpit *t, u64 now_ns)
{
	return (u8)((vpit_output(t, now_ns) ? PIT_ST_OUTPUT : 0) | (t->counting ? 0 : PIT_ST_NULL_COUNT) |
		    FIELD_PREP(PIT_CW_RW, t->rw) | FIELD_PREP(PIT_CW_MODE, t->mode) | (t->bcd ? PIT_CW_BCD : 0));
}

static void latch_count(struct vpit *t, u64 now_ns)
{
	/* SPEC: a second latch before the first is read is ignored. */
	if (t->latched)
		return;
	t->latched = true;
	t->latch = current(t, now_ns);
	t->latch_msb = false;
}

static void control(struct vpit *t, u8 val, u64 now_ns)
{
	u32 sc = (u32)FIELD_GET(PIT_CW_SC, val), rw = (u32)FIELD_GET(PIT_CW_RW, val);

	if (sc == PIT_SC_READ_BACK) {
		u8 own = (u8)(PIT_RB_CNT0 << t->counter);
		if (val & GENMASK_ULL(3, 1) & ~own)
			t->other_accesses++;
		if (!(val & own))
			return;
		if (!(val & PIT_RB_NOT_COUNT))
			latch_count(t, now_ns);
		if (!(val & PIT_RB_NOT_STATUS) && !t->status_latched) {
			t->status_latched = true;
			t->status = status_byte(t, now_ns);
		}
		return;
	}
	if (sc != t->counter) {
		t->other_accesses++;
		return;
	}
	if (rw == PIT_RW_LATCH) {
		latch_count(t, now_ns);
		return;
	}
	u32 mode = (u32)FIELD_GET(PIT_CW_MODE, val);
	t->mode = (u8)(mode >= 6 ? mode - 4 : mode);
	t->rw = (u8)rw;
	t->bcd = (val & PIT_CW_BCD) != 0;
	if (t->bcd || (t->counter && (t->mode == 1 || t->mode == 5)))
		t->unsupported++;
	/* SPEC: "When a Control Word is written to a Counter, all Control Logic is immediately reset". */
	t->counting = false;
	t->paused = false;
	t->fired = false;
	t->next_count = 0;
	t->write_msb = t->read_msb = false;
	t->latched = t->status_latched = false;
}

static void count_write(struct vpit *t, u8 val, u64 now_ns)
{
	u32 c;

	switch (t->rw) {
	case PIT_RW_LSB:
		c = val;
		break;
	case PIT_RW_MSB:
		c = (u32)val << 8;
		break;
	default:
		if (!t->write_msb) {
			t->write_lsb = val;
			t->write_msb = true;
			if (t->mode == 0)
				t->counting = false;    /* SPEC: in mode 0 the first byte stops the count */
			return;
		}
		t->write_msb = false;
		c = t->write_lsb | (u32)val << 8;
	}
	c = c ? c : 65536;
	if (periodic(t) && t->counting) {
		t->next_count = c;
		return;
	}
	t->count = c;
	t->counting = true;
	t->paused = false;
	t->fired = false;
	t->start_ns = now_ns;
	if (t->gate_low)
		vpit_gate(t, false, now_ns);    /* loaded, but held until GATE rises */
}

/*
 * SPEC ("Mode Definitions"): GATE low suspends counting in modes 0, 2, 3
 * and 4 (and in 2 and 3 sets OUT high); a rising GATE resumes modes 0 and
 * 4 where they stopped and starts a new period of modes 2 and 3 from the
 * count. Modes 1 and 5 (triggered by the rising edge) do not count here.
 */
void vpit_gate(struct vpit *t, bool high, u64 now_ns)
{
	bool was_low = t->gate_low;

	t->gate_low = !high;
	if (!t->counting)
		return;
	if (!high && !t->paused) {
		t->frozen = current(t, now_ns);
		t->frozen_out = periodic(t) ? true : vpit_output(t, now_ns);
		t->paused = true;
		return;
	}
	if (high && was_low && t->paused) {
		t->paused = false;
		if (periodic(t)) {
			t->start_ns = now_ns;
			return;
		}
		/* One-shot: on from the held count (0 held means the full 65536 went by, as it wraps). */
		u64 gone = (u64)(u16)(t->count - t->frozen);
		t->start_ns = now_ns - ticks_ns(gone);
		if (t->start_ns > now_ns)
			t->start_ns = 0;
	}
}

u8 vpit_in(struct vpit *t, u16 port, u64 now_ns)
{
	if (port != data_port(t)) {
		t->other_accesses++;
		return 0;
	}
	if (t->status_latched) {
		t->status_latched = false;
		return t->status;
	}
	bool latched = t->latched;
	u16 v = latched ? t->latch : current(t, now_ns);
	bool msb;
	if (t->rw == PIT_RW_LSB_MSB) {
		bool *which = latched ? &t->latch_msb : &t->read_msb;
		msb = *which;
		*which = !*which;
		if (latched && msb)
			t->latched = false;
	} else {
		msb = t->rw == PIT_RW_MSB;
		t->latched = false;
	}
	return (u8)(msb ? v >> 8 : v);
}

void vpit_out(struct vpit *t, u16 port, u8 val, u64 now_ns)
{
	if (port == PIT_PORT_CONTROL)
		control(t, val, now_ns);
	else if (port == data_port(t))
		count_write(t, val, now_ns);
	else
		t->other_accesses++;
}
