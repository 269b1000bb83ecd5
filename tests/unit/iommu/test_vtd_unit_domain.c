/*
 * Host tests for iommu/vtd_context.c and iommu/vtd_domain.c (vtd_iommu_ops)
 * against fake units: units from the DMAR, context entries written with P
 * last and the invalidations that follow them (CM = 0 and CM = 1), domain
 * IDs within CAP.ND, map/unmap invalidation, enable, faults counted per
 * domain (interrupt remapping faults too), interrupt remapping checked and
 * its tables reported, and the walk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "kernel/hw/pci_cfg.h"
#include "pci/pci.h"
#include "pci/pci_internal.h"
#include "iommu/iommu.h"
#include "iommu/dmar.h"
#include "iommu/vtd_regs.h"
#include "iommu/vtd_hw.h"
#include "iommu/vtd_qi.h"
#include "iommu/vtd_pagetable.h"
#include "iommu/vtd_walk.h"
#include "kernel/page_alloc.h"
#include "kernel/hw/mem.h"
#include "kernel/memmap.h"
#include "kernel/log.h"
#include "kernel/err.h"
#include "kernel/check.h"
#include "kernel/acpi_hw.h"
#include "tests/fakes/fake_io.h"
#include "tests/fakes/fake_mem.h"
#include "tests/fakes/fake_ram.h"
#include "tests/unit/iommu/vtd_fixture.h"
#include "tests/fakes/fake_hw.h"
#include "tests/fakes/fake_log.h"

#define UNIT_PA         0xfed90000ULL
#define UNIT2_PA        0xfed91000ULL
#define RAM_PA          FAKE_MEM_BASE
#define RAM_SIZE        (16 * MiB)
#define QEMU_CAP        FAKE_VTD_QEMU_CAP
#define QEMU_CAP_CM     FAKE_VTD_QEMU_CAP_CM
#define QEMU_ECAP       FAKE_VTD_QEMU_ECAP
#define EDU1            0x0018u         /* 0000:00:03.0 */
#define EDU2            0x0020u         /* 0000:00:04.0 */
#define IOVA            0x10000000ULL

static const struct iommu_ops *ops = &vtd_iommu_ops;
static struct dmar_info dmar;
static u64 buf_pa;                      /* 2 MiB of fake RAM to map */

static int setup(void **state)
{
	(void)state;
	vtd_fixture_reset(RAM_SIZE);
	assert_int_equal(page_alloc_pages(512, 2 * MiB, &buf_pa), 0);
	memset(&dmar, 0, sizeof(dmar));
	dmar.haw = 48;
	return 0;
}

static int teardown(void **state)
{
	return vtd_fixture_teardown(state);
}

/* A DRHD covering every device of segment 0 (or broken). */
static void drhd(u64 base, bool broken)
{
	struct dmar_unit *u = &dmar.units[dmar.nr_units++];
	u->flags = DMAR_DRHD_INCLUDE_PCI_ALL;
	u->base_pa = base;
	u->broken = broken;
	u->why = broken ? "test" : NULL;
}

/* One fake unit, initialised through the ops. */
static struct fake_vtd *one_unit(u64 cap, u64 ecap)
{
	struct fake_vtd *v = fake_vtd_add(UNIT_PA, cap, ecap);
	drhd(UNIT_PA, false);
	assert_int_equal(ops->init(&dmar), 0);
	fake_vtd_clear_events(v);
	return v;
}

static const u64 *context_entry(const struct fake_vtd *v, u16 sid)
{
	const u64 *re = phys_to_virt(v->root_pa + (sid >> 8) * 16, 16);
	assert_non_null(re);
	if (!(re[0] & VTD_RE_LO_P))
		return NULL;
	return phys_to_virt((re[0] & VTD_RE_LO_CTP) + (sid & 0xff) * 16, 16);
}

/* §7.4: data = vector, address = 0xFEE00000 | APIC ID << 12, IM cleared last. */
static void fault_events_are_routed_to_a_vector_and_unmasked(void **state)
{
	(void)state;
	struct fake_vtd *v = one_unit(QEMU_CAP, QEMU_ECAP);
	assert_int_equal(fake_io_get32(v->r, VTD_FECTL_REG) & VTD_FECTL_IM, VTD_FECTL_IM);
	assert_int_equal(ops->route_faults(0x40, 3), 0);
	assert_int_equal(fake_io_get32(v->r, VTD_FEDATA_REG), 0x40);
	assert_int_equal(fake_io_get32(v->r, VTD_FEADDR_REG), 0xfee03000);
	assert_int_equal(fake_io_get32(v->r, VTD_FEUADDR_REG), 0);
	assert_int_equal(fake_io_get32(v->r, VTD_FECTL_REG) & VTD_FECTL_IM, 0);
	assert_true(fake_log_has("INFO vtd0: fault events -> vector 0x40 on APIC 3\n"));
	/* x2APIC IDs past 255 need interrupt remapping: refused, still masked. */
	fake_io_set32(v->r, VTD_FECTL_REG, VTD_FECTL_IM);
	assert_int_equal(ops->route_faults(0x40, 300), -HV_ENOTSUP);
	assert_int_equal(fake_io_get32(v->r, VTD_FECTL_REG) & VTD_FECTL_IM, VTD_FECTL_IM);
}

/* The handler drains the records and says so; the poll after it finds none. */
static void fault_event_handler_drains_every_unit(void **state)
{
	(void)state;
	struct fake_vtd *v = one_unit(QEMU_CAP, QEMU_ECAP);
	assert_int_equal(fake_vtd_fault(v, 0x0018, 0x10100000, 0x05, true), 0);
	ops->fault_event(NULL);
	assert_int_equal(fake_log_count("dma fault sid=00:03.0 dir=write addr=0x0000000010100000 reason=0x05"), 1);
	assert_true(fake_log_has("INFO vtd0: fault event interrupt: 1 record(s) drained\n"));
	ops->poll_faults();
	assert_int_equal(fake_log_count("dma fault"), 1);
}

static void every_usable_drhd_becomes_a_unit(void **state)
{
	(void)state;
	fake_vtd_add(UNIT_PA, QEMU_CAP, QEMU_ECAP);
	fake_vtd_add(UNIT2_PA, QEMU_CAP_CM, QEMU_ECAP);
	drhd(0xfed80000, true);                 /* broken: skipped, no name */
	drhd(UNIT_PA, false);
	drhd(UNIT2_PA, false);
	assert_int_equal(ops->init(&dmar), 0);
	assert_true(fake_log_has("vtd0: unit at 0x00000000fed90000"));
	assert_true(fake_log_has("vtd1: unit at 0x00000000fed91000"));
	assert_false(fake_log_has("fed80000"));
	assert_true(fake_log_has("INFO vtd: 2 of 2 remapping unit(s) up; domain IDs 1-65535"));
}

