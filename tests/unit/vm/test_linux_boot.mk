# vm/part/linux_boot.c: bzImage header checks, the e820 map, boot_params, placement and the 64-bit entry, into host buffers.
UNIT_TESTS += test_linux_boot
test_linux_boot_SRCS := tests/unit/vm/test_linux_boot.c vm/part/linux_boot.c vm/part/guest_image.c kernel/pgtable.c kernel/page_alloc.c kernel/page_zero.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_mem.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
