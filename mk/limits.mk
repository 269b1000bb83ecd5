# Containment by limits: durations (time-limit) and the limits' boot-CPU side (vm/part/limits.c).
CORE_SRCS += kernel/duration.c vm/part/limits.c
