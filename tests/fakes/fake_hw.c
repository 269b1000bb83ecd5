/* Host versions of the CPU, port I/O and time doors. */
#include <string.h>
#include "kernel/hw/cpu.h"
#include "kernel/hw/pio.h"
#include "kernel/hw/time.h"
#include "tests/fakes/fake_hw.h"

struct fake_pio_write fake_pio_log[FAKE_PIO_LOG_MAX];
unsigned fake_pio_nr;
u32 (*fake_pio_read_hook)(u16 port, u8 width);
void (*fake_cpuid_hook)(u32 leaf, u32 subleaf, struct cpuid_regs *r);
u64 fake_time_ns, fake_time_step_ns;
u64 fake_tsc, fake_tsc_step;
jmp_buf fake_halt_jmp;
unsigned fake_flushes;
u64 fake_flushed_bytes;
unsigned fake_halts;

void fake_hw_reset(void)
{
	fake_pio_nr = 0;
	fake_pio_read_hook = NULL;
	fake_cpuid_hook = NULL;
	fake_time_ns = 0;
	fake_time_step_ns = 1000;
	fake_tsc = 0;
	fake_tsc_step = 1;
	fake_halts = 0;
	fake_flushes = 0;
	fake_flushed_bytes = 0;
}

static void record(u16 port, u32 val, u8 width)
{
	if (fake_pio_nr < FAKE_PIO_LOG_MAX)
		fake_pio_log[fake_pio_nr++] = (struct fake_pio_write){ port, val, width };
}

static u32 rd(u16 port, u8 width)
{
	if (fake_pio_read_hook)
		return fake_pio_read_hook(port, width);
	return width == 1 ? 0xff : width == 2 ? 0xffff : 0xffffffff;
}

u8 pio_in8(u16 port) { return (u8)rd(port, 1); }
u16 pio_in16(u16 port) { return (u16)rd(port, 2); }
u32 pio_in32(u16 port) { return rd(port, 4); }
void pio_out8(u16 port, u8 val) { record(port, val, 1); }
void pio_out16(u16 port, u16 val) { record(port, val, 2); }
void pio_out32(u16 port, u32 val) { record(port, val, 4); }

unsigned fake_pio_writes_to(u16 port)
{
	unsigned n = 0;
	for (unsigned i = 0; i < fake_pio_nr; i++)
		n += fake_pio_log[i].port == port;
	return n;
}

u32 fake_pio_write_value(u16 port, unsigned n)
{
	for (unsigned i = 0; i < fake_pio_nr; i++)
		if (fake_pio_log[i].port == port && n-- == 0)
			return fake_pio_log[i].val;
	return ~0u;
}

u64 time_now_ns(void)
{
	u64 t = fake_time_ns;
	fake_time_ns += fake_time_step_ns;
	return t;
}

void cpuid(u32 leaf, u32 subleaf, struct cpuid_regs *r)
{
	memset(r, 0, sizeof(*r));
	if (fake_cpuid_hook)
		fake_cpuid_hook(leaf, subleaf, r);
}

u64 rdmsr(u32 msr)
{
	(void)msr;
	return 0;
}

void wrmsr(u32 msr, u64 val)
{
	(void)msr;
	(void)val;
}

u64 rdtsc(void)
{
	u64 t = fake_tsc;
	fake_tsc += fake_tsc_step;
	return t;
}

void cpu_relax(void)
{
}

void cpu_flush_range(const void *va, size_t len)
{
	(void)va;
	fake_flushes++;
	fake_flushed_bytes += len;
}

bool fake_irq_on;

u64 cpu_irq_save(void)
{
	u64 was = fake_irq_on;
	fake_irq_on = false;
	return was;
}

void cpu_irq_restore(u64 flags)
{
	fake_irq_on = flags != 0;
}

void cpu_irq_enable(void)
{
	fake_irq_on = true;
}

void cpu_halt_forever(void)
{
	fake_halts++;
	longjmp(fake_halt_jmp, 1);
}
