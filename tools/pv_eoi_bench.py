"""make bench's paravirtual EOI comparison (tools/bench --only pv-eoi): the
Linux partition of bench/linux booted as it is and with paravirt = pv-eoi
(bench/linux-pv-eoi), the same dd runs in each; per run the VM exits per
I/O of both, by reason, and the I/O rates. Pure: parse results of
tools/linux_bench.py in, rows out; tests/scenarios/test_pv_eoi_bench_logic.py
checks it."""
import statistics

import linux_bench


def compare(off, on):
    """One boot without and one with pv-eoi (linux_bench.parse results, both
    marked) -> rows, one per run: op, bs, count, and for each side ("off",
    "on") its I/O per second, exits per I/O and {reason: exits per I/O}.
    BenchError when the two did not run the same dd commands."""
    if [(linux_bench.key(r), r["count"]) for r in off["runs"]] != [(linux_bench.key(r), r["count"]) for r in on["runs"]]:
        raise linux_bench.BenchError("the two partitions ran different dd runs")
    rows = []
    for a, b in zip(off["runs"], on["runs"]):
        row = {"op": a["op"], "bs": a["bs"], "count": a["count"]}
        for side, r in (("off", a), ("on", b)):
            row[side + "_iops"] = linux_bench.rate(r)[1]
            row[side + "_epi"] = r["exits"] / r["count"]
            row[side + "_reasons"] = {n: c / r["count"] for n, c in r["reasons"].items()}
        rows.append(row)
    return rows


def medians(boots):
    """boots: [rows of compare] -> rows of the medians by run (a reason a
    boot did not have counts 0 there)."""
    out = []
    for i, r in enumerate(boots[0]):
        col = [b[i] for b in boots]
        m = {"op": r["op"], "bs": r["bs"], "count": r["count"]}
        for side in ("off", "on"):
            for k in ("iops", "epi"):
                m[f"{side}_{k}"] = statistics.median(c[f"{side}_{k}"] for c in col)
            names = sorted({n for c in col for n in c[side + "_reasons"]})
            m[side + "_reasons"] = {n: statistics.median(c[side + "_reasons"].get(n, 0) for c in col) for n in names}
        out.append(m)
    return out
