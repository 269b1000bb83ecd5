# pci/pci_flr.c: Function Level Reset where the capability says so.
UNIT_TESTS += test_flr
test_flr_SRCS := tests/unit/pci/test_flr.c pci/pci_flr.c kernel/wait.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
