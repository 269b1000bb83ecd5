/* Door: x86 port I/O. Native in kernel/native/pio.c, fakes in tests/fakes/. */
#ifndef KERNEL_HW_PIO_H
#define KERNEL_HW_PIO_H
#include "kernel/types.h"

u8   pio_in8(u16 port);
u16  pio_in16(u16 port);
u32  pio_in32(u16 port);
void pio_out8(u16 port, u8 val);
void pio_out16(u16 port, u16 val);
void pio_out32(u16 port, u32 val);

#endif
