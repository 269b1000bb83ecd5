# vm/cpu/svm.c, vm/cpu/msr.c (the MSR table the permission maps follow) and vm/cpu/virt.c: vendor pick and probe (fake CPUID/MSRs), VMCB set-up, permission maps, exit decoding, vcpu_run round trips (fake VMRUN).
UNIT_TESTS += test_svm
test_svm_SRCS := tests/unit/vm/test_svm.c vm/cpu/svm.c vm/cpu/virt.c vm/cpu/vmx.c vm/cpu/vmx_caps.c vm/cpu/msr.c vm/cpu/vmx_exit.c tests/fakes/fake_vmx.c kernel/page_alloc.c kernel/page_zero.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_mem.c tests/fakes/fake_ram.c tests/fakes/fake_cpu.c tests/fakes/fake_log.c
