/* Door: the only way core code touches device registers (MMIO). */
#ifndef KERNEL_HW_IO_H
#define KERNEL_HW_IO_H
#include "kernel/types.h"

struct io_region;                                    /* opaque */

/* Maps size bytes of MMIO at pa; NULL when it cannot be mapped. */
struct io_region *io_map(u64 pa, u64 size, const char *name);
/* 8-bit accesses are for byte-wide device registers (a 16550 UART on MMIO). */
u8   io_read8(const struct io_region *r, u32 off);
u32  io_read32(const struct io_region *r, u32 off);
u64  io_read64(const struct io_region *r, u32 off);
void io_write8(const struct io_region *r, u32 off, u8 val);
void io_write32(const struct io_region *r, u32 off, u32 val);
void io_write64(const struct io_region *r, u32 off, u64 val);

#endif
