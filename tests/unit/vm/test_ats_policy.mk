# vm/config/ats_policy.c: who may use ATS (config, PCI path, capability, ATSR/SATC).
UNIT_TESTS += test_ats_policy
test_ats_policy_SRCS := tests/unit/vm/test_ats_policy.c vm/config/ats_policy.c iommu/dmar_scope.c iommu/dmar.c iommu/dmar_print.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_log.c
