"""The agreement rule of sluice_check_agree.py on made-up logs: which boot
lines are compared, which sluice-check lines, and how differences read."""
import pytest

from sluice_check_agree import boot_lines, checker_lines, differences, parse_capture_file

BOOT = """c0 INFO hv: Sluice abc: partitioning hypervisor with VT-d
c0 INFO mem: [0x0000000000000000-0x000000000009efff] usable 636 KiB
c0 INFO mem: kernel 0x0000000001000000-0x00000000011c4fff, 1021 MiB free for allocation
c0 INFO acpi: RSDP rev 0 BOCHS rsdt 0x000000003ffe3b65 xsdt 0x0000000000000000
c0 INFO acpi: APIC 0x000000003ffe39a9 len 128 rev 3 BOCHS
c0 INFO acpi: MCFG: segment 0 buses 0x00-0xff ECAM 0x00000000b0000000
c0 INFO acpi: DMAR present at 0x000000003ffe3a9d len 160 haw 48 bits flags 0x01
c0 INFO check: pass ACPI tables found
c1 INFO pci: 0000:00:00.0 8086:29c0 class 0x060000 pci
c0 DBG  pci: 3 bus address ranges for reassignment
c0 ERR  config: sluice.conf:7: device 02:00.0 is a bridge; assign the functions below it
c0 ERR  part: sluice.conf: 1 error(s); no partition set up, nothing programmed
c0 INFO part: a: memory gpa [0x0-0xfff] -> hpa [0x1000-0x1fff] rw (hpa chosen by Sluice)
c0 INFO part: a: device 01:00.0 attached (vt-d)
c0 INFO part: a: image hello (elf64) loaded, entry 0x100000
c0 INFO part: 1 partition(s) set up, iommu on
c0 INFO vtd0: translation enabled
""".splitlines()


def test_boot_lines_keep_the_checked_subsystems_without_cpu_column():
    assert boot_lines(BOOT) == [
        "INFO mem: [0x0000000000000000-0x000000000009efff] usable 636 KiB",
        "INFO acpi: MCFG: segment 0 buses 0x00-0xff ECAM 0x00000000b0000000",
        "INFO pci: 0000:00:00.0 8086:29c0 class 0x060000 pci",
        "ERR  config: sluice.conf:7: device 02:00.0 is a bridge; assign the functions below it",
        "ERR  part: sluice.conf: 1 error(s); no partition set up, nothing programmed",
        "INFO part: a: device 01:00.0 attached (vt-d)",
        "INFO part: 1 partition(s) set up, iommu on",
    ]


def test_checker_lines_drop_its_own_words_and_what_is_not_compared():
    out = ("INFO pci: x\nsluice-check: 0000:03:00.0 can be shared\n\nERR  config: y\n"
           "INFO part: a: 01:00.0: ATS not enabled: why\n")
    assert checker_lines(out) == ["INFO pci: x", "ERR  config: y"]


def test_equal_lists_agree():
    assert differences(["a", "b"], ["a", "b"]) == []


def test_a_changed_line_is_shown_from_both_sides():
    assert differences(["a", "b"], ["a", "c"]) == ["line 2: boot    b", "line 2: checker c"]


def test_missing_and_extra_lines_are_named():
    assert differences(["a", "b"], ["a"]) == ["only in the boot: b"]
    assert differences(["a"], ["a", "z"]) == ["only in sluice-check: z"]


def test_capture_file_names_a_fixture_and_options():
    assert parse_capture_file("# why\npcie-topology --vf-bars-unassigned  # SeaBIOS\n") == \
        ("pcie-topology", ["--vf-bars-unassigned"])
    with pytest.raises(ValueError):
        parse_capture_file("# nothing\n")
