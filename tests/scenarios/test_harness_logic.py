"""The scenario judge on synthetic serial logs: the harness must be able to fail.

Nothing boots here; these check the rules in conftest.py that decide a boot.
"""
import os
import textwrap

import pytest

from conftest import (Case, ScenarioError, collect_cases, failure_message, judge,
                      load_scenario, log_lines, match_in_order, parse_expect, parse_result,
                      pending_wanted, status_problem, TAIL_LINES)

GOOD_LOG = (b"\x1b[H\x1b[J\x1b[1;1H  Booting `sluice'\r\n\r\n"
            b"\rc0 INFO sluice: Sluice starting, cmdline \"exit=qemu\"\r\n"
            b"c0 INFO acpi: MADT: 4 CPUs, 1 IOAPIC\r\n"
            b"c0 INFO vtd0: unit at 0x00000000fed90000 ver 1.0\r\n"
            b"c1 INFO smp: cpu 1 online\r\n"
            b"c0 INFO hv: ready, 2 partitions\r\n"
            b"sluice: result pass=3 fail=0\r\n")

EXPECT = textwrap.dedent(r"""
    # boot order
    ^c0 INFO acpi: MADT: 4 CPUs

    vtd0: unit at 0x[0-9a-f]{16}
    hv: ready, \d+ partitions
""")


def lines(data=GOOD_LOG):
    return log_lines(data)


# ---- the whole rule -------------------------------------------------------

def test_good_log_with_status_33_passes():
    v = judge("bios", 33, lines(), parse_expect(EXPECT))
    assert v.ok, v.problems
    assert v.result == (3, 0)
    assert [e.lineno for e, _ in v.matched] == [3, 5, 6]


@pytest.mark.parametrize("fw", ["bios", "ovmf-grub", "ovmf-efi"])
def test_qemu_status_zero_fails_even_with_a_perfect_log(fw):
    v = judge(fw, 0, lines(), parse_expect(EXPECT))
    assert not v.ok
    assert any("triple fault" in p for p in v.problems)


@pytest.mark.parametrize("status", [1, 3, 124, 134, 137])
def test_qemu_status_other_than_33_fails(status):
    v = judge("ovmf-efi", status, lines(), parse_expect(EXPECT))
    assert not v.ok
    assert len(v.problems) == 1


def test_timeout_says_timed_out():
    assert "timed out after 60 s" in status_problem("bios", 124, 60)


@pytest.mark.parametrize("status", [0, 1, 124])
def test_bochs_status_is_ignored(status):
    assert judge("bochs", status, lines(), parse_expect(EXPECT)).ok


def test_bochs_still_needs_the_result_line():
    log = GOOD_LOG.replace(b"sluice: result pass=3 fail=0\r\n", b"")
    v = judge("bochs", 1, lines(log), parse_expect(EXPECT))
    assert not v.ok
    assert v.problems == ["no 'sluice: result pass=N fail=M' line"]


def test_empty_log_fails_every_way():
    v = judge("bios", 33, lines(b""), parse_expect(EXPECT))
    assert not v.ok
    assert v.unmatched.lineno == 3
    assert len(v.problems) == 2          # unmatched regex, no result line


# ---- in-order matching ----------------------------------------------------

def test_lines_out_of_order_do_not_match():
    exp = parse_expect("hv: ready\nMADT: 4 CPUs\n")
    matched, unmatched = match_in_order(lines(), exp)
    assert [e.text for e, _ in matched] == ["hv: ready"]
    assert unmatched.text == "MADT: 4 CPUs"


def test_group_lines_match_in_any_order_then_order_resumes():
    log = (b"c0 INFO hv: ready\r\nc2 INFO p2: done\r\nc1 INFO p1: done\r\n"
           b"c1 INFO p1: done\r\nc0 INFO hv: all ended\r\n")
    exp = parse_expect("hv: ready\n| p1: done\n| p2: done\n| p1: done\nhv: all ended\n")
    matched, unmatched = match_in_order(lines(log), exp)
    assert unmatched is None
    assert [i for _, i in matched] == [0, 2, 1, 3, 4]
    assert exp[1].group and exp[1].text == "p1: done" and not exp[4].group


