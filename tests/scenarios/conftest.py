"""Scenario harness: boots Sluice images in QEMU (and Bochs) and judges the serial log.

A scenario is a directory tests/scenarios/NAME/ holding:

  sluice.conf  the partition config (boot module "sluice.conf")
  qemu.args    extra QEMU arguments, shell words, # comments (e.g. -smp 4 -m 4G)
  bochs.args   the Bochs machine (scenarios whose firmware lists bochs): the
               machine options of tools/run-bochs, shell words, # comments:
               --cpus N (1-15, default 1), --megs N (default 256), --e1000
               (Intel 82540EM at 00:02.0). The Bochs image gets the same
               sluice.conf, cmdline and modules as the QEMU one
  expect.txt   one Python regex per line, searched in the serial log in order:
               each one in the lines after the previous match (blank lines and
               lines starting with # are skipped; surrounding blanks are dropped).
               Consecutive lines starting with "| " form a group for things
               that happen concurrently (e.g. on different CPUs): each must
               match after the previous match, in any order among the group,
               each on a line of its own; the next line searches after the
               group's last match
  cmdline      optional kernel command line; the harness appends exit=qemu, or
               exit=bochs for Bochs
  firmware     optional subset of: bios ovmf-grub ovmf-efi bochs
               (default: bios ovmf-grub ovmf-efi)
  modules      optional boot modules, lines NAME=PATH (PATH from the repo root)
  disks        optional scratch disks, lines "NAME SIZE", new and zero-filled for
               every boot; qemu.args refers to their directory as @TMP@
               (tools/run-qemu)
  timeout      optional seconds per boot (default 60)
  console      optional bytes typed on COM1 during the boot (QEMU boots only;
               the kernel reads them with console=on in `cmdline`)
  serial       optional "com1" (the default) or "com2": the port QEMU's serial
               log (and `console`) is on; with com2 nothing is behind COM1
               (tools/run-qemu --serial-port; QEMU boots only)
  outcome      optional "fatal": the boot provokes a fatal error on purpose
               (selftest=...); then QEMU must exit 35, a FATAL line must
               appear and the result line must count a failure; or "failed":
               the run is meant to end with failed checks and no fatal
               error (e.g. the command line's time-limit stopped a
               partition, a partition ended otherwise than its config's
               `expect =` says, or the config is refused on purpose: each
               is a failed check, docs/config.md "How a run ends"); then
               QEMU must exit 35, no line may contain
               FATAL and the result line must count at least one failure.
               Or "reset": the boot ends with Sluice's own CPU reset under
               it (a device-sent INIT to CPU 0, which QEMU's emulation does
               not block; docs/config.md, attack tests): QEMU must exit 0,
               the expected lines appear in order, no line may contain
               FATAL, and there is no result line (nothing of Sluice runs
               after the reset to print one)
  pending      optional: the scenario is written ahead of the code it tests;
               the file says what it waits for (e.g. "vmx back end"). Its
               boots are skipped ("pending: ..."), unless SLUICE_PENDING=1
               asks for them; delete the file once the code has landed
  capture      optional: the name of a capture of this QEMU machine in
               tests/fixtures/captures/ (tools/capture-qemu), then options for
               tools/sluice-check. After a bios boot that passed, sluice-check
               runs on that capture with the scenario's sluice.conf and
               command line, and its lines must be the boot's, in order
               (sluice_check_agree.py has the rule); bios only, since the
               captures are taken under SeaBIOS
  oracle       optional "qmp-pci": QEMU is asked, over QMP, what PCI functions
               it has, and the kernel's pci: lines must agree (pci_oracle.py
               has the comparison rule). The image gets exit=halt instead of
               exit=qemu; the harness boots it with a QMP socket, waits (up to
               the timeout) for the result line, sends qmp_capabilities,
               query-pci (and reads the PFs' SR-IOV capabilities), then quit.
               QEMU firmware paths only; not with outcome fatal.

Each (scenario, firmware) pair is one test, named NAME[FIRMWARE]. The image is
built once per scenario with tools/mkimage into build/scenarios/NAME/ (the Bochs
image, whose command line differs, into build/scenarios/NAME/bochs/), and each
boot's serial log stays at build/scenarios/NAME/serial-FIRMWARE.txt.

A QEMU boot passes when QEMU exits with 33 (the kernel's isa-debug-exit 0x10;
never 0, which is also what a triple fault gives with -no-reboot), the expected
lines appear in order, no line contains FATAL, and the last
"sluice: result pass=N fail=M" line has M == 0. Bochs always exits 1, so its
status is ignored and the serial log alone decides.

An oracle boot passes on the same log rules, plus: QEMU exits with 0 and the
harness itself sent quit after it saw the result line (any other status,
33 included, fails), and the oracle finds no difference between QEMU's
functions and the kernel's pci: lines. Each difference is one line of the
failure message.

Environment:
  SLUICE_FIRMWARE=bios[,ovmf-efi...]  only these firmware paths
  SLUICE_SCENARIO_DIR=DIR             scenarios from DIR instead of tests/scenarios
  SLUICE_PENDING=1                    boot pending scenarios too (file `pending`)
  SLUICE_KERNEL=ELF, SLUICE_EFI=APP   image inputs instead of build/sluice.elf and
                                      build/BOOTX64.EFI (e.g. a stub kernel)
  SLUICE_KUT_DIR=DIR                  the kvm-unit-tests kernels test_kut.py runs
                                      (default ../shared/kvm-unit-tests; kut.py)

The judging functions below are pure (tested in test_harness_logic.py); the
boot procedure itself is in test_scenarios.py.
"""
import os
import re
import time
from dataclasses import dataclass, field

