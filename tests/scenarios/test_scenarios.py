"""Boot every scenario in tests/scenarios/*/ on each of its firmware paths.

The rules (what a scenario directory holds, what makes a boot pass, the
SLUICE_* environment variables) are in conftest.py. This file is the
procedure for one boot: build the scenario's image once (tools/mkimage),
boot it (tools/run-qemu or tools/run-bochs, each given the scenario
directory for its qemu.args or bochs.args), judge the serial log. A
pending scenario (file `pending`) is skipped unless SLUICE_PENDING=1. An oracle
scenario's boot (conftest.py, file `oracle`) runs tools/run-qemu --qmp in the
background, asks QEMU over QMP once the result line is in the serial log
(pci_oracle.fetch, which ends with quit), then judges log and answer.

  make                                          # build/sluice.elf and build/BOOTX64.EFI
  /usr/bin/python3 -m pytest -q tests/scenarios
  SLUICE_FIRMWARE=bios /usr/bin/python3 -m pytest -q tests/scenarios -k smp4
"""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import (BUILD, CAPTURES, RESULT_RE, ROOT, TIMEOUT_STATUS, failure_message, judge,
                      log_lines, pending_wanted, scenario_procedure)
from pci_oracle import OracleData, fetch
import sluice_check_agree

TOOLS = os.path.join(ROOT, "tools")
RUNNER_GRACE = 60            # seconds past the boot timeout before we give up on a runner
POLL = 0.1                   # seconds between looks at the serial log (oracle boots)
QMP_MIN_TIME = 20            # seconds the QMP exchange may take, even near the timeout

_images = {}                 # (scenario name, variant) -> image dir, or the build error


def _kernel_inputs():
    kernel = os.environ.get("SLUICE_KERNEL") or os.path.join(BUILD, "sluice.elf")
    efi = os.environ.get("SLUICE_EFI") or os.path.join(BUILD, "BOOTX64.EFI")
    for what, path in (("kernel", kernel), ("EFI loader", efi)):
        if not os.path.isfile(path):
            pytest.fail(f"{what} {path} is missing: run `make` first", pytrace=False)
    return kernel, efi


def image_for(s, variant):
    """Build the scenario's image once per session. variant "qemu" goes to
    build/scenarios/NAME/, "bochs" (exit=bochs) to build/scenarios/NAME/bochs/.
    An oracle scenario's QEMU image gets exit=halt: QEMU must still be there
    to be asked once the kernel is done."""
    key = (s.name, variant)
    if key not in _images:
        kernel, efi = _kernel_inputs()
        out = s.out_dir() if variant == "qemu" else os.path.join(s.out_dir(), "bochs")
        exit_mode = "halt" if variant == "qemu" and s.oracle else variant
        words = s.cmdline + [f"exit={exit_mode}"]
        cmd = [os.path.join(TOOLS, "mkimage"), "--config", os.path.join(s.dir, "sluice.conf"),
               "--kernel", kernel, "--efi", efi, "--out", out, "--cmdline=" + " ".join(words)]
        for name, path in s.modules:
            cmd += ["--module", f"{name}={path}"]
        r = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace")
        _images[key] = out if r.returncode == 0 else (
            f"tools/mkimage failed with status {r.returncode}:\n{r.stdout.rstrip()}")
    image = _images[key]
    if not os.path.isdir(image):
        pytest.fail(f"{s.name}: image not built: {image}", pytrace=False)
    return image


def _read_lines(serial):
    try:
        with open(serial, "rb") as f:
            return log_lines(f.read())
    except FileNotFoundError:
        return []


