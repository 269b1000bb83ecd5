/* Native port I/O door. See kernel/hw/pio.h. */
#include "kernel/hw/pio.h"

u8 pio_in8(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

u16 pio_in16(u16 port)
{
	u16 v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

u32 pio_in32(u16 port)
{
	u32 v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void pio_out8(u16 port, u8 val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

void pio_out16(u16 port, u16 val)
{
	__asm__ volatile("outw %0, %1" : : "a"(val), "Nd"(port));
}

void pio_out32(u16 port, u32 val)
{
	__asm__ volatile("outl %0, %1" : : "a"(val), "Nd"(port));
}
