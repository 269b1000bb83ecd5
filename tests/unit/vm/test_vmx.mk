# vm/cpu/vmx_caps.c and vm/cpu/vmx_exit.c: VMCS encodings against appendix B, controls from capability MSRs (Bochs, a Xeon, missing controls), FEATURE_CONTROL, EPTP, bitmaps, exit decoding.
UNIT_TESTS += test_vmx
test_vmx_SRCS := tests/unit/vm/test_vmx.c vm/cpu/vmx_caps.c vm/cpu/vmx_exit.c vm/cpu/vmx.c vm/cpu/virt.c vm/cpu/svm.c tests/fakes/fake_vmx.c kernel/page_alloc.c kernel/page_zero.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_mem.c tests/fakes/fake_ram.c tests/fakes/fake_cpu.c tests/fakes/fake_log.c
