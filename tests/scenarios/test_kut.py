"""kvm-unit-tests bare and in partitions, on both back ends (issue 17).

One test per (kernel, leg), named test_kut[NAME-LEG] with LEG one of
bare-qemu, svm, bare-bochs, vmx; the rules are in kut.py. The runs behind
them happen once each, when the first test needs them:

  bare-qemu   one QEMU per kernel (the suite's command line)
  bare-bochs  one Bochs per kernel: tools/mkimage --multiboot, then
              tools/run-bochs stopped at the test's end line or after
              kut.BOCHS_BARE_IDLE_S seconds without serial output
  bare-qemu-intel  only for a VMX leg that did not pass where bare Bochs
              could not run the kernel: bare QEMU again, with an Intel CPU
  svm, vmx    one Sluice boot per kut.boot_groups() group: three kernels as
              one-CPU partitions at once (QEMU -smp 4; Bochs --cpus 4), each
              with a time-limit so a stuck kernel ends its partition

Logs stay in build/kut/ (LEG/NAME/ for bare runs, LEG-N/ for Sluice
boots); build/kut/table.md gets the table test | bare QEMU | SVM partition
| bare Bochs | VMX partition and the partitions' exits by reason, which
pytest's summary prints too. Without the suite's folder every test skips
saying where it looked (kut.suite_dir).

  make
  SLUICE_FIRMWARE=bios /usr/bin/python3 -m pytest -q tests/scenarios/test_kut.py -k tsc
"""
import os
import shutil
import subprocess
import time

import pytest

import kut
from conftest import BOOTS, BUILD, ROOT, log_lines, selected_firmwares

OUT = os.path.join(BUILD, "kut")
TOOLS = os.path.join(ROOT, "tools")
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
GRACE = 60                   # seconds past a runner's own timeout before we give up on it
BARE_QEMU_TIMEOUT = {"sieve": 300}
BARE_QEMU_DEFAULT_TIMEOUT = 60
BARE_BOCHS_TIMEOUT = 120


def _read_lines(path):
    try:
        with open(path, "rb") as f:
            return log_lines(f.read())
    except FileNotFoundError:
        return []


def _run(cmd, timeout):
    """-> (status, output); status 124 when the runner itself did not return."""
    try:
        r = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace",
                           timeout=timeout + GRACE)
        return r.returncode, r.stdout
    except subprocess.TimeoutExpired as e:
        out = e.output.decode(errors="replace") if isinstance(e.output, bytes) else (e.output or "")
        return kut.QEMU_TIMEOUT_STATUS, out + f"\n{cmd[0]} did not return within {timeout + GRACE} s"


def _fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def _record(what, where, seconds, ok):
    BOOTS.append((what, where, seconds, "pass" if ok else "FAIL"))


def _flat(name):
    return os.path.join(kut.suite_dir()[0], f"{name}.flat")


# ---- the runs ---------------------------------------------------------------

def _env_file():
    """The kernels' environment module (kut.ENV_TEXT), written once under build/kut."""
    path = os.path.join(OUT, "env.txt")
    os.makedirs(OUT, exist_ok=True)
    with open(path, "w") as f:
        f.write(kut.ENV_TEXT)
    return path


def run_bare_qemu(name, leg_name="bare-qemu"):
    d = _fresh(os.path.join(OUT, leg_name, name))
    serial = os.path.join(d, "serial.txt")
    timeout = BARE_QEMU_TIMEOUT.get(name, BARE_QEMU_DEFAULT_TIMEOUT)
    args = kut.QEMU_BARE_INTEL_ARGS if leg_name == kut.INTEL_REF else kut.QEMU_BARE_ARGS
    cmd = ["timeout", "--kill-after=5", str(timeout), QEMU] + args + [
        "-serial", f"file:{serial}", "-kernel", _flat(name), "-initrd", _env_file()]
    t0 = time.monotonic()
    status, out = _run(cmd, timeout)
    with open(os.path.join(d, "runner.txt"), "w") as f:
        f.write(" ".join(cmd) + "\n" + out)
    leg = kut.parse_bare_qemu(status, _read_lines(serial))
    _record(f"kut bare {name}", "qemu" if leg_name == "bare-qemu" else "qemu-intel",
            time.monotonic() - t0, leg.passed)
    return leg


def run_bare_bochs(name):
    d = _fresh(os.path.join(OUT, "bare-bochs", name))
    r = subprocess.run([os.path.join(TOOLS, "mkimage"), "--multiboot", _flat(name), "--out", d],
                       cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, errors="replace")
    if r.returncode != 0:
        return kut.Leg(end=f"tools/mkimage --multiboot failed ({r.returncode}): {r.stdout.strip()}")
    serial, log = os.path.join(d, "serial.txt"), os.path.join(d, "bochs.log")
    cmd = [os.path.join(TOOLS, "run-bochs"), "--iso", os.path.join(d, "multiboot.iso"),
           "--serial", serial, "--log", log, "--timeout", str(BARE_BOCHS_TIMEOUT),
           "--until", kut.BOCHS_BARE_END_RE, "--until-log", kut.BOCHS_BARE_BLOCK_RE,
           "--idle-timeout", str(kut.BOCHS_BARE_IDLE_S)]
    t0 = time.monotonic()
    status, out = _run(cmd, BARE_BOCHS_TIMEOUT)
    with open(os.path.join(d, "runner.txt"), "w") as f:
        f.write(out)
    leg = kut.parse_bare_bochs(status, _read_lines(serial), _read_lines(log))
    _record(f"kut bare {name}", "bochs", time.monotonic() - t0, leg.passed or bool(leg.blocked))
    return leg


