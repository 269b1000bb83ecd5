"""tools/capture-server and its fixtures (docs/testing.md, "Captures of
QEMU machines"):

  - the pcie-topology machine is captured again (tools/capture-qemu: the
    kernel and initramfs of `make linux` run the script under busybox sh)
    and the new capture must equal tests/fixtures/captures/pcie-topology
    file for file, but for the header's date, which says when it was taken;
  - the script runs under bash and dash on this machine's own sysfs, and
    tools/sluice-check reads what it wrote (skipped where this machine
    shows no PCI functions or no firmware memory map);
  - sluice-check refuses a directory that is not a capture with status 2.

  make linux
  /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/linux/test_captures.py
"""
import os
import shutil
import subprocess
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "captures")
LINUX = os.path.join(ROOT, "build", "linux")
VARYING = ("date ",)            # header lines that differ between two captures


def files_of(top):
    """-> {relative path: bytes} of every file under top."""
    out = {}
    for d, _, names in os.walk(top):
        for n in names:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, top)] = f.read()
    return out


def capture_differences(old, new):
    """-> one line per difference between two captures' files (the header's
    VARYING lines left out)."""
    probs = []
    for rel in sorted(set(old) | set(new)):
        if rel not in new:
            probs.append(f"{rel}: missing from the new capture")
        elif rel not in old:
            probs.append(f"{rel}: only in the new capture")
        elif rel == "header":
            keep = lambda b: [l for l in b.decode().splitlines() if not l.startswith(VARYING)]
            if keep(old[rel]) != keep(new[rel]):
                probs.append(f"header: {keep(old[rel])} != {keep(new[rel])}")
        elif old[rel] != new[rel]:
            probs.append(f"{rel}: {len(old[rel])} bytes in the fixture, {len(new[rel])} now, contents differ")
    return probs


def test_differences_name_each_file():
    a = {"header": b"sluice-capture 1\ndate 1\n", "memmap": b"x", "pci/a/config": b"1"}
    b = {"header": b"sluice-capture 1\ndate 2\n", "memmap": b"y", "cpuinfo": b""}
    assert capture_differences(a, a) == []
    assert capture_differences(a, b) == ["cpuinfo: only in the new capture",
                                         "memmap: 1 bytes in the fixture, 1 now, contents differ",
                                         "pci/a/config: missing from the new capture"]


def test_pcie_topology_capture_is_the_fixture():
    for f in ("vmlinuz", "initramfs.cpio.gz"):
        if not os.path.exists(os.path.join(LINUX, f)):
            pytest.fail(f"build/linux/{f} missing: run `make linux` first", pytrace=False)
    tmp = tempfile.mkdtemp(prefix="capture-")
    try:
        out = os.path.join(tmp, "pcie-topology")
        r = subprocess.run([os.path.join(ROOT, "tools", "capture-qemu"), "--scenario",
                            os.path.join(ROOT, "tests", "scenarios", "pcie-topology"), "--out", out],
                           cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        probs = capture_differences(files_of(os.path.join(FIXTURES, "pcie-topology")), files_of(out))
        assert not probs, "\n".join(probs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_capture_server_runs_here_and_the_checker_reads_it(shell):
    if not shutil.which(shell):
        pytest.skip(f"no {shell} here")
    if not os.listdir("/sys/bus/pci/devices") or not os.path.isdir("/sys/firmware/memmap"):
        pytest.skip("this machine shows no PCI functions or no firmware memory map")
    if os.geteuid() != 0:
        pytest.skip("capture-server needs root for whole config spaces")
    tmp = tempfile.mkdtemp(prefix="capture-")
    try:
        out = os.path.join(tmp, "here")
        r = subprocess.run([shell, os.path.join(ROOT, "tools", "capture-server"), "--tar", out],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert os.path.isfile(out + ".tar.gz")
        with open(os.path.join(out, "header")) as f:
            assert f.readline() == "sluice-capture 1\n"
        r = subprocess.run([os.path.join(ROOT, "tools", "sluice-check"), out], cwd=ROOT,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert " pci: " in r.stdout and "functions (" in r.stdout
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.parametrize("name,options", [
    ("pcie-topology", ["--vf-bars-unassigned", "--cmdline", "sriov=03:00.0:4,05:00.0:2"]),
    ("pcie-topology", []),
    ("pcie-pxb", []),
    ("sriov-nvme-two", []),
])
def test_proposal_passes_the_checker(name, options):
    checker = os.path.join(ROOT, "tools", "sluice-check")
    cap = os.path.join(FIXTURES, name)
    r = subprocess.run([checker, "--propose", cap] + options, cwd=ROOT, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "[partition " in r.stdout
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write(r.stdout)
    try:
        r = subprocess.run([checker, cap, f.name] + options, cwd=ROOT, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.rstrip().endswith("sluice-check: sluice.conf accepted")


def test_checker_refuses_what_is_not_a_capture():
    tmp = tempfile.mkdtemp(prefix="capture-")
    try:
        with open(os.path.join(tmp, "header"), "w") as f:
            f.write("something else\n")
        r = subprocess.run([os.path.join(ROOT, "tools", "sluice-check"), tmp], cwd=ROOT,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        assert r.returncode == 2
        assert "not a capture of format 1" in r.stderr
        r = subprocess.run([os.path.join(ROOT, "tools", "sluice-check")], cwd=ROOT,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        assert r.returncode == 2 and "usage:" in r.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
