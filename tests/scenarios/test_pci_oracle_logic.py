"""The QMP PCI oracle on synthetic data: query-pci JSON, SR-IOV config space
and kernel pci: lines. The oracle must catch every kind of disagreement.

Nothing boots here; a fake QMP server on a Unix socket stands in for QEMU.
"""
import copy
import json
import os
import socket
import tempfile
import threading

import pytest

from conftest import (ROOT, ScenarioError, failure_message, judge, load_scenario, log_lines,
                      match_in_order)
from pci_oracle import (Bar, OracleData, QMPClient, QMPError, SriovState, compare,
                        expected_functions, fetch, find_ext_cap, flatten_query_pci,
                        oracle_differences, parse_function_line, parse_kernel_log, parse_xp,
                        read_sriov)

# ---- a small machine, as query-pci would describe it ----------------------
#
#   00:00.0 host bridge
#   00:02.0 root port [01-01] -> 01:00.0 nvme PF (SR-IOV, VFs 01:00.1 01:00.2)
#   00:03.0 root port [02-03] -> 02:00.0 pcie-pci-bridge [03-03] -> 03:01.0 e1000
#   00:06.0 edu (with an expansion ROM)


def region(bar, size, kind="memory", m64=False, pf=False, addr=-1):
    r = {"bar": bar, "size": size, "address": addr, "type": kind}
    if kind == "memory":
        r.update(mem_type_64=m64, prefetch=pf)
    return r


def dev(bus, slot, fn, vendor, device, cls, regions=(), bridge=None, qdev_id=""):
    d = {"bus": bus, "slot": slot, "function": fn, "irq_pin": 0, "qdev_id": qdev_id,
         "class_info": {"class": cls}, "id": {"vendor": vendor, "device": device},
         "regions": list(regions)}
    if bridge is not None:
        sec, sub, children = bridge
        d["pci_bridge"] = {"bus": {"number": bus, "secondary": sec, "subordinate": sub,
                                   "io_range": {"base": 0, "limit": 0}},
                           "devices": children}
    return d


def vf(bus, slot, fn, cls, regions):
    return dev(bus, slot, fn, 0xffff, 0xffff, cls, regions)


def query_pci():
    nvme_vfs = [vf(1, 0, f, 0x0108, [region(0, 0x4000)]) for f in (1, 2)]
    return [{"bus": 0, "devices": [
        dev(0, 0, 0, 0x8086, 0x29c0, 0x0600),
        dev(0, 2, 0, 0x1b36, 0x000c, 0x0604, [region(0, 0x1000, addr=0xfeb11000)],
            bridge=(1, 1, [dev(1, 0, 0, 0x1b36, 0x0010, 0x0108,
                               [region(0, 0x4000, m64=True, addr=0xfe400000)],
                               qdev_id="nvme0")] + nvme_vfs), qdev_id="rp1"),
        dev(0, 3, 0, 0x1b36, 0x000c, 0x0604, [region(0, 0x1000, addr=0xfeb12000)],
            bridge=(2, 3, [dev(2, 0, 0, 0x1b36, 0x000e, 0x0604,
                               [region(0, 0x100, m64=True, addr=0xfe000000)],
                               bridge=(3, 3, [dev(3, 1, 0, 0x8086, 0x100e, 0x0200,
                                                  [region(0, 0x20000, addr=0xfde00000),
                                                   region(1, 0x40, "io", addr=0xc000)])]))]),
            qdev_id="rp2"),
        dev(0, 6, 0, 0x1234, 0x11e8, 0x00ff,
            [region(0, 0x100000, addr=0xfea00000), region(2, 0x4000, m64=True, pf=True),
             region(6, 0x10000)], qdev_id="edu0"),
    ]}]


NVME = (0, 1, 0, 0)
# VF Enable set, NumVFs 1: only 01:00.1 is enabled; 01:00.2 is realized but idle.
# The VF BAR0 register says 64-bit, although query-pci shows the VFs' BAR0 as
# 32-bit (QEMU 10.0 realizes the VFs before the PF sets their BAR types).
SRIOV = {NVME: SriovState(offset=0x120, ctrl=0x9, total=2, num=1, first_offset=1, stride=1,
                          vf_device=0x0010, vf_bars=(0x4, 0, 0, 0, 0, 0))}

