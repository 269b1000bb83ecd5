"""tools/sluice-map: the graph it draws from real boots' map lines.

The logs in tests/fixtures/map/ are serial logs of three scenario boots
(sriov-nvme-two: two partitions on VFs of one NVMe PF Sluice keeps, and
their faults; ats-remap: an ATS function, two remaps and a restart;
stage1-rootbus: the worked example's two DMA-only partitions, their faults
and an interrupt fault of no partition; flagship: `make run`'s machine,
the three at once, docs/img/flagship.png). Each is drawn and the SVG that
`dot` wrote is read back: its nodes, edges, clusters and labels. One more
test boots stage1-rootbus afresh (tools/mkimage, tools/run-qemu, SeaBIOS)
and draws that log, so the map lines of the kernel as built now are the
ones checked. The error cases: no map lines, a malformed one, no `dot`.
Without Graphviz (which every make target installs, tools/setup-deps) the
drawing tests fail with the tool's own error line.
"""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import BUILD, ROOT

TOOL = os.path.join(ROOT, "tools", "sluice-map")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "map")
SVG = "{http://www.w3.org/2000/svg}"
BOOT_TIMEOUT = 60

def run_tool(log, out, env=None):
    return subprocess.run([sys.executable, TOOL, log, "-o", out], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def drawn(out):
    """(nodes, edges, clusters, texts) of OUT.svg: node and cluster ids,
    edges as (from, to), and every text line drawn."""
    root = ET.parse(out + ".svg").getroot()
    nodes, edges, clusters, texts = set(), set(), set(), []
    for g in root.iter(SVG + "g"):
        title = g.find(SVG + "title")
        kind = g.get("class")
        if kind == "node":
            nodes.add(title.text)
        elif kind == "edge":
            a, b = title.text.split("->")
            edges.add((a, b))
        elif kind == "cluster":
            clusters.add(title.text)
    for t in root.iter(SVG + "text"):
        texts.append(t.text or "")
    return nodes, edges, clusters, texts


def draw(log, tmp_path):
    out = str(tmp_path / "map")
    r = run_tool(log, out)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    for ext in ("dot", "svg", "png"):
        assert os.path.getsize(f"{out}.{ext}") > 0
    with open(out + ".png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    return drawn(out)


def fixture(name):
    return os.path.join(FIXTURES, name + ".txt")


def test_two_partitions_on_vfs_of_a_pf_sluice_keeps(tmp_path):
    nodes, edges, clusters, texts = draw(fixture("sriov-nvme-two"), tmp_path)
    faults = {n for n in nodes if n.startswith("fault_")}
    assert nodes - faults == {"cpu_0", "cpu_1", "cpu_2", "cpu_3", "unit_vtd0", "dev_01_00_0", "dev_01_00_1",
                              "dev_01_00_2", "region_a_0", "region_b_0"}
    assert clusters == {"cluster_sluice", "cluster_part_a", "cluster_part_b"}
    # vtd0 translates the PF and both VFs; the PF made each VF; each VF reaches its partition's region.
    assert {e for e in edges if not e[1].startswith("fault_")} == {
        ("unit_vtd0", "dev_01_00_0"), ("unit_vtd0", "dev_01_00_1"), ("unit_vtd0", "dev_01_00_2"),
        ("dev_01_00_0", "dev_01_00_1"), ("dev_01_00_0", "dev_01_00_2"),
        ("dev_01_00_1", "region_a_0"), ("dev_01_00_2", "region_b_0")}
    # Each VF read and wrote outside its memory once: two distinct faults each, hanging from it.
    fault_edges = {e for e in edges if e[1].startswith("fault_")}
    assert len(faults) == 4 and {b for _, b in fault_edges} == faults
    assert sorted(a for a, _ in fault_edges) == ["dev_01_00_1"] * 2 + ["dev_01_00_2"] * 2
    for line in ("partition a (exited)", "partition b (exited)", "VF 1 of 01:00.0", "VF 2 of 01:00.0",
                 "PF (2 VFs)", "-> HPA 0x1200000", "-> HPA 0x2200000", "translation on", "owner a", "owner b"):
        assert line in texts


def test_remapped_and_restarted_partition_is_drawn_as_it_ended(tmp_path):
    nodes, edges, clusters, texts = draw(fixture("ats-remap"), tmp_path)
    assert nodes == {"cpu_0", "cpu_1", "unit_vtd0", "dev_01_00_0", "region_r_0", "region_r_1"}
    assert clusters == {"cluster_sluice", "cluster_part_r"}
    assert edges == {("unit_vtd0", "dev_01_00_0"), ("dev_01_00_0", "region_r_0"), ("dev_01_00_0", "region_r_1")}
    # Both regions moved: the last map lines win over the first ones.
    assert "-> HPA 0x2200000" in texts and "-> HPA 0x600000" in texts
    assert "-> HPA 0x1200000" not in texts and "-> HPA 0x400000" not in texts
    assert "partition r (exited)" in texts
    assert "ATS on" in texts


def test_the_flagship_machine(tmp_path):
    """Partitions a and b each own an edu and a VF of the PF Sluice keeps; r owns the ATS function."""
    nodes, edges, clusters, texts = draw(fixture("flagship"), tmp_path)
    faults = {n for n in nodes if n.startswith("fault_")}
    devs = {"a": ("dev_00_03_0", "dev_01_00_1"), "b": ("dev_00_04_0", "dev_01_00_2"), "r": ("dev_02_00_0",)}
    regions = {"a": 3, "b": 2, "r": 2}         # its sluice.conf's memory lines, the start info's included
    want_regions = {f"region_{p}_{i}" for p, n in regions.items() for i in range(n)}
    assert nodes - faults == {"cpu_0", "cpu_1", "cpu_2", "cpu_3", "unit_vtd0", "dev_01_00_0"} | want_regions | {
        d for ds in devs.values() for d in ds}
    assert clusters == {"cluster_sluice", "cluster_part_a", "cluster_part_b", "cluster_part_r"}
    want = {("unit_vtd0", d) for ds in devs.values() for d in ds} | {("unit_vtd0", "dev_01_00_0")}
    want |= {("dev_01_00_0", "dev_01_00_1"), ("dev_01_00_0", "dev_01_00_2")}
    want |= {(d, f"region_{p}_{i}") for p, ds in devs.items() for d in ds for i in range(regions[p])}
    assert {e for e in edges if not e[1].startswith("fault_")} == want
    # The edus' demonstration faults, the VFs' guests' faults, the blocked interrupt of no partition.
    assert {a for a, b in edges if b in faults} == {"dev_00_03_0", "dev_00_04_0", "dev_01_00_1", "dev_01_00_2",
                                                      "unit_vtd0"}
    for line in ("partition a (exited)", "partition b (exited)", "partition r (exited)", "ATS on",
                 "-> HPA 0x10000000", "-> HPA 0x50000000", "PF (2 VFs)", "owner none"):
        assert line in texts


def test_worked_example_partitions_and_a_fault_of_no_partition(tmp_path):
    nodes, edges, clusters, texts = check_worked_example(fixture("stage1-rootbus"), tmp_path)
    assert len([n for n in nodes if n.startswith("fault_")]) == 3


def check_worked_example(log, tmp_path):
    nodes, edges, clusters, texts = draw(log, tmp_path)
    faults = {n for n in nodes if n.startswith("fault_")}
    assert nodes - faults == {"cpu_0", "unit_vtd0", "dev_00_03_0", "dev_00_04_0", "region_p1_0", "region_p1_1",
                              "region_p2_0"}
    assert clusters == {"cluster_sluice", "cluster_part_p1", "cluster_part_p2"}
    assert {e for e in edges if not e[1].startswith("fault_")} == {
        ("unit_vtd0", "dev_00_03_0"), ("unit_vtd0", "dev_00_04_0"), ("dev_00_03_0", "region_p1_0"),
        ("dev_00_03_0", "region_p1_1"), ("dev_00_04_0", "region_p2_0")}
    # EP1 and EP2 each faulted; the interrupt request of ff:1f.7 (no partition's) hangs from the unit.
    assert {a for a, b in edges if b in faults} == {"dev_00_03_0", "dev_00_04_0", "unit_vtd0"}
    for line in ("partition p1 (dma-only)", "partition p2 (dma-only)", "-> HPA 0x10000000", "-> HPA 0x50000000",
                 "owner none", "fault 0x05"):
        assert line in texts
    return nodes, edges, clusters, texts


def test_a_fresh_boot_of_the_worked_example_draws_the_same_machine(tmp_path):
    kernel, efi = os.path.join(BUILD, "sluice.elf"), os.path.join(BUILD, "BOOTX64.EFI")
    if not (os.path.isfile(kernel) and os.path.isfile(efi)):
        pytest.fail(f"{kernel} or {efi} is missing: run `make` first", pytrace=False)
    scenario = os.path.join(ROOT, "tests", "scenarios", "stage1-rootbus")
    image, serial = str(tmp_path / "image"), str(tmp_path / "serial.txt")
    cmdline = os.path.join(scenario, "cmdline")
    words = []
    if os.path.exists(cmdline):
        with open(cmdline) as f:
            words = [w for l in f if not l.lstrip().startswith("#") for w in l.split()]
    r = subprocess.run([os.path.join(ROOT, "tools", "mkimage"), "--config", os.path.join(scenario, "sluice.conf"),
                        "--kernel", kernel, "--efi", efi, "--out", image,
                        "--cmdline=" + " ".join(words + ["exit=qemu"])],
                       cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout
    r = subprocess.run([os.path.join(ROOT, "tools", "run-qemu"), "--image", image, "--firmware", "bios",
                        "--scenario", scenario, "--serial", serial, "--timeout", str(BOOT_TIMEOUT)],
                       cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=BOOT_TIMEOUT + 60)
    assert r.returncode == 33, f"QEMU exit {r.returncode}: {r.stdout[-2000:]}"
    out_dir = tmp_path / "drawn"
    out_dir.mkdir()
    check_worked_example(serial, out_dir)


def test_a_log_without_map_lines_is_one_error(tmp_path):
    log = tmp_path / "old.txt"
    log.write_text("c0 INFO hv: ready, 0 partition(s) running\nsluice: result pass=3 fail=0\n")
    r = run_tool(str(log), str(tmp_path / "out"))
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "no map: lines" in r.stderr
    assert not os.path.exists(str(tmp_path / "out.dot"))


def test_a_malformed_map_line_names_its_line(tmp_path):
    log = tmp_path / "bad.txt"
    log.write_text("c0 INFO map: cpu id=0 online=yes owner=sluice\nc0 INFO map: region part=a gpa 0x0\n")
    r = run_tool(str(log), str(tmp_path / "out"))
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and f"{log}:2:" in r.stderr


def test_a_region_of_an_unknown_partition_is_an_error(tmp_path):
    log = tmp_path / "orphan.txt"
    log.write_text("c0 INFO map: region part=x gpa=0x0 hpa=0x1000 size=0x1000 perm=rw rmrr=no\n")
    r = run_tool(str(log), str(tmp_path / "out"))
    assert r.returncode == 1 and "partition 'x' before its partition line" in r.stderr


def test_without_dot_the_graph_is_written_and_the_error_says_graphviz(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    r = run_tool(fixture("stage1-rootbus"), str(tmp_path / "out"), env={"PATH": str(empty)})
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "graphviz" in r.stderr
    with open(str(tmp_path / "out.dot")) as f:
        assert f.read().startswith("digraph sluice {")
