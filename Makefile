# Sluice: one Makefile (xv6/NOVA style).
#   make          kernel, EFI loader, ISO and ESP of the flagship scenario
#   make run      boot the flagship scenario in QEMU, serial on the terminal
#                 (SCENARIO=NAME boots tests/scenarios/NAME)
#   make lab N    boot lab N of docs/labs/; make lab-check N checks its answers
#   make test     unit tests, symbol, layer and document checks, QEMU and Bochs scenarios
#   make unit     host unit tests only
#   make tools    host programs (build/host/dmar-dump)
#   make fuzz     libFuzzer on the DMAR parser for FUZZ_SECONDS (default 60)
#   make bench    NVMe PF against VF, ATS, Linux in a partition against Linux
#                 under KVM + VFIO (make linux-peer) and against Linux
#                 directly, in QEMU (BENCH_RUNS boots, default 5), appended
#                 to bench/results.md; not part of make test
# Every target installs missing Debian packages first (tools/setup-deps).

BUILD    := build
HOST     := $(BUILD)/host
CC       := gcc
NASM     := nasm
PYTHON   := /usr/bin/python3
SCENARIO ?= flagship
# Real firmware DMAR tables (NAME.bin, with iasl's NAME.dsl), data kept
# outside this repository: test_dmar_corpus checks the parser against them
# and the fuzzer starts from them; without the folder the test says it
# skipped and the fuzzer starts from the fixtures alone.
DMAR_CORPUS ?= ../shared/dmar-corpus

KCFLAGS  := -std=gnu11 -O2 -g -m64 -ffreestanding -mno-red-zone -mgeneral-regs-only \
	    -fno-pic -fno-pie -fno-stack-protector -mcmodel=small \
	    -fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
	    -Wall -Wextra -Werror -I.
SLUICE_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
# The version reaches vm/main.c through a stamp that changes only with it.
VERSION_STAMP := $(BUILD)/k/version.h
$(shell mkdir -p $(BUILD)/k; v='#define SLUICE_VERSION "$(SLUICE_VERSION)"'; \
	[ "$$(cat $(VERSION_STAMP) 2>/dev/null)" = "$$v" ] || echo "$$v" > $(VERSION_STAMP))
KLDFLAGS := -Wl,--build-id=none -nostdlib -static -no-pie -z max-page-size=0x1000 -T linker.ld
HCFLAGS  := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. \
	    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HLDLIBS  := -lcmocka

# Portable core: builds freestanding into the image and hosted into tests.
CORE_SRCS := kernel/err.c kernel/fmt.c kernel/log.c kernel/lib.c kernel/cmdline.c \
	     kernel/memmap.c kernel/page_alloc.c kernel/acpi.c kernel/mb2.c \
	     kernel/wait.c kernel/check.c kernel/uart16550.c kernel/apic.c \
	     kernel/tsc.c kernel/rtc.c kernel/fatal.c kernel/irq_stray.c kernel/irq_selftest.c kernel/console.c \
	     pci/pci_enum.c pci/pci_bar.c pci/pci_cap.c pci/pci_acs.c \
	     pci/pci_sriov.c pci/pci_ats.c pci/pci_space.c \
	     iommu/vtd_desc.c iommu/vtd_pagetable.c iommu/vtd_walk.c iommu/vtd_fault.c
CORE_SRCS += iommu/vtd_unit.c iommu/vtd_ir.c iommu/vtd_qi.c iommu/vtd_context.c iommu/vtd_fault_irq.c iommu/vtd_domain.c
CORE_SRCS += iommu/dmar.c iommu/dmar_scope.c iommu/dmar_print.c
CORE_SRCS += pci/edu.c
CORE_SRCS += vm/config/config.c vm/config/partition_check.c vm/config/partition_cfg.c vm/config/ats_policy.c vm/demo/dma_demo.c vm/demo/dma_demo_keys.c
# Freestanding only: doors, instruction wrappers, glue.
NATIVE_SRCS := kernel/libc.c vm/main.c kernel/native/cpu.c kernel/native/io.c \
	       kernel/native/pio.c kernel/native/mem.c kernel/native/idt.c \
	       kernel/native/pci_cfg.c
