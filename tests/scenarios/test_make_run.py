"""`make run`, as a new user meets it (issue 20): with no arguments it boots
the flagship machine with the operator console on the terminal. The test
is that user: it runs `make run` with its terminal on pipes, waits for the
partitions' verdicts, types at the console (a wrong command, lspci, a walk,
quit) and reads the answers, the result line and make's last word."""
import os
import re
import subprocess

from conftest import ROOT
from terminal import Terminal

BOOT_TIMEOUT = 300      # seconds for the flagship to reach its verdicts under TCG on a loaded machine


def make_run():
    """make run with its terminal on pipes -> (process, Terminal)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    p = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)

    def write(b):
        p.stdin.write(b)
        p.stdin.flush()
    return p, Terminal(p.stdout, write)


def test_make_run_shows_the_flagship_and_leaves_a_console():
    p, t = make_run()
    try:
        t.wait_for(r"hv: ready, 3 partition\(s\) running", BOOT_TIMEOUT)
        for name in ("a", "b", "r"):
            t.wait_for(rf"story: verdict {name}: exited \(code 0\), its checks \d+ passed, 0 failed", BOOT_TIMEOUT)
        t.wait_for(r"hv: every partition has ended; the console stays until quit", 60)
        t.converse([
            ("frob", r"WARN console: unknown command 'frob'"),
            ("lspci", r"console: lspci: 01:00\.0 Non-Volatile memory controller \[0108\]: Device \[1b36:0010\]$"),
        ])
        for answer in (r"console: lspci: \tCapabilities: \[\w+\] Single Root I/O Virtualization \(SR-IOV\): "
                       r"Enable\+, Initial VFs: 2, Total VFs: 2, Number of VFs: 2$",
                       r"console: lspci: 02:00\.0 Ethernet controller \[0200\]", r"console: lspci: \tPartition: r$",
                       r"console: lspci: 01:00\.1 Non-Volatile memory controller",
                       r"console: lspci: \tPhysical function: 01:00\.0, Virtual Function 1$",
                       r"console: lspci: \tPartition: a$"):
            t.wait_for(answer, 30)
        # b has ended: Sluice took its memory out of the IOMMU, so EP2's walk now ends in a fault.
        t.converse([
            ("walk 00:04.0 0x10000000 w", r"walk:   -> fault reason 0x05 "),
            ("quit", r"^sluice: result pass=\d+ fail=0$"),
        ], timeout=60)
        t.wait_for(r"^make run: every check passed \(log: build/run/serial\.txt\)$", 60)
        assert p.wait(timeout=60) == 0
        story = [l for l in t.lines if re.search(r"INFO story: stage \d", l)]
        assert [re.search(r"stage (\d)", l).group(1) for l in story] == ["0", "1", "2", "3"], story
        with open(os.path.join(ROOT, "build", "run", "serial.txt"), encoding="utf-8", errors="replace") as f:
            kept = f.read()
        assert "console: > walk 00:04.0 0x10000000 w" in kept
    finally:
        if p.poll() is None:
            os.killpg(p.pid, 9)
        p.wait()