def test_group_needs_a_line_for_each_member_after_the_previous_match():
    log = b"c1 INFO p1: done\r\nc0 INFO hv: ready\r\nc2 INFO p2: done\r\n"
    exp = parse_expect("hv: ready\n| p2: done\n| p1: done\n")
    _, unmatched = match_in_order(lines(log), exp)
    assert unmatched is exp[2]
    # An ordered line after a group searches past the group's last match.
    log = b"c0 INFO hv: ready\r\nc1 INFO end\r\nc2 INFO p2: done\r\n"
    exp = parse_expect("hv: ready\n| p2: done\nend\n")
    _, unmatched = match_in_order(lines(log), exp)
    assert unmatched is exp[2]


def test_one_log_line_satisfies_only_one_regex():
    exp = parse_expect("cpu 1 online\ncpu 1 online\n")
    _, unmatched = match_in_order(lines(), exp)
    assert unmatched is exp[1]


def test_repeated_regex_matches_successive_lines():
    log = b"c0 INFO smp: cpu 1 online\r\nc0 INFO smp: cpu 2 online\r\n"
    exp = parse_expect("cpu \\d online\ncpu \\d online\n")
    matched, unmatched = match_in_order(lines(log), exp)
    assert unmatched is None
    assert [i for _, i in matched] == [0, 1]


def test_regex_is_searched_not_anchored():
    _, unmatched = match_in_order(lines(), parse_expect("1 IOAPIC"))
    assert unmatched is None


def test_caret_anchors_at_line_start_after_lone_cr_and_escapes():
    _, unmatched = match_in_order(lines(), parse_expect("^c0 INFO sluice: Sluice starting"))
    assert unmatched is None


def test_first_unmatched_is_reported_not_a_later_one():
    exp = parse_expect("MADT\nnot there\nalso missing\n")
    v = judge("bios", 33, lines(), exp)
    assert v.unmatched.text == "not there"
    msg = failure_message("x[bios]", "bios", 33, v, lines())
    assert "first unmatched expected regex: expect.txt:2: not there" in msg
    assert "also missing" not in msg


def test_parse_expect_skips_comments_and_blanks():
    exp = parse_expect(EXPECT)
    assert [e.text for e in exp] == ["^c0 INFO acpi: MADT: 4 CPUs", "vtd0: unit at 0x[0-9a-f]{16}",
                                     r"hv: ready, \d+ partitions"]


def test_bad_regex_names_its_line():
    with pytest.raises(ScenarioError, match=r"expect.txt:2: bad regex"):
        parse_expect("ok\nunclosed (group\n")


# ---- FATAL ----------------------------------------------------------------

def test_fatal_anywhere_fails():
    log = GOOD_LOG.replace(b"c1 INFO smp", b"c1 FATAL smp: BUG_ON(x) at smp.c:12\r\nc1 INFO smp")
    v = judge("bios", 33, lines(log), parse_expect(EXPECT))
    assert not v.ok
    assert v.unmatched is None
    assert v.problems[0].startswith("serial line 7 contains FATAL: c1 FATAL smp: BUG_ON(x)")


def test_fatal_after_the_result_line_fails():
    v = judge("bochs", 1, lines(GOOD_LOG + b"c0 FATAL late\r\n"), parse_expect(EXPECT))
    assert not v.ok


def test_lowercase_fatal_is_not_fatal():
    log = GOOD_LOG.replace(b"hv: ready", b"hv: non-fatal warning seen; hv: ready")
    assert judge("bios", 33, lines(log), parse_expect(EXPECT)).ok


# ---- the result line ------------------------------------------------------

def test_result_fail_nonzero_fails():
    log = GOOD_LOG.replace(b"pass=3 fail=0", b"pass=2 fail=1")
    v = judge("bios", 33, lines(log), parse_expect(EXPECT))
    assert not v.ok
    assert v.problems == ["result line reports fail=1 (pass=2)"]


def test_last_result_line_wins():
    assert parse_result(lines(b"sluice: result pass=1 fail=0\nsluice: result pass=1 fail=2\n")) == (1, 2)
    assert parse_result(lines(b"sluice: result pass=1 fail=2\nsluice: result pass=3 fail=0\n")) == (3, 0)


