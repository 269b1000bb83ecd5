"""make bench's plots (tools/bench_plot.py): each bench's figures, shaped as
its bench_NAME function in tools/bench returns them, drawn into a PNG.
Nothing boots here; matplotlib (python3-matplotlib) must be installed."""
import json
import os
import subprocess
import sys

import pytest

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools")
sys.path.insert(0, TOOLS)
import bench_plot  # noqa: E402
import linux_bench  # noqa: E402


def linux_boot(scale):
    rows = [{"op": op, "bs": bs, "count": 100, "part_mbps": 1.0 * scale, "part_iops": 100.0 * scale,
             "direct_mbps": 2.0, "direct_iops": 200.0, "ratio": scale / 2, "epi": 1.5, "reasons": {"npf": 150}}
            for op, bs in (("write", 4096), ("read", 131072))]
    times = {t: 10.0 * scale for t in linux_bench.BOOT_TIMES}
    return [rows, times, {t: 8.0 for t in linux_bench.BOOT_TIMES}]


def exitcost_boot(per_trip, vmmcall, inb61, pread61):
    """A parse result of tools/exitcost.py: ticks per round trip by kind (None: not available)."""
    kinds = {k: ({"min": v, "median": v, "max": v + 100, "at_min": 14, "rax": None} if v is not None
                 else {"missing": "#UD: no hypervisor answers it"})
             for k, v in zip(("nop", "cpuid", "vmmcall", "inb61", "pread61"), (5.06, per_trip, vmmcall, inb61, pread61))}
    return {"n": 200, "batches": 15, "kinds": kinds,
            "spin": {"iterations": 20000000, "ticks": 100174327, "extra": 174327}}


DATA = {
    "nvme": [{"pf_iops": 6000, "vf_iops": 5900, "ratio": 0.983}, {"pf_iops": 6100, "vf_iops": 6200, "ratio": 1.016}],
    "ats": [{"moves": 257, "min_us": 2.0, "med_us": 8.0, "max_us": 400.0}],
    "linux": [linux_boot(1.0), linux_boot(0.9)],
    "tables": {"g1": {"mem": 1 << 30, "nested_per_gib": 2.0, "second_per_gib": 2.0},
               "g2": {"mem": 2 << 30, "nested_per_gib": 2.0, "second_per_gib": 1.0}},
    "remap": {"CM=0": {"moves": 257, "map_batches_per": 0.0, "unmap_batches_per": 1.0},
              "CM=1": {"moves": 257, "map_batches_per": 0.99, "unmap_batches_per": 1.0}},
    "pv-eoi": [[{"op": "write", "bs": 4096, "count": 100, "off_iops": 1700.0, "on_iops": 2300.0, "off_epi": 2.43,
                 "on_epi": 1.33, "off_reasons": {"npf": 1.15, "hlt": 0.74}, "on_reasons": {"hlt": 0.51, "wrmsr": 0.09}}]],
    "boot": [{"boot-two": {"from_entry": 30.0}, "boot-one": {"from_entry": 25.0}, "ratio": 1.2, "uptime_ratio": 1.1, "cpu_ratio": 1.8}],
    "exitcost": {"part": [exitcost_boot(2364.07, 2271.07, 1544.07, 2222.12)],
                 "peer": [exitcost_boot(4004.07, 4213.07, None, 9310.80)],
                 "direct": [exitcost_boot(5.07, None, 5.07, 683.12)]},
}


@pytest.mark.parametrize("name", sorted(bench_plot.PLOTS))
def test_each_bench_draws_one_png(tmp_path, name):
    assert set(DATA) == set(bench_plot.PLOTS)
    # JSON first, as tools/bench keeps the figures: tuples come back as lists.
    path = bench_plot.plot(name, json.loads(json.dumps(DATA[name])), str(tmp_path), "2026-12-05 08:00 UTC")
    assert path == os.path.join(str(tmp_path), f"{name}.png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_the_command_line_draws_from_a_kept_run(tmp_path):
    data = tmp_path / "tables.json"
    data.write_text(json.dumps(DATA["tables"]))
    r = subprocess.run([sys.executable, os.path.join(TOOLS, "bench_plot.py"), "tables", str(data), str(tmp_path / "img")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(tmp_path / "img" / "tables.png") > 1000
    r = subprocess.run([sys.executable, os.path.join(TOOLS, "bench_plot.py"), "nope", str(data), str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "usage:" in r.stderr
