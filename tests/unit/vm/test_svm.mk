# vm/svm.c: VMCB set-up, permission maps, exit decoding, a vcpu_run round trip (fake VMRUN).
UNIT_TESTS += test_svm
test_svm_SRCS := tests/unit/vm/test_svm.c vm/svm.c kernel/page_alloc.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_mem.c tests/fakes/fake_ram.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
