/*
 * What a guest's RDMSR and WRMSR reach: one table (vm/cpu/msr.c), one row
 * per MSR or range with the reason for its policy, read by both back ends
 * (which MSRs run without an exit) and by the exit handler
 * (vm/part/msr.c: what an exiting access does). An MSR no row names is
 * refused with #GP, as a CPU raises for an MSR it does not implement
 * (Intel SDM vol 2B RDMSR/WRMSR "Protected Mode Exceptions"; AMD APM vol 3
 * RDMSR/WRMSR).
 */
#ifndef VM_CPU_MSR_H
#define VM_CPU_MSR_H
#include "kernel/types.h"

/* What one direction (read or write) of an MSR does. */
enum msr_policy {
	MSR_GP = 0,     /* refused: #GP(0) in the guest */
	MSR_PASS,       /* the guest's own register: no exit (the back end's bitmap lets it through) */
	MSR_VIRT,       /* Sluice keeps the guest's view and answers for it (vm/part/msr.c) */
	MSR_ZERO,       /* reads 0; writes are dropped and counted (harmless registers kernels touch) */
};

struct msr_rule {
	u32 first, last;        /* the range [first, last] */
	u8 rd, wr;              /* enum msr_policy of RDMSR and WRMSR */
	const char *name;
	const char *why;
};

/* The MSRs every guest reads and writes (vm/cpu/msr.c, Intel SDM vol 4, AMD APM vol 2 appendix A). */
#define MSR_IA32_TSC            0x00000010
#define MSR_IA32_FEATURE_CONTROL 0x0000003a
#define  FEATURE_CONTROL_LOCK   BIT_ULL(0)
#define MSR_IA32_MTRRCAP        0x000000fe
#define MSR_IA32_MISC_ENABLE    0x000001a0
#define MSR_IA32_PAT            0x00000277
#define MSR_IA32_MTRR_DEF_TYPE  0x000002ff
#define  MTRR_DEF_TYPE_TYPE     0x00000000000000ffULL
#define  MTRR_DEF_TYPE_FE       BIT_ULL(10)
#define  MTRR_DEF_TYPE_E        BIT_ULL(11)
#define MSR_EFER                0xc0000080
#define  EFER_SCE               BIT_ULL(0)
#define  EFER_LME               BIT_ULL(8)
#define  EFER_LMA               BIT_ULL(10)
#define  EFER_NXE               BIT_ULL(11)
#define  EFER_SVME              BIT_ULL(12)
#define MSR_TSC_AUX             0xc0000103

/* Memory types (SDM vol 3 table 13-8): UC, WC, WT, WP, WB, UC-. */
#define MEMTYPE_UC              0
#define MEMTYPE_WB              6

/* The rule for msr; an MSR no row names gets a rule that refuses both ways (name "unknown"). */
const struct msr_rule *msr_rule(u32 msr);
/* The rows, for the back ends' bitmaps and the tests. */
extern const struct msr_rule msr_rules[];
extern const u32 msr_nr_rules;
/* Calls allow(ctx, msr, write) for each read and write the table passes through (MSR_PASS). */
void msr_for_each_pass(void (*allow)(void *ctx, u32 msr, bool write), void *ctx);

/* SDM vol 3 13.12.2: every PAT entry is UC, WC, WT, WP, WB or UC- (2 and 3 are reserved), bits 7:3 of each zero. */
bool msr_pat_valid(u64 pat);
/*
 * The value a guest may write to IA32_MTRR_DEF_TYPE in a partition with no
 * fixed or variable MTRRs (MTRRcap reads 0): reserved bits clear, FE clear,
 * default type WB or UC (SDM vol 3 13.11.2.1).
 */
bool msr_mtrr_def_type_valid(u64 val);
/*
 * EFER as a guest may write it (AMD APM vol 2 3.1.7, SDM vol 3 2.2.1): SCE,
 * LME and NXE; LMA is ignored (the CPU's); LME may not change while paging
 * is on. paging: the guest's CR0.PG.
 */
bool msr_efer_valid(u64 cur, u64 val, bool paging);

#endif
