"""make bench's Linux run (tools/bench): reading and comparing the logs of
tests/guests/linux/init's bench mode (sluice.bench on the command line).

The init times O_DIRECT dd runs on /dev/nvme0n1 before its verdict,
three lines each (N counts the runs from 1):

  sluice-linux: bench mark=N start
  sluice-linux: bench mark=N end
  sluice-linux: bench write|read bs=BYTES: COUNT I/Os, BYTES bytes in MS ms: ...

The bench times a run by its own clock, from the arrival of the start line
on the serial port to that of the end line: a partition's Linux under TCG
falls back to counting its timer ticks, with a TSC rate from Sluice that
can be a fifth off (docs/testing.md), so the guests' own times are
printed against the bench's but not compared. The boot's times are the
arrivals of the kernel's first console line and of the init's "init
reached" line, the uptime that line gives, and for a partition the arrival
of Sluice's line that it entered the guest ("running on CPU"): the guest's
own boot, from its machine's start, is that line to "init reached" in a
partition and QEMU's start to it when booted directly (SeaBIOS and QEMU's
Linux loader on that side, nothing of Sluice's own start on the other).

and wraps each in writes to Sluice's mark port; in a partition Sluice then
logs the run's VM exits (vm/part/mark.c):

  INFO NAME: mark N: EXITS VM exits in US us (REASON COUNT, ...)

Booted directly by QEMU the same writes reach nothing and there is no mark
line. Everything here is pure: logs in (each line with the second it
arrived, counted from QEMU's start), figures out, BenchError naming what
is missing; tests/scenarios/test_linux_bench_logic.py checks it.
"""
import re
import statistics

EDGE_RE = re.compile(r"sluice-linux: bench mark=(\d+) (start|end)$")
RUN_RE = re.compile(r"sluice-linux: bench ((?:read|write)(?:-irq|-poll)?) bs=(\d+): (\d+) I/Os, \d+ bytes in (\d+) ms: ")
MARK_RE = re.compile(r"INFO (\S+): mark (\d+): (\d+) VM exits in (\d+) us \(([^)]*)\)")
UPTIME_RE = re.compile(r"sluice-linux: init reached: .* up ([0-9.]+) s")
DONE_RE = re.compile(r"sluice-linux: PASS tag=")
LINUX_RE = re.compile(r"\] Linux version ")
ENTERED_RE = re.compile(r"INFO part: \S+: running on CPU \d+ ")
FAIL_RE = re.compile(r"sluice-linux: FAIL (.*)")
REASON_RE = re.compile(r"([\w-]+) (\d+)")


class BenchError(Exception):
    pass


def parse(stamped, marked):
    """A boot's serial log as [(second it arrived, line)] -> {"uptime":
    seconds, "wall": second the init-reached line arrived, "kernel": seconds
    from the kernel's first console line to it, "guest": seconds from the
    guest's start to it (a partition's first entry when marked, else QEMU's
    start), "runs": [run]}, each run a
    dict of mark, op, bs, count, ms (the guest's), s (seconds between its
    start and end lines) and, when marked (a partition), exits, us and
    reasons ({name: count}). Raises BenchError when the init failed, gave
    no PASS verdict, or a run has no start or end line, no mark line
    (marked), or ran nothing."""
    log = "\n".join(line for _, line in stamped)
    fail = FAIL_RE.search(log)
    if fail:
        raise BenchError(f"the init failed: {fail.group(1).strip()}")
    if not DONE_RE.search(log):
        raise BenchError("no PASS verdict from the init")
    up = UPTIME_RE.search(log)
    if not up:
        raise BenchError("no 'init reached' line")
    wall = next(t for t, line in stamped if UPTIME_RE.search(line))
    first = next((t for t, line in stamped if LINUX_RE.search(line)), None)
    if first is None:
        raise BenchError("no 'Linux version' line from the kernel")
    entered = next((t for t, line in stamped if ENTERED_RE.search(line)), None) if marked else 0.0
    if entered is None:
        raise BenchError("no line from Sluice that it entered the guest ('running on CPU')")
    edges = {}
    for t, line in stamped:
        m = EDGE_RE.search(line)
        if m:
            edges.setdefault((int(m.group(1)), m.group(2)), t)
    marks = {}
    for m in MARK_RE.finditer(log):
        n = int(m.group(2))
        if n in marks:
            raise BenchError(f"mark {n} closed twice")
        marks[n] = {"exits": int(m.group(3)), "us": int(m.group(4)),
                    "reasons": {r: int(c) for r, c in REASON_RE.findall(m.group(5))}}
    runs = []
    for i, m in enumerate(RUN_RE.finditer(log), 1):
        r = {"mark": i, "op": m.group(1), "bs": int(m.group(2)), "count": int(m.group(3)), "ms": int(m.group(4))}
        if not r["count"]:
            raise BenchError(f"run {i}: no blocks")
        for edge in ("start", "end"):
            if (r["mark"], edge) not in edges:
                raise BenchError(f"run {r['mark']} has no {edge} line")
        r["s"] = edges[(r["mark"], "end")] - edges[(r["mark"], "start")]
        if r["s"] <= 0:
            raise BenchError(f"run {r['mark']}: its end line arrived {-r['s']:.3f} s before its start line")
        if marked:
            if r["mark"] not in marks:
                raise BenchError(f"run {r['mark']} ({r['op']} of {r['bs']}-byte blocks) has no mark line from Sluice")
            r.update(marks[r["mark"]])
        runs.append(r)
    if not runs:
        raise BenchError("no bench lines from the init")
    return {"uptime": float(up.group(1)), "wall": wall, "kernel": wall - first, "guest": wall - entered, "runs": runs}


