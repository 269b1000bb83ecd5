"""The QMP oracle for PCI: QEMU's own device list against Sluice's `pci:` lines.

A scenario whose file `oracle` says `qmp-pci` boots with exit=halt; once the
kernel has printed its result line the harness asks QEMU over QMP
(`query-pci`, plus config-space reads for SR-IOV, see below) and compares
what QEMU has with the kernel's function lines:

  c0 INFO pci: SSSS:BB:DD.F VVVV:DDDD class 0xCCCCCC KIND[ bus [0xSS-0xUU]]
               [ of SSSS:BB:DD.F #N]( barI TYPE 0xADDR size 0xSIZE)*[ caps ...]
  (KIND vf reads on with its PF: "vf of 0000:03:00.0 #1")

The rule, per function (segment:bus:dev.fn; query-pci has no segments, so
QEMU's functions are all segment 0):

  - the same set of functions on both sides (missing in Sluice, missing in QEMU);
  - vendor and device ID;
  - class: query-pci's class_info.class is base<<8|sub, compared with the upper
    16 bits of the kernel's 24-bit class (query-pci has no prog-if);
  - BARs by index: type (io, mem32, mem32p, mem64, mem64p from query-pci's
    type/mem_type_64/prefetch) and size; the address too, but only where QEMU
    has the BAR mapped (query-pci reports -1 while decoding is off, e.g. VF
    BARs before VF Memory Space Enable). The expansion ROM (query-pci bar 6) is
    not compared: the kernel does not list it;
  - a bridge (query-pci `pci_bridge`) must be a bridge KIND with the same
    `bus [0xSS-0xUU]` (secondary-subordinate), a non-bridge must not be one.

SR-IOV virtual functions, as QEMU 10.0 reports them (hw/pci/pcie_sriov.c and
hw/pci/pci-qmp-cmds.c, and seen in query-pci): every one of a PF's TotalVFs
VFs is realized together with the PF and sits on the bus whether VF Enable is
set or not; query-pci lists them all, with vendor and device 0xffff (the VF's
own config space, as the SR-IOV spec says), the VF's real class, and its BARs
with the right size but the wrong type: the VFs are realized before the PF
sets its VF BAR types, so query-pci shows every VF BAR as 32-bit
non-prefetchable (nvme's VF BAR0 is mem64 and igb's VF BARs 0 and 3 are
mem64p in the PF's SR-IOV capability). Addresses read -1 until VF Enable and
VF MSE are set. query-pci says nothing of VF Enable either, so the harness
reads each PF's SR-IOV capability from QEMU's ECAM window (the MCFG base from
qom-get /machine/q35 MCFG, the dwords through HMP `xp`: QEMU's config space
as the guest reads it). Then:

  - a VF entry (vendor and device 0xffff) counts only if its PF has VF Enable
    set and its index is below NumVFs; it is the VF whose routing ID is
    PF + First VF Offset + i * VF Stride; other VF entries are disabled VFs
    and are ignored;
  - an enabled VF is expected with vendor = the PF's vendor and device = the
    PF's VF Device ID (what the kernel prints), its own class from query-pci,
    KIND vf and `vf of PF #i+1`; its BARs are query-pci's (index, size,
    address when mapped) with the type of the PF's VF BAR register of that
    index, which is what the guest sees. (QEMU 10.0 also maps a VF BAR with
    the 32-bit type, i.e. ignores the upper half of a 64-bit VF BAR: a VF BAR
    placed above 4 GiB shows up here as an address difference, and really
    does not decode where Sluice put it.);
  - an enabled VF that query-pci does not list is itself a difference.

Everything here is pure except QMPClient and fetch(), which talk to QEMU.
"""
import json
import re
import socket
import time
from dataclasses import dataclass, field

# ---- Sluice's side: the pci: function lines -------------------------------

BRIDGE_KINDS = ("root-port", "upstream-port", "downstream-port", "pcie-pci-bridge",
                "pci-pcie-bridge", "pci-bridge")
KINDS = ("endpoint", "legacy-endpoint", "rc-endpoint", "rc-event-collector") + BRIDGE_KINDS \
    + ("pci", "vf")
BAR_TYPES = ("io", "mem32", "mem32p", "mem64", "mem64p")

