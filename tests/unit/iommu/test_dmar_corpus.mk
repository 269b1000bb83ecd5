# iommu/dmar*.c over the real DMAR tables in the Makefile's DMAR_CORPUS, checked
# against their iasl disassembly; the test skips itself when that is absent.
UNIT_TESTS += test_dmar_corpus
test_dmar_corpus_SRCS := tests/unit/iommu/test_dmar_corpus.c iommu/dmar.c iommu/dmar_scope.c iommu/dmar_print.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_log.c
test_dmar_corpus_CFLAGS := -DDMAR_CORPUS_DIR='"$(abspath $(DMAR_CORPUS))"'
$(HOST)/test_dmar_corpus: $(wildcard iommu/dmar*.h)
