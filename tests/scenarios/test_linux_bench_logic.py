"""make bench's Linux log reader (tools/linux_bench.py) on made-up logs:
nothing boots here. The logs are shaped like the ones of one partition boot
(Sluice's serial log, the guest's lines prefixed with its name) and one
direct boot (the kernel's console alone); each line arrives at the time of
its kernel time stamp, a line without one with the line before it."""
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools"))
import linux_bench  # noqa: E402

PART = """c0 INFO hv: ready, 1 partition(s) running
c1 INFO part: lx: running on CPU 1 (svm, ASID 1), entry 0x0000000001000200
c1 INFO lx: [    0.000000] Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org)
c1 INFO lx: [    8.707317] sluice-linux: init reached: tag=lx kernel 6.1.0-57-amd64, 1 cpu(s), up 3.54 s
c1 INFO lx: [    9.246365] sluice-linux: /dev/nvme0n1 after 0.0 s
c1 INFO lx: [   10.000000] sluice-linux: bench mark=1 start
c1 INFO lx: [   11.500000] sluice-linux: bench mark=1 end
c1 INFO lx: mark 1: 5427 VM exits in 2407847 us (io 181, hlt 538, npf 2595, intr 1686, intr-window 427)
c1 INFO lx: [   11.520096] sluice-linux: bench write bs=4096: 2048 I/Os, 8388608 bytes in 2000 ms: 1024 IO/s, 4096 KiB/s
c1 INFO lx: [   12.000000] sluice-linux: bench mark=2 start
c1 INFO lx: [   12.100000] sluice-linux: bench mark=2 end
c1 INFO lx: mark 2: 361 VM exits in 180719 us (io 14, hlt 32, npf 171, intr 119, intr-window 25)
c1 INFO lx: [   14.008435] sluice-linux: bench read bs=131072: 128 I/Os, 16777216 bytes in 100 ms: 1280 IO/s, 163840 KiB/s
c1 INFO lx: [   14.015286] sluice-linux: PASS tag=lx ctrls=1 namespaces=1 pci=1 sha256=00
c1 INFO lx: counters: mark port: 2 intervals measured, 0 writes refused
"""

DIRECT = """[    1.0] Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org)
[    3.567901] sluice-linux: init reached: tag=direct kernel 6.1.0-57-amd64, 1 cpu(s), up 3.00 s
[    4.0] sluice-linux: bench mark=1 start
[    5.0] sluice-linux: bench mark=1 end
[    5.187975] sluice-linux: bench write bs=4096: 2048 I/Os, 8388608 bytes in 1000 ms: 2048 IO/s, 8192 KiB/s
[    6.0] sluice-linux: bench mark=2 start
[    6.1] sluice-linux: bench mark=2 end
[    6.795682] sluice-linux: bench read bs=131072: 128 I/Os, 16777216 bytes in 50 ms: 2560 IO/s, 327680 KiB/s
[    6.804033] sluice-linux: PASS tag=direct ctrls=1 namespaces=1 pci=7 sha256=00
"""


def stamped(log):
    t, out = 0.0, []
    for line in log.splitlines():
        m = re.search(r"\[ *([0-9.]+)\]", line)
        t = float(m.group(1)) if m else t
        out.append((t, line))
    return out


def parse(log, marked):
    return linux_bench.parse(stamped(log), marked)


def test_a_partition_log_gives_each_run_with_its_exits():
    p = parse(PART, marked=True)
    assert p["uptime"] == 3.54
    assert p["wall"] == 8.707317
    assert p["kernel"] == 8.707317
    assert p["guest"] == 8.707317
    d = parse(DIRECT, marked=False)
    assert d["guest"] == d["wall"] == 3.567901          # from QEMU's start    assert parse(DIRECT, marked=False)["kernel"] == pytest.approx(2.567901)
    assert [r["s"] for r in p["runs"]] == pytest.approx([1.5, 0.1])
    assert [(r["op"], r["bs"], r["count"], r["exits"]) for r in p["runs"]] == \
        [("write", 4096, 2048, 5427), ("read", 131072, 128, 361)]
    assert p["runs"][0]["reasons"] == {"io": 181, "hlt": 538, "npf": 2595, "intr": 1686, "intr-window": 427}
    assert p["runs"][1]["us"] == 180719


def test_rates_and_the_comparison():
    part = parse(PART, marked=True)
    direct = parse(DIRECT, marked=False)
    assert linux_bench.rate(direct["runs"][0]) == pytest.approx((8.388608, 2048.0))     # 2048 x 4 KiB in 1 s
    rows = linux_bench.compare(part, direct)
    assert rows[0]["part_iops"] == pytest.approx(2048 / 1.5)
    assert rows[0]["ratio"] == pytest.approx(1 / 1.5)
    assert rows[0]["epi"] == pytest.approx(5427 / 2048)
    assert rows[0]["part_clock"] == pytest.approx(2 / 1.5)     # the guest's 2 s were 1.5 s of the bench's
    assert rows[1]["part_mbps"] == pytest.approx(128 * 131072 / 0.1 / 1e6)
    assert rows[1]["ratio"] == pytest.approx(1.0)


