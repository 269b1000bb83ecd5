# kernel/cmdline.c: the command line's words, their repeats, log= parts and the length limit.
UNIT_TESTS += test_cmdline
test_cmdline_SRCS := tests/unit/kernel/test_cmdline.c kernel/cmdline.c kernel/duration.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_log.c
