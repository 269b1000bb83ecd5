# vm/part/guest_image.c vm/part/linux_boot.c: ELF64 and Multiboot images into host buffers, the guest's tables through kernel/pgtable.c.
UNIT_TESTS += test_guest_image
test_guest_image_SRCS := tests/unit/vm/test_guest_image.c vm/part/guest_image.c vm/part/linux_boot.c kernel/pgtable.c kernel/page_alloc.c kernel/page_zero.c kernel/memmap.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_mem.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
