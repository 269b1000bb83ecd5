# SMP: the CPU list, AP start-up (trampoline in boot/), the idle loop and wake-up IPIs.
CORE_SRCS += kernel/smp.c
NATIVE_SRCS += kernel/native/smp_hw.c
ASM_SRCS += boot/ap_trampoline.asm