def _output(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def _stop(p):
    """Stop run-qemu if it still runs: SIGTERM first, so that it takes QEMU
    (in a session of its own) with it; SIGKILL if it does not go."""
    if p.poll() is not None:
        return
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def oracle_boot(s, fw, image, serial):
    """Boot with a QMP socket, wait for the result line (or QEMU's end, or
    the timeout), ask QEMU and quit. -> (status, runner output, OracleData)."""
    tmp = tempfile.mkdtemp(prefix="sluice-qmp-")   # short: a socket path has ~107 bytes
    sock = os.path.join(tmp, "qmp.sock")
    out_path = os.path.join(tmp, "runner.txt")
    cmd = [os.path.join(TOOLS, "run-qemu"), "--image", image, "--firmware", fw,
           "--scenario", s.dir, "--serial", serial, "--timeout", f"{s.timeout:g}",
           "--qmp", sock]
    if os.path.lexists(serial):
        os.unlink(serial)            # an old log's result line must not count
    try:
        with open(out_path, "w") as out:
            p = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT)
        deadline = time.monotonic() + s.timeout
        seen = False
        try:
            while p.poll() is None and time.monotonic() < deadline:
                if any(RESULT_RE.search(l) for l in _read_lines(serial)):
                    seen = True
                    break
                time.sleep(POLL)
            if seen and p.poll() is None:
                data = fetch(sock, max(deadline - time.monotonic(), QMP_MIN_TIME))
                if not data.quit_sent and p.poll() is None:
                    p.terminate()    # run-qemu stops QEMU's process group, exits 143
            elif seen:
                data = OracleData(error="QEMU ended before the harness could ask it")
            elif p.poll() is None:
                # run-qemu's own timeout (a little later than ours) ends QEMU: 124.
                data = OracleData(error=f"no result line within {s.timeout:g} s; "
                                        "QEMU was not asked")
            else:
                data = OracleData(error="QEMU ended before the result line; it was not asked")
            try:
                status = p.wait(RUNNER_GRACE)
            except subprocess.TimeoutExpired:
                _stop(p)
                status = TIMEOUT_STATUS
        finally:
            _stop(p)
        return status, _output(out_path), data
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def agree_with_checker(s, fw, lines, serial):
    """A scenario with a `capture` file, after a bios boot that passed:
    tools/sluice-check on the capture must print the boot's lines."""
    if not s.capture or fw != "bios":
        return
    name, options = s.capture
    status, out, err = sluice_check_agree.run_checker(
        os.path.join(CAPTURES, name), os.path.join(s.dir, "sluice.conf"), s.cmdline, options, s.modules)
    if status not in (0, 1):
        pytest.fail(f"{s.name}[{fw}]: tools/sluice-check exited {status}: {err.strip()}", pytrace=False)
    diffs = sluice_check_agree.differences(sluice_check_agree.boot_lines(lines),
                                           sluice_check_agree.checker_lines(out))
    if diffs:
        pytest.fail(f"{s.name}[{fw}]: tools/sluice-check on capture {name} disagrees with the boot "
                    f"({os.path.relpath(serial, ROOT)}):\n" + "\n".join(diffs), pytrace=False)


@scenario_procedure
def boot_scenario(case, item):
    if case.error:
        pytest.fail(f"{case.id}: {case.error}", pytrace=False)
    s, fw = case.scenario, case.firmware
    if s.pending and not pending_wanted():
        pytest.skip(f"pending: {s.pending} (SLUICE_PENDING=1 boots it)")
    serial = os.path.join(s.out_dir(), f"serial-{fw}.txt")
    if s.oracle:
        image = image_for(s, "qemu")
        t0 = time.monotonic()
        status, output, data = oracle_boot(s, fw, image, serial)
        seconds = time.monotonic() - t0
        lines = _read_lines(serial)
        verdict = judge(fw, status, lines, s.expects, s.timeout, s.outcome, oracle=data)
        item.record_boot(seconds, "pass" if verdict.ok else "FAIL")
        if not verdict.ok:
            pytest.fail(failure_message(case.id, fw, status, verdict, lines,
                                        os.path.relpath(serial, ROOT), output),
                        pytrace=False)
        agree_with_checker(s, fw, lines, serial)
        return
    if fw == "bochs":
        image = image_for(s, "bochs")
        cmd = [os.path.join(TOOLS, "run-bochs"), "--image", image, "--scenario", s.dir,
               "--serial", serial, "--timeout", f"{s.timeout:g}",
               "--log", os.path.join(s.out_dir(), "bochs.log")]
    else:
        image = image_for(s, "qemu")
        cmd = [os.path.join(TOOLS, "run-qemu"), "--image", image, "--firmware", fw,
               "--scenario", s.dir, "--serial", serial, "--timeout", f"{s.timeout:g}"]
        if s.console:
            cmd += ["--serial-input", s.console]
        if s.serial != "com1":
            cmd += ["--serial-port", s.serial]

    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace",
                           timeout=s.timeout + RUNNER_GRACE)
        status, output = r.returncode, r.stdout
    except subprocess.TimeoutExpired as e:
        status = 124
        output = e.output or ""
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
        output += f"\n{os.path.basename(cmd[0])} did not return within {s.timeout + RUNNER_GRACE:g} s"
    seconds = time.monotonic() - t0

    try:
        with open(serial, "rb") as f:
            lines = log_lines(f.read())
    except FileNotFoundError:
        lines = []
    verdict = judge(fw, status, lines, s.expects, s.timeout, s.outcome)
    item.record_boot(seconds, "pass" if verdict.ok else "FAIL")
    if not verdict.ok:
        pytest.fail(failure_message(case.id, fw, status, verdict, lines,
                                    os.path.relpath(serial, ROOT), output),
                    pytrace=False)
    agree_with_checker(s, fw, lines, serial)
