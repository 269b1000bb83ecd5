/* Multiboot2 boot information -> struct boot_info. */
#ifndef KERNEL_MB2_H
#define KERNEL_MB2_H
#include "kernel/types.h"
#include "kernel/boot_info.h"

#define MB2_BOOTLOADER_MAGIC    0x36d76289

/*
 * Reads the Multiboot2 information structure at info_pa (through
 * phys_to_virt) into *bi, which it clears first. Checks the magic, the
 * total size and every tag's size and alignment. Returns 0; -HV_EINVAL for a
 * wrong magic or a malformed structure (bi then holds what was read before
 * the bad tag); -HV_ENOMEM when there are more memory-map entries or modules
 * than boot_info holds (the excess is dropped, the rest is valid).
 */
int mb2_parse(u32 magic, u64 info_pa, struct boot_info *bi);

#endif
