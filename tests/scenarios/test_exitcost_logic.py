"""make bench's exitcost log reader (tools/exitcost.py): nothing boots here.
The logs are excerpts captured from one boot of bench/exitcost (Sluice's
serial log: the guest's lines prefixed with its name, Sluice's mark lines)
and one of bench/exitcost-direct (the kernel's console alone), both under
QEMU 10.0 with -icount shift=0."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools"))
import exitcost  # noqa: E402

PART = """c0 INFO hv: ready, 1 partition(s) running
c1 INFO lx: mark 200: 0 VM exits in 18 us (none)
c1 INFO lx: mark 201: 3002 VM exits in 7048 us (cpuid 3000, io 1, npf 1)
c1 INFO lx: mark 202: 3003 VM exits in 6839 us (hypercall 3000, npf 2, intr 1)
c1 INFO lx: mark 203: 3002 VM exits in 4586 us (io 3001, npf 1)
c1 INFO lx: mark 204: 58 VM exits in 100177 us (io 8, npf 25, intr 25)
c1 INFO lx: [    1.601256] sluice-linux: exitcost nop: 200 round trips x 15 batches, ticks per round trip min 5.06 median 5.06 max 5.06, 15 at the min
c1 INFO lx: [    1.601824] sluice-linux: exitcost cpuid: 200 round trips x 15 batches, ticks per round trip min 2342.06 median 2342.06 max 2436.08, 14 at the min
c1 INFO lx: [    1.602438] sluice-linux: exitcost vmmcall: 200 round trips x 15 batches, ticks per round trip min 2259.06 median 2259.06 max 2486.17, 12 at the min, rax=0x0
c1 INFO lx: [    1.603044] sluice-linux: exitcost inb61: 200 round trips x 15 batches, ticks per round trip min 1524.06 median 1524.06 max 1577.08, 13 at the min
c1 INFO lx: [    1.603604] sluice-linux: exitcost spin: 20000000 iterations of the nop loop in 100174327 ticks, 174327 beyond its 5 instructions each
c1 INFO lx: [    1.604000] sluice-linux: PASS tag=lx ramdisk
"""

DIRECT = """[    1.938142] sluice-linux: exitcost nop: 200 round trips x 15 batches, ticks per round trip min 5.06 median 5.06 max 222.72, 14 at the min
[    1.938454] sluice-linux: exitcost cpuid: 200 round trips x 15 batches, ticks per round trip min 5.06 median 5.06 max 5.06, 15 at the min
[    1.938654] sluice-linux: exitcost vmmcall: not available (#UD: no hypervisor answers it)
[    1.938962] sluice-linux: exitcost inb61: 200 round trips x 15 batches, ticks per round trip min 5.06 median 5.06 max 5.06, 15 at the min
[    1.939266] sluice-linux: exitcost spin: 20000000 iterations of the nop loop in 100134633 ticks, 134633 beyond its 5 instructions each
[    1.939300] sluice-linux: PASS tag=direct ramdisk
"""


def test_a_partition_log_gives_each_kind_with_its_exits():
    p = exitcost.parse(PART, marked=True)
    assert (p["n"], p["batches"]) == (200, 15)
    assert p["kinds"]["cpuid"]["min"] == 2342.06 and p["kinds"]["cpuid"]["at_min"] == 14
    assert p["kinds"]["vmmcall"]["rax"] == 0
    assert p["kinds"]["inb61"]["reasons"] == {"io": 3001, "npf": 1}
    assert p["spin"] == {"iterations": 20000000, "ticks": 100174327, "extra": 174327, "exits": 58,
                         "reasons": {"io": 8, "npf": 25, "intr": 25}}
    assert exitcost.net(p, "cpuid") == pytest.approx(2337.0)
    assert exitcost.net(p, "vmmcall") == pytest.approx(2254.0)
    assert exitcost.net(p, "inb61") == pytest.approx(1519.0)
    assert exitcost.exits_per_trip(p, "cpuid") == pytest.approx(3002 / 3000)


def test_a_direct_log_has_no_exit_cost_and_no_vmmcall():
    d = exitcost.parse(DIRECT, marked=False)
    assert exitcost.net(d, "cpuid") == 0 and exitcost.net(d, "inb61") == 0
    assert exitcost.net(d, "vmmcall") is None
    assert exitcost.exits_per_trip(d, "cpuid") is None
    assert d["kinds"]["nop"]["max"] == 222.72       # a timer tick in one batch: the min leaves it out


def test_summary_gives_median_min_and_max_over_runs():
    p = exitcost.parse(PART, marked=True)
    q = exitcost.parse(PART.replace("min 2342.06", "min 2350.06"), marked=True)
    r = exitcost.parse(PART.replace("min 2342.06", "min 2340.06"), marked=True)
    s = exitcost.summary([p, q, r])
    assert (s["cpuid"]["median"], s["cpuid"]["min"], s["cpuid"]["max"]) == pytest.approx((2337.0, 2335.0, 2345.0))
    assert s["cpuid"]["epr"] == pytest.approx(3002 / 3000)
    assert s["spin"]["median"] == pytest.approx(174327 * 1e6 / 100000000)
    d = exitcost.summary([exitcost.parse(DIRECT, marked=False)])
    assert d["vmmcall"]["missing"] == "#UD: no hypervisor answers it" and d["vmmcall"]["median"] is None
    assert exitcost.figure(d["vmmcall"]["median"]) == "-" and exitcost.figure(2337.0) == "2337.00"


@pytest.mark.parametrize("log, marked, why", [
    (PART.replace("c1 INFO lx: mark 202:", "c1 INFO lx: mark 212:"), True, "kind vmmcall has no mark 202"),
    (PART.replace("c1 INFO lx: mark 204:", "c1 INFO lx: mark 214:"), True, "the spin has no mark 204"),
    ("\n".join(l for l in DIRECT.splitlines() if "inb61" not in l), False, "no exitcost line for inb61"),
    ("\n".join(l for l in DIRECT.splitlines() if "spin" not in l), False, "no exitcost spin line"),
    (DIRECT.replace("exitcost nop: 200 round trips x 15 batches, ticks per round trip min 5.06 median 5.06 max 222.72, 14 at the min",
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