GOOD = """\
c0 INFO acpi: MCFG: segment 0 buses 0x00-0xff ECAM 0x00000000b0000000
c0 INFO pci: 0000:00:00.0 8086:29c0 class 0x060000 rc-endpoint
c0 INFO pci: 0000:00:02.0 1b36:000c class 0x060400 root-port bus [0x01-0x01] bar0 mem32 0x00000000feb11000 size 0x1000 caps PCIe,ACS
c0 INFO pci: 0000:01:00.0 1b36:0010 class 0x010802 endpoint bar0 mem64 0x00000000fe400000 size 0x4000 caps MSI-X,PCIe,ARI,SR-IOV(total 2 offset 1 stride 1)
c0 INFO pci: 0000:00:03.0 1b36:000c class 0x060400 root-port bus [0x02-0x03] bar0 mem32 0x00000000feb12000 size 0x1000
c0 INFO pci: 0000:02:00.0 1b36:000e class 0x060400 pcie-pci-bridge bus [0x03-0x03] bar0 mem64 0x00000000fe000000 size 0x100 caps PCIe,ext0x0023,cap0x0c
c0 INFO pci: 0000:03:01.0 8086:100e class 0x020000 pci bar0 mem32 0x00000000fde00000 size 0x20000 bar1 io 0x000000000000c000 size 0x40
c0 INFO pci: 0000:00:06.0 1234:11e8 class 0x00ff00 pci bar0 mem32 0x00000000fea00000 size 0x100000 bar2 mem64p 0x0000000000000000 size 0x4000 caps MSI
c0 INFO pci: 0000:01:00.1 1b36:0010 class 0x010802 vf of 0000:01:00.0 #1 bar0 mem64 0x00000000fe404000 size 0x4000 caps ARI
c0 INFO pci: 0000:01:00.0: enabled 1 VFs
c0 INFO pci: group 0: 0000:02:00.0 0000:03:01.0
c0 INFO pci: 7 functions (1 VFs), 3 bridges, 6 isolation groups
sluice: result pass=5 fail=0
"""


def diffs(log=GOOD, q=None, sriov=None):
    return oracle_differences(log_lines(log), q if q is not None else query_pci(),
                              SRIOV if sriov is None else sriov)


def only(ds):
    assert len(ds) == 1, ds
    return ds[0]


# ---- the agreeing case ----------------------------------------------------

def test_agreeing_log_has_no_differences():
    assert diffs() == []


def test_prog_if_is_not_compared():
    assert diffs(GOOD.replace("class 0x010802 endpoint", "class 0x010801 endpoint")) == []


def test_rom_is_not_compared():
    q = flatten_query_pci(query_pci())
    edu = [f for f in q if f.qdev_id == "edu0"][0]
    assert sorted(edu.bars) == [0, 2]


def test_non_function_pci_lines_are_ignored():
    funcs, problems = parse_kernel_log(log_lines(GOOD))
    assert problems == []
    assert len(funcs) == 8


# ---- query-pci ------------------------------------------------------------

def test_flatten_walks_nested_bridges():
    q = flatten_query_pci(query_pci())
    bdfs = [f.bdf for f in q]
    assert (0, 3, 1, 0) in bdfs and (0, 2, 0, 0) in bdfs
    assert len(q) == 9
    by = {f.bdf: f for f in q}
    assert by[(0, 0, 3, 0)].bus_range == (2, 3)
    assert by[(0, 2, 0, 0)].bus_range == (3, 3)
    assert by[(0, 3, 1, 0)].bus_range is None


def test_region_types_and_unmapped_addresses():
    by = {f.bdf: f for f in flatten_query_pci(query_pci())}
    e1000, edu, nvme = by[(0, 3, 1, 0)], by[(0, 0, 6, 0)], by[NVME]
    assert e1000.bars[1] == Bar(1, "io", 0x40, 0xc000)
    assert e1000.bars[0].type == "mem32"
    assert nvme.bars[0].type == "mem64"
    assert edu.bars[2] == Bar(2, "mem64p", 0x4000, None)
    assert by[(0, 1, 0, 2)].is_vf


def test_vf_entries_count_only_when_enabled():
    exp, problems, idle = expected_functions(flatten_query_pci(query_pci()), SRIOV)
    assert problems == []
    assert (0, 1, 0, 1) in exp and (0, 1, 0, 2) not in exp
    assert idle == {(0, 1, 0, 2)}
    v = exp[(0, 1, 0, 1)]
    assert (v.vendor, v.device, v.vf_of, v.vf_number) == (0x1b36, 0x0010, NVME, 1)
    assert v.bars == {0: Bar(0, "mem64", 0x4000, None)}


def test_vf_bar_type_comes_from_the_pfs_vf_bar_register():
    q = [{"bus": 5, "devices": [dev(5, 0, 0, 0x8086, 0x10c9, 0x0200),
                                vf(5, 0x10, 0, 0x0200, [region(0, 0x4000, addr=0xfe880000),
                                                        region(3, 0x4000, addr=0xfe8a0000)])]}]
    st = {(0, 5, 0, 0): SriovState(0x160, 0x9, total=8, num=1, first_offset=128, stride=2,
                                   vf_device=0x10ca, vf_bars=(0xc, 0, 0, 0xc, 0, 0))}
    exp, _, _ = expected_functions(flatten_query_pci(q), st)
    assert exp[(0, 5, 0x10, 0)].bars == {0: Bar(0, "mem64p", 0x4000, 0xfe880000),
                                         3: Bar(3, "mem64p", 0x4000, 0xfe8a0000)}
    line = ("c0 INFO pci: 0000:05:10.0 8086:10ca class 0x020000 vf of 0000:05:00.0 #1 "
            "bar0 mem32 0x00000000fe880000 size 0x4000 bar3 mem64p 0x00000000fe8a0000 size 0x4000")
    ds = compare(parse_kernel_log([line])[0], {b: e for b, e in exp.items() if e.vf_of})
    assert ds == ["0000:05:10.0: bar0 is mem32 size 0x4000 in Sluice, mem64p size 0x4000 in QEMU"]