static void no_usable_unit_is_an_error(void **state)
{
	(void)state;
	drhd(UNIT_PA, false);                   /* nothing answers there */
	assert_int_equal(ops->init(&dmar), -HV_ENODEV);
	assert_true(fake_log_has("ERR  vtd: no remapping unit up (1 found); DMA cannot be isolated"));
	assert_null(ops->domain_create("p1"));
	assert_int_equal(ops->enable(), -HV_ENODEV);
}

/* Interrupt remapping at init: a check that IRES reads 1, and each unit's table for the containment tests. */
static void interrupt_remapping_is_checked_and_its_table_reported(void **state)
{
	(void)state;
	struct iommu_intr_table t;
	u32 failed = check_failed();

	dmar.flags = ACPI_DMAR_INTR_REMAP;
	fake_vtd_add(UNIT_PA, QEMU_CAP, QEMU_ECAP);
	fake_vtd_add(UNIT2_PA, QEMU_CAP, QEMU_ECAP & ~VTD_ECAP_IR);
	drhd(UNIT_PA, false);
	drhd(UNIT2_PA, false);
	assert_int_equal(ops->init(&dmar), 0);
	assert_true(fake_log_has("check: pass vtd0: interrupt remapping on (GSTS.IRES reads 1), every entry of its table not present (0 of 256)"));
	assert_true(fake_log_has("WARN vtd1: no interrupt remapping (ECAP.IR clear)"));
	assert_false(fake_log_has("check: pass vtd1: interrupt remapping"));
	assert_false(fake_log_has("INTR_REMAP clear"));
	assert_int_equal(check_failed(), failed);

	assert_int_equal(ops->intr_table(0, &t), 0);
	assert_string_equal(t.unit, "vtd0");
	assert_true(t.on);
	assert_true(t.pa && IS_ALIGNED(t.pa, PAGE_SIZE));
	assert_int_equal(t.size, 4096);
	assert_int_equal(t.entries, 256);
	const u8 *irt = phys_to_virt(t.pa, t.size);
	assert_non_null(irt);
	for (u64 i = 0; i < t.size; i++)
		assert_int_equal(irt[i], 0);
	assert_int_equal(ops->intr_table(1, &t), 0);
	assert_string_equal(t.unit, "vtd1");
	assert_false(t.on);
	assert_int_equal(t.pa, 0);
	assert_int_equal(t.size, 0);
	assert_int_equal(ops->intr_table(2, &t), -HV_ENOENT);
}

/* The DMAR's flags are told in words; remapping goes on wherever ECAP.IR has it all the same. */
static void dmar_flags_about_interrupts_are_logged_and_remapping_stays_on(void **state)
{
	(void)state;
	struct iommu_intr_table t;

	dmar.flags = 0;
	struct fake_vtd *v = one_unit(QEMU_CAP, QEMU_ECAP);
	assert_true(fake_log_has("WARN vtd: DMAR flags 0x00: INTR_REMAP clear: firmware does not declare interrupt remapping; Sluice turns it on anyway on every unit whose ECAP.IR has it, to block interrupts forged by DMA"));
	assert_true(fake_io_get32(v->r, VTD_GSTS_REG) & VTD_GSTS_IRES);
	assert_int_equal(ops->intr_table(0, &t), 0);
	assert_true(t.on);

	fake_io_reset();
	fake_log_capture();
	memset(&dmar, 0, sizeof(dmar));
	dmar.haw = 48;
	dmar.flags = ACPI_DMAR_INTR_REMAP | ACPI_DMAR_X2APIC_OPT_OUT;
	ops->set_cpu_x2apic(true);
	v = fake_vtd_add(UNIT_PA, QEMU_CAP, QEMU_ECAP | VTD_ECAP_EIM);
	drhd(UNIT_PA, false);
	assert_int_equal(ops->init(&dmar), 0);
	ops->set_cpu_x2apic(false);
	assert_true(fake_log_has("WARN vtd: DMAR flags 0x03: X2APIC_OPT_OUT set: firmware asks that the CPUs stay in xAPIC mode (they run in x2APIC mode); "));
	assert_false(fake_log_has("INTR_REMAP clear"));
	/* The CPUs are in x2APIC mode and the unit has EIM: the table must address them as they are. */
	assert_true(fake_log_has("x2APIC destinations (EIME set)"));
	assert_true(fake_io_get32(v->r, VTD_GSTS_REG) & VTD_GSTS_IRES);
}

/*
 * intr_alloc gives an entry only for a device attached to the domain,
 * names it in a remappable-format message, and only that domain frees it;
 * its index-selective invalidation counts in the domain's line.
 */
static void interrupt_entries_belong_to_the_device_domain(void **state)
{
	(void)state;
	struct fake_vtd *v = one_unit(QEMU_CAP, QEMU_ECAP);
	struct iommu_domain *p1 = ops->domain_create("p1"), *p2 = ops->domain_create("p2");
	struct iommu_intr_src s1 = { .sbdf = EDU1 }, s2 = { .sbdf = EDU2 };
	struct iommu_msi_msg m;
	char buf[160];

	assert_int_equal(ops->attach(p1, EDU1), 0);
	assert_int_equal(ops->attach(p2, EDU2), 0);
	assert_int_equal(ops->enable(), 0);
	assert_int_equal(ops->intr_alloc(p1, &s2, 1, 0x40, &m), -HV_ENOENT);
	assert_int_equal(ops->intr_alloc(p1, &s1, 1, 0x40, &m), 0);
	assert_int_equal(m.handle, 1);
	assert_int_equal(m.addr, 0xfee00030ULL);
	assert_int_equal(m.data, 0);
	const struct vtd_irte *t = phys_to_virt(v->irta & VTD_IRTA_IRTA, 4096);
	assert_int_equal(FIELD_GET(VTD_IRTE_HI_SID, t[1].hi), PCI_RID(EDU1));
	iommu_domain_inv_format(p1, buf, sizeof(buf));
	assert_non_null(strstr(buf, "iec 1"));
	assert_int_equal(ops->intr_free(p2, &s1, m.handle), -HV_ENOENT);
	assert_int_equal(ops->intr_free(p2, &s2, m.handle), -HV_ENOENT);
	assert_int_equal(t[1].lo & VTD_IRTE_LO_P, VTD_IRTE_LO_P);
	assert_int_equal(ops->intr_free(p1, &s1, m.handle), 0);
	assert_int_equal(t[1].lo, 0);
	assert_int_equal(ops->intr_free(p1, &s1, m.handle), -HV_ENOENT);
}