ASM_SRCS := boot/mb2_entry.asm kernel/native/isr.asm
# Each mk/*.mk adds its part's files to CORE_SRCS, NATIVE_SRCS, ASM_SRCS and
# anything `make` must also build (ALL_EXTRA: test guests, ...).
ALL_EXTRA :=
# The fragments define rules of their own: `make` alone still means `all`.
.DEFAULT_GOAL := all
include $(sort $(wildcard mk/*.mk))

CORE_OBJS   := $(CORE_SRCS:%.c=$(BUILD)/k/%.o)
NATIVE_OBJS := $(NATIVE_SRCS:%.c=$(BUILD)/k/%.o)
ASM_OBJS    := $(ASM_SRCS:%.asm=$(BUILD)/k/%.o)

.PHONY: all deps run test unit symcheck scenarios tools clean
.PHONY: doccheck
all: deps $(BUILD)/sluice.elf $(BUILD)/BOOTX64.EFI $(BUILD)/sluice.iso $(ALL_EXTRA)

deps:
	@tools/setup-deps

$(BUILD)/k/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/k/%.o: %.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -F dwarf -I. $< -o $@

$(BUILD)/k/vm/main.o: $(VERSION_STAMP)
$(BUILD)/k/vm/main.o: KCFLAGS += -include $(VERSION_STAMP)

$(BUILD)/sluice.elf: $(ASM_OBJS) $(CORE_OBJS) $(NATIVE_OBJS) linker.ld
	$(CC) $(KLDFLAGS) -o $@ $(ASM_OBJS) $(CORE_OBJS) $(NATIVE_OBJS) -lgcc
	grub-file --is-x86-multiboot2 $@

# ---- GNU-EFI loader -------------------------------------------------------
EFI_INC    := -I/usr/include/efi -I/usr/include/efi/x86_64
EFI_CFLAGS := $(EFI_INC) -I. -std=gnu11 -O2 -fpic -ffreestanding -fno-stack-protector \
	      -fshort-wchar -mno-red-zone -maccumulate-outgoing-args \
	      -DEFI_FUNCTION_WRAPPER -Wall -Wextra -Werror -Wno-unused-parameter
EFI_SRCS   := boot/efi/loader.c boot/efi/kernel_elf.c boot/efi/kernel_move.c boot/efi/file.c boot/efi/console.c boot/efi/boot_cfg.c boot/efi/efi_mmap.c
EFI_OBJS   := $(EFI_SRCS:%.c=$(BUILD)/efi/%.o)

$(BUILD)/efi/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/efi/loader.so: $(EFI_OBJS)
	ld -nostdlib -shared -Bsymbolic -L/usr/lib -T/usr/lib/elf_x86_64_efi.lds \
	   /usr/lib/crt0-efi-x86_64.o $(EFI_OBJS) -o $@ -lgnuefi -lefi

$(BUILD)/BOOTX64.EFI: $(BUILD)/efi/loader.so
	objcopy -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym \
		-j .rel -j .rela -j '.rel.*' -j '.rela.*' -j .reloc \
		--target efi-app-x86_64 --subsystem=10 $< $@

# ---- images ---------------------------------------------------------------
# The scenario's guests: its `modules` file, NAME=PATH lines (paths from the root).
SCENARIO_MODULES := $(shell grep -v '^\#' tests/scenarios/$(SCENARIO)/modules 2>/dev/null | grep '=')
MODULE_ARGS      := $(addprefix --module ,$(SCENARIO_MODULES))
MODULE_FILES     := $(foreach m,$(SCENARIO_MODULES),$(word 2,$(subst =, ,$(m))))

$(BUILD)/sluice.iso: $(BUILD)/sluice.elf $(BUILD)/BOOTX64.EFI tools/mkimage \
		     tests/scenarios/$(SCENARIO)/sluice.conf $(MODULE_FILES)
	cl=""; if [ -f tests/scenarios/$(SCENARIO)/cmdline ]; then \
		cl="$$(grep -v '^#' tests/scenarios/$(SCENARIO)/cmdline | tr '\n' ' ')"; fi; \
	tools/mkimage --kernel $(BUILD)/sluice.elf --efi $(BUILD)/BOOTX64.EFI \
		--config tests/scenarios/$(SCENARIO)/sluice.conf --cmdline="$$cl" $(MODULE_ARGS) --out $(BUILD)

# The image of the chosen scenario, with its guests, is built afresh each time (under a second).
# The operator console is on (console=on) and the run's end ends QEMU (exit=qemu)
# unless the scenario's cmdline says otherwise; the log is also kept in
# build/run/serial.txt. QEMU's status 33 (every check passed) is make's success,
# 35 (a check failed) its failure, said in words.
run: all
	@cl=""; if [ -f tests/scenarios/$(SCENARIO)/cmdline ]; then \
		cl="$$(grep -v '^#' tests/scenarios/$(SCENARIO)/cmdline | tr '\n' ' ')"; fi; \
	case " $$cl" in *" console="*) ;; *) cl="$$cl console=on";; esac; \
	case " $$cl" in *" exit="*) ;; *) cl="$$cl exit=qemu";; esac; \
	tools/mkimage --kernel $(BUILD)/sluice.elf --efi $(BUILD)/BOOTX64.EFI \
		--config tests/scenarios/$(SCENARIO)/sluice.conf --cmdline="$$cl" $(MODULE_ARGS) --out $(BUILD)/run || exit 2; \
	tools/run-qemu --scenario tests/scenarios/$(SCENARIO) --image $(BUILD)/run --interactive \
		--serial $(BUILD)/run/serial.txt; rc=$$?; \
	case $$rc in \
	33) echo "make run: every check passed (log: $(BUILD)/run/serial.txt)";; \
	35) echo "make run: a check failed: see the FAIL lines in $(BUILD)/run/serial.txt"; exit 1;; \
	0) echo "make run: QEMU ended before Sluice's result (quit from QEMU's monitor, or a reset)";; \
	*) echo "make run: QEMU exited with status $$rc"; exit 1;; \
	esac

# ---- labs (docs/labs/) ----------------------------------------------------
# `make lab N` boots lab N's machine with the operator console on this
# terminal (LAB_SWITCH=WORD adds the lab switch lab=WORD; LAB_BATCH=1 boots
# without the console and prints the log); `make lab-check N [ANSWERS=FILE] [LOGS=DIR]`
# checks an answer file's predictions against the lab's boots (tools/lab-check).
LAB_NUMBERS := 0 1 2 3 4
ifneq ($(filter lab lab-check,$(MAKECMDGOALS)),)
LAB := $(firstword $(filter $(LAB_NUMBERS),$(MAKECMDGOALS)) $(N))
$(filter $(LAB_NUMBERS),$(MAKECMDGOALS)): ; @:
endif
.PHONY: lab lab-check
lab: all
	@$(if $(LAB),,echo "make lab N: N is the lab's number, one of $(LAB_NUMBERS)"; exit 2;) \
	tools/lab-check $(LAB) --boot $(if $(LAB_SWITCH),--switch $(LAB_SWITCH)) $(if $(LAB_BATCH),--batch)
lab-check: all
	@$(if $(LAB),,echo "make lab-check N: N is the lab's number, one of $(LAB_NUMBERS)"; exit 2;) \
	tools/lab-check $(LAB) $(if $(ANSWERS),--answers $(ANSWERS)) $(if $(LOGS),--logs $(LOGS))

# ---- host unit tests ------------------------------------------------------
# Each tests/unit/<subsys>/test_<unit>.mk adds its name to UNIT_TESTS and
# lists test_<unit>_SRCS: the test file, the real core files and the fakes.
UNIT_TESTS :=
include $(sort $(wildcard tests/unit/*/*.mk))

