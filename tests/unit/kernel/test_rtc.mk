# kernel/rtc.c: the calendar, the MC146818A's encodings, the host clock read through fake ports.
UNIT_TESTS += test_rtc
test_rtc_SRCS := tests/unit/kernel/test_rtc.c kernel/rtc.c kernel/wait.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_hw.c tests/fakes/fake_log.c