def run_sluice(leg_name, index, names):
    """One Sluice boot of the group names[]; -> {name: Leg}."""
    bochs = leg_name == "vmx"
    d = _fresh(os.path.join(OUT, f"{leg_name}-{index}"))
    with open(os.path.join(d, "sluice.conf"), "w") as f:
        f.write(kut.sluice_conf(names, bochs))
    # The machine: CPU 0 for Sluice and one CPU per partition.
    cpus = len(names) + 1
    with open(os.path.join(d, "qemu.args"), "w") as f:
        f.write(f"-cpu max -smp {cpus} -m {kut.machine_mb(names)} -nic none\n")
    with open(os.path.join(d, "bochs.args"), "w") as f:
        f.write(f"--cpus {cpus} --megs {kut.machine_mb(names)}\n")
    kernel = os.environ.get("SLUICE_KERNEL") or os.path.join(BUILD, "sluice.elf")
    efi = os.environ.get("SLUICE_EFI") or os.path.join(BUILD, "BOOTX64.EFI")
    image = os.path.join(d, "image")
    cmd = [os.path.join(TOOLS, "mkimage"), "--config", os.path.join(d, "sluice.conf"),
           "--kernel", kernel, "--efi", efi, "--out", image,
           f"--cmdline=exit={'bochs' if bochs else 'qemu'}"]
    for n in names:
        cmd += ["--module", f"{n}={_flat(n)}"]
    cmd += ["--module", f"{kut.ENV_NAME}={_env_file()}"]
    r = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, errors="replace")
    if r.returncode != 0:
        why = f"tools/mkimage failed ({r.returncode}): {r.stdout.strip()}"
        return {n: kut.Leg(end=why) for n in names}
    serial = os.path.join(d, "serial.txt")
    timeout = kut.boot_timeout(names, bochs)
    if bochs:
        cmd = [os.path.join(TOOLS, "run-bochs"), "--image", image, "--scenario", d,
               "--serial", serial, "--timeout", str(timeout), "--log", os.path.join(d, "bochs.log")]
    else:
        cmd = [os.path.join(TOOLS, "run-qemu"), "--image", image, "--firmware", "bios",
               "--scenario", d, "--serial", serial, "--timeout", str(timeout)]
    t0 = time.monotonic()
    status, out = _run(cmd, timeout)
    with open(os.path.join(d, "runner.txt"), "w") as f:
        f.write(out)
    lines = _read_lines(serial)
    legs = {n: kut.parse_partition(lines, n, status) for n in names}
    _record(f"kut {leg_name} {'+'.join(names)}", "bochs" if bochs else "bios",
            time.monotonic() - t0, all(l.passed for l in legs.values()))
    return legs


# ---- results, run on demand ---------------------------------------------------

def _unavailable(name, leg_name):
    """Why this leg cannot run here, or None."""
    folder, how = kut.suite_dir()
    why = kut.missing_reason(folder, how, name)
    if why:
        return why
    only = selected_firmwares()
    if only is not None:
        if leg_name in ("bare-bochs", "vmx") and "bochs" not in only:
            return "SLUICE_FIRMWARE leaves Bochs out"
        if leg_name in ("bare-qemu", "svm") and "bios" not in only:
            return "SLUICE_FIRMWARE leaves out bios, the QEMU path these boots use"
    if leg_name in ("svm", "vmx"):
        kernel = os.environ.get("SLUICE_KERNEL") or os.path.join(BUILD, "sluice.elf")
        if not os.path.isfile(kernel):
            pytest.fail(f"kernel {kernel} is missing: run `make` first", pytrace=False)
    return None


def leg_result(name, leg_name):
    """The Leg of one kernel on one leg, running what it needs once."""
    legs = kut.RESULTS.setdefault(name, {})
    if leg_name in legs:
        return legs[leg_name]
    why = _unavailable(name, leg_name)
    if why:
        legs[leg_name] = kut.Leg(ran=False, note=why)
    elif leg_name in ("bare-qemu", kut.INTEL_REF):
        legs[leg_name] = run_bare_qemu(name, leg_name)
    elif leg_name == "bare-bochs":
        legs[leg_name] = run_bare_bochs(name)
    else:
        for i, group in enumerate(kut.boot_groups(), 1):
            if name in group:
                for n, leg in run_sluice(leg_name, i, group).items():
                    kut.RESULTS.setdefault(n, {})[leg_name] = leg
    kut.write_table()
    return legs[leg_name]


# The legs each leg is judged against (kut.reference_for).
NEEDS = {"bare-qemu": (), "bare-bochs": (), "svm": ("bare-qemu",),
         "vmx": ("bare-qemu", "bare-bochs")}


@pytest.mark.parametrize("name,leg_name", [(t.name, l) for t in kut.TESTS for l in kut.LEGS],
                         ids=[f"{t.name}-{l}" for t in kut.TESTS for l in kut.LEGS])
def test_kut(name, leg_name):
    for dep in NEEDS[leg_name]:
        leg_result(name, dep)
    leg = leg_result(name, leg_name)
    if leg_name == "vmx" and kut.needs_intel_reference(kut.RESULTS[name]):
        leg_result(name, kut.INTEL_REF)
    j = kut.judge(name, leg_name, kut.RESULTS[name])
    kut.write_table()
    if j.outcome == "skip":
        pytest.skip(j.why)
    if j.outcome == "FAIL":
        tail = "\n".join(f"  | {l}" for l in leg.tail) or "  (no lines)"
        pytest.fail(f"{j.why}\nlast lines of the run:\n{tail}", pytrace=False)
