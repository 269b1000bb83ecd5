# The AMD SVM + nested paging back end, the vendor pick, and the partition runtime on top.
CORE_SRCS += vm/svm.c vm/virt.c vm/exit.c vm/partition.c vm/remap.c vm/svm_selftest.c
ASM_SRCS += kernel/native/svm_entry.asm
