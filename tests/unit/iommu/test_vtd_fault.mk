# iommu/vtd_fault.c: fault recording register decode, reason texts, the log line.
UNIT_TESTS += test_vtd_fault
test_vtd_fault_SRCS := tests/unit/iommu/test_vtd_fault.c iommu/vtd_fault.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_log.c
$(HOST)/test_vtd_fault: $(wildcard iommu/*.h)
