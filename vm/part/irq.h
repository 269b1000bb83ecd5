/*
 * Device interrupts of partitions: each MSI a guest enables gets a host
 * vector of Sluice's (PART_IRQ_FIRST..) and an interrupt remapping entry
 * that lets only that device raise it, on the partition's first CPU. The
 * host vector's handler counts the interrupt and hands the guest's vector
 * to the partition (part_irq_deliver).
 */
#ifndef VM_PART_IRQ_H
#define VM_PART_IRQ_H
#include "kernel/types.h"
#include "vm/dev/vpci.h"

#define PART_IRQ_FIRST          0x50    /* host vectors for device MSIs: 0x50-0x8f */
#define PART_IRQ_NR             64
/* Interrupts logged per host vector before only the counters go on. */
#define PART_IRQ_LOG_FIRST      3

struct partition;

/* The vpci_irq_ops a guest partition's config space uses (ctx: the struct partition). */
extern const struct vpci_irq_ops part_irq_ops;
/*
 * Set by vm/main.c with the lab switch lab=skip-iec-inv (docs/labs/): the
 * remapping driver then writes entries without the interrupt entry cache
 * invalidation, and the MSI-off line says so instead of "invalidated".
 */
extern bool part_irq_lab_no_iec;
/*
 * The handler of host vector PART_IRQ_FIRST + (uintptr_t)slot, for
 * irq_register: counts and delivers the interrupt of the device that owns
 * the slot. An interrupt on a free slot is counted and logged as stray.
 */
void part_irq_host(void *slot);
/*
 * Raises guest vector gvec in p through its local APIC (vlapic_accept:
 * pending in IRR, the vCPU woken), counted as delivered, or as dropped
 * while the guest's APIC is disabled; the first PART_IRQ_LOG_FIRST of
 * each kind are logged.
 */
void part_irq_deliver(struct partition *p, u32 sbdf, u8 hvec, u8 gvec);

#endif
