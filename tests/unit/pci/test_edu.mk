# pci/edu.c against a fake edu device (tests/unit/pci/fake_edu.h on fake_io, fake_pci, fake_mem).
UNIT_TESTS += test_edu
test_edu_SRCS := tests/unit/pci/test_edu.c pci/edu.c kernel/wait.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_io.c tests/fakes/fake_pci.c tests/fakes/fake_mem.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
$(HOST)/test_edu: $(wildcard pci/*.h tests/unit/pci/*.h)
