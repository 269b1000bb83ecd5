"""make bench's KVM + VFIO peer (tools/bench): reading the serial log of one
peer boot (bench/linux-peer; docs/testing.md, "The peer").

The log is the first-level Linux's console: its kernel's lines, its init's
(tests/guests/linux/peer-init) and tools/peer-l2's, all starting
"sluice-peer: ", and the second-level guest's console relayed line by line
into its kernel log:

  [   56.589201] l2: [   22.389555] sluice-linux: init reached: tag=peer ...

The guest's lines, with the second each arrived on the serial port, are the
test init's bench lines of the other two sides, read by tools/linux_bench.py.
peer-l2 adds one line per bench run, from KVM's counters (debugfs) and a
histogram of the kvm_exit tracepoint read when the guest wrote the run's
mark and again when it wrote 0, by the AMD SVM exit codes:

  sluice-peer: mark N: EXITS KVM exits in US us (exits E, halt_exits H, ...) by exit code (0x78 H, ...)

and the boot's marks: the first level's "init reached", "l2 start" (QEMU
started in it) and "l2 ended: status S". After the guest, with
sluice.peer.host-bench, the first level runs the same dd runs on the PF
itself, three lines each, timed by arrival as well:

  sluice-peer: host bench mark=N start
  sluice-peer: host bench mark=N end
  sluice-peer: host bench write|read bs=BYTES: COUNT I/Os on /dev/nvme0n2

Pure: logs in, figures out,
linux_bench.BenchError naming what is missing;
tests/scenarios/test_peer_bench_logic.py checks it on captured excerpts.
"""
import re
import statistics

import linux_bench

L2_RE = re.compile(r"\] l2: (.*)$")
OWN_RE = re.compile(r"sluice-peer: (.*)$")
MARK_RE = re.compile(r"mark (\d+): (\d+) KVM exits in (\d+) us \(([^)]*)\) by exit code \(([^)]*)\)$")
INIT_RE = re.compile(r"init reached: kernel \S+, \d+ cpu\(s\), up ([0-9.]+) s$")
PROVISIONED_RE = re.compile(r"provisioned: .* from up ([0-9.]+) s to ([0-9.]+) s$")
START_RE = re.compile(r"l2 start: ")
ENDED_RE = re.compile(r"l2 ended: status (-?\d+) after ([0-9.]+) s")
FAIL_RE = re.compile(r"FAIL (.*)$")
HOST_EDGE_RE = re.compile(r"host bench mark=(\d+) (start|end)$")
HOST_RUN_RE = re.compile(r"host bench (read|write) bs=(\d+): (\d+) I/Os on ")
COUNT_RE = re.compile(r"([\w-]+) (\d+)")
CODE_RE = re.compile(r"(0x[0-9a-f]+) (\d+)")

# AMD64 Architecture Programmer's Manual vol. 2, appendix C "SVM Intercept
# Exit Codes": the codes a Linux guest makes, named as Sluice names its
# exits (vm/cpu/virt.c) so that the two sides' reasons read alike. SVM has
# one code for RDMSR and WRMSR.
SVM_EXITS = {0x60: "intr", 0x61: "nmi", 0x62: "smi", 0x63: "init", 0x64: "intr-window", 0x6e: "rdtsc",
             0x72: "cpuid", 0x76: "invd", 0x77: "pause", 0x78: "hlt", 0x7b: "io", 0x7c: "msr",
             0x7d: "task-switch", 0x7f: "shutdown", 0x81: "hypercall", 0x87: "rdtscp", 0x89: "wbinvd",
             0x8a: "monitor", 0x8b: "mwait", 0x8d: "xsetbv", 0x400: "npf"}


def exit_name(code):
    """SVM exit code -> Sluice's name for it ("hlt"), "excp-N" for the
    exception intercepts 0x40-0x5f, else the code in hex."""
    if code in SVM_EXITS:
        return SVM_EXITS[code]
    if 0x40 <= code <= 0x5f:
        return f"excp-{code - 0x40}"
    return f"{code:#x}"


def split(stamped):
    """[(second, line)] of the first level's console -> (its own lines, the
    guest's lines with the relay's prefix taken off), each keeping its second."""
    own, guest = [], []
    for t, line in stamped:
        m = L2_RE.search(line)
        if m:
            guest.append((t, m.group(1)))
        else:
            own.append((t, line))
    return own, guest


def kvm_marks(own):
    """The first level's own lines ([(second, line)], split's first) ->
    {N: {"exits", "us", "reasons": {name: count}, "counters": {debugfs
    counter: count}}} from peer-l2's mark lines. BenchError when a mark
    closed twice."""
    marks = {}
    for _, line in own:
        m = OWN_RE.search(line)
        m = m and MARK_RE.match(m.group(1))
        if m:
            n = int(m.group(1))
            if n in marks:
                raise linux_bench.BenchError(f"KVM mark {n} closed twice")
            reasons = {}
            for code, c in CODE_RE.findall(m.group(5)):
                name = exit_name(int(code, 16))
                reasons[name] = reasons.get(name, 0) + int(c)
            marks[n] = {"exits": int(m.group(2)), "us": int(m.group(3)), "reasons": reasons,
                        "counters": {k: int(v) for k, v in COUNT_RE.findall(m.group(4))}}
    return marks


