# vm/config/config.c: the INI syntax of sluice.conf and its error lines.
UNIT_TESTS += test_config
test_config_SRCS := tests/unit/vm/test_config.c vm/config/config.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_log.c
$(HOST)/test_config: $(wildcard vm/*.h)
