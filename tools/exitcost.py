"""make bench's exitcost run (tools/bench --only exitcost): reading the lines
of tests/guests/linux/exitcost.c, which the init prints for sluice.exitcost=N
(docs/testing.md, "Exit round trips"):

  sluice-linux: exitcost KIND: N round trips x B batches, ticks per round trip min X median Y max Z, K at the min[, rax=0xR]
  sluice-linux: exitcost KIND: not available (WHY)
  sluice-linux: exitcost spin: M iterations of the nop loop in T ticks, E beyond its 5 instructions each

KIND is nop, cpuid, vmmcall, inb61 or pread61, in that order; each loop
iteration of the first four is the same five instructions but for the
third (NOP, CPUID, VMMCALL, IN from port 0x61); pread61 reads port 0x61
through the kernel (pread of /dev/port), for where a user-mode IN faults;
the spin is one long run of the nop loop (100 million
instructions), whose extra ticks are whatever else ran meanwhile: the
guest's timer interrupts, the hypervisor's exits, other CPUs (QEMU's
icount is one counter for all CPUs). Under QEMU's -icount shift=0 a tick is one instruction, so a
kind's ticks per round trip less the nop loop's are the instructions its
exit costs beyond a NOP: 0 with no hypervisor, the hypervisor's whole round
trip under one. In a Sluice partition each kind's batches are framed by
marks 200 + its index, the spin by 200 + 5 (vm/part/mark.c), so Sluice logs their VM exits:

  INFO NAME: mark 20K: EXITS VM exits in US us (REASON COUNT, ...)

and in the KVM peer (tools/peer-l2) KVM's counters are read at the same
marks (tools/peer_bench.py, parse_peer here).

Everything here is pure: a log in, figures out, BenchError naming what is
missing; tests/scenarios/test_exitcost_logic.py checks it. The peer's KVM
guest prints the same lines (same initramfs, same command-line word),
relayed by its first level; parse_peer reads that log with KVM's marks.
"""
import re
import statistics

import peer_bench

# The init's FAIL verdict, Sluice's mark lines and their reasons, and the
# error: as the Linux bench reads them.
from linux_bench import BenchError, FAIL_RE, MARK_RE, REASON_RE, figure  # noqa: F401 (BenchError, figure: for callers)

KINDS = ("nop", "cpuid", "vmmcall", "inb61", "pread61")
MARK_BASE = 200
LINE_RE = re.compile(r"sluice-linux: exitcost (\w+): (\d+) round trips x (\d+) batches, ticks per round trip "
                     r"min ([0-9.]+) median ([0-9.]+) max ([0-9.]+), (\d+) at the min(?:, rax=(0x[0-9a-f]+))?\s*$")
SPIN_RE = re.compile(r"sluice-linux: exitcost spin: (\d+) iterations of the nop loop in (\d+) ticks, (-?\d+) beyond")
MISSING_RE = re.compile(r"sluice-linux: exitcost (\w+): not available \((.*)\)\s*$")


def parse(log, marked):
    """A boot's serial log (text) -> {"n": round trips per batch, "batches":
    B, "kinds": {KIND: {"min", "median", "max": ticks per round trip,
    "at_min": batches at the min, "rax": int or None} or {"missing": why}}}.
    "spin": {"iterations", "ticks", "extra"}. With marked (a Sluice
    partition) each available kind and the spin also get "exits" (its
    interval's VM exits) and "reasons" ({name: count}). BenchError when the
    init failed, a kind or the spin is absent or twice, the kinds differ in
    N or B, the nop loop is not available, or (marked) one has no mark line."""
    fail = FAIL_RE.search(log)
    if fail:
        raise BenchError(f"the init failed: {fail.group(1).strip()}")
    kinds, shape, spin = {}, set(), None
    for line in log.splitlines():
        m = SPIN_RE.search(line)
        if m:
            if spin:
                raise BenchError("the spin reported twice")
            spin = {"iterations": int(m.group(1)), "ticks": int(m.group(2)), "extra": int(m.group(3))}
            continue
        m = LINE_RE.search(line)
        x = MISSING_RE.search(line)
        if not m and not x:
            continue
        name = (m or x).group(1)
        if name not in KINDS:
            raise BenchError(f"unknown kind '{name}' in: {line.strip()}")
        if name in kinds:
            raise BenchError(f"kind {name} reported twice")
        if x:
            kinds[name] = {"missing": x.group(2)}
            continue
        shape.add((int(m.group(2)), int(m.group(3))))
        kinds[name] = {"min": float(m.group(4)), "median": float(m.group(5)), "max": float(m.group(6)),
                       "at_min": int(m.group(7)), "rax": int(m.group(8), 16) if m.group(8) else None}
    if not kinds:
        raise BenchError("no exitcost lines from the init")
    absent = [k for k in KINDS if k not in kinds]
    if absent:
        raise BenchError("no exitcost line for " + ", ".join(absent))
    if not spin:
        raise BenchError("no exitcost spin line")
    if "missing" in kinds["nop"]:
        raise BenchError(f"the nop loop did not run: {kinds['nop']['missing']}")
    if len(shape) != 1:
        raise BenchError("the kinds ran different batch sizes: " +
                         ", ".join(f"{n} x {b}" for n, b in sorted(shape)))
    n, batches = shape.pop()
    if marked:
        marks = {}
        for m in MARK_RE.finditer(log):
            marks[int(m.group(2))] = {"exits": int(m.group(3)),
                                      "reasons": {r: int(c) for r, c in REASON_RE.findall(m.group(5))}}
        add_marks(kinds, spin, marks, "Sluice")
    return {"n": n, "batches": batches, "kinds": kinds, "spin": spin}


