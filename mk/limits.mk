# Containment by limits: durations (time-limit) and the limits' boot-CPU side (vm/limits.c).
CORE_SRCS += kernel/duration.c vm/limits.c
