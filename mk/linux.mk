# The Linux test image (tools/linux-image, docs/testing.md): Debian's kernel
# and busybox-static, fetched with apt-get download into build/linux/debs/
# (kept: a second run needs no network), and an initramfs made around
# tests/guests/linux/init. Writes build/linux/vmlinuz and
# build/linux/initramfs.cpio.gz, rewritten only when their bytes change, so
# the script runs every time (0.5 s with the packages cached) and apt's
# current candidate is always the one built.
LINUX_DIR := $(BUILD)/linux
LINUX_IMAGE := $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initramfs.cpio.gz
.PHONY: linux
linux: deps
	@tools/linux-image --out $(LINUX_DIR)
# make test boots it directly in QEMU (tests/linux), the reference the Linux
# partitions are compared with.
test: linux
# make bench runs Linux in a partition and directly (tools/bench).
bench: linux
# The KVM + VFIO peer's first-level Linux (tools/linux-image --peer): the
# same kernel, its own init and modules; make bench's third side.
.PHONY: linux-peer
linux-peer: linux
	@tools/linux-image --out $(LINUX_DIR) --peer
bench: linux-peer