def add_marks(kinds, spin, marks, who):
    """Each available kind and the spin get "exits" and "reasons" from
    marks ({N: {"exits", "reasons", ...}}) at 200 + its index.
    BenchError naming WHO when one has no mark."""
    for i, (k, x) in enumerate([(k, kinds[k]) for k in KINDS] + [("spin", spin)]):
        if "missing" in x:
            continue
        if MARK_BASE + i not in marks:
            raise BenchError(f"{'the spin' if k == 'spin' else 'kind ' + k} has no mark {MARK_BASE + i} line from {who}")
        x.update(exits=marks[MARK_BASE + i]["exits"], reasons=marks[MARK_BASE + i]["reasons"])


def parse_peer(stamped):
    """One boot of the KVM + VFIO peer (tools/bench peer_boot) as [(second,
    line)] -> parse of its guest's relayed lines, each available kind and the
    spin with "exits" and "reasons" from tools/peer-l2's KVM mark lines
    (peer_bench.kvm_marks: the SVM exit codes by Sluice's names). BenchError
    when either level failed, the guest's QEMU did not end with status 0, or
    a line is missing."""
    own, guest = peer_bench.split(stamped)
    ended = None
    for _, line in own:
        m = peer_bench.OWN_RE.search(line)
        if not m:
            continue
        f = peer_bench.FAIL_RE.match(m.group(1))
        if f:
            raise BenchError(f"the peer's first level failed: {f.group(1)}")
        ended = peer_bench.ENDED_RE.match(m.group(1)) or ended
    p = parse("\n".join(line for _, line in guest), marked=False)
    if not ended:
        raise BenchError("no 'l2 ended' line from the peer's first level")
    if int(ended.group(1)):
        raise BenchError(f"the guest's QEMU ended with status {ended.group(1)}, want 0 (the init's poweroff)")
    add_marks(p["kinds"], p["spin"], peer_bench.kvm_marks(own), "KVM (tools/peer-l2)")
    return p


def net(run, kind):
    """-> ticks (instructions under -icount shift=0) per round trip of kind
    beyond the nop loop's, from the batches' minimum, or None when the kind
    was not available."""
    k = run["kinds"][kind]
    return None if "missing" in k else k["min"] - run["kinds"]["nop"]["min"]


def exits_per_trip(run, kind):
    """-> the VM exits per round trip of kind in its marked interval (all
    reasons), or None without a mark (not a partition, or not available)."""
    k = run["kinds"][kind]
    return k["exits"] / (run["n"] * run["batches"]) if "exits" in k else None


def summary(runs):
    """runs: [parse result] of one machine -> {KIND: {"median", "min",
    "max": of net() over the runs, "epr": median exits per round trip or
    None, "missing": why or None}, "spin": {"median", "min", "max": of the
    spin's extra ticks per million instructions of the loop}}. BenchError
    when the runs disagree on which kinds ran."""
    extra = [r["spin"]["extra"] * 1e6 / (r["spin"]["ticks"] - r["spin"]["extra"]) for r in runs]
    out = {"spin": {"median": statistics.median(extra), "min": min(extra), "max": max(extra)}}
    for kind in KINDS:
        nets = [net(r, kind) for r in runs]
        if any(v is None for v in nets):
            if not all(v is None for v in nets):
                raise BenchError(f"kind {kind} ran in some runs and not in others")
            out[kind] = {"median": None, "min": None, "max": None, "epr": None,
                         "missing": runs[0]["kinds"][kind]["missing"]}
            continue
        eprs = [exits_per_trip(r, kind) for r in runs]
        out[kind] = {"median": statistics.median(nets), "min": min(nets), "max": max(nets),
                     "epr": statistics.median(eprs) if all(e is not None for e in eprs) else None,
                     "missing": None}
    return out
