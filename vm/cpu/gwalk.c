/*
 * The guest's paging walked in software: Intel SDM vol 3A ch 4 "Paging",
 * §4.3 32-bit paging (4 MiB pages with CR4.PSE and PSE-36), §4.4 PAE
 * paging, §4.5 4-level and 5-level paging, access rights as in §4.6 for
 * supervisor accesses. It sets no accessed/dirty bits, checks no reserved
 * bits and keeps no PDPTE registers (PAE PDPTEs are read from memory, as
 * QEMU does).
 */
#include "vm/cpu/gwalk.h"
#include "kernel/err.h"

/* §2.5 Control Registers, §2.2.1 IA32_EFER */
#define CR0_WP          BIT_ULL(16)     /* Write Protect: supervisor writes obey R/W */
#define CR0_PG          BIT_ULL(31)
#define CR4_PSE         BIT_ULL(4)
#define CR4_PAE         BIT_ULL(5)
#define CR4_LA57        BIT_ULL(12)
#define EFER_LME        BIT_ULL(8)
#define EFER_LMA        BIT_ULL(10)
#define EFER_NXE        BIT_ULL(11)

/* Paging-structure entries (Tables 4-4..4-6, 4-8..4-11, 4-15..4-20) */
#define PTE_P           BIT_ULL(0)
#define PTE_RW          BIT_ULL(1)
#define PTE_PS          BIT_ULL(7)      /* in a PDE/PDPTE: maps a page */
#define PTE_XD          BIT_ULL(63)     /* execute-disable, with EFER.NXE (PAE and 4-level) */
#define PTE_ADDR        GENMASK_ULL(51, 12)
/* §4.3 Table 4-4: a 4 MiB PDE holds address bits 39:32 in its bits 20:13 (PSE-36). */
#define PDE32_4M_LO     GENMASK_ULL(31, 22)
#define PDE32_4M_HI     GENMASK_ULL(20, 13)

struct walk {
	const struct gwalk_regs *r;
	gwalk_read64_fn rd;
	void *ctx;
	bool write, fetch;
};

/* A 4-byte entry for 32-bit paging, through the 8-byte reader. */
static int read32(const struct walk *w, u64 gpa, u64 *val)
{
	u64 q;
	int ret = w->rd(w->ctx, gpa & ~7ULL, &q);
	if (ret)
		return ret;
	*val = (u32)(q >> (8 * (gpa & 4)));
	return 0;
}

/*
 * §4.6.1: a supervisor write needs R/W at every level when CR0.WP is set;
 * a fetch needs XD clear at every level when EFER.NXE is set (§4.6.2).
 * Checked per entry as the walk goes, which is the same conjunction.
 */
static bool allowed(const struct walk *w, u64 e, bool has_xd)
{
	if (!(e & PTE_P))
		return false;
	if (w->write && (w->r->cr0 & CR0_WP) && !(e & PTE_RW))
		return false;
	if (w->fetch && has_xd && (w->r->efer & EFER_NXE) && (e & PTE_XD))
		return false;
	return true;
}

static int walk32(const struct walk *w, u64 va, u64 *gpa)
{
	u64 pde, pte;
	int ret = read32(w, (w->r->cr3 & 0xfffff000) + ((va >> 22) & 0x3ff) * 4, &pde);
	if (ret)
		return ret;
	if (!allowed(w, pde, false))
		return -HV_ENOENT;
	/* PS is ignored (a page-table pointer) without CR4.PSE (§4.3). */
	if ((pde & PTE_PS) && (w->r->cr4 & CR4_PSE)) {
		*gpa = (pde & PDE32_4M_LO) | FIELD_GET(PDE32_4M_HI, pde) << 32 | (va & 0x3fffff);
		return 0;
	}
	ret = read32(w, (pde & 0xfffff000) + ((va >> 12) & 0x3ff) * 4, &pte);
	if (ret)
		return ret;
	if (!allowed(w, pte, false))
		return -HV_ENOENT;
	*gpa = (pte & 0xfffff000) | (va & 0xfff);
	return 0;
}

/*
 * PAE (levels = 3, the table at CR3 bits 31:5), 4-level and 5-level
 * (levels = 4 or 5, CR3 bits 51:12). Level 3 is the PDPT, where PS means a 1 GiB page in
 * 4-level paging only; a PAE PDPTE has no R/W, U/S or XD (§4.4.1).
 */
static int walk_long(const struct walk *w, u64 va, unsigned levels, u64 *gpa)
{
	u64 table = levels == 3 ? (w->r->cr3 & 0xffffffe0) : (w->r->cr3 & PTE_ADDR);

	for (unsigned level = levels;; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		u64 idx = (va >> shift) & (levels == 3 && level == 3 ? 3 : 0x1ff);
		u64 e;
		int ret = w->rd(w->ctx, table + idx * 8, &e);
		if (ret)
			return ret;
		if (levels == 3 && level == 3) {
			if (!(e & PTE_P))
				return -HV_ENOENT;
			table = e & PTE_ADDR;
			continue;
		}
		if (!allowed(w, e, true))
			return -HV_ENOENT;
		if (level == 1 || (e & PTE_PS)) {
			/* PS in a PML4E or PML5E is reserved: the CPU would fault (§4.5.4). */
			if (level >= 4)
				return -HV_ENOENT;
			u64 page_mask = BIT_ULL(shift) - 1;
			*gpa = (e & PTE_ADDR & ~page_mask) | (va & page_mask);
			return 0;
		}
		table = e & PTE_ADDR;
	}
}

int gwalk(const struct gwalk_regs *r, u64 va, bool write, bool fetch, gwalk_read64_fn rd, void *ctx,
	  u64 *gpa)
{
	const struct walk w = { .r = r, .rd = rd, .ctx = ctx, .write = write, .fetch = fetch };

	if (!(r->cr0 & CR0_PG)) {
		*gpa = (u32)va;
		return 0;
	}
	if (!(r->cr4 & CR4_PAE))
		return walk32(&w, (u32)va, gpa);
	/* With CR0.PG and CR4.PAE, LME means IA-32e mode (§4.1.1; LMA follows LME). */
	if (r->efer & (EFER_LMA | EFER_LME)) {
		/* §4.5: CR4.LA57 adds the PML5 level above the PML4 (bits 56:48 of the address). */
		return walk_long(&w, va, (r->cr4 & CR4_LA57) ? 5 : 4, gpa);
	}
	return walk_long(&w, (u32)va, 3, gpa);
}
