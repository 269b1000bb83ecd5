UNIT_TESTS += test_console
test_console_SRCS := tests/unit/kernel/test_console.c kernel/console.c pci/pci_enum.c pci/pci_bar.c pci/pci_cap.c pci/pci_acs.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
