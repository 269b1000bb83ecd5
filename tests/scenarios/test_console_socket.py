"""The operator console over QEMU's serial port on a Unix socket, typed at
by this test the way an operator types: each command after the answer to
the one before, while the partitions run (the scenario console-partitions
types a whole script ahead instead). The machine is console-partitions':
p1 echoes what its COM1 receives, p2 spins."""
import os
import socket
import subprocess
import time

from conftest import BUILD, ROOT
from terminal import Terminal

SCENARIO = os.path.join(ROOT, "tests", "scenarios", "console-partitions")


def scenario_lines(name):
    with open(os.path.join(SCENARIO, name), encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def connect(path, qemu, timeout=60):
    end = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if qemu.poll() is not None or time.monotonic() > end:
                raise AssertionError(f"QEMU's serial socket {path} never answered (QEMU status {qemu.poll()})")
            time.sleep(0.1)


def test_console_answers_while_partitions_run(tmp_path):
    image = tmp_path / "image"
    cmd = [os.path.join(ROOT, "tools", "mkimage"), "--kernel", os.path.join(BUILD, "sluice.elf"),
           "--efi", os.path.join(BUILD, "BOOTX64.EFI"), "--config", os.path.join(SCENARIO, "sluice.conf"),
           "--out", str(image), "--cmdline=console=on exit=qemu"]
    for m in scenario_lines("modules"):
        cmd += ["--module", m]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    sock, serial = str(tmp_path / "serial.sock"), str(tmp_path / "serial.txt")
    qemu = subprocess.Popen([os.path.join(ROOT, "tools", "run-qemu"), "--image", str(image), "--firmware", "bios",
                             "--scenario", SCENARIO, "--serial", serial, "--serial-socket", sock,
                             "--timeout", "240"], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s = connect(sock, qemu)
    try:
        t = Terminal(s.makefile("rb"), s.sendall)
        t.wait_for(r"console: ready: type help", 120)
        t.converse([
            ("partitions", r"map: partition name=p2 state=running cpus=2 "),
            ("park p3", r"WARN console: no partition named 'p3' \(partitions lists them\)"),
            ("park p2", r"c2 WARN p2: parked: parked by the operator \(console park\)"),
            ("partitions", r"map: partition name=p2 state=parked "),
            # Attached, a line goes to p1's guest, which echoes it; Ctrl-] (0x1d) comes back.
            ("console p1", r"console: attached to p1's COM1"),
            ("over the socket", r"INFO p1: echo: got 'over the socket'"),
            (b"\x1d", r"console: back from p1's COM1 \(Ctrl-\]\)"),
            ("walk 00:03.0 0x1000 r", r"walk:   -> hpa 0x[0-9a-f]{16} \(2M page, rw\)"),
            ("quit", r"part: p1: stopped: stopped by the operator \(console quit\)"),
        ])
        t.wait_for(r"^sluice: result pass=\d+ fail=0$", 60)
        assert qemu.wait(timeout=60) == 33
    finally:
        s.close()
        if qemu.poll() is None:
            qemu.kill()
        qemu.wait()
    with open(serial, encoding="utf-8", errors="replace") as f:
        assert "console: > park p2" in f.read(), "the serial log keeps a copy of the session"
