/*
 * VT-d fault records (§11.4.14 "Fault Recording Registers [n]") decoded,
 * and fault reasons named in the spec's words (§7.1.3, Appendix C
 * "Non-Recoverable Fault Reason Encodings"): legacy DMA remapping and
 * interrupt remapping reasons; scalable-mode reasons get a generic text.
 */
#include "iommu/vtd_fault.h"
#include "kernel/fmt.h"
#include "kernel/log.h"
#include "kernel/hw/pci_cfg.h"

static const char *const reason_text[] = {
	[VTD_FR_NONE] = "Reserved (no fault reason)",
	[VTD_FR_ROOT_P] = "The Present (P) field in the root-entry used to process the request is 0",
	[VTD_FR_CTX_P] = "The Present (P) field in the context-entry used to process the request is 0",
	[VTD_FR_CTX_INVALID] = "Invalid programming of a context-entry used to process the request",
	[VTD_FR_BEYOND_AGAW] = "Input-address in the request is above (2^X - 1), where X is the minimum of MGAW and the AGAW of the context-entry",
	[VTD_FR_WRITE] = "A Write or AtomicOp request encountered lack of write permission",
	[VTD_FR_READ] = "A Read or AtomicOp request encountered lack of read permission",
	[VTD_FR_SSPTE_ACCESS] = "Hardware attempt to access a second-stage paging entry referenced through the ADDR field of a preceding entry resulted in an error",
	[VTD_FR_ROOT_ACCESS] = "Hardware attempt to access a root-entry referenced through the Root Table Address field resulted in an error",
	[VTD_FR_CTX_ACCESS] = "Hardware attempt to access a context-entry referenced through the Context-table Pointer field resulted in an error",
	[VTD_FR_ROOT_RSVD] = "Non-zero reserved field in a root-entry with Present (P) field Set",
	[VTD_FR_CTX_RSVD] = "Non-zero reserved field in a context-entry with Present (P) field Set",
	[VTD_FR_SSPTE_RSVD] = "Non-zero reserved field in a second-stage paging entry with at least one of Read (R), Write (W) or Execute (X) field Set",
	[VTD_FR_TT_BLOCKED] = "Translation request or translated request explicitly blocked due to the programming of the Translation Type (TT) field in the present context-entry",
	[VTD_FR_IR_REQ_RSVD] = "Decoding of the interrupt request per the Remappable request format detected one or more reserved fields as Set",
	[VTD_FR_IR_INDEX] = "The interrupt_index of the Remappable interrupt request is greater than the interrupt-remapping table size allows",
	[VTD_FR_IR_IRTE_P] = "The Present (P) field in the IRTE for the interrupt_index of the request is Clear",
	[VTD_FR_IR_TABLE_ACCESS] = "Hardware attempt to access the interrupt-remapping table through the IRTA field of IRTA_REG resulted in an error",
	[VTD_FR_IR_IRTE_RSVD] = "Non-zero reserved field in an IRTE with Present (P) field Set",
	[VTD_FR_IR_COMPAT] = "Hardware blocked an interrupt request in Compatibility format",
	[VTD_FR_IR_SID] = "Hardware blocked a Remappable interrupt request: verification of the requester's source-id per the IRTE's SID, SVT and SQ fields failed",
	[VTD_FR_IR_PID_ACCESS] = "Hardware attempt to access the Posted Interrupt Descriptor referenced through the IRTE's PDAH/PDAL fields resulted in an error",
};

/*
 * DMA path step 6: a request the walk refused is not performed; the unit
 * records it in a fault recording register, decoded here (the ERR line
 * comes from vtd_fault_log()).
 */
void vtd_frcd_decode(u64 lo, u64 hi, struct vtd_fault *f)
{
	f->valid = !!(hi & VTD_FRCD_HI_F);
	f->sid = (u16)FIELD_GET(VTD_FRCD_HI_SID, hi);
	f->reason = (u8)FIELD_GET(VTD_FRCD_HI_FR, hi);
	/* SPEC: T1 is 0 for a write and 1 for a read or AtomicOp, while T2 is 0. */
	f->type = (u8)((hi & VTD_FRCD_HI_T2 ? 2 : 0) | (hi & VTD_FRCD_HI_T1 ? 1 : 0));
	f->write = f->type == 0;
	f->at = (u8)FIELD_GET(VTD_FRCD_HI_AT, hi);
	f->pasid_present = !!(hi & VTD_FRCD_HI_PP);
	f->pasid = f->pasid_present ? (u32)FIELD_GET(VTD_FRCD_HI_PV, hi) : 0;
	if (VTD_FR_IS_IR(f->reason)) {
		/* Interrupt requests carry an index, not an address. */
		f->addr = 0;
		f->ir_index = (u16)FIELD_GET(VTD_FRCD_LO_IR_INDEX, lo);
	} else {
		f->addr = lo & VTD_FRCD_LO_FI;
		f->ir_index = 0;
	}
}

const char *vtd_fault_reason_text(u8 reason)
{
	if (reason < ARRAY_SIZE(reason_text) && reason_text[reason])
		return reason_text[reason];
	if (reason >= 0x30)
		return "Scalable-mode fault reason (not decoded)";
	return "Unknown fault reason";
}

static const char *dir_name(const struct vtd_fault *f)
{
	return f->type == 0 ? "write" : f->type == 1 ? "read" : "other";
}

int vtd_fault_format(const struct vtd_fault *f, const char *unit, const char *domain,
		     char *buf, size_t size)
{
	char pasid[24] = "", at[8] = "";
	int n = 0;

	if (unit)
		n = fmt_snprintf(buf, size, "%s: ", unit);
	if (f->pasid_present)
		fmt_snprintf(pasid, sizeof(pasid), " pasid=0x%05x", f->pasid);
	if (f->at)
		fmt_snprintf(at, sizeof(at), " at=%u", f->at);
	if (VTD_FR_IS_IR(f->reason))
		n += fmt_snprintf(buf + MIN((size_t)n, size), size - MIN((size_t)n, size),
				  "interrupt fault sid=" BDF_FMT " index=0x%04x reason=0x%02x \"%s\" domain=%s",
				  BDF_ARGS(f->sid), f->ir_index, f->reason,
				  vtd_fault_reason_text(f->reason), domain ? domain : "none");
	else
		n += fmt_snprintf(buf + MIN((size_t)n, size), size - MIN((size_t)n, size),
				  "dma fault sid=" BDF_FMT " dir=%s addr=0x%016llx%s%s reason=0x%02x \"%s\" domain=%s",
				  BDF_ARGS(f->sid), dir_name(f),
				  (unsigned long long)f->addr, at, pasid, f->reason,
				  vtd_fault_reason_text(f->reason), domain ? domain : "none");
	return n;
}

void vtd_fault_log(const struct vtd_fault *f, const char *unit, const char *domain)
{
	char line[LOG_LINE_MAX];

	vtd_fault_format(f, NULL, domain, line, sizeof(line));
	log_write(LOG_ERR, unit, "%s", line);
}
