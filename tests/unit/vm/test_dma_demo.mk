# vm/demo/dma_demo.c: stage 0 and stage 1 with fake edus DMAing through a fake IOMMU (vm_fixture.h).
UNIT_TESTS += test_dma_demo
test_dma_demo_SRCS := tests/unit/vm/test_dma_demo.c vm/demo/dma_demo.c vm/demo/dma_demo_keys.c vm/config/partition_cfg.c vm/config/ats_policy.c pci/pci_ats.c vm/config/partition_check.c kernel/duration.c vm/config/config.c iommu/dmar.c iommu/dmar_scope.c iommu/dmar_print.c pci/edu.c kernel/check.c kernel/wait.c kernel/page_alloc.c kernel/memmap.c pci/pci_enum.c pci/pci_bar.c pci/pci_cap.c pci/pci_acs.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_io.c tests/fakes/fake_mem.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
$(HOST)/test_dma_demo: $(wildcard vm/*.h iommu/*.h pci/*.h tests/unit/vm/*.h tests/unit/pci/*.h)