import pytest

import kut
from pci_oracle import oracle_differences
from sluice_check_agree import parse_capture_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "build")
OUT_ROOT = os.path.join(BUILD, "scenarios")
CAPTURES = os.path.join(ROOT, "tests", "fixtures", "captures")

FIRMWARES = ("bios", "ovmf-grub", "ovmf-efi", "bochs")
DEFAULT_FIRMWARES = ("bios", "ovmf-grub", "ovmf-efi")
DEFAULT_TIMEOUT = 60.0
QEMU_PASS_STATUS = 33          # isa-debug-exit: (0x10 << 1) | 1
QEMU_FAIL_STATUS = 35          # isa-debug-exit: (0x11 << 1) | 1
TIMEOUT_STATUS = 124
ORACLES = ("qmp-pci",)
TAIL_LINES = 40

RESULT_RE = re.compile(r"sluice: result pass=(\d+) fail=(\d+)")
# Terminal control sequences firmware and GRUB leave in the log (CSI, charset).
ANSI_RE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78cM])")


class ScenarioError(Exception):
    """A scenario directory that cannot be run as written."""


# ---- the judge: pure functions on text ------------------------------------

@dataclass
class Expect:
    lineno: int            # line in expect.txt
    text: str
    regex: "re.Pattern"
    group: bool = False    # a "| " line: unordered within its run of group lines


def parse_expect(text, source="expect.txt"):
    """expect.txt -> [Expect]; a bad regex raises ScenarioError naming the line."""
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        group = line.startswith("| ")
        if group:
            line = line[2:].strip()
        try:
            out.append(Expect(n, line, re.compile(line), group))
        except re.error as e:
            raise ScenarioError(f"{source}:{n}: bad regex {line!r}: {e}")
    return out


def log_lines(data):
    """Serial bytes (or text) -> lines as a terminal would show them: CR LF and
    a lone CR (back to column 0) both start a line; NULs and terminal control
    sequences are dropped, so `^` in expect.txt means the start of a line."""
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    data = ANSI_RE.sub("", data.replace("\x00", ""))
    return data.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def match_in_order(lines, expects):
    """Search each regex in the lines after the previous match.

    A run of group Expects is searched from the same start, each taking the
    first line it matches that no other member of the run took; the search
    after the run starts past its last match.

    Returns (matched, first_unmatched): matched is a list of
    (Expect, line index) for the regexes found, first_unmatched the first
    Expect not found (None when all were)."""
    matched = []
    start = 0
    k = 0
    while k < len(expects):
        run = [expects[k]]
        if expects[k].group:
            while k + len(run) < len(expects) and expects[k + len(run)].group:
                run.append(expects[k + len(run)])
        taken = set()
        for e in run:
            for i in range(start, len(lines)):
                if i not in taken and e.regex.search(lines[i]):
                    matched.append((e, i))
                    taken.add(i)
                    break
            else:
                return matched, e
        start = max(taken) + 1
        k += len(run)
    return matched, None


