"""tools/mkimage --multiboot: the GRUB image that runs a test kernel bare
(the kvm-unit-tests' bare Bochs runs, kut.py). Builds ISOs, boots nothing."""
import os
import subprocess

import pytest

from conftest import BUILD, ROOT

MKIMAGE = os.path.join(ROOT, "tools", "mkimage")
MB1_KERNEL = os.path.join(BUILD, "guests", "mbkernel.elf")   # tests/guests/mbkernel


def mkimage(*args):
    return subprocess.run([MKIMAGE, *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)


def test_multiboot_image_boots_the_kernel_with_its_modules(tmp_path):
    if not os.path.isfile(MB1_KERNEL):
        pytest.fail(f"{MB1_KERNEL} is missing: run `make` first", pytrace=False)
    env = tmp_path / "env"
    env.write_text("NR_CPUS=1\n")
    r = mkimage("--multiboot", MB1_KERNEL, "--module", f"env={env}", "--cmdline", "a b",
                "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(tmp_path / "out" / "multiboot.iso") > 0
    cfg = (tmp_path / "out" / "iso-root" / "boot" / "grub" / "grub.cfg").read_text()
    assert "\tmultiboot /boot/kernel a b\n\tmodule /boot/mod/env env\n\tboot\n" in cfg
    assert not (tmp_path / "out" / "sluice.iso").exists()


def test_multiboot_refuses_a_config(tmp_path):
    r = mkimage("--multiboot", MB1_KERNEL, "--config", "x.conf", "--out", str(tmp_path))
    assert r.returncode == 2 and "no --config" in r.stderr


def test_multiboot_refuses_a_kernel_without_a_multiboot_header(tmp_path):
    bad = tmp_path / "notakernel"
    bad.write_bytes(b"\0" * 8192)
    r = mkimage("--multiboot", str(bad), "--out", str(tmp_path / "out"))
    assert r.returncode == 1 and "not a Multiboot (v1) kernel" in r.stderr


def test_without_multiboot_a_config_is_required(tmp_path):
    r = mkimage("--out", str(tmp_path))
    assert r.returncode == 2 and "--config FILE is required (or --multiboot KERNEL)" in r.stderr
