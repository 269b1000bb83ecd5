#!/usr/bin/env python3
"""make bench's plots: one PNG per bench, drawn with matplotlib from the
figures the bench's run just produced (tools/bench hands them over, and
keeps them as JSON in build/bench/NAME.json), never from bench/results.md.

  tools/bench_plot.py NAME build/bench/NAME.json OUTDIR [STAMP]

draws bench NAME again from a kept run (STAMP: the words in its corner,
as tools/bench writes the run's date there). The data of each bench is what its
bench_NAME function in tools/bench returns.
"""
import json
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")                   # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

import exitcost as exitcost_log  # noqa: E402
import linux_bench  # noqa: E402
import pv_eoi_bench  # noqa: E402


def _bars(ax, groups, series, values, colors=None):
    """Grouped bars: values[s][g] for each series s over groups g; labels each bar."""
    n = len(series)
    width = 0.8 / n
    for k, s in enumerate(series):
        xs = [g + (k - (n - 1) / 2) * width for g in range(len(groups))]
        bars = ax.bar(xs, values[k], width, label=s, color=colors[k] if colors else None)
        # Whole numbers as they are (11551, not 1.155e+04), fractions to four figures.
        ax.bar_label(bars, labels=[f"{v:.0f}" if v >= 100 else f"{v:.4g}" for v in values[k]], fontsize=7)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups)


def nvme(ax, runs):
    _bars(ax, [str(i) for i in range(1, len(runs) + 1)], ["PF (Sluice's driver)", "guest on its VF"],
          [[r["pf_iops"] for r in runs], [r["vf_iops"] for r in runs]])
    ax.set_xlabel("run")
    ax.set_ylabel("I/Os per second (4 KiB)")
    ax.set_title(f"NVMe PF vs VF: median ratio {statistics.median(r['ratio'] for r in runs):.3f}")


def ats(ax, runs):
    groups = [str(i) for i in range(1, len(runs) + 1)]
    _bars(ax, groups, ["min", "median", "max"], [[r[k + "_us"] for r in runs] for k in ("min", "med", "max")])
    ax.set_yscale("log")
    ax.set_xlabel("run")
    ax.set_ylabel("invalidation wait, us")
    ax.set_title(f"ATS remap: {runs[0]['moves']} moves, waits per run")


def linux(ax, boots):
    rows, _ = linux_bench.medians([tuple(b) for b in boots])
    groups = [f"{r['op']}\n{linux_bench.size(r['bs'])}" for r in rows]
    names, series = ["partition (VF)", "direct (PF)"], [[r["part_iops"] for r in rows], [r["direct_iops"] for r in rows]]
    if "peer_iops" in boots[0][0][0]:       # the KVM + VFIO peer's (tools/peer_bench.py add)
        for name, k in (("KVM + VFIO (VF)", "peer_iops"), ("KVM's host (PF)", "host_iops")):
            names.append(name)
            # None where the peer's host has no such run (the io_uring ones): no bar.
            series.append([statistics.median([b[0][i][k] for b in boots if b[0][i][k] is not None] or [0])
                           for i in range(len(rows))])
    _bars(ax, groups, names, series)
    ax.set_yscale("log")
    ax.set_ylabel("I/Os per second (median)")
    ax.set_title("Linux on the VF: I/O rate of each side (partition/PF ratio under each group)", fontsize=9)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([f"{g}\n{r['ratio']:.2f}x" for g, r in zip(groups, rows)], fontsize=7)


def tables(ax, parts):
    names = list(parts)
    groups = [f"{n} ({parts[n]['mem'] / (1 << 30):g} GiB)" for n in names]
    _bars(ax, groups, ["nested", "VT-d second-stage"],
          [[parts[n]["nested_per_gib"] for n in names], [parts[n]["second_per_gib"] for n in names]])
    ax.axhline(3, color="red", linestyle="--", linewidth=1, label="goal: 3")
    ax.set_ylabel("table pages per GiB of memory")
    ax.set_title("Table pages per GiB")
    ax.legend(fontsize=8)