def fatal_lines(lines):
    """[(index, line)] of every line that contains FATAL."""
    return [(i, l) for i, l in enumerate(lines) if "FATAL" in l]


def parse_result(lines):
    """(pass, fail) from the last 'sluice: result pass=N fail=M' line, or None."""
    for l in reversed(lines):
        m = RESULT_RE.search(l)
        if m:
            return int(m.group(1)), int(m.group(2))
    return None


def status_problem(firmware, status, timeout=None, want=QEMU_PASS_STATUS, outcome="fatal"):
    """Why an exit status fails the run, or None if it is acceptable."""
    if firmware == "bochs":
        return None                  # Bochs always exits 1; the serial log decides
    if status == want:
        return None
    if want != QEMU_PASS_STATUS:
        return f"QEMU exited with {status}, expected {want} (the scenario's outcome is {outcome})"
    if status == TIMEOUT_STATUS:
        after = f" after {timeout:g} s" if timeout else ""
        return f"timed out{after} (status 124), expected QEMU to exit with {QEMU_PASS_STATUS}"
    if status == 0:
        return (f"QEMU exited with 0, expected {QEMU_PASS_STATUS}: with -no-reboot a triple "
                "fault also exits 0, so 0 is never a pass")
    return f"QEMU exited with {status}, expected {QEMU_PASS_STATUS}"


@dataclass
class Verdict:
    ok: bool
    problems: list = field(default_factory=list)
    matched: list = field(default_factory=list)
    unmatched: "Expect" = None
    result: tuple = None
    status_note: str = ""    # shown after the exit status in the failure text


def order_check(lines, expects, problems):
    """match_in_order, with the first unmatched regex added to problems."""
    matched, unmatched = match_in_order(lines, expects)
    if unmatched is not None:
        problems.append(f"expect.txt:{unmatched.lineno}: no match in order for "
                        f"/{unmatched.text}/ ({len(matched)} of {len(expects)} matched)")
    return matched, unmatched


def judge(firmware, status, lines, expects, timeout=None, outcome="pass", oracle=None):
    """The pass/fail rule for one boot. outcome "fatal" (a scenario that
    provokes a fatal error on purpose) inverts the verdict rules: QEMU must
    exit 35, a FATAL line must appear and the result line must count a failure.
    oracle (an OracleData: what QEMU answered over QMP) makes it an oracle
    boot, judged by judge_oracle."""
    if outcome == "fatal":
        return judge_fatal(firmware, status, lines, expects, timeout)
    if outcome == "failed":
        return judge_failed(firmware, status, lines, expects, timeout)
    if outcome == "reset":
        return judge_reset(firmware, status, lines, expects, timeout)
    if oracle is not None:
        return judge_oracle(status, lines, expects, oracle, timeout)
    problems = []
    p = status_problem(firmware, status, timeout)
    if p:
        problems.append(p)
    return _judge_log(lines, expects, problems)


def _judge_log(lines, expects, problems):
    """The log rules of a passing boot: expected lines in order, no FATAL,
    a result line with fail=0. Adds to problems; returns the Verdict."""
    matched, unmatched = order_check(lines, expects, problems)
    fatals = fatal_lines(lines)
    if fatals:
        i, l = fatals[0]
        more = f" (and {len(fatals) - 1} more)" if len(fatals) > 1 else ""
        problems.append(f"serial line {i + 1} contains FATAL{more}: {l.strip()}")
    result = parse_result(lines)
    if result is None:
        problems.append("no 'sluice: result pass=N fail=M' line")
    elif result[1] != 0:
        problems.append(f"result line reports fail={result[1]} (pass={result[0]})")
    return Verdict(not problems, problems, matched, unmatched, result)


