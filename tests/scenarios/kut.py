"""kvm-unit-tests (the KVM project's x86 test kernels) bare and in partitions: the judging logic.

Issue 17's conformance check. Each test kernel NAME.flat (a Multiboot v1
kernel that prints PASS/FAIL/SKIP lines and a SUMMARY line on COM1 and
writes its verdict to port 0xf4: 0 pass, 1 fail) runs four ways, each a
"leg":

  bare-qemu   QEMU TCG, no Sluice: the suite's own command line, -cpu max
              -m 256, one CPU. Verdict: QEMU's status, (code << 1) | 1
  svm         Sluice in QEMU (-cpu max: the SVM back end), the kernel in a
              one-CPU `entry = multiboot` partition of 256 MiB. Verdict:
              the partition's "debug-exit port: partition exited (code N)"
  bare-bochs  Bochs corei7_skylake_x, GRUB booting the kernel as Multiboot.
              Bochs has no isa-debug-exit: the verdict is the serial log's
              end line (SUMMARY with no FAIL line, "--- DONE: N ---", or a
              last line PASS)
  vmx         Sluice in Bochs (the VMX back end, iommu off), as svm

A partition leg fails when its reference bare run passed and it did not.
The reference is the bare run on the same CPU (bare-qemu for svm,
bare-bochs for vmx), where the SUMMARY lines must agree too (same test
count, no more skips); when bare Bochs cannot run a kernel at all (Bochs
drops the guest's write that re-enables its local APIC, see
BOCHS_APIC_BLOCK) the vmx leg is held to bare QEMU's verdict alone, as
the CPU differs.

Everything here is pure (tested in test_kut_logic.py); the boots are in
test_kut.py. The suite's folder is found at ../shared/kvm-unit-tests from
the repository root, or SLUICE_KUT_DIR; nothing of it is copied into the
repository.
"""
import os
import re
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SUITE_ENV = "SLUICE_KUT_DIR"
DEFAULT_SUITE = os.path.join(ROOT, "..", "shared", "kvm-unit-tests")

LEGS = ("bare-qemu", "svm", "bare-bochs", "vmx")
LEG_TITLES = {"bare-qemu": "bare QEMU", "svm": "SVM partition", "bare-bochs": "bare Bochs",
              "vmx": "VMX partition", "bare-qemu-intel": "bare QEMU with an Intel CPU"}
# Not a column: the VMX leg's stand-in reference where bare Bochs cannot
# run a kernel, QEMU's -cpu max with GenuineIntel as its vendor (TCG
# follows the vendor where Intel and AMD CPUs differ, e.g. SYSCALL in
# compatibility mode). Run only for a VMX leg that did not pass.
INTEL_REF = "bare-qemu-intel"
PARTITION_LEGS = ("svm", "vmx")
TAIL = 12                    # lines of a leg's log kept for the report


@dataclass(frozen=True)
class KutTest:
    name: str
    limit_s: int             # the partition's time-limit in QEMU
    bochs_limit_s: int       # the same in Bochs, whose clock is its instruction count
    memory_mb: int           # the partition's memory


# The tests issue 17 names, in the order of the table. unittests.cfg gives
# some of them other QEMU options (syscall: -cpu Opteron_G1,vendor=AuthenticAMD;
# umip: -cpu qemu64,+umip; smptest: two CPUs); the bare runs use -cpu max and
# one CPU for all, the CPU Sluice's own QEMU has, so that the bare run and
# the partition see the same processor (docs/architecture.md, "kvm-unit-tests").
#
# Time limits end a partition whose kernel hangs. In QEMU the slowest
# kernel but sieve takes 0.3 s bare, sieve 40-50 s (20 s in a partition);
# in Bochs the slowest (xsave) ran about 1.3 s of Bochs' clock with four
# CPUs, and sieve 212 s of wall time, at most 120 s of Bochs' clock
# (one busy CPU makes about 56 M of its 100 M ticks a second); its boot
# with setjmp and rmap_chain took 276 s in a VMX partition.
# Memory: 256 MiB for sieve, which allocates 100 MB; 32 MiB for the
# others, which pass bare with -m 32 too: in Bochs Sluice takes about 19 s
# of wall time to set up 256 MiB for a partition.
FAST = KutTest("", 10, 5, 32)
TESTS = tuple(KutTest(n, FAST.limit_s, FAST.bochs_limit_s, FAST.memory_mb)
              for n in ("tsc", "eventinj", "smptest", "setjmp")) + (
    KutTest("sieve", 150, 240, 256),
) + tuple(KutTest(n, FAST.limit_s, FAST.bochs_limit_s, FAST.memory_mb)
          for n in ("rmap_chain", "umip", "memory", "xsave", "syscall", "realmode"))
