"""tools/lab-check (docs/labs/): each lab's reference answers, in English and
in Chinese, pass against the lab's boots, and a copy with one prediction
per boot made wrong fails, naming those predictions. One set of boots per
lab (base, changed config, lab switch) serves all four checks: the Chinese
file carries the same config change, so it is read from the same logs."""
import os
import re
import subprocess
import sys

import pytest

from conftest import BUILD, ROOT

LAB_CHECK = os.path.join(ROOT, "tools", "lab-check")
ANSWERS = os.path.join(ROOT, "docs", "labs", "answers")
LABS = sorted(int(m.group(1)) for m in (re.match(r"lab(\d+)\.txt$", f) for f in os.listdir(ANSWERS)) if m)


def lab_check(*args):
    return subprocess.run([sys.executable, LAB_CHECK, *map(str, args)], cwd=ROOT, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600)


def made_wrong(text):
    """The answer text with the first prediction of each boot (base, changed.*,
    switch.*) changed to a value Sluice cannot report; -> (text, keys changed)."""
    out, done = [], {}
    for line in text.splitlines():
        m = re.match(r"(\s*)([\w.]+)(\s*=\s*)([^#]*?)(\s*(#.*)?)$", line)
        if m and not m.group(2).startswith("config."):
            key, value = m.group(2), m.group(4)
            run = key.split(".")[0] if key.split(".")[0] in ("changed", "switch") else "base"
            if run not in done:
                done[run] = key
                if re.fullmatch(r"0x[0-9a-fA-F]+|\d+", value):
                    value = hex(int(value, 0) + 1)
                else:
                    value = "no-such-" + value.split()[0]
                line = m.group(1) + key + m.group(3) + value + m.group(5)
        out.append(line)
    return "\n".join(out) + "\n", sorted(done.values())


def wrong_keys(stdout):
    return sorted(re.findall(r"^WRONG  (\S+) =", stdout, re.M))


def missing_tools():
    for f in ("sluice.elf", "BOOTX64.EFI"):
        if not os.path.isfile(os.path.join(BUILD, f)):
            pytest.fail(f"build/{f} is missing: run `make` first", pytrace=False)


@pytest.mark.parametrize("lab", LABS)
def test_lab_check(lab, tmp_path):
    missing_tools()
    logs = tmp_path / "boots"
    en = os.path.join(ANSWERS, f"lab{lab}.txt")
    zh = os.path.join(ANSWERS, f"lab{lab}.zh.txt")
    assert os.path.isfile(zh), f"lab {lab} has no Chinese answer file {zh}"
    r = lab_check(lab, "--answers", en, "--out", logs)
    assert r.returncode == 0, f"reference answers of lab {lab} (en):\n{r.stdout}{r.stderr}"
    assert re.search(rf"lab {lab} .*: (\d+) of \1 predictions right", r.stdout), r.stdout
    r = lab_check(lab, "--answers", zh, "--logs", logs)
    assert r.returncode == 0, f"reference answers of lab {lab} (zh):\n{r.stdout}{r.stderr}"
    for lang, path in (("en", en), ("zh", zh)):
        with open(path, encoding="utf-8") as f:
            text, keys = made_wrong(f.read())
        assert len(keys) == 3, f"{path}: wanted a prediction of each boot, got {keys}"
        wrong = tmp_path / f"wrong-{lang}.txt"
        wrong.write_text(text, encoding="utf-8")
        r = lab_check(lab, "--answers", wrong, "--logs", logs)
        assert r.returncode == 1, f"wrong answers of lab {lab} ({lang}) exit {r.returncode}:\n{r.stdout}{r.stderr}"
        assert wrong_keys(r.stdout) == keys, r.stdout


def test_lab_check_refuses_bad_answer_files(tmp_path):
    """Bad answer files are refused before anything boots, with one line saying why."""
    with open(os.path.join(ANSWERS, "lab1.txt"), encoding="utf-8") as f:
        good = f.read()
    cases = {
        "unknown key": (good + "ep3.hpa = 0x1\n", "ep3.hpa is no prediction of lab 1"),
        "missing": (re.sub(r"^ep2\.did = .*\n", "", good, flags=re.M), "no prediction for ep2.did"),
        "twice": (good + "ep2.did = 3\n", "ep2.did given again"),
        "no section": (good.replace("config.p2.memory", "config.p9.memory"),
                       'no section [partition "p9"]'),
        "no change": (re.sub(r"^config\..*\n", "", good, flags=re.M), "no config change"),
        "not a pair": (good + "just words\n", "is not KEY = VALUE"),
    }
    for name, (text, want) in cases.items():
        p = tmp_path / f"{name.replace(' ', '-')}.txt"
        p.write_text(text, encoding="utf-8")
        r = lab_check(1, "--answers", p, "--out", tmp_path / "never")
        assert r.returncode == 2, f"{name}: exit {r.returncode}\n{r.stdout}{r.stderr}"
        assert want in r.stderr, f"{name}: {r.stderr}"
        assert not (tmp_path / "never").exists(), f"{name}: it booted"
    r = lab_check(7)
    assert r.returncode == 2 and "no lab 7" in r.stderr


def lab_check_module():
    """tools/lab-check as a module (it has no .py name)."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import toolmod
    return toolmod.load("lab-check")


@pytest.mark.parametrize("lab", LABS)
def test_console_sections_agree(lab):
    """Both languages' "With the console" sections list the same commands,
    at least two, each one the console knows (vm/part/operator.c)."""
    lc = lab_check_module()
    en = lc.console_commands(lc.lab_doc(lab, "en"))
    zh = lc.console_commands(lc.lab_doc(lab, "zh"))
    assert len(en) >= 2, f"lab {lab}'s English text lists {len(en)} console commands"
    assert en == zh, f"lab {lab}: English {en} != Chinese {zh}"
    with open(os.path.join(ROOT, "vm", "part", "operator.c"), encoding="utf-8") as f:
        known = set(re.findall(r'^\t\{ "(\w+)", ', f.read(), re.M))
    for c in en:
        assert c.split()[0] in known, f"lab {lab}: '{c}' is no console command ({sorted(known)})"


def test_console_answered_catches_refusals():
    """The check behind lab-check's console step fails on a refused or unread command."""
    lc = lab_check_module()
    log = ["c0 INFO console: > lspci", "c0 INFO console: lspci: 00:00.0 Host bridge [0600]: Device [8086:29c0]"]
    lc.console_answered(log, ["lspci"])
    with pytest.raises(lc.Bad, match="never read the lab's command 'units'"):
        lc.console_answered(log, ["lspci", "units"])
    with pytest.raises(lc.Bad, match="refused"):
        lc.console_answered(log + ["c0 WARN console: usage: walk BDF IOVA r|w"], ["lspci"])
