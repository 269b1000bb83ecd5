"""make bench's KVM + VFIO peer log reader (tools/peer_bench.py) on an
excerpt of a real peer boot's serial log (tests/fixtures/peer/, taken from
build/bench/linux-peer-serial-1.txt: the first level's kernel version line,
every "sluice-peer: " line, its own dd runs on the PF among them, and the
guest's relayed version and "sluice-linux: " lines). Nothing boots here. Each line arrives at the time
of the first level's kernel time stamp, the first on the line, as in
test_linux_bench_logic.py."""
import os
import re
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import linux_bench  # noqa: E402
import peer_bench  # noqa: E402
sys.path.insert(0, HERE)
from test_linux_bench_logic import stamped  # noqa: E402  (the first "[ T]" on a line: the first level's)

with open(os.path.join(ROOT, "tests", "fixtures", "peer", "linux-peer-serial.txt")) as f:
    LOG = f.read()


def mark_line(n):
    return next(l for l in LOG.splitlines() if f"sluice-peer: mark {n}:" in l)


def test_the_guests_runs_get_kvms_exits_by_reason():
    p = peer_bench.parse(stamped(LOG))
    assert [(r["op"], r["bs"], r["count"]) for r in p["runs"]] == \
        [("write", 4096, 8192), ("read", 4096, 8192), ("write", 131072, 256), ("read", 131072, 256)]
    m = re.search(r"mark 1: (\d+) KVM exits in (\d+) us \(exits \d+, halt_exits (\d+), io_exits (\d+)", mark_line(1))
    r = p["runs"][0]
    assert r["exits"] == int(m.group(1)) and r["us"] == int(m.group(2))
    assert r["counters"]["halt_exits"] == int(m.group(3)) and r["counters"]["io_exits"] == int(m.group(4))
    codes = dict(re.findall(r"(0x[0-9a-f]+) (\d+)", mark_line(1).split("by exit code")[1]))
    assert r["reasons"]["hlt"] == int(codes["0x78"])
    assert r["reasons"]["io"] == int(codes["0x7b"])
    assert r["reasons"]["intr-window"] == int(codes["0x64"])
    assert sum(r["reasons"].values()) == sum(int(c) for c in codes.values())
    # The guest's lines only: its own kernel's version line, not the first level's.
    start = next(t for t, l in stamped(LOG) if "sluice-peer: l2 start" in l)
    first = next(t for t, l in stamped(LOG) if "] l2: [" in l and "Linux version" in l)
    init = next(t for t, l in stamped(LOG) if "l2: " in l and "init reached" in l)
    assert p["wall"] == init and p["kernel"] == pytest.approx(init - first)
    assert p["guest"] == pytest.approx(init - start)
    assert p["uptime"] == float(re.search(r"tag=peer .* up ([0-9.]+) s", LOG).group(1))
    l1 = re.search(r"\[ *([0-9.]+)\] sluice-peer: init reached: .* up ([0-9.]+) s", LOG)
    assert p["l1"] == {"wall": float(l1.group(1)), "uptime": float(l1.group(2))}
    prov = re.search(r"from up ([0-9.]+) s to ([0-9.]+) s", LOG)
    assert p["provision"] == pytest.approx(float(prov.group(2)) - float(prov.group(1)))
    # Over the seconds of a 4 KiB run the guest's clock and the arrivals of
    # its relayed lines agree to a few per cent (KVM's guest keeps its TSC).
    assert all(0.9 < r["ms"] / 1e3 / r["s"] < 1.1 for r in p["runs"] if r["bs"] == 4096)


def test_the_first_levels_own_runs_on_the_pf_are_timed_by_arrival():
    p = peer_bench.parse(stamped(LOG))
    assert [(h["op"], h["bs"], h["count"]) for h in p["host"]] == [(r["op"], r["bs"], r["count"]) for r in p["runs"]]
    t = dict((l.split("host bench ")[1], s) for s, l in stamped(LOG) if "host bench mark=" in l)
    assert p["host"][0]["s"] == pytest.approx(t["mark=1 end"] - t["mark=1 start"])
    assert p["host"][3]["s"] == pytest.approx(t["mark=4 end"] - t["mark=4 start"])
    assert peer_bench.host_runs([(1.0, "init reached: ...")]) == []
    with pytest.raises(linux_bench.BenchError, match="the first level's run 1 on the PF has no end line"):
        peer_bench.host_runs([(1.0, "host bench mark=1 start"), (2.0, "host bench write bs=4096: 8 I/Os on /dev/x")])


def test_exit_codes_are_named_as_sluice_names_its_exits():
    assert [peer_bench.exit_name(c) for c in (0x78, 0x7b, 0x400, 0x60, 0x64, 0x7c, 0x4e, 0x1234)] == \
        ["hlt", "io", "npf", "intr", "intr-window", "msr", "excp-14", "0x1234"]


def fake_rows(peer, part_scale, direct_scale):
    """compare()-shaped rows for the peer's own runs, the partition at
    part_scale and the direct boot at direct_scale of the peer's I/O rate."""
    rows = []
    for q in peer["runs"]:
        iops = q["count"] / q["s"]
        rows.append({"op": q["op"], "bs": q["bs"], "count": q["count"], "part_iops": iops * part_scale,
                     "direct_iops": iops * direct_scale, "epi": 0.5, "ratio": part_scale / direct_scale,
                     "part_mbps": iops * part_scale * q["bs"] / 1e6, "direct_mbps": iops * direct_scale * q["bs"] / 1e6,
                     "reasons": {"hlt": 0.5}})
    return rows


