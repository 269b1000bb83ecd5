# vm/dev/fwcfg.c: a partition's read-only QEMU fw_cfg ports and items.
UNIT_TESTS += test_fwcfg
test_fwcfg_SRCS := tests/unit/vm/test_fwcfg.c vm/dev/fwcfg.c kernel/lib.c