def rate(run):
    """-> (MB/s, I/Os per second) of one run by the bench's clock (MB: 10^6
    bytes; one I/O per block)."""
    return run["bs"] * run["count"] / run["s"] / 1e6, run["count"] / run["s"]


def key(run):
    return run["op"], run["bs"]


def compare(part, direct):
    """One partition boot and one direct boot (parse results) -> rows, one per
    run in the partition's order: op, bs, count, the rates of each, the
    ratio partition/direct and the exits per I/O. BenchError when the two
    did not run the same dd commands."""
    if [(key(r), r["count"]) for r in part["runs"]] != [(key(r), r["count"]) for r in direct["runs"]]:
        raise BenchError("the partition and the direct boot ran different dd runs")
    rows = []
    for p, d in zip(part["runs"], direct["runs"]):
        (pm, pi), (dm, di) = rate(p), rate(d)
        rows.append({"op": p["op"], "bs": p["bs"], "count": p["count"], "part_mbps": pm, "part_iops": pi,
                     "direct_mbps": dm, "direct_iops": di, "ratio": pi / di,
                     "part_clock": p["ms"] / 1e3 / p["s"], "direct_clock": d["ms"] / 1e3 / d["s"],
                     "epi": p["exits"] / p["count"], "reasons": p["reasons"]})
    return rows


BOOT_TIMES = ("uptime", "wall", "kernel", "guest")


def medians(boots):
    """boots: [(rows, partition parse result, direct parse result)] ->
    (rows of the medians by run, {"part_T", "direct_T", "T_ratio"} for T in
    BOOT_TIMES). The ratios' medians are of each boot pair's ratio."""
    first = boots[0][0]
    rows = []
    for i, r in enumerate(first):
        col = [b[0][i] for b in boots]
        m = spread(col, ("part_mbps", "part_iops", "direct_mbps", "direct_iops", "ratio", "epi"))
        reasons = sorted({n for c in col for n in c["reasons"]})
        m.update(op=r["op"], bs=r["bs"], count=r["count"],
                 reasons={n: statistics.median(c["reasons"].get(n, 0) / c["count"] for c in col) for n in reasons})
        rows.append(m)
    boot = {}
    for t in BOOT_TIMES:
        boot["part_" + t] = statistics.median(b[1][t] for b in boots)
        boot["direct_" + t] = statistics.median(b[2][t] for b in boots)
        boot[t + "_ratio"] = statistics.median(b[1][t] / b[2][t] for b in boots)
    return rows, boot


def spread(col, keys):
    """col: one run's rows over the boots -> {k: median, k_min, k_max} for k in keys."""
    m = {}
    for k in keys:
        vals = [c[k] for c in col]
        m.update({k: statistics.median(vals), k + "_min": min(vals), k + "_max": max(vals)})
    return m


def figure(x, spec=".2f"):
    """x formatted by spec ("2337.00" by default), or "-" for a figure there is none of (None)."""
    return "-" if x is None else format(x, spec)


def span(m, k, spec):
    """The median of k in a spread() row with its min and max: "2642 (2248-2684)"."""
    return f"{format(m[k], spec)} ({format(m[k + '_min'], spec)}-{format(m[k + '_max'], spec)})"


def size(bs):
    return f"{bs // 1024} KiB" if bs % 1024 == 0 else f"{bs} B"


def reasons_text(reasons):
    """{name: per I/O} -> "npf 1.27, intr 0.82" (largest first), "none"."""
    items = sorted(((v, n) for n, v in reasons.items() if v), reverse=True)
    return ", ".join(f"{n} {v:.2f}" for v, n in items) or "none"
