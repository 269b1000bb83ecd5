"""make bench's pv-eoi comparison (tools/pv_eoi_bench.py) on made-up parse
results: nothing boots here."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools"))
import linux_bench  # noqa: E402
import pv_eoi_bench  # noqa: E402


def boot(*runs):
    """runs: (op, bs, count, seconds, {reason: exits}) -> a marked parse result."""
    return {"runs": [{"op": op, "bs": bs, "count": n, "s": s, "exits": sum(r.values()), "reasons": r}
                     for op, bs, n, s, r in runs]}


OFF = boot(("write", 4096, 100, 1.0, {"npf": 110, "hlt": 100, "intr": 50}),
           ("read", 4096, 200, 2.0, {"npf": 220, "hlt": 200}))
ON = boot(("write", 4096, 100, 0.5, {"npf": 10, "hlt": 100, "intr": 50, "wrmsr": 5}),
          ("read", 4096, 200, 1.0, {"hlt": 200, "intr": 20}))


def test_each_run_is_compared_by_exits_per_io_and_reason():
    rows = pv_eoi_bench.compare(OFF, ON)
    assert [(r["op"], r["bs"], r["count"]) for r in rows] == [("write", 4096, 100), ("read", 4096, 200)]
    assert rows[0]["off_epi"] == 2.6 and rows[0]["on_epi"] == 1.65
    assert rows[0]["off_reasons"] == {"npf": 1.1, "hlt": 1.0, "intr": 0.5}
    assert rows[0]["on_reasons"]["wrmsr"] == 0.05
    assert rows[1]["off_iops"] == 100 and rows[1]["on_iops"] == 200
    assert rows[1]["on_epi"] == 1.1


def test_medians_count_a_missing_reason_as_zero():
    a = pv_eoi_bench.compare(OFF, ON)
    b = pv_eoi_bench.compare(OFF, boot(("write", 4096, 100, 0.5, {"hlt": 100}), ("read", 4096, 200, 1.0, {"hlt": 200})))
    c = pv_eoi_bench.compare(OFF, boot(("write", 4096, 100, 0.5, {"hlt": 100, "wrmsr": 1}),
                                       ("read", 4096, 200, 1.0, {"hlt": 400})))
    m = pv_eoi_bench.medians([a, b, c])
    assert m[0]["on_reasons"]["wrmsr"] == 0.01         # 0.05, 0 (absent), 0.01
    assert m[0]["on_epi"] == 1.01
    assert m[1]["on_epi"] == 1.1
    assert m[0]["off_epi"] == 2.6


def test_different_runs_are_refused():
    with pytest.raises(linux_bench.BenchError, match="different dd runs"):
        pv_eoi_bench.compare(OFF, boot(("write", 4096, 100, 0.5, {"hlt": 100})))
