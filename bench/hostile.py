"""Time and memory of `statusgen check` and `build` on the worst inputs we know.

    python bench/hostile.py [--runs 3]

Each case is a small valid site plus one hostile thing: a YAML alias bomb
(billion laughs) at depth 9 and 20, a 50 MB and a 1 GB (sparse) incident
file, a link to /dev/zero, a FIFO, a 16 MiB theme file linked from outside.
Every run is a fresh child process; it prints the median wall time, the
peak RSS of the child (VmHWM) and the exit code, which must be 1 (a clean
error). Targets (issue 10): each rejected in < 1 s and < 100 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scratch import write_site  # noqa: E402

GOOD = ("---\ntitle: Elevated API errors\ncomponents:\n  api: partial_outage\n---\n"
        "## 2026-11-26 10:00 UTC — Investigating\nWe are looking into it.\n")
PROBE = ("import re, sys, time\nfrom generator.cli import main\nt = time.perf_counter()\ncode = 0\n"
         "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code or 0\n"
         "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
         "sys.stderr.write(f'\\nPROBE {time.perf_counter() - t:.4f} {hwm}\\n')\nsys.exit(code)\n")


def bomb(depth: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{k}: &a{k} [{','.join([f'*a{k - 1}'] * 9)}]" for k in range(1, depth + 1)]
    return "---\n" + "\n".join(lines) + f"\ntitle: *a{depth}\n---\n## 2026-11-26 10:00 UTC — Investigating\nx\n"


def case_alias(site: Path, depth: int) -> None:
    (site / "content/incidents/bomb.md").write_text(bomb(depth), encoding="utf-8")


def case_big(site: Path, size: int) -> None:
    path = site / "content/incidents/huge.md"
    with open(path, "wb") as handle:
        handle.write(GOOD.encode())
        handle.truncate(size)  # sparse: the size is real, the disk is not used


def case_link(site: Path, target: str) -> None:
    (site / "content/incidents/leak.md").symlink_to(target)


def case_fifo(site: Path) -> None:
    os.mkfifo(site / "content/incidents/pipe.md")


def case_theme(site: Path, outside: Path) -> None:
    outside.write_bytes(b"x" * (16 * 1024 * 1024))
    (site / "themes/mine/static").mkdir(parents=True)
    (site / "themes/mine/static/big.css").symlink_to(outside)
    with open(site / "content/site.yaml", "a", encoding="utf-8") as handle:
        handle.write("theme: mine\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="statusgen-hostile-"))
    cases = [
        ("alias bomb, depth 9", lambda s: case_alias(s, 9)),
        ("alias bomb, depth 20", lambda s: case_alias(s, 20)),
        ("50 MB incident file", lambda s: case_big(s, 50 * 1024 * 1024)),
        ("1 GB incident file (sparse)", lambda s: case_big(s, 1024 * 1024 * 1024)),
        ("link to /dev/zero", lambda s: case_link(s, "/dev/zero")),
        ("link to /etc/passwd", lambda s: case_link(s, "/etc/passwd")),
        ("FIFO as an incident", case_fifo),
        ("theme file linked from outside", lambda s: case_theme(s, tmp / "outside.css")),
    ]
    print(f"{'case':34} {'command':6} {'median s':>9} {'range s':>15} {'peak MB':>8} exit")
    try:
        for name, make in cases:
            site = write_site(tmp / "site", {"good": GOOD})
            make(site)
            for command in ("check", "build"):
                times, peaks, codes = [], [], set()
                for _ in range(args.runs):
                    proc = subprocess.run([sys.executable, "-c", PROBE, command, str(site), "--now", "2026-11-26 12:00 UTC"],
                                          capture_output=True, text=True, timeout=120, cwd=ROOT)
                    seconds, hwm = re.search(r"PROBE (\S+) (\d+)", proc.stderr).groups()
                    times.append(float(seconds))
                    peaks.append(int(hwm) / 1024)
                    codes.add(proc.returncode)
                    if "Traceback" in proc.stderr:
                        raise SystemExit(f"{name}: traceback\n{proc.stderr}")
                print(f"{name:34} {command:6} {statistics.median(times):9.3f} {min(times):7.3f}-{max(times):.3f}"
                      f" {statistics.median(peaks):8.1f} {','.join(map(str, sorted(codes)))}")
            shutil.rmtree(tmp / "site")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