def host_runs(says):
    """The first level's own lines as [(second, text after "sluice-peer: ")]
    -> its dd runs on the PF, [{"mark", "op", "bs", "count", "s"}], s from
    the arrival of the start line to that of the end line ([] when it ran
    none). BenchError when a run has no start or end line."""
    edges, runs = {}, []
    for t, s in says:
        m = HOST_EDGE_RE.match(s)
        if m:
            edges.setdefault((int(m.group(1)), m.group(2)), t)
        m = HOST_RUN_RE.match(s)
        if m:
            n = len(runs) + 1
            for edge in ("start", "end"):
                if (n, edge) not in edges:
                    raise linux_bench.BenchError(f"the first level's run {n} on the PF has no {edge} line")
            runs.append({"mark": n, "op": m.group(1), "bs": int(m.group(2)), "count": int(m.group(3)),
                         "s": edges[(n, "end")] - edges[(n, "start")]})
    return runs


def parse(stamped):
    """One peer boot's serial log as [(second it arrived, line)] -> the
    guest's linux_bench.parse result (unmarked), its "guest" time counted
    from QEMU's start in the first level, each run with the run's KVM exits,
    us and reasons ({name: count} by exit code) and counters ({debugfs
    counter: count}), and "l1": {"uptime", "wall"} of the first level's
    init, "provision" (seconds), "l2_start" (arrival of its QEMU start),
    "host": host_runs (the first level's own runs on the PF).
    BenchError when either level failed, the guest's QEMU did not end with
    status 0, a line is missing, or a run has no mark line."""
    own, guest = split(stamped)
    says = [(t, OWN_RE.search(line).group(1)) for t, line in own if OWN_RE.search(line)]
    for _, s in says:
        m = FAIL_RE.match(s)
        if m:
            raise linux_bench.BenchError(f"the peer's first level failed: {m.group(1)}")

    def first(rx, what):
        for t, s in says:
            m = rx.search(s)
            if m:
                return t, m
        raise linux_bench.BenchError(f"no '{what}' line from the peer's first level")

    t_init, init = first(INIT_RE, "init reached")
    _, prov = first(PROVISIONED_RE, "provisioned")
    t_start, _ = first(START_RE, "l2 start")
    _, ended = first(ENDED_RE, "l2 ended")
    if int(ended.group(1)):
        raise linux_bench.BenchError(f"the guest's QEMU ended with status {ended.group(1)}, want 0 (the init's poweroff)")
    p = linux_bench.parse(guest, marked=False)
    p["guest"] = p["wall"] - t_start
    marks = kvm_marks(own)
    for r in p["runs"]:
        if r["mark"] not in marks:
            raise linux_bench.BenchError(f"run {r['mark']} ({r['op']} of {r['bs']}-byte blocks) has no KVM mark line")
        r.update(marks[r["mark"]])
    p["l1"] = {"uptime": float(init.group(1)), "wall": t_init}
    p["provision"] = float(prov.group(2)) - float(prov.group(1))
    p["l2_start"] = t_start
    p["host"] = host_runs(says)
    return p


def add(rows, peer):
    """linux_bench.compare rows (partition against direct) and one peer
    parse -> the rows with the peer's rates (peer_mbps, peer_iops), its
    ratio to the direct boot (peer_ratio), the partition's to it
    (part_peer), its exits per I/O and reasons per I/O, and its host's rate
    on the PF in the same machine (host_iops) with the guest's ratio to it
    (peer_host). The host runs only the dd runs (not the io_uring ones,
    write-irq and the like): where it has no run its figures are None.
    BenchError when the peer ran other runs, or its host runs one the guest
    did not."""
    want = [(r["op"], r["bs"], r["count"]) for r in rows]
    if want != [(r["op"], r["bs"], r["count"]) for r in peer["runs"]]:
        raise linux_bench.BenchError("the peer ran different dd runs from the partition and the direct boot")
    hosts = {(h["op"], h["bs"], h["count"]): h for h in peer["host"]}
    if not set(hosts) <= set(want):
        raise linux_bench.BenchError("the peer's first level ran different dd runs on the PF from its guest's")
    out = []
    for r, q in zip(rows, peer["runs"]):
        mbps, iops = linux_bench.rate(q)
        h = hosts.get((r["op"], r["bs"], r["count"]))
        host = linux_bench.rate(h)[1] if h else None
        out.append(dict(r, peer_mbps=mbps, peer_iops=iops, peer_ratio=iops / r["direct_iops"],
                        host_iops=host, peer_host=iops / host if host else None,
                        part_peer=r["part_iops"] / iops, peer_clock=q["ms"] / 1e3 / q["s"],
                        peer_epi=q["exits"] / q["count"],
                        peer_reasons={n: c / q["count"] for n, c in q["reasons"].items()}))
    return out


PEER_TIMES = ("uptime", "kernel", "guest")


def medians(boots):
    """boots: [(rows from add, peer parse)] -> (per run the medians of the
    peer's figures, {"peer_T" for T in PEER_TIMES, "l1_uptime", "l1_wall",
    "provision"})."""
    rows = []
    for i, r in enumerate(boots[0][0]):
        col = [b[0][i] for b in boots]
        m = linux_bench.spread(col, ("peer_mbps", "peer_iops", "peer_ratio", "part_peer", "peer_epi", "epi"))
        for k in ("host_iops", "peer_host"):        # None where the host has no such run
            have = [c[k] for c in col if c[k] is not None]
            m[k] = statistics.median(have) if have else None
        names = sorted({n for c in col for n in c["peer_reasons"]})
        m.update(op=r["op"], bs=r["bs"], count=r["count"],
                 peer_reasons={n: statistics.median(c["peer_reasons"].get(n, 0) for c in col) for n in names})
        rows.append(m)
    boot = {"peer_" + t: statistics.median(b[1][t] for b in boots) for t in PEER_TIMES}
    boot.update(l1_uptime=statistics.median(b[1]["l1"]["uptime"] for b in boots),
                l1_wall=statistics.median(b[1]["l1"]["wall"] for b in boots),
                provision=statistics.median(b[1]["provision"] for b in boots))
    return rows, boot
