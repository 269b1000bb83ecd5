"""The kvm-unit-tests judge (kut.py) on synthetic logs: nothing boots here.

The logs are shaped like real ones: a bare QEMU serial log, a bare Bochs
serial log and Bochs' own log, and a Sluice serial log holding three
partitions at once.
"""
import os

import pytest

import kut
from conftest import log_lines

TSC_BARE = b"""enabling apic\r
smp: waiting for 0 APs\r
PASS: Test RDTSCP 0\r
PASS: Test rdpid %eax 256\r
SUMMARY: 6 tests\r
"""

# Three partitions of one Sluice boot, their lines interleaved: tsc exits
# through port 0xf4 with code 0, eventinj is parked, smptest is stopped by
# its time limit while it waits for APs.
SLUICE_LOG = b"""c0 INFO hv: ready, 3 partition(s) running\r
c1 INFO part: tsc: running on CPU 1 (svm, ASID 1), entry 0x00000000004000bc\r
c2 INFO part: eventinj: running on CPU 2 (svm, ASID 2), entry 0x00000000004000bc\r
c3 INFO part: smptest: running on CPU 3 (svm, ASID 3), entry 0x00000000004000bc\r
c1 INFO tsc: enabling apic\r
c2 INFO eventinj: enabling apic\r
c3 INFO smptest: enabling apic\r
c3 WARN smptest: read port 0x0511 (1 bytes): no such device, reads all-ones\r
c3 INFO smptest: smp: waiting for 65534 APs\r
c1 INFO tsc: PASS: Test RDTSCP 0\r
c2 INFO eventinj: PASS: NMI isr running stack 0x0\r
c2 WARN eventinj: parked: wrmsr 0x00000000c0010204 (value 0x0000000000000000): not allowed\r
c2 WARN eventinj: rip 0x0000000000402ce6 rsp 0x0000000001015fd0 rflags 0x00000002 cpl 0\r
c2 INFO eventinj: counters: 140 exits (rdmsr 4, wrmsr 9, io 117, npf 10)\r
c1 INFO tsc: SUMMARY: 6 tests\r
c1 INFO tsc: debug-exit port: partition exited (code 0)\r
c1 INFO check: pass tsc: exited with code 0\r
c1 INFO tsc: counters: 210 exits (cpuid 12, rdmsr 30, wrmsr 20, io 140, npf 8)\r
c0 INFO part: smptest: time limit 20s reached after 20000 ms: asking CPU 3 to stop it\r
c3 ERR  check: FAIL smptest: stopped: time limit 20s reached\r
c3 INFO smptest: time limit 20s reached: partition stopped (code 0)\r
c3 INFO smptest: counters: 128 exits (rdmsr 4, wrmsr 3, io 101, npf 10, intr 10)\r
c0 INFO hv: all partitions ended\r
sluice: result pass=5 fail=1\r
"""

BOCHS_LOG = [
    "00420780506i[CPU0  ] WRMSR: wrote 00000000:fee00100 to MSR_APICBASE",
    "00420780518i[CPU0  ] WRMSR: MSR_APICBASE APIC global enable bit cleared !",
]


def lines(data):
    return log_lines(data)


def bare_pass(summary="SUMMARY: 6 tests"):
    return kut.parse_bare_qemu(1, lines(TSC_BARE.replace(b"SUMMARY: 6 tests", summary.encode())))


def partition(name="tsc"):
    return kut.parse_partition(lines(SLUICE_LOG), name, 33)


# ---- where the suite is ---------------------------------------------------------

def test_suite_is_looked_for_beside_the_repository_by_default():
    folder, how = kut.suite_dir({})
    assert folder == os.path.normpath(os.path.join(kut.ROOT, "..", "shared", "kvm-unit-tests"))
    assert "default" in how


def test_suite_folder_can_be_overridden(tmp_path):
    folder, how = kut.suite_dir({kut.SUITE_ENV: str(tmp_path)})
    assert folder == str(tmp_path) and kut.SUITE_ENV in how
    assert kut.missing_reason(folder, how) is None


def test_absent_suite_says_where_it_looked(tmp_path):
    gone = str(tmp_path / "nothing-here")
    why = kut.missing_reason(gone, f"{kut.SUITE_ENV}={gone}")
    assert gone in why and kut.SUITE_ENV in why


def test_absent_kernel_is_named(tmp_path):
    why = kut.missing_reason(str(tmp_path), "test", "sieve")
    assert why.endswith("sieve.flat is missing (test)")


