"""The agreement rule between a Sluice boot and tools/sluice-check
(docs/testing.md, "sluice-check against the boot"): a scenario with a
`capture` file names a capture of its QEMU machine (tests/fixtures/captures/),
and after the boot sluice-check runs on that capture with the scenario's
sluice.conf and command line. The two must print the same lines in the same
order, compared without the "cN " column:

  - from the boot log, every line of the subsystems sluice-check runs
    (acpi, mem, pci, dmar, config, and part's verdict on the config and
    each partition's devices), minus
    the lines a capture cannot give (UNKNOWABLE: where firmware put the ACPI
    tables, Sluice's own image in memory) and minus DEBUG lines;
  - from sluice-check, the lines the same rule picks (not its own
    "sluice-check: ..." lines).

A boot that ends before the config is read (no "config"/"part" verdict)
is compared on what it printed. Pure functions, tested in
test_sluice_check_agree_logic.py.
"""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECKER = os.path.join(ROOT, "tools", "sluice-check")
CPU_RE = re.compile(r"^c\d+ ")
# LEVEL subsys: event
LINE_RE = re.compile(r"^(INFO|WARN|ERR |ERR|FATAL) (\w+): (.*)$")
SUBSYSTEMS = ("acpi", "mem", "pci", "dmar", "config")
# part: the config's verdict and each partition's devices (not its guest's start)
PART_RE = re.compile(r"^(ERR  part: sluice\.conf: \d+ error\(s\); no partition set up"
                     r"|INFO part: \S+: device \S+ attached "
                     r"|INFO part: \S+: \d+ region\(s\) mapped, \d+ device\(s\) attached$"
                     r"|INFO part: \d+ partition\(s\) set up, )")
UNKNOWABLE = (
    re.compile(r"^INFO acpi: (RSDP|RSDT|XSDT) "),        # where firmware put the root tables
    re.compile(r"^INFO acpi: \w{4} 0x[0-9a-f]+ len "),   # each table's address
    re.compile(r"^INFO acpi: DMAR present at "),         # the DMAR's address
    re.compile(r"^INFO mem: kernel 0x"),                 # Sluice's own image and allocator
    re.compile(r"\(hpa chosen by Sluice\)"),             # memory the allocator picked
)


def without_cpu(line):
    return CPU_RE.sub("", line, count=1)


def boot_lines(lines):
    """The boot log's lines sluice-check is compared on."""
    out = []
    for raw in lines:
        line = without_cpu(raw.rstrip())
        m = LINE_RE.match(line)
        if not m:
            continue
        if m.group(2) not in SUBSYSTEMS and not PART_RE.match(line):
            continue
        if any(r.search(line) for r in UNKNOWABLE):
            continue
        out.append(line)
    return out


def checker_lines(text):
    """sluice-check's stdout on the same rule (its own "sluice-check:" lines
    and lines such as the ATS verdicts, which need the remapping unit's
    registers, are not compared)."""
    return boot_lines(text.splitlines())


def differences(boot, checker, limit=20):
    """-> one text line per difference (empty: they agree), at most limit."""
    probs = []
    i = 0
    for i, (a, b) in enumerate(zip(boot, checker)):
        if a != b:
            probs.append(f"line {i + 1}: boot    {a}")
            probs.append(f"line {i + 1}: checker {b}")
            if len(probs) >= limit:
                return probs
    n = min(len(boot), len(checker))
    for a in boot[n:n + limit]:
        probs.append(f"only in the boot: {a}")
    for b in checker[n:n + limit]:
        probs.append(f"only in sluice-check: {b}")
    return probs[:limit]


def parse_capture_file(text):
    """A scenario's `capture` file: the fixture's name, then sluice-check
    options, on the first line that is not a comment. -> (name, [options])."""
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words = line.split()
            return words[0], words[1:]
    raise ValueError("empty capture file: want a fixture name")


def run_checker(capture_dir, config, cmdline_words, options, modules=()):
    """-> (exit status, stdout, stderr) of tools/sluice-check. modules:
    [(name, path)], the scenario's boot modules (its guests' images)."""
    cmd = [CHECKER, capture_dir, config, "--cmdline", " ".join(cmdline_words)] + options
    for name, path in modules:
        cmd += ["--module", f"{name}={path}"]
    r = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, errors="replace")
    return r.returncode, r.stdout, r.stderr
