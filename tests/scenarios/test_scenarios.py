"""Boot every scenario in tests/scenarios/*/ on each of its firmware paths.

The rules (what a scenario directory holds, what makes a boot pass, the
SLUICE_* environment variables) are in conftest.py. This file is the
procedure for one boot: build the scenario's image once (tools/mkimage),
boot it (tools/run-qemu or tools/run-bochs), judge the serial log.

  make                                          # build/sluice.elf and build/BOOTX64.EFI
  /usr/bin/python3 -m pytest -q tests/scenarios
  SLUICE_FIRMWARE=bios /usr/bin/python3 -m pytest -q tests/scenarios -k smp4
"""
import os
import subprocess
import time

import pytest

from conftest import (BUILD, ROOT, failure_message, judge, log_lines, scenario_procedure)

TOOLS = os.path.join(ROOT, "tools")
RUNNER_GRACE = 60            # seconds past the boot timeout before we give up on a runner

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
    build/scenarios/NAME/, "bochs" (exit=bochs) to build/scenarios/NAME/bochs/."""
    key = (s.name, variant)
    if key not in _images:
        kernel, efi = _kernel_inputs()
        out = s.out_dir() if variant == "qemu" else os.path.join(s.out_dir(), "bochs")
        words = s.cmdline + [f"exit={variant}"]
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


@scenario_procedure
def boot_scenario(case, item):
    if case.error:
        pytest.fail(f"{case.id}: {case.error}", pytrace=False)
    s, fw = case.scenario, case.firmware
    serial = os.path.join(s.out_dir(), f"serial-{fw}.txt")
    if fw == "bochs":
        image = image_for(s, "bochs")
        cmd = [os.path.join(TOOLS, "run-bochs"), "--image", image, "--serial", serial,
               "--timeout", f"{s.timeout:g}", "--log", os.path.join(s.out_dir(), "bochs.log")]
    else:
        image = image_for(s, "qemu")
        cmd = [os.path.join(TOOLS, "run-qemu"), "--image", image, "--firmware", fw,
               "--scenario", s.dir, "--serial", serial, "--timeout", f"{s.timeout:g}"]

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
