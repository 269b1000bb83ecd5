# Attack tests ([sluice] attack-test = on): targets, snapshots, the matrix (vm/attack.h).
CORE_SRCS += vm/attack.c
