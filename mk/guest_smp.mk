# Guest SMP: a partition's IPIs and its APs' INIT-SIPI-SIPI start (vm/part/smp.c).
CORE_SRCS += vm/part/smp.c
