# iommu/vtd_desc.c: every invalidation descriptor against the spec's bit layout.
UNIT_TESTS += test_vtd_desc
test_vtd_desc_SRCS := tests/unit/iommu/test_vtd_desc.c iommu/vtd_desc.c kernel/err.c
$(HOST)/test_vtd_desc: $(wildcard iommu/*.h)
