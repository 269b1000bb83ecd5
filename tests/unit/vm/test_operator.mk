# vm/part/operator.c: the console's commands against a fake bus and hand-built partitions, through kernel/console.c.
UNIT_TESTS += test_operator
test_operator_SRCS := tests/unit/vm/test_operator.c vm/part/operator.c vm/part/limits.c kernel/console.c vm/dev/vuart.c vm/dev/vpci.c vm/dev/vpci_msi.c vm/dev/vpci_msix.c kernel/duration.c pci/pci_enum.c pci/pci_bar.c pci/pci_cap.c pci/pci_acs.c pci/pci_ats.c kernel/wait.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_io.c tests/fakes/fake_mem.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
$(HOST)/test_operator: $(wildcard vm/part/*.h kernel/console.h)
