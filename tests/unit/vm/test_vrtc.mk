# vm/dev/vrtc.c: a partition's read-only CMOS clock at a given wall clock.
UNIT_TESTS += test_vrtc
test_vrtc_SRCS := tests/unit/vm/test_vrtc.c vm/dev/vrtc.c kernel/rtc.c kernel/wait.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
