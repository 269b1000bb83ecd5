"""make bench's table, remap and boot log reader (tools/tables_bench.py) on
made-up logs shaped like Sluice's: nothing boots here."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools"))
import tables_bench  # noqa: E402

TABLES = """c0 INFO part: g1: table pages: nested 2, second-stage 2, for 0x40000000 bytes of memory in 1 region(s)
c0 INFO part: g2: table pages: nested 4, second-stage 2, for 0x80000000 bytes of memory in 1 region(s)
c1 INFO part: g1: table pages: nested 9, second-stage 9, for 0x40000000 bytes of memory in 1 region(s)
"""

CHANGES = """c1 INFO remap: r: region gpa [0x0000000002000000-0x000000000200ffff] moved from hpa 0x1 to hpa 0x2
c1 INFO remap: r: region gpa [0x0000000002000000-0x000000000200ffff] moved from hpa 0x2 to hpa 0x1
c1 INFO r: counters: map changes for its domain: 4 maps took 2 batches of 4 descriptors and 0 write-buffer flushes; 3 unmaps took 3 batches of 6 descriptors and 1 write-buffer flushes
"""


def test_tables_per_gib_from_the_first_build():
    t = tables_bench.tables(TABLES)
    assert t["g1"]["nested"] == 2 and t["g1"]["second"] == 2
    assert t["g1"]["nested_per_gib"] == 2.0
    assert t["g2"]["nested_per_gib"] == 2.0 and t["g2"]["second_per_gib"] == 1.0
    assert t["g2"]["mem"] == 2 << 30


def test_tables_without_a_line_is_an_error():
    with pytest.raises(tables_bench.BenchError, match="no 'table pages' line"):
        tables_bench.tables("c0 INFO hv: ready, 1 partition(s) running\n")
    with pytest.raises(tables_bench.BenchError, match="no memory"):
        tables_bench.tables("c0 INFO part: z: table pages: nested 1, second-stage 1, for 0x0 bytes of memory in 0 region(s)\n")


def test_changes_per_map_and_unmap():
    x = tables_bench.changes(CHANGES, "r")
    assert x["moves"] == 2
    assert x["map_batches_per"] == 0.5 and x["map_desc_per"] == 1.0
    assert x["unmap_batches_per"] == 1.0 and x["unmap_desc_per"] == 2.0
    assert x["unmap_wbf"] == 1 and x["map_wbf"] == 0


def test_changes_need_the_counters_and_moves():
    with pytest.raises(tables_bench.BenchError, match="no 'map changes' counters of partition q"):
        tables_bench.changes(CHANGES, "q")
    with pytest.raises(tables_bench.BenchError, match="moved no region"):
        tables_bench.changes(CHANGES.splitlines()[2], "r")


BOOT = [
    (10.0, "c0 INFO hv: ready, 2 partition(s) running"),
    (10.5, "c1 INFO part: a: running on CPU 1 (svm, ASID 1), entry 0x0000000001000200"),
    (10.7, "c2 INFO part: b: running on CPU 2 (svm, ASID 2), entry 0x0000000001000200"),
    (30.0, "c2 INFO b: [    5.317474] sluice-linux: init reached: tag=b kernel 6.1.0-57-amd64, 1 cpu(s), up 4.31 s"),
    (31.5, "c1 INFO a: [    5.337041] sluice-linux: init reached: tag=a kernel 6.1.0-57-amd64, 1 cpu(s), up 4.39 s"),
]


def test_boot_runs_from_the_first_entry_to_the_last_init():
    b = tables_bench.boot(BOOT, ["a", "b"])
    assert b["first_entry"] == 10.5 and b["last_reached"] == 31.5
    assert b["from_entry"] == pytest.approx(21.0)
    assert b["uptime"] == 4.39
    alone = tables_bench.boot(BOOT, ["a"])
    assert alone["from_entry"] == pytest.approx(21.0)
    assert tables_bench.boot(BOOT, ["b"])["from_entry"] == pytest.approx(19.3)
    assert tables_bench.boot(BOOT, ["b"])["uptime"] == 4.31


def test_boot_needs_every_partition_entered_and_reached():
    with pytest.raises(tables_bench.BenchError, match="partition c: no 'running on CPU' line"):
        tables_bench.boot(BOOT, ["a", "c"])
    with pytest.raises(tables_bench.BenchError, match="partition a: its init was not reached"):
        tables_bench.boot(BOOT[:4], ["a", "b"])