/* A blocked interrupt from p1's device counts against p1 like its DMA faults, and apart as an interrupt fault. */
static void interrupt_fault_is_charged_to_the_device_domain(void **state)
{
	(void)state;
	struct fake_vtd *v = one_unit(QEMU_CAP, QEMU_ECAP);
	struct iommu_domain *p1 = ops->domain_create("p1");
	assert_int_equal(ops->attach(p1, EDU1), 0);
	assert_int_equal(ops->enable(), 0);

	fake_vtd_fault(v, EDU1, 0x12ULL << 48, VTD_FR_IR_IRTE_P, true);
	ops->fault_event(NULL);
	assert_true(fake_log_has("ERR  vtd0: interrupt fault sid=00:03.0 index=0x0012 reason=0x22 \"The Present (P) field in the IRTE for the interrupt_index of the request is Clear\" domain=p1\n"));
	assert_int_equal(iommu_domain_faults(p1), 1);
	assert_int_equal(iommu_domain_ir_faults(p1), 1);
	fake_vtd_fault(v, EDU1, IOVA, VTD_FR_WRITE, true);
	ops->poll_faults();
	assert_int_equal(iommu_domain_faults(p1), 2);
	assert_int_equal(iommu_domain_ir_faults(p1), 1);
	/* From a function nobody owns: logged, counted against nobody. */
	fake_vtd_fault(v, EDU2, 0x0ULL << 48, VTD_FR_IR_IRTE_P, true);
	ops->poll_faults();
	assert_true(fake_log_has("interrupt fault sid=00:04.0 index=0x0000 reason=0x22 \"The Present (P) field in the IRTE for the interrupt_index of the request is Clear\" domain=none"));
	assert_int_equal(iommu_domain_faults(p1), 2);
}

static void attach_writes_present_entry_then_invalidates(void **state)
{
	(void)state;
	struct fake_vtd *v = one_unit(QEMU_CAP, QEMU_ECAP);
	struct iommu_domain *d = ops->domain_create("p1");
	assert_non_null(d);
	/* Domain-id 0 is never used, caching mode or not. */
	assert_true(fake_log_has("INFO vtd: domain p1: did 1, 4-level second-stage table at 0x"));

	assert_int_equal(ops->attach(d, EDU1), 0);
	const u64 *ce = context_entry(v, EDU1);
	assert_non_null(ce);
	assert_true(ce[0] & VTD_CE_LO_P);
	assert_int_equal(FIELD_GET(VTD_CE_LO_TT, ce[0]), VTD_TT_UNTRANSLATED);
	assert_int_equal(FIELD_GET(VTD_CE_HI_AW, ce[1]), VTD_AW_48);
	assert_int_equal(FIELD_GET(VTD_CE_HI_DID, ce[1]), 1);
	/* Context cache of the device, then the domain's IOTLB; the entry was whole by then. */
	assert_int_equal(v->nr_events, 4);
	assert_int_equal(v->ev[0].kind, FV_CC);
	assert_int_equal(v->ev[0].a, 3);
	assert_int_equal(v->ev[0].sid, EDU1);
	assert_int_equal(v->ev[0].did, 1);
	assert_int_equal(v->ev[0].ce_lo, ce[0]);
	assert_int_equal(v->ev[0].ce_hi, ce[1]);
	assert_int_equal(v->ev[1].kind, FV_WAIT);
	assert_int_equal(v->ev[2].kind, FV_IOTLB);
	assert_int_equal(v->ev[2].a, 2);
	assert_int_equal(v->ev[2].did, 1);
	/* Attaching again changes nothing. */
	fake_vtd_clear_events(v);
	assert_int_equal(ops->attach(d, EDU1), 0);
	assert_int_equal(v->nr_events, 0);
}

static void attach_under_caching_mode_invalidates_domain_0_entry(void **state)
{
	(void)state;
	struct fake_vtd *v = one_unit(QEMU_CAP_CM, QEMU_ECAP);
	struct iommu_domain *d = ops->domain_create("p1");
	assert_non_null(d);
	assert_true(fake_log_has("domain p1: did 1,"));
	assert_int_equal(ops->attach(d, EDU1), 0);
	/* SPEC: with CM the not-present entry may be cached, tagged domain-id 0. */
	const struct fake_vtd_event *cc = fake_vtd_nth(v, FV_CC, 0), *tlb = fake_vtd_nth(v, FV_IOTLB, 0);
	assert_non_null(cc);
	assert_non_null(tlb);
	assert_true(cc->a == 3 && cc->did == 0 && cc->sid == EDU1);
	assert_int_equal(FIELD_GET(VTD_CE_HI_DID, cc->ce_hi), 1);
	assert_true(cc->ce_lo & VTD_CE_LO_P);
	assert_true(tlb->a == 2 && tlb->did == 1);
}

static void moving_a_device_goes_through_not_present(void **state)
{
	(void)state;
	struct fake_vtd *v = one_unit(QEMU_CAP_CM, QEMU_ECAP);
	struct iommu_domain *p1 = ops->domain_create("p1"), *p2 = ops->domain_create("p2");
	assert_int_equal(ops->attach(p1, EDU1), 0);
	fake_vtd_clear_events(v);
	assert_int_equal(ops->attach(p2, EDU1), 0);

	/* Old entry: cleared before its caches go (P = 0 at the first invalidation). */
	const struct fake_vtd_event *cc0 = fake_vtd_nth(v, FV_CC, 0), *cc1 = fake_vtd_nth(v, FV_CC, 1);
	const struct fake_vtd_event *t0 = fake_vtd_nth(v, FV_IOTLB, 0), *t1 = fake_vtd_nth(v, FV_IOTLB, 1);
	assert_non_null(cc1);
	assert_non_null(t1);
	assert_true(cc0->did == 1 && !(cc0->ce_lo & VTD_CE_LO_P));
	assert_true(t0->did == 1 && t0 < cc1);
	/* New entry: whole and present at its invalidation. */
	assert_true(cc1->did == 0 && (cc1->ce_lo & VTD_CE_LO_P));
	assert_int_equal(FIELD_GET(VTD_CE_HI_DID, cc1->ce_hi), 2);
	assert_int_equal(t1->did, 2);
	/* p1 no longer has a device: its map changes need no invalidation. */
	fake_vtd_clear_events(v);
	assert_int_equal(ops->map(p1, IOVA, buf_pa, 0x1000, IOMMU_READ), 0);
	assert_int_equal(fake_vtd_count(v, FV_IOTLB), 0);
}

