# pci/pci_sriov.c and pci/pci_space.c on the enumeration, against fake SR-IOV PFs.
UNIT_TESTS += test_sriov
test_sriov_SRCS := tests/unit/pci/test_sriov.c pci/pci_sriov.c pci/pci_space.c pci/pci_enum.c pci/pci_bar.c pci/pci_cap.c pci/pci_acs.c kernel/wait.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
