# Attack tests ([sluice] attack-test = on): targets, snapshots, the matrix (vm/part/attack.h).
CORE_SRCS += vm/part/attack.c