def oracle_status_problem(status, quit_sent, timeout=None):
    """Why the exit status fails an oracle boot, or None. The kernel runs with
    exit=halt, so QEMU does not end by itself: status 0 is accepted ONLY
    because the harness itself sent quit over QMP after it saw the result
    line (quit_sent). A 0 without that is what a triple fault gives with
    -no-reboot; 33 or 35 means the kernel ended QEMU although it was told to
    halt. Every other status fails too."""
    if status == 0 and quit_sent:
        return None
    if status == TIMEOUT_STATUS:
        after = f" after {timeout:g} s" if timeout else ""
        return f"timed out{after} (status 124) before the harness could ask QEMU and quit"
    if quit_sent:
        return f"QEMU exited with {status} after the harness sent quit, expected 0"
    if status == 0:
        return ("QEMU exited with 0 before the harness sent quit: with -no-reboot a triple "
                "fault also exits 0")
    if status in (QEMU_PASS_STATUS, QEMU_FAIL_STATUS):
        return (f"QEMU exited with {status} by itself: an oracle boot runs the kernel with "
                "exit=halt and the harness ends QEMU with quit")
    return f"QEMU exited with {status} before the harness sent quit"


def judge_oracle(status, lines, expects, oracle, timeout=None):
    """An oracle boot: the log rules of a passing boot, the oracle's exit
    status rule, and every difference between QEMU's PCI functions and the
    kernel's pci: lines (one problem each, prefixed "oracle: ")."""
    problems = []
    p = oracle_status_problem(status, oracle.quit_sent, timeout)
    if p:
        problems.append(p)
    v = _judge_log(lines, expects, problems)
    if oracle.error:
        v.problems.append(f"oracle: {oracle.error}")
    if oracle.query_pci is None:
        v.problems.append("oracle: QEMU gave no query-pci answer, nothing was compared")
    else:
        v.problems += [f"oracle: {d}" for d in
                       oracle_differences(lines, oracle.query_pci, oracle.sriov)]
    v.ok = not v.problems
    v.status_note = " (after the harness's quit)" if oracle.quit_sent else ""
    return v


def judge_fatal(firmware, status, lines, expects, timeout=None):
    """A boot that provokes a fatal error: QEMU exits 35, a FATAL line, a
    result line with fail > 0."""
    return _judge_failing_run(firmware, status, lines, expects, timeout, "fatal")


def judge_failed(firmware, status, lines, expects, timeout=None):
    """A run meant to end with failed checks: QEMU exits 35 (the kernel's
    verdict, not a crash), the expected lines in order, no FATAL, and a
    result line with fail > 0."""
    return _judge_failing_run(firmware, status, lines, expects, timeout, "failed")


def _judge_failing_run(firmware, status, lines, expects, timeout, outcome):
    """The rules both failing outcomes share; "fatal" wants a FATAL line,
    "failed" forbids one."""
    problems = []
    p = status_problem(firmware, status, timeout, QEMU_FAIL_STATUS, outcome)
    if p:
        problems.append(p)
    matched, unmatched = order_check(lines, expects, problems)
    fatals = fatal_lines(lines)
    if outcome == "fatal" and not fatals:
        problems.append("no FATAL line, but the scenario provokes a fatal error")
    elif outcome == "failed" and fatals:
        i, l = fatals[0]
        problems.append(f"serial line {i + 1} contains FATAL, but the scenario's outcome is failed checks only: {l.strip()}")
    result = parse_result(lines)
    if result is None:
        problems.append("no 'sluice: result pass=N fail=M' line")
    elif result[1] == 0:
        problems.append("result line reports fail=0 after a fatal error" if outcome == "fatal" else
                        "result line reports fail=0, but the scenario's outcome is failed")
    return Verdict(not problems, problems, matched, unmatched, result)


def judge_reset(firmware, status, lines, expects, timeout=None):
    """outcome "reset": QEMU exits 0 after Sluice's CPU 0 was reset under it;
    the expected lines (what happened up to the reset) in order, no FATAL,
    and no result line."""
    problems = []
    p = status_problem(firmware, status, timeout, 0, "reset")
    if p:
        problems.append(p)
    matched, unmatched = order_check(lines, expects, problems)
    fatals = fatal_lines(lines)
    if fatals:
        problems.append(f"FATAL at line {fatals[0][0] + 1}: {fatals[0][1]}")
    result = parse_result(lines)
    if result is not None:
        problems.append(f"a result line (pass={result[0]} fail={result[1]}), but the scenario's outcome is reset")
    return Verdict(not problems, problems, matched, unmatched, result)


def printable(line):
    """A log line safe to show on a terminal: control characters escaped."""
    return "".join(c if c == "\t" or (c >= " " and c != "\x7f") else f"\\x{ord(c):02x}"
                   for c in line)


