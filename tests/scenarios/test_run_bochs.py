"""tools/run-bochs as the harness and an operator call it, without booting:
--dry-run prints the bochsrc, so the machine a scenario's bochs.args asks
for can be read back, and bad machine options end with status 2 and one
line naming their source."""
import os
import re
import subprocess
import sys
import time

import pytest

from conftest import ROOT


def run_bochs(tmp_path, *args, bochs_args=None):
    image = tmp_path / "img"
    image.mkdir(exist_ok=True)
    (image / "sluice.iso").write_bytes(b"")
    cmd = [os.path.join(ROOT, "tools", "run-bochs"), "--image", str(image), "--dry-run", *args]
    if bochs_args is not None:
        sdir = tmp_path / "scenario"
        sdir.mkdir(exist_ok=True)
        (sdir / "bochs.args").write_text(bochs_args)
        cmd += ["--scenario", str(sdir)]
    return subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True)


def test_default_machine_is_one_skylake_without_pci_devices(tmp_path):
    r = run_bochs(tmp_path)
    assert r.returncode == 0, r.stderr
    assert "cpu: model=corei7_skylake_x, count=1," in r.stdout
    assert "megs: 256\n" in r.stdout
    assert "e1000" not in r.stdout and "pci:" not in r.stdout


def test_bochs_args_give_the_machine(tmp_path):
    r = run_bochs(tmp_path, bochs_args="# three CPUs and a NIC\n--cpus 3 --megs 512\n--e1000\n")
    assert r.returncode == 0, r.stderr
    assert "cpu: model=corei7_skylake_x, count=3," in r.stdout
    assert "megs: 512\n" in r.stdout
    assert "pci: enabled=1, chipset=i440fx, slot1=e1000\n" in r.stdout
    assert "e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=null\n" in r.stdout


def test_command_line_wins_over_bochs_args(tmp_path):
    r = run_bochs(tmp_path, "--cpus", "2", "--model", "p4_prescott_celeron_336",
                  bochs_args="--cpus 4 --model tigerlake\n")
    assert r.returncode == 0, r.stderr
    assert "cpu: model=p4_prescott_celeron_336, count=2," in r.stdout


@pytest.mark.parametrize("value, why", [
    ("0", "0 is out of range: Bochs runs 1 to 15 CPUs"),
    ("16", "16 is out of range: Bochs runs 1 to 15 CPUs"),
    ("three", "'three' is not a whole number"),
])
def test_bad_cpu_count_is_refused(tmp_path, value, why):
    r = run_bochs(tmp_path, "--cpus", value)
    assert r.returncode == 2 and why in r.stderr and r.stdout == ""


def test_bad_bochs_args_name_their_file(tmp_path):
    r = run_bochs(tmp_path, bochs_args="--cpus 99\n")
    assert r.returncode == 2
    assert "bochs.args: argument --cpus: 99 is out of range" in r.stderr
    r = run_bochs(tmp_path, bochs_args="--serial x\n")
    assert r.returncode == 2 and "bochs.args: unrecognized arguments: --serial x" in r.stderr


def test_unknown_cpu_model_is_refused(tmp_path):
    r = run_bochs(tmp_path, "--model", "pentium_pro")
    assert r.returncode == 2 and "invalid choice: 'pentium_pro'" in r.stderr


def test_iso_boots_that_file_instead_of_the_image_dir(tmp_path):
    iso = tmp_path / "bare" / "multiboot.iso"
    iso.parent.mkdir()
    iso.write_bytes(b"")
    r = subprocess.run([os.path.join(ROOT, "tools", "run-bochs"), "--iso", str(iso), "--dry-run"],
                       cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f'path="{iso}"' in r.stdout
    assert f'dev="{tmp_path / "bare" / "serial-bochs.txt"}"' in r.stdout


@pytest.mark.parametrize("args, why", [
    (["--iso", "x.iso"], "not allowed with argument --image"),
    (["--until", "("], "--until '(': bad regex"),
    (["--until-log", "[x"], "--until-log '[x': bad regex"),
    (["--idle-timeout", "0"], "--idle-timeout must be positive"),
])
def test_bad_stop_options_are_refused(tmp_path, args, why):
    r = run_bochs(tmp_path, *args)
    assert r.returncode == 2 and why in r.stderr


# ---- when run-bochs stops Bochs (watch), with a stand-in for Bochs ----------------

def _run_bochs_module():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import toolmod
    return toolmod.load("run-bochs")


class Running:
    """A process that never ends by itself."""
    def wait(self, timeout=None):
        time.sleep(timeout or 0)
        raise subprocess.TimeoutExpired("bochs", timeout)


@pytest.mark.parametrize("serial_text, deadline, want", [
    (b"PASS: xadd\r\n--- DONE: 0 ---\r\n", 5, (0, "serial matched /^--- DONE: \\d+ ---$/: stopped")),
    # A line that only contains the end line does not end the run.
    (b"--- DONE: 0 --- and more\r\n", 0.5, (124, "timed out")),
])
def test_watch_stops_at_the_until_line_only(tmp_path, serial_text, deadline, want):
    rb = _run_bochs_module()
    serial = tmp_path / "serial.txt"
    serial.write_bytes(serial_text)
    got = rb.watch(Running(), str(serial), time.monotonic() + deadline,
                   re.compile(r"^--- DONE: \d+ ---$"))
    assert got == want


def test_watch_stops_when_the_serial_file_stays_quiet(tmp_path):
    rb = _run_bochs_module()
    serial = tmp_path / "serial.txt"
    serial.write_bytes(b"enabling apic\r\n")
    t0 = time.monotonic()
    status, why = rb.watch(Running(), str(serial), t0 + 10, None, 0.5)
    assert status == 124 and why == "no serial output for 0.5 s: stopped"
    assert time.monotonic() - t0 < 5


def test_watch_returns_bochs_own_status():
    rb = _run_bochs_module()

    class Ended:
        def wait(self, timeout=None):
            return 1
    assert rb.watch(Ended(), "/nonexistent", time.monotonic() + 5) == (1, None)


def test_watch_stops_at_a_line_of_bochs_log(tmp_path):
    rb = _run_bochs_module()
    serial, log = tmp_path / "serial.txt", tmp_path / "bochs.log"
    serial.write_bytes(b"enabling apic\r\n")
    log.write_text("00420780518i[CPU0  ] WRMSR: MSR_APICBASE APIC global enable bit cleared !\n")
    got = rb.watch(Running(), str(serial), time.monotonic() + 5, re.compile("^DONE$"), None,
                   str(log), re.compile("global enable bit cleared"))
    assert got == (0, "Bochs' log matched /global enable bit cleared/: stopped")