BY_NAME = {t.name: t for t in TESTS}
PARTITIONS_PER_BOOT = 3      # QEMU -smp 4 / Bochs --cpus 4: CPU 0 is Sluice's
SLUICE_MB = 256              # the machine's memory beyond its partitions'

QEMU_BARE_ARGS = ["-accel", "tcg", "-M", "q35", "-cpu", "max", "-smp", "1", "-m", "256",
                  "-nodefaults", "-display", "none", "-no-reboot",
                  "-device", "isa-debug-exit,iobase=0xf4,iosize=0x4"]
QEMU_BARE_INTEL_ARGS = [("max,vendor=GenuineIntel" if a == "max" else a) for a in QEMU_BARE_ARGS]
QEMU_TIMEOUT_STATUS = 124

# The environment every kernel gets, as its Multiboot module (the suite reads
# its first module as KEY=VALUE lines, lib/x86/setup.c): no QEMU test device.
# True of a partition and of the bare runs (-nodefaults adds no pc-testdev);
# TEST_DEVICE=0 is the suite's switch for such machines (lib/x86/fwcfg.c).
# It matters to syscall: on an Intel CPU its 32-bit SYSCALL subtest needs a
# hypervisor that emulates that instruction (KVM does, Intel CPUs #UD it),
# and the suite skips that subtest without a test device.
ENV_NAME = "kut-env"
ENV_TEXT = "TEST_DEVICE=0\n"

# The line Bochs 2.7 logs when it ignores a write to IA32_APIC_BASE because
# the APIC's global enable bit is clear: it keeps the APIC off until reset,
# so cstart64.S's reset_apic (disable, then enable) leaves no xAPIC and
# smp_init waits on the ICR for ever.
BOCHS_APIC_BLOCK = "WRMSR: MSR_APICBASE APIC global enable bit cleared !"
# A bare Bochs run is stopped at the first of these serial lines (realmode
# halts for ever after it) or after this many seconds without output.
BOCHS_BARE_END_RE = r"^(--- DONE: \d+ ---|SUMMARY: .*)$"
# ... or at once when Bochs' log shows the APIC block above.
BOCHS_BARE_BLOCK_RE = re.escape(BOCHS_APIC_BLOCK)
# 10 s: GRUB alone was once silent for more than 3 s in Bochs on a loaded
# host; runs that end normally stop at the lines above.
BOCHS_BARE_IDLE_S = 10


def suite_dir(env=None):
    """-> (folder, how it was chosen) for the suite's binaries."""
    env = os.environ if env is None else env
    if env.get(SUITE_ENV):
        return env[SUITE_ENV], f"{SUITE_ENV}={env[SUITE_ENV]}"
    return os.path.normpath(DEFAULT_SUITE), "the default ../shared/kvm-unit-tests"


def missing_reason(folder, how, name=None):
    """Why the suite (or one kernel of it) cannot run, or None."""
    if not os.path.isdir(folder):
        return (f"kvm-unit-tests not found: looked in {folder} ({how}); "
                f"set {SUITE_ENV}=DIR to the folder holding NAME.flat")
    if name is not None and not os.path.isfile(os.path.join(folder, f"{name}.flat")):
        return f"kvm-unit-tests: {os.path.join(folder, name + '.flat')} is missing ({how})"
    return None


def boot_groups(tests=TESTS, per_boot=PARTITIONS_PER_BOOT):
    """The tests in boots of per_boot partitions, in table order."""
    names = [t.name for t in tests]
    return [names[i:i + per_boot] for i in range(0, len(names), per_boot)]


def sluice_conf(names, bochs=False):
    """The config of one Sluice boot: one partition per test kernel, the
    i-th on CPU i (CPU 0 is Sluice's), no IOMMU (Bochs has none, and no
    partition has a device)."""
    lines = ["# Written by tests/scenarios/kut.py: kvm-unit-tests kernels, one per partition.",
             "[sluice]", "iommu = off", ""]
    for cpu, name in enumerate(names, 1):
        t = BY_NAME[name]
        lines += [f'[partition "{name}"]', f"cpus = {cpu}",
                  f"memory = gpa=0x0 size={t.memory_mb}M", f"image = {name}",
                  "entry = multiboot", f"module = {ENV_NAME}",
                  f"time-limit = {t.bochs_limit_s if bochs else t.limit_s}s", ""]
    return "\n".join(lines)


