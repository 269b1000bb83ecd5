# The AMD SVM + nested paging back end, the vendor pick, and the partition runtime on top.
CORE_SRCS += vm/cpu/svm.c vm/cpu/virt.c vm/part/exit.c vm/part/mark.c vm/part/stop.c vm/part/map.c vm/part/console.c vm/part/partition.c vm/part/run.c vm/part/remap.c vm/part/irq.c vm/cpu/svm_selftest.c
ASM_SRCS += kernel/native/svm_entry.asm
CORE_SRCS += vm/part/lapic.c vm/part/legacy.c vm/cpu/msr.c vm/cpu/cpuid.c vm/part/msr.c
