"""tools/linux-image on the host, without the network: its pieces (module
.modinfo, load order, the cpio writer, the bzImage check) and whole runs
against stand-ins for apt-cache, apt-get and dpkg-deb placed first on PATH
(the cache, apt's failures). Modules are real ELF objects made by gcc; the
archive is read back by busybox's cpio from `make linux`."""
import gzip
import os
import re
import stat
import subprocess
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOL = os.path.join(ROOT, "tools", "linux-image")
BUSYBOX = os.path.join(ROOT, "build", "linux", "busybox", "bin", "busybox")
KVER = "6.1.0-99-test"


def _load_tool():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import toolmod
    return toolmod.load("linux-image")


li = _load_tool()


def make_module(path, **fields):
    """A relocatable ELF object with .modinfo strings as the kernel's
    MODULE_INFO() lays them out, compiled by gcc."""
    src = str(path) + ".c"
    with open(src, "w") as f:
        for i, (k, v) in enumerate(fields.items()):
            f.write(f'static const char m{i}[] __attribute__((section(".modinfo"), used)) '
                    f'= "{k}={v}";\n')
        f.write("int module_body(void) { return 0; }\n")
    subprocess.run(["gcc", "-c", "-o", str(path), src], check=True)
    os.unlink(src)


# ---- pieces ------------------------------------------------------------------

def test_modinfo_reads_the_fields_gcc_placed(tmp_path):
    ko = tmp_path / "nvme.ko"
    make_module(ko, depends="nvme-core", vermagic=f"{KVER} SMP mod_unload", license="GPL")
    info = li.modinfo(ko.read_bytes())
    assert info["depends"] == ["nvme-core"]
    assert info["vermagic"] == [f"{KVER} SMP mod_unload"]
    assert info["license"] == ["GPL"]


@pytest.mark.parametrize("data,want", [
    (b"MZ" + b"\0" * 200, "not a little-endian ELF64 object"),
    (b"\x7fELF\x02\x01" + b"\0" * 58, "bad ELF section header table"),
])
def test_modinfo_refuses_what_is_not_a_module(data, want):
    with pytest.raises(li.Fail, match=want):
        li.modinfo(data)


def test_modinfo_refuses_an_object_without_modinfo(tmp_path):
    ko = tmp_path / "plain.o"
    (tmp_path / "plain.c").write_text("int f(void) { return 1; }\n")
    subprocess.run(["gcc", "-c", "-o", str(ko), str(tmp_path / "plain.c")], check=True)
    with pytest.raises(li.Fail, match="no .modinfo section"):
        li.modinfo(ko.read_bytes())


def test_load_order_puts_each_module_after_its_dependencies():
    deps = {"nvme": ["nvme_core"], "nvme_core": ["t10_pi"],
            "t10_pi": ["crc_t10dif", "crc64_rocksoft"], "crc_t10dif": ["crct10dif_common"],
            "crct10dif_common": [], "crc64_rocksoft": ["crc64"], "crc64": []}
    assert li.load_order(["nvme"], deps.__getitem__) == [
        "crct10dif_common", "crc_t10dif", "crc64", "crc64_rocksoft", "t10_pi", "nvme_core",
        "nvme"]


def test_load_order_names_a_cycle():
    deps = {"a": ["b"], "b": ["c"], "c": ["a"]}
    with pytest.raises(li.Fail, match="module dependency cycle: a -> b -> c -> a"):
        li.load_order(["a"], deps.__getitem__)


def test_module_names_treat_dash_and_underscore_alike():
    assert li.module_name("nvme-core.ko") == "nvme_core"
    assert li.module_name("crc64-rocksoft.ko.xz") == "crc64_rocksoft"


def kernel_tree(root, vermagic_of=None):
    """lib/modules/KVER/kernel with nvme -> nvme-core -> t10-pi (gcc objects)."""
    mods = {"drivers/nvme/host/nvme.ko": "nvme-core",
            "drivers/nvme/host/nvme-core.ko": "t10-pi",
            "block/t10-pi.ko": ""}
    moddir = root / "lib" / "modules" / KVER
    for rel, dep in mods.items():
        path = moddir / "kernel" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        name = os.path.basename(rel)
        make_module(path, depends=dep,
                    vermagic=(vermagic_of or {}).get(name, f"{KVER} SMP mod_unload"))
    return moddir