def failure_message(title, firmware, status, verdict, lines, serial_path=None, runner_output=None):
    """The text shown for a failed boot: status, first unmatched regex, log tail."""
    note = " (ignored: Bochs always exits 1)" if firmware == "bochs" else verdict.status_note
    out = [f"{title}: FAILED", f"  exit status: {status}{note}"]
    if verdict.unmatched is not None:
        out.append(f"  first unmatched expected regex: expect.txt:{verdict.unmatched.lineno}: "
                   f"{verdict.unmatched.text}")
    else:
        out.append("  expected lines: all matched in order")
    out += [f"  - {p}" for p in verdict.problems]
    if runner_output:
        out.append("runner:")
        out += [f"  {printable(l)}" for l in runner_output.splitlines() if l.strip()]
    tail = list(lines)
    while tail and not tail[-1].strip():
        tail.pop()
    tail = tail[-TAIL_LINES:]
    where = f" {serial_path}" if serial_path else ""
    out.append(f"serial log{where}, last {len(tail)} lines:")
    out += [f"  | {printable(l)}" for l in tail] or ["  (empty)"]
    return "\n".join(out)


# ---- scenarios ------------------------------------------------------------

def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _content_lines(text):
    return [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]


def parse_firmware_list(text, source):
    names = text.replace(",", " ").split()
    bad = [n for n in names if n not in FIRMWARES]
    if bad:
        raise ScenarioError(f"{source}: unknown firmware {', '.join(bad)} "
                            f"(known: {' '.join(FIRMWARES)})")
    return [f for f in FIRMWARES if f in names]


@dataclass
class Scenario:
    name: str
    dir: str
    firmwares: list
    cmdline: list            # words, without exit=
    modules: list            # [(name, absolute path)]
    timeout: float
    expects: list
    outcome: str = "pass"    # or "fatal" or "failed": the file `outcome`
    oracle: str = None       # or "qmp-pci": the file `oracle`
    console: str = None      # the file `console`: typed on COM1 (path), or None
    pending: str = None      # the file `pending`: what the scenario waits for, or None
    serial: str = "com1"     # the file `serial`: the port of the serial log
    capture: tuple = None    # the file `capture`: (fixture name, [sluice-check options]), or None

    def out_dir(self):
        return os.path.join(OUT_ROOT, self.name)


def load_scenario(path):
    """Read one scenario directory; raises ScenarioError when it is malformed."""
    name = os.path.basename(os.path.normpath(path))
    for req in ("sluice.conf", "expect.txt"):
        if not os.path.isfile(os.path.join(path, req)):
            raise ScenarioError(f"{name}: missing {req}")

    def opt(fname):
        p = os.path.join(path, fname)
        return _read(p) if os.path.isfile(p) else None

    text = opt("firmware")
    firmwares = (parse_firmware_list(text, f"{name}/firmware") if text is not None
                 else list(DEFAULT_FIRMWARES))

    text = opt("cmdline")
    cmdline = " ".join(_content_lines(text)).split() if text else []

    modules = []
    for l in _content_lines(opt("modules") or ""):
        mname, sep, mpath = l.partition("=")
        if not sep or not mname.strip() or not mpath.strip():
            raise ScenarioError(f"{name}/modules: {l!r}: expected NAME=PATH")
        mpath = mpath.strip()
        modules.append((mname.strip(), mpath if os.path.isabs(mpath) else os.path.join(ROOT, mpath)))

    timeout = DEFAULT_TIMEOUT
    text = opt("timeout")
    if text is not None and text.strip():
        try:
            timeout = float(text.split()[0])
        except ValueError:
            raise ScenarioError(f"{name}/timeout: {text.strip()!r} is not a number of seconds")
        if timeout <= 0:
            raise ScenarioError(f"{name}/timeout: must be positive")

    outcome = "pass"
    text = opt("outcome")
    if text is not None:
        words = _content_lines(text)
        if words not in (["pass"], ["fatal"], ["failed"], ["reset"]):
            raise ScenarioError(f"{name}/outcome: expected 'pass', 'fatal', 'failed' or 'reset', "
                                f"got {text.strip()!r}")
        outcome = words[0]

    oracle = None
    text = opt("oracle")
    if text is not None:
        words = _content_lines(text)
        if len(words) != 1 or words[0] not in ORACLES:
            raise ScenarioError(f"{name}/oracle: expected one of {', '.join(ORACLES)}, "
                                f"got {text.strip()!r}")
        oracle = words[0]
        if "bochs" in firmwares:
            raise ScenarioError(f"{name}/oracle: {oracle} needs QEMU; firmware lists bochs")
        if outcome != "pass":
            raise ScenarioError(f"{name}/oracle: not with outcome {outcome}")

    if os.path.isfile(os.path.join(path, "bochs.args")) and "bochs" not in firmwares:
        raise ScenarioError(f"{name}/bochs.args: the scenario's firmware does not list bochs")

    pending = None
    text = opt("pending")
    if text is not None:
        pending = " ".join(_content_lines(text))
        if not pending:
            raise ScenarioError(f"{name}/pending: empty; say what the scenario waits for")

    serial = "com1"
    text = opt("serial")
    if text is not None:
        words = _content_lines(text)
        if words not in (["com1"], ["com2"]):
            raise ScenarioError(f"{name}/serial: expected 'com1' or 'com2', got {text.strip()!r}")
        if "bochs" in firmwares:
            raise ScenarioError(f"{name}/serial: QEMU boots only; firmware lists bochs")
        serial = words[0]

    expects = parse_expect(_read(os.path.join(path, "expect.txt")), f"{name}/expect.txt")
    console = os.path.join(os.path.abspath(path), "console")
    if not os.path.isfile(console):
        console = None
    capture = None
    text = opt("capture")
    if text is not None:
        try:
            capture = parse_capture_file(text)
        except ValueError as e:
            raise ScenarioError(f"{name}/capture: {e}")
        if not os.path.isdir(os.path.join(CAPTURES, capture[0])):
            raise ScenarioError(f"{name}/capture: no capture {capture[0]} in tests/fixtures/captures")
        if "bios" not in firmwares:
            raise ScenarioError(f"{name}/capture: the captures are of SeaBIOS machines; firmware lacks bios")
    return Scenario(name, os.path.abspath(path), firmwares, cmdline, modules, timeout, expects,
                    outcome, oracle, console, pending, serial=serial, capture=capture)


