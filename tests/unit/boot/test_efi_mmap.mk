# boot/efi/efi_mmap.c, EFI memory map -> boot_info.mmap. The core file carries
# its own copy of the descriptor layout; the test also includes gnu-efi's efi.h
# to check that copy against EFI_MEMORY_DESCRIPTOR and EFI_MEMORY_TYPE.
UNIT_TESTS += test_efi_mmap
test_efi_mmap_SRCS := tests/unit/boot/test_efi_mmap.c boot/efi/efi_mmap.c
test_efi_mmap_CFLAGS := -I/usr/include/efi -I/usr/include/efi/x86_64

# The unit rule only tracks kernel/ and fakes headers.
$(HOST)/test_efi_mmap: boot/efi/efi_mmap.h