def test_resolve_modules_follows_depends_fields(tmp_path):
    mods = li.resolve_modules(str(kernel_tree(tmp_path)), ["nvme"], KVER)
    assert [(n, f) for n, f, _ in mods] == [
        ("t10_pi", "t10-pi.ko"), ("nvme_core", "nvme-core.ko"), ("nvme", "nvme.ko")]
    assert mods[2][2] == (tmp_path / "lib/modules" / KVER / "kernel/drivers/nvme/host/nvme.ko").read_bytes()


def test_resolve_modules_refuses_a_module_of_another_kernel(tmp_path):
    moddir = kernel_tree(tmp_path, {"t10-pi.ko": "6.1.0-1-other SMP"})
    with pytest.raises(li.Fail, match="t10-pi.ko: vermagic '6.1.0-1-other SMP' is not for kernel"):
        li.resolve_modules(str(moddir), ["nvme"], KVER)


def test_resolve_modules_names_a_missing_dependency(tmp_path):
    moddir = kernel_tree(tmp_path)
    os.unlink(moddir / "kernel/block/t10-pi.ko")
    with pytest.raises(li.Fail, match="module t10_pi not found under"):
        li.resolve_modules(str(moddir), ["nvme"], KVER)


def fake_bzimage(path, magic=b"HdrS", version=0x020f):
    data = bytearray(0x1000)
    data[0x202:0x206] = magic
    data[0x206:0x208] = version.to_bytes(2, "little")
    path.write_bytes(bytes(data))


def test_check_bzimage_reads_the_protocol_version_and_refuses_other_files(tmp_path):
    fake_bzimage(tmp_path / "good")
    assert li.check_bzimage(str(tmp_path / "good")) == 0x020f
    fake_bzimage(tmp_path / "bad", magic=b"ELF!")
    with pytest.raises(li.Fail, match="not a bzImage"):
        li.check_bzimage(str(tmp_path / "bad"))