def test_medians_are_taken_per_run_and_of_each_pairs_ratio():
    part = parse(PART, marked=True)
    direct = parse(DIRECT, marked=False)
    rows = linux_bench.compare(part, direct)
    slow = [dict(r, part_iops=r["part_iops"] / 4, ratio=r["ratio"] / 4) for r in rows]
    def times(uptime, wall):
        return {"uptime": uptime, "wall": wall, "kernel": wall / 2, "guest": wall / 4}
    rows_m, boot = linux_bench.medians([(rows, times(3.5, 30.0), times(3.0, 10.0)),
                                        (rows, times(3.6, 33.0), times(2.0, 10.0)),
                                        (slow, times(6.0, 40.0), times(4.0, 20.0))])
    assert rows_m[0]["ratio"] == pytest.approx(1 / 1.5)
    assert rows_m[0]["reasons"]["npf"] == pytest.approx(2595 / 2048)
    assert boot["part_uptime"] == 3.6
    assert boot["direct_uptime"] == 3.0
    assert boot["uptime_ratio"] == pytest.approx(1.5)     # of 1.17, 1.8 and 1.5, not 3.6 / 3.0
    assert boot["wall_ratio"] == pytest.approx(3.0)
    assert boot["kernel_ratio"] == pytest.approx(3.0)
    assert boot["part_kernel"] == 16.5
    assert boot["guest_ratio"] == pytest.approx(3.0)
    assert linux_bench.reasons_text({"io": 0.25, "npf": 1.5, "hlt": 0}) == "npf 1.50, io 0.25"
    assert linux_bench.reasons_text({}) == "none"


@pytest.mark.parametrize("log,marked,want", [
    (PART.replace("PASS tag", "PASSED tag"), True, "no PASS verdict from the init"),
    (PART.replace("Linux version", "Linux versions"), True, "no 'Linux version' line from the kernel"),
    (PART.replace("init reached", "init seen"), True, "no 'init reached' line"),
    (PART.replace("running on CPU", "runs on CPU"), True, "no line from Sluice that it entered the guest ('running on CPU')"),
    (PART + "c1 INFO lx: [ 9.0] sluice-linux: FAIL tag=lx bench: no /dev/port for the mark port\n", True,
     "the init failed: tag=lx bench: no /dev/port for the mark port"),
    (PART.replace("mark 2: 361", "mark 3: 361"), True, "run 2 (read of 131072-byte blocks) has no mark line from Sluice"),
    (PART.replace("mark 2: 361", "mark 1: 361"), True, "mark 1 closed twice"),
    (PART.replace("bs=131072: 128 I/Os", "bs=131072: 0 I/Os"), True, "run 2: no blocks"),
    ("\n".join(l for l in DIRECT.splitlines() if "bench " not in l), False, "no bench lines from the init"),
    ("\n".join(l for l in DIRECT.splitlines() if "mark=" not in l), False, "run 1 has no start line"),
    (DIRECT.replace("mark=2 end", "mark=2 ended"), False, "run 2 has no end line"),
    (DIRECT.replace("[    6.1] sluice-linux: bench mark=2 end", "[    5.9] sluice-linux: bench mark=2 end"), False,
     "run 2: its end line arrived 0.100 s before its start line"),
])
def test_a_bad_log_is_named(log, marked, want):
    with pytest.raises(linux_bench.BenchError) as e:
        parse(log, marked)
    assert str(e.value) == want


def test_a_direct_log_without_marks_is_read_and_different_runs_are_refused():
    direct = parse(DIRECT, marked=False)
    assert "exits" not in direct["runs"][0]
    part = parse(PART.replace("2048 I/Os", "1024 I/Os"), marked=True)
    with pytest.raises(linux_bench.BenchError, match="different dd runs"):
        linux_bench.compare(part, direct)


# Captured from a partition boot with sluice.iopoll (bench/linux with
# sluice.bench=8): /bin/iouring's runs after the init's dd runs, numbered on.
IOPOLL_PART = PART.replace("c1 INFO lx: [   14.015286] sluice-linux: PASS", """c1 INFO lx: [   14.0] sluice-linux: bench mark=3 start
c1 INFO lx: [   15.2] sluice-linux: bench mark=3 end
c1 INFO lx: mark 3: 5123 VM exits in 1223488 us (io 206, npf 2338, intr 2207, intr-window 372)
c1 INFO lx: [   15.260136] sluice-linux: bench write-poll bs=4096: 2048 I/Os, 8388608 bytes in 1160 ms: 1765 IO/s, 7061 KiB/s
c1 INFO lx: [   15.3] sluice-linux: PASS""")


def test_iouring_runs_are_read_in_order_with_their_mode():
    p = parse(IOPOLL_PART, marked=True)
    assert [(r["mark"], r["op"], r["bs"], r["count"]) for r in p["runs"]] == \
        [(1, "write", 4096, 2048), (2, "read", 131072, 128), (3, "write-poll", 4096, 2048)]
    assert p["runs"][2]["exits"] == 5123 and p["runs"][2]["s"] == pytest.approx(1.2)


def test_medians_carry_min_and_max():
    col = [{"a": 3.0}, {"a": 1.0}, {"a": 2.0}]
    m = linux_bench.spread(col, ("a",))
    assert (m["a"], m["a_min"], m["a_max"]) == (2.0, 1.0, 3.0)
    assert linux_bench.span(m, "a", ".1f") == "2.0 (1.0-3.0)"