def test_the_peer_is_added_as_a_third_side():
    peer = peer_bench.parse(stamped(LOG))
    rows = peer_bench.add(fake_rows(peer, 1.8, 2.0), peer)
    r = rows[0]
    assert r["peer_iops"] == pytest.approx(8192 / peer["runs"][0]["s"])
    assert r["host_iops"] == pytest.approx(8192 / peer["host"][0]["s"])
    assert r["peer_host"] == pytest.approx(peer["host"][0]["s"] / peer["runs"][0]["s"])
    assert r["peer_ratio"] == pytest.approx(0.5)
    assert r["part_peer"] == pytest.approx(1.8)
    assert r["peer_epi"] == pytest.approx(peer["runs"][0]["exits"] / 8192)
    assert r["peer_reasons"]["hlt"] == pytest.approx(peer["runs"][0]["reasons"]["hlt"] / 8192)
    other = peer_bench.add(fake_rows(peer, 1.0, 4.0), peer)
    prows, boot = peer_bench.medians([(rows, peer), (other, peer), (rows, peer)])
    assert prows[0]["part_peer"] == pytest.approx(1.8)
    assert prows[0]["peer_ratio"] == pytest.approx(0.5)
    assert boot["peer_guest"] == peer["guest"] and boot["l1_wall"] == peer["l1"]["wall"]
    with pytest.raises(linux_bench.BenchError, match="the peer ran different dd runs"):
        peer_bench.add(fake_rows(peer, 1, 1)[:3], peer)
    # A run the host did not make (the io_uring ones): no host figures there, the rest as before.
    short = peer_bench.add(fake_rows(peer, 1, 1), dict(peer, host=peer["host"][:3]))
    assert short[3]["host_iops"] is None and short[3]["peer_host"] is None
    assert short[0]["host_iops"] == pytest.approx(8192 / peer["host"][0]["s"])
    assert peer_bench.medians([(short, peer)])[0][3]["host_iops"] is None
    # One the guest did not make is an error.
    odd = dict(peer["host"][0], bs=512)
    with pytest.raises(linux_bench.BenchError, match="the peer's first level ran different dd runs on the PF"):
        peer_bench.add(fake_rows(peer, 1, 1), dict(peer, host=peer["host"][:3] + [odd]))


@pytest.mark.parametrize("edit,want", [
    (lambda l: l.replace("l2 ended: status 0", "l2 ended: status 1"),
     "the guest's QEMU ended with status 1, want 0 (the init's poweroff)"),
    (lambda l: l.replace("sluice-peer: mark 3:", "sluice-peer: mark 9:"),
     "run 3 (write of 131072-byte blocks) has no KVM mark line"),
    (lambda l: l.replace("sluice-peer: mark 3:", "sluice-peer: mark 2:"), "KVM mark 2 closed twice"),
    (lambda l: l.replace("sluice-peer: provisioned", "sluice-peer: provisioning"),
     "no 'provisioned' line from the peer's first level"),
    (lambda l: l.replace("sluice-peer: l2 start", "sluice-peer: l2 starts"), "no 'l2 start' line from the peer's first level"),
    (lambda l: l + "[ 99.0] sluice-peer: FAIL nvme attach-ns /dev/nvme0 --namespace-id=1 --controllers=1: "
                   "NVMe status: Namespace Already Attached\n",
     "the peer's first level failed: nvme attach-ns /dev/nvme0 --namespace-id=1 --controllers=1: "
     "NVMe status: Namespace Already Attached"),
    (lambda l: l.replace("sluice-linux: PASS", "sluice-linux: PASSED"), "no PASS verdict from the init"),
    (lambda l: "\n".join(x for x in l.splitlines() if not ("l2: " in x and "Linux version" in x)),
     "no 'Linux version' line from the kernel"),
])
def test_a_bad_log_is_named(edit, want):
    with pytest.raises(linux_bench.BenchError) as e:
        peer_bench.parse(stamped(edit(LOG)))
    assert str(e.value) == want


def test_the_linux_plot_has_the_peers_bars():
    bench_plot = pytest.importorskip("bench_plot")
    peer = peer_bench.parse(stamped(LOG))
    rows = peer_bench.add(fake_rows(peer, 1.8, 2.0), peer)
    times = {t: 1.0 for t in linux_bench.BOOT_TIMES}
    fig, ax = bench_plot.plt.subplots()
    bench_plot.linux(ax, [(rows, times, times)])
    assert ax.get_legend_handles_labels()[1] == ["partition (VF)", "direct (PF)", "KVM + VFIO (VF)", "KVM's host (PF)"]
    heights = [round(b.get_height()) for b in ax.patches]
    assert heights[8:12] == [round(r["peer_iops"]) for r in rows]
    bench_plot.plt.close(fig)


def test_a_repository_under_tmp_or_run_is_refused_before_the_peer_boots(monkeypatch):
    """The peer's first level mounts its own /tmp and /run over the host's root:
    tools/bench says so at its start instead of failing in the first level."""
    import toolmod
    bench = toolmod.load("bench")
    monkeypatch.setattr(bench, "ROOT", "/tmp/sluice")
    assert "under /tmp (/tmp/sluice)" in bench.peer_root_problem()
    monkeypatch.setattr(bench, "ROOT", "/run/x/sluice")
    assert "under /run" in bench.peer_root_problem()
    monkeypatch.setattr(bench, "ROOT", "/tmpfoo/sluice")
    assert bench.peer_root_problem() is None