static void detach_clears_the_entry_and_the_old_domain_caches(void **state)
{
	(void)state;
	struct fake_vtd *v = one_unit(QEMU_CAP, QEMU_ECAP);
	struct iommu_domain *p1 = ops->domain_create("p1"), *p2 = ops->domain_create("p2");
	assert_int_equal(ops->attach(p1, EDU1), 0);
	assert_int_equal(ops->detach(p2, EDU1), -HV_EINVAL);   /* not p2's */
	fake_vtd_clear_events(v);
	assert_int_equal(ops->detach(p1, EDU1), 0);
	const u64 *ce = context_entry(v, EDU1);
	assert_int_equal(ce[0], 0);
	assert_int_equal(ce[1], 0);
	const struct fake_vtd_event *cc = fake_vtd_nth(v, FV_CC, 0), *tlb = fake_vtd_nth(v, FV_IOTLB, 0);
	assert_true(cc && cc->a == 3 && cc->did == 1 && !(cc->ce_lo & VTD_CE_LO_P));
	assert_true(tlb && tlb->a == 2 && tlb->did == 1);
	assert_int_equal(ops->detach(p1, EDU1), -HV_ENOENT);
}

static void non_coherent_unit_gets_its_entries_flushed(void **state)
{
	(void)state;
	one_unit(QEMU_CAP, QEMU_ECAP);                  /* C = 0, as QEMU */
	struct iommu_domain *d = ops->domain_create("p1");
	unsigned before = fake_flushes;
	assert_int_equal(ops->attach(d, EDU1), 0);
	/* The new context table, the root entry, the context entry. */
	assert_true(fake_flushes >= before + 3);

	fake_io_reset();
	memset(&dmar, 0, sizeof(dmar));
	one_unit(QEMU_CAP, QEMU_ECAP | VTD_ECAP_C);
	d = ops->domain_create("p1");
	before = fake_flushes;
	assert_int_equal(ops->attach(d, EDU1), 0);
	assert_int_equal(fake_flushes, before);
}

static void domain_ids_stay_within_nd(void **state)
{
	char name[32];
	(void)state;
	/* ND = 0: 16 domain IDs; CM = 1 reserves 0, so 15 domains. */
	one_unit((QEMU_CAP_CM & ~VTD_CAP_ND), QEMU_ECAP);
	assert_true(fake_log_has("domain IDs 1-15"));
	for (unsigned i = 1; i <= 15; i++) {
		snprintf(name, sizeof(name), "d%u", i);
		assert_non_null(ops->domain_create(name));
		snprintf(name, sizeof(name), "domain d%u: did %u,", i, i);
		assert_true(fake_log_has(name));
	}
	assert_null(ops->domain_create("d16"));
	assert_true(fake_log_has("ERR  vtd: domain d16: no domain ID left (15 in use, units allow 16)"));

	/* Without CM, 0 stays unused all the same. */
	fake_io_reset();
	memset(&dmar, 0, sizeof(dmar));
	one_unit((QEMU_CAP & ~VTD_CAP_ND), QEMU_ECAP);
	assert_true(fake_log_has("domain IDs 1-15"));
	for (unsigned i = 1; i <= 15; i++) {
		snprintf(name, sizeof(name), "d%u", i);
		assert_non_null(ops->domain_create(name));
	}
	assert_null(ops->domain_create("d16"));
	assert_null(ops->domain_create("d1"));           /* names are unique */
}

static void map_invalidates_only_under_caching_mode(void **state)
{
	(void)state;
	struct fake_vtd *v = one_unit(QEMU_CAP, QEMU_ECAP);
	struct iommu_domain *d = ops->domain_create("p1");
	assert_int_equal(ops->attach(d, EDU1), 0);
	fake_vtd_clear_events(v);
	assert_int_equal(ops->map(d, IOVA, buf_pa, 0x2000, IOMMU_READ | IOMMU_WRITE), 0);
	assert_int_equal(v->nr_events, 0);
	/* Unmap always reaches the IOTLB, page-selective. */
	assert_int_equal(ops->unmap(d, IOVA, 0x2000), 0);
	const struct fake_vtd_event *e = fake_vtd_nth(v, FV_IOTLB, 0);
	assert_non_null(e);
	assert_true(e->a == 3 && e->did == 1 && e->addr == IOVA && e->am == 1);

	fake_io_reset();
	memset(&dmar, 0, sizeof(dmar));
	v = one_unit(QEMU_CAP_CM, QEMU_ECAP);
	d = ops->domain_create("p1");
	assert_int_equal(ops->attach(d, EDU1), 0);
	fake_vtd_clear_events(v);
	assert_int_equal(ops->map(d, IOVA, buf_pa, 2 * MiB, IOMMU_READ), 0);
	e = fake_vtd_nth(v, FV_IOTLB, 0);
	assert_non_null(e);
	assert_true(e->a == 3 && e->did == 1 && e->addr == IOVA && e->am == 9);
}

/* A move of a region (unmap, map) with a plain function, as the domain counts it by kind of change. */
static void move_counts(u64 cap, struct iommu_change_counts *c)
{
	struct fake_vtd *v = one_unit(cap, QEMU_ECAP);
	struct iommu_domain *d = ops->domain_create("p1");
	assert_int_equal(ops->attach(d, EDU1), 0);
	assert_int_equal(ops->map(d, IOVA, buf_pa, 2 * MiB, IOMMU_READ | IOMMU_WRITE), 0);
	fake_vtd_clear_events(v);
	iommu_domain_change_counts(d, c);
	assert_int_equal(c->changes[0], 1);
	assert_int_equal(c->changes[1], 0);
	assert_int_equal(ops->unmap(d, IOVA, 2 * MiB), 0);
	assert_int_equal(ops->map(d, IOVA, buf_pa, 2 * MiB, IOMMU_READ | IOMMU_WRITE), 0);
	iommu_domain_change_counts(d, c);
	/* The batches counted are the waits the unit saw. */
	assert_int_equal(c->batches[0] + c->batches[1] - (cap & VTD_CAP_CM ? 1 : 0), fake_vtd_count(v, FV_WAIT));
}

/* SPEC: §6.1: without caching mode a move is the unmap's one batch; under it the map takes one too. */
static void a_move_takes_one_batch_without_caching_mode_and_two_with(void **state)
{
	(void)state;
	struct iommu_change_counts c;

	move_counts(QEMU_CAP, &c);
	assert_int_equal(c.changes[0], 2);
	assert_int_equal(c.changes[1], 1);
	assert_int_equal(c.batches[0], 0);
	assert_int_equal(c.descriptors[0], 0);
	assert_int_equal(c.batches[1], 1);
	assert_int_equal(c.descriptors[1], 2);                 /* IOTLB, wait */
	assert_int_equal(c.wb_flushes[0] + c.wb_flushes[1], 0);

	fake_io_reset();
	memset(&dmar, 0, sizeof(dmar));
	move_counts(QEMU_CAP_CM, &c);
	assert_int_equal(c.batches[0], 2);                     /* both maps */
	assert_int_equal(c.descriptors[0], 4);
	assert_int_equal(c.batches[1], 1);
	assert_int_equal(c.descriptors[1], 2);

	fake_io_reset();
	memset(&dmar, 0, sizeof(dmar));
	move_counts(QEMU_CAP | VTD_CAP_RWBF, &c);
	assert_int_equal(c.batches[0], 0);
	assert_int_equal(c.wb_flushes[0], 2);
	assert_int_equal(c.wb_flushes[1], 0);                  /* an unmap invalidates instead */
	assert_int_equal(c.batches[1], 1);
}

