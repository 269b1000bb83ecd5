# vm/part/map.c: the machine map's lines from a config, built partitions and fake remapping units; the fault lines.
# vm/config/partition_cfg.c names the access rights; the rest is what it links.
UNIT_TESTS += test_map
test_map_SRCS := tests/unit/vm/test_map.c vm/part/map.c vm/config/partition_cfg.c vm/config/ats_policy.c pci/pci_ats.c vm/config/partition_check.c vm/config/config.c kernel/duration.c iommu/dmar.c iommu/dmar_scope.c iommu/dmar_print.c pci/pci_enum.c pci/pci_bar.c pci/pci_cap.c pci/pci_acs.c kernel/check.c kernel/page_alloc.c kernel/page_zero.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_io.c tests/fakes/fake_mem.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
