# iommu/dmar*.c on DMAR tables compiled at test time from ASL sources in
# tests/fixtures/dmar/ by iasl (acpica-tools), like tests/fixtures/acpi/.
# iasl only writes well-formed tables (and 20200925 knows no SATC), so a
# fixture that must be otherwise says so in its header comment, with lines
# applied to the compiled bytes:
#   * PATCH bytes <offset> <byte>...    overwrite bytes (hex)
#   * PATCH checksum-wrong              leave the checksum one off
# after which the checksum is made right again (unless checksum-wrong).
# iasl loops forever on a Length that does not match a subtable's fields,
# hence the timeout.
UNIT_TESTS += test_dmar
test_dmar_SRCS := tests/unit/iommu/test_dmar.c iommu/dmar.c iommu/dmar_scope.c iommu/dmar_print.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_log.c
test_dmar_CFLAGS := -DDMAR_FIXTURE_DIR='"$(CURDIR)/$(HOST)/fixtures/dmar"'

DMAR_FIXTURES := $(patsubst tests/fixtures/dmar/%.asl,$(HOST)/fixtures/dmar/%.aml,$(sort $(wildcard tests/fixtures/dmar/*.asl)))

# Order-only: the tests read the tables at run time.
$(HOST)/test_dmar: $(wildcard iommu/dmar*.h tests/unit/iommu/dmar_*.h) | $(DMAR_FIXTURES)

define DMAR_PATCH_PY
import re, sys
asl, aml = sys.argv[1], sys.argv[2]
t = bytearray(open(aml, "rb").read())
wrong = 0
for line in open(asl):
    m = re.match(r"\s*\*\s*PATCH\s+(\S+)\s*(.*)$$", line)
    if not m:
        continue
    args = m.group(2).split()
    if m.group(1) == "bytes":
        off = int(args[0], 16)
        for i, b in enumerate(args[1:]):
            t[off + i] = int(b, 16)
    elif m.group(1) == "checksum-wrong":
        wrong = 1
    else:
        sys.exit(asl + ": unknown PATCH " + m.group(1))
t[9] = 0
t[9] = (wrong - sum(t)) & 0xff
open(aml, "wb").write(t)
endef
export DMAR_PATCH_PY

$(HOST)/fixtures/dmar/%.aml: tests/fixtures/dmar/%.asl
	@mkdir -p $(dir $@)
	@timeout 60 iasl -vs -p $(basename $@) $< >$@.log 2>&1 || { cat $@.log; rm -f $@ $@.log; exit 1; }
	@$(PYTHON) -c "$$DMAR_PATCH_PY" $< $@ || { rm -f $@; exit 1; }
	@rm -f $@.log
