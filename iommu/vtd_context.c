/*
 * Root table (one page, 256 root entries, one per bus) and context tables
 * (one page per bus in use, 256 context entries, one per devfn), legacy
 * mode (§9.1 Root Entry, §9.3 Context Entry), and the invalidations a
 * context-entry change needs (§6.5.3 guidance: context-cache, then IOTLB).
 * Context tables are never freed: the unit may cache them.
 */
#include "iommu/vtd_context.h"
#include "iommu/vtd_unit.h"
#include "iommu/vtd_qi.h"
#include "iommu/vtd_pagetable.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
#include "kernel/log.h"
#include "kernel/lib.h"
#include "kernel/err.h"
#include "kernel/hw/pci_cfg.h"


/* A zeroed page for a table: 0, *pa and *va, or -HV_ENOMEM. */
static int table_alloc(u64 *pa, void **va)
{
	_Static_assert(VTD_TABLE_SIZE == PAGE_SIZE, "a table is a page");
	*va = page_alloc_zeroed(1, pa);
	return *va ? 0 : -HV_ENOMEM;
}

int vtd_ctx_root_init(struct vtd_unit *u)
{
	void *va;

	if (u->root)
		return 0;
	if (table_alloc(&u->root_pa, &va))
		return -HV_ENOMEM;
	u->root = va;
	vtd_unit_flush(u, u->root, VTD_TABLE_SIZE);
	return 0;
}

static struct vtd_context_entry *ctx_table(const struct vtd_unit *u, u8 bus)
{
	if (!u->root || !(u->root[bus].lo & VTD_RE_LO_P))
		return NULL;
	return phys_to_virt(u->root[bus].lo & VTD_RE_LO_CTP, VTD_TABLE_SIZE);
}

/* The bus's context table, created (empty, flushed, then published) when missing. */
static struct vtd_context_entry *ctx_table_get(struct vtd_unit *u, u8 bus)
{
	struct vtd_context_entry *t = ctx_table(u, bus);
	struct vtd_root_entry re;
	u64 pa;
	void *va;

	if (t || !u->root)
		return t;
	if (table_alloc(&pa, &va))
		return NULL;
	vtd_unit_flush(u, va, VTD_TABLE_SIZE);
	if (vtd_re_encode(&re, pa)) {
		page_free(pa, 1);
		return NULL;
	}
	/* The empty table is in memory before the root entry points at it. */
	u->root[bus].hi = re.hi;
	__atomic_store_n(&u->root[bus].lo, re.lo, __ATOMIC_RELEASE);
	vtd_unit_flush(u, &u->root[bus], sizeof(re));
	log_write(LOG_DBG, u->name, "context table for bus 0x%02x at 0x%016llx", bus,
		  (unsigned long long)pa);
	return va;
}

bool vtd_ctx_lookup(const struct vtd_unit *u, u16 sid, struct vtd_context_entry *ce)
{
	const struct vtd_context_entry *t = ctx_table(u, PCI_BUS(sid));

	if (!t || !(t[PCI_DEVFN(sid)].lo & VTD_CE_LO_P))
		return false;
	*ce = t[PCI_DEVFN(sid)];
	return true;
}

/* Present -> not present: P goes first; then the caches of the old domain. */
static int ctx_clear(struct vtd_unit *u, u16 sid, struct vtd_context_entry *e)
{
	u16 old_did = (u16)FIELD_GET(VTD_CE_HI_DID, e->hi);
	int ret;

	__atomic_store_n(&e->lo, 0, __ATOMIC_RELEASE);
	vtd_unit_flush(u, e, sizeof(*e));
	e->hi = 0;
	vtd_unit_flush(u, e, sizeof(*e));
	if ((ret = vtd_unit_flush_write_buffer(u)) ||
	    (ret = vtd_inv_context_device(u, old_did, sid)) ||
	    (ret = vtd_inv_iotlb_domain(u, old_did)))
		return ret;
	return 0;
}

/*
 * DMA path step 4: the unit takes the root entry of the request's bus and,
 * in the context table it points to, the entry of its devfn; this writes
 * that entry: domain ID, address width, second-stage table, translation
 * type (the contract is in vtd_context.h).
 */
int vtd_ctx_attach(struct vtd_unit *u, u16 sid, u16 did, const struct pt *pt, u8 tt)
{
	struct vtd_context_entry ce, *t, *e;
	int ret;

	if (did >= u->caps.nd_domains)
		return -HV_EINVAL;
	if (tt != VTD_TT_UNTRANSLATED && (tt != VTD_TT_DEVTLB || !u->caps.dt))
		return -HV_EINVAL;
	ret = vtd_ce_encode(&ce, pt->root_pa, pt->levels, did, tt);
	if (ret)
		return ret;
	t = ctx_table_get(u, PCI_BUS(sid));
	if (!t)
		return -HV_ENOMEM;
	e = &t[PCI_DEVFN(sid)];
	if (e->lo & VTD_CE_LO_P) {
		if (e->lo == (ce.lo | VTD_CE_LO_P) && e->hi == ce.hi)
			return 0;
		/* 128 bits cannot change at once: go through not-present. */
		if ((ret = ctx_clear(u, sid, e)))
			return ret;
	}
	/*
	 * Order is important: the present bit is set only after every other
	 * field of the entry is in memory, so the unit never uses a half
	 * written entry.
	 */
	e->hi = ce.hi;
	__atomic_store_n(&e->lo, ce.lo | VTD_CE_LO_P, __ATOMIC_RELEASE);
	vtd_unit_flush(u, e, sizeof(*e));
	/*
	 * Not present -> present. SPEC: with CAP.CM = 1 the unit may have
	 * cached the not-present entry, tagged with domain-id 0, so that is
	 * the DID to invalidate; the domain's IOTLB goes too. With CM = 0 the
	 * spec asks only for the write-buffer flush, but the same two
	 * invalidations cost little here and keep one path.
	 */
	if ((ret = vtd_unit_flush_write_buffer(u)) ||
	    (ret = vtd_inv_context_device(u, u->caps.cm ? 0 : did, sid)) ||
	    (ret = vtd_inv_iotlb_domain(u, did)))
		return ret;
	log_write(LOG_DBG, u->name, "context entry " BDF_FMT ": lo=0x%016llx hi=0x%016llx",
		  BDF_ARGS(sid), (unsigned long long)e->lo, (unsigned long long)e->hi);
	return 0;
}

int vtd_ctx_detach(struct vtd_unit *u, u16 sid)
{
	struct vtd_context_entry *t = ctx_table(u, PCI_BUS(sid));

	if (!t || !(t[PCI_DEVFN(sid)].lo & VTD_CE_LO_P))
		return -HV_ENOENT;
	return ctx_clear(u, sid, &t[PCI_DEVFN(sid)]);
}
