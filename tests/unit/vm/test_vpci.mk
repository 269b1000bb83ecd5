# vm/dev/vpci.c vm/dev/vpci_msi.c vm/dev/vpci_msix.c: a partition's view of PCI config space over fake functions.
UNIT_TESTS += test_vpci
test_vpci_SRCS := tests/unit/vm/test_vpci.c vm/dev/vpci.c vm/dev/vpci_msi.c vm/dev/vpci_msix.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_io.c tests/fakes/fake_mem.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