@pytest.mark.parametrize("reg, want", [(0x0, "mem32"), (0x8, "mem32p"), (0x4, "mem64"),
                                       (0xc, "mem64p"), (0x1, "io"), (0xfe000004, "mem64")])
def test_bar_type_from_register(reg, want):
    from pci_oracle import bar_type
    assert bar_type(reg) == want


def test_vf_enable_clear_means_no_vfs():
    off = {NVME: SriovState(0x120, ctrl=0x8, total=2, num=2, first_offset=1, stride=1,
                            vf_device=0x10)}
    exp, _, idle = expected_functions(flatten_query_pci(query_pci()), off)
    assert not any(e.vf_of for e in exp.values())
    assert len(idle) == 2


def test_enabled_vf_that_query_pci_lacks_is_reported():
    st = {NVME: SriovState(0x120, ctrl=0x9, total=4, num=3, first_offset=1, stride=1,
                           vf_device=0x10)}
    _, problems, _ = expected_functions(flatten_query_pci(query_pci()), st)
    assert problems == ["QEMU: 0000:01:00.0 has VF Enable with NumVFs=3, but query-pci lists "
                        "no function at VF #3's routing ID 0000:01:00.3"]


def test_vf_routing_id_with_offset_and_stride_crosses_devices():
    q = [dev(5, 0, 0, 0x8086, 0x10c9, 0x0200)] + \
        [vf(5, 0x10 + i // 4, (2 * i) % 8, 0x0200, [region(0, 0x4000)]) for i in range(8)]
    q = [{"bus": 5, "devices": q}]
    st = {(0, 5, 0, 0): SriovState(0x160, 0x9, total=8, num=3, first_offset=128, stride=2,
                                   vf_device=0x10ca)}
    exp, problems, _ = expected_functions(flatten_query_pci(q), st)
    assert problems == []
    assert sorted(b for b, e in exp.items() if e.vf_of) == [(0, 5, 0x10, 0), (0, 5, 0x10, 2),
                                                           (0, 5, 0x10, 4)]


# ---- every disagreement is caught -----------------------------------------

def test_empty_log_lists_every_qemu_function_as_missing():
    ds = diffs("sluice: result pass=1 fail=0\n")
    assert len(ds) == 8          # 9 functions in query-pci, one of them an idle VF
    assert all(d.startswith("missing in Sluice: ") for d in ds)
    assert "missing in Sluice: 0000:01:00.1 1b36:0010 class 0x0108 vf #1 of 0000:01:00.0" in ds
    assert "missing in Sluice: 0000:00:06.0 1234:11e8 class 0x00ff (edu0)" in ds
    assert not any("01:00.2" in d for d in ds)


def test_missing_function_in_sluice():
    log = "".join(l + "\n" for l in GOOD.splitlines() if "03:01.0 8086" not in l)
    assert only(diffs(log)) == "missing in Sluice: 0000:03:01.0 8086:100e class 0x0200"


def test_extra_function_in_sluice():
    extra = "c0 INFO pci: 0000:00:07.0 8086:10d3 class 0x020000 endpoint\n"
    assert only(diffs(GOOD + extra)) == ("missing in QEMU: 0000:00:07.0 8086:10d3 class "
                                         "0x020000 endpoint (serial line 14)")


def test_other_segment_is_not_qemus():
    log = GOOD.replace("pci: 0000:03:01.0", "pci: 0001:03:01.0")
    ds = diffs(log)
    assert len(ds) == 2
    assert ds[0].startswith("missing in Sluice: 0000:03:01.0")
    assert ds[1].startswith("missing in QEMU: 0001:03:01.0")


@pytest.mark.parametrize("old, new, want", [
    ("03:01.0 8086:100e", "03:01.0 8086:100f",
     "0000:03:01.0: vendor:device 8086:100f in Sluice, 8086:100e in QEMU"),
    ("03:01.0 8086:100e", "03:01.0 8087:100e",
     "0000:03:01.0: vendor:device 8087:100e in Sluice, 8086:100e in QEMU"),
    ("8086:100e class 0x020000", "8086:100e class 0x028000",
     "0000:03:01.0: class 0x028000 in Sluice, 0x0200 (base, sub) in QEMU"),
    ("size 0x20000 bar1 io", "size 0x10000 bar1 io",
     "0000:03:01.0: bar0 is mem32 size 0x10000 in Sluice, mem32 size 0x20000 in QEMU"),
    ("bar1 io 0x000000000000c000", "bar1 mem32 0x000000000000c000",
     "0000:03:01.0: bar1 is mem32 size 0x40 in Sluice, io size 0x40 in QEMU"),
    ("bar0 mem64 0x00000000fe400000", "bar0 mem32 0x00000000fe400000",
     "0000:01:00.0: bar0 is mem32 size 0x4000 in Sluice, mem64 size 0x4000 in QEMU"),
    ("bar2 mem64p", "bar2 mem64",
     "0000:00:06.0: bar2 is mem64 size 0x4000 in Sluice, mem64p size 0x4000 in QEMU"),
    (" bar1 io 0x000000000000c000 size 0x40", "",
     "0000:03:01.0: bar1 missing in Sluice (QEMU: io size 0x40)"),
    ("size 0x40\n", "size 0x40 bar5 mem32 0x00000000fd000000 size 0x1000\n",
     "0000:03:01.0: bar5 missing in QEMU (Sluice: mem32 size 0x1000)"),
    ("bar0 mem32 0x00000000fde00000", "bar0 mem32 0x00000000fde20000",
     "0000:03:01.0: bar0 at 0x00000000fde20000 in Sluice, 0x00000000fde00000 in QEMU"),
    ("pcie-pci-bridge bus [0x03-0x03]", "pcie-pci-bridge bus [0x03-0x04]",
     "0000:02:00.0: bus [0x03-0x04] in Sluice, bus [0x03-0x03] in QEMU"),
    ("pcie-pci-bridge bus [0x03-0x03]", "pcie-pci-bridge",
     "0000:02:00.0: no bus range in Sluice, bus [0x03-0x03] in QEMU"),
    ("class 0x060400 pcie-pci-bridge bus [0x03-0x03]", "class 0x060400 endpoint",
     "0000:02:00.0: kind endpoint in Sluice, a bridge in QEMU"),
    ("class 0x020000 pci bar0", "class 0x020000 pci-bridge bus [0x04-0x04] bar0",
     "0000:03:01.0: kind pci-bridge in Sluice, not a bridge in QEMU"),
    ("vf of 0000:01:00.0 #1", "vf of 0000:01:00.0 #2",
     "0000:01:00.1: vf of 0000:01:00.0 #2 in Sluice, vf of 0000:01:00.0 #1 in QEMU"),
    ("01:00.1 1b36:0010", "01:00.1 1b36:ffff",
     "0000:01:00.1: vendor:device 1b36:ffff in Sluice, 1b36:0010 in QEMU (a VF: the PF's "
     "vendor and VF Device ID)"),
    ("class 0x010802 vf of 0000:01:00.0 #1", "class 0x010802 endpoint",
     "0000:01:00.1: kind endpoint in Sluice, QEMU has VF #1 of 0000:01:00.0"),
    ("class 0x00ff00 pci", "class 0x00ff00 vf of 0000:00:02.0 #1",
     "0000:00:06.0: kind vf in Sluice, QEMU has no VF here"),
])
def test_field_mismatch_is_caught(old, new, want):
    assert old in GOOD
    assert only(diffs(GOOD.replace(old, new, 1))) == want


def test_unmapped_qemu_bar_address_is_not_compared():
    # edu's bar2 is not mapped in QEMU (-1); any address Sluice prints is fine.
    assert diffs(GOOD.replace("mem64p 0x0000000000000000", "mem64p 0x0000000800000000")) == []


def test_disabled_vf_listed_by_sluice_is_named():
    extra = ("c0 INFO pci: 0000:01:00.2 1b36:0010 class 0x010802 vf of 0000:01:00.0 #2 "
             "bar0 mem32 0x00000000fe408000 size 0x4000\n")
    d = only(diffs(GOOD + extra))
    assert d.startswith("missing in QEMU: 0000:01:00.2 1b36:0010 class 0x010802 vf")
    assert "QEMU has a VF there that is not enabled" in d


def test_sluice_missing_an_enabled_vf():
    log = "".join(l + "\n" for l in GOOD.splitlines() if "01:00.1 1b36" not in l)
    assert only(diffs(log)) == ("missing in Sluice: 0000:01:00.1 1b36:0010 class 0x0108 "
                                "vf #1 of 0000:01:00.0")


def test_duplicate_function_line_is_reported():
    line = [l for l in GOOD.splitlines() if "03:01.0 8086" in l][0]
    d = only(diffs(GOOD + line + "\n"))
    assert d == "0000:03:01.0: listed 2 times by Sluice (serial lines 7, 14)"


def test_several_differences_come_one_per_line_in_bdf_order():
    log = GOOD.replace("03:01.0 8086:100e", "03:01.0 8086:100f").replace(
        "0000:00:06.0 1234:11e8", "0000:00:06.0 1234:11e9")
    ds = diffs(log)
    assert [d[:12] for d in ds] == ["0000:00:06.0", "0000:03:01.0"]
    assert all("\n" not in d for d in ds)


def test_malformed_function_lines_are_reported():
    bad = ["c0 INFO pci: 0000:00:07.0 8086:10d3 class 0x020000 gadget",
           "c0 INFO pci: 0000:00:07.0 8086:10d3 class 0x020000 endpoint bar0 mem16 "
           "0x0000000000000000 size 0x10",
           "c0 INFO pci: 0000:00:07.0 8086:10d3 class 0x0200 endpoint",
           "c0 INFO pci: 0000:00:07.0 8086:10d3 class 0x020000 endpoint bar0 mem32 0x0 size 0x10",
           "c0 INFO pci: 0000:00:07.0 8086:10d3 class 0x020000 vf",
           "c0 INFO pci: 0000:00:07.0 8086:10d3 class 0x020000 endpoint bus [0x01-0x01]"]
    for line in bad:
        ds = diffs(GOOD + line + "\n")
        assert ds[0].startswith("malformed pci line (serial line 14): "), (line, ds)
        assert len(ds) == 1, ds


def test_function_line_fields():
    f = parse_function_line(
        "c1 INFO pci: 0000:05:10.2 8086:10ca class 0x020000 vf of 0000:05:00.0 #2 "
        "bar0 mem32 0x00000000fe884000 size 0x4000 bar3 mem64p 0x0000000100000000 size 0x4000 "
        "caps MSI-X,PCIe,ATS(qdepth 0),SR-IOV(total 8 offset 128 stride 2),ext0x001e,cap0x09")
    assert f.bdf == (0, 5, 0x10, 2) and (f.vendor, f.device, f.cls) == (0x8086, 0x10ca, 0x020000)
    assert (f.kind, f.vf_of, f.vf_number) == ("vf", (0, 5, 0, 0), 2)
    assert f.bars[3] == Bar(3, "mem64p", 0x4000, 0x100000000)
    assert f.caps == ["MSI-X", "PCIe", "ATS(qdepth 0)", "SR-IOV(total 8 offset 128 stride 2)",
                      "ext0x001e", "cap0x09"]
    g = parse_function_line("c0 INFO pci: 0000:01:00.0 104c:8232 class 0x060400 upstream-port "
                            "bus [0x02-0x04]")
    assert g.bus_range == (2, 4) and g.bars == {} and g.caps == []
    for other in ("c0 INFO pci: group 3: 0000:05:10.0", "c0 INFO pci: 0000:05:00.0: enabled 2 VFs",
                  "c0 INFO pci: 27 functions (6 VFs), 7 bridges, 20 isolation groups",
                  "c0 WARN pci: 0000:05:00.0: NumVFs 9 exceeds TotalVFs 8"):
        assert parse_function_line(other) is None


# ---- SR-IOV state from config space ---------------------------------------

def config(dwords):
    return lambda off: dwords.get(off, 0)


NVME_EXT = {0x100: 0x1201000e, 0x120: 0x00010010, 0x128: 0x00000009, 0x12c: 0x00040004,
            0x130: 0x00000003, 0x134: 0x00010001, 0x138: 0x00100000, 0x140: 0x00000001,
            0x144: 0x00000004}


def test_read_sriov_from_config():
    assert read_sriov(config(NVME_EXT)) == SriovState(
        offset=0x120, ctrl=0x9, total=4, num=3, first_offset=1, stride=1, vf_device=0x0010,
        vf_bars=(0x4, 0, 0, 0, 0, 0))
    igb = {0x100: 0x15010001, 0x150: 0x1601000e, 0x160: 0x00010010, 0x16c: 0x00080008,
           0x174: 0x00020080, 0x178: 0x10ca0000}
    st = read_sriov(config(igb))
    assert (st.total, st.first_offset, st.stride, st.vf_device, st.enabled) == \
        (8, 128, 2, 0x10ca, False)


@pytest.mark.parametrize("space", [
    {},                                    # no extended capabilities
    {0x100: 0xffffffff},                   # conventional function: all ones
    {0x100: 0x1001000e},                   # ARI pointing to itself
    {0x100: 0x2001000e, 0x200: 0x1001000f},  # a loop of two
    {0x100: 0x0ff1000e},                   # pointer below 0x100
    {0x100: 0x1021000e},                   # misaligned pointer
])
def test_bad_extended_lists_end_without_sriov(space):
    assert find_ext_cap(config(space), 0x10) is None
    assert read_sriov(config(space)) is None


def test_parse_xp():
    text = ("00000000b0300100: 0x1201000e 0x00000000 0x00000000 0x00000000\r\n"
            "00000000b0300110: 0x00000000 0x00000001\r\n")
    got = parse_xp(text)
    assert got[0xb0300100] == 0x1201000e and got[0xb0300114] == 1 and len(got) == 6


# ---- the judge for oracle boots -------------------------------------------

def data(quit_sent=True, sriov=None, error=None, q="default"):
    return OracleData(query_pci=query_pci() if q == "default" else q,
                      sriov=SRIOV if sriov is None else sriov, error=error, quit_sent=quit_sent)


def test_oracle_boot_passes_on_status_0_after_the_harness_quit():
    v = judge("bios", 0, log_lines(GOOD), [], 60, oracle=data())
    assert v.ok, v.problems


@pytest.mark.parametrize("status, words", [
    (0, "triple fault"), (33, "by itself"), (35, "by itself"), (1, "before the harness sent quit"),
    (124, "timed out after 60 s"), (143, "before the harness sent quit")])
def test_oracle_boot_status_without_quit_fails(status, words):
    v = judge("ovmf-grub", status, log_lines(GOOD), [], 60, oracle=data(quit_sent=False))
    assert not v.ok
    assert words in v.problems[0]


def test_oracle_boot_nonzero_status_after_quit_fails():
    v = judge("bios", 1, log_lines(GOOD), [], 60, oracle=data())
    assert v.problems == ["QEMU exited with 1 after the harness sent quit, expected 0"]


def test_oracle_boot_keeps_the_log_rules():
    v = judge("bios", 0, log_lines(GOOD.replace("fail=0", "fail=2")), [], oracle=data())
    assert v.problems == ["result line reports fail=2 (pass=5)"]
    v = judge("bios", 0, log_lines(GOOD + "c0 FATAL x\n"), [], oracle=data())
    assert not v.ok
    v = judge("bios", 0, log_lines(GOOD), [e for e in load_expect("never there")], oracle=data())
    assert v.unmatched is not None


def load_expect(text):
    from conftest import parse_expect
    return parse_expect(text)


def test_oracle_boot_without_an_answer_fails():
    v = judge("bios", 0, log_lines(GOOD), [], oracle=OracleData(error="QMP: no answer in time",
                                                                quit_sent=True))
    assert v.problems == ["oracle: QMP: no answer in time",
                          "oracle: QEMU gave no query-pci answer, nothing was compared"]


def test_oracle_differences_fail_one_line_each_in_the_message():
    log = GOOD.replace("03:01.0 8086:100e", "03:01.0 8086:100f").replace(
        "class 0x00ff00", "class 0x00fe00")
    v = judge("bios", 0, log_lines(log), [], oracle=data())
    assert not v.ok
    assert v.problems == [
        "oracle: 0000:00:06.0: class 0x00fe00 in Sluice, 0x00ff (base, sub) in QEMU",
        "oracle: 0000:03:01.0: vendor:device 8086:100f in Sluice, 8086:100e in QEMU"]
    msg = failure_message("pcie[bios]", "bios", 0, v, log_lines(log))
    assert "exit status: 0 (after the harness's quit)" in msg
    assert "  - oracle: 0000:03:01.0: vendor:device 8086:100f in Sluice" in msg


def test_kernel_without_pci_lines_fails_with_every_function_missing():
    log = "c0 INFO hv: ready, 0 partition(s) running\nsluice: result pass=7 fail=0\n"
    v = judge("bios", 0, log_lines(log), [], oracle=data())
    assert not v.ok
    assert len(v.problems) == 8
    assert all(p.startswith("oracle: missing in Sluice: ") for p in v.problems)


def test_non_oracle_judging_is_unchanged():
    v = judge("bios", 0, log_lines(GOOD), [])
    assert not v.ok and "triple fault" in v.problems[0]
    assert judge("bios", 33, log_lines(GOOD), []).ok


# ---- scenario files -------------------------------------------------------

def _scenario(tmp_path, files):
    d = tmp_path / "s"
    d.mkdir()
    for fname, text in {"sluice.conf": "[sluice]\n", "expect.txt": "x\n", **files}.items():
        (d / fname).write_text(text)
    return str(d)


def test_oracle_file(tmp_path):
    s = load_scenario(_scenario(tmp_path, {"oracle": "# QEMU decides\nqmp-pci\n"}))
    assert s.oracle == "qmp-pci"


@pytest.mark.parametrize("files, why", [
    ({"oracle": "qmp-usb\n"}, "expected one of qmp-pci"),
    ({"oracle": "qmp-pci qmp-pci\n"}, "expected one of qmp-pci"),
    ({"oracle": "qmp-pci\n", "firmware": "bios bochs\n"}, "needs QEMU"),
    ({"oracle": "qmp-pci\n", "outcome": "fatal\n"}, "not with outcome fatal"),
])
def test_bad_oracle_file(tmp_path, files, why):
    with pytest.raises(ScenarioError, match=why):
        load_scenario(_scenario(tmp_path, files))


def test_no_oracle_file_means_no_oracle(tmp_path):
    assert load_scenario(_scenario(tmp_path, {})).oracle is None


IDEAL_PCIE_TOPOLOGY_LOG = """\
c0 INFO acpi: MCFG: segment 0 buses 0x00-0xff ECAM 0x00000000b0000000
c0 INFO pci: 0000:03:00.0 1b36:0010 class 0x010802 endpoint bar0 mem64 0x00000000fe400000 size 0x4000 caps PM,MSI-X,PCIe,ARI,SR-IOV(total 4 offset 1 stride 1)
c0 INFO pci: 0000:05:00.0 8086:10c9 class 0x020000 endpoint bar0 mem32 0x00000000fe800000 size 0x20000 bar1 mem32 0x00000000fe820000 size 0x20000 bar2 io 0x000000000000d000 size 0x20 bar3 mem64 0x00000000fe840000 size 0x4000 caps PM,MSI,MSI-X,PCIe,AER,ARI,SR-IOV(total 8 offset 128 stride 2)
c0 INFO pci: 0000:06:00.0 1af4:1041 class 0x020000 endpoint bar1 mem32 0x00000000fe600000 size 0x1000 bar4 mem64p 0x00000000fd600000 size 0x4000 caps MSI-X,PCIe,ATS(qdepth 0)
c0 INFO pci: 0000:07:00.0 1b36:000e class 0x060400 pcie-pci-bridge bus [0x08-0x08] bar0 mem64 0x00000000fe000000 size 0x100 caps PCIe
c0 INFO pci: 0000:08:01.0 8086:100e class 0x020000 pci bar0 mem32 0x00000000fde00000 size 0x20000 bar1 io 0x000000000000c000 size 0x40
c0 INFO pci: 0000:03:00.1 1b36:0010 class 0x010802 vf of 0000:03:00.0 #1 bar0 mem64 0x00000000fe404000 size 0x4000 caps ARI
c0 INFO pci: 0000:03:00.2 1b36:0010 class 0x010802 vf of 0000:03:00.0 #2 bar0 mem64 0x00000000fe408000 size 0x4000
c0 INFO pci: 0000:03:00.3 1b36:0010 class 0x010802 vf of 0000:03:00.0 #3 bar0 mem64 0x00000000fe40c000 size 0x4000
c0 INFO pci: 0000:03:00.4 1b36:0010 class 0x010802 vf of 0000:03:00.0 #4 bar0 mem64 0x00000000fe410000 size 0x4000
c0 INFO pci: 0000:05:10.0 8086:10ca class 0x020000 vf of 0000:05:00.0 #1 bar0 mem64p 0x00000000fe880000 size 0x4000 bar3 mem64p 0x00000000fe8a0000 size 0x4000
c0 INFO pci: 0000:05:10.2 8086:10ca class 0x020000 vf of 0000:05:00.0 #2 bar0 mem64p 0x00000000fe884000 size 0x4000 bar3 mem64p 0x00000000fe8a4000 size 0x4000
c0 INFO check: pass VFs enabled as asked (sriov=03:00.0:4,05:00.0:2)
c0 INFO pci: group 7: 0000:07:00.0 0000:08:01.0
c0 INFO pci: 27 functions (6 VFs), 7 bridges, 20 isolation groups
c0 INFO hv: ready, 0 partition(s) running
sluice: result pass=9 fail=0
"""


def test_pcie_topology_expect_matches_a_log_in_the_contracted_format():
    s = load_scenario(os.path.join(ROOT, "tests", "scenarios", "pcie-topology"))
    assert s.oracle == "qmp-pci" and "sriov=03:00.0:4,05:00.0:2" in s.cmdline
    lines = log_lines(IDEAL_PCIE_TOPOLOGY_LOG)
    matched, unmatched = match_in_order(lines, s.expects)
    assert unmatched is None, unmatched.text
    assert parse_kernel_log(lines)[1] == []


# ---- several root buses (pxb-pcie), as QEMU 10.0 answers -----------------
#
# query-pci gives one list per root bus, the extra host bridges' first (last
# created first): bus 0x80, bus 0x40, then bus 0. The pxb-pcie devices
# themselves are functions on bus 0 (1b36:000b, class 0x0600).

def query_pci_pxb():
    def behind(bus, qdev):
        edu = dev(bus + 1, 0, 0, 0x1234, 0x11e8, 0x00ff, [region(0, 0x100000, addr=0xfe800000)])
        return {"bus": bus, "devices": [
            dev(bus, 0, 0, 0x1b36, 0x000c, 0x0604, [region(0, 0x1000, addr=0xfea12000)],
                bridge=(bus + 1, bus + 1, [edu]), qdev_id=qdev)]}
    return [behind(0x80, "rp2"), behind(0x40, "rp1"), {"bus": 0, "devices": [
        dev(0, 0, 0, 0x8086, 0x29c0, 0x0600),
        dev(0, 3, 0, 0x1b36, 0x000b, 0x0600, qdev_id="pxb1"),
        dev(0, 4, 0, 0x1b36, 0x000b, 0x0600, qdev_id="pxb2")]}]


PXB_LOG = """\
c0 INFO pci: root bus 0000:00 (mcfg start, dmar scope)
c0 INFO pci: root bus 0000:40 (ecam scan, dmar scope)
c0 INFO pci: root bus 0000:80 (ecam scan, dmar scope)
c0 INFO pci: 0000:00:00.0 8086:29c0 class 0x060000 pci
c0 INFO pci: 0000:00:03.0 1b36:000b class 0x060000 pci
c0 INFO pci: 0000:00:04.0 1b36:000b class 0x060000 pci
c0 INFO pci: 0000:40:00.0 1b36:000c class 0x060400 root-port bus [0x41-0x41] bar0 mem32 0x00000000fea12000 size 0x1000 caps PCIe,MSI-X,cap0x0d,AER,ACS
c0 INFO pci: 0000:41:00.0 1234:11e8 class 0x00ff00 pci bar0 mem32 0x00000000fe800000 size 0x100000 caps MSI
c0 INFO pci: 0000:80:00.0 1b36:000c class 0x060400 root-port bus [0x81-0x81] bar0 mem32 0x00000000fea12000 size 0x1000 caps PCIe,MSI-X,cap0x0d,AER,ACS
c0 INFO pci: 0000:81:00.0 1234:11e8 class 0x00ff00 pci bar0 mem32 0x00000000fe800000 size 0x100000 caps MSI
sluice: result pass=1 fail=0
"""


def test_every_root_bus_of_query_pci_is_compared():
    q = flatten_query_pci(query_pci_pxb())
    assert sorted(f.bdf[1] for f in q) == [0, 0, 0, 0x40, 0x41, 0x80, 0x81]
    assert oracle_differences(log_lines(PXB_LOG), query_pci_pxb(), {}) == []
    funcs, problems = parse_kernel_log(log_lines(PXB_LOG))
    assert problems == [] and len(funcs) == 7


def test_functions_behind_an_unscanned_root_bus_are_missing():
    # What Sluice logged before it looked past bus 0.
    log = "".join(l + "\n" for l in PXB_LOG.splitlines() if " 0000:4" not in l)
    ds = oracle_differences(log_lines(log), query_pci_pxb(), {})
    assert ds == ["missing in Sluice: 0000:40:00.0 1b36:000c class 0x0604 (rp1)",
                  "missing in Sluice: 0000:41:00.0 1234:11e8 class 0x00ff"]


# ---- the QMP client against a fake QEMU -----------------------------------

class FakeQEMU:
    """Speaks enough QMP on a Unix socket: greeting, capabilities, query-pci,
    qom-get MCFG, HMP xp over a fake ECAM space, quit (then closes). Sends an
    event before every answer, as QEMU may."""
    ECAM = 0xb0000000

    def __init__(self, path, q, config):
        self.q, self.config, self.commands = q, config, []
        self.srv = socket.socket(socket.AF_UNIX)
        self.srv.bind(path)
        self.srv.listen(1)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def xp(self, line):
        _, fmt, addr = line.split()
        n, addr = int(fmt[1:-2]), int(addr, 16)
        out = []
        for row in range(0, n, 4):
            a = addr + 4 * row
            words = " ".join("0x%08x" % self.config.get(a + 4 * k, 0xffffffff)
                             for k in range(min(4, n - row)))
            out.append("%016x: %s\r\n" % (a, words))
        return "".join(out)

    def serve(self):
        conn, _ = self.srv.accept()
        f = conn.makefile("rwb")

        def send(msg):
            f.write(json.dumps(msg).encode() + b"\r\n")
            f.flush()

        send({"QMP": {"version": {}, "capabilities": ["oob"]}})
        for line in f:
            cmd = json.loads(line)
            name, args = cmd["execute"], cmd.get("arguments", {})
            self.commands.append(name if name != "human-monitor-command"
                                 else args["command-line"])
            send({"event": "NIC_RX_FILTER_CHANGED", "data": {}})
            if name == "query-pci":
                send({"return": self.q})
            elif name == "qom-get":
                send({"return": self.ECAM} if args == {"path": "/machine/q35", "property": "MCFG"}
                     else {"error": {"class": "GenericError", "desc": "no"}})
            elif name == "human-monitor-command":
                send({"return": self.xp(args["command-line"])})
            elif name == "quit":
                send({"return": {}})
                break
            else:
                send({"return": {}})
        conn.close()
        self.srv.close()


def test_fetch_reads_query_pci_and_sriov_state_then_quits():
    ecam_nvme = FakeQEMU.ECAM + (1 << 20)
    space = {ecam_nvme + off: 0 for off in range(0x100, 0x1000, 4)}
    space.update({ecam_nvme + off: v for off, v in NVME_EXT.items()})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "q.sock")
        fake = FakeQEMU(path, query_pci(), space)
        got = fetch(path, 10)
        fake.thread.join(5)
    assert got.error is None and got.quit_sent
    assert got.query_pci == query_pci()
    assert got.sriov == {NVME: SriovState(0x120, 0x9, 4, 3, 1, 1, 0x10, (0x4, 0, 0, 0, 0, 0))}
    assert fake.commands[:3] == ["qmp_capabilities", "query-pci", "qom-get"]
    assert fake.commands[-1] == "quit"
    assert all(c.startswith("xp /16wx 0x") for c in fake.commands[3:-1])


def test_fetch_without_vfs_reads_no_config():
    q = copy.deepcopy(query_pci())
    bridge = q[0]["devices"][1]["pci_bridge"]
    bridge["devices"] = bridge["devices"][:1]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "q.sock")
        fake = FakeQEMU(path, q, {})
        got = fetch(path, 10)
        fake.thread.join(5)
    assert got.quit_sent and got.sriov == {}
    assert fake.commands == ["qmp_capabilities", "query-pci", "quit"]


def test_fetch_without_qemu_reports_and_does_not_claim_quit():
    with tempfile.TemporaryDirectory() as tmp:
        got = fetch(os.path.join(tmp, "none.sock"), 2)
    assert not got.quit_sent and got.query_pci is None
    assert "cannot connect" in got.error


def test_client_gives_up_at_its_deadline():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "mute.sock")
        srv = socket.socket(socket.AF_UNIX)
        srv.bind(path)
        srv.listen(1)                       # accepts, never greets
        with pytest.raises(QMPError, match="no answer in time"):
            QMPClient(path, 0.5)
        srv.close()