def test_result_line_with_log_prefix_counts():
    assert parse_result(lines(b"c0 INFO sluice: result pass=7 fail=0\r\n")) == (7, 0)


def test_malformed_result_line_is_no_result():
    assert parse_result(lines(b"sluice: result pass=3 fail=\r\nsluice: result\r\n")) is None


def test_no_result_line_fails_qemu_too():
    log = GOOD_LOG.replace(b"sluice: result pass=3 fail=0\r\n", b"")
    assert not judge("bios", 33, lines(log), parse_expect(EXPECT)).ok


# ---- log decoding and the failure text ------------------------------------

def test_log_lines_handles_crlf_nul_and_bad_utf8():
    assert log_lines(b"a\r\nb\x00c\rd\n\xff") == ["a", "bc", "d", "\ufffd"]


def test_failure_message_has_status_regex_and_last_40_lines():
    log = "".join(f"c0 INFO t: line {i}\r\n" for i in range(100)).encode()
    v = judge("ovmf-grub", 124, lines(log), parse_expect("line 5\nnever\n"), 60)
    msg = failure_message("s[ovmf-grub]", "ovmf-grub", 124, v, lines(log), "serial.txt")
    assert "exit status: 124" in msg
    assert "first unmatched expected regex: expect.txt:2: never" in msg
    shown = [l for l in msg.splitlines() if l.startswith("  | ")]
    assert len(shown) == TAIL_LINES
    assert shown[0].endswith("line 60") and shown[-1].endswith("line 99")


def test_failure_message_escapes_control_characters():
    v = judge("bios", 33, ["\x07bell"], [])
    assert "\\x07bell" in failure_message("s[bios]", "bios", 33, v, ["\x07bell"])


# ---- scenario directories -------------------------------------------------

def _scenario(tmp_path, name, files=None):
    d = tmp_path / name
    d.mkdir()
    files = {"sluice.conf": "[sluice]\n", "expect.txt": "hv: ready\n", **(files or {})}
    for fname, text in files.items():
        (d / fname).write_text(text)
    return d


def test_scenario_defaults(tmp_path):
    s = load_scenario(str(_scenario(tmp_path, "plain")))
    assert s.firmwares == ["bios", "ovmf-grub", "ovmf-efi"]
    assert s.cmdline == [] and s.modules == [] and s.timeout == 60


def test_scenario_options(tmp_path):
    d = _scenario(tmp_path, "smp4-iommu-4g", {
        "firmware": "bochs bios\n", "cmdline": "log=debug\n  a=1\n", "timeout": "90\n",
        "modules": "# guests\nedu-dma=build/guests/edu-dma.elf\n"})
    s = load_scenario(str(d))
    assert s.firmwares == ["bios", "bochs"]
    assert s.cmdline == ["log=debug", "a=1"]
    assert s.modules[0][0] == "edu-dma" and s.modules[0][1].endswith("/build/guests/edu-dma.elf")
    assert os.path.isabs(s.modules[0][1])
    assert s.timeout == 90


def test_case_ids_and_firmware_filter(tmp_path):
    _scenario(tmp_path, "smp4-iommu-4g")
    _scenario(tmp_path, "vmx", {"firmware": "bochs"})
    ids = [c.id for c in collect_cases(str(tmp_path))]
    assert ids == ["smp4-iommu-4g[bios]", "smp4-iommu-4g[ovmf-grub]", "smp4-iommu-4g[ovmf-efi]",
                   "vmx[bochs]"]
    assert [c.id for c in collect_cases(str(tmp_path), only={"bios"})] == ["smp4-iommu-4g[bios]"]


@pytest.mark.parametrize("files, why", [
    ({"firmware": "bios kvm\n"}, "unknown firmware kvm"),
    ({"timeout": "soon\n"}, "not a number"),
    ({"modules": "edu-dma\n"}, "expected NAME=PATH"),
    ({"expect.txt": "(\n"}, "bad regex"),
])
def test_malformed_scenario_becomes_a_failing_case(tmp_path, files, why):
    _scenario(tmp_path, "broken", files)
    [case] = collect_cases(str(tmp_path))
    assert isinstance(case, Case) and case.id == "broken[invalid]"
    assert why in case.error