/* Table pages a domain holds after mapping 1 GiB at a 1 GiB-aligned IOVA and HPA, on a unit with cap. */
static u64 pages_for_1g(u64 cap)
{
	one_unit(cap, QEMU_ECAP);
	struct iommu_domain *d = ops->domain_create("p1");
	assert_int_equal(iommu_domain_table_pages(d), 1);              /* the root */
	assert_int_equal(ops->map(d, GiB, GiB, GiB, IOMMU_READ | IOMMU_WRITE), 0);
	u64 n = iommu_domain_table_pages(d);
	assert_int_equal(ops->unmap(d, GiB, GiB), 0);
	fake_io_reset();
	memset(&dmar, 0, sizeof(dmar));
	return n;
}

/* CAP.SLLPS decides the leaves: 1 GiB costs 2 pages (4 levels), 3 with 2 MiB leaves, 515 with 4 KiB ones. */
static void domain_tables_use_the_largest_leaves_the_unit_allows(void **state)
{
	(void)state;
	assert_int_equal(pages_for_1g(QEMU_CAP), 2);
	assert_int_equal(pages_for_1g((QEMU_CAP & ~VTD_CAP_SLLPS) | FIELD_PREP(VTD_CAP_SLLPS, VTD_SLLPS_2M)), 3);
	assert_int_equal(pages_for_1g(QEMU_CAP & ~VTD_CAP_SLLPS), 1 + 1 + 1 + 512);
	assert_int_equal(iommu_domain_table_pages(NULL), 0);
}

static void map_with_rwbf_flushes_the_write_buffer(void **state)
{
	(void)state;
	struct fake_vtd *v = one_unit(QEMU_CAP | VTD_CAP_RWBF, QEMU_ECAP);
	struct iommu_domain *d = ops->domain_create("p1");
	assert_int_equal(ops->attach(d, EDU1), 0);
	fake_vtd_clear_events(v);
	assert_int_equal(ops->map(d, IOVA, buf_pa, 0x1000, IOMMU_READ), 0);
	assert_int_equal(fake_vtd_count(v, FV_GCMD), 1);
	/* The flush carries what is on: the queue and interrupt remapping. */
	assert_int_equal(fake_vtd_nth(v, FV_GCMD, 0)->a, VTD_GCMD_WBF | VTD_GCMD_QIE | VTD_GCMD_IRE);
}

/* What iommu_fault_sink was handed. */
static struct { unsigned calls; struct iommu_domain *d; u32 sbdf; } sink;
static void record_sink(struct iommu_domain *d, u32 sbdf)
{
	sink.calls++;
	sink.d = d;
	sink.sbdf = sbdf;
}

static void enable_polls_and_walk_work_through_the_ops(void **state)
{
	(void)state;
	struct fake_vtd *v = one_unit(QEMU_CAP_CM, QEMU_ECAP);
	struct iommu_domain *p1 = ops->domain_create("p1");
	assert_int_equal(ops->map(p1, IOVA, buf_pa, 0x1000, IOMMU_READ | IOMMU_WRITE), 0);
	assert_int_equal(ops->attach(p1, EDU1), 0);
	assert_int_equal(ops->enable(), 0);
	assert_true(fake_io_get32(v->r, VTD_GSTS_REG) & VTD_GSTS_TES);

	/* A fault from p1's device is counted against p1 and handed to the sink; one from elsewhere to nobody. */
	memset(&sink, 0, sizeof(sink));
	iommu_fault_sink = record_sink;
	fake_vtd_fault(v, EDU1, IOVA + 0x1000, VTD_FR_READ, false);
	ops->poll_faults();
	assert_int_equal(sink.calls, 1);
	assert_ptr_equal(sink.d, p1);
	assert_int_equal(sink.sbdf, EDU1);
	fake_vtd_fault(v, EDU2, IOVA, VTD_FR_CTX_P, true);
	ops->poll_faults();
	assert_int_equal(sink.calls, 1);
	iommu_fault_sink = NULL;
	u64 logged, suppressed;
	iommu_domain_fault_counts(p1, &logged, &suppressed);
	assert_int_equal(logged, 1);
	assert_int_equal(suppressed, 0);
	assert_true(fake_log_has("ERR  vtd0: dma fault sid=00:03.0 dir=read addr=0x0000000010001000 reason=0x06 "));
	assert_true(fake_log_has("domain=p1"));
	assert_true(fake_log_has("ERR  vtd0: dma fault sid=00:04.0 dir=write addr=0x0000000010000000 reason=0x02 "));
	assert_true(fake_log_has("domain=none"));
	assert_int_equal(iommu_domain_faults(p1), 1);

	char want[96];
	assert_int_equal(ops->walk(EDU1, IOVA, true), 0);
	snprintf(want, sizeof(want), "-> hpa 0x%016llx", (unsigned long long)buf_pa);
	assert_true(fake_log_has(want));
	assert_int_equal(ops->walk(EDU2, IOVA, false), 0);
	assert_true(fake_log_has("-> fault reason 0x02"));
}

static void attach_without_a_covering_unit_fails(void **state)
{
	(void)state;
	fake_vtd_add(UNIT_PA, QEMU_CAP, QEMU_ECAP);
	drhd(UNIT_PA, false);
	dmar.units[0].flags = 0;                /* no INCLUDE_PCI_ALL, no scopes */
	assert_int_equal(ops->init(&dmar), 0);
	struct iommu_domain *d = ops->domain_create("p1");
	assert_int_equal(ops->attach(d, EDU1), -HV_ENODEV);
	assert_int_equal(ops->walk(EDU1, IOVA, false), -HV_ENODEV);
}

/* ---- several units, several segments -------------------------------------- */

#define MANY_UNITS      12
#define IGD             0x0010u         /* 0000:00:02.0, an integrated SR-IOV PF */
#define IGD_VF1         0x0011u         /* 0000:00:02.1, its VF 1 */
#define SEG1_EP         PCI_SBDF(1, 0, 5, 0)

