"""`statusgen build` at every size, as a user runs it: 40, 2,000, 10,000 and 50,000 incidents.

    .venv/bin/python bench/sizes.py [--sizes 40,2000,10000,50000] [--runs 3] [--keep DIR] [--out-root DIR]
    .venv/bin/python bench/sizes.py --sizes 10000 --serve --edits 10
    .venv/bin/python bench/sizes.py --sizes 40,2000 --versus ../statusgen-before   # a worktree of an older commit

For each size it writes bench/build.py's synthetic content (20 components, 10
years; kept in `--keep DIR/site-N` and reused when there), then runs
`statusgen build SITE --now … --out OUT` `--runs` times as a fresh process,
so each time includes the interpreter's start-up and the imports:

- cold: no output folder and no `SITE/.statusgen-cache/` (a fresh checkout);
- warm: the output and `.statusgen-cache/` an earlier build left, the same `--now`;
- later: the same, with the clock a minute on at each run, as a scheduled or
  merge build finds them (pages that show the clock, such as an active
  incident's, change; the others do not).

It prints the median wall time and the range of each, the peak PSS of the
build's process tree (shared pages counted once; sampled every 50 ms in one
more, untimed build per mode, as bench/build.py does), the output's size and
file count, a hash of the whole output tree (sorted paths and each file's
sha256: the same content and `--now` must give the same hash on every
version) and the load average while it ran.

With `--serve`, it then starts `statusgen serve` on each site, saves one
incident file `--edits` times (a changed sentence, a new update, a new title,
a new file, a deleted file, in turn) and times each save until serve says the
rebuild is on disk; then it compares the served output with a fresh full
build of the edited content.

Before timing it compiles the generator package to bytecode, as `pip install`
does for a user (this bench's own checkout may run with PYTHONDONTWRITEBYTECODE,
which would leave every build compiling the modules from source).

Run it on a quiet disk (see bench/build.py: ext4 is slow to create files for
some minutes after a large delete), and quote the load average with the figures.
Not part of the test suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import NOW, discard_set_aside, set_aside, stamp, timed, write_site  # noqa: E402

STATUSGEN = str(Path(sys.executable).with_name("statusgen"))
CACHE = ".statusgen-cache"


def tree_hash(out: Path) -> tuple[str, int, int]:
    """sha256 over the sorted `path sha256` lines of every file under `out`; the file count; the bytes."""
    lines, size = [], 0
    for folder, _dirs, files in os.walk(out):
        for name in files:
            path = os.path.join(folder, name)
            data = Path(path).read_bytes()
            size += len(data)
            lines.append(f"{os.path.relpath(path, out)} {hashlib.sha256(data).hexdigest()}")
    lines.sort()
    return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest(), len(lines), size


def build_once(site: Path, out: Path, cold: bool, sample: bool = False, now=NOW, env: dict | None = None) -> dict:
    """One `statusgen build` as a fresh process: wall time (and, with `sample`, the tree's peak PSS)."""
    if cold:
        set_aside(out)
        shutil.rmtree(site / CACHE, ignore_errors=True)
    _stdout, wall, peak = timed([STATUSGEN, "build", str(site), "--now", now.isoformat(), "--out", str(out)], sample, env)
    return {"wall": wall, "pss_kb": peak}


def summary(walls: list[float]) -> dict:
    return {"median_s": round(statistics.median(walls), 3), "range_s": [round(min(walls), 3), round(max(walls), 3)],
            "runs_s": [round(w, 3) for w in walls]}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Version:
    """A version of statusgen to time: this checkout, or another one (`--versus`), with its own site copy and output."""

    def __init__(self, name: str, site: Path, out: Path, env: dict | None = None):
        self.name, self.site, self.out, self.env = name, site, out, env


def measure(versions: list[Version], runs: int) -> dict:
    """Cold, warm and later builds of each version, their runs interleaved so that the machine's drift hits all alike."""
    report: dict = {"load_before": load_average()}
    for v in versions:
        report[v.name] = {}
    for mode in ("cold", "warm", "later"):
        walls: dict[str, list[float]] = {v.name: [] for v in versions}
        if mode == "warm":
            for v in versions:
                build_once(v.site, v.out, cold=False, env=v.env)  # what a warm build finds: an earlier build's output and cache
        for i in range(runs + 1 if mode == "later" else runs):
            # later: as a scheduled or merge build, a minute after the last one (which left output and cache)
            now = NOW + timedelta(minutes=i + 1) if mode == "later" else NOW
            for v in versions:
                walls[v.name].append(build_once(v.site, v.out, cold=mode == "cold", now=now, env=v.env)["wall"])
                print(f"  {v.name} {mode} run {i + 1}: {walls[v.name][-1]:.3f}s", file=sys.stderr)
        for v in versions:
            times = walls[v.name][1:] if mode == "later" else walls[v.name]  # the first later run follows another mode
            entry = report[v.name][mode] = summary(times)
            later = NOW + timedelta(minutes=runs + 2)
            sampled = build_once(v.site, v.out, mode == "cold", sample=True, now=later if mode == "later" else NOW, env=v.env)
            entry["peak_pss_mb"] = round(sampled["pss_kb"] / 1024, 1)
            if mode == "warm":  # the output at NOW: the same on every version
                digest, files, size = tree_hash(v.out)
                report[v.name].update(output_files=files, output_mb=round(size / 1e6, 1), tree_sha256=digest)
    if len(versions) > 1:
        report["same_output"] = len({report[v.name]["tree_sha256"] for v in versions}) == 1
    report["load_after"] = load_average()
    return report


# --- serve: one file saved, until its pages are on disk -----------------------------------------


def _edit(site: Path, k: int, rng: random.Random) -> str:
    """Change one incident file the way staff do (in turn: text, new update, title, new file, deletion); a word to look for."""
    folder = site / "content" / "incidents"
    names = sorted(p.name for p in folder.glob("*.md"))
    mark = f"edit{k}x{rng.randrange(10**6)}"
    kind = k % 5
    if kind == 3:  # a new incident
        path = folder / f"{NOW:%Y-%m-%d}-bench-new-{mark}.md"
        text = (f"---\ntitle: New incident {mark}\ncomponents:\n  comp-01: partial_outage\n---\n"
                f"## {stamp(NOW.replace(hour=9))} — Investigating\nWe are looking into {mark}.\n")
        _save(path, text)
        return mark
    path = folder / rng.choice(names[-200:] if kind != 4 else names)  # mostly recent history
    if kind == 4:
        path.unlink()
        return ""
    text = path.read_text()
    if kind == 0:
        text = re.sub(r"(\n## [^\n]*\n)", rf"\1{mark} ", text, count=1)  # a word in the newest update
    elif kind == 1:  # a new update on top, a minute after the newest
        newest = re.search(r"\n## (\d{4}-\d\d-\d\d \d\d:\d\d) UTC — ([^\n]*)\n", text)
        from datetime import datetime, timedelta, timezone
        at = datetime.strptime(newest.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc) + timedelta(minutes=1)
        text = text.replace(newest.group(0), f"\n## {stamp(at)} — Update\nMore news: {mark}.\n" + newest.group(0), 1)
    else:
        text = re.sub(r"^title: .*$", f"title: Retitled {mark}", text, count=1, flags=re.M)
    _save(path, text)
    return mark


def _save(path: Path, text: str) -> None:
    """As editors save: a new file renamed over the old one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def measure_serve(site: Path, edits: int, scratch: Path, seed: int = 7) -> dict:
    """Median time from a save to serve's report that the rebuild is on disk; the served tree against a full build.

    Its files stay in `scratch` until the bench ends: deleting them would slow the next size's builds.
    """
    work = Path(tempfile.mkdtemp(prefix="statusgen-serve-", dir=scratch))
    copy = work / "site"
    shutil.copytree(site / "content", copy / "content")
    args = [STATUSGEN, "serve", str(copy), "--now", NOW.isoformat(), "--port", "0"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = _lines(proc)
        first = _until(lines, r"serving .* at http")
        rng = random.Random(seed)
        times, report = [], {"load_before": load_average(), "first_build": first}
        time.sleep(1.0)  # let the watcher start
        for k in range(edits):
            t = time.perf_counter()
            mark = _edit(copy, k, rng)
            said = _until(lines, r"^(built|rebuilt|build failed)")
            times.append(time.perf_counter() - t)
            print(f"  edit {k + 1}: {times[-1]:.3f}s ({said.strip()})", file=sys.stderr)
            if "failed" in said:
                raise SystemExit(f"serve's rebuild failed: {said}")
            if mark and mark not in "".join(p.read_text(errors="replace") for p in _pages_with(copy / "output", mark)):
                raise SystemExit(f"edit {k + 1}: {mark} is not on disk")
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(10)
    served = tree_hash(copy / "output")[0]
    fresh = work / "fresh"
    subprocess.run([STATUSGEN, "build", str(copy), "--now", NOW.isoformat(), "--out", str(fresh), "--no-cache"],
                   check=True, capture_output=True)
    report.update(summary(times), identical_to_full_build=served == tree_hash(fresh)[0], load_after=load_average())
    if not report["identical_to_full_build"]:
        raise SystemExit("serve's output differs from a full build of the same content")
    return report


def _pages_with(out: Path, mark: str) -> list[Path]:
    found = subprocess.run(["grep", "-rl", mark, str(out)], capture_output=True, text=True).stdout.split()
    return [Path(p) for p in found[:1]]


def _lines(proc: subprocess.Popen):
    for line in proc.stdout:
        yield line


def _until(lines, pattern: str, timeout: float = 600) -> str:
    deadline = time.monotonic() + timeout
    for line in lines:
        if re.search(pattern, line):
            return line
        if time.monotonic() > deadline:
            break
    raise SystemExit(f"serve never said {pattern!r}")


def compile_package(folder: Path | None = None) -> None:
    """Bytecode for every module of the package (or of another checkout's), as an installed copy has it."""
    import compileall

    import generator

    compileall.compile_dir(folder or Path(generator.__file__).parent, quiet=1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="40,2000,10000,50000", help="comma-separated incident counts")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the content sets here (site-N) and reuse them")
    parser.add_argument("--out-root", type=Path, help="build into folders here (e.g. /dev/shm, to leave the disk out)")
    parser.add_argument("--serve", action="store_true", help="also time serve's rebuild after one file is saved")
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--no-build", action="store_true", help="with --serve: skip the build timings")
    parser.add_argument("--versus", type=Path, metavar="CHECKOUT",
                        help="also time another checkout of statusgen (e.g. a git worktree of an older commit), "
                             "its runs interleaved with this one's, and compare the output trees")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    compile_package()
    if args.versus:
        compile_package(args.versus.resolve() / "generator")
    with tempfile.TemporaryDirectory(prefix="statusgen-sizes-") as tmp:
        home = args.keep or Path(tmp)
        report = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "sizes": {}}
        outputs: list[Path] = []
        try:
            run_sizes(args, sizes, home, Path(tmp), outputs, report)
        finally:
            for out in outputs:
                discard_set_aside(out)
        print(json.dumps(report, indent=2))
    return 0


def run_sizes(args, sizes: list[int], home: Path, tmp: Path, outputs: list[Path], report: dict) -> None:
    """Each size in turn: its content (made once), its builds, and with --serve its rebuilds."""
    for n in sizes:
        site = home / f"site-{n}"
        if not (site / "content").is_dir():
            t = time.perf_counter()
            write_site(site, n)
            print(f"generated {n} incidents in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        versions = [Version("this", site, (args.out_root or tmp) / f"output-{n}")]
        if args.versus:
            other = home / f"site-{n}-versus"  # its own .statusgen-cache beside the same content (hard links)
            if not (other / "content").is_dir():
                shutil.copytree(site / "content", other / "content", copy_function=os.link)
            env = {**os.environ, "PYTHONPATH": str(args.versus.resolve())}  # its `generator` package first
            versions.append(Version("versus", other, (args.out_root or tmp) / f"output-{n}-versus", env))
        outputs.extend(v.out for v in versions)
        entry: dict = {}
        try:
            if not args.no_build:
                print(f"{n} incidents", file=sys.stderr)
                entry = measure(versions, args.runs)
        finally:
            for v in versions:
                set_aside(v.out)  # deleted at the end: a large delete would slow the next size's writes (see bench/build.py)
                shutil.rmtree(v.site / CACHE, ignore_errors=True)
        if args.serve:
            print(f"{n} incidents: serve", file=sys.stderr)
            entry["serve"] = measure_serve(site, args.edits, tmp)
        report["sizes"][n] = entry
        print(json.dumps({n: entry}), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
