# iommu/dmar_scope.c: DMAR scopes followed through tests/fakes/fake_pci.c, on
# the fixtures test_dmar.mk compiles (DMAR_FIXTURES is defined there).
UNIT_TESTS += test_dmar_scope
test_dmar_scope_SRCS := tests/unit/iommu/test_dmar_scope.c iommu/dmar.c iommu/dmar_scope.c iommu/dmar_print.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_log.c
test_dmar_scope_CFLAGS := -DDMAR_FIXTURE_DIR='"$(CURDIR)/$(HOST)/fixtures/dmar"'
$(HOST)/test_dmar_scope: $(wildcard iommu/dmar*.h) | $(DMAR_FIXTURES)
