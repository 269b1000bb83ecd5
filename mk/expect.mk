# The check at a partition's end: its end against its config's `expect =` (vm/part/expect.h).
CORE_SRCS += vm/part/expect.c
