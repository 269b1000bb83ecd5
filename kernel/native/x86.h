/* Freestanding-only x86 helpers (control registers, descriptor tables). */
#ifndef KERNEL_NATIVE_X86_H
#define KERNEL_NATIVE_X86_H
#include "kernel/types.h"

static inline u64 read_cr0(void) { u64 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u64 read_cr2(void) { u64 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u64 read_cr3(void) { u64 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline u64 read_cr4(void) { u64 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }

struct __packed desc_ptr {
	u16 limit;
	u64 base;
};

#endif