def machine_mb(names):
    """The RAM of the machine a Sluice boot of these partitions runs on."""
    return sum(BY_NAME[n].memory_mb for n in names) + SLUICE_MB


def boot_timeout(names, bochs=False):
    """Seconds a Sluice boot of these partitions may take: the longest
    time-limit, plus the boot itself (Bochs counts its own clock, which
    runs slower than the wall's)."""
    if bochs:
        # Bochs runs its CPUs in turn at about 56 M instructions a second
        # here, and its clock counts 100 M of one CPU's instructions a second.
        return max(BY_NAME[n].bochs_limit_s for n in names) * 3 + 180
    return max(BY_NAME[n].limit_s for n in names) + 60


# ---- one leg's result -----------------------------------------------------

@dataclass
class Leg:
    """What one run of one kernel showed."""
    ran: bool = True
    code: int = None         # the test's own verdict (port 0xf4), when known
    summary: str = None      # its last "SUMMARY: ..." line
    end: str = ""            # how the run ended, in words
    fails: int = 0           # FAIL: lines
    passes: int = 0          # PASS: lines
    exits: str = None        # the partition's "counters: N exits (...)" text
    tail: list = field(default_factory=list)
    blocked: str = None      # why the platform cannot run this kernel at all
    note: str = None         # why the leg did not run (skip), when ran is False

    @property
    def passed(self):
        return self.ran and self.code == 0 and self.blocked is None


def _test_output_stats(leg, lines):
    for l in lines:
        s = l.strip()
        if s.startswith("SUMMARY:"):
            leg.summary = s
        elif s.startswith("FAIL:") or s.startswith("FAIL "):
            leg.fails += 1
        elif s.startswith("PASS:"):
            leg.passes += 1


# Sluice's own lines under a partition's name (vm/part/*.c; the register
# dump of a parked vCPU), told from its guest's console output for the table.
SLUICE_PART_LINE_RE = re.compile(
    r"^(counters: |parked: |part: |check: |image: |time limit |.*: partition \w+ \(code \d+\)$"
    r"|(read|write) port 0x[0-9a-f]+ \(\d+ bytes\)|(rip|rax|rbx|rcx|rdx|cr0|cs|ss|exit) )")


def last_output(leg):
    """The last line the kernel itself printed, as far as the tail shows."""
    own = [t for t in leg.tail if not SLUICE_PART_LINE_RE.match(t)]
    return own[-1] if own else None


def _tail(lines, n=TAIL):
    out = [l.rstrip() for l in lines if l.strip()]
    return out[-n:]


def parse_bare_qemu(status, lines):
    """A bare QEMU run: status (code << 1) | 1 from isa-debug-exit, 124 on
    timeout, anything else (0: a triple fault with -no-reboot) no verdict."""
    leg = Leg()
    _test_output_stats(leg, lines)
    leg.tail = _tail(lines)
    if status == QEMU_TIMEOUT_STATUS:
        leg.end = "timed out"
    elif status % 2 == 1 and status < 256:
        leg.code = status >> 1
        leg.end = f"exited (code {leg.code})"
    else:
        leg.end = f"QEMU exited with {status}, no verdict written to port 0xf4"
    return leg


def parse_bare_bochs(runner_status, lines, bochs_log_lines):
    """A bare Bochs run (no port 0xf4 there): the verdict from the test's
    own end line; the Bochs log says when Bochs itself stopped the kernel."""
    leg = Leg()
    _test_output_stats(leg, lines)
    leg.tail = _tail(lines)
    text = [l.strip() for l in lines if l.strip()]
    done = [re.match(r"^--- DONE: (\d+) ---$", l) for l in text]
    done = [m for m in done if m]
    if done:
        leg.code = int(done[-1].group(1))
        leg.end = f"ended: {done[-1].group(0)}"
    elif leg.summary is not None:
        leg.code = 0 if leg.fails == 0 and "unexpected failures" not in leg.summary else 1
        leg.end = f"ended: {leg.summary}"
    elif text and text[-1] == "PASS":
        leg.code = 0
        leg.end = "ended: PASS"
    elif any(BOCHS_APIC_BLOCK in l for l in bochs_log_lines):
        leg.blocked = ("Bochs ignored the kernel's write to IA32_APIC_BASE that re-enables "
                       "its local APIC (Bochs keeps a globally disabled APIC off until reset)")
        leg.end = "blocked"
    else:
        leg.end = ("timed out" if runner_status == QEMU_TIMEOUT_STATUS
                   else f"Bochs exited with {runner_status}") + " before the test's end line"
    return leg