# ---- boots and configs ----------------------------------------------------------

def test_every_test_is_in_exactly_one_boot_of_at_most_three():
    groups = kut.boot_groups()
    flat = [n for g in groups for n in g]
    assert sorted(flat) == sorted(t.name for t in kut.TESTS)
    assert len(flat) == len(set(flat)) == 11
    assert all(1 <= len(g) <= 3 for g in groups) and len(groups) == 4


def test_config_gives_each_kernel_its_own_cpu_and_time_limit():
    conf = kut.sluice_conf(["setjmp", "sieve"])
    assert ('cpus = 1\nmemory = gpa=0x0 size=32M\nimage = setjmp\nentry = multiboot\nmodule = kut-env\n'
            'time-limit = 10s') in conf
    assert ('cpus = 2\nmemory = gpa=0x0 size=256M\nimage = sieve\nentry = multiboot\nmodule = kut-env\n'
            'time-limit = 150s') in conf
    assert kut.ENV_TEXT == "TEST_DEVICE=0\n"          # partitions, like the bare runs, have no test device
    assert "iommu = off" in conf
    assert "time-limit = 240s" in kut.sluice_conf(["sieve"], bochs=True)
    assert kut.machine_mb(["setjmp", "sieve"]) == 32 + 256 + kut.SLUICE_MB


def test_boot_timeout_outlasts_the_longest_time_limit():
    assert kut.boot_timeout(["tsc", "sieve"]) > 150
    assert kut.boot_timeout(["tsc"]) > 10
    assert kut.boot_timeout(["tsc", "umip", "xsave"], bochs=True) > 10 * 4


# ---- bare QEMU --------------------------------------------------------------------

def test_bare_qemu_status_one_is_code_zero():
    leg = bare_pass()
    assert leg.passed and leg.code == 0 and leg.summary == "SUMMARY: 6 tests" and leg.passes == 2


@pytest.mark.parametrize("status, end", [
    (3, "exited (code 1)"),
    (124, "timed out"),
    (0, "QEMU exited with 0, no verdict written to port 0xf4"),
])
def test_bare_qemu_other_statuses_do_not_pass(status, end):
    leg = kut.parse_bare_qemu(status, lines(TSC_BARE))
    assert not leg.passed and leg.end == end


# ---- bare Bochs -------------------------------------------------------------------

def test_bare_bochs_done_line_is_the_verdict():
    leg = kut.parse_bare_bochs(0, lines(b"PASS: xadd\r\n--- DONE: 0 ---\r\n"), [])
    assert leg.passed and leg.end == "ended: --- DONE: 0 ---"
    assert not kut.parse_bare_bochs(0, lines(b"FAIL: xadd\r\n--- DONE: 1 ---\r\n"), []).passed


def test_bare_bochs_summary_with_failures_fails():
    leg = kut.parse_bare_bochs(1, lines(b"FAIL: x\r\nSUMMARY: 6 tests, 1 unexpected failures\r\n"), [])
    assert leg.code == 1 and not leg.passed
    assert kut.parse_bare_bochs(1, lines(TSC_BARE), []).passed


def test_bare_bochs_apic_block_is_read_from_bochs_log():
    leg = kut.parse_bare_bochs(124, lines(b"enabling apic\r\n"), BOCHS_LOG)
    assert leg.blocked and not leg.passed
    j = kut.judge("tsc", "bare-bochs", {"bare-bochs": leg})
    assert j.outcome == "skip" and "IA32_APIC_BASE" in j.why


def test_bare_bochs_silent_stop_without_the_block_fails():
    leg = kut.parse_bare_bochs(124, lines(b"enabling apic\r\n"), BOCHS_LOG[:1])
    assert not leg.blocked and leg.end == "timed out before the test's end line"
    assert kut.judge("tsc", "bare-bochs", {"bare-bochs": leg}).outcome == "FAIL"


# ---- a Sluice boot of three partitions ----------------------------------------------

def test_partition_exit_code_and_summary_are_its_own():
    leg = partition("tsc")
    assert leg.passed and leg.code == 0 and leg.summary == "SUMMARY: 6 tests"
    assert leg.exits == "210 exits (cpuid 12, rdmsr 30, wrmsr 20, io 140, npf 8)"
    assert leg.end == "exited (code 0)"
    assert not any("eventinj" in t or "65534" in t for t in leg.tail)


