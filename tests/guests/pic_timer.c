/*
 * pic-timer: the legacy timer path of a partition with legacy-pic = on
 * (docs/config.md), from inside. The guest programs nothing at first: the
 * PIC and PIT are as a PC's firmware leaves them (vectors 0x08 and 0x70,
 * IRQ0 unmasked, 18.2 Hz), its local APIC passes the PIC's interrupt on
 * LINT0, and an IDT gate at vector 0x08 counts the ticks with HLT between
 * them, ending each at the PIC (non-specific EOI). Then IRQ0 masked: the
 * request waits in the IRR and is taken once unmasked; then the PIT
 * reprogrammed to 1 kHz (mode 3) and its count latched.
 * Spec: Intel 8259A and 8254 data sheets (the command bytes below).
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/irq.h"
#include "tests/guests/lib/uart.h"

const char guest_name[] = "pic-timer";

#define PIC_CMD                 0x20
#define PIC_DATA                0x21
#define PIC2_DATA               0xa1
#define PIC_EOI                 0x20    /* OCW2: non-specific EOI */
#define PIC_READ_IRR            0x0a    /* OCW3 */
#define PIT_COUNTER0            0x40
#define PIT_CONTROL             0x43
#define PIT_FW_PERIOD_US        54925   /* 65536 ticks of 1.193182 MHz */
#define PIT_1KHZ_COUNT          1193
#define TICKS                   5
#define FAST_MS                 100

static volatile uint64_t ticks;
static uint64_t tsc_khz;

static void tick(void)
{
	ticks++;
	outb(PIC_CMD, PIC_EOI);
}

static uint64_t now_us(void)
{
	return rdtsc() * 1000 / tsc_khz;
}

/* Halts until n ticks were counted or timeout_us of TSC time passed; returns the ticks. */
static uint64_t hlt_ticks(uint64_t n, uint64_t timeout_us)
{
	uint64_t t0 = now_us();
	while (ticks < n && now_us() - t0 < timeout_us)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	return ticks;
}

int guest_main(const struct sluice_start_info *si)
{
	tsc_khz = (uint64_t)sluice_hypercall(SLUICE_HC_LAPIC, 2, 0, 0);
	gprintf("pic-timer: partition %s on CPU %u, TSC at %llu kHz\n", si->name, si->cpu, (unsigned long long)tsc_khz);
	uint8_t imr = inb(PIC_DATA), imr2 = inb(PIC2_DATA);
	verdict(imr == 0xfa && imr2 == 0xff, "PIC masks as firmware leaves them: 0x%02x 0x%02x (IRQ0 and the cascade open)", imr,
		imr2);

	guest_irq_handler(0x08, tick);
	uint64_t t0 = now_us();
	uint64_t n = hlt_ticks(TICKS, 2000000);
	uint64_t us = now_us() - t0;
	gprintf("pic-timer: %llu ticks at the firmware's rate in %llu us, halted between\n", (unsigned long long)n,
		(unsigned long long)us);
	/*
	 * The first tick comes within one period: TICKS take between TICKS - 1
	 * and TICKS periods, later on a busy host. Bochs's TSC and Sluice's
	 * clock differ by some 10 %: one period of slack below.
	 */
	verdict(n == TICKS && us >= (TICKS - 2) * PIT_FW_PERIOD_US && us <= 4 * TICKS * PIT_FW_PERIOD_US,
		"%u ticks of vector 0x08 at 18.2 Hz with nothing programmed: %llu us", TICKS, (unsigned long long)us);

	outb(PIC_DATA, 0xfb);                   /* IRQ0 masked */
	uint64_t before = ticks;
	t0 = now_us();
	while (now_us() - t0 < 2 * PIT_FW_PERIOD_US)
		;
	outb(PIC_CMD, PIC_READ_IRR);
	uint8_t irr = inb(PIC_CMD);
	outb(PIC_DATA, 0xfa);
	__asm__ volatile("sti; nop; cli" ::: "memory");
	verdict((irr & 1) && ticks == before + 1, "masked IRQ0 waits in the IRR (0x%02x) and comes once unmasked", irr);

	outb(PIT_CONTROL, 0x36);                /* counter 0, LSB then MSB, mode 3, binary */
	outb(PIT_COUNTER0, PIT_1KHZ_COUNT & 0xff);
	outb(PIT_COUNTER0, PIT_1KHZ_COUNT >> 8);
	before = ticks;
	t0 = now_us();
	while (now_us() - t0 < FAST_MS * 1000ULL)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	n = ticks - before;
	gprintf("pic-timer: %llu ticks at 1 kHz in %u ms\n", (unsigned long long)n, FAST_MS);
	/* Never more than the periods (plus the one in flight); a late vCPU merges missed ones. */
	verdict(n >= FAST_MS / 4 && n <= FAST_MS + 2, "PIT reprogrammed to 1 kHz: %llu ticks in %u ms", (unsigned long long)n,
		FAST_MS);

	outb(PIT_CONTROL, 0x00);                /* counter latch, counter 0 */
	uint16_t c = inb(PIT_COUNTER0);
	c |= (uint16_t)(inb(PIT_COUNTER0) << 8);
	verdict(c <= PIT_1KHZ_COUNT && !(c & 1), "latched count %u within the reload %u, even in mode 3", c, PIT_1KHZ_COUNT);
	outb(PIC_DATA, 0xff);
	return 0;
}