LOG_RE = re.compile(r"^c(\d+) (INFO|WARN|ERR|DBG|FATAL)\s+(\S+?): (.*)$")
END_RE = re.compile(r"^(.*): partition (exited|halted|parked|failed|stopped) \(code (\d+)\)$")
EXITS_RE = re.compile(r"^counters: (\d+ exits \(.*\))$")


def partition_lines(lines, name):
    """The lines of partition `name` in a Sluice log: its guest's console
    and Sluice's lines about it ("NAME: ..." and "part: NAME: ..."),
    as the text after the subsystem."""
    out = []
    for l in lines:
        m = LOG_RE.match(l.strip())
        if not m:
            continue
        sub, text = m.group(3), m.group(4)
        if sub == name:
            out.append(text)
        elif sub in ("part", "check", "image") and (text.startswith(f"{name}:")):
            out.append(f"{sub}: {text}")
    return out


def parse_partition(lines, name, boot_status=None):
    """One partition of a Sluice boot: the exit code of its
    "debug-exit port: partition exited (code N)" line is the verdict; a
    partition parked, stopped by its time limit or never ended has none."""
    leg = Leg()
    own = partition_lines(lines, name)
    _test_output_stats(leg, own)
    leg.tail = _tail(own)
    parked = None
    for text in own:
        m = END_RE.match(text)
        if m and not leg.end:
            how, state, code = m.group(1), m.group(2), int(m.group(3))
            if state == "exited" and how == "debug-exit port":
                leg.code = code
                leg.end = f"exited (code {code})"
            else:
                leg.end = f"{state}: {how}"
        elif text.startswith("parked: ") and parked is None:
            parked = text
        e = EXITS_RE.match(text)
        if e and leg.exits is None:
            leg.exits = e.group(1)
    if parked and not leg.end:
        leg.end = parked
    if not leg.end:
        where = f" (boot status {boot_status})" if boot_status is not None else ""
        leg.end = ("never ended" if own else "no line from the partition") + where
    return leg


# ---- the rule ---------------------------------------------------------------

def reference_for(leg_name, legs):
    """-> (reference leg name, same CPU?) for a partition leg, given the
    bare legs' results; None when no bare run passed."""
    if leg_name == "svm":
        return ("bare-qemu", True) if legs.get("bare-qemu") and legs["bare-qemu"].passed else None
    bochs = legs.get("bare-bochs")
    if bochs and bochs.passed:
        return "bare-bochs", True
    if bochs is not None and bochs.ran and not bochs.blocked:
        return None
    intel = legs.get(INTEL_REF)
    if intel is not None:
        return (INTEL_REF, False) if intel.passed else None
    if legs.get("bare-qemu") and legs["bare-qemu"].passed:
        return "bare-qemu", False
    return None


def needs_intel_reference(legs):
    """True when the VMX leg did not pass and only a bare run on an Intel
    CPU can say whether it should have: bare Bochs could not run the
    kernel and the Intel stand-in has not run yet."""
    vmx, bochs = legs.get("vmx"), legs.get("bare-bochs")
    return (vmx is not None and vmx.ran and not vmx.passed and INTEL_REF not in legs
            and (bochs is None or not bochs.ran or bochs.blocked is not None))


def _count(summary, word):
    m = re.search(rf"(\d+) {word}", summary or "")
    return int(m.group(1)) if m else 0


def summary_problem(part, ref):
    """Why a partition's SUMMARY does not match its same-CPU reference, or None."""
    if ref.summary is None:
        return None
    if part.summary is None:
        return f"no SUMMARY line (bare: {ref.summary!r})"
    if _count(part.summary, "tests") != _count(ref.summary, "tests") or \
            _count(part.summary, "skipped") > _count(ref.summary, "skipped") or \
            _count(part.summary, "unexpected failures") > _count(ref.summary, "unexpected failures"):
        return f"{part.summary!r} where the bare run gave {ref.summary!r}"
    return None


@dataclass
class Judgement:
    outcome: str             # "pass", "FAIL" or "skip"
    why: str


