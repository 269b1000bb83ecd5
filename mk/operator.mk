# The operator console's commands (vm/part/operator.h), run by kernel/console.c on the boot CPU.
CORE_SRCS += vm/part/operator.c
