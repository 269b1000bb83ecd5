# Guest partitions: the image loader (elf64 and Multiboot v1).
CORE_SRCS += vm/part/guest_image.c vm/part/linux_boot.c vm/part/image_check.c