def test_parked_partition_has_no_verdict():
    leg = partition("eventinj")
    assert not leg.passed and leg.code is None
    assert leg.end == "parked: wrmsr 0x00000000c0010204 (value 0x0000000000000000): not allowed"
    assert leg.exits.startswith("140 exits")


def test_time_limit_stop_is_not_a_verdict_and_shows_the_last_output():
    leg = partition("smptest")
    assert not leg.passed and leg.code is None
    assert leg.end == "stopped: time limit 20s reached"
    assert kut.last_output(leg) == "smp: waiting for 65534 APs"


def test_partition_without_lines_says_so():
    leg = kut.parse_partition(lines(SLUICE_LOG), "xsave", 124)
    assert not leg.passed and leg.end == "no line from the partition (boot status 124)"


def test_nonzero_exit_code_fails():
    log = SLUICE_LOG.replace(b"tsc: debug-exit port: partition exited (code 0)",
                             b"tsc: debug-exit port: partition exited (code 1)")
    leg = kut.parse_partition(lines(log), "tsc")
    assert leg.code == 1 and not leg.passed


# ---- the comparison rule --------------------------------------------------------------

def test_partition_failing_where_bare_passes_is_a_failure():
    legs = {"bare-qemu": bare_pass(), "svm": partition("smptest")}
    j = kut.judge("smptest", "svm", legs)
    assert j.outcome == "FAIL"
    assert "passed bare QEMU but in the SVM partition: stopped: time limit 20s reached" in j.why


def test_partition_passing_like_bare_passes():
    assert kut.judge("tsc", "svm", {"bare-qemu": bare_pass(), "svm": partition("tsc")}).outcome == "pass"


@pytest.mark.parametrize("bare_summary", ["SUMMARY: 7 tests", "SUMMARY: 5 tests"])
def test_partition_running_a_different_number_of_tests_fails(bare_summary):
    j = kut.judge("tsc", "svm", {"bare-qemu": bare_pass(bare_summary), "svm": partition("tsc")})
    assert j.outcome == "FAIL" and bare_summary in j.why


def test_partition_skipping_more_than_bare_fails():
    log = SLUICE_LOG.replace(b"tsc: SUMMARY: 6 tests", b"tsc: SUMMARY: 6 tests, 2 skipped")
    legs = {"bare-qemu": bare_pass(), "svm": kut.parse_partition(lines(log), "tsc")}
    assert kut.judge("tsc", "svm", legs).outcome == "FAIL"


def test_bare_failure_fails_the_bare_leg_and_leaves_nothing_to_compare():
    legs = {"bare-qemu": kut.parse_bare_qemu(3, lines(TSC_BARE)), "svm": partition("tsc")}
    assert kut.judge("tsc", "bare-qemu", legs).outcome == "FAIL"
    j = kut.judge("tsc", "svm", legs)
    assert j.outcome == "skip" and "nothing to be compared" in j.why


def test_vmx_is_held_to_bare_qemu_when_bochs_cannot_run_the_kernel():
    blocked = kut.parse_bare_bochs(124, lines(b"enabling apic\r\n"), BOCHS_LOG)
    # A different CPU: another test count is no failure, a missing verdict is.
    log = SLUICE_LOG.replace(b"tsc: SUMMARY: 6 tests", b"tsc: SUMMARY: 4 tests")
    legs = {"bare-qemu": bare_pass(), "bare-bochs": blocked,
            "vmx": kut.parse_partition(lines(log), "tsc")}
    j = kut.judge("tsc", "vmx", legs)
    assert j.outcome == "pass" and "compared with bare QEMU" in j.why
    legs["vmx"] = partition("eventinj")
    assert kut.judge("tsc", "vmx", legs).outcome == "FAIL"


def test_vmx_is_held_to_bare_bochs_summary_when_bochs_runs_it():
    legs = {"bare-qemu": bare_pass(), "bare-bochs": kut.parse_bare_bochs(1, lines(TSC_BARE), []),
            "vmx": kut.parse_partition(lines(SLUICE_LOG.replace(b"tsc: SUMMARY: 6 tests",
                                                                b"tsc: SUMMARY: 4 tests")), "tsc")}
    assert kut.judge("tsc", "vmx", legs).outcome == "FAIL"


def test_leg_not_run_is_a_skip_with_its_reason():
    legs = {"vmx": kut.Leg(ran=False, note="SLUICE_FIRMWARE leaves Bochs out")}
    assert kut.judge("tsc", "vmx", legs) == kut.Judgement("skip", "SLUICE_FIRMWARE leaves Bochs out")