define unit_rule
$(HOST)/$(1): $$($(1)_SRCS) $$(wildcard kernel/*.h kernel/hw/*.h pci/*.h iommu/*.h vm/*.h vm/*/*.h boot/efi/*.h tests/fakes/*.h tests/unit/*/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(HCFLAGS) $$($(1)_CFLAGS) -o $$@ $$($(1)_SRCS) $$(HLDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

UNIT_BINS := $(UNIT_TESTS:%=$(HOST)/%)
unit: deps $(UNIT_BINS)
	@tools/run-unit $(UNIT_BINS)

# ---- symbol check: portable core reaches hardware only through doors -----
symcheck: $(CORE_OBJS)
	@tools/symcheck $(CORE_OBJS)

# ---- document check: citations stay inside the repository, the DMA tour
# of docs/architecture.md matches its markers in the code (tools/doccheck) --
doccheck:
	@tools/doccheck

# ---- host tools -----------------------------------------------------------
# tools/dmar-dump (a sh wrapper) builds and runs this one.
DMAR_DUMP_SRCS := tools/dmar_dump.c tools/host_log.c iommu/dmar.c iommu/dmar_print.c \
		  kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c
$(HOST)/dmar-dump: $(DMAR_DUMP_SRCS) $(wildcard iommu/dmar*.h kernel/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HCFLAGS) -o $@ $(DMAR_DUMP_SRCS)

# tools/sluice-check (a sh wrapper) builds and runs this one: the core over
# a capture of a real machine (tools/capture.c fills the fakes' doors).
SLUICE_CHECK_SRCS := tools/sluice_check.c tools/capture.c tools/propose.c tools/host_log.c \
	kernel/acpi.c kernel/memmap.c kernel/page_alloc.c kernel/cmdline.c kernel/duration.c kernel/wait.c \
	pci/pci_enum.c pci/pci_bar.c pci/pci_cap.c pci/pci_acs.c pci/pci_sriov.c pci/pci_space.c pci/pci_ats.c \
	iommu/dmar.c iommu/dmar_scope.c iommu/dmar_print.c \
	vm/config/config.c vm/config/partition_check.c vm/config/partition_cfg.c vm/config/ats_policy.c \
	vm/demo/dma_demo_keys.c vm/part/image_check.c vm/part/guest_image.c vm/part/linux_boot.c kernel/pgtable.c kernel/page_zero.c \
	kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c \
	tests/fakes/fake_pci.c tests/fakes/fake_mem.c tests/fakes/fake_hw.c tests/fakes/fake_io.c
$(HOST)/sluice-check: $(SLUICE_CHECK_SRCS) $(wildcard tools/*.h kernel/*.h kernel/hw/*.h pci/*.h iommu/*.h vm/*/*.h tests/fakes/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HCFLAGS) -o $@ $(SLUICE_CHECK_SRCS)

tools: deps $(HOST)/dmar-dump $(HOST)/sluice-check
# Scenarios with a `capture` file run it after their boot.
test scenarios: $(HOST)/sluice-check

# ---- fuzzing ----------------------------------------------------------------
# libFuzzer (clang, libclang-rt-14-dev) on dmar_parse/resolve/print. Seeds: the
# compiled DMAR fixtures and, when present, $(DMAR_CORPUS)/*.bin; what
# the fuzzer learns stays in build/host/fuzz/dmar-corpus, crashes land in
# build/host/fuzz/. `make test` runs FUZZ_SMOKE_SECONDS of it.
.PHONY: fuzz fuzz-smoke
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_DIR   := $(HOST)/fuzz
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -fno-omit-frame-pointer \
	       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_DMAR_SRCS := tests/fuzz/fuzz_dmar.c iommu/dmar.c iommu/dmar_scope.c iommu/dmar_print.c \
		  kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c
FUZZ_DMAR_ARGS = -max_len=4096 -timeout=5 -artifact_prefix=$(FUZZ_DIR)/ \
		 $(FUZZ_DIR)/dmar-corpus $(FUZZ_DIR)/dmar-seeds

$(HOST)/fuzz_dmar: $(FUZZ_DMAR_SRCS) $(wildcard iommu/dmar*.h kernel/*.h kernel/hw/*.h pci/pci_hw.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(FUZZ_DMAR_SRCS)

$(FUZZ_DIR)/dmar-seeds: $(DMAR_FIXTURES)
	@mkdir -p $@ $(FUZZ_DIR)/dmar-corpus
	@cp $(DMAR_FIXTURES) $@/
	@if [ -d $(DMAR_CORPUS) ]; then cp $(DMAR_CORPUS)/*.bin $@/; fi
	@touch $@

fuzz: deps $(HOST)/fuzz_dmar $(FUZZ_DIR)/dmar-seeds
	$(HOST)/fuzz_dmar -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(FUZZ_DMAR_ARGS)

# Quiet: one line on success, the log's end on failure.
fuzz-smoke: $(HOST)/fuzz_dmar $(FUZZ_DIR)/dmar-seeds
	@$(HOST)/fuzz_dmar -max_total_time=$(FUZZ_SMOKE_SECONDS) -print_final_stats=1 $(FUZZ_DMAR_ARGS) \
		>$(FUZZ_DIR)/smoke.log 2>&1 || { tail -n 40 $(FUZZ_DIR)/smoke.log; \
		echo "fuzz_dmar: FAILED (log: $(FUZZ_DIR)/smoke.log)"; exit 1; }
	@awk '/^stat::number_of_executed_units/ {n=$$2} /^stat::average_exec_per_sec/ {r=$$2} \
		END {printf "fuzz_dmar: %s inputs in $(FUZZ_SMOKE_SECONDS) s (%s/s), no crash\n", n, r}' $(FUZZ_DIR)/smoke.log

# ---- layer check: includes point down (kernel <- pci <- iommu <- vm) ------
# tools/layercheck; `make test` runs it with the symbol check.
.PHONY: layercheck callcheck
layercheck:
	@tools/layercheck
test: layercheck

# ---- call check: no two folders call each other in a circle --------------
callcheck: $(CORE_OBJS)
	@tools/callcheck $(CORE_OBJS)
test: callcheck

# ---- everything -----------------------------------------------------------
scenarios: all
	$(PYTHON) -m pytest -q tests/scenarios

test: all $(UNIT_BINS) symcheck doccheck fuzz-smoke
	@tools/run-tests

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)

# make bench: figures, not pass/fail (tools/bench: the benches of bench/; bench/results.md, bench/img/).
BENCH_RUNS ?= 5
.PHONY: bench
bench: all
	$(PYTHON) tools/bench --runs $(BENCH_RUNS)
