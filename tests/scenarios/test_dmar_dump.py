"""tools/dmar-dump as an operator runs it: every fixture decodes, and --check
exits non-zero exactly on the tables with errors (the fixtures are compiled
by `make` into build/host/fixtures/dmar/ before the scenarios run)."""
import os
import subprocess

import pytest

from conftest import BUILD, ROOT

FIXTURES = os.path.join(BUILD, "host", "fixtures", "dmar")
CLEAN = ["qemu", "qemu_iotlb", "all_types", "multihop", "segments", "unknown_types",
         "warnings", "rmrr_overlap", "overlap"]
BROKEN = ["bad_checksum", "zero_length", "too_short", "past_end", "include_all_not_last",
          "bad_base", "rmrr_end_before_base", "bad_scope"]


def dump(name, *args):
    path = os.path.join(FIXTURES, name + ".aml")
    if not os.path.isfile(path):
        pytest.fail(f"{path} is missing: `make unit` compiles the fixtures", pytrace=False)
    return subprocess.run([os.path.join(ROOT, "tools", "dmar-dump"), *args, path], cwd=ROOT,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)


@pytest.mark.parametrize("name", CLEAN)
def test_check_passes_a_table_without_errors(name):
    r = dump(name, "--check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "dmar: DRHD 0 segment" in r.stdout
    assert " 0 error(s)" in r.stdout


@pytest.mark.parametrize("name", BROKEN)
def test_check_fails_a_table_with_errors(name):
    r = dump(name, "--check")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "ERR  dmar:" in r.stdout


def test_qemu_dmar_decodes_its_unit_and_scopes():
    r = dump("qemu")
    assert r.returncode == 0
    assert "dmar: DRHD 0 segment 0 base 0x00000000fed90000 flags 0x00 (explicit scopes)" in r.stdout
    assert "scope IOAPIC id 0" in r.stdout
    assert "ATSR" not in r.stdout.split("dmar: 1 DRHD")[0]
    assert "ATSR segment 0 flags 0x01 (ALL_PORTS)" in dump("qemu_iotlb").stdout
