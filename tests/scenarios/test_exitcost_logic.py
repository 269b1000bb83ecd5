"""make bench's exitcost log reader (tools/exitcost.py): nothing boots here.
The logs are excerpts captured from one boot of bench/exitcost (Sluice's
serial log: the guest's lines prefixed with its name, Sluice's mark lines)
and one of bench/exitcost-direct (the kernel's console alone), both under
QEMU 10.0 with -icount shift=0, and of the KVM peer (below)."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import exitcost  # noqa: E402
sys.path.insert(0, HERE)
from test_linux_bench_logic import stamped  # noqa: E402  (the first "[ T]" on a line: the first level's)

PART = """c0 INFO hv: ready, 1 partition(s) running
c1 INFO lx: mark 200: 14 VM exits in 20485 us (io 2, hlt 6, npf 6)
c1 INFO lx: mark 201: 3015 VM exits in 31065 us (cpuid 3000, io 2, hlt 6, npf 7)
c1 INFO lx: mark 202: 3016 VM exits in 30820 us (io 3, hlt 6, hypercall 3000, npf 7)
c1 INFO lx: mark 203: 3016 VM exits in 28639 us (io 3002, hlt 6, npf 7, intr 1)
c1 INFO lx: mark 204: 3016 VM exits in 30653 us (io 3002, hlt 6, npf 7, intr 1)
c1 INFO lx: mark 205: 73 VM exits in 124185 us (io 11, hlt 6, npf 31, intr 25)
c1 INFO lx: [    1.885569] sluice-linux: exitcost nop: 200 round trips x 15 batches, ticks per round trip min 5.07 median 5.07 max 5.07, 15 at the min
c1 INFO lx: [    1.886141] sluice-linux: exitcost cpuid: 200 round trips x 15 batches, ticks per round trip min 2364.07 median 2364.07 max 2388.30, 13 at the min
c1 INFO lx: [    1.886792] sluice-linux: exitcost vmmcall: 200 round trips x 15 batches, ticks per round trip min 2271.07 median 2271.07 max 2315.68, 12 at the min, rax=0xfffffffffffffffc
c1 INFO lx: [    1.887428] sluice-linux: exitcost inb61: 200 round trips x 15 batches, ticks per round trip min 1544.07 median 1544.07 max 1574.44, 13 at the min
c1 INFO lx: [    1.888023] sluice-linux: exitcost pread61: 200 round trips x 15 batches, ticks per round trip min 2222.12 median 2222.12 max 2251.84, 14 at the min
c1 INFO lx: [    1.888589] sluice-linux: exitcost spin: 20000000 iterations of the nop loop in 100181058 ticks, 181058 beyond its 5 instructions each
c1 INFO lx: [    1.888926] sluice-linux: PASS tag=lx ramdisk
"""

DIRECT = """[    1.955672] sluice-linux: exitcost nop: 200 round trips x 15 batches, ticks per round trip min 5.07 median 5.07 max 5.07, 15 at the min
[    1.955983] sluice-linux: exitcost cpuid: 200 round trips x 15 batches, ticks per round trip min 5.07 median 5.07 max 5.07, 15 at the min
[    1.956183] sluice-linux: exitcost vmmcall: not available (#UD: no hypervisor answers it)
[    1.956492] sluice-linux: exitcost inb61: 200 round trips x 15 batches, ticks per round trip min 5.07 median 5.07 max 5.07, 15 at the min
[    1.956824] sluice-linux: exitcost pread61: 200 round trips x 15 batches, ticks per round trip min 683.12 median 683.12 max 1037.95, 14 at the min
[    1.957128] sluice-linux: exitcost spin: 20000000 iterations of the nop loop in 100134517 ticks, 134517 beyond its 5 instructions each
[    1.957228] sluice-linux: PASS tag=direct ramdisk
"""


def test_a_partition_log_gives_each_kind_with_its_exits():
    p = exitcost.parse(PART, marked=True)
    assert (p["n"], p["batches"]) == (200, 15)
    assert p["kinds"]["cpuid"]["min"] == 2364.07 and p["kinds"]["cpuid"]["at_min"] == 13
    assert p["kinds"]["vmmcall"]["rax"] == 2**64 - 4          # -SLUICE_HC_EPERM: refused at CPL 3
    assert p["kinds"]["inb61"]["reasons"] == {"io": 3002, "hlt": 6, "npf": 7, "intr": 1}
    assert p["kinds"]["pread61"]["exits"] == 3016               # mark 204: the IN of each pread
    assert p["spin"] == {"iterations": 20000000, "ticks": 100181058, "extra": 181058, "exits": 73,
                         "reasons": {"io": 11, "hlt": 6, "npf": 31, "intr": 25}}
    assert exitcost.net(p, "cpuid") == pytest.approx(2359.0)
    assert exitcost.net(p, "vmmcall") == pytest.approx(2266.0)
    assert exitcost.net(p, "inb61") == pytest.approx(1539.0)
    assert exitcost.net(p, "pread61") == pytest.approx(2217.05)
    assert exitcost.exits_per_trip(p, "cpuid") == pytest.approx(3015 / 3000)


def test_a_direct_log_has_no_exit_cost_and_no_vmmcall():
    d = exitcost.parse(DIRECT, marked=False)
    assert exitcost.net(d, "cpuid") == 0 and exitcost.net(d, "inb61") == 0
    assert exitcost.net(d, "vmmcall") is None
    assert exitcost.exits_per_trip(d, "cpuid") is None
    assert d["kinds"]["pread61"]["max"] == 1037.95  # a timer tick in one batch: the min leaves it out
    assert exitcost.net(d, "pread61") == pytest.approx(678.05)     # the system call's own cost


def test_summary_gives_median_min_and_max_over_runs():
    p = exitcost.parse(PART, marked=True)
    q = exitcost.parse(PART.replace("min 2364.07", "min 2372.07"), marked=True)
    r = exitcost.parse(PART.replace("min 2364.07", "min 2362.07"), marked=True)
    s = exitcost.summary([p, q, r])
    assert (s["cpuid"]["median"], s["cpuid"]["min"], s["cpuid"]["max"]) == pytest.approx((2359.0, 2357.0, 2367.0))
    assert s["cpuid"]["epr"] == pytest.approx(3015 / 3000)
    assert s["spin"]["median"] == pytest.approx(181058 * 1e6 / 100000000)
    d = exitcost.summary([exitcost.parse(DIRECT, marked=False)])
    assert d["vmmcall"]["missing"] == "#UD: no hypervisor answers it" and d["vmmcall"]["median"] is None
    assert exitcost.figure(d["vmmcall"]["median"]) == "-" and exitcost.figure(2337.0) == "2337.00"


@pytest.mark.parametrize("log, marked, why", [
    (PART.replace("c1 INFO lx: mark 202:", "c1 INFO lx: mark 212:"), True, "kind vmmcall has no mark 202"),
    (PART.replace("c1 INFO lx: mark 204:", "c1 INFO lx: mark 214:"), True, "kind pread61 has no mark 204"),
    (PART.replace("c1 INFO lx: mark 205:", "c1 INFO lx: mark 215:"), True, "the spin has no mark 205"),
    ("\n".join(l for l in DIRECT.splitlines() if "inb61" not in l), False, "no exitcost line for inb61"),
    ("\n".join(l for l in DIRECT.splitlines() if "spin" not in l), False, "no exitcost spin line"),
    (DIRECT.replace("exitcost nop: 200 round trips x 15 batches, ticks per round trip min 5.07 median 5.07 max 5.07, 15 at the min",
                    "exitcost nop: not available (ioperm)"), False, "the nop loop did not run"),
    (DIRECT.replace("cpuid: 200 round trips", "cpuid: 100 round trips"), False, "different batch sizes"),
    (DIRECT + DIRECT.splitlines()[1] + "\n", False, "kind cpuid reported twice"),
    (DIRECT.replace("exitcost cpuid:", "exitcost rdtsc:"), False, "unknown kind 'rdtsc'"),
    ("[ 1.0] sluice-linux: FAIL tag=direct exitcost: exitcost: 'x': want a number\n", False, "the init failed"),
    ("[ 1.0] sluice-linux: PASS tag=direct ramdisk\n", False, "no exitcost lines"),
])
def test_a_log_without_its_figures_is_an_error_naming_what_is_missing(log, marked, why):
    with pytest.raises(exitcost.BenchError, match=why):
        exitcost.parse(log, marked)


def test_runs_that_disagree_on_the_kinds_are_refused():
    d = exitcost.parse(DIRECT, marked=False)
    p = exitcost.parse(PART, marked=False)
    with pytest.raises(exitcost.BenchError, match="vmmcall ran in some runs"):
        exitcost.summary([d, p])


# The peer (tools/exitcost.py parse_peer): an excerpt of one boot of the KVM +
# VFIO peer under -icount shift=0 (build/bench/exitcost-peer-serial-1.txt):
# the first level's kernel version line, every "sluice-peer: " line (peer-l2's
# KVM mark lines among them) and the guest's relayed version and
# "sluice-linux: " lines.
with open(os.path.join(ROOT, "tests", "fixtures", "peer", "exitcost-peer-serial.txt")) as f:
    PEER = f.read()


def peer(log=None):
    return exitcost.parse_peer(stamped(PEER if log is None else log))


def peer_line(prefix):
    return next(l for l in PEER.splitlines() if prefix in l)


def test_the_kvm_guests_log_gives_each_kind_with_kvms_exits():
    q = peer()
    assert (q["n"], q["batches"]) == (200, 15)
    assert q["kinds"]["inb61"] == {"missing": "#GP at CPL 3 despite ioperm"}
    assert exitcost.net(q, "inb61") is None and exitcost.exits_per_trip(q, "inb61") is None
    assert q["kinds"]["vmmcall"]["rax"] == 2**64 - 1            # -KVM_EPERM: refused at CPL 3
    for kind, mark in (("cpuid", 201), ("vmmcall", 202), ("pread61", 204)):
        line = peer_line(f"sluice-peer: mark {mark}:")
        assert q["kinds"][kind]["exits"] == int(line.split(f"mark {mark}: ")[1].split()[0])
    assert "spin" in q and q["spin"]["exits"] == int(peer_line("sluice-peer: mark 205:").split("mark 205: ")[1].split()[0])
    # The SVM exit codes under Sluice's names (tools/peer_bench.py).
    assert q["kinds"]["cpuid"]["reasons"]["cpuid"] >= 3000
    assert q["kinds"]["vmmcall"]["reasons"]["hypercall"] >= 3000
    assert q["kinds"]["pread61"]["reasons"]["io"] >= 3000
    assert exitcost.net(q, "cpuid") > exitcost.net(exitcost.parse(PART, marked=True), "cpuid")


def test_summary_reads_the_peers_runs_as_the_others():
    s = exitcost.summary([peer(), peer()])
    assert s["inb61"]["missing"] == "#GP at CPL 3 despite ioperm" and s["inb61"]["median"] is None
    assert s["cpuid"]["median"] == pytest.approx(exitcost.net(peer(), "cpuid"))
    assert s["cpuid"]["epr"] == pytest.approx(exitcost.exits_per_trip(peer(), "cpuid"))


@pytest.mark.parametrize("change, why", [
    (lambda log: log.replace("sluice-peer: mark 201:", "sluice-peer: mark 211:"), "kind cpuid has no mark 201 line from KVM"),
    (lambda log: log.replace("sluice-peer: mark 205:", "sluice-peer: mark 215:"), "the spin has no mark 205 line from KVM"),
    (lambda log: log.replace("l2 ended: status 0", "l2 ended: status 1"), "the guest's QEMU ended with status 1"),
    (lambda log: "\n".join(l for l in log.splitlines() if "l2 ended" not in l), "no 'l2 ended' line"),
    (lambda log: log + "[   99.000000] sluice-peer: FAIL no /dev/kvm after loading kvm_amd\n", "first level failed: no /dev/kvm"),
    (lambda log: "\n".join(l for l in log.splitlines() if "exitcost pread61" not in l), "no exitcost line for pread61"),
])
def test_a_peer_log_without_its_figures_is_an_error_naming_what_is_missing(change, why):
    with pytest.raises(exitcost.BenchError, match=why):
        peer(change(PEER))