/* A DRHD of segment 0 without INCLUDE_PCI_ALL whose endpoint scopes name sids[0..n). */
static void drhd_naming(u64 base, const u16 *sids, u32 n)
{
	struct dmar_unit *u = &dmar.units[dmar.nr_units++];
	u->base_pa = base;
	u->first_scope = (u16)dmar.nr_scopes;
	u->nr_scopes = (u16)n;
	for (u32 i = 0; i < n; i++)
		dmar.scopes[dmar.nr_scopes++] = (struct dmar_scope){ .type = DMAR_SCOPE_ENDPOINT, .nr_hops = 1,
								     .res = DMAR_RES_TABLE, .bdf = sids[i] };
}

/* Whether v holds a present context entry for sid. */
static bool attached(const struct fake_vtd *v, u16 sid)
{
	const u64 *ce = context_entry(v, sid);
	return ce && (ce[0] & VTD_CE_LO_P);
}

/*
 * A server-sized DMAR: units 0-9 of segment 0 each name functions (unit 9
 * EDU1 and the integrated PF at 00:02.0), unit 10 is segment 1's
 * INCLUDE_PCI_ALL unit, unit 11 segment 0's. A function's context entry
 * goes to its own unit only, a VF's to its PF's unit, and a change to the
 * map is invalidated on exactly the units where the domain has functions.
 */
static void each_function_is_programmed_on_its_own_unit(void **state)
{
	(void)state;
	struct fake_vtd *v[MANY_UNITS];

	for (u32 i = 0; i < MANY_UNITS; i++) {
		u64 base = UNIT_PA + i * 0x1000;
		v[i] = fake_vtd_add(base, QEMU_CAP, QEMU_ECAP);
		assert_non_null(v[i]);
		if (i < 9) {
			const u16 sid = (u16)PCI_RID(PCI_SBDF(0, 0, 0x10 + i, 0));
			drhd_naming(base, &sid, 1);
		} else if (i == 9) {
			const u16 sids[] = { EDU1, IGD };
			drhd_naming(base, sids, 2);
		} else {
			drhd(base, false);
			dmar.units[i].segment = i == 10 ? 1 : 0;
		}
	}
	/* The PCI model knows 00:02.1 as VF 1 of 00:02.0. */
	pci_reset();
	struct pci_dev *pf = pci_dev_add(PCI_SBDF(0, 0, 2, 0));
	struct pci_dev *vf = pci_dev_add(PCI_SBDF(0, 0, 2, 1));
	assert_non_null(pf);
	assert_non_null(vf);
	vf->kind = PCI_KIND_VF;
	vf->pf = pf;
	vf->vf_index = 1;

	assert_int_equal(ops->init(&dmar), 0);
	assert_true(fake_log_has("INFO vtd: 12 of 12 remapping unit(s) up"));
	assert_true(fake_log_has("vtd11: unit at 0x00000000fed9b000 segment 0"));
	assert_true(fake_log_has("vtd10: unit at 0x00000000fed9a000 segment 1"));
	struct iommu_domain *d = ops->domain_create("p1");
	assert_non_null(d);
	assert_int_equal(ops->attach(d, EDU1), 0);
	assert_int_equal(ops->attach(d, IGD_VF1), 0);
	assert_int_equal(ops->attach(d, SEG1_EP), 0);
	for (u32 i = 0; i < MANY_UNITS; i++) {
		if (i == 9) {
			assert_true(attached(v[i], EDU1));
			assert_true(attached(v[i], IGD_VF1));
		} else {
			assert_false(attached(v[i], EDU1));
			assert_false(attached(v[i], IGD_VF1));
		}
		if (i == 10)
			assert_true(attached(v[i], PCI_RID(SEG1_EP)));
		else
			assert_false(attached(v[i], PCI_RID(SEG1_EP)));
	}
	/* A function of segment 0 named nowhere goes to segment 0's INCLUDE_PCI_ALL unit. */
	assert_int_equal(ops->attach(d, PCI_SBDF(0, 7, 0, 0)), 0);
	assert_true(attached(v[11], 0x0700));
	assert_false(attached(v[10], 0x0700));

	assert_int_equal(ops->map(d, IOVA, buf_pa, 4096, IOMMU_READ | IOMMU_WRITE), 0);
	for (u32 i = 0; i < MANY_UNITS; i++)
		fake_vtd_clear_events(v[i]);
	assert_int_equal(ops->unmap(d, IOVA, 4096), 0);
	for (u32 i = 0; i < MANY_UNITS; i++) {
		bool has = i == 9 || i == 10 || i == 11;
		bool iotlb = false;
		for (u32 k = 0; k < v[i]->nr_events; k++)
			iotlb |= v[i]->ev[k].kind == FV_IOTLB && v[i]->ev[k].did == 1;
		if (iotlb != has)
			fail_msg("unit %u: IOTLB invalidation %s, the domain has %sfunctions there", i,
				 iotlb ? "ran" : "missing", has ? "" : "no ");
	}
	pci_reset();
}

/* ---- ATS: device-TLB in the context entry and in every invalidation --------- */

#define ATS_EP          0x0100u         /* 0000:01:00.0 */

/*
 * A fake ATS function: its Address Translation Cache, filled through the
 * software walker on a miss (what a translation request gets), emptied
 * only by the device-TLB invalidations the unit forwards to its SID.
 */
static struct {
	u64 root;
	unsigned n, walks;
	struct { u64 page, hpa; } e[8];
} atc;

static void atc_invalidate(struct fake_vtd *v, u16 sid, u64 base, unsigned order, void *ctx)
{
	(void)v;
	(void)ctx;
	if (sid != ATS_EP)
		return;
	for (unsigned i = 0; i < atc.n;)
		if (order >= 52 || (atc.e[i].page >= base && atc.e[i].page - base < (PAGE_SIZE << order)))
			atc.e[i] = atc.e[--atc.n];
		else
			i++;
}

/* The HPA the function uses for iova: its ATC's, or a fresh walk cached there. */
static u64 atc_translate(u64 iova)
{
	u64 page = iova & ~(PAGE_SIZE - 1);
	for (unsigned i = 0; i < atc.n; i++)
		if (atc.e[i].page == page)
			return atc.e[i].hpa | (iova & (PAGE_SIZE - 1));
	struct vtd_walk_result r;
	assert_int_equal(vtd_walk(atc.root, ATS_EP, iova, true, &r), 0);
	atc.walks++;
	if (r.reason != VTD_FR_NONE)
		return ~0ULL;
	assert_true(atc.n < ARRAY_SIZE(atc.e));
	atc.e[atc.n].page = page;
	atc.e[atc.n++].hpa = r.hpa & ~(PAGE_SIZE - 1);
	return r.hpa;
}

/* Domain "a" with the ATS function attached and device-TLB on; IOVA mapped to buf_pa. */
static struct iommu_domain *ats_domain(struct fake_vtd **vp)
{
	struct fake_vtd *v = one_unit(QEMU_CAP, QEMU_ECAP);         /* QEMU's ECAP has QI and DT */
	struct iommu_domain *d = ops->domain_create("a");
	const struct iommu_ats ats = { .pfsid = ATS_EP, .qdepth = 32 };
	char why[128];

