/*
 * Decoding VT-d fault records: one 128-bit fault recording register
 * (§11.4.14) into a struct, reason codes into the spec's words (Appendix C),
 * and the fault's log line (docs/conventions.md section 7). Reading and clearing the
 * registers, rate-limiting and counting are iommu/vtd_unit.c's job.
 */
#ifndef IOMMU_VTD_FAULT_H
#define IOMMU_VTD_FAULT_H
#include "kernel/types.h"
#include "iommu/vtd_hw.h"

struct vtd_fault {
	bool valid;             /* F: the record holds a fault */
	u16 sid;                /* requester: bus << 8 | dev << 3 | fn */
	bool write;             /* a write request (type 0) */
	u8 type;                /* T2 << 1 | T1: 0 write, 1 read/AtomicOp, 2-3 page/translation request */
	u8 at;                  /* Address Type of the request (0 untranslated) */
	u64 addr;               /* page address of the request (FI; 0 for IR faults) */
	u16 ir_index;           /* interrupt_index, for interrupt-remapping faults */
	u8 reason;              /* FR: enum vtd_fault_reason */
	bool pasid_present;
	u32 pasid;
};

/* lo: bits 63:0 of the register, hi: bits 127:64. Fills every field of *f. */
void vtd_frcd_decode(u64 lo, u64 hi, struct vtd_fault *f);
/* The spec's description of a fault reason; never NULL. */
const char *vtd_fault_reason_text(u8 reason);
/*
 * Formats the fault's log line into buf:
 *   dma fault sid=00:03.0 dir=write addr=0x0000000050000000 reason=0x05 "..." domain=p2
 * ("interrupt fault ... index=0x0012 ..." for interrupt remapping), preceded
 * by "<unit>: " when unit is not NULL (for tools; in the log the unit is the
 * subsystem, see vtd_fault_log). domain NULL prints "domain=none". Returns
 * the length the whole line needs, as snprintf; buf always ends in NUL.
 */
int vtd_fault_format(const struct vtd_fault *f, const char *unit, const char *domain,
		     char *buf, size_t size);
/* Logs the line at ERR with unit ("vtd0") as the subsystem. */
void vtd_fault_log(const struct vtd_fault *f, const char *unit, const char *domain);

#endif