# ---- the table ------------------------------------------------------------------------

def test_table_has_a_row_per_test_and_the_exits_by_reason():
    results = {
        "tsc": {"bare-qemu": bare_pass(), "svm": partition("tsc"),
                "bare-bochs": kut.parse_bare_bochs(124, lines(b"enabling apic\r\n"), BOCHS_LOG),
                "vmx": partition("eventinj")},
        "smptest": {"bare-qemu": bare_pass("SUMMARY: 1 tests"), "svm": partition("smptest")},
    }
    t = kut.table(results).splitlines()
    assert t[0] == "| test | bare QEMU | SVM partition | bare Bochs | VMX partition |"
    assert t[2].startswith("| tsc | pass (6 tests) | pass (6 tests) | blocked")
    assert "FAIL: parked: wrmsr 0x00000000c0010204" in t[2]
    assert t[3].startswith("| smptest | pass (1 tests) | FAIL: stopped: time limit 20s reached; "
                           "last output `smp: waiting for 65534 APs` | skipped: not run")
    assert "| tsc | 210 exits (cpuid 12, rdmsr 30, wrmsr 20, io 140, npf 8) | 140 exits" in "\n".join(t)
    assert kut.count_outcomes(results) == {"pass": 3, "FAIL": 2, "skip": 3}


def test_table_file_is_written(tmp_path):
    path = kut.write_table(str(tmp_path), {"tsc": {"bare-qemu": bare_pass()}})
    assert path == os.path.join(str(tmp_path), *kut.TABLE.split("/"))
    with open(path) as f:
        assert "| tsc | pass (6 tests) |" in f.read()


def test_vmx_failing_like_bare_on_an_intel_cpu_is_not_sluices_failure():
    blocked = kut.parse_bare_bochs(124, lines(b"enabling apic\r\n"), BOCHS_LOG)
    ud = b"Unhandled exception 6 #UD(0) at ip 00000000004001e3\r\n"
    legs = {"bare-qemu": bare_pass(), "bare-bochs": blocked,
            "vmx": kut.parse_partition(lines(SLUICE_LOG.replace(
                b"tsc: debug-exit port: partition exited (code 0)",
                b"tsc: debug-exit port: partition exited (code 63)")), "tsc")}
    assert kut.needs_intel_reference(legs)
    assert kut.judge("tsc", "vmx", legs).outcome == "FAIL"      # held to bare QEMU until then
    legs[kut.INTEL_REF] = kut.parse_bare_qemu(127, lines(ud))
    assert not kut.needs_intel_reference(legs)
    j = kut.judge("tsc", "vmx", legs)
    assert j.outcome == "skip" and "does not pass bare on an Intel CPU either" in j.why
    assert "exited (code 63)" in j.why
    # An Intel run that passes makes the same VMX result a failure again.
    legs[kut.INTEL_REF] = bare_pass()
    j = kut.judge("tsc", "vmx", legs)
    assert j.outcome == "FAIL" and "bare QEMU with an Intel CPU" in j.why


def test_intel_reference_is_not_needed_when_vmx_passes_or_bochs_ran():
    blocked = kut.parse_bare_bochs(124, lines(b"enabling apic\r\n"), BOCHS_LOG)
    assert not kut.needs_intel_reference({"bare-bochs": blocked, "vmx": partition("tsc")})
    ran = kut.parse_bare_bochs(0, lines(b"--- DONE: 0 ---\r\n"), [])
    assert not kut.needs_intel_reference({"bare-bochs": ran, "vmx": partition("eventinj")})
    assert kut.needs_intel_reference({"bare-bochs": blocked, "vmx": partition("eventinj")})


def test_intel_reference_differs_from_the_bare_command_line_only_in_the_vendor():
    diff = [(a, b) for a, b in zip(kut.QEMU_BARE_ARGS, kut.QEMU_BARE_INTEL_ARGS) if a != b]
    assert diff == [("max", "max,vendor=GenuineIntel")]


def test_partition_leg_without_its_bare_runs_in_the_session_is_not_judged():
    j = kut.judge("smptest", "svm", {"svm": partition("smptest")})
    assert j.outcome == "skip" and j.why.startswith("not judged")
    assert kut.judge("smptest", "vmx", {"vmx": partition("smptest")}).outcome == "skip"
