# pci/pci_ats.c on functions added to the enumeration's table, against fake ATS capabilities.
UNIT_TESTS += test_ats
test_ats_SRCS := tests/unit/pci/test_ats.c pci/pci_ats.c pci/pci_enum.c pci/pci_bar.c pci/pci_cap.c pci/pci_acs.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_log.c