def test_cpio_entries_follow_newc_layout():
    c = li.Cpio()
    c.file("init", b"abcde", 0o755)
    out = c.finish()
    hdr = out[:110]
    assert hdr[:6] == b"070701"
    fields = [int(hdr[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
    assert fields[1] == stat.S_IFREG | 0o755 and fields[6] == 5 and fields[11] == 5
    # 110 + "init\0" = 115, padded to 116; then 5 bytes of data padded to 8
    assert out[110:116] == b"init\0\0" and out[116:124] == b"abcde\0\0\0"
    assert out[124:130] == b"070701" and b"TRAILER!!!\0" in out and len(out) % 4 == 0
    with pytest.raises(li.Fail, match="added twice"):
        c2 = li.Cpio()
        c2.dir("etc")
        c2.dir("etc")


def need_busybox():
    if not os.path.isfile(BUSYBOX):
        pytest.fail(f"{BUSYBOX} is missing: run `make linux` first", pytrace=False)


def test_busybox_cpio_reads_back_the_initramfs(tmp_path):
    need_busybox()
    mods = [("nvme_core", "nvme-core.ko", b"core"), ("nvme", "nvme.ko", b"\x7fELF nvme")]
    cpio = li.initramfs(b"#!/bin/sh\necho hi\n", b"BB", ["bin/sh", "sbin/insmod", "linuxrc"],
                        KVER, mods, "pkg 1\n")
    (tmp_path / "img.cpio").write_bytes(cpio)
    listing = subprocess.run([BUSYBOX, "cpio", "-t", "-v", "-F", "img.cpio"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert any(l.startswith("crw-------") and l.endswith("dev/console") for l in lines)
    at = cpio.index(b"dev/console\0") - 110       # busybox -t does not print the device
    hdr = [int(cpio[at + 6 + 8 * i:at + 14 + 8 * i], 16) for i in range(13)]
    assert (hdr[9], hdr[10]) == (5, 1), "/dev/console is not char 5:1"
    at = cpio.index(b"dev/kmsg\0") - 110
    hdr = [int(cpio[at + 6 + 8 * i:at + 14 + 8 * i], 16) for i in range(13)]
    assert hdr[1] == stat.S_IFCHR | 0o600 and (hdr[9], hdr[10]) == (1, 11), "/dev/kmsg"
    assert any(l.startswith("-rwxr-xr-x") and l.endswith(" init") for l in lines)
    assert any(l.startswith("lrwxrwxrwx") and l.endswith("bin/sh -> /bin/busybox") for l in lines)
    assert not any("linuxrc" in l for l in lines)     # no folder: not an applet link
    (tmp_path / "x").mkdir()
    r = subprocess.run([BUSYBOX, "cpio", "-i", "-d", "-F", "../img.cpio", "init", "etc/*",
                        "lib/*", "bin/busybox"], cwd=tmp_path / "x", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    x = tmp_path / "x"
    assert (x / "init").read_bytes() == b"#!/bin/sh\necho hi\n"
    assert (x / "bin/busybox").read_bytes() == b"BB"
    assert (x / f"lib/modules/{KVER}/nvme.ko").read_bytes() == b"\x7fELF nvme"
    assert (x / "etc/sluice-modules").read_text() == \
        f"/lib/modules/{KVER}/nvme-core.ko\n/lib/modules/{KVER}/nvme.ko\n"
    assert (x / "etc/sluice-image").read_text() == "pkg 1\n"


# ---- whole runs against stand-ins for apt and dpkg ---------------------------

def write_exe(path, text):
    path.write_text(textwrap.dedent(text))
    path.chmod(0o755)


@pytest.fixture
def fake_debian(tmp_path):
    """PATH with apt-cache, apt-get and dpkg-deb stand-ins. apt-get download
    copies a prepared .deb from tmp/archive (or fails when tmp/offline
    exists) and logs each call to tmp/apt-get.log; a ".deb" is a directory
    tree in a tar file, dpkg-deb -f reads its name and version from the
    file name NAME_VERSION_amd64.deb."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    archive = tmp_path / "archive"
    archive.mkdir()
    kpkg = f"linux-image-{KVER}"
    write_exe(bin_ / "apt-cache", f"""\
        #!/bin/sh
        case "$3" in
        linux-image-amd64) printf 'Package: linux-image-amd64\\nVersion: 9.9\\nDepends: {kpkg} (= 9.9)\\n' ;;
        {kpkg}) printf 'Package: {kpkg}\\nVersion: 9.9\\n' ;;
        busybox-static) printf 'Package: busybox-static\\nVersion: 1:1.0-1\\n' ;;
        *) echo "E: No packages found" >&2; exit 100 ;;
        esac
        """)
    write_exe(bin_ / "apt-get", f"""\
        #!/bin/sh
        echo "$*" >>{tmp_path}/apt-get.log
        if [ -e {tmp_path}/offline ]; then
            echo "E: Failed to fetch http://deb.debian.org/debian/pool/x.deb  Could not connect" >&2
            exit 100
        fi
        name=${{2%%=*}}
        cp {archive}/"$name"_*.deb .
        """)
    write_exe(bin_ / "dpkg-deb", """\
        #!/bin/sh
        if [ "$1" = -f ]; then
            b=$(basename "$2" _amd64.deb)
            printf 'Package: %s\\nVersion: %s\\n' "${b%%_*}" "$(echo "${b#*_}" | sed 's/%3a/:/')"
        elif [ "$1" = -x ]; then
            tar -x -f "$2" -C "$3"
        fi
        """)
    # The packages: a kernel with nvme's chain of three modules, a busybox.
    ktree = tmp_path / "ktree"
    (ktree / "boot").mkdir(parents=True)
    fake_bzimage(ktree / "boot" / f"vmlinuz-{KVER}")
    kernel_tree(ktree)
    subprocess.run(["tar", "-c", "-f", str(archive / f"{kpkg}_9.9_amd64.deb"), "-C", str(ktree),
                    "."], check=True)
    btree = tmp_path / "btree"
    (btree / "bin").mkdir(parents=True)
    write_exe(btree / "bin" / "busybox", """\
        #!/bin/sh
        [ "$1" = --list-full ] && printf 'bin/busybox\\nbin/sh\\nsbin/insmod\\nsbin/poweroff\\n'
        """)
    subprocess.run(["tar", "-c", "-f", str(archive / "busybox-static_1%3a1.0-1_amd64.deb"),
                    "-C", str(btree), "."], check=True)
    (tmp_path / "init").write_text("#!/bin/sh\n")
    return tmp_path


def run_tool(tmp, *extra):
    env = dict(os.environ, PATH=f"{tmp}/bin:{os.environ['PATH']}")
    return subprocess.run([TOOL, "--out", str(tmp / "out"), "--init", str(tmp / "init"), *extra],
                          env=env, capture_output=True, text=True)


def apt_get_calls(tmp):
    try:
        return (tmp / "apt-get.log").read_text().splitlines()
    except FileNotFoundError:
        return []


def test_first_run_downloads_and_second_run_uses_the_cache(fake_debian):
    tmp = fake_debian
    r = run_tool(tmp)
    assert r.returncode == 0, r.stderr
    assert apt_get_calls(tmp) == [f"download linux-image-{KVER}=9.9",
                                  "download busybox-static=1:1.0-1"]
    out = tmp / "out"
    assert (out / "vmlinuz").read_bytes() == (tmp / "ktree/boot" / f"vmlinuz-{KVER}").read_bytes()
    image = (out / "image.txt").read_text()
    assert "modules (load order): t10-pi.ko" in image and "nvme-core.ko" in image
    stamp = os.stat(out / "initramfs.cpio.gz").st_mtime_ns
    (tmp / "offline").touch()
    r = run_tool(tmp)
    assert r.returncode == 0, r.stderr
    assert len(apt_get_calls(tmp)) == 2, "the second run called apt-get"
    assert f"linux-image-{KVER} 9.9: cached" in r.stdout
    assert os.stat(out / "initramfs.cpio.gz").st_mtime_ns == stamp, "same bytes, rewritten"


def test_a_failed_download_is_one_line_with_apts_reason(fake_debian):
    tmp = fake_debian
    (tmp / "offline").touch()
    r = run_tool(tmp)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        f"linux-image: apt-get download linux-image-{KVER}=9.9 failed with status 100: "
        "E: Failed to fetch http://deb.debian.org/debian/pool/x.deb  Could not connect"]


def test_a_package_apt_does_not_know_is_named(fake_debian):
    r = run_tool(fake_debian, "--kernel-package", "linux-image-nothing")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        "linux-image: apt knows no package linux-image-nothing (E: No packages found); "
        "run apt-get update (tools/setup-deps does it)"]


def test_peer_builds_its_own_initramfs_with_kvm_vfio_and_9p(fake_debian):
    """--peer: the same kernel, the peer's modules after nvme's in load order,
    its own archive and record; the test image's files are not written."""
    tmp = fake_debian
    ktree = tmp / "ktree"
    extra = ktree / "lib" / "modules" / KVER / "kernel" / "extra"
    extra.mkdir()
    for name, dep in (("vfio", ""), ("vfio_iommu_type1", "vfio"), ("vfio-pci", "vfio"), ("kvm", ""),
                      ("kvm-amd", "kvm"), ("virtio_pci", ""), ("9pnet_virtio", "9pnet"), ("9pnet", ""),
                      ("9p", "9pnet")):
        make_module(extra / f"{name}.ko", depends=dep, vermagic=f"{KVER} SMP mod_unload")
    subprocess.run(["tar", "-c", "-f", str(tmp / "archive" / f"linux-image-{KVER}_9.9_amd64.deb"), "-C",
                    str(ktree), "."], check=True)
    r = run_tool(tmp, "--peer")
    assert r.returncode == 0, r.stderr
    out = tmp / "out"
    assert not (out / "initramfs.cpio.gz").exists() and not (out / "image.txt").exists()
    data = gzip.decompress((out / "peer-initramfs.cpio.gz").read_bytes())
    order = re.search(rb"(/lib/modules/[^\0]*?\.ko\n)+", data).group(0).decode().split()
    names = [os.path.basename(p) for p in order]
    assert names == ["t10-pi.ko", "nvme-core.ko", "nvme.ko", "vfio.ko", "vfio_iommu_type1.ko", "vfio-pci.ko",
                     "kvm.ko", "kvm-amd.ko", "virtio_pci.ko", "9pnet.ko", "9pnet_virtio.ko", "9p.ko"]
    assert "modules (load order): t10-pi.ko" in (out / "peer-image.txt").read_text()
    assert "peer-initramfs.cpio.gz: " in r.stdout


def test_peer_names_a_module_the_kernel_lacks(fake_debian):
    r = run_tool(fake_debian, "--peer")
    assert r.returncode == 1
    assert r.stderr.startswith("linux-image: module vfio not found under ")