def test_pending_file_names_what_the_scenario_waits_for(tmp_path):
    d = _scenario(tmp_path, "vmx", {"firmware": "bochs\n",
                                    "pending": "# not yet\nvmx back end\n(issue 15)\n"})
    assert load_scenario(str(d)).pending == "vmx back end (issue 15)"
    assert load_scenario(str(_scenario(tmp_path, "now"))).pending is None


def test_empty_pending_file_is_invalid(tmp_path):
    _scenario(tmp_path, "vmx", {"pending": "# only a comment\n"})
    [case] = collect_cases(str(tmp_path))
    assert case.id == "vmx[invalid]" and "vmx/pending: empty" in case.error


def test_bochs_args_need_bochs_in_the_firmware_list(tmp_path):
    _scenario(tmp_path, "q", {"bochs.args": "--cpus 3\n"})
    [case] = collect_cases(str(tmp_path))
    assert case.id == "q[invalid]" and "firmware does not list bochs" in case.error
    d = _scenario(tmp_path, "b", {"firmware": "bochs\n", "bochs.args": "--cpus 3\n"})
    assert load_scenario(str(d)).firmwares == ["bochs"]


@pytest.mark.parametrize("value, wanted", [("", False), ("0", False), ("1", True)])
def test_sluice_pending_selects_pending_boots(monkeypatch, value, wanted):
    monkeypatch.setenv("SLUICE_PENDING", value)
    assert pending_wanted() is wanted


def test_sluice_pending_refuses_other_values(monkeypatch):
    monkeypatch.setenv("SLUICE_PENDING", "yes")
    with pytest.raises(ScenarioError, match="SLUICE_PENDING=yes: expected 1"):
        pending_wanted()


def test_scenario_without_expect_is_invalid(tmp_path):
    d = tmp_path / "half"
    d.mkdir()
    (d / "sluice.conf").write_text("[sluice]\n")
    [case] = collect_cases(str(tmp_path))
    assert case.error == "half: missing expect.txt"


# ---- scenarios that provoke a fatal error on purpose ----------------------

FATAL_LOG = (b"c0 WARN hv: selftest: executing ud2\r\n"
             b"c0 FATAL fatal: exception #UD (invalid opcode) vector 6 error 0x0000000000000000\r\n"
             b"c0 FATAL fatal: stopping all CPUs\r\n"
             b"sluice: result pass=7 fail=1\r\n")
FATAL_EXPECT = parse_expect("FATAL fatal: exception #UD\nsluice: result pass=\\d+ fail=1\n")


def test_fatal_outcome_passes_on_status_35_with_fatal_block():
    v = judge("bios", 35, lines(FATAL_LOG), FATAL_EXPECT, outcome="fatal")
    assert v.ok, v.problems


@pytest.mark.parametrize("status", [0, 33, 124])
def test_fatal_outcome_needs_status_35(status):
    v = judge("ovmf-efi", status, lines(FATAL_LOG), FATAL_EXPECT, outcome="fatal")
    assert not v.ok


def test_fatal_outcome_needs_a_fatal_line_and_a_failure_count():
    log = FATAL_LOG.replace(b"FATAL", b"INFO").replace(b"fail=1", b"fail=0")
    v = judge("bios", 35, lines(log), parse_expect("selftest"), outcome="fatal")
    assert not v.ok
    assert any("no FATAL line" in p for p in v.problems)
    assert any("fail=0 after a fatal error" in p for p in v.problems)


# ---- scenarios meant to end with failed checks (no fatal error) -----------

FAILED_LOG = (b"c0 INFO hv: ready, 1 partition(s) running\r\n"
              b"c1 ERR  check: FAIL p1: stopped: the run's time limit reached\r\n"
              b"c0 INFO hv: all partitions ended\r\n"
              b"sluice: result pass=40 fail=1\r\n")
FAILED_EXPECT = parse_expect("check: FAIL p1: stopped\nsluice: result pass=\\d+ fail=1\n")


def test_failed_outcome_passes_on_status_35_with_failures_and_no_fatal():
    v = judge("bios", 35, lines(FAILED_LOG), FAILED_EXPECT, outcome="failed")
    assert v.ok, v.problems


