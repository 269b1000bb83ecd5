UNIT_TESTS += test_pci_groups
test_pci_groups_SRCS := tests/unit/pci/test_pci_groups.c pci/pci_enum.c pci/pci_bar.c pci/pci_cap.c pci/pci_acs.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_log.c
$(HOST)/test_pci_groups: $(wildcard pci/*.h tests/unit/pci/*.h)
