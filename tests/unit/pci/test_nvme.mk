# pci/nvme.c (commands, queues) and pci/nvme_pf.c (PF provisioning) against a fake NVMe subsystem.
UNIT_TESTS += test_nvme
test_nvme_SRCS := tests/unit/pci/test_nvme.c pci/nvme.c pci/nvme_pf.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_nvme.c