def remap(ax, modes):
    names = list(modes)
    _bars(ax, ["per map", "per unmap"], [f"caching mode {m[3:]} ({m})" for m in names],
          [[modes[m]["map_batches_per"], modes[m]["unmap_batches_per"]] for m in names])
    ax.set_ylabel("invalidation batches")
    ax.set_title(f"Invalidation batches per change ({modes[names[0]]['moves']} moves, no ATS)")


def boot(ax, runs):
    groups = [str(i) for i in range(1, len(runs) + 1)]
    _bars(ax, groups, ["two partitions", "one alone"],
          [[r["boot-two"]["from_entry"] for r in runs], [r["boot-one"]["from_entry"] for r in runs]])
    ax.set_xlabel("run")
    ax.set_ylabel("s, first entry to last init")
    ax.set_title(f"Two Linux partitions vs one alone, ratios: {statistics.median(r['ratio'] for r in runs):.2f} wall,\n"
                 f"{statistics.median(r['uptime_ratio'] for r in runs):.2f} kernel uptime, "
                 f"{statistics.median(r['cpu_ratio'] for r in runs):.2f} QEMU's CPU time", fontsize=10)


def pv_eoi(ax, boots):
    rows = pv_eoi_bench.medians(boots)
    groups = [f"{r['op']} {linux_bench.size(r['bs'])}" for r in rows]
    _bars(ax, groups, ["without", "paravirt = pv-eoi"], [[r["off_epi"] for r in rows], [r["on_epi"] for r in rows]])
    ax.set_ylabel("VM exits per I/O (median)")
    ax.set_title("Linux partition dd: exits per I/O without and with paravirtual EOI", fontsize=9)


def exitcost(ax, data):
    sides = [("Sluice partition", "Sluice", "part"), ("KVM guest (peer)", "KVM", "peer"), ("no hypervisor", "bare", "direct")]
    sides = [(name, short, exitcost_log.summary(data[k])) for name, short, k in sides if data.get(k)]
    kinds = exitcost_log.KINDS[1:]
    nan = float("nan")          # not available there (VMMCALL with no hypervisor: #UD): no bar
    _bars(ax, [k + "".join(f"\n(n/a {short})" for _, short, s in sides if s[k]["missing"]) for k in kinds],
          [name for name, _, _ in sides], [[nan if s[k]["missing"] else s[k]["median"] for k in kinds] for _, _, s in sides])
    for t in ax.texts:
        t.set_visible(t.get_text() != "nan")
    ax.tick_params(axis="x", labelsize=7)
    ax.set_ylabel("instructions per round trip (median)")
    ax.set_title("VM exit round trips beyond a NOP (-icount shift=0)")


PLOTS = {"nvme": nvme, "ats": ats, "linux": linux, "tables": tables, "remap": remap, "boot": boot, "pv-eoi": pv_eoi,
         "exitcost": exitcost}


# Benches with many groups get a wider figure.
WIDE = {"linux": (10.0, 4.2), "pv-eoi": (10.0, 4.2)}


def plot(name, data, outdir, when=""):
    """Draws bench NAME's data into OUTDIR/NAME.png (made); returns its path."""
    os.makedirs(outdir, exist_ok=True)
    fig, ax = plt.subplots(figsize=WIDE.get(name, (6.4, 3.6)), dpi=100)
    PLOTS[name](ax, data)
    if ax.get_legend() is None:
        ax.legend(fontsize=8)
    if when:
        fig.text(0.99, 0.01, when, ha="right", va="bottom", fontsize=6, color="gray")
    fig.tight_layout()
    path = os.path.join(outdir, f"{name}.png")
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv):
    if len(argv) not in (4, 5) or argv[1] not in PLOTS:
        sys.exit(f"usage: {argv[0]} {'|'.join(PLOTS)} DATA.json OUTDIR [STAMP]")
    with open(argv[2]) as f:
        print(plot(argv[1], json.load(f), argv[3], argv[4] if len(argv) == 5 else ""))


if __name__ == "__main__":
    main(sys.argv)
