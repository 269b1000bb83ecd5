"""The reference Linux boot of issue 18: the kernel and initramfs of
`make linux` booted directly by QEMU (tools/run-qemu --kernel, no Sluice)
on the NVMe SR-IOV machine of tests/linux/direct/qemu.args, judged by the
one verdict line of tests/guests/linux/init (docs/testing.md), which the
init writes into the kernel log: it reaches the serial port behind a
timestamp, "[    5.604845] sluice-linux: PASS tag=direct ...".

  make linux
  /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/linux

The boot passes when the verdict is PASS for its tag, it names one NVMe
controller and one namespace, its sha256 is the one of the pattern this
file computes for the tag, its pci= count agrees with the pci lines and
those list the PF, and QEMU ends by itself with status 0 (the init's
poweroff). The serial log stays at build/linux/direct/serial.txt; the time
to the verdict is printed and written to build/linux/direct/boot.txt.
"""
import hashlib
import os
import re
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LINUX = os.path.join(ROOT, "build", "linux")
OUT = os.path.join(LINUX, "direct")
MACHINE = os.path.join(HERE, "direct")
TAG = "direct"
APPEND = f"console=ttyS0 panic=-1 printk.devkmsg=on sluice.tag={TAG}"
TIMEOUT = 180.0              # seconds for the whole boot; about 10 s on an idle machine
RUNNER_GRACE = 30
POLL = 0.1
PATTERN_SIZE = 1 << 20
NVME_PF = ("0000:01:00.0", "1b36:0010", "010802")    # QEMU's nvme, class NVM Express

LINE_RE = re.compile(r"sluice-linux: (PASS|FAIL) tag=(\S+)\s*(.*)$")
PCI_RE = re.compile(r"sluice-linux: pci (\S+) ([0-9a-f]{4}:[0-9a-f]{4}) class ([0-9a-f]{6})$")
UPTIME_RE = re.compile(r"sluice-linux: init reached: .* up ([0-9.]+) s")
KTIME_RE = re.compile(r"^\[ *([0-9]+\.[0-9]+)\] sluice-linux: (PASS|FAIL) ")   # the kernel log's time