def scenario_root():
    return os.environ.get("SLUICE_SCENARIO_DIR") or HERE


def pending_wanted():
    """SLUICE_PENDING=1: boot pending scenarios too. Any other value but
    empty or 0 is a usage error."""
    text = os.environ.get("SLUICE_PENDING", "").strip()
    if text not in ("", "0", "1"):
        raise ScenarioError(f"SLUICE_PENDING={text}: expected 1 (or 0)")
    return text == "1"


def selected_firmwares():
    """SLUICE_FIRMWARE as a set, or None for no restriction."""
    text = os.environ.get("SLUICE_FIRMWARE", "").strip()
    if not text:
        return None
    return set(parse_firmware_list(text, "SLUICE_FIRMWARE"))


@dataclass
class Case:
    id: str                  # NAME[FIRMWARE]
    scenario: Scenario = None
    firmware: str = None
    error: str = None        # a scenario that could not be loaded


def collect_cases(root=None, only=None):
    root = root or scenario_root()
    cases = []
    if not os.path.isdir(root):
        return [Case(id=f"{os.path.basename(root)}[scenarios]",
                     error=f"SLUICE_SCENARIO_DIR {root}: not a directory")]
    for entry in sorted(os.listdir(root)):
        path = os.path.join(root, entry)
        if entry.startswith((".", "_")) or not os.path.isdir(path):
            continue
        try:
            s = load_scenario(path)
        except (ScenarioError, OSError, UnicodeDecodeError) as e:
            cases.append(Case(id=f"{entry}[invalid]", error=str(e)))
            continue
        for fw in s.firmwares:
            if only is None or fw in only:
                cases.append(Case(id=f"{s.name}[{fw}]", scenario=s, firmware=fw))
    return cases


# ---- pytest plumbing ------------------------------------------------------

BOOTS = []                   # (scenario, firmware, seconds, outcome), in run order
# With pytest-xdist each worker also writes its boots here, for the summary the controller prints.
BOOTS_DIR = os.path.join(BUILD, "scenarios", "boots")


def _xdist_worker():
    return os.environ.get("PYTEST_XDIST_WORKER")


def pytest_sessionstart(session):
    SESSION_START[0] = time.time()
    if not _xdist_worker() and os.path.isdir(BOOTS_DIR):
        for f in os.listdir(BOOTS_DIR):
            os.unlink(os.path.join(BOOTS_DIR, f))


