# vm/part/irq.c: host vectors and IRTEs for partitions' device MSIs, and their delivery (fakes in the test).
UNIT_TESTS += test_irq
test_irq_SRCS := tests/unit/vm/test_irq.c vm/part/irq.c pci/pci_enum.c pci/pci_bar.c pci/pci_cap.c pci/pci_acs.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_log.c
