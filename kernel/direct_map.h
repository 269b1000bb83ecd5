/* Extent of the identity map built by boot/mb2_entry.asm (BOOT_MAP_GIB there). */
#ifndef KERNEL_DIRECT_MAP_H
#define KERNEL_DIRECT_MAP_H
#include "kernel/types.h"

#define DIRECT_MAP_END          (64ULL * GiB)

#endif
