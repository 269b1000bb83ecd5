# iommu/vtd_unit.c, vtd_qi.c, vtd_context.c, vtd_fault_irq.c and vtd_domain.c
# against fake VT-d units (tests/fakes/fake_io.c) over fake memory.
VTD_UNIT_CORE := iommu/vtd_unit.c iommu/vtd_ir.c iommu/vtd_qi.c iommu/vtd_context.c iommu/vtd_fault_irq.c \
		 iommu/vtd_desc.c iommu/vtd_pagetable.c kernel/pgtable.c iommu/vtd_fault.c \
		 kernel/page_alloc.c kernel/page_zero.c kernel/memmap.c kernel/wait.c kernel/log.c kernel/fmt.c \
		 kernel/lib.c kernel/err.c \
		 tests/fakes/fake_io.c tests/fakes/fake_mem.c tests/fakes/fake_ram.c tests/fakes/fake_hw.c tests/fakes/fake_log.c

UNIT_TESTS += test_vtd_unit
test_vtd_unit_SRCS := tests/unit/iommu/test_vtd_unit.c $(VTD_UNIT_CORE)
$(HOST)/test_vtd_unit: $(wildcard iommu/*.h)

UNIT_TESTS += test_vtd_unit_qi
test_vtd_unit_qi_SRCS := tests/unit/iommu/test_vtd_unit_qi.c $(VTD_UNIT_CORE)
$(HOST)/test_vtd_unit_qi: $(wildcard iommu/*.h)

UNIT_TESTS += test_vtd_unit_domain
test_vtd_unit_domain_SRCS := tests/unit/iommu/test_vtd_unit_domain.c iommu/vtd_domain.c \
			     iommu/vtd_walk.c iommu/dmar.c iommu/dmar_scope.c iommu/dmar_print.c kernel/check.c \
			     pci/pci_enum.c pci/pci_bar.c pci/pci_cap.c pci/pci_acs.c tests/fakes/fake_pci.c \
			     $(VTD_UNIT_CORE)
$(HOST)/test_vtd_unit_domain: $(wildcard iommu/*.h)
