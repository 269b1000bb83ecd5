/*
 * The guest's own address translation, done in software, so Sluice can read
 * the instruction at a guest RIP and the buffers a hypercall names. Portable:
 * guest-physical memory is read through a callback.
 */
#ifndef VM_GWALK_H
#define VM_GWALK_H
#include "kernel/types.h"

/* Reads 8 bytes of guest-physical memory at gpa into *val. 0 or -HV_EFAULT-like error. */
typedef int (*gwalk_read64_fn)(void *ctx, u64 gpa, u64 *val);

struct gwalk_regs { u64 cr0, cr3, cr4, efer; };

/*
 * Translates guest-virtual va to a GPA for the paging mode the registers
 * say: none (CR0.PG = 0: va is the GPA, truncated to 32 bits outside long
 * mode), 32-bit, PAE, or 4- and 5-level long mode (4 KiB, 2/4 MiB, 1 GiB
 * pages).
 * write/user/fetch are checked against the entries (R/W, U/S, NX with
 * EFER.NXE). Returns 0 and *gpa, -HV_ENOENT (not present or not allowed:
 * the guest would fault) or the read callback's error.
 */
int gwalk(const struct gwalk_regs *r, u64 va, bool write, bool fetch, gwalk_read64_fn rd, void *ctx,
	  u64 *gpa);

#endif
