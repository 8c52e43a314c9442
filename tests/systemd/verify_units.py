#!/usr/bin/env python3
"""Runs `systemd-analyze verify` on every unit file in systemd/.

    verify_units.py --units DIR --binary PATH

The units name /usr/bin/tlsgate, which need not exist on a build machine, and
systemd-analyze refuses an ExecStart= that is not executable. So the units
are copied into a temporary directory with /usr/bin/tlsgate replaced by
PATH (the binary just built), and verified there. A template such as
tlsgate@.service is verified as an instance (systemd-analyze does that
itself).

Fails on any message that names one of the units, even when systemd-analyze
exits 0 (unknown keys, for one, are only warnings to it). Messages about
other units (the host's own, pulled in as dependencies) are shown but not
counted. Exits 77 (ctest's SKIP_RETURN_CODE) without systemd-analyze.

Also checks what the documentation promises about the service units:
Type=notify, NotifyAccess=main, an ExecReload= and a TimeoutStopSec= above
the default drain time (timeouts.drain, 30s).
"""

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
DEFAULT_DRAIN_SECONDS = 30
INSTALLED_BINARY = "/usr/bin/tlsgate"


def seconds(value):
    """systemd time span ("45s", "1min 30s", "90") in seconds."""
    units = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "ms": 0.001}
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", value):
        if unit not in units:
            raise ValueError(f"time unit {unit!r} in {value!r}")
        total += float(number) * units[unit]
    return total


def settings(text):
    """Key -> list of values in the [Service] section of a unit file."""
    out = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]" and "=" in line:
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def check_service(name, text):
    problems = []
    s = settings(text)
    if s.get("Type") != ["notify"]:
        problems.append(f"{name}: Type= is {s.get('Type')}, expected notify")
    if s.get("NotifyAccess") != ["main"]:
        problems.append(f"{name}: NotifyAccess= is {s.get('NotifyAccess')}, expected main")
    if not any("-HUP" in v and "$MAINPID" in v for v in s.get("ExecReload", [])):
        problems.append(f"{name}: no ExecReload= sending SIGHUP to $MAINPID")
    stop = s.get("TimeoutStopSec", [])
    if not stop or seconds(stop[-1]) <= DEFAULT_DRAIN_SECONDS:
        problems.append(f"{name}: TimeoutStopSec= {stop} must exceed the {DEFAULT_DRAIN_SECONDS}s drain")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", required=True, type=pathlib.Path)
    parser.add_argument("--binary", required=True, type=pathlib.Path)
    args = parser.parse_args()

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        print("SKIP: systemd-analyze is not installed")
        return SKIP

    units = sorted(p for p in args.units.iterdir()
                   if p.suffix in (".service", ".socket", ".timer", ".path", ".target"))
    if not units:
        print(f"FAIL: no unit files in {args.units}")
        return 1
    binary = args.binary.resolve()
    if not binary.is_file():
        print(f"FAIL: {binary} does not exist")
        return 1

    problems = []
    with tempfile.TemporaryDirectory(prefix="tlsgate-units-") as tmp:
        tmpdir = pathlib.Path(tmp)
        for unit in units:
            text = unit.read_text()
            if unit.suffix == ".service":
                problems += check_service(unit.name, text)
            (tmpdir / unit.name).write_text(text.replace(INSTALLED_BINARY, str(binary)))

        # Names by which systemd-analyze refers to our units: the file
        # names, and for a template the instance it makes up (tlsgate@i).
        stems = [u.name.split("@")[0] + "@" if "@" in u.name else u.stem for u in units]
        ours = re.compile("|".join([re.escape(tmp)] + [
            r"(?<![\w@.-])" + re.escape(stem) + (r"[\w.-]*" if stem.endswith("@") else r"\.")
            for stem in stems]))

        for unit in units:
            # A socket's Service= (and anything else a unit names) is looked
            # up next to it, so the copies are verified together.
            cmd = [analyze, "verify", str(tmpdir / unit.name)]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
            lines = [l for l in (proc.stdout + proc.stderr).splitlines() if l.strip()]
            mine = [l for l in lines if ours.search(l)]
            other = [l for l in lines if not ours.search(l)]
            for line in other:
                print(f"  (not counted, about another unit) {line}")
            if mine:
                problems += [f"{unit.name}: {line}" for line in mine]
                print(f"FAIL: systemd-analyze verify {unit.name}")
            elif proc.returncode != 0 and not other:
                problems.append(f"{unit.name}: systemd-analyze exited {proc.returncode} without a message")
                print(f"FAIL: systemd-analyze verify {unit.name}")
            else:
                print(f"ok: systemd-analyze verify {unit.name}")

    for p in problems:
        print(f"  {p}")
    if problems:
        print(f"FAIL: {len(problems)} problem(s) in {args.units}")
        return 1
    print(f"PASS: {len(units)} unit file(s) verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
