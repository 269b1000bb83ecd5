"""make bench's table, remap and boot benches (tools/bench --only tables,
remap, boot): reading their logs. Everything here is pure: a serial log in
(with each line's arrival in seconds from QEMU's start, for boot), figures
out, BenchError naming what is missing; tests/scenarios/test_tables_bench_logic.py
checks it.

tables: each partition logs, when it is built, what its translation holds
(vm/part/partition.c):

  INFO part: NAME: table pages: nested N, second-stage M, for 0xBYTES bytes of memory in R region(s)

remap: at its end a partition logs what each kind of change to its DMA
domain's map cost (vm/part/stop.c); a batch is one submit to a unit's
invalidation queue, ended by its wait descriptor:

  INFO NAME: counters: map changes for its domain: A maps took B batches of C descriptors and D write-buffer flushes; E unmaps took F batches of G descriptors and H write-buffer flushes

boot: Sluice's "running on CPU" line for each partition it enters, and each
Linux partition's init line "sluice-linux: init reached: tag=NAME".
"""
import re

GIB = 1 << 30

TABLES_RE = re.compile(r"INFO part: (\S+): table pages: nested (\d+), second-stage (\d+), "
                       r"for 0x([0-9a-f]+) bytes of memory in (\d+) region\(s\)")
CHANGES_RE = re.compile(r"INFO (\S+): counters: map changes for its domain: (\d+) maps took (\d+) batches of (\d+) "
                        r"descriptors and (\d+) write-buffer flushes; (\d+) unmaps took (\d+) batches of (\d+) "
                        r"descriptors and (\d+) write-buffer flushes")
MOVE_RE = re.compile(r"INFO remap: (\S+): region gpa \[0x[0-9a-f]+-0x[0-9a-f]+\] moved from hpa")
ENTERED_RE = re.compile(r"INFO part: (\S+): running on CPU \d+ ")
REACHED_RE = re.compile(r"sluice-linux: init reached: tag=(\S+) .* up ([0-9.]+) s")


class BenchError(Exception):
    pass


def tables(log):
    """A boot's log -> {name: {"nested", "second", "mem" (bytes), "regions",
    "nested_per_gib", "second_per_gib"}}, the first build of each partition.
    BenchError when no partition logged its table pages."""
    out = {}
    for m in TABLES_RE.finditer(log):
        name = m.group(1)
        if name in out:
            continue                    # a restart builds the nested table again
        mem = int(m.group(4), 16)
        if not mem:
            raise BenchError(f"partition {name}: no memory")
        nested, second = int(m.group(2)), int(m.group(3))
        out[name] = {"nested": nested, "second": second, "mem": mem, "regions": int(m.group(5)),
                     "nested_per_gib": nested * GIB / mem, "second_per_gib": second * GIB / mem}
    if not out:
        raise BenchError("no 'table pages' line")
    return out


def changes(log, name):
    """A boot's log -> the map changes of partition NAME's domain: {"maps",
    "unmaps", "moves", and per kind ("map", "unmap") "K_batches", "K_desc",
    "K_wbf" (totals) and "K_batches_per", "K_desc_per" (per change)}.
    BenchError when its counters line or its moves are missing, or it made
    no change of a kind."""
    m = next((m for m in CHANGES_RE.finditer(log) if m.group(1) == name), None)
    if not m:
        raise BenchError(f"no 'map changes' counters of partition {name}")
    v = [int(x) for x in m.groups()[1:]]
    x = {"maps": v[0], "map_batches": v[1], "map_desc": v[2], "map_wbf": v[3],
         "unmaps": v[4], "unmap_batches": v[5], "unmap_desc": v[6], "unmap_wbf": v[7],
         "moves": sum(1 for mv in MOVE_RE.finditer(log) if mv.group(1) == name)}
    if not x["moves"]:
        raise BenchError(f"partition {name} moved no region")
    for k in ("map", "unmap"):
        n = x[k + "s"]
        if not n:
            raise BenchError(f"partition {name}: no {k}s counted")
        x[k + "_batches_per"] = x[k + "_batches"] / n
        x[k + "_desc_per"] = x[k + "_desc"] / n
    return x


def boot(stamped, names):
    """A boot's lines [(second it arrived, line)] and the partitions expected
    -> {"first_entry": second Sluice entered the first of them, "last_reached":
    second the last init-reached line arrived, "from_entry": their difference,
    "reached": {name: second}, "uptime": the largest of the kernels' own
    uptimes in their init-reached lines (each by its own clock)}. BenchError
    when a partition was not entered or its init not reached."""
    entered, reached, uptime = {}, {}, {}
    for t, line in stamped:
        m = ENTERED_RE.search(line)
        if m and m.group(1) in names:
            entered.setdefault(m.group(1), t)
        m = REACHED_RE.search(line)
        if m and m.group(1) in names:
            reached.setdefault(m.group(1), t)
            uptime.setdefault(m.group(1), float(m.group(2)))
    for n in names:
        if n not in entered:
            raise BenchError(f"partition {n}: no 'running on CPU' line")
        if n not in reached:
            raise BenchError(f"partition {n}: its init was not reached")
    first, last = min(entered.values()), max(reached.values())
    return {"first_entry": first, "last_reached": last, "from_entry": last - first, "reached": reached,
            "uptime": max(uptime.values())}
