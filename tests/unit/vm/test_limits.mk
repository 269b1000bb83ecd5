# vm/part/limits.c: the boot CPU's stop decisions (time limits) and the DMA fault limit per device.
UNIT_TESTS += test_limits
test_limits_SRCS := tests/unit/vm/test_limits.c vm/part/limits.c vm/dev/vpci.c vm/dev/vpci_msi.c vm/dev/vpci_msix.c kernel/duration.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_io.c tests/fakes/fake_mem.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
