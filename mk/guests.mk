# Test guests (tests/guests/README.md): each lands in $(BUILD)/guests/NAME.elf.
# elf64 guests: the library + one C file, linked at 1 MiB by guest.ld.
# mbkernel: an ordinary Multiboot v1 kernel, ELF32, gcc -m32.
GUEST_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
		-mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
		-fno-tree-loop-distribute-patterns -Wall -Wextra -Werror -I.
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -z max-page-size=0x1000
GUEST_LIB  := tests/guests/lib/start.S kernel/libc.c kernel/fmt.c tests/guests/lib/guest.c tests/guests/lib/uart.c tests/guests/lib/pci.c tests/guests/lib/irq.c
GUEST_DEPS := $(GUEST_LIB) $(wildcard tests/guests/lib/*.h) tests/guests/guest.ld vm/part/guest_abi.h mk/guests.mk pci/nvme.h pci/nvme_hw.h
GUEST_ELF64 := hello busy fence edu-dma hostile nvme-io nvme-io-park nvme-io-bench remap remap-bench
# Containment (time limits, fault storms): tests/guests/README.md.
GUEST_ELF64 += spin storm storm-inside witness
# Reads its COM1 and prints each line back (console-partitions: the operator's `console NAME`).
GUEST_ELF64 += echo
guest_src_echo    := tests/guests/echo.c
# Ends other than a clean exit, as args name them (expect-ends: the check at a partition's end).
GUEST_ELF64 += ends
# A partition's PCI functions seen from inside (vmx-e1000, svm-e1000).
GUEST_ELF64 += pcidev
# Device interrupts: its edu's MSIs through interrupt remapping (edu-msi scenario).
GUEST_ELF64 += edu-msi
guest_src_edu-msi := tests/guests/edu_msi.c tests/guests/lib/edu.c
# The same NVMe VF driver with its admin completions as MSI-X interrupts (sriov-nvme-msix).
GUEST_ELF64 += nvme-msix
guest_src_nvme-msix := tests/guests/nvme_io.c pci/nvme.c
guest_cflags_nvme-msix := -DNVME_IO_MSIX
# Guest SMP: its BSP starts its AP through INIT-SIPI-SIPI and a real-mode trampoline (svm-smp, vmx-smp).
GUEST_ELF64 += smp
guest_src_smp     := tests/guests/smp.c tests/guests/smp_tramp.S
# The guest's local APIC and its timer (svm-lapic-timer, vmx-lapic-timer).
GUEST_ELF64 += lapic-timer
guest_src_lapic-timer := tests/guests/lapic_timer.c
# The legacy PIC and PIT of legacy-pic = on (svm-pic-timer, vmx-pic-timer).
GUEST_ELF64 += pic-timer
guest_src_pic-timer := tests/guests/pic_timer.c
guest_src_hello   := tests/guests/hello.c
guest_src_busy    := tests/guests/busy.c
guest_src_fence   := tests/guests/fence.c
guest_src_pcidev  := tests/guests/pcidev.c
guest_src_edu-dma := tests/guests/edu_dma.c
guest_src_hostile := tests/guests/hostile.c tests/guests/lib/edu.c
# At 1 GiB, so its bus addresses (IOVA = GPA) leave the low HPAs where Sluice keeps its tables free to aim at.
guest_ldflags_hostile := -Wl,--defsym=GUEST_BASE=0x40000000
guest_src_nvme-io := tests/guests/nvme_io.c pci/nvme.c
guest_src_remap   := tests/guests/remap.c
guest_src_spin    := tests/guests/spin.c
guest_src_ends    := tests/guests/ends.c
guest_src_storm   := tests/guests/storm.c tests/guests/lib/edu.c
guest_src_witness := tests/guests/witness.c tests/guests/lib/edu.c
# The fault storm's baseline: the same transfers into its own memory, 25 of them, then exit.
guest_src_storm-inside := tests/guests/storm.c tests/guests/lib/edu.c
guest_cflags_storm-inside := -DSTORM_INSIDE=25
# The same driver, which ends by touching memory that is not its own with its VF's queues live (to be parked).
guest_src_nvme-io-park := tests/guests/nvme_io.c pci/nvme.c
guest_cflags_nvme-io-park := -DNVME_IO_PARK
# make bench: the same driver with 512 writes and 512 reads in its marked loop.
guest_src_nvme-io-bench := tests/guests/nvme_io.c pci/nvme.c
guest_cflags_nvme-io-bench := -DNVME_IO_BENCH
# make bench: the remap guest moving its data region 256 times (bench/ats).
guest_src_remap-bench := tests/guests/remap.c
guest_cflags_remap-bench := -DREMAP_BENCH -DREMAP_BENCH_MOVES=256

define guest_rule
$(BUILD)/guests/$(1).elf: $$(guest_src_$(1)) $$(GUEST_DEPS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(GUEST_CFLAGS) $$(guest_cflags_$(1)) -m64 -mcmodel=small $$(GUEST_LDFLAGS) $$(guest_ldflags_$(1)) -T tests/guests/guest.ld \
		-o $$@ $$(GUEST_LIB) $$(guest_src_$(1))
endef
$(foreach g,$(GUEST_ELF64),$(eval $(call guest_rule,$(g))))

MBKERNEL_SRCS := tests/guests/mbkernel/entry.S tests/guests/mbkernel/mbkernel.c tests/guests/lib/uart.c \
		 kernel/fmt.c tests/guests/mbkernel/udivdi3.c
$(BUILD)/guests/mbkernel.elf: $(MBKERNEL_SRCS) tests/guests/mbkernel/mbkernel.ld tests/guests/lib/uart.h kernel/fmt.h mk/guests.mk
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -m32 -march=i686 $(GUEST_LDFLAGS) -Wl,-m,elf_i386 \
		-T tests/guests/mbkernel/mbkernel.ld -o $@ $(MBKERNEL_SRCS)
	grub-file --is-x86-multiboot $@

GUESTS := $(GUEST_ELF64:%=$(BUILD)/guests/%.elf) $(BUILD)/guests/mbkernel.elf
ALL_EXTRA += $(GUESTS)
.PHONY: guests
guests: $(GUESTS)
