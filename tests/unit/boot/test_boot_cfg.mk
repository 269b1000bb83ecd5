# boot/efi/boot_cfg.c, the \sluice\boot.cfg parser of the UEFI loader: plain C,
# so it builds on the host without gnu-efi.
UNIT_TESTS += test_boot_cfg
test_boot_cfg_SRCS := tests/unit/boot/test_boot_cfg.c boot/efi/boot_cfg.c

# The unit rule only tracks kernel/ and fakes headers.
$(HOST)/test_boot_cfg: boot/efi/boot_cfg.h