_BDF = r"[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]"
# What makes a line a function line: anything after this prefix must parse.
FUNC_PREFIX_RE = re.compile(rf"\bpci: ({_BDF}) [0-9a-f]{{4}}:[0-9a-f]{{4}} class ")
FUNC_RE = re.compile(
    rf"\bpci: (?P<bdf>{_BDF}) (?P<vendor>[0-9a-f]{{4}}):(?P<device>[0-9a-f]{{4}})"
    r" class 0x(?P<cls>[0-9a-f]{6}) (?P<kind>[a-z-]+)"
    r"(?: bus \[0x(?P<sec>[0-9a-f]{2})-0x(?P<sub>[0-9a-f]{2})\])?"
    rf"(?: of (?P<pf>{_BDF}) #(?P<vfn>[1-9][0-9]*))?"
    r"(?P<bars>(?: bar[0-5] [a-z0-9]+ 0x[0-9a-f]{16} size 0x[0-9a-f]+)*)"
    r"(?: caps (?P<caps>\S.*?))?\s*$")
BAR_RE = re.compile(r" bar([0-5]) ([a-z0-9]+) 0x([0-9a-f]{16}) size 0x([0-9a-f]+)")


def parse_bdf(text):
    """'ssss:bb:dd.f' -> (seg, bus, dev, fn)."""
    seg, bus, rest = text.split(":")
    dev, fn = rest.split(".")
    return int(seg, 16), int(bus, 16), int(dev, 16), int(fn, 16)


def fmt_bdf(bdf):
    return "%04x:%02x:%02x.%x" % bdf


def bdf_from_rid(seg, rid):
    return seg, rid >> 8, (rid >> 3) & 0x1f, rid & 7


def rid_of(bdf):
    return bdf[1] << 8 | bdf[2] << 3 | bdf[3]


@dataclass
class Bar:
    index: int
    type: str               # io, mem32, mem32p, mem64, mem64p
    size: int
    address: int = None     # None: not known (QEMU: not mapped)

    def describe(self):
        return f"{self.type} size {self.size:#x}"


@dataclass
class KernelFunction:
    bdf: tuple
    vendor: int
    device: int
    cls: int                # 24 bits: base<<16 | sub<<8 | prog-if
    kind: str
    bus_range: tuple = None # (secondary, subordinate) on bridges
    vf_of: tuple = None     # the PF's bdf, on VFs
    vf_number: int = None   # N of "#N", from 1
    bars: dict = field(default_factory=dict)     # index -> Bar
    caps: list = field(default_factory=list)
    lineno: int = 0         # serial line, from 1


def split_caps(text):
    """'PM,MSI,ATS(qdepth 0),SR-IOV(total 4 offset 1 stride 1)' -> list; commas
    inside parentheses do not split."""
    out, depth, cur = [], 0, ""
    for c in text or "":
        if c == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        depth += (c == "(") - (c == ")")
        cur += c
    if cur.strip():
        out.append(cur.strip())
    return out