SESSION_START = [0.0]


def _kut_table_of_this_session():
    """The table a worker wrote during this session (pytest-xdist), or None."""
    path = os.path.join(ROOT, kut.TABLE)
    if _xdist_worker() or not os.path.isfile(path) or os.path.getmtime(path) < SESSION_START[0]:
        return None
    with open(path) as f:
        return f.read()


def _worker_boots():
    """The boots the workers of this session recorded, in the order each ran them."""
    boots = []
    for f in sorted(os.listdir(BOOTS_DIR)) if os.path.isdir(BOOTS_DIR) else []:
        with open(os.path.join(BOOTS_DIR, f)) as fh:
            for line in fh:
                name, fw, secs, outcome = line.rstrip("\n").split("\t")
                boots.append((name, fw, float(secs), outcome))
    return boots


def pytest_configure(config):
    config.addinivalue_line("markers", "xdist_group(name): run in one pytest-xdist worker with its group")
    try:
        selected_firmwares()
        pending_wanted()
    except ScenarioError as e:
        raise pytest.UsageError(str(e))


@pytest.hookimpl(tryfirst=True)      # before pytest-xdist's own, which reads the groups
def pytest_collection_modifyitems(config, items):
    """Groups for pytest-xdist's --dist loadgroup (tools/run-tests runs two
    workers): every boot of one scenario in one worker, since its image is
    built once per session into one directory; every other test with the
    rest of its file, since a file's tests may share what they build (the
    kvm-unit-tests legs are judged against the bare runs of the same
    session, kut.RESULTS; tools/dmar-dump builds its binary on first use)."""
    for item in items:
        if isinstance(item, ScenarioItem):
            item.add_marker(pytest.mark.xdist_group(item.name.split("[")[0]))
        else:
            item.add_marker(pytest.mark.xdist_group(os.path.basename(str(item.fspath))))


class ScenarioItem(pytest.Item):
    """One boot: scenario NAME on one firmware path."""

    def __init__(self, *, case, procedure, **kw):
        super().__init__(**kw)
        self.case = case
        self.procedure = procedure

    def runtest(self):
        self.procedure(self.case, self)

    def record_boot(self, seconds, outcome):
        BOOTS.append((self.case.scenario.name, self.case.firmware, seconds, outcome))
        worker = _xdist_worker()
        if worker:
            os.makedirs(BOOTS_DIR, exist_ok=True)
            with open(os.path.join(BOOTS_DIR, worker + ".tsv"), "a") as f:
                f.write(f"{self.case.scenario.name}\t{self.case.firmware}\t{seconds:.2f}\t{outcome}\n")

    def reportinfo(self):
        where = self.case.scenario.dir if self.case.scenario else self.path
        return where, None, self.name


def scenario_procedure(fn):
    """Marks fn(case, item) as the procedure for one boot: the collector below
    turns it into one test per (scenario, firmware) pair, named NAME[FIRMWARE]."""
    fn.sluice_scenario_procedure = True
    return fn


def pytest_pycollect_makeitem(collector, name, obj):
    if not callable(obj) or getattr(obj, "sluice_scenario_procedure", False) is not True:
        return None
    return [ScenarioItem.from_parent(collector, name=c.id, case=c, procedure=obj)
            for c in collect_cases(only=selected_firmwares())]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    tr = terminalreporter
    kut_table = kut.table(kut.RESULTS) if kut.RESULTS else _kut_table_of_this_session()
    if kut_table:
        tr.write_sep("-", "kvm-unit-tests (build/kut/table.md)")
        for line in kut_table.splitlines():
            tr.write_line(line)
    boots = BOOTS or _worker_boots()
    if not boots:
        return
    tr.write_sep("-", "scenario boot times")
    w = max(len("scenario"), *(len(b[0]) for b in boots))
    tr.write_line(f"{'scenario':<{w}}  {'firmware':<9}  {'seconds':>7}  result")
    for name, fw, secs, outcome in boots:
        tr.write_line(f"{name:<{w}}  {fw:<9}  {secs:7.2f}  {outcome}")
    tr.write_line(f"{'total':<{w}}  {'':<9}  {sum(b[2] for b in boots):7.2f}")
