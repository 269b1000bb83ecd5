# The story of a run: a banner per stage of the path, the partitions' verdicts (vm/part/story.h).
CORE_SRCS += vm/part/story.c