@pytest.mark.parametrize("status", [0, 33, 124])
def test_failed_outcome_needs_status_35(status):
    v = judge("bios", status, lines(FAILED_LOG), FAILED_EXPECT, outcome="failed")
    assert not v.ok
    assert any("expected 35" in p or "status 124" in p for p in v.problems), v.problems


def test_failed_outcome_needs_a_failure_count_and_no_fatal():
    log = FAILED_LOG.replace(b"fail=1", b"fail=0")
    v = judge("bios", 35, lines(log), parse_expect("check: FAIL"), outcome="failed")
    assert not v.ok
    assert any("fail=0" in p for p in v.problems)
    log = FAILED_LOG.replace(b"c0 INFO hv: all", b"c0 FATAL fatal: stopping all CPUs\r\nc0 INFO hv: all")
    v = judge("bios", 35, lines(log), FAILED_EXPECT, outcome="failed")
    assert not v.ok
    assert any("contains FATAL" in p for p in v.problems)
    v = judge("bios", 35, lines(FAILED_LOG.replace(b"sluice: result pass=40 fail=1\r\n", b"")),
              parse_expect("check: FAIL"), outcome="failed")
    assert any("no 'sluice: result" in p for p in v.problems)


def test_failed_outcome_needs_the_expected_lines():
    v = judge("bios", 35, lines(FAILED_LOG), parse_expect("check: FAIL p2"), outcome="failed")
    assert not v.ok
    assert v.unmatched is not None


# ---- a scenario whose CPU 0 is reset under Sluice (QEMU passes device INIT) ----

RESET_LOG = (b"c0 INFO hv: ready, 1 partition(s) running\r\n"
             b"c1 INFO hostile: hostile: partition hostile on CPU 1, mode msi-init-sluice\r\n")
RESET_EXPECT = parse_expect("hv: ready\nmode msi-init-sluice\n")


def test_reset_outcome_passes_on_status_0_without_a_result_line():
    v = judge("bios", 0, lines(RESET_LOG), RESET_EXPECT, outcome="reset")
    assert v.ok, v.problems


@pytest.mark.parametrize("status", [33, 35, 124])
def test_reset_outcome_needs_status_0(status):
    v = judge("bios", status, lines(RESET_LOG), RESET_EXPECT, outcome="reset")
    assert not v.ok
    assert any("expected 0" in p for p in v.problems)


def test_reset_outcome_fails_with_a_result_line_fatal_or_missing_lines():
    v = judge("bios", 0, lines(RESET_LOG + b"sluice: result pass=3 fail=0\r\n"), RESET_EXPECT, outcome="reset")
    assert not v.ok and any("outcome is reset" in p for p in v.problems)
    v = judge("bios", 0, lines(RESET_LOG + b"c0 FATAL fatal: stopping all CPUs\r\n"), RESET_EXPECT, outcome="reset")
    assert not v.ok and any("FATAL" in p for p in v.problems)
    v = judge("bios", 0, lines(RESET_LOG), parse_expect("hv: ready\nnever printed\n"), outcome="reset")
    assert not v.ok


def test_outcome_file_accepts_only_pass_fatal_failed_or_reset(tmp_path):
    (tmp_path / "sluice.conf").write_text("[sluice]\n")
    (tmp_path / "expect.txt").write_text("x\n")
    (tmp_path / "outcome").write_text("fatal\n")
    assert load_scenario(str(tmp_path)).outcome == "fatal"
    (tmp_path / "outcome").write_text("# a run that ends with failed checks\nfailed\n")
    assert load_scenario(str(tmp_path)).outcome == "failed"
    (tmp_path / "oracle").write_text("qmp-pci\n")
    with pytest.raises(ScenarioError):
        load_scenario(str(tmp_path))
    (tmp_path / "oracle").unlink()
    (tmp_path / "outcome").write_text("reset\n")
    assert load_scenario(str(tmp_path)).outcome == "reset"
    (tmp_path / "outcome").write_text("maybe\n")
    with pytest.raises(ScenarioError):
        load_scenario(str(tmp_path))
