# tools/capture.c (sluice-check's capture as the PCI config door) on small captures written by the test.
UNIT_TESTS += test_capture
test_capture_SRCS := tests/unit/tools/test_capture.c tools/capture.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_mem.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
$(HOST)/test_capture: $(wildcard tools/*.h)
