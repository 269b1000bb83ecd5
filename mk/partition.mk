# Guest partitions: the image loader (elf64 and Multiboot v1).
CORE_SRCS += vm/guest_image.c
