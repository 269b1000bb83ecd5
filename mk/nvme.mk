# NVMe: the portable queue/command code (shared with the test guests) and PF provisioning for SR-IOV.
CORE_SRCS += pci/nvme.c pci/nvme_pf.c vm/part/vf_setup.c vm/bench/pf_bench.c pci/pci_flr.c