	assert_non_null(d);
	assert_int_equal(ops->map(d, IOVA, buf_pa, 0x2000, IOMMU_READ | IOMMU_WRITE), 0);
	assert_int_equal(ops->set_ats(d, ATS_EP, &ats, why, sizeof(why)), -HV_ENOENT);      /* not attached yet */
	assert_int_equal(ops->attach(d, ATS_EP), 0);
	assert_int_equal(ops->set_ats(d, ATS_EP, &ats, why, sizeof(why)), 0);
	memset(&atc, 0, sizeof(atc));
	atc.root = v->root_pa;
	v->on_devtlb = atc_invalidate;
	fake_vtd_clear_events(v);
	*vp = v;
	return d;
}

/* Moves IOVA's first page to hpa the way a remap does: unmap, then map. */
static void remap(struct iommu_domain *d, u64 hpa)
{
	assert_int_equal(ops->unmap(d, IOVA, 0x1000), 0);
	assert_int_equal(ops->map(d, IOVA, hpa, 0x1000, IOMMU_READ | IOMMU_WRITE), 0);
}

static void ats_context_entry_takes_translation_requests(void **state)
{
	(void)state;
	struct fake_vtd *v;
	ats_domain(&v);
	const u64 *ce = context_entry(v, ATS_EP);
	assert_non_null(ce);
	assert_int_equal(FIELD_GET(VTD_CE_LO_TT, ce[0]), VTD_TT_DEVTLB);
	assert_true(fake_log_has("INFO vtd0: 01:00.0: context entry translation type device-TLB (domain a, did "));
	/* The function's first translation walks; the second is its ATC's. */
	assert_int_equal(atc_translate(IOVA + 0x10), buf_pa + 0x10);
	assert_int_equal(atc_translate(IOVA + 0x20), buf_pa + 0x20);
	assert_int_equal(atc.walks, 1);
}

/* IOTLB first, then the device's ATC, then one wait: the function sees the new page. */
static void remap_invalidates_iotlb_then_device_tlb_then_waits(void **state)
{
	(void)state;
	struct fake_vtd *v;
	struct iommu_domain *d = ats_domain(&v);
	u64 new_pa = buf_pa + 0x100000;

	assert_int_equal(atc_translate(IOVA), buf_pa);
	remap(d, new_pa);
	/* The unmap's batch: page-selective IOTLB, device-TLB of the same page, one wait. */
	assert_true(v->nr_events >= 3);
	assert_int_equal(v->ev[0].kind, FV_IOTLB);
	assert_int_equal(v->ev[0].a, 3);
	assert_int_equal(v->ev[0].addr, IOVA);
	assert_int_equal(v->ev[0].am, 0);
	assert_int_equal(v->ev[1].kind, FV_DEVTLB);
	assert_int_equal(v->ev[1].sid, ATS_EP);
	assert_int_equal(v->ev[1].addr, IOVA);
	assert_int_equal(v->ev[1].am, 0);
	assert_int_equal(v->ev[2].kind, FV_WAIT);
	assert_int_equal(atc_translate(IOVA), new_pa);
	assert_int_equal(fake_io_get32(v->r, VTD_FSTS_REG), 0);
	/* The domain counted what it ran: two batches (unmap, and map: ATS means every change). */
	char line[256];
	iommu_domain_inv_format(d, line, sizeof(line));
	assert_non_null(strstr(line, "context 0, iotlb 2, devtlb 2, iec 0, wait 2 descriptors; 2 waits of "));
}

/* The test can fail: without the device-TLB step the function keeps the old page. */
static void without_the_device_tlb_step_the_function_keeps_a_stale_page(void **state)
{
	(void)state;
	struct fake_vtd *v;
	struct iommu_domain *d = ats_domain(&v);
	u64 new_pa = buf_pa + 0x100000;

	assert_int_equal(atc_translate(IOVA), buf_pa);
	vtd_inv_test_skip_devtlb = true;
	remap(d, new_pa);
	vtd_inv_test_skip_devtlb = false;
	assert_int_equal(fake_vtd_count(v, FV_DEVTLB), 0);
	assert_int_equal(atc_translate(IOVA), buf_pa);          /* stale: the page it no longer owns */
	assert_int_not_equal(atc_translate(IOVA), new_pa);
}

/* A range: one page-selective IOTLB with its mask, one device-TLB with the size bit; everything past 2^51 pages. */
static void device_tlb_ranges_follow_the_iotlb_mask(void **state)
{
	(void)state;
	struct fake_vtd *v;
	struct iommu_domain *d = ats_domain(&v);

	assert_int_equal(ops->unmap(d, IOVA, 0x2000), 0);
	assert_int_equal(fake_vtd_nth(v, FV_IOTLB, 0)->am, 1);
	const struct fake_vtd_event *e = fake_vtd_nth(v, FV_DEVTLB, 0);
	assert_non_null(e);
	assert_int_equal(e->addr, IOVA);
	assert_int_equal(e->am, 1);
	assert_int_equal(e->a >> 16, 0);                /* MIP: a depth of 32 is encoded 0 */
}

/* A unit without DT, or without a queue, refuses with the reason; nothing changes. */
static void ats_needs_device_tlb_support_and_a_queue(void **state)
{
	(void)state;
	struct fake_vtd *v = one_unit(QEMU_CAP, QEMU_ECAP & ~VTD_ECAP_DT);
	struct iommu_domain *d = ops->domain_create("a");
	const struct iommu_ats ats = { .pfsid = ATS_EP, .qdepth = 32 };
	char why[128];

	assert_int_equal(ops->attach(d, ATS_EP), 0);
	assert_int_equal(ops->set_ats(d, ATS_EP, &ats, why, sizeof(why)), -HV_ENOTSUP);
	assert_string_equal(why, "vtd0 has no device-TLB support (ECAP.DT = 0)");
	assert_int_equal(FIELD_GET(VTD_CE_LO_TT, context_entry(v, ATS_EP)[0]), VTD_TT_UNTRANSLATED);
}

/*
 * A function that never answers its device-TLB invalidation: the unit
 * reports ITE; the unmap fails with a time-out (so its caller contains the
 * function), ITE is cleared and the queue serves the next batch.
 */