def pattern_sha256(tag):
    """The init's pattern: "sluice-linux tag=TAG\\n" repeated, cut at 1 MiB."""
    line = f"sluice-linux tag={tag}\n".encode()
    return hashlib.sha256((line * (PATTERN_SIZE // len(line) + 1))[:PATTERN_SIZE]).hexdigest()


def serial_lines(data):
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def verdicts(lines):
    """-> [(PASS|FAIL, tag, rest)] of every verdict line."""
    return [m.groups() for m in (LINE_RE.search(l) for l in lines) if m]


def judge(lines, tag, ctrls=1, namespaces=1, status=0):
    """-> a list of problems (empty: the boot passed). status: QEMU's exit
    status, 124 for a timeout."""
    problems = []
    found = verdicts(lines)
    if len(found) != 1:
        problems.append(f"want exactly one verdict line, found {len(found)}")
    for result, got_tag, rest in found:
        if result != "PASS":
            problems.append(f"verdict FAIL: {rest}")
            continue
        if got_tag != tag:
            problems.append(f"verdict for tag {got_tag}, booted with {tag}")
        fields = dict(w.split("=", 1) for w in rest.split() if "=" in w)
        pci = [m.groups() for m in (PCI_RE.search(l) for l in lines) if m]
        want = {"ctrls": str(ctrls), "namespaces": str(namespaces), "pci": str(len(pci)),
                "sha256": pattern_sha256(tag)}
        for k, v in want.items():
            if fields.get(k) != v:
                problems.append(f"verdict {k}={fields.get(k)}, want {v}")
        if NVME_PF not in pci:
            problems.append(f"no pci line for the NVMe PF {' '.join(NVME_PF)}")
    if status == 124:
        problems.append("QEMU did not end before the timeout (no poweroff)")
    elif status != 0:
        problems.append(f"QEMU exited with status {status}, want 0 (the init's poweroff)")
    return problems


def read_lines(path):
    try:
        with open(path, "rb") as f:
            return serial_lines(f.read())
    except FileNotFoundError:
        return []


def boot(serial):
    """Boot and watch the serial log. -> (status, runner output, seconds to
    the verdict line or None, seconds to QEMU's end)."""
    kernel = os.path.join(LINUX, "vmlinuz")
    initrd = os.path.join(LINUX, "initramfs.cpio.gz")
    for path in (kernel, initrd):
        if not os.path.isfile(path):
            pytest.fail(f"{path} is missing: run `make linux` first", pytrace=False)
    os.makedirs(OUT, exist_ok=True)
    if os.path.lexists(serial):
        os.unlink(serial)
    cmd = [os.path.join(ROOT, "tools", "run-qemu"), "--kernel", kernel, "--initrd", initrd,
           "--append", APPEND, "--scenario", MACHINE, "--serial", serial,
           "--timeout", f"{TIMEOUT:g}"]
    out_path = os.path.join(OUT, "runner.txt")
    t0 = time.monotonic()
    seen = None
    with open(out_path, "w") as out:
        p = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT)
        try:
            while p.poll() is None and time.monotonic() - t0 < TIMEOUT + RUNNER_GRACE:
                if seen is None and verdicts(read_lines(serial)):
                    seen = time.monotonic() - t0
                time.sleep(POLL)
            if p.poll() is None:
                p.terminate()        # run-qemu stops QEMU's process group
            status = p.wait(RUNNER_GRACE)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    ended = time.monotonic() - t0
    if seen is None and verdicts(read_lines(serial)):
        seen = ended
    with open(out_path, errors="replace") as f:
        return status, f.read(), seen, ended


def test_linux_boots_directly_and_passes_its_nvme_check(capsys):
    serial = os.path.join(OUT, "serial.txt")
    status, output, seen, ended = boot(serial)
    lines = read_lines(serial)
    uptime = next((m.group(1) for m in (UPTIME_RE.search(l) for l in lines) if m), "?")
    ktime = next((m.group(1) for m in (KTIME_RE.search(l) for l in lines) if m), "?")
    summary = (f"linux direct: verdict after {seen:.1f} s, " if seen is not None else
               "linux direct: no verdict, ") + \
              f"init reached at {uptime} s and the verdict at {ktime} s of kernel time, " \
              f"QEMU ended after {ended:.1f} s"
    with open(os.path.join(OUT, "boot.txt"), "w") as f:
        f.write(summary + "\n")
    with capsys.disabled():
        print(f"\n{summary}")
    problems = judge(lines, TAG, status=status)
    if problems:
        tail = "\n".join(lines[-40:])
        pytest.fail("\n".join(problems) + f"\n--- {os.path.relpath(serial, ROOT)} (end) ---\n"
                    f"{tail}\n--- tools/run-qemu ---\n{output.rstrip()}", pytrace=False)


# ---- the judge itself, on made-up logs ------------------------------------

def _log(verdict, pci=("0000:00:00.0 8086:29c0 class 060000",
                       "0000:01:00.0 1b36:0010 class 010802")):
    return [f"sluice-linux: pci {p}" for p in pci] + [verdict, "reboot: Power down"]


def _pass(tag="t", ctrls=1, ns=1, pci=2, sha=None):
    return (f"sluice-linux: PASS tag={tag} ctrls={ctrls} namespaces={ns} pci={pci} "
            f"sha256={sha or pattern_sha256(tag)}")


def test_judge_passes_a_good_log():
    assert judge(_log(_pass()), "t") == []


def test_pattern_sha256_is_the_one_busybox_computes_for_tag_direct():
    # `yes "sluice-linux tag=direct" | head -c 1048576 | sha256sum`
    assert pattern_sha256("direct") == \
        "ec049de09f4f457402d638890ac5de08271d9795601c14739ec0822cb448d55e"


@pytest.mark.parametrize("log,tag,status,want", [
    (_log("sluice-linux: FAIL tag=t no /dev/nvme0n1"), "t", 0, "verdict FAIL: no /dev/nvme0n1"),
    (_log(_pass()) + [_pass()], "t", 0, "want exactly one verdict line, found 2"),
    (_log("nothing"), "t", 124, "want exactly one verdict line, found 0"),
    (_log(_pass()), "t", 124, "QEMU did not end before the timeout (no poweroff)"),
    (_log(_pass()), "t", 1, "QEMU exited with status 1, want 0 (the init's poweroff)"),
    (_log(_pass(tag="u")), "t", 0, "verdict for tag u, booted with t"),
    (_log(_pass(sha="0" * 64)), "t", 0, f"verdict sha256={'0' * 64}, want {pattern_sha256('t')}"),
    (_log(_pass(ns=2)), "t", 0, "verdict namespaces=2, want 1"),
    (_log(_pass(ctrls=2)), "t", 0, "verdict ctrls=2, want 1"),
    (_log(_pass(pci=3)), "t", 0, "verdict pci=3, want 2"),
    (_log(_pass(pci=1), pci=("0000:00:00.0 8086:29c0 class 060000",)), "t", 0,
     "no pci line for the NVMe PF 0000:01:00.0 1b36:0010 010802"),
])
def test_judge_names_what_is_wrong(log, tag, status, want):
    assert want in judge(log, tag, status=status)