def judge(test, leg_name, legs):
    """The verdict of one leg of one test, legs being every leg's Leg so far."""
    leg = legs.get(leg_name)
    if leg is None or not leg.ran:
        return Judgement("skip", leg.note if leg is not None and leg.note else "not run")
    if leg_name == "bare-qemu":
        if leg.passed:
            return Judgement("pass", leg.summary or leg.end)
        return Judgement("FAIL", f"{test} did not pass bare in QEMU ({leg.end}); the suite "
                                 "measured it passing there")
    if leg_name == "bare-bochs":
        if leg.passed:
            return Judgement("pass", leg.summary or leg.end)
        if leg.blocked:
            return Judgement("skip", f"Bochs cannot run {test} bare: {leg.blocked}")
        return Judgement("FAIL", f"{test} did not pass bare in Bochs ({leg.end})")
    if "bare-qemu" not in legs and (leg_name == "svm" or "bare-bochs" not in legs):
        return Judgement("skip", f"not judged: no bare run of {test} in this session")
    ref = reference_for(leg_name, legs)
    intel = legs.get(INTEL_REF)
    if ref is None and leg_name == "vmx" and intel is not None and intel.ran and not intel.passed:
        return Judgement("skip", f"{test} does not pass bare on an Intel CPU either "
                                 f"({LEG_TITLES[INTEL_REF]}: {intel.end}; bare Bochs cannot run "
                                 f"it), so the VMX partition's {leg.end} is the CPU's, not Sluice's")
    if ref is None:
        return Judgement("skip", f"no bare run of {test} passed, so the {LEG_TITLES[leg_name]} "
                                 "has nothing to be compared with")
    ref_name, same_cpu = ref
    if not leg.passed:
        return Judgement("FAIL", f"{test} passed {LEG_TITLES[ref_name]} but in the "
                                 f"{LEG_TITLES[leg_name]}: {leg.end}")
    if same_cpu:
        p = summary_problem(leg, legs[ref_name])
        if p:
            return Judgement("FAIL", f"{test} in the {LEG_TITLES[leg_name]}: {p}")
    return Judgement("pass", (leg.summary or leg.end) +
                     ("" if same_cpu else f" (compared with {LEG_TITLES[ref_name]}'s verdict)"))


# ---- the table ----------------------------------------------------------------

def _cell_text(text):
    return text.replace("|", "\\|").replace("\n", " ")


def cell(test, leg_name, legs):
    j = judge(test, leg_name, legs)
    leg = legs.get(leg_name)
    if j.outcome == "pass":
        s = "pass" + (f" ({leg.summary[len('SUMMARY: '):]})" if leg.summary else "")
    elif j.outcome == "skip":
        s = "blocked" if leg is not None and leg.blocked else f"skipped: {j.why}"
        if leg is not None and leg.blocked:
            s += " (Bochs keeps its APIC off)"
    else:
        s = f"FAIL: {leg.end}"
        last = last_output(leg)
        if leg.code is None and last:
            s += f"; last output `{last}`"
    return _cell_text(s)


def table(results, tests=None):
    """Markdown: test | bare QEMU | SVM partition | bare Bochs | VMX
    partition, then each partition's exits by reason. results maps a test
    name to its {leg: Leg}."""
    names = tests or [t.name for t in TESTS if t.name in results]
    out = ["| test | " + " | ".join(LEG_TITLES[l] for l in LEGS) + " |",
           "|---|" + "---|" * len(LEGS)]
    for n in names:
        out.append(f"| {n} | " + " | ".join(cell(n, l, results[n]) for l in LEGS) + " |")
    out += ["", "Exits by reason (the partition's `counters:` line):", "",
            "| test | SVM partition | VMX partition |", "|---|---|---|"]
    for n in names:
        cells = []
        for l in PARTITION_LEGS:
            leg = results[n].get(l)
            cells.append(_cell_text(leg.exits) if leg is not None and leg.ran and leg.exits
                         else "-")
        out.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def count_outcomes(results):
    """{"pass": n, "FAIL": n, "skip": n} over every leg of every test."""
    n = {"pass": 0, "FAIL": 0, "skip": 0}
    for test, legs in results.items():
        for l in LEGS:
            n[judge(test, l, legs).outcome] += 1
    return n


# ---- this session's results ---------------------------------------------------

RESULTS = {}                 # test name -> {leg: Leg}, filled by test_kut.py


TABLE = "build/kut/table.md"


def write_table(root=ROOT, results=None):
    """TABLE (under root) from the results so far; -> its path."""
    results = RESULTS if results is None else results
    path = os.path.join(root, *TABLE.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("# kvm-unit-tests: bare and in one-CPU partitions\n\n")
        f.write(table(results) if results else "No test ran.\n")
    return path