static void device_tlb_time_out_is_reported_and_the_queue_recovers(void **state)
{
	(void)state;
	struct fake_vtd *v;
	struct iommu_domain *d = ats_domain(&v);

	v->devtlb_hang = true;
	v->devtlb_hang_sid = ATS_EP;
	assert_int_equal(ops->unmap(d, IOVA, 0x1000), -HV_ETIMEDOUT);
	assert_true(fake_log_has("ERR  vtd0: invalidation time-out (ITE): a device did not answer its device-TLB invalidation (the unit recorded no ITESID"));
	assert_int_equal(fake_io_get32(v->r, VTD_FSTS_REG) & VTD_FSTS_ITE, 0);
	char line[256];
	iommu_domain_inv_format(d, line, sizeof(line));
	assert_non_null(strstr(line, ", 1 timed out"));
	/* The queue runs on: the next change completes (the hang is gone with ITE). */
	fake_vtd_clear_events(v);
	assert_int_equal(ops->unmap(d, IOVA + 0x1000, 0x1000), 0);
	assert_int_equal(fake_vtd_count(v, FV_WAIT), 1);
	assert_int_equal(fake_io_get32(v->r, VTD_FSTS_REG), 0);
	/* A unit that records the late device in IQERCD: the line names it. */
	v->devtlb_hang = true;
	v->record_itesid = true;
	assert_int_equal(ops->unmap(d, IOVA, 0x1000), -HV_ETIMEDOUT);
	assert_true(fake_log_has("ERR  vtd0: invalidation time-out (ITE): 01:00.0 did not answer its device-TLB invalidation (IQERCD ITESID"));
}

/* The end of the run: counters, then FSTS checked clean; a bit left set fails the check. */
static void end_of_run_checks_fault_status_is_clean(void **state)
{
	(void)state;
	struct fake_vtd *v;
	struct iommu_domain *d = ats_domain(&v);
	u32 passed = check_passed(), failed = check_failed();

	remap(d, buf_pa + 0x100000);
	ops->log_counters();
	assert_true(fake_log_has("INFO vtd0: invalidations: "));
	assert_true(fake_log_has("check: pass vtd0: FSTS 0x00000000 after "));
	assert_int_equal(check_passed(), passed + 1);
	/* An invalidation queue error nobody cleared. */
	fake_io_set32(v->r, VTD_FSTS_REG, VTD_FSTS_IQE);
	ops->log_counters();
	assert_true(fake_log_has("check: FAIL vtd0: FSTS 0x00000010 after "));
	assert_int_equal(check_failed(), failed + 1);
}

/* Partition stop: its ranges out at once, one IOTLB and one device-TLB descriptor covering them, one wait. */
static void unmapping_ranges_runs_one_batch_for_all(void **state)
{
	(void)state;
	struct fake_vtd *v;
	struct iommu_domain *d = ats_domain(&v);
	const struct iommu_range r[] = { { IOVA, 0x1000 }, { IOVA + 0x1000, 0x1000 } };

	assert_int_equal(atc_translate(IOVA), buf_pa);
	assert_int_equal(atc_translate(IOVA + 0x1000), buf_pa + 0x1000);
	fake_vtd_clear_events(v);
	assert_int_equal(ops->unmap_ranges(d, r, 2), 0);
	assert_int_equal(v->nr_events, 3);
	assert_int_equal(v->ev[0].kind, FV_IOTLB);
	assert_int_equal(v->ev[0].addr, IOVA);
	assert_int_equal(v->ev[0].am, 1);                       /* two pages */
	assert_int_equal(v->ev[1].kind, FV_DEVTLB);
	assert_int_equal(v->ev[1].addr, IOVA);
	assert_int_equal(v->ev[1].am, 1);
	assert_int_equal(v->ev[2].kind, FV_WAIT);
	/* Neither page is reachable any more, from the ATC or the tables. */
	assert_int_equal(atc_translate(IOVA), ~0ULL);
	assert_int_equal(atc_translate(IOVA + 0x1000), ~0ULL);
	assert_int_equal(ops->unmap_ranges(d, r, 0), -HV_EINVAL);
}

/* Off again: back to untranslated, and no device-TLB descriptors any more. */
static void ats_off_returns_to_untranslated(void **state)
{
	(void)state;
	struct fake_vtd *v;
	struct iommu_domain *d = ats_domain(&v);
	char why[8];

	assert_int_equal(ops->set_ats(d, ATS_EP, NULL, why, sizeof(why)), 0);
	assert_int_equal(FIELD_GET(VTD_CE_LO_TT, context_entry(v, ATS_EP)[0]), VTD_TT_UNTRANSLATED);
	fake_vtd_clear_events(v);
	assert_int_equal(ops->unmap(d, IOVA, 0x1000), 0);
	assert_int_equal(fake_vtd_count(v, FV_DEVTLB), 0);
	assert_int_equal(fake_vtd_count(v, FV_IOTLB), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_usable_drhd_becomes_a_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(fault_events_are_routed_to_a_vector_and_unmasked, setup, teardown),
		cmocka_unit_test_setup_teardown(fault_event_handler_drains_every_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(no_usable_unit_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupt_remapping_is_checked_and_its_table_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(dmar_flags_about_interrupts_are_logged_and_remapping_stays_on, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupt_fault_is_charged_to_the_device_domain, setup, teardown),
		cmocka_unit_test_setup_teardown(attach_writes_present_entry_then_invalidates, setup, teardown),
		cmocka_unit_test_setup_teardown(attach_under_caching_mode_invalidates_domain_0_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(moving_a_device_goes_through_not_present, setup, teardown),
		cmocka_unit_test_setup_teardown(detach_clears_the_entry_and_the_old_domain_caches, setup, teardown),
		cmocka_unit_test_setup_teardown(non_coherent_unit_gets_its_entries_flushed, setup, teardown),
		cmocka_unit_test_setup_teardown(domain_ids_stay_within_nd, setup, teardown),
		cmocka_unit_test_setup_teardown(map_invalidates_only_under_caching_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(map_with_rwbf_flushes_the_write_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(domain_tables_use_the_largest_leaves_the_unit_allows, setup, teardown),
		cmocka_unit_test_setup_teardown(a_move_takes_one_batch_without_caching_mode_and_two_with, setup, teardown),
		cmocka_unit_test_setup_teardown(enable_polls_and_walk_work_through_the_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(attach_without_a_covering_unit_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(each_function_is_programmed_on_its_own_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(ats_context_entry_takes_translation_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(remap_invalidates_iotlb_then_device_tlb_then_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(without_the_device_tlb_step_the_function_keeps_a_stale_page, setup, teardown),
		cmocka_unit_test_setup_teardown(device_tlb_ranges_follow_the_iotlb_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(ats_needs_device_tlb_support_and_a_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(ats_off_returns_to_untranslated, setup, teardown),
		cmocka_unit_test_setup_teardown(device_tlb_time_out_is_reported_and_the_queue_recovers, setup, teardown),
		cmocka_unit_test_setup_teardown(end_of_run_checks_fault_status_is_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(unmapping_ranges_runs_one_batch_for_all, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupt_entries_belong_to_the_device_domain, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