def parse_function_line(line):
    """One kernel line -> KernelFunction, None when it is not a function line.
    A line that starts like one (pci: BDF VVVV:DDDD class ) but does not
    follow the format raises ValueError with the reason."""
    if not FUNC_PREFIX_RE.search(line):
        return None
    m = FUNC_RE.search(line)
    if not m:
        raise ValueError("does not follow the pci: function line format")
    kind = m.group("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    bars = {}
    for bm in BAR_RE.finditer(m.group("bars")):
        idx, btype = int(bm.group(1)), bm.group(2)
        if btype not in BAR_TYPES:
            raise ValueError(f"bar{idx}: unknown type {btype!r}")
        if idx in bars:
            raise ValueError(f"bar{idx} listed twice")
        bars[idx] = Bar(idx, btype, int(bm.group(4), 16), int(bm.group(3), 16))
    f = KernelFunction(
        bdf=parse_bdf(m.group("bdf")), vendor=int(m.group("vendor"), 16),
        device=int(m.group("device"), 16), cls=int(m.group("cls"), 16), kind=kind, bars=bars,
        caps=split_caps(m.group("caps")))
    if m.group("sec") is not None:
        if kind not in BRIDGE_KINDS:
            raise ValueError(f"bus range on a {kind}")
        f.bus_range = (int(m.group("sec"), 16), int(m.group("sub"), 16))
    if m.group("pf") is not None:
        if kind != "vf":
            raise ValueError(f"'vf of' on a {kind}")
        f.vf_of, f.vf_number = parse_bdf(m.group("pf")), int(m.group("vfn"))
    elif kind == "vf":
        raise ValueError("a vf without 'vf of SSSS:BB:DD.F #N'")
    return f


def parse_kernel_log(lines):
    """Serial lines -> ({bdf: [KernelFunction, ...]}, [problem]). Malformed
    function lines are problems; lines that are not function lines (groups,
    VF enable reports, the summary, anything else) are ignored."""
    funcs, problems = {}, []
    for i, line in enumerate(lines, 1):
        try:
            f = parse_function_line(line)
        except ValueError as e:
            problems.append(f"malformed pci line (serial line {i}): {e}: {line.strip()}")
            continue
        if f is not None:
            f.lineno = i
            funcs.setdefault(f.bdf, []).append(f)
    return funcs, problems


# ---- QEMU's side: query-pci -----------------------------------------------

ROM_BAR = 6
QEMU_UNMAPPED = -1          # query-pci address of a BAR that is not decoded
VF_ID = 0xffff              # a VF's own vendor and device ID


@dataclass
class QemuFunction:
    bdf: tuple
    vendor: int
    device: int
    cls: int                # 16 bits: base<<8 | sub
    bars: dict = field(default_factory=dict)     # index -> Bar (ROM left out)
    bus_range: tuple = None # (secondary, subordinate) when query-pci says pci_bridge
    qdev_id: str = ""

    @property
    def is_vf(self):
        return self.vendor == VF_ID and self.device == VF_ID

    def name(self):
        return f" ({self.qdev_id})" if self.qdev_id else ""


def region_bar(r):
    """A query-pci region -> Bar, None for the ROM."""
    if r["bar"] == ROM_BAR:
        return None
    if r["type"] == "io":
        t = "io"
    else:
        t = ("mem64" if r.get("mem_type_64") else "mem32") + ("p" if r.get("prefetch") else "")
    addr = r.get("address")
    if addr is None or addr == QEMU_UNMAPPED or addr >= 2 ** 64 - 1:
        addr = None
    return Bar(r["bar"], t, r["size"], addr)


def flatten_query_pci(result):
    """query-pci's return value -> [QemuFunction], bridges' children included."""
    out = []

    def walk(devices):
        for d in devices or []:
            bars = {}
            for r in d.get("regions") or []:
                b = region_bar(r)
                if b is not None:
                    bars[b.index] = b
            br = d.get("pci_bridge")
            f = QemuFunction(bdf=(0, d["bus"], d["slot"], d["function"]),
                             vendor=d["id"]["vendor"], device=d["id"]["device"],
                             cls=d["class_info"]["class"], bars=bars,
                             qdev_id=d.get("qdev_id") or "")
            if br is not None:
                f.bus_range = (br["bus"]["secondary"], br["bus"]["subordinate"])
            out.append(f)
            if br is not None:
                walk(br.get("devices"))

    for bus in result or []:
        walk(bus.get("devices"))
    return out


# ---- SR-IOV state from QEMU's config space --------------------------------

EXT_CAP_START = 0x100
EXT_CAP_END = 0x1000
EXT_CAP_SRIOV = 0x0010
SRIOV_CTRL_VFE = 0x1


@dataclass
class SriovState:
    """A PF's SR-IOV capability as QEMU shows it."""
    offset: int             # where the capability is
    ctrl: int
    total: int
    num: int
    first_offset: int
    stride: int
    vf_device: int
    vf_bars: tuple = (0,) * 6   # the VF BAR0-5 registers (type bits, base)

    @property
    def enabled(self):
        return bool(self.ctrl & SRIOV_CTRL_VFE)


def find_ext_cap(read32, cap_id):
    """Offset of extended capability cap_id, or None. read32(offset) gives a
    config dword. Stops at the end of the list, at a pointer outside
    0x100-0xffc or misaligned, and after as many steps as the space can hold."""
    off, seen = EXT_CAP_START, set()
    while EXT_CAP_START <= off < EXT_CAP_END and off % 4 == 0 and off not in seen:
        seen.add(off)
        h = read32(off)
        if h in (0, 0xffffffff):
            return None
        if h & 0xffff == cap_id:
            return off
        off = (h >> 20) & 0xffc
    return None


def read_sriov(read32):
    """SriovState of a function, None when it has no SR-IOV capability."""
    off = find_ext_cap(read32, EXT_CAP_SRIOV)
    if off is None:
        return None
    w08, w0c, w10, w14, w18 = (read32(off + o) for o in (0x08, 0x0c, 0x10, 0x14, 0x18))
    return SriovState(offset=off, ctrl=w08 & 0xffff, total=w0c >> 16, num=w10 & 0xffff,
                      first_offset=w14 & 0xffff, stride=w14 >> 16, vf_device=w18 >> 16,
                      vf_bars=tuple(read32(off + 0x24 + 4 * i) for i in range(6)))


def bar_type(reg):
    """A BAR register's low bits -> io, mem32, mem32p, mem64, mem64p."""
    if reg & 1:
        return "io"
    return ("mem64" if (reg >> 1) & 3 == 2 else "mem32") + ("p" if reg & 8 else "")


XP_LINE_RE = re.compile(r"^\s*([0-9a-fA-F]+):((?:\s+0x[0-9a-fA-F]+)+)\s*$")


def parse_xp(text):
    """HMP `xp /Nwx ADDR` output -> {address: dword}."""
    out = {}
    for line in text.splitlines():
        m = XP_LINE_RE.match(line)
        if not m:
            continue
        addr = int(m.group(1), 16)
        for k, w in enumerate(m.group(2).split()):
            out[addr + 4 * k] = int(w, 16)
    return out


def ecam_address(base, bdf, offset):
    return base + (bdf[1] << 20 | bdf[2] << 15 | bdf[3] << 12) + offset


# ---- the oracle: what QEMU says Sluice must list ----------------------------

@dataclass
class Expected:
    """One function as QEMU has it, in the kernel's terms."""
    q: QemuFunction
    vendor: int
    device: int
    bars: dict              # index -> Bar
    vf_of: tuple = None
    vf_number: int = None


def vf_bars(q, st):
    """An enabled VF's BARs: query-pci's, typed by the PF's VF BAR registers."""
    return {i: Bar(i, bar_type(st.vf_bars[i]) if i < len(st.vf_bars) else b.type, b.size,
                   b.address)
            for i, b in q.bars.items()}


def expected_functions(qfuncs, sriov):
    """The functions Sluice must list. sriov: {PF bdf: SriovState} for the
    PFs QEMU has (functions missing from it have no SR-IOV capability).
    Returns ({bdf: Expected}, [problem], {bdf of a VF QEMU has but not enabled})."""
    by_bdf = {f.bdf: f for f in qfuncs}
    out, problems = {}, []
    for f in qfuncs:
        if not f.is_vf:
            out[f.bdf] = Expected(f, f.vendor, f.device, f.bars)
    for pf_bdf in sorted(sriov):
        st = sriov[pf_bdf]
        pf = by_bdf.get(pf_bdf)
        if pf is None or st is None or not st.enabled:
            continue
        for i in range(st.num):
            rid = rid_of(pf_bdf) + st.first_offset + i * st.stride
            bdf = bdf_from_rid(pf_bdf[0], rid)
            q = by_bdf.get(bdf) if rid <= 0xffff else None
            if q is None or not q.is_vf:
                what = "no function" if q is None else f"{q.vendor:04x}:{q.device:04x}, not a VF,"
                problems.append(f"QEMU: {fmt_bdf(pf_bdf)} has VF Enable with NumVFs={st.num}, "
                                f"but query-pci lists {what} at VF #{i + 1}'s routing ID "
                                f"{fmt_bdf(bdf) if rid <= 0xffff else hex(rid)}")
                continue
            out[bdf] = Expected(q, pf.vendor, st.vf_device, vf_bars(q, st), pf_bdf, i + 1)
    idle = {f.bdf for f in qfuncs if f.is_vf and f.bdf not in out}
    return out, problems, idle


def _bars_differences(k, e):
    """k: the KernelFunction, e: the Expected; BARs by index."""
    out = []
    for idx in sorted(set(k.bars) | set(e.bars)):
        kb, qb = k.bars.get(idx), e.bars.get(idx)
        if kb is None:
            out.append(f"bar{idx} missing in Sluice (QEMU: {qb.describe()})")
        elif qb is None:
            out.append(f"bar{idx} missing in QEMU (Sluice: {kb.describe()})")
        elif (kb.type, kb.size) != (qb.type, qb.size):
            out.append(f"bar{idx} is {kb.describe()} in Sluice, {qb.describe()} in QEMU")
        elif qb.address is not None and kb.address != qb.address:
            out.append(f"bar{idx} at {kb.address:#018x} in Sluice, {qb.address:#018x} in QEMU")
    return out


def compare_function(k, e):
    """Differences of one function listed on both sides, without its bdf."""
    q, out = e.q, []
    if (k.vendor, k.device) != (e.vendor, e.device):
        vf = " (a VF: the PF's vendor and VF Device ID)" if e.vf_of else ""
        out.append(f"vendor:device {k.vendor:04x}:{k.device:04x} in Sluice, "
                   f"{e.vendor:04x}:{e.device:04x} in QEMU{vf}")
    if k.cls >> 8 != q.cls:
        out.append(f"class {k.cls:#08x} in Sluice, {q.cls:#06x} (base, sub) in QEMU")
    if e.vf_of is not None:
        if k.kind != "vf":
            out.append(f"kind {k.kind} in Sluice, QEMU has VF #{e.vf_number} of {fmt_bdf(e.vf_of)}")
        elif (k.vf_of, k.vf_number) != (e.vf_of, e.vf_number):
            out.append(f"vf of {fmt_bdf(k.vf_of)} #{k.vf_number} in Sluice, "
                       f"vf of {fmt_bdf(e.vf_of)} #{e.vf_number} in QEMU")
    elif k.kind == "vf":
        out.append("kind vf in Sluice, QEMU has no VF here")
    if q.bus_range is not None:
        if k.kind not in BRIDGE_KINDS:
            out.append(f"kind {k.kind} in Sluice, a bridge in QEMU")
        elif k.bus_range != q.bus_range:
            ks = "no bus range" if k.bus_range is None else "bus [%#04x-%#04x]" % k.bus_range
            out.append(f"{ks} in Sluice, bus [{q.bus_range[0]:#04x}-{q.bus_range[1]:#04x}] in QEMU")
    elif k.kind in BRIDGE_KINDS:
        out.append(f"kind {k.kind} in Sluice, not a bridge in QEMU")
    return out + _bars_differences(k, e)


def compare(kfuncs, expected, idle_vfs=()):
    """Sluice's functions ({bdf: [KernelFunction]}) against the oracle's
    ({bdf: Expected}) -> [difference], one line each, in bdf order.
    idle_vfs: where QEMU has a VF that is not enabled (named as such when
    Sluice lists one there)."""
    out = []
    for bdf in sorted(set(kfuncs) | set(expected)):
        ks, e = kfuncs.get(bdf, []), expected.get(bdf)
        name = fmt_bdf(bdf)
        if len(ks) > 1:
            out.append(f"{name}: listed {len(ks)} times by Sluice (serial lines "
                       f"{', '.join(str(k.lineno) for k in ks)})")
        if e is None:
            k = ks[0]
            idle = (" (QEMU has a VF there that is not enabled: VF Enable clear or "
                    "index beyond NumVFs)") if bdf in idle_vfs else ""
            out.append(f"missing in QEMU: {name} {k.vendor:04x}:{k.device:04x} class "
                       f"{k.cls:#08x} {k.kind} (serial line {k.lineno}){idle}")
            continue
        if not ks:
            vf = f" vf #{e.vf_number} of {fmt_bdf(e.vf_of)}" if e.vf_of else ""
            out.append(f"missing in Sluice: {name} {e.vendor:04x}:{e.device:04x} class "
                       f"{e.q.cls:#06x}{vf}{e.q.name()}")
            continue
        out += [f"{name}: {d}" for d in compare_function(ks[0], e)]
    return out


def oracle_differences(lines, query_pci, sriov):
    """The whole comparison: serial lines, query-pci's return value and the
    PFs' SR-IOV states -> [difference]; empty when Sluice agrees with QEMU."""
    kfuncs, problems = parse_kernel_log(lines)
    expected, qproblems, idle = expected_functions(flatten_query_pci(query_pci), sriov)
    return problems + qproblems + compare(kfuncs, expected, idle)


# ---- talking to QEMU ------------------------------------------------------

class QMPError(Exception):
    pass


class QMPClient:
    """A minimal synchronous QMP client on a Unix socket: events are skipped,
    every read is bounded by the deadline given at connection."""

    def __init__(self, path, timeout):
        self.deadline = time.monotonic() + timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.buf = b""
        try:
            self.sock.settimeout(self._left())
            self.sock.connect(path)
        except OSError as e:
            self.sock.close()
            raise QMPError(f"cannot connect to QMP socket {path}: {e}")
        try:
            greeting = self._read()
        except EOFError:
            self.close()
            raise QMPError("QMP connection closed before the greeting")
        if "QMP" not in greeting:
            self.close()
            raise QMPError(f"no QMP greeting: {greeting}")

    def _left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise QMPError("QMP: out of time")
        return left

    def _read(self):
        """The next message that is not an event."""
        while True:
            while b"\n" not in self.buf:
                try:
                    self.sock.settimeout(self._left())
                    data = self.sock.recv(65536)
                except socket.timeout:
                    raise QMPError("QMP: no answer in time")
                except OSError as e:
                    raise QMPError(f"QMP: {e}")
                if not data:
                    raise EOFError("QMP connection closed")
                self.buf += data
            line, self.buf = self.buf.split(b"\n", 1)
            if not line.strip():
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                raise QMPError(f"QMP: not JSON: {line[:200]!r}")
            if "event" not in msg:
                return msg

    def _send(self, name, args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        try:
            self.sock.settimeout(self._left())
            self.sock.sendall(json.dumps(msg).encode() + b"\n")
        except OSError as e:
            raise QMPError(f"QMP: cannot send {name}: {e}")

    def command(self, name, **args):
        self._send(name, args)
        try:
            r = self._read()
        except EOFError:
            raise QMPError(f"QMP connection closed before the answer to {name}")
        if "error" in r:
            e = r["error"]
            raise QMPError(f"QMP {name}: {e.get('class')}: {e.get('desc')}")
        if "return" not in r:
            raise QMPError(f"QMP {name}: unexpected answer {r}")
        return r["return"]

    def hmp(self, line):
        return self.command("human-monitor-command", **{"command-line": line})

    def quit(self):
        """Sends quit. QEMU may close the connection before or after it
        answers; both mean it got the command."""
        self._send("quit", {})
        try:
            r = self._read()
        except EOFError:
            return
        if "error" in r:
            raise QMPError(f"QMP quit: {r['error']}")

    def close(self):
        self.sock.close()


class ConfigReader:
    """Config dwords of one function through HMP xp on QEMU's ECAM window,
    read 64 bytes at a time and cached."""
    CHUNK = 64

    def __init__(self, client, ecam_base, bdf):
        self.client, self.base, self.bdf, self.cache = client, ecam_base, bdf, {}

    def __call__(self, off):
        addr = ecam_address(self.base, self.bdf, off)
        if addr not in self.cache:
            start = addr - addr % self.CHUNK
            self.cache.update(parse_xp(self.client.hmp(f"xp /{self.CHUNK // 4}wx {start:#x}")))
            if addr not in self.cache:
                raise QMPError(f"xp at {start:#x}: no dword for {addr:#x}")
        return self.cache[addr]


@dataclass
class OracleData:
    query_pci: list = None
    sriov: dict = field(default_factory=dict)    # PF bdf -> SriovState
    error: str = None       # why the data is incomplete
    quit_sent: bool = False


def fetch(path, timeout):
    """Connects to QEMU's QMP socket, fetches query-pci and the SR-IOV state
    of the functions that may be PFs, then sends quit. Never raises: a
    failure is in .error, and .quit_sent says whether quit went out."""
    data = OracleData()
    try:
        c = QMPClient(path, timeout)
    except QMPError as e:
        data.error = str(e)
        return data
    try:
        try:
            c.command("qmp_capabilities")
            data.query_pci = c.command("query-pci")
            qfuncs = flatten_query_pci(data.query_pci)
            if any(f.is_vf for f in qfuncs):
                # Only where query-pci shows VFs is there SR-IOV state to read.
                base = c.command("qom-get", path="/machine/q35", property="MCFG")
                for f in qfuncs:
                    if not f.is_vf and f.bus_range is None:
                        st = read_sriov(ConfigReader(c, base, f.bdf))
                        if st is not None:
                            data.sriov[f.bdf] = st
        except QMPError as e:
            data.error = str(e)
        c.quit()
        data.quit_sent = True
    except (QMPError, OSError) as e:
        data.error = data.error or str(e)
    finally:
        c.close()
    return data
